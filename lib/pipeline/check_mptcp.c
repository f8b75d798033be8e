/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MPTCP half of the check stage (RFC 8684; RFC 6824 for v0): keys
 * learned from MP_CAPABLE, joins admitted by token and verified by HMAC,
 * ADD_ADDR policed, REMOVE_ADDR recorded, MP_FASTCLOSE matched to its
 * connection by the receiver's key. Like the rest of the check stage it
 * writes only plan.shadow and the plan; shared records are read, never
 * written (the commit stage does that, for forwarded segments only).
 */
#include <string.h>

#include "conn.h"
#include "mptcp.h"
#include "stages.h"

/* Side (0 = A, 1 = B) of the sender of a packet travelling in direction @p s. */
static uint8_t
sender_side(const struct mpn_subflow *sf, int s)
{
	bool init_is_a = (sf->f & MPN_SF_INIT_IS_A) != 0;
	bool sender_is_a = s == 0 ? init_is_a : !init_is_a;

	return sender_is_a ? 0 : 1;
}

/*
 * The keys of the subflow's connection: from its record, or, for the
 * initial subflow whose record this very segment is about to publish,
 * from the shadow.
 */
static bool
conn_keys(const struct mpn_subflow *sh, uint64_t *key_a, uint64_t *key_b, uint8_t *version)
{
	if (sh->conn != NULL) {
		*key_a = sh->conn->key_a;
		*key_b = sh->conn->key_b;
		*version = sh->conn->version;
		return true;
	}
	if ((sh->f & MPN_SF_HAVE_KEY_A) && (sh->f & MPN_SF_HAVE_KEY_B) &&
			sh->role != MPN_ROLE_JOIN) {
		*key_a = sh->key_a;
		*key_b = sh->key_b;
		*version = sh->version;
		return true;
	}
	return false;
}

/*
 * Learn keys from MP_CAPABLE (RFC 8684 §3.1; RFC 6824 §3.1 for v0):
 *  - v0: the SYN carries key A, the SYN/ACK key B;
 *  - v1: the SYN/ACK carries key B, the third ACK (or the first data
 *    segment, 22 or 24 bytes) carries both.
 * The connection is published by the commit stage once both keys are known
 * and the subflow has been seen in both directions (check_publish()).
 */
void
mpn_check_learn_keys(struct mpn_check *x, struct mpn_subflow *sh, int *s)
{
	const struct mpn_mptcp_opt *o;
	int i;

	if (sh->conn != NULL || sh->role == MPN_ROLE_JOIN)
		return;
	i = mpn_check_find_mo(x, MPN_MPTCP_MP_CAPABLE);
	if (i < 0) {
		/* RFC 8684 §3.7: a SYN/ACK without MP_CAPABLE makes it plain TCP. */
		if (x->syn && x->ack && *s == 1 && sh->role == MPN_ROLE_INITIAL) {
			sh->role = MPN_ROLE_PLAIN;
			sh->f &= (uint16_t)~MPN_SF_MPTCP;
		}
		return;
	}
	o = &x->c->res.mo[i];
	if (x->syn && !x->ack) {
		if (*s != 0)
			return;
		sh->role = MPN_ROLE_INITIAL;
		sh->f |= MPN_SF_MPTCP;
		sh->version = o->u.mpc.version;
		sh->flags_a = o->u.mpc.flags;
		if (o->u.mpc.has_sndkey) {
			sh->key_a = o->u.mpc.sndkey;
			sh->f |= MPN_SF_HAVE_KEY_A;
		}
		return;
	}
	if (x->syn && x->ack) {
		if (*s != 1 || !o->u.mpc.has_sndkey)
			return;
		/* The server picks the version (RFC 8684 §3.1). */
		sh->version = o->u.mpc.version;
		sh->flags_b = o->u.mpc.flags;
		sh->key_b = o->u.mpc.sndkey;
		sh->f |= MPN_SF_HAVE_KEY_B;
		if (sh->role != MPN_ROLE_MIDSTREAM)
			sh->role = MPN_ROLE_INITIAL;
		return;
	}
	if (!o->u.mpc.has_rcvkey)
		return;
	/*
	 * Third ACK or first data: sent by the client. A subflow learned
	 * mid-stream had its initiator guessed; this settles it.
	 */
	if (*s == 1) {
		struct mpn_flow_dir d;

		if (sh->role != MPN_ROLE_MIDSTREAM)
			return;
		sh->f ^= MPN_SF_INIT_LO;
		d = sh->dir0;
		sh->dir0 = sh->dir1;
		sh->dir1 = d;
		*s = 0;
	}
	if (!(sh->f & MPN_SF_HAVE_KEY_B) && sh->role == MPN_ROLE_MIDSTREAM)
		sh->version = o->u.mpc.version;
	sh->key_a = o->u.mpc.sndkey;
	sh->f |= MPN_SF_HAVE_KEY_A;
	sh->flags_a = o->u.mpc.flags;
	if ((sh->f & MPN_SF_HAVE_KEY_B) && sh->key_b != o->u.mpc.rcvkey) {
		/* The server resets such a connection; keep what the SYN/ACK said. */
		mpn_stats_inc(&x->t->stats.key_mismatch);
	} else {
		sh->key_b = o->u.mpc.rcvkey;
		sh->f |= MPN_SF_HAVE_KEY_B;
	}
}

bool
mpn_check_join_syn(struct mpn_check *x, int j)
{
	const struct mpn_mptcp_policy *mp = &x->m->mptcp;
	const struct mpn_mptcp_opt *o = &x->c->res.mo[j];
	struct mpn_track_plan *pl = &x->c->plan;
	struct mpn_subflow *sh = &pl->shadow;
	struct mpn_tracker *t = x->t;
	uint8_t off = x->c->res.mo_off[j];
	struct mpn_conn_limits lim;
	struct mpn_conn *c;
	int rc;

	/*
	 * Judged before any state exists, so join floods with random tokens
	 * cost no table entry (RFC 7430 §3). The SYN carries the token of the
	 * receiver's key (RFC 8684 §3.2).
	 */
	mpn_stats_inc(&t->stats.joins_seen);
	sh->join_addr_id = o->u.join.addr_id;
	c = t->ct != NULL ? mpn_conn_lookup(t->ct, o->u.join.token) : NULL;
	if (c != NULL && (c->decision == MPN_DECISION_FALLBACK || mpn_conn_is_closed(c))) {
		/* RFC 8684 §3.7: no subflow for a connection refused MPTCP. */
		mpn_stats_inc(&t->stats.joins_refused);
		__atomic_add_fetch(&c->joins_refused, 1, __ATOMIC_RELAXED);
		mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_REFUSED, off, o->len, MPN_MPTCP_MP_JOIN);
		return false; /* monitored or not: nothing to tie it to */
	}
	if (c != NULL) {
		/*
		 * RFC 7430 §2.2 (join-based DoS): a join before the connection is
		 * fully established (its MP_CAPABLE third ACK not yet seen), and
		 * more joins a second than join-rate-limit, are refused before
		 * they take a slot. The rate is counted by the commit stage.
		 */
		if (mp->join_early_drop && !mpn_conn_handshake_done(c)) {
			mpn_stats_inc(&t->stats.joins_early);
			mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_EARLY, off, o->len,
				MPN_MPTCP_MP_JOIN);
			return false;
		}
		if (!mpn_conn_join_rate_ok(c, mpn_track_second(t, x->now), mp->join_rate_limit)) {
			mpn_stats_inc(&t->stats.joins_rate);
			mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_RATE, off, o->len, MPN_MPTCP_MP_JOIN);
			return false;
		}
		mpn_check_limits(x, &lim);
		rc = mpn_conn_join_admissible(c, &lim);
		if (rc == 0) {
			bool verify = mp->join != MPN_JOIN_ALLOW;

			pl->sh |= MPN_SH_JOIN_CLAIM;
			pl->join_conn = c;
			pl->join_pending = verify;
			pl->join_init_is_a = o->u.join.token == c->token_b;
			sh->role = MPN_ROLE_JOIN;
			sh->f |= MPN_SF_MPTCP;
			if (pl->join_init_is_a)
				sh->f |= MPN_SF_INIT_IS_A;
			if (verify)
				sh->f |= MPN_SF_JOIN_VERIFY;
			sh->nonce_init = o->u.join.nonce;
			sh->join_state = verify ? MPN_JOIN_SYN : MPN_JOIN_UNVERIFIED;
			return true;
		}
		if (rc == -ENOSPC) {
			mpn_stats_inc(&t->stats.joins_limit);
			__atomic_add_fetch(&c->joins_limit, 1, __ATOMIC_RELAXED);
			mpn_check_drop(x, MPN_REASON_MPTCP_SUBFLOW_LIMIT, off, o->len,
				MPN_MPTCP_MP_JOIN);
			return false;
		}
		/* -ENOENT: the connection is going away; as good as unknown. */
	}
	/*
	 * An unknown token is normal when mpnorm started after the connection
	 * or sees only some of its paths (MPTCP.md): the policy decides, the
	 * counter is kept either way.
	 */
	mpn_stats_inc(&t->stats.joins_unknown);
	/*
	 * With a token directory (doc/cluster.md), another box may have seen
	 * the connection's handshake: ask it, and forward the SYN meanwhile;
	 * the SYN/ACK is verified with the keys it returns. The request
	 * itself is not tracker state (the invariant of ctx.h holds); the
	 * directory's rings bound what a flood of random tokens can ask.
	 */
	if (t->have_dir && mp->join != MPN_JOIN_ALLOW) {
		if (t->dir.fetch(t->dir.arg, o->u.join.token) == 0) {
			mpn_stats_inc(&t->stats.joins_fetched);
			sh->role = MPN_ROLE_JOIN;
			sh->f |= MPN_SF_MPTCP | MPN_SF_JOIN_VERIFY;
			sh->nonce_init = o->u.join.nonce;
			sh->join_state = MPN_JOIN_FETCHING;
			sh->verified_mac = o->u.join.token;
			return true;
		}
		switch (t->dir.unreachable(t->dir.arg)) {
		case MPN_TRACK_DIR_ALLOW:
			sh->role = MPN_ROLE_JOIN;
			sh->f |= MPN_SF_MPTCP;
			sh->nonce_init = o->u.join.nonce;
			sh->join_state = MPN_JOIN_UNVERIFIED;
			return true;
		case MPN_TRACK_DIR_DROP:
			mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_DIRECTORY_DOWN, off, o->len,
				MPN_MPTCP_MP_JOIN);
			return false;
		default:
			break;
		}
	}
	if (mp->join == MPN_JOIN_VERIFY) {
		mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN, off, o->len,
			MPN_MPTCP_MP_JOIN);
		return false;
	}
	sh->role = MPN_ROLE_JOIN;
	sh->f |= MPN_SF_MPTCP;
	sh->nonce_init = o->u.join.nonce;
	sh->join_state = MPN_JOIN_UNVERIFIED;
	return true;
}

static void
join_bad(struct mpn_check *x, struct mpn_subflow *sh, int i)
{
	/*
	 * A bad HMAC is dropped and changes nothing: a forged SYN/ACK or third
	 * ACK cannot kill the real join, whose own segments still verify.
	 */
	mpn_stats_inc(&x->t->stats.joins_bad_hmac);
	if (sh->conn != NULL)
		__atomic_add_fetch(&sh->conn->joins_bad, 1, __ATOMIC_RELAXED);
	mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_BAD_HMAC, x->c->res.mo_off[i], x->c->res.mo[i].len,
		MPN_MPTCP_MP_JOIN);
}

/*
 * The SYN/ACK of a join whose keys were asked of the token directory: with
 * the answer, verify it as usual and plan the connection's record (remote);
 * before the answer, drop it, changing nothing: the server resends its
 * SYN/ACK, by which time the keys are there (doc/cluster.md §5).
 */
static void
verify_fetched(struct mpn_check *x, struct mpn_subflow *sh, int s, int i)
{
	const struct mpn_mptcp_opt *o = &x->c->res.mo[i];
	const struct mpn_tcp_map *m = x->m;
	struct mpn_tracker *t = x->t;
	uint32_t token = (uint32_t)sh->verified_mac;
	const struct mpn_dir_answer *a;
	uint64_t key_init, key_resp;
	bool init_is_a;

	if (!(x->syn && x->ack && s == 1 && o->u.join.form == MPN_MPTCP_JOIN_SYNACK))
		return;
	a = mpn_track_dir_lookup(t, token, x->now);
	if (a == NULL) {
		/*
		 * No answer (yet, or any more): ask again, so that the server's
		 * next SYN/ACK finds the keys. The server resends it (RFC 6298).
		 */
		(void)t->dir.fetch(t->dir.arg, token);
		mpn_stats_inc(&t->stats.joins_keys_pending);
		mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_KEYS_PENDING, x->c->res.mo_off[i], o->len,
			MPN_MPTCP_MP_JOIN);
		return;
	}
	if (a->status != MPN_TRACK_DIR_FOUND) {
		enum mpn_track_dir_unreachable u = a->status == MPN_TRACK_DIR_ERROR ?
			t->dir.unreachable(t->dir.arg) : MPN_TRACK_DIR_VERIFY;

		if (u == MPN_TRACK_DIR_ALLOW || (u == MPN_TRACK_DIR_VERIFY &&
				m->mptcp.join == MPN_JOIN_ALLOW_UNKNOWN)) {
			sh->join_state = MPN_JOIN_UNVERIFIED;
			sh->f &= (uint16_t)~MPN_SF_JOIN_VERIFY;
			return;
		}
		mpn_check_drop(x, u == MPN_TRACK_DIR_DROP ? MPN_REASON_MPTCP_JOIN_DIRECTORY_DOWN :
			MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN, x->c->res.mo_off[i], o->len,
			MPN_MPTCP_MP_JOIN);
		return;
	}
	/* The SYN carried the token of the responder's key (RFC 8684 §3.2). */
	init_is_a = token == a->rec.token_b;
	key_init = init_is_a ? a->rec.key_a : a->rec.key_b;
	key_resp = init_is_a ? a->rec.key_b : a->rec.key_a;
	if (!mpn_mptcp_crypto_synack_ok(t->crypto, a->rec.version, key_init, key_resp,
			sh->nonce_init, o->u.join.nonce, o->u.join.trunc_hmac)) {
		join_bad(x, sh, i);
		return;
	}
	sh->nonce_resp = o->u.join.nonce;
	sh->verified_mac = o->u.join.trunc_hmac;
	sh->join_state = MPN_JOIN_SYNACK_OK;
	if (init_is_a)
		sh->f |= MPN_SF_INIT_IS_A;
	x->c->plan.sh |= MPN_SH_REMOTE;
	x->c->plan.remote = &a->rec;
}

/* First 64 bits of a 160-bit HMAC, as the cache of verified MACs keeps them. */
static uint64_t
mac64(const uint8_t *h)
{
	uint64_t v = 0;
	unsigned int k;

	for (k = 0; k < 8; k++)
		v = v << 8 | h[k];
	return v;
}

/*
 * MP_JOIN SYN/ACK and third ACK (RFC 8684 §3.2), A = the subflow's
 * initiator. Drop a bad HMAC before the peer commits state to the subflow:
 * the SYN/ACK toward the initiator, the third ACK toward the responder.
 * A verified join is never verified again: a retransmission carrying the
 * MAC already verified is recognised from the entry.
 */
static void
verify_join(struct mpn_check *x, struct mpn_subflow *sh, int s)
{
	const struct mpn_conn *c = sh->conn;
	struct mpn_tracker *t = x->t;
	const struct mpn_mptcp_opt *o;
	uint64_t key_init, key_resp;
	int i;

	i = mpn_check_find_mo(x, MPN_MPTCP_MP_JOIN);
	if (i < 0)
		return;
	o = &x->c->res.mo[i];
	if (sh->join_state == MPN_JOIN_FETCHING) {
		verify_fetched(x, sh, s, i);
		return;
	}
	if (c == NULL || !(sh->f & MPN_SF_JOIN_VERIFY))
		return;
	key_init = (sh->f & MPN_SF_INIT_IS_A) ? c->key_a : c->key_b;
	key_resp = (sh->f & MPN_SF_INIT_IS_A) ? c->key_b : c->key_a;
	if (x->syn && x->ack && s == 1 && o->u.join.form == MPN_MPTCP_JOIN_SYNACK) {
		if (sh->join_state == MPN_JOIN_SYNACK_OK && sh->nonce_resp == o->u.join.nonce &&
				sh->verified_mac == o->u.join.trunc_hmac) {
			mpn_stats_inc(&t->stats.hmac_cached);
			return;
		}
		if (sh->join_state != MPN_JOIN_SYN && sh->join_state != MPN_JOIN_SYNACK_OK)
			return;
		if (!mpn_mptcp_crypto_synack_ok(t->crypto, c->version, key_init, key_resp,
				sh->nonce_init, o->u.join.nonce, o->u.join.trunc_hmac)) {
			join_bad(x, sh, i);
			return;
		}
		sh->nonce_resp = o->u.join.nonce;
		sh->verified_mac = o->u.join.trunc_hmac;
		sh->join_state = MPN_JOIN_SYNACK_OK;
		return;
	}
	if (!x->syn && x->ack && s == 0 && o->u.join.form == MPN_MPTCP_JOIN_ACK) {
		if (sh->join_state == MPN_JOIN_ACK_OK && sh->verified_mac == mac64(o->u.join.hmac)) {
			mpn_stats_inc(&t->stats.hmac_cached);
			return;
		}
		/* Without the SYN/ACK there is no R-B to check against. */
		if (sh->join_state != MPN_JOIN_SYNACK_OK && sh->join_state != MPN_JOIN_ACK_OK)
			return;
		if (!mpn_mptcp_crypto_ack_ok(t->crypto, c->version, key_init, key_resp,
				sh->nonce_init, sh->nonce_resp, o->u.join.hmac)) {
			join_bad(x, sh, i);
			return;
		}
		sh->verified_mac = mac64(o->u.join.hmac);
		if (sh->join_state != MPN_JOIN_ACK_OK) {
			sh->join_state = MPN_JOIN_ACK_OK;
			x->c->plan.sh |= MPN_SH_PROMOTE;
		}
	}
}

/*
 * RFC 8684 §3.2: a join subflow is usable only once the third ACK's
 * HMAC has been verified. Until then, under `join verify`, nothing but the
 * handshake itself (and a RST) crosses: data on a join that never proved
 * itself is dropped.
 */
static void
join_unproven(struct mpn_check *x, const struct mpn_subflow *sh)
{
	if (sh->role != MPN_ROLE_JOIN || !(sh->f & MPN_SF_JOIN_VERIFY) || x->syn || x->rst)
		return;
	if (sh->join_state == MPN_JOIN_ACK_OK || sh->join_state == MPN_JOIN_UNVERIFIED)
		return;
	mpn_stats_inc(&x->t->stats.joins_unproven);
	mpn_check_drop(x, MPN_REASON_MPTCP_JOIN_UNPROVEN, 0, 0, 0xff);
}

static bool
port_allowed(const struct mpn_addaddr_policy *ap, uint16_t port)
{
	unsigned int i;

	if (ap->n_ports == 0)
		return true;
	for (i = 0; i < ap->n_ports && i < MPN_POLICY_MAX_PORT_RANGES; i++)
		if (port >= ap->ports[i].lo && port <= ap->ports[i].hi)
			return true;
	return false;
}

static void
plan_addr(struct mpn_check *x, unsigned int i, uint8_t hmac)
{
	struct mpn_track_plan *pl = &x->c->plan;

	if (pl->n_addr >= MPN_NORM_MAX_MPOPTS)
		return;
	pl->addr_mo[pl->n_addr] = (uint8_t)i;
	pl->addr_hmac[pl->n_addr++] = hmac;
	pl->sh |= MPN_SH_ADDRS;
}

/* A new announcement under add-addr-limit: the commit stage counts it. */
static void
plan_addr_new(struct mpn_check *x, unsigned int i, uint8_t hmac)
{
	struct mpn_track_plan *pl = &x->c->plan;
	unsigned int before = pl->n_addr;

	plan_addr(x, i, hmac);
	if (pl->n_addr > before)
		pl->n_addr_new++;
}

/*
 * ADD_ADDR (RFC 8684 §3.4.1). Its HMAC covers the address, so an address
 * cannot be rewritten: pass, clear or drop. Echoes (E = 1) only
 * acknowledge an address the peer already accepted and pass.
 */
static void
add_addr(struct mpn_check *x, struct mpn_subflow *sh, int s, unsigned int i)
{
	const struct mpn_addaddr_policy *ap = &x->m->mptcp.add_addr;
	const struct mpn_mptcp_opt *o = &x->c->res.mo[i];
	struct mpn_norm_result *res = &x->c->res;
	struct mpn_tracker *t = x->t;
	uint8_t side = sender_side(sh, s), hv = MPN_ADDR_HMAC_NONE, version;
	uint64_t key_a, key_b;
	/* No port: the peer uses the port of this subflow (RFC 8684 §3.4.1). */
	uint16_t port = o->u.add_addr.has_port ? o->u.add_addr.port : x->p->sport;
	bool is_new = false;

	if (o->u.add_addr.echo)
		return;
	mpn_stats_inc(&t->stats.addaddr_seen);
	if (ap->restricted && (!mpn_addaddr_allowed(ap, o->u.add_addr.family, o->u.add_addr.addr) ||
			!port_allowed(ap, port))) {
		mpn_stats_inc(&t->stats.addaddr_denied);
		if (sh->conn != NULL)
			__atomic_add_fetch(&sh->conn->addaddr_denied, 1, __ATOMIC_RELAXED);
		if (ap->action == MPN_ACTION_DROP)
			mpn_check_drop(x, MPN_REASON_MPTCP_ADDADDR_DENIED, res->mo_off[i], o->len,
				MPN_MPTCP_ADD_ADDR);
		else if (!mpn_norm_opt_cleared(res, res->mo_off[i]))
			mpn_norm_add_act(res, MPN_NACT_CLEAR_OPTION, MPN_REASON_MPTCP_ADDADDR_DENIED,
				res->mo_off[i], o->len, MPN_MPTCP_KIND, MPN_MPTCP_ADD_ADDR);
		return;
	}
	/*
	 * add-addr-limit (RFC 7430 §2.2: a peer announcing address after
	 * address makes the other open subflow after subflow). Counted per
	 * connection, new announcements only: a retransmitted ADD_ADDR (same
	 * side, id and address) is no new one. The commit stage counts it.
	 */
	if (x->m->mptcp.add_addr_limit != 0 && sh->conn != NULL && !mpn_conn_addr_known(sh->conn,
			side, o->u.add_addr.addr_id, o->u.add_addr.family, o->u.add_addr.addr)) {
		/* Earlier new announcements of this same segment count too. */
		if (!mpn_conn_addaddr_ok(sh->conn, x->m->mptcp.add_addr_limit,
				x->c->plan.n_addr_new)) {
			mpn_stats_inc(&t->stats.addaddr_limit);
			if (ap->action == MPN_ACTION_DROP)
				mpn_check_drop(x, MPN_REASON_MPTCP_ADDADDR_LIMIT, res->mo_off[i], o->len,
					MPN_MPTCP_ADD_ADDR);
			else if (!mpn_norm_opt_cleared(res, res->mo_off[i]))
				mpn_norm_add_act(res, MPN_NACT_CLEAR_OPTION,
					MPN_REASON_MPTCP_ADDADDR_LIMIT, res->mo_off[i], o->len,
					MPN_MPTCP_KIND, MPN_MPTCP_ADD_ADDR);
			return;
		}
		is_new = true;
	}
	/* (With a connection record, as is_new requires, the keys are known.) */
	if (!conn_keys(sh, &key_a, &key_b, &version))
		return;
	if (version == 1 && o->u.add_addr.has_hmac) {
		uint64_t ks = side == 0 ? key_a : key_b;
		uint64_t kr = side == 0 ? key_b : key_a;

		switch (mpn_mptcp_crypto_addaddr_check(t->crypto, ks, kr, o->u.add_addr.addr_id,
				o->u.add_addr.family, o->u.add_addr.addr, o->u.add_addr.has_port,
				o->u.add_addr.port, o->u.add_addr.hmac)) {
		case MPN_ADDADDR_HMAC_OK:
			hv = MPN_ADDR_HMAC_OK;
			mpn_stats_inc(&t->stats.addaddr_hmac_ok);
			break;
		case MPN_ADDADDR_HMAC_OK_LEFTMOST:
			hv = MPN_ADDR_HMAC_LEFTMOST;
			mpn_stats_inc(&t->stats.addaddr_hmac_leftmost);
			break;
		default:
			hv = MPN_ADDR_HMAC_BAD;
			mpn_stats_inc(&t->stats.addaddr_hmac_bad);
			/*
			 * RFC 8684 §3.4.1: the receiver drops an ADD_ADDR whose
			 * HMAC does not verify. Under `hmac enforce` it never
			 * reaches it: a forged address cannot even be tried.
			 */
			if (ap->hmac == MPN_ADDADDR_HMAC_ENFORCE) {
				mpn_check_drop(x, MPN_REASON_MPTCP_ADDADDR_BAD_HMAC, res->mo_off[i],
					o->len, MPN_MPTCP_ADD_ADDR);
				return;
			}
			break;
		}
	}
	if (is_new)
		plan_addr_new(x, i, hv);
	else
		plan_addr(x, i, hv);
}

/*
 * MP_FASTCLOSE carries the key of the segment's receiver (RFC 8684 §3.5).
 * It may arrive on any subflow of the connection, so it is matched to the
 * connection this subflow was tied to (by MP_CAPABLE or by the join's
 * token), and to the key of this segment's receiver on it. A segment
 * carrying the sender's own key is not a fast close of anything: it is
 * dropped and changes nothing. On a subflow not tied to a connection, the
 * sides are unknown, so nothing is closed (counted as unknown).
 */
static void
fastclose(struct mpn_check *x, const struct mpn_subflow *sh, int s, unsigned int i)
{
	uint64_t key = x->c->res.mo[i].u.fastclose.key;
	struct mpn_tracker *t = x->t;
	struct mpn_conn *c = sh->conn;
	uint8_t side = sender_side(sh, s);

	if (c == NULL || (c->key_a != key && c->key_b != key)) {
		mpn_stats_inc(&t->stats.fastclose_unknown);
		return;
	}
	if (key != (side == 0 ? c->key_b : c->key_a)) {
		mpn_stats_inc(&t->stats.fastclose_wrong_key);
		mpn_check_drop(x, MPN_REASON_MPTCP_FASTCLOSE_BAD_KEY, x->c->res.mo_off[i],
			x->c->res.mo[i].len, MPN_MPTCP_MP_FASTCLOSE);
		return;
	}
	x->c->plan.sh |= MPN_SH_FASTCLOSE;
	x->c->plan.fastclose_conn = c;
}

void
mpn_check_mptcp(struct mpn_check *x, struct mpn_subflow *sh, int *s)
{
	const struct mpn_norm_result *res = &x->c->res;
	unsigned int i;

	if (res->n_mo > 0) {
		/* A subflow learned mid-stream that carries MPTCP options is an MPTCP subflow. */
		if (sh->role == MPN_ROLE_MIDSTREAM)
			sh->f |= MPN_SF_MPTCP;
		mpn_check_learn_keys(x, sh, s);
		if (sh->role == MPN_ROLE_JOIN)
			verify_join(x, sh, *s);
		for (i = 0; i < res->n_mo && res->forward; i++) {
			const struct mpn_mptcp_opt *o = &res->mo[i];

			if (o->malformed || (!res->monitor &&
					mpn_norm_opt_cleared(res, res->mo_off[i])))
				continue;
			switch (o->subtype) {
			case MPN_MPTCP_ADD_ADDR:
				add_addr(x, sh, *s, i);
				break;
			case MPN_MPTCP_REMOVE_ADDR:
				mpn_stats_inc(&x->t->stats.rmaddr_seen);
				plan_addr(x, i, MPN_ADDR_HMAC_NONE);
				break;
			case MPN_MPTCP_MP_FASTCLOSE:
				fastclose(x, sh, *s, i);
				break;
			case MPN_MPTCP_MP_TCPRST:
				/*
				 * RFC 8684 §3.6: MP_TCPRST gives the reason for the
				 * reset of this subflow only; the RST closes it.
				 */
				mpn_stats_inc(&x->t->stats.tcprst);
				break;
			default:
				break;
			}
		}
	}
	if (res->forward)
		join_unproven(x, sh);
}

void
mpn_check_fallback(struct mpn_check *x, struct mpn_subflow *sh, int *s)
{
	struct mpn_norm_result *res = &x->c->res;
	unsigned int i;

	/*
	 * RFC 8684 §3.7: the connection was refused MPTCP at its SYN, so every
	 * kind-30 option on it is cleared from then on, in both directions.
	 * The SYN's own MP_CAPABLE was cleared by the stateless stage.
	 */
	for (i = 0; i < res->n_mo; i++) {
		uint8_t off = res->mo_off[i];

		if (mpn_norm_opt_cleared(res, off))
			continue;
		mpn_norm_add_act(res, MPN_NACT_CLEAR_OPTION, MPN_REASON_MPTCP_FALLBACK, off,
			res->mo[i].len, MPN_MPTCP_KIND, res->mo[i].subtype);
		mpn_stats_inc(&x->t->stats.fallback_cleared);
	}
	/* Monitored: nothing is cleared, so the keys are on the wire. */
	if (res->monitor)
		mpn_check_learn_keys(x, sh, s);
}
