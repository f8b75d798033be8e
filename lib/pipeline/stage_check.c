/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage check: every verdict on the packet, stateless (the tcp-map, in
 * lib/normalize) then stateful (the tracker: TCP in check_tcp.c, MPTCP in
 * check_mptcp.c). It changes nothing: the stateful checks run on
 * plan.shadow, a copy of the subflow entry, and record in the plan what
 * the shared state would become. The commit stage carries the plan out
 * for a forwarded packet only (ctx.h, THE INVARIANT).
 */
#include <string.h>

#include "conn.h"
#include "stages.h"

void
mpn_check_drop(struct mpn_check *x, enum mpn_reason r, uint8_t off, uint8_t len,
	uint8_t subtype)
{
	struct mpn_norm_result *res = &x->c->res;

	mpn_norm_add_act(res, MPN_NACT_DROP, r, off, len, off ? MPN_MPTCP_KIND : 0, subtype);
	/* Under a `monitor` class the decision is kept for the trace and the counters only. */
	if (res->monitor) {
		res->forward = true;
		res->drop_reason = MPN_REASON_NONE;
	}
}

int
mpn_check_dir(const struct mpn_check *x, const struct mpn_subflow *sf)
{
	bool init_lo = (sf->f & MPN_SF_INIT_LO) != 0;

	return x->c->from_lo == init_lo ? 0 : 1;
}

int
mpn_check_find_mo(const struct mpn_check *x, uint8_t subtype)
{
	const struct mpn_norm_result *res = &x->c->res;
	unsigned int i;

	for (i = 0; i < res->n_mo; i++) {
		if (res->mo[i].malformed || res->mo[i].subtype != subtype)
			continue;
		/* An option an earlier decision clears never reaches the receiver. */
		if (!res->monitor && mpn_norm_opt_cleared(res, res->mo_off[i]))
			continue;
		return (int)i;
	}
	return -1;
}

void
mpn_check_limits(const struct mpn_check *x, struct mpn_conn_limits *lim)
{
	lim->active = x->m->mptcp.subflow_limit;
	lim->pending = x->m->mptcp.join_pending_limit;
}

/*
 * An asymmetric route through one box: the subflow's SYN crossed one link
 * and its answer comes back on another (two hosts joined by several
 * links, where a join from a second address leaves by the route to the
 * peer's first address and the answer returns on the second link). The
 * subflow is then *one* observation split across links, not two: each
 * link sees one direction only. A packet that finds no entry on its own
 * link, and is not a new SYN, looks for the same 5-tuple on the other
 * links; an entry there that has never seen this packet's direction, or
 * saw it first on this packet's link (mpn_flow_dir.link), is this
 * packet's entry. An entry that has seen this direction on its own link is a
 * second observation of the same subflow (a routed chain, where every
 * packet crosses both links, the second time with a lower TTL), and is
 * left alone: this link gets its own entry, as before.
 *
 * Only the misses pay for it (one lookup per other link), and only until
 * the answer is found; the packets of such a subflow in the direction
 * that was not first seen keep paying it on each packet.
 */
static int32_t
find_asymmetric_observation(struct mpn_check *x)
{
	struct mpn_pkt_ctx *c = x->c;
	struct mpn_flow_key k = c->key;
	uint16_t l;

	for (l = 0; l <= x->t->max_link; l++) {
		const struct mpn_subflow *sf;
		const struct mpn_flow_dir *d;
		int32_t pos;

		if (l == c->key.link)
			continue;
		k.link = l;
		pos = mpn_flow_lookup_one(x->t->ft, &k, mpn_flow_key_hash(&k));
		if (pos < 0)
			continue;
		sf = mpn_flow_entry(x->t->ft, pos);
		if (mpn_flow_expired(x->t->ft, sf, x->now))
			continue;
		d = mpn_check_dir(x, sf) == 0 ? &sf->dir0 : &sf->dir1;
		if (!(d->f & MPN_DIR_SEEN) || d->link == c->key.link)
			return pos;
	}
	return -1;
}

/* The stateful part, for a TCP packet that passed the stateless checks. */
static void
check_tracked(struct mpn_check *x)
{
	struct mpn_pkt_ctx *c = x->c;
	struct mpn_track_plan *pl = &c->plan;
	struct mpn_subflow *sh = &pl->shadow;
	const struct mpn_subflow *sf = NULL;
	int s;

	if (c->pos < 0 && !(x->syn && !x->ack) && x->t->max_link > 0)
		c->pos = find_asymmetric_observation(x);
	if (c->pos >= 0) {
		sf = mpn_flow_entry(x->t->ft, c->pos);
		pl->s = (uint8_t)mpn_check_dir(x, sf);
		if (x->syn && !mpn_check_syn_on_known(x, sf))
			return; /* a stray SYN: passes, changes nothing */
		if (pl->sh & MPN_SH_REMOVE_OLD)
			sf = NULL; /* a new connection on a reused 5-tuple */
	}
	if (sf == NULL) {
		if (x->syn && !x->ack)
			mpn_check_new_syn(x);
		else
			mpn_check_midstream(x);
		if (pl->op == MPN_PLAN_NONE)
			return;
	} else {
		pl->op = MPN_PLAN_UPDATE;
		memcpy(sh, sf, sizeof(*sh));
	}
	s = mpn_check_dir(x, sh);

	/*
	 * A pending join whose slot a newer join of its connection took
	 * (conn.h): it will never be admitted; its segments go no further.
	 */
	if (sh->conn != NULL && (sh->join_state == MPN_JOIN_SYN ||
			sh->join_state == MPN_JOIN_SYNACK_OK) &&
			!mpn_conn_slot_current(sh->conn, sh->conn_slot, sh->slot_gen)) {
		mpn_stats_inc(&x->t->stats.joins_evicted);
		mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_EVICTED, 0, 0, 0xff);
		return;
	}
	if (sh->decision == MPN_DECISION_FALLBACK)
		mpn_check_fallback(x, sh, &s);
	else
		mpn_check_mptcp(x, sh, &s);
	if (c->res.forward)
		mpn_check_tcp(x, sh, s);
	if (c->res.forward)
		mpn_check_update_tcp(x, sh, s);
	pl->s = (uint8_t)s;
	/*
	 * Both keys known: the commit stage publishes the connection in the
	 * token table (RFC 8684 §3.1). Not from an entry learned mid-stream
	 * and seen one way only: spoofed third ACKs carrying keys would
	 * otherwise fill the connection pool.
	 */
	if (c->res.forward && pl->op != MPN_PLAN_NONE && x->t->ct != NULL && sh->conn == NULL &&
			sh->role != MPN_ROLE_JOIN && (sh->f & MPN_SF_HAVE_KEY_A) &&
			(sh->f & MPN_SF_HAVE_KEY_B) && !(sh->f & MPN_SF_UNCONFIRMED))
		pl->sh |= MPN_SH_PUBLISH;
}

void
mpn_stage_check(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c, uint64_t now)
{
	struct mpn_norm_result *res = &c->res;
	struct mpn_check x;

	c->plan.op = MPN_PLAN_NONE;
	c->plan.sh = 0;
	c->plan.n_addr = 0;
	c->plan.n_addr_new = 0;
	c->plan.s = 0;
	if (!c->tcp)
		return;
	mpn_normalize_check(policy, c->frame, c->len, false, res);
	if (t == NULL)
		return;
	/*
	 * tcp-state-bypass keeps no state at all, as on the ASA: not even a
	 * table entry, so a bypassed class costs a lookup and nothing more.
	 */
	if (res->bypass) {
		mpn_stats_inc(&t->stats.bypassed);
		return;
	}
	/* Dropped by the stateless checks: it never reaches the peer, so it changes nothing. */
	if (!res->forward)
		return;
	x.t = t;
	x.c = c;
	x.m = mpn_policy_rule_tcp_map(policy, res->rule);
	x.p = &res->pkt;
	x.tcp = c->frame + res->pkt.l4_off;
	x.now = now;
	x.syn = (c->flags & TH_SYN) != 0;
	x.ack = (c->flags & TH_ACK) != 0;
	x.rst = (c->flags & TH_RST) != 0;
	x.fin = (c->flags & TH_FIN) != 0;
	check_tracked(&x);
	/* The class this subflow keeps in this link direction (stage_classify.c). */
	if (c->plan.op != MPN_PLAN_NONE) {
		struct mpn_subflow *sh = &c->plan.shadow;

		if (sh->rule_gen != policy->generation) {
			sh->rule_gen = policy->generation;
			sh->rule_id[0] = sh->rule_id[1] = MPN_RULE_NONE;
		}
		sh->rule_id[from->dir & 1] = c->conn_rule_id;
	}
}
