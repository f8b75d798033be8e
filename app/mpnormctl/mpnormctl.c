/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpnormctl: the command-line client of mpnorm's control socket, in the
 * style of vppctl and ovs-appctl.
 *
 *   mpnormctl [-s SOCKET] [-j] COMMAND...
 *
 * Exit codes: 0 success, 1 local error (no socket, no permission),
 * 2 the server answered with an error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/mpnorm/mpnorm.sock"

static void
usage(FILE *f)
{
	fprintf(f, "usage: mpnormctl [-s SOCKET] [-j] COMMAND [ARG...]\n"
		"  -s SOCKET  control socket (default " DEFAULT_SOCKET ")\n"
		"  -j         ask for JSON output\n");
}

int
main(int argc, char **argv)
{
	const char *sock_path = DEFAULT_SOCKET;
	struct sockaddr_un sa;
	char line[4096], buf[4096];
	size_t used = 0;
	bool json = false, first_chunk = true, server_error = false;
	ssize_t n;
	int i, fd;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			sock_path = argv[++i];
		} else if (strcmp(argv[i], "-j") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 1;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	if (json)
		used += snprintf(line + used, sizeof(line) - used, "-j ");
	for (; i < argc && used < sizeof(line); i++)
		used += snprintf(line + used, sizeof(line) - used, "%s%s", argv[i],
			i + 1 < argc ? " " : "\n");
	if (used >= sizeof(line)) {
		fprintf(stderr, "mpnormctl: command too long\n");
		return 1;
	}
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "mpnormctl: socket path too long: %s\n", sock_path);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "mpnormctl: cannot connect to %s: %s (is mpnorm running, "
			"and may this user open its socket?)\n", sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (write(fd, line, used) != (ssize_t)used) {
		fprintf(stderr, "mpnormctl: write to %s failed: %s\n", sock_path, strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first_chunk && strncmp(buf, "error:", 6) == 0)
			server_error = true;
		first_chunk = false;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	return server_error ? 2 : 0;
}
