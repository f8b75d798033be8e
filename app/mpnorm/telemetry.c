/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only counters for dpdk-telemetry.py, under /mpnorm/: the same numbers
 * as `mpnormctl show stats` and `show drops`, for operators who already
 * collect DPDK telemetry.
 */
#include <rte_telemetry.h>

#include "afpacket_stats.h"
#include "app.h"

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mpn_worker_stats t;

	(void)cmd;
	(void)params;
	mpn_app_total_counters(&t);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "packets_in", t.rx);
	rte_tel_data_add_dict_u64(d, "packets_out", t.tx);
	rte_tel_data_add_dict_u64(d, "packets_dropped", t.dropped);
	rte_tel_data_add_dict_u64(d, "packets_rewritten", t.rewritten);
	rte_tel_data_add_dict_u64(d, "packets_non_tcp", t.non_tcp);
	rte_tel_data_add_dict_u64(d, "workers", mpn_app.n_workers);
	/* This runs on DPDK's telemetry thread: reload counts are written by the main lcore. */
	rte_tel_data_add_dict_u64(d, "reloads", mpn_stats_read(&mpn_app.reloads_ok));
	{
		struct mpn_afpacket_ring_stats rs;
		uint64_t drops = 0;
		unsigned int i;

		for (i = 0; i < mpn_app.ports.n; i++)
			if (mpn_afpacket_stats_get(i, &rs))
				drops += rs.drops;
		rte_tel_data_add_dict_u64(d, "af_packet_ring_drops", drops);
	}
	return 0;
}

/*
 * The kernel's af_packet ring counters, per af_packet port: net_af_packet
 * leaves /ethdev/stats' imissed at 0 (see afpacket_stats.h).
 */
static int
tel_af_packet(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mpn_afpacket_ring_stats rs;
	unsigned int i;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (i = 0; i < mpn_app.ports.n; i++) {
		struct rte_tel_data *p;

		if (!mpn_afpacket_stats_get(i, &rs))
			continue;
		p = rte_tel_data_alloc();
		if (p == NULL)
			return -1;
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_string(p, "interface", rs.ifname);
		rte_tel_data_add_dict_u64(p, "port", i);
		rte_tel_data_add_dict_u64(p, "sockets", rs.sockets);
		rte_tel_data_add_dict_u64(p, "kernel_rx", rs.packets);
		rte_tel_data_add_dict_u64(p, "ring_drops", rs.drops);
		rte_tel_data_add_dict_container(d, mpn_app.cfg.ports[i].name, p, 0);
	}
	return 0;
}

/* One dict of reason -> count, for drops, rewrites or alerts. */
static int
tel_reasons(struct rte_tel_data *d, size_t field)
{
	struct mpn_worker_stats t;
	const uint64_t *v;
	unsigned int r;

	mpn_app_total_counters(&t);
	v = (const uint64_t *)((const char *)&t + field);
	rte_tel_data_start_dict(d);
	for (r = 1; r < MPN_REASON_MAX; r++)
		rte_tel_data_add_dict_u64(d, mpn_reason_name(r), v[r]);
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return tel_reasons(d, offsetof(struct mpn_worker_stats, drops));
}

static int
tel_rewrites(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return tel_reasons(d, offsetof(struct mpn_worker_stats, rewrites));
}

int
mpn_telemetry_register(void)
{
	if (rte_telemetry_register_cmd("/mpnorm/stats", tel_stats,
			"Packet counters of mpnorm. Takes no parameters") != 0 ||
			rte_telemetry_register_cmd("/mpnorm/drops", tel_drops,
			"mpnorm drops by reason. Takes no parameters") != 0 ||
			rte_telemetry_register_cmd("/mpnorm/rewrites", tel_rewrites,
			"mpnorm rewrites by reason. Takes no parameters") != 0 ||
			rte_telemetry_register_cmd("/mpnorm/af_packet", tel_af_packet,
			"Kernel af_packet ring counters per port (kernel_rx, ring_drops). "
			"Takes no parameters") != 0)
		return -1;
	return 0;
}
