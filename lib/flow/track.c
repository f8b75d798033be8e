/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include "mptcp.h"
#include "mptcp_crypto.h"
#include "track.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* Largest window-scale shift (RFC 7323 §2.3). */
#define WSCALE_MAX 14

/*
 * Kind-30 options decoded per segment. A segment has 40 option bytes and
 * the shortest MPTCP option (MP_PRIO) has 3, so 13 is the most possible.
 */
#define MAX_MPOPTS 16

/* RFC 9293 §3.4 sequence arithmetic (mod 2^32). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

struct mpn_tracker {
	struct mpn_flow_table *ft;
	struct mpn_conn_table *ct;
	unsigned int thread_id;
	struct mpn_flow_params p;
	struct mpn_track_stats stats;
};

/* What one packet looks like to the tracker. */
struct pctx {
	const struct mpn_pkt *p;
	const uint8_t *frame;
	const uint8_t *tcp;
	const struct mpn_tcp_map *m;
	struct mpn_norm_result *res;
	struct mpn_flow_key key;
	bool from_lo;
	uint8_t flags;
	bool syn, ack, rst, fin;
	bool rule_bypass;
	unsigned int n_mo;
	struct mpn_mptcp_opt mo[MAX_MPOPTS];
	uint8_t mo_off[MAX_MPOPTS];  /* option offset in the TCP header */
};

struct mpn_tracker *
mpn_tracker_create(const char *name, const struct mpn_flow_params *p,
	struct mpn_conn_table *ct, unsigned int thread_id, int socket)
{
	struct mpn_tracker *t;
	int err;

	t = rte_zmalloc_socket("mpn_tracker", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->p = *p;
	t->ct = ct;
	t->thread_id = thread_id;
	t->ft = mpn_flow_table_create(name, p, ct, &t->stats, socket);
	if (t->ft == NULL) {
		err = rte_errno;
		rte_free(t);
		rte_errno = err;
		return NULL;
	}
	if (ct != NULL && mpn_conn_table_register(ct, thread_id) != 0) {
		mpn_flow_table_free(t->ft);
		rte_free(t);
		rte_errno = EINVAL;
		return NULL;
	}
	return t;
}

void
mpn_tracker_free(struct mpn_tracker *t)
{
	if (t == NULL)
		return;
	mpn_flow_table_free(t->ft);
	if (t->ct != NULL)
		mpn_conn_table_unregister(t->ct, t->thread_id);
	rte_free(t);
}

void
mpn_tracker_prefetch(struct mpn_tracker *t, uint8_t *const *frames,
	const struct mpn_pkt *const *pkts, unsigned int n, int32_t *pos)
{
	struct mpn_flow_key keys[RTE_HASH_LOOKUP_BULK_MAX];
	const struct mpn_flow_key *kp[RTE_HASH_LOOKUP_BULK_MAX];
	int32_t found[RTE_HASH_LOOKUP_BULK_MAX];
	uint8_t which[RTE_HASH_LOOKUP_BULK_MAX];
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		pos[i] = -1;
		if (pkts[i] == NULL || k == RTE_HASH_LOOKUP_BULK_MAX)
			continue;
		mpn_flow_key_from_pkt(frames[i], pkts[i], &keys[k]);
		kp[k] = &keys[k];
		which[k++] = (uint8_t)i;
	}
	mpn_flow_prefetch_bulk(t->ft, kp, k, found);
	for (i = 0; i < k; i++)
		pos[which[i]] = found[i];
	/*
	 * Second stage: the entries' loads were all issued above, so reading
	 * their connection pointers now waits about one miss for the whole
	 * burst, and the connection records then load while the packets
	 * before them are processed.
	 */
	for (i = 0; i < k; i++)
		mpn_flow_prefetch_conn(t->ft, found[i]);
}

void
mpn_tracker_prefetch_conn(const struct mpn_tracker *t, int32_t pos)
{
	mpn_flow_prefetch_conn(t->ft, pos);
}

void
mpn_tracker_loop(struct mpn_tracker *t, uint64_t now, unsigned int budget)
{
	mpn_flow_sweep(t->ft, now, budget);
	if (t->ct != NULL)
		mpn_conn_table_quiescent(t->ct, t->thread_id);
}

const struct mpn_track_stats *
mpn_tracker_stats(const struct mpn_tracker *t)
{
	return &t->stats;
}

struct mpn_flow_table *
mpn_tracker_table(struct mpn_tracker *t)
{
	return t->ft;
}

/*
 * Record a drop. Under a `monitor` class the decision is kept for the
 * trace and the counters, and the packet still goes through.
 */
static void
track_drop(struct pctx *x, enum mpn_reason r, uint8_t off, uint8_t len, uint8_t subtype)
{
	struct mpn_norm_result *res = x->res;

	mpn_norm_add_act(res, MPN_NACT_DROP, r, off, len, off ? MPN_MPTCP_KIND : 0, subtype);
	if (res->monitor) {
		res->forward = true;
		res->drop_reason = MPN_REASON_NONE;
	}
}

/* Whether an earlier decision already NOP-fills the option at @p off. */
static bool
opt_cleared(const struct mpn_norm_result *res, uint8_t off)
{
	unsigned int i;

	for (i = 0; i < res->n_acts; i++)
		if (res->acts[i].type == MPN_NACT_CLEAR_OPTION && res->acts[i].off == off)
			return true;
	return false;
}

/* tcp-state-bypass: nothing checked, nothing changed. */
static void
make_bypass(struct mpn_norm_result *res)
{
	res->bypass = true;
	res->forward = true;
	res->drop_reason = MPN_REASON_NONE;
	res->n_acts = 0;
}

/*
 * Decode the kind-30 options the receiver will see: every one of them
 * (RFC 8684 §3: a segment may carry several), except those an earlier
 * decision clears, and except malformed ones (the stateless stage judged
 * those).
 */
static void
decode_mptcp(struct pctx *x, int version_hint)
{
	const struct mpn_tcpopt_list *l = &x->res->opts;
	unsigned int i;

	x->n_mo = 0;
	for (i = 0; i < l->n && x->n_mo < MAX_MPOPTS; i++) {
		const struct mpn_tcpopt *o = &l->opt[i];

		if (o->kind != MPN_MPTCP_KIND || o->len < 3)
			continue;
		if (!x->res->monitor && opt_cleared(x->res, o->off))
			continue;
		if (mpn_mptcp_decode(x->tcp + o->off, o->len, x->flags, version_hint,
				&x->mo[x->n_mo]) != 0)
			continue;
		x->mo_off[x->n_mo] = o->off;
		x->n_mo++;
	}
}

static int
find_mo(const struct pctx *x, uint8_t subtype)
{
	unsigned int i;

	for (i = 0; i < x->n_mo; i++)
		if (x->mo[i].subtype == subtype)
			return (int)i;
	return -1;
}

/* Address and port of the initiator (@p init) or responder of a subflow. */
static const uint8_t *
sf_addr(const struct mpn_subflow *sf, bool init)
{
	return init == sf->init_lo ? sf->key.addr_lo : sf->key.addr_hi;
}

static uint16_t
sf_port(const struct mpn_subflow *sf, bool init)
{
	return init == sf->init_lo ? sf->key.port_lo : sf->key.port_hi;
}

/* Side (0 = A, 1 = B) of the sender of a packet travelling in direction @p s. */
static uint8_t
sender_side(const struct mpn_subflow *sf, int s)
{
	bool sender_is_a = s == 0 ? sf->init_is_a : !sf->init_is_a;

	return sender_is_a ? 0 : 1;
}

static void
publish_join_state(struct mpn_subflow *sf, uint8_t st)
{
	sf->join_state = st;
	if (sf->conn != NULL && sf->conn_slot >= 0)
		__atomic_store_n(&sf->conn->sf[sf->conn_slot].join_state, st, __ATOMIC_RELAXED);
}

/* Both keys known: publish the connection in the token table (RFC 8684 §3.1). */
static void
publish_conn(struct mpn_tracker *t, struct mpn_subflow *sf, uint64_t now)
{
	struct mpn_conn_init in;
	struct mpn_conn *c;
	int err;

	if (t->ct == NULL || sf->conn != NULL || !sf->have_key_a || !sf->have_key_b)
		return;
	memset(&in, 0, sizeof(in));
	in.version = sf->version;
	in.flags_a = sf->flags_a;
	in.flags_b = sf->flags_b;
	in.decision = sf->decision;
	in.key_a = sf->key_a;
	in.key_b = sf->key_b;
	in.now = now;
	in.family = sf->key.family;
	in.src = sf_addr(sf, true);
	in.dst = sf_addr(sf, false);
	in.sport = sf_port(sf, true);
	in.dport = sf_port(sf, false);
	in.tcp_state = sf->state;
	c = mpn_conn_create(t->ct, &in, &err);
	if (c == NULL) {
		if (err == -EEXIST)
			t->stats.token_collisions++;
		else
			t->stats.conn_pool_full++;
		return;
	}
	sf->conn = c;
	sf->conn_slot = 0;
	sf->role = MPN_ROLE_INITIAL;
	sf->init_is_a = true;
	t->stats.conns_created++;
}

/*
 * Learn keys from MP_CAPABLE (RFC 8684 §3.1; RFC 6824 §3.1 for v0):
 *  - v0: the SYN carries key A, the SYN/ACK key B;
 *  - v1: the SYN/ACK carries key B, the third ACK (or the first data
 *    segment, 22 or 24 bytes) carries both.
 */
static void
learn_mpc(struct mpn_tracker *t, struct pctx *x, struct mpn_subflow *sf, int *s, uint64_t now)
{
	const struct mpn_mptcp_opt *o;
	int i;

	if (sf->conn != NULL || sf->role == MPN_ROLE_JOIN)
		return;
	i = find_mo(x, MPN_MPTCP_MP_CAPABLE);
	if (i < 0) {
		/* RFC 8684 §3.7: a SYN/ACK without MP_CAPABLE makes it plain TCP. */
		if (x->syn && x->ack && *s == 1 && sf->role == MPN_ROLE_INITIAL) {
			sf->role = MPN_ROLE_PLAIN;
			sf->mptcp = false;
		}
		return;
	}
	o = &x->mo[i];
	if (x->syn && !x->ack) {
		if (*s != 0)
			return;
		sf->role = MPN_ROLE_INITIAL;
		sf->mptcp = true;
		sf->version = o->u.mpc.version;
		sf->flags_a = o->u.mpc.flags;
		if (o->u.mpc.has_sndkey) {
			sf->key_a = o->u.mpc.sndkey;
			sf->have_key_a = true;
		}
		return;
	}
	if (x->syn && x->ack) {
		if (*s != 1 || !o->u.mpc.has_sndkey)
			return;
		/* The server picks the version (RFC 8684 §3.1). */
		sf->version = o->u.mpc.version;
		sf->flags_b = o->u.mpc.flags;
		sf->key_b = o->u.mpc.sndkey;
		sf->have_key_b = true;
		if (sf->role != MPN_ROLE_MIDSTREAM)
			sf->role = MPN_ROLE_INITIAL;
		publish_conn(t, sf, now);
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

		if (sf->role != MPN_ROLE_MIDSTREAM)
			return;
		sf->init_lo = !sf->init_lo;
		d = sf->dir[0];
		sf->dir[0] = sf->dir[1];
		sf->dir[1] = d;
		*s = 0;
	}
	if (!sf->have_key_b && sf->role == MPN_ROLE_MIDSTREAM)
		sf->version = o->u.mpc.version;
	sf->key_a = o->u.mpc.sndkey;
	sf->have_key_a = true;
	sf->flags_a = o->u.mpc.flags;
	if (sf->have_key_b && sf->key_b != o->u.mpc.rcvkey) {
		/* The server resets such a connection; keep what the SYN/ACK said. */
		t->stats.key_mismatch++;
	} else {
		sf->key_b = o->u.mpc.rcvkey;
		sf->have_key_b = true;
	}
	publish_conn(t, sf, now);
}

static void
join_fail(struct mpn_tracker *t, struct pctx *x, struct mpn_subflow *sf, int i)
{
	publish_join_state(sf, MPN_JOIN_FAILED);
	t->stats.joins_bad_hmac++;
	if (sf->conn != NULL) {
		__atomic_add_fetch(&sf->conn->joins_bad, 1, __ATOMIC_RELAXED);
		/*
		 * The subflow will never exist: give its slot back at once, so
		 * forged joins cannot use up the connection's subflow limit.
		 * The entry stays, to drop the rest of the attempt.
		 */
		if (mpn_conn_subflow_release(t->ct, sf->conn, sf->conn_slot))
			t->stats.conns_freed++;
		sf->conn = NULL;
		sf->conn_slot = -1;
	}
	track_drop(x, MPN_REASON_MPTCP_JOIN_BAD_HMAC, x->mo_off[i], x->mo[i].len,
		MPN_MPTCP_MP_JOIN);
}

/*
 * MP_JOIN SYN/ACK and third ACK (RFC 8684 §3.2), A = the subflow's
 * initiator. Drop a bad HMAC before the peer commits state to the subflow:
 * the SYN/ACK toward the initiator, the third ACK toward the responder.
 */
static void
verify_join(struct mpn_tracker *t, struct pctx *x, struct mpn_subflow *sf, int s)
{
	const struct mpn_conn *c = sf->conn;
	uint64_t key_init, key_resp;
	int i;

	if (c == NULL || !sf->join_verify)
		return;
	i = find_mo(x, MPN_MPTCP_MP_JOIN);
	if (i < 0)
		return;
	key_init = sf->init_is_a ? c->key_a : c->key_b;
	key_resp = sf->init_is_a ? c->key_b : c->key_a;
	if (x->syn && x->ack && s == 1 && x->mo[i].u.join.form == MPN_MPTCP_JOIN_SYNACK) {
		sf->nonce_resp = x->mo[i].u.join.nonce;
		if (!mpn_mptcp_join_synack_ok(c->version, key_init, key_resp, sf->nonce_init,
				sf->nonce_resp, x->mo[i].u.join.trunc_hmac)) {
			join_fail(t, x, sf, i);
			return;
		}
		if (sf->join_state == MPN_JOIN_SYN)
			publish_join_state(sf, MPN_JOIN_SYNACK_OK);
		return;
	}
	if (!x->syn && x->ack && s == 0 && x->mo[i].u.join.form == MPN_MPTCP_JOIN_ACK) {
		/* Without the SYN/ACK there is no R-B to check against. */
		if (sf->join_state != MPN_JOIN_SYNACK_OK && sf->join_state != MPN_JOIN_ACK_OK)
			return;
		if (!mpn_mptcp_join_ack_ok(c->version, key_init, key_resp, sf->nonce_init,
				sf->nonce_resp, x->mo[i].u.join.hmac)) {
			join_fail(t, x, sf, i);
			return;
		}
		if (sf->join_state != MPN_JOIN_ACK_OK) {
			publish_join_state(sf, MPN_JOIN_ACK_OK);
			t->stats.joins_verified++;
			__atomic_add_fetch(&sf->conn->joins_ok, 1, __ATOMIC_RELAXED);
		}
	}
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

static bool
addr_allowed(const struct mpn_addaddr_policy *ap, uint8_t family, const uint8_t *addr)
{
	unsigned int i;

	if (ap->n_prefixes == 0)
		return true;
	for (i = 0; i < ap->n_prefixes && i < MPN_POLICY_MAX_PREFIXES; i++)
		if (mpn_prefix_contains(&ap->prefixes[i], family, addr))
			return true;
	return false;
}

/*
 * ADD_ADDR (RFC 8684 §3.4.1). Its HMAC covers the address, so an address
 * cannot be rewritten: pass, clear or drop. Echoes (E = 1) only
 * acknowledge an address the peer already accepted and pass.
 */
static void
add_addr(struct mpn_tracker *t, struct pctx *x, struct mpn_subflow *sf, int s, unsigned int i)
{
	const struct mpn_addaddr_policy *ap = &x->m->mptcp.add_addr;
	const struct mpn_mptcp_opt *o = &x->mo[i];
	struct mpn_conn *c = sf->conn;
	uint8_t side = sender_side(sf, s), hv = MPN_ADDR_HMAC_NONE;
	/* No port: the peer uses the port of this subflow (RFC 8684 §3.4.1). */
	uint16_t port = o->u.add_addr.has_port ? o->u.add_addr.port : x->p->sport;

	if (o->u.add_addr.echo)
		return;
	t->stats.addaddr_seen++;
	if (ap->restricted && (!addr_allowed(ap, o->u.add_addr.family, o->u.add_addr.addr) ||
			!port_allowed(ap, port))) {
		t->stats.addaddr_denied++;
		if (c != NULL)
			__atomic_add_fetch(&c->addaddr_denied, 1, __ATOMIC_RELAXED);
		if (ap->action == MPN_ACTION_DROP) {
			track_drop(x, MPN_REASON_MPTCP_ADDADDR_DENIED, x->mo_off[i], o->len,
				MPN_MPTCP_ADD_ADDR);
		} else if (!opt_cleared(x->res, x->mo_off[i])) {
			mpn_norm_add_act(x->res, MPN_NACT_CLEAR_OPTION, MPN_REASON_MPTCP_ADDADDR_DENIED,
				x->mo_off[i], o->len, MPN_MPTCP_KIND, MPN_MPTCP_ADD_ADDR);
		}
		return;
	}
	if (c == NULL)
		return;
	if (c->version == 1 && o->u.add_addr.has_hmac) {
		uint64_t ks = side == 0 ? c->key_a : c->key_b;
		uint64_t kr = side == 0 ? c->key_b : c->key_a;

		switch (mpn_mptcp_addaddr_hmac_check(ks, kr, o->u.add_addr.addr_id,
				o->u.add_addr.family, o->u.add_addr.addr, o->u.add_addr.has_port,
				o->u.add_addr.port, o->u.add_addr.hmac)) {
		case MPN_ADDADDR_HMAC_OK:
			hv = MPN_ADDR_HMAC_OK;
			t->stats.addaddr_hmac_ok++;
			break;
		case MPN_ADDADDR_HMAC_OK_LEFTMOST:
			hv = MPN_ADDR_HMAC_LEFTMOST;
			t->stats.addaddr_hmac_leftmost++;
			break;
		default:
			hv = MPN_ADDR_HMAC_BAD;
			t->stats.addaddr_hmac_bad++;
			break;
		}
	}
	if (mpn_conn_addr_add(c, side, o->u.add_addr.addr_id, o->u.add_addr.family,
			o->u.add_addr.addr, o->u.add_addr.has_port, o->u.add_addr.port, hv) != 0)
		t->stats.addaddr_overflow++;
}

/*
 * MP_FASTCLOSE carries the receiver's key (RFC 8684 §3.5) and may arrive
 * on any subflow, so the connection is found by that key's token, not by
 * this subflow.
 */
static struct mpn_conn *
fastclose_conn(struct mpn_tracker *t, const struct mpn_subflow *sf, uint64_t key)
{
	static const uint8_t versions[2] = { 1, 0 };
	struct mpn_conn *c = sf->conn;
	unsigned int v;
	uint32_t tok;

	if (c != NULL && (c->key_a == key || c->key_b == key))
		return c;
	if (t->ct == NULL)
		return NULL;
	for (v = 0; v < RTE_DIM(versions); v++) {
		if (mpn_mptcp_key_token(versions[v], key, &tok, NULL) != 0)
			continue;
		c = mpn_conn_lookup(t->ct, tok);
		if (c != NULL && (c->key_a == key || c->key_b == key))
			return c;
	}
	return NULL;
}

/* Every MPTCP option of a segment on a subflow whose decision is allow. */
static void
mptcp_stage(struct mpn_tracker *t, struct pctx *x, struct mpn_subflow *sf, int *s,
	uint64_t now)
{
	unsigned int i, k;

	if (x->n_mo == 0)
		return;
	/* A subflow learned mid-stream that carries DSS is an MPTCP subflow. */
	if (sf->role == MPN_ROLE_MIDSTREAM)
		sf->mptcp = true;
	learn_mpc(t, x, sf, s, now);
	if (sf->role == MPN_ROLE_JOIN)
		verify_join(t, x, sf, *s);
	for (i = 0; i < x->n_mo; i++) {
		const struct mpn_mptcp_opt *o = &x->mo[i];

		switch (o->subtype) {
		case MPN_MPTCP_ADD_ADDR:
			add_addr(t, x, sf, *s, i);
			break;
		case MPN_MPTCP_REMOVE_ADDR:
			t->stats.rmaddr_seen++;
			if (sf->conn == NULL)
				break;
			__atomic_add_fetch(&sf->conn->rmaddr, 1, __ATOMIC_RELAXED);
			for (k = 0; k < o->u.rm_addr.n && k < MPN_MPTCP_RM_ADDR_MAX; k++)
				mpn_conn_addr_remove(sf->conn, sender_side(sf, *s),
					o->u.rm_addr.ids[k]);
			break;
		case MPN_MPTCP_MP_FASTCLOSE: {
			struct mpn_conn *c = fastclose_conn(t, sf, o->u.fastclose.key);

			if (c == NULL) {
				t->stats.fastclose_unknown++;
				break;
			}
			if (!mpn_conn_is_closed(c))
				t->stats.conns_closed++;
			mpn_conn_close(c, MPN_CONN_CLOSED_FASTCLOSE);
			t->stats.fastclose++;
			break;
		}
		case MPN_MPTCP_MP_TCPRST:
			/*
			 * RFC 8684 §3.6: MP_TCPRST gives the reason for the
			 * reset of this subflow only; the RST closes it below.
			 */
			t->stats.tcprst++;
			break;
		default:
			break;
		}
	}
}

/* Window-scale shift of direction @p s (RFC 7323 §2.2-2.3). */
static unsigned int
win_shift(const struct mpn_subflow *sf, int s)
{
	/* Without the handshake the scale is unknown: assume the largest. */
	if (!sf->handshake_seen)
		return WSCALE_MAX;
	if (!sf->dir[0].wscale_opt || !sf->dir[1].wscale_opt)
		return 0;
	return RTE_MIN(sf->dir[s].wscale, WSCALE_MAX);
}

static enum mpn_action
knob(enum mpn_action a)
{
	return a == MPN_ACTION_DROP ? MPN_ACTION_DROP : MPN_ACTION_ALLOW;
}

/*
 * The ASA's stateful tcp-map checks. Each counts what it sees and drops
 * only when its knob says drop. Retransmissions, keepalives (seq - 1, no
 * or one byte), window probes (one byte past a zero window, RFC 9293
 * §3.8.6.1), SACK and RST are not violations.
 */
static void
asa_checks(struct mpn_tracker *t, struct pctx *x, struct mpn_subflow *sf, int s)
{
	const struct mpn_flow_dir *S = &sf->dir[s], *R = &sf->dir[1 - s];
	const struct mpn_pkt *p = x->p;
	const struct mpn_tcp_map *m = x->m;
	uint32_t plen = p->payload_len;
	bool mptcp_sf = sf->mptcp || sf->conn != NULL;

	/* invalid-ack: an ACK beyond anything the peer has sent. */
	if (x->ack && !x->rst && R->seen && SEQ_GT(p->ack, R->snd_end)) {
		t->stats.invalid_ack++;
		if (knob(m->invalid_ack) == MPN_ACTION_DROP)
			track_drop(x, MPN_REASON_TCP_INVALID_ACK, 0, 0, 0xff);
	}
	/*
	 * seq-past-window: data beyond the highest right edge the receiver
	 * offered. Not on MPTCP subflows: there the window is the connection's,
	 * relative to the DATA_ACK (RFC 8684 §3.3.4), which may be ahead of
	 * this subflow's ACK, so the subflow-level edge does not bind the
	 * sender. XXX a data-level check (DSN against DATA_ACK + window) would.
	 */
	if (!mptcp_sf && !x->syn && !x->rst && plen > 0 && R->ack_seen &&
			SEQ_GT(p->seq + plen, R->right_edge + (plen == 1 ? 1 : 0))) {
		t->stats.seq_past_win++;
		if (knob(m->seq_past_window) == MPN_ACTION_DROP)
			track_drop(x, MPN_REASON_TCP_SEQ_PAST_WIN, 0, 0, 0xff);
	}
	/*
	 * window-variation: the sender moves its own right edge back (RFC 9293
	 * §3.8.6: shrinking the window is strongly discouraged). Old,
	 * reordered ACKs (ack below the highest) are not judged, nor are
	 * windows of unknown scale, nor MPTCP subflows, whose window follows
	 * the DATA_ACK (RFC 8684 §3.3.4): Linux moves their subflow-level edge
	 * back all the time (linux/capture-mid.pcap).
	 */
	if (!mptcp_sf && x->ack && !x->syn && !x->rst && S->ack_seen && sf->handshake_seen &&
			SEQ_GEQ(p->ack, S->max_ack)) {
		uint32_t edge = p->ack + ((uint32_t)p->window << win_shift(sf, s));

		if (SEQ_LT(edge, S->right_edge)) {
			t->stats.window_variation++;
			if (knob(m->window_variation) == MPN_ACTION_DROP)
				track_drop(x, MPN_REASON_TCP_WINDOW_VARIATION, 0, 0, 0xff);
		}
	}
	/* exceed-mss: more payload than the receiver announced it takes. */
	if (!x->syn && plen > 0 && R->mss != 0 && plen > R->mss) {
		t->stats.exceed_mss++;
		if (knob(m->exceed_mss) == MPN_ACTION_DROP)
			track_drop(x, MPN_REASON_TCP_EXCEED_MSS, 0, 0, 0xff);
	}
	/* TTL evasion: see track.h for why this drops rather than rewrites. */
	if (S->seen && (plen > 0 || x->fin || x->rst) && p->ttl_or_hlim < S->ttl) {
		t->stats.ttl_evasion++;
		if (m->ttl_evasion_protection)
			track_drop(x, MPN_REASON_TCP_TTL_EVASION, 0, 0, 0xff);
	}
}

/* MSS the sender announces in its SYN: the clamped value if we clamp it. */
static uint16_t
syn_mss(const struct pctx *x)
{
	const struct mpn_tcpopt_list *l = &x->res->opts;
	const struct mpn_tcpopt *o;
	unsigned int i;

	if (l->idx_mss == MPN_TCPOPT_NONE || l->idx_mss >= l->n)
		return 0;
	o = &l->opt[l->idx_mss];
	if (o->len != MPN_TCPOPT_LEN_MSS)
		return 0;
	for (i = 0; i < x->res->n_acts; i++)
		if (x->res->acts[i].type == MPN_NACT_CLAMP_MSS && x->res->acts[i].off == o->off &&
				!x->res->monitor)
			return x->res->acts[i].value;
	return (uint16_t)(x->tcp[o->off + 2] << 8 | x->tcp[o->off + 3]);
}

static void
syn_wscale(const struct pctx *x, struct mpn_flow_dir *d)
{
	const struct mpn_tcpopt_list *l = &x->res->opts;
	const struct mpn_tcpopt *o;

	d->wscale_opt = false;
	if (l->idx_wscale == MPN_TCPOPT_NONE || l->idx_wscale >= l->n)
		return;
	o = &l->opt[l->idx_wscale];
	if (o->len != MPN_TCPOPT_LEN_WSCALE)
		return;
	if (!x->res->monitor && opt_cleared(x->res, o->off))
		return;
	d->wscale_opt = true;
	d->wscale = x->tcp[o->off + 2];
}

/* Advance the subflow's state with a packet that goes through. */
static void
update_tcp(struct mpn_tracker *t, struct pctx *x, struct mpn_subflow *sf, int s, uint64_t now)
{
	struct mpn_flow_dir *S = &sf->dir[s];
	const struct mpn_pkt *p = x->p;
	uint32_t end = p->seq + p->payload_len + (x->syn ? 1 : 0) + (x->fin ? 1 : 0);

	if (!S->seen) {
		S->seen = true;
		S->snd_end = end;
		S->ttl = p->ttl_or_hlim;
	} else if (SEQ_GT(end, S->snd_end)) {
		S->snd_end = end;
	}
	if (x->syn) {
		S->syn_seen = true;
		S->isn = p->seq;
		S->mss = syn_mss(x);
		syn_wscale(x, S);
		if (x->ack && s == 1 && sf->dir[0].syn_seen)
			sf->handshake_seen = true;
	}
	if (x->ack) {
		/* The window of a SYN or SYN/ACK is never scaled (RFC 7323 §2.2). */
		uint32_t edge = p->ack + ((uint32_t)p->window << (x->syn ? 0 : win_shift(sf, s)));

		if (!S->ack_seen || SEQ_GT(p->ack, S->max_ack))
			S->max_ack = p->ack;
		if (!S->ack_seen || SEQ_GT(edge, S->right_edge))
			S->right_edge = edge;
		S->ack_seen = true;
	}

	if (x->rst) {
		mpn_flow_set_state(t->ft, sf, MPN_TCP_CLOSED);
	} else if (x->syn) {
		if (x->ack && sf->state == MPN_TCP_SYN_SENT)
			mpn_flow_set_state(t->ft, sf, MPN_TCP_SYN_RECV);
	} else {
		if (x->ack && (sf->state == MPN_TCP_SYN_SENT || sf->state == MPN_TCP_SYN_RECV))
			mpn_flow_set_state(t->ft, sf, MPN_TCP_ESTABLISHED);
		if (x->fin) {
			S->fin_seen = true;
			if (sf->dir[1 - s].fin_seen)
				mpn_flow_set_state(t->ft, sf, MPN_TCP_CLOSING);
			else if (sf->state < MPN_TCP_FIN_WAIT)
				mpn_flow_set_state(t->ft, sf, MPN_TCP_FIN_WAIT);
		}
	}
	if (sf->conn != NULL && mpn_conn_is_closed(sf->conn))
		mpn_flow_set_state(t->ft, sf, MPN_TCP_CLOSED);
	sf->last_seen = now;
}

/* Outcome of the admission of an MP_JOIN SYN. */
struct join_adm {
	struct mpn_conn *conn; /* the connection it joins, with a slot taken */
	int slot;
	uint8_t state;         /* enum mpn_join_state */
	bool verify;
	bool init_is_a;
};

/*
 * Judge an MP_JOIN SYN (RFC 8684 §3.2) before any state is created, so
 * join floods with random tokens cost no table entry (RFC 7430 §3).
 * The SYN carries the token of the receiver's key.
 *
 * @return false if the SYN is dropped
 */
static bool
admit_join(struct mpn_tracker *t, struct pctx *x, int j, uint8_t *decision,
	struct join_adm *a)
{
	const struct mpn_mptcp_policy *mp = &x->m->mptcp;
	uint32_t token = x->mo[j].u.join.token;
	const uint8_t *src = x->frame + x->p->src_addr_off;
	const uint8_t *dst = x->frame + x->p->dst_addr_off;
	struct mpn_conn *c;
	unsigned int limit;
	int slot;

	memset(a, 0, sizeof(*a));
	a->slot = -1;
	a->init_is_a = true;
	a->state = MPN_JOIN_UNVERIFIED;
	t->stats.joins_seen++;
	c = t->ct != NULL ? mpn_conn_lookup(t->ct, token) : NULL;

	if (c != NULL && !x->rule_bypass) {
		if (c->decision == MPN_DECISION_BYPASS) {
			/* tcp-state-bypass follows the token (ARCHITECTURE.md §4). */
			make_bypass(x->res);
			*decision = MPN_DECISION_BYPASS;
			t->stats.joins_bypassed++;
		} else if (c->decision == MPN_DECISION_FALLBACK || mpn_conn_is_closed(c)) {
			/* RFC 8684 §3.7: no subflow for a connection refused MPTCP. */
			t->stats.joins_refused++;
			__atomic_add_fetch(&c->joins_refused, 1, __ATOMIC_RELAXED);
			track_drop(x, MPN_REASON_MPTCP_JOIN_REFUSED, x->mo_off[j], x->mo[j].len,
				MPN_MPTCP_MP_JOIN);
			return x->res->forward; /* monitored: passes, untied */
		}
	}
	if (c != NULL) {
		limit = (x->rule_bypass || *decision == MPN_DECISION_BYPASS) ? 0 :
			mp->subflow_limit;
		slot = mpn_conn_subflow_claim(c, limit, MPN_ROLE_JOIN, token == c->token_b,
			x->key.family, src, dst, x->p->sport, x->p->dport, MPN_TCP_SYN_SENT);
		if (slot >= 0) {
			a->conn = c;
			a->slot = slot;
			a->init_is_a = token == c->token_b;
			a->verify = mp->join != MPN_JOIN_ALLOW && !x->rule_bypass &&
				*decision != MPN_DECISION_BYPASS;
			a->state = a->verify ? MPN_JOIN_SYN : MPN_JOIN_UNVERIFIED;
			return true;
		}
		if (slot == -ENOSPC) {
			t->stats.joins_limit++;
			__atomic_add_fetch(&c->joins_limit, 1, __ATOMIC_RELAXED);
			if (x->rule_bypass || *decision == MPN_DECISION_BYPASS)
				return true;
			track_drop(x, MPN_REASON_MPTCP_SUBFLOW_LIMIT, x->mo_off[j], x->mo[j].len,
				MPN_MPTCP_MP_JOIN);
			return x->res->forward;
		}
		/* -ENOENT: the connection is going away; as good as unknown. */
	}
	/*
	 * An unknown token is normal when mpnorm started after the connection
	 * or sees only some of its paths (MPTCP.md): the policy decides, the
	 * counter is kept either way.
	 */
	t->stats.joins_unknown++;
	if (!x->rule_bypass && mp->join == MPN_JOIN_VERIFY) {
		track_drop(x, MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN, x->mo_off[j], x->mo[j].len,
			MPN_MPTCP_MP_JOIN);
		return x->res->forward;
	}
	return true;
}

/* A SYN for an unknown subflow. NULL when it is dropped or cannot be tracked. */
static struct mpn_subflow *
new_syn(struct mpn_tracker *t, struct pctx *x, uint64_t now)
{
	const struct mpn_tcp_map *m = x->m;
	const struct mpn_policy_rule *rule = x->res->rule;
	struct mpn_subflow *sf;
	struct join_adm a;
	uint8_t decision;
	int j;

	/* RFC 8684 §3.7: the fallback decision is taken here and kept. */
	if (x->rule_bypass)
		decision = MPN_DECISION_BYPASS;
	else if (rule->inspect || m->mptcp.mode == MPN_MPTCP_FALLBACK)
		decision = MPN_DECISION_FALLBACK;
	else
		decision = MPN_DECISION_ALLOW;

	memset(&a, 0, sizeof(a));
	decode_mptcp(x, -1);
	j = find_mo(x, MPN_MPTCP_MP_JOIN);
	if (j >= 0 && x->mo[j].u.join.form != MPN_MPTCP_JOIN_SYN)
		j = -1;
	if (j >= 0 && decision != MPN_DECISION_FALLBACK && !admit_join(t, x, j, &decision, &a))
		return NULL;

	sf = mpn_flow_insert(t->ft, &x->key, MPN_TCP_SYN_SENT, now);
	if (sf == NULL) {
		if (j >= 0 && a.conn != NULL)
			mpn_conn_subflow_release(t->ct, a.conn, a.slot);
		if (!x->res->bypass)
			track_drop(x, MPN_REASON_TABLE_FULL, 0, 0, 0xff);
		return NULL;
	}
	sf->init_lo = x->from_lo;
	sf->decision = decision;
	sf->role = MPN_ROLE_PLAIN;
	if (j >= 0 && decision != MPN_DECISION_FALLBACK) {
		sf->role = MPN_ROLE_JOIN;
		sf->mptcp = true;
		sf->nonce_init = x->mo[j].u.join.nonce;
		sf->conn = a.conn;
		sf->conn_slot = (int8_t)a.slot;
		sf->init_is_a = a.init_is_a;
		sf->join_verify = a.verify;
		publish_join_state(sf, a.state);
	}
	return sf;
}

/*
 * A non-SYN packet of an unknown subflow: learn it (mpnorm started after
 * it) or drop it (ASA's tcp-not-syn). A learned subflow keeps decision
 * allow: stripping MPTCP from a running connection makes Linux reset it
 * (RFC 8684 §3.7).
 */
static struct mpn_subflow *
learn_midstream(struct mpn_tracker *t, struct pctx *x, uint64_t now)
{
	struct mpn_subflow *sf;

	if (x->rst)
		return NULL;
	if (t->p.midstream == MPN_FLOW_MIDSTREAM_DROP && !x->rule_bypass) {
		t->stats.not_syn_dropped++;
		track_drop(x, MPN_REASON_TCP_NOT_SYN, 0, 0, 0xff);
		if (!x->res->forward)
			return NULL;
	}
	sf = mpn_flow_insert(t->ft, &x->key, x->syn ? MPN_TCP_SYN_RECV : MPN_TCP_ESTABLISHED, now);
	if (sf == NULL)
		return NULL; /* counted as table_full; the packet passes untracked */
	t->stats.subflows_learned++;
	/*
	 * Guess the initiator: the receiver of a SYN/ACK; otherwise the side
	 * with the higher port (servers listen on the low ones). An
	 * MP_CAPABLE with both keys corrects the guess (learn_mpc()).
	 */
	if (x->syn)
		sf->init_lo = !x->from_lo;
	else
		sf->init_lo = sf->key.port_lo > sf->key.port_hi;
	sf->role = MPN_ROLE_MIDSTREAM;
	sf->decision = x->rule_bypass ? MPN_DECISION_BYPASS : MPN_DECISION_ALLOW;
	return sf;
}

/* Whether a SYN on a known 5-tuple opens a new connection (port reuse). */
static bool
syn_reuses(const struct mpn_subflow *sf, const struct pctx *x, int s)
{
	if (s == 0 && sf->dir[0].syn_seen && sf->dir[0].isn == x->p->seq)
		return false; /* a retransmitted SYN */
	switch (sf->state) {
	case MPN_TCP_SYN_SENT:
	case MPN_TCP_FIN_WAIT:
	case MPN_TCP_CLOSING:
	case MPN_TCP_CLOSED:
		return true;
	default:
		return sf->role == MPN_ROLE_MIDSTREAM;
	}
}

/*
 * Count the packet on its connection. The subflow's slot in the record has
 * one writer, this worker, so it counts with plain relaxed stores: no
 * locked instruction per packet on a line other workers read. Readers add
 * the slots up (mpn_conn_totals()).
 */
static inline void
add_relaxed(uint64_t *v, uint64_t n)
{
	__atomic_store_n(v, __atomic_load_n(v, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static void
account(struct pctx *x, struct mpn_subflow *sf)
{
	struct mpn_conn *c = sf->conn;
	bool dropped = !x->res->forward;

	if (c == NULL)
		return;
	if (sf->conn_slot >= 0) {
		struct mpn_conn_subflow *cs = &c->sf[sf->conn_slot];

		add_relaxed(&cs->pkts, 1);
		add_relaxed(&cs->bytes, x->p->payload_len);
		if (dropped)
			add_relaxed(&cs->drops, 1);
		return;
	}
	/* No slot of its own (the record was full): shared, so atomic. */
	__atomic_add_fetch(&c->pkts, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->bytes, x->p->payload_len, __ATOMIC_RELAXED);
	if (dropped)
		__atomic_add_fetch(&c->drops, 1, __ATOMIC_RELAXED);
}

void
mpn_track(struct mpn_tracker *t, const struct mpn_policy *policy, struct mpn_norm_result *res,
	const uint8_t *frame, uint64_t now)
{
	struct mpn_subflow *sf;
	struct pctx x;
	unsigned int i;
	int s;

	if (res->status != MPN_PKT_TCP || res->rule == NULL)
		return;
	/* Dropped by the stateless stage: it never reaches the peer, so it changes no state. */
	if (!res->forward && !res->bypass)
		return;

	x.p = &res->pkt;
	x.frame = frame;
	x.tcp = frame + res->pkt.l4_off;
	x.m = mpn_policy_rule_tcp_map(policy, res->rule);
	x.res = res;
	x.flags = res->pkt.tcp_flags;
	x.syn = (x.flags & TH_SYN) != 0;
	x.ack = (x.flags & TH_ACK) != 0;
	x.rst = (x.flags & TH_RST) != 0;
	x.fin = (x.flags & TH_FIN) != 0;
	x.rule_bypass = res->bypass;
	x.n_mo = 0;
	x.from_lo = mpn_flow_key_from_pkt(frame, &res->pkt, &x.key);

	sf = mpn_flow_lookup(t->ft, &x.key, now);
	if (sf != NULL && x.syn && !x.ack) {
		s = x.from_lo == sf->init_lo ? 0 : 1;
		if (syn_reuses(sf, &x, s)) {
			mpn_flow_remove(t->ft, sf);
			sf = NULL;
		} else if (sf->state >= MPN_TCP_SYN_RECV && !(s == 0 && sf->dir[0].isn == x.p->seq)) {
			/* A stray SYN on a live subflow: the hosts answer it (RFC 5961 §4). */
			sf->last_seen = now;
			return;
		}
	}
	if (sf == NULL) {
		if (x.syn && !x.ack) {
			sf = new_syn(t, &x, now);
		} else {
			sf = learn_midstream(t, &x, now);
			decode_mptcp(&x, -1);
		}
		if (sf == NULL)
			return;
	} else {
		decode_mptcp(&x, sf->conn != NULL ? sf->conn->version :
			(sf->mptcp ? sf->version : -1));
	}
	s = x.from_lo == sf->init_lo ? 0 : 1;

	/* Bypass, by this packet's class or by its connection's decision. */
	if (sf->decision == MPN_DECISION_BYPASS || x.rule_bypass) {
		if (!res->bypass) {
			make_bypass(res);
			if (sf->role == MPN_ROLE_JOIN && x.syn && !x.ack)
				t->stats.joins_bypassed++;
		}
		t->stats.bypassed++;
		learn_mpc(t, &x, sf, &s, now);
		update_tcp(t, &x, sf, s, now);
		account(&x, sf);
		return;
	}

	if (sf->join_state == MPN_JOIN_FAILED && !x.rst) {
		/* A join that failed verification never gets through (RFC 8684 §3.2). */
		track_drop(&x, MPN_REASON_MPTCP_JOIN_BAD_HMAC, 0, 0, 0xff);
	} else if (sf->decision == MPN_DECISION_FALLBACK) {
		/*
		 * RFC 8684 §3.7: the connection was refused MPTCP at its SYN, so
		 * every kind-30 option on it is cleared from then on, in both
		 * directions. The SYN's own MP_CAPABLE was cleared by the
		 * stateless stage.
		 */
		for (i = 0; i < res->opts.n; i++) {
			const struct mpn_tcpopt *o = &res->opts.opt[i];

			if (o->kind != MPN_MPTCP_KIND || opt_cleared(res, o->off))
				continue;
			mpn_norm_add_act(res, MPN_NACT_CLEAR_OPTION, MPN_REASON_MPTCP_FALLBACK, o->off,
				o->len, o->kind, o->len > 2 ? x.tcp[o->off + 2] >> 4 : 0xff);
			t->stats.fallback_cleared++;
		}
		/* Monitored: nothing is cleared, so the keys are on the wire. */
		if (res->monitor)
			learn_mpc(t, &x, sf, &s, now);
	} else {
		mptcp_stage(t, &x, sf, &s, now);
	}
	if (res->forward)
		asa_checks(t, &x, sf, s);
	if (res->forward)
		update_tcp(t, &x, sf, s, now);
	else
		sf->last_seen = now;
	account(&x, sf);
}
