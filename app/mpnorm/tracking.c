/* SPDX-License-Identifier: BSD-3-Clause */
/* Setting up connection tracking for the workers, live or offline. */
#include <stdio.h>

#include <rte_lcore.h>

#include "app.h"

int
mpn_app_tracking_init(const struct mpn_config *cfg, unsigned int n_workers, uint64_t hz,
	char *err, size_t errlen)
{
	struct mpn_flow_params fp;
	unsigned int w;
	char name[32];

	mpn_flow_params_default(&fp);
	fp.capacity = cfg->tables.subflows;
	fp.hz = hz;
	fp.embryonic_timeout = cfg->tables.embryonic_timeout;
	fp.idle_timeout = cfg->tables.idle_timeout;
	fp.half_closed_timeout = cfg->tables.half_closed_timeout;
	fp.closed_timeout = cfg->tables.closed_timeout;
	fp.unconfirmed_timeout = cfg->tables.unconfirmed_timeout;
	fp.learn_limit_pct = (uint8_t)cfg->tables.learn_limit;
	fp.midstream = cfg->tables.unknown_subflow_drop ? MPN_FLOW_MIDSTREAM_DROP :
		MPN_FLOW_MIDSTREAM_LEARN;
	/* tracking = off: the stateless tcp-map only, no table at all. */
	if (!cfg->tables.tracking)
		return 0;
	/*
	 * One RCU reader per worker plus one for the main lcore, which reads
	 * connection records for `show connections`.
	 */
	mpn_app.conns = mpn_conn_table_create("mpn_conns", cfg->tables.connections,
		n_workers + 1, (int)rte_socket_id());
	if (mpn_app.conns == NULL) {
		snprintf(err, errlen, "%s: cannot create a token table of %u connections: lower "
			"tables.connections, or give the EAL more memory (-m)", cfg->path,
			cfg->tables.connections);
		return -1;
	}
	for (w = 0; w < n_workers; w++) {
		snprintf(name, sizeof(name), "mpn_flows%u", w);
		mpn_app.trackers[w] = mpn_tracker_create(name, &fp, mpn_app.conns, w,
			(int)rte_socket_id());
		if (mpn_app.trackers[w] == NULL) {
			snprintf(err, errlen, "%s: cannot create a subflow table of %u entries for "
				"worker %u: lower tables.subflows, or give the EAL more memory (-m)",
				cfg->path, cfg->tables.subflows, w);
			mpn_app_tracking_fini();
			return -1;
		}
	}
	if (mpn_conn_table_register(mpn_app.conns, n_workers) != 0) {
		snprintf(err, errlen, "cannot register the main lcore as an RCU reader");
		mpn_app_tracking_fini();
		return -1;
	}
	return 0;
}

void
mpn_app_tracking_fini(void)
{
	unsigned int w;

	for (w = 0; w < MPN_MAX_WORKERS; w++) {
		mpn_tracker_free(mpn_app.trackers[w]);
		mpn_app.trackers[w] = NULL;
	}
	mpn_conn_table_free(mpn_app.conns);
	mpn_app.conns = NULL;
}
