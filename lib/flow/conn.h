/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CONN_H
#define MPN_CONN_H

/**
 * @file
 * The token table: one MPTCP connection record per connection, shared by
 * every worker and reachable by either of its two tokens (ARCHITECTURE.md
 * §3, RFC 8684 §3.1-3.2).
 *
 * The subflows of one connection have different 4-tuples, so RSS sends
 * them to different workers; a join SYN must find the keys learned by
 * another worker. Hence:
 *  - one rte_hash with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF (lock-free
 *    lookups) and MULTI_WRITER_ADD, keyed by the 32-bit token; both
 *    tokens of a connection map to the same record;
 *  - records come from a fixed pool (an rte_ring of free records);
 *  - deleted entries are reclaimed with RCU QSBR: the table's defer queue
 *    hands each unpublished record (and its tokens' hash slots) back only
 *    after every reader has reported quiescence. See "RCU and pool
 *    policy" below.
 *
 * Concurrency rules (who writes what):
 *  - The identity of a record (keys, tokens, version, flags, decision) is
 *    written once, before it is published; readers never see it change.
 *  - Publication, attachment and the final unpublication happen under the
 *    table's create lock, so two workers that see the same MP_CAPABLE at
 *    once (two observation points) end with one record, never two records
 *    fighting over one token (rte_hash_add_key_data would silently
 *    overwrite).
 *  - Subflow slots change under the record's own lock: claims, releases,
 *    promotions and evictions of pending joins. That is once per subflow,
 *    never per packet. Each slot carries a seqlock for lock-free readers
 *    (`show connections`) and a generation, so an observation whose slot
 *    was taken from it (an evicted pending join) notices without a lock.
 *  - Counters are folded in from the workers' own entries with atomic adds,
 *    off the per-packet path (mpn_flow_fold()).
 *  - Keys are secrets (RFC 7430 §3): they are cleared when the record goes
 *    back to the pool, and are printed only where explicitly asked for.
 *
 * Reference counting: every subflow entry (observation) that points to a
 * record holds one reference. The last release unpublishes both tokens;
 * the record returns to the pool after an RCU grace period, so a worker
 * that found it through a lookup keeps a valid pointer until its next
 * quiescent report.
 *
 * RCU and pool policy
 * -------------------
 * Readers (RCU QSBR threads of the table, ids 0..max_threads-1):
 *  - each worker, id = its index. It is registered and online from its
 *    tracker's creation (mpn_tracker_create() calls
 *    mpn_conn_table_register()) until the tracker is freed after the
 *    worker stopped; it reports quiescence once per loop
 *    (mpn_tracker_housekeeping()), between bursts, holding no record
 *    pointer except through its observations' references. A worker never
 *    blocks, so it never needs to go offline while it runs.
 *  - the control thread (the main lcore), id = n_workers. It is
 *    registered at start-up and taken offline at once
 *    (mpn_conn_table_offline()); it goes online only while a command
 *    reads records (`show connections`, `show subflows`:
 *    mpn_conn_table_foreach()) and offline again right after. It never
 *    reports quiescence while offline (that would put it back online),
 *    so blocking in poll() for the next command never holds up a grace
 *    period. `show rcu` shows each reader's state.
 *  - DPDK's telemetry thread reads no record, and is no reader.
 * Reclaim: when a connection's last reference is released, the record is
 * unlisted (`live` = 0), its tokens are deleted from the hash, and the
 * record, with the tokens' hash slots, joins the table's defer queue,
 * stamped with an RCU token. A record taken by a publication that then
 * failed to insert either token joins the same queue. Records whose
 * grace period is over (every reader online at the stamp has since
 * reported quiescence or gone offline) return to the pool, keys cleared,
 * at every publication, every last release, and every turn of the main
 * lcore's control loop (mpn_conn_table_reclaim(), at most 100 ms apart),
 * so the pool refills even when no connection comes or goes. No record is
 * ever put back in the pool without a grace period.
 * A full pool: mpn_conn_publish() returns -ENOSPC (counted as
 * conn_pool_full). The connection is not tracked as MPTCP: its initial
 * subflow is still tracked as a TCP subflow, and its joins find no
 * token, so the join policy treats them as unknown (with the shipped
 * `join = verify`, they are dropped). Records in the defer queue are
 * neither free nor live; `show rcu` counts them.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_spinlock.h>

#include "flow.h"
#include "json.h"

/** Subflow slots per record: active subflows plus pending joins. */
#define MPN_CONN_MAX_SUBFLOWS 16

/**
 * Most active subflows a connection can have, initial included: the
 * largest `subflow-limit`. Linux allows the initial subflow plus 8 joins
 * (net.mptcp `ip mptcp limits` subflows <= 8); 12 leaves room above it.
 */
#define MPN_CONN_MAX_ACTIVE 12

/** Most joins of one connection that may be in their handshake at once. */
#define MPN_CONN_MAX_PENDING (MPN_CONN_MAX_SUBFLOWS - MPN_CONN_MAX_ACTIVE)

/** Advertised-address slots per connection (Linux: add_addr_accepted <= 8). */
#define MPN_CONN_MAX_ADDRS 8

/** Why a connection was closed. */
enum mpn_conn_close {
	MPN_CONN_OPEN = 0,
	MPN_CONN_CLOSED_FASTCLOSE, /**< MP_FASTCLOSE (RFC 8684 §3.5) */
};

/** State of a subflow slot (mpn_conn_subflow.used). */
enum mpn_conn_slot_state {
	MPN_SLOT_FREE = 0,
	MPN_SLOT_PENDING,  /**< a join in its handshake: does not count towards the limit */
	MPN_SLOT_ACTIVE,   /**< the initial subflow, or an admitted join */
};

/** One subflow of a connection, as other workers and reports see it. */
struct mpn_conn_subflow {
	uint32_t seq;          /**< even: stable; odd: being written */
	uint8_t used;          /**< enum mpn_conn_slot_state */
	uint8_t role;          /**< enum mpn_flow_role */
	uint8_t family;        /**< 4 or 6 */
	uint8_t tcp_state;     /**< enum mpn_tcp_state (atomic; last observation wins) */
	uint8_t join_state;    /**< enum mpn_join_state (atomic) */
	bool init_is_a;        /**< its initiator is side A */
	uint16_t gen;          /**< bumped when the slot is freed or taken */
	uint16_t refs;         /**< observations sharing the slot (record lock) */
	uint16_t sport, dport; /**< initiator port, responder port */
	uint8_t src[16];       /**< initiator address */
	uint8_t dst[16];       /**< responder address */
	uint64_t created;      /**< `now` of the claim: pending joins are evicted oldest first */
	uint64_t pkts;         /**< atomic: folded from the observations */
	uint64_t bytes;        /**< atomic: TCP payload */
	uint64_t drops;        /**< atomic */
	uint64_t serial;       /**< order of creation, for reports */
};

/** One advertised address (ADD_ADDR, RFC 8684 §3.4.1). */
struct mpn_conn_addr {
	uint32_t seq;          /**< even: stable; odd: being written */
	uint32_t used;         /**< 0 free, 1 claimed (CAS) */
	uint8_t side;          /**< 0: advertised by A, 1: by B */
	uint8_t id;            /**< address id */
	uint8_t family;        /**< 4 or 6 */
	bool has_port;
	uint8_t hmac;          /**< enum mpn_conn_addr_hmac */
	uint16_t port;
	uint8_t addr[16];
	uint64_t serial;
};

/** ADD_ADDR HMAC verdict as recorded. */
enum mpn_conn_addr_hmac {
	MPN_ADDR_HMAC_NONE,     /**< v0, or no keys: not checked */
	MPN_ADDR_HMAC_OK,       /**< RFC 8684 rightmost 64 bits */
	MPN_ADDR_HMAC_LEFTMOST, /**< pre-5.11 Linux leftmost 64 bits */
	MPN_ADDR_HMAC_BAD,
};

/** An MPTCP connection. */
struct mpn_conn {
	/* Written once, before publication. */
	uint64_t serial;        /**< creation order, table-wide */
	uint64_t created;       /**< `now` at creation */
	uint64_t key_a, key_b;  /**< A = initiator of the initial subflow (client) */
	uint64_t idsn_a, idsn_b;
	uint32_t token_a, token_b;
	uint8_t version;        /**< 0 or 1 */
	uint8_t flags_a;        /**< MP_CAPABLE flags sent by A */
	uint8_t flags_b;        /**< MP_CAPABLE flags sent by B */
	uint8_t decision;       /**< enum mpn_flow_decision */
	uint8_t n_tokens;       /**< tokens inserted in the hash (1 or 2) */
	bool remote;            /**< keys fetched from the token directory, not seen here (doc/cluster.md) */
	bool token_a_in, token_b_in;
	/**
	 * The initial subflow's class per link direction (mpn_subflow.rule_id),
	 * under policy generation @p rule_gen (0: none): joins take it (issue 16).
	 */
	uint32_t rule_gen;
	uint16_t rule_id[2];

	/* Atomics, or under @p lock. */
	rte_spinlock_t lock;    /**< slot changes (once per subflow, never per packet) */
	uint32_t live;          /**< 1 from publication until the last release: listed by scans */
	uint32_t refs;          /**< observations pointing here; 0 = dying */
	uint32_t closed;        /**< enum mpn_conn_close */
	uint64_t sf_serial;     /**< next subflow slot serial */
	uint64_t pkts, bytes, drops; /**< of released subflows: see mpn_conn_totals() */
	uint64_t cleared;
	uint64_t joins_ok, joins_bad, joins_refused, joins_limit, joins_evicted;
	uint64_t addaddr, addaddr_denied, rmaddr;
	/*
	 * Per-connection limits (RFC 7430 §2.2, issue 16), read by the check
	 * stage, taken with a CAS by the commit stage (forwarded segments only).
	 * join_rate: the second joins are counted in (high bits) and how many
	 * were admitted in it (low MPN_CONN_RATE_BITS bits).
	 */
	uint64_t join_rate;
	uint32_t addaddr_announced;   /**< new ADD_ADDR announcements forwarded */
	/*
	 * The shared receive window (RFC 8684 §3.3.4), per data direction
	 * (0: data sent by A), as seen on every subflow here; only raised, by
	 * forwarded segments (check_window.c). Atomics.
	 */
	uint32_t win_max[2];     /**< largest scaled window the data's receiver advertised */
	uint32_t dack_known[2];  /**< dack/dedge hold a value */
	uint64_t dack[2];        /**< highest DATA_ACK the data's receiver sent */
	uint64_t dedge[2];       /**< highest data-level right edge: DATA_ACK + window */

	struct mpn_conn_subflow sf[MPN_CONN_MAX_SUBFLOWS];
	struct mpn_conn_addr addr[MPN_CONN_MAX_ADDRS];
} __attribute__((aligned(64)));

/** What a new connection is created from. */
struct mpn_conn_init {
	uint8_t version;
	uint8_t flags_a, flags_b;
	uint8_t decision;
	uint32_t rule_gen;      /**< the initial subflow's classes (mpn_conn.rule_id) */
	uint16_t rule_id[2];
	bool remote;            /**< from the token directory: mpn_cluster_record_conn_init() */
	uint64_t key_a, key_b;
	/** Tokens and IDSNs already derived by the caller's prepared context; else derived here. */
	bool have_tokens;
	uint32_t token_a, token_b;
	uint64_t idsn_a, idsn_b;
	uint64_t now;
	/**
	 * The observation the record is published for is a join, not the
	 * initial subflow: a record fetched from the token directory (remote)
	 * for a join seen here. Its slot is a pending join's (conn.h).
	 */
	bool join;
	bool join_init_is_a;    /**< with @p join: the join's initiator is A */
	/* The observation's subflow, initiator first (A's, for the initial subflow). */
	uint8_t family;
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint8_t tcp_state;
};

/** Opaque shared table. */
struct mpn_conn_table;

/**
 * Create the token table and its record pool and RCU variable.
 *
 * @param name         unique name prefix
 * @param max_conns    records in the pool; the hash holds 2 tokens each
 * @param max_threads  readers that will register (thread ids 0..n-1)
 * @param socket       NUMA socket, or SOCKET_ID_ANY
 * @return             the table, or NULL with rte_errno set
 */
struct mpn_conn_table *
mpn_conn_table_create(const char *name, uint32_t max_conns, uint32_t max_threads, int socket);

/** Free the table. Every worker must be stopped and unregistered. */
void
mpn_conn_table_free(struct mpn_conn_table *ct);

/**
 * Called when a subflow slot is given up for good (@p s is a consistent
 * copy of it), and when a record is unpublished (@p s NULL): the offline
 * summary keeps a connection's whole history this way.
 */
typedef void (*mpn_conn_history_fn)(void *arg, const struct mpn_conn *c,
	const struct mpn_conn_subflow *s);

/** Set the history callback (NULL: none). Single-threaded use only (offline). */
void
mpn_conn_table_on_history(struct mpn_conn_table *ct, mpn_conn_history_fn fn, void *arg);

/**
 * Register the calling thread as an RCU reader and put it online.
 * @return 0, or -EINVAL for a bad thread id
 */
int
mpn_conn_table_register(struct mpn_conn_table *ct, unsigned int thread_id);

/** Take a reader offline and unregister it. */
void
mpn_conn_table_unregister(struct mpn_conn_table *ct, unsigned int thread_id);

/**
 * Report quiescence: the reader holds no record pointer obtained before
 * this call (other than through its own subflow references).
 */
void
mpn_conn_table_quiescent(struct mpn_conn_table *ct, unsigned int thread_id);

/**
 * Take a registered reader online (before it reads records) or offline
 * (before it blocks, or when it is done reading). An offline reader is
 * ignored by grace periods; it must not keep any record pointer.
 */
void
mpn_conn_table_online(struct mpn_conn_table *ct, unsigned int thread_id);

/** See mpn_conn_table_online(). */
void
mpn_conn_table_offline(struct mpn_conn_table *ct, unsigned int thread_id);

/**
 * Whether reader @p thread_id is online now (for `show rcu` and tests).
 * @return 1 online, 0 offline or unregistered, -EINVAL for a bad id
 */
int
mpn_conn_table_reader_online(const struct mpn_conn_table *ct, unsigned int thread_id);

/**
 * Return to the pool the queued records whose grace period is over.
 * Publications and last releases do it too; the control thread calls it
 * once per loop so that the pool refills while no connection comes or
 * goes. Callable from any thread.
 * @return the number of records returned
 */
unsigned int
mpn_conn_table_reclaim(struct mpn_conn_table *ct);

/**
 * Records neither free nor live: waiting in the defer queue for a grace
 * period. A reader that stays online without reporting quiescence makes
 * this grow.
 */
uint32_t
mpn_conn_table_deferred(const struct mpn_conn_table *ct);

/** The RCU variable, for callers that also protect other structures with it. */
struct rte_rcu_qsbr *
mpn_conn_table_rcu(struct mpn_conn_table *ct);

/**
 * Find a connection by either of its tokens. Lock-free; the record stays
 * valid until the caller's next quiescent report.
 */
struct mpn_conn *
mpn_conn_lookup(struct mpn_conn_table *ct, uint32_t token);

/**
 * Publish the connection whose MP_CAPABLE handshake an observation point
 * has just completed, and take a reference and a slot for that
 * observation. If a record with the same tokens and keys is already
 * published (the same handshake seen at another observation point), the
 * observation attaches to it instead: it shares the slot of the same
 * 4-tuple, or takes a new one. Tokens and IDSNs are derived here
 * (SHA-1/SHA-256: once per connection). Lookup and insert are one step
 * under the create lock; a publication that fails after taking a record
 * returns it to the pool only after a grace period.
 *
 * @param slot  out: the slot taken
 * @param gen   out: its generation
 * @param err   out: 0 created, 1 attached; when NULL is returned: -ENOSPC
 *              (pool, hash or slots full), -EEXIST (the tokens belong to
 *              another connection), -EIO (crypto)
 * @return      the record, or NULL
 */
struct mpn_conn *
mpn_conn_publish(struct mpn_conn_table *ct, const struct mpn_conn_init *init, int *slot,
	uint16_t *gen, int *err);

/** Limits a join is admitted under (the tcp-map's `mptcp` section). */
struct mpn_conn_limits {
	unsigned int active;   /**< subflows, initial included: 1..MPN_CONN_MAX_ACTIVE */
	unsigned int pending;  /**< joins in their handshake: 1..MPN_CONN_MAX_PENDING */
};

/**
 * Whether a join for @p c could be admitted now (a read-only check for
 * the check stage): 0, -ENOSPC over the active limit, -ENOENT dying.
 * A full set of pending joins is no obstacle: the oldest is evicted.
 */
int
mpn_conn_join_admissible(const struct mpn_conn *c, const struct mpn_conn_limits *lim);

/**
 * Take a slot and a reference for a join subflow observation.
 *
 * A pending join (to be verified) takes a PENDING slot; when the
 * connection already has @p lim->pending of them, the oldest is evicted
 * (its generation changes, and its observation finds out on its next
 * packet). That way forged join SYNs carrying a token seen on the wire
 * can hold slots only until newer joins come, never block them (issue:
 * join-slot exhaustion, RFC 7430 §2.2). An unverified join takes an
 * ACTIVE slot at once. Another observation of the same 4-tuple shares
 * its slot.
 *
 * @return the slot (and *gen), -ENOSPC over the active limit, -ENOENT if
 *         the connection is dying
 */
int
mpn_conn_join_claim(struct mpn_conn *c, const struct mpn_conn_limits *lim, bool pending,
	bool init_is_a, uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	uint16_t dport, uint64_t now, uint16_t *gen);

/**
 * A pending join was verified: make its slot ACTIVE.
 * @return 0, -ENOSPC (the connection reached its active limit meanwhile),
 *         -ESTALE (the slot was evicted)
 */
int
mpn_conn_join_promote(struct mpn_conn *c, int slot, uint16_t gen,
	const struct mpn_conn_limits *lim);

/** Whether slot @p slot still belongs to the observation that claimed it at @p gen. */
bool
mpn_conn_slot_current(const struct mpn_conn *c, int slot, uint16_t gen);

/**
 * Give an observation's reference (and its share of the slot) back. The
 * last reference unpublishes both tokens; the record returns to the pool
 * after an RCU grace period.
 *
 * @return true if that was the last reference
 */
bool
mpn_conn_subflow_release(struct mpn_conn_table *ct, struct mpn_conn *c, int slot,
	uint16_t gen);

/** Publish an observation's TCP and join state to its slot (if still its own). */
void
mpn_conn_slot_state(struct mpn_conn *c, int slot, uint16_t gen, uint8_t tcp_state,
	uint8_t join_state);

/** Add an observation's counters (since its last fold) to its slot, or the record. */
void
mpn_conn_slot_add(struct mpn_conn *c, int slot, uint16_t gen, uint64_t pkts, uint64_t bytes,
	uint64_t drops);

/** Bits of mpn_conn.join_rate that count joins within one second. */
#define MPN_CONN_RATE_BITS 20

/**
 * Whether one more join fits in second @p second under @p limit joins per
 * second (0: no limit). Read-only, for the check stage.
 */
bool
mpn_conn_join_rate_ok(const struct mpn_conn *c, uint64_t second, unsigned int limit);

/**
 * Count one join in second @p second (commit stage).
 * @return 0, or -EBUSY if another worker took the last place meanwhile
 */
int
mpn_conn_join_rate_take(struct mpn_conn *c, uint64_t second, unsigned int limit);

/**
 * Whether the connection's initial subflow was seen completing its
 * handshake (the MP_CAPABLE third ACK, RFC 8684 §3.1), or is not observed
 * here at all (records from the token directory, initial subflow gone).
 */
bool
mpn_conn_handshake_done(const struct mpn_conn *c);

/**
 * Whether @p side already announced address @p id as @p addr (a
 * retransmitted ADD_ADDR is no new announcement).
 */
bool
mpn_conn_addr_known(const struct mpn_conn *c, uint8_t side, uint8_t id, uint8_t family,
	const uint8_t *addr);

/**
 * Whether one more ADD_ADDR announcement fits under @p limit (0: no
 * limit), @p planned more being already on their way.
 */
bool
mpn_conn_addaddr_ok(const struct mpn_conn *c, unsigned int limit, unsigned int planned);

/**
 * Count @p n announcements at once (commit stage).
 * @return 0, or -EBUSY if they no longer fit (another worker's came first)
 */
int
mpn_conn_addaddr_take(struct mpn_conn *c, unsigned int limit, unsigned int n);

/** Give back @p n announcements taken by a segment that was then refused. */
void
mpn_conn_addaddr_put(struct mpn_conn *c, unsigned int n);

/** Give back a join counted in @p second by a segment that was then refused. */
void
mpn_conn_join_rate_put(struct mpn_conn *c, uint64_t second);

/** Mark the connection closed (MP_FASTCLOSE): its subflows close as their workers see it. */
void
mpn_conn_close(struct mpn_conn *c, enum mpn_conn_close why);

/** Whether the connection was closed. */
bool
mpn_conn_is_closed(const struct mpn_conn *c);

/**
 * Record an advertised address. An address with the same side and id
 * replaces the old one (RFC 8684 §3.4.1: an id names one address).
 *
 * @return 0, or -ENOSPC when every slot is taken
 */
int
mpn_conn_addr_add(struct mpn_conn *c, uint8_t side, uint8_t id, uint8_t family,
	const uint8_t *addr, bool has_port, uint16_t port, uint8_t hmac);

/** Remove the addresses with id @p id advertised by @p side. @return how many. */
unsigned int
mpn_conn_addr_remove(struct mpn_conn *c, uint8_t side, uint8_t id);

/** Connections live in the table. */
uint32_t
mpn_conn_table_count(const struct mpn_conn_table *ct);

/** Records the pool holds (parameter). */
uint32_t
mpn_conn_table_capacity(const struct mpn_conn_table *ct);

/** Free records in the pool (for tests: RCU-deferred ones are not free yet). */
uint32_t
mpn_conn_table_pool_free(const struct mpn_conn_table *ct);

/**
 * Call @p cb for every live connection in creation order. The caller must
 * be a registered, online RCU reader (the control thread goes online for
 * the call, see "RCU and pool policy"), or the workers must be stopped
 * (offline mode, at exit). Uses a scratch array allocated at creation:
 * one caller at a time. A connection is listed from its publication to
 * its last release.
 *
 * @return the number of connections visited
 */
unsigned int
mpn_conn_table_foreach(struct mpn_conn_table *ct,
	void (*cb)(const struct mpn_conn *c, void *arg), void *arg);

/** A connection's traffic counters. */
struct mpn_conn_counts {
	uint64_t pkts, bytes, drops;
};

/**
 * Traffic of a connection: what its released subflows left in the
 * record, plus its live subflow slots, as last folded by the workers'
 * sweeps (so up to one sweep period behind the wire).
 */
void
mpn_conn_totals(const struct mpn_conn *c, struct mpn_conn_counts *out);

/** What mpn_conn_json() prints. */
struct mpn_conn_json_opts {
	bool show_keys;   /**< the keys themselves: only offline, on request (RFC 7430) */
	/** Released subflows to print after the live ones (offline history), or NULL. */
	const struct mpn_conn_subflow *history;
	unsigned int n_history;
};

/**
 * Render one connection as a JSON object (key NULL: inside an array).
 * Tokens "0x%08x", IDSNs as hex strings (they exceed 2^53), A = the
 * client; subflows and addresses in creation order. Deterministic.
 */
void
mpn_conn_json(const struct mpn_conn *c, struct mpn_json *j, const char *key,
	const struct mpn_conn_json_opts *opts);

/**
 * A consistent copy of subflow slot @p i of @p c (0..MPN_CONN_MAX_SUBFLOWS-1).
 * @return false when the slot is free or being written at this moment.
 * Safe from any registered RCU reader.
 */
bool
mpn_conn_subflow_read(const struct mpn_conn *c, unsigned int i, struct mpn_conn_subflow *out);

/** A consistent copy of address slot @p i; false when free or changing. */
bool
mpn_conn_addr_read(const struct mpn_conn *c, unsigned int i, struct mpn_conn_addr *out);

/** "10.0.1.1:5000" or "[2001:db8::1]:5000". */
void
mpn_conn_endpoint_str(char *buf, size_t n, uint8_t family, const uint8_t *addr, uint16_t port);

/** "open", "closed" or "fastclosed". */
const char *
mpn_conn_state_name(const struct mpn_conn *c);

/** "ok", "ok-leftmost", "bad" or "unchecked". */
const char *
mpn_conn_addr_hmac_name(uint8_t h);

#endif /* MPN_CONN_H */
