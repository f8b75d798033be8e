/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "stats.h"

void
mpn_stats_sum(const struct mpn_worker_stats *w, unsigned int n,
	struct mpn_worker_stats *total)
{
	unsigned int i, r, p;

	memset(total, 0, sizeof(*total));
	for (i = 0; i < n; i++) {
		total->rx += w[i].rx;
		total->tx += w[i].tx;
		total->dropped += w[i].dropped;
		total->rewritten += w[i].rewritten;
		total->rx_bursts += w[i].rx_bursts;
		total->handoffs_out += w[i].handoffs_out;
		total->handoffs_in += w[i].handoffs_in;
		total->non_tcp += w[i].non_tcp;
		total->busy_cycles += w[i].busy_cycles;
		total->idle_cycles += w[i].idle_cycles;
		total->polls += w[i].polls;
		total->busy_polls += w[i].busy_polls;
		for (r = 0; r < MPN_REASON_MAX; r++) {
			total->drops[r] += w[i].drops[r];
			total->rewrites[r] += w[i].rewrites[r];
			total->alerts[r] += w[i].alerts[r];
			total->monitored[r] += w[i].monitored[r];
		}
		for (r = 0; r < 16; r++)
			total->mptcp_options[r] += w[i].mptcp_options[r];
		for (p = 0; p < MPN_MAX_PORTS; p++) {
			total->port[p].rx += w[i].port[p].rx;
			total->port[p].tx += w[i].port[p].tx;
			total->port[p].tx_dropped += w[i].port[p].tx_dropped;
		}
	}
}
