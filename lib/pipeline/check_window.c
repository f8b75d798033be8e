/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Window checks that hold for MPTCP subflows (issue 16): the ASA's
 * `seq-past-window` and `window-variation`, on by the same tcp-map knobs,
 * judged in the terms RFC 8684 §3.3.4-3.3.5 gives the window.
 *
 * On an MPTCP connection the receive window is shared: the window field
 * of a segment on any subflow is relative to the DATA_ACK, not to that
 * subflow's ACK, and the sender may use a window it learnt on one subflow
 * to send on another. Linux does exactly that: when the connection-level
 * window exceeds a subflow's own, it raises the subflow's send window to
 * it (mptcp_check_allowed_size(), MIB MPTcpExtSndWndShared). So a
 * subflow's data may legitimately go past the right edge advertised on
 * that subflow, and a subflow's right edge moves back whenever data
 * arrives on other subflows: both single-path checks call that invalid.
 *
 *  - seq-past-window: a subflow's data must end within the subflow's
 *    highest ACK plus the largest window its receiver advertised on any
 *    subflow of the connection (or the subflow's own right edge, if
 *    larger). The sender's subflow window is the data-level window, from
 *    the DATA_ACK, so it never exceeds that.
 *  - window-variation: judged at the data level, on DATA_ACK + window,
 *    and only for a DATA_ACK newer than every one seen on the
 *    connection: segments from different subflows reach the box out of
 *    order, but one with a newer DATA_ACK was sent after all the others,
 *    and RFC 8684 §3.3.4 forbids the receiver to shrink that edge. The
 *    window field is scaled per subflow, so the edge may round down by up
 *    to 2^scale - 1 (Linux rounds so); a saturated field (0xffff) is not
 *    judged.
 *
 * Both are judged only on subflows of a connection known here (its keys
 * seen), and use what this box saw: where some subflows take other paths,
 * windows advertised only there are unknown (doc/config.md).
 *
 * The check changes nothing: what a forwarded segment raises in the
 * connection (largest window, highest DATA_ACK and right edge) goes into
 * the plan, and the commit stage writes it (ctx.h, THE INVARIANT).
 */
#include "conn.h"
#include "stages.h"

#define SEQ64_GT(a, b) ((int64_t)((uint64_t)(a) - (uint64_t)(b)) > 0)
#define SEQ64_LT(a, b) ((int64_t)((uint64_t)(a) - (uint64_t)(b)) < 0)

static enum mpn_action
knob(enum mpn_action a)
{
	return a == MPN_ACTION_DROP ? MPN_ACTION_DROP : MPN_ACTION_ALLOW;
}

/* The 64-bit value whose low 32 bits are @p low, nearest @p ref (RFC 8684 §3.3.1). */
static uint64_t
expand32(uint64_t ref, uint32_t low)
{
	uint64_t v = (ref & ~(uint64_t)0xffffffffu) | low;
	int64_t d = (int64_t)(v - ref);

	if (d > (int64_t)0x80000000)
		v -= (uint64_t)1 << 32;
	else if (d < -(int64_t)0x80000000)
		v += (uint64_t)1 << 32;
	return v;
}

/* The DATA_ACK of the segment (DSS with A), if it carries one that reaches the peer. */
static bool
segment_data_ack(const struct mpn_check *x, bool *ack64, uint64_t *dack)
{
	int i = mpn_check_find_mo(x, MPN_MPTCP_DSS);
	const struct mpn_mptcp_opt *o;

	if (i < 0)
		return false;
	o = &x->c->res.mo[i];
	if (!o->u.dss.has_ack)
		return false;
	*ack64 = o->u.dss.ack64;
	*dack = o->u.dss.data_ack;
	return true;
}

void
mpn_check_window_mptcp(struct mpn_check *x, const struct mpn_subflow *sf, int s)
{
	const struct mpn_flow_dir *R = s == 0 ? &sf->dir1 : &sf->dir0;
	struct mpn_conn *conn = sf->conn;
	const struct mpn_pkt *p = x->p;
	const struct mpn_tcp_map *m = x->m;
	struct mpn_track_stats *st = &x->t->stats;
	struct mpn_track_plan *pl = &x->c->plan;
	bool from_a = (s == 0) == ((sf->f & MPN_SF_INIT_IS_A) != 0);
	/* Data this segment sends, and data whose window it advertises. */
	int d_out = from_a ? 0 : 1, d_in = from_a ? 1 : 0;
	uint32_t plen = p->payload_len;

	/* seq-past-window: within the subflow's ACK plus the connection's largest window. */
	if (!x->syn && !x->rst && plen > 0 && (R->f & MPN_DIR_ACK)) {
		uint32_t wnd = __atomic_load_n(&conn->win_max[d_out], __ATOMIC_RELAXED);
		uint32_t bound = R->right_edge;

		if (SEQ_GT(R->max_ack + wnd, bound))
			bound = R->max_ack + wnd;
		/* A one-byte window probe past a zero window (RFC 9293 §3.8.6.1) is fine. */
		if (SEQ_GT(p->seq + plen, bound + (plen == 1 ? 1 : 0))) {
			st->mptcp_seq_past_win++;
			if (knob(m->seq_past_window) == MPN_ACTION_DROP)
				mpn_check_drop(x, MPN_REASON_MPTCP_SEQ_PAST_WIN, 0, 0, 0xff);
		}
	}
	if (!x->ack || x->syn || x->rst)
		return;
	{
		unsigned int shift = mpn_check_win_shift(sf, s);
		uint32_t wnd = (uint32_t)p->window << shift;
		uint64_t dack, edge;
		bool ack64;

		pl->win_dir = (uint8_t)d_in;
		pl->win_max = wnd;
		pl->win_has_dack = false;
		if (wnd > __atomic_load_n(&conn->win_max[d_in], __ATOMIC_RELAXED))
			pl->sh |= MPN_SH_WINDOW;
		if (!segment_data_ack(x, &ack64, &dack))
			return;
		if (__atomic_load_n(&conn->dack_known[d_in], __ATOMIC_ACQUIRE) == 1) {
			uint64_t last = __atomic_load_n(&conn->dack[d_in], __ATOMIC_RELAXED);
			uint64_t last_edge = __atomic_load_n(&conn->dedge[d_in], __ATOMIC_RELAXED);

			if (!ack64)
				dack = expand32(last, (uint32_t)dack);
			edge = dack + wnd;
			/*
			 * window-variation: a newer DATA_ACK whose right edge is
			 * behind one already advertised (RFC 8684 §3.3.4). The
			 * rounding of a scaled window is not a shrink.
			 */
			if (SEQ64_GT(dack, last) && p->window != 0xffff &&
					SEQ64_LT(edge + (((uint64_t)1 << shift) - 1), last_edge)) {
				st->mptcp_window_variation++;
				if (knob(m->window_variation) == MPN_ACTION_DROP) {
					mpn_check_drop(x, MPN_REASON_MPTCP_WINDOW_VARIATION, 0, 0,
						0xff);
					return;
				}
			}
			if (!SEQ64_GT(dack, last) && !SEQ64_GT(edge, last_edge))
				return;
		} else {
			/* The first DATA_ACK: the DSN space of the data starts at its sender's IDSN + 1. */
			if (!ack64)
				dack = expand32((d_in == 0 ? conn->idsn_a : conn->idsn_b) + 1,
					(uint32_t)dack);
			edge = dack + wnd;
		}
		pl->sh |= MPN_SH_WINDOW;
		pl->win_has_dack = true;
		pl->win_dack = dack;
		pl->win_edge = edge;
	}
}

/* Raise a 32-bit atomic to @p v. */
static void
raise32(uint32_t *a, uint32_t v)
{
	uint32_t cur = __atomic_load_n(a, __ATOMIC_RELAXED);

	while (v > cur && !__atomic_compare_exchange_n(a, &cur, v, true, __ATOMIC_RELAXED,
			__ATOMIC_RELAXED))
		;
}

/* Raise a 64-bit atomic to @p v in sequence order (mod 2^64). */
static void
raise64(uint64_t *a, uint64_t v)
{
	uint64_t cur = __atomic_load_n(a, __ATOMIC_RELAXED);

	while (SEQ64_GT(v, cur) && !__atomic_compare_exchange_n(a, &cur, v, true,
			__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void
mpn_commit_window_mptcp(struct mpn_pkt_ctx *c, struct mpn_conn *conn)
{
	const struct mpn_track_plan *pl = &c->plan;
	int d = pl->win_dir & 1;

	if (!(pl->sh & MPN_SH_WINDOW) || conn == NULL)
		return;
	raise32(&conn->win_max[d], pl->win_max);
	if (!pl->win_has_dack)
		return;
	if (!__atomic_load_n(&conn->dack_known[d], __ATOMIC_ACQUIRE)) {
		uint32_t zero = 0;

		/* First writer sets both; a racing one raises them below. */
		if (__atomic_compare_exchange_n(&conn->dack_known[d], &zero, 2, false,
				__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&conn->dack[d], pl->win_dack, __ATOMIC_RELAXED);
			__atomic_store_n(&conn->dedge[d], pl->win_edge, __ATOMIC_RELAXED);
			__atomic_store_n(&conn->dack_known[d], 1, __ATOMIC_RELEASE);
			return;
		}
	}
	raise64(&conn->dack[d], pl->win_dack);
	raise64(&conn->dedge[d], pl->win_edge);
}
