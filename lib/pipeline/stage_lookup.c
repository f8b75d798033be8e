/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage lookup: every TCP packet of a batch is looked up at once, with the
 * hash the parse stage computed, and the entries found and then their
 * connection records are prefetched. At 64K subflows and more the table
 * is far larger than the caches; one bulk lookup lets the misses of the
 * whole batch overlap instead of each packet waiting for its bucket, key,
 * entry and connection in turn. The positions found are used by every
 * later stage: nothing is looked up twice.
 */
#include <rte_hash.h>

#include "stages.h"

void
mpn_stage_lookup(struct mpn_tracker *t, struct mpn_pkt_ctx *ctx, unsigned int n)
{
	const struct mpn_flow_key *keys[MPN_PIPELINE_MAX_BURST];
	uint32_t hash[MPN_PIPELINE_MAX_BURST];
	int32_t pos[MPN_PIPELINE_MAX_BURST];
	uint8_t which[MPN_PIPELINE_MAX_BURST];
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		ctx[i].pos = -1;
		if (!ctx[i].tcp)
			continue;
		if (ctx[i].key.link > t->max_link)
			t->max_link = ctx[i].key.link;
		keys[k] = &ctx[i].key;
		hash[k] = ctx[i].hash;
		which[k++] = (uint8_t)i;
	}
	if (k == 0)
		return;
	mpn_flow_lookup_bulk(t->ft, keys, hash, k, pos);
	for (i = 0; i < k; i++)
		ctx[which[i]].pos = pos[i];
}

/*
 * An entry whose timeout has passed is gone, whatever this packet is: it
 * would have been swept. Removing it here is time's doing, not the
 * packet's, so it does not break the rule that a dropped packet changes
 * nothing. The removal hook clears the position of every later packet of
 * the batch that was looked up to it.
 */
void
mpn_stage_resolve(struct mpn_tracker *t, struct mpn_pkt_ctx *ctx, unsigned int i,
	uint64_t now)
{
	struct mpn_subflow *sf;

	if (ctx[i].pos < 0)
		return;
	sf = mpn_flow_entry(t->ft, ctx[i].pos);
	if (!mpn_flow_expired(t->ft, sf, now))
		return;
	t->burst_from = i;
	mpn_stats_inc(&t->stats.subflows_expired);
	mpn_flow_remove(t->ft, sf, MPN_FLOW_CLOSE_IDLE);
}
