/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_PIPELINE_H
#define MPN_PIPELINE_H

/**
 * @file
 * The per-burst packet pipeline (ARCHITECTURE.md §2), one sequence of
 * stages run by every caller: the live worker, the handoff receiver, the
 * offline mode, the benchmarks and the tests.
 *
 *   parse -> lookup -> decode -> classify -> check -> commit -> rewrite -> account
 *
 * ctx.h describes the per-packet context the stages share and the rule
 * that makes the tracker unsteerable: a dropped segment changes no state.
 *
 * The pipeline never sends or frees a packet: it gives each one a verdict
 * and counts why, and the caller moves the packets.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "ctx.h"
#include "interference.h"
#include "owner.h"
#include "normalize.h"
#include "policy.h"
#include "stats.h"
#include "track.h"

/**
 * Packets processed as one batch: rte_hash_lookup_with_hash_bulk() takes at
 * most 64 keys. Longer bursts are processed in batches of this size.
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
	/**
	 * The segment was refused and its frame now holds the answer, a RST
	 * (issue 16, `join-refuse-action reset`): send it back out of the
	 * port it came in on. The mbuf's length is already the RST's; with
	 * mpn_pipeline_run_frames_reply() the length comes back in out_lens.
	 */
	MPN_VERDICT_REPLY,
};

/** Where a burst came from. */
struct mpn_burst_origin {
	uint16_t port;            /**< config index of the receiving port */
	uint16_t link;            /**< config index of its link */
	enum mpn_direction dir;
	enum mpn_l2_type l2;
};

/** Per-class (policy rule) counters, as `show service-policy` prints them. */
struct mpn_rule_counters {
	uint64_t pkts;       /**< TCP packets classified into the rule */
	uint64_t drops;      /**< of which dropped */
	uint64_t rewrites;   /**< of which rewritten */
};

/**
 * Called for each packet while a trace is armed (the CLI's `trace N`),
 * with the packet's first bytes as they arrived (at most 256 of @p len are
 * valid) and the decisions taken.
 */
typedef void (*mpn_pipeline_trace_fn)(void *arg, unsigned int worker,
	const struct mpn_burst_origin *from, const uint8_t *frame, uint32_t len,
	const struct mpn_norm_result *res);

/** How much of a frame the trace keeps as it arrived. */
#define MPN_TRACE_BYTES 256

/** One worker's pipeline state. It is owned by that worker alone. */
struct mpn_pipeline {
	struct mpn_worker_stats *stats;
	struct mpn_tracker *tracker;   /**< connection tracking; NULL: stateless */
	struct mpn_rule_counters *rules; /**< MPN_POLICY_RULE_IDS entries */
	struct mpn_intf intf;          /**< middlebox-interference counters (interference.h) */
	struct mpn_pkt_ctx *ctx;       /**< MPN_PIPELINE_MAX_BURST contexts */
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
	uint8_t (*trace_before)[MPN_TRACE_BYTES]; /**< the frames as they arrived, while tracing */
	bool tracing;                /**< the current batch is being traced */
};

/**
 * Set up @p pl for worker @p worker to count into @p stats. Allocates the
 * burst contexts and the per-class counters.
 * @return 0, or -ENOMEM
 */
int
mpn_pipeline_init(struct mpn_pipeline *pl, unsigned int worker,
	struct mpn_worker_stats *stats);

/** Free what mpn_pipeline_init() allocated. */
void
mpn_pipeline_fini(struct mpn_pipeline *pl);

/**
 * Run the pipeline over @p n mbufs under @p policy and write one verdict
 * per packet. Packets are rewritten in place; none is freed here. @p now is
 * the time of the burst in the tracker's units (TSC live, capture time
 * offline, so offline runs are deterministic).
 */
void
mpn_pipeline_run(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct rte_mbuf **pkts, uint16_t n,
	uint8_t *verdicts, uint64_t now);

/** The same over plain frames (tests, fuzzers): @p frames[i] holds @p lens[i] bytes. */
void
mpn_pipeline_run_frames(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, uint8_t **frames, const uint32_t *lens, uint16_t n,
	uint8_t *verdicts, uint64_t now);

/**
 * mpn_pipeline_run_frames(), and @p out_lens[i] gets each frame's length
 * after the pipeline: the RST's for a MPN_VERDICT_REPLY, else lens[i].
 */
void
mpn_pipeline_run_frames_reply(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, uint8_t **frames, const uint32_t *lens, uint16_t n,
	uint8_t *verdicts, uint32_t *out_lens, uint64_t now);

/**
 * Handoff, first half: parse @p n mbufs (stage parse), and store each
 * one's parse in its private area (ctx.h, struct mpn_handoff_hdr), so the
 * worker that owns it parses nothing. @p owner gets each packet's owner
 * worker under the placement @p om (mpn_owner_decide(): every tracked
 * packet in handoff mode, IP first fragments with RSS).
 */
void
mpn_pipeline_parse_for_handoff(struct mpn_pipeline *pl, const struct mpn_burst_origin *from,
	struct rte_mbuf **pkts, uint16_t n, const struct mpn_owner_map *om, uint8_t *owner);

/**
 * Handoff mode, second half: run the pipeline from the lookup on mbufs
 * whose private area holds their parse (from
 * mpn_pipeline_parse_for_handoff() on any worker).
 */
void
mpn_pipeline_run_parsed(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct rte_mbuf **pkts, uint16_t n,
	uint8_t *verdicts, uint64_t now);

#endif /* MPN_PIPELINE_H */
