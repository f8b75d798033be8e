/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_STATS_H
#define MPN_STATS_H

/**
 * @file
 * Per-worker counters.
 *
 * Each worker owns one struct mpn_worker_stats and is its only writer, so
 * the fast path needs no locked instruction and no shared cache line. Other
 * threads read the counters while the worker writes them: the main lcore
 * (CLI, `clear counters`) and DPDK's telemetry thread. In C11 that is a
 * data race unless both sides use atomics, and in practice a compiler may
 * keep a plain counter in a register, or read it once for a loop. So:
 *  - the writer adds with mpn_stats_add() / mpn_stats_inc(): a relaxed
 *    load and a relaxed store, no lock prefix (one writer, so no
 *    read-modify-write race), the same instructions as `c += n` on x86-64
 *    and arm64;
 *  - every reader on another thread loads with mpn_stats_read(), or copies
 *    a whole struct with mpn_stats_copy().
 * Relaxed is enough: a counter is read on its own, never to find data the
 * writer published. A reader sees each counter's latest value or an
 * older one, never a torn one; counters of one struct may come from
 * slightly different moments.
 */

#include <stddef.h>
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

/** Writer side: add @p n to a counter this thread alone writes. */
static inline void
mpn_stats_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/** Writer side: add one. */
static inline void
mpn_stats_inc(uint64_t *c)
{
	mpn_stats_add(c, 1);
}

/** Reader side: a counter another thread writes. */
static inline uint64_t
mpn_stats_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/**
 * Copy @p n 64-bit counters, reading each with mpn_stats_read() and
 * storing each with a relaxed atomic store, so @p dst may itself be read
 * by other threads (the `clear counters` baseline is).
 */
void
mpn_stats_copy_u64(uint64_t *dst, const uint64_t *src, size_t n);

/** mpn_stats_copy_u64() over a whole struct mpn_worker_stats. */
void
mpn_stats_copy(struct mpn_worker_stats *dst, const struct mpn_worker_stats *src);

/** Count one dropped packet. */
static inline void
mpn_stats_drop(struct mpn_worker_stats *s, enum mpn_reason r)
{
	mpn_stats_inc(&s->dropped);
	mpn_stats_inc(&s->drops[r]);
}

/**
 * Add @p n workers' counters into @p total (which is zeroed first).
 * Used by the control lcore, the offline summary and the exit report;
 * reads with mpn_stats_read(), so the workers may be running.
 */
void
mpn_stats_sum(const struct mpn_worker_stats *w, unsigned int n,
	struct mpn_worker_stats *total);

#endif /* MPN_STATS_H */
