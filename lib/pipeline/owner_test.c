/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handoff owner function: both directions of every flow get the same
 * owner, over IPv4 and IPv6 and any worker count, and flows spread evenly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions_same_owner),
		cmocka_unit_test(test_owner_in_range_and_spread),
		cmocka_unit_test(test_distinct_flows_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
