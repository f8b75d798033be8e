/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands of the control socket. Each handler renders through the one
 * renderer, so `mpnormctl show drops` and `mpnormctl -j show drops` come from
 * the same code. Handlers run on the main lcore and never touch packets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_version.h>

#include "afpacket_stats.h"
#include "app.h"
#include "cli.h"
#include "cli_render.h"
#include "cluster.h"
#include "conn.h"
#include "events.h"
#include "intf_view.h"
#include "export.h"
#include "logmsg.h"
#include "mailbox.h"
#include "mptcp.h"
#include "ops.h"
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
	mpn_render_str(r, "join-refuse-action",
		mpn_join_refuse_action_name(m->mptcp.join_refuse_action));
	mpn_render_u64(r, "join-refuse-rate", m->mptcp.join_refuse_rate);
	mpn_render_u64(r, "join-rate-limit", m->mptcp.join_rate_limit);
	mpn_render_u64(r, "add-addr-limit", m->mptcp.add_addr_limit);
	mpn_render_str(r, "join-early", m->mptcp.join_early_drop ? "drop" : "allow");
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

/* A class's MPTCP version criterion: "any", "0", "1" or "0,1". */
static const char *
class_versions(uint8_t v)
{
	static const char *const names[] = { "any", "0", "1", "0,1" };

	return names[v & 3];
}

/* A class's subtypes, "any" for none listed ("unknown" stands for 9-14). */
static void
class_subtypes(uint16_t bits, char *buf, size_t n)
{
	size_t used = 0;
	unsigned int st;

	buf[0] = '\0';
	if (bits == 0) {
		snprintf(buf, n, "any");
		return;
	}
	for (st = 0; st < 16 && used < n; st++) {
		if (!(bits & (1u << st)) || (st > 9 && st < 15))
			continue;
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "",
			mpn_mptcp_subtype_name((uint8_t)st));
	}
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
	/* The MPTCP criteria of each class (issue 16); a subtype class takes single segments. */
	mpn_render_table_begin(ctx->r, "classes", "class", "mptcp", "mptcp-version",
		"mptcp-c-flag", "mptcp-subtype", "scope", NULL);
	for (i = 0; i < p->n_classes; i++) {
		static const char *const present[] = { "any", "present", "absent" };
		static const char *const cflag[] = { "any", "set", "clear" };
		const struct mpn_class_map *c = &p->classes[i];
		char st[160];

		class_subtypes(c->mptcp_subtypes, st, sizeof(st));
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_str(ctx->r, c->name);
		mpn_render_cell_str(ctx->r, present[c->mptcp]);
		mpn_render_cell_str(ctx->r, class_versions(c->mptcp_versions));
		mpn_render_cell_str(ctx->r, cflag[c->mptcp_c_flag]);
		mpn_render_cell_str(ctx->r, st);
		mpn_render_cell_str(ctx->r, mpn_class_is_segment_level(c) ? "segment" : "connection");
		mpn_render_row_end(ctx->r);
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
	mpn_intf_view_clear_links();
	mpn_app_rules_snapshot();
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

/*
 * ASA `show conn` / `clear conn` filters: address A, port P, token T (and
 * limit N for show). Anything else is an error naming what was wrong.
 */
static int
parse_asa_conn_filter(struct mpn_cli_ctx *ctx, int argc, const char *const *argv, bool allow_limit,
	struct mpn_conn_filter *f, uint64_t *limit)
{
	int i;

	memset(f, 0, sizeof(*f));
	if (limit != NULL)
		*limit = 10000;
	for (i = 0; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;

		if (strcmp(k, "all") == 0 && !allow_limit && argc == 1)
			return 0;
		if (v == NULL)
			return mpn_cli_error(ctx, "'%s' needs a value (usage: %s %s)", k,
				ctx->cmd->path, ctx->cmd->usage);
		if (strcmp(k, "address") == 0) {
			if (inet_pton(AF_INET, v, f->addr) == 1) {
				f->family = 4;
			} else if (inet_pton(AF_INET6, v, f->addr) == 1) {
				f->family = 6;
			} else {
				return mpn_cli_error(ctx, "address '%s' is not an IPv4 or IPv6 address", v);
			}
			f->by_addr = true;
		} else if (strcmp(k, "port") == 0) {
			if (mpn_cli_parse_u64(v, 10, 65535, &x) != 0)
				return mpn_cli_error(ctx, "port '%s' is not a number from 0 to 65535", v);
			f->by_port = true;
			f->port = (uint16_t)x;
		} else if (strcmp(k, "token") == 0) {
			if (mpn_cli_parse_u64(v, 16, UINT32_MAX, &x) != 0)
				return mpn_cli_error(ctx, "token '%s' is not 8 hex digits, e.g. 4951d561", v);
			f->by_token = true;
			f->token = (uint32_t)x;
		} else if (strcmp(k, "limit") == 0 && allow_limit) {
			if (mpn_cli_parse_u64(v, 10, 1000000, &x) != 0 || x == 0)
				return mpn_cli_error(ctx, "limit '%s' is not a number from 1 to 1000000", v);
			*limit = x;
		} else {
			return mpn_cli_error(ctx, "unknown filter '%s' (usage: %s %s)", k,
				ctx->cmd->path, ctx->cmd->usage);
		}
	}
	return 0;
}

static void
endpoint(char *buf, size_t n, uint8_t family, const uint8_t *a, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip));
	snprintf(buf, n, family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static const char *
mailbox_error(int rc)
{
	return rc == -ETIMEDOUT ? "a worker did not answer within 2 s (is it stalled?)" :
		rc == -EBUSY ? "a worker is still serving an earlier request that timed out; "
		"try again" : "out of memory";
}

/*
 * ASA's `show conn`: every TCP connection the workers track, plain TCP
 * included, MPTCP subflows marked with their token and role. Never a key
 * (RFC 7430 §3): tokens are the keys' fingerprints.
 */
static int
cmd_show_conn(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_conn_filter f;
	struct mpn_conn_row *rows;
	uint64_t limit, matched;
	uint32_t n, i;
	int rc;

	if (parse_asa_conn_filter(ctx, argc, argv, true, &f, &limit) != 0)
		return -1;
	rc = mpn_mailbox_show(&f, (uint32_t)limit, 2000, &rows, &n, &matched);
	if (rc != 0 && rc != -ETIMEDOUT) {
		free(rows);
		return mpn_cli_error(ctx, "%s", mailbox_error(rc));
	}
	mpn_render_u64(ctx->r, "connections", matched);
	mpn_render_u64(ctx->r, "shown", n);
	if (rc == -ETIMEDOUT)
		mpn_render_str(ctx->r, "warning", mailbox_error(rc));
	if (!mpn_app.cfg.tables.tracking)
		mpn_render_str(ctx->r, "warning", "tables.tracking is off: nothing is tracked");
	mpn_render_table_begin(ctx->r, "conn", "proto", "link", "initiator", "responder", "state",
		"idle_ms", "pkts", "bytes", "drops", "token", "role", "join", "decision", "worker",
		NULL);
	for (i = 0; i < n; i++) {
		const struct mpn_conn_row *c = &rows[i];
		char a[64], b[64];

		endpoint(a, sizeof(a), c->family, c->src, c->sport);
		endpoint(b, sizeof(b), c->family, c->dst, c->dport);
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_str(ctx->r, c->mptcp ? "MPTCP" : "TCP");
		mpn_render_cell_str(ctx->r, c->link < mpn_app.cfg.n_links ?
			mpn_app.cfg.links[c->link].name : "?");
		mpn_render_cell_str(ctx->r, a);
		mpn_render_cell_str(ctx->r, b);
		mpn_render_cell_str(ctx->r, mpn_tcp_state_name(c->state));
		mpn_render_cell_u64(ctx->r, c->idle_ms);
		mpn_render_cell_u64(ctx->r, c->pkts[0] + c->pkts[1]);
		mpn_render_cell_u64(ctx->r, c->bytes[0] + c->bytes[1]);
		mpn_render_cell_u64(ctx->r, c->drops);
		if (c->token_b != 0)
			mpn_render_cell_fmt(ctx->r, "0x%08x", c->token_b);
		else
			mpn_render_cell_str(ctx->r, NULL);
		mpn_render_cell_str(ctx->r, mpn_flow_role_name(c->role));
		mpn_render_cell_str(ctx->r, c->role == MPN_ROLE_JOIN ?
			mpn_join_state_name(c->join_state) : NULL);
		mpn_render_cell_str(ctx->r, mpn_flow_decision_name(c->decision));
		mpn_render_cell_u64(ctx->r, c->worker);
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	free(rows);
	return 0;
}

/* ASA's `clear conn`: the matching connections leave the tables (teardown "cleared"). */
static int
cmd_clear_conn(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_conn_filter f;
	uint64_t cleared;
	int rc;

	if (parse_asa_conn_filter(ctx, argc, argv, false, &f, NULL) != 0)
		return -1;
	rc = mpn_mailbox_clear(&f, 2000, &cleared);
	if (rc != 0 && rc != -ETIMEDOUT)
		return mpn_cli_error(ctx, "%s", mailbox_error(rc));
	mpn_render_u64(ctx->r, "cleared", cleared);
	if (rc == -ETIMEDOUT)
		mpn_render_str(ctx->r, "warning", mailbox_error(rc));
	return 0;
}

static const char *
binding_of(const struct mpn_policy *p, unsigned int pm, char *buf, size_t n)
{
	unsigned int i;
	size_t used = 0;

	buf[0] = '\0';
	if (p->global_policy_map == (int)pm)
		used += (size_t)snprintf(buf, n, "global");
	for (i = 0; i < p->n_bindings && used < n; i++)
		if (p->bindings[i].policy_map_idx == (int)pm)
			used += (size_t)snprintf(buf + used, n - used, "%s%s/%s", used ? "," : "",
				mpn_app.cfg.links[p->bindings[i].link].name,
				p->bindings[i].dir == MPN_DIR_MATCH_IN2OUT ? "in" :
				p->bindings[i].dir == MPN_DIR_MATCH_OUT2IN ? "out" : "any");
	return used > 0 ? buf : "(unbound)";
}

/*
 * ASA's `show service-policy`: per class, the packets it classified and
 * what was dropped and rewritten. Since the last reload or `clear counters`:
 * rule ids name the running policy's classes only.
 */
static int
cmd_show_service_policy(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	const struct mpn_policy *p = mpn_policy_slot_get(&mpn_app.policy);
	struct mpn_rule_counters *now;
	char since[32], bound[256];
	unsigned int pm, i;
	struct tm tm;

	(void)argc;
	(void)argv;
	now = calloc(MPN_POLICY_RULE_IDS, sizeof(*now));
	if (now == NULL)
		return mpn_cli_error(ctx, "out of memory");
	mpn_app_rule_totals(now);
	localtime_r(&mpn_app.rules_since, &tm);
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
	mpn_render_str(ctx->r, "counters_since", since);
	mpn_render_u64(ctx->r, "policy_generation", mpn_app.rules_generation);
	mpn_render_str(ctx->r, "note", "counters restart at each reload and clear counters");
	mpn_render_table_begin(ctx->r, "classes", "policy-map", "class", "tcp-map", "applied",
		"packets", "drops", "rewrites", NULL);
	for (pm = 0; pm < p->n_policy_maps; pm++) {
		for (i = 0; i < p->policy_maps[pm].n_rules; i++) {
			const struct mpn_policy_rule *r = &p->policy_maps[pm].rules[i];
			uint16_t id = mpn_policy_rule_id(p, r);

			mpn_render_row_begin(ctx->r);
			mpn_render_cell_str(ctx->r, p->policy_maps[pm].name);
			mpn_render_cell_str(ctx->r, p->classes[r->class_idx].name);
			mpn_render_cell_str(ctx->r, p->tcp_maps[r->tcp_map_idx].name);
			mpn_render_cell_str(ctx->r, binding_of(p, pm, bound, sizeof(bound)));
			mpn_render_cell_u64(ctx->r, now[id].pkts - mpn_app.rule_base[id].pkts);
			mpn_render_cell_u64(ctx->r, now[id].drops - mpn_app.rule_base[id].drops);
			mpn_render_cell_u64(ctx->r, now[id].rewrites - mpn_app.rule_base[id].rewrites);
			mpn_render_row_end(ctx->r);
		}
	}
	/* What no class matched: the built-in default tcp-map, as on the ASA. */
	mpn_render_row_begin(ctx->r);
	mpn_render_cell_str(ctx->r, "-");
	mpn_render_cell_str(ctx->r, "class-default");
	mpn_render_cell_str(ctx->r, "default");
	mpn_render_cell_str(ctx->r, "unmatched");
	mpn_render_cell_u64(ctx->r, now[0].pkts - mpn_app.rule_base[0].pkts);
	mpn_render_cell_u64(ctx->r, now[0].drops - mpn_app.rule_base[0].drops);
	mpn_render_cell_u64(ctx->r, now[0].rewrites - mpn_app.rule_base[0].rewrites);
	mpn_render_row_end(ctx->r);
	mpn_render_table_end(ctx->r);
	free(now);
	return 0;
}

/* The effective configuration, as a file that loads back (mpn_config_write()). */
static int
cmd_show_running_config(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f;
	int rc;

	(void)argc;
	(void)argv;
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return mpn_cli_error(ctx, "out of memory");
	fprintf(f, "# mpnorm %s running configuration (policy generation %" PRIu64 ")\n"
		"# loaded from %s; ports, links, dataplane, tables, control, flow-export and\n"
		"# logging as at start-up, the policy as of the last reload.\n", MPN_VERSION,
		mpn_app.policy.generation, mpn_app.cfg.path);
	rc = mpn_config_write(&mpn_app.cfg, mpn_policy_slot_get(&mpn_app.policy), f, err,
		sizeof(err));
	fclose(f);
	if (rc != 0) {
		free(buf);
		return mpn_cli_error(ctx, "%s", err);
	}
	mpn_render_verbatim(ctx->r, "running_config", buf);
	free(buf);
	return 0;
}

/*
 * vppctl's `show runtime`: where each worker's time goes, measured in its
 * loop (worker.c): the share of loop time spent on iterations that had
 * packets, and the TSC cycles those took per packet.
 */
static int
cmd_show_runtime(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	unsigned int i;

	(void)argc;
	(void)argv;
	mpn_render_u64(ctx->r, "tsc_hz", rte_get_tsc_hz());
	mpn_render_table_begin(ctx->r, "workers", "worker", "lcore", "polls", "busy_polls",
		"busy", "packets", "pkts_per_busy_poll", "cycles_per_pkt", "busy_cycles",
		"idle_cycles", NULL);
	for (i = 0; i < mpn_app.n_workers; i++) {
		struct mpn_worker_stats w;
		uint64_t pkts, total;

		mpn_app_worker_counters(i, &w);
		pkts = w.rx + w.handoffs_in;
		total = w.busy_cycles + w.idle_cycles;
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, i);
		mpn_render_cell_u64(ctx->r, mpn_app.workers[i].lcore);
		mpn_render_cell_u64(ctx->r, w.polls);
		mpn_render_cell_u64(ctx->r, w.busy_polls);
		mpn_render_cell_fmt(ctx->r, "%.2f%%", total ? 100.0 * (double)w.busy_cycles /
			(double)total : 0.0);
		mpn_render_cell_u64(ctx->r, pkts);
		mpn_render_cell_fmt(ctx->r, "%.2f", w.busy_polls ? (double)pkts /
			(double)w.busy_polls : 0.0);
		mpn_render_cell_u64(ctx->r, pkts ? w.busy_cycles / pkts : 0);
		mpn_render_cell_u64(ctx->r, w.busy_cycles);
		mpn_render_cell_u64(ctx->r, w.idle_cycles);
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

/* ASA's `show flow-export counters`, with the workers' event rings. */
static int
cmd_show_flow_export(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_export *x = mpn_ops_exporter();
	const struct mpn_config_export *c = &mpn_app.cfg.flow_export;
	unsigned int i, w;

	(void)argc;
	(void)argv;
	mpn_render_bool(ctx->r, "enabled", x != NULL);
	if (x != NULL) {
		const struct mpn_export_stats *st = mpn_export_stats(x);

		mpn_render_kv(ctx->r, "collector", "%s:%u/%s", c->collector, c->port,
			c->tcp ? "tcp" : "udp");
		mpn_render_str(ctx->r, "state", mpn_export_state(x));
		mpn_render_u64(ctx->r, "queued_messages", mpn_export_pending(x));
		mpn_render_u64(ctx->r, "queue_capacity", c->queue);
		mpn_render_section_begin(ctx->r, "counters");
		for (i = 0; i < mpn_export_stats_count(); i++) {
			uint64_t v;
			const char *name = mpn_export_stats_get(st, i, &v, NULL);

			mpn_render_u64(ctx->r, name, v);
		}
		mpn_render_section_end(ctx->r);
	}
	mpn_render_u64(ctx->r, "events_drained", mpn_events_drained());
	mpn_render_u64(ctx->r, "event_ring_capacity", mpn_events_capacity());
	mpn_render_table_begin(ctx->r, "event_rings", "worker", "queued", "lost", NULL);
	for (w = 0; w < mpn_app.n_workers; w++) {
		const struct mpn_events_counters *ec = mpn_events_counters(w);

		mpn_render_row_begin(ctx->r);
		mpn_render_cell_u64(ctx->r, w);
		mpn_render_cell_u64(ctx->r, __atomic_load_n(&ec->queued, __ATOMIC_RELAXED));
		mpn_render_cell_u64(ctx->r, __atomic_load_n(&ec->lost, __ATOMIC_RELAXED));
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

/* ASA's `show logging`: where messages go, and what was written or suppressed. */
static int
cmd_show_logging(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	struct mpn_logger *lg = mpn_ops_logger();
	const struct mpn_logmsg_params *p;
	const struct mpn_logmsg_stats *st;
	unsigned int m;

	(void)argc;
	(void)argv;
	if (lg == NULL)
		return mpn_cli_error(ctx, "the logger is not running");
	p = mpn_logger_params(lg);
	st = mpn_logger_stats(lg);
	mpn_render_str(ctx->r, "destination", p->syslog ? "syslog" : "stderr");
	mpn_render_str(ctx->r, "facility", mpn_logmsg_facility_name(p->facility));
	mpn_render_str(ctx->r, "level", mpn_logmsg_level_name(p->level));
	mpn_render_u64(ctx->r, "rate_per_second", p->rate);
	mpn_render_u64(ctx->r, "messages", st->messages);
	mpn_render_u64(ctx->r, "suppressed", st->suppressed);
	mpn_render_u64(ctx->r, "below_level", st->below_level);
	mpn_render_table_begin(ctx->r, "ids", "id", "written", "suppressed", "description", NULL);
	for (m = 0; m < MPN_MSG_MAX; m++) {
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_fmt(ctx->r, "MPN-%u-%u", mpn_logmsg_severity(m), mpn_logmsg_number(m));
		mpn_render_cell_u64(ctx->r, st->by_id[m]);
		mpn_render_cell_u64(ctx->r, st->suppressed_by_id[m]);
		mpn_render_cell_str(ctx->r, mpn_logmsg_desc(m));
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

static const struct mpn_cli_command commands[] = {
	{ "show conn", "[address A] [port P] [token T] [limit N]", 0, 8, cmd_show_conn,
		"every tracked TCP connection, MPTCP subflows marked (ASA show conn)", NULL },
	{ "clear conn", "[address A] [port P] [token T] | all", 0, 6, cmd_clear_conn,
		"remove the matching connections from the tables (ASA clear conn)", NULL },
	{ "show asp drop", "", 0, 0, cmd_show_drops,
		"drops, rewrites, alerts and monitored events by reason (ASA show asp drop)", NULL },
	{ "show errors", "", 0, 0, cmd_show_drops, "the same, by its VPP name", NULL },
	{ "show service-policy", "", 0, 0, cmd_show_service_policy,
		"per class: packets, drops, rewrites since the last reload", NULL },
	{ "show running-config", "", 0, 0, cmd_show_running_config,
		"the effective configuration, policy included, as a file that loads back", NULL },
	{ "show runtime", "", 0, 0, cmd_show_runtime,
		"per worker: busy share and cycles per packet, measured in the loop (vppctl)", NULL },
	{ "show flow-export", "", 0, 0, cmd_show_flow_export,
		"IPFIX flow export: collector, queue, counters; the workers' event rings", NULL },
	{ "show logging", "", 0, 0, cmd_show_logging,
		"operator messages: destination, rate limit, counts per message ID", NULL },
	{ "show connections", "[token HEX] [limit N]", 0, 4, cmd_show_connections,
		"MPTCP connections by token: subflows, counters, joins", NULL },
	{ "show subflows", "[token HEX] [limit N]", 0, 4, cmd_show_subflows,
		"the subflows of each MPTCP connection, with join verdicts", NULL },
	{ "show mptcp interference", "", 0, 0, mpn_intf_view_cmd,
		"middlebox interference seen in MPTCP handshakes and options (doc/interference.md)",
		NULL },
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
