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

#include "mptcp.h"
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

/**
 * Most kind-30 options one segment can hold: 40 option bytes, and a
 * kind-30 option has at least its kind and length bytes.
 */
#define MPN_NORM_MAX_MPOPTS 20

/**
 * Everything decided about one packet: the parse, the option walk, every
 * MPTCP option decoded (once), the class, the decisions and the verdict.
 * It is the stateless part of the per-packet context (lib/pipeline/ctx.h)
 * and the whole result of mpn_normalize_decide().
 */
struct mpn_norm_result {
	enum mpn_pkt_status status;   /**< the parser's verdict */
	bool forward;                 /**< false: drop it */
	bool rewritten;               /**< bytes were changed */
	bool monitor;                 /**< decisions recorded, none applied */
	bool bypass;                  /**< tcp-state-bypass: nothing checked */
	bool pkt_mptcp_seen;          /**< the segment carries a kind-30 option */
	enum mpn_reason drop_reason;  /**< when !forward */
	const struct mpn_policy_rule *rule;  /**< NULL when not TCP */
	uint16_t rule_id;             /**< mpn_policy_rule_id() of @p rule */
	uint8_t n_acts;
	uint8_t n_mo;                 /**< kind-30 options in @p mo, one per option, in header order */
	int8_t walk_rc;               /**< mpn_tcpopt_walk()'s return: < 0, the list cannot be walked */
	struct mpn_norm_act acts[MPN_NORM_MAX_ACTS];
	struct mpn_pkt pkt;           /**< the parse, for later stages */
	struct mpn_tcpopt_list opts;  /**< the option walk, for later stages */
	/**
	 * The kind-30 options, decoded once (mpn_normalize_decode()); an
	 * option too short to decode (length 2) has malformed set and subtype
	 * MPN_MPTCP_SUBTYPE_NONE. mo_off[i] is its offset in the TCP header.
	 */
	uint8_t mo_off[MPN_NORM_MAX_MPOPTS];
	struct mpn_mptcp_opt mo[MPN_NORM_MAX_MPOPTS];
};

/** Reset the verdict part of @p res (forward, no decision, no class). */
void
mpn_normalize_reset(struct mpn_norm_result *res);

/**
 * The verdict of a parser status other than TCP (a drop or an alert with
 * its reason), recorded in @p res. @return true for MPN_PKT_TCP.
 */
bool
mpn_normalize_status(struct mpn_norm_result *res);

/**
 * Parse a frame and walk its TCP options into @p res (reset first). For
 * a packet that is not plain TCP it records the verdict (drop or alert
 * with its reason) and returns false: nothing later applies to it.
 *
 * @return true if the packet is TCP and goes on to decode and classify
 */
bool
mpn_normalize_parse(const uint8_t *frame, uint32_t caplen, enum mpn_l2_type l2,
	struct mpn_norm_result *res);

/**
 * Decode every kind-30 option of a parsed TCP packet, once.
 *
 * @param version_hint  the MPTCP version of the connection if known, else
 *                      -1 (only ADD_ADDR's layout depends on it)
 */
void
mpn_normalize_decode(struct mpn_norm_result *res, const uint8_t *frame, int version_hint);

/**
 * Classify a parsed TCP packet: the first matching class of the
 * policy-map bound to its link and direction.
 *
 * @param mptcp  the packet belongs to an MPTCP subflow (class-map `mptcp
 *               present`): for a tracked subflow, what its handshake
 *               said; otherwise whether this segment carries kind 30
 */
void
mpn_normalize_classify(const struct mpn_policy *policy, const struct mpn_norm_origin *from,
	const uint8_t *frame, bool mptcp, struct mpn_norm_result *res);

/**
 * What one segment says about its MPTCP connection, for the class-map
 * criteria (`mptcp`, `mptcp-version`, `mptcp-c-flag`, `mptcp-subtype`):
 * MP_CAPABLE's version and C flag, and the subtypes it carries. Only the
 * MPTCP fields of @p k are written. A decoded packet.
 */
void
mpn_normalize_segment_attrs(const struct mpn_norm_result *res, struct mpn_classify_key *k);

/**
 * mpn_normalize_classify() with every MPTCP attribute of the key given
 * (@p attrs: mptcp, have_version, version, c_flag, subtypes); the
 * addresses, ports, link and direction come from the frame and @p from.
 */
void
mpn_normalize_classify_key(const struct mpn_policy *policy, const struct mpn_norm_origin *from,
	const uint8_t *frame, const struct mpn_classify_key *attrs, struct mpn_norm_result *res);

/**
 * The tcp-map's stateless verdicts on a parsed, decoded and classified
 * packet: bypass, monitor, checksum, flags, every option. Changes nothing
 * in the frame: decisions go to res->acts, applied by mpn_normalize_apply().
 *
 * @param fallback  the connection was refused MPTCP at its SYN (clean
 *                  fallback, RFC 8684 §3.7)
 */
void
mpn_normalize_check(const struct mpn_policy *policy, const uint8_t *frame, uint32_t caplen,
	bool fallback, struct mpn_norm_result *res);

/**
 * Decide about one frame without any state: parse, walk the options,
 * decode, classify, check, as one call. The fuzzers, the unit tests and
 * the stateless benchmark use it; the data path runs the same steps as
 * stages of its pipeline.
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

/** Whether an earlier decision NOP-fills the option at TCP header offset @p off. */
bool
mpn_norm_opt_cleared(const struct mpn_norm_result *res, uint8_t off);

/** Name of an action type ("clear-option", "drop", ...). */
const char *
mpn_norm_act_name(uint8_t type);

#endif /* MPN_NORMALIZE_H */
