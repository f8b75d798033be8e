/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_FLOW_H
#define MPN_FLOW_H

/**
 * @file
 * Per-worker subflow table: one entry per TCP connection (an MPTCP
 * subflow or a plain TCP connection), keyed by its canonical 5-tuple so
 * that both directions find the same entry (ARCHITECTURE.md §3).
 *
 * The table is an rte_hash with extendable buckets plus an array of
 * entries indexed by the position rte_hash returns, both allocated once
 * at creation: memory never grows, whatever the traffic.
 *
 * Entries carry no timer. They expire lazily when a lookup finds them
 * stale, and through mpn_flow_sweep(), which visits a bounded number of
 * entries per call. When the table is full, closed entries are evicted
 * first, then embryonic ones (oldest first); established entries are
 * never evicted, so a SYN flood cannot push out live connections.
 *
 * Thread safety: a table belongs to one worker. No function here may be
 * called on the same table from two threads at once.
 */

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

struct mpn_conn;
struct mpn_conn_table;

/** What to do with a non-SYN packet of a subflow the table does not know. */
enum mpn_flow_midstream {
	/** Learn the subflow (default): needed when mpnorm starts after it. */
	MPN_FLOW_MIDSTREAM_LEARN,
	/** Drop the packet with reason TCP_NOT_SYN, as the ASA does. */
	MPN_FLOW_MIDSTREAM_DROP,
};

/**
 * Tracking parameters. The defaults (mpn_flow_params_default()) follow
 * the ASA's `timeout` defaults where it has one.
 */
struct mpn_flow_params {
	uint32_t capacity;            /**< subflow entries per worker (>= 8) */
	uint64_t hz;                  /**< units of `now` per second */
	uint32_t embryonic_timeout;   /**< s; ASA `timeout embryonic` 0:00:30 */
	uint32_t idle_timeout;        /**< s; ASA `timeout conn` 1:00:00 */
	uint32_t half_closed_timeout; /**< s; ASA `timeout half-closed` 0:10:00 */
	uint32_t closed_timeout;      /**< s; kept after RST or both FINs, for late segments */
	enum mpn_flow_midstream midstream; /**< unknown non-SYN packets */
};

/** Fill @p p with the defaults: 65536 entries, hz 1e6 (microseconds), 30/3600/600/10 s. */
void
mpn_flow_params_default(struct mpn_flow_params *p);

/**
 * Canonical 5-tuple: the lower (address, port) endpoint first, so both
 * directions of a connection give the same key. Zero-padded: it is
 * hashed and compared as bytes.
 */
struct mpn_flow_key {
	uint8_t addr_lo[16];  /**< network order; IPv4 in the first 4 bytes */
	uint8_t addr_hi[16];
	uint16_t port_lo;     /**< host order */
	uint16_t port_hi;
	uint8_t family;       /**< 4 or 6 */
	uint8_t proto;        /**< 6 */
	uint8_t pad[2];
};

/**
 * Build the canonical key of a parsed TCP packet.
 *
 * @param frame  the frame @p p was parsed from
 * @param p      a packet parsed with status MPN_PKT_TCP
 * @param key    filled in
 * @return       true if the packet's source is the key's lo endpoint
 */
bool
mpn_flow_key_from_pkt(const uint8_t *frame, const struct mpn_pkt *p, struct mpn_flow_key *key);

/** TCP state of a subflow, as the middle box sees it. */
enum mpn_tcp_state {
	MPN_TCP_NONE,        /**< free entry */
	MPN_TCP_SYN_SENT,    /**< SYN seen (embryonic) */
	MPN_TCP_SYN_RECV,    /**< SYN/ACK seen (embryonic) */
	MPN_TCP_ESTABLISHED, /**< handshake done, or learned mid-stream */
	MPN_TCP_FIN_WAIT,    /**< one side sent FIN (half-closed) */
	MPN_TCP_CLOSING,     /**< both sides sent FIN */
	MPN_TCP_CLOSED,      /**< RST, or the connection was fast-closed */
	MPN_TCP_STATE_MAX,
};

/** Name of a state ("established", ...). */
const char *
mpn_tcp_state_name(uint8_t s);

/** Role of a subflow in its MPTCP connection. */
enum mpn_flow_role {
	MPN_ROLE_PLAIN,     /**< no MPTCP seen (yet) */
	MPN_ROLE_INITIAL,   /**< carried MP_CAPABLE */
	MPN_ROLE_JOIN,      /**< opened by MP_JOIN */
	MPN_ROLE_MIDSTREAM, /**< learned without its handshake */
};

/** Name of a role ("initial", "join", ...). */
const char *
mpn_flow_role_name(uint8_t r);

/** Per-connection policy decision, taken at the SYN (RFC 8684 §3.7). */
enum mpn_flow_decision {
	MPN_DECISION_ALLOW,    /**< MPTCP passes, checked */
	MPN_DECISION_FALLBACK, /**< MPTCP refused: kind 30 cleared on this subflow */
	MPN_DECISION_BYPASS,   /**< tcp-state-bypass: nothing checked */
};

/** Name of a decision ("allow", "fallback", "bypass"). */
const char *
mpn_flow_decision_name(uint8_t d);

/** State of one direction of a subflow, for the ASA checks. */
struct mpn_flow_dir {
	uint32_t isn;         /**< sequence number of this side's SYN */
	uint32_t snd_end;     /**< highest seq + length (SYN and FIN count 1) sent */
	uint32_t max_ack;     /**< highest ACK this side sent */
	uint32_t right_edge;  /**< highest ack + scaled window this side advertised */
	uint16_t mss;         /**< MSS option of this side's SYN, 0 if none */
	uint8_t wscale;       /**< window-scale shift of this side's SYN */
	uint8_t ttl;          /**< TTL / hop limit of this side's first segment */
	bool seen;            /**< this side sent a segment */
	bool syn_seen;        /**< this side's SYN was seen */
	bool ack_seen;        /**< this side sent an ACK (right_edge valid) */
	bool wscale_opt;      /**< this side's SYN carried window scale */
	bool fin_seen;        /**< this side sent FIN */
};

/** Progress of an MP_JOIN subflow (RFC 8684 §3.2). */
enum mpn_join_state {
	MPN_JOIN_NONE,       /**< not a join, or not verified */
	MPN_JOIN_SYN,        /**< SYN seen, nonce R-A kept */
	MPN_JOIN_SYNACK_OK,  /**< SYN/ACK truncated HMAC verified */
	MPN_JOIN_ACK_OK,     /**< third-ACK HMAC verified: the join is good */
	MPN_JOIN_FAILED,     /**< an HMAC did not verify: the subflow is dropped */
	MPN_JOIN_UNVERIFIED, /**< admitted without a check (unknown token or `join allow`) */
};

/** Name of a join state ("ok", "bad-hmac", ...). */
const char *
mpn_join_state_name(uint8_t s);

/**
 * One subflow entry. Owned by its worker: plain fields, no atomics. The
 * MPTCP connection it belongs to (if any) is shared and reached through
 * @p conn.
 */
struct mpn_subflow {
	struct mpn_flow_key key;
	uint64_t last_seen;      /**< `now` of the last packet */
	uint64_t created;
	uint32_t prev, next;     /**< eviction list links (positions) */
	uint8_t list;            /**< which eviction list it is on */
	uint8_t state;           /**< enum mpn_tcp_state */
	bool init_lo;            /**< the initiator is the key's lo endpoint */
	bool in_use;
	bool handshake_seen;     /**< SYN and SYN/ACK both seen: scale and MSS known */
	uint8_t role;            /**< enum mpn_flow_role */
	uint8_t decision;        /**< enum mpn_flow_decision */
	uint8_t join_state;      /**< enum mpn_join_state */
	bool join_verify;        /**< check this join's HMACs */
	bool init_is_a;          /**< the initiator is side A (client) of the connection */
	bool mptcp;              /**< MP_CAPABLE/MP_JOIN seen in the handshake */
	uint8_t version;         /**< MPTCP version (initial subflow, pending) */
	uint8_t flags_a, flags_b;/**< MP_CAPABLE flags of each side */
	bool have_key_a, have_key_b;
	uint64_t key_a, key_b;   /**< keys learned before the connection is published */
	uint32_t nonce_init;     /**< MP_JOIN R-A */
	uint32_t nonce_resp;     /**< MP_JOIN R-B */
	int8_t conn_slot;        /**< subflow slot in @p conn, -1 if none */
	struct mpn_conn *conn;   /**< its MPTCP connection, or NULL */
	struct mpn_flow_dir dir[2]; /**< [0] initiator -> responder, [1] responder -> initiator */
};

/*
 * Counters of one tracker (X(field, description)). The app sums them over
 * workers with mpn_track_stats_sum() and prints them by name.
 */
#define MPN_TRACK_STATS_LIST(X) \
	X(subflows_created, "subflow entries created") \
	X(subflows_learned, "subflows learned mid-stream") \
	X(subflows_expired, "subflow entries expired by timeout") \
	X(subflows_removed, "subflow entries removed (expiry, eviction, reuse)") \
	X(evict_closed, "closed entries evicted to make room") \
	X(evict_embryonic, "embryonic entries evicted to make room") \
	X(table_full, "new subflows refused: table full of established entries") \
	X(not_syn_dropped, "unknown non-SYN packets dropped (midstream drop)") \
	X(conns_created, "MPTCP connections published in the token table") \
	X(conns_closed, "MPTCP connections fast-closed") \
	X(conns_freed, "MPTCP connections whose last subflow went away") \
	X(conn_pool_full, "MPTCP connections not tracked: pool or token table full") \
	X(token_collisions, "token already used by another connection") \
	X(key_mismatch, "third ACK carried a server key other than the SYN/ACK's") \
	X(joins_seen, "MP_JOIN SYNs") \
	X(joins_verified, "joins whose SYN/ACK and third-ACK HMACs verified") \
	X(joins_unknown, "MP_JOIN SYNs with an unknown token") \
	X(joins_bad_hmac, "joins with a bad SYN/ACK or third-ACK HMAC") \
	X(joins_refused, "MP_JOIN SYNs for a fallback or closed connection") \
	X(joins_limit, "MP_JOIN SYNs over the subflow limit") \
	X(joins_bypassed, "join subflows bypassed with their connection") \
	X(addaddr_seen, "ADD_ADDR options (not echoes)") \
	X(addaddr_denied, "ADD_ADDR outside the allowed prefixes or ports") \
	X(addaddr_hmac_ok, "ADD_ADDR HMAC ok (rightmost 64 bits, RFC 8684)") \
	X(addaddr_hmac_leftmost, "ADD_ADDR HMAC ok in the pre-5.11 Linux leftmost form") \
	X(addaddr_hmac_bad, "ADD_ADDR HMAC bad") \
	X(addaddr_overflow, "ADD_ADDR not recorded: address list full") \
	X(rmaddr_seen, "REMOVE_ADDR options") \
	X(fastclose, "MP_FASTCLOSE options matched to a connection") \
	X(fastclose_unknown, "MP_FASTCLOSE for no known connection") \
	X(tcprst, "MP_TCPRST options") \
	X(fallback_cleared, "kind-30 options cleared on fallback subflows") \
	X(bypassed, "packets bypassed") \
	X(invalid_ack, "ACK for data never sent (seen)") \
	X(seq_past_win, "data beyond the receiver's window (seen)") \
	X(window_variation, "right window edge moved back (seen)") \
	X(exceed_mss, "payload above the receiver's MSS (seen)") \
	X(ttl_evasion, "TTL below the connection's first (seen)")

/** Per-tracker counters: plain integers, one writer (the worker). */
struct mpn_track_stats {
#define MPN_TRACK_STATS_FIELD(f, d) uint64_t f;
	MPN_TRACK_STATS_LIST(MPN_TRACK_STATS_FIELD)
#undef MPN_TRACK_STATS_FIELD
} __attribute__((aligned(64)));

/** Add @p n trackers' counters into @p total (zeroed first). */
void
mpn_track_stats_sum(const struct mpn_track_stats *const *s, unsigned int n,
	struct mpn_track_stats *total);

/** Number of counters in struct mpn_track_stats. */
unsigned int
mpn_track_stats_count(void);

/** Name and value of counter @p i (0..count-1); NULL past the end. */
const char *
mpn_track_stats_get(const struct mpn_track_stats *s, unsigned int i, uint64_t *value);

/** Opaque per-worker subflow table. */
struct mpn_flow_table;

/**
 * Create a subflow table. Allocates everything it will ever use.
 *
 * @param name    unique name (rte_hash names are global), e.g. "mpn_sf_3"
 * @param p       parameters (copied)
 * @param ct      the shared connection table, to release references when
 *                entries go away; may be NULL (plain TCP only)
 * @param stats   counters to update (owned by the caller)
 * @param socket  NUMA socket, or SOCKET_ID_ANY
 * @return        the table, or NULL with rte_errno set (EINVAL, ENOMEM, EEXIST)
 */
struct mpn_flow_table *
mpn_flow_table_create(const char *name, const struct mpn_flow_params *p,
	struct mpn_conn_table *ct, struct mpn_track_stats *stats, int socket);

/** Free a table and drop its connection references. NULL is a no-op. */
void
mpn_flow_table_free(struct mpn_flow_table *t);

/** The parameters the table was created with. */
const struct mpn_flow_params *
mpn_flow_table_params(const struct mpn_flow_table *t);

/**
 * Find the entry of @p key. An entry whose timeout has passed at @p now
 * is removed and not returned (lazy expiry).
 */
struct mpn_subflow *
mpn_flow_lookup(struct mpn_flow_table *t, const struct mpn_flow_key *key, uint64_t now);

/**
 * Warm the caches for the lookups of one burst, before its packets are
 * tracked one by one: a bulk lookup of @p n keys (rte_hash_lookup_bulk()
 * prefetches every bucket and key slot before it compares any, so the
 * misses of the burst overlap instead of queueing), then a prefetch of
 * each entry found. It changes nothing: mpn_flow_lookup() still does the
 * authoritative lookup per packet, now from the cache, so an entry that an
 * earlier packet of the same burst inserts or removes is seen correctly.
 *
 * @param keys  @p n keys (n <= 64, RTE_HASH_LOOKUP_BULK_MAX)
 * @param pos   out: the position of each key, or -1; give them to
 *              mpn_flow_prefetch_conn() a few packets ahead
 */
void
mpn_flow_prefetch_bulk(struct mpn_flow_table *t, const struct mpn_flow_key **keys,
	unsigned int n, int32_t *pos);

/**
 * Prefetch the MPTCP connection record of the entry at @p pos (from
 * mpn_flow_prefetch_bulk(); -1 is a no-op). Call it a couple of packets
 * ahead: it reads the entry's connection pointer, so that entry should
 * already be on its way into the cache.
 */
void
mpn_flow_prefetch_conn(const struct mpn_flow_table *t, int32_t pos);

/**
 * Insert a new entry in state @p state. When the table is full, a closed
 * entry, else the oldest embryonic entry, is evicted first (and counted).
 *
 * @return  the zeroed entry (key, state, times set), or NULL when the
 *          table is full of established entries (counted as table_full)
 *          or the key is already present
 */
struct mpn_subflow *
mpn_flow_insert(struct mpn_flow_table *t, const struct mpn_flow_key *key, uint8_t state,
	uint64_t now);

/** Remove an entry, releasing its connection reference. */
void
mpn_flow_remove(struct mpn_flow_table *t, struct mpn_subflow *sf);

/**
 * Change an entry's TCP state: moves it between the eviction lists and
 * publishes the state to its connection record.
 */
void
mpn_flow_set_state(struct mpn_flow_table *t, struct mpn_subflow *sf, uint8_t state);

/**
 * Visit at most @p budget entries, continuing where the last call
 * stopped, and remove those whose timeout has passed. Call once per loop.
 *
 * @return  the number of entries removed
 */
unsigned int
mpn_flow_sweep(struct mpn_flow_table *t, uint64_t now, unsigned int budget);

/** Entries in use. */
uint32_t
mpn_flow_count(const struct mpn_flow_table *t);

/** Capacity (parameter). */
uint32_t
mpn_flow_capacity(const struct mpn_flow_table *t);

/** Bytes allocated at creation (entries array; the rte_hash is sized by capacity too). */
uint64_t
mpn_flow_table_memory(const struct mpn_flow_table *t);

/**
 * Call @p cb for every entry in use, in position order (for tests and the
 * `show subflows` command). Stops early if @p cb returns non-zero.
 */
void
mpn_flow_foreach(struct mpn_flow_table *t, int (*cb)(struct mpn_subflow *sf, void *arg),
	void *arg);

#endif /* MPN_FLOW_H */
