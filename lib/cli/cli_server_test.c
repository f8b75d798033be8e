/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the control socket server, in-process: the server runs in one
 * thread (as it would on the main lcore) and the test connects real
 * clients to a socket under /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "cli_server.h"
#include "cli_test_json.h"

#define BIG_ROWS 12000       /* about 1 MB of text */
#define N_CONCURRENT 50
#define RTE_DIM_LOCAL(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];
static char sock_path[96];

static int
h_version(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	(void)argc;
	(void)argv;
	mpn_render_str(ctx->r, "version", "0.1.0");
	return 0;
}

/* A large reply: ROWS rows of about 90 bytes. */
static int
h_big(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	uint64_t rows = BIG_ROWS, i;

	if (argc == 1 && mpn_cli_parse_u64(argv[0], 10, 1000000, &rows) != 0)
		return mpn_cli_error(ctx, "bad row count '%s'", argv[0]);
	mpn_render_table_begin(ctx->r, "rows", "index", "payload", "value", "flag", NULL);
	for (i = 0; i < rows; i++) {
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, i);
		mpn_render_cell_str(ctx->r,
			"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
		mpn_render_cell_u64(ctx->r, i * 2654435761u);
		mpn_render_cell_bool(ctx->r, (i & 1) != 0);
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

static const struct mpn_cli_command test_cmds[] = {
	{ "show version", NULL, 0, 0, h_version, "print the version", NULL },
	{ "big", "[ROWS]", 0, 1, h_big, "a large reply", NULL },
};

/* The server thread: polls until told to stop, as the main lcore would. */
struct server_thread {
	struct mpn_cli_server *srv;
	pthread_t tid;
	atomic_bool stop;
	int max_poll_ms;     /* longest single mpn_cli_server_poll() call seen */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
server_main(void *arg)
{
	struct server_thread *st = arg;

	while (!atomic_load(&st->stop)) {
		int64_t t0 = now_ms();
		int d;

		mpn_cli_server_poll(st->srv, 10);
		d = (int)(now_ms() - t0);
		if (d > st->max_poll_ms)
			st->max_poll_ms = d;
	}
	return NULL;
}

static void
server_start(struct server_thread *st, mode_t mode)
{
	char err[256];

	memset(st, 0, sizeof(*st));
	st->srv = mpn_cli_server_open(sock_path, mode, NULL, err, sizeof(err));
	if (st->srv == NULL)
		fail_msg("mpn_cli_server_open: %s", err);
	atomic_store(&st->stop, false);
	assert_int_equal(pthread_create(&st->tid, NULL, server_main, st), 0);
}

static void
server_stop(struct server_thread *st, struct mpn_cli_server_stats *stats)
{
	atomic_store(&st->stop, true);
	pthread_join(st->tid, NULL);
	if (stats != NULL)
		mpn_cli_server_get_stats(st->srv, stats);
	mpn_cli_server_close(st->srv);
}

/* A client connection with a read buffer, since replies may arrive together. */
struct conn {
	int fd;
	size_t len;
	char buf[65536];
};

static struct conn *
conn_open(void)
{
	struct timeval tv = { .tv_sec = 10, .tv_usec = 0 };
	struct sockaddr_un sa;
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	/* Never hang a test run on a server bug: fail the read instead. */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	return c;
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

static int
conn_send(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read one reply. *status gets the status byte, *body the body (malloc'ed,
 * NUL-terminated). Returns the body length, or -1 on EOF, error or timeout.
 */
static long
conn_reply(struct conn *c, char *status, char **body)
{
	size_t cap = 4096, blen = 0;
	bool have_status = false;
	char *b = malloc(cap);
	ssize_t n;

	*body = NULL;
	if (b == NULL)
		return -1;
	for (;;) {
		char *nul;
		size_t take;

		if (c->len > 0 && !have_status) {
			*status = c->buf[0];
			memmove(c->buf, c->buf + 1, c->len - 1);
			c->len--;
			have_status = true;
		}
		nul = memchr(c->buf, '\0', c->len);
		take = nul != NULL ? (size_t)(nul - c->buf) : c->len;
		if (have_status && take > 0) {
			while (blen + take + 1 > cap)
				cap *= 2;
			b = realloc(b, cap);
			memcpy(b + blen, c->buf, take);
			blen += take;
		}
		if (have_status && nul != NULL) {
			memmove(c->buf, nul + 1, c->len - take - 1);
			c->len -= take + 1;
			b[blen] = '\0';
			*body = b;
			return (long)blen;
		}
		if (have_status)
			c->len = 0;
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n <= 0) {
			free(b);
			return -1;
		}
		c->len += (size_t)n;
	}
}

/* Send a line and check the reply's status and exact body. */
static void
expect(struct conn *c, const char *line, char want_status, const char *want_body)
{
	char status = 0, *body = NULL;
	long n;

	assert_int_equal(conn_send(c, line, strlen(line)), 0);
	n = conn_reply(c, &status, &body);
	assert_true(n >= 0);
	assert_int_equal(status, want_status);
	assert_string_equal(body, want_body);
	free(body);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mpn-cli-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/run/mpnorm/mpnorm.sock", tmpdir);
	mpn_cli_reset();
	return mpn_cli_register_all(test_cmds, sizeof(test_cmds) / sizeof(test_cmds[0]));
}

/* Remove what the tests may have left: the socket, a test file, the dirs. */
static int
teardown(void **state)
{
	char p[192];

	(void)state;
	unlink(sock_path);
	snprintf(p, sizeof(p), "%s/file", tmpdir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/run/mpnorm", tmpdir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/run", tmpdir);
	rmdir(p);
	rmdir(tmpdir);
	return 0;
}

static void
test_socket_mode_and_group(void **state)
{
	struct mpn_cli_server *srv;
	struct group *gr;
	struct stat st;
	char err[256];

	(void)state;
	/* The parent directories do not exist yet: they are created. */
	srv = mpn_cli_server_open(sock_path, 0600, NULL, err, sizeof(err));
	assert_non_null(srv);
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	mpn_cli_server_close(srv);
	/* Closing removes the socket. */
	assert_int_not_equal(stat(sock_path, &st), 0);

	gr = getgrgid(getegid());
	assert_non_null(gr);
	srv = mpn_cli_server_open(sock_path, 0660, gr->gr_name, err, sizeof(err));
	assert_non_null(srv);
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getegid());
	mpn_cli_server_close(srv);

	srv = mpn_cli_server_open(sock_path, 0660, "no-such-group-mpn", err, sizeof(err));
	assert_null(srv);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "no-such-group-mpn"));
}

static void
test_stale_live_and_foreign(void **state)
{
	struct mpn_cli_server *srv, *srv2;
	struct sockaddr_un sa;
	char err[256], p[192], longpath[200];
	struct stat st;
	int fd;

	(void)state;
	/* A socket left by a dead process: bound, never listened on, not removed. */
	srv = mpn_cli_server_open(sock_path, 0600, NULL, err, sizeof(err));
	assert_non_null(srv);
	mpn_cli_server_close(srv);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(lstat(sock_path, &st), 0);
	srv = mpn_cli_server_open(sock_path, 0600, NULL, err, sizeof(err));
	assert_non_null(srv);

	/* A live server's socket is not taken over. */
	srv2 = mpn_cli_server_open(sock_path, 0600, NULL, err, sizeof(err));
	assert_null(srv2);
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, "in use"));
	assert_int_equal(lstat(sock_path, &st), 0);
	mpn_cli_server_close(srv);

	/* Someone's regular file is not removed. */
	snprintf(p, sizeof(p), "%s/file", tmpdir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	srv = mpn_cli_server_open(p, 0600, NULL, err, sizeof(err));
	assert_null(srv);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* A file where a directory should be. */
	snprintf(p, sizeof(p), "%s/file/x.sock", tmpdir);
	assert_null(mpn_cli_server_open(p, 0600, NULL, err, sizeof(err)));
	assert_int_equal(errno, ENOTDIR);

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_null(mpn_cli_server_open(longpath, 0600, NULL, err, sizeof(err)));
	assert_int_equal(errno, ENAMETOOLONG);
	assert_null(mpn_cli_server_open("", 0600, NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
}

static void
test_commands(void **state)
{
	static const char pipelined[] = "show version\nbogus\n-j show version\r\n";
	struct server_thread st;
	struct mpn_cli_server_stats stats;
	struct conn *c;
	char status, *body;
	long n;

	(void)state;
	server_start(&st, 0600);
	c = conn_open();
	assert_non_null(c);
	expect(c, "show version\n", '+', "version: 0.1.0\n");
	expect(c, "bogus words\n", '-', "error: unknown command 'bogus' (try 'help')\n");
	expect(c, "show version now\n", '-', "error: usage: show version\n");
	expect(c, "big 1 2\n", '-', "error: usage: big [ROWS]\n");
	expect(c, "-j show version\n", '+', "{\n  \"version\": \"0.1.0\"\n}\n");
	expect(c, "-j nope\n", '-', "{\n  \"error\": \"unknown command 'nope' (try 'help')\"\n}\n");
	expect(c, "\n", '+', "");

	/* Three requests in one write: three replies, in order. */
	assert_int_equal(conn_send(c, pipelined, sizeof(pipelined) - 1), 0);
	assert_true(conn_reply(c, &status, &body) >= 0);
	assert_int_equal(status, '+');
	assert_string_equal(body, "version: 0.1.0\n");
	free(body);
	assert_true(conn_reply(c, &status, &body) >= 0);
	assert_int_equal(status, '-');
	free(body);
	assert_true(conn_reply(c, &status, &body) >= 0);
	assert_int_equal(status, '+');
	assert_true(test_json_valid(body, strlen(body)));
	free(body);

	/* JSON replies of a large table parse. */
	assert_int_equal(conn_send(c, "-j big 500\n", 11), 0);
	n = conn_reply(c, &status, &body);
	assert_true(n > 0);
	assert_int_equal(status, '+');
	assert_true(test_json_valid(body, (size_t)n));
	free(body);
	conn_close(c);

	/* A one-shot client that half-closes, and a last line without '\n'. */
	c = conn_open();
	assert_non_null(c);
	assert_int_equal(conn_send(c, "show version", 12), 0);
	shutdown(c->fd, SHUT_WR);
	assert_true(conn_reply(c, &status, &body) >= 0);
	assert_int_equal(status, '+');
	assert_string_equal(body, "version: 0.1.0\n");
	free(body);
	/* Then the server closes. */
	assert_int_equal(recv(c->fd, c->buf, sizeof(c->buf), 0), 0);
	conn_close(c);

	server_stop(&st, &stats);
	assert_int_equal(stats.accepted, 2);
	assert_int_equal(stats.commands, 12);
	assert_int_equal(stats.errors, 5);
	assert_int_equal(stats.clients, 0);
}

static void
test_overlong_and_garbage(void **state)
{
	struct server_thread st;
	struct mpn_cli_server_stats stats;
	unsigned char garbage[3000];
	char *line, status, *body;
	struct conn *c;
	unsigned int i;
	uint32_t x = 12345;

	(void)state;
	server_start(&st, 0600);
	c = conn_open();
	assert_non_null(c);
	/* 10000 bytes before the newline: an error, and the connection goes on. */
	line = malloc(10001);
	assert_non_null(line);
	memset(line, 'a', 10000);
	line[10000] = '\n';
	assert_int_equal(conn_send(c, line, 10001), 0);
	assert_true(conn_reply(c, &status, &body) >= 0);
	assert_int_equal(status, '-');
	assert_string_equal(body, "error: line too long (at most 4095 bytes); it was "
		"discarded\n");
	free(body);
	expect(c, "show version\n", '+', "version: 0.1.0\n");

	/* The same in JSON, and exactly one byte over the limit. */
	memcpy(line, "-j ", 3);
	memset(line + 3, 'b', MPN_CLI_LINE_MAX - 3);
	line[MPN_CLI_LINE_MAX] = '\n';
	assert_int_equal(conn_send(c, line, MPN_CLI_LINE_MAX + 1), 0);
	assert_true(conn_reply(c, &status, &body) >= 0);
	assert_int_equal(status, '-');
	assert_string_equal(body, "{\n  \"error\": \"line too long (at most 4095 bytes); it "
		"was discarded\"\n}\n");
	free(body);
	/* The longest line accepted: 4095 bytes and its newline. */
	memset(line, ' ', MPN_CLI_LINE_MAX - 1);
	memcpy(line + MPN_CLI_LINE_MAX - 13, "show version", 12);
	line[MPN_CLI_LINE_MAX - 1] = '\n';
	assert_int_equal(conn_send(c, line, MPN_CLI_LINE_MAX), 0);
	assert_true(conn_reply(c, &status, &body) >= 0);
	assert_int_equal(status, '+');
	free(body);
	free(line);

	/* Binary garbage, with a newline at the end: unknown command. */
	for (i = 0; i < sizeof(garbage); i++) {
		x = x * 1103515245u + 12345u;
		garbage[i] = (unsigned char)(x >> 16);
		if (garbage[i] == '\n')
			garbage[i] = 0xff;
	}
	garbage[0] = 0x01;
	garbage[sizeof(garbage) - 1] = '\n';
	assert_int_equal(conn_send(c, garbage, sizeof(garbage)), 0);
	assert_true(conn_reply(c, &status, &body) >= 0);
	assert_int_equal(status, '-');
	assert_true(strncmp(body, "error: unknown command '\\x01", 28) == 0);
	free(body);
	/* Garbage, then the client just leaves. */
	assert_int_equal(conn_send(c, garbage, sizeof(garbage) - 1), 0);
	conn_close(c);

	/* The server is alive and answers the next client. */
	c = conn_open();
	assert_non_null(c);
	expect(c, "show version\n", '+', "version: 0.1.0\n");
	conn_close(c);
	server_stop(&st, &stats);
	assert_int_equal(stats.overlong, 2);
}

static void
test_disconnect_mid_reply(void **state)
{
	struct server_thread st;
	struct mpn_cli_server_stats stats;
	struct conn *c;
	char status, *body;
	unsigned int round;
	long n;

	(void)state;
	server_start(&st, 0600);
	/* A full reply first, to know its size. */
	c = conn_open();
	assert_non_null(c);
	assert_int_equal(conn_send(c, "big\n", 4), 0);
	n = conn_reply(c, &status, &body);
	assert_int_equal(status, '+');
	assert_true(n > 1000000);
	free(body);
	conn_close(c);

	for (round = 0; round < 3; round++) {
		c = conn_open();
		assert_non_null(c);
		assert_int_equal(conn_send(c, "big\n", 4), 0);
		/* Read a little of the megabyte, then hang up. */
		assert_true(recv(c->fd, c->buf, 100, 0) > 0);
		conn_close(c);
	}
	c = conn_open();
	assert_non_null(c);
	expect(c, "show version\n", '+', "version: 0.1.0\n");
	conn_close(c);
	server_stop(&st, &stats);
	/* Each hang-up was noticed while the reply was still queued. */
	assert_int_equal(stats.dropped, 3);
}

struct worker {
	pthread_t tid;
	pthread_barrier_t *barrier;
	int ok;
};

/* One of many clients: connect, wait for the others, then ask for two replies. */
static void *
client_main(void *arg)
{
	struct worker *w = arg;
	struct conn *c = conn_open();
	char status = 0, *body = NULL;
	long n;

	pthread_barrier_wait(w->barrier);
	if (c == NULL)
		return NULL;
	if (conn_send(c, "big 2000\nshow version\n", 22) != 0)
		goto out;
	n = conn_reply(c, &status, &body);
	if (n < 2000 * 80 || status != '+' || strncmp(body, "index  payload", 14) != 0 ||
			strstr(body, "\n 1999  ") == NULL)
		goto out;
	free(body);
	body = NULL;
	n = conn_reply(c, &status, &body);
	if (n < 0 || status != '+' || strcmp(body, "version: 0.1.0\n") != 0)
		goto out;
	w->ok = 1;
out:
	free(body);
	conn_close(c);
	return NULL;
}

static void
test_concurrent_clients(void **state)
{
	struct worker w[N_CONCURRENT];
	struct server_thread st;
	struct mpn_cli_server_stats stats;
	pthread_barrier_t barrier;
	unsigned int i, ok = 0;

	(void)state;
	server_start(&st, 0600);
	pthread_barrier_init(&barrier, NULL, N_CONCURRENT);
	for (i = 0; i < N_CONCURRENT; i++) {
		w[i].barrier = &barrier;
		w[i].ok = 0;
		assert_int_equal(pthread_create(&w[i].tid, NULL, client_main, &w[i]), 0);
	}
	for (i = 0; i < N_CONCURRENT; i++) {
		pthread_join(w[i].tid, NULL);
		ok += (unsigned int)w[i].ok;
	}
	pthread_barrier_destroy(&barrier);
	server_stop(&st, &stats);
	assert_int_equal(ok, N_CONCURRENT);
	assert_int_equal(stats.accepted, N_CONCURRENT);
	assert_int_equal(stats.commands, 2 * N_CONCURRENT);
	assert_int_equal(stats.rejected, 0);
	/* Serving megabytes to 50 clients never held the caller past its timeout. */
	assert_true(st.max_poll_ms < 1000);
}

static void
test_too_many_clients(void **state)
{
	struct conn *c[MPN_CLI_MAX_CLIENTS], *extra;
	struct server_thread st;
	struct mpn_cli_server_stats stats;
	char status, *body;
	unsigned int i;

	(void)state;
	server_start(&st, 0600);
	for (i = 0; i < MPN_CLI_MAX_CLIENTS; i++) {
		c[i] = conn_open();
		assert_non_null(c[i]);
		/* A reply proves the server took this one. */
		expect(c[i], "show version\n", '+', "version: 0.1.0\n");
	}
	extra = conn_open();
	assert_non_null(extra);
	assert_true(conn_reply(extra, &status, &body) >= 0);
	assert_int_equal(status, '-');
	assert_string_equal(body, "error: too many clients; try again later\n");
	free(body);
	/* Then it is closed. */
	assert_int_equal(recv(extra->fd, extra->buf, sizeof(extra->buf), 0), 0);
	conn_close(extra);

	/* A slot freed is a slot reused, and the old clients still work. */
	conn_close(c[0]);
	c[0] = NULL;
	for (i = 0; i < 200 && c[0] == NULL; i++) {
		struct mpn_cli_server_stats s;

		usleep(10000);
		mpn_cli_server_get_stats(st.srv, &s); /* a racy read; fine for a hint */
		if (s.clients < MPN_CLI_MAX_CLIENTS)
			c[0] = conn_open();
	}
	assert_non_null(c[0]);
	expect(c[0], "show version\n", '+', "version: 0.1.0\n");
	expect(c[MPN_CLI_MAX_CLIENTS - 1], "show version\n", '+', "version: 0.1.0\n");
	for (i = 0; i < MPN_CLI_MAX_CLIENTS; i++)
		conn_close(c[i]);
	server_stop(&st, &stats);
	assert_int_equal(stats.rejected, 1);
	assert_int_equal(stats.accepted, MPN_CLI_MAX_CLIENTS + 1);
}

/*
 * Without a server thread: a client that asks for a megabyte and never
 * reads must not hold mpn_cli_server_poll() past its timeout, and the other
 * clients are served meanwhile.
 */
static void
test_never_blocks(void **state)
{
	struct mpn_cli_server *srv;
	struct mpn_cli_server_stats stats;
	struct conn *slow, *fast;
	char err[256], *body = NULL;
	unsigned int i;
	int64_t t0;
	ssize_t n;

	(void)state;
	srv = mpn_cli_server_open(sock_path, 0600, NULL, err, sizeof(err));
	assert_non_null(srv);
	t0 = now_ms();
	assert_int_equal(mpn_cli_server_poll(srv, 0), 0);
	assert_int_equal(mpn_cli_server_poll(srv, 20), 0);
	assert_true(now_ms() - t0 < 1000);

	slow = conn_open();
	fast = conn_open();
	assert_non_null(slow);
	assert_non_null(fast);
	assert_int_equal(conn_send(slow, "big\n", 4), 0);
	assert_int_equal(conn_send(fast, "show version\n", 13), 0);
	fcntl(fast->fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 50 && fast->len < 17; i++) {
		t0 = now_ms();
		assert_true(mpn_cli_server_poll(srv, 20) >= 0);
		assert_true(now_ms() - t0 < 1000);
		n = recv(fast->fd, fast->buf + fast->len, sizeof(fast->buf) - fast->len, 0);
		if (n > 0)
			fast->len += (size_t)n;
	}
	assert_int_equal(fast->len, 17);
	assert_memory_equal(fast->buf, "+version: 0.1.0\n", 17);
	mpn_cli_server_get_stats(srv, &stats);
	assert_int_equal(stats.commands, 2);
	assert_int_equal(stats.clients, 2);
	free(body);
	conn_close(fast);
	conn_close(slow);
	mpn_cli_server_close(srv);
}

/* A clock the test moves by hand: the idle timeout is asserted, not waited for. */
static _Atomic int64_t fake_now = 1000;

static int64_t
fake_clock(void)
{
	return atomic_load(&fake_now);
}

/* Poll the server (no thread) until @p cond holds, at most @p n times. */
#define POLL_UNTIL(srv, cond, n) do { \
	unsigned int _i; \
	for (_i = 0; _i < (n) && !(cond); _i++) \
		mpn_cli_server_poll((srv), 10); \
} while (0)

/* An idle client is closed after the timeout; a talking one is not. */
static void
test_idle_timeout(void **state)
{
	struct mpn_cli_server_stats stats;
	struct mpn_cli_server *srv;
	struct conn *idle, *busy;
	char err[256], buf[64];
	ssize_t n = -1;

	(void)state;
	srv = mpn_cli_server_open(sock_path, 0600, NULL, err, sizeof(err));
	assert_non_null(srv);
	mpn_cli_server_set_idle_timeout(srv, 60, fake_clock);
	idle = conn_open();
	busy = conn_open();
	assert_non_null(idle);
	assert_non_null(busy);
	POLL_UNTIL(srv, (mpn_cli_server_get_stats(srv, &stats), stats.clients == 2), 100);
	assert_int_equal(stats.clients, 2);
	atomic_fetch_add(&fake_now, 59);
	assert_int_equal(conn_send(busy, "show version\n", 13), 0);
	POLL_UNTIL(srv, (mpn_cli_server_get_stats(srv, &stats), stats.commands == 1), 100);
	atomic_fetch_add(&fake_now, 2);
	mpn_cli_server_poll(srv, 0);
	mpn_cli_server_get_stats(srv, &stats);
	assert_int_equal(stats.idle_closed, 1);
	assert_int_equal(stats.clients, 1);
	/* The idle one was told why, then closed. */
	n = recv(idle->fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "idle timeout"));
	conn_close(idle);
	conn_close(busy);
	mpn_cli_server_close(srv);
}

/*
 * Other users cannot take the reserved slots, nor more than
 * MPN_CLI_MAX_PER_UID each: with every slot they can have taken, root still
 * gets in. Needs root to connect as other users.
 */
static void
test_reserved_slots(void **state)
{
	const unsigned int users = (MPN_CLI_MAX_CLIENTS - MPN_CLI_RESERVED_SLOTS) /
		MPN_CLI_MAX_PER_UID + 1;
	struct mpn_cli_server_stats stats;
	struct mpn_cli_server *srv;
	int pipes[2], status;
	char err[256];
	unsigned int u;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();   /* connecting as several users needs setuid() */
	/* The other users must reach the socket: open the test's directory to them. */
	assert_int_equal(chmod(tmpdir, 0755), 0);
	srv = mpn_cli_server_open(sock_path, 0666, NULL, err, sizeof(err));
	assert_non_null(srv);
	assert_int_equal(pipe(pipes), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* One process per user, each opening more than its share, then waiting. */
		close(pipes[1]);   /* only the test keeps the write end: its close is EOF */
		for (u = 0; u < users; u++) {
			if (fork() == 0) {
				struct conn *c[MPN_CLI_MAX_PER_UID + 4];
				unsigned int i;
				char x;

				if (setuid(60000 + u) != 0)
					_exit(2);
				for (i = 0; i < RTE_DIM_LOCAL(c); i++)
					c[i] = conn_open();
				(void)read(pipes[0], &x, 1);
				_exit(0);
			}
		}
		while (wait(NULL) > 0)
			;
		_exit(0);
	}
	/* Bounded: every user's connections have been accepted or refused. */
	POLL_UNTIL(srv, (mpn_cli_server_get_stats(srv, &stats),
		stats.accepted + stats.rejected >= users * (MPN_CLI_MAX_PER_UID + 4)), 2000);
	assert_int_equal(stats.accepted + stats.rejected, users * (MPN_CLI_MAX_PER_UID + 4));
	assert_int_equal(stats.clients, MPN_CLI_MAX_CLIENTS - MPN_CLI_RESERVED_SLOTS);
	{
		struct conn *root = conn_open();

		assert_non_null(root);
		POLL_UNTIL(srv, (mpn_cli_server_get_stats(srv, &stats),
			stats.clients == MPN_CLI_MAX_CLIENTS - MPN_CLI_RESERVED_SLOTS + 1), 100);
		assert_int_equal(stats.clients, MPN_CLI_MAX_CLIENTS - MPN_CLI_RESERVED_SLOTS + 1);
		conn_close(root);
	}
	close(pipes[1]);   /* the children read EOF and exit */
	close(pipes[0]);
	waitpid(pid, &status, 0);
	mpn_cli_server_close(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_mode_and_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_live_and_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_mid_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_slots, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
