/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "stats.h"

void
mpn_stats_copy_u64(uint64_t *dst, const uint64_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		__atomic_store_n(&dst[i], mpn_stats_read(&src[i]), __ATOMIC_RELAXED);
}

void
mpn_stats_copy(struct mpn_worker_stats *dst, const struct mpn_worker_stats *src)
{
	/* Every field of the struct is a uint64_t counter (asserted below). */
	mpn_stats_copy_u64((uint64_t *)dst, (const uint64_t *)src, sizeof(*src) / sizeof(uint64_t));
}

_Static_assert(sizeof(struct mpn_worker_stats) % sizeof(uint64_t) == 0,
	"struct mpn_worker_stats is made of uint64_t counters only");

void
mpn_stats_sum(const struct mpn_worker_stats *w, unsigned int n,
	struct mpn_worker_stats *total)
{
	unsigned int i, r, p;

	memset(total, 0, sizeof(*total));
	for (i = 0; i < n; i++) {
		const struct mpn_worker_stats *x = &w[i];

		total->rx += mpn_stats_read(&x->rx);
		total->tx += mpn_stats_read(&x->tx);
		total->dropped += mpn_stats_read(&x->dropped);
		total->rewritten += mpn_stats_read(&x->rewritten);
		total->rx_bursts += mpn_stats_read(&x->rx_bursts);
		total->handoffs_out += mpn_stats_read(&x->handoffs_out);
		total->handoffs_in += mpn_stats_read(&x->handoffs_in);
		total->non_tcp += mpn_stats_read(&x->non_tcp);
		total->busy_cycles += mpn_stats_read(&x->busy_cycles);
		total->idle_cycles += mpn_stats_read(&x->idle_cycles);
		total->polls += mpn_stats_read(&x->polls);
		total->busy_polls += mpn_stats_read(&x->busy_polls);
		for (r = 0; r < MPN_REASON_MAX; r++) {
			total->drops[r] += mpn_stats_read(&x->drops[r]);
			total->rewrites[r] += mpn_stats_read(&x->rewrites[r]);
			total->alerts[r] += mpn_stats_read(&x->alerts[r]);
			total->monitored[r] += mpn_stats_read(&x->monitored[r]);
		}
		for (r = 0; r < 16; r++)
			total->mptcp_options[r] += mpn_stats_read(&x->mptcp_options[r]);
		for (p = 0; p < MPN_MAX_PORTS; p++) {
			total->port[p].rx += mpn_stats_read(&x->port[p].rx);
			total->port[p].tx += mpn_stats_read(&x->port[p].tx);
			total->port[p].tx_dropped += mpn_stats_read(&x->port[p].tx_dropped);
		}
	}
}
