/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What DPDK's graph library (librte_graph) costs per node per burst, against
 * a plain chain of function calls doing the same work (issue 14: "consider
 * it; if you do not use it, measure its cost per node per burst").
 *
 * Both run STAGES trivial stages over a burst of BURST objects, as mpnorm's
 * pipeline would run parse, classify, look up, check, commit, rewrite and
 * account:
 *   - graph: a source node hands the burst to node 1, which passes it on
 *     to node 2, ... node STAGES (rte_node_next_stream_move: the cheapest
 *     way, a pointer swap when every object goes to the same edge); one
 *     rte_graph_walk() per burst;
 *   - chain: the same source and stage bodies called one after another
 *     through a table of function pointers (not inlined, like stage files
 *     in separate translation units).
 * Each stage body touches every object (adds to one 64-bit word), so the
 * work is equal and the difference is the frame's: scheduling, the
 * pending-stream bookkeeping, the per-node call.
 *
 * Prints TSC ticks per burst for both, the difference per node per burst
 * and per packet, medians of REPS. Asserts nothing. Needs the EAL (the
 * graph lives in rte_malloc memory):
 *   graph_bench --no-huge -m 256 --no-pci -l 0 -- [BURSTS]
 * Under valgrind --tool=callgrind it runs once and dumps one profile per
 * frame ("graph", "chain"): instructions per burst, free of the noise of
 * a shared host.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_graph.h>
#include <rte_graph_worker.h>

#ifdef MPN_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define CALLGRIND_ZERO_STATS do { } while (0)
#define CALLGRIND_DUMP_STATS_AT(s) do { (void)(s); } while (0)
#endif

#define STAGES 7
#define BURST 32
#define REPS 11
#define DEFAULT_BURSTS 2000000

struct obj {
	uint64_t word;
	uint8_t pad[56];
} __rte_cache_aligned;

static struct obj objs[BURST];
static void *obj_ptrs[BURST];

/* The work of one stage: touch every object. */
static inline void
touch(void **o, uint16_t n)
{
	uint16_t k;

	for (k = 0; k < n; k++)
		((struct obj *)o[k])->word++;
}

/* --- the graph ------------------------------------------------------------ */

static uint16_t
src_process(struct rte_graph *graph, struct rte_node *node, void **o, uint16_t n)
{
	void **to = rte_node_next_stream_get(graph, node, 0, BURST);

	RTE_SET_USED(o);
	RTE_SET_USED(n);
	memcpy(to, obj_ptrs, sizeof(obj_ptrs));
	rte_node_next_stream_put(graph, node, 0, BURST);
	return BURST;
}

static uint16_t
mid_process(struct rte_graph *graph, struct rte_node *node, void **o, uint16_t n)
{
	touch(o, n);
	rte_node_next_stream_move(graph, node, 0);
	return n;
}

static uint16_t
last_process(struct rte_graph *graph, struct rte_node *node, void **o, uint16_t n)
{
	RTE_SET_USED(graph);
	RTE_SET_USED(node);
	touch(o, n);
	return n;   /* consumed: a sink (a TX node would send them here) */
}

static struct rte_node_register src_node = {
	.name = "gb_src", .flags = RTE_NODE_SOURCE_F, .process = src_process,
	.nb_edges = 1, .next_nodes = { "gb_n1" },
};
RTE_NODE_REGISTER(src_node);

#define MID(k, next) \
	static struct rte_node_register n##k##_node = { \
		.name = "gb_n" #k, .process = mid_process, \
		.nb_edges = 1, .next_nodes = { next }, \
	}; \
	RTE_NODE_REGISTER(n##k##_node)
MID(1, "gb_n2");
MID(2, "gb_n3");
MID(3, "gb_n4");
MID(4, "gb_n5");
MID(5, "gb_n6");
MID(6, "gb_n7");

static struct rte_node_register n7_node = {
	.name = "gb_n7", .process = last_process, .nb_edges = 0,
};
RTE_NODE_REGISTER(n7_node);

/* --- the chain ------------------------------------------------------------- */

typedef void (*stage_fn)(void **o, uint16_t n);

static __rte_noinline void
stage_body(void **o, uint16_t n)
{
	touch(o, n);
}

static stage_fn volatile chain[STAGES] = {
	stage_body, stage_body, stage_body, stage_body, stage_body, stage_body, stage_body,
};

static __rte_noinline void
chain_run(void)
{
	void *burst[BURST];
	unsigned int s;

	memcpy(burst, obj_ptrs, sizeof(obj_ptrs));
	for (s = 0; s < STAGES; s++)
		chain[s](burst, BURST);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	const char *patterns[] = { "gb_src", "gb_n1", "gb_n2", "gb_n3", "gb_n4", "gb_n5",
		"gb_n6", "gb_n7" };
	struct rte_graph_param prm;
	struct rte_graph *graph;
	rte_graph_t id;
	uint64_t g[REPS], c[REPS], bursts = DEFAULT_BURSTS, i, t0;
	double hz, gt, ct;
	unsigned int r, k;
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "graph_bench: EAL init failed: %s (try --no-huge -m 256 --no-pci "
			"-l 0)\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	if (argc > 1)
		bursts = strtoull(argv[1], NULL, 0);
	if (bursts == 0)
		bursts = DEFAULT_BURSTS;
	for (k = 0; k < BURST; k++)
		obj_ptrs[k] = &objs[k];
	memset(&prm, 0, sizeof(prm));
	prm.socket_id = (int)rte_socket_id();
	prm.nb_node_patterns = RTE_DIM(patterns);
	prm.node_patterns = patterns;
	id = rte_graph_create("gb_graph", &prm);
	if (id == RTE_GRAPH_ID_INVALID) {
		fprintf(stderr, "graph_bench: rte_graph_create: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	graph = rte_graph_lookup("gb_graph");
	for (r = 0; r < REPS; r++) {
		CALLGRIND_ZERO_STATS;
		t0 = rte_rdtsc();
		for (i = 0; i < bursts; i++)
			rte_graph_walk(graph);
		g[r] = rte_rdtsc() - t0;
		CALLGRIND_DUMP_STATS_AT("graph");
		t0 = rte_rdtsc();
		for (i = 0; i < bursts; i++)
			chain_run();
		c[r] = rte_rdtsc() - t0;
		CALLGRIND_DUMP_STATS_AT("chain");
		if (RUNNING_ON_VALGRIND) {
			for (k = r + 1; k < REPS; k++) {
				g[k] = g[r];
				c[k] = c[r];
			}
			break;
		}
	}
	qsort(g, REPS, sizeof(g[0]), cmp_u64);
	qsort(c, REPS, sizeof(c[0]), cmp_u64);
	hz = (double)rte_get_tsc_hz();
	gt = (double)g[REPS / 2] / (double)bursts;
	ct = (double)c[REPS / 2] / (double)bursts;
	printf("graph_bench: %u stages, bursts of %u, %" PRIu64 " bursts, medians of %u; TSC %.0f "
		"MHz (TSC ticks, not core cycles)\n", STAGES, BURST, bursts, REPS, hz / 1e6);
	printf("| frame | TSC cycles/burst (min-max) | cycles/packet |\n|---|---:|---:|\n");
	printf("| rte_graph_walk, %u nodes + source | %.1f (%.1f-%.1f) | %.2f |\n", STAGES, gt,
		(double)g[0] / (double)bursts, (double)g[REPS - 1] / (double)bursts, gt / BURST);
	printf("| function-pointer chain, %u stages | %.1f (%.1f-%.1f) | %.2f |\n", STAGES, ct,
		(double)c[0] / (double)bursts, (double)c[REPS - 1] / (double)bursts, ct / BURST);
	printf("graph minus chain: %.1f cycles per node per burst, %.2f per node per packet, "
		"%.2f per packet for %u nodes\n", (gt - ct) / STAGES, (gt - ct) / STAGES / BURST,
		(gt - ct) / BURST, STAGES);
	/* Keep the objects' words alive. */
	fprintf(stderr, "graph_bench: check word %" PRIu64 "\n", objs[0].word);
	rte_graph_destroy(id);
	rte_eal_cleanup();
	return 0;
}
