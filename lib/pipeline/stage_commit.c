/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage commit: the only place the tracker's state changes. For a packet
 * that will be forwarded, it carries out the plan the check stage made:
 * the subflow entry (created, or replaced by its shadow), the shared
 * connection record (published, joined, promoted, fast-closed, addresses
 * recorded). For a dropped packet it returns at once (ctx.h, THE
 * INVARIANT).
 *
 * Shared resources can run out between check and commit (another worker
 * took the last subflow slot of a connection): the commit then drops the
 * packet, having changed nothing.
 */
#include <errno.h>
#include <string.h>

#include "conn.h"
#include "stages.h"

/* Turn a forwarded packet into a dropped one: nothing has been changed yet. */
static void
commit_refuse(struct mpn_pkt_ctx *c, enum mpn_reason r)
{
	mpn_norm_add_act(&c->res, MPN_NACT_DROP, r, 0, 0, 0, 0xff);
	if (c->res.monitor) {
		c->res.forward = true;
		c->res.drop_reason = MPN_REASON_NONE;
	}
}

/* Later packets of the batch with the same key now find the new entry. */
static void
burst_fix_insert(struct mpn_tracker *t, const struct mpn_pkt_ctx *c, int32_t pos)
{
	unsigned int j;

	if (t->burst == NULL)
		return;
	for (j = t->burst_from + 1; j < t->burst_n; j++) {
		struct mpn_pkt_ctx *o = &t->burst[j];

		if (o->tcp && o->pos < 0 && o->hash == c->hash &&
				memcmp(&o->key, &c->key, sizeof(o->key)) == 0)
			o->pos = pos;
	}
}

/* Publish the connection of an initial subflow (both keys known). */
static void
commit_publish(struct mpn_tracker *t, struct mpn_pkt_ctx *c, struct mpn_subflow *sh,
	uint64_t now)
{
	bool init_lo = (sh->f & MPN_SF_INIT_LO) != 0;
	const struct mpn_flow_key *k = &c->key;
	struct mpn_conn_init in;
	struct mpn_conn *conn;
	uint16_t gen;
	int slot, err;

	memset(&in, 0, sizeof(in));
	in.version = sh->version;
	in.flags_a = sh->flags_a;
	in.flags_b = sh->flags_b;
	in.decision = sh->decision;
	/* Its joins take the class the initial subflow got at its SYN (stage_classify.c). */
	in.rule_gen = sh->rule_gen;
	in.rule_id[0] = sh->rule_id[0];
	in.rule_id[1] = sh->rule_id[1];
	in.key_a = sh->key_a;
	in.key_b = sh->key_b;
	/* Tokens and IDSNs with this worker's prepared digest context. */
	in.have_tokens = mpn_mptcp_crypto_key_token(t->crypto, sh->version, sh->key_a,
		&in.token_a, &in.idsn_a) == 0 && mpn_mptcp_crypto_key_token(t->crypto,
		sh->version, sh->key_b, &in.token_b, &in.idsn_b) == 0;
	in.now = now;
	in.family = k->family;
	in.src = init_lo ? k->addr_lo : k->addr_hi;
	in.dst = init_lo ? k->addr_hi : k->addr_lo;
	in.sport = init_lo ? k->port_lo : k->port_hi;
	in.dport = init_lo ? k->port_hi : k->port_lo;
	in.tcp_state = sh->state;
	conn = mpn_conn_publish(t->ct, &in, &slot, &gen, &err);
	explicit_bzero(&in.key_a, sizeof(in.key_a));
	explicit_bzero(&in.key_b, sizeof(in.key_b));
	if (conn == NULL) {
		if (err == -EEXIST)
			mpn_stats_inc(&t->stats.token_collisions);
		else
			mpn_stats_inc(&t->stats.conn_pool_full);
		return;
	}
	sh->conn = conn;
	sh->conn_slot = (int8_t)slot;
	sh->slot_gen = gen;
	sh->role = MPN_ROLE_INITIAL;
	sh->f |= MPN_SF_INIT_IS_A | MPN_SF_MPTCP;
	sh->version = conn->version;
	/* The record holds the keys now; the entry's copies go (RFC 7430 §3). */
	explicit_bzero(&sh->key_a, sizeof(sh->key_a));
	explicit_bzero(&sh->key_b, sizeof(sh->key_b));
	sh->f &= (uint16_t)~(MPN_SF_HAVE_KEY_A | MPN_SF_HAVE_KEY_B);
	if (err == 1) {
		mpn_stats_inc(&t->stats.conns_attached);
	} else {
		mpn_stats_inc(&t->stats.conns_created);
		/* Other boxes may carry its joins: publish it at once (doc/cluster.md). */
		if (t->have_dir && t->dir.publish != NULL)
			t->dir.publish(t->dir.arg, conn);
	}
}

/*
 * A join verified with keys from the token directory: publish the
 * connection's record here too (remote: another box saw its handshake),
 * with this join's slot, so its third ACK is verified as usual and later
 * joins on this box find it.
 */
static void
commit_remote(struct mpn_tracker *t, struct mpn_pkt_ctx *c, struct mpn_subflow *sh,
	uint64_t now)
{
	const struct mpn_track_dir_record *r = c->plan.remote;
	bool init_lo = (sh->f & MPN_SF_INIT_LO) != 0;
	const struct mpn_flow_key *k = &c->key;
	struct mpn_conn_init in;
	struct mpn_conn *conn;
	uint16_t gen;
	int slot, err;

	memset(&in, 0, sizeof(in));
	in.version = r->version;
	in.flags_a = r->flags_a;
	in.flags_b = r->flags_b;
	in.decision = r->decision;
	in.key_a = r->key_a;
	in.key_b = r->key_b;
	/* The directory checked that the keys hash to these tokens. */
	in.have_tokens = mpn_mptcp_crypto_key_token(t->crypto, r->version, r->key_a, &in.token_a,
		&in.idsn_a) == 0 && mpn_mptcp_crypto_key_token(t->crypto, r->version, r->key_b,
		&in.token_b, &in.idsn_b) == 0;
	in.now = now;
	in.remote = true;
	in.join = true;
	in.join_init_is_a = (sh->f & MPN_SF_INIT_IS_A) != 0;
	in.family = k->family;
	in.src = init_lo ? k->addr_lo : k->addr_hi;
	in.dst = init_lo ? k->addr_hi : k->addr_lo;
	in.sport = init_lo ? k->port_lo : k->port_hi;
	in.dport = init_lo ? k->port_hi : k->port_lo;
	in.tcp_state = MPN_TCP_SYN_RECV;
	conn = mpn_conn_publish(t->ct, &in, &slot, &gen, &err);
	explicit_bzero(&in.key_a, sizeof(in.key_a));
	explicit_bzero(&in.key_b, sizeof(in.key_b));
	if (conn == NULL) {
		/* The SYN/ACK verified; without a record the third ACK cannot be. */
		mpn_stats_inc(&t->stats.conn_pool_full);
		sh->join_state = MPN_JOIN_UNVERIFIED;
		sh->f &= (uint16_t)~MPN_SF_JOIN_VERIFY;
		return;
	}
	sh->conn = conn;
	sh->conn_slot = (int8_t)slot;
	sh->slot_gen = gen;
	mpn_stats_inc(&t->stats.joins_remote);
}

/* ADD_ADDR and REMOVE_ADDR of the segment, recorded on the connection. */
static void
commit_addrs(struct mpn_tracker *t, const struct mpn_pkt_ctx *c, const struct mpn_subflow *sh)
{
	const struct mpn_track_plan *pl = &c->plan;
	bool init_is_a = (sh->f & MPN_SF_INIT_IS_A) != 0;
	bool sender_is_a = pl->s == 0 ? init_is_a : !init_is_a;
	uint8_t side = sender_is_a ? 0 : 1;
	unsigned int i, k;

	if (sh->conn == NULL)
		return;
	for (i = 0; i < pl->n_addr; i++) {
		const struct mpn_mptcp_opt *o = &c->res.mo[pl->addr_mo[i]];

		if (o->subtype == MPN_MPTCP_ADD_ADDR) {
			if (mpn_conn_addr_add(sh->conn, side, o->u.add_addr.addr_id,
					o->u.add_addr.family, o->u.add_addr.addr, o->u.add_addr.has_port,
					o->u.add_addr.port, pl->addr_hmac[i]) != 0)
				mpn_stats_inc(&t->stats.addaddr_overflow);
		} else {
			__atomic_add_fetch(&sh->conn->rmaddr, 1, __ATOMIC_RELAXED);
			for (k = 0; k < o->u.rm_addr.n && k < MPN_MPTCP_RM_ADDR_MAX; k++)
				mpn_conn_addr_remove(sh->conn, side, o->u.rm_addr.ids[k]);
		}
	}
}

/* Copy the shadow into the entry, keeping what the table manages. */
static void
commit_entry(struct mpn_tracker *t, struct mpn_subflow *sf, const struct mpn_subflow *sh)
{
	uint8_t old_state = sf->state, old_join = sf->join_state, list = sf->list;
	bool old_unconfirmed = (sf->f & MPN_SF_UNCONFIRMED) != 0;
	bool unconfirmed = (sh->f & MPN_SF_UNCONFIRMED) != 0;
	uint32_t prev = sf->prev, next = sf->next, hash = sf->hash;
	uint64_t pkts[2] = { sf->pkts[0], sf->pkts[1] }, bytes[2] = { sf->bytes[0], sf->bytes[1] };
	uint64_t fp = sf->folded_pkts, fb = sf->folded_bytes;
	uint32_t drops = sf->drops, fd = sf->folded_drops;

	memcpy(sf, sh, sizeof(*sf));
	/* The table's own fields, and the counters the account stage keeps. */
	sf->prev = prev;
	sf->next = next;
	sf->hash = hash;
	sf->list = list;
	sf->state = old_state;
	sf->f = (uint16_t)((sh->f & ~MPN_SF_UNCONFIRMED) | MPN_SF_IN_USE |
		(old_unconfirmed ? MPN_SF_UNCONFIRMED : 0));
	sf->pkts[0] = pkts[0];
	sf->pkts[1] = pkts[1];
	sf->bytes[0] = bytes[0];
	sf->bytes[1] = bytes[1];
	sf->drops = drops;
	sf->folded_pkts = fp;
	sf->folded_bytes = fb;
	sf->folded_drops = fd;
	if (old_state != sh->state || old_unconfirmed != unconfirmed)
		mpn_flow_set_state(t->ft, sf, sh->state, unconfirmed);
	if (sf->conn != NULL && (old_state != sf->state || old_join != sf->join_state))
		mpn_conn_slot_state(sf->conn, sf->conn_slot, sf->slot_gen, sf->state,
			sf->join_state);
}

void
mpn_stage_commit(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c, uint64_t now)
{
	struct mpn_track_plan *pl = &c->plan;
	struct mpn_subflow *sh = &pl->shadow, *sf;
	struct mpn_conn_limits lim;
	const struct mpn_tcp_map *m;
	unsigned int addr_taken = 0;

	(void)from;
	c->sf = c->pos >= 0 ? mpn_flow_entry(t->ft, c->pos) : NULL;
	if (pl->op == MPN_PLAN_NONE || !c->res.forward)
		return;
	m = mpn_policy_rule_tcp_map(policy, c->res.rule);
	lim.active = m->mptcp.subflow_limit;
	lim.pending = m->mptcp.join_pending_limit;

	/*
	 * First what can still fail, in an order where a failure has changed
	 * nothing: the add-addr-limit places taken here are given back if a
	 * later step refuses the segment.
	 */
	if ((pl->sh & MPN_SH_ADDRS) && pl->n_addr_new > 0 && sh->conn != NULL) {
		if (mpn_conn_addaddr_take(sh->conn, m->mptcp.add_addr_limit, pl->n_addr_new) != 0) {
			/* Another worker's announcements took the last places since the check. */
			mpn_stats_inc(&t->stats.addaddr_limit);
			commit_refuse(c, MPN_REASON_MPTCP_ADDADDR_LIMIT);
			return;
		}
		addr_taken = pl->n_addr_new;
	}
	if (pl->sh & MPN_SH_PROMOTE) {
		int rc = mpn_conn_join_promote(sh->conn, sh->conn_slot, sh->slot_gen, &lim);

		if (rc != 0 && addr_taken > 0)
			mpn_conn_addaddr_put(sh->conn, addr_taken);
		if (rc == -ENOSPC) {
			mpn_stats_inc(&t->stats.joins_limit);
			__atomic_add_fetch(&sh->conn->joins_limit, 1, __ATOMIC_RELAXED);
			commit_refuse(c, MPN_REASON_MPTCP_SUBFLOW_LIMIT);
			return;
		}
		if (rc == -ESTALE) {
			mpn_stats_inc(&t->stats.joins_evicted);
			commit_refuse(c, MPN_REASON_MPTCP_JOIN_EVICTED);
			return;
		}
		mpn_stats_inc(&t->stats.joins_verified);
		__atomic_add_fetch(&sh->conn->joins_ok, 1, __ATOMIC_RELAXED);
	}
	if (pl->sh & MPN_SH_JOIN_CLAIM) {
		uint16_t gen;
		bool init_lo = (sh->f & MPN_SF_INIT_LO) != 0;
		const struct mpn_flow_key *k = &c->key;
		uint64_t second = mpn_track_second(t, now);
		int slot;

		/* join-rate-limit: this join takes a place in its connection's second. */
		if (mpn_conn_join_rate_take(pl->join_conn, second, m->mptcp.join_rate_limit) != 0) {
			mpn_stats_inc(&t->stats.joins_rate);
			commit_refuse(c, MPN_REASON_MPTCP_JOIN_RATE);
			return;
		}
		slot = mpn_conn_join_claim(pl->join_conn, &lim, pl->join_pending,
			pl->join_init_is_a, k->family, init_lo ? k->addr_lo : k->addr_hi,
			init_lo ? k->addr_hi : k->addr_lo, init_lo ? k->port_lo : k->port_hi,
			init_lo ? k->port_hi : k->port_lo, now, &gen);
		if (slot < 0 && m->mptcp.join_rate_limit != 0 &&
				(slot == -ENOSPC || m->mptcp.join == MPN_JOIN_VERIFY))
			mpn_conn_join_rate_put(pl->join_conn, second);

		if (slot == -ENOSPC) {
			mpn_stats_inc(&t->stats.joins_limit);
			__atomic_add_fetch(&pl->join_conn->joins_limit, 1, __ATOMIC_RELAXED);
			commit_refuse(c, MPN_REASON_MPTCP_SUBFLOW_LIMIT);
			return;
		}
		if (slot < 0) {
			/* The connection went away since the check: as good as unknown. */
			mpn_stats_inc(&t->stats.joins_unknown);
			if (m->mptcp.join == MPN_JOIN_VERIFY) {
				commit_refuse(c, MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN);
				return;
			}
			sh->join_state = MPN_JOIN_UNVERIFIED;
			sh->f &= (uint16_t)~MPN_SF_JOIN_VERIFY;
		} else {
			sh->conn = pl->join_conn;
			sh->conn_slot = (int8_t)slot;
			sh->slot_gen = gen;
		}
	}

	/* Now the changes. */
	if (pl->sh & MPN_SH_REMOVE_OLD) {
		t->burst_from = (unsigned int)(c - t->burst);
		mpn_flow_remove(t->ft, mpn_flow_entry(t->ft, c->pos), MPN_FLOW_CLOSE_REUSED);
		c->pos = -1;
		c->sf = NULL;
	}
	if (pl->op == MPN_PLAN_CREATE) {
		if (t->burst != NULL)
			t->burst_from = (unsigned int)(c - t->burst);
		sf = mpn_flow_insert(t->ft, &c->key, c->hash, pl->create_state, now);
		if (sf == NULL) {
			/* Cannot happen after mpn_flow_has_room(), unless the key is present. */
			if (sh->conn != NULL)
				mpn_conn_subflow_release(t->ct, sh->conn, sh->conn_slot, sh->slot_gen);
			return;
		}
		c->pos = mpn_flow_pos(t->ft, sf);
		burst_fix_insert(t, c, c->pos);
		if (sh->role == MPN_ROLE_MIDSTREAM)
			mpn_stats_inc(&t->stats.subflows_learned);
	} else {
		sf = mpn_flow_entry(t->ft, c->pos);
	}
	if (pl->sh & MPN_SH_PUBLISH)
		commit_publish(t, c, sh, now);
	if ((pl->sh & MPN_SH_REMOTE) && t->ct != NULL)
		commit_remote(t, c, sh, now);
	if (pl->sh & MPN_SH_FASTCLOSE) {
		if (!mpn_conn_is_closed(pl->fastclose_conn))
			mpn_stats_inc(&t->stats.conns_closed);
		mpn_conn_close(pl->fastclose_conn, MPN_CONN_CLOSED_FASTCLOSE);
		mpn_stats_inc(&t->stats.fastclose);
		if (pl->fastclose_conn == sh->conn) {
			sh->state = MPN_TCP_CLOSED;
			if (sh->close_why == MPN_FLOW_CLOSE_NONE)
				sh->close_why = MPN_FLOW_CLOSE_FASTCLOSE;
		}
	}
	if (pl->sh & MPN_SH_ADDRS)
		commit_addrs(t, c, sh);
	if (pl->sh & MPN_SH_WINDOW)
		mpn_commit_window_mptcp(c, sh->conn);
	commit_entry(t, sf, sh);
	/* The shadow's copy of keys not yet published goes (RFC 7430 §3). */
	if (sh->f & (MPN_SF_HAVE_KEY_A | MPN_SF_HAVE_KEY_B)) {
		explicit_bzero(&sh->key_a, sizeof(sh->key_a));
		explicit_bzero(&sh->key_b, sizeof(sh->key_b));
	}
	c->sf = sf;
	if (pl->op == MPN_PLAN_CREATE)
		mpn_track_emit(t, MPN_FLOW_EV_CREATE, &c->key, sf, true, 0, c->res.rule_id, now);
}
