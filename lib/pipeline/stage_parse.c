/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage parse: the only place a frame's headers are read from scratch.
 * L2, L3 and the TCP header (mpn_pkt_parse()), the option walk, and for
 * TCP the canonical flow key with its hash, which the lookup, the insert,
 * the delete and the handoff owner all reuse.
 */
#include "stages.h"

void
mpn_stage_parse(struct mpn_pkt_ctx *c, uint8_t *frame, uint32_t len,
	const struct mpn_burst_origin *from)
{
	c->frame = frame;
	c->len = len;
	c->pos = -1;
	c->sf = NULL;
	c->reply = false;
	c->plan.op = MPN_PLAN_NONE;
	c->plan.sh = 0;
	c->tcp = mpn_normalize_parse(frame, len, from->l2, &c->res);
	if (!c->tcp)
		return;
	c->flags = c->res.pkt.tcp_flags;
	c->from_lo = mpn_flow_key_from_pkt(frame, &c->res.pkt, from->link, &c->key);
	c->hash = mpn_flow_key_hash(&c->key);
}
