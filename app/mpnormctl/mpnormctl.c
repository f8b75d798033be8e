/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpnormctl: the client of mpnorm's control socket, in the style of vppctl,
 * birdc and ovs-appctl.
 *
 *   mpnormctl [-s SOCKET] [-j] [-t SECONDS] COMMAND [ARG...]   run one command
 *   mpnormctl [-s SOCKET] [-j] [-t SECONDS]                    interactive
 *
 * Interactive mode reads commands at an "mpnorm> " prompt, with line editing,
 * completion of command words and a history in ~/.mpnormctl_history. With
 * standard input not a terminal, it runs one command per input line.
 *
 * A reply goes to standard output, an error reply (text or JSON) to
 * standard error. Exit codes: 0 success; 1 a local error (bad option, no
 * socket, no permission, connection lost); 2 the server answered with an
 * error (in batch mode: any command did).
 *
 * The wire protocol is described in lib/cli/cli.h: one request line, one
 * reply that starts with a status byte and ends with a NUL.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli.h"

#define CTL_OK 0
#define CTL_LOCAL_ERROR 1
#define CTL_SERVER_ERROR 2

#define CTL_PROMPT "mpnorm> "
#define CTL_HISTORY_FILE ".mpnormctl_history"
#define CTL_HISTORY_LINES 1000

/* A connection, with the bytes read past the end of the last reply. */
struct ctl {
	int fd;
	const char *path;
	int timeout_ms;          /* -1: wait forever */
	size_t len;
	char buf[65536];
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mpnormctl [-s SOCKET] [-j] [-t SECONDS] [COMMAND [ARG...]]\n"
		"\n"
		"Run COMMAND on a running mpnorm, or read commands interactively\n"
		"when none is given. 'mpnormctl help' lists the commands.\n"
		"\n"
		"  -s SOCKET   control socket (default " MPN_CLI_DEFAULT_SOCKET ")\n"
		"  -j          JSON output\n"
		"  -t SECONDS  give up waiting for a reply after SECONDS (default: wait)\n"
		"  -h          this text\n"
		"  -V          print the version\n"
		"\n"
		"Exit status: 0 success, 1 local error, 2 the server reported an error.\n");
}

static int
ctl_connect(struct ctl *c)
{
	struct sockaddr_un sa;
	int e;

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "mpnormctl: socket path too long (at most %zu bytes): %s\n",
			sizeof(sa.sun_path) - 1, c->path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(stderr, "mpnormctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	e = errno;
	close(c->fd);
	c->fd = -1;
	/* Say what to do, not only what failed. */
	switch (e) {
	case ENOENT:
		fprintf(stderr, "mpnormctl: no control socket at %s: is mpnorm running? "
			"(-s names another socket)\n", c->path);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr, "mpnormctl: permission denied on %s: run as root or as a "
			"member of the socket's group\n", c->path);
		break;
	case ECONNREFUSED:
		fprintf(stderr, "mpnormctl: nothing listens on %s: mpnorm is not running "
			"(the socket is stale)\n", c->path);
		break;
	default:
		fprintf(stderr, "mpnormctl: cannot connect to %s: %s\n", c->path, strerror(e));
	}
	return -1;
}

static int
ctl_send(struct ctl *c, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "mpnormctl: cannot send to %s: %s\n", c->path,
				n < 0 ? strerror(errno) : "connection closed");
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read one reply into a malloc'ed, NUL-terminated *body. Returns the
 * status byte, or -1 on a lost connection, a timeout or a malformed reply.
 */
static int
ctl_reply(struct ctl *c, char **body, size_t *body_len)
{
	size_t cap = 4096, blen = 0;
	int status = -1;
	char *b = malloc(cap);
	struct pollfd pfd;
	ssize_t n;

	*body = NULL;
	*body_len = 0;
	if (b == NULL) {
		fprintf(stderr, "mpnormctl: out of memory\n");
		return -1;
	}
	/* Each pass consumes buffered bytes or reads more: bounded by the reply. */
	for (;;) {
		char *nul;
		size_t take;

		if (c->len > 0 && status < 0) {
			status = (unsigned char)c->buf[0];
			memmove(c->buf, c->buf + 1, c->len - 1);
			c->len--;
			if (status != MPN_CLI_STATUS_OK && status != MPN_CLI_STATUS_ERR) {
				fprintf(stderr, "mpnormctl: malformed reply from %s (is it mpnorm's "
					"control socket?)\n", c->path);
				free(b);
				return -1;
			}
		}
		nul = memchr(c->buf, MPN_CLI_REPLY_END, c->len);
		take = nul != NULL ? (size_t)(nul - c->buf) : c->len;
		if (status >= 0 && take > 0) {
			if (blen + take + 1 > cap) {
				char *nb;

				while (blen + take + 1 > cap)
					cap *= 2;
				nb = realloc(b, cap);
				if (nb == NULL) {
					fprintf(stderr, "mpnormctl: out of memory\n");
					free(b);
					return -1;
				}
				b = nb;
			}
			memcpy(b + blen, c->buf, take);
			blen += take;
			memmove(c->buf, c->buf + take, c->len - take);
			c->len -= take;
		}
		if (status >= 0 && nul != NULL) {
			/* Drop the NUL; keep what follows for the next reply. */
			memmove(c->buf, c->buf + 1, c->len - 1);
			c->len--;
			b[blen] = '\0';
			*body = b;
			*body_len = blen;
			return status;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, c->timeout_ms);
		if (n == 0) {
			fprintf(stderr, "mpnormctl: no reply from %s within %d s\n", c->path,
				c->timeout_ms / 1000);
			free(b);
			return -1;
		}
		n = n < 0 ? -1 : recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "mpnormctl: connection to %s lost%s%s\n", c->path,
				n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			free(b);
			return -1;
		}
		c->len += (size_t)n;
	}
}

/* Send one request line and print its reply: stdout on success, stderr on error. */
static int
ctl_run(struct ctl *c, const char *line, size_t len)
{
	char *body;
	size_t blen;
	int status;

	if (ctl_send(c, line, len) != 0)
		return CTL_LOCAL_ERROR;
	status = ctl_reply(c, &body, &blen);
	if (status < 0)
		return CTL_LOCAL_ERROR;
	fwrite(body, 1, blen, status == MPN_CLI_STATUS_OK ? stdout : stderr);
	fflush(stdout);
	free(body);
	return status == MPN_CLI_STATUS_OK ? CTL_OK : CTL_SERVER_ERROR;
}

/* Does a word need quoting to reach the server as one word? */
static bool
word_needs_quotes(const char *w)
{
	return w[0] == '\0' || strpbrk(w, " \t\r\"\\") != NULL;
}

/*
 * Join argv into one request line, quoting words the server would
 * otherwise split (see the word rules in cli.h). Returns the length, or
 * -1 after a message.
 */
static long
build_line(int argc, char **argv, bool json, char *line, size_t size)
{
	size_t o = 0, need;
	const char *e;
	int i;

	if (json) {
		memcpy(line, "-j ", 3);
		o = 3;
	}
	for (i = 0; i < argc; i++) {
		const char *p = argv[i];
		bool q = word_needs_quotes(p);

		if (strchr(p, '\n') != NULL) {
			fprintf(stderr, "mpnormctl: argument %d holds a newline\n", i + 1);
			return -1;
		}
		need = strlen(p) + (i > 0 ? 1 : 0) + (q ? 2 : 0);
		for (e = p; q && *e != '\0'; e++)
			need += *e == '"' || *e == '\\';
		/* Room for this word and the final '\n'. */
		if (o + need + 1 > size) {
			fprintf(stderr, "mpnormctl: command too long (at most %d bytes)\n",
				MPN_CLI_LINE_MAX - 1);
			return -1;
		}
		if (i > 0)
			line[o++] = ' ';
		if (q)
			line[o++] = '"';
		for (; *p != '\0'; p++) {
			if (q && (*p == '"' || *p == '\\'))
				line[o++] = '\\';
			line[o++] = *p;
		}
		if (q)
			line[o++] = '"';
	}
	line[o++] = '\n';
	return (long)o;
}

/* Command paths, from the server's "help", for completion. */
static char *paths[MPN_CLI_MAX_COMMANDS];
static unsigned int n_paths;
/* The completion in progress: words before the cursor's word, and matches. */
static char prefix_words[MPN_CLI_MAX_PATH_WORDS][64];
static unsigned int n_prefix_words;

/*
 * Learn the command paths from "-j help". Registered paths hold no quotes
 * or backslashes (cli.c refuses them), so each is the plain text between
 * the quotes after "command": .
 */
static void
load_paths(struct ctl *c)
{
	static const char key[] = "\"command\": \"";
	const char *p, *end;
	char *body;
	size_t blen;

	if (ctl_send(c, "-j help\n", 8) != 0 || ctl_reply(c, &body, &blen) != MPN_CLI_STATUS_OK)
		return;
	for (p = body; n_paths < MPN_CLI_MAX_COMMANDS && (p = strstr(p, key)) != NULL;
			p = end) {
		p += sizeof(key) - 1;
		end = strchr(p, '"');
		if (end == NULL)
			break;
		paths[n_paths] = strndup(p, (size_t)(end - p));
		if (paths[n_paths] != NULL)
			n_paths++;
	}
	free(body);
}

/* Word @p w of @p path into @p out; false if the path is shorter. */
static bool
path_word(const char *path, unsigned int w, char *out, size_t size)
{
	const char *p = path, *sp;
	size_t len;

	for (; w > 0; w--) {
		p = strchr(p, ' ');
		if (p == NULL)
			return false;
		p++;
	}
	sp = strchr(p, ' ');
	len = sp != NULL ? (size_t)(sp - p) : strlen(p);
	if (len >= size)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static char *
complete_word(const char *text, int state)
{
	static unsigned int i;
	size_t tlen = strlen(text);

	if (state == 0)
		i = 0;
	for (; i < n_paths; i++) {
		char word[64], prev[64];
		unsigned int w, j;
		bool ok = true;

		for (w = 0; w < n_prefix_words && ok; w++)
			ok = path_word(paths[i], w, word, sizeof(word)) &&
				strcmp(word, prefix_words[w]) == 0;
		if (!ok || !path_word(paths[i], n_prefix_words, word, sizeof(word)) ||
				strncmp(word, text, tlen) != 0)
			continue;
		/* "show" starts many paths: offer each word once. */
		for (j = 0; j < i; j++) {
			char pw[64];
			bool same = true;

			for (w = 0; w < n_prefix_words && same; w++)
				same = path_word(paths[j], w, pw, sizeof(pw)) &&
					strcmp(pw, prefix_words[w]) == 0;
			if (same && path_word(paths[j], n_prefix_words, prev, sizeof(prev)) &&
					strcmp(prev, word) == 0)
				break;
		}
		if (j < i)
			continue;
		i++;
		return strdup(word);
	}
	return NULL;
}

static char **
complete(const char *text, int start, int end)
{
	const char *p = rl_line_buffer, *stop = rl_line_buffer + start;

	(void)end;
	/* Complete command words only, never file names. */
	rl_attempted_completion_over = 1;
	n_prefix_words = 0;
	while (p < stop) {
		size_t len;

		while (p < stop && (*p == ' ' || *p == '\t'))
			p++;
		len = strcspn(p, " \t");
		if (p + len > stop)
			len = (size_t)(stop - p);
		if (len == 0)
			break;
		if (n_prefix_words == MPN_CLI_MAX_PATH_WORDS || len >= sizeof(prefix_words[0]))
			return NULL;
		if (!(n_prefix_words == 0 && len == 2 && strncmp(p, "-j", 2) == 0)) {
			memcpy(prefix_words[n_prefix_words], p, len);
			prefix_words[n_prefix_words][len] = '\0';
			n_prefix_words++;
		}
		p += len;
	}
	return rl_completion_matches(text, complete_word);
}

static void
history_path(char *buf, size_t size)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	buf[0] = '\0';
	if (home == NULL || home[0] == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : NULL;
	}
	if (home != NULL && (size_t)snprintf(buf, size, "%s/%s", home, CTL_HISTORY_FILE) >= size)
		buf[0] = '\0';
}

/* Strip leading and trailing blanks in place. */
static char *
trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
			s[len - 1] == '\n'))
		s[--len] = '\0';
	return s;
}

/* Send one typed line, with "-j " in front if asked. */
static int
run_typed(struct ctl *c, const char *cmd, bool json)
{
	char line[MPN_CLI_LINE_MAX + 4];
	size_t len = strlen(cmd);
	int n;

	if (len + (json ? 3 : 0) > MPN_CLI_LINE_MAX - 1) {
		fprintf(stderr, "mpnormctl: command too long (at most %d bytes)\n",
			MPN_CLI_LINE_MAX - 1);
		return CTL_SERVER_ERROR;
	}
	n = snprintf(line, sizeof(line), "%s%s\n", json ? "-j " : "", cmd);
	return ctl_run(c, line, (size_t)n);
}

static bool
is_quit(const char *s)
{
	return strcmp(s, "quit") == 0 || strcmp(s, "exit") == 0;
}

/* The prompt, with libedit's line editing, completion and history. */
static int
interactive(struct ctl *c, bool json)
{
	char hist[4096];
	char *input, *cmd;
	int rc = CTL_OK;

	load_paths(c);
	history_path(hist, sizeof(hist));
	rl_readline_name = "mpnormctl";
	rl_attempted_completion_function = complete;
	using_history();
	stifle_history(CTL_HISTORY_LINES);
	if (hist[0] != '\0')
		read_history(hist);
	printf("mpnorm control on %s: 'help' lists the commands, 'quit' leaves.\n", c->path);
	while ((input = readline(CTL_PROMPT)) != NULL) {
		cmd = trim(input);
		if (cmd[0] == '\0') {
			free(input);
			continue;
		}
		add_history(cmd);
		if (hist[0] != '\0')
			write_history(hist);
		if (is_quit(cmd)) {
			free(input);
			return CTL_OK;
		}
		rc = run_typed(c, cmd, json);
		free(input);
		/* Server errors are shown and the session goes on; a lost link ends it. */
		if (rc == CTL_LOCAL_ERROR)
			return rc;
	}
	putchar('\n');
	return CTL_OK;
}

/* Commands from a pipe or file, one per line: exits 2 if any failed. */
static int
batch(struct ctl *c, bool json)
{
	char *input = NULL, *cmd;
	size_t cap = 0;
	int rc, worst = CTL_OK;

	while (getline(&input, &cap, stdin) >= 0) {
		cmd = trim(input);
		if (cmd[0] == '\0' || cmd[0] == '#')
			continue;
		if (is_quit(cmd))
			break;
		rc = run_typed(c, cmd, json);
		if (rc == CTL_LOCAL_ERROR) {
			worst = rc;
			break;
		}
		if (rc > worst)
			worst = rc;
	}
	free(input);
	return worst;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct ctl c;
	char line[MPN_CLI_LINE_MAX];
	bool json = false;
	unsigned long secs;
	char *end;
	long len;
	int opt, rc;

	c.fd = -1;
	c.path = MPN_CLI_DEFAULT_SOCKET;
	c.timeout_ms = -1;
	/* '+': stop at the command, so "show connections limit 5" is not parsed here. */
	while ((opt = getopt_long(argc, argv, "+s:jt:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			c.path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			errno = 0;
			secs = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' ||
					secs < 1 || secs > 86400) {
				fprintf(stderr, "mpnormctl: -t wants seconds from 1 to 86400, "
					"not '%s'\n", optarg);
				return CTL_LOCAL_ERROR;
			}
			c.timeout_ms = (int)secs * 1000;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'V':
			printf("mpnormctl %s\n", MPN_VERSION);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_LOCAL_ERROR;
		}
	}
	if (optind < argc) {
		len = build_line(argc - optind, argv + optind, json, line, sizeof(line));
		if (len < 0)
			return CTL_LOCAL_ERROR;
		if (ctl_connect(&c) != 0)
			return CTL_LOCAL_ERROR;
		rc = ctl_run(&c, line, (size_t)len);
	} else {
		if (ctl_connect(&c) != 0)
			return CTL_LOCAL_ERROR;
		rc = isatty(STDIN_FILENO) ? interactive(&c, json) : batch(&c, json);
	}
	close(c.fd);
	return rc;
}
