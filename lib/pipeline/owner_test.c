/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handoff owner function: both directions of every flow get the same
 * owner, over IPv4 and IPv6 and any worker count, and flows spread evenly.
 * The owner decision: IP first fragments go to the worker that tracks
 * their 5-tuple, in handoff mode and with the NIC's RSS, whatever queue
 * they arrived on; non-first fragments and stateless packets stay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow.h"
#include "owner.h"

/* Ethernet + IPv4/IPv6 + a bare TCP header, as the parser expects. */
static uint32_t
build(uint8_t *f, int v6, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	uint16_t dport)
{
	uint32_t l3 = v6 ? 40 : 20, len = 14 + l3 + 20;
	uint8_t *ip = f + 14, *t = f + 14 + l3;

	memset(f, 0, len);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		ip[0] = 0x60;
		ip[5] = 20;
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		ip[0] = 0x45;
		ip[3] = 40;
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
	}
	t[0] = (uint8_t)(sport >> 8);
	t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8);
	t[3] = (uint8_t)dport;
	t[12] = 0x50;
	t[13] = 0x10;
	return len;
}

static uint32_t
hash_of(int v6, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	uint8_t f[128];
	struct mpn_pkt p;
	uint32_t len = build(f, v6, src, dst, sport, dport);

	assert_int_equal(mpn_pkt_parse(f, len, MPN_L2_ETHER, &p), MPN_PKT_TCP);
	return mpn_owner_hash(f, &p);
}

static void
test_both_directions_same_owner(void **state)
{
	unsigned int i, w;

	(void)state;
	srand(42);
	for (i = 0; i < 20000; i++) {
		uint8_t a[16], b[16];
		uint16_t pa = (uint16_t)rand(), pb = (uint16_t)rand();
		int v6 = i & 1, k;
		uint32_t h1, h2;

		for (k = 0; k < 16; k++) {
			a[k] = (uint8_t)rand();
			b[k] = (uint8_t)rand();
		}
		if (i % 7 == 0)
			memcpy(b, a, 16);   /* same address both ends: ports decide */
		h1 = hash_of(v6, a, b, pa, pb);
		h2 = hash_of(v6, b, a, pb, pa);
		assert_int_equal(h1, h2);
		for (w = 1; w <= 8; w++)
			assert_int_equal(mpn_owner_of(h1, w), mpn_owner_of(h2, w));
	}
}

static void
test_owner_in_range_and_spread(void **state)
{
	unsigned int count[4] = { 0 }, i, w;

	(void)state;
	for (i = 0; i < 40000; i++) {
		uint8_t a[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };
		uint8_t b[4] = { 10, 1, 0, 1 };
		uint32_t h = hash_of(0, a, b, (uint16_t)(1024 + i), 5000);

		w = mpn_owner_of(h, 4);
		assert_true(w < 4);
		count[w]++;
		assert_int_equal(mpn_owner_of(h, 1), 0);
	}
	/* Each of 4 owners gets its quarter, within 5%. */
	for (w = 0; w < 4; w++)
		assert_true(count[w] > 9500 && count[w] < 10500);
}

static void
test_distinct_flows_differ(void **state)
{
	uint8_t a[4] = { 10, 0, 1, 1 }, b[4] = { 10, 0, 1, 2 };

	(void)state;
	/* Same addresses, other ports: another flow (almost surely another hash). */
	assert_int_not_equal(hash_of(0, a, b, 40000, 5000), hash_of(0, a, b, 40001, 5000));
}

/* Fragment kinds build_frag() makes. */
enum frag_kind { WHOLE, FIRST, LATER };

/*
 * A TCP segment of flow (src, sport) > (dst, dport), whole or as the first
 * or a later fragment: IPv4 MF/offset, or an IPv6 fragment header.
 */
static uint32_t
build_frag(uint8_t *f, int v6, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	uint16_t dport, enum frag_kind k)
{
	uint32_t len = build(f, v6, src, dst, sport, dport);
	uint8_t *ip = f + 14;

	if (k == WHOLE)
		return len;
	if (!v6) {
		/* MF on the first; offset 185 (1480 bytes) on a later one. */
		ip[6] = k == FIRST ? 0x20 : 0x00;
		ip[7] = k == FIRST ? 0x00 : 185;
		return len;
	}
	/* Insert a fragment header between the IPv6 header and TCP. */
	memmove(ip + 48, ip + 40, 20);
	ip[6] = 44;                     /* next header: fragment */
	ip[5] = 28;                     /* payload: 8 + 20 */
	memset(ip + 40, 0, 8);
	ip[40] = 6;                     /* then TCP */
	if (k == FIRST) {
		ip[43] = 0x01;              /* offset 0, M */
	} else {
		ip[42] = (uint8_t)(185 >> 5);
		ip[43] = (uint8_t)((185 << 3) & 0xf8);
	}
	ip[44] = 0xab;                  /* identification */
	return len + 8;
}

static unsigned int
decide(const struct mpn_owner_map *m, int v6, const uint8_t *src, const uint8_t *dst,
	uint16_t sport, uint16_t dport, enum frag_kind k, unsigned int self,
	enum mpn_pkt_status *st_out)
{
	uint8_t f[160];
	struct mpn_pkt p;
	uint32_t len = build_frag(f, v6, src, dst, sport, dport, k);
	enum mpn_pkt_status st = mpn_pkt_parse(f, len, MPN_L2_ETHER, &p);

	struct mpn_flow_key key;
	uint32_t hash = 0;

	if (st_out != NULL)
		*st_out = st;
	/* As the parse stage does: TCP is tracked, and hashed by its flow key. */
	if (st == MPN_PKT_TCP) {
		mpn_flow_key_from_pkt(f, &p, 0, &key);
		hash = mpn_flow_key_hash(&key);
	}
	return mpn_owner_decide(m, st == MPN_PKT_TCP, hash, f, &p, self);
}

static void
rss_map_init(struct mpn_rss_map *m, enum mpn_rss_func func, uint16_t nq)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->func = func;
	m->key_len = 52;
	if (func == MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ)
		assert_int_equal(mpn_rss_key_random(m->key, 52), 0);
	else
		mpn_rss_key_6d5a(m->key, 52);
	m->reta_size = 512;
	m->n_queues = nq;
	for (i = 0; i < 512; i++)
		m->reta[i] = (uint16_t)(i % nq);
}

/*
 * With RSS: an unfragmented segment stays where the NIC put it; a first
 * fragment, whatever queue it arrived on (i40e: queue 0), goes to the
 * queue the NIC gives the flow's other segments, in both directions.
 */
static void
test_rss_first_fragment_follows_its_flow(void **state)
{
	static const enum mpn_rss_func funcs[2] = {
		MPN_RSS_FUNC_TOEPLITZ, MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ,
	};
	struct mpn_rss_map rss;
	struct mpn_owner_map m;
	unsigned int fn, i, moved = 0;

	(void)state;
	srand(7);
	for (fn = 0; fn < 2; fn++) {
		rss_map_init(&rss, funcs[fn], 4);
		m.mode = MPN_OWNER_RSS;
		m.n_workers = 4;
		m.rss = &rss;
		for (i = 0; i < 4000; i++) {
			uint8_t a[16], b[16];
			uint16_t pa = (uint16_t)rand(), pb = (uint16_t)rand();
			int v6 = i & 1, k;
			struct mpn_rss_tuple t;
			unsigned int q, arrived = (unsigned int)rand() % 4;
			enum mpn_pkt_status st;

			for (k = 0; k < 16; k++) {
				a[k] = (uint8_t)rand();
				b[k] = (uint8_t)rand();
			}
			memset(&t, 0, sizeof(t));
			t.family = v6 ? 6 : 4;
			memcpy(t.src, a, v6 ? 16 : 4);
			memcpy(t.dst, b, v6 ? 16 : 4);
			t.sport = pa;
			t.dport = pb;
			q = mpn_rss_queue(&rss, &t);
			/* The NIC placed it: it stays. */
			assert_int_equal(decide(&m, v6, a, b, pa, pb, WHOLE, q, NULL), q);
			assert_int_equal(decide(&m, v6, b, a, pb, pa, WHOLE, q, NULL), q);
			/* A first fragment joins its flow's worker, both ways. */
			assert_int_equal(decide(&m, v6, a, b, pa, pb, FIRST, arrived, &st), q);
			assert_int_equal(st, MPN_PKT_TCP);
			assert_int_equal(decide(&m, v6, b, a, pb, pa, FIRST, arrived, NULL), q);
			moved += q != arrived;
			/* A later fragment has no ports: it stays where it came. */
			assert_int_equal(decide(&m, v6, a, b, pa, pb, LATER, arrived, &st), arrived);
			assert_int_equal(st, MPN_PKT_FRAGMENT);
		}
	}
	/* The check is not vacuous: most first fragments had to move. */
	assert_true(moved > 4000);
}

/*
 * Handoff mode: a first fragment's owner is its flow's owner, the one the
 * flow key's hash names (mpn_owner_flow_hash() computes the same).
 */
static void
test_handoff_first_fragment_follows_its_flow(void **state)
{
	struct mpn_owner_map m = { MPN_OWNER_HANDOFF, 8, NULL };
	unsigned int i;

	(void)state;
	srand(11);
	for (i = 0; i < 4000; i++) {
		uint8_t a[16], b[16];
		uint16_t pa = (uint16_t)rand(), pb = (uint16_t)rand();
		int v6 = i & 1, k;
		unsigned int o, arrived = (unsigned int)rand() % 8;

		for (k = 0; k < 16; k++) {
			a[k] = (uint8_t)rand();
			b[k] = (uint8_t)rand();
		}
		o = decide(&m, v6, a, b, pa, pb, WHOLE, arrived, NULL);
		assert_true(o < 8);
		{
			struct mpn_rss_tuple t;

			memset(&t, 0, sizeof(t));
			t.family = v6 ? 6 : 4;
			memcpy(t.src, a, v6 ? 16 : 4);
			memcpy(t.dst, b, v6 ? 16 : 4);
			t.sport = pa;
			t.dport = pb;
			assert_int_equal(mpn_owner_of(mpn_owner_flow_hash(&t, 0), 8), o);
		}
		assert_int_equal(decide(&m, v6, b, a, pb, pa, WHOLE, 0, NULL), o);
		assert_int_equal(decide(&m, v6, a, b, pa, pb, FIRST, arrived, NULL), o);
		assert_int_equal(decide(&m, v6, b, a, pb, pa, FIRST, 7 - arrived, NULL), o);
		assert_int_equal(decide(&m, v6, a, b, pa, pb, LATER, arrived, NULL), arrived);
	}
}

/* One worker, no model, or a stateless packet: nothing moves. */
static void
test_nothing_moves_without_an_owner(void **state)
{
	struct mpn_owner_map self = { MPN_OWNER_SELF, 4, NULL };
	struct mpn_owner_map one = { MPN_OWNER_HANDOFF, 1, NULL };
	struct mpn_owner_map rss_nomap = { MPN_OWNER_RSS, 4, NULL };
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 }, f[128];
	struct mpn_pkt p;
	enum mpn_pkt_status st;
	uint32_t len;

	(void)state;
	assert_int_equal(decide(&self, 0, a, b, 1000, 80, FIRST, 3, NULL), 3);
	assert_int_equal(decide(&one, 0, a, b, 1000, 80, FIRST, 0, NULL), 0);
	assert_int_equal(decide(&rss_nomap, 0, a, b, 1000, 80, FIRST, 2, NULL), 2);
	assert_int_equal(decide(NULL, 1, a, b, 1000, 80, FIRST, 1, NULL), 1);
	/* Not IP (ARP) in handoff mode. */
	len = build(f, 0, a, b, 1000, 80);
	f[12] = 0x08;
	f[13] = 0x06;
	st = mpn_pkt_parse(f, len, MPN_L2_ETHER, &p);
	assert_int_not_equal(st, MPN_PKT_TCP);
	one.n_workers = 4;
	assert_int_equal(mpn_owner_decide(&one, false, 0, f, &p, 2), 2);
}

/* The expected share per worker that `show workers` reports. */
static void
test_expected_share(void **state)
{
	struct mpn_owner_map m = { MPN_OWNER_HANDOFF, 4, NULL };
	struct mpn_rss_map rss;
	uint64_t counts[4];
	unsigned int w;

	(void)state;
	assert_int_equal(mpn_owner_expected(&m, MPN_RSS_SET_RANDOM, 40000, counts), 0);
	for (w = 0; w < 4; w++)
		assert_true(counts[w] > 9500 && counts[w] < 10500);
	/* RSS over a RETA that sends everything to queue 0 (net_null's). */
	rss_map_init(&rss, MPN_RSS_FUNC_TOEPLITZ, 4);
	memset(rss.reta, 0, sizeof(rss.reta));
	m.mode = MPN_OWNER_RSS;
	m.rss = &rss;
	assert_int_equal(mpn_owner_expected(&m, MPN_RSS_SET_CGNAT, 1000, counts), 0);
	assert_int_equal(counts[0], 1000);
	assert_int_equal(counts[1] + counts[2] + counts[3], 0);
	/* No model: unknown. */
	m.mode = MPN_OWNER_SELF;
	assert_int_equal(mpn_owner_expected(&m, MPN_RSS_SET_RANDOM, 10, counts), -1);
	m.n_workers = 1;
	assert_int_equal(mpn_owner_expected(&m, MPN_RSS_SET_RANDOM, 10, counts), 0);
	assert_int_equal(counts[0], 10);
}

/* The cheap pre-check the RSS placement runs on every frame. */
static void
test_may_be_fragment(void **state)
{
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 }, f[160];
	uint32_t len;
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		len = build_frag(f, v6, a, b, 1000, 80, WHOLE);
		assert_false(mpn_owner_may_be_fragment(f, len));
		len = build_frag(f, v6, a, b, 1000, 80, FIRST);
		assert_true(mpn_owner_may_be_fragment(f, len));
		len = build_frag(f, v6, a, b, 1000, 80, LATER);
		assert_true(mpn_owner_may_be_fragment(f, len));
		/* Cut short: not judged here. */
		assert_false(mpn_owner_may_be_fragment(f, 14 + 4));
	}
	/* Behind a VLAN tag. */
	len = build_frag(f, 0, a, b, 1000, 80, FIRST);
	memmove(f + 16, f + 12, len - 12);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = 0x00;
	f[15] = 0x05;
	assert_true(mpn_owner_may_be_fragment(f, len + 4));
	/* IPv4 DF alone is not a fragment. */
	len = build_frag(f, 0, a, b, 1000, 80, WHOLE);
	f[14 + 6] = 0x40;
	assert_false(mpn_owner_may_be_fragment(f, len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions_same_owner),
		cmocka_unit_test(test_owner_in_range_and_spread),
		cmocka_unit_test(test_distinct_flows_differ),
		cmocka_unit_test(test_rss_first_fragment_follows_its_flow),
		cmocka_unit_test(test_handoff_first_fragment_follows_its_flow),
		cmocka_unit_test(test_nothing_moves_without_an_owner),
		cmocka_unit_test(test_expected_share),
		cmocka_unit_test(test_may_be_fragment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
