/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CTX_H
#define MPN_CTX_H

/**
 * @file
 * The per-packet context: everything any stage knows about one packet,
 * filled once and read by every later stage (ARCHITECTURE.md §2).
 *
 *   parse -> [handoff] -> lookup -> decode -> classify -> check -> commit
 *         -> rewrite -> account
 *
 * Each stage lives in its own file (stage_*.c) and fills its part:
 *  - parse:    res.status, res.pkt, res.opts (the option walk), key, hash
 *  - lookup:   pos (one bulk lookup per burst, with the hash from parse)
 *  - decode:   res.mo[] (every kind-30 option, once)
 *  - classify: res.rule (cached per subflow and direction)
 *  - check:    res.acts and the verdict, and plan: what the packet would
 *              change. Nothing is changed here.
 *  - commit:   only for a packet that will be forwarded, the plan is
 *              carried out (tables, token table, join state, keys, TTL...)
 *  - reply:    a refused join SYN, under `join-refuse-action reset`, is
 *              turned into the RST that answers it (rst_build.c)
 *  - rewrite:  res.acts applied to the frame, checksums patched
 *  - account:  counters, per-class counters, trace, alert log
 *
 * THE INVARIANT: a segment that mpnorm drops changes no subflow or
 * connection state. check() works on plan.shadow, a copy of the subflow
 * entry, and records the shared-state changes it wants in plan; commit()
 * is the only place that writes tables, and it returns at once for a
 * dropped packet. Counters (what was seen) are not state.
 */

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "normalize.h"
#include "track.h"

struct mpn_conn;
struct rte_mbuf;

/** What check() asks commit() to do with the subflow table. */
enum mpn_plan_op {
	MPN_PLAN_NONE,    /**< untracked: bypass, not TCP, dropped, no room to learn */
	MPN_PLAN_UPDATE,  /**< write plan.shadow back to the entry at ctx.pos */
	MPN_PLAN_CREATE,  /**< insert a new entry, then write plan.shadow into it */
};

/** Shared-state changes check() asks for (mpn_track_plan.sh). */
#define MPN_SH_PUBLISH    0x0001 /**< publish the connection (both keys known) */
#define MPN_SH_JOIN_CLAIM 0x0002 /**< take a slot on plan.join_conn for a new join */
#define MPN_SH_PROMOTE    0x0004 /**< the join's third ACK verified: make its slot active */
#define MPN_SH_FASTCLOSE  0x0008 /**< close plan.fastclose_conn (RFC 8684 §3.5) */
#define MPN_SH_ADDRS      0x0010 /**< record ADD_ADDR / REMOVE_ADDR (plan.addr_*) */
#define MPN_SH_REMOVE_OLD 0x0020 /**< remove the entry at ctx.pos first (port reuse) */
#define MPN_SH_RELEASE    0x0040 /**< drop the entry's connection reference (evicted join) */
#define MPN_SH_REMOTE     0x0080 /**< publish the directory's record for this join (plan.remote) */
#define MPN_SH_WINDOW     0x0100 /**< raise the connection's data-level window state (plan.win_*) */

/** What check() decided the packet would change; carried out by commit(). */
struct mpn_track_plan {
	uint8_t op;               /**< enum mpn_plan_op */
	uint8_t s;                /**< direction: 0 from the subflow's initiator */
	uint16_t sh;              /**< MPN_SH_* */
	uint8_t create_state;     /**< TCP state of a new entry */
	bool join_pending;        /**< MPN_SH_JOIN_CLAIM: the join is to be verified */
	bool join_init_is_a;
	uint8_t n_addr;           /**< ADD_ADDR/REMOVE_ADDR options to record, indexes into res.mo */
	uint8_t addr_mo[MPN_NORM_MAX_MPOPTS];
	uint8_t addr_hmac[MPN_NORM_MAX_MPOPTS]; /**< enum mpn_conn_addr_hmac, per ADD_ADDR */
	uint8_t n_addr_new;       /**< of them, new announcements counted by add-addr-limit */
	struct mpn_conn *join_conn;
	struct mpn_conn *fastclose_conn;
	const struct mpn_track_dir_record *remote; /**< MPN_SH_REMOTE: the keys it came with */
	/*
	 * MPN_SH_WINDOW (check_window.c): for the data of direction win_dir
	 * (0: sent by A), the largest window its receiver advertised, and its
	 * highest DATA_ACK and data-level right edge, when raised.
	 */
	uint8_t win_dir;
	bool win_has_dack;
	uint32_t win_max;
	uint64_t win_dack;
	uint64_t win_edge;
	/** The subflow entry as it will be once this packet has gone through. */
	struct mpn_subflow shadow;
};

/** One packet's context. */
struct mpn_pkt_ctx {
	struct mpn_norm_result res;
	uint8_t *frame;
	uint32_t len;
	bool tcp;                 /**< parsed as TCP: goes through the stateful stages */
	bool from_lo;             /**< the source is the key's lo endpoint */
	uint8_t flags;            /**< TCP flags */
	uint32_t hash;            /**< mpn_flow_key_hash(&key) */
	int32_t pos;              /**< subflow table position, -1 if none */
	/**
	 * The connection's class (what the subflow caches); res.rule_id
	 * differs only for a segment a `mptcp-subtype` class took.
	 */
	uint16_t conn_rule_id;
	struct mpn_subflow *sf;   /**< the entry after commit (for account), or NULL */
	struct mpn_flow_key key;  /**< canonical key, observation point included */
	struct mpn_track_plan plan;
	/** The frame was turned into a RST answering it (stage_reply.c), reply_len long. */
	bool reply;
	uint32_t reply_len;
};

/**
 * What a handoff carries in the mbuf's private area to the owner worker,
 * so that it parses nothing (ARCHITECTURE.md §3, handoff mode): the parse,
 * the option walk, the key and its hash.
 */
struct mpn_handoff_hdr {
	uint32_t magic;           /**< MPN_HANDOFF_MAGIC while valid */
	uint32_t hash;
	int32_t status;           /**< enum mpn_pkt_status */
	int8_t walk_rc;
	bool tcp;
	bool from_lo;
	uint8_t flags;
	struct mpn_pkt pkt;
	struct mpn_tcpopt_list opts;
	struct mpn_flow_key key;
};

#define MPN_HANDOFF_MAGIC 0x6d706e68u /* "mpnh" */

/** Private area every mbuf pool of mpnorm reserves (rte_pktmbuf_pool_create priv_size). */
#define MPN_MBUF_PRIV_SIZE ((sizeof(struct mpn_handoff_hdr) + 7) & ~(size_t)7)

#endif /* MPN_CTX_H */
