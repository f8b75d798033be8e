/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The directory against a real redis-server (Debian's), started by the test
 * on a unix socket in a temporary directory, and against a fake store that
 * misbehaves on purpose. The test threads play the workers: they call the
 * worker API exactly as the data path will.
 *
 * What the store holds is read back with redis-cli, and the bad records are
 * written with it, as an operator (or an attacker) would. Every wait is a
 * bounded poll on a condition; nothing asserts on wall-clock speed. The
 * worker calls are checked to return while the store is stopped or frozen:
 * the test thread would hang otherwise.
 *
 * Skipped (77) only when redis-server or redis-cli is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_render.h"
#include "cluster.h"
#include "flow.h"

#define V1_KEY_A 0xd1ead00377b55779ULL
#define V1_KEY_B 0xac88245795309269ULL
#define V1_TOK_A 0x4951d561U
#define V1_TOK_B 0xdde61a3eU
#define V0_KEY_A 0x9c9eabd1e46a33b2ULL
#define V0_KEY_B 0x967d2770b6960552ULL
#define V0_TOK_A 0xaf9706ebU
#define V0_TOK_B 0xe47f0142U

#define PREFIX "mpn-test:"
#define PASSWORD "i19-test-pw"

static char dir[64];
static char sock[96];
static pid_t redis_pid = -1;
static struct mpn_cluster *cl;

/* --- processes --- */

static void
msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Poll @p cond up to @p ms milliseconds; true once it holds. */
#define WAIT_FOR(cond, ms) ({ \
	unsigned int w_ = 0; \
	while (!(cond) && w_ < (ms)) { \
		msleep(10); \
		w_ += 10; \
	} \
	(cond); \
})

static bool
socket_accepts(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ok;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void
redis_start(void)
{
	char logf[160];

	snprintf(logf, sizeof(logf), "%s/redis.log", dir);
	unlink(sock);
	redis_pid = fork();
	assert_true(redis_pid >= 0);
	if (redis_pid == 0) {
		/* The ACL user doc/cluster.md recommends: it can do nothing else. */
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock,
			"--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", dir,
			"--daemonize", "no", "--logfile", logf,
			"--user", "mpnorm", "on", ">" PASSWORD, "resetkeys", "~" PREFIX "*",
			"resetchannels", "-@all", "+set", "+getrange", "+del", "+ping", (char *)NULL);
		_exit(127);
	}
	if (!WAIT_FOR(socket_accepts(sock), 10000))
		fail_msg("redis-server did not open %s (see %s)", sock, logf);
}

static void
redis_stop(void)
{
	int st;

	if (redis_pid <= 0)
		return;
	kill(redis_pid, SIGCONT);
	kill(redis_pid, SIGTERM);
	waitpid(redis_pid, &st, 0);
	redis_pid = -1;
}

/*
 * Run redis-cli as the default user with @p argv (NULL-terminated), @p in on
 * its stdin when not NULL (-x takes the last argument from there). Its
 * output (first line, no newline) goes to @p out.
 */
static int
cli(const char *in, size_t in_len, char *out, size_t outlen, const char *const *argv)
{
	const char *args[16];
	int pin[2], pout[2], st;
	unsigned int n = 0, i;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	args[n++] = "redis-cli";
	args[n++] = "-s";
	args[n++] = sock;
	args[n++] = "--raw";
	if (in != NULL)
		args[n++] = "-x";
	for (i = 0; argv[i] != NULL && n < 15; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	assert_int_equal(pipe(pin), 0);
	assert_int_equal(pipe(pout), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[1]);
		close(pout[0]);
		execvp("redis-cli", (char *const *)args);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	if (in != NULL) {
		size_t off = 0;

		while (off < in_len) {
			r = write(pin[1], in + off, in_len - off);
			assert_true(r > 0);
			off += (size_t)r;
		}
	}
	close(pin[1]);
	while (got + 1 < outlen && (r = read(pout[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
	{
		char sink[4096];

		while (read(pout[0], sink, sizeof(sink)) > 0)
			;
	}
	close(pout[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define CLI(out, ...) cli(NULL, 0, out, sizeof(out), (const char *const[]){ __VA_ARGS__, NULL })

static bool
store_holds(const char *key, const char *want)
{
	char out[512];

	CLI(out, "GET", key);
	return strcmp(out, want) == 0;
}

/* --- the directory --- */

static struct mpn_config_cluster
config_for(const char *path, const char *password)
{
	struct mpn_config_cluster c;

	memset(&c, 0, sizeof(c));
	c.enabled = true;
	c.is_unix = true;
	snprintf(c.path, sizeof(c.path), "%s", path);
	snprintf(c.store, sizeof(c.store), "%s", path);
	if (password != NULL) {
		snprintf(c.user, sizeof(c.user), "mpnorm");
		snprintf(c.password, sizeof(c.password), "%s", password);
	}
	snprintf(c.node, sizeof(c.node), "test-a");
	snprintf(c.prefix, sizeof(c.prefix), PREFIX);
	c.ttl = 60;
	c.fetch_timeout = 300;
	c.unreachable = MPN_CLUSTER_UNREACHABLE_VERIFY;
	c.request_ring = 64;
	c.answer_ring = 64;
	return c;
}

static struct mpn_cluster_stats
stats(struct mpn_cluster *d)
{
	struct mpn_cluster_stats s;

	mpn_cluster_get_stats(d, &s);
	return s;
}

#define STAT(d, field) (stats(d).field)

static struct mpn_cluster_record
v1_record(void)
{
	struct mpn_cluster_record r;

	memset(&r, 0, sizeof(r));
	r.version = 1;
	r.key_a = V1_KEY_A;
	r.key_b = V1_KEY_B;
	r.token_a = V1_TOK_A;
	r.token_b = V1_TOK_B;
	r.flags_a = 0x81;
	r.flags_b = 0x01;
	r.decision = MPN_DECISION_ALLOW;
	return r;
}

static struct mpn_cluster_record
v0_record(void)
{
	struct mpn_cluster_record r;

	memset(&r, 0, sizeof(r));
	r.version = 0;
	r.key_a = V0_KEY_A;
	r.key_b = V0_KEY_B;
	r.token_a = V0_TOK_A;
	r.token_b = V0_TOK_B;
	r.decision = MPN_DECISION_BYPASS;
	return r;
}

/* Fetch @p token as @p worker and wait (bounded) for its one answer. */
static struct mpn_cluster_answer
fetch_wait(struct mpn_cluster *d, unsigned int worker, uint32_t token, uint64_t cookie)
{
	struct mpn_cluster_answer a;
	unsigned int waited = 0;

	memset(&a, 0, sizeof(a));
	assert_int_equal(mpn_cluster_fetch(d, worker, token, cookie), 0);
	while (mpn_cluster_poll_answers(d, worker, &a, 1) == 0) {
		if (waited > 10000)
			fail_msg("no answer to the fetch of %08x within 10 s", token);
		msleep(2);
		waited += 2;
	}
	assert_int_equal(a.token, token);
	assert_int_equal(a.cookie, cookie);
	return a;
}

static bool
connected(struct mpn_cluster *d)
{
	return mpn_cluster_get_state(d) == MPN_CLUSTER_CONNECTED;
}

/* --- the group --- */

static int
group_setup(void **state)
{
	char err[256];
	struct mpn_config_cluster c;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mpn-i19-cluster.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	redis_start();
	c = config_for(sock, PASSWORD);
	cl = mpn_cluster_create(&c, 2, err, sizeof(err));
	explicit_bzero(&c, sizeof(c));
	if (cl == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[160];

	(void)state;
	mpn_cluster_destroy(cl);
	redis_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

static void
test_connects_with_acl_user(void **state)
{
	(void)state;
	assert_true(WAIT_FOR(connected(cl), 10000));
	assert_int_equal(STAT(cl, connects), 1);
	assert_int_equal(STAT(cl, err_auth), 0);
	assert_int_equal(mpn_cluster_connect_count(cl), 1);
}

static void
test_publish_then_fetch_hit(void **state)
{
	struct mpn_cluster_record r = v1_record();
	struct mpn_cluster_answer a;
	char want[300], out[64];
	long ttl;

	(void)state;
	mpn_cluster_publish(cl, 0, &r);
	/* The store holds the record, under both tokens, as the documented text. */
	assert_true(WAIT_FOR(STAT(cl, published) == 1, 5000));
	snprintf(want, sizeof(want), "mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 "
		"kb=ac88245795309269 fa=81 fb=01 d=allow n=test-a t=");
	{
		char got[512];

		assert_true(WAIT_FOR((CLI(got, "GET", PREFIX "t:4951d561"),
			strncmp(got, want, strlen(want)) == 0), 5000));
		assert_true(store_holds(PREFIX "t:dde61a3e", got));
	}
	CLI(out, "TTL", PREFIX "t:dde61a3e");
	ttl = strtol(out, NULL, 10);
	assert_true(ttl > 0 && ttl <= 60);

	/* Another worker, the other token: found, with the keys. */
	a = fetch_wait(cl, 1, V1_TOK_B, 77);
	assert_int_equal(a.status, MPN_CLUSTER_FOUND);
	assert_int_equal(a.rec.key_a, V1_KEY_A);
	assert_int_equal(a.rec.key_b, V1_KEY_B);
	assert_int_equal(a.rec.token_a, V1_TOK_A);
	assert_int_equal(a.rec.token_b, V1_TOK_B);
	assert_int_equal(a.rec.version, 1);
	assert_int_equal(a.rec.flags_a, 0x81);
	assert_int_equal(a.rec.decision, MPN_DECISION_ALLOW);
	assert_string_equal(a.rec.node, "test-a");
	assert_true(a.rec.time > 1700000000);
	a = fetch_wait(cl, 0, V1_TOK_A, 78);
	assert_int_equal(a.status, MPN_CLUSTER_FOUND);
	assert_int_equal(STAT(cl, hits), 2);
	assert_int_equal(STAT(cl, fetched), 2);
}

static void
test_fetch_miss(void **state)
{
	struct mpn_cluster_answer a;
	uint64_t m = STAT(cl, misses);

	(void)state;
	a = fetch_wait(cl, 0, 0x01020304, 5);
	assert_int_equal(a.status, MPN_CLUSTER_NOT_FOUND);
	assert_int_equal(a.rec.key_a, 0);
	assert_int_equal(STAT(cl, misses), m + 1);
}

static void
test_ttl_expiry(void **state)
{
	struct mpn_config_cluster c = config_for(sock, PASSWORD);
	struct mpn_cluster_record r = v0_record();
	struct mpn_cluster_answer a;
	char msg[128], out[300];

	(void)state;
	c.ttl = 1;
	assert_int_equal(mpn_cluster_reconfigure(cl, &c, msg, sizeof(msg)), 0);
	assert_true(WAIT_FOR(mpn_cluster_reconfigured(cl), 5000));
	mpn_cluster_publish(cl, 1, &r);
	assert_true(WAIT_FOR((CLI(out, "GET", PREFIX "t:e47f0142"), out[0] != '\0'), 5000));
	a = fetch_wait(cl, 0, V0_TOK_B, 9);
	assert_int_equal(a.status, MPN_CLUSTER_FOUND);
	assert_int_equal(a.rec.decision, MPN_DECISION_BYPASS);
	assert_int_equal(a.rec.version, 0);
	/* Redis expires it; the directory then finds nothing. */
	assert_true(WAIT_FOR((CLI(out, "EXISTS", PREFIX "t:e47f0142", PREFIX "t:af9706eb"),
		strcmp(out, "0") == 0), 10000));
	a = fetch_wait(cl, 0, V0_TOK_A, 10);
	assert_int_equal(a.status, MPN_CLUSTER_NOT_FOUND);
	c.ttl = 60;
	assert_int_equal(mpn_cluster_reconfigure(cl, &c, msg, sizeof(msg)), 0);
	assert_true(WAIT_FOR(mpn_cluster_reconfigured(cl), 5000));
	/* Same store, same credentials: no reconnect. */
	assert_int_equal(STAT(cl, connects), 1);
	assert_true(connected(cl));
	explicit_bzero(&c, sizeof(c));
}

static void
test_unpublish(void **state)
{
	struct mpn_cluster_answer a;
	char out[64];

	(void)state;
	mpn_cluster_unpublish(cl, 1, V1_TOK_A, V1_TOK_B);
	assert_true(WAIT_FOR((CLI(out, "EXISTS", PREFIX "t:4951d561", PREFIX "t:dde61a3e"),
		strcmp(out, "0") == 0), 5000));
	a = fetch_wait(cl, 0, V1_TOK_A, 11);
	assert_int_equal(a.status, MPN_CLUSTER_NOT_FOUND);
	assert_int_equal(STAT(cl, unpublished), 1);
}

/* Records an operator or an attacker wrote straight into the store. */
static void
test_bad_records_refused(void **state)
{
	static const char v1_text[] = "mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 "
		"kb=ac88245795309269 fa=81 fb=01 d=allow n=mpnorm-a t=1718000000";
	struct mpn_cluster_stats before = stats(cl), after;
	struct mpn_cluster_answer a;
	char out[64], *big;
	size_t big_len = 4u << 20;

	(void)state;
	assert_int_equal(CLI(out, "SET", PREFIX "t:11111111", "not a record"), 0);
	a = fetch_wait(cl, 0, 0x11111111, 1);
	assert_int_equal(a.status, MPN_CLUSTER_REFUSED_MALFORMED);

	/* 4 MB under a token: GETRANGE reads 257 bytes of it, and it is refused. */
	big = malloc(big_len);
	assert_non_null(big);
	memset(big, 'x', big_len);
	memcpy(big, v1_text, strlen(v1_text));
	assert_int_equal(cli(big, big_len, out, sizeof(out),
		(const char *const[]){ "SET", PREFIX "t:4951d561", NULL }), 0);
	free(big);
	a = fetch_wait(cl, 1, V1_TOK_A, 2);
	assert_int_equal(a.status, MPN_CLUSTER_REFUSED_MALFORMED);

	/* Wrong types: a hash and a list. */
	assert_int_equal(CLI(out, "HSET", PREFIX "t:33333333", "ka", "d1ead00377b55779"), 0);
	assert_int_equal(CLI(out, "RPUSH", PREFIX "t:33333334", "x"), 0);
	a = fetch_wait(cl, 0, 0x33333333, 3);
	assert_int_equal(a.status, MPN_CLUSTER_REFUSED_MALFORMED);
	a = fetch_wait(cl, 0, 0x33333334, 4);
	assert_int_equal(a.status, MPN_CLUSTER_REFUSED_MALFORMED);

	/* A genuine record copied under another token. */
	assert_int_equal(CLI(out, "SET", PREFIX "t:44444444", v1_text), 0);
	a = fetch_wait(cl, 0, 0x44444444, 5);
	assert_int_equal(a.status, MPN_CLUSTER_REFUSED_MALFORMED);
	/* Keys changed (an attacker's keys) under the genuine tokens. */
	assert_int_equal(CLI(out, "SET", PREFIX "t:dde61a3e", "mpn1 v=1 ta=4951d561 tb=dde61a3e "
		"ka=0000000000000001 kb=ac88245795309269 fa=81 fb=01 d=allow n=evil t=1"), 0);
	a = fetch_wait(cl, 1, V1_TOK_B, 6);
	assert_int_equal(a.status, MPN_CLUSTER_REFUSED_MALFORMED);

	after = stats(cl);
	assert_int_equal(after.err_malformed, before.err_malformed + 1);
	assert_int_equal(after.err_oversized, before.err_oversized + 1);
	assert_int_equal(after.err_wrong_type, before.err_wrong_type + 2);
	assert_int_equal(after.err_token_mismatch, before.err_token_mismatch + 2);
	assert_int_equal(after.hits, before.hits);
	/* None of it is the store's fault: the connection stays. */
	assert_int_equal(after.disconnects, 0);
	assert_int_equal(after.err_protocol, 0);
	assert_true(connected(cl));
}

/*
 * Rings: a worker that floods loses requests, a worker that does not poll
 * loses answers; both are counted exactly, and every request is accounted
 * for: accepted = answers delivered + answers lost.
 */
static bool
all_accounted(const struct mpn_cluster_stats *before, unsigned int accepted)
{
	struct mpn_cluster_stats now = stats(cl);

	/* Each accepted fetch is answered once (a miss here), delivered or lost. */
	return now.misses - before->misses == accepted;
}

static void
test_rings_full_counted(void **state)
{
	struct mpn_cluster_stats before = stats(cl), after;
	struct mpn_cluster_answer a[64];
	unsigned int i, wave, accepted = 0, refused = 0, got = 0, n;
	uint32_t tok = 0x55000000;
	int rc;

	(void)state;
	/* Flood until the request ring refuses (the directory cannot keep pace with a loop). */
	for (i = 0; i < 1000000 && refused == 0; i++) {
		rc = mpn_cluster_fetch(cl, 0, tok++, i);
		if (rc == 0)
			accepted++;
		else if (rc == -ENOBUFS)
			refused++;
		else
			fail_msg("fetch returned %d", rc);
	}
	assert_true(refused > 0);
	if (!WAIT_FOR(all_accounted(&before, accepted), 30000)) {
		after = stats(cl);
		fail_msg("accepted %u refused %u: misses %lu ans_full %lu fetched %lu timeout %lu "
			"disc %lu down %lu state %d", accepted, refused,
			after.misses - before.misses, after.answer_ring_full - before.answer_ring_full,
			after.fetched - before.fetched, after.err_timeout, after.err_disconnect,
			after.refused_down, after.state);
	}
	/* Nobody polls worker 0's answers: waves of 100 overflow its answer ring. */
	for (wave = 0; wave < 3; wave++) {
		for (i = 0; i < 100; i++) {
			rc = mpn_cluster_fetch(cl, 0, tok++, i);
			if (rc == 0)
				accepted++;
			else if (rc == -ENOBUFS)
				refused++;
			else
				fail_msg("fetch returned %d", rc);
		}
		if (!WAIT_FOR(all_accounted(&before, accepted), 30000)) {
			after = stats(cl);
			fail_msg("wave %u accepted %u refused %u: misses %lu ans_full %lu fetched %lu "
				"timeout %lu disc %lu down %lu state %d inflight %lu", wave, accepted,
				refused, after.misses - before.misses,
				after.answer_ring_full - before.answer_ring_full,
				after.fetched - before.fetched, after.err_timeout, after.err_disconnect,
				after.refused_down, after.state, after.inflight);
		}
	}
	while ((n = mpn_cluster_poll_answers(cl, 0, a, 64)) > 0)
		got += n;
	after = stats(cl);
	assert_int_equal(after.request_ring_full - before.request_ring_full, refused);
	assert_int_equal(got + (after.answer_ring_full - before.answer_ring_full), accepted);
	assert_true(after.answer_ring_full > before.answer_ring_full);
	assert_true(got > 0);
	assert_true(connected(cl));
}

/* The store frozen (SIGSTOP): fetches time out, nothing blocks, then it recovers. */
static void
test_store_frozen_times_out(void **state)
{
	struct mpn_cluster_stats before = stats(cl), after;
	struct mpn_cluster_record r = v1_record();
	struct mpn_cluster_answer a;

	(void)state;
	assert_true(connected(cl));
	assert_int_equal(kill(redis_pid, SIGSTOP), 0);
	/* These return at once: the test would hang here otherwise. */
	mpn_cluster_publish(cl, 0, &r);
	a = fetch_wait(cl, 1, V1_TOK_A, 42);
	assert_int_equal(a.status, MPN_CLUSTER_STORE_ERROR);
	after = stats(cl);
	assert_true(after.err_timeout >= before.err_timeout + 1);
	assert_true(after.disconnects >= before.disconnects + 1);
	/* Reconnects to a frozen store fail on the handshake deadline, counted. */
	assert_true(WAIT_FOR(STAT(cl, connect_failures) > before.connect_failures, 10000));
	assert_int_equal(mpn_cluster_fetch(cl, 1, V1_TOK_A, 43), -ENOTCONN);
	assert_int_equal(kill(redis_pid, SIGCONT), 0);
	assert_true(WAIT_FOR(connected(cl), 15000));
	assert_true(STAT(cl, connects) >= before.connects + 1);
}

/* The store stopped, then started again (empty): refused at once, then reconnected. */
static void
test_store_stopped_and_restarted(void **state)
{
	struct mpn_cluster_stats before = stats(cl);
	struct mpn_cluster_record r = v1_record();
	struct mpn_cluster_answer a;
	uint64_t cc = mpn_cluster_connect_count(cl);

	(void)state;
	redis_stop();
	assert_true(WAIT_FOR(!connected(cl), 10000));
	assert_int_equal(mpn_cluster_fetch(cl, 0, V1_TOK_A, 1), -ENOTCONN);
	assert_int_equal(mpn_cluster_poll_answers(cl, 0, &a, 1), 0);
	/* What the worker then does is the knob's, counted by outcome. */
	assert_int_equal(mpn_cluster_unreachable_apply(cl, 0), MPN_CLUSTER_UNREACHABLE_VERIFY);
	assert_int_equal(STAT(cl, unreachable_verify), before.unreachable_verify + 1);
	mpn_cluster_publish(cl, 0, &r);
	assert_true(WAIT_FOR(STAT(cl, publish_lost) == before.publish_lost + 1, 5000));
	assert_true(STAT(cl, refused_down) >= before.refused_down + 1);

	redis_start();
	assert_true(WAIT_FOR(connected(cl), 15000));
	assert_true(mpn_cluster_connect_count(cl) > cc);
	/* The restarted store is empty: what was published is gone until republished. */
	a = fetch_wait(cl, 0, V1_TOK_A, 2);
	assert_int_equal(a.status, MPN_CLUSTER_NOT_FOUND);
	mpn_cluster_publish(cl, 0, &r);
	assert_true(WAIT_FOR(STAT(cl, published) == before.published + 1, 5000));
	{
		char out[300];

		assert_true(WAIT_FOR((CLI(out, "GET", PREFIX "t:dde61a3e"), out[0] != '\0'), 5000));
	}
	a = fetch_wait(cl, 1, V1_TOK_B, 3);
	assert_int_equal(a.status, MPN_CLUSTER_FOUND);
	assert_int_equal(a.rec.key_b, V1_KEY_B);
}

/* `show cluster` says what is going on and never shows the password. */
static void
test_render_no_secret(void **state)
{
	struct mpn_render *r = mpn_render_new(MPN_RENDER_JSON);
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(r);
	mpn_cluster_render(cl, r);
	assert_int_equal(mpn_render_finish(r, &out, &len), 0);
	assert_non_null(strstr(out, "\"state\": \"connected\""));
	assert_non_null(strstr(out, "\"user\": \"mpnorm\""));
	assert_non_null(strstr(out, "\"auth\": true"));
	assert_non_null(strstr(out, "\"hits\": "));
	assert_non_null(strstr(out, "\"le_us\": \"50\""));
	assert_null(strstr(out, PASSWORD));
	assert_null(strstr(out, "d1ead00377b55779"));
	free(out);
	r = mpn_render_new(MPN_RENDER_TEXT);
	mpn_cluster_render(NULL, r);
	assert_int_equal(mpn_render_finish(r, &out, &len), 0);
	assert_non_null(strstr(out, "disabled"));
	free(out);
}

/* A wrong password: refused, counted, never connected, password not in the error. */
static void
test_wrong_password(void **state)
{
	struct mpn_config_cluster c = config_for(sock, "not-the-password");
	struct mpn_render *r;
	struct mpn_cluster *d;
	char err[256], *out = NULL;
	size_t len;

	(void)state;
	c.unreachable = MPN_CLUSTER_UNREACHABLE_DROP;
	d = mpn_cluster_create(&c, 1, err, sizeof(err));
	assert_non_null(d);
	assert_true(WAIT_FOR(STAT(d, err_auth) >= 1, 10000));
	assert_false(connected(d));
	assert_int_equal(mpn_cluster_fetch(d, 0, V1_TOK_A, 1), -ENOTCONN);
	assert_int_equal(mpn_cluster_unreachable_apply(d, 0), MPN_CLUSTER_UNREACHABLE_DROP);
	assert_int_equal(STAT(d, unreachable_drop), 1);
	r = mpn_render_new(MPN_RENDER_JSON);
	mpn_cluster_render(d, r);
	mpn_render_finish(r, &out, &len);
	assert_non_null(strstr(out, "WRONGPASS"));
	assert_null(strstr(out, "not-the-password"));
	free(out);
	/* Fixed by a reload: the directory reconnects with the new credentials. */
	c = config_for(sock, PASSWORD);
	c.unreachable = MPN_CLUSTER_UNREACHABLE_ALLOW;
	assert_int_equal(mpn_cluster_reconfigure(d, &c, err, sizeof(err)), 0);
	assert_true(WAIT_FOR(connected(d), 15000));
	/* `unreachable` changes at once for the workers. */
	assert_int_equal(mpn_cluster_unreachable_apply(d, 0), MPN_CLUSTER_UNREACHABLE_ALLOW);
	assert_int_equal(STAT(d, unreachable_allow), 1);
	assert_int_equal(STAT(d, unreachable_drop), 1);
	mpn_cluster_destroy(d);
	explicit_bzero(&c, sizeof(c));
}

/* --- a store that misbehaves: a unix socket the test serves itself --- */

enum fake_mode {
	FAKE_SILENT,      /* accept, read, never answer */
	FAKE_HUGE_BULK,   /* PONG, then a 100 MB bulk header and 40 KB of it for GETRANGE */
	FAKE_HUGE_ARRAY,  /* PONG, then an array of a million elements */
	FAKE_INTEGER,     /* PONG, then an integer for GETRANGE: not a reply Redis sends */
	FAKE_GARBAGE,     /* PONG, then bytes that are not RESP */
	FAKE_UNASKED,     /* PONG, and a second reply nobody asked for */
};

struct fake {
	char path[96];
	int lfd;
	enum fake_mode mode;
	uint32_t stop;
	pthread_t th;
};

static void
fake_reply(int fd, enum fake_mode mode, bool ping)
{
	static char filler[40960];
	const char *s;

	if (ping) {
		s = mode == FAKE_UNASKED ? "+PONG\r\n+PONG\r\n" : "+PONG\r\n";
		if (write(fd, s, strlen(s)) < 0)
			return;
		return;
	}
	switch (mode) {
	case FAKE_HUGE_BULK:
		memset(filler, 'z', sizeof(filler));
		s = "$100000000\r\n";
		if (write(fd, s, strlen(s)) < 0 || write(fd, filler, sizeof(filler)) < 0)
			return;
		break;
	case FAKE_HUGE_ARRAY:
		s = "*1000000\r\n:1\r\n:2\r\n";
		if (write(fd, s, strlen(s)) < 0)
			return;
		break;
	case FAKE_INTEGER:
		if (write(fd, ":1\r\n", 4) < 0)
			return;
		break;
	case FAKE_GARBAGE:
		s = "hello, I am not redis\r\n";
		if (write(fd, s, strlen(s)) < 0)
			return;
		break;
	default:
		break;
	}
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	int cfd = -1;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p[2] = { { f->lfd, POLLIN, 0 }, { cfd, POLLIN, 0 } };
		char buf[4096];
		ssize_t n;

		if (poll(p, cfd >= 0 ? 2 : 1, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int nfd = accept(f->lfd, NULL, NULL);

			if (cfd >= 0)
				close(cfd);
			cfd = nfd;
			continue;
		}
		if (cfd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(cfd, buf, sizeof(buf) - 1);
			if (n <= 0) {
				close(cfd);
				cfd = -1;
				continue;
			}
			buf[n] = '\0';
			if (f->mode == FAKE_SILENT)
				continue;
			/* Commands arrive as RESP arrays: answer each one in order. */
			for (char *q = buf; (q = strstr(q, "\r\n$")) != NULL; q += 3) {
				if (strncmp(q, "\r\n$4\r\nPING\r\n", 12) == 0)
					fake_reply(cfd, f->mode, true);
				else if (strncmp(q, "\r\n$8\r\nGETRANGE\r\n", 16) == 0)
					fake_reply(cfd, f->mode, false);
			}
		}
	}
	if (cfd >= 0)
		close(cfd);
	return NULL;
}

static void
fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_un sa;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	snprintf(f->path, sizeof(f->path), "%s/fake%d.sock", dir, (int)mode);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	unlink(f->path);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void
fake_stop(struct fake *f)
{
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
}

/* A store that accepts the connection and never answers: never "connected". */
static void
test_store_never_answers(void **state)
{
	struct mpn_config_cluster c;
	struct mpn_cluster *d;
	struct fake f;
	char err[256];

	(void)state;
	fake_start(&f, FAKE_SILENT);
	c = config_for(f.path, NULL);
	c.fetch_timeout = 100;
	d = mpn_cluster_create(&c, 1, err, sizeof(err));
	assert_non_null(d);
	assert_true(WAIT_FOR(STAT(d, connect_failures) >= 2, 10000));
	assert_int_equal(STAT(d, connects), 0);
	assert_false(connected(d));
	assert_int_equal(mpn_cluster_fetch(d, 0, V1_TOK_A, 1), -ENOTCONN);
	assert_true(STAT(d, refused_down) == 1);
	mpn_cluster_destroy(d);
	fake_stop(&f);
}

/* Replies no Redis sends for the command: refused, counted, reconnect; the fetch fails. */
static void
run_bad_reply(enum fake_mode mode)
{
	struct mpn_config_cluster c;
	struct mpn_cluster_answer a;
	struct mpn_cluster *d;
	struct fake f;
	char err[256];

	fake_start(&f, mode);
	c = config_for(f.path, NULL);
	d = mpn_cluster_create(&c, 1, err, sizeof(err));
	assert_non_null(d);
	assert_true(WAIT_FOR(connected(d), 10000));
	a = fetch_wait(d, 0, V1_TOK_A, 99);
	assert_int_equal(a.status, MPN_CLUSTER_STORE_ERROR);
	assert_true(WAIT_FOR(STAT(d, err_protocol) >= 1, 5000));
	assert_true(STAT(d, disconnects) >= 1);
	assert_int_equal(STAT(d, hits), 0);
	mpn_cluster_destroy(d);
	fake_stop(&f);
}

static void
test_store_huge_bulk(void **state)
{
	(void)state;
	run_bad_reply(FAKE_HUGE_BULK);
}

static void
test_store_huge_array(void **state)
{
	(void)state;
	run_bad_reply(FAKE_HUGE_ARRAY);
}

static void
test_store_integer_reply(void **state)
{
	(void)state;
	run_bad_reply(FAKE_INTEGER);
}

static void
test_store_garbage(void **state)
{
	(void)state;
	run_bad_reply(FAKE_GARBAGE);
}

static void
test_store_unasked_reply(void **state)
{
	struct mpn_config_cluster c;
	struct mpn_cluster *d;
	struct fake f;
	char err[256];

	(void)state;
	fake_start(&f, FAKE_UNASKED);
	c = config_for(f.path, NULL);
	d = mpn_cluster_create(&c, 1, err, sizeof(err));
	assert_non_null(d);
	assert_true(WAIT_FOR(STAT(d, err_protocol) >= 1, 10000));
	mpn_cluster_destroy(d);
	fake_stop(&f);
}

static bool
have(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connects_with_acl_user),
		cmocka_unit_test(test_publish_then_fetch_hit),
		cmocka_unit_test(test_fetch_miss),
		cmocka_unit_test(test_ttl_expiry),
		cmocka_unit_test(test_unpublish),
		cmocka_unit_test(test_bad_records_refused),
		cmocka_unit_test(test_rings_full_counted),
		cmocka_unit_test(test_render_no_secret),
		cmocka_unit_test(test_store_frozen_times_out),
		cmocka_unit_test(test_store_stopped_and_restarted),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_store_never_answers),
		cmocka_unit_test(test_store_huge_bulk),
		cmocka_unit_test(test_store_huge_array),
		cmocka_unit_test(test_store_integer_reply),
		cmocka_unit_test(test_store_garbage),
		cmocka_unit_test(test_store_unasked_reply),
	};

	if (!have("redis-server") || !have("redis-cli")) {
		printf("SKIP: redis-server or redis-cli not installed (scripts/install-deps.sh "
			"installs redis-server and redis-tools)\n");
		return 77;
	}
	/* A store that closes on us must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
