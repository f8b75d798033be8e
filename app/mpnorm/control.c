/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands of the control socket. Each handler renders through the one
 * renderer, so `mpnormctl show drops` and `mpnormctl -j show drops` come from
 * the same code. Handlers run on the main lcore and never touch packets.
 */
#include <errno.h>
#include <inttypes.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_version.h>

#include "afpacket_stats.h"
#include "app.h"
#include "cli.h"
#include "cli_render.h"
#include "cluster.h"
#include "conn.h"
#include "mptcp.h"
#include "policy.h"

static int
cmd_show_version(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	(void)argc;
	(void)argv;
	mpn_render_str(ctx->r, "mpnorm", MPN_VERSION);
	mpn_render_str(ctx->r, "dpdk", rte_version());
	mpn_render_u64(ctx->r, "uptime_s", (uint64_t)(time(NULL) - mpn_app.started));
	mpn_render_str(ctx->r, "config", mpn_app.cfg.path);
	return 0;
}

static int
cmd_show_ports(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_worker_stats t;
	unsigned int i, n_afp = 0;

	(void)argc;
	(void)argv;
	mpn_app_total_counters(&t);

	mpn_render_table_begin(ctx->r, "ports", "port", "name", "dpdk", "driver", "link",
		"rx", "tx", "tx-drop", "imissed", "nombuf", "ierrors", "ring-drop", NULL);
	for (i = 0; i < mpn_app.ports.n; i++) {
		uint16_t pid = mpn_app.ports.port_id[i];
		struct rte_eth_dev_info info;
		struct rte_eth_link link;
		struct rte_eth_stats es;

		if (!mpn_app.ports.in_use[i])
			continue;
		memset(&info, 0, sizeof(info));
		memset(&link, 0, sizeof(link));
		memset(&es, 0, sizeof(es));
		rte_eth_dev_info_get(pid, &info);
		rte_eth_link_get_nowait(pid, &link);
		rte_eth_stats_get(pid, &es);
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, i);
		mpn_render_cell_str(ctx->r, mpn_app.cfg.ports[i].name);
		mpn_render_cell_u64(ctx->r, pid);
		mpn_render_cell_str(ctx->r, info.driver_name != NULL ? info.driver_name : "?");
		mpn_render_cell_str(ctx->r, link.link_status ? "up" : "down");
		mpn_render_cell_u64(ctx->r, t.port[i].rx);
		mpn_render_cell_u64(ctx->r, t.port[i].tx);
		mpn_render_cell_u64(ctx->r, t.port[i].tx_dropped);
		mpn_render_cell_u64(ctx->r, es.imissed);
		mpn_render_cell_u64(ctx->r, es.rx_nombuf);
		mpn_render_cell_u64(ctx->r, es.ierrors);
		{
			struct mpn_afpacket_ring_stats rs;

			/* null ("-" in text) where the port has no kernel ring */
			if (mpn_afpacket_stats_get(i, &rs)) {
				mpn_render_cell_u64(ctx->r, rs.drops);
				n_afp++;
			} else {
				mpn_render_cell_str(ctx->r, NULL);
			}
		}
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	if (n_afp == 0)
		return 0;
	/*
	 * DPDK 22.11's net_af_packet leaves imissed at 0: these are the
	 * kernel's own counters of the PMD's sockets (PACKET_STATISTICS).
	 */
	mpn_render_str(ctx->r, "ring-drop", "packets the kernel's af_packet ring dropped "
		"before mpnorm saw them (PACKET_STATISTICS of the PMD's sockets; "
		"net_af_packet's imissed stays 0)");
	mpn_render_table_begin(ctx->r, "af_packet_rings", "port", "name", "interface",
		"sockets", "kernel-rx", "ring-drop", NULL);
	for (i = 0; i < mpn_app.ports.n; i++) {
		struct mpn_afpacket_ring_stats rs;

		if (!mpn_app.ports.in_use[i] || !mpn_afpacket_stats_get(i, &rs))
			continue;
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, i);
		mpn_render_cell_str(ctx->r, mpn_app.cfg.ports[i].name);
		mpn_render_cell_str(ctx->r, rs.ifname);
		mpn_render_cell_u64(ctx->r, rs.sockets);
		mpn_render_cell_u64(ctx->r, rs.packets);
		mpn_render_cell_u64(ctx->r, rs.drops);
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

static int
cmd_show_links(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	const struct mpn_config *c = &mpn_app.cfg;
	unsigned int i;

	(void)argc;
	(void)argv;
	mpn_render_table_begin(ctx->r, "links", "link", "name", "inside", "outside", "kind", NULL);
	for (i = 0; i < c->n_links; i++) {
		const struct mpn_config_link *l = &c->links[i];

		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, i);
		mpn_render_cell_str(ctx->r, l->name);
		mpn_render_cell_str(ctx->r, c->ports[l->inside].name);
		mpn_render_cell_str(ctx->r, l->one_armed ? "-" : c->ports[l->outside].name);
		mpn_render_cell_str(ctx->r, l->one_armed ? "one-armed" : "pair");
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

/* A share in percent; NaN (rendered "-" or null) when there is nothing to share. */
static double
pct(uint64_t part, uint64_t whole)
{
	return whole == 0 ? NAN : 100.0 * (double)part / (double)whole;
}

/*
 * Per worker: counters, the share of flows the placement should give it
 * for each tuple set (computed at start-up over the RSS model or the
 * software owner hash), and the share of packets it really processed.
 * Expected is per flow, live per packet: one elephant flow skews the
 * second and not the first.
 */
static_assert(MPN_RSS_SET_MAX == 5, "show workers has one expected-% column per tuple set");

static int
cmd_show_workers(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_worker_stats w[MPN_MAX_WORKERS];
	uint64_t total_rx = 0;
	unsigned int i, s;

	(void)argc;
	(void)argv;
	mpn_render_str(ctx->r, "placement", mpn_app.placement_why);
	mpn_render_str(ctx->r, "owner", mpn_app.owner.mode == MPN_OWNER_HANDOFF ?
		"software hash (handoff)" : mpn_app.owner.mode == MPN_OWNER_RSS ?
		mpn_rss_func_name(mpn_app.owner.rss->func) : "where the packet arrives");
	mpn_render_u64(ctx->r, "expected_samples", mpn_app.expected_samples);
	for (i = 0; i < mpn_app.n_workers; i++) {
		mpn_app_worker_counters(i, &w[i]);
		total_rx += w[i].rx;
	}
	mpn_render_table_begin(ctx->r, "workers", "worker", "lcore", "queues", "rx", "tx",
		"dropped", "rewritten", "bursts", "handoff-out", "handoff-in", "expected-random-%",
		"expected-random-v6-%", "expected-cgnat-%", "expected-servers-%",
		"expected-lockstep-%", "live-%", NULL);
	for (i = 0; i < mpn_app.n_workers; i++) {
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, i);
		mpn_render_cell_u64(ctx->r, mpn_app.workers[i].lcore);
		mpn_render_cell_u64(ctx->r, mpn_app.workers[i].n_rxq);
		mpn_render_cell_u64(ctx->r, w[i].rx);
		mpn_render_cell_u64(ctx->r, w[i].tx);
		mpn_render_cell_u64(ctx->r, w[i].dropped);
		mpn_render_cell_u64(ctx->r, w[i].rewritten);
		mpn_render_cell_u64(ctx->r, w[i].rx_bursts);
		mpn_render_cell_u64(ctx->r, w[i].handoffs_out);
		mpn_render_cell_u64(ctx->r, w[i].handoffs_in);
		/* Same order as enum mpn_rss_set (one column per set). */
		for (s = 0; s < MPN_RSS_SET_MAX; s++)
			mpn_render_cell_f64(ctx->r, mpn_app.expected_known ?
				pct(mpn_app.expected[s][i], mpn_app.expected_samples) : NAN);
		mpn_render_cell_f64(ctx->r, pct(w[i].rx, total_rx));
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

static int
cmd_show_stats(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_worker_stats t;
	unsigned int s;

	(void)argc;
	(void)argv;
	mpn_app_total_counters(&t);
	mpn_render_u64(ctx->r, "packets_in", t.rx);
	mpn_render_u64(ctx->r, "packets_out", t.tx);
	mpn_render_u64(ctx->r, "packets_dropped", t.dropped);
	mpn_render_u64(ctx->r, "packets_rewritten", t.rewritten);
	mpn_render_u64(ctx->r, "packets_non_tcp", t.non_tcp);
	mpn_render_u64(ctx->r, "reloads", mpn_stats_read(&mpn_app.reloads_ok));
	mpn_render_u64(ctx->r, "reloads_failed", mpn_stats_read(&mpn_app.reloads_failed));
	mpn_render_section_begin(ctx->r, "mptcp_options");
	for (s = 0; s < 16; s++) {
		const char *n = mpn_mptcp_subtype_name((uint8_t)s);

		if (t.mptcp_options[s] > 0 || s <= 8)
			mpn_render_u64(ctx->r, n, t.mptcp_options[s]);
	}
	mpn_render_section_end(ctx->r);
	return 0;
}

/* `show asp drop`, extended: what was dropped, rewritten, flagged, or would have been. */
static int
cmd_show_drops(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_worker_stats t;
	unsigned int r;

	(void)argc;
	(void)argv;
	mpn_app_total_counters(&t);
	mpn_render_table_begin(ctx->r, "reasons", "reason", "dropped", "rewritten", "alerted",
		"monitored", NULL);
	for (r = 1; r < MPN_REASON_MAX; r++) {
		if (t.drops[r] == 0 && t.rewrites[r] == 0 && t.alerts[r] == 0 &&
				t.monitored[r] == 0)
			continue;
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_str(ctx->r, mpn_reason_name(r));
		mpn_render_cell_u64(ctx->r, t.drops[r]);
		mpn_render_cell_u64(ctx->r, t.rewrites[r]);
		mpn_render_cell_u64(ctx->r, t.alerts[r]);
		mpn_render_cell_u64(ctx->r, t.monitored[r]);
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

static void
render_tcp_map(struct mpn_render *r, const struct mpn_tcp_map *m)
{
	static const char *const subtypes[16] = {
		"mp-capable", "mp-join", "dss", "add-addr", "remove-addr", "mp-prio", "mp-fail",
		"mp-fastclose", "mp-tcprst", NULL, NULL, NULL, NULL, NULL, NULL, "private",
	};
	char ranges[512] = "";
	size_t used = 0;
	unsigned int k, s;

	/* The option actions as ASA-style ranges: "6-7 clear, 9-29 clear, 30 allow, ..." */
	for (k = 6; k < 256 && used < sizeof(ranges); k++) {
		unsigned int e = k;

		if (k == 8)
			continue;
		while (e + 1 < 256 && e + 1 != 8 && m->option_action[e + 1] == m->option_action[k])
			e++;
		if (e == k)
			used += snprintf(ranges + used, sizeof(ranges) - used, "%s%u %s",
				used ? ", " : "", k, mpn_action_name(m->option_action[k]));
		else
			used += snprintf(ranges + used, sizeof(ranges) - used, "%s%u-%u %s",
				used ? ", " : "", k, e, mpn_action_name(m->option_action[k]));
		k = e;
	}
	mpn_render_section_begin(r, m->name);
	mpn_render_str(r, "tcp-options range", ranges);
	mpn_render_str(r, "selective-ack", mpn_action_name(m->option_action[4]));
	mpn_render_str(r, "timestamp", mpn_action_name(m->option_action[8]));
	mpn_render_str(r, "window-scale", mpn_action_name(m->option_action[3]));
	mpn_render_str(r, "syn-data", mpn_action_name(m->syn_data));
	mpn_render_str(r, "synack-data", mpn_action_name(m->synack_data));
	mpn_render_str(r, "reserved-bits", mpn_action_name(m->reserved_bits));
	mpn_render_str(r, "urgent-flag", mpn_action_name(m->urgent_flag));
	mpn_render_bool(r, "checksum-verification", m->checksum_verification);
	mpn_render_str(r, "exceed-mss", mpn_action_name(m->exceed_mss));
	mpn_render_str(r, "invalid-ack", mpn_action_name(m->invalid_ack));
	mpn_render_str(r, "seq-past-window", mpn_action_name(m->seq_past_window));
	mpn_render_str(r, "window-variation", mpn_action_name(m->window_variation));
	mpn_render_bool(r, "ttl-evasion-protection", m->ttl_evasion_protection);
	mpn_render_u64(r, "mss-clamp", m->mss_clamp);
	mpn_render_section_begin(r, "mptcp");
	mpn_render_str(r, "mode", mpn_mptcp_mode_name(m->mptcp.mode));
	mpn_render_str(r, "join", mpn_join_policy_name(m->mptcp.join));
	mpn_render_u64(r, "subflow-limit", m->mptcp.subflow_limit);
	mpn_render_str(r, "malformed", mpn_action_name(m->mptcp.malformed));
	for (s = 0; s < 16; s++)
		if (subtypes[s] != NULL)
			mpn_render_str(r, subtypes[s], mpn_action_name(m->mptcp.subtype_action[s]));
	mpn_render_str(r, "unknown", mpn_action_name(m->mptcp.subtype_action[9]));
	mpn_render_bool(r, "addresses-restricted", m->mptcp.add_addr.restricted);
	mpn_render_section_end(r);
	mpn_render_section_end(r);
}

static int
cmd_show_tcp_map(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	const struct mpn_policy *p = mpn_policy_slot_get(&mpn_app.policy);
	unsigned int i;
	int idx;

	/*
	 * The main lcore is not an RCU reader: a reload runs on this same
	 * thread, so the policy cannot be freed while this handler reads it.
	 */
	if (argc == 1) {
		idx = mpn_policy_tcp_map_index(p, argv[0]);
		if (idx < 0)
			return mpn_cli_error(ctx, "no tcp-map named '%s'", argv[0]);
		render_tcp_map(ctx->r, &p->tcp_maps[idx]);
		return 0;
	}
	for (i = 0; i < p->n_tcp_maps; i++)
		render_tcp_map(ctx->r, &p->tcp_maps[i]);
	return 0;
}

static const char *
dir_name(enum mpn_dir_match d)
{
	return d == MPN_DIR_MATCH_IN2OUT ? "inside-outside" :
		d == MPN_DIR_MATCH_OUT2IN ? "outside-inside" : "any";
}

static int
cmd_show_policy(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	const struct mpn_policy *p = mpn_policy_slot_get(&mpn_app.policy);
	unsigned int i, j;

	(void)argc;
	(void)argv;
	mpn_render_str(ctx->r, "service-policy global",
		p->global_policy_map >= 0 ? p->policy_maps[p->global_policy_map].name : "(none)");
	mpn_render_u64(ctx->r, "generation", mpn_app.policy.generation);
	mpn_render_table_begin(ctx->r, "bindings", "link", "direction", "policy-map", NULL);
	for (i = 0; i < p->n_bindings; i++) {
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_str(ctx->r, mpn_app.cfg.links[p->bindings[i].link].name);
		mpn_render_cell_str(ctx->r, dir_name(p->bindings[i].dir));
		mpn_render_cell_str(ctx->r, p->policy_maps[p->bindings[i].policy_map_idx].name);
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	mpn_render_table_begin(ctx->r, "rules", "policy-map", "order", "class", "tcp-map",
		"inspect", "tcp-state-bypass", "monitor", NULL);
	for (i = 0; i < p->n_policy_maps; i++) {
		for (j = 0; j < p->policy_maps[i].n_rules; j++) {
			const struct mpn_policy_rule *r = &p->policy_maps[i].rules[j];

			mpn_render_row_begin(ctx->r);
			mpn_render_cell_str(ctx->r, p->policy_maps[i].name);
			mpn_render_cell_u64(ctx->r, j + 1);
			mpn_render_cell_str(ctx->r, p->classes[r->class_idx].name);
			mpn_render_cell_str(ctx->r, p->tcp_maps[r->tcp_map_idx].name);
			mpn_render_cell_bool(ctx->r, r->inspect);
			mpn_render_cell_bool(ctx->r, r->tcp_state_bypass);
			mpn_render_cell_bool(ctx->r, r->monitor);
			mpn_render_row_end(ctx->r);
		}
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

static int
cmd_show_config(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	const struct mpn_config *c = &mpn_app.cfg;
	char mode[8];

	(void)argc;
	(void)argv;
	mpn_render_str(ctx->r, "file", c->path);
	mpn_render_section_begin(ctx->r, "dataplane");
	mpn_render_u64(ctx->r, "workers", c->dataplane.workers);
	mpn_render_u64(ctx->r, "burst", c->dataplane.burst);
	mpn_render_u64(ctx->r, "rx_desc", c->dataplane.rx_desc);
	mpn_render_u64(ctx->r, "tx_desc", c->dataplane.tx_desc);
	mpn_render_u64(ctx->r, "mbufs", c->dataplane.mbufs);
	mpn_render_u64(ctx->r, "mbuf_cache", c->dataplane.mbuf_cache);
	mpn_render_section_end(ctx->r);
	mpn_render_section_begin(ctx->r, "control");
	mpn_render_str(ctx->r, "socket", c->control.socket);
	snprintf(mode, sizeof(mode), "%04o", c->control.mode);
	mpn_render_str(ctx->r, "mode", mode);
	mpn_render_str(ctx->r, "group", c->control.group);
	mpn_render_section_end(ctx->r);
	mpn_render_u64(ctx->r, "ports", c->n_ports);
	mpn_render_u64(ctx->r, "links", c->n_links);
	mpn_render_u64(ctx->r, "reloads", mpn_stats_read(&mpn_app.reloads_ok));
	mpn_render_u64(ctx->r, "reloads_failed", mpn_stats_read(&mpn_app.reloads_failed));
	mpn_render_str(ctx->r, "last_reload_error", mpn_app.last_reload_error);
	return 0;
}

static int
cmd_clear_counters(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	unsigned int i;

	(void)argc;
	(void)argv;
	/* The workers keep writing; the telemetry thread reads the baseline. */
	for (i = 0; i < mpn_app.n_workers; i++)
		mpn_stats_copy(&mpn_app.baseline[i], &mpn_app.stats[i]);
	mpn_afpacket_stats_clear();
	mpn_render_str(ctx->r, "result", "counters cleared");
	return 0;
}

static int
cmd_reload(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	char msg[600];

	(void)argc;
	(void)argv;
	if (mpn_app_reload(msg, sizeof(msg)) != 0)
		return mpn_cli_error(ctx, "%s", msg);
	mpn_render_str(ctx->r, "result", msg);
	mpn_render_u64(ctx->r, "generation", mpn_app.policy.generation);
	return 0;
}

static int
cmd_set_log_level(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	static const char *const names[] = {
		NULL, "emergency", "alert", "critical", "error", "warning", "notice", "info", "debug",
	};
	unsigned int l;

	(void)argc;
	for (l = 1; l < RTE_DIM(names); l++) {
		if (strcmp(argv[0], names[l]) == 0) {
			rte_log_set_global_level(l);
			mpn_render_str(ctx->r, "log-level", names[l]);
			return 0;
		}
	}
	return mpn_cli_error(ctx, "unknown level '%s': use emergency, alert, critical, error, "
		"warning, notice, info or debug", argv[0]);
}

/*
 * trace N arms the workers for the next N packets, in total; `show trace`
 * prints what they recorded. (Replies are synchronous: the socket must keep
 * serving other clients while the packets come.)
 */
static int
cmd_trace(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	uint64_t n;
	unsigned int w;

	(void)argc;
	if (mpn_cli_parse_u64(argv[0], 10, MPN_TRACE_MAX, &n) != 0 || n == 0)
		return mpn_cli_error(ctx, "trace N: N is 1 to %d", MPN_TRACE_MAX);
	for (w = 0; w < mpn_app.n_workers; w++)
		__atomic_store_n(&mpn_app.workers[w].pipeline.trace_remaining, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&mpn_app.trace_next, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&mpn_app.trace_armed, (uint32_t)n, __ATOMIC_RELEASE);
	/* Each worker may see up to N; the shared slot counter keeps the total at N. */
	for (w = 0; w < mpn_app.n_workers; w++)
		__atomic_store_n(&mpn_app.workers[w].pipeline.trace_remaining, (uint32_t)n,
			__ATOMIC_RELEASE);
	mpn_render_u64(ctx->r, "armed", n);
	mpn_render_str(ctx->r, "result", "tracing; read it with 'show trace'");
	return 0;
}

static int
cmd_show_trace(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	uint32_t n = __atomic_load_n(&mpn_app.trace_next, __ATOMIC_ACQUIRE);
	uint32_t armed = __atomic_load_n(&mpn_app.trace_armed, __ATOMIC_ACQUIRE);
	uint32_t i;

	(void)argc;
	(void)argv;
	if (n > armed)
		n = armed;
	mpn_render_u64(ctx->r, "armed", armed);
	mpn_render_u64(ctx->r, "captured", n);
	mpn_render_table_begin(ctx->r, "packets", "n", "packet", NULL);
	for (i = 0; i < n; i++) {
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, i + 1);
		mpn_render_cell_str(ctx->r, mpn_app.trace[i].line);
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

/*
 * Read the token table as the control thread's RCU reader (thread id
 * n_workers): online for the scan only, offline again before returning to
 * poll(), so waiting for the next command never delays a grace period
 * (conn.h, "RCU and pool policy").
 */
static void
conn_foreach(void (*cb)(const struct mpn_conn *c, void *arg), void *arg)
{
	if (mpn_app.conns == NULL)   /* tables.tracking = off */
		return;
	mpn_conn_table_online(mpn_app.conns, mpn_app.n_workers);
	mpn_conn_table_foreach(mpn_app.conns, cb, arg);
	mpn_conn_table_offline(mpn_app.conns, mpn_app.n_workers);
}

/* Arguments of `show connections|subflows`: [token HEX] [limit N]. */
struct conn_filter {
	bool by_token;
	uint32_t token;
	uint64_t limit;
	uint64_t shown;
	struct mpn_render *r;
};

static int
parse_conn_filter(struct mpn_cli_ctx *ctx, int argc, const char *const *argv,
	struct conn_filter *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->limit = UINT64_MAX;
	f->r = ctx->r;
	for (i = 0; i < argc; i += 2) {
		uint64_t v;

		if (i + 1 >= argc)
			return mpn_cli_usage_error(ctx);
		if (strcmp(argv[i], "token") == 0) {
			const char *h = argv[i + 1];

			if (strncmp(h, "0x", 2) == 0)
				h += 2;
			if (mpn_cli_parse_u64(h, 16, UINT32_MAX, &v) != 0)
				return mpn_cli_error(ctx, "token is 8 hex digits, e.g. 4951d561");
			f->by_token = true;
			f->token = (uint32_t)v;
		} else if (strcmp(argv[i], "limit") == 0) {
			if (mpn_cli_parse_u64(argv[i + 1], 10, UINT32_MAX, &v) != 0)
				return mpn_cli_error(ctx, "limit is a number");
			f->limit = v;
		} else {
			return mpn_cli_usage_error(ctx);
		}
	}
	return 0;
}

static bool
conn_selected(struct conn_filter *f, const struct mpn_conn *c)
{
	if (f->by_token && c->token_a != f->token && c->token_b != f->token)
		return false;
	if (f->shown >= f->limit)
		return false;
	f->shown++;
	return true;
}

static unsigned int
conn_subflows(const struct mpn_conn *c)
{
	struct mpn_conn_subflow sf;
	unsigned int i, n = 0;

	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++)
		n += mpn_conn_subflow_read(c, i, &sf);
	return n;
}

static void
row_connection(const struct mpn_conn *c, void *arg)
{
	struct conn_filter *f = arg;
	struct mpn_render *r = f->r;
	struct mpn_conn_counts tot;

	if (!conn_selected(f, c))
		return;
	mpn_render_row_begin(r);
	mpn_render_cell_fmt(r, "0x%08x", c->token_a);
	mpn_render_cell_fmt(r, "0x%08x", c->token_b);
	mpn_render_cell_u64(r, c->version);
	mpn_render_cell_str(r, mpn_conn_state_name(c));
	mpn_render_cell_str(r, mpn_flow_decision_name(c->decision));
	mpn_render_cell_u64(r, conn_subflows(c));
	mpn_conn_totals(c, &tot);
	mpn_render_cell_u64(r, tot.pkts);
	mpn_render_cell_u64(r, tot.bytes);
	mpn_render_cell_u64(r, tot.drops);
	mpn_render_cell_u64(r, __atomic_load_n(&c->joins_ok, __ATOMIC_RELAXED));
	mpn_render_cell_u64(r, __atomic_load_n(&c->joins_bad, __ATOMIC_RELAXED));
	/* Learned from a handshake seen here, or fetched from the token directory. */
	mpn_render_cell_str(r, c->remote ? "remote" : "local");
	mpn_render_row_end(r);
}

/* ASA's `show conn`, for MPTCP: one row per connection, A = the client. */
static int
cmd_show_connections(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct conn_filter f;

	if (parse_conn_filter(ctx, argc, argv, &f) != 0)
		return -1;
	mpn_render_u64(ctx->r, "connections", mpn_app.conns != NULL ?
		mpn_conn_table_count(mpn_app.conns) : 0);
	/*
	 * Never the keys (RFC 7430 §3: whoever reads them can forge joins);
	 * the tokens are their fingerprints.
	 */
	mpn_render_table_begin(ctx->r, "connection", "token_a", "token_b", "version", "state",
		"decision", "subflows", "pkts", "bytes", "drops", "joins_ok", "joins_bad", "origin",
		NULL);
	conn_foreach(row_connection, &f);
	mpn_render_table_end(ctx->r);
	return 0;
}

static void
rows_subflows(const struct mpn_conn *c, void *arg)
{
	struct conn_filter *f = arg;
	struct mpn_conn_subflow sf;
	unsigned int i;

	if (!conn_selected(f, c))
		return;
	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++) {
		char a[64], b[64];

		if (!mpn_conn_subflow_read(c, i, &sf))
			continue;
		mpn_conn_endpoint_str(a, sizeof(a), sf.family, sf.src, sf.sport);
		mpn_conn_endpoint_str(b, sizeof(b), sf.family, sf.dst, sf.dport);
		mpn_render_row_begin(f->r);
		mpn_render_cell_fmt(f->r, "0x%08x", c->token_b);
		mpn_render_cell_str(f->r, a);
		mpn_render_cell_str(f->r, b);
		mpn_render_cell_str(f->r, mpn_flow_role_name(sf.role));
		mpn_render_cell_str(f->r, mpn_tcp_state_name(sf.tcp_state));
		mpn_render_cell_str(f->r, sf.role == 0 ? "-" : mpn_join_state_name(sf.join_state));
		mpn_render_cell_u64(f->r, sf.pkts);
		mpn_render_cell_u64(f->r, sf.bytes);
		mpn_render_cell_u64(f->r, sf.drops);
		mpn_render_row_end(f->r);
	}
}

static int
cmd_show_subflows(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct conn_filter f;

	if (parse_conn_filter(ctx, argc, argv, &f) != 0)
		return -1;
	mpn_render_table_begin(ctx->r, "subflows", "token_b", "initiator", "responder", "role",
		"state", "join", "pkts", "bytes", "drops", NULL);
	conn_foreach(rows_subflows, &f);
	mpn_render_table_end(ctx->r);
	return 0;
}

static int
cmd_show_tracking(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	static struct mpn_track_stats copy[MPN_MAX_WORKERS];
	const struct mpn_track_stats *per[MPN_MAX_WORKERS];
	struct mpn_track_stats total;
	unsigned int w, i, n = mpn_track_stats_count();

	(void)argc;
	(void)argv;
	/* Each worker writes its own; read them as atomics before summing. */
	for (w = 0; w < mpn_app.n_workers; w++) {
		if (mpn_app.trackers[w] == NULL) {
			memset(&copy[w], 0, sizeof(copy[w]));
		} else {
			mpn_stats_copy_u64((uint64_t *)&copy[w],
				(const uint64_t *)mpn_tracker_stats(mpn_app.trackers[w]),
				sizeof(copy[w]) / sizeof(uint64_t));
		}
		per[w] = &copy[w];
	}
	mpn_track_stats_sum(per, mpn_app.n_workers, &total);
	for (i = 0; i < n; i++) {
		uint64_t v;
		const char *name = mpn_track_stats_get(&total, i, &v);

		if (name != NULL)
			mpn_render_u64(ctx->r, name, v);
	}
	return 0;
}

/*
 * The token table's RCU readers and pool: who may hold records now, and
 * how many records wait for a grace period. A reader stuck online shows
 * here as a growing `deferred`.
 */
static int
cmd_show_rcu(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_conn_table *ct = mpn_app.conns;
	unsigned int t;

	(void)argc;
	(void)argv;
	if (ct == NULL)
		return mpn_cli_error(ctx, "connection tracking is off (tables.tracking)");
	mpn_render_u64(ctx->r, "capacity", mpn_conn_table_capacity(ct));
	mpn_render_u64(ctx->r, "live", mpn_conn_table_count(ct));
	mpn_render_u64(ctx->r, "free", mpn_conn_table_pool_free(ct));
	mpn_render_u64(ctx->r, "deferred", mpn_conn_table_deferred(ct));
	mpn_render_table_begin(ctx->r, "readers", "thread", "role", "state", NULL);
	for (t = 0; t <= mpn_app.n_workers; t++) {
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, t);
		if (t < mpn_app.n_workers)
			mpn_render_cell_fmt(ctx->r, "worker %u", t);
		else
			mpn_render_cell_str(ctx->r, "control");
		/* This command reads no record: the control thread is offline here. */
		mpn_render_cell_str(ctx->r, mpn_conn_table_reader_online(ct, t) == 1 ?
			"online" : "offline");
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

/* The shared token directory (doc/cluster.md): state, counters, latency; no secret. */
static int
cmd_show_cluster(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	(void)argc;
	(void)argv;
	mpn_cluster_render(mpn_app.cluster, ctx->r);
	if (mpn_app.cluster != NULL) {
		mpn_render_u64(ctx->r, "republished", mpn_app_cluster_republished());
		mpn_app_cluster_render_lookup(ctx->r);
	}
	return 0;
}

/* Ask the directory for one token's record; the answer shows in `show cluster`. */
static int
cmd_cluster_lookup(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	const char *h = argv[0];
	uint64_t v;
	int rc;

	(void)argc;
	if (strncmp(h, "0x", 2) == 0)
		h += 2;
	if (mpn_cli_parse_u64(h, 16, UINT32_MAX, &v) != 0)
		return mpn_cli_error(ctx, "token is 8 hex digits, e.g. 4951d561");
	rc = mpn_app_cluster_lookup((uint32_t)v);
	if (rc == -ENODEV)
		return mpn_cli_error(ctx, "no 'cluster' section in the configuration");
	if (rc != 0)
		return mpn_cli_error(ctx, "the directory cannot take the request: %s",
			rc == -ENOTCONN ? "not connected to the store" : "its request ring is full");
	mpn_render_str(ctx->r, "result", "asked; the answer shows in 'show cluster'");
	return 0;
}

static const struct mpn_cli_command commands[] = {
	{ "show connections", "[token HEX] [limit N]", 0, 4, cmd_show_connections,
		"MPTCP connections: tokens, subflows, counters (show conn)", NULL },
	{ "show subflows", "[token HEX] [limit N]", 0, 4, cmd_show_subflows,
		"the subflows of each MPTCP connection, with join verdicts", NULL },
	{ "show rcu", "", 0, 0, cmd_show_rcu,
		"token table readers (online/offline) and records waiting for reclaim", NULL },
	{ "show tracking", "", 0, 0, cmd_show_tracking,
		"connection tracking counters: joins, evictions, stateful checks", NULL },
	{ "show cluster", "", 0, 0, cmd_show_cluster,
		"the shared token directory: store state, published, fetched, hits, latency", NULL },
	{ "cluster lookup", "TOKEN", 1, 1, cmd_cluster_lookup,
		"ask the token directory for a record (no keys shown): see show cluster", NULL },
	{ "show version", "", 0, 0, cmd_show_version, "version, uptime and config file", NULL },
	{ "show ports", "", 0, 0, cmd_show_ports, "per-port counters and NIC statistics", NULL },
	{ "show links", "", 0, 0, cmd_show_links, "links and their ports", NULL },
	{ "show workers", "", 0, 0, cmd_show_workers,
		"per-worker counters, expected and live share of the traffic", NULL },
	{ "show stats", "", 0, 0, cmd_show_stats, "packet totals and MPTCP options seen", NULL },
	{ "show drops", "", 0, 0, cmd_show_drops,
		"drops, rewrites, alerts and monitored events by reason (show asp drop)", NULL },
	{ "show tcp-map", "[NAME]", 0, 1, cmd_show_tcp_map, "tcp-map knobs", NULL },
	{ "show policy", "", 0, 0, cmd_show_policy, "service-policy, policy-maps and classes", NULL },
	{ "show config", "", 0, 0, cmd_show_config, "the running configuration", NULL },
	{ "show trace", "", 0, 0, cmd_show_trace, "packets recorded by the last 'trace N'", NULL },
	{ "clear counters", "", 0, 0, cmd_clear_counters, "zero every counter shown", NULL },
	{ "reload", "", 0, 0, cmd_reload,
		"re-read the config file; keep the running policy if it has an error", NULL },
	{ "set log-level", "LEVEL", 1, 1, cmd_set_log_level,
		"emergency|alert|critical|error|warning|notice|info|debug", NULL },
	{ "trace", "N", 1, 1, cmd_trace, "record the next N packets with verdict and changes",
		NULL },
};

int
mpn_control_register(void)
{
	return mpn_cli_register_all(commands, RTE_DIM(commands));
}
