/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The token table under concurrency (issue 20): threads racing to publish
 * the same connection, failed publications and RCU grace periods, an
 * offline control reader, and a stress run of publications, joins,
 * releases and scans.
 *
 * rte_hash_add_key_data is wrapped at link time (-Wl,--wrap) so a test
 * can make an insert fail, or hold an insert until a second one starts:
 * the race window then opens every time instead of once in a while.
 * Without the create lock two publishers of one connection both create a
 * record here, every round.
 *
 * Threads that insert into the hash need an lcore id (rte_hash's
 * per-lcore slot cache): they call rte_thread_register().
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_lcore.h>

#include "conn.h"
#include "mptcp_crypto.h"

/* --- the wrapped insert ------------------------------------------------- */

int __real_rte_hash_add_key_data(const struct rte_hash *h, const void *key, void *data);
int __wrap_rte_hash_add_key_data(const struct rte_hash *h, const void *key, void *data);

static int fail_adds;        /* fail this many inserts with -ENOSPC */
static int rendezvous;       /* hold each insert until another one starts */
static int adds_started;     /* inserts that reached the wrapper this round */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
__wrap_rte_hash_add_key_data(const struct rte_hash *h, const void *key, void *data)
{
	int f = __atomic_load_n(&fail_adds, __ATOMIC_ACQUIRE);

	while (f > 0) {
		if (__atomic_compare_exchange_n(&fail_adds, &f, f - 1, false, __ATOMIC_ACQ_REL,
				__ATOMIC_ACQUIRE))
			return -ENOSPC;
	}
	if (__atomic_load_n(&rendezvous, __ATOMIC_ACQUIRE)) {
		double until = now_s() + 0.05;

		/*
		 * Wait (bounded) for a second insert to begin. With the create
		 * lock it never does in the same round: another creator is
		 * blocked on the lock until this one is done.
		 */
		__atomic_add_fetch(&adds_started, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&adds_started, __ATOMIC_ACQUIRE) < 2 && now_s() < until)
			sched_yield();
	}
	return __real_rte_hash_add_key_data(h, key, data);
}

/* --- helpers ------------------------------------------------------------ */

/* An observation's hold on a record: what mpn_conn_subflow_release() needs. */
struct hold {
	struct mpn_conn *c;
	int slot;
	uint16_t gen;
};

/* Publish (or attach to) the connection of keys @p ka, @p kb. @return c or NULL. */
static struct mpn_conn *
publish(struct mpn_conn_table *ct, uint64_t ka, uint64_t kb, struct hold *h, int *err)
{
	static const uint8_t a[4] = { 10, 0, 1, 1 }, b[4] = { 10, 0, 1, 2 };
	struct mpn_conn_init in;

	memset(&in, 0, sizeof(in));
	in.version = 1;
	in.flags_a = in.flags_b = 0x81;
	in.key_a = ka;
	in.key_b = kb;
	in.family = 4;
	in.src = a;
	in.dst = b;
	in.sport = 40000;
	in.dport = 5000;
	in.tcp_state = MPN_TCP_ESTABLISHED;
	h->c = mpn_conn_publish(ct, &in, &h->slot, &h->gen, err);
	return h->c;
}

static bool
drop(struct mpn_conn_table *ct, struct hold *h)
{
	bool last = mpn_conn_subflow_release(ct, h->c, h->slot, h->gen);

	h->c = NULL;
	return last;
}

static uint32_t
token(uint64_t key)
{
	uint32_t t;

	mpn_mptcp_key_token(1, key, &t, NULL);
	return t;
}

/*
 * Let every deferred record come back: 22.11's hash reclaims deleted
 * tokens only on later deletes, so create and release throwaway
 * connections, reporting quiescence for @p tid each time.
 */
static void
flush(struct mpn_conn_table *ct, unsigned int tid)
{
	unsigned int i;
	int err;

	for (i = 0; i < 8; i++) {
		struct hold h;

		publish(ct, 0xf1f1000000000000ull + i, 0xf2f2000000000000ull + i, &h, &err);
		mpn_conn_table_quiescent(ct, tid);
		if (h.c != NULL)
			drop(ct, &h);
		mpn_conn_table_quiescent(ct, tid);
	}
	mpn_conn_table_reclaim(ct);
}

/* --- racing creators ---------------------------------------------------- */

#define RACERS 4
#define RACE_ROUNDS 10

struct race {
	struct mpn_conn_table *ct;
	pthread_barrier_t start, done;
	unsigned int round;
	struct hold got[RACERS];
	int err[RACERS];
};

struct racer {
	struct race *r;
	unsigned int id;
};

static void *
racer_main(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;
	unsigned int round;

	assert_int_equal(rte_thread_register(), 0);
	mpn_conn_table_register(r->ct, me->id);
	for (round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&r->start);
		publish(r->ct, 0x1000 + round, 0x2000 + round, &r->got[me->id], &r->err[me->id]);
		pthread_barrier_wait(&r->done);
		/* The main thread checks, then lets the next round start. */
		pthread_barrier_wait(&r->done);
		mpn_conn_table_quiescent(r->ct, me->id);
	}
	mpn_conn_table_unregister(r->ct, me->id);
	rte_thread_unregister();
	return NULL;
}

/*
 * Four workers publish the same connection at the same instant (one
 * handshake seen at four observation points): exactly one creates the
 * record and the others attach to it, both tokens lead to that record,
 * and after the releases every record returns to the pool.
 */
static void
test_create_race_same_tokens(void **state)
{
	static struct race r;
	struct racer rs[RACERS];
	pthread_t th[RACERS];
	unsigned int i, round, created, attached;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.ct = mpn_conn_table_create("ct_race", 64, RACERS + 1, SOCKET_ID_ANY);
	assert_non_null(r.ct);
	assert_int_equal(mpn_conn_table_register(r.ct, RACERS), 0);
	pthread_barrier_init(&r.start, NULL, RACERS + 1);
	pthread_barrier_init(&r.done, NULL, RACERS + 1);
	for (i = 0; i < RACERS; i++) {
		rs[i].r = &r;
		rs[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, racer_main, &rs[i]), 0);
	}
	__atomic_store_n(&rendezvous, 1, __ATOMIC_RELEASE);
	for (round = 0; round < RACE_ROUNDS; round++) {
		struct mpn_conn *w = NULL;
		unsigned int last = 0;

		__atomic_store_n(&adds_started, 0, __ATOMIC_RELEASE);
		pthread_barrier_wait(&r.start);
		pthread_barrier_wait(&r.done);
		created = attached = 0;
		for (i = 0; i < RACERS; i++) {
			assert_non_null(r.got[i].c);
			if (r.err[i] == 0) {
				created++;
				w = r.got[i].c;
			} else if (r.err[i] == 1) {
				attached++;
			}
		}
		assert_int_equal(created, 1);
		assert_int_equal(attached, RACERS - 1);
		for (i = 0; i < RACERS; i++)
			assert_ptr_equal(r.got[i].c, w);
		assert_ptr_equal(mpn_conn_lookup(r.ct, token(0x1000 + round)), w);
		assert_ptr_equal(mpn_conn_lookup(r.ct, token(0x2000 + round)), w);
		assert_int_equal(mpn_conn_table_count(r.ct), 1);
		for (i = 0; i < RACERS; i++)
			last += drop(r.ct, &r.got[i]);
		assert_int_equal(last, 1);
		assert_null(mpn_conn_lookup(r.ct, token(0x1000 + round)));
		pthread_barrier_wait(&r.done);
	}
	__atomic_store_n(&rendezvous, 0, __ATOMIC_RELEASE);
	for (i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	/* Nothing leaked: all but the last throwaway record are back. */
	flush(r.ct, RACERS);
	assert_int_equal(mpn_conn_table_count(r.ct), 0);
	assert_true(mpn_conn_table_pool_free(r.ct) >= 64 - 1);
	mpn_conn_table_unregister(r.ct, RACERS);
	mpn_conn_table_free(r.ct);
	pthread_barrier_destroy(&r.start);
	pthread_barrier_destroy(&r.done);
}

/* --- failed publications and grace periods ------------------------------ */

/*
 * A publication that took a record and could not insert its tokens must
 * not put it back while a reader (the control thread scanning the pool)
 * may be on it: the record waits for a grace period.
 */
static void
test_failed_create_waits_for_grace(void **state)
{
	struct mpn_conn_table *ct;
	struct hold h;
	int err;

	(void)state;
	ct = mpn_conn_table_create("ct_fail", 8, 2, SOCKET_ID_ANY);
	assert_non_null(ct);
	assert_int_equal(mpn_conn_table_register(ct, 0), 0);   /* this thread: a worker */
	assert_int_equal(mpn_conn_table_register(ct, 1), 0);   /* a reader mid-scan */
	__atomic_store_n(&fail_adds, 2, __ATOMIC_RELEASE);     /* both tokens refused */
	assert_null(publish(ct, 0xaaaa, 0xbbbb, &h, &err));
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(__atomic_load_n(&fail_adds, __ATOMIC_ACQUIRE), 0);
	/* Taken from the pool, not live, not back: deferred. */
	assert_int_equal(mpn_conn_table_pool_free(ct), 7);
	assert_int_equal(mpn_conn_table_count(ct), 0);
	assert_int_equal(mpn_conn_table_deferred(ct), 1);
	assert_null(mpn_conn_lookup(ct, token(0xaaaa)));
	/* This thread reports, the scanning reader has not: still held. */
	mpn_conn_table_quiescent(ct, 0);
	assert_int_equal(mpn_conn_table_reclaim(ct), 0);
	assert_int_equal(mpn_conn_table_pool_free(ct), 7);
	/* The scan ends (the reader goes offline): the record comes back. */
	mpn_conn_table_offline(ct, 1);
	assert_int_equal(mpn_conn_table_reclaim(ct), 1);
	assert_int_equal(mpn_conn_table_pool_free(ct), 8);
	assert_int_equal(mpn_conn_table_deferred(ct), 0);
	/* And the table works as before. */
	assert_non_null(publish(ct, 0xaaaa, 0xbbbb, &h, &err));
	assert_int_equal(err, 0);
	assert_ptr_equal(mpn_conn_lookup(ct, token(0xbbbb)), h.c);
	assert_true(drop(ct, &h));
	mpn_conn_table_unregister(ct, 1);
	mpn_conn_table_unregister(ct, 0);
	mpn_conn_table_free(ct);
}

/* --- the control thread: offline while it waits ------------------------- */

struct waiter {
	int fd;
};

/* The main lcore's loop, reduced to its wait: blocked in poll(). */
static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct pollfd p = { w->fd, POLLIN, 0 };

	poll(&p, 1, -1);
	return NULL;
}

/*
 * A reader blocked in poll() must be offline, or no grace period ends
 * while it waits and released records pile up; offline, they come back
 * without it ever reporting. Both cases are shown.
 */
static void
test_offline_reader_does_not_hold_reclaim(void **state)
{
	struct mpn_conn_table *ct;
	struct waiter w;
	pthread_t th;
	int pfd[2];
	unsigned int i;
	int err;

	(void)state;
	ct = mpn_conn_table_create("ct_off", 32, 2, SOCKET_ID_ANY);
	assert_non_null(ct);
	assert_int_equal(mpn_conn_table_register(ct, 0), 0);   /* worker */
	assert_int_equal(mpn_conn_table_register(ct, 1), 0);   /* control */
	assert_int_equal(mpn_conn_table_reader_online(ct, 1), 1);
	assert_int_equal(mpn_conn_table_reader_online(ct, 9), -EINVAL);

	/* Online and silent: nothing deleted after this point comes back. */
	for (i = 0; i < 16; i++) {
		struct hold h;

		assert_non_null(publish(ct, 0x100 + i, 0x200 + i, &h, &err));
		drop(ct, &h);
		mpn_conn_table_quiescent(ct, 0);
	}
	flush(ct, 0);
	assert_true(mpn_conn_table_deferred(ct) >= 16);

	/* As tracking.c does at start-up: offline, then wait for commands. */
	mpn_conn_table_offline(ct, 1);
	assert_int_equal(mpn_conn_table_reader_online(ct, 1), 0);
	assert_int_equal(pipe(pfd), 0);
	w.fd = pfd[0];
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	for (i = 0; i < 16; i++) {
		struct hold h;

		assert_non_null(publish(ct, 0x300 + i, 0x400 + i, &h, &err));
		drop(ct, &h);
		mpn_conn_table_quiescent(ct, 0);
	}
	flush(ct, 0);
	/* Everything came back but the last throwaway record. */
	assert_true(mpn_conn_table_deferred(ct) <= 1);
	assert_true(mpn_conn_table_pool_free(ct) >= 32 - 1);
	assert_int_equal(write(pfd[1], "x", 1), 1);
	pthread_join(th, NULL);
	close(pfd[0]);
	close(pfd[1]);
	mpn_conn_table_unregister(ct, 1);
	mpn_conn_table_unregister(ct, 0);
	mpn_conn_table_free(ct);
}

/* --- stress: publications, joins, releases and scans at once ------------ */

#define WORKERS 2
#define STRESS_ITERS 20000
#define KEYS 16
#define POOL 1024

struct stress {
	struct mpn_conn_table *ct;
	FILE *sink;                 /* where the control thread renders */
	int workers_left;
	uint64_t created, attached, enospc, released, joined, scans, listed, bad;
};

struct stress_worker {
	struct stress *s;
	unsigned int id;
};

static void *
stress_worker_main(void *arg)
{
	static const struct mpn_conn_limits lim = { MPN_CONN_MAX_ACTIVE, MPN_CONN_MAX_PENDING };
	struct stress_worker *me = arg;
	struct stress *s = me->s;
	struct hold own = { NULL, -1, 0 }, joined = { NULL, -1, 0 };
	unsigned int i, seed = 12345 + me->id;
	int err;

	assert_int_equal(rte_thread_register(), 0);
	mpn_conn_table_register(s->ct, me->id);
	for (i = 0; i < STRESS_ITERS; i++) {
		unsigned int k = (unsigned int)rand_r(&seed) % KEYS;

		if (own.c == NULL) {
			/*
			 * Every worker draws from the same keys: the same
			 * handshake seen by several workers at once, constantly.
			 */
			if (publish(s->ct, 0x5000 + k, 0x6000 + k, &own, &err) != NULL)
				__atomic_add_fetch(err == 0 ? &s->created : &s->attached, 1,
					__ATOMIC_RELAXED);
			else
				__atomic_add_fetch(&s->enospc, 1, __ATOMIC_RELAXED);
		} else if (rand_r(&seed) % 64 == 0) {
			drop(s->ct, &own);
			__atomic_add_fetch(&s->released, 1, __ATOMIC_RELAXED);
		}
		if (joined.c == NULL) {
			/* Join whatever connection holds token(key k), as a join SYN would. */
			struct mpn_conn *c = mpn_conn_lookup(s->ct, token(0x6000 + k));

			if (c != NULL) {
				if (c->token_b != token(0x6000 + k) && c->token_a != token(0x6000 + k))
					__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
				joined.slot = mpn_conn_join_claim(c, &lim, false, false, 4,
					(const uint8_t *)"\x0a\x00\x02\x01",
					(const uint8_t *)"\x0a\x00\x02\x02", (uint16_t)(30000 + i), 5000,
					i, &joined.gen);
				if (joined.slot >= 0) {
					joined.c = c;
					__atomic_add_fetch(&s->joined, 1, __ATOMIC_RELAXED);
				}
			}
		} else if (rand_r(&seed) % 16 == 0) {
			drop(s->ct, &joined);
		}
		/* Between bursts: no record held but through references. */
		mpn_conn_table_quiescent(s->ct, me->id);
	}
	if (joined.c != NULL)
		drop(s->ct, &joined);
	if (own.c != NULL) {
		drop(s->ct, &own);
		__atomic_add_fetch(&s->released, 1, __ATOMIC_RELAXED);
	}
	mpn_conn_table_unregister(s->ct, me->id);
	__atomic_sub_fetch(&s->workers_left, 1, __ATOMIC_RELEASE);
	rte_thread_unregister();
	return NULL;
}

/* `show connections` as the control thread renders it, with checks. */
static void
scan_cb(const struct mpn_conn *c, void *arg)
{
	struct stress *s = arg;
	struct mpn_json j;

	/* A listed record is complete: its tokens are its keys' tokens. */
	if (c->token_a != token(c->key_a) || c->token_b != token(c->key_b) ||
			c->key_a < 0x5000 || c->key_a >= 0x5000 + KEYS)
		__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
	mpn_json_init(&j, s->sink);
	mpn_conn_json(c, &j, NULL, NULL);
	s->listed++;
}

static void *
stress_control_main(void *arg)
{
	struct stress *s = arg;
	unsigned int tid = WORKERS;

	mpn_conn_table_register(s->ct, tid);
	mpn_conn_table_offline(s->ct, tid);
	while (__atomic_load_n(&s->workers_left, __ATOMIC_ACQUIRE) > 0) {
		mpn_conn_table_online(s->ct, tid);
		mpn_conn_table_foreach(s->ct, scan_cb, s);
		mpn_conn_table_offline(s->ct, tid);
		s->scans++;
	}
	mpn_conn_table_unregister(s->ct, tid);
	return NULL;
}

static void
test_stress_create_join_release_scan(void **state)
{
	static struct stress s;
	struct stress_worker ws[WORKERS];
	pthread_t th[WORKERS], ctl;
	unsigned int i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.ct = mpn_conn_table_create("ct_stress", POOL, WORKERS + 2, SOCKET_ID_ANY);
	assert_non_null(s.ct);
	s.workers_left = WORKERS;
	s.sink = fopen("/dev/null", "w");
	assert_non_null(s.sink);
	assert_int_equal(pthread_create(&ctl, NULL, stress_control_main, &s), 0);
	for (i = 0; i < WORKERS; i++) {
		ws[i].s = &s;
		ws[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, stress_worker_main, &ws[i]), 0);
	}
	for (i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	pthread_join(ctl, NULL);
	fclose(s.sink);
	print_message("created %" PRIu64 ", attached %" PRIu64 ", -ENOSPC %" PRIu64 ", joined %"
		PRIu64 ", scans %" PRIu64 " listing %" PRIu64 "\n", s.created, s.attached, s.enospc,
		s.joined, s.scans, s.listed);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.created + s.attached, s.released);
	/*
	 * Not vacuous: connections were made, shared and joined while the
	 * control thread scanned. (How many depends on scheduling: on two
	 * CPUs a reader preempted while online delays every grace period,
	 * and creates see an empty pool meanwhile, which is correct.)
	 */
	assert_true(s.created > 0 && s.attached > 0 && s.joined > 0 && s.scans > 0);
	/* Every connection gone, every record back (but the last throwaway one). */
	assert_int_equal(mpn_conn_table_register(s.ct, WORKERS + 1), 0);
	flush(s.ct, WORKERS + 1);
	assert_int_equal(mpn_conn_table_count(s.ct), 0);
	for (i = 0; i < KEYS; i++)
		assert_null(mpn_conn_lookup(s.ct, token(0x5000 + i)));
	assert_true(mpn_conn_table_pool_free(s.ct) >= POOL - 1);
	mpn_conn_table_unregister(s.ct, WORKERS + 1);
	mpn_conn_table_free(s.ct);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_race_same_tokens),
		cmocka_unit_test(test_failed_create_waits_for_grace),
		cmocka_unit_test(test_offline_reader_does_not_hold_reclaim),
		cmocka_unit_test(test_stress_create_join_release_scan),
	};
	int rc;

	(void)argc;
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
