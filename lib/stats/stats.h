/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_STATS_H
#define MPN_STATS_H

/**
 * @file
 * Per-worker counters.
 *
 * Each worker owns one struct mpn_worker_stats and is its only writer, so the
 * fast path increments plain integers with no atomics and no shared cache
 * lines. The control lcore reads them (a torn read of an aligned 64-bit
 * counter cannot happen on the 64-bit targets DPDK supports) and sums them.
 */

#include <stdint.h>

#include "reason.h"

/** Ports a configuration may name; also sizes the per-port counter arrays. */
#define MPN_MAX_PORTS 32

/** Counters one worker keeps for one port. */
struct mpn_port_counters {
	uint64_t rx;          /**< packets received on this port */
	uint64_t tx;          /**< packets sent out of this port */
	uint64_t tx_dropped;  /**< packets for this port the TX queue refused */
};

/** Counters of one worker; cache-line aligned so workers never share a line. */
struct mpn_worker_stats {
	uint64_t rx;                        /**< packets received */
	uint64_t tx;                        /**< packets sent */
	uint64_t dropped;                   /**< packets freed instead of sent */
	uint64_t rewritten;                 /**< packets changed in place */
	uint64_t rx_bursts;                 /**< non-empty RX bursts */
	uint64_t handoffs_out;              /**< packets passed to their owner worker */
	uint64_t handoffs_in;               /**< packets received from other workers */
	uint64_t drops[MPN_REASON_MAX];     /**< dropped packets, by reason */
	uint64_t rewrites[MPN_REASON_MAX];  /**< rewrites, by reason (one packet may count several) */
	uint64_t alerts[MPN_REASON_MAX];    /**< passed but flagged, by reason */
	uint64_t monitored[MPN_REASON_MAX]; /**< what a monitor class would have done, by reason */
	uint64_t non_tcp;                   /**< packets passed without inspection: not TCP */
	/*
	 * Where the worker's time goes (`show runtime`), in TSC ticks
	 * measured in its loop: busy is the loop iterations that had packets.
	 */
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t polls;                     /**< loop iterations */
	uint64_t busy_polls;                /**< of which with at least one packet */
	uint64_t mptcp_options[16];         /**< kind-30 options seen, by subtype */
	struct mpn_port_counters port[MPN_MAX_PORTS];
} __attribute__((aligned(64)));

/** Count one dropped packet. */
static inline void
mpn_stats_drop(struct mpn_worker_stats *s, enum mpn_reason r)
{
	s->dropped++;
	s->drops[r]++;
}

/**
 * Add @p n workers' counters into @p total (which is zeroed first).
 * Used by the control lcore, the offline summary and the exit report.
 */
void
mpn_stats_sum(const struct mpn_worker_stats *w, unsigned int n,
	struct mpn_worker_stats *total);

#endif /* MPN_STATS_H */
