/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_PIPELINE_H
#define MPN_PIPELINE_H

/**
 * @file
 * The per-burst packet pipeline: parse, classify, track, decide, rewrite
 * (ARCHITECTURE.md §2).
 *
 * The live worker loop, the offline pcap mode and the benchmarks all call
 * mpn_pipeline_run() on a burst, so every one of them exercises the same
 * code. The pipeline never sends or frees a packet: it gives each one a
 * verdict and counts why, and the caller moves the packets.
 */

#include <stdint.h>

#include <rte_mbuf.h>

#include "stats.h"

/** Link-layer framing of the packets of a burst. */
enum mpn_pipeline_l2 {
	MPN_PIPELINE_L2_ETHER,
	MPN_PIPELINE_L2_SLL,
	MPN_PIPELINE_L2_SLL2,
	MPN_PIPELINE_L2_RAW,
};

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
	enum mpn_pipeline_l2 l2;
};

/** One worker's pipeline state. It is owned by that worker alone. */
struct mpn_pipeline {
	struct mpn_worker_stats *stats;
};

/** Set up @p pl to count into @p stats. */
void
mpn_pipeline_init(struct mpn_pipeline *pl, struct mpn_worker_stats *stats);

/**
 * Run the pipeline over @p n packets and write one verdict per packet.
 * Packets are rewritten in place; none is freed here.
 */
void
mpn_pipeline_run(struct mpn_pipeline *pl, const struct mpn_burst_origin *from,
	struct rte_mbuf **pkts, uint16_t n, uint8_t *verdicts);

#endif /* MPN_PIPELINE_H */
