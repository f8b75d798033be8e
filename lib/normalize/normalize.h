/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_NORMALIZE_H
#define MPN_NORMALIZE_H

/**
 * @file
 * The stateless normalizer: parse one packet, classify it, decide what the
 * tcp-map says about every option and flag, and rewrite it in place.
 *
 * It works on the frame's bytes alone (no mbuf, no EAL), so unit tests,
 * fuzzers and the offline mode run exactly the code the workers run.
 *
 * Decisions are made first and applied after: a packet that will be dropped
 * is never half-rewritten, a `monitor` class records the same decisions and
 * applies none, and `trace` can show exactly what changed.
 */

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"
#include "policy.h"
#include "reason.h"
#include "tcpopt.h"

/** What one decision does to the packet. */
enum mpn_norm_act_type {
	MPN_NACT_CLEAR_OPTION,   /**< NOP-fill option bytes [off, off+len) of the TCP header */
	MPN_NACT_ZERO_BYTES,     /**< zero bytes [off, off+len) (padding after EOL) */
	MPN_NACT_CLAMP_MSS,      /**< lower the MSS option at off to value */
	MPN_NACT_CLEAR_RESERVED, /**< clear the reserved bits of the TCP header */
	MPN_NACT_CLEAR_URGENT,   /**< clear URG and the urgent pointer */
	MPN_NACT_DROP,           /**< drop the packet */
	MPN_NACT_ALERT,          /**< pass it, count and log it */
};

/** One decision, with its reason; off/len are relative to the TCP header. */
struct mpn_norm_act {
	uint8_t type;      /**< enum mpn_norm_act_type */
	uint8_t reason;    /**< enum mpn_reason */
	uint8_t off;
	uint8_t len;
	uint8_t kind;      /**< the option kind, for option actions */
	uint8_t subtype;   /**< the MPTCP subtype, for kind 30 (0xff otherwise) */
	uint16_t value;    /**< new MSS for MPN_NACT_CLAMP_MSS */
};

#define MPN_NORM_MAX_ACTS (MPN_TCPOPT_MAX + 8)

/** Where the packet came from. */
struct mpn_norm_origin {
	enum mpn_l2_type l2;
	uint16_t link;
	uint8_t dir;   /**< 0 inside->outside, 1 outside->inside */
};

/** Everything mpn_normalize() decided about one packet. */
struct mpn_norm_result {
	enum mpn_pkt_status status;   /**< the parser's verdict */
	bool forward;                 /**< false: drop it */
	bool rewritten;               /**< bytes were changed */
	bool monitor;                 /**< decisions recorded, none applied */
	bool bypass;                  /**< tcp-state-bypass: nothing checked */
	bool pkt_mptcp_seen;          /**< the segment carries a kind-30 option */
	enum mpn_reason drop_reason;  /**< when !forward */
	const struct mpn_policy_rule *rule;  /**< NULL when not TCP */
	uint8_t n_acts;
	struct mpn_norm_act acts[MPN_NORM_MAX_ACTS];
	struct mpn_pkt pkt;           /**< the parse, for later stages */
	struct mpn_tcpopt_list opts;  /**< the option walk, for later stages */
};

/**
 * Decide about one frame: parse, walk the options, classify, and record
 * every decision of the tcp-map in @p res. Nothing is changed yet, so a
 * later stage (connection tracking) can add decisions, or turn the packet
 * into a bypassed one, before mpn_normalize_apply().
 *
 * @param policy  the policy to apply (never NULL)
 * @param from    link-layer type, link and direction
 * @param frame   the bytes present (@p caplen of them)
 * @param res     filled with the parse, the decisions and the verdict
 */
void
mpn_normalize_decide(const struct mpn_policy *policy, const struct mpn_norm_origin *from,
	const uint8_t *frame, uint32_t caplen, struct mpn_norm_result *res);

/**
 * Carry out the decisions in @p res: nothing for a dropped, bypassed or
 * monitored packet, else every rewrite, each with an incremental checksum
 * update (RFC 1624). Sets res->rewritten.
 */
void
mpn_normalize_apply(struct mpn_norm_result *res, uint8_t *frame);

/** mpn_normalize_decide() then mpn_normalize_apply(). */
void
mpn_normalize(const struct mpn_policy *policy, const struct mpn_norm_origin *from,
	uint8_t *frame, uint32_t caplen, struct mpn_norm_result *res);

/**
 * Record one more decision (used by later stages). A drop makes the packet's
 * verdict a drop with this reason, unless an earlier drop already did.
 * @p off and @p len are relative to the TCP header; @p subtype is 0xff when
 * not an MPTCP option.
 */
void
mpn_norm_add_act(struct mpn_norm_result *res, enum mpn_norm_act_type type,
	enum mpn_reason reason, uint8_t off, uint8_t len, uint8_t kind, uint8_t subtype);

/** Name of an action type ("clear-option", "drop", ...). */
const char *
mpn_norm_act_name(uint8_t type);

#endif /* MPN_NORMALIZE_H */
