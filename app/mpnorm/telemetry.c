/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only counters for dpdk-telemetry.py, under /mpnorm/: every counter
 * the CLI shows, for operators who already collect DPDK telemetry.
 *
 * DPDK 22.11 accepts dictionary names of letters, digits, '_' and '/' only
 * (rte_telemetry.h), and at most RTE_TEL_MAX_DICT_ENTRIES per dictionary:
 * reason names ("tcp-bad-option-list") are mapped to "tcp_bad_option_list",
 * and every return code is checked. A callback that cannot build its whole
 * answer fails (dpdk-telemetry.py then shows null) instead of answering
 * with a silently partial one.
 *
 * Callbacks run on DPDK's telemetry thread, not the main lcore: worker
 * counters are read as the CLI reads them (aligned 64-bit loads); the
 * policy is read under mpn_app.policy_lock, which a reload holds while it
 * swaps and frees it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "afpacket_stats.h"
#include "app.h"
#include "events.h"
#include "export.h"
#include "intf_view.h"
#include "logmsg.h"
#include "mptcp.h"
#include "ops.h"

/* A name DPDK accepts: '-' and anything else outside [A-Za-z0-9_/] become '_'. */
static void
tel_name(char *out, size_t n, const char *in)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = isalnum(c) || c == '_' || c == '/' ? (char)c : '_';
	}
	out[i] = '\0';
}

/* Add u64 @p v as @p name (mapped); remember the first failure in *rc. */
static void
add_u64(struct rte_tel_data *d, const char *name, uint64_t v, int *rc)
{
	char n[RTE_TEL_MAX_STRING_LEN];
	int r;

	tel_name(n, sizeof(n), name);
	r = rte_tel_data_add_dict_u64(d, n, v);
	if (r != 0 && *rc == 0)
		*rc = r;
}

static void
add_str(struct rte_tel_data *d, const char *name, const char *v, int *rc)
{
	char n[RTE_TEL_MAX_STRING_LEN];
	int r;

	tel_name(n, sizeof(n), name);
	r = rte_tel_data_add_dict_string(d, n, v);
	if (r != 0 && *rc == 0)
		*rc = r;
}

/* A nested dictionary; *rc is set if it cannot be allocated or added. */
static struct rte_tel_data *
add_dict(struct rte_tel_data *d, const char *name, int *rc)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	char n[RTE_TEL_MAX_STRING_LEN];
	int r;

	if (c == NULL) {
		if (*rc == 0)
			*rc = -ENOMEM;
		return NULL;
	}
	rte_tel_data_start_dict(c);
	tel_name(n, sizeof(n), name);
	/* keep = 0: the library frees it with the answer. */
	r = rte_tel_data_add_dict_container(d, n, c, 0);
	if (r != 0) {
		rte_tel_data_free(c);
		if (*rc == 0)
			*rc = r;
		return NULL;
	}
	return c;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mpn_worker_stats t;
	int rc = 0;

	(void)cmd;
	(void)params;
	mpn_app_total_counters(&t);
	rte_tel_data_start_dict(d);
	add_u64(d, "packets_in", t.rx, &rc);
	add_u64(d, "packets_out", t.tx, &rc);
	add_u64(d, "packets_dropped", t.dropped, &rc);
	add_u64(d, "packets_rewritten", t.rewritten, &rc);
	add_u64(d, "packets_non_tcp", t.non_tcp, &rc);
	add_u64(d, "workers", mpn_app.n_workers, &rc);
	/* The telemetry thread reads what the main lcore writes. */
	add_u64(d, "reloads", mpn_stats_read(&mpn_app.reloads_ok), &rc);
	add_u64(d, "reloads_failed", mpn_stats_read(&mpn_app.reloads_failed), &rc);
	add_u64(d, "uptime_s", (uint64_t)(time(NULL) - mpn_app.started), &rc);
	add_u64(d, "connections", mpn_app.conns != NULL ? mpn_conn_table_count(mpn_app.conns) : 0,
		&rc);
	{
		struct mpn_afpacket_ring_stats rs;
		uint64_t drops = 0;
		unsigned int i;

		for (i = 0; i < mpn_app.ports.n; i++)
			if (mpn_afpacket_stats_get(i, &rs))
				drops += rs.drops;
		add_u64(d, "af_packet_ring_drops", drops, &rc);
	}
	add_str(d, "version", MPN_VERSION, &rc);
	return rc;
}

/*
 * The kernel's af_packet ring counters, per af_packet port: net_af_packet
 * leaves /ethdev/stats' imissed at 0 (see afpacket_stats.h).
 */
static int
tel_af_packet(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mpn_afpacket_ring_stats rs;
	unsigned int i, n = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (i = 0; i < mpn_app.ports.n; i++)
		n += mpn_afpacket_stats_get(i, &rs) ? 1 : 0;
	/* Never an empty answer: a reader can tell "no af_packet port" from "no data". */
	rte_tel_data_add_dict_u64(d, "af_packet_ports", n);
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

/* One dict of reason -> count, every reason listed, for one counter array. */
static int
tel_reasons(struct rte_tel_data *d, size_t field)
{
	struct mpn_worker_stats t;
	const uint64_t *v;
	unsigned int r;
	int rc = 0;

	mpn_app_total_counters(&t);
	v = (const uint64_t *)((const char *)&t + field);
	rte_tel_data_start_dict(d);
	for (r = 1; r < MPN_REASON_MAX; r++)
		add_u64(d, mpn_reason_name(r), v[r], &rc);
	return rc;
}

#define TEL_REASONS(fn, member) \
static int \
fn(const char *cmd, const char *params, struct rte_tel_data *d) \
{ \
	(void)cmd; \
	(void)params; \
	return tel_reasons(d, offsetof(struct mpn_worker_stats, member)); \
}
TEL_REASONS(tel_drops, drops)
TEL_REASONS(tel_rewrites, rewrites)
TEL_REASONS(tel_alerts, alerts)
TEL_REASONS(tel_monitored, monitored)

static int
tel_mptcp_options(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mpn_worker_stats t;
	unsigned int s;
	int rc = 0;

	(void)cmd;
	(void)params;
	mpn_app_total_counters(&t);
	rte_tel_data_start_dict(d);
	for (s = 0; s < 16; s++)
		add_u64(d, mpn_mptcp_subtype_name((uint8_t)s), t.mptcp_options[s], &rc);
	return rc;
}

/* `show ports`: port_N -> its counters (device names hold ':' and '.'). */
static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mpn_worker_stats t;
	unsigned int i;
	int rc = 0;

	(void)cmd;
	(void)params;
	mpn_app_total_counters(&t);
	rte_tel_data_start_dict(d);
	for (i = 0; i < mpn_app.ports.n && rc == 0; i++) {
		struct rte_eth_stats es;
		struct rte_tel_data *p;
		char key[32];

		if (!mpn_app.ports.in_use[i])
			continue;
		snprintf(key, sizeof(key), "port_%u", i);
		p = add_dict(d, key, &rc);
		if (p == NULL)
			break;
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(mpn_app.ports.port_id[i], &es);
		add_str(p, "name", mpn_app.cfg.ports[i].name, &rc);
		add_u64(p, "dpdk_port", mpn_app.ports.port_id[i], &rc);
		add_u64(p, "rx", t.port[i].rx, &rc);
		add_u64(p, "tx", t.port[i].tx, &rc);
		add_u64(p, "tx_drop", t.port[i].tx_dropped, &rc);
		add_u64(p, "imissed", es.imissed, &rc);
		add_u64(p, "rx_nombuf", es.rx_nombuf, &rc);
		add_u64(p, "ierrors", es.ierrors, &rc);
	}
	return rc;
}

/* `show workers` and `show runtime`: worker_N -> its counters. */
static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int i;
	int rc = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (i = 0; i < mpn_app.n_workers && rc == 0; i++) {
		struct mpn_worker_stats w;
		struct rte_tel_data *p;
		uint64_t pkts;
		char key[32];

		mpn_app_worker_counters(i, &w);
		snprintf(key, sizeof(key), "worker_%u", i);
		p = add_dict(d, key, &rc);
		if (p == NULL)
			break;
		pkts = w.rx + w.handoffs_in;
		add_u64(p, "lcore", mpn_app.workers[i].lcore, &rc);
		add_u64(p, "rx", w.rx, &rc);
		add_u64(p, "tx", w.tx, &rc);
		add_u64(p, "dropped", w.dropped, &rc);
		add_u64(p, "rewritten", w.rewritten, &rc);
		add_u64(p, "bursts", w.rx_bursts, &rc);
		add_u64(p, "handoff_out", w.handoffs_out, &rc);
		add_u64(p, "handoff_in", w.handoffs_in, &rc);
		add_u64(p, "polls", w.polls, &rc);
		add_u64(p, "busy_polls", w.busy_polls, &rc);
		add_u64(p, "busy_cycles", w.busy_cycles, &rc);
		add_u64(p, "idle_cycles", w.idle_cycles, &rc);
		/* Busy share in basis points: telemetry has no floats worth trusting. */
		add_u64(p, "busy_bp", w.busy_cycles + w.idle_cycles ? w.busy_cycles * 10000 /
			(w.busy_cycles + w.idle_cycles) : 0, &rc);
		add_u64(p, "cycles_per_pkt", pkts ? w.busy_cycles / pkts : 0, &rc);
		add_u64(p, "events_queued", mpn_events_counters(i)->queued, &rc);
		add_u64(p, "events_lost", mpn_events_counters(i)->lost, &rc);
	}
	return rc;
}

static int
tel_tracking(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct mpn_track_stats *per[MPN_MAX_WORKERS];
	static const struct mpn_track_stats none;
	struct mpn_track_stats total;
	unsigned int w, i, n = mpn_track_stats_count();
	int rc = 0;

	(void)cmd;
	(void)params;
	for (w = 0; w < mpn_app.n_workers; w++)
		per[w] = mpn_app.trackers[w] != NULL ? mpn_tracker_stats(mpn_app.trackers[w]) : &none;
	mpn_track_stats_sum(per, mpn_app.n_workers, &total);
	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		uint64_t v;
		const char *name = mpn_track_stats_get(&total, i, &v);

		if (name != NULL)
			add_u64(d, name, v, &rc);
	}
	return rc;
}

/* `show service-policy`: rule_ID -> class, tcp-map, counters since the reload. */
static int
tel_service_policy(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct mpn_rule_counters now[MPN_POLICY_RULE_IDS];
	const struct mpn_policy *p;
	unsigned int pm, i;
	int rc = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&mpn_app.policy_lock);
	p = mpn_policy_slot_get(&mpn_app.policy);
	/* Asked before the workers were set up. */
	if (p == NULL || mpn_app.rule_base == NULL) {
		pthread_mutex_unlock(&mpn_app.policy_lock);
		return -EAGAIN;
	}
	mpn_app_rule_totals(now);
	add_u64(d, "policy_generation", mpn_app.rules_generation, &rc);
	add_u64(d, "since", (uint64_t)mpn_app.rules_since, &rc);
	for (pm = 0; pm <= p->n_policy_maps && rc == 0; pm++) {
		unsigned int n = pm < p->n_policy_maps ? p->policy_maps[pm].n_rules : 1;

		for (i = 0; i < n && rc == 0; i++) {
			const struct mpn_policy_rule *r = pm < p->n_policy_maps ?
				&p->policy_maps[pm].rules[i] : &p->default_rule;
			uint16_t id = mpn_policy_rule_id(p, r);
			struct rte_tel_data *c;
			char key[32];

			snprintf(key, sizeof(key), "rule_%u", id);
			c = add_dict(d, key, &rc);
			if (c == NULL)
				break;
			add_str(c, "policy_map", pm < p->n_policy_maps ? p->policy_maps[pm].name : "-",
				&rc);
			add_str(c, "class", pm < p->n_policy_maps ? p->classes[r->class_idx].name :
				"class-default", &rc);
			add_str(c, "tcp_map", p->tcp_maps[r->tcp_map_idx].name, &rc);
			add_u64(c, "packets", now[id].pkts - mpn_app.rule_base[id].pkts, &rc);
			add_u64(c, "drops", now[id].drops - mpn_app.rule_base[id].drops, &rc);
			add_u64(c, "rewrites", now[id].rewrites - mpn_app.rule_base[id].rewrites, &rc);
		}
	}
	pthread_mutex_unlock(&mpn_app.policy_lock);
	return rc;
}

static int
tel_flow_export(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mpn_export *x = mpn_ops_exporter();
	int rc = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	add_u64(d, "enabled", x != NULL, &rc);
	add_u64(d, "events_drained", mpn_events_drained(), &rc);
	add_u64(d, "events_lost", mpn_events_lost_total(), &rc);
	if (x != NULL) {
		const struct mpn_export_stats *st = mpn_export_stats(x);
		unsigned int i;

		add_str(d, "state", mpn_export_state(x), &rc);
		add_u64(d, "queued_messages", mpn_export_pending(x), &rc);
		for (i = 0; i < mpn_export_stats_count(); i++) {
			uint64_t v;
			const char *name = mpn_export_stats_get(st, i, &v, NULL);

			add_u64(d, name, v, &rc);
		}
	}
	return rc;
}

static int
tel_logging(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mpn_logger *lg = mpn_ops_logger();
	const struct mpn_logmsg_stats *st;
	unsigned int m;
	int rc = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (lg == NULL)
		return -ENODEV;
	st = mpn_logger_stats(lg);
	add_u64(d, "messages", st->messages, &rc);
	add_u64(d, "suppressed", st->suppressed, &rc);
	add_u64(d, "below_level", st->below_level, &rc);
	for (m = 0; m < MPN_MSG_MAX; m++) {
		char key[48];

		snprintf(key, sizeof(key), "MPN_%u_%u", mpn_logmsg_severity(m), mpn_logmsg_number(m));
		add_u64(d, key, st->by_id[m], &rc);
	}
	return rc;
}

/*
 * `show mptcp interference` (doc/interference.md): "total", then one
 * dictionary per link and direction ("link_NAME_in2out"), then one per
 * class with any count ("rule_ID", since the reload), each of every
 * counter. Classes stop short of DPDK's dictionary limit.
 */
static int
tel_interference(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct mpn_intf_counters links[MPN_INTF_LINKS][2];
	static struct mpn_intf_counters cls[MPN_POLICY_RULE_IDS];
	struct mpn_intf_counters total;
	struct rte_tel_data *c;
	unsigned int l, dir, i, r, n = 0;
	char key[RTE_TEL_MAX_STRING_LEN], name[160];
	int rc = 0;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&mpn_app.policy_lock);
	mpn_intf_view_links(links);
	mpn_intf_view_classes(cls);
	memset(&total, 0, sizeof(total));
	for (l = 0; l < MPN_INTF_LINKS; l++)
		for (dir = 0; dir < 2; dir++)
			for (i = 0; i < MPN_INTF_MAX; i++)
				total.c[i] += links[l][dir].c[i];
	c = add_dict(d, "total", &rc);
	for (i = 0; c != NULL && i < MPN_INTF_MAX; i++)
		add_u64(c, mpn_intf_name(i), total.c[i], &rc);
	for (l = 0; l < mpn_app.cfg.n_links && l < MPN_INTF_LINKS && rc == 0; l++)
		for (dir = 0; dir < 2 && rc == 0; dir++) {
			snprintf(key, sizeof(key), "link_%s_%s", mpn_app.cfg.links[l].name,
				dir == MPN_DIR_IN2OUT ? "in2out" : "out2in");
			c = add_dict(d, key, &rc);
			for (i = 0; c != NULL && i < MPN_INTF_MAX; i++)
				add_u64(c, mpn_intf_name(i), links[l][dir].c[i], &rc);
		}
	for (r = 0; r < MPN_POLICY_RULE_IDS && rc == 0 &&
			n + 1 + 2 * MPN_INTF_LINKS < RTE_TEL_MAX_DICT_ENTRIES; r++) {
		bool any = false;

		for (i = 0; i < MPN_INTF_MAX; i++)
			any = any || cls[r].c[i] != 0;
		if (!any)
			continue;
		snprintf(key, sizeof(key), "rule_%u", r);
		c = add_dict(d, key, &rc);
		if (c == NULL)
			break;
		n++;
		mpn_app_rule_name((uint16_t)r, name, sizeof(name));
		add_str(c, "class", name, &rc);
		for (i = 0; i < MPN_INTF_MAX; i++)
			add_u64(c, mpn_intf_name(i), cls[r].c[i], &rc);
	}
	pthread_mutex_unlock(&mpn_app.policy_lock);
	return rc;
}

static const struct {
	const char *path;
	telemetry_cb fn;
	const char *help;
} endpoints[] = {
	{ "/mpnorm/stats", tel_stats, "Packet totals of mpnorm (show stats). No parameters" },
	{ "/mpnorm/drops", tel_drops, "Drops by reason (show asp drop). No parameters" },
	{ "/mpnorm/rewrites", tel_rewrites, "Rewrites by reason (show asp drop). No parameters" },
	{ "/mpnorm/alerts", tel_alerts, "Alerts by reason (show asp drop). No parameters" },
	{ "/mpnorm/monitored", tel_monitored,
		"What monitor classes would have done, by reason. No parameters" },
	{ "/mpnorm/mptcp_options", tel_mptcp_options, "MPTCP options seen by subtype. No parameters" },
	{ "/mpnorm/ports", tel_ports, "Per-port counters (show ports). No parameters" },
	{ "/mpnorm/workers", tel_workers,
		"Per-worker counters, busy share and cycles per packet (show workers, show runtime). "
		"No parameters" },
	{ "/mpnorm/tracking", tel_tracking, "Connection tracking counters (show tracking). "
		"No parameters" },
	{ "/mpnorm/interference", tel_interference, "Middlebox interference seen in MPTCP "
		"(show mptcp interference, doc/interference.md). No parameters" },
	{ "/mpnorm/service_policy", tel_service_policy,
		"Per-class counters since the last reload (show service-policy). No parameters" },
	{ "/mpnorm/flow_export", tel_flow_export,
		"Flow export and event ring counters (show flow-export). No parameters" },
	{ "/mpnorm/af_packet", tel_af_packet, "Kernel af_packet ring counters per port "
		"(kernel_rx, ring_drops). No parameters" },
	{ "/mpnorm/logging", tel_logging, "Log messages written and suppressed (show logging). "
		"No parameters" },
};

int
mpn_telemetry_register(void)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(endpoints); i++)
		if (rte_telemetry_register_cmd(endpoints[i].path, endpoints[i].fn,
				endpoints[i].help) != 0)
			return -1;
	return 0;
}
