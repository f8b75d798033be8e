/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flood benchmark (issue 15): legitimate MPTCP connections, each with a
 * join, kept while spoofed packets go through the same pipeline and the
 * same tables, under the shipped configuration (config/mpnorm.conf, its
 * tables group: 65536 subflows, 65536 connections, learn-limit 90).
 *
 * The flood is N spoofed packets (default 10M), from random addresses and
 * ports: one third bare ACKs with random sequence and ACK numbers, one
 * third SYNs, one third MP_JOIN SYNs with random tokens. They go through in
 * bursts of 32. One packet of each burst belongs to a legitimate session:
 *   SYN, SYN/ACK, third ACK (MP_CAPABLE, fresh keys), MP_JOIN SYN from a
 *   second address with the server's token, its SYN/ACK and third ACK
 *   with the right HMACs, one data segment on the join, then FINs on both
 *   subflows (a connection that closes, closes every subflow).
 * A session is kept when each of its packets was forwarded. Before the
 * flood, the same sessions run alone, as the baseline.
 *
 * Time is simulated: `now` advances 1 us per packet (a 1 Mpps flood),
 * so the tables' timeouts (embryonic and unconfirmed 30 s, closed 10 s)
 * act as they would at that rate. The tracker is swept after every burst,
 * as the offline mode does.
 *
 * Printed before, during (every tenth of the flood) and after: table
 * occupancy (subflow entries, connections), eviction and refusal
 * counters, the process RSS (/proc/self/statm) and rte_malloc's heap
 * (bytes allocated). It asserts nothing about time; it exits 1 only when
 * it cannot set up, or when the flood made it lose every session.
 *
 * Usage: flood_bench [FLOOD_PACKETS [CONFIG]]
 *   ./build/test/bench/flood_bench                 # 10M, config/mpnorm.conf
 *   ./build/test/bench/flood_bench 1000000         # a quicker run
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "config.h"
#include "conn.h"
#include "flow.h"
#include "mptcp_crypto.h"
#include "pipeline.h"

#ifndef MPN_SOURCE_ROOT
#define MPN_SOURCE_ROOT "."
#endif

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_ACK 0x10
#define TH_PSH 0x08

#define BURST 32
#define SLOT 256          /* bytes per frame slot */
#define SESSION_STEPS 13

/* xorshift64*: deterministic, fast. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* Ethernet + IPv4 + TCP with @p olen option bytes and @p plen payload; valid checksums. */
static uint32_t
build(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t flags,
	uint32_t seq, uint32_t ack, const uint8_t *opts, size_t olen, uint32_t plen)
{
	size_t ohl = (olen + 3) & ~(size_t)3;
	uint16_t tot = (uint16_t)(20 + 20 + ohl + plen);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	uint8_t *t = f + 34;

	memset(f, 0, 14 + tot);
	memset(f, 0x02, 12);
	f[12] = 0x08;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(tot);
	ip->time_to_live = 64;
	ip->next_proto_id = 6;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	put16(t, sp);
	put16(t + 2, dp);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)(((20 + ohl) / 4) << 4);
	t[13] = flags;
	put16(t + 14, 65535);
	if (olen > 0)
		memcpy(t + 20, opts, olen);
	memset(t + 20 + olen, 1, ohl - olen);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	put16(t + 16, 0);
	{
		uint16_t ck = rte_ipv4_udptcp_cksum(ip, t);

		memcpy(t + 16, &ck, 2);
	}
	return 14u + tot;
}

/* One spoofed packet: a bare ACK, a SYN or a join SYN with a random token. */
static uint32_t
spoofed(uint8_t *f, uint64_t i)
{
	uint64_t r = rnd(), r2 = rnd();
	uint32_t src = (uint32_t)r | 0x01000000u, dst = 0x0a090002u; /* to the server */
	uint16_t sp = (uint16_t)(r >> 32) | 1024, dp = (uint16_t)(443 + (r >> 48) % 4);
	uint8_t o[16];

	switch (i % 3) {
	case 0:
		return build(f, src, dst, sp, dp, TH_ACK, (uint32_t)r2, (uint32_t)(r2 >> 32), NULL,
			0, 0);
	case 1:
		o[0] = 2; o[1] = 4; put16(o + 2, 1460);
		o[4] = 30; o[5] = 4; o[6] = 0x01; o[7] = 0x81;
		return build(f, src, dst, sp, dp, TH_SYN, (uint32_t)r2, 0, o, 8, 0);
	default:
		o[0] = 30; o[1] = 12; o[2] = 0x10; o[3] = 0;
		put32(o + 4, (uint32_t)r2);
		put32(o + 8, (uint32_t)(r2 >> 32));
		return build(f, src, dst, sp, dp, TH_SYN, (uint32_t)(r2 >> 16), 0, o, 12, 0);
	}
}

/* A legitimate session, one packet at a time. */
struct session {
	uint64_t ka, kb;
	uint32_t cli, cli2, srv;
	uint16_t sp, sp2, dp;
	uint32_t ca, sa, ja, jb;   /* sequence numbers: client, server, join client, join server */
	uint32_t ra, rb;           /* join nonces */
	unsigned int step;
	bool ok;
};

static uint32_t sessions_started, sessions_kept, joins_kept;
static uint32_t session_seq;

static void
session_new(struct session *s)
{
	uint32_t n = session_seq++;

	memset(s, 0, sizeof(*s));
	s->ka = rnd();
	s->kb = rnd();
	s->cli = 0xac100000u | (n & 0xffff);        /* 172.16.0.0/16 */
	s->cli2 = 0xac110000u | (n & 0xffff);       /* 172.17.0.0/16 */
	s->srv = 0x0a090002u;
	s->sp = (uint16_t)(1024 + (n >> 16) * 2 + (n % 50000));
	s->sp2 = (uint16_t)(s->sp + 1);
	s->dp = 443;
	s->ca = (uint32_t)rnd();
	s->sa = (uint32_t)rnd();
	s->ja = (uint32_t)rnd();
	s->jb = (uint32_t)rnd();
	s->ra = (uint32_t)rnd();
	s->rb = (uint32_t)rnd();
	s->ok = true;
	sessions_started++;
}

/* The session's next packet. */
static uint32_t
session_pkt(struct session *s, uint8_t *f)
{
	uint8_t o[28], h[20];
	uint32_t tok;

	switch (s->step) {
	case 0:
		o[0] = 2; o[1] = 4; put16(o + 2, 1460);
		o[4] = 30; o[5] = 4; o[6] = 0x01; o[7] = 0x81;
		return build(f, s->cli, s->srv, s->sp, s->dp, TH_SYN, s->ca, 0, o, 8, 0);
	case 1:
		o[0] = 2; o[1] = 4; put16(o + 2, 1460);
		o[4] = 30; o[5] = 12; o[6] = 0x01; o[7] = 0x81;
		put64(o + 8, s->kb);
		return build(f, s->srv, s->cli, s->dp, s->sp, TH_SYN | TH_ACK, s->sa, s->ca + 1, o,
			16, 0);
	case 2:
		o[0] = 30; o[1] = 20; o[2] = 0x01; o[3] = 0x81;
		put64(o + 4, s->ka);
		put64(o + 12, s->kb);
		return build(f, s->cli, s->srv, s->sp, s->dp, TH_ACK, s->ca + 1, s->sa + 1, o, 20, 0);
	case 3:
		mpn_mptcp_key_token(1, s->kb, &tok, NULL);
		o[0] = 30; o[1] = 12; o[2] = 0x10; o[3] = 1;
		put32(o + 4, tok);
		put32(o + 8, s->ra);
		return build(f, s->cli2, s->srv, s->sp2, s->dp, TH_SYN, s->ja, 0, o, 12, 0);
	case 4:
		mpn_mptcp_join_hmac(1, s->kb, s->ka, s->rb, s->ra, h);
		o[0] = 30; o[1] = 16; o[2] = 0x10; o[3] = 1;
		memcpy(o + 4, h, 8);
		put32(o + 12, s->rb);
		return build(f, s->srv, s->cli2, s->dp, s->sp2, TH_SYN | TH_ACK, s->jb, s->ja + 1,
			o, 16, 0);
	case 5:
		mpn_mptcp_join_hmac(1, s->ka, s->kb, s->ra, s->rb, h);
		o[0] = 30; o[1] = 24; o[2] = 0x10; o[3] = 0;
		memcpy(o + 4, h, 20);
		return build(f, s->cli2, s->srv, s->sp2, s->dp, TH_ACK, s->ja + 1, s->jb + 1, o, 24,
			0);
	case 6:
		/* Data on the join: DSS with a data ACK and a mapping. */
		o[0] = 30; o[1] = 20; o[2] = 0x20; o[3] = 0x05;
		put32(o + 4, 1);
		put32(o + 8, 1);
		put32(o + 12, 1);
		put16(o + 16, 100);
		put16(o + 18, 0);
		return build(f, s->cli2, s->srv, s->sp2, s->dp, TH_ACK | TH_PSH, s->ja + 1,
			s->jb + 1, o, 20, 100);
	case 7:
		return build(f, s->cli, s->srv, s->sp, s->dp, TH_FIN | TH_ACK, s->ca + 1, s->sa + 1,
			NULL, 0, 0);
	case 8:
		return build(f, s->srv, s->cli, s->dp, s->sp, TH_FIN | TH_ACK, s->sa + 1, s->ca + 2,
			NULL, 0, 0);
	case 9:
		return build(f, s->cli, s->srv, s->sp, s->dp, TH_ACK, s->ca + 2, s->sa + 2, NULL, 0,
			0);
	case 10:
		return build(f, s->cli2, s->srv, s->sp2, s->dp, TH_FIN | TH_ACK, s->ja + 101,
			s->jb + 1, NULL, 0, 0);
	case 11:
		return build(f, s->srv, s->cli2, s->dp, s->sp2, TH_FIN | TH_ACK, s->jb + 1,
			s->ja + 102, NULL, 0, 0);
	default:
		return build(f, s->cli2, s->srv, s->sp2, s->dp, TH_ACK, s->ja + 102, s->jb + 2, NULL,
			0, 0);
	}
}

/* Record the verdict of the session's packet; start the next session when done. */
static void
session_verdict(struct session *s, bool forwarded)
{
	if (!forwarded)
		s->ok = false;
	if (s->step == 6 && s->ok)
		joins_kept++;
	if (++s->step == SESSION_STEPS) {
		if (s->ok)
			sessions_kept++;
		session_new(s);
	}
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t
rss_kb(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

struct bench {
	struct mpn_config cfg;
	struct mpn_conn_table *ct;
	struct mpn_tracker *t;
	struct mpn_pipeline pl;
	struct mpn_worker_stats stats;
	uint64_t now;
};

static void
report(struct bench *b, const char *when, uint64_t flood_done)
{
	const struct mpn_track_stats *s = mpn_tracker_stats(b->t);
	struct rte_malloc_socket_stats ms;

	memset(&ms, 0, sizeof(ms));
	rte_malloc_get_socket_stats((int)rte_socket_id(), &ms);
	printf("%-8s flood %9" PRIu64 "  subflows %6u  conns %6u  kept %6u/%-6u joins %6u  "
		"ev-closed %7" PRIu64 " ev-unconf %7" PRIu64 " ev-emb %8" PRIu64 " learn-refused %8" PRIu64
		" table-full %6" PRIu64 " pool-full %6" PRIu64 "  rss %7" PRIu64 " kB  heap %7zu kB\n",
		when, flood_done, mpn_flow_count(mpn_tracker_table(b->t)),
		mpn_conn_table_count(b->ct), sessions_kept, sessions_started, joins_kept,
		s->evict_closed, s->evict_unconfirmed, s->evict_embryonic, s->learn_refused, s->table_full,
		s->conn_pool_full, rss_kb(), ms.heap_allocsz_bytes / 1024);
}

/* One burst: @p n_flood spoofed packets and, if @p sess, the session's next one. */
static void
burst(struct bench *b, uint8_t *pool, unsigned int n_flood, struct session *sess,
	uint64_t *flood_i)
{
	struct mpn_burst_origin o = { .port = 0, .link = 0, .dir = MPN_DIR_IN2OUT,
		.l2 = MPN_L2_ETHER };
	uint8_t *frames[BURST], verdicts[BURST];
	uint32_t lens[BURST];
	unsigned int i, n = 0, legit = BURST;

	for (i = 0; i < n_flood; i++) {
		frames[n] = pool + (size_t)n * SLOT;
		lens[n] = spoofed(frames[n], (*flood_i)++);
		n++;
	}
	if (sess != NULL) {
		/* The legitimate packet goes in the middle of the burst. */
		legit = n / 2;
		memmove(&frames[legit + 1], &frames[legit], (n - legit) * sizeof(frames[0]));
		memmove(&lens[legit + 1], &lens[legit], (n - legit) * sizeof(lens[0]));
		frames[legit] = pool + (size_t)n * SLOT;
		lens[legit] = session_pkt(sess, frames[legit]);
		n++;
	}
	b->now += n; /* 1 us per packet */
	mpn_pipeline_run_frames(&b->pl, b->cfg.policy, &o, frames, lens, (uint16_t)n, verdicts,
		b->now);
	mpn_tracker_loop(b->t, b->now, 64);
	if (sess != NULL)
		session_verdict(sess, verdicts[legit] == MPN_VERDICT_FORWARD);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "*:error" };
	const char *cfg_path = MPN_SOURCE_ROOT "/config/mpnorm.conf";
	uint64_t flood = 10000000, flood_i = 0, next_report;
	struct mpn_flow_params fp;
	static uint8_t pool[BURST * SLOT];
	struct session sess;
	struct bench b;
	uint32_t base_started, base_kept, base_joins;
	double t0, t_base, t_flood;
	char err[512];
	unsigned int k;

	if (argc > 1)
		flood = strtoull(argv[1], NULL, 10);
	if (argc > 2)
		cfg_path = argv[2];
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	memset(&b, 0, sizeof(b));
	if (mpn_config_load(cfg_path, &b.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* As app/mpnorm/tracking.c sets the tracker up from the tables group. */
	mpn_flow_params_default(&fp);
	fp.capacity = b.cfg.tables.subflows;
	fp.hz = 1000000;
	fp.embryonic_timeout = b.cfg.tables.embryonic_timeout;
	fp.idle_timeout = b.cfg.tables.idle_timeout;
	fp.half_closed_timeout = b.cfg.tables.half_closed_timeout;
	fp.closed_timeout = b.cfg.tables.closed_timeout;
	fp.unconfirmed_timeout = b.cfg.tables.unconfirmed_timeout;
	fp.learn_limit_pct = (uint8_t)b.cfg.tables.learn_limit;
	fp.midstream = b.cfg.tables.unknown_subflow_drop ? MPN_FLOW_MIDSTREAM_DROP :
		MPN_FLOW_MIDSTREAM_LEARN;
	b.ct = mpn_conn_table_create("fl_conns", b.cfg.tables.connections, 1, SOCKET_ID_ANY);
	b.t = b.ct != NULL ? mpn_tracker_create("fl_flows", &fp, b.ct, 0, SOCKET_ID_ANY) : NULL;
	if (b.t == NULL || mpn_pipeline_init(&b.pl, 0, &b.stats) != 0) {
		fprintf(stderr, "cannot create the tables (give the EAL more memory)\n");
		return 1;
	}
	b.pl.tracker = b.t;
	b.pl.log_enabled = false;
	b.now = 1000000;
	printf("config %s: %u subflow entries, %u connections, learn-limit %u%%, "
		"unknown-subflow %s, timeouts embryonic %u s unconfirmed %u s closed %u s\n",
		cfg_path, fp.capacity, b.cfg.tables.connections, fp.learn_limit_pct,
		fp.midstream == MPN_FLOW_MIDSTREAM_DROP ? "drop" : "learn", fp.embryonic_timeout,
		fp.unconfirmed_timeout, fp.closed_timeout);
	printf("flood: %" PRIu64 " spoofed packets (bare ACKs, SYNs, join SYNs with random "
		"tokens), %d per burst with one legitimate packet\n", flood, BURST - 1);
	report(&b, "before", 0);

	/* Baseline: sessions alone, as many packets as 1000 sessions take. */
	session_new(&sess);
	t0 = seconds();
	for (k = 0; k < 1000 * SESSION_STEPS; k++)
		burst(&b, pool, 0, &sess, &flood_i);
	t_base = seconds() - t0;
	base_started = sessions_started - 1;
	base_kept = sessions_kept;
	base_joins = joins_kept;
	printf("baseline: %u of %u sessions kept (%u joins), %.0f sessions/s of wall time\n",
		base_kept, base_started, base_joins, base_started / t_base);
	report(&b, "alone", 0);

	/* The flood, with a session packet in every burst. */
	sessions_started = sessions_kept = joins_kept = 0;
	session_new(&sess);
	next_report = flood / 10;
	t0 = seconds();
	while (flood_i < flood) {
		unsigned int n = flood - flood_i < BURST - 1 ? (unsigned int)(flood - flood_i) :
			BURST - 1;

		burst(&b, pool, n, &sess, &flood_i);
		if (flood_i >= next_report && flood_i < flood) {
			report(&b, "during", flood_i);
			next_report += flood / 10;
		}
	}
	t_flood = seconds() - t0;
	sessions_started--; /* the one in progress */
	report(&b, "after", flood_i);
	printf("under flood: %u of %u sessions kept (%.1f%%), %u joins verified and kept; "
		"%.0f sessions/s and %.2f Mpps of wall time (%.1f s)\n",
		sessions_kept, sessions_started,
		sessions_started ? 100.0 * sessions_kept / sessions_started : 0.0, joins_kept,
		sessions_started / t_flood, (flood + sessions_started * SESSION_STEPS) / t_flood / 1e6,
		t_flood);
	printf("simulated time: %.1f s at 1 us per packet, i.e. %.0f legitimate sessions per "
		"simulated second against a %.1f Mpps flood\n",
		(double)(flood + sessions_started * SESSION_STEPS) / 1e6,
		sessions_kept / ((double)(flood + sessions_started * SESSION_STEPS) / 1e6),
		(double)(BURST - 1) / BURST);

	mpn_pipeline_fini(&b.pl);
	mpn_tracker_free(b.t);
	mpn_conn_table_free(b.ct);
	mpn_config_release(&b.cfg);
	rte_eal_cleanup();
	return sessions_started > 0 && sessions_kept == 0 ? 1 : 0;
}
