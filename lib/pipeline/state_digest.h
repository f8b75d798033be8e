/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_STATE_DIGEST_H
#define MPN_STATE_DIGEST_H

/*
 * For tests that hold the pipeline to its invariant (ctx.h): a digest of
 * every piece of subflow and connection state a segment could change,
 * counters aside. A dropped segment must leave it as it was. One copy,
 * included after track_testlib.h: a field added to an entry or a record
 * belongs here too, or the tests stop seeing it.
 */

/* FNV-1a over the state of the tracker: what a dropped segment must not change. */
struct digest {
	uint64_t h;
	struct mpn_flow_table *ft;
};

static void
mix(struct digest *d, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		d->h ^= b[i];
		d->h *= 0x100000001b3ULL;
	}
}

#define MIX(d, field) mix((d), &(field), sizeof(field))

static int
digest_entry(struct mpn_flow_table *ft, struct mpn_subflow *sf, void *arg)
{
	struct digest *d = arg;
	const struct mpn_flow_key *k = mpn_flow_entry_key(ft, sf);

	/* Everything but the counters and the eviction-list links. */
	mix(d, k, sizeof(*k));
	MIX(d, sf->conn);
	MIX(d, sf->last_seen);
	MIX(d, sf->rule_gen);
	MIX(d, sf->rule_id);
	MIX(d, sf->f);
	MIX(d, sf->state);
	MIX(d, sf->role);
	MIX(d, sf->decision);
	MIX(d, sf->join_state);
	MIX(d, sf->version);
	MIX(d, sf->conn_slot);
	MIX(d, sf->slot_gen);
	MIX(d, sf->born);
	MIX(d, sf->join_addr_id);
	MIX(d, sf->dir0);
	MIX(d, sf->dir1);
	MIX(d, sf->hash);
	MIX(d, sf->nonce_init);
	MIX(d, sf->nonce_resp);
	MIX(d, sf->key_a);
	MIX(d, sf->key_b);
	MIX(d, sf->verified_mac);
	MIX(d, sf->flags_a);
	MIX(d, sf->flags_b);
	MIX(d, sf->close_why);
	MIX(d, sf->intf);
	return 0;
}

static void
digest_conn(const struct mpn_conn *c, void *arg)
{
	struct digest *d = arg;
	unsigned int i;

	MIX(d, c->serial);
	MIX(d, c->key_a);
	MIX(d, c->key_b);
	MIX(d, c->token_a);
	MIX(d, c->token_b);
	MIX(d, c->version);
	MIX(d, c->decision);
	MIX(d, c->rule_gen);
	MIX(d, c->rule_id);
	MIX(d, c->refs);
	MIX(d, c->closed);
	/* Per-connection limits (issue 16) and the shared window (check_window.c). */
	MIX(d, c->join_rate);
	MIX(d, c->addaddr_announced);
	MIX(d, c->win_max);
	MIX(d, c->dack_known);
	MIX(d, c->dack);
	MIX(d, c->dedge);
	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++) {
		const struct mpn_conn_subflow *s = &c->sf[i];

		MIX(d, s->used);
		if (s->used == MPN_SLOT_FREE)
			continue;
		MIX(d, s->role);
		MIX(d, s->tcp_state);
		MIX(d, s->join_state);
		MIX(d, s->gen);
		MIX(d, s->refs);
		MIX(d, s->src);
		MIX(d, s->dst);
		MIX(d, s->sport);
		MIX(d, s->dport);
	}
	for (i = 0; i < MPN_CONN_MAX_ADDRS; i++) {
		const struct mpn_conn_addr *a = &c->addr[i];

		MIX(d, a->used);
		if (a->used == 0)
			continue;
		MIX(d, a->side);
		MIX(d, a->id);
		MIX(d, a->addr);
		MIX(d, a->port);
		MIX(d, a->hmac);
	}
}

static uint64_t
state_digest(struct env *e)
{
	struct digest d = { .h = 0xcbf29ce484222325ULL, .ft = mpn_tracker_table(e->t) };
	uint32_t n = mpn_flow_count(d.ft), nc = mpn_conn_table_count(e->ct);

	MIX(&d, n);
	MIX(&d, nc);
	mpn_flow_foreach(d.ft, digest_entry, &d);
	mpn_conn_table_foreach(e->ct, digest_conn, &d);
	return d.h;
}

#endif /* MPN_STATE_DIGEST_H */
