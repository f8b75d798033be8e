/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_PIPELINE_H
#define MPN_PIPELINE_H

/**
 * @file
 * The per-burst packet pipeline: parse, classify, decide, rewrite
 * (ARCHITECTURE.md §2).
 *
 * The live worker loop, the offline pcap mode and the benchmarks all call
 * mpn_pipeline_run() on a burst, so every one of them exercises the same
 * code. The pipeline never sends or frees a packet: it gives each one a
 * verdict and counts why, and the caller moves the packets.
 */

#include <stdint.h>

#include <rte_mbuf.h>

#include "normalize.h"
#include "track.h"
#include "policy.h"
#include "stats.h"

/**
 * The largest burst whose subflow lookups are done in bulk and prefetched
 * (rte_hash_lookup_bulk() takes at most 64 keys); larger bursts are
 * processed too, without the prefetch.
 */
#define MPN_PIPELINE_MAX_BURST 64

/** Direction of travel through a link, as ASA's per-interface policies see it. */
enum mpn_direction {
	MPN_DIR_IN2OUT, /**< arrived on the inside port */
	MPN_DIR_OUT2IN, /**< arrived on the outside port */
};

/** What happens to a packet after the pipeline. */
enum mpn_verdict {
	MPN_VERDICT_FORWARD, /**< send it (possibly rewritten in place) */
	MPN_VERDICT_DROP,    /**< free it; the reason is already counted */
};

/** Where a burst came from. */
struct mpn_burst_origin {
	uint16_t port;            /**< config index of the receiving port */
	uint16_t link;            /**< config index of its link */
	enum mpn_direction dir;
	enum mpn_l2_type l2;
};

/**
 * Called for each packet while a trace is armed (the CLI's `trace N`),
 * with the packet's first bytes as they arrived (at most 256 of @p len are
 * valid) and the decisions taken.
 */
typedef void (*mpn_pipeline_trace_fn)(void *arg, unsigned int worker,
	const struct mpn_burst_origin *from, const uint8_t *frame, uint32_t len,
	const struct mpn_norm_result *res);

/** One worker's pipeline state. It is owned by that worker alone. */
struct mpn_pipeline {
	struct mpn_worker_stats *stats;
	struct mpn_tracker *tracker;   /**< connection tracking; NULL: stateless */
	unsigned int worker;
	/* Rate limit of alert log lines: a token bucket refilled every second. */
	uint64_t log_tokens;
	uint64_t log_window_start;   /**< timer cycles */
	uint64_t log_suppressed;
	bool log_enabled;
	/* Tracing; the control thread arms it, the worker counts it down. */
	mpn_pipeline_trace_fn trace_fn;
	void *trace_arg;
	uint32_t trace_remaining;    /**< accessed atomically */
};

/** Set up @p pl for worker @p worker to count into @p stats. */
void
mpn_pipeline_init(struct mpn_pipeline *pl, unsigned int worker,
	struct mpn_worker_stats *stats);

/**
 * Run the pipeline over @p n packets under @p policy and write one verdict
 * per packet. Packets are rewritten in place; none is freed here. @p now is
 * the time of the burst in the tracker's units (TSC live, capture time
 * offline, so offline runs are deterministic).
 */
void
mpn_pipeline_run(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct rte_mbuf **pkts, uint16_t n,
	uint8_t *verdicts, uint64_t now);

#endif /* MPN_PIPELINE_H */
