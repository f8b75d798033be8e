/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_TRACK_H
#define MPN_TRACK_H

/**
 * @file
 * The tracking stage (ARCHITECTURE.md §2, "track"): per packet, after
 * mpn_normalize_decide() and before mpn_normalize_apply().
 *
 * It keeps each subflow's TCP state in the worker's subflow table and each
 * MPTCP connection in the shared token table, and adds its decisions to
 * the packet's mpn_norm_result:
 *  - MPTCP (RFC 8684): keys learned from MP_CAPABLE, tokens derived, joins
 *    tied to their connection by token and verified (HMACs), the
 *    per-connection subflow limit, the ADD_ADDR address policy, REMOVE_ADDR,
 *    MP_FASTCLOSE; a connection's bypass or fallback decision follows its
 *    token to every subflow;
 *  - the ASA's stateful tcp-map checks: invalid-ack, seq-past-window,
 *    window-variation, exceed-mss, ttl-evasion-protection.
 *
 * Decisions taken here follow the packet's class flags: a `monitor` class
 * records the drop and forwards the packet; a bypassed packet is only
 * followed (its state and keys are learned), never judged.
 *
 * TTL evasion: the ASA rewrites the TTL of later segments down to the
 * lowest seen. mpnorm instead drops a segment that carries data, FIN or
 * RST with a TTL (hop limit) below the first one seen in that direction:
 * such a segment can expire between the box and the host, so the host
 * and the inspection would see different streams; pure ACKs pass.
 * Dropping keeps the IPv4 header checksum untouched and the decision
 * visible as a reason (tcp-ttl-evasion). A route change that lowers the
 * TTL mid-connection therefore breaks the connection, as it would on a
 * box that pins the TTL; turn the knob off where paths flap.
 *
 * Thread safety: a tracker belongs to one worker.
 */

#include <stdint.h>

#include "conn.h"
#include "flow.h"
#include "normalize.h"
#include "policy.h"

/** Opaque per-worker tracker: a subflow table and a view of the token table. */
struct mpn_tracker;

/**
 * Create a worker's tracker and register the worker as an RCU reader of
 * the token table (thread id @p thread_id).
 *
 * @param name       unique name (used for the rte_hash), e.g. "mpn_sf_0"
 * @param p          parameters (capacity, timeouts, mid-stream policy)
 * @param ct         the shared token table; NULL tracks plain TCP only
 * @param thread_id  this worker's RCU thread id (< max_threads of @p ct)
 * @param socket     NUMA socket, or SOCKET_ID_ANY
 * @return           the tracker, or NULL with rte_errno set
 */
struct mpn_tracker *
mpn_tracker_create(const char *name, const struct mpn_flow_params *p,
	struct mpn_conn_table *ct, unsigned int thread_id, int socket);

/** Release every subflow, unregister from RCU, free. NULL is a no-op. */
void
mpn_tracker_free(struct mpn_tracker *t);

/**
 * Track one packet and add the stateful decisions to @p res.
 *
 * @param t       this worker's tracker
 * @param policy  the policy @p res was classified with
 * @param res     filled by mpn_normalize_decide(); may get more actions,
 *                a drop, or bypass = true
 * @param frame   the frame (read only; mpn_normalize_apply() rewrites it)
 * @param now     current time in units of the params' hz (TSC or pcap time)
 */
void
mpn_track(struct mpn_tracker *t, const struct mpn_policy *policy, struct mpn_norm_result *res,
	const uint8_t *frame, uint64_t now);

/**
 * Warm the caches for a burst before its packets go through mpn_track()
 * one by one (see mpn_flow_prefetch_bulk()): keys of the TCP packets among
 * @p pkts are looked up in bulk and their entries prefetched.
 *
 * @param frames  the @p n frames
 * @param pkts    their parse results (mpn_pkt_parse()); NULL for a packet
 *                that is not TCP, which is skipped
 * @param pos     out, @p n entries: the subflow positions, -1 if not found
 */
void
mpn_tracker_prefetch(struct mpn_tracker *t, uint8_t *const *frames,
	const struct mpn_pkt *const *pkts, unsigned int n, int32_t *pos);

/** Prefetch the connection record of a position from mpn_tracker_prefetch(). */
void
mpn_tracker_prefetch_conn(const struct mpn_tracker *t, int32_t pos);

/**
 * Per-loop housekeeping: sweep at most @p budget subflow entries and
 * report RCU quiescence. Call once per loop, outside packet processing.
 */
void
mpn_tracker_loop(struct mpn_tracker *t, uint64_t now, unsigned int budget);

/** This tracker's counters. */
const struct mpn_track_stats *
mpn_tracker_stats(const struct mpn_tracker *t);

/** This tracker's subflow table (for `show subflows` and tests). */
struct mpn_flow_table *
mpn_tracker_table(struct mpn_tracker *t);

#endif /* MPN_TRACK_H */
