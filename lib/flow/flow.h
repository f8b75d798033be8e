/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_FLOW_H
#define MPN_FLOW_H

/**
 * @file
 * Per-worker subflow table: one entry per TCP connection (an MPTCP
 * subflow or a plain TCP connection) *as seen at one observation point*,
 * keyed by its canonical 5-tuple plus that point (link and VLAN ids), so
 * that both directions find the same entry (ARCHITECTURE.md §3).
 *
 * Why the observation point is part of the key: one mpnorm may carry
 * several links of a routed chain (host - link 1 - router - link 2 -
 * host), or several VLANs of a router on a stick through one port. It
 * then sees the same subflow twice, the second time after a router has
 * decremented the TTL and possibly changed the window. TTL baselines,
 * sequence tracking and the ASA checks belong to the place they were
 * learned; the MPTCP connection (token, keys, joins) is shared through the
 * token table (conn.h).
 *
 * Memory is allocated once at creation: an rte_hash with extendable
 * buckets and an array of entries indexed by the position rte_hash
 * returns. Keys are 48 bytes, a size rte_hash compares with vector
 * instructions, and every caller computes the hash once per packet
 * (mpn_flow_key_hash()) and passes it to the lookups, inserts and deletes.
 *
 * Entries are three whole cache lines, aligned. The first holds what
 * every packet reads; the second the reverse direction and the counters;
 * the third what only the handshake and the housekeeping need.
 *
 * Expiry is lazy (a lookup that finds a stale entry drops it) plus a
 * bounded sweep run by time. When the table is full, entries are evicted
 * in this order, oldest first in each list:
 *  1. closed (RST seen, both FINs seen, fast-closed);
 *  2. unconfirmed: learned mid-stream and not yet seen in both directions
 *     (a flood of spoofed ACKs lands here, never among live connections);
 *  3. embryonic (SYN or SYN/ACK seen).
 * Established entries are never evicted: a full table of them refuses new
 * subflows (counted as table_full), so no flood can push out a confirmed
 * connection.
 *
 * Thread safety: a table belongs to one worker. No function here may be
 * called on the same table from two threads at once.
 */

#include <stdbool.h>
#include <stddef.h>
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
	/**
	 * s; an entry learned mid-stream and seen in one direction only.
	 * Spoofed traffic never confirms itself, so this bounds how long a
	 * flood of it can hold entries. Default: the embryonic timeout.
	 */
	uint32_t unconfirmed_timeout;
	enum mpn_flow_midstream midstream; /**< unknown non-SYN packets */
	/**
	 * Percent of capacity above which mid-stream packets are no longer
	 * learned (they pass untracked, or are dropped under `midstream
	 * drop`): the SYN-cookie idea, so that new SYNs keep finding room
	 * under a flood of ACKs. 100 = always learn. Default 90.
	 */
	uint8_t learn_limit_pct;
};

/** Fill @p p with the defaults: 65536 entries, hz 1e6 (microseconds), 30/3600/600/10/30 s. */
void
mpn_flow_params_default(struct mpn_flow_params *p);

/**
 * Canonical key: the lower (address, port) endpoint first, so both
 * directions of a connection give the same key, plus the observation
 * point. 48 bytes, zero-padded: hashed and compared as bytes, with the
 * vector comparison rte_hash has for this size.
 */
struct mpn_flow_key {
	uint8_t addr_lo[16];  /**< network order; IPv4 in the first 4 bytes */
	uint8_t addr_hi[16];
	uint16_t port_lo;     /**< host order */
	uint16_t port_hi;
	uint16_t link;        /**< config index of the link the packet crossed */
	uint16_t vlan[2];     /**< VLAN ids, outer then inner, 0 when untagged */
	uint8_t family;       /**< 4 or 6 */
	uint8_t proto;        /**< 6 */
	uint8_t pad[4];
};

/**
 * Build the canonical key of a parsed TCP packet seen on @p link.
 *
 * @param frame  the frame @p p was parsed from
 * @param p      a packet parsed with status MPN_PKT_TCP
 * @param link   the link it crossed (the observation point)
 * @param key    filled in
 * @return       true if the packet's source is the key's lo endpoint
 */
bool
mpn_flow_key_from_pkt(const uint8_t *frame, const struct mpn_pkt *p, uint16_t link,
	struct mpn_flow_key *key);

/** The hash every lookup, insert and delete of @p key is given. */
uint32_t
mpn_flow_key_hash(const struct mpn_flow_key *key);

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

/** Flags of one direction of a subflow (mpn_flow_dir.f). */
#define MPN_DIR_SEEN 0x01       /**< this side sent a segment */
#define MPN_DIR_SYN 0x02        /**< this side's SYN was seen */
#define MPN_DIR_ACK 0x04        /**< this side sent an ACK (max_ack, right_edge valid) */
#define MPN_DIR_WSCALE 0x08     /**< this side's SYN carried window scale */
#define MPN_DIR_FIN 0x10        /**< this side sent FIN */

/** State of one direction of a subflow, for the ASA checks. 24 bytes. */
struct mpn_flow_dir {
	uint32_t isn;         /**< sequence number of this side's SYN */
	uint32_t snd_end;     /**< highest seq + length (SYN and FIN count 1) sent */
	uint32_t max_ack;     /**< highest ACK this side sent */
	uint32_t right_edge;  /**< highest ack + scaled window this side advertised */
	uint16_t mss;         /**< MSS option of this side's SYN, 0 if none */
	uint8_t wscale;       /**< window-scale shift of this side's SYN */
	uint8_t ttl;          /**< TTL / hop limit of this side's first segment */
	uint8_t f;            /**< MPN_DIR_* */
	uint8_t pad;
	uint16_t link;        /**< link this side's segments were first seen on */
};

/** Progress of an MP_JOIN subflow (RFC 8684 §3.2). */
enum mpn_join_state {
	MPN_JOIN_NONE,       /**< not a join, or not verified */
	MPN_JOIN_SYN,        /**< SYN seen, nonce R-A kept */
	MPN_JOIN_SYNACK_OK,  /**< SYN/ACK truncated HMAC verified */
	MPN_JOIN_ACK_OK,     /**< third-ACK HMAC verified: the join is good */
	MPN_JOIN_FAILED,     /**< an HMAC did not verify: the subflow is dropped */
	MPN_JOIN_UNVERIFIED, /**< admitted without a check (unknown token or `join allow`) */
	MPN_JOIN_EVICTED,    /**< a pending join pushed out by newer ones (conn.h) */
	MPN_JOIN_FETCHING,   /**< token unknown here: its keys asked of the token directory */
};

/** Name of a join state ("ok", "bad-hmac", ...). */
const char *
mpn_join_state_name(uint8_t s);

/** Flags of a subflow entry (mpn_subflow.f). */
#define MPN_SF_INIT_LO 0x0001     /**< the initiator is the key's lo endpoint */
#define MPN_SF_IN_USE 0x0002
#define MPN_SF_HANDSHAKE 0x0004   /**< SYN and SYN/ACK both seen: scale and MSS known */
#define MPN_SF_JOIN_VERIFY 0x0008 /**< check this join's HMACs */
#define MPN_SF_INIT_IS_A 0x0010   /**< the initiator is side A (client) of the connection */
#define MPN_SF_MPTCP 0x0020       /**< MP_CAPABLE/MP_JOIN seen, or DSS on a learned one */
#define MPN_SF_HAVE_KEY_A 0x0040  /**< key_a learned (before publication) */
#define MPN_SF_HAVE_KEY_B 0x0080
#define MPN_SF_UNCONFIRMED 0x0100 /**< learned mid-stream, one direction seen so far */

/** What the interference telemetry knows of a subflow (mpn_subflow.intf). */
#define MPN_SF_INTF_SYN_MPC 0x01  /**< its SYN went through with MP_CAPABLE */
#define MPN_SF_INTF_SYN_JOIN 0x02 /**< its SYN went through with MP_JOIN */
#define MPN_SF_INTF_SYNACK 0x04   /**< the answer (SYN/ACK or RST) was judged */
#define MPN_SF_INTF_MPTCP 0x08    /**< the SYN/ACK carried MP_CAPABLE or MP_JOIN */
#define MPN_SF_INTF_DATA0 0x10    /**< first data from the initiator judged */
#define MPN_SF_INTF_DATA1 0x20    /**< first data from the responder judged */
#define MPN_SF_INTF_RETRY 0x40    /**< the SYN was retried without MP_CAPABLE */
#define MPN_SF_INTF_RESP_ON 0x80  /**< the responder went on past its SYN/ACK, or refused */

/**
 * One subflow entry: three cache lines. Owned by its worker: plain fields,
 * no atomics. The MPTCP connection it belongs to (if any) is shared and
 * reached through @p conn, on which the entry holds one reference.
 */
struct mpn_subflow {
	/* Line 0: read by every packet. */
	struct mpn_conn *conn;   /**< its MPTCP connection, or NULL */
	uint64_t last_seen;      /**< `now` of the last forwarded packet */
	uint32_t rule_gen;       /**< policy generation of rule_id[], 0 = none cached */
	uint16_t rule_id[2];     /**< cached class rule per link direction (in2out, out2in) */
	uint16_t f;              /**< MPN_SF_* */
	uint8_t state;           /**< enum mpn_tcp_state */
	uint8_t role;            /**< enum mpn_flow_role */
	uint8_t decision;        /**< enum mpn_flow_decision */
	uint8_t join_state;      /**< enum mpn_join_state */
	uint8_t version;         /**< MPTCP version (initial subflow, pending) */
	uint8_t list;            /**< which eviction list it is on */
	int8_t conn_slot;        /**< subflow slot in @p conn, -1 if none */
	uint8_t join_addr_id;    /**< MP_JOIN SYN's address ID (RFC 8684 §3.2), role JOIN only */
	uint16_t slot_gen;       /**< generation of that slot when it was claimed */
	struct mpn_flow_dir dir0;/**< initiator -> responder */
	uint32_t born;           /**< creation time in ms, low 32 bits (mpn_subflow_born()) */

	/* Line 1: the reverse direction and the counters. */
	struct mpn_flow_dir dir1;/**< responder -> initiator */
	uint64_t pkts[2];        /**< forwarded, per direction (0 = from the initiator) */
	uint64_t bytes[2];       /**< TCP payload forwarded, per direction */
	uint32_t drops;          /**< segments dropped */
	uint32_t prev;           /**< eviction list links (positions) */

	/* Line 2: handshake and housekeeping. */
	uint32_t next;
	uint32_t hash;           /**< mpn_flow_key_hash() of the key */
	uint32_t nonce_init;     /**< MP_JOIN R-A */
	uint32_t nonce_resp;     /**< MP_JOIN R-B */
	uint64_t key_a, key_b;   /**< keys learned before the connection is published; cleared after */
	uint64_t verified_mac;   /**< the last join HMAC verified (first 64 bits); the token while FETCHING */
	uint64_t folded_pkts;    /**< pkts[0] + pkts[1] already added to the connection */
	uint64_t folded_bytes;
	uint32_t folded_drops;
	uint8_t flags_a, flags_b;/**< MP_CAPABLE flags of each side */
	uint8_t close_why;       /**< enum mpn_flow_close, once closed */
	/*
	 * Interference telemetry (lib/pipeline/interference.c): what this
	 * subflow's handshake and first data said, MPN_SF_INTF_*. Written by
	 * the account stage only; the last spare byte, so the entry stays
	 * three lines.
	 */
	uint8_t intf;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct mpn_flow_dir) == 24, "mpn_flow_dir is 24 bytes");
_Static_assert(sizeof(struct mpn_subflow) == 192, "a subflow entry is three cache lines");
_Static_assert(offsetof(struct mpn_subflow, dir1) == 64, "line 1 starts with dir1");
_Static_assert(offsetof(struct mpn_subflow, next) == 128, "line 2 starts with next");
_Static_assert(sizeof(struct mpn_flow_key) == 48, "rte_hash compares 48-byte keys with SSE");

/*
 * When @p sf was created, in `now` units (@p ms_units of them per ms), from
 * the 32 bits of milliseconds it keeps: to the millisecond while the entry
 * is younger than 2^32 ms (49 days).
 */
static inline uint64_t
mpn_subflow_born(const struct mpn_subflow *sf, uint64_t now, uint64_t ms_units)
{
	uint64_t now_ms = now / ms_units;

	return (now_ms - (uint32_t)((uint32_t)now_ms - sf->born)) * ms_units;
}

/** Direction @p s (0 = from the initiator) of @p sf. */
static inline struct mpn_flow_dir *
mpn_subflow_dir(struct mpn_subflow *sf, int s)
{
	return s == 0 ? &sf->dir0 : &sf->dir1;
}

/** Why an entry left the table (flow teardown events, `show conn`). */
enum mpn_flow_close {
	MPN_FLOW_CLOSE_NONE,
	MPN_FLOW_CLOSE_FIN,       /**< both FINs, then the closed timeout */
	MPN_FLOW_CLOSE_RST,       /**< an accepted RST */
	MPN_FLOW_CLOSE_FASTCLOSE, /**< its connection was fast-closed (RFC 8684 §3.5) */
	MPN_FLOW_CLOSE_IDLE,      /**< idle or embryonic timeout */
	MPN_FLOW_CLOSE_EVICTED,   /**< pushed out to make room */
	MPN_FLOW_CLOSE_REUSED,    /**< a new connection reused the 5-tuple */
	MPN_FLOW_CLOSE_CLEARED,   /**< by the operator (`clear conn`) or at shutdown */
	MPN_FLOW_CLOSE_JOIN_FAILED, /**< a join that failed verification or was evicted */
	MPN_FLOW_CLOSE_MAX,
};

/** Name of a close reason ("fin", "rst", ...). */
const char *
mpn_flow_close_name(uint8_t why);

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
	X(evict_unconfirmed, "unconfirmed mid-stream entries evicted to make room") \
	X(evict_embryonic, "embryonic entries evicted to make room") \
	X(table_full, "new subflows refused: table full of established entries") \
	X(learn_refused, "mid-stream packets not learned: table above learn-limit") \
	X(not_syn_dropped, "unknown non-SYN packets dropped (midstream drop)") \
	X(conns_created, "MPTCP connections published in the token table") \
	X(conns_attached, "MPTCP connections seen again at another observation point") \
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
	X(joins_limit, "joins over the subflow limit") \
	X(joins_evicted, "pending joins pushed out by newer joins of their connection") \
	X(joins_unproven, "segments of a join whose third-ACK HMAC was not verified") \
	X(joins_unverifiable, "MP_JOIN segments of a join whose SYN was not seen") \
	X(hmac_cached, "join HMACs accepted from the cache (retransmissions)") \
	X(joins_fetched, "unknown join tokens asked of the token directory") \
	X(joins_keys_pending, "join SYN/ACKs dropped: the directory had not answered yet") \
	X(joins_remote, "joins verified with keys from the token directory") \
	X(addaddr_seen, "ADD_ADDR options (not echoes)") \
	X(addaddr_denied, "ADD_ADDR outside the allowed addresses or ports") \
	X(addaddr_hmac_ok, "ADD_ADDR HMAC ok (rightmost 64 bits, RFC 8684)") \
	X(addaddr_hmac_leftmost, "ADD_ADDR HMAC ok in the pre-5.11 Linux leftmost form") \
	X(addaddr_hmac_bad, "ADD_ADDR HMAC bad") \
	X(addaddr_overflow, "ADD_ADDR not recorded: address list full") \
	X(rmaddr_seen, "REMOVE_ADDR options") \
	X(fastclose, "MP_FASTCLOSE options matched to a connection") \
	X(fastclose_unknown, "MP_FASTCLOSE for no known connection") \
	X(fastclose_wrong_key, "MP_FASTCLOSE carrying a key other than the receiver's") \
	X(tcprst, "MP_TCPRST options") \
	X(fallback_cleared, "kind-30 options cleared on fallback subflows") \
	X(bypassed, "packets bypassed") \
	X(stray_syn, "SYNs on a synchronized subflow, passed without a state change") \
	X(rst_in_window, "in-window RSTs not at the exact sequence: passed, state kept") \
	X(rst_out_of_window, "RSTs outside the window (blind RST)") \
	X(invalid_ack, "ACK for data never sent (seen)") \
	X(seq_past_win, "data beyond the receiver's window (seen)") \
	X(window_variation, "right window edge moved back (seen)") \
	X(exceed_mss, "payload above the receiver's MSS (seen)") \
	X(ttl_evasion, "TTL below the connection's first (seen)") \
	/* Issue 16: active join refusal and per-connection limits. */ \
	X(joins_rate, "join SYNs over their connection's join-rate-limit") \
	X(joins_early, "join SYNs before their connection's MP_CAPABLE third ACK (join-early drop)") \
	X(addaddr_limit, "ADD_ADDR over their connection's add-addr-limit") \
	X(join_rst_sent, "refused join SYNs answered with RST + MP_TCPRST 0x03 (join-refuse-action reset)") \
	X(join_rst_suppressed, "refused join SYNs not answered: over join-refuse-rate") \
	/* Issue 16: window checks on MPTCP subflows (check_window.c). */ \
	X(mptcp_seq_past_win, "MPTCP subflow data beyond its connection's largest window (seen)") \
	X(mptcp_window_variation, "MPTCP data-level right edge moved back by a newer DATA_ACK (seen)")

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

/** Description of counter @p i; NULL past the end. */
const char *
mpn_track_stats_desc(unsigned int i);

/**
 * Per-worker subflow table. Opaque, but for its first member, which the
 * inline accessors below read: an entry by position is one address
 * computation on the per-packet path, not a call.
 */
struct mpn_flow_table;

struct mpn_flow_table_head {
	struct mpn_subflow *e;        /**< entries, indexed by rte_hash position */
};

/**
 * Called for every entry that leaves the table, whatever the path (lazy
 * expiry, sweep, eviction, reuse, explicit removal), before the entry is
 * cleared: flow teardown events and the offline history hang off it.
 */
typedef void (*mpn_flow_remove_fn)(void *arg, const struct mpn_flow_key *key,
	const struct mpn_subflow *sf, uint8_t why);

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

/** Set the callback for entries that leave the table (NULL: none). */
void
mpn_flow_table_on_remove(struct mpn_flow_table *t, mpn_flow_remove_fn fn, void *arg);

/** The parameters the table was created with. */
const struct mpn_flow_params *
mpn_flow_table_params(const struct mpn_flow_table *t);

/**
 * Look up @p n keys at once with their precomputed hashes, and prefetch
 * every line of each entry found, then each found entry's connection
 * record. rte_hash_lookup_with_hash_bulk() prefetches every bucket before
 * it compares any key, so the cache misses of a burst overlap instead of
 * queueing.
 *
 * @param keys  @p n keys (n <= 64, RTE_HASH_LOOKUP_BULK_MAX)
 * @param hash  their mpn_flow_key_hash()
 * @param pos   out: the position of each key, or -1
 */
void
mpn_flow_lookup_bulk(struct mpn_flow_table *t, const struct mpn_flow_key *const *keys,
	const uint32_t *hash, unsigned int n, int32_t *pos);

/** Look one key up (no expiry). @return its position, or -1. */
int32_t
mpn_flow_lookup_one(struct mpn_flow_table *t, const struct mpn_flow_key *key, uint32_t hash);

/** The entry at a position from a lookup (>= 0). */
static inline struct mpn_subflow *
mpn_flow_entry(struct mpn_flow_table *t, int32_t pos)
{
	return &((struct mpn_flow_table_head *)t)->e[pos];
}

/** Position of an entry. */
static inline int32_t
mpn_flow_pos(const struct mpn_flow_table *t, const struct mpn_subflow *sf)
{
	return (int32_t)(sf - ((const struct mpn_flow_table_head *)t)->e);
}

/** The key of an entry in use (kept by rte_hash, not in the entry). */
const struct mpn_flow_key *
mpn_flow_entry_key(const struct mpn_flow_table *t, const struct mpn_subflow *sf);

/** Whether the entry's timeout has passed at @p now. */
bool
mpn_flow_expired(const struct mpn_flow_table *t, const struct mpn_subflow *sf, uint64_t now);

/**
 * Whether a new entry could be inserted now, evicting if needed: false
 * only when the table is full and nothing can be evicted. Changes nothing.
 */
bool
mpn_flow_has_room(const struct mpn_flow_table *t);

/** Whether the table is above its learn limit (mid-stream learning suspended). */
bool
mpn_flow_under_pressure(const struct mpn_flow_table *t);

/**
 * Insert a new entry in state @p state. When the table is full, one entry
 * is evicted first (closed, then unconfirmed, then embryonic; counted).
 *
 * @return  the zeroed entry (state, times, hash set), or NULL when the
 *          table is full of established entries (counted as table_full)
 *          or the key is already present
 */
struct mpn_subflow *
mpn_flow_insert(struct mpn_flow_table *t, const struct mpn_flow_key *key, uint32_t hash,
	uint8_t state, uint64_t now);

/** Remove an entry, releasing its connection reference. @p why: enum mpn_flow_close. */
void
mpn_flow_remove(struct mpn_flow_table *t, struct mpn_subflow *sf, uint8_t why);

/**
 * Change an entry's TCP state and confirmation: moves it between the
 * eviction lists and publishes the state to its connection record.
 */
void
mpn_flow_set_state(struct mpn_flow_table *t, struct mpn_subflow *sf, uint8_t state,
	bool unconfirmed);

/**
 * Add the entry's counters since the last fold to its connection record's
 * slot (a few atomic adds; the data path itself never writes a shared
 * line per packet).
 */
void
mpn_flow_fold(struct mpn_subflow *sf);

/**
 * Visit at most @p budget entries, continuing where the last call
 * stopped: remove those whose timeout has passed, fold the counters of the
 * others into their connections, and close those whose connection was
 * fast-closed. Call it by time from the worker loop, not per packet.
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

/** Bytes allocated at creation for the entries (the rte_hash is sized by capacity too). */
uint64_t
mpn_flow_table_memory(const struct mpn_flow_table *t);

/**
 * Call @p cb for every entry in use, in position order (for tests and the
 * `show subflows` command). Stops early if @p cb returns non-zero.
 */
void
mpn_flow_foreach(struct mpn_flow_table *t,
	int (*cb)(struct mpn_flow_table *t, struct mpn_subflow *sf, void *arg), void *arg);

#endif /* MPN_FLOW_H */
