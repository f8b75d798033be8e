/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpnorm-bench: the cost of the whole per-packet pipeline (parse, classify,
 * track, decide, rewrite) with N tracked subflows, against a baseline
 * measured in the same run on the same packets.
 *
 * One scenario is one table size, one share of rewritten packets and one
 * worker count. Per repetition it:
 *   1. builds fresh tables (subflow table per worker, shared token table);
 *   2. runs the setup phase: every initial handshake, then every join, and
 *      times them: new subflows per second, verified joins per second;
 *   3. runs the data phase twice over the same packets: once through a
 *      loop that does what a forwarder does and nothing more (the
 *      baseline), once through mpn_pipeline_run(). Both receive and send
 *      as a poll-mode driver does (see "Rings" below), so the mbufs in
 *      use are a dense set of RX_DESC + TX_DESC buffers that cycle
 *      through the mempool, not a few hot ones reused every burst, and
 *      both copy each frame in from the pristine traffic first, as a NIC's
 *      DMA would, so the rewrites of one pass never leak into the next.
 * The figures are medians over the repetitions, with their minimum and
 * maximum. "pipeline cost" is the pipeline's TSC ticks per packet minus
 * the baseline's, per repetition: what mpnorm adds. TSC ticks count at the
 * TSC's fixed rate, which is not the core's clock under turbo or power
 * saving: the figures are "TSC cycles", comparable with testpmd's and
 * scripts/bench.sh's, not core cycles.
 *
 * A shared host deschedules the workers: wall ticks then count time that
 * other processes ran. Each phase also takes each worker's thread CPU time
 * (CLOCK_THREAD_CPUTIME_ID), and the "on CPU" figures are computed from it
 * (converted at the TSC rate), with the share of the wall time the workers
 * were on a CPU. Other processes still evict the caches.
 *
 * Rings. A PMD's receive ring holds RX_DESC mbufs; rx_burst hands out the
 * oldest filled ones (written RX_DESC packets earlier) and refills their
 * slots from the mempool. The transmit ring keeps sent mbufs until the NIC
 * is done with them; they go back to the pool TX_FREE at a time once the
 * ring is full. The baseline touches the headers (swaps the MACs, reads
 * the TTL), as testpmd's macswap does.
 *
 * With --workers 2 the scenario runs with one worker and then with two,
 * and the ratio of their pipeline rates is printed ("2 workers against 1").
 *
 * With more than one worker, packets go to the worker that owns their
 * 5-tuple under the symmetric hash (lib/pipeline/owner.h), as symmetric
 * RSS or the handoff mode would place them; each worker has its own
 * subflow table and all share the token table, as in the live appliance.
 * Joins run after every initial handshake so no join can overtake its
 * connection's MP_CAPABLE on another core (the generator orders them per
 * connection; the split across workers cannot).
 *
 * Under valgrind --tool=callgrind it runs one repetition and dumps one
 * profile per timed phase (CALLGRIND_DUMP_STATS_AT); bench.sh divides their
 * instruction counts by the packets of the phase.
 *
 * Usage: mpnorm-bench [EAL options] -- [options]; see usage().
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#ifdef MPN_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define CALLGRIND_ZERO_STATS do { } while (0)
#define CALLGRIND_DUMP_STATS_AT(s) do { (void)(s); } while (0)
#endif

#include "config.h"
#include "conn.h"
#include "ctx.h"
#include "gen.h"
#include "owner.h"
#include "pipeline.h"
#include "pkt.h"
#include "stats.h"
#include "track.h"

#define BURST 32
#define MAX_WORKERS 2
#define MAX_REPS 51
#define RX_DESC 1024   /* as mpnorm's and testpmd's default rings */
#define TX_DESC 1024
#define TX_FREE 32     /* TX completions handed back per free */
#define POOL_MBUFS 8191

enum phase {
	PHASE_HANDSHAKE,
	PHASE_JOIN,
	PHASE_BASELINE,
	PHASE_PIPELINE,
	PHASE_COUNT,
};

static const char *const phase_name[PHASE_COUNT] = {
	"handshake", "join", "baseline", "pipeline",
};

struct options {
	const char *config;
	uint32_t subflows;          /* target tracked subflows */
	uint32_t subflows_per_conn;
	uint8_t rewrite;            /* percent of data segments rewritten */
	uint8_t version;
	unsigned int workers;
	unsigned int reps;
	uint64_t data_packets;      /* target data-phase packets */
	uint64_t seed;
	const char *csv;            /* append one CSV line per scenario */
	const char *label;
	bool no_tracking;           /* --tracking off: the stateless tcp-map only */
	bool tracking_set;          /* --tracking given: overrides tables.tracking */
	double tsc_hz;              /* --tsc-hz: 0 = what DPDK measured */
};

/* What one worker does in one phase: a list of packet indices. */
struct worker {
	unsigned int id;
	struct mpn_pipeline pl;
	struct mpn_worker_stats stats;
	struct mpn_tracker *tracker;
	struct rte_mbuf *mbufs[BURST];
	struct rte_mempool *pool;   /* this worker's: a forwarder's RX refill and TX free */
	struct rte_mbuf *rxq[RX_DESC];  /* the receive ring: filled, oldest at rx_head */
	struct rte_mbuf *txq[TX_DESC];  /* the transmit ring: sent, oldest at tx_head */
	unsigned int rx_head, tx_head, tx_n;
	uint32_t *list[PHASE_COUNT];
	uint64_t n[PHASE_COUNT];
	uint64_t start, end;        /* TSC of the current phase */
	uint64_t cpu_ns;            /* this thread's CPU time in the current phase */
	uint64_t forwarded, dropped;
	uint64_t touch_sum;         /* keeps the baseline's loads alive */
} __rte_cache_aligned;

static struct {
	struct options o;
	struct mpn_config cfg;
	struct mpn_gen gen;
	struct mpn_conn_table *conns;
	struct worker w[MAX_WORKERS];
	unsigned int active;        /* workers of the current scenario */
	uint32_t flow_capacity;     /* per worker */
	uint32_t conn_capacity;
	/* Phase handshake between the main lcore and the others. */
	volatile int phase_go;      /* phase number + 1; 0: idle; -1: quit */
	volatile unsigned int done;
} B;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mpnorm-bench [EAL options] -- [options]\n"
		"  -c FILE            policy and timeouts from this config (default config/mpnorm.conf)\n"
		"  --subflows N       tracked subflows (default 65536)\n"
		"  --per-conn N       subflows per MPTCP connection, 1..8 (default 2)\n"
		"  --rewrite PCT      data segments the policy rewrites, 0..100 (default 0)\n"
		"  --version 0|1      MPTCP version (default 1)\n"
		"  --workers 1|2      worker lcores; the EAL must give as many (default 1)\n"
		"  --reps N           repetitions, median reported (default 5; 1 under valgrind)\n"
		"  --packets N        data-phase packets, at least 2 per subflow (default 2000000)\n"
		"  --seed N           generator seed (default 1)\n"
		"  --csv FILE         append one CSV line per scenario\n"
		"  --label TEXT       scenario label in the outputs\n"
		"  --workers 2 runs the scenario with 1 worker, then 2, and prints the ratio\n"
		"  --tracking on|off  off: the stateless tcp-map only, no tables (default: the\n"
		"                     config's tables.tracking)\n"
		"  --tsc-hz HZ        the TSC rate, if DPDK's measure is wrong (default: DPDK's)\n");
}

static int
parse_u64(const char *name, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0' || *s == '-' || v < lo || v > hi) {
		fprintf(stderr, "mpnorm-bench: %s: \"%s\" is not a number in %" PRIu64 "..%" PRIu64
			"\n", name, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option lopts[] = {
		{ "subflows", required_argument, NULL, 's' },
		{ "per-conn", required_argument, NULL, 'p' },
		{ "rewrite", required_argument, NULL, 'r' },
		{ "version", required_argument, NULL, 'v' },
		{ "workers", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, 'n' },
		{ "packets", required_argument, NULL, 'P' },
		{ "seed", required_argument, NULL, 'S' },
		{ "csv", required_argument, NULL, 'C' },
		{ "label", required_argument, NULL, 'L' },
		{ "tracking", required_argument, NULL, 'T' },
		{ "tsc-hz", required_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	o->config = "config/mpnorm.conf";
	o->subflows = 65536;
	o->subflows_per_conn = 2;
	o->version = 1;
	o->workers = 1;
	o->reps = 5;
	o->data_packets = 2000000;
	o->seed = 1;
	while ((c = getopt_long(argc, argv, "c:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 's':
			if (parse_u64("--subflows", optarg, 1, 16u << 20, &v) != 0)
				return -1;
			o->subflows = (uint32_t)v;
			break;
		case 'p':
			if (parse_u64("--per-conn", optarg, 1, 8, &v) != 0)
				return -1;
			o->subflows_per_conn = (uint32_t)v;
			break;
		case 'r':
			if (parse_u64("--rewrite", optarg, 0, 100, &v) != 0)
				return -1;
			o->rewrite = (uint8_t)v;
			break;
		case 'v':
			if (parse_u64("--version", optarg, 0, 1, &v) != 0)
				return -1;
			o->version = (uint8_t)v;
			break;
		case 'w':
			if (parse_u64("--workers", optarg, 1, MAX_WORKERS, &v) != 0)
				return -1;
			o->workers = (unsigned int)v;
			break;
		case 'n':
			if (parse_u64("--reps", optarg, 1, MAX_REPS, &v) != 0)
				return -1;
			o->reps = (unsigned int)v;
			break;
		case 'P':
			if (parse_u64("--packets", optarg, 1, 1ull << 32, &v) != 0)
				return -1;
			o->data_packets = v;
			break;
		case 'S':
			if (parse_u64("--seed", optarg, 0, UINT64_MAX, &v) != 0)
				return -1;
			o->seed = v;
			break;
		case 'C': o->csv = optarg; break;
		case 'L': o->label = optarg; break;
		case 'T':
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
				fprintf(stderr, "mpnorm-bench: --tracking is on or off\n");
				return -1;
			}
			o->no_tracking = strcmp(optarg, "off") == 0;
			o->tracking_set = true;
			break;
		case 'Z':
			if (parse_u64("--tsc-hz", optarg, 1000000, 100000000000ull, &v) != 0)
				return -1;
			o->tsc_hz = (double)v;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mpnorm-bench: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Build the traffic: enough connections for the subflows, enough rounds for the packets. */
static int
generate(void)
{
	struct mpn_gen_params gp;
	char err[256];
	uint64_t per_subflow;
	uint64_t t0 = rte_rdtsc();

	mpn_gen_params_default(&gp);
	gp.seed = B.o.seed;
	gp.version = B.o.version;
	gp.subflows = B.o.subflows_per_conn;
	gp.rewrite_percent = B.o.rewrite;
	/* subflows = conns * (plain% * 1 + (100 - plain%) * per_conn) / 100 */
	gp.connections = (uint32_t)(((uint64_t)B.o.subflows * 100 +
		(gp.plain_tcp_percent + (100u - gp.plain_tcp_percent) * gp.subflows) - 1) /
		(gp.plain_tcp_percent + (100u - gp.plain_tcp_percent) * gp.subflows));
	per_subflow = (B.o.data_packets + B.o.subflows - 1) / B.o.subflows;
	per_subflow = RTE_MAX(per_subflow, 2u);
	per_subflow += per_subflow & 1;   /* whole data/ACK pairs */
	gp.data_per_subflow = (uint32_t)per_subflow;
	if (mpn_gen_build(&gp, &B.gen, err, sizeof(err)) != 0) {
		fprintf(stderr, "mpnorm-bench: generator: %s\n", err);
		return -1;
	}
	fprintf(stderr, "mpnorm-bench: generated %" PRIu64 " packets (%" PRIu64 " setup) for %u "
		"connections, %" PRIu64 " subflows, %" PRIu64 " joins, %" PRIu64 " rewritten, in "
		"%.1f s\n", B.gen.n, B.gen.n_setup, B.gen.n_conn, B.gen.subflows, B.gen.joins,
		B.gen.rewrites, (double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz());
	return 0;
}

/* Give each of the active workers its packets, phase by phase, in traffic order. */
static int
split(void)
{
	unsigned int w, nw = B.active;
	uint64_t i;

	for (w = 0; w < MAX_WORKERS; w++) {
		int p;

		for (p = 0; p < PHASE_COUNT; p++) {
			if (B.w[w].list[p] == NULL)
				B.w[w].list[p] = malloc(sizeof(uint32_t) * (B.gen.n + 1));
			if (B.w[w].list[p] == NULL) {
				fprintf(stderr, "mpnorm-bench: out of memory for the packet lists\n");
				return -1;
			}
			B.w[w].n[p] = 0;
		}
	}
	for (i = 0; i < B.gen.n; i++) {
		const struct mpn_gen_pkt *g = &B.gen.pkt[i];
		unsigned int owner = 0;
		struct worker *wk;

		if (nw > 1) {
			struct mpn_pkt p;

			if (mpn_pkt_parse(g->data, g->len, MPN_L2_ETHER, &p) != MPN_PKT_TCP) {
				fprintf(stderr, "mpnorm-bench: generated packet %" PRIu64
					" does not parse as TCP\n", i);
				return -1;
			}
			owner = mpn_owner_of(mpn_owner_hash(g->data, &p), nw);
		}
		wk = &B.w[owner];
		if (g->cls == MPN_GEN_DATA) {
			wk->list[PHASE_BASELINE][wk->n[PHASE_BASELINE]++] = (uint32_t)i;
			wk->list[PHASE_PIPELINE][wk->n[PHASE_PIPELINE]++] = (uint32_t)i;
		} else if (g->cls == MPN_GEN_JOIN) {
			wk->list[PHASE_JOIN][wk->n[PHASE_JOIN]++] = (uint32_t)i;
		} else {
			wk->list[PHASE_HANDSHAKE][wk->n[PHASE_HANDSHAKE]++] = (uint32_t)i;
		}
	}
	return 0;
}

/* Fill the receive ring, as a PMD does when its queue starts. */
static int
rings_init(struct worker *wk)
{
	if (rte_pktmbuf_alloc_bulk(wk->pool, wk->rxq, RX_DESC) != 0)
		return -1;
	wk->rx_head = 0;
	wk->tx_head = 0;
	wk->tx_n = 0;
	return 0;
}

static void
rings_fini(struct worker *wk)
{
	unsigned int k;

	rte_pktmbuf_free_bulk(wk->rxq, RX_DESC);
	for (k = 0; k < wk->tx_n; k++)
		rte_pktmbuf_free(wk->txq[(wk->tx_head + k) % TX_DESC]);
	wk->tx_n = 0;
}

/*
 * Receive a burst as a PMD does: the oldest filled mbufs of the receive
 * ring, their frames "DMAed" in (copied from the pristine traffic), and
 * their slots refilled from the mempool.
 */
static inline unsigned int
rx_burst(struct worker *wk, const uint32_t *idx, unsigned int n)
{
	struct rte_mbuf *fresh[BURST];
	unsigned int k;

	if (rte_pktmbuf_alloc_bulk(wk->pool, fresh, n) != 0)
		rte_panic("mpnorm-bench: mbuf pool exhausted\n");
	for (k = 0; k < n; k++) {
		const struct mpn_gen_pkt *g = &B.gen.pkt[idx[k]];
		unsigned int slot = (wk->rx_head + k) % RX_DESC;
		struct rte_mbuf *m = wk->rxq[slot];

		if (k + 2 < n)
			rte_prefetch0(B.gen.pkt[idx[k + 2]].data);
		wk->rxq[slot] = fresh[k];
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = g->len;
		m->pkt_len = g->len;
		rte_memcpy(rte_pktmbuf_mtod(m, void *), g->data, g->len);
		wk->mbufs[k] = m;
	}
	wk->rx_head = (wk->rx_head + n) % RX_DESC;
	return n;
}

/*
 * Send as a PMD does: the mbufs stay on the transmit ring until the NIC is
 * done with them; once the ring is full, the oldest TX_FREE go back to the
 * pool in one bulk free.
 */
static inline void
tx_burst(struct worker *wk, struct rte_mbuf **m, unsigned int n)
{
	unsigned int k;

	while (wk->tx_n + n > TX_DESC) {
		struct rte_mbuf *done[TX_FREE];

		for (k = 0; k < TX_FREE; k++)
			done[k] = wk->txq[(wk->tx_head + k) % TX_DESC];
		rte_pktmbuf_free_bulk(done, TX_FREE);
		wk->tx_head = (wk->tx_head + TX_FREE) % TX_DESC;
		wk->tx_n -= TX_FREE;
	}
	for (k = 0; k < n; k++)
		wk->txq[(wk->tx_head + wk->tx_n + k) % TX_DESC] = m[k];
	wk->tx_n += n;
}

/*
 * The baseline: receive, then touch each packet the least a forwarder
 * must (swap the MAC addresses, as testpmd's macswap does, and read the
 * TTL), and send.
 */
static void
run_baseline(struct worker *wk, const uint32_t *list, uint64_t n)
{
	uint64_t i, sum = 0;

	for (i = 0; i < n; i += BURST) {
		unsigned int k, nb = (unsigned int)RTE_MIN((uint64_t)BURST, n - i);

		rx_burst(wk, list + i, nb);
		for (k = 0; k < nb; k++) {
			uint8_t *f = rte_pktmbuf_mtod(wk->mbufs[k], uint8_t *);
			uint8_t tmp[6];

			memcpy(tmp, f, 6);
			memcpy(f, f + 6, 6);
			memcpy(f + 6, tmp, 6);
			sum += f[12 + 1 + 8];     /* TTL/hop limit area: one more line touched */
		}
		tx_burst(wk, wk->mbufs, nb);
		wk->forwarded += nb;
	}
	wk->touch_sum += sum;
}

static void
run_pipeline(struct worker *wk, const uint32_t *list, uint64_t n)
{
	static const struct mpn_burst_origin origin = {
		.port = 0, .link = 0, .dir = MPN_DIR_IN2OUT, .l2 = MPN_L2_ETHER,
	};
	uint8_t verdicts[BURST];
	struct rte_mbuf *fwd[BURST], *drop[BURST];
	uint64_t i;

	for (i = 0; i < n; i += BURST) {
		unsigned int k, nf = 0, nd = 0, nb = (unsigned int)RTE_MIN((uint64_t)BURST, n - i);
		uint64_t now = rte_rdtsc();

		rx_burst(wk, list + i, nb);
		mpn_pipeline_run(&wk->pl, B.cfg.policy, &origin, wk->mbufs, (uint16_t)nb,
			verdicts, now);
		for (k = 0; k < nb; k++) {
			if (verdicts[k] == MPN_VERDICT_FORWARD)
				fwd[nf++] = wk->mbufs[k];
			else
				drop[nd++] = wk->mbufs[k];
		}
		tx_burst(wk, fwd, nf);
		if (nd > 0)
			rte_pktmbuf_free_bulk(drop, nd);
		wk->forwarded += nf;
		wk->dropped += nd;
		/* As the live worker loop: the sweep runs by time, bounded. */
		if (wk->tracker != NULL)
			mpn_tracker_housekeeping(wk->tracker, now);
	}
}

/* This thread's CPU time: what it ran, without the time the host gave to others. */
static uint64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
run_phase(struct worker *wk, enum phase p)
{
	uint64_t c0 = thread_cpu_ns();

	wk->start = rte_rdtsc();
	if (p == PHASE_BASELINE)
		run_baseline(wk, wk->list[p], wk->n[p]);
	else
		run_pipeline(wk, wk->list[p], wk->n[p]);
	wk->end = rte_rdtsc();
	wk->cpu_ns = thread_cpu_ns() - c0;
}

static int
worker_main(void *arg)
{
	struct worker *wk = arg;
	int seen = 0;

	for (;;) {
		int go = __atomic_load_n(&B.phase_go, __ATOMIC_ACQUIRE);

		if (go < 0)
			return 0;
		if (go == seen) {
			rte_pause();
			continue;
		}
		seen = go;
		if (go > 0 && wk->id < B.active) {
			run_phase(wk, (enum phase)(go - 1));
			__atomic_add_fetch(&B.done, 1, __ATOMIC_RELEASE);
		}
	}
}

/* Run one phase on every active worker; the main lcore is worker 0. @return wall TSC ticks. */
static uint64_t
phase(enum phase p)
{
	unsigned int w;
	uint64_t start, end;

	__atomic_store_n(&B.done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&B.phase_go, (int)p + 1, __ATOMIC_RELEASE);
	CALLGRIND_ZERO_STATS;
	run_phase(&B.w[0], p);
	while (__atomic_load_n(&B.done, __ATOMIC_ACQUIRE) < B.active - 1)
		rte_pause();
	CALLGRIND_DUMP_STATS_AT(phase_name[p]);
	/* Back to idle so the workers wait for the next phase number. */
	__atomic_store_n(&B.phase_go, 0, __ATOMIC_RELEASE);
	start = B.w[0].start;
	end = B.w[0].end;
	for (w = 1; w < B.active; w++) {
		start = RTE_MIN(start, B.w[w].start);
		end = RTE_MAX(end, B.w[w].end);
	}
	return end - start;
}

static void
tables_free(void)
{
	unsigned int w;

	for (w = 0; w < B.active; w++) {
		mpn_pipeline_fini(&B.w[w].pl);
		mpn_tracker_free(B.w[w].tracker);
		B.w[w].tracker = NULL;
	}
	mpn_conn_table_free(B.conns);
	B.conns = NULL;
}

static int
tables_create(void)
{
	struct mpn_flow_params fp;
	unsigned int w;
	char name[32];

	mpn_flow_params_default(&fp);
	fp.capacity = B.flow_capacity;
	fp.hz = rte_get_tsc_hz();
	fp.embryonic_timeout = B.cfg.tables.embryonic_timeout;
	fp.idle_timeout = B.cfg.tables.idle_timeout;
	fp.half_closed_timeout = B.cfg.tables.half_closed_timeout;
	fp.closed_timeout = B.cfg.tables.closed_timeout;
	fp.midstream = B.cfg.tables.unknown_subflow_drop ? MPN_FLOW_MIDSTREAM_DROP :
		MPN_FLOW_MIDSTREAM_LEARN;
	if (!B.o.no_tracking) {
		B.conns = mpn_conn_table_create("bench_conns", B.conn_capacity, B.active,
			(int)rte_socket_id());
		if (B.conns == NULL) {
			fprintf(stderr, "mpnorm-bench: cannot create a token table of %u "
				"connections: give the EAL more memory (-m)\n", B.conn_capacity);
			return -1;
		}
	}
	for (w = 0; w < B.active; w++) {
		snprintf(name, sizeof(name), "bench_flows%u", w);
		B.w[w].tracker = B.o.no_tracking ? NULL :
			mpn_tracker_create(name, &fp, B.conns, w, (int)rte_socket_id());
		if (B.w[w].tracker == NULL && !B.o.no_tracking) {
			fprintf(stderr, "mpnorm-bench: cannot create a subflow table of %u entries: "
				"%s; give the EAL more memory (-m)\n", B.flow_capacity,
				rte_strerror(rte_errno));
			tables_free();
			return -1;
		}
		memset(&B.w[w].stats, 0, sizeof(B.w[w].stats));
		if (mpn_pipeline_init(&B.w[w].pl, w, &B.w[w].stats) != 0) {
			fprintf(stderr, "mpnorm-bench: out of memory\n");
			tables_free();
			return -1;
		}
		B.w[w].pl.tracker = B.w[w].tracker;
		/*
		 * The sweep runs by time (1 ms). Under valgrind time runs about
		 * 50 times slower per instruction, so the same sweep would run
		 * 50 times more often per packet and dominate the count.
		 */
		if (B.w[w].tracker != NULL && RUNNING_ON_VALGRIND)
			mpn_tracker_set_sweep(B.w[w].tracker, rte_get_tsc_hz() / 1000 * 50, 256);
		B.w[w].pl.log_enabled = false;
		B.w[w].forwarded = 0;
		B.w[w].dropped = 0;
	}
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median, minimum and maximum of n values (sorts v). */
struct spread {
	double med, min, max;
};

static struct spread
spread_of(double *v, unsigned int n)
{
	struct spread s;

	qsort(v, n, sizeof(*v), cmp_double);
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

struct rep_result {
	double ticks[PHASE_COUNT];
	double cpu_ns[PHASE_COUNT];   /* summed over the workers */
	uint64_t drops, joins_verified, tracked, rewritten;
};

static int
one_rep(struct rep_result *r)
{
	unsigned int w, i, p;

	memset(r, 0, sizeof(*r));
	if (tables_create() != 0)
		return -1;
	for (p = 0; p < PHASE_COUNT; p++) {
		r->ticks[p] = (double)phase((enum phase)p);
		for (w = 0; w < B.active; w++)
			r->cpu_ns[p] += (double)B.w[w].cpu_ns;
	}
	for (w = 0; w < B.active; w++) {
		const struct mpn_track_stats *ts;
		unsigned int n = mpn_track_stats_count();

		r->drops += B.w[w].stats.dropped;
		r->rewritten += B.w[w].stats.rewritten;
		if (B.w[w].tracker == NULL)
			continue;
		ts = mpn_tracker_stats(B.w[w].tracker);
		for (i = 0; i < n; i++) {
			uint64_t v;
			const char *name = mpn_track_stats_get(ts, i, &v);

			if (name != NULL && strcmp(name, "joins_verified") == 0)
				r->joins_verified += v;
		}
		r->tracked += mpn_flow_count(mpn_tracker_table(B.w[w].tracker));
	}
	tables_free();
	return 0;
}

/* What one scenario (one worker count) measured. */
struct figures {
	struct spread base_mpps, pipe_mpps, base_cyc, pipe_cyc, cost, joins_pw;
	/* The same from the threads' CPU time: without the time a shared host ran others. */
	struct spread pipe_cyc_cpu, cost_cpu, joins_pw_cpu;
	double hs_rate, on_cpu;   /* on_cpu: CPU time over wall time x workers, pipeline phase */
	uint64_t tracked, drops, joins_verified, rewritten, data_pkts;
};

static void
fmt_spread(char *buf, size_t len, struct spread s, int prec)
{
	snprintf(buf, len, "%.*f (%.*f-%.*f)", prec, s.med, prec, s.min, prec, s.max);
}

/* Run the repetitions with B.active workers and print the row. @return 0 or -1. */
static int
scenario(double hz, struct figures *f)
{
	static struct rep_result rr[MAX_REPS];
	double bm[MAX_REPS], pm[MAX_REPS], bc[MAX_REPS], pc[MAX_REPS], cost[MAX_REPS];
	double jr[MAX_REPS], hs[MAX_REPS], pcc[MAX_REPS], costc[MAX_REPS], jrc[MAX_REPS];
	double onc[MAX_REPS];
	double pkts[PHASE_COUNT];
	unsigned int rep, w, p, nw = B.active;
	const char *label = B.o.label != NULL ? B.o.label : "-";
	char s_bm[64], s_pm[64], s_pc[64], s_cost[64], s_jr[64], s_costc[64], s_jrc[64];
	const struct rep_result *last;
	double initial = (double)(B.gen.subflows - B.gen.joins);

	if (split() != 0)
		return -1;
	for (rep = 0; rep < B.o.reps; rep++)
		if (one_rep(&rr[rep]) != 0)
			return -1;
	for (p = 0; p < PHASE_COUNT; p++) {
		pkts[p] = 0;
		for (w = 0; w < nw; w++)
			pkts[p] += (double)B.w[w].n[p];
	}
	for (rep = 0; rep < B.o.reps; rep++) {
		const double *t = rr[rep].ticks, *c;

		/* Mpps of all workers; ticks per packet per worker (wall ticks x workers). */
		bm[rep] = pkts[PHASE_BASELINE] / (t[PHASE_BASELINE] / hz) / 1e6;
		pm[rep] = pkts[PHASE_PIPELINE] / (t[PHASE_PIPELINE] / hz) / 1e6;
		bc[rep] = t[PHASE_BASELINE] * nw / pkts[PHASE_BASELINE];
		pc[rep] = t[PHASE_PIPELINE] * nw / pkts[PHASE_PIPELINE];
		cost[rep] = pc[rep] - bc[rep];
		jr[rep] = (double)B.gen.joins / (t[PHASE_JOIN] / hz) / nw;
		hs[rep] = initial / (t[PHASE_HANDSHAKE] / hz);
		/* CPU ns summed over the workers: per worker per packet once divided. */
		c = rr[rep].cpu_ns;
		pcc[rep] = c[PHASE_PIPELINE] * hz / 1e9 / pkts[PHASE_PIPELINE];
		costc[rep] = pcc[rep] - c[PHASE_BASELINE] * hz / 1e9 / pkts[PHASE_BASELINE];
		jrc[rep] = c[PHASE_JOIN] > 0 ? (double)B.gen.joins / (c[PHASE_JOIN] / 1e9) : 0;
		onc[rep] = c[PHASE_PIPELINE] / 1e9 / (t[PHASE_PIPELINE] / hz * nw);
	}
	f->pipe_cyc_cpu = spread_of(pcc, B.o.reps);
	f->cost_cpu = spread_of(costc, B.o.reps);
	f->joins_pw_cpu = spread_of(jrc, B.o.reps);
	f->on_cpu = spread_of(onc, B.o.reps).med;
	f->base_mpps = spread_of(bm, B.o.reps);
	f->pipe_mpps = spread_of(pm, B.o.reps);
	f->base_cyc = spread_of(bc, B.o.reps);
	f->pipe_cyc = spread_of(pc, B.o.reps);
	f->cost = spread_of(cost, B.o.reps);
	f->joins_pw = spread_of(jr, B.o.reps);
	f->hs_rate = spread_of(hs, B.o.reps).med;
	last = &rr[B.o.reps - 1];
	f->tracked = last->tracked;
	f->drops = last->drops;
	f->joins_verified = last->joins_verified;
	f->rewritten = last->rewritten;
	f->data_pkts = (uint64_t)pkts[PHASE_PIPELINE];

	fmt_spread(s_bm, sizeof(s_bm), f->base_mpps, 2);
	fmt_spread(s_pm, sizeof(s_pm), f->pipe_mpps, 2);
	fmt_spread(s_pc, sizeof(s_pc), f->pipe_cyc, 0);
	fmt_spread(s_cost, sizeof(s_cost), f->cost, 0);
	fmt_spread(s_jr, sizeof(s_jr), f->joins_pw, 0);
	fmt_spread(s_costc, sizeof(s_costc), f->cost_cpu, 0);
	fmt_spread(s_jrc, sizeof(s_jrc), f->joins_pw_cpu, 0);
	printf("| %s | %s | %" PRIu64 " | %u%% | %u | %s | %s | %.0f | %s | %s | %.0f | %s | %"
		PRIu64 " | %.0f%% | %.0f | %s | %s |\n", label, B.o.no_tracking ? "off" : "on",
		f->tracked, B.o.rewrite, nw, s_bm, s_pm, f->base_cyc.med, s_pc, s_cost, f->hs_rate,
		B.o.no_tracking ? "-" : s_jr, f->drops, f->on_cpu * 100, f->pipe_cyc_cpu.med,
		s_costc, B.o.no_tracking ? "-" : s_jrc);
	fflush(stdout);
	fprintf(stderr, "mpnorm-bench: %u worker(s), %u repetitions; %" PRIu64 " data packets per "
		"pass, %" PRIu64 " rewritten; joins verified %" PRIu64 " of %" PRIu64 "\n", nw,
		B.o.reps, f->data_pkts, f->rewritten, f->joins_verified, B.gen.joins);
	if (f->drops != 0 || (!B.o.no_tracking && f->joins_verified != B.gen.joins))
		fprintf(stderr, "mpnorm-bench: WARNING: the pipeline dropped %" PRIu64
			" packets or failed to verify joins: the figures are not of the "
			"intended path\n", f->drops);
	if (B.o.csv != NULL) {
		FILE *c = fopen(B.o.csv, "a");

		if (c == NULL) {
			fprintf(stderr, "mpnorm-bench: %s: %s\n", B.o.csv, strerror(errno));
			return -1;
		}
		/* Columns: see scripts/bench.sh (the header it writes). */
		fprintf(c, "%s,%s,%" PRIu64 ",%u,%u,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.1f,%.1f,%.1f,"
			"%.1f,%.1f,%.1f,%.1f,%.0f,%.0f,%.0f,%.0f,%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%.0f,%.3f,%.1f,%.1f,%.1f,%.1f,%.0f\n", label, B.o.no_tracking ? "off" : "on", f->tracked, B.o.rewrite, nw,
			f->base_mpps.med, f->base_mpps.min, f->base_mpps.max,
			f->pipe_mpps.med, f->pipe_mpps.min, f->pipe_mpps.max,
			f->base_cyc.med, f->pipe_cyc.med, f->pipe_cyc.min, f->pipe_cyc.max,
			f->cost.med, f->cost.min, f->cost.max, f->hs_rate,
			f->joins_pw.med, f->joins_pw.min, f->joins_pw.max,
			f->drops, f->joins_verified, f->data_pkts, hz, f->on_cpu,
			f->pipe_cyc_cpu.med, f->cost_cpu.med, f->cost_cpu.min, f->cost_cpu.max,
			f->joins_pw_cpu.med);
		fclose(c);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct figures fig[MAX_WORKERS];
	char err[1024];
	unsigned int w, p, lcore, nw;
	double hz;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mpnorm-bench: EAL init failed: %s (try --no-huge -m 4096 "
			"--no-pci -l 0-1)\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	if (parse_options(argc, argv, &B.o) != 0)
		return 2;
	if (RUNNING_ON_VALGRIND)
		B.o.reps = 1;
	if (rte_lcore_count() < B.o.workers) {
		fprintf(stderr, "mpnorm-bench: --workers %u needs %u lcores; the EAL has %u "
			"(-l 0-%u)\n", B.o.workers, B.o.workers, rte_lcore_count(), B.o.workers - 1);
		return 2;
	}
	if (mpn_config_load(B.o.config, &B.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mpnorm-bench: %s\n", err);
		return 2;
	}
	if (!B.o.tracking_set)
		B.o.no_tracking = !B.cfg.tables.tracking;
	hz = B.o.tsc_hz > 0 ? B.o.tsc_hz : (double)rte_get_tsc_hz();
	fprintf(stderr, "mpnorm-bench: TSC %.0f MHz (%s). TSC ticks count at this fixed rate, "
		"not the core's clock (turbo, power saving): \"cycles\" below are TSC cycles.\n",
		hz / 1e6, B.o.tsc_hz > 0 ? "--tsc-hz" : "measured by DPDK");
	if (generate() != 0)
		return 1;
	/* Room for every subflow on one worker: the symmetric hash is not a perfect split. */
	B.conn_capacity = (uint32_t)RTE_MAX(1024u, (uint64_t)B.gen.n_conn * 5 / 4);
	/*
	 * One pool per worker, as a forwarder's RX queue has: room for both
	 * rings and a per-lcore cache, with mpnorm's private area (ctx.h).
	 */
	for (w = 0; w < B.o.workers; w++) {
		char pname[32];

		snprintf(pname, sizeof(pname), "bench_pool%u", w);
		B.w[w].id = w;
		B.w[w].pool = rte_pktmbuf_pool_create(pname, POOL_MBUFS, 256, MPN_MBUF_PRIV_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		if (B.w[w].pool == NULL || rings_init(&B.w[w]) != 0) {
			fprintf(stderr, "mpnorm-bench: cannot create the mbuf pool: %s\n",
				rte_strerror(rte_errno));
			return 1;
		}
	}
	w = 1;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (w >= B.o.workers)
			break;
		rte_eal_remote_launch(worker_main, &B.w[w], lcore);
		w++;
	}
	printf("| scenario | tracking | subflows tracked | rewritten | workers | baseline Mpps | "
		"pipeline Mpps | baseline cyc/pkt | pipeline cyc/pkt | extra cyc/pkt | "
		"new subflows/s | verified joins/s per worker | drops | on CPU | pipeline cyc/pkt "
		"on CPU | extra cyc/pkt on CPU | verified joins/s per worker on CPU |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		"---:|\n");
	/* With 2 workers: 1 first, then 2, for the ratio. */
	for (nw = B.o.workers > 1 ? 1 : B.o.workers; nw <= B.o.workers; nw++) {
		B.active = nw;
		B.flow_capacity = (uint32_t)RTE_MAX(1024u, B.gen.subflows * 5 / 4 / nw + 1024);
		if (scenario(hz, &fig[nw - 1]) != 0)
			return 1;
	}
	__atomic_store_n(&B.phase_go, -1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	printf("\nMedians (min-max) of %u repetitions. TSC %.0f MHz; cycles are TSC cycles, not "
		"core cycles. \"On CPU\": from the workers' thread CPU time, at the TSC rate, "
		"without the time the host ran other processes.\n", B.o.reps, hz / 1e6);
	if (B.o.workers > 1) {
		double r = fig[1].pipe_mpps.med / fig[0].pipe_mpps.med;

		/*
		 * On CPU: what two workers would give against one if each had a
		 * core of its own: 2 x (one worker's on-CPU cycles/packet over
		 * each of two workers').
		 */
		printf("2 workers against 1 (pipeline Mpps, medians): %.2fx (%.2f against %.2f "
			"Mpps; baseline %.2fx); on CPU: %.2fx (%.0f against %.0f cycles/packet per "
			"worker)\n", r, fig[1].pipe_mpps.med, fig[0].pipe_mpps.med,
			fig[1].base_mpps.med / fig[0].base_mpps.med,
			2 * fig[0].pipe_cyc_cpu.med / fig[1].pipe_cyc_cpu.med,
			fig[1].pipe_cyc_cpu.med, fig[0].pipe_cyc_cpu.med);
	}
	for (w = 0; w < B.o.workers; w++) {
		rings_fini(&B.w[w]);
		for (p = 0; p < PHASE_COUNT; p++)
			free(B.w[w].list[p]);
		rte_mempool_free(B.w[w].pool);
	}
	mpn_gen_free(&B.gen);
	mpn_config_release(&B.cfg);
	rte_eal_cleanup();
	return 0;
}
