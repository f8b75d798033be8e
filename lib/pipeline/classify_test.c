/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Class-map criteria on MPTCP attributes through the pipeline (issue 16):
 * `mptcp present` for every segment of every subflow, `mptcp-version`,
 * `mptcp-c-flag`, joins taking their connection's class through the
 * token, and `mptcp-subtype` choosing single segments only.
 */
#include <rte_eal.h>

#include "track_testlib.h"

#include "conn.h"
#include "mptcp.h"
#include "track.h"

enum { C_SIGNALS, C_LB, C_V1_SERVER, C_MPTCP, N_CLASSES };

/* Rule id of class i in policy-map 0 (mpn_policy_rule_id()). */
#define RULE(i) ((uint16_t)(1 + (i)))

/*
 * tcp-map 0 (the default) lets kind 30 through (mptcp_policy()); classes,
 * first match wins:
 *   signals    mptcp-subtype = [ "add-addr" ]
 *   lb         mptcp-c-flag = true
 *   v1-server  dst = 10.0.1.2, mptcp-version = 1
 *   mptcp      mptcp = present
 */
static void
class_policy(struct mpn_policy *pol)
{
	static const char *const names[] = { "signals", "lb", "v1-server", "mptcp" };
	unsigned int i;

	for (i = 0; i < N_CLASSES; i++) {
		struct mpn_class_map *c = &pol->classes[i];

		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s", names[i]);
		c->link = -1;
		pol->policy_maps[0].rules[i] = (struct mpn_policy_rule){ .class_idx = (int)i };
	}
	pol->classes[C_SIGNALS].mptcp_subtypes = 1u << MPN_MPTCP_ADD_ADDR;
	pol->classes[C_LB].mptcp_c_flag = MPN_C_FLAG_SET;
	assert_int_equal(mpn_prefix_parse("10.0.1.2/32", &pol->classes[C_V1_SERVER].dst[0]), 0);
	pol->classes[C_V1_SERVER].n_dst = 1;
	pol->classes[C_V1_SERVER].mptcp_versions = 1u << 1;
	pol->classes[C_MPTCP].mptcp = MPN_MPTCP_MATCH_PRESENT;
	pol->n_classes = N_CLASSES;
	pol->has_segment_classes = true;
	snprintf(pol->policy_maps[0].name, sizeof(pol->policy_maps[0].name), "pm0");
	pol->policy_maps[0].n_rules = N_CLASSES;
	pol->n_policy_maps = 1;
	pol->global_policy_map = 0;
}

/* A reload: the same policy under a new generation (the class caches go stale). */
static void
reload(struct env *e)
{
	struct mpn_policy *p = mpn_policy_new();
	uint32_t gen;

	assert_non_null(p);
	gen = p->generation;
	memcpy(p, e->pol, sizeof(*p));
	p->generation = gen;
	mpn_policy_free(e->pol);
	e->pol = p;
}

static size_t
add_addr_v4(uint8_t *o, uint8_t id, const uint8_t ip[4])
{
	/* RFC 8684 §3.4.1, echo form (no HMAC): kind, len 8, subtype|E, id, address. */
	o[0] = 30; o[1] = 8; o[2] = (uint8_t)(MPN_MPTCP_ADD_ADDR << 4) | 1; o[3] = id;
	memcpy(o + 4, ip, 4);
	return 8;
}

static void
test_mptcp_class_per_connection(void **state)
{
	const uint64_t ka = 0x1111222233334444ULL, kb = 0x5555666677778888ULL;
	struct mpn_norm_result res;
	uint8_t o[40];
	uint32_t tok_b;
	struct tconn k, j;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	class_policy(e.pol);
	mpn_mptcp_key_token(1, kb, &tok_b, NULL);
	tconn_init(&k, 1, 40000, 443);
	mptcp_handshake(&e, &k, ka, kb);

	/* Every segment of the subflow is in its class, kind 30 or not. */
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 100, &res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 100, 65535, o, dss_ack(o, 1), 0,
		&res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));
	/* After a reload too: the subflow is MPTCP because its handshake said so. */
	reload(&e);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq + 100, k.sseq, 65535, NULL, 0, 0, &res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));

	/* An ADD_ADDR segment is the signals class's, that segment only. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 100, 65535, o,
		add_addr_v4(o, 1, (const uint8_t[]){ 10, 0, 2, 2 }), 0, &res));
	assert_int_equal(res.rule_id, RULE(C_SIGNALS));
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq + 100, 65535, NULL, 0, 0, &res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));

	/*
	 * A join to the advertised address 10.0.2.2: no class names it, yet it
	 * takes its connection's class through the token, SYN to third ACK.
	 */
	reload(&e);
	tconn_init(&k, 1, 40001, 443);     /* a fresh connection under this generation */
	mptcp_handshake(&e, &k, ka + 1, kb + 1);
	mpn_mptcp_key_token(1, kb + 1, &tok_b, NULL);
	tconn_init(&j, 2, 40002, 443);
	join_syn(o, tok_b, 7);
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));
	tconn_init(&j, 2, 40003, 443);
	assert_int_equal(join(&e, &j, 1, tok_b, ka + 1, kb + 1, false, false), 7);
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq, j.sseq, 65535, NULL, 0, 100, &res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));

	/*
	 * After a reload the connection's class is stale: the join is
	 * classified by its own addresses, with its connection's attributes
	 * (MPTCP, version 1), so `mptcp present` takes it, not the default.
	 */
	reload(&e);
	tconn_init(&j, 2, 40004, 443);
	join_syn(o, tok_b, 8);
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	assert_int_equal(res.rule_id, RULE(C_MPTCP));

	/* A version-0 connection to the same server is not v1-server's. */
	tconn_init(&k, 1, 40005, 443);
	o[0] = 30; o[1] = 12; o[2] = 0x00; o[3] = 0x81;
	put64(o + 4, ka);
	assert_true(xmit(&e, &k, true, TH_SYN, k.cseq, 0, 65535, o, 12, 0, &res));
	assert_int_equal(res.rule_id, RULE(C_MPTCP));
	/* Plain TCP to it: no class (the default rule). */
	tconn_init(&k, 1, 40006, 443);
	assert_true(xmit(&e, &k, true, TH_SYN, k.cseq, 0, 65535, NULL, 0, 0, &res));
	assert_int_equal(res.rule_id, 0);
	env_close(&e);
}

/* The C flag (RFC 8684 §3.1): the server's, from its SYN/ACK, reaches the joins. */
static void
test_c_flag_class(void **state)
{
	const uint64_t ka = 0x0102030405060708ULL, kb = 0x1112131415161718ULL;
	struct mpn_norm_result res;
	uint8_t s[4], sa[12], a[20], o[12];
	uint32_t tok_b;
	struct tconn k, j;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	class_policy(e.pol);
	tconn_init(&k, 3, 40000, 443);
	/* SYN without C: the client's direction is decided there, not lb. */
	mpc_syn(s);
	assert_true(xmit(&e, &k, true, TH_SYN, k.cseq, 0, 65535, s, 4, 0, &res));
	assert_int_equal(res.rule_id, RULE(C_MPTCP));
	/* The server sets C in its SYN/ACK (a load balancer's address). */
	mpc_synack(sa, kb);
	sa[3] |= MPN_MPTCP_CAP_C;
	assert_true(xmit(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, 65535, sa, 12, 0,
		&res));
	k.cseq++;
	k.sseq++;
	mpc_ack(a, ka, kb);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, a, 20, 0, &res));
	assert_int_equal(res.rule_id, RULE(C_MPTCP));  /* the class of the SYN stays */
	/* After a reload, a join carries the connection's C flag: lb. */
	reload(&e);
	mpn_mptcp_key_token(1, kb, &tok_b, NULL);
	tconn_init(&j, 4, 40001, 443);
	join_syn(o, tok_b, 9);
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	assert_int_equal(res.rule_id, RULE(C_LB));
	env_close(&e);
}

/* Like xmit(), on link @p link, the client inside: its packets in2out, the server's out2in. */
static bool
xmit_link(struct env *e, struct tconn *k, uint16_t link, bool from_client, uint8_t flags,
	uint32_t seq, uint32_t ack, const uint8_t *opts, size_t olen, uint32_t plen,
	struct mpn_norm_result *res)
{
	struct mpn_burst_origin o = { .port = 0, .link = link,
		.dir = from_client ? MPN_DIR_IN2OUT : MPN_DIR_OUT2IN, .l2 = MPN_L2_ETHER };
	static uint8_t f[2048];
	uint8_t *frames[1] = { f };
	uint32_t lens[1];
	uint8_t verdict;

	lens[0] = build(f, from_client ? &k->c : &k->s, from_client ? &k->s : &k->c, flags, seq,
		ack, 65535, opts, olen, plen);
	e->now += 10;
	mpn_pipeline_run_frames(&e->pl, e->pol, &o, frames, lens, 1, &verdict, e->now);
	memcpy(res, &e->pl.ctx[0].res, sizeof(*res));
	return verdict == MPN_VERDICT_FORWARD;
}

/*
 * The initial subflow on link 0, a join on link 1, each direction on its
 * own side: the join takes its connection's class in both directions and
 * completes its handshake (the case the kernel's selftests run).
 */
static void
test_join_other_link(void **state)
{
	const uint64_t ka = 0x3132333435363738ULL, kb = 0x4142434445464748ULL;
	uint32_t ra = 0x01020304, rb = 0x0a0b0c0d, tok_b;
	struct mpn_norm_result res;
	uint8_t o[40], h[20];
	struct tconn k, j;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	class_policy(e.pol);
	tconn_init(&k, 1, 40000, 443);
	assert_true(xmit_link(&e, &k, 0, true, TH_SYN, k.cseq, 0, o, mpc_syn(o), 0, &res));
	assert_true(xmit_link(&e, &k, 0, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		mpc_synack(o, kb), 0, &res));
	k.cseq++;
	k.sseq++;
	assert_true(xmit_link(&e, &k, 0, true, TH_ACK, k.cseq, k.sseq, o, mpc_ack(o, ka, kb), 0,
		&res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));
	mpn_mptcp_key_token(1, kb, &tok_b, NULL);
	assert_non_null(mpn_conn_lookup(e.ct, tok_b));

	tconn_init(&j, 2, 40001, 443);
	assert_true(xmit_link(&e, &j, 1, true, TH_SYN, j.cseq, 0, o, join_syn(o, tok_b, ra), 0,
		&res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));
	mpn_mptcp_join_hmac(1, kb, ka, rb, ra, h);
	assert_true(xmit_link(&e, &j, 1, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, o,
		join_synack(o, h, rb), 0, &res));
	assert_int_equal(res.rule_id, RULE(C_V1_SERVER));
	mpn_mptcp_join_hmac(1, ka, kb, ra, rb, h);
	assert_true(xmit_link(&e, &j, 1, true, TH_ACK, j.cseq + 1, j.sseq + 1, o,
		join_ack(o, h), 0, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->joins_verified, 1);
	env_close(&e);
}

/* track_testlib.h helpers this program does not need. */
static void (*const unused_set_rule)(struct mpn_policy *, bool, bool, bool, uint16_t)
	__attribute__((unused)) = set_rule;
static bool (*const unused_has_reason)(const struct mpn_norm_result *, enum mpn_reason,
	uint8_t) __attribute__((unused)) = has_reason;

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mptcp_class_per_connection),
		cmocka_unit_test(test_c_flag_class),
		cmocka_unit_test(test_join_other_link),
	};

	(void)argc;
	int rc;

	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
