/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage rewrite: the decisions of the check stage applied to the frame in
 * place, each with an incremental checksum update (RFC 1624), never
 * re-serializing the header (lib/normalize, lib/tcpopt). Nothing for a
 * dropped, bypassed or monitored packet.
 */
#include "stages.h"

void
mpn_stage_rewrite(struct mpn_pkt_ctx *ctx, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ctx[i].res.n_acts > 0)
			mpn_normalize_apply(&ctx[i].res, ctx[i].frame);
}
