/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage classify: the policy rule of the packet. A tracked subflow keeps
 * the rule its first packet in each link direction got, tagged with the
 * policy's generation, so classes are evaluated once per subflow and
 * direction, and again only after a reload.
 *
 * Caching also makes the class-map MPTCP criteria (`mptcp present|absent`,
 * `mptcp-version`, `mptcp-c-flag`) properties of the connection rather
 * than of each segment: a subflow whose handshake carried MP_CAPABLE or
 * MP_JOIN stays in its MPTCP class for every segment, options or not, so
 * an inspected class can fall back while others pass MPTCP, decided per
 * connection at the SYN (RFC 8684 §3.7).
 *
 * Joins take their connection's class through the token (the initial
 * subflow's class, kept in the connection record) when that class is in
 * the policy-map that governs the join's link and direction: a join to
 * an address the server advertised would otherwise miss a class written
 * for the server's first address, and lose MP_JOIN to the default
 * tcp-map. Otherwise the join is classified by its own addresses, with
 * its connection's attributes.
 *
 * `mptcp-subtype` is the one criterion of a segment, not of a connection
 * (no subtype but MP_CAPABLE and MP_JOIN ever rides on a SYN): when the
 * policy has such classes, a segment carrying kind 30 is classified again
 * with its subtypes, and a class that matched because of them takes that
 * segment alone; the subflow keeps its connection's class.
 */
#include <string.h>

#include "conn.h"
#include "stages.h"

/* The connection-level MPTCP attributes a tracked subflow knows. */
static void
subflow_attrs(const struct mpn_subflow *sf, struct mpn_classify_key *k)
{
	uint8_t flags = sf->flags_a | sf->flags_b;

	if (!(sf->f & MPN_SF_MPTCP) && sf->conn == NULL)
		return;
	k->mptcp = true;
	if (sf->conn != NULL) {
		k->have_version = true;
		k->version = sf->conn->version;
		flags |= sf->conn->flags_a | sf->conn->flags_b;
	} else if (!k->have_version && sf->role == MPN_ROLE_INITIAL) {
		/* A SYN/ACK's MP_CAPABLE (in the segment) is the server's pick; else the SYN's. */
		k->have_version = true;
		k->version = sf->version;
	}
	if (flags & MPN_MPTCP_CAP_C)
		k->c_flag = true;
}

/* The connection an MP_JOIN SYN names by its token (RFC 8684 §3.2), or NULL. */
static struct mpn_conn *
join_syn_conn(const struct mpn_tracker *t, const struct mpn_pkt_ctx *c)
{
	unsigned int i;

	if (t->ct == NULL || (c->flags & (TH_SYN | TH_ACK)) != TH_SYN)
		return NULL;
	for (i = 0; i < c->res.n_mo; i++)
		if (!c->res.mo[i].malformed && c->res.mo[i].subtype == MPN_MPTCP_MP_JOIN)
			return mpn_conn_lookup(t->ct, c->res.mo[i].u.join.token);
	return NULL;
}

/* The connection's class for this link direction, if the join may take it. */
static bool
inherit_rule(const struct mpn_policy *policy, const struct mpn_conn *conn,
	const struct mpn_norm_origin *o, struct mpn_norm_result *res)
{
	struct mpn_classify_key k;
	uint16_t id;

	if (conn->remote || conn->rule_gen != policy->generation)
		return false;
	id = conn->rule_id[o->dir & 1];
	memset(&k, 0, sizeof(k));
	k.link = o->link;
	k.dir = o->dir;
	if (id == MPN_RULE_NONE || !mpn_policy_rule_applies(policy, id, &k))
		return false;
	res->rule = mpn_policy_rule_by_id(policy, id);
	res->rule_id = id;
	return true;
}

/* A `mptcp-subtype` class may take this one segment (it never sticks to the subflow). */
static void
segment_class(const struct mpn_policy *policy, const struct mpn_norm_origin *o,
	struct mpn_pkt_ctx *c, struct mpn_classify_key *attrs, uint16_t subtypes)
{
	const struct mpn_policy_rule *conn_rule = c->res.rule;
	uint16_t conn_id = c->res.rule_id;

	attrs->subtypes = subtypes;
	mpn_normalize_classify_key(policy, o, c->frame, attrs, &c->res);
	if (c->res.rule->class_idx < 0 ||
			!mpn_class_is_segment_level(&policy->classes[c->res.rule->class_idx])) {
		c->res.rule = conn_rule;
		c->res.rule_id = conn_id;
	}
}

void
mpn_stage_classify(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c)
{
	struct mpn_norm_origin o = { .l2 = from->l2, .link = from->link, .dir = (uint8_t)from->dir };
	const struct mpn_conn *conn = NULL;
	struct mpn_classify_key attrs;
	uint16_t subtypes;
	bool decided = false;

	/* The segment's own attributes; the subtypes only for segment-level classes. */
	mpn_normalize_segment_attrs(&c->res, &attrs);
	subtypes = attrs.subtypes;
	attrs.subtypes = 0;
	if (t != NULL && c->pos >= 0) {
		const struct mpn_subflow *sf = mpn_flow_entry(t->ft, c->pos);
		uint16_t id = sf->rule_id[from->dir & 1];

		if (sf->rule_gen == policy->generation && id != MPN_RULE_NONE) {
			/* The per-packet path: the connection record is not touched. */
			c->res.rule = mpn_policy_rule_by_id(policy, id);
			c->res.rule_id = id;
			decided = true;
			if (policy->has_segment_classes && subtypes != 0)
				subflow_attrs(sf, &attrs);
		} else {
			subflow_attrs(sf, &attrs);
			if (sf->role == MPN_ROLE_JOIN)
				conn = sf->conn;
		}
	} else if (t != NULL) {
		conn = join_syn_conn(t, c);
		if (conn != NULL) {
			attrs.mptcp = true;
			attrs.have_version = true;
			attrs.version = conn->version;
			attrs.c_flag = ((conn->flags_a | conn->flags_b) & MPN_MPTCP_CAP_C) != 0;
		}
	}
	if (!decided && !(conn != NULL && inherit_rule(policy, conn, &o, &c->res)))
		mpn_normalize_classify_key(policy, &o, c->frame, &attrs, &c->res);
	c->conn_rule_id = c->res.rule_id;
	if (policy->has_segment_classes && subtypes != 0)
		segment_class(policy, &o, c, &attrs, subtypes);
}
