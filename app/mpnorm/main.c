/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpnorm: an inline TCP normalizer that understands Multipath TCP.
 *
 *   mpnorm [EAL options] -- [-c FILE]                 run on the configured ports
 *   mpnorm --offline IN.pcap OUT.pcap [-c FILE] [--json FILE]
 *                                                     run over a capture file
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "config.h"
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
	return 0;
}

static bool
is_app_option(const char *o)
{
	static const char *const opts[] = {
		"--offline", "-c", "--json", "-h", "--help", "-V", "--version", NULL,
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

static struct mpn_config cfg;
static struct mpn_ports ports;
static struct mpn_worker workers[MPN_MAX_WORKERS];
static struct mpn_worker_stats worker_stats[MPN_MAX_WORKERS];
static struct mpn_policy_slot policy_slot;

static void
print_exit_report(void)
{
	struct mpn_worker_stats total;
	unsigned int i, nw = cfg.dataplane.workers;

	mpn_stats_sum(worker_stats, nw, &total);
	printf("\n%-4s %-24s %-6s %12s %12s %10s %10s %10s\n", "port", "name", "dpdk",
		"rx", "tx", "tx-drop", "imissed", "nombuf");
	for (i = 0; i < ports.n; i++) {
		struct rte_eth_stats es;

		if (!ports.in_use[i])
			continue;
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(ports.port_id[i], &es);
		printf("%-4u %-24s %-6u %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n", i, cfg.ports[i].name, ports.port_id[i],
			total.port[i].rx, total.port[i].tx, total.port[i].tx_dropped,
			es.imissed, es.rx_nombuf);
	}
	printf("\n%-6s %-6s %12s %12s %12s %12s\n", "worker", "lcore", "rx", "tx",
		"dropped", "rewritten");
	for (i = 0; i < nw; i++)
		printf("%-6u %-6u %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
			i, workers[i].lcore, worker_stats[i].rx, worker_stats[i].tx,
			worker_stats[i].dropped, worker_stats[i].rewritten);
	printf("\n");
	mpn_report_text_reasons(stdout, &total);
}

/* Give worker w queue w of every port that belongs to a link. */
static void
assign_queues(void)
{
	unsigned int w, p;

	for (w = 0; w < cfg.dataplane.workers; w++) {
		struct mpn_worker *wk = &workers[w];

		wk->index = w;
		wk->burst = cfg.dataplane.burst;
		wk->stats = &worker_stats[w];
		wk->policy = &policy_slot;
		mpn_pipeline_init(&wk->pipeline, w, wk->stats);
		for (p = 0; p < ports.n; p++) {
			struct mpn_rxq *q;

			if (!ports.in_use[p])
				continue;
			q = &wk->rxq[wk->n_rxq++];
			q->port_id = ports.port_id[p];
			q->queue = (uint16_t)w;
			q->tx_cfg_port = ports.peer[p];
			q->tx_port_id = ports.port_id[ports.peer[p]];
			q->origin.port = (uint16_t)p;
			q->origin.link = ports.link[p];
			q->origin.dir = ports.is_outside[p] ? MPN_DIR_OUT2IN : MPN_DIR_IN2OUT;
			q->origin.l2 = MPN_L2_ETHER;
		}
	}
}

static int
run_online(void)
{
	char err[1024];
	struct rte_mempool *mp;
	unsigned int lcore, w = 0, nw = cfg.dataplane.workers;
	unsigned int avail = rte_lcore_count() - 1;

	if (cfg.n_links == 0)
		rte_exit(EXIT_FAILURE, "%s: no links configured: add a 'links' list "
			"(see doc/config.md), or use --offline\n", cfg.path);
	if (avail < nw)
		rte_exit(EXIT_FAILURE, "%s:%d: dataplane.workers = %u, but the EAL gave %u "
			"worker lcore(s). Start with -l 0-%u (the main lcore plus one per "
			"worker), or lower dataplane.workers.\n", cfg.path,
			cfg.dataplane.workers_line, nw, avail, nw);
	{
		/* Enough mbufs to fill every RX ring, plus bursts in flight. */
		unsigned int need = 0, p;

		for (p = 0; p < cfg.n_ports; p++)
			need += nw * (cfg.ports[p].rx_desc + cfg.ports[p].tx_desc);
		need += nw * (cfg.dataplane.burst + cfg.dataplane.mbuf_cache);
		if (cfg.dataplane.mbufs < need)
			printf("mpnorm: warning: dataplane.mbufs = %u is below the %u the rings can "
				"hold; RX may run dry (rx_nombuf)\n", cfg.dataplane.mbufs, need);
	}
	mp = rte_pktmbuf_pool_create("mpn_pkts", cfg.dataplane.mbufs,
		cfg.dataplane.mbuf_cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL)
		rte_exit(EXIT_FAILURE, "cannot create a pool of %u mbufs (%s): lower "
			"dataplane.mbufs in %s, or give the EAL more memory (-m, hugepages)\n",
			cfg.dataplane.mbufs, rte_strerror(rte_errno), cfg.path);
	if (mpn_ports_start(&cfg, mp, &ports, err, sizeof(err)) != 0) {
		mpn_ports_stop(&ports);
		rte_exit(EXIT_FAILURE, "%s\n", err);
	}
	/* The policy now belongs to the slot; reloads replace it there. */
	if (mpn_policy_slot_init(&policy_slot, nw, cfg.policy) != 0)
		rte_exit(EXIT_FAILURE, "out of memory for the RCU state\n");
	cfg.policy = NULL;
	assign_queues();
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (w >= nw)
			break;
		workers[w].lcore = lcore;
		rte_eal_remote_launch(mpn_worker_main, &workers[w], lcore);
		w++;
	}
	printf("mpnorm: %u worker(s) forwarding on %u link(s); SIGINT or SIGTERM stops\n",
		nw, cfg.n_links);
	fflush(stdout);
	while (!mpn_force_quit)
		usleep(100 * 1000);
	rte_eal_mp_wait_lcore();
	print_exit_report();
	mpn_ports_stop(&ports);
	mpn_policy_slot_fini(&policy_slot);
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
	if (mpn_config_load(a.config_path, &cfg, err, sizeof(err)) != 0) {
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
		rc = mpn_offline_run(&cfg, &a.off);
	else
		rc = run_online();
	mpn_config_release(&cfg);
	rte_eal_cleanup();
	return rc;
}
