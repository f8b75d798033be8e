/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Window checks for MPTCP subflows (check_window.c, issue 16), with
 * crafted segments: for each check, a legitimate MPTCP pattern that the
 * single-path check drops passes, and an out-of-window segment is dropped
 * with the subflow and the connection unchanged.
 */
#include <rte_eal.h>

#include "track_testlib.h"

#include "conn.h"
#include "flow.h"
#include "mptcp.h"
#include "track.h"

static const uint64_t KA = 0x2a2b2c2d2e2f3031ULL, KB = 0x4142434445464748ULL;

/* Run a join over @p j like join() (track_testlib.h), with the server's SYN/ACK window @p swin. */
static void
join_win(struct env *e, struct tconn *j, uint32_t token, uint16_t swin)
{
	struct mpn_norm_result res;
	uint8_t o[24], h[20];
	uint32_t ra = 0x01020304, rb = 0x0a0b0c0d;

	join_syn(o, token, ra);
	assert_true(xmit(e, j, true, TH_SYN, j->cseq, 0, 65535, o, 12, 0, &res));
	mpn_mptcp_join_hmac(1, KB, KA, rb, ra, h);
	join_synack(o, h, rb);
	assert_true(xmit(e, j, false, TH_SYN | TH_ACK, j->sseq, j->cseq + 1, swin, o, 16, 0, &res));
	mpn_mptcp_join_hmac(1, KA, KB, ra, rb, h);
	join_ack(o, h);
	assert_true(xmit(e, j, true, TH_ACK, j->cseq + 1, j->sseq + 1, 65535, o, 24, 0, &res));
	j->cseq++;
	j->sseq++;
}

/* The subflow entry the last packet was looked up to. */
static struct mpn_subflow *
last_entry(struct env *e)
{
	assert_true(e->pl.ctx[0].pos >= 0);
	return mpn_flow_entry(mpn_tracker_table(e->t), e->pl.ctx[0].pos);
}

/* What a dropped segment must not change: the TCP state of both directions. */
struct sf_state {
	struct mpn_flow_dir d0, d1;
	uint8_t state;
	uint16_t f;
};

static struct sf_state
sf_state(const struct mpn_subflow *sf)
{
	struct sf_state s;

	memset(&s, 0, sizeof(s));
	s.d0 = sf->dir0;
	s.d1 = sf->dir1;
	s.state = sf->state;
	s.f = sf->f;
	return s;
}

struct conn_state {
	uint32_t win_max[2], known[2];
	uint64_t dack[2], dedge[2];
};

static struct conn_state
conn_state(const struct mpn_conn *c)
{
	struct conn_state s;

	memset(&s, 0, sizeof(s));
	memcpy(s.win_max, c->win_max, sizeof(s.win_max));
	memcpy(s.known, c->dack_known, sizeof(s.known));
	memcpy(s.dack, c->dack, sizeof(s.dack));
	memcpy(s.dedge, c->dedge, sizeof(s.dedge));
	return s;
}

/* DSS with a 64-bit DATA_ACK only (A and a, RFC 8684 §3.3). */
static size_t
dss_ack64(uint8_t *o, uint64_t dack)
{
	o[0] = 30; o[1] = 12; o[2] = 0x20; o[3] = 0x03;
	put64(o + 4, dack);
	return 12;
}

/*
 * An MPTCP v1 connection, initial subflow k and a verified join j; the
 * server's SYN/ACK on j offers 1000 bytes. Returns the connection.
 */
static struct mpn_conn *
two_subflows(struct env *e, struct tconn *k, struct tconn *j)
{
	uint32_t tok_b;
	struct mpn_conn *c;

	tconn_init(k, 1, 40000, 443);
	mptcp_handshake(e, k, KA, KB);
	mpn_mptcp_key_token(1, KB, &tok_b, NULL);
	c = mpn_conn_lookup(e->ct, tok_b);
	assert_non_null(c);
	tconn_init(j, 2, 40001, 443);
	join_win(e, j, tok_b, 1000);
	assert_int_equal(mpn_tracker_stats(e->t)->joins_verified, 1);
	return c;
}

/*
 * seq-past-window (RFC 8684 §3.3.5): the window is shared, and Linux sends
 * on a subflow up to a window the receiver advertised on another one.
 */
static void
test_mptcp_seq_past_window(void **state)
{
	const struct mpn_track_stats *st;
	struct mpn_norm_result res;
	struct sf_state before;
	struct conn_state cb;
	struct mpn_conn *c;
	struct tconn k, j, t;
	struct env e;
	uint8_t o[12];

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	st = mpn_tracker_stats(e.t);
	/* The single-path check: 5000 bytes into a 1000-byte window are dropped. */
	tconn_init(&t, 3, 40100, 80);
	handshake(&e, &t, 1460, 1460, 1000, NULL, 0, NULL, 0, NULL, 0);
	assert_false(xmit(&e, &t, true, TH_ACK, t.cseq + 1000, t.sseq, 65535, NULL, 0, 1400, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_SEQ_PAST_WIN);

	c = two_subflows(&e, &k, &j);
	/* The server opens 30000 bytes at the data level, on the initial subflow. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 30000, o, dss_ack(o, 1), 0, &res));
	assert_int_equal(c->win_max[0], 30000);
	/*
	 * The client fills it on the join, whose own window is 1000: past the
	 * join's right edge, within the connection's window. Passes.
	 */
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq, j.sseq, 65535, NULL, 0, 1400, &res));
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 1400, j.sseq, 65535, NULL, 0, 1400, &res));
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 28000, j.sseq, 65535, NULL, 0, 1400, &res));
	assert_int_equal(st->mptcp_seq_past_win, 0);
	assert_int_equal(st->seq_past_win, 1);   /* the plain TCP one above only */

	/* Past every window advertised: dropped, nothing changes. */
	before = sf_state(last_entry(&e));
	cb = conn_state(c);
	assert_false(xmit(&e, &j, true, TH_ACK, j.cseq + 29500, j.sseq, 65535, NULL, 0, 1400,
		&res));
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_SEQ_PAST_WIN);
	assert_int_equal(st->mptcp_seq_past_win, 1);
	{
		struct sf_state after = sf_state(last_entry(&e));
		struct conn_state ca = conn_state(c);

		assert_memory_equal(&before, &after, sizeof(before));
		assert_memory_equal(&cb, &ca, sizeof(cb));
	}
	/* A one-byte probe at the edge is not a violation (RFC 9293 §3.8.6.1). */
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 30000, j.sseq, 65535, NULL, 0, 1, &res));
	/* The knob: allow counts and passes. */
	e.pol->tcp_maps[0].seq_past_window = MPN_ACTION_ALLOW;
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq + 29500, j.sseq, 65535, NULL, 0, 1400, &res));
	assert_int_equal(st->mptcp_seq_past_win, 2);
	env_close(&e);
}

/*
 * window-variation at the data level (RFC 8684 §3.3.4): a subflow's own
 * right edge moves back when data arrives on another subflow; the
 * connection's, DATA_ACK + window, does not.
 */
static void
test_mptcp_window_variation(void **state)
{
	const struct mpn_track_stats *st;
	struct mpn_norm_result res;
	struct sf_state before;
	struct conn_state cb;
	struct mpn_conn *c;
	struct tconn k, j, t;
	uint64_t d0;
	struct env e;
	uint8_t o[12];

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	e.pol->tcp_maps[0].window_variation = MPN_ACTION_DROP;
	st = mpn_tracker_stats(e.t);
	c = two_subflows(&e, &k, &j);
	mpn_mptcp_key_token(1, KA, NULL, &d0);
	d0++;   /* the first DSN of the client's data: its IDSN + 1 */

	/* The server: DATA_ACK d0, 20000 bytes, on the initial subflow (32-bit DATA_ACK). */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 20000, o,
		dss_ack(o, (uint32_t)d0), 0, &res));
	assert_int_equal(c->dack_known[0], 1);
	assert_true(c->dack[0] == d0);
	assert_true(c->dedge[0] == d0 + 20000);
	/* The client sends 3000 bytes on the join; the server acknowledges them there. */
	assert_true(xmit(&e, &j, true, TH_ACK, j.cseq, j.sseq, 65535, NULL, 0, 1000, &res));
	/*
	 * On the initial subflow the server then acknowledges the data at the
	 * data level: its subflow ACK stays, its window drops by 3000. The
	 * subflow's right edge moved back 3000 (what the single-path check
	 * calls window variation); the connection's stayed. Passes.
	 */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 17000, o,
		dss_ack64(o, d0 + 3000), 0, &res));
	assert_true(c->dack[0] == d0 + 3000);
	assert_int_equal(st->mptcp_window_variation, 0);
	assert_int_equal(st->window_variation, 0);
	/* A late segment from the other path, older DATA_ACK, smaller edge: not judged. */
	assert_true(xmit(&e, &j, false, TH_ACK, j.sseq, j.cseq + 1000, 500, o,
		dss_ack(o, (uint32_t)(d0 + 1000)), 0, &res));
	assert_int_equal(st->mptcp_window_variation, 0);

	/* The single-path check on the same pattern in plain TCP: dropped. */
	tconn_init(&t, 3, 40100, 80);
	handshake(&e, &t, 1460, 1460, 20000, NULL, 0, NULL, 0, NULL, 0);
	assert_false(xmit(&e, &t, false, TH_ACK, t.sseq, t.cseq, 17000, NULL, 0, 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_WINDOW_VARIATION);

	/* A newer DATA_ACK whose right edge is behind: dropped, nothing changes. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 17000, NULL, 0, 0, &res));
	before = sf_state(last_entry(&e));
	cb = conn_state(c);
	assert_false(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 1000, o,
		dss_ack64(o, d0 + 5000), 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_WINDOW_VARIATION);
	assert_int_equal(st->mptcp_window_variation, 1);
	{
		struct sf_state after = sf_state(last_entry(&e));
		struct conn_state ca = conn_state(c);

		assert_memory_equal(&before, &after, sizeof(before));
		assert_memory_equal(&cb, &ca, sizeof(cb));
	}
	/* The same DATA_ACK with the edge kept passes and moves the connection on. */
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 15000, o,
		dss_ack64(o, d0 + 5000), 0, &res));
	assert_true(c->dack[0] == d0 + 5000);
	/* Default knob (allow): counted only. */
	e.pol->tcp_maps[0].window_variation = MPN_ACTION_ALLOW;
	assert_true(xmit(&e, &k, false, TH_ACK, k.sseq, k.cseq, 10, o,
		dss_ack64(o, d0 + 6000), 0, &res));
	assert_int_equal(st->mptcp_window_variation, 2);
	env_close(&e);
}

/* track_testlib.h helpers this program does not need. */
static void (*const unused_set_rule)(struct mpn_policy *, bool, bool, bool, uint16_t)
	__attribute__((unused)) = set_rule;
static bool (*const unused_has_reason)(const struct mpn_norm_result *, enum mpn_reason,
	uint8_t) __attribute__((unused)) = has_reason;
static unsigned int (*const unused_join)(struct env *, struct tconn *, uint8_t, uint32_t,
	uint64_t, uint64_t, bool, bool) __attribute__((unused)) = join;

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mptcp_seq_past_window),
		cmocka_unit_test(test_mptcp_window_variation),
	};
	int rc;

	(void)argc;
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
