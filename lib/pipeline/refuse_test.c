/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Issue 16, items 2 and 5, with crafted segments:
 *  - active join refusal: under `join-refuse-action reset` a refused join
 *    SYN (policy, unknown token, subflow limit, join rate, early join)
 *    comes back as a RST with MP_TCPRST reason 3 (RFC 8684 §3.6), built
 *    in place: the bytes, both checksums, IPv4 and IPv6 with a VLAN tag;
 *    never for a RST, a fragment or a monitored class; rate-limited;
 *  - per-connection limits (RFC 7430 §2.2): join-early, join-rate-limit,
 *    add-addr-limit, each with its reason code;
 *  - for every refusal, THE INVARIANT (ctx.h): the refused segment changed
 *    no subflow entry or connection record, limits included.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "cksum.h"
#include "conn.h"
#include "pkt.h"
#include "rst_build.h"
#include "track_testlib.h"

static const uint64_t KA = 0x0102030405060708ULL, KB = 0x1112131415161718ULL;

/* A helper of track_testlib.h these tests do not need. */
static size_t (*const unused_dss_ack)(uint8_t *, uint32_t) __attribute__((unused)) = dss_ack;

#include "state_digest.h"

static uint32_t
token_of(uint8_t version, uint64_t key)
{
	uint32_t t;

	mpn_mptcp_key_token(version, key, &t, NULL);
	return t;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Distinct MAC addresses: the RST must swap them. */
static void
set_macs(uint8_t *f)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0xd5 }, src[6] = { 0x02, 0, 0, 0, 0, 0x5c };

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
}

/* One frame through the pipeline; the verdict, and the frame's length after it. */
static uint8_t
run_one(struct env *e, uint8_t *f, uint32_t len, enum mpn_l2_type l2, uint32_t *out_len)
{
	struct mpn_burst_origin o = { .port = 0, .link = 0, .dir = MPN_DIR_IN2OUT, .l2 = l2 };
	uint8_t *frames[1] = { f };
	uint32_t lens[1] = { len };
	uint8_t verdict;

	e->now += 10;
	mpn_pipeline_run_frames_reply(&e->pl, e->pol, &o, frames, lens, 1, &verdict, out_len,
		e->now);
	return verdict;
}

/* A join SYN from k's client: Ethernet, IPv4, MP_JOIN SYN with @p token. */
static uint32_t
join_syn_frame(uint8_t *f, const struct tconn *k, uint32_t token, uint32_t plen)
{
	uint8_t o[12];
	uint32_t len;

	join_syn(o, token, 0x01020304);
	len = build(f, &k->c, &k->s, TH_SYN, k->cseq, 0, 65535, o, 12, plen);
	set_macs(f);
	return len;
}

/* Send a join SYN that must be refused for @p why and answered (or not) with a RST. */
static void
refused_join(struct env *e, const struct tconn *k, uint32_t token, enum mpn_reason why,
	bool answered)
{
	static uint8_t f[2048];
	uint64_t before = state_digest(e);
	uint64_t sent = mpn_tracker_stats(e->t)->join_rst_sent;
	uint32_t len = join_syn_frame(f, k, token, 0), out = 0;
	uint8_t v = run_one(e, f, len, MPN_L2_ETHER, &out);

	if (e->pl.ctx[0].res.drop_reason != why)
		print_message("dropped as %s, expected %s\n",
			mpn_reason_name(e->pl.ctx[0].res.drop_reason), mpn_reason_name(why));
	assert_int_equal(e->pl.ctx[0].res.drop_reason, why);
	assert_int_equal(v, answered ? MPN_VERDICT_REPLY : MPN_VERDICT_DROP);
	/* Ethernet + IPv4 + 24 bytes of TCP = 58, padded to Ethernet's 60. */
	assert_int_equal(out, answered ? 60u : len);
	assert_int_equal(mpn_tracker_stats(e->t)->join_rst_sent, sent + (answered ? 1 : 0));
	/* Refused, answered or not: nothing changed (ctx.h, THE INVARIANT). */
	assert_true(state_digest(e) == before);
}

/* The checks every RST must pass: IPv4 header and TCP checksums, flags, option. */
static void
assert_rst_v4(const uint8_t *f, uint32_t len, const struct tconn *k, uint32_t ack)
{
	const uint8_t *ip = f + 14, *t = f + 34;
	uint32_t sum;

	/* 58 bytes, padded with zeros to Ethernet's shortest frame. */
	assert_int_equal(len, 60);
	assert_int_equal(f[58], 0);
	assert_int_equal(f[59], 0);
	/* Ethernet: back where it came from. */
	assert_int_equal(f[5], 0x5c);
	assert_int_equal(f[11], 0xd5);
	assert_int_equal(get16(f + 12), 0x0800);
	/* IPv4: 20 bytes, 44 long, TTL 64, TCP, from the server to the client. */
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(get16(ip + 2), 44);
	assert_int_equal(ip[8], MPN_RST_TTL);
	assert_int_equal(ip[9], 6);
	assert_memory_equal(ip + 12, k->s.ip, 4);
	assert_memory_equal(ip + 16, k->c.ip, 4);
	assert_int_equal(mpn_cksum_fold(mpn_cksum_partial(ip, 20, 0)), 0xffff);
	/* TCP: ports swapped, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK> (RFC 9293 §3.10.7.1). */
	assert_int_equal(get16(t), k->s.port);
	assert_int_equal(get16(t + 2), k->c.port);
	assert_int_equal(get32(t + 4), 0);
	assert_int_equal(get32(t + 8), ack);
	assert_int_equal(t[12] >> 4, 6);
	assert_int_equal(t[13], TH_RST | TH_ACK);
	assert_int_equal(get16(t + 14), 0);
	/* MP_TCPRST: kind 30, length 4, subtype 8, flags 0, reason 3 (RFC 8684 §3.6). */
	assert_int_equal(t[20], 30);
	assert_int_equal(t[21], 4);
	assert_int_equal(t[22], 0x80);
	assert_int_equal(t[23], 0x03);
	/* The TCP checksum over the pseudo-header verifies. */
	sum = mpn_cksum_partial(ip + 12, 8, 0) + 6 + 24;
	assert_int_equal(mpn_cksum_fold(mpn_cksum_partial(t, 24, sum)), 0xffff);
	/* And mpnorm's own parser reads it as a RST with MP_TCPRST. */
	{
		struct mpn_pkt p;

		assert_int_equal(mpn_pkt_parse(f, len, MPN_L2_ETHER, &p), MPN_PKT_TCP);
		assert_true(p.tcp_flags & TH_RST);
		assert_int_equal(p.payload_len, 0);
		assert_true(mpn_tcp_checksum_complete(&p, len));
		/* A RST is never answered. */
		assert_false(mpn_rst_may_answer(MPN_PKT_TCP, &p, len));
	}
}

/* Unknown token under `join verify`, with reset: the RST, byte by byte. */
static void
test_rst_unknown_token(void **state)
{
	static uint8_t f[2048];
	struct tconn k;
	struct env e;
	uint32_t len, out;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40000, 5000);
	/* Default: drop, frame untouched. */
	refused_join(&e, &k, 0x55555555, MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN, false);
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	refused_join(&e, &k, 0x55555555, MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN, true);
	/* A SYN with 7 bytes of data and FIN: SEG.LEN = 7 + SYN + FIN. */
	len = join_syn_frame(f, &k, 0x55555555, 7);
	f[34 + 13] |= TH_FIN;
	assert_int_equal(run_one(&e, f, len, MPN_L2_ETHER, &out), MPN_VERDICT_REPLY);
	assert_rst_v4(f, out, &k, k.cseq + 9);
	len = join_syn_frame(f, &k, 0x55555555, 0);
	assert_int_equal(run_one(&e, f, len, MPN_L2_ETHER, &out), MPN_VERDICT_REPLY);
	assert_rst_v4(f, out, &k, k.cseq + 1);
	assert_int_equal(e.stats.drops[MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN], 4);
	assert_int_equal(mpn_tracker_stats(e.t)->join_rst_sent, 3);
	assert_int_equal(mpn_flow_count(mpn_tracker_table(e.t)), 0);
	env_close(&e);
}

/* Never a RST for a RST, a fragment, a segment with ACK that is no join SYN, or under monitor. */
static void
test_no_rst_for_rst(void **state)
{
	static uint8_t f[2048], copy[2048];
	struct mpn_pkt p;
	struct tconn k;
	struct env e;
	uint32_t len, out;
	uint8_t v;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_DROP);
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	tconn_init(&k, 2, 40010, 5000);
	/* SYN|RST carrying an MP_JOIN with an unknown token. */
	len = join_syn_frame(f, &k, 0x55555555, 0);
	f[34 + 13] = TH_SYN | TH_RST;
	memcpy(copy, f, len);
	v = run_one(&e, f, len, MPN_L2_ETHER, &out);
	assert_int_not_equal(v, MPN_VERDICT_REPLY);
	assert_int_equal(out, len);
	assert_memory_equal(f, copy, len);
	/* A bare RST: the builder itself refuses. */
	len = build(f, &k.c, &k.s, TH_RST | TH_ACK, 1, 2, 0, NULL, 0, 0);
	assert_int_equal(mpn_pkt_parse(f, len, MPN_L2_ETHER, &p), MPN_PKT_TCP);
	assert_false(mpn_rst_may_answer(MPN_PKT_TCP, &p, len));
	assert_int_equal(mpn_rst_build(f, len, &p, MPN_L2_ETHER, 3), 0);
	/* A first fragment (MF set): not wholly there, not answered. */
	len = join_syn_frame(f, &k, 0x55555555, 0);
	f[14 + 6] = 0x20;
	assert_int_equal(mpn_pkt_parse(f, len, MPN_L2_ETHER, &p), MPN_PKT_TCP);
	assert_false(mpn_rst_may_answer(MPN_PKT_TCP, &p, len));
	/* Cut by the capture: not answered either. */
	len = join_syn_frame(f, &k, 0x55555555, 100);
	assert_int_equal(mpn_pkt_parse(f, len - 50, MPN_L2_ETHER, &p), MPN_PKT_TCP);
	assert_false(mpn_rst_may_answer(MPN_PKT_TCP, &p, len - 50));
	/* A class under monitor forwards the join: nothing to answer. */
	set_rule(e.pol, false, false, true, 0);
	len = join_syn_frame(f, &k, 0x55555555, 0);
	assert_int_equal(run_one(&e, f, len, MPN_L2_ETHER, &out), MPN_VERDICT_FORWARD);
	assert_int_equal(mpn_tracker_stats(e.t)->join_rst_sent, 0);
	env_close(&e);
}

/* join-refuse-rate: per worker and tcp-map, a second at a time; the rest is counted. */
static void
test_rst_rate_limit(void **state)
{
	static uint8_t f[2048];
	struct tconn k;
	struct env e;
	uint32_t len, out;
	unsigned int i;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	e.pol->tcp_maps[0].mptcp.join_refuse_rate = 2;
	tconn_init(&k, 3, 40020, 5000);
	for (i = 0; i < 5; i++) {
		len = join_syn_frame(f, &k, 0x55555555, 0);
		assert_int_equal(run_one(&e, f, len, MPN_L2_ETHER, &out),
			i < 2 ? MPN_VERDICT_REPLY : MPN_VERDICT_DROP);
	}
	assert_int_equal(mpn_tracker_stats(e.t)->join_rst_sent, 2);
	assert_int_equal(mpn_tracker_stats(e.t)->join_rst_suppressed, 3);
	assert_int_equal(e.stats.drops[MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN], 5);
	/* A second later (hz = 10^6 units), the bucket is full again. */
	e.now += 1000000;
	len = join_syn_frame(f, &k, 0x55555555, 0);
	assert_int_equal(run_one(&e, f, len, MPN_L2_ETHER, &out), MPN_VERDICT_REPLY);
	assert_rst_v4(f, out, &k, k.cseq + 1);
	assert_int_equal(mpn_tracker_stats(e.t)->join_rst_sent, 3);
	env_close(&e);
}

/* IPv6 behind an 802.1Q tag, with a hop-by-hop header: tag kept, header rebuilt. */
static void
test_rst_ipv6_vlan(void **state)
{
	static uint8_t f[256];
	static const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	uint8_t *ip = f + 18, *hbh = ip + 40, *t = hbh + 8, o[12];
	struct env e;
	uint32_t len, out, sum;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	memset(f, 0, sizeof(f));
	set_macs(f);
	f[12] = 0x81; f[13] = 0x00; f[14] = 0x00; f[15] = 42;   /* VLAN 42 */
	f[16] = 0x86; f[17] = 0xdd;
	ip[0] = 0x60;
	ip[4] = 0; ip[5] = 8 + 32;
	ip[6] = 0;            /* hop-by-hop */
	ip[7] = 3;            /* a low hop limit must not carry over */
	memcpy(ip + 8, c6, 16);
	memcpy(ip + 24, s6, 16);
	hbh[0] = 6; hbh[1] = 0; hbh[2] = 1; hbh[3] = 4;   /* PadN */
	t[0] = 0x9c; t[1] = 0x40;   /* 40000 */
	t[2] = 0x01; t[3] = 0xbb;   /* 443 */
	put32(t + 4, 0xfffffffe);   /* the ACK wraps */
	t[12] = 8 << 4;
	t[13] = TH_SYN;
	join_syn(o, 0x44444444, 7);
	memcpy(t + 20, o, 12);
	len = 18 + 40 + 8 + 32;
	assert_int_equal(run_one(&e, f, len, MPN_L2_ETHER, &out), MPN_VERDICT_REPLY);
	assert_int_equal(out, 18 + 40 + 24);
	assert_int_equal(f[5], 0x5c);
	assert_int_equal(f[11], 0xd5);
	assert_int_equal(get16(f + 12), 0x8100);
	assert_int_equal(get16(f + 14), 42);
	assert_int_equal(get16(f + 16), 0x86dd);
	assert_int_equal(ip[0], 0x60);
	assert_int_equal(get16(ip + 4), 24);
	assert_int_equal(ip[6], 6);
	assert_int_equal(ip[7], MPN_RST_TTL);
	assert_memory_equal(ip + 8, s6, 16);
	assert_memory_equal(ip + 24, c6, 16);
	t = ip + 40;
	assert_int_equal(get16(t), 443);
	assert_int_equal(get16(t + 2), 40000);
	assert_int_equal(get32(t + 4), 0);
	assert_int_equal(get32(t + 8), 0xffffffff);
	assert_int_equal(t[13], TH_RST | TH_ACK);
	assert_int_equal(t[20], 30);
	assert_int_equal(t[22], 0x80);
	assert_int_equal(t[23], 3);
	sum = mpn_cksum_partial(ip + 8, 32, 0) + 6 + 24;
	assert_int_equal(mpn_cksum_fold(mpn_cksum_partial(t, 24, sum)), 0xffff);
	env_close(&e);
}

/* A class that falls back (policy): its join SYNs are refused and answered. */
static void
test_rst_policy_fallback(void **state)
{
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	set_rule(e.pol, true, false, false, 0);   /* inspect: MPTCP falls back */
	tconn_init(&k, 4, 40030, 5000);
	refused_join(&e, &k, 0x12345678, MPN_REASON_MPTCP_JOIN_REFUSED, false);
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	refused_join(&e, &k, 0x12345678, MPN_REASON_MPTCP_JOIN_REFUSED, true);
	env_close(&e);
}

/* Over the subflow limit: refused at the SYN, answered, no slot taken. */
static void
test_rst_subflow_limit(void **state)
{
	struct tconn k, j;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	e.pol->tcp_maps[0].mptcp.subflow_limit = 1;
	tconn_init(&k, 5, 40040, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	tconn_init(&j, 6, 40041, 5000);
	refused_join(&e, &j, token_of(1, KB), MPN_REASON_MPTCP_SUBFLOW_LIMIT, true);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_limit, 1);
	env_close(&e);
}

/*
 * A join over the limit found only at its third ACK (another join took the
 * last place meanwhile): dropped, not answered. The responder already
 * holds that subflow; only a join SYN is answered.
 */
static void
test_third_ack_limit_not_answered(void **state)
{
	static uint8_t f[2048];
	struct mpn_norm_result res;
	uint32_t ra[2] = { 0x01020304, 0x05060708 }, rb[2] = { 0x0a0b0c0d, 0x0e0f1011 }, len, out;
	uint8_t o[24], h[20];
	struct tconn k, j[2];
	struct env e;
	unsigned int i;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	e.pol->tcp_maps[0].mptcp.subflow_limit = 2;
	tconn_init(&k, 16, 40100, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	/* Both join SYNs are admitted: one active subflow, room for one more. */
	for (i = 0; i < 2; i++) {
		tconn_init(&j[i], (uint8_t)(17 + i), (uint16_t)(40101 + i), 5000);
		join_syn(o, token_of(1, KB), ra[i]);
		assert_true(xmit(&e, &j[i], true, TH_SYN, j[i].cseq, 0, 65535, o, 12, 0, &res));
		mpn_mptcp_join_hmac(1, KB, KA, rb[i], ra[i], h);
		join_synack(o, h, rb[i]);
		assert_true(xmit(&e, &j[i], false, TH_SYN | TH_ACK, j[i].sseq, j[i].cseq + 1, 65535,
			o, 16, 0, &res));
	}
	/* The first third ACK takes the last place ... */
	mpn_mptcp_join_hmac(1, KA, KB, ra[0], rb[0], h);
	join_ack(o, h);
	assert_true(xmit(&e, &j[0], true, TH_ACK, j[0].cseq + 1, j[0].sseq + 1, 65535, o, 24, 0,
		&res));
	/* ... so the second is refused at its third ACK, and not answered. */
	mpn_mptcp_join_hmac(1, KA, KB, ra[1], rb[1], h);
	join_ack(o, h);
	len = build(f, &j[1].c, &j[1].s, TH_ACK, j[1].cseq + 1, j[1].sseq + 1, 65535, o, 24, 0);
	assert_int_equal(run_one(&e, f, len, MPN_L2_ETHER, &out), MPN_VERDICT_DROP);
	assert_int_equal(e.pl.ctx[0].res.drop_reason, MPN_REASON_MPTCP_SUBFLOW_LIMIT);
	assert_int_equal(out, len);
	assert_int_equal(mpn_tracker_stats(e.t)->join_rst_sent, 0);
	env_close(&e);
}

/* join-early: a join SYN before the MP_CAPABLE third ACK (a v0 record exists from the SYN/ACK). */
static void
test_join_early(void **state)
{
	struct mpn_norm_result res;
	uint8_t s[12], sa[12], a[20];
	struct tconn k, j;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].mptcp.join_early_drop = true;
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	tconn_init(&k, 7, 40050, 5000);
	/* MPTCP v0 (RFC 6824 §3.1): key A in the SYN, key B in the SYN/ACK. */
	s[0] = 30; s[1] = 12; s[2] = 0x00; s[3] = 0x81;
	put64(s + 4, KA);
	sa[0] = 30; sa[1] = 12; sa[2] = 0x00; sa[3] = 0x81;
	put64(sa + 4, KB);
	assert_true(xmit(&e, &k, true, TH_SYN, k.cseq, 0, 65535, s, 12, 0, &res));
	assert_true(xmit(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, 65535, sa, 12, 0,
		&res));
	k.cseq++;
	k.sseq++;
	assert_non_null(mpn_conn_lookup(e.ct, token_of(0, KB)));
	tconn_init(&j, 8, 40051, 5000);
	refused_join(&e, &j, token_of(0, KB), MPN_REASON_MPTCP_JOIN_EARLY, true);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_early, 1);
	/* The third ACK: from now on the join is admitted and verifies. */
	a[0] = 30; a[1] = 20; a[2] = 0x00; a[3] = 0x81;
	put64(a + 4, KA);
	put64(a + 12, KB);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, a, 20, 0, &res));
	assert_int_equal(join(&e, &j, 0, token_of(0, KB), KA, KB, false, false), 7);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_verified, 1);
	env_close(&e);
}

/* join-rate-limit: joins per connection and second; the refused one takes nothing. */
static void
test_join_rate_limit(void **state)
{
	struct tconn k, j;
	struct env e;
	unsigned int i;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].mptcp.join_rate_limit = 2;
	tconn_init(&k, 9, 40060, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	for (i = 0; i < 2; i++) {
		tconn_init(&j, (uint8_t)(10 + i), (uint16_t)(40061 + i), 5000);
		assert_int_equal(join(&e, &j, 1, token_of(1, KB), KA, KB, false, false), 7);
	}
	tconn_init(&j, 12, 40063, 5000);
	refused_join(&e, &j, token_of(1, KB), MPN_REASON_MPTCP_JOIN_RATE, false);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_rate, 1);
	assert_int_equal(e.stats.drops[MPN_REASON_MPTCP_JOIN_RATE], 1);
	/* Answered with a RST under reset. */
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	refused_join(&e, &j, token_of(1, KB), MPN_REASON_MPTCP_JOIN_RATE, true);
	/* The next second admits joins again. */
	e.now += 1000000;
	assert_int_equal(join(&e, &j, 1, token_of(1, KB), KA, KB, false, false), 7);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_verified, 3);
	env_close(&e);
}

/*
 * A v1 ADD_ADDR (not an echo) for @p id, address 10.0.@p net.1. Its HMAC is
 * garbage: under the default `hmac ignore` it is counted and recorded.
 */
static size_t
add_addr_opt(uint8_t *o, uint8_t id, uint8_t net)
{
	o[0] = 30; o[1] = 16; o[2] = 0x30; o[3] = id;
	o[4] = 10; o[5] = 0; o[6] = net; o[7] = 1;
	memset(o + 8, 0xab, 8);
	return 16;
}

/* add-addr-limit: new announcements per connection; retransmissions are free. */
static void
test_add_addr_limit(void **state)
{
	struct mpn_norm_result res;
	uint8_t o[16];
	struct tconn k;
	struct env e;
	uint64_t before;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].mptcp.add_addr_limit = 1;
	tconn_init(&k, 13, 40070, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	add_addr_opt(o, 1, 20);
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_false(has_reason(&res, MPN_REASON_MPTCP_ADDADDR_LIMIT, MPN_NACT_CLEAR_OPTION));
	/* The same announcement again (Linux retransmits ADD_ADDR): not a new one. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_false(has_reason(&res, MPN_REASON_MPTCP_ADDADDR_LIMIT, MPN_NACT_CLEAR_OPTION));
	assert_int_equal(mpn_tracker_stats(e.t)->addaddr_limit, 0);
	/* A second address: over the limit, cleared (addresses.action = clear), not recorded. */
	add_addr_opt(o, 2, 21);
	before = state_digest(&e);
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_true(has_reason(&res, MPN_REASON_MPTCP_ADDADDR_LIMIT, MPN_NACT_CLEAR_OPTION));
	assert_int_equal(mpn_tracker_stats(e.t)->addaddr_limit, 1);
	(void)before;
	/* With action drop: dropped, and nothing changed. */
	e.pol->tcp_maps[0].mptcp.add_addr.action = MPN_ACTION_DROP;
	before = state_digest(&e);
	assert_false(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_ADDADDR_LIMIT);
	assert_true(state_digest(&e) == before);
	assert_int_equal(mpn_conn_lookup(e.ct, token_of(1, KB))->addaddr_announced, 1);
	env_close(&e);
}

/*
 * The record's limit counters as the commit stage uses them: a place taken
 * by a segment refused later is given back; a new second starts afresh.
 */
static void
test_conn_limit_counters(void **state)
{
	struct mpn_conn *c;
	struct tconn k;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 15, 40090, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	c = mpn_conn_lookup(e.ct, token_of(1, KB));
	assert_non_null(c);
	assert_true(mpn_conn_handshake_done(c));
	/* join-rate-limit 2 in second 7. */
	assert_true(mpn_conn_join_rate_ok(c, 7, 2));
	assert_int_equal(mpn_conn_join_rate_take(c, 7, 2), 0);
	assert_int_equal(mpn_conn_join_rate_take(c, 7, 2), 0);
	assert_false(mpn_conn_join_rate_ok(c, 7, 2));
	assert_int_equal(mpn_conn_join_rate_take(c, 7, 2), -EBUSY);
	mpn_conn_join_rate_put(c, 7);
	assert_true(mpn_conn_join_rate_ok(c, 7, 2));
	/* A give-back for another second changes nothing; a new second starts at 0. */
	assert_int_equal(mpn_conn_join_rate_take(c, 7, 2), 0);
	mpn_conn_join_rate_put(c, 6);
	assert_false(mpn_conn_join_rate_ok(c, 7, 2));
	assert_true(mpn_conn_join_rate_ok(c, 8, 2));
	assert_int_equal(mpn_conn_join_rate_take(c, 8, 1), 0);
	assert_int_equal(mpn_conn_join_rate_take(c, 8, 1), -EBUSY);
	/* No limit: always room, nothing counted. */
	assert_int_equal(mpn_conn_join_rate_take(c, 8, 0), 0);
	/* add-addr-limit 3: two planned plus one more fit, not two more. */
	assert_true(mpn_conn_addaddr_ok(c, 3, 2));
	assert_false(mpn_conn_addaddr_ok(c, 3, 3));
	assert_int_equal(mpn_conn_addaddr_take(c, 3, 2), 0);
	assert_int_equal(mpn_conn_addaddr_take(c, 3, 2), -EBUSY);
	assert_int_equal(mpn_conn_addaddr_take(c, 3, 1), 0);
	mpn_conn_addaddr_put(c, 1);
	assert_int_equal(c->addaddr_announced, 2);
	assert_true(mpn_conn_addaddr_ok(c, 0, 100));
	env_close(&e);
}

/*
 * The mbuf paths the live worker takes: mpn_pipeline_run() (RSS) and the
 * handoff pair (parse on one worker, run on the owner). A reply's mbuf
 * comes back cut to the RST's length, with the RST in it.
 */
static void
test_reply_mbuf_paths(void **state)
{
	struct mpn_burst_origin o = { .port = 0, .link = 0, .dir = MPN_DIR_IN2OUT,
		.l2 = MPN_L2_ETHER };
	struct mpn_owner_map om = { .mode = MPN_OWNER_HANDOFF, .n_workers = 1, .rss = NULL };
	struct rte_mempool *mp;
	struct rte_mbuf *m[2];
	uint8_t verdict[2], owner[2];
	struct tconn k;
	struct env e;
	unsigned int i;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].mptcp.join_refuse_action = MPN_JOIN_REFUSE_RESET;
	mp = rte_pktmbuf_pool_create("refuse_mp", 63, 0, MPN_MBUF_PRIV_SIZE, 2048, SOCKET_ID_ANY);
	assert_non_null(mp);
	tconn_init(&k, 14, 40080, 5000);
	for (i = 0; i < 2; i++) {
		m[i] = rte_pktmbuf_alloc(mp);
		assert_non_null(m[i]);
		m[i]->data_len = (uint16_t)join_syn_frame(rte_pktmbuf_mtod(m[i], uint8_t *), &k,
			0x55555555, 0);
		m[i]->pkt_len = m[i]->data_len;
		assert_int_equal(m[i]->data_len, 14 + 20 + 32);
	}
	/* Stateless-parse and run in one go (RSS placement). */
	mpn_pipeline_run(&e.pl, e.pol, &o, &m[0], 1, &verdict[0], e.now += 10);
	assert_int_equal(verdict[0], MPN_VERDICT_REPLY);
	assert_int_equal(m[0]->data_len, 60);
	assert_int_equal(m[0]->pkt_len, 60);
	assert_rst_v4(rte_pktmbuf_mtod(m[0], uint8_t *), m[0]->data_len, &k, k.cseq + 1);
	/* Handoff: the parse travels in the private area. */
	mpn_pipeline_parse_for_handoff(&e.pl, &o, &m[1], 1, &om, &owner[1]);
	assert_int_equal(owner[1], 0);
	mpn_pipeline_run_parsed(&e.pl, e.pol, &o, &m[1], 1, &verdict[1], e.now += 10);
	assert_int_equal(verdict[1], MPN_VERDICT_REPLY);
	assert_int_equal(m[1]->data_len, 60);
	assert_rst_v4(rte_pktmbuf_mtod(m[1], uint8_t *), m[1]->data_len, &k, k.cseq + 1);
	assert_int_equal(mpn_tracker_stats(e.t)->join_rst_sent, 2);
	rte_pktmbuf_free_bulk(m, 2);
	rte_mempool_free(mp);
	env_close(&e);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rst_unknown_token),
		cmocka_unit_test(test_no_rst_for_rst),
		cmocka_unit_test(test_rst_rate_limit),
		cmocka_unit_test(test_rst_ipv6_vlan),
		cmocka_unit_test(test_rst_policy_fallback),
		cmocka_unit_test(test_rst_subflow_limit),
		cmocka_unit_test(test_join_early),
		cmocka_unit_test(test_join_rate_limit),
		cmocka_unit_test(test_add_addr_limit),
		cmocka_unit_test(test_reply_mbuf_paths),
		cmocka_unit_test(test_conn_limit_counters),
		cmocka_unit_test(test_third_ack_limit_not_answered),
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
