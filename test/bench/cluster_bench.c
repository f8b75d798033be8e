/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cluster_bench: the token directory against a real store, measured as a
 * worker sees it (doc/cluster.md §9).
 *
 *   cluster_bench STORE [CONNECTIONS [FETCHES [CREDENTIALS]]]
 *
 * STORE is "unix:PATH" or "HOST:PORT". It prints:
 *  - publications per second: CONNECTIONS records (each written under both
 *    tokens) pushed through one worker's request ring as fast as the
 *    directory takes them, timed until the store acknowledged the last one;
 *  - fetch latency: FETCHES fetches of published tokens, one at a time, from
 *    mpn_cluster_fetch() to the answer in mpn_cluster_poll_answers() (ring,
 *    directory thread, store round trip, validation with SHA-256, ring):
 *    the delay a join's keys take to reach a worker. Median, p90, p99, max.
 * Every answer must be a hit, every record acknowledged: else it exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "flow.h"
#include "mptcp_crypto.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
rnd64(uint64_t *s)
{
	/* splitmix64: reproducible keys, no libc state. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct mpn_cluster_stats
stats(struct mpn_cluster *cl)
{
	struct mpn_cluster_stats s;

	mpn_cluster_get_stats(cl, &s);
	return s;
}

static int
parse_store(const char *s, struct mpn_config_cluster *c)
{
	const char *colon;

	if (strncmp(s, "unix:", 5) == 0) {
		c->is_unix = true;
		snprintf(c->path, sizeof(c->path), "%s", s + 5);
		return 0;
	}
	colon = strrchr(s, ':');
	if (colon == NULL || (size_t)(colon - s) >= sizeof(c->host))
		return -1;
	memcpy(c->host, s, (size_t)(colon - s));
	c->host[colon - s] = '\0';
	c->port = (unsigned int)atoi(colon + 1);
	return c->port == 0 ? -1 : 0;
}

static int
read_cred(const char *path, struct mpn_config_cluster *c)
{
	FILE *f = fopen(path, "r");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%128s %256s", c->user, c->password);
	fclose(f);
	if (n == 1) {
		snprintf(c->password, sizeof(c->password), "%s", c->user);
		c->user[0] = '\0';
	}
	return n >= 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct mpn_config_cluster c;
	struct mpn_cluster_record *recs;
	struct mpn_cluster_stats s0, s;
	struct mpn_cluster *cl;
	uint64_t *lat, seed = 19, t0, t1, deadline;
	unsigned int n_conn = argc > 2 ? (unsigned int)atoi(argv[2]) : 100000;
	unsigned int n_fetch = argc > 3 ? (unsigned int)atoi(argv[3]) : 20000;
	unsigned int i, sent, batch, bad = 0;
	char err[256];

	if (argc < 2 || n_conn == 0 || n_fetch == 0) {
		fprintf(stderr, "usage: %s unix:PATH|HOST:PORT [CONNECTIONS [FETCHES "
			"[CREDENTIALS]]]\n", argv[0]);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.enabled = true;
	if (parse_store(argv[1], &c) != 0 || (argc > 4 && read_cred(argv[4], &c) != 0)) {
		fprintf(stderr, "cluster_bench: bad store or credentials\n");
		return 2;
	}
	snprintf(c.store, sizeof(c.store), "%s", argv[1]);
	snprintf(c.node, sizeof(c.node), "bench");
	snprintf(c.prefix, sizeof(c.prefix), "mpnbench:");
	c.ttl = 600;
	c.fetch_timeout = 2000;
	c.request_ring = 4096;
	c.answer_ring = 4096;
	cl = mpn_cluster_create(&c, 1, err, sizeof(err));
	explicit_bzero(c.password, sizeof(c.password));
	if (cl == NULL) {
		fprintf(stderr, "cluster_bench: %s\n", err);
		return 1;
	}
	deadline = now_ns() + 10000000000ull;
	while (mpn_cluster_get_state(cl) != MPN_CLUSTER_CONNECTED && now_ns() < deadline)
		sched_yield();
	if (mpn_cluster_get_state(cl) != MPN_CLUSTER_CONNECTED) {
		fprintf(stderr, "cluster_bench: not connected to %s within 10 s\n", argv[1]);
		return 1;
	}

	/* Real v1 keys and their tokens (SHA-256, RFC 8684 §3.1), computed up front. */
	recs = calloc(n_conn, sizeof(*recs));
	lat = calloc(n_fetch, sizeof(*lat));
	if (recs == NULL || lat == NULL)
		return 1;
	for (i = 0; i < n_conn; i++) {
		recs[i].version = 1;
		recs[i].key_a = rnd64(&seed);
		recs[i].key_b = rnd64(&seed);
		mpn_mptcp_key_token(1, recs[i].key_a, &recs[i].token_a, NULL);
		mpn_mptcp_key_token(1, recs[i].key_b, &recs[i].token_b, NULL);
		recs[i].flags_a = 0x01;
		recs[i].flags_b = 0x01;
		recs[i].decision = MPN_DECISION_ALLOW;
	}

	/* Publications: keep the request ring half full, as a busy worker would. */
	s0 = stats(cl);
	t0 = now_ns();
	for (sent = 0; sent < n_conn; sent += batch) {
		batch = n_conn - sent < 2048 ? n_conn - sent : 2048;
		for (i = 0; i < batch; i++)
			mpn_cluster_publish(cl, 0, &recs[sent + i]);
		while (stats(cl).published - s0.published + stats(cl).publish_lost -
				s0.publish_lost < sent + batch)
			sched_yield();
	}
	deadline = now_ns() + 30000000000ull;
	while (stats(cl).inflight != 0 && now_ns() < deadline)
		sched_yield();
	t1 = now_ns();
	s = stats(cl);
	printf("store %s\n", argv[1]);
	printf("publish: %u connections (%u SETs) in %.3f s: %.0f publications/s "
		"(lost %" PRIu64 ", ring full %" PRIu64 ", errors %" PRIu64 ")\n", n_conn, 2 * n_conn,
		(double)(t1 - t0) / 1e9, n_conn / ((double)(t1 - t0) / 1e9),
		s.publish_lost - s0.publish_lost, s.request_ring_full - s0.request_ring_full,
		s.publish_errors - s0.publish_errors);
	if (s.publish_lost != s0.publish_lost || s.request_ring_full != s0.request_ring_full ||
			s.publish_errors != s0.publish_errors || s.inflight != 0)
		bad++;

	/* Fetch latency, one at a time, each token of a random published record. */
	for (i = 0; i < n_fetch; i++) {
		const struct mpn_cluster_record *r = &recs[rnd64(&seed) % n_conn];
		uint32_t tok = (i & 1) ? r->token_b : r->token_a;
		struct mpn_cluster_answer a;
		uint64_t t;

		t = now_ns();
		if (mpn_cluster_fetch(cl, 0, tok, i) != 0) {
			bad++;
			break;
		}
		while (mpn_cluster_poll_answers(cl, 0, &a, 1) == 0)
			sched_yield();
		lat[i] = now_ns() - t;
		if (a.status != MPN_CLUSTER_FOUND || a.cookie != i || a.rec.key_a != r->key_a)
			bad++;
	}
	qsort(lat, n_fetch, sizeof(lat[0]), cmp_u64);
	printf("fetch: %u fetches, latency median %.1f us, p90 %.1f us, p99 %.1f us, "
		"max %.1f us (hits %" PRIu64 ")\n", n_fetch, lat[n_fetch / 2] / 1e3,
		lat[n_fetch * 9 / 10] / 1e3, lat[n_fetch * 99 / 100] / 1e3, lat[n_fetch - 1] / 1e3,
		stats(cl).hits - s0.hits);
	mpn_cluster_destroy(cl);
	explicit_bzero(recs, sizeof(*recs) * n_conn);
	free(recs);
	free(lat);
	if (bad != 0) {
		fprintf(stderr, "cluster_bench: %u failures (misses, losses or errors)\n", bad);
		return 1;
	}
	return 0;
}
