/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "pipeline.h"

void
mpn_pipeline_init(struct mpn_pipeline *pl, struct mpn_worker_stats *stats)
{
	memset(pl, 0, sizeof(*pl));
	pl->stats = stats;
}

void
mpn_pipeline_run(struct mpn_pipeline *pl, const struct mpn_burst_origin *from,
	struct rte_mbuf **pkts, uint16_t n, uint8_t *verdicts)
{
	uint16_t i;

	RTE_SET_USED(pkts);
	pl->stats->rx += n;
	pl->stats->port[from->port].rx += n;
	if (n > 0)
		pl->stats->rx_bursts++;
	/* XXX: pass-through until the parser and policy stages land. */
	for (i = 0; i < n; i++)
		verdicts[i] = MPN_VERDICT_FORWARD;
}
