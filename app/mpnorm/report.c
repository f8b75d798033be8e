/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>

#include "mptcp.h"
#include "report.h"

static void
json_reason_object(struct mpn_json *j, const char *key, const uint64_t *counts)
{
	unsigned int r;

	/*
	 * Every reason is listed, zeros included, so that a script can read
	 * drops["tcp-bad-option-list"] without checking whether it exists.
	 */
	mpn_json_object_begin(j, key);
	for (r = 1; r < MPN_REASON_MAX; r++)
		mpn_json_u64(j, mpn_reason_name(r), counts[r]);
	mpn_json_object_end(j);
}

void
mpn_report_json_counters(struct mpn_json *j, const struct mpn_worker_stats *total)
{
	mpn_json_u64(j, "packets_in", total->rx);
	mpn_json_u64(j, "packets_out", total->tx);
	mpn_json_u64(j, "packets_dropped", total->dropped);
	mpn_json_u64(j, "packets_rewritten", total->rewritten);
	mpn_json_u64(j, "packets_non_tcp", total->non_tcp);
	json_reason_object(j, "drops", total->drops);
	json_reason_object(j, "rewrites", total->rewrites);
	json_reason_object(j, "alerts", total->alerts);
	json_reason_object(j, "monitored", total->monitored);
	{
		unsigned int st;

		mpn_json_object_begin(j, "mptcp_options");
		for (st = 0; st < 16; st++)
			if (st <= 8 || st == 15 || total->mptcp_options[st] > 0)
				mpn_json_u64(j, mpn_mptcp_subtype_name((uint8_t)st),
					total->mptcp_options[st]);
		mpn_json_object_end(j);
	}
}

void
mpn_report_json_workers(struct mpn_json *j, const struct mpn_worker_stats *w,
	unsigned int n)
{
	unsigned int i;

	mpn_json_array_begin(j, "workers");
	for (i = 0; i < n; i++) {
		struct mpn_worker_stats c;

		/* @p w may be the live counters: read them as atomics. */
		mpn_stats_copy(&c, &w[i]);
		mpn_json_object_begin(j, NULL);
		mpn_json_u64(j, "worker", i);
		mpn_json_u64(j, "packets_in", c.rx);
		mpn_json_u64(j, "packets_out", c.tx);
		mpn_json_u64(j, "packets_dropped", c.dropped);
		mpn_json_u64(j, "packets_rewritten", c.rewritten);
		mpn_json_u64(j, "rx_bursts", c.rx_bursts);
		mpn_json_u64(j, "handoffs_out", c.handoffs_out);
		mpn_json_u64(j, "handoffs_in", c.handoffs_in);
		mpn_json_object_end(j);
	}
	mpn_json_array_end(j);
}

void
mpn_report_text_reasons(FILE *f, const struct mpn_worker_stats *total)
{
	unsigned int r, shown = 0;

	fprintf(f, "%-28s %14s %14s\n", "reason", "dropped", "rewritten");
	for (r = 1; r < MPN_REASON_MAX; r++) {
		if (total->drops[r] == 0 && total->rewrites[r] == 0)
			continue;
		fprintf(f, "%-28s %14" PRIu64 " %14" PRIu64 "\n", mpn_reason_name(r),
			total->drops[r], total->rewrites[r]);
		shown++;
	}
	if (shown == 0)
		fprintf(f, "(no drops, no rewrites)\n");
}
