/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage classify: the policy rule of the packet. A tracked subflow keeps
 * the rule its first packet in each link direction got, tagged with the
 * policy's generation, so classes are evaluated once per subflow and
 * direction, and again only after a reload.
 *
 * Caching also makes class-map `mptcp present|absent` a property of the
 * connection rather than of each segment: a subflow whose handshake
 * carried MP_CAPABLE or MP_JOIN stays in its MPTCP class for every
 * segment, options or not, so an inspected class can fall back while
 * others pass MPTCP, decided per connection at the SYN (RFC 8684 §3.7).
 */
#include "stages.h"

void
mpn_stage_classify(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c)
{
	struct mpn_norm_origin o = { .l2 = from->l2, .link = from->link, .dir = (uint8_t)from->dir };
	bool mptcp = c->res.opts.n_mptcp > 0;

	if (t != NULL && c->pos >= 0) {
		const struct mpn_subflow *sf = mpn_flow_entry(t->ft, c->pos);
		uint16_t id = sf->rule_id[from->dir & 1];

		if (sf->rule_gen == policy->generation && id != MPN_RULE_NONE) {
			c->res.rule = mpn_policy_rule_by_id(policy, id);
			c->res.rule_id = id;
			return;
		}
		mptcp = mptcp || (sf->f & MPN_SF_MPTCP) != 0;
	}
	mpn_normalize_classify(policy, &o, c->frame, mptcp, &c->res);
}
