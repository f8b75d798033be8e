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
 *    hands each released record (and its tokens' hash slots) back only
 *    after every reader has reported quiescence, so a worker that found
 *    a record keeps a valid pointer until its next
 *    mpn_conn_table_quiescent(). See "RCU and pool policy" below.
 *
 * A record is written once, before it is published (rte_hash_add_key_data
 * has release semantics); after that only atomics change: counters, the
 * closed flag, and the subflow and address slots, each of which has its
 * own sequence counter so a reader never sees a half-written slot.
 *
 * Writers take the rte_hash writer lock on insert and delete, which
 * happen once per connection, never per packet. Creators and releases
 * also take the table's lock, once per connection: it makes looking a
 * token up and inserting it one step (see mpn_conn_create()), and guards
 * the defer queue.
 *
 * RCU and pool policy
 * -------------------
 * Readers (RCU QSBR threads of the table, ids 0..max_threads-1):
 *  - each worker, id = its index. It is registered and online from its
 *    tracker's creation (mpn_tracker_create() calls
 *    mpn_conn_table_register()) until the tracker is freed after the
 *    worker stopped; it reports quiescence once per loop
 *    (mpn_tracker_loop()), between bursts, holding no record pointer
 *    except through its subflows' slot references. A worker never
 *    blocks, so it never needs to go offline while it runs.
 *  - the control thread (the main lcore), id = n_workers. It is
 *    registered at start-up and immediately taken offline
 *    (mpn_conn_table_offline()); it goes online only for the duration of
 *    a command that reads records (`show connections`, `show subflows`:
 *    mpn_conn_table_foreach()) and offline again right after. It never
 *    reports quiescence while offline (that would put it back online),
 *    so blocking in poll() for the next command never holds up a grace
 *    period. `show rcu` shows each reader's state.
 *  - DPDK's telemetry thread reads no record, and is no reader.
 * Reclaim: when a connection's last subflow is released, its tokens are
 * deleted from the hash and the record, with the tokens' hash slots,
 * joins the table's defer queue, stamped with an RCU token. A record
 * taken by a create that then failed to publish it joins the same queue.
 * Records whose grace period is over (every reader online at the stamp
 * has since reported quiescence or gone offline) return to the pool at
 * every create, every release, and every turn of the main lcore's
 * control loop (mpn_conn_table_reclaim(), at most 100 ms apart), so the
 * pool refills even when no connection comes or goes. No record is ever
 * put back in the pool without a grace period.
 * A full pool: mpn_conn_create() returns -ENOSPC (counted by the tracker
 * as conn_pool_full). The connection is not tracked as MPTCP: its
 * initial subflow is still tracked as a TCP subflow, and its joins find
 * no token, so the join policy treats them as unknown (with the shipped
 * `join = verify`, they are dropped). Records held in the defer queue
 * are neither free nor live; `show rcu` counts them.
 */

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "json.h"

/** Subflow slots per connection (Linux allows 8 subflows at most). */
#define MPN_CONN_MAX_SUBFLOWS 8

/** Advertised-address slots per connection (Linux: add_addr_accepted <= 8). */
#define MPN_CONN_MAX_ADDRS 8

/** Why a connection was closed. */
enum mpn_conn_close {
	MPN_CONN_OPEN = 0,
	MPN_CONN_CLOSED_FASTCLOSE, /**< MP_FASTCLOSE (RFC 8684 §3.5) */
};

/** One subflow of a connection, as other workers and reports see it. */
struct mpn_conn_subflow {
	uint32_t seq;          /**< even: stable; odd: being written */
	uint32_t used;         /**< 0 free, 1 claimed (CAS) */
	uint8_t role;          /**< enum mpn_flow_role */
	uint8_t family;        /**< 4 or 6 */
	uint8_t tcp_state;     /**< enum mpn_tcp_state (atomic) */
	uint8_t join_state;    /**< enum mpn_join_state (atomic) */
	bool init_is_a;        /**< its initiator is side A */
	uint8_t src[16];       /**< initiator address */
	uint8_t dst[16];       /**< responder address */
	uint16_t sport, dport; /**< initiator port, responder port */
	uint64_t pkts;         /**< atomic */
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
	bool token_a_in, token_b_in;

	/* Atomics. */
	uint32_t live;          /**< 1 from publication until its last subflow is released */
	uint32_t refs;          /**< subflow slots in use; 0 = dying */
	uint32_t closed;        /**< enum mpn_conn_close */
	uint64_t sf_serial;     /**< next subflow slot serial */
	uint64_t pkts, bytes, drops; /**< of released subflows: see mpn_conn_totals() */
	uint64_t cleared;
	uint64_t joins_ok, joins_bad, joins_refused, joins_limit;
	uint64_t addaddr, addaddr_denied, rmaddr;

	struct mpn_conn_subflow sf[MPN_CONN_MAX_SUBFLOWS];
	struct mpn_conn_addr addr[MPN_CONN_MAX_ADDRS];
} __attribute__((aligned(64)));

/** What a new connection is created from. */
struct mpn_conn_init {
	uint8_t version;
	uint8_t flags_a, flags_b;
	uint8_t decision;
	uint64_t key_a, key_b;
	uint64_t now;
	/* The initial subflow, initiator (A) first. */
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
 * @param max_conns    records in the pool; the hash holds 2 tokens each.
 *                     Every record needs a subflow entry to stay alive,
 *                     so (sum of the workers' subflow capacities) is
 *                     enough.
 * @param max_threads  workers that will register (thread ids 0..n-1)
 * @param socket       NUMA socket, or SOCKET_ID_ANY
 * @return             the table, or NULL with rte_errno set
 */
struct mpn_conn_table *
mpn_conn_table_create(const char *name, uint32_t max_conns, uint32_t max_threads, int socket);

/** Free the table. Every worker must be stopped and unregistered. */
void
mpn_conn_table_free(struct mpn_conn_table *ct);

/**
 * Register the calling worker as an RCU reader and put it online.
 * @return 0, or -EINVAL for a bad thread id
 */
int
mpn_conn_table_register(struct mpn_conn_table *ct, unsigned int thread_id);

/** Take a worker offline and unregister it (before it stops). */
void
mpn_conn_table_unregister(struct mpn_conn_table *ct, unsigned int thread_id);

/**
 * Report quiescence: the worker holds no record pointer obtained before
 * this call (other than through its own subflow references). Call once
 * per loop.
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
 * Creates and releases do it too; the control thread calls it once per
 * loop so that the pool refills while no connection comes or goes.
 * Callable from any thread.
 * @return the number of records returned
 */
unsigned int
mpn_conn_table_reclaim(struct mpn_conn_table *ct);

/**
 * Records neither free nor live: waiting in the defer queue for a grace
 * period (released connections, failed creates). A reader that stays
 * online without reporting quiescence makes this grow.
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
 * Create a connection, claim subflow slot 0 for its initial subflow (one
 * reference) and publish it under both tokens. Tokens and IDSNs are
 * derived here (SHA-1/SHA-256: once per connection).
 *
 * Atomic with respect to other creators: of several threads creating a
 * connection with the same tokens at once, one gets the record and the
 * others -EEXIST. A failed create returns the record it took to the pool
 * only after a grace period.
 *
 * @param err  -ENOSPC (pool or hash full), -EEXIST (both tokens already
 *             taken), -EIO (crypto), when NULL is returned
 * @return     the published record, or NULL
 */
struct mpn_conn *
mpn_conn_create(struct mpn_conn_table *ct, const struct mpn_conn_init *init, int *err);

/**
 * Take a subflow slot (and a reference) for a join.
 *
 * @param limit  subflows allowed (initial included); 0 = no limit. The
 *               slot count MPN_CONN_MAX_SUBFLOWS is a hard limit.
 * @return       the slot, -ENOSPC over the limit, -ENOENT if the
 *               connection is dying
 */
int
mpn_conn_subflow_claim(struct mpn_conn *c, unsigned int limit, uint8_t role, bool init_is_a,
	uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
	uint8_t tcp_state);

/**
 * Give a slot back. The last reference deletes both tokens; the record
 * returns to the pool after an RCU grace period.
 *
 * @return true if that was the last reference
 */
bool
mpn_conn_subflow_release(struct mpn_conn_table *ct, struct mpn_conn *c, int slot);

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
 * one caller at a time. A connection is listed from the moment it is
 * published.
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
 * record, plus its live subflow slots. Each slot has one writer, the
 * worker that owns the subflow, which counts with plain stores (no locked
 * instruction on the fast path); a slot is folded into the record when it
 * is released. A reader racing a release may count that slot twice, once.
 */
void
mpn_conn_totals(const struct mpn_conn *c, struct mpn_conn_counts *out);

/**
 * Render one connection as a JSON object (key NULL: inside an array).
 * Tokens "0x%08x", keys "0x%016llx", A = the client; subflows and
 * addresses in creation order. Deterministic.
 */
void
mpn_conn_json(const struct mpn_conn *c, struct mpn_json *j, const char *key);

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
