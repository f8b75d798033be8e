/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage decode: every kind-30 option of the segment, decoded once, into
 * the context. ADD_ADDR's v0 and v1 layouts share a subtype and lengths,
 * so the connection's version, known from the subflow entry the lookup
 * found, decides (RFC 6824 §3.4.1, RFC 8684 §3.4.1); without an entry the
 * decoder tells them apart itself.
 */
#include "conn.h"
#include "stages.h"

void
mpn_stage_decode(struct mpn_tracker *t, struct mpn_pkt_ctx *c)
{
	int hint = -1;

	if (c->res.opts.n_mptcp == 0) {
		c->res.n_mo = 0;
		return;
	}
	if (t != NULL && c->pos >= 0) {
		const struct mpn_subflow *sf = mpn_flow_entry(t->ft, c->pos);

		if (sf->conn != NULL)
			hint = sf->conn->version;
		else if (sf->f & MPN_SF_MPTCP)
			hint = sf->version;
	}
	mpn_normalize_decode(&c->res, c->frame, hint);
}
