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

#include "afpacket_stats.h"
#include "app.h"
#include "cli.h"
#include "cli_server.h"
#include "config.h"
#include "ctx.h"
#include "events.h"
#include "intf_view.h"
#include "mailbox.h"
#include "ops.h"
#include "offline.h"
#include "ports.h"
#include "report.h"
#include "sizing.h"
#include "stats.h"
#include "policy_slot.h"
#include "worker.h"

#define DEFAULT_CONFIG "config/mpnorm.conf"

struct app_args {
	const char *config_path;
	bool offline;
	bool check_config;
	bool check_hugepages;
	struct mpn_offline_args off;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mpnorm [EAL options] -- [-c FILE]\n"
		"       mpnorm --offline IN.pcap OUT.pcap [-c FILE] [--json FILE|-]\n"
		"       mpnorm [EAL options] -- --offline IN.pcap OUT.pcap [-c FILE] [--json FILE|-]\n"
		"       mpnorm --check-config [-c FILE] [--check-hugepages] [--json FILE|-]\n"
		"\n"
		"  -c FILE        configuration file (default " DEFAULT_CONFIG ")\n"
		"  --offline I O  run the pipeline over capture I, write what it forwards to O;\n"
		"                 needs no NIC and no hugepages\n"
		"  --json FILE    offline: write the JSON summary to FILE ('-' for stdout);\n"
		"                 --check-config: the figures as JSON\n"
		"  --show-keys    offline: include the MPTCP keys in the JSON summary\n"
		"  --check-config validate FILE and print the memory its tables, connection\n"
		"                 pool and mbufs take (measured) and the 2 MB hugepages it\n"
		"                 needs; opens no port. Exit 0 valid, 1 with FILE:LINE errors\n"
		"  --check-hugepages  with --check-config: also fail when fewer 2 MB hugepages\n"
		"                 are free than needed\n"
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
		} else if (strcmp(o, "--check-config") == 0) {
			a->check_config = true;
		} else if (strcmp(o, "--check-hugepages") == 0) {
			a->check_hugepages = true;
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
	if (a->off.json_path != NULL && !a->offline && !a->check_config) {
		fprintf(stderr, "mpnorm: --json only applies to --offline and --check-config\n");
		return -1;
	}
	if (a->check_config && a->offline) {
		fprintf(stderr, "mpnorm: --check-config and --offline are two modes: pick one\n");
		return -1;
	}
	if (a->check_hugepages && !a->check_config) {
		fprintf(stderr, "mpnorm: --check-hugepages only applies to --check-config\n");
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
		"--version", "--check-config", "--check-hugepages", NULL,
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

	/*
	 * Every field of the struct is a uint64_t counter. The worker writes
	 * `now` and `clear counters` writes `base` while this runs on the
	 * main lcore or the telemetry thread: both read as atomics.
	 */
	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = mpn_stats_read(&now[i]) - mpn_stats_read(&base[i]);
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
	mpn_intf_view_snapshot_classes();
	mpn_app.rules_since = time(NULL);
	mpn_app.rules_generation = mpn_app.policy.generation;
}

int
mpn_app_reload(char *msg, size_t len)
{
	static struct mpn_config next;
	char err[512], cluster_msg[200];
	bool restart_needed;

	if (mpn_config_load(mpn_app.cfg.path, &next, err, sizeof(err)) != 0) {
		mpn_stats_inc(&mpn_app.reloads_failed);
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
	/* The directory's settings (doc/cluster.md §8); it says what waits for a restart. */
	mpn_app_cluster_reload(&next, cluster_msg, sizeof(cluster_msg));
	restart_needed = restart_needed ||
		memcmp(&next.flow_export, &mpn_app.cfg.flow_export, sizeof(next.flow_export)) != 0 ||
		memcmp(&next.logging, &mpn_app.cfg.logging, sizeof(next.logging)) != 0 ||
		memcmp(&next.tables, &mpn_app.cfg.tables, sizeof(next.tables)) != 0 ||
		memcmp(&next.control, &mpn_app.cfg.control, sizeof(next.control)) != 0;
	mpn_config_release(&next);
	mpn_stats_inc(&mpn_app.reloads_ok);   /* telemetry reads it */
	mpn_app.last_reload_error[0] = '\0';
	snprintf(msg, len, "policy reloaded from %s%s%s%s", mpn_app.cfg.path, restart_needed ?
		"; dataplane, tables, control, ports, links, flow-export or logging changed too: "
		"those take effect at restart" : "", cluster_msg[0] != '\0' ? "; " : "", cluster_msg);
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
	for (i = 0; i < nw; i++) {
		struct mpn_worker_stats w;

		mpn_stats_copy(&w, &mpn_app.stats[i]);
		printf("%-6u %-6u %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
			" %12" PRIu64 "\n", i, mpn_app.workers[i].lcore, w.rx, w.tx, w.dropped,
			w.rewritten, w.handoffs_out, w.handoffs_in);
	}
	for (i = 0; i < mpn_app.ports.n; i++) {
		struct mpn_afpacket_ring_stats rs;

		/* Since start, as every other counter of this report. */
		if (mpn_afpacket_stats_read(i, true, &rs))
			printf("port %u %s: af_packet ring (kernel, interface %s): %" PRIu64
				" packets, %" PRIu64 " dropped before mpnorm saw them\n", i,
				mpn_app.cfg.ports[i].name, rs.ifname, rs.packets, rs.drops);
	}
	printf("\n");
	mpn_report_text_reasons(stdout, &total);
}

/*
 * The owner map the workers follow, and the share of flows each worker
 * should get under it, for the start-up log and `show workers`.
 */
static void
owner_setup(unsigned int nw)
{
	struct mpn_owner_map *m = &mpn_app.owner;
	const struct mpn_rss_map *rss = NULL;
	char why[256] = "", line[64 + 8 * MPN_MAX_WORKERS];
	size_t used = strlen(mpn_app.placement_why);
	unsigned int s, w;

	m->n_workers = nw;
	m->rss = NULL;
	if (nw == 1) {
		m->mode = MPN_OWNER_SELF;
	} else if (mpn_app.handoff) {
		m->mode = MPN_OWNER_HANDOFF;
	} else if ((rss = mpn_ports_rss_map(&mpn_app.ports, why, sizeof(why))) != NULL) {
		m->mode = MPN_OWNER_RSS;
		m->rss = rss;
		snprintf(mpn_app.placement_why + used, sizeof(mpn_app.placement_why) - used,
			"; IP first fragments steered to their flow's worker by the RSS model");
	} else {
		/*
		 * XXX: symmetric placement forced on a device mpnorm cannot
		 * model: a first fragment is tracked wherever it arrives.
		 */
		m->mode = MPN_OWNER_SELF;
		snprintf(mpn_app.placement_why + used, sizeof(mpn_app.placement_why) - used,
			"; IP first fragments stay where they arrive (no RSS model: %s)", why);
	}
	mpn_app.expected_samples = MPN_EXPECTED_SAMPLES;
	mpn_app.expected_known = true;
	for (s = 0; s < MPN_RSS_SET_MAX; s++) {
		size_t n = 0;

		if (mpn_owner_expected(m, (enum mpn_rss_set)s, MPN_EXPECTED_SAMPLES,
				mpn_app.expected[s]) != 0) {
			mpn_app.expected_known = false;
			break;
		}
		for (w = 0; w < nw && n < sizeof(line); w++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %.1f%%",
				100.0 * (double)mpn_app.expected[s][w] / MPN_EXPECTED_SAMPLES);
		printf("mpnorm: expected share of %s flows per worker:%s\n",
			mpn_rss_set_name((enum mpn_rss_set)s), line);
		/* Less than half its fair share: one worker will idle while another drowns. */
		for (w = 0; w < nw; w++)
			if (mpn_app.expected[s][w] * nw * 2 < MPN_EXPECTED_SAMPLES)
				printf("mpnorm: warning: worker %u is expected to get %.1f%% of %s "
					"flows, against a fair %.1f%%: check the RSS key and RETA "
					"(show workers)\n", w, 100.0 * (double)mpn_app.expected[s][w] /
					MPN_EXPECTED_SAMPLES, mpn_rss_set_name((enum mpn_rss_set)s),
					100.0 / nw);
	}
	if (!mpn_app.expected_known)
		printf("mpnorm: expected share per worker: unknown (placement not modelled)\n");
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
	owner_setup(nw);
	/*
	 * Rings whenever a packet may move: every packet in handoff mode,
	 * IP first fragments with RSS.
	 */
	if (mpn_app.owner.mode == MPN_OWNER_SELF)
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
		wk->owner = &mpn_app.owner;
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
	uint64_t last_afp;

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
			"dataplane.mbufs in %s, or give the EAL more memory (-m, hugepages). "
			"'mpnorm --check-config -c %s' prints the 2 MB hugepages this "
			"configuration needs.\n", mpn_app.cfg.dataplane.mbufs,
			rte_strerror(rte_errno), mpn_app.cfg.path, mpn_app.cfg.path);
	mpn_app.n_workers = nw;
	mpn_app.started = time(NULL);
	if (mpn_control_register() != 0)
		rte_exit(EXIT_FAILURE, "cannot register the CLI commands\n");
	srv = mpn_cli_server_open(mpn_app.cfg.control.socket, mpn_app.cfg.control.mode,
		mpn_app.cfg.control.group[0] != '\0' ? mpn_app.cfg.control.group : NULL, err, sizeof(err));
	if (srv == NULL)
		rte_exit(EXIT_FAILURE, "%s: control socket: %s. Set control.socket in the "
			"config to a path this user may create.\n", mpn_app.cfg.path, err);
	mpn_cli_server_set_idle_timeout(srv, mpn_app.cfg.control.idle_timeout, NULL);
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
	/* net_af_packet reports no ring losses; read them from the kernel (issue 18). */
	mpn_afpacket_stats_init(&mpn_app.ports);
	/* The policy now belongs to the slot; reloads replace it there. */
	if (mpn_policy_slot_init(&mpn_app.policy, nw, mpn_app.cfg.policy) != 0)
		rte_exit(EXIT_FAILURE, "out of memory for the RCU state\n");
	mpn_app.cfg.policy = NULL;
	if (mpn_app_tracking_init(&mpn_app.cfg, nw, rte_get_tsc_hz(), err, sizeof(err)) != 0)
		rte_exit(EXIT_FAILURE, "%s. 'mpnorm --check-config -c %s' prints the 2 MB "
			"hugepages this configuration needs.\n", err, mpn_app.cfg.path);
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
	if (mpn_app_cluster_start(&mpn_app.cfg, nw, err, sizeof(err)) != 0)
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
		mpn_app.workers[w++].lcore = lcore;
	}
	/* Joins with tokens unknown here ask the token directory (doc/cluster.md). */
	for (w = 0; w < nw; w++)
		mpn_app_cluster_attach(&mpn_app.workers[w]);
	mpn_app_cluster_hook_conns();
	w = 0;
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
	/*
	 * The main lcore serves the control socket and never touches packets.
	 * It is an offline RCU reader while it waits here (tracking.c), so a
	 * grace period never waits for poll()'s timeout; commands that read
	 * records go online for their duration (control.c). No quiescent
	 * report here: on an offline reader it would put it back online.
	 */
	last_afp = rte_get_timer_cycles();
	while (!mpn_force_quit) {
		/* 10 ms at most between two drains of the event rings. */
		mpn_cli_server_poll(srv, 10);
		mpn_ops_poll();
		mpn_app_cluster_tick();
		/* Records whose grace period ended go back to the pool. */
		if (mpn_app.conns != NULL)
			mpn_conn_table_reclaim(mpn_app.conns);
		/* The kernel's ring counters are 32 bits: read them every second. */
		if (rte_get_timer_cycles() - last_afp >= rte_get_timer_hz()) {
			mpn_afpacket_stats_poll();
			last_afp = rte_get_timer_cycles();
		}
	}
	mpn_cli_server_close(srv);
	rte_eal_mp_wait_lcore();
	mpn_app_cluster_stop();
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
	if (a.check_config) {
		/* Its own EAL, without hugepages or devices, whatever the command line says. */
		rc = mpn_sizing_check_config(argv[0], &mpn_app.cfg, a.off.json_path,
			a.check_hugepages);
		mpn_config_release(&mpn_app.cfg);
		return rc;
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
			"start with --no-huge -m 1024; for virtual devices add --no-pci. "
			"'mpnorm --check-config -c %s' prints the 2 MB hugepages (or the "
			"--no-huge -m) this configuration needs.\n", rte_strerror(rte_errno),
			a.config_path);
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
