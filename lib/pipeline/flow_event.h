/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_FLOW_EVENT_H
#define MPN_FLOW_EVENT_H

/**
 * @file
 * Flow events, as the ASA's NSEL reports them: a flow was created, a flow
 * was torn down (with its packets, bytes and close reason), a flow was
 * denied (with the drop reason). The tracker emits them from the commit
 * stage and from the table's removal hook; the live appliance queues them
 * to the control thread (flow export, syslog), the offline mode keeps
 * them for its summary. Plain data: no pointer into any table.
 */

#include <stdint.h>

#include "flow.h"

enum mpn_flow_event_type {
	MPN_FLOW_EV_CREATE,    /**< a subflow entry was created */
	MPN_FLOW_EV_TEARDOWN,  /**< it left the table (close_why says why) */
	MPN_FLOW_EV_DENY,      /**< the first segment of a flow was dropped (reason) */
};

/** One event. Endpoints are the initiator's (src) and the responder's (dst). */
struct mpn_flow_event {
	uint8_t type;          /**< enum mpn_flow_event_type */
	uint8_t family;        /**< 4 or 6 */
	uint8_t reason;        /**< DENY: enum mpn_reason; TEARDOWN: enum mpn_flow_close */
	uint8_t role;          /**< enum mpn_flow_role */
	uint8_t join_state;    /**< enum mpn_join_state */
	uint8_t decision;      /**< enum mpn_flow_decision */
	uint8_t tcp_state;     /**< enum mpn_tcp_state at the event */
	uint8_t mptcp_version; /**< 0 or 1 when MPTCP, 0xff otherwise */
	uint16_t link;         /**< observation point */
	uint16_t vlan;
	uint16_t sport, dport;
	uint16_t rule_id;      /**< mpn_policy_rule_id() of the class (0 when unknown) */
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t token;        /**< token of the connection it belongs to (token_b); DENY of an
	                            MP_JOIN SYN: the token it named; 0 if none */
	uint64_t now;          /**< in the tracker's time units */
	uint64_t pkts[2];      /**< TEARDOWN: forwarded from the initiator [0] and responder [1] */
	uint64_t bytes[2];     /**< TEARDOWN: TCP payload */
	uint32_t drops;        /**< TEARDOWN: segments dropped */
	uint64_t start;        /**< CREATE, TEARDOWN: when the entry was created (`now` units) */
	uint8_t addr_id;       /**< role JOIN: the MP_JOIN SYN's address ID (RFC 8684 §3.2) */
	uint8_t mpc_flags;     /**< MP_CAPABLE flags of the initiator's SYN (RFC 8684 §3.1), 0 if none */
};

/** Receives events; must not block (the worker calls it). */
typedef void (*mpn_flow_event_fn)(void *arg, const struct mpn_flow_event *ev);

#endif /* MPN_FLOW_EVENT_H */
