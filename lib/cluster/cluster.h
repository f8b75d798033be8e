/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CLUSTER_H
#define MPN_CLUSTER_H

/**
 * @file
 * The shared token directory (doc/cluster.md): MPTCP connection keys
 * published to, and fetched from, a Redis store, so that a box that did not
 * see a connection's MP_CAPABLE handshake can still verify its joins
 * (RFC 8684 §3.2).
 *
 * Workers never wait on the network. They talk to one directory thread (a
 * plain pthread, not an lcore) through a pair of bounded rings each: a
 * request ring in, an answer ring out. The directory thread owns the only
 * connection to the store, pipelines every request on it, times requests
 * out, reconnects with backoff and validates every record it reads.
 *
 * Thread safety:
 *  - mpn_cluster_publish(), _unpublish(), _fetch() and _poll_answers() are
 *    called by one thread per @p worker index (each ring is single-producer,
 *    single-consumer). They never block: a full ring is counted and the call
 *    returns. A NULL @p cl (no cluster configured) makes each a no-op.
 *  - The control functions (create, destroy, reconfigure, stats, render)
 *    are for one control thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct mpn_render;
struct mpn_conn_init;

/** The longest record, in bytes; anything longer is refused as oversized. */
#define MPN_CLUSTER_RECORD_MAX 256

/** An MPTCP connection as the directory stores it (doc/cluster.md §3). */
struct mpn_cluster_record {
	uint64_t key_a;     /**< key of A, the initial subflow's initiator: a secret */
	uint64_t key_b;     /**< key of B: a secret */
	uint32_t token_a;   /**< token of key_a (RFC 8684 §3.1) */
	uint32_t token_b;   /**< token of key_b */
	uint64_t time;      /**< Unix seconds of publication; 0 on publish: the directory sets it */
	uint8_t version;    /**< MPTCP version, 0 or 1 */
	uint8_t flags_a;    /**< MP_CAPABLE flags sent by A */
	uint8_t flags_b;    /**< MP_CAPABLE flags sent by B */
	uint8_t decision;   /**< enum mpn_flow_decision */
	char node[MPN_CLUSTER_NODE_MAX]; /**< publishing box; "" on publish: the directory sets it */
};

/** What became of a fetch. */
enum mpn_cluster_status {
	MPN_CLUSTER_FOUND,             /**< a valid record: the answer holds it */
	MPN_CLUSTER_NOT_FOUND,         /**< no record under that token */
	MPN_CLUSTER_STORE_ERROR,       /**< store down, timed out or failing: see `unreachable` */
	MPN_CLUSTER_REFUSED_MALFORMED, /**< a record was there but failed validation */
};

/** An answer to one mpn_cluster_fetch(). */
struct mpn_cluster_answer {
	uint32_t token;     /**< the token asked for */
	uint8_t status;     /**< enum mpn_cluster_status */
	uint64_t cookie;    /**< the worker's cookie, as given */
	struct mpn_cluster_record rec; /**< MPN_CLUSTER_FOUND only; zero otherwise */
};

/** The directory's connection to the store. */
enum mpn_cluster_state {
	MPN_CLUSTER_DOWN,        /**< not connected; waiting to retry (backoff) */
	MPN_CLUSTER_CONNECTING,  /**< TCP or unix connect in progress */
	MPN_CLUSTER_HANDSHAKE,   /**< AUTH and the first PING sent, no answer yet */
	MPN_CLUSTER_CONNECTED,   /**< the store answered: requests flow */
};

/** Why the codec refused a record; each has a counter. */
enum mpn_cluster_verdict {
	MPN_CLUSTER_RECORD_OK,
	MPN_CLUSTER_RECORD_MALFORMED,  /**< not the format, a bad field or value */
	MPN_CLUSTER_RECORD_OVERSIZED,  /**< longer than MPN_CLUSTER_RECORD_MAX */
	MPN_CLUSTER_RECORD_MISMATCH,   /**< keys do not hash to the tokens, or the token asked for is not one of them */
};

/* --- The record codec (pure; cluster_record.c) --- */

/**
 * Write @p r in the store's format (doc/cluster.md §3).
 *
 * @return the length (at most MPN_CLUSTER_RECORD_MAX, no NUL counted), or
 *   -EINVAL for a record that cannot be valid (version, decision, node
 *   name), or -ENOSPC if @p cap is too small.
 */
int
mpn_cluster_record_encode(const struct mpn_cluster_record *r, char *buf, size_t cap);

/**
 * Parse and validate a record read from the store under @p token.
 *
 * The format is strict (fields in order, fixed-width lower-case hex); the
 * keys must hash to the tokens (mpn_mptcp_key_token(), RFC 8684 §3.1) and
 * @p token must be one of them. Bounded: it reads at most @p len bytes and
 * never more than MPN_CLUSTER_RECORD_MAX + 1. @p buf need not be
 * NUL-terminated. @p out is written only when the verdict is OK.
 */
enum mpn_cluster_verdict
mpn_cluster_record_decode(const char *buf, size_t len, uint32_t token,
	struct mpn_cluster_record *out);

/** "ok", "malformed", "oversized" or "token-mismatch". */
const char *
mpn_cluster_verdict_name(enum mpn_cluster_verdict v);

/** "found", "not-found", "store-error" or "refused-malformed". */
const char *
mpn_cluster_status_name(enum mpn_cluster_status s);

/**
 * Fill @p init for a remote connection from a validated record: version,
 * flags, decision, keys, @p now, and remote = true (show connections says
 * "remote"; the refresh walk does not republish it). The caller sets the subflow fields
 * (family, addresses, ports, TCP state) of the join it attaches.
 *
 * @return 0, or -EINVAL for a record the codec would refuse.
 */
int
mpn_cluster_record_conn_init(const struct mpn_cluster_record *r, uint64_t now,
	struct mpn_conn_init *init);

/* --- The directory (cluster.c) --- */

/** The opaque directory; NULL means no cluster configured. */
struct mpn_cluster;

/**
 * Create the rings and start the directory thread. It connects in the
 * background: the store need not be up.
 *
 * @param cfg          the `cluster` section (enabled); copied
 * @param n_producers  threads that will call the worker functions, with
 *                     indexes 0..n_producers-1 (the app: its workers plus
 *                     the main lcore, which republishes)
 * @return the directory, or NULL with a message in @p err
 */
struct mpn_cluster *
mpn_cluster_create(const struct mpn_config_cluster *cfg, unsigned int n_producers,
	char *err, size_t errlen);

/** Stop the thread, close the connection, clear and free everything. NULL is accepted. */
void
mpn_cluster_destroy(struct mpn_cluster *cl);

/**
 * Apply a reloaded `cluster` section. The store address, credentials,
 * prefix, node name, TTL, fetch timeout and `unreachable` change at once
 * (a changed address, credentials or prefix makes the directory reconnect).
 * The ring sizes cannot change while workers run.
 *
 * @return 0; 1 when some setting (the ring sizes) takes effect only at a
 *   restart, with the reason in @p msg.
 */
int
mpn_cluster_reconfigure(struct mpn_cluster *cl, const struct mpn_config_cluster *cfg,
	char *msg, size_t len);

/** True once the directory thread applied the last mpn_cluster_reconfigure(). */
bool
mpn_cluster_reconfigured(const struct mpn_cluster *cl);

/**
 * Queue a connection's record for publication under both tokens
 * (`SET PREFIX t:TOKEN RECORD EX ttl`). @p r's node and time may be left
 * empty: the directory fills them. Worker side: never blocks; a full ring
 * is counted.
 */
void
mpn_cluster_publish(struct mpn_cluster *cl, unsigned int worker,
	const struct mpn_cluster_record *r);

/** Queue the deletion of both tokens' entries (the connection is over). */
void
mpn_cluster_unpublish(struct mpn_cluster *cl, unsigned int worker, uint32_t token_a,
	uint32_t token_b);

/**
 * Ask for the record of @p token (an MP_JOIN SYN's token unknown locally).
 * The answer comes back through mpn_cluster_poll_answers() with @p cookie.
 *
 * @return 0 when queued (an answer will follow, unless the answer ring is
 *   full when it comes: counted); -ENOTCONN when the store is not connected,
 *   -ENOBUFS when the request ring is full, -EINVAL for a bad @p worker or a
 *   NULL @p cl: then no answer follows, and the `unreachable` knob applies.
 */
int
mpn_cluster_fetch(struct mpn_cluster *cl, unsigned int worker, uint32_t token,
	uint64_t cookie);

/**
 * Take up to @p max answers for @p worker (housekeeping; never blocks).
 * @return the number written to @p out
 */
unsigned int
mpn_cluster_poll_answers(struct mpn_cluster *cl, unsigned int worker,
	struct mpn_cluster_answer *out, unsigned int max);

/** The `unreachable` setting in force (VERIFY for a NULL @p cl). */
enum mpn_cluster_unreachable
mpn_cluster_unreachable_policy(const struct mpn_cluster *cl);

/**
 * A join's keys cannot be had (mpn_cluster_fetch() refused, or the answer
 * is store-error): return the `unreachable` setting to apply, and count it
 * (show cluster: unreachable_verify, _allow, _drop). Worker side.
 */
enum mpn_cluster_unreachable
mpn_cluster_unreachable_apply(struct mpn_cluster *cl, unsigned int worker);

/** The connection's state now. */
enum mpn_cluster_state
mpn_cluster_get_state(const struct mpn_cluster *cl);

/** "down", "connecting", "handshake" or "connected". */
const char *
mpn_cluster_state_name(enum mpn_cluster_state s);

/**
 * How many times the directory got connected (handshake answered). It
 * changes after a (re)connect: the caller then republishes what it holds.
 */
uint64_t
mpn_cluster_connect_count(const struct mpn_cluster *cl);

/** Fetch latency buckets: upper bounds in µs; the last bucket has none. */
#define MPN_CLUSTER_LAT_BUCKETS 14

/** Counters, in the order `show cluster` prints them. */
#define MPN_CLUSTER_COUNTERS(X) \
	X(connects,           "connections made (handshake answered)") \
	X(connect_failures,   "connects refused, timed out or handshake refused") \
	X(disconnects,        "connections dropped after being made") \
	X(published,          "records sent to the store (each under both tokens)") \
	X(publish_lost,       "records not sent: store not connected") \
	X(publish_errors,     "SET refused by the store") \
	X(unpublished,        "deletions sent") \
	X(fetched,            "fetches sent to the store") \
	X(hits,               "fetches answered with a valid record") \
	X(misses,             "fetches answered: no record") \
	X(refused_down,       "fetches refused at once: store not connected") \
	X(err_timeout,        "fetches failed: no answer within fetch-timeout") \
	X(err_disconnect,     "fetches failed: connection lost before the answer") \
	X(err_reply,          "error replies (NOAUTH, NOPERM, MOVED, OOM, ...)") \
	X(err_auth,           "AUTH or first PING refused") \
	X(err_protocol,       "replies Redis cannot send for the command, or out of bounds") \
	X(err_malformed,      "records refused: malformed") \
	X(err_oversized,      "records refused: longer than 256 bytes") \
	X(err_wrong_type,     "records refused: the key is not a string (WRONGTYPE)") \
	X(err_token_mismatch, "records refused: keys do not hash to the token") \
	X(request_ring_full,  "requests lost: a worker's request ring was full") \
	X(answer_ring_full,   "answers lost: a worker's answer ring was full") \
	X(unreachable_verify, "joins without keys left to the tcp-map's join setting") \
	X(unreachable_allow,  "joins without keys passed unverified (unreachable = allow)") \
	X(unreachable_drop,   "joins without keys dropped (unreachable = drop)") \
	X(pings,              "keepalive PINGs sent")

/** A snapshot of the directory's counters. */
struct mpn_cluster_stats {
#define MPN_CLUSTER_FIELD(name, help) uint64_t name;
	MPN_CLUSTER_COUNTERS(MPN_CLUSTER_FIELD)
#undef MPN_CLUSTER_FIELD
	uint64_t latency[MPN_CLUSTER_LAT_BUCKETS]; /**< fetch round trips by bucket */
	uint64_t latency_sum_us;                   /**< for the mean */
	enum mpn_cluster_state state;
	uint64_t inflight;                         /**< requests sent, not yet answered */
};

/** Upper bound of latency bucket @p i in µs, or 0 for the last (open) one. */
uint64_t
mpn_cluster_latency_bound(unsigned int i);

/** Take a snapshot of the counters (control thread). */
void
mpn_cluster_get_stats(const struct mpn_cluster *cl, struct mpn_cluster_stats *out);

/**
 * Render `show cluster`: state, store, settings (no secret), counters and
 * the latency histogram. A NULL @p cl renders "state: disabled".
 */
void
mpn_cluster_render(const struct mpn_cluster *cl, struct mpn_render *r);

#endif /* MPN_CLUSTER_H */
