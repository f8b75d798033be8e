/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy evaluation: the ASA defaults, each class-match kind, both
 * orientations, first-match order, and the service-policy precedence
 * (link and direction, then link, then global, then the default rule).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

static const uint8_t a10_1_1_1[4] = { 10, 1, 1, 1 };
static const uint8_t a10_2_2_2[4] = { 10, 2, 2, 2 };
static const uint8_t a192_168_1_9[4] = { 192, 168, 1, 9 };
static const uint8_t v6_db8[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_other[16] = { 0x20, 0x01, 0x0d, 0xb9, [15] = 1 };

static struct mpn_classify_key
key4(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	struct mpn_classify_key k = {
		.family = 4, .src = src, .dst = dst, .sport = sport, .dport = dport,
	};
	return k;
}

static void
test_asa_defaults(void **state)
{
	struct mpn_tcp_map m;
	unsigned int k;

	(void)state;
	mpn_tcp_map_defaults(&m, "x");
	/* The ASA clears 6-7 and 9-255, so kind 30 (MPTCP) is cleared. */
	for (k = 0; k < 256; k++) {
		enum mpn_action want = (k <= 5 || k == 8) ? MPN_ACTION_ALLOW : MPN_ACTION_CLEAR;

		assert_int_equal(m.option_action[k], want);
	}
	assert_int_equal(m.option_action[30], MPN_ACTION_CLEAR);
	assert_int_equal(m.option_action[19], MPN_ACTION_CLEAR);
	assert_int_equal(m.syn_data, MPN_ACTION_ALLOW);
	assert_int_equal(m.synack_data, MPN_ACTION_DROP);
	assert_int_equal(m.reserved_bits, MPN_ACTION_ALLOW);
	assert_int_equal(m.urgent_flag, MPN_ACTION_CLEAR);
	assert_false(m.checksum_verification);
	assert_int_equal(m.exceed_mss, MPN_ACTION_ALLOW);
	assert_int_equal(m.invalid_ack, MPN_ACTION_DROP);
	assert_int_equal(m.seq_past_window, MPN_ACTION_DROP);
	assert_int_equal(m.window_variation, MPN_ACTION_ALLOW);
	assert_true(m.ttl_evasion_protection);
	assert_int_equal(m.mss_clamp, 0);
	assert_int_equal(m.mptcp.mode, MPN_MPTCP_ALLOW);
	assert_int_equal(m.mptcp.join, MPN_JOIN_VERIFY);
	assert_int_equal(m.mptcp.malformed, MPN_ACTION_DROP);
}

static void
test_prefix_parse(void **state)
{
	struct mpn_prefix p;

	(void)state;
	assert_int_equal(mpn_prefix_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.len, 8);
	assert_true(mpn_prefix_contains(&p, 4, a10_1_1_1));
	assert_false(mpn_prefix_contains(&p, 4, a192_168_1_9));
	assert_false(mpn_prefix_contains(&p, 6, v6_db8));
	assert_int_equal(mpn_prefix_parse("10.2.2.2", &p), 0);
	assert_int_equal(p.len, 32);
	assert_true(mpn_prefix_contains(&p, 4, a10_2_2_2));
	assert_false(mpn_prefix_contains(&p, 4, a10_1_1_1));
	/* A prefix length that is not a multiple of 8. */
	assert_int_equal(mpn_prefix_parse("10.0.0.0/15", &p), 0);
	assert_true(mpn_prefix_contains(&p, 4, a10_1_1_1));
	assert_false(mpn_prefix_contains(&p, 4, a10_2_2_2));
	assert_int_equal(mpn_prefix_parse("2001:db8::/32", &p), 0);
	assert_int_equal(p.family, 6);
	assert_true(mpn_prefix_contains(&p, 6, v6_db8));
	assert_false(mpn_prefix_contains(&p, 6, v6_other));
	assert_int_equal(mpn_prefix_parse("0.0.0.0/0", &p), 0);
	assert_true(mpn_prefix_contains(&p, 4, a192_168_1_9));
	assert_int_equal(mpn_prefix_parse("10.0.0.0/33", &p), -1);
	assert_int_equal(mpn_prefix_parse("10.0.0.0/", &p), -1);
	assert_int_equal(mpn_prefix_parse("10.0.0/8", &p), -1);
	assert_int_equal(mpn_prefix_parse("2001:db8::/129", &p), -1);
	assert_int_equal(mpn_prefix_parse("bogus", &p), -1);
}

static void
test_port_range_parse(void **state)
{
	struct mpn_port_range r;

	(void)state;
	assert_int_equal(mpn_port_range_parse("443", &r), 0);
	assert_int_equal(r.lo, 443);
	assert_int_equal(r.hi, 443);
	assert_int_equal(mpn_port_range_parse("1024-65535", &r), 0);
	assert_int_equal(r.lo, 1024);
	assert_int_equal(r.hi, 65535);
	assert_int_equal(mpn_port_range_parse("10-5", &r), -1);
	assert_int_equal(mpn_port_range_parse("65536", &r), -1);
	assert_int_equal(mpn_port_range_parse("1-", &r), -1);
	assert_int_equal(mpn_port_range_parse("x", &r), -1);
	assert_int_equal(mpn_port_range_parse("80x", &r), -1);
}

static void
test_class_match_kinds(void **state)
{
	struct mpn_class_map c;
	struct mpn_classify_key k = key4(a10_1_1_1, a192_168_1_9, 40000, 10000);

	(void)state;
	memset(&c, 0, sizeof(c));
	c.link = -1;
	/* No criterion: match any. */
	assert_true(mpn_class_matches(&c, &k));

	/* Destination port, in either orientation (the server's replies too). */
	c.n_dport = 1;
	c.dport[0].lo = c.dport[0].hi = 10000;
	assert_true(mpn_class_matches(&c, &k));
	k = key4(a192_168_1_9, a10_1_1_1, 10000, 40000);
	assert_true(mpn_class_matches(&c, &k));
	k = key4(a10_1_1_1, a192_168_1_9, 40000, 443);
	assert_false(mpn_class_matches(&c, &k));

	/* Source prefix AND destination port. */
	memset(&c, 0, sizeof(c));
	c.link = -1;
	mpn_prefix_parse("10.0.0.0/8", &c.src[0]);
	c.n_src = 1;
	mpn_port_range_parse("10000-10010", &c.dport[0]);
	c.n_dport = 1;
	k = key4(a10_1_1_1, a192_168_1_9, 40000, 10005);
	assert_true(mpn_class_matches(&c, &k));
	k = key4(a192_168_1_9, a10_1_1_1, 10005, 40000);   /* the reply */
	assert_true(mpn_class_matches(&c, &k));
	k = key4(a192_168_1_9, a192_168_1_9, 40000, 10005); /* wrong source */
	assert_false(mpn_class_matches(&c, &k));

	/* IPv6 prefixes never match IPv4 packets. */
	memset(&c, 0, sizeof(c));
	c.link = -1;
	mpn_prefix_parse("2001:db8::/32", &c.dst[0]);
	c.n_dst = 1;
	k = key4(a10_1_1_1, a10_2_2_2, 1, 2);
	assert_false(mpn_class_matches(&c, &k));
	k.family = 6;
	k.src = v6_other;
	k.dst = v6_db8;
	assert_true(mpn_class_matches(&c, &k));

	/* Source port list. */
	memset(&c, 0, sizeof(c));
	c.link = -1;
	c.n_sport = 2;
	c.sport[0].lo = c.sport[0].hi = 22;
	c.sport[1].lo = c.sport[1].hi = 443;
	k = key4(a10_1_1_1, a10_2_2_2, 443, 5555);
	assert_true(mpn_class_matches(&c, &k));
	k = key4(a10_1_1_1, a10_2_2_2, 444, 5555);
	assert_false(mpn_class_matches(&c, &k));

	/* Link and direction. */
	memset(&c, 0, sizeof(c));
	c.link = 1;
	c.dir = MPN_DIR_MATCH_OUT2IN;
	k = key4(a10_1_1_1, a10_2_2_2, 1, 2);
	k.link = 1;
	k.dir = 1;
	assert_true(mpn_class_matches(&c, &k));
	k.dir = 0;
	assert_false(mpn_class_matches(&c, &k));
	k.dir = 1;
	k.link = 0;
	assert_false(mpn_class_matches(&c, &k));

	/* MPTCP present or absent. */
	memset(&c, 0, sizeof(c));
	c.link = -1;
	c.mptcp = MPN_MPTCP_MATCH_PRESENT;
	k = key4(a10_1_1_1, a10_2_2_2, 1, 2);
	k.mptcp = true;
	assert_true(mpn_class_matches(&c, &k));
	k.mptcp = false;
	assert_false(mpn_class_matches(&c, &k));
	c.mptcp = MPN_MPTCP_MATCH_ABSENT;
	assert_true(mpn_class_matches(&c, &k));
}

/* Issue 16: MPTCP version, C flag and subtype criteria; each implies MPTCP. */
static void
test_class_match_mptcp_attrs(void **state)
{
	struct mpn_class_map c;
	struct mpn_classify_key k = key4(a10_1_1_1, a10_2_2_2, 1, 2);

	(void)state;
	memset(&c, 0, sizeof(c));
	c.link = -1;
	c.mptcp_versions = 1u << 1;
	k.mptcp = true;
	k.have_version = true;
	k.version = 1;
	assert_true(mpn_class_matches(&c, &k));
	k.version = 0;
	assert_false(mpn_class_matches(&c, &k));
	c.mptcp_versions |= 1u << 0;                /* [ 0, 1 ] */
	assert_true(mpn_class_matches(&c, &k));
	k.have_version = false;                     /* a version never seen matches no list */
	assert_false(mpn_class_matches(&c, &k));
	k.have_version = true;
	k.mptcp = false;                            /* plain TCP has no version */
	assert_false(mpn_class_matches(&c, &k));

	memset(&c, 0, sizeof(c));
	c.link = -1;
	c.mptcp_c_flag = MPN_C_FLAG_SET;
	k.mptcp = true;
	k.c_flag = true;
	assert_true(mpn_class_matches(&c, &k));
	k.c_flag = false;
	assert_false(mpn_class_matches(&c, &k));
	c.mptcp_c_flag = MPN_C_FLAG_CLEAR;
	assert_true(mpn_class_matches(&c, &k));
	k.mptcp = false;                            /* plain TCP: no C flag, clear or set */
	assert_false(mpn_class_matches(&c, &k));

	/* Subtypes: any one listed; a connection key (subtypes 0) never matches. */
	memset(&c, 0, sizeof(c));
	c.link = -1;
	c.mptcp_subtypes = (1u << 3) | (1u << 6);   /* add-addr, mp-fail */
	assert_true(mpn_class_is_segment_level(&c));
	k = key4(a10_1_1_1, a10_2_2_2, 1, 2);
	k.mptcp = true;
	k.subtypes = 1u << 2;                       /* DSS only */
	assert_false(mpn_class_matches(&c, &k));
	k.subtypes = (1u << 2) | (1u << 3);         /* DSS + ADD_ADDR */
	assert_true(mpn_class_matches(&c, &k));
	k.subtypes = 0;
	assert_false(mpn_class_matches(&c, &k));
}

/* A policy with classes: [0] dport 10000, [1] any; tcp-maps: default, a, b. */
static struct mpn_policy *
two_class_policy(void)
{
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_policy_map *pm;

	assert_non_null(p);
	mpn_tcp_map_defaults(&p->tcp_maps[1], "a");
	mpn_tcp_map_defaults(&p->tcp_maps[2], "b");
	p->n_tcp_maps = 3;
	memset(&p->classes[0], 0, sizeof(p->classes[0]));
	snprintf(p->classes[0].name, sizeof(p->classes[0].name), "vpn");
	p->classes[0].link = -1;
	p->classes[0].n_dport = 1;
	p->classes[0].dport[0].lo = p->classes[0].dport[0].hi = 10000;
	memset(&p->classes[1], 0, sizeof(p->classes[1]));
	snprintf(p->classes[1].name, sizeof(p->classes[1].name), "all");
	p->classes[1].link = -1;
	p->n_classes = 2;

	pm = &p->policy_maps[0];
	snprintf(pm->name, sizeof(pm->name), "global_policy");
	pm->rules[0] = (struct mpn_policy_rule){ .class_idx = 0, .tcp_map_idx = 0,
		.tcp_state_bypass = true };
	pm->rules[1] = (struct mpn_policy_rule){ .class_idx = 1, .tcp_map_idx = 1 };
	pm->n_rules = 2;
	pm = &p->policy_maps[1];
	snprintf(pm->name, sizeof(pm->name), "outside_policy");
	pm->rules[0] = (struct mpn_policy_rule){ .class_idx = 1, .tcp_map_idx = 2,
		.inspect = true };
	pm->n_rules = 1;
	p->n_policy_maps = 2;
	return p;
}

static void
test_first_match_order(void **state)
{
	struct mpn_policy *p = two_class_policy();
	struct mpn_classify_key k = key4(a10_1_1_1, a10_2_2_2, 40000, 10000);
	const struct mpn_policy_rule *r;

	(void)state;
	/* No service-policy bound at all: the default rule (the ASA default map). */
	r = mpn_policy_classify(p, &k);
	assert_ptr_equal(r, &p->default_rule);
	assert_string_equal(mpn_policy_rule_tcp_map(p, r)->name, "default");

	p->global_policy_map = 0;
	/* Both classes match port 10000; the first one listed wins. */
	r = mpn_policy_classify(p, &k);
	assert_int_equal(r->class_idx, 0);
	assert_true(r->tcp_state_bypass);
	k.dport = 443;
	r = mpn_policy_classify(p, &k);
	assert_int_equal(r->class_idx, 1);
	assert_string_equal(mpn_policy_rule_tcp_map(p, r)->name, "a");

	/* Swapping the order makes "all" shadow "vpn". */
	{
		struct mpn_policy_rule t = p->policy_maps[0].rules[0];

		p->policy_maps[0].rules[0] = p->policy_maps[0].rules[1];
		p->policy_maps[0].rules[1] = t;
	}
	k.dport = 10000;
	r = mpn_policy_classify(p, &k);
	assert_int_equal(r->class_idx, 1);
	assert_false(r->tcp_state_bypass);
	mpn_policy_free(p);
}

static void
test_no_class_matches(void **state)
{
	struct mpn_policy *p = two_class_policy();
	struct mpn_classify_key k = key4(a10_1_1_1, a10_2_2_2, 40000, 443);

	(void)state;
	p->global_policy_map = 0;
	p->policy_maps[0].n_rules = 1;   /* only "vpn" */
	assert_ptr_equal(mpn_policy_classify(p, &k), &p->default_rule);
	mpn_policy_free(p);
}

static void
test_service_policy_precedence(void **state)
{
	struct mpn_policy *p = two_class_policy();
	struct mpn_classify_key k = key4(a10_1_1_1, a10_2_2_2, 40000, 443);
	const struct mpn_policy_rule *r;

	(void)state;
	p->global_policy_map = 0;
	/* Link 1, any direction -> outside_policy. */
	p->bindings[0] = (struct mpn_policy_binding){ .link = 1, .dir = MPN_DIR_MATCH_ANY,
		.policy_map_idx = 1 };
	/* Link 1, inside->outside -> global_policy (more specific, listed later). */
	p->bindings[1] = (struct mpn_policy_binding){ .link = 1, .dir = MPN_DIR_MATCH_IN2OUT,
		.policy_map_idx = 0 };
	p->n_bindings = 2;

	k.link = 0;
	r = mpn_policy_classify(p, &k);            /* unbound link: global */
	assert_string_equal(mpn_policy_rule_tcp_map(p, r)->name, "a");
	k.link = 1;
	k.dir = 1;
	r = mpn_policy_classify(p, &k);            /* link 1, out->in: link binding */
	assert_string_equal(mpn_policy_rule_tcp_map(p, r)->name, "b");
	assert_true(r->inspect);
	k.dir = 0;
	r = mpn_policy_classify(p, &k);            /* link 1, in->out: link+direction */
	assert_string_equal(mpn_policy_rule_tcp_map(p, r)->name, "a");
	mpn_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asa_defaults),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_port_range_parse),
		cmocka_unit_test(test_class_match_kinds),
		cmocka_unit_test(test_class_match_mptcp_attrs),
		cmocka_unit_test(test_first_match_order),
		cmocka_unit_test(test_no_class_matches),
		cmocka_unit_test(test_service_policy_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
