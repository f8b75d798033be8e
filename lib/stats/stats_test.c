/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters written by one thread and read by another, as the workers and
 * the control lcore do: the reader sees the writer's progress (a plain
 * load in a loop may be read once and never again), never a value going
 * backwards, and the final values exactly. Run under ThreadSanitizer
 * (build-tsan) this is also the data-race check for the helpers.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "stats.h"

#define WRITES 2000000u

static struct mpn_worker_stats live;

static void *
writer(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < WRITES; i++) {
		mpn_stats_inc(&live.rx);
		mpn_stats_add(&live.port[3].rx, 2);
		if (i % 4 == 0)
			mpn_stats_drop(&live, MPN_REASON_TX_FULL);
	}
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The control lcore polling a counter: the loop has no call in it, so a
 * plain load would be read once and the loop would spin to its bound. The
 * bound is a count of iterations (tens of seconds of spinning), not a
 * time: the writer needs a few milliseconds.
 */
static void
test_reader_sees_progress(void **state)
{
	uint64_t spins;
	pthread_t th;

	(void)state;
	memset(&live, 0, sizeof(live));
	assert_int_equal(pthread_create(&th, NULL, writer, NULL), 0);
	for (spins = 0; mpn_stats_read(&live.rx) < WRITES && spins < 20000000000ull; spins++)
		;
	assert_true(spins < 20000000000ull);
	assert_int_equal(mpn_stats_read(&live.rx), WRITES);
	pthread_join(th, NULL);
}

/* Snapshots taken while the writer runs: every counter only grows. */
static void
test_snapshots_monotonic(void **state)
{
	struct mpn_worker_stats snap, prev;
	pthread_t th;
	double deadline;

	(void)state;
	memset(&live, 0, sizeof(live));
	memset(&prev, 0, sizeof(prev));
	assert_int_equal(pthread_create(&th, NULL, writer, NULL), 0);
	deadline = now_s() + 60.0;
	while (mpn_stats_read(&live.rx) < WRITES && now_s() < deadline) {
		mpn_stats_copy(&snap, &live);
		assert_true(snap.rx >= prev.rx);
		assert_true(snap.port[3].rx >= prev.port[3].rx);
		assert_true(snap.dropped >= prev.dropped);
		assert_true(snap.port[3].rx % 2 == 0);
		prev = snap;
	}
	assert_int_equal(mpn_stats_read(&live.rx), WRITES);
	pthread_join(th, NULL);
	assert_int_equal(live.port[3].rx, 2ull * WRITES);
	assert_int_equal(live.dropped, WRITES / 4);
	assert_int_equal(live.drops[MPN_REASON_TX_FULL], WRITES / 4);
}

static void
test_copy_and_sum(void **state)
{
	static struct mpn_worker_stats w[3], total, c;
	unsigned int i;

	(void)state;
	memset(w, 0, sizeof(w));
	for (i = 0; i < 3; i++) {
		mpn_stats_add(&w[i].rx, 10 + i);
		mpn_stats_add(&w[i].drops[MPN_REASON_TX_FULL], i);
		mpn_stats_add(&w[i].port[MPN_MAX_PORTS - 1].tx_dropped, 1);
		mpn_stats_add(&w[i].mptcp_options[15], 5);
	}
	mpn_stats_sum(w, 3, &total);
	assert_int_equal(total.rx, 33);
	assert_int_equal(total.drops[MPN_REASON_TX_FULL], 3);
	assert_int_equal(total.port[MPN_MAX_PORTS - 1].tx_dropped, 3);
	assert_int_equal(total.mptcp_options[15], 15);
	mpn_stats_copy(&c, &total);
	assert_memory_equal(&c, &total, sizeof(c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_sees_progress),
		cmocka_unit_test(test_snapshots_monotonic),
		cmocka_unit_test(test_copy_and_sum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
