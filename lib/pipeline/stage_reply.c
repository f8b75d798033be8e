/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage reply (issue 16, active join refusal): under `join-refuse-action
 * reset`, a join SYN mpnorm refuses is answered with a RST carrying
 * MP_TCPRST reason 0x03, "administratively prohibited" (RFC 8684 §3.6),
 * so the joining host gives the subflow up at once instead of
 * retransmitting its SYN until it times out. The RST is built in place
 * from the refused segment (rst_build.c); the caller sends it back out of
 * the port the segment came in on (MPN_VERDICT_REPLY).
 *
 * Like a drop, a reply changes no tracker state: the segment was refused
 * before commit, and only counters and the per-worker rate limit move.
 */
#include "mptcp.h"
#include "rst_build.h"
#include "stages.h"

/*
 * The refusals that are answered. Each is a decision about the join
 * itself, taken on its SYN before the responder saw it:
 *  - mptcp-join-refused: the connection fell back or was closed (policy);
 *  - mptcp-join-unknown-token: no such connection under `join verify`;
 *  - mptcp-subflow-limit, mptcp-join-rate, mptcp-join-early: limits.
 * Never answered: a bad HMAC (it is found on the SYN/ACK or third ACK, and
 * a forged one must not make mpnorm reset the real subflow), directory
 * trouble and pending keys (transient: the join may succeed when retried),
 * and every segment that is not a join SYN.
 */
static bool
answered_reason(uint16_t r)
{
	switch (r) {
	case MPN_REASON_MPTCP_JOIN_REFUSED:
	case MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN:
	case MPN_REASON_MPTCP_SUBFLOW_LIMIT:
	case MPN_REASON_MPTCP_JOIN_RATE:
	case MPN_REASON_MPTCP_JOIN_EARLY:
		return true;
	default:
		return false;
	}
}

/* A SYN (no ACK, no RST) carrying a well-formed MP_JOIN SYN option. */
static bool
is_join_syn(const struct mpn_pkt_ctx *c)
{
	unsigned int i;

	if ((c->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN)
		return false;
	for (i = 0; i < c->res.n_mo; i++)
		if (c->res.mo[i].subtype == MPN_MPTCP_MP_JOIN && !c->res.mo[i].malformed &&
				c->res.mo[i].u.join.form == MPN_MPTCP_JOIN_SYN)
			return true;
	return false;
}

/* Per worker and tcp-map, at most join-refuse-rate RSTs a second. */
static bool
rst_take_token(struct mpn_tracker *t, unsigned int map, unsigned int rate, uint64_t now)
{
	if (map >= MPN_POLICY_MAX_TCP_MAPS)
		return false;
	if (t->rst_window[map] == 0 || now - t->rst_window[map] >= t->p.hz) {
		t->rst_window[map] = now != 0 ? now : 1;
		t->rst_tokens[map] = rate;
	}
	if (t->rst_tokens[map] == 0)
		return false;
	t->rst_tokens[map]--;
	return true;
}

void
mpn_stage_reply(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c, uint64_t now)
{
	const struct mpn_tcp_map *m;
	uint32_t len;

	c->reply = false;
	if (c->res.forward || !c->tcp || !answered_reason(c->res.drop_reason))
		return;
	m = mpn_policy_rule_tcp_map(policy, c->res.rule);
	if (m->mptcp.join_refuse_action != MPN_JOIN_REFUSE_RESET || !is_join_syn(c))
		return;
	/* Never a RST for a RST, nor for a segment not wholly parsed. */
	if (!mpn_rst_may_answer(c->res.status, &c->res.pkt, c->len))
		return;
	if (!rst_take_token(t, (unsigned int)(m - policy->tcp_maps), m->mptcp.join_refuse_rate,
			now)) {
		mpn_stats_inc(&t->stats.join_rst_suppressed);
		return;
	}
	len = mpn_rst_build(c->frame, c->len, &c->res.pkt, from->l2, MPN_TCPRST_ADMIN_PROHIBITED);
	if (len == 0)
		return;
	c->reply_len = len;
	c->reply = true;
	mpn_stats_inc(&t->stats.join_rst_sent);
}
