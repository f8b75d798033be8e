/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_TRACK_H
#define MPN_TRACK_H

/**
 * @file
 * A worker's connection tracker: its subflow table, its view of the shared
 * token table, its prepared crypto contexts and its counters. The
 * per-packet work is done by the pipeline's lookup, check and commit
 * stages (ctx.h); this is the object they share, and its housekeeping.
 *
 * What tracking enforces, per packet (stage_check.c and its helpers):
 *  - MPTCP (RFC 8684): keys learned from MP_CAPABLE, tokens derived, joins
 *    tied to their connection by token and verified (HMACs, verified once),
 *    the per-connection subflow and pending-join limits, the ADD_ADDR
 *    address and HMAC policy, REMOVE_ADDR, MP_FASTCLOSE with the
 *    receiver's key; a connection's fallback decision follows its token;
 *  - TCP: RST acceptance (RFC 5961 §3), stray SYNs on a synchronized
 *    subflow (RFC 5961 §4), and the ASA's stateful tcp-map checks:
 *    invalid-ack, seq-past-window, window-variation, exceed-mss,
 *    ttl-evasion-protection.
 *
 * TTL evasion: the ASA rewrites the TTL of later segments down to the
 * lowest seen. mpnorm instead drops a segment that carries data, FIN or
 * RST with a TTL (hop limit) below the first one seen in that direction,
 * at that observation point: such a segment can expire between the box
 * and the host, so the host and the inspection would see different
 * streams; pure ACKs pass. Dropping keeps the IPv4 header checksum
 * untouched and the decision visible as a reason (tcp-ttl-evasion). The
 * baseline belongs to the link and VLAN it was learned on (flow.h), so a
 * box that carries several hops of one path never compares them.
 *
 * Thread safety: a tracker belongs to one worker.
 */

#include <stdint.h>

#include "conn.h"
#include "flow.h"
#include "flow_event.h"

/** Opaque per-worker tracker. */
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
 * Sweep at most @p budget subflow entries now and report RCU quiescence.
 * The offline mode and the benchmarks call it after every burst.
 */
void
mpn_tracker_loop(struct mpn_tracker *t, uint64_t now, unsigned int budget);

/**
 * The live worker's housekeeping, called once per loop: report RCU
 * quiescence, and sweep by time: at most `budget` entries every
 * `period` units of now (mpn_tracker_set_sweep()), never per packet.
 */
void
mpn_tracker_housekeeping(struct mpn_tracker *t, uint64_t now);

/**
 * How the sweep runs: @p budget entries every @p period units of now.
 * Default: 256 entries every millisecond (at params.hz), so a table of
 * 1M entries is swept in about 4 s.
 */
void
mpn_tracker_set_sweep(struct mpn_tracker *t, uint64_t period, unsigned int budget);

/** Receive flow events (create, teardown, deny) through @p fn (NULL: none). */
void
mpn_tracker_on_event(struct mpn_tracker *t, mpn_flow_event_fn fn, void *arg);

/**
 * Remove every entry for which @p match returns true (`clear conn`), each
 * as an operator clear. Called by the worker that owns the tracker.
 * @return the number of entries removed
 */
unsigned int
mpn_tracker_clear(struct mpn_tracker *t,
	bool (*match)(const struct mpn_flow_key *key, const struct mpn_subflow *sf, void *arg),
	void *arg);

/**
 * Fold every entry's counters into its connection record now (the offline
 * summary, at the end of the capture; the live sweep does it gradually).
 */
void
mpn_tracker_fold_all(struct mpn_tracker *t);

/**
 * The shared token directory, as the tracker sees it (doc/cluster.md): a
 * join SYN whose token no local record holds asks it for the connection's
 * keys; the SYN is forwarded meanwhile, and the SYN/ACK is verified with
 * the keys when they have come (dropped until then: the server resends
 * it). lib/cluster provides it through the app; tests give a fake one.
 */
enum mpn_track_dir_unreachable {
	MPN_TRACK_DIR_VERIFY,  /**< as without a directory: the tcp-map's `join` decides */
	MPN_TRACK_DIR_ALLOW,   /**< admit the join unverified */
	MPN_TRACK_DIR_DROP,    /**< drop it */
};

struct mpn_track_directory {
	/** Ask for @p token's keys; 0 when asked (an answer follows), < 0 when it cannot be. */
	int (*fetch)(void *arg, uint32_t token);
	/**
	 * A connection whose handshake this box saw was just published in the
	 * local token table: hand it to the directory (NULL: not done here).
	 */
	void (*publish)(void *arg, const struct mpn_conn *c);
	/** The directory cannot answer: what to do (counted by the directory). */
	enum mpn_track_dir_unreachable (*unreachable)(void *arg);
	void *arg;
};

/** Answers to fetches (mpn_tracker_directory_answer()). */
enum mpn_track_dir_status {
	MPN_TRACK_DIR_FOUND,
	MPN_TRACK_DIR_NOT_FOUND,     /**< no record, or a record refused as malformed */
	MPN_TRACK_DIR_ERROR,         /**< the store failed to answer */
};

/** What a found record says (its keys are secrets: cleared when the answer is replaced). */
struct mpn_track_dir_record {
	uint64_t key_a, key_b;
	uint32_t token_a, token_b;
	uint8_t version, flags_a, flags_b, decision;
};

/** Use @p dir (copied) for unknown join tokens; NULL: no directory. */
void
mpn_tracker_set_directory(struct mpn_tracker *t, const struct mpn_track_directory *dir);

/**
 * An answer to a fetch for @p token, from the worker's housekeeping. It is
 * kept (a few seconds, a bounded cache) for the join's SYN/ACK.
 */
void
mpn_tracker_directory_answer(struct mpn_tracker *t, uint32_t token,
	enum mpn_track_dir_status status, const struct mpn_track_dir_record *rec, uint64_t now);

/** This tracker's counters. */
const struct mpn_track_stats *
mpn_tracker_stats(const struct mpn_tracker *t);

/** This tracker's subflow table (for `show subflows` and tests). */
struct mpn_flow_table *
mpn_tracker_table(struct mpn_tracker *t);

/** The shared token table (NULL: plain TCP only). */
struct mpn_conn_table *
mpn_tracker_conns(struct mpn_tracker *t);

#endif /* MPN_TRACK_H */
