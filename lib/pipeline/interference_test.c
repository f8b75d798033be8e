/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interference telemetry (interference.c) with crafted segments through
 * the whole pipeline: each counter moves for the segment that shows it,
 * once per subflow where it says so, on the packet's link, direction and
 * class, and never for a segment mpnorm drops.
 */
#include <inttypes.h>

#include <pcap/pcap.h>

#include <rte_eal.h>

/* Not every helper of the shared test library is used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "track_testlib.h"

#include "interference.h"

/* Counter @p k on link 0, direction @p dir. */
static uint64_t
on_link(const struct env *e, enum mpn_direction dir, enum mpn_intf_counter k)
{
	return e->pl.intf.link[0][dir].c[k];
}

/* Counter @p k over every link, direction (the class view must agree). */
static uint64_t
total(const struct env *e, enum mpn_intf_counter k)
{
	uint64_t by_link = 0, by_class = 0;
	unsigned int l, d, r;

	for (l = 0; l < MPN_INTF_LINKS; l++)
		for (d = 0; d < 2; d++)
			by_link += e->pl.intf.link[l][d].c[k];
	for (r = 0; r < MPN_POLICY_RULE_IDS; r++)
		by_class += e->pl.intf.cls[r].c[k];
	assert_int_equal(by_link, by_class);
	return by_link;
}

/*
 * Like xmit(), but as a real link sees it: from the client (inside) the
 * packet arrives in2out, from the server out2in, on link @p link.
 */
static bool
send_on(struct env *e, struct tconn *k, uint16_t link, bool from_client, uint8_t flags,
	uint32_t seq, uint32_t ack, const uint8_t *opts, size_t olen, uint32_t plen,
	struct mpn_norm_result *res)
{
	static uint8_t f[2048];
	struct mpn_burst_origin o = { .port = 0, .link = link,
		.dir = from_client ? MPN_DIR_IN2OUT : MPN_DIR_OUT2IN, .l2 = MPN_L2_ETHER };
	uint8_t *frames[1] = { f };
	uint32_t lens[1], verdict;
	uint8_t v;

	lens[0] = build(f, from_client ? &k->c : &k->s, from_client ? &k->s : &k->c, flags, seq,
		ack, 65535, opts, olen, plen);
	e->now += 10;
	mpn_pipeline_run_frames(&e->pl, e->pol, &o, frames, lens, 1, &v, e->now);
	verdict = v;
	memcpy(res, &e->pl.ctx[0].res, sizeof(*res));
	assert_int_equal(verdict == MPN_VERDICT_FORWARD, res->forward);
	return res->forward;
}

static bool
seg(struct env *e, struct tconn *k, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
	const uint8_t *opts, size_t olen, uint32_t plen)
{
	struct mpn_norm_result res;

	return send_on(e, k, 0, from_client, flags, seq, ack, opts, olen, plen, &res);
}

/* MSS, then @p extra. */
static size_t
mss_plus(uint8_t *o, const uint8_t *extra, size_t n)
{
	o[0] = 2; o[1] = 4; o[2] = 0x05; o[3] = 0xb4;
	if (n > 0)   /* memcpy's source may not be NULL, even for 0 bytes */
		memcpy(o + 4, extra, n);
	return 4 + n;
}

/* A full MPTCP v1 handshake, options as Linux sends them. */
static void
mptcp_open(struct env *e, struct tconn *k)
{
	mptcp_handshake(e, k, 0x1111111111111111ull, 0x2222222222222222ull);
}

/* DSS: 4-byte data ACK, 4-byte DSN mapping of @p dlen bytes (no checksum). */
static size_t
dss_map(uint8_t *o, uint32_t dsn, uint32_t ssn, uint16_t dlen)
{
	o[0] = 30; o[1] = 18; o[2] = 0x20; o[3] = 0x05;
	put32(o + 4, 1);
	put32(o + 8, dsn);
	put32(o + 12, ssn);
	o[16] = (uint8_t)(dlen >> 8);
	o[17] = (uint8_t)dlen;
	return 18;
}

static void
test_synack_stripped_vs_plain(void **state)
{
	struct env e;
	struct tconn k, k2;
	uint8_t o[40], m[12], nops[12];

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	memset(nops, 1, sizeof(nops));
	/* Stripped: the SYN/ACK has 12 NOPs where its MP_CAPABLE was (nft reset). */
	tconn_init(&k, 1, 40000, 80);
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, m, mpc_syn(m)), 0));
	assert_int_equal(on_link(&e, MPN_DIR_IN2OUT, MPN_INTF_mpc_syn), 1);
	assert_true(seg(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		mss_plus(o, nops, 12), 0));
	assert_int_equal(on_link(&e, MPN_DIR_OUT2IN, MPN_INTF_mpc_synack_stripped), 1);
	assert_int_equal(on_link(&e, MPN_DIR_OUT2IN, MPN_INTF_nop_run_synack), 1);
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_plain), 0);
	/* A retransmitted SYN/ACK is the same answer: judged once; the SYN too. */
	assert_true(seg(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		mss_plus(o, nops, 12), 0));
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, m, mpc_syn(m)), 0));
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_stripped), 1);
	assert_int_equal(total(&e, MPN_INTF_mpc_syn), 1);
	/* ...but each SYN/ACK's NOP run is a segment seen. */
	assert_int_equal(total(&e, MPN_INTF_nop_run_synack), 2);

	/* Plain: a clean option list, the server does not speak MPTCP. */
	tconn_init(&k2, 2, 40001, 80);
	assert_true(seg(&e, &k2, true, TH_SYN, k2.cseq, 0, o, mss_plus(o, m, mpc_syn(m)), 0));
	assert_true(seg(&e, &k2, false, TH_SYN | TH_ACK, k2.sseq, k2.cseq + 1, o,
		mss_plus(o, NULL, 0), 0));
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_plain), 1);
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_stripped), 1);
	assert_int_equal(total(&e, MPN_INTF_nop_run_synack), 2);
	assert_int_equal(total(&e, MPN_INTF_mpc_syn), 2);
	/* A normal MPTCP handshake moves neither. */
	tconn_init(&k2, 3, 40002, 80);
	mptcp_open(&e, &k2);
	assert_int_equal(total(&e, MPN_INTF_mpc_syn), 3);
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_plain) +
		total(&e, MPN_INTF_mpc_synack_stripped), 2);
	env_close(&e);
}

/* The class and link of the packet: per-class counters follow the rule. */
static void
test_per_link_and_class(void **state)
{
	struct env e;
	struct tconn k;
	struct mpn_norm_result res;
	uint8_t o[40], m[12];
	uint16_t id;

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	set_rule(e.pol, false, false, false, 443);
	id = mpn_policy_rule_id(e.pol, &e.pol->policy_maps[0].rules[0]);
	assert_int_not_equal(id, 0);
	tconn_init(&k, 1, 40000, 443);
	assert_true(send_on(&e, &k, 3, true, TH_SYN, k.cseq, 0, o, mss_plus(o, m, mpc_syn(m)),
		0, &res));
	assert_int_equal(res.rule_id, id);
	assert_true(send_on(&e, &k, 3, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		mss_plus(o, NULL, 0), 0, &res));
	assert_int_equal(e.pl.intf.link[3][MPN_DIR_IN2OUT].c[MPN_INTF_mpc_syn], 1);
	assert_int_equal(e.pl.intf.link[3][MPN_DIR_OUT2IN].c[MPN_INTF_mpc_synack_plain], 1);
	assert_int_equal(e.pl.intf.link[0][MPN_DIR_OUT2IN].c[MPN_INTF_mpc_synack_plain], 0);
	assert_int_equal(e.pl.intf.cls[id].c[MPN_INTF_mpc_synack_plain], 1);
	assert_int_equal(e.pl.intf.cls[0].c[MPN_INTF_mpc_synack_plain], 0);
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_plain), 1);
	env_close(&e);
}

/* A fallback class clears MP_CAPABLE itself: that is not the path's doing. */
static void
test_own_fallback_not_counted(void **state)
{
	struct env e;
	struct tconn k;
	uint8_t o[40], m[12];

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].option_action[30] = MPN_ACTION_CLEAR;
	tconn_init(&k, 1, 40000, 80);
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, m, mpc_syn(m)), 0));
	assert_true(seg(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		mss_plus(o, NULL, 0), 0));
	assert_int_equal(total(&e, MPN_INTF_mpc_syn), 0);
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_plain), 0);
	env_close(&e);
}

/* Linux retries its SYN without MP_CAPABLE when the MPTCP SYNs are lost. */
static void
test_syn_retry_plain(void **state)
{
	struct env e;
	struct tconn k;
	uint8_t o[40], m[12];

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40000, 80);
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, m, mpc_syn(m)), 0));
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, m, mpc_syn(m)), 0));
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, NULL, 0), 0));
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, NULL, 0), 0));
	assert_int_equal(total(&e, MPN_INTF_mpc_syn), 1);
	assert_int_equal(total(&e, MPN_INTF_mpc_syn_retry_plain), 1);
	/* The plain SYN/ACK answers the plain SYN: no strip counted. */
	assert_true(seg(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		mss_plus(o, NULL, 0), 0));
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_plain), 0);
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_stripped), 0);
	env_close(&e);
}

/* Data without DSS after an MP_CAPABLE handshake: once per subflow direction. */
static void
test_fallback_no_dss(void **state)
{
	struct env e;
	struct tconn k, k2;
	uint8_t o[40];

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40000, 80);
	mptcp_open(&e, &k);
	/* The server's first data is mapped: fine. */
	assert_true(seg(&e, &k, false, TH_ACK, k.sseq, k.cseq, o, dss_map(o, 1, 1, 100), 100));
	k.sseq += 100;
	assert_int_equal(total(&e, MPN_INTF_fallback_no_dss), 0);
	/* The client's first data carries no DSS: it fell back. */
	assert_true(seg(&e, &k, true, TH_ACK, k.cseq, k.sseq, NULL, 0, 200));
	k.cseq += 200;
	assert_int_equal(on_link(&e, MPN_DIR_IN2OUT, MPN_INTF_fallback_no_dss), 1);
	assert_true(seg(&e, &k, true, TH_ACK, k.cseq, k.sseq, NULL, 0, 200));
	k.cseq += 200;
	/* Later unmapped data of the same direction, or of the mapped one, is not counted. */
	assert_true(seg(&e, &k, false, TH_ACK, k.sseq, k.cseq, NULL, 0, 100));
	assert_int_equal(total(&e, MPN_INTF_fallback_no_dss), 1);

	/* A plain TCP connection's data is not a fallback. */
	tconn_init(&k2, 2, 40001, 80);
	handshake(&e, &k2, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	assert_true(seg(&e, &k2, true, TH_ACK, k2.cseq, k2.sseq, NULL, 0, 200));
	/* The v1 MP_CAPABLE that carries the first data maps it (RFC 8684 §3.1). */
	tconn_init(&k2, 3, 40002, 80);
	mptcp_open(&e, &k2);
	o[0] = 30; o[1] = 22; o[2] = 0x01; o[3] = 0x81;
	put64(o + 4, 0x1111111111111111ull);
	put64(o + 12, 0x2222222222222222ull);
	o[20] = 0; o[21] = 200;
	assert_true(seg(&e, &k2, true, TH_ACK, k2.cseq, k2.sseq, o, 22, 200));
	assert_int_equal(total(&e, MPN_INTF_fallback_no_dss), 1);
	env_close(&e);
}

/* MP_FAIL, infinite mappings and the MP_TCPRST histogram; dropped segments do not count. */
static void
test_fail_infinite_tcprst(void **state)
{
	static const uint8_t reasons[] = { 0, 1, 2, 3, 4, 5, 6, 7, 0xff };
	struct env e;
	struct tconn k;
	uint8_t o[40];
	unsigned int i;

	(void)state;
	env_open(&e, 256, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40000, 80);
	mptcp_open(&e, &k);
	/* MP_FAIL (RFC 8684 §3.7): 12 bytes, the DSN. */
	memset(o, 0, 12);
	o[0] = 30; o[1] = 12; o[2] = 0x60;
	put64(o + 4, 77);
	assert_true(seg(&e, &k, false, TH_ACK, k.sseq, k.cseq, o, 12, 0));
	assert_int_equal(on_link(&e, MPN_DIR_OUT2IN, MPN_INTF_mp_fail), 1);
	/* Infinite mapping: DSS with data-level length 0. */
	assert_true(seg(&e, &k, true, TH_ACK, k.cseq, k.sseq, o, dss_map(o, 1, 1, 0), 100));
	k.cseq += 100;
	assert_int_equal(on_link(&e, MPN_DIR_IN2OUT, MPN_INTF_infinite_mapping), 1);
	/* A finite mapping is not one. */
	assert_true(seg(&e, &k, true, TH_ACK, k.cseq, k.sseq, o, dss_map(o, 101, 101, 100), 100));
	k.cseq += 100;
	assert_int_equal(total(&e, MPN_INTF_infinite_mapping), 1);

	/* Out of the window: RFC 5961 §3 drops this RST, and its MP_TCPRST counts nowhere. */
	o[0] = 30; o[1] = 4; o[2] = 0x80; o[3] = 3;
	assert_false(seg(&e, &k, true, TH_RST | TH_ACK, k.cseq + 0x40000000u, k.sseq, o, 4, 0));
	assert_int_equal(total(&e, MPN_INTF_tcprst_prohibited), 0);

	/* One RST per reason, each on its own connection, at the exact sequence. */
	for (i = 0; i < sizeof(reasons); i++) {
		struct tconn r;

		tconn_init(&r, (uint8_t)(10 + i), (uint16_t)(41000 + i), 80);
		mptcp_open(&e, &r);
		o[0] = 30; o[1] = 4; o[2] = 0x81; o[3] = reasons[i];
		assert_true(seg(&e, &r, false, TH_RST | TH_ACK, r.sseq, r.cseq, o, 4, 0));
	}
	for (i = 0; i < MPN_INTF_TCPRST_KNOWN; i++)
		assert_int_equal(on_link(&e, MPN_DIR_OUT2IN,
			(enum mpn_intf_counter)(MPN_INTF_tcprst_unspecified + i)), 1);
	assert_int_equal(total(&e, MPN_INTF_tcprst_other), 2);
	env_close(&e);
}

/* Runs of 4 NOPs in a SYN; 3 (what stacks pad with at most) is not one. */
static void
test_nop_run_syn(void **state)
{
	struct env e;
	struct tconn k;
	uint8_t o[40], n[8];

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	memset(n, 1, sizeof(n));
	tconn_init(&k, 1, 40000, 80);
	/* MSS, NOP NOP NOP, window scale 7: 3 NOPs. */
	n[3] = 3; n[4] = 3; n[5] = 7;
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, n, 6), 0));
	assert_int_equal(total(&e, MPN_INTF_nop_run_syn), 0);
	/* MSS, then 4 NOPs where a 4-byte MP_CAPABLE was (stripped before mpnorm). */
	tconn_init(&k, 2, 40001, 80);
	memset(n, 1, sizeof(n));
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, mss_plus(o, n, 4), 0));
	assert_int_equal(on_link(&e, MPN_DIR_IN2OUT, MPN_INTF_nop_run_syn), 1);
	assert_int_equal(total(&e, MPN_INTF_nop_run_synack), 0);
	assert_int_equal(total(&e, MPN_INTF_mpc_syn), 0);
	env_close(&e);
}

/* Joins refused by the server: by RST, or by a SYN/ACK without MP_JOIN. */
static void
test_join_refused(void **state)
{
	struct env e;
	struct tconn k;
	uint8_t o[40];

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	/* Unknown tokens pass: the server is the one who refuses here. */
	e.pol->tcp_maps[0].mptcp.join = MPN_JOIN_ALLOW_UNKNOWN;
	tconn_init(&k, 1, 40000, 80);
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, join_syn(o, 0xdeadbeef, 1), 0));
	assert_int_equal(on_link(&e, MPN_DIR_IN2OUT, MPN_INTF_join_syn), 1);
	assert_true(seg(&e, &k, false, TH_RST | TH_ACK, 0, k.cseq + 1, NULL, 0, 0));
	assert_int_equal(on_link(&e, MPN_DIR_OUT2IN, MPN_INTF_join_refused_rst), 1);
	/* The second RST for the same SYN is not a second refusal. */
	(void)seg(&e, &k, false, TH_RST | TH_ACK, 0, k.cseq + 1, NULL, 0, 0);
	assert_int_equal(total(&e, MPN_INTF_join_refused_rst), 1);

	tconn_init(&k, 2, 40001, 80);
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, join_syn(o, 0xdeadbeef, 2), 0));
	assert_true(seg(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		mss_plus(o, NULL, 0), 0));
	assert_int_equal(on_link(&e, MPN_DIR_OUT2IN, MPN_INTF_join_refused_no_join), 1);
	/* And the RST that follows it is not a second refusal. */
	(void)seg(&e, &k, false, TH_RST, k.sseq + 1, 0, NULL, 0, 0);
	assert_int_equal(total(&e, MPN_INTF_join_syn), 2);
	assert_int_equal(total(&e, MPN_INTF_join_refused_rst), 1);

	/*
	 * Linux accepts the join's SYN and refuses at the third ACK when its
	 * subflow limit is reached: SYN/ACK with MP_JOIN, then at once a RST
	 * with MP_TCPRST 0x03 (administratively prohibited).
	 */
	tconn_init(&k, 3, 40002, 80);
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, join_syn(o, 0xdeadbeef, 3), 0));
	assert_true(seg(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		join_synack(o, (const uint8_t *)"12345678", 4), 0));
	k.cseq++;
	k.sseq++;
	assert_true(seg(&e, &k, true, TH_ACK, k.cseq, k.sseq, NULL, 0, 0));
	o[0] = 30; o[1] = 4; o[2] = 0x80; o[3] = 3;
	assert_true(seg(&e, &k, false, TH_RST, k.sseq, 0, o, 4, 0));
	assert_int_equal(total(&e, MPN_INTF_join_refused_rst), 2);
	assert_int_equal(total(&e, MPN_INTF_tcprst_prohibited), 1);
	assert_int_equal(total(&e, MPN_INTF_join_refused_no_join), 1);

	/* A join that carried traffic and is reset later was not refused. */
	tconn_init(&k, 4, 40003, 80);
	assert_true(seg(&e, &k, true, TH_SYN, k.cseq, 0, o, join_syn(o, 0xdeadbeef, 5), 0));
	assert_true(seg(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, o,
		join_synack(o, (const uint8_t *)"12345678", 6), 0));
	k.cseq++;
	k.sseq++;
	assert_true(seg(&e, &k, true, TH_ACK, k.cseq, k.sseq, NULL, 0, 0));
	assert_true(seg(&e, &k, false, TH_ACK, k.sseq, k.cseq, o, dss_map(o, 1, 1, 10), 10));
	k.sseq += 10;
	assert_true(seg(&e, &k, false, TH_RST, k.sseq, 0, NULL, 0, 0));
	assert_int_equal(total(&e, MPN_INTF_join_syn), 4);
	assert_int_equal(total(&e, MPN_INTF_join_refused_rst), 2);
	/* Neither is an MP_CAPABLE matter. */
	assert_int_equal(total(&e, MPN_INTF_mpc_synack_plain), 0);
	env_close(&e);
}

/* Link type of a capture, as the pipeline names it. */
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
 * The real captures (pcaps/real/, GROUND_TRUTH.md): Linux, tcpdump's and
 * ptcpdump's MPTCP traffic, none of it through a box that breaks MPTCP.
 * Replayed as one link sees it: the MP_TCPRST reasons, the joins and the
 * connections the ground truth lists are counted, and nothing that means
 * interference is (no false fallback on thousands of DSS-mapped segments).
 */
static void
test_real_captures(void **state)
{
	static const struct {
		const char *file;
		uint64_t tcprst[2];  /* reasons 0x00 and 0x01 */
		uint64_t join_syn;   /* joins seen */
		uint64_t mpc_syn;    /* connections (each has its MP_CAPABLE SYN) */
	} truth[] = {
		{ "/linux/capture-fail-fastclose.pcap", { 1, 0 }, 0, 2 },
		{ "/linux/capture-mid.pcap", { 0, 0 }, 2, 1 },
		{ "/ptcpdump/mptcp.pcap", { 0, 0 }, 0, 1 },
		{ "/tcpdump/mptcp-aa-v1.pcap", { 0, 0 }, 0, 1 },
		{ "/tcpdump/mptcp-fclose.pcap", { 0, 0 }, 0, 1 },
		{ "/tcpdump/mptcp-tcprst.pcap", { 1, 1 }, 0, 0 },
		{ "/tcpdump/mptcp-v0.pcap", { 0, 0 }, 1, 1 },
		{ "/tcpdump/mptcp-v1.pcap", { 0, 0 }, 0, 1 },
	};
	static const enum mpn_intf_counter never[] = {
		MPN_INTF_mpc_syn_retry_plain, MPN_INTF_mpc_synack_stripped, MPN_INTF_mpc_synack_plain,
		MPN_INTF_fallback_no_dss, MPN_INTF_mp_fail, MPN_INTF_infinite_mapping,
		MPN_INTF_nop_run_syn, MPN_INTF_nop_run_synack, MPN_INTF_join_refused_rst,
		MPN_INTF_join_refused_no_join,
	};
	static uint8_t buf[65536];
	unsigned int i, k;
	uint64_t mpc_total = 0;

	(void)state;
	for (i = 0; i < RTE_DIM(truth); i++) {
		struct mpn_burst_origin o = { .port = 0, .link = 0, .dir = MPN_DIR_IN2OUT };
		char path[512], err[PCAP_ERRBUF_SIZE];
		struct pcap_pkthdr *h;
		const u_char *d;
		struct env e;
		pcap_t *p;

		snprintf(path, sizeof(path), "%s%s", MPN_PCAPS_DIR, truth[i].file);
		p = pcap_open_offline(path, err);
		if (p == NULL)
			fail_msg("%s: %s", path, err);
		env_open(&e, 65536, MPN_FLOW_MIDSTREAM_LEARN);
		assert_true(l2_of(pcap_datalink(p), &o.l2));
		while (pcap_next_ex(p, &h, &d) == 1) {
			uint8_t *frames[1] = { buf };
			uint32_t lens[1] = { h->caplen };
			uint8_t v;

			memcpy(buf, d, h->caplen);
			e.now = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
			mpn_pipeline_run_frames(&e.pl, e.pol, &o, frames, lens, 1, &v, e.now);
		}
		pcap_close(p);
		print_message("%s: mpc_syn %" PRIu64 " join_syn %" PRIu64 " tcprst 0x00 %" PRIu64
			" 0x01 %" PRIu64 "\n", truth[i].file, total(&e, MPN_INTF_mpc_syn),
			total(&e, MPN_INTF_join_syn), total(&e, MPN_INTF_tcprst_unspecified),
			total(&e, MPN_INTF_tcprst_mptcp_error));
		for (k = 0; k < RTE_DIM(never); k++)
			if (total(&e, never[k]) != 0)
				fail_msg("%s: %s = %" PRIu64, truth[i].file, mpn_intf_name(never[k]),
					total(&e, never[k]));
		assert_int_equal(total(&e, MPN_INTF_tcprst_unspecified), truth[i].tcprst[0]);
		assert_int_equal(total(&e, MPN_INTF_tcprst_mptcp_error), truth[i].tcprst[1]);
		assert_int_equal(total(&e, MPN_INTF_join_syn), truth[i].join_syn);
		assert_int_equal(total(&e, MPN_INTF_mpc_syn), truth[i].mpc_syn);
		mpc_total += total(&e, MPN_INTF_mpc_syn);
		env_close(&e);
	}
	/* The captures hold MP_CAPABLE handshakes: the strip checks had something to judge. */
	assert_int_equal(mpc_total, 8);
}

/* Names and descriptions: one per counter, none past the end. */
static void
test_names(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < MPN_INTF_MAX; i++) {
		assert_non_null(mpn_intf_name(i));
		assert_non_null(mpn_intf_desc(i));
	}
	assert_null(mpn_intf_name(MPN_INTF_MAX));
	assert_string_equal(mpn_intf_name(MPN_INTF_tcprst_middlebox), "tcprst_middlebox");
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synack_stripped_vs_plain),
		cmocka_unit_test(test_per_link_and_class),
		cmocka_unit_test(test_own_fallback_not_counted),
		cmocka_unit_test(test_syn_retry_plain),
		cmocka_unit_test(test_fallback_no_dss),
		cmocka_unit_test(test_fail_infinite_tcprst),
		cmocka_unit_test(test_nop_run_syn),
		cmocka_unit_test(test_join_refused),
		cmocka_unit_test(test_real_captures),
		cmocka_unit_test(test_names),
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
