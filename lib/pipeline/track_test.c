/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tracking-stage tests:
 *  - every real capture of pcaps/real through parse, the
 *    stateless stage and mpn_track(): connections, keys, tokens and joins
 *    must equal GROUND_TRUTH.md, and no real packet may be dropped;
 *  - forged joins injected into capture-mid: exactly those are dropped;
 *  - SYN and MP_JOIN floods: memory fixed, established connections live;
 *  - each ASA stateful check, tripped and not tripped;
 *  - fallback, bypass-by-token, ADD_ADDR policy, MP_FASTCLOSE on a join.
 */
#include <arpa/inet.h>
#include <errno.h>
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
#include <pcap/pcap.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "track_testlib.h"

/* The real captures vendored in pcaps/real (meson passes the path). */
#ifndef MPN_PCAPS_DIR
#define MPN_PCAPS_DIR "pcaps/real"
#endif
#define PCAPS MPN_PCAPS_DIR "/"

/* ---- real captures ---- */

struct exp_conn {
	uint32_t tok_a, tok_b;
	uint64_t key_a, key_b;
	uint8_t version;
	bool closed;
};

struct expect {
	const char *file;
	unsigned int n_conns;
	struct exp_conn c[2];
	uint64_t joins_verified;
	uint64_t addaddr_ok, addaddr_leftmost;
	uint64_t fastclose;
};

/* GROUND_TRUTH.md, table by table. */
static const struct expect truth[] = {
	{ "linux/capture-fail-fastclose.pcap", 2, {
		{ 0x05bcb1fe, 0x010e394a, 0xe3d7747979a5e64fULL, 0xa347b4a5cfc704f7ULL, 1, false },
		{ 0x54b1af09, 0x410dcfd6, 0x05bd6b33f86e5a5fULL, 0xc3ea2e1f7782da0fULL, 1, true },
		}, 0, 0, 0, 1 },
	{ "linux/capture-mid.pcap", 1, {
		{ 0x4951d561, 0xdde61a3e, 0xd1ead00377b55779ULL, 0xac88245795309269ULL, 1, false },
		}, 2, 1, 0, 0 },
	{ "ptcpdump/mptcp.pcap", 1, {
		{ 0xc43eb50e, 0x64a48c01, 0xfe7b93dc894dcb73ULL, 0xe356a8f252e41976ULL, 1, false },
		}, 0, 0, 0, 0 },
	{ "tcpdump/mptcp-aa-echo.pcap", 0, { { 0 } }, 0, 0, 0, 0 },
	{ "tcpdump/mptcp-aa-v1.pcap", 1, {
		{ 0x2e1abded, 0x5f3f5591, 0x8f0c7c64a6a32ac1ULL, 0x73bb150358a0aecbULL, 1, false },
		}, 0, 0, 1, 0 },
	{ "tcpdump/mptcp-dss-oobr.pcap", 0, { { 0 } }, 0, 0, 0, 0 },
	{ "tcpdump/mptcp-fclose.pcap", 1, {
		{ 0xd3dcec4f, 0x1f874e7a, 0x9b59be3d695e66a7ULL, 0xd005b1ab34bad344ULL, 0, true },
		}, 0, 0, 0, 1 },
	{ "tcpdump/mptcp-tcprst.pcap", 0, { { 0 } }, 0, 0, 0, 0 },
	{ "tcpdump/mptcp-v0.pcap", 1, {
		{ 0xaf9706eb, 0xe47f0142, 0x9c9eabd1e46a33b2ULL, 0x967d2770b6960552ULL, 0, false },
		}, 1, 0, 0, 0 },
	{ "tcpdump/mptcp-v1.pcap", 1, {
		{ 0x239fbdb0, 0xa35d6d82, 0x1fdb5df328bc3defULL, 0x29a6c86981ad933cULL, 1, false },
		}, 0, 0, 0, 0 },
};

static bool
l2_of(int dlt, enum mpn_l2_type *l2)
{
	switch (dlt) {
	case DLT_EN10MB: *l2 = MPN_L2_ETHER; return true;
	case DLT_LINUX_SLL: *l2 = MPN_L2_SLL; return true;
	case 276: *l2 = MPN_L2_SLL2; return true;
	case DLT_RAW: case 101: case 228: case 229: *l2 = MPN_L2_RAW; return true;
	default: return false;
	}
}

/*
 * Replay a capture. @return packets read, or -1 if the file is absent.
 * *track_drops counts packets the stateless stage passed and tracking dropped.
 */
static long
replay(struct env *e, const char *path, unsigned int *track_drops)
{
	static uint8_t buf[65536];
	char err[PCAP_ERRBUF_SIZE];
	struct mpn_norm_result res;
	struct mpn_norm_origin o = { .link = 0, .dir = 0 };
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	long n = 0;

	*track_drops = 0;
	p = pcap_open_offline(path, err);
	if (p == NULL)
		return -1;
	assert_true(l2_of(pcap_datalink(p), &o.l2));
	while (pcap_next_ex(p, &h, &d) == 1) {
		bool before;

		memcpy(buf, d, h->caplen);
		e->now = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		/* What the stateless checks alone say, on the side. */
		mpn_normalize_decide(e->pol, &o, buf, h->caplen, &res);
		before = res.forward;
		run(e, buf, h->caplen, o.l2, &res);
		if (before && !res.forward) {
			(*track_drops)++;
			print_message("%s pkt %ld dropped: %s\n", path, n + 1,
				mpn_reason_name(res.drop_reason));
		}
		/* Once per packet here; once per burst loop in the app. */
		mpn_tracker_loop(e->t, e->now, 0);
		n++;
	}
	pcap_close(p);
	return n;
}

static void
print_stats(const char *what, const struct mpn_track_stats *s)
{
	unsigned int i;
	uint64_t v;
	const char *n;

	print_message("%s:", what);
	for (i = 0; (n = mpn_track_stats_get(s, i, &v)) != NULL; i++)
		if (v != 0)
			print_message(" %s=%llu", n, (unsigned long long)v);
	print_message("\n");
}

/*
 * Pass 0 uses the ASA defaults (invalid-ack and seq-past-window drop, TTL
 * protection on); pass 1 also drops on window variation.
 */
static void
test_real_captures(void **state)
{
	unsigned int i, k, drops, files = 0, pass;

	(void)state;
	for (pass = 0; pass < 2; pass++)
	for (i = 0; i < RTE_DIM(truth); i++) {
		const struct expect *x = &truth[i];
		const struct mpn_track_stats *s;
		char path[512];
		struct env e;
		long n;

		env_open(&e, 65536, MPN_FLOW_MIDSTREAM_LEARN);
		if (pass == 1)
			e.pol->tcp_maps[0].window_variation = MPN_ACTION_DROP;
		snprintf(path, sizeof(path), "%s%s", PCAPS, x->file);
		n = replay(&e, path, &drops);
		if (n < 0)
			fail_msg("%s: cannot read it", path);
		files++;
		s = mpn_tracker_stats(e.t);
		print_stats(x->file, s);
		assert_int_equal(drops, 0);
		assert_int_equal(mpn_conn_table_count(e.ct), x->n_conns);
		for (k = 0; k < x->n_conns; k++) {
			const struct exp_conn *ec = &x->c[k];
			struct mpn_conn *c = mpn_conn_lookup(e.ct, ec->tok_a);

			assert_non_null(c);
			assert_ptr_equal(mpn_conn_lookup(e.ct, ec->tok_b), c);
			assert_int_equal(c->token_a, ec->tok_a);
			assert_int_equal(c->token_b, ec->tok_b);
			assert_true(c->key_a == ec->key_a);
			assert_true(c->key_b == ec->key_b);
			assert_int_equal(c->version, ec->version);
			assert_int_equal(mpn_conn_is_closed(c), ec->closed);
		}
		assert_int_equal(s->joins_verified, x->joins_verified);
		assert_int_equal(s->joins_bad_hmac, 0);
		assert_int_equal(s->joins_unknown, 0);
		assert_int_equal(s->addaddr_hmac_ok, x->addaddr_ok);
		assert_int_equal(s->addaddr_hmac_leftmost, x->addaddr_leftmost);
		assert_int_equal(s->addaddr_hmac_bad, 0);
		assert_int_equal(s->fastclose, x->fastclose);
		assert_int_equal(s->invalid_ack, 0);
		assert_int_equal(s->seq_past_win, 0);
		assert_int_equal(s->ttl_evasion, 0);
		assert_int_equal(s->window_variation, 0);
		env_close(&e);
	}
	assert_int_equal(files, 2 * RTE_DIM(truth));
}

static void
json_cb(const struct mpn_conn *c, void *arg)
{
	/* The test compares the keys with the ground truth: shown on request only. */
	struct mpn_conn_json_opts o = { .show_keys = true };

	mpn_conn_json(c, arg, NULL, &o);
}

static char *
capture_json(const char *file)
{
	unsigned int drops;
	struct mpn_json j;
	char *buf = NULL;
	size_t len = 0;
	struct env e;
	FILE *f;

	env_open(&e, 65536, MPN_FLOW_MIDSTREAM_LEARN);
	if (replay(&e, file, &drops) < 0) {
		env_close(&e);
		return NULL;
	}
	f = open_memstream(&buf, &len);
	mpn_json_init(&j, f);
	mpn_json_array_begin(&j, NULL);
	mpn_conn_table_foreach(e.ct, json_cb, &j);
	mpn_json_array_end(&j);
	mpn_json_end(&j);
	fclose(f);
	env_close(&e);
	return buf;
}

/* The report is the ground truth, byte-identical from run to run. */
static void
test_capture_json(void **state)
{
	char *a, *b;

	(void)state;
	a = capture_json(PCAPS "linux/capture-mid.pcap");
	assert_non_null(a);
	b = capture_json(PCAPS "linux/capture-mid.pcap");
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"token_a\": \"0x4951d561\""));
	assert_non_null(strstr(a, "\"token_b\": \"0xdde61a3e\""));
	assert_non_null(strstr(a, "\"key_a\": \"0xd1ead00377b55779\""));
	assert_non_null(strstr(a, "\"key_b\": \"0xac88245795309269\""));
	assert_non_null(strstr(a, "\"tuple\": \"10.0.1.1:55226 > 10.0.1.2:5000\""));
	assert_non_null(strstr(a, "\"tuple\": \"10.0.2.1:35387 > 10.0.2.2:5000\""));
	assert_non_null(strstr(a, "\"tuple\": \"10.0.2.1:33195 > 10.0.1.2:5000\""));
	assert_non_null(strstr(a, "\"addr\": \"10.0.2.2\""));
	print_message("%s", a);
	free(a);
	free(b);

	a = capture_json(PCAPS "linux/capture-fail-fastclose.pcap");
	assert_non_null(a);
	/* Creation order: the 5001 connection came first. */
	assert_non_null(strstr(a, "0x05bcb1fe"));
	assert_true(strstr(a, "0x05bcb1fe") < strstr(a, "0x54b1af09"));
	assert_non_null(strstr(a, "\"state\": \"fastclosed\""));
	free(a);
}

/* ---- forged joins into capture-mid ---- */

static void
test_forged_joins(void **state)
{
	const uint64_t ka = 0xd1ead00377b55779ULL, kb = 0xac88245795309269ULL;
	const struct mpn_track_stats *s;
	struct mpn_norm_result res;
	unsigned int drops, i;
	struct tconn k;
	uint32_t count;
	struct env e;
	uint8_t o[12];

	(void)state;
	env_open(&e, 65536, MPN_FLOW_MIDSTREAM_LEARN);
	if (replay(&e, PCAPS "linux/capture-mid.pcap", &drops) < 0)
		fail_msg("%s: cannot read it", PCAPS "linux/capture-mid.pcap");
	s = mpn_tracker_stats(e.t);
	assert_int_equal(s->joins_verified, 2);
	count = mpn_flow_count(mpn_tracker_table(e.t));

	/* Random tokens: dropped, counted, no state. */
	srand(7);
	for (i = 0; i < 20; i++) {
		uint32_t tok = (uint32_t)rand() * 2654435761u;

		if (tok == 0x4951d561 || tok == 0xdde61a3e)
			tok++;
		tconn_init(&k, 2, (uint16_t)(50000 + i), 5000);
		join_syn(o, tok, 42);
		assert_false(xmit(&e, &k, true, TH_SYN, 1, 0, 65535, o, 12, 0, &res));
		assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN);
	}
	assert_int_equal(s->joins_unknown, 20);
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), count);

	/* The valid token, a bad SYN/ACK HMAC: the SYN/ACK is dropped. */
	tconn_init(&k, 2, 51000, 5000);
	assert_int_equal(join(&e, &k, 1, 0xdde61a3e, ka, kb, true, false), 1);
	assert_int_equal(s->joins_bad_hmac, 1);
	/* The valid token, a bad third-ACK HMAC: the ACK is dropped. */
	tconn_init(&k, 2, 51001, 5000);
	assert_int_equal(join(&e, &k, 1, 0xdde61a3e, ka, kb, false, true), 3);
	assert_int_equal(s->joins_bad_hmac, 2);
	/*
	 * And the failed subflow stays shut: a bad HMAC changes nothing, so the
	 * join is still waiting for a third ACK that verifies, and data before
	 * it is dropped (RFC 8684 §3.2).
	 */
	assert_false(xmit(&e, &k, true, TH_ACK, k.cseq + 1, k.sseq, 65535, NULL, 0, 100, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_JOIN_UNPROVEN);
	/* A join with the right HMACs (someone who saw the keys) passes. */
	tconn_init(&k, 2, 51002, 5000);
	assert_int_equal(join(&e, &k, 1, 0xdde61a3e, ka, kb, false, false), 7);
	assert_int_equal(s->joins_verified, 3);
	/* Server-initiated join: token A, the server is the join's initiator. */
	tconn_init(&k, 2, 5000, 51003);
	assert_int_equal(join(&e, &k, 1, 0x4951d561, kb, ka, false, false), 7);
	assert_int_equal(s->joins_verified, 4);
	assert_int_equal(s->joins_bad_hmac, 2);
	assert_int_equal(s->joins_unknown, 20);

	/* allow-unknown: unknown tokens pass (counted), known ones are still checked. */
	e.pol->tcp_maps[0].mptcp.join = MPN_JOIN_ALLOW_UNKNOWN;
	tconn_init(&k, 2, 52000, 5000);
	assert_int_equal(join(&e, &k, 1, 0x12345678, ka, kb, false, false), 7);
	assert_int_equal(s->joins_unknown, 21);
	tconn_init(&k, 2, 52001, 5000);
	assert_int_equal(join(&e, &k, 1, 0xdde61a3e, ka, kb, true, false), 1);
	assert_int_equal(s->joins_bad_hmac, 3);
	/* allow: no checks. */
	e.pol->tcp_maps[0].mptcp.join = MPN_JOIN_ALLOW;
	tconn_init(&k, 2, 52002, 5000);
	assert_int_equal(join(&e, &k, 1, 0xdde61a3e, ka, kb, true, true), 7);
	assert_int_equal(s->joins_bad_hmac, 3);
	env_close(&e);
}

/* ---- floods ---- */

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void
test_floods(void **state)
{
	const uint64_t ka = 0x1111222233334444ULL, kb = 0x5555666677778888ULL;
	const struct mpn_track_stats *s;
	struct rte_malloc_socket_stats ms0, ms1;
	struct mpn_norm_result res;
	struct tconn est[1000], mp;
	uint8_t syn[128], jsyn[128], o[12];
	uint32_t lsyn, ljsyn, tok_b, i, passed = 0;
	uint64_t rng = 88172645463325252ULL, mem0;
	struct timespec t0, t1;
	struct ep a, b;
	struct env e;

	(void)state;
	env_open(&e, 65536, MPN_FLOW_MIDSTREAM_LEARN);
	s = mpn_tracker_stats(e.t);
	for (i = 0; i < RTE_DIM(est); i++) {
		tconn_init(&est[i], 7, (uint16_t)(10000 + i), 443);
		handshake(&e, &est[i], 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	}
	tconn_init(&mp, 8, 40000, 5000);
	mptcp_handshake(&e, &mp, ka, kb);
	assert_int_equal(mpn_conn_table_count(e.ct), 1);
	mpn_mptcp_key_token(1, kb, &tok_b, NULL);

	/*
	 * Join SYNs with the valid token, from sources that never answer: each
	 * passes, the oldest pending join making way for the newest (4 pending
	 * at most), so forged SYNs can never lock a legitimate join out.
	 */
	for (i = 0; i < 20; i++) {
		struct tconn k;

		tconn_init(&k, 9, (uint16_t)(30000 + i), 5000);
		join_syn(o, tok_b, i);
		if (xmit(&e, &k, true, TH_SYN, 1, 0, 65535, o, 12, 0, &res))
			passed++;
	}
	assert_int_equal(passed, 20);
	assert_int_equal(s->joins_limit, 0);
	assert_int_equal(mpn_conn_lookup(e.ct, tok_b)->joins_evicted, 16);

	mem0 = mpn_flow_table_memory(mpn_tracker_table(e.t));
	rte_malloc_get_socket_stats(0, &ms0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.ip[0] = 10; b.ip[1] = 9; b.ip[2] = 9; b.ip[3] = 9;
	b.port = 80;
	a.ip[0] = 172;
	lsyn = build(syn, &a, &b, TH_SYN, 1, 0, 65535, NULL, 0, 0);
	join_syn(o, 0, 0);
	ljsyn = build(jsyn, &a, &b, TH_SYN, 1, 0, 65535, o, 12, 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000000; i++) {
		uint64_t r = xorshift(&rng);
		uint8_t *f = (i & 1) ? jsyn : syn;

		/* Random source address and port; random token for the joins. */
		memcpy(f + 14 + 12 + 1, &r, 3);
		memcpy(f + 34, (uint8_t *)&r + 3, 2);
		if (i & 1)
			memcpy(f + 34 + 20 + 4, (uint8_t *)&r + 4, 4);
		e.now += 1;
		run(&e, f, (i & 1) ? ljsyn : lsyn, MPN_L2_ETHER, &res);
		if ((i & 31) == 31)
			mpn_tracker_loop(e.t, e.now, 64);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("flood: 1M packets in %.2f s\n",
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	print_stats("flood", s);

	/* Memory and sizes unchanged. */
	rte_malloc_get_socket_stats(0, &ms1);
	assert_true(ms1.heap_allocsz_bytes == ms0.heap_allocsz_bytes);
	assert_true(mpn_flow_table_memory(mpn_tracker_table(e.t)) == mem0);
	assert_true(mpn_flow_count(mpn_tracker_table(e.t)) <= 65536);
	assert_int_equal(mpn_conn_table_count(e.ct), 1);
	/* What happened: every random join refused, SYNs pushed out SYNs. */
	assert_true(s->joins_unknown >= 500000);
	assert_true(s->evict_embryonic >= 500000 - 65536);
	assert_int_equal(s->table_full, 0);
	/* Established connections survived and still pass. */
	for (i = 0; i < RTE_DIM(est); i++)
		assert_true(xmit(&e, &est[i], true, TH_ACK | TH_PSH, est[i].cseq, est[i].sseq,
			65535, NULL, 0, 100, &res));
	assert_true(xmit(&e, &mp, true, TH_ACK, mp.cseq, mp.sseq, 65535, NULL, 0, 100, &res));
	assert_non_null(mpn_conn_lookup(e.ct, tok_b));
	env_close(&e);
}

/* A table full of established connections refuses new SYNs, and counts it. */
static void
test_table_full(void **state)
{
	struct mpn_norm_result res;
	struct tconn k;
	struct env e;
	unsigned int i;

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	for (i = 0; i < 64; i++) {
		tconn_init(&k, 3, (uint16_t)(20000 + i), 80);
		handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	}
	tconn_init(&k, 3, 30000, 80);
	assert_false(xmit(&e, &k, true, TH_SYN, 1, 0, 65535, NULL, 0, 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TABLE_FULL);
	assert_int_equal(mpn_tracker_stats(e.t)->table_full, 1);
	env_close(&e);
}

/* ---- ASA stateful checks ---- */

static void
test_invalid_ack(void **state)
{
	struct mpn_norm_result res;
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40000, 80);
	handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	/* Trips: acknowledges 100 bytes the server never sent. */
	assert_false(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq + 100, 65535, NULL, 0, 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_INVALID_ACK);
	/* Does not: the server sends 100, the client acknowledges them, twice (dup ACK). */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, NULL, 0, 100, &res));
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq + 100, 65535, NULL, 0, 0, &res));
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq + 100, 65535, NULL, 0, 0, &res));
	/* An RST is not judged on its ACK. */
	assert_true(xmit(&e, &k, true, TH_RST | TH_ACK, k.cseq, k.sseq + 9999, 0, NULL, 0, 0,
		&res));
	/* Knob allow: counted, passed. */
	tconn_init(&k, 1, 40001, 80);
	e.pol->tcp_maps[0].invalid_ack = MPN_ACTION_ALLOW;
	handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq + 100, 65535, NULL, 0, 0, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->invalid_ack, 2);
	env_close(&e);
}

static void
test_seq_past_window(void **state)
{
	struct mpn_norm_result res;
	uint8_t sack[12];
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40010, 80);
	/* The server offers a 1000-byte window, no scaling. */
	handshake(&e, &k, 1460, 1460, 1000, NULL, 0, NULL, 0, NULL, 0);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 1000, &res));
	/* A retransmission of it is fine. */
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 1000, &res));
	/* Trips: one more segment beyond the window. */
	assert_false(xmit(&e, &k, true, TH_ACK, k.cseq + 1000, k.sseq, 65535, NULL, 0, 500, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_SEQ_PAST_WIN);
	/* The server closes the window: a one-byte window probe and a keepalive pass. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 1000, 0, NULL, 0, 0, &res));
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq + 1000, k.sseq, 65535, NULL, 0, 1, &res));
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq + 999, k.sseq, 65535, NULL, 0, 0, &res));
	/* It opens again, with a SACK block: the data fits. */
	sack[0] = 1; sack[1] = 1; sack[2] = 5; sack[3] = 10;
	put32(sack + 4, k.cseq + 1000);
	put32(sack + 8, k.cseq + 1001);
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 1000, 4000, sack, 12, 0, &res));
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq + 1000, k.sseq, 65535, NULL, 0, 1400, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->seq_past_win, 1);
	env_close(&e);
}

static void
test_window_scale(void **state)
{
	struct mpn_norm_result res;
	uint8_t ws[4] = { 1, 3, 3, 7 }; /* NOP, window scale 7 */
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40011, 80);
	handshake(&e, &k, 1460, 1460, 1000, ws, 4, ws, 4, NULL, 0);
	/* The scaled window (100 << 7 = 12800) takes 10000 bytes, the SYN/ACK's 1000 would not. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 100, NULL, 0, 0, &res));
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 512, NULL, 0, 1400, &res));
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq + 8400, k.sseq, 512, NULL, 0, 1400, &res));
	assert_false(xmit(&e, &k, true, TH_ACK, k.cseq + 12000, k.sseq, 512, NULL, 0, 1400, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_SEQ_PAST_WIN);
	env_close(&e);
}

static void
test_window_variation(void **state)
{
	struct mpn_norm_result res;
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].window_variation = MPN_ACTION_DROP;
	tconn_init(&k, 1, 40020, 80);
	handshake(&e, &k, 1460, 1460, 1000, NULL, 0, NULL, 0, NULL, 0);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 500, &res));
	/* Does not trip: the ack moves up 500, the window down 500: same right edge. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 500, 500, NULL, 0, 0, &res));
	/* Trips: same ack, smaller window. */
	assert_false(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 500, 100, NULL, 0, 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_WINDOW_VARIATION);
	/* An old, reordered ACK is not judged. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 100, 100, NULL, 0, 0, &res));
	/* Default knob (allow): counted only. */
	e.pol->tcp_maps[0].window_variation = MPN_ACTION_ALLOW;
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 500, 100, NULL, 0, 0, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->window_variation, 2);
	env_close(&e);
}

static void
test_exceed_mss(void **state)
{
	struct mpn_norm_result res;
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].exceed_mss = MPN_ACTION_DROP;
	tconn_init(&k, 1, 40030, 80);
	handshake(&e, &k, 1460, 536, 65535, NULL, 0, NULL, 0, NULL, 0);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 536, &res));
	assert_false(xmit(&e, &k, true, TH_ACK, k.cseq + 536, k.sseq, 65535, NULL, 0, 537, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_EXCEED_MSS);
	/* The other direction has its own MSS (1460). */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 536, 65535, NULL, 0, 1460, &res));
	env_close(&e);
}

static void
test_ttl_evasion(void **state)
{
	struct mpn_norm_result res;
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40040, 80);
	handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	k.c.ttl = 60;
	/* Trips: data with a lower TTL than the SYN's. */
	assert_false(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 100, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_TTL_EVASION);
	/* A pure ACK with that TTL carries nothing to evade with. */
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 0, &res));
	/* A higher TTL and the original one pass. */
	k.c.ttl = 64;
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 100, &res));
	k.c.ttl = 128;
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq + 100, k.sseq, 65535, NULL, 0, 100, &res));
	/* Protection off: counted, passed. */
	e.pol->tcp_maps[0].ttl_evasion_protection = false;
	k.c.ttl = 1;
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq + 200, k.sseq, 65535, NULL, 0, 100, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->ttl_evasion, 2);
	env_close(&e);
}

/*
 * One box carrying two links of a routed chain (host - link 0 - router -
 * link 1 - host) sees every segment twice, the second time with the TTL
 * one lower: two observations, each with its own TTL baseline (issue 13).
 */
static void
test_routed_chain(void **state)
{
	struct mpn_norm_result res;
	struct tconn k, k2;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40040, 80);
	k2 = k;
	k2.c.ttl = 63;
	k2.s.ttl = 63;
	e.link = 0;
	handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	e.link = 1;
	handshake(&e, &k2, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), 2);
	for (int i = 0; i < 3; i++) {
		e.link = 0;
		assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 100, &res));
		e.link = 1;
		assert_true(xmit(&e, &k2, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 100, &res));
		e.link = 1;
		assert_true(xmit(&e, &k2, false, TH_ACK, k.sseq, k.cseq + 100, 65535, NULL, 0, 0,
			&res));
		e.link = 0;
		assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 100, 65535, NULL, 0, 0,
			&res));
		k.cseq += 100;
	}
	assert_int_equal(mpn_tracker_stats(e.t)->ttl_evasion, 0);
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), 2);
	env_close(&e);
}

/*
 * An asymmetric route through one box: two hosts joined by two links; a
 * join from the client's second address to the server's first address
 * leaves by link 0 (the route to the server's subnet), and the answer
 * comes back to the second address by link 1. One subflow, each link
 * seeing one direction: the SYN/ACK must find the SYN's entry, so that
 * the join is verified (the kernel selftests' "single subflow" case).
 */
static void
test_asymmetric_join(void **state)
{
	const uint64_t ka = 0x1122334455667788ULL, kb = 0x99aabbccddeeff00ULL;
	uint32_t ra = 0x01020304, rb = 0x0a0b0c0d;
	const struct mpn_track_stats *s;
	struct mpn_norm_result res;
	uint8_t o[24], h[20];
	uint32_t token_b;
	struct tconn k, j;
	struct env e;
	uint64_t idsn;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	s = mpn_tracker_stats(e.t);
	tconn_init(&k, 1, 40000, 5000);
	e.link = 0;
	mptcp_handshake(&e, &k, ka, kb);
	assert_int_equal(mpn_mptcp_key_token(1, kb, &token_b, &idsn), 0);

	/* The join: 10.0.3.1 -> 10.0.1.2; SYN and third ACK on link 0, SYN/ACK on link 1. */
	tconn_init(&j, 1, 40001, 5000);
	j.c.ip[2] = 3;
	join_syn(o, token_b, ra);
	e.link = 0;
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	mpn_mptcp_join_hmac(1, kb, ka, rb, ra, h);
	join_synack(o, h, rb);
	e.link = 1;
	assert_true(xmit(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		&res));
	mpn_mptcp_join_hmac(1, ka, kb, ra, rb, h);
	join_ack(o, h);
	e.link = 0;
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, o, 24, 0, &res));
	j.cseq++;
	j.sseq++;
	assert_int_equal(s->joins_verified, 1);
	assert_int_equal(s->joins_unverifiable, 0);
	/* Data both ways, each on its own link, on the one entry. */
	e.link = 0;
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq, j.sseq, 65535, NULL, 0, 100, &res));
	e.link = 1;
	assert_true(xmit(&e, &j, false, TH_ACK, j.sseq, j.cseq + 100, 65535, NULL, 0, 100, &res));
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), 2);
	env_close(&e);
}

static void
test_midstream(void **state)
{
	struct mpn_norm_result res;
	struct tconn k;
	struct env e;

	(void)state;
	/* Default: learn, and check from then on. */
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40050, 80);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 100, &res));
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 100, 65535, NULL, 0, 100, &res));
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq + 100, k.sseq + 100, 65535, NULL, 0, 0, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->subflows_learned, 1);
	/* An unknown RST passes and creates nothing. */
	tconn_init(&k, 1, 40051, 80);
	assert_true(xmit(&e, &k, true, TH_RST, 1, 0, 0, NULL, 0, 0, &res));
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), 1);
	env_close(&e);

	/* ASA: tcp-not-syn. */
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_DROP);
	tconn_init(&k, 1, 40052, 80);
	assert_false(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 100, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_NOT_SYN);
	env_close(&e);
}

static void
test_monitor(void **state)
{
	struct mpn_norm_result res;
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	set_rule(e.pol, false, false, true, 0);
	tconn_init(&k, 1, 40060, 80);
	handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	/* Recorded, not enforced. */
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq + 100, 65535, NULL, 0, 0, &res));
	assert_true(res.monitor);
	assert_true(has_reason(&res, MPN_REASON_TCP_INVALID_ACK, MPN_NACT_DROP));
	env_close(&e);
}

/* ---- MPTCP policy ---- */

static void
test_fallback(void **state)
{
	struct mpn_norm_result res;
	uint8_t o[40], frame[256];
	struct tconn k;
	struct env e;
	size_t n;
	uint32_t len;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	set_rule(e.pol, true, false, false, 0); /* inspect: forces fallback */
	tconn_init(&k, 1, 40070, 5000);
	mptcp_handshake(&e, &k, 1, 2);
	/* The SYN's MP_CAPABLE was cleared, so the connection is plain TCP ... */
	assert_int_equal(mpn_conn_table_count(e.ct), 0);
	/* ... and any kind-30 option later on is cleared, in both directions. */
	n = dss_ack(o, 77);
	len = build(frame, &k.c, &k.s, TH_ACK, k.cseq, k.sseq, 65535, o, n, 10);
	e.now += 10;
	assert_true(run(&e, frame, len, MPN_L2_ETHER, &res));
	assert_true(has_reason(&res, MPN_REASON_MPTCP_FALLBACK, MPN_NACT_CLEAR_OPTION));
	assert_true(res.rewritten);
	assert_int_equal(frame[34 + 20], 1);
	assert_int_equal(frame[34 + 27], 1);
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 10, 65535, o, n, 0, &res));
	assert_true(has_reason(&res, MPN_REASON_MPTCP_FALLBACK, MPN_NACT_CLEAR_OPTION));
	env_close(&e);

	/*
	 * A connection allowed at its SYN is never stripped later, even when
	 * the policy turns to fallback mid-connection (RFC 8684 §3.7).
	 */
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40071, 5000);
	mptcp_handshake(&e, &k, 1, 2);
	assert_int_equal(mpn_conn_table_count(e.ct), 1);
	e.pol->tcp_maps[0].mptcp.mode = MPN_MPTCP_FALLBACK;
	n = dss_ack(o, 77);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, o, n, 10, &res));
	assert_false(has_reason(&res, MPN_REASON_MPTCP_FALLBACK, MPN_NACT_CLEAR_OPTION));
	assert_false(res.rewritten);
	env_close(&e);

	/* Monitored fallback: keys are on the wire, joins are refused (recorded). */
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	set_rule(e.pol, true, false, true, 0);
	tconn_init(&k, 1, 40072, 5000);
	mptcp_handshake(&e, &k, 1, 2);
	assert_int_equal(mpn_conn_table_count(e.ct), 1);
	{
		uint32_t tb;

		mpn_mptcp_key_token(1, 2, &tb, NULL);
		/* Under a non-fallback class, the join meets the connection's decision. */
		set_rule(e.pol, false, false, true, 0);
		tconn_init(&k, 2, 40073, 5000);
		join_syn(o, tb, 5);
		assert_true(xmit(&e, &k, true, TH_SYN, 1, 0, 65535, o, 12, 0, &res));
		assert_true(has_reason(&res, MPN_REASON_MPTCP_JOIN_REFUSED, MPN_NACT_DROP));
	}
	env_close(&e);
}

/*
 * tcp-state-bypass keeps no state, as on the ASA: a bypassed MPTCP
 * handshake creates neither a subflow entry nor a connection record, so a
 * join that a checking class gets cannot find its token (doc/config.md:
 * make the bypass class cover every address and port of the server).
 */
static void
test_bypass_keeps_no_state(void **state)
{
	const uint64_t ka = 0x0102030405060708ULL, kb = 0x1112131415161718ULL;
	struct mpn_norm_result res;
	struct tconn k, j;
	uint32_t tb;
	uint8_t o[12];
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	set_rule(e.pol, false, true, false, 5000); /* port 5000: tcp-state-bypass */
	tconn_init(&k, 1, 40080, 5000);
	mptcp_handshake(&e, &k, ka, kb);
	assert_int_equal(mpn_conn_table_count(e.ct), 0);
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), 0);
	assert_true(mpn_tracker_stats(e.t)->bypassed >= 3);
	/* Even a segment every check would drop passes, and leaves nothing behind. */
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq + 12345, 65535, NULL, 0, 10, &res));
	assert_true(res.bypass);
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), 0);
	/* The join goes to port 6000, which the default (checking) class gets: unknown token. */
	mpn_mptcp_key_token(1, kb, &tb, NULL);
	tconn_init(&j, 2, 40081, 6000);
	join_syn(o, tb, 9);
	assert_false(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN);
	/* A plain connection to port 6000 is checked. */
	tconn_init(&j, 3, 40082, 6000);
	handshake(&e, &j, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	assert_false(xmit(&e, &j, true, TH_ACK, j.cseq, j.sseq + 12345, 65535, NULL, 0, 0, &res));
	assert_false(res.bypass);
	env_close(&e);
}

static size_t
add_addr_v1(uint8_t *o, uint8_t id, const uint8_t ip[4])
{
	o[0] = 30; o[1] = 16; o[2] = 0x30; o[3] = id;
	memcpy(o + 4, ip, 4);
	memset(o + 8, 0xab, 8);
	return 16;
}

static void
test_add_addr_policy(void **state)
{
	static const uint8_t good[4] = { 10, 1, 2, 3 }, bad[4] = { 192, 168, 1, 1 };
	struct mpn_addaddr_policy *ap;
	struct mpn_norm_result res;
	struct mpn_conn *c;
	struct tconn k;
	uint8_t o[16];
	struct env e;
	uint32_t ta;
	unsigned int i, n;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	ap = &e.pol->tcp_maps[0].mptcp.add_addr;
	ap->restricted = true;
	ap->n_prefixes = 1;
	assert_int_equal(mpn_prefix_parse("10.0.0.0/8", &ap->prefixes[0]), 0);
	ap->action = MPN_ACTION_CLEAR;
	tconn_init(&k, 1, 40090, 5000);
	mptcp_handshake(&e, &k, 21, 22);
	mpn_mptcp_key_token(1, 21, &ta, NULL);
	c = mpn_conn_lookup(e.ct, ta);
	assert_non_null(c);

	/* Outside the prefixes: cleared. */
	add_addr_v1(o, 1, bad);
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_true(has_reason(&res, MPN_REASON_MPTCP_ADDADDR_DENIED, MPN_NACT_CLEAR_OPTION));
	/* Inside: passes and is recorded (its forged HMAC is counted bad). */
	add_addr_v1(o, 2, good);
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_false(has_reason(&res, MPN_REASON_MPTCP_ADDADDR_DENIED, MPN_NACT_CLEAR_OPTION));
	assert_int_equal(mpn_tracker_stats(e.t)->addaddr_hmac_bad, 1);
	for (i = 0, n = 0; i < MPN_CONN_MAX_ADDRS; i++)
		if (c->addr[i].used == 1 && c->addr[i].id == 2 && c->addr[i].side == 1)
			n++;
	assert_int_equal(n, 1);
	/* REMOVE_ADDR from the same side takes it away. */
	o[0] = 30; o[1] = 4; o[2] = 0x40; o[3] = 2;
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 4, 0, &res));
	for (i = 0, n = 0; i < MPN_CONN_MAX_ADDRS; i++)
		if (c->addr[i].used == 1)
			n++;
	assert_int_equal(n, 0);
	/* Action drop. */
	ap->action = MPN_ACTION_DROP;
	add_addr_v1(o, 3, bad);
	assert_false(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_ADDADDR_DENIED);
	/* Ports: only 5000-5001 allowed; no port means this subflow's (5000). */
	ap->n_ports = 1;
	ap->ports[0].lo = 5000;
	ap->ports[0].hi = 5001;
	add_addr_v1(o, 4, good);
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	ap->ports[0].lo = ap->ports[0].hi = 6000;
	assert_false(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->addaddr_denied, 3);
	env_close(&e);
}

static void
test_fastclose_on_join(void **state)
{
	const uint64_t ka = 0xa1a2a3a4a5a6a7a8ULL, kb = 0xb1b2b3b4b5b6b7b8ULL;
	struct mpn_norm_result res;
	struct mpn_flow_key key;
	struct mpn_subflow *sf;
	uint32_t ta, tb;
	struct tconn k, j;
	uint8_t o[12], f[128];
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40100, 5000);
	mptcp_handshake(&e, &k, ka, kb);
	mpn_mptcp_key_token(1, ka, &ta, NULL);
	mpn_mptcp_key_token(1, kb, &tb, NULL);
	tconn_init(&j, 2, 40101, 5000);
	assert_int_equal(join(&e, &j, 1, tb, ka, kb, false, false), 7);
	/* MP_FASTCLOSE from the client on the join, with the server's key (RFC 8684 §3.5). */
	o[0] = 30; o[1] = 12; o[2] = 0x70; o[3] = 0;
	put64(o + 4, kb);
	/*
	 * RFC 5961 §3: a RST one past the expected sequence number is in the
	 * window but not exact: the host would challenge it, so it passes and
	 * closes nothing.
	 */
	assert_true(xmit(&e, &j, true, TH_RST | TH_ACK, j.cseq + 1, j.sseq, 0, o, 12, 0, &res));
	assert_false(mpn_conn_is_closed(mpn_conn_lookup(e.ct, ta)));
	assert_int_equal(mpn_tracker_stats(e.t)->rst_in_window, 1);
	assert_true(xmit(&e, &j, true, TH_RST | TH_ACK, j.cseq, j.sseq, 0, o, 12, 0, &res));
	assert_true(mpn_conn_is_closed(mpn_conn_lookup(e.ct, ta)));
	assert_int_equal(mpn_tracker_stats(e.t)->fastclose, 1);
	/* The initial subflow closes with it at its next packet or sweep. */
	mpn_tracker_loop(e.t, e.now, 1024);
	build(f, &k.c, &k.s, TH_ACK, k.cseq, k.sseq, 0, NULL, 0, 0);
	{
		struct mpn_pkt p;

		assert_int_equal(mpn_pkt_parse(f, 54, MPN_L2_ETHER, &p), MPN_PKT_TCP);
		mpn_flow_key_from_pkt(f, &p, 0, &key);
	}
	{
		int32_t pos = mpn_flow_lookup_one(mpn_tracker_table(e.t), &key,
			mpn_flow_key_hash(&key));

		assert_true(pos >= 0);
		sf = mpn_flow_entry(mpn_tracker_table(e.t), pos);
	}
	assert_int_equal(sf->state, MPN_TCP_CLOSED);
	/* After the closed timeout everything, the record included, is gone. */
	e.now += 11 * 1000000ULL;
	mpn_tracker_loop(e.t, e.now, 1024);
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), 0);
	assert_int_equal(mpn_conn_table_count(e.ct), 0);
	assert_null(mpn_conn_lookup(e.ct, ta));
	env_close(&e);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_captures),
		cmocka_unit_test(test_capture_json),
		cmocka_unit_test(test_forged_joins),
		cmocka_unit_test(test_floods),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_invalid_ack),
		cmocka_unit_test(test_seq_past_window),
		cmocka_unit_test(test_window_scale),
		cmocka_unit_test(test_window_variation),
		cmocka_unit_test(test_exceed_mss),
		cmocka_unit_test(test_ttl_evasion),
		cmocka_unit_test(test_routed_chain),
		cmocka_unit_test(test_asymmetric_join),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_bypass_keeps_no_state),
		cmocka_unit_test(test_add_addr_policy),
		cmocka_unit_test(test_fastclose_on_join),
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
