/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tracker an attacker cannot steer (issue 15), with crafted segments:
 *  - THE INVARIANT (ctx.h): for every reason the pipeline drops a segment
 *    for, a digest of every subflow entry and connection record (counters
 *    aside) is the same before and after the dropped segment, even when
 *    it carries keys, a fast close, a RST or a SYN;
 *  - each reported attack: keys learned from a dropped third ACK, a fast
 *    close with the sender's own key, a blind RST, a stray SYN re-deciding
 *    a connection, a join that never proves itself, a join completed
 *    after its SYN was flooded out, spoofed-ACK floods, join-slot
 *    exhaustion, ADD_ADDR with a bad HMAC.
 */
#include <stdlib.h>

#include <rte_eal.h>

#include "track_testlib.h"

static const uint64_t KA = 0x0102030405060708ULL, KB = 0x1112131415161718ULL;

#include "state_digest.h"

/* Send a segment that must be dropped for @p why and must change nothing. */
static void
must_drop_unchanged(struct env *e, struct tconn *k, bool from_client, uint8_t flags,
	uint32_t seq, uint32_t ack, uint16_t win, const uint8_t *opts, size_t olen, uint32_t plen,
	enum mpn_reason why)
{
	struct mpn_norm_result res;
	uint64_t before = state_digest(e);

	assert_false(xmit(e, k, from_client, flags, seq, ack, win, opts, olen, plen, &res));
	if (res.drop_reason != why)
		print_message("dropped as %s, expected %s\n", mpn_reason_name(res.drop_reason),
			mpn_reason_name(why));
	assert_int_equal(res.drop_reason, why);
	assert_true(state_digest(e) == before);
}

static uint32_t
token_of(uint64_t key)
{
	uint32_t t;

	mpn_mptcp_key_token(1, key, &t, NULL);
	return t;
}

/* Issue 15 #1: a forged third ACK with a bogus key and an invalid ack teaches nothing. */
static void
test_forged_third_ack(void **state)
{
	struct mpn_norm_result res;
	uint8_t s[4], sa[12], a[20];
	struct tconn k, j;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40000, 5000);
	mpc_syn(s);
	mpc_synack(sa, KB);
	assert_true(xmit(&e, &k, true, TH_SYN, k.cseq, 0, 65535, s, 4, 0, &res));
	assert_true(xmit(&e, &k, false, TH_SYN | TH_ACK, k.sseq, k.cseq + 1, 65535, sa, 12, 0,
		&res));
	k.cseq++;
	k.sseq++;
	/* Bogus key A, and an ack of data the server never sent. */
	mpc_ack(a, 0xdeadbeefdeadbeefULL, KB);
	must_drop_unchanged(&e, &k, true, TH_ACK, k.cseq, k.sseq + 1000, 65535, a, 20, 0,
		MPN_REASON_TCP_INVALID_ACK);
	assert_int_equal(mpn_conn_table_count(e.ct), 0);
	/* The real third ACK: the real keys are learned, and a join verifies with them. */
	mpc_ack(a, KA, KB);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, a, 20, 0, &res));
	assert_int_equal(mpn_conn_table_count(e.ct), 1);
	assert_int_equal(mpn_conn_lookup(e.ct, token_of(KB))->key_a, KA);
	tconn_init(&j, 2, 40001, 5000);
	assert_int_equal(join(&e, &j, 1, token_of(KB), KA, KB, false, false), 7);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_verified, 1);
	env_close(&e);
}

/* Issue 15 #1 and #2: MP_FASTCLOSE closes only from a forwarded segment, with the receiver's key. */
static void
test_fastclose_rules(void **state)
{
	struct tconn k;
	struct env e;
	uint8_t o[12];

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40010, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	o[0] = 30; o[1] = 12; o[2] = 0x70; o[3] = 0;
	/* The right key, but the segment is dropped (TTL evasion): nothing closes. */
	put64(o + 4, KB);
	k.c.ttl = 63;
	must_drop_unchanged(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, o, 12, 10,
		MPN_REASON_TCP_TTL_EVASION);
	k.c.ttl = 64;
	assert_false(mpn_conn_is_closed(mpn_conn_lookup(e.ct, token_of(KB))));
	/* The sender's own key (RFC 8684 §3.5: it carries the receiver's). */
	put64(o + 4, KA);
	must_drop_unchanged(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, o, 12, 0,
		MPN_REASON_MPTCP_FASTCLOSE_BAD_KEY);
	assert_false(mpn_conn_is_closed(mpn_conn_lookup(e.ct, token_of(KB))));
	assert_int_equal(mpn_tracker_stats(e.t)->fastclose_wrong_key, 1);
	env_close(&e);
}

/* Issue 15 #3: a blind RST changes nothing; the connection's joins still work. */
static void
test_blind_rst(void **state)
{
	struct tconn k, j;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40020, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	must_drop_unchanged(&e, &k, false, TH_RST, k.sseq + 0x40000000u, 0, 0, NULL, 0, 0,
		MPN_REASON_TCP_RST_OUT_OF_WINDOW);
	assert_int_equal(mpn_tracker_stats(e.t)->rst_out_of_window, 1);
	/* Well after the closed timeout, the token is still there. */
	e.now += 60 * 1000000ULL;
	mpn_tracker_loop(e.t, e.now, 2048);
	assert_non_null(mpn_conn_lookup(e.ct, token_of(KB)));
	tconn_init(&j, 2, 40021, 5000);
	assert_int_equal(join(&e, &j, 1, token_of(KB), KA, KB, false, false), 7);
	env_close(&e);
}

/*
 * Issue 15 #4: a SYN on a synchronized subflow passes (the host answers it
 * with a challenge ACK, RFC 5961 §4) and re-decides nothing: even after a
 * reload that moved the subflow's class to `inspect`, its DSS options are
 * not stripped mid-connection (RFC 8684 §3.7).
 */
static void
test_stray_syn(void **state)
{
	struct mpn_norm_result res;
	struct tconn k;
	uint64_t before;
	struct env e;
	uint8_t o[8];

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40030, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	set_rule(e.pol, true, false, false, 0);   /* everything inspected (fallback) ... */
	e.pol->generation++;                      /* ... as a reload would make it */
	before = state_digest(&e);
	assert_true(xmit(&e, &k, true, TH_SYN, k.cseq + 777777, 0, 65535, NULL, 0, 0, &res));
	assert_true(state_digest(&e) == before);
	assert_int_equal(mpn_tracker_stats(e.t)->stray_syn, 1);
	dss_ack(o, 1);
	assert_true(xmit(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, o, 8, 0, &res));
	assert_false(res.rewritten);
	assert_false(has_reason(&res, MPN_REASON_MPTCP_FALLBACK, MPN_NACT_CLEAR_OPTION));
	env_close(&e);
}

/* Issue 15 #5: under `join verify`, a join carries no data before its third-ACK HMAC. */
static void
test_join_unproven(void **state)
{
	struct mpn_norm_result res;
	uint8_t o[24], h[20];
	struct tconn k, j;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40040, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	tconn_init(&j, 2, 40041, 5000);
	join_syn(o, token_of(KB), 0x01020304);
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	mpn_mptcp_join_hmac(1, KB, KA, 0x0a0b0c0d, 0x01020304, h);
	join_synack(o, h, 0x0a0b0c0d);
	assert_true(xmit(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		&res));
	/* A third ACK without MP_JOIN, then data: neither gets through. */
	must_drop_unchanged(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, NULL, 0, 0,
		MPN_REASON_MPTCP_JOIN_UNPROVEN);
	must_drop_unchanged(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, NULL, 0, 100,
		MPN_REASON_MPTCP_JOIN_UNPROVEN);
	/* A forged third ACK (bad HMAC) changes nothing either ... */
	mpn_mptcp_join_hmac(1, KA, KB, 0x01020304, 0x0a0b0c0d, h);
	h[19] ^= 1;
	join_ack(o, h);
	must_drop_unchanged(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, o, 24, 0,
		MPN_REASON_MPTCP_JOIN_BAD_HMAC);
	/* ... so the real one still proves the join, and data flows. */
	h[19] ^= 1;
	join_ack(o, h);
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, o, 24, 0, &res));
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, NULL, 0, 100, &res));
	/* A retransmitted third ACK is recognised, not verified again. */
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, o, 24, 0, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->hmac_cached, 1);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_verified, 1);
	env_close(&e);
}

/*
 * Issue 15 #6: a SYN flood between a join's SYN and its SYN/ACK pushes
 * the embryonic join out; the rest of that join cannot be verified any
 * more, so it is dropped, never learned as an unverified subflow.
 */
static void
test_join_after_flood(void **state)
{
	struct mpn_norm_result res;
	uint8_t o[24], h[20];
	struct tconn k, j, f;
	struct env e;
	unsigned int i;

	(void)state;
	env_open(&e, 64, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40050, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	tconn_init(&j, 2, 40051, 5000);
	join_syn(o, token_of(KB), 0x01020304);
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	for (i = 0; i < 200; i++) {
		tconn_init(&f, 3, (uint16_t)(20000 + i), 80);
		xmit(&e, &f, true, TH_SYN, 1, 0, 65535, NULL, 0, 0, &res);
	}
	assert_true(mpn_tracker_stats(e.t)->evict_embryonic > 0);
	mpn_mptcp_join_hmac(1, KB, KA, 0x0a0b0c0d, 0x01020304, h);
	h[0] ^= 0xff;   /* a bad HMAC that nothing would check any more */
	join_synack(o, h, 0x0a0b0c0d);
	must_drop_unchanged(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		MPN_REASON_MPTCP_JOIN_UNVERIFIABLE);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_unverifiable, 1);
	env_close(&e);
}

/*
 * Issue 15 #7: spoofed bare ACKs (and ACKs carrying MP_CAPABLE keys) from
 * random addresses fill neither the subflow table nor the connection pool:
 * they are learned unconfirmed, evicted first, and not learned at all above
 * the learn limit. New SYNs keep being admitted.
 */
static void
test_ack_flood(void **state)
{
	struct mpn_norm_result res;
	struct tconn est[16], k, f;
	uint8_t a[20];
	struct env e;
	unsigned int i;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	for (i = 0; i < RTE_DIM(est); i++) {
		tconn_init(&est[i], 7, (uint16_t)(10000 + i), 443);
		handshake(&e, &est[i], 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	}
	for (i = 0; i < 20000; i++) {
		tconn_init(&f, (uint8_t)(i >> 8), (uint16_t)(30000 + (i & 0xff)), 80);
		f.c.ip[1] = (uint8_t)(i >> 16);
		if (i & 1) {
			mpc_ack(a, 0x1000 + i, 0x2000 + i);
			xmit(&e, &f, true, TH_ACK, 7, 9, 65535, a, 20, 0, &res);
		} else {
			xmit(&e, &f, true, TH_ACK, 7, 9, 65535, NULL, 0, 0, &res);
		}
	}
	assert_true(mpn_flow_count(mpn_tracker_table(e.t)) <= 1024);
	assert_true(mpn_tracker_stats(e.t)->learn_refused > 0);
	assert_int_equal(mpn_tracker_stats(e.t)->table_full, 0);
	/* No connection record from an ACK that never saw its peer answer. */
	assert_int_equal(mpn_conn_table_count(e.ct), 0);
	/* A new connection is admitted, and the established ones still pass. */
	tconn_init(&k, 9, 50000, 443);
	handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	for (i = 0; i < RTE_DIM(est); i++)
		assert_true(xmit(&e, &est[i], true, TH_ACK, est[i].cseq, est[i].sseq, 65535, NULL, 0,
			10, &res));
	env_close(&e);
}

/* Issue 15 #8: forged join SYNs carrying a token seen on the wire cannot lock a join out. */
static void
test_join_slots(void **state)
{
	struct mpn_norm_result res;
	struct tconn k, j;
	struct env e;
	uint8_t o[12];
	unsigned int i;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40060, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	for (i = 0; i < 7; i++) {
		tconn_init(&j, 4, (uint16_t)(41000 + i), 5000);
		join_syn(o, token_of(KB), i);
		assert_true(xmit(&e, &j, true, TH_SYN, 1, 0, 65535, o, 12, 0, &res));
	}
	tconn_init(&j, 2, 40061, 5000);
	assert_int_equal(join(&e, &j, 1, token_of(KB), KA, KB, false, false), 7);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_verified, 1);
	env_close(&e);
}

/* ADD_ADDR: a bad HMAC is dropped under `hmac enforce`; IPv4-mapped addresses match IPv4 prefixes. */
static void
test_add_addr_hmac_and_mapped(void **state)
{
	struct mpn_addaddr_policy *ap;
	struct mpn_norm_result res;
	uint8_t o[32];
	struct tconn k;
	struct env e;
	static const uint8_t mapped_in[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 2, 1 };
	static const uint8_t mapped_out[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 8, 8, 8, 8 };

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	ap = &e.pol->tcp_maps[0].mptcp.add_addr;
	ap->hmac = MPN_ADDADDR_HMAC_ENFORCE;
	tconn_init(&k, 1, 40070, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	/* A v1 ADD_ADDR whose HMAC is garbage. */
	o[0] = 30; o[1] = 16; o[2] = 0x30; o[3] = 2;
	o[4] = 10; o[5] = 0; o[6] = 2; o[7] = 2;
	memset(o + 8, 0xab, 8);
	must_drop_unchanged(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0,
		MPN_REASON_MPTCP_ADDADDR_BAD_HMAC);
	/* Ignored instead: counted, recorded as bad, passed. */
	ap->hmac = MPN_ADDADDR_HMAC_IGNORE;
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->addaddr_hmac_bad, 2);
	/* RFC 4291 §2.5.5.2: ::ffff:10.0.2.1 is an IPv4 host, in 10.0.0.0/8. */
	ap->restricted = true;
	ap->n_prefixes = 1;
	assert_int_equal(mpn_prefix_parse("10.0.0.0/8", &ap->prefixes[0]), 0);
	assert_true(mpn_addaddr_allowed(ap, 6, mapped_in));
	assert_false(mpn_addaddr_allowed(ap, 6, mapped_out));
	ap->n_deny = 1;
	assert_int_equal(mpn_prefix_parse("10.0.2.0/24", &ap->deny[0]), 0);
	assert_false(mpn_addaddr_allowed(ap, 6, mapped_in));
	env_close(&e);
}

/*
 * THE INVARIANT, reason by reason: each scenario sets up state, then sends
 * a segment dropped for that reason (tempting the tracker with keys, a
 * fast close, a RST or a SYN where it can) and compares the digests.
 */
static void
test_invariant_every_reason(void **state)
{
	struct mpn_norm_result res;
	uint8_t o[40], h[20];
	struct tconn k, j;
	struct env e;
	unsigned int i;

	(void)state;

	/* tcp-invalid-ack, with MP_CAPABLE keys in it. */
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40100, 80);
	handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	mpc_ack(o, KA, KB);
	must_drop_unchanged(&e, &k, true, TH_ACK, k.cseq, k.sseq + 999, 65535, o, 20, 0,
		MPN_REASON_TCP_INVALID_ACK);
	/* tcp-seq-past-win, with a FIN in it. */
	must_drop_unchanged(&e, &k, true, TH_ACK | TH_FIN, k.cseq + 200000, k.sseq, 65535, NULL, 0,
		100, MPN_REASON_TCP_SEQ_PAST_WIN);
	/* tcp-ttl-evasion, with a RST. */
	k.c.ttl = 10;
	must_drop_unchanged(&e, &k, true, TH_RST | TH_ACK, k.cseq, k.sseq, 0, NULL, 0, 0,
		MPN_REASON_TCP_TTL_EVASION);
	k.c.ttl = 64;
	/* tcp-rst-out-of-window. */
	must_drop_unchanged(&e, &k, true, TH_RST, k.cseq - 100000, 0, 0, NULL, 0, 0,
		MPN_REASON_TCP_RST_OUT_OF_WINDOW);
	/* tcp-window-variation and tcp-exceed-mss, with their knobs set to drop. */
	e.pol->tcp_maps[0].window_variation = MPN_ACTION_DROP;
	must_drop_unchanged(&e, &k, true, TH_ACK, k.cseq, k.sseq, 10, NULL, 0, 0,
		MPN_REASON_TCP_WINDOW_VARIATION);
	e.pol->tcp_maps[0].exceed_mss = MPN_ACTION_DROP;
	must_drop_unchanged(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, NULL, 0, 1500,
		MPN_REASON_TCP_EXCEED_MSS);
	env_close(&e);

	/* tcp-not-syn under unknown-subflow drop: no entry. */
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_DROP);
	tconn_init(&k, 1, 40110, 80);
	mpc_ack(o, KA, KB);
	must_drop_unchanged(&e, &k, true, TH_ACK, 5, 5, 65535, o, 20, 0, MPN_REASON_TCP_NOT_SYN);
	env_close(&e);

	/* flow-table-full: a table of established entries refuses a SYN, changing nothing. */
	env_open(&e, 8, MPN_FLOW_MIDSTREAM_LEARN);
	for (i = 0; i < 8; i++) {
		tconn_init(&k, 1, (uint16_t)(41000 + i), 80);
		handshake(&e, &k, 1460, 1460, 65535, NULL, 0, NULL, 0, NULL, 0);
	}
	tconn_init(&k, 1, 42000, 80);
	mpc_syn(o);
	must_drop_unchanged(&e, &k, true, TH_SYN, 1, 0, 65535, o, 4, 0, MPN_REASON_TABLE_FULL);
	env_close(&e);

	/* The MPTCP reasons, on one connection. */
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	tconn_init(&k, 1, 40120, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	/* mptcp-join-unknown-token. */
	tconn_init(&j, 2, 40121, 5000);
	join_syn(o, 0x12345678, 1);
	must_drop_unchanged(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0,
		MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN);
	/* mptcp-join-unverifiable: a SYN/ACK with MP_JOIN for a join never seen. */
	join_synack(o, (const uint8_t *)"\1\2\3\4\5\6\7\10", 9);
	must_drop_unchanged(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		MPN_REASON_MPTCP_JOIN_UNVERIFIABLE);
	/* mptcp-join-bad-hmac, on the SYN/ACK. */
	join_syn(o, token_of(KB), 0x01020304);
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	mpn_mptcp_join_hmac(1, KB, KA, 0x0a0b0c0d, 0x01020304, h);
	h[1] ^= 0x80;
	join_synack(o, h, 0x0a0b0c0d);
	must_drop_unchanged(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		MPN_REASON_MPTCP_JOIN_BAD_HMAC);
	/* mptcp-addaddr-denied under action drop, tempting with an address. */
	e.pol->tcp_maps[0].mptcp.add_addr.restricted = true;
	e.pol->tcp_maps[0].mptcp.add_addr.action = MPN_ACTION_DROP;
	e.pol->tcp_maps[0].mptcp.add_addr.n_deny = 1;
	assert_int_equal(mpn_prefix_parse("10.0.0.0/8", &e.pol->tcp_maps[0].mptcp.add_addr.deny[0]),
		0);
	o[0] = 30; o[1] = 16; o[2] = 0x30; o[3] = 5;
	o[4] = 10; o[5] = 9; o[6] = 9; o[7] = 9;
	memset(o + 8, 0, 8);
	must_drop_unchanged(&e, &k, false, TH_ACK, k.sseq, k.cseq, 65535, o, 16, 0,
		MPN_REASON_MPTCP_ADDADDR_DENIED);
	/* mptcp-bad-option: a 21-byte MP_CAPABLE carrying keys (stateless, malformed). */
	mpc_ack(o, 0x5555, 0x6666);
	o[1] = 21;
	o[20] = 0;
	must_drop_unchanged(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, o, 21, 0,
		MPN_REASON_MPTCP_BAD_OPTION);
	/* mptcp-fastclose-bad-key. */
	o[0] = 30; o[1] = 12; o[2] = 0x70; o[3] = 0;
	put64(o + 4, KA);
	must_drop_unchanged(&e, &k, true, TH_ACK, k.cseq, k.sseq, 65535, o, 12, 0,
		MPN_REASON_MPTCP_FASTCLOSE_BAD_KEY);
	/* mptcp-subflow-limit: limit 1 leaves no room for any join. */
	e.pol->tcp_maps[0].mptcp.subflow_limit = 1;
	tconn_init(&j, 5, 40122, 5000);
	join_syn(o, token_of(KB), 3);
	must_drop_unchanged(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0,
		MPN_REASON_MPTCP_SUBFLOW_LIMIT);
	e.pol->tcp_maps[0].mptcp.subflow_limit = 9;
	/* mptcp-join-evicted: five pending joins, the first one's SYN/ACK. */
	for (i = 0; i < 5; i++) {
		tconn_init(&j, 6, (uint16_t)(43000 + i), 5000);
		join_syn(o, token_of(KB), 0x01020304);
		assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	}
	tconn_init(&j, 6, 43000, 5000);
	mpn_mptcp_join_hmac(1, KB, KA, 0x0a0b0c0d, 0x01020304, h);
	join_synack(o, h, 0x0a0b0c0d);
	must_drop_unchanged(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		MPN_REASON_MPTCP_JOIN_EVICTED);
	env_close(&e);

	/* mptcp-join-refused: a connection decided fallback (monitored, so its keys were seen). */
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	set_rule(e.pol, true, false, true, 0);
	tconn_init(&k, 1, 40130, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	set_rule(e.pol, false, false, false, 0);
	tconn_init(&j, 2, 40131, 5000);
	join_syn(o, token_of(KB), 4);
	must_drop_unchanged(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0,
		MPN_REASON_MPTCP_JOIN_REFUSED);
	env_close(&e);
}

/* A token directory the test answers by hand. */
struct fake_dir {
	int fetch_rc;
	enum mpn_track_dir_unreachable unreachable;
	unsigned int asked;
	uint32_t last;
};

static int
fake_fetch(void *arg, uint32_t token)
{
	struct fake_dir *d = arg;

	d->asked++;
	d->last = token;
	return d->fetch_rc;
}

static enum mpn_track_dir_unreachable
fake_unreachable(void *arg)
{
	return ((struct fake_dir *)arg)->unreachable;
}

/*
 * Issue 19: a join whose token no local record holds, verified with keys
 * fetched from the token directory (another box saw the handshake).
 */
static void
test_directory_join(void **state)
{
	struct fake_dir fd = { .fetch_rc = 0, .unreachable = MPN_TRACK_DIR_VERIFY };
	struct mpn_track_directory dir = {
		.fetch = fake_fetch, .unreachable = fake_unreachable, .arg = &fd,
	};
	struct mpn_track_dir_record rec;
	struct mpn_norm_result res;
	uint8_t o[24], h[20];
	struct mpn_conn *c;
	struct tconn j, j2;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	mpn_tracker_set_directory(e.t, &dir);
	memset(&rec, 0, sizeof(rec));
	rec.key_a = KA;
	rec.key_b = KB;
	rec.token_a = token_of(KA);
	rec.token_b = token_of(KB);
	rec.version = 1;
	rec.flags_a = rec.flags_b = 0x81;

	/* The SYN is forwarded while the keys are asked for. */
	tconn_init(&j, 2, 40200, 5000);
	join_syn(o, token_of(KB), 0x01020304);
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	assert_int_equal(fd.asked, 1);
	assert_int_equal(fd.last, token_of(KB));
	/* The SYN/ACK before the answer: dropped, changing nothing (the server resends). */
	mpn_mptcp_join_hmac(1, KB, KA, 0x0a0b0c0d, 0x01020304, h);
	join_synack(o, h, 0x0a0b0c0d);
	must_drop_unchanged(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		MPN_REASON_MPTCP_JOIN_KEYS_PENDING);
	assert_int_equal(fd.asked, 2);   /* asked again, for the server's next SYN/ACK */
	/* Data before the join proved itself: dropped too. */
	must_drop_unchanged(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, NULL, 0, 10,
		MPN_REASON_MPTCP_JOIN_UNPROVEN);
	/* The answer; a forged SYN/ACK fails against the fetched keys, the real one passes. */
	mpn_tracker_directory_answer(e.t, token_of(KB), MPN_TRACK_DIR_FOUND, &rec, e.now);
	h[3] ^= 1;
	join_synack(o, h, 0x0a0b0c0d);
	must_drop_unchanged(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		MPN_REASON_MPTCP_JOIN_BAD_HMAC);
	h[3] ^= 1;
	join_synack(o, h, 0x0a0b0c0d);
	assert_true(xmit(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		&res));
	c = mpn_conn_lookup(e.ct, token_of(KB));
	assert_non_null(c);
	assert_true(c->remote);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_remote, 1);
	/* The third ACK is verified against the record as usual. */
	mpn_mptcp_join_hmac(1, KA, KB, 0x01020304, 0x0a0b0c0d, h);
	join_ack(o, h);
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 1, j.sseq + 1, 65535, o, 24, 0, &res));
	assert_int_equal(mpn_tracker_stats(e.t)->joins_verified, 1);
	/* A second join finds the record locally: no more questions. */
	tconn_init(&j2, 3, 40201, 5000);
	assert_int_equal(join(&e, &j2, 1, token_of(KB), KA, KB, false, false), 7);
	assert_int_equal(fd.asked, 2);
	assert_int_equal(mpn_tracker_stats(e.t)->joins_verified, 2);

	/* Not found: the SYN/ACK is refused as an unknown token (join verify). */
	tconn_init(&j, 4, 40202, 5000);
	join_syn(o, 0x77777777, 0x01020304);
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	mpn_tracker_directory_answer(e.t, 0x77777777, MPN_TRACK_DIR_NOT_FOUND, NULL, e.now);
	join_synack(o, h, 0x0a0b0c0d);
	must_drop_unchanged(&e, &j, false, TH_SYN | TH_ACK, j.sseq, j.cseq + 1, 65535, o, 16, 0,
		MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN);

	/* The directory unreachable: its knob decides, drop ... */
	fd.fetch_rc = -107;
	fd.unreachable = MPN_TRACK_DIR_DROP;
	tconn_init(&j, 5, 40203, 5000);
	join_syn(o, 0x66666666, 1);
	must_drop_unchanged(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0,
		MPN_REASON_MPTCP_JOIN_DIRECTORY_DOWN);
	/* ... or allow (unverified), or verify (the tcp-map: join verify drops). */
	fd.unreachable = MPN_TRACK_DIR_ALLOW;
	assert_true(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	fd.unreachable = MPN_TRACK_DIR_VERIFY;
	tconn_init(&j, 5, 40204, 5000);
	must_drop_unchanged(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0,
		MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN);
	env_close(&e);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invariant_every_reason),
		cmocka_unit_test(test_forged_third_ack),
		cmocka_unit_test(test_fastclose_rules),
		cmocka_unit_test(test_blind_rst),
		cmocka_unit_test(test_stray_syn),
		cmocka_unit_test(test_join_unproven),
		cmocka_unit_test(test_join_after_flood),
		cmocka_unit_test(test_ack_flood),
		cmocka_unit_test(test_join_slots),
		cmocka_unit_test(test_add_addr_hmac_and_mapped),
		cmocka_unit_test(test_directory_join),
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
