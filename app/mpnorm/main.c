/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpnorm: an inline TCP normalizer that understands Multipath TCP.
 *
 *   mpnorm [EAL options] -- [-c FILE]                 run on the configured mpn_app.ports
 *   mpnorm --offline IN.pcap OUT.pcap [-c FILE] [--json FILE]
 *                                                     run over a capture file
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <rte_pdump.h>
#include <rte_ring.h>

#include "app.h"
#include "cli.h"
#include "cli_server.h"
#include "config.h"
#include "ctx.h"
#include "events.h"
#include "mailbox.h"
#include "ops.h"
#include "offline.h"
#include "ports.h"
#include "report.h"
#include "stats.h"
#include "policy_slot.h"
#include "worker.h"

#define DEFAULT_CONFIG "config/mpnorm.conf"

struct app_args {
	const char *config_path;
	bool offline;
	struct mpn_offline_args off;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mpnorm [EAL options] -- [-c FILE]\n"
		"       mpnorm --offline IN.pcap OUT.pcap [-c FILE] [--json FILE|-]\n"
		"       mpnorm [EAL options] -- --offline IN.pcap OUT.pcap [-c FILE] [--json FILE|-]\n"
		"\n"
		"  -c FILE        configuration file (default " DEFAULT_CONFIG ")\n"
		"  --offline I O  run the pipeline over capture I, write what it forwards to O;\n"
		"                 needs no NIC and no hugepages\n"
		"  --json FILE    offline: write the JSON summary to FILE ('-' for stdout)\n"
		"  --show-keys    offline: include the MPTCP keys in the JSON summary\n"
		"  --syslog       log operator messages to syslog (journald) instead of stderr\n"
		"  -V, --version  print the version\n"
		"  -h, --help     this text\n"
		"\n"
		"Example on veths, no hugepages:\n"
		"  mpnorm --no-huge -m 1024 --no-pci -l 0-1 -- -c config/examples/af-packet.conf\n");
}

/* Parse the options after "--" (or all of them in the short offline form). */
static int
parse_app_args(int argc, char **argv, struct app_args *a)
{
	int i;

	a->config_path = DEFAULT_CONFIG;
	for (i = 0; i < argc; i++) {
		const char *o = argv[i];

		if (strcmp(o, "-c") == 0 && i + 1 < argc) {
			a->config_path = argv[++i];
		} else if (strcmp(o, "--offline") == 0 && i + 2 < argc) {
			a->offline = true;
			a->off.in_path = argv[++i];
			a->off.out_path = argv[++i];
		} else if (strcmp(o, "--json") == 0 && i + 1 < argc) {
			a->off.json_path = argv[++i];
		} else if (strcmp(o, "--show-keys") == 0) {
			a->off.show_keys = true;
		} else if (strcmp(o, "--syslog") == 0) {
			mpn_app.syslog = true;
		} else if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(o, "-V") == 0 || strcmp(o, "--version") == 0) {
			printf("mpnorm %s\n", MPN_VERSION);
			exit(0);
		} else {
			fprintf(stderr, "mpnorm: unknown or incomplete option '%s'\n\n", o);
			usage(stderr);
			return -1;
		}
	}
	if (a->off.json_path != NULL && !a->offline) {
		fprintf(stderr, "mpnorm: --json only applies to --offline\n");
		return -1;
	}
	if (a->off.show_keys && !a->offline) {
		/* Keys are secrets (RFC 7430 §3): the live appliance never prints them. */
		fprintf(stderr, "mpnorm: --show-keys only applies to --offline\n");
		return -1;
	}
	return 0;
}

static bool
is_app_option(const char *o)
{
	static const char *const opts[] = {
		"--offline", "-c", "--json", "--show-keys", "--syslog", "-h", "--help", "-V",
		"--version", NULL,
	};
	const char *const *p;

	for (p = opts; *p != NULL; p++)
		if (strcmp(*p, o) == 0)
			return true;
	return false;
}

static void
on_signal(int sig)
{
	(void)sig;
	mpn_force_quit = true;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct mpn_app mpn_app = {
	.policy_lock = PTHREAD_MUTEX_INITIALIZER,
};


void
mpn_app_worker_counters(unsigned int w, struct mpn_worker_stats *out)
{
	const uint64_t *now = (const uint64_t *)&mpn_app.stats[w];
	const uint64_t *base = (const uint64_t *)&mpn_app.baseline[w];
	uint64_t *o = (uint64_t *)out;
	size_t i;

	/* Every field of the struct is a uint64_t counter. */
	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = now[i] - base[i];
}

void
mpn_app_total_counters(struct mpn_worker_stats *out)
{
	struct mpn_worker_stats one;
	const uint64_t *src = (const uint64_t *)&one;
	uint64_t *dst = (uint64_t *)out;
	unsigned int w;
	size_t i;

	/*
	 * Reentrant: the CLI (main lcore) and DPDK's telemetry thread both
	 * call this. Every field is a uint64_t counter.
	 */
	memset(out, 0, sizeof(*out));
	for (w = 0; w < mpn_app.n_workers; w++) {
		mpn_app_worker_counters(w, &one);
		for (i = 0; i < sizeof(one) / sizeof(uint64_t); i++)
			dst[i] += src[i];
	}
}

void
mpn_app_rule_totals(struct mpn_rule_counters *out)
{
	unsigned int w, r;

	memset(out, 0, sizeof(*out) * MPN_POLICY_RULE_IDS);
	for (w = 0; w < mpn_app.n_workers; w++) {
		const struct mpn_rule_counters *c = mpn_app.workers[w].pipeline.rules;

		if (c == NULL)
			continue;
		for (r = 0; r < MPN_POLICY_RULE_IDS; r++) {
			out[r].pkts += c[r].pkts;
			out[r].drops += c[r].drops;
			out[r].rewrites += c[r].rewrites;
		}
	}
}

void
mpn_app_rules_snapshot(void)
{
	if (mpn_app.rule_base == NULL)
		return;
	mpn_app_rule_totals(mpn_app.rule_base);
	mpn_app.rules_since = time(NULL);
	mpn_app.rules_generation = mpn_app.policy.generation;
}

int
mpn_app_reload(char *msg, size_t len)
{
	static struct mpn_config next;
	char err[512];
	bool restart_needed;

	if (mpn_config_load(mpn_app.cfg.path, &next, err, sizeof(err)) != 0) {
		mpn_app.reloads_failed++;
		snprintf(mpn_app.last_reload_error, sizeof(mpn_app.last_reload_error), "%s", err);
		snprintf(msg, len, "reload rejected, the running policy stays: %s", err);
		mpn_ops_log_reload(false, 0, err);
		return -1;
	}
	/*
	 * Ports, links, queues and pools cannot change under running mpn_app.workers;
	 * the policy can. Say so rather than half-apply the file.
	 */
	restart_needed = memcmp(&next.dataplane, &mpn_app.cfg.dataplane, sizeof(next.dataplane)) != 0 ||
		next.n_ports != mpn_app.cfg.n_ports || next.n_links != mpn_app.cfg.n_links ||
		memcmp(next.ports, mpn_app.cfg.ports, sizeof(next.ports)) != 0 ||
		memcmp(next.links, mpn_app.cfg.links, sizeof(next.links)) != 0;
	/* Telemetry reads the policy from its own thread: not while it is swapped and freed. */
	pthread_mutex_lock(&mpn_app.policy_lock);
	mpn_policy_slot_publish(&mpn_app.policy, next.policy);
	/* Rule ids now name the new policy's classes: the per-class view starts again. */
	mpn_app_rules_snapshot();
	pthread_mutex_unlock(&mpn_app.policy_lock);
	next.policy = NULL;
	restart_needed = restart_needed ||
		memcmp(&next.flow_export, &mpn_app.cfg.flow_export, sizeof(next.flow_export)) != 0 ||
		memcmp(&next.logging, &mpn_app.cfg.logging, sizeof(next.logging)) != 0 ||
		memcmp(&next.tables, &mpn_app.cfg.tables, sizeof(next.tables)) != 0 ||
		memcmp(&next.control, &mpn_app.cfg.control, sizeof(next.control)) != 0;
	mpn_config_release(&next);
	mpn_app.reloads_ok++;
	mpn_app.last_reload_error[0] = '\0';
	snprintf(msg, len, "policy reloaded from %s%s", mpn_app.cfg.path, restart_needed ?
		"; dataplane, tables, control, ports, links, flow-export or logging changed too: "
		"those take effect at restart" : "");
	mpn_ops_log_reload(true, mpn_app.policy.generation, NULL);
	return 0;
}

/* A worker's trace hook: one line per packet into the next free slot. */
static void
record_trace(void *arg, unsigned int worker, const struct mpn_burst_origin *from,
	const uint8_t *frame, uint32_t len, const struct mpn_norm_result *res)
{
	uint32_t slot = __atomic_fetch_add(&mpn_app.trace_next, 1, __ATOMIC_ACQ_REL);
	struct mpn_trace_entry *e;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	size_t used, alen;
	unsigned int i;

	(void)arg;
	if (slot >= __atomic_load_n(&mpn_app.trace_armed, __ATOMIC_ACQUIRE) ||
			slot >= MPN_TRACE_MAX)
		return;
	e = &mpn_app.trace[slot];
	/* Addresses from the frame as it arrived, when the parse reached them. */
	strcpy(src, "?");
	strcpy(dst, "?");
	alen = res->pkt.ip_version == 6 ? 16 : 4;
	if ((res->pkt.ip_version == 4 || res->pkt.ip_version == 6) &&
			res->pkt.src_addr_off + alen <= MPN_TRACE_BYTES && res->pkt.src_addr_off + alen <= len &&
			res->pkt.dst_addr_off + alen <= MPN_TRACE_BYTES && res->pkt.dst_addr_off + alen <= len) {
		inet_ntop(alen == 16 ? AF_INET6 : AF_INET, frame + res->pkt.src_addr_off, src,
			sizeof(src));
		inet_ntop(alen == 16 ? AF_INET6 : AF_INET, frame + res->pkt.dst_addr_off, dst,
			sizeof(dst));
	}
	used = (size_t)snprintf(e->line, sizeof(e->line),
		"worker %u port %u %s len %u %s %s.%u > %s.%u flags 0x%02x: %s%s%s",
		worker, from->port, from->dir == MPN_DIR_IN2OUT ? "in->out" : "out->in", len,
		mpn_pkt_status_name(res->status), src, res->pkt.sport, dst, res->pkt.dport,
		res->pkt.tcp_flags, res->forward ? "forward" : "drop ",
		res->forward ? "" : mpn_reason_name(res->drop_reason),
		res->bypass ? " (bypass)" : res->monitor ? " (monitor)" : "");
	for (i = 0; i < res->n_acts && used < sizeof(e->line); i++)
		used += (size_t)snprintf(e->line + used, sizeof(e->line) - used, "; %s %s kind %u",
			mpn_norm_act_name(res->acts[i].type), mpn_reason_name(res->acts[i].reason),
			res->acts[i].kind);
}

static void
print_exit_report(void)
{
	struct mpn_worker_stats total;
	unsigned int i, nw = mpn_app.cfg.dataplane.workers;

	mpn_stats_sum(mpn_app.stats, nw, &total);
	printf("\n%-4s %-24s %-6s %12s %12s %10s %10s %10s\n", "port", "name", "dpdk",
		"rx", "tx", "tx-drop", "imissed", "nombuf");
	for (i = 0; i < mpn_app.ports.n; i++) {
		struct rte_eth_stats es;

		if (!mpn_app.ports.in_use[i])
			continue;
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(mpn_app.ports.port_id[i], &es);
		printf("%-4u %-24s %-6u %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n", i, mpn_app.cfg.ports[i].name, mpn_app.ports.port_id[i],
			total.port[i].rx, total.port[i].tx, total.port[i].tx_dropped,
			es.imissed, es.rx_nombuf);
	}
	printf("\n%-6s %-6s %12s %12s %12s %12s %12s %12s\n", "worker", "lcore", "rx", "tx",
		"dropped", "rewritten", "handoff-out", "handoff-in");
	for (i = 0; i < nw; i++)
		printf("%-6u %-6u %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
			" %12" PRIu64 "\n", i, mpn_app.workers[i].lcore, mpn_app.stats[i].rx,
			mpn_app.stats[i].tx, mpn_app.stats[i].dropped, mpn_app.stats[i].rewritten,
			mpn_app.stats[i].handoffs_out, mpn_app.stats[i].handoffs_in);
	printf("\n");
	mpn_report_text_reasons(stdout, &total);
}

/*
 * Decide how a flow's packets meet on one worker (ARCHITECTURE.md §3):
 * trust the device when every port's placement is symmetric, else hand off
 * in software. The config can force either.
 */
static int
decide_placement(unsigned int nw, char *err, size_t errlen)
{
	enum mpn_placement mode = mpn_app.cfg.dataplane.placement;
	unsigned int p, w;
	int bad = -1;

	for (p = 0; p < mpn_app.ports.n; p++)
		if (mpn_app.ports.in_use[p] && !mpn_app.ports.symmetric[p] && bad < 0)
			bad = (int)p;
	if (nw == 1) {
		mpn_app.handoff = false;
		snprintf(mpn_app.placement_why, sizeof(mpn_app.placement_why), "one worker");
	} else if (mode == MPN_PLACEMENT_HANDOFF) {
		mpn_app.handoff = true;
		snprintf(mpn_app.placement_why, sizeof(mpn_app.placement_why),
			"handoff (forced by dataplane.placement)");
	} else if (mode == MPN_PLACEMENT_SYMMETRIC) {
		mpn_app.handoff = false;
		snprintf(mpn_app.placement_why, sizeof(mpn_app.placement_why),
			"symmetric (forced by dataplane.placement%s%s)", bad >= 0 ? "; unverified on " : "",
			bad >= 0 ? mpn_app.cfg.ports[bad].name : "");
	} else if (bad >= 0) {
		mpn_app.handoff = true;
		snprintf(mpn_app.placement_why, sizeof(mpn_app.placement_why),
			"handoff: port '%s' is not symmetric (%s)", mpn_app.cfg.ports[bad].name,
			mpn_app.ports.placement_note[bad]);
	} else {
		mpn_app.handoff = false;
		snprintf(mpn_app.placement_why, sizeof(mpn_app.placement_why),
			"symmetric on every port");
	}
	if (!mpn_app.handoff)
		return 0;
	for (w = 0; w < nw; w++) {
		char name[32];

		snprintf(name, sizeof(name), "mpn_inbox%u", w);
		/* Many workers produce, only the owner consumes. */
		mpn_app.inboxes[w] = rte_ring_create(name, rte_align32pow2(
			mpn_app.cfg.dataplane.handoff_ring), (int)rte_socket_id(), RING_F_SC_DEQ);
		if (mpn_app.inboxes[w] == NULL) {
			snprintf(err, errlen, "cannot create handoff ring %s of %u entries: lower "
				"dataplane.handoff_ring", name, mpn_app.cfg.dataplane.handoff_ring);
			return -1;
		}
	}
	return 0;
}

/* Give worker w queue w of every port that belongs to a link. */
static int
assign_queues(void)
{
	unsigned int w, p;

	for (w = 0; w < mpn_app.cfg.dataplane.workers; w++) {
		struct mpn_worker *wk = &mpn_app.workers[w];

		wk->index = w;
		wk->burst = mpn_app.cfg.dataplane.burst;
		wk->stats = &mpn_app.stats[w];
		wk->policy = &mpn_app.policy;
		if (mpn_pipeline_init(&wk->pipeline, w, wk->stats) != 0)
			return -1;
		wk->pipeline.trace_fn = record_trace;
		wk->pipeline.tracker = mpn_app.trackers[w];
		wk->n_workers = mpn_app.cfg.dataplane.workers;
		wk->handoff = mpn_app.handoff;
		wk->inbox = mpn_app.inboxes[w];
		wk->inboxes = mpn_app.inboxes;
		memset(wk->rxq_of_port, -1, sizeof(wk->rxq_of_port));
		for (p = 0; p < mpn_app.ports.n; p++) {
			struct mpn_rxq *q;

			if (!mpn_app.ports.in_use[p])
				continue;
			q = &wk->rxq[wk->n_rxq++];
			q->port_id = mpn_app.ports.port_id[p];
			q->queue = (uint16_t)w;
			q->tx_cfg_port = mpn_app.ports.peer[p];
			q->tx_port_id = mpn_app.ports.port_id[mpn_app.ports.peer[p]];
			q->origin.port = (uint16_t)p;
			q->origin.link = mpn_app.ports.link[p];
			q->origin.dir = mpn_app.ports.is_outside[p] ? MPN_DIR_OUT2IN : MPN_DIR_IN2OUT;
			q->origin.l2 = MPN_L2_ETHER;
			wk->rxq_of_port[q->port_id] = (int8_t)(wk->n_rxq - 1);
		}
	}
	return 0;
}

static int
run_online(void)
{
	char err[1024];
	struct mpn_cli_server *srv;
	struct rte_mempool *mp;
	unsigned int lcore, w = 0, nw = mpn_app.cfg.dataplane.workers;
	unsigned int avail = rte_lcore_count() - 1;

	if (mpn_app.cfg.n_links == 0)
		rte_exit(EXIT_FAILURE, "%s: no links configured: add a 'links' list "
			"(see doc/config.md), or use --offline\n", mpn_app.cfg.path);
	if (avail < nw)
		rte_exit(EXIT_FAILURE, "%s:%d: dataplane.workers = %u, but the EAL gave %u "
			"worker lcore(s). Start with -l 0-%u (the main lcore plus one per "
			"worker), or lower dataplane.workers.\n", mpn_app.cfg.path,
			mpn_app.cfg.dataplane.workers_line, nw, avail, nw);
	{
		/* Enough mbufs to fill every RX ring, plus bursts in flight. */
		unsigned int need = 0, p;

		for (p = 0; p < mpn_app.cfg.n_ports; p++)
			need += nw * (mpn_app.cfg.ports[p].rx_desc + mpn_app.cfg.ports[p].tx_desc);
		need += nw * (mpn_app.cfg.dataplane.burst + mpn_app.cfg.dataplane.mbuf_cache);
		if (mpn_app.cfg.dataplane.mbufs < need)
			printf("mpnorm: warning: dataplane.mbufs = %u is below the %u the rings can "
				"hold; RX may run dry (rx_nombuf)\n", mpn_app.cfg.dataplane.mbufs, need);
	}
	/* The private area carries a packet's parse to its owner in handoff mode (ctx.h). */
	mp = rte_pktmbuf_pool_create("mpn_pkts", mpn_app.cfg.dataplane.mbufs,
		mpn_app.cfg.dataplane.mbuf_cache, MPN_MBUF_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE,
		rte_socket_id());
	if (mp == NULL)
		rte_exit(EXIT_FAILURE, "cannot create a pool of %u mbufs (%s): lower "
			"dataplane.mbufs in %s, or give the EAL more memory (-m, hugepages)\n",
			mpn_app.cfg.dataplane.mbufs, rte_strerror(rte_errno), mpn_app.cfg.path);
	mpn_app.n_workers = nw;
	mpn_app.started = time(NULL);
	if (mpn_control_register() != 0)
		rte_exit(EXIT_FAILURE, "cannot register the CLI commands\n");
	srv = mpn_cli_server_open(mpn_app.cfg.control.socket, mpn_app.cfg.control.mode,
		mpn_app.cfg.control.group[0] != '\0' ? mpn_app.cfg.control.group : NULL, err, sizeof(err));
	if (srv == NULL)
		rte_exit(EXIT_FAILURE, "%s: control socket: %s. Set control.socket in the "
			"config to a path this user may create.\n", mpn_app.cfg.path, err);
	if (mpn_telemetry_register() != 0)
		printf("mpnorm: warning: /mpnorm/ telemetry commands not registered\n");
	/* dpdk-pdump attaches as a secondary process; it needs the EAL's shared config. */
	if (rte_pdump_init() != 0)
		printf("mpnorm: warning: pdump not available (%s); dpdk-pdump cannot attach\n",
			rte_strerror(rte_errno));
	if (mpn_ports_start(&mpn_app.cfg, mp, &mpn_app.ports, err, sizeof(err)) != 0) {
		mpn_ports_stop(&mpn_app.ports);
		rte_exit(EXIT_FAILURE, "%s\n", err);
	}
	/* The policy now belongs to the slot; reloads replace it there. */
	if (mpn_policy_slot_init(&mpn_app.policy, nw, mpn_app.cfg.policy) != 0)
		rte_exit(EXIT_FAILURE, "out of memory for the RCU state\n");
	mpn_app.cfg.policy = NULL;
	if (mpn_app_tracking_init(&mpn_app.cfg, nw, rte_get_tsc_hz(), err, sizeof(err)) != 0)
		rte_exit(EXIT_FAILURE, "%s\n", err);
	/* Flow events to the main lcore (export, log); `show conn` requests to the workers. */
	if (mpn_events_init(nw, mpn_app.cfg.dataplane.event_ring, err, sizeof(err)) != 0)
		rte_exit(EXIT_FAILURE, "%s\n", err);
	for (w = 0; w < nw; w++)
		mpn_events_attach(w, mpn_app.trackers[w]);
	if (mpn_mailbox_init(nw) != 0)
		rte_exit(EXIT_FAILURE, "out of memory for the worker mailboxes\n");
	if (mpn_ops_init(&mpn_app.cfg, mpn_app.syslog, err, sizeof(err)) != 0)
		rte_exit(EXIT_FAILURE, "%s\n", err);
	w = 0;
	if (decide_placement(nw, err, sizeof(err)) != 0)
		rte_exit(EXIT_FAILURE, "%s\n", err);
	printf("mpnorm: placement: %s\n", mpn_app.placement_why);
	if (assign_queues() != 0)
		rte_exit(EXIT_FAILURE, "out of memory for the workers' burst contexts\n");
	{
		struct mpn_rule_counters *base = calloc(MPN_POLICY_RULE_IDS, sizeof(*base));

		if (base == NULL)
			rte_exit(EXIT_FAILURE, "out of memory for the per-class counters\n");
		pthread_mutex_lock(&mpn_app.policy_lock);
		mpn_app.rule_base = base;
		mpn_app_rules_snapshot();
		pthread_mutex_unlock(&mpn_app.policy_lock);
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (w >= nw)
			break;
		mpn_app.workers[w].lcore = lcore;
		rte_eal_remote_launch(mpn_worker_main, &mpn_app.workers[w], lcore);
		w++;
	}
	printf("mpnorm: %u worker(s) forwarding on %u link(s); control socket %s; "
		"SIGINT or SIGTERM stops\n", nw, mpn_app.cfg.n_links, mpn_app.cfg.control.socket);
	fflush(stdout);
	/* The main lcore serves the control socket and never touches packets. */
	while (!mpn_force_quit) {
		/* 10 ms at most between two drains of the event rings. */
		mpn_cli_server_poll(srv, 10);
		mpn_ops_poll();
		/* No connection record is held between two polls. */
		if (mpn_app.conns != NULL)
			mpn_conn_table_quiescent(mpn_app.conns, nw);
	}
	mpn_cli_server_close(srv);
	rte_eal_mp_wait_lcore();
	print_exit_report();
	mpn_ports_stop(&mpn_app.ports);
	rte_pdump_uninit();
	/* Freeing the tables tears every flow down: those events are exported too. */
	mpn_app_tracking_fini();
	mpn_ops_poll();
	mpn_ops_fini();
	mpn_events_fini();
	mpn_mailbox_fini();
	pthread_mutex_lock(&mpn_app.policy_lock);
	free(mpn_app.rule_base);
	mpn_app.rule_base = NULL;
	pthread_mutex_unlock(&mpn_app.policy_lock);
	for (w = 0; w < nw; w++) {
		rte_ring_free(mpn_app.inboxes[w]);
		mpn_pipeline_fini(&mpn_app.workers[w].pipeline);
	}
	mpn_policy_slot_fini(&mpn_app.policy);
	rte_mempool_free(mp);
	return 0;
}

int
main(int argc, char **argv)
{
	static char *offline_eal[] = {
		NULL, "--no-huge", "--no-pci", "-m", "256", "--no-shconf", "--no-telemetry",
		"--log-level=lib.eal:error", "-l", "0", NULL,
	};
	struct app_args a;
	char err[1024];
	char **eal_argv = argv, **app_argv = NULL;
	int eal_argc = argc, app_argc = 0, i, rc;

	memset(&a, 0, sizeof(a));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			app_argv = argv + i + 1;
			app_argc = argc - i - 1;
			break;
		}
	}
	if (app_argv == NULL && argc > 1 && is_app_option(argv[1])) {
		/* The short form: no EAL options at all. */
		app_argv = argv + 1;
		app_argc = argc - 1;
		eal_argc = 0;
	}
	if (parse_app_args(app_argc, app_argv, &a) != 0)
		return 2;
	/* Validate everything we can before the EAL prints a line. */
	if (mpn_config_load(a.config_path, &mpn_app.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mpnorm: %s\n", err);
		return 1;
	}
	if (a.offline && mpn_offline_precheck(&a.off) != 0)
		return 1;
	if (eal_argc == 0) {
		if (!a.offline) {
			usage(stderr);
			return 2;
		}
		offline_eal[0] = argv[0];
		eal_argv = offline_eal;
		eal_argc = (int)(sizeof(offline_eal) / sizeof(offline_eal[0])) - 1;
	}
	install_signals();
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "mpnorm: EAL initialisation failed: %s. Without hugepages, "
			"start with --no-huge -m 1024; for virtual devices add --no-pci.\n",
			rte_strerror(rte_errno));
		return 1;
	}
	if (a.offline)
		rc = mpn_offline_run(&mpn_app.cfg, &a.off);
	else
		rc = run_online();
	mpn_config_release(&mpn_app.cfg);
	rte_eal_cleanup();
	return rc;
}
