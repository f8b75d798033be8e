/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP half of the check stage: what a SYN on a known subflow means,
 * new entries (SYN, or learned mid-stream), RST acceptance (RFC 5961 §3),
 * the ASA's stateful tcp-map checks, and the TCP state the shadow entry
 * moves to. Everything here reads the tables and writes plan.shadow only.
 */
#include <string.h>

#include <rte_common.h>

#include "conn.h"
#include "stages.h"

/* Largest window-scale shift (RFC 7323 §2.3). */
#define WSCALE_MAX 14

bool
mpn_check_syn_on_known(struct mpn_check *x, const struct mpn_subflow *sf)
{
	struct mpn_track_plan *pl = &x->c->plan;
	const struct mpn_flow_dir *S;
	int s = mpn_check_dir(x, sf);

	S = s == 0 ? &sf->dir0 : &sf->dir1;
	/* A retransmission of this side's own SYN or SYN/ACK: same ISN. */
	if ((S->f & MPN_DIR_SYN) && S->isn == x->p->seq)
		return true;
	if (!x->ack) {
		/*
		 * A new SYN from the initiator's side opens a new connection on
		 * the same 5-tuple where the old one is done (TIME-WAIT reuse,
		 * RFC 9293 §3.6.1), where it never got past its SYN (the
		 * initiator gave up and started again), or where the entry is
		 * only a one-way guess learned mid-stream.
		 */
		switch (sf->state) {
		case MPN_TCP_SYN_SENT:
		case MPN_TCP_CLOSING:
		case MPN_TCP_CLOSED:
			pl->sh |= MPN_SH_REMOVE_OLD;
			return true;
		default:
			if (sf->f & MPN_SF_UNCONFIRMED) {
				pl->sh |= MPN_SH_REMOVE_OLD;
				return true;
			}
			break;
		}
	} else if (sf->state < MPN_TCP_ESTABLISHED) {
		/* A SYN/ACK during the handshake: the answer, or a new one. */
		return true;
	}
	/*
	 * RFC 5961 §4: a SYN on a synchronized connection is answered with a
	 * challenge ACK and the connection stays. Pass it to the host, and
	 * change nothing here: resetting the entry would let anyone who can
	 * send one segment re-decide the connection mid-stream (and a
	 * fallback decision would then strip MPTCP from a live connection,
	 * which Linux resets, RFC 8684 §3.7).
	 */
	mpn_stats_inc(&x->t->stats.stray_syn);
	return false;
}

/* MSS the sender announces in its SYN: the clamped value if we clamp it. */
static uint16_t
syn_mss(const struct mpn_check *x)
{
	const struct mpn_norm_result *res = &x->c->res;
	const struct mpn_tcpopt_list *l = &res->opts;
	const struct mpn_tcpopt *o;
	unsigned int i;

	if (l->idx_mss == MPN_TCPOPT_NONE || l->idx_mss >= l->n)
		return 0;
	o = &l->opt[l->idx_mss];
	if (o->len != MPN_TCPOPT_LEN_MSS)
		return 0;
	for (i = 0; i < res->n_acts; i++)
		if (res->acts[i].type == MPN_NACT_CLAMP_MSS && res->acts[i].off == o->off &&
				!res->monitor)
			return res->acts[i].value;
	return (uint16_t)(x->tcp[o->off + 2] << 8 | x->tcp[o->off + 3]);
}

static void
syn_wscale(const struct mpn_check *x, struct mpn_flow_dir *d)
{
	const struct mpn_norm_result *res = &x->c->res;
	const struct mpn_tcpopt_list *l = &res->opts;
	const struct mpn_tcpopt *o;

	d->f &= (uint8_t)~MPN_DIR_WSCALE;
	if (l->idx_wscale == MPN_TCPOPT_NONE || l->idx_wscale >= l->n)
		return;
	o = &l->opt[l->idx_wscale];
	if (o->len != MPN_TCPOPT_LEN_WSCALE)
		return;
	if (!res->monitor && mpn_norm_opt_cleared(res, o->off))
		return;
	d->f |= MPN_DIR_WSCALE;
	d->wscale = x->tcp[o->off + 2];
}

/* A fresh shadow entry for a new subflow. */
static struct mpn_subflow *
plan_create(struct mpn_check *x, uint8_t state)
{
	struct mpn_track_plan *pl = &x->c->plan;
	struct mpn_subflow *sh = &pl->shadow;

	memset(sh, 0, sizeof(*sh));
	sh->state = state;
	sh->conn_slot = -1;
	sh->last_seen = x->now;
	sh->born = (uint32_t)(x->now / x->t->ms_units);
	sh->rule_id[0] = sh->rule_id[1] = MPN_RULE_NONE;
	pl->op = MPN_PLAN_CREATE;
	pl->create_state = state;
	return sh;
}

void
mpn_check_new_syn(struct mpn_check *x)
{
	const struct mpn_policy_rule *rule = x->c->res.rule;
	struct mpn_subflow *sh;
	uint8_t decision;
	int j;

	/* RFC 8684 §3.7: the fallback decision is taken here and kept. */
	if (rule->inspect || x->m->mptcp.mode == MPN_MPTCP_FALLBACK)
		decision = MPN_DECISION_FALLBACK;
	else
		decision = MPN_DECISION_ALLOW;
	if (!mpn_flow_has_room(x->t->ft)) {
		/* The stateless part already let it through: counted as table_full. */
		mpn_stats_inc(&x->t->stats.table_full);
		mpn_check_drop(x, MPN_REASON_TABLE_FULL, 0, 0, 0xff);
		return;
	}
	j = mpn_check_find_mo(x, MPN_MPTCP_MP_JOIN);
	if (j >= 0 && x->c->res.mo[j].u.join.form != MPN_MPTCP_JOIN_SYN)
		j = -1;
	sh = plan_create(x, MPN_TCP_SYN_SENT);
	if (x->c->from_lo)
		sh->f |= MPN_SF_INIT_LO;
	sh->decision = decision;
	sh->role = MPN_ROLE_PLAIN;
	if (j >= 0 && decision != MPN_DECISION_FALLBACK && !mpn_check_join_syn(x, j))
		x->c->plan.op = MPN_PLAN_NONE;
}

void
mpn_check_midstream(struct mpn_check *x)
{
	struct mpn_tracker *t = x->t;
	struct mpn_subflow *sh;
	int j;

	/* A RST for a connection we do not know changes nothing here; the host judges it. */
	if (x->rst)
		return;
	if (t->p.midstream == MPN_FLOW_MIDSTREAM_DROP) {
		mpn_stats_inc(&t->stats.not_syn_dropped);
		mpn_check_drop(x, MPN_REASON_TCP_NOT_SYN, 0, 0, 0xff);
		if (!x->c->res.forward)
			return;
	}
	/*
	 * The SYN/ACK or third ACK of a join whose SYN mpnorm never saw (it
	 * started after it, or the entry was pushed out by a flood) cannot be
	 * verified: there is no nonce to check the HMAC against. Under `join
	 * verify` it is dropped; the initiator then retransmits its SYN, which
	 * is admitted and verified as usual (RFC 8684 §3.2). Learning it
	 * instead would let a join flood turn into unverified subflows.
	 */
	j = mpn_check_find_mo(x, MPN_MPTCP_MP_JOIN);
	if (j >= 0 && x->m->mptcp.join == MPN_JOIN_VERIFY) {
		mpn_stats_inc(&t->stats.joins_unverifiable);
		mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_UNVERIFIABLE, x->c->res.mo_off[j],
			x->c->res.mo[j].len, MPN_MPTCP_MP_JOIN);
		return;
	}
	/*
	 * Under pressure, the SYN-cookie idea: keep the remaining room for
	 * SYNs, and let unknown mid-stream traffic pass untracked (a flood of
	 * spoofed ACKs would otherwise fill the table). Counted.
	 */
	if (mpn_flow_under_pressure(t->ft)) {
		mpn_stats_inc(&t->stats.learn_refused);
		return;
	}
	if (!mpn_flow_has_room(t->ft)) {
		mpn_stats_inc(&t->stats.table_full);
		return; /* passes untracked */
	}
	sh = plan_create(x, x->syn ? MPN_TCP_SYN_RECV : MPN_TCP_ESTABLISHED);
	/*
	 * Learned, but unconfirmed until both directions have been seen:
	 * spoofed traffic never confirms itself, so it stays on the first
	 * list eviction raids, with the short unconfirmed timeout.
	 */
	sh->f |= MPN_SF_UNCONFIRMED;
	/*
	 * Guess the initiator: the receiver of a SYN/ACK; otherwise the side
	 * with the higher port (servers listen on the low ones). An
	 * MP_CAPABLE with both keys corrects the guess (check_mptcp.c).
	 */
	if (x->syn) {
		if (!x->c->from_lo)
			sh->f |= MPN_SF_INIT_LO;
	} else if (x->c->key.port_lo > x->c->key.port_hi) {
		sh->f |= MPN_SF_INIT_LO;
	}
	sh->role = MPN_ROLE_MIDSTREAM;
	/* Stripping MPTCP from a running connection makes Linux reset it (RFC 8684 §3.7). */
	sh->decision = MPN_DECISION_ALLOW;
}

unsigned int
mpn_check_win_shift(const struct mpn_subflow *sf, int s)
{
	const struct mpn_flow_dir *d = s == 0 ? &sf->dir0 : &sf->dir1;

	/* Without the handshake the scale is unknown: assume the largest. */
	if (!(sf->f & MPN_SF_HANDSHAKE))
		return WSCALE_MAX;
	if (!(sf->dir0.f & MPN_DIR_WSCALE) || !(sf->dir1.f & MPN_DIR_WSCALE))
		return 0;
	return RTE_MIN(d->wscale, WSCALE_MAX);
}

static enum mpn_action
knob(enum mpn_action a)
{
	return a == MPN_ACTION_DROP ? MPN_ACTION_DROP : MPN_ACTION_ALLOW;
}

/*
 * RFC 5961 §3: a RST acts only if its sequence number is exactly the next
 * one the receiver expects; one elsewhere in the window gets a challenge
 * ACK from the host and changes nothing; one outside the window is
 * dropped. The middle box knows RCV.NXT as the receiver's highest ACK;
 * data still in flight can put the sender's own next sequence number
 * ahead of it, and a RST there is exact for the host too.
 *
 * @return true if the RST closes the subflow
 */
static bool
rst_acceptable(struct mpn_check *x, const struct mpn_subflow *sh, int s)
{
	const struct mpn_flow_dir *S = s == 0 ? &sh->dir0 : &sh->dir1;
	const struct mpn_flow_dir *R = s == 0 ? &sh->dir1 : &sh->dir0;
	uint32_t seq = x->p->seq;

	if (R->f & MPN_DIR_ACK) {
		if (seq == R->max_ack || ((S->f & MPN_DIR_SEEN) && seq == S->snd_end))
			return true;
		if (SEQ_GEQ(seq, R->max_ack) && SEQ_LT(seq, R->right_edge)) {
			mpn_stats_inc(&x->t->stats.rst_in_window);
			return false;
		}
		mpn_stats_inc(&x->t->stats.rst_out_of_window);
		mpn_check_drop(x, MPN_REASON_TCP_RST_OUT_OF_WINDOW, 0, 0, 0xff);
		return false;
	}
	/*
	 * The receiver has acknowledged nothing yet: the responder refusing
	 * a SYN (RFC 9293 §3.10.7.3: its RST acknowledges the SYN).
	 */
	if ((R->f & MPN_DIR_SEEN) && (R->f & MPN_DIR_SYN)) {
		if (x->ack && x->p->ack == R->snd_end)
			return true;
		mpn_stats_inc(&x->t->stats.rst_out_of_window);
		mpn_check_drop(x, MPN_REASON_TCP_RST_OUT_OF_WINDOW, 0, 0, 0xff);
		return false;
	}
	/* Nothing to judge it by (learned from one side only): the host decides. */
	return true;
}

/*
 * The ASA's stateful tcp-map checks. Each counts what it sees and drops
 * only when its knob says drop. Retransmissions, keepalives (seq - 1, no
 * or one byte), window probes (one byte past a zero window, RFC 9293
 * §3.8.6.1), SACK and RST are not violations.
 */
static void
asa_checks(struct mpn_check *x, const struct mpn_subflow *sf, int s)
{
	const struct mpn_flow_dir *S = s == 0 ? &sf->dir0 : &sf->dir1;
	const struct mpn_flow_dir *R = s == 0 ? &sf->dir1 : &sf->dir0;
	const struct mpn_pkt *p = x->p;
	const struct mpn_tcp_map *m = x->m;
	struct mpn_track_stats *st = &x->t->stats;
	uint32_t plen = p->payload_len;
	bool mptcp_sf = (sf->f & MPN_SF_MPTCP) || sf->conn != NULL;

	/* invalid-ack: an ACK beyond anything the peer has sent. */
	if (x->ack && !x->rst && (R->f & MPN_DIR_SEEN) && SEQ_GT(p->ack, R->snd_end)) {
		st->invalid_ack++;
		if (knob(m->invalid_ack) == MPN_ACTION_DROP)
			mpn_check_drop(x, MPN_REASON_TCP_INVALID_ACK, 0, 0, 0xff);
	}
	/*
	 * MPTCP subflows of a known connection get the checks of
	 * check_window.c instead: their window is the connection's, relative
	 * to the DATA_ACK (RFC 8684 §3.3.4-3.3.5), so the single-path ones
	 * below would drop legitimate segments.
	 */
	if (mptcp_sf && sf->conn != NULL)
		mpn_check_window_mptcp(x, sf, s);
	/*
	 * seq-past-window: data beyond the highest right edge the receiver
	 * offered. Not on MPTCP subflows: there the window is the connection's,
	 * relative to the DATA_ACK (RFC 8684 §3.3.4), which may be ahead of
	 * this subflow's ACK, so the subflow-level edge does not bind the
	 * sender. A subflow without a known connection (learned mid-stream
	 * without keys, an unverified join) is not judged at all: there is no
	 * connection-wide window to judge it by.
	 */
	if (!mptcp_sf && !x->syn && !x->rst && plen > 0 && (R->f & MPN_DIR_ACK) &&
			SEQ_GT(p->seq + plen, R->right_edge + (plen == 1 ? 1 : 0))) {
		st->seq_past_win++;
		if (knob(m->seq_past_window) == MPN_ACTION_DROP)
			mpn_check_drop(x, MPN_REASON_TCP_SEQ_PAST_WIN, 0, 0, 0xff);
	}
	/*
	 * window-variation: the sender moves its own right edge back (RFC 9293
	 * §3.8.6: shrinking the window is strongly discouraged). Old,
	 * reordered ACKs (ack below the highest) are not judged, nor are
	 * windows of unknown scale, nor MPTCP subflows, whose window follows
	 * the DATA_ACK (RFC 8684 §3.3.4): Linux moves their subflow-level edge
	 * back all the time (linux/capture-mid.pcap).
	 */
	if (!mptcp_sf && x->ack && !x->syn && !x->rst && (S->f & MPN_DIR_ACK) &&
			(sf->f & MPN_SF_HANDSHAKE) && SEQ_GEQ(p->ack, S->max_ack)) {
		uint32_t edge = p->ack + ((uint32_t)p->window << mpn_check_win_shift(sf, s));

		if (SEQ_LT(edge, S->right_edge)) {
			st->window_variation++;
			if (knob(m->window_variation) == MPN_ACTION_DROP)
				mpn_check_drop(x, MPN_REASON_TCP_WINDOW_VARIATION, 0, 0, 0xff);
		}
	}
	/* exceed-mss: more payload than the receiver announced it takes. */
	if (!x->syn && plen > 0 && R->mss != 0 && plen > R->mss) {
		st->exceed_mss++;
		if (knob(m->exceed_mss) == MPN_ACTION_DROP)
			mpn_check_drop(x, MPN_REASON_TCP_EXCEED_MSS, 0, 0, 0xff);
	}
	/* TTL evasion: see track.h for why this drops rather than rewrites. */
	if ((S->f & MPN_DIR_SEEN) && (plen > 0 || x->fin || x->rst) && p->ttl_or_hlim < S->ttl) {
		st->ttl_evasion++;
		if (m->ttl_evasion_protection)
			mpn_check_drop(x, MPN_REASON_TCP_TTL_EVASION, 0, 0, 0xff);
	}
}

void
mpn_check_tcp(struct mpn_check *x, struct mpn_subflow *sh, int s)
{
	if (x->rst && !rst_acceptable(x, sh, s)) {
		/* In window but not exact: it passes and the host challenges it; nothing changes. */
		x->c->plan.op = MPN_PLAN_NONE;
		x->c->plan.sh = 0;
		return;
	}
	asa_checks(x, sh, s);
}

void
mpn_check_update_tcp(struct mpn_check *x, struct mpn_subflow *sh, int s)
{
	struct mpn_flow_dir *S = s == 0 ? &sh->dir0 : &sh->dir1;
	struct mpn_flow_dir *R = s == 0 ? &sh->dir1 : &sh->dir0;
	const struct mpn_pkt *p = x->p;
	uint32_t end = p->seq + p->payload_len + (x->syn ? 1 : 0) + (x->fin ? 1 : 0);

	if (x->c->plan.op == MPN_PLAN_NONE)
		return;
	if (!(S->f & MPN_DIR_SEEN)) {
		S->f |= MPN_DIR_SEEN;
		S->snd_end = end;
		S->ttl = p->ttl_or_hlim;
		S->link = x->c->key.link;
	} else if (SEQ_GT(end, S->snd_end)) {
		S->snd_end = end;
	}
	/* Both directions seen: a learned entry is a real connection now. */
	if ((sh->f & MPN_SF_UNCONFIRMED) && (R->f & MPN_DIR_SEEN))
		sh->f &= (uint16_t)~MPN_SF_UNCONFIRMED;
	if (x->syn) {
		S->f |= MPN_DIR_SYN;
		S->isn = p->seq;
		S->mss = syn_mss(x);
		syn_wscale(x, S);
		if (x->ack && s == 1 && (sh->dir0.f & MPN_DIR_SYN))
			sh->f |= MPN_SF_HANDSHAKE;
	}
	if (x->ack) {
		/* The window of a SYN or SYN/ACK is never scaled (RFC 7323 §2.2). */
		uint32_t edge = p->ack +
			((uint32_t)p->window << (x->syn ? 0 : mpn_check_win_shift(sh, s)));

		if (!(S->f & MPN_DIR_ACK) || SEQ_GT(p->ack, S->max_ack))
			S->max_ack = p->ack;
		if (!(S->f & MPN_DIR_ACK) || SEQ_GT(edge, S->right_edge))
			S->right_edge = edge;
		S->f |= MPN_DIR_ACK;
	}

	if (x->rst) {
		sh->state = MPN_TCP_CLOSED;
		if (sh->close_why == MPN_FLOW_CLOSE_NONE)
			sh->close_why = MPN_FLOW_CLOSE_RST;
	} else if (x->syn) {
		if (x->ack && sh->state == MPN_TCP_SYN_SENT)
			sh->state = MPN_TCP_SYN_RECV;
	} else {
		if (x->ack && (sh->state == MPN_TCP_SYN_SENT || sh->state == MPN_TCP_SYN_RECV))
			sh->state = MPN_TCP_ESTABLISHED;
		if (x->fin) {
			S->f |= MPN_DIR_FIN;
			if (R->f & MPN_DIR_FIN) {
				sh->state = MPN_TCP_CLOSING;
				if (sh->close_why == MPN_FLOW_CLOSE_NONE)
					sh->close_why = MPN_FLOW_CLOSE_FIN;
			} else if (sh->state < MPN_TCP_FIN_WAIT) {
				sh->state = MPN_TCP_FIN_WAIT;
			}
		}
	}
	if (sh->conn != NULL && mpn_conn_is_closed(sh->conn)) {
		sh->state = MPN_TCP_CLOSED;
		if (sh->close_why == MPN_FLOW_CLOSE_NONE)
			sh->close_why = MPN_FLOW_CLOSE_FASTCLOSE;
	}
	sh->last_seen = x->now;
}
