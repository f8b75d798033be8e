/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_EXPORT_H
#define MPN_EXPORT_H

/**
 * @file
 * Flow export as the ASA's NSEL does it: one IPFIX record per flow event
 * (flow created, flow torn down with its packets, bytes and close reason,
 * flow denied with its drop reason), sent to one collector over UDP or TCP.
 *
 * The IPFIX encoding (templates, data sets, message headers, sequence
 * numbers, RFC 5610 type records for mpnorm's own elements) is libfixbuf's;
 * this file owns the transport, so that nothing here ever blocks: sockets
 * are non-blocking, encoded messages wait in a bounded queue, and a queue
 * that is full drops the newest message, counted. A collector that refuses,
 * is unreachable or stops reading costs counted drops, never a stall of the
 * thread that calls these functions (the control lcore).
 *
 * Records (doc/export.md lists every element):
 *  - IANA: observationTimeMilliseconds, flowStart/EndMilliseconds, the
 *    5-tuple, ingressInterface (the link), vlanId, firewallEvent (233: 1
 *    created, 2 deleted, 3 denied, as NSEL), flowEndReason, packet and
 *    octet counts of the initiator, the responder's as RFC 5103 reverse
 *    elements and as NSEL's initiator/responder elements;
 *  - mpnorm's enterprise elements (PEN from the config; default 32473, the
 *    number RFC 5612 reserves for documentation): MPTCP token, version,
 *    subflow role, join verdict, decision, drop reason, close reason, class
 *    rule id, segments dropped, TCP state.
 *
 * Thread safety: an exporter belongs to one thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_event.h"

/** IANA firewallEvent values (IE 233), as NSEL's NF_F_FW_EVENT. */
enum mpn_export_fw_event {
	MPN_FW_EVENT_CREATED = 1,
	MPN_FW_EVENT_DELETED = 2,
	MPN_FW_EVENT_DENIED = 3,
};

/** mpnorm's information elements, in its enterprise space. */
enum mpn_export_ie {
	MPN_IE_MPTCP_TOKEN = 1,    /**< unsigned32: the connection's token (token_b) */
	MPN_IE_MPTCP_VERSION = 2,  /**< unsigned8: 0 or 1; 255 when not MPTCP */
	MPN_IE_SUBFLOW_ROLE = 3,   /**< unsigned8: enum mpn_flow_role */
	MPN_IE_JOIN_VERDICT = 4,   /**< unsigned8: enum mpn_join_state */
	MPN_IE_MPTCP_DECISION = 5, /**< unsigned8: enum mpn_flow_decision */
	MPN_IE_DROP_REASON = 6,    /**< unsigned8: enum mpn_reason (denied) */
	MPN_IE_CLOSE_REASON = 7,   /**< unsigned8: enum mpn_flow_close (deleted) */
	MPN_IE_CLASS_RULE = 8,     /**< unsigned16: mpn_policy_rule_id() */
	MPN_IE_DROPPED_SEGMENTS = 9, /**< unsigned32: segments of the flow dropped */
	MPN_IE_TCP_STATE = 10,     /**< unsigned8: enum mpn_tcp_state */
	MPN_IE_JOIN_ADDR_ID = 11,  /**< unsigned8: a join's MP_JOIN SYN address ID (RFC 8684 §3.2) */
	MPN_IE_MPC_FLAGS = 12,     /**< unsigned8: the initiator's MP_CAPABLE flags (RFC 8684 §3.1) */
};

/** RFC 5612: the enterprise number for documentation, the default. */
#define MPN_EXPORT_DEFAULT_PEN 32473

enum mpn_export_transport {
	MPN_EXPORT_UDP,
	MPN_EXPORT_TCP,
};

struct mpn_export_params {
	enum mpn_export_transport transport;
	char host[64];                 /**< numeric IPv4 or IPv6 address */
	uint16_t port;
	uint32_t template_refresh_s;   /**< UDP: resend templates this often */
	uint32_t queue;                /**< encoded messages waiting to be sent */
	uint32_t mtu;                  /**< largest IPFIX message, 512..65000 */
	uint32_t flush_ms;             /**< a partial message leaves after this */
	uint32_t domain;               /**< observation domain id */
	uint32_t pen;                  /**< private enterprise number of mpnorm's elements */
	uint32_t reconnect_ms;         /**< TCP: wait between connection attempts */
};

/** Fill @p p with the defaults (UDP, port 4739, 60 s, 1024, 1400, 1000 ms, 0, 32473). */
void
mpn_export_params_default(struct mpn_export_params *p);

/* X(field, description): the counters, printed by name by `show flow-export`. */
#define MPN_EXPORT_STATS_LIST(X) \
	X(records, "records encoded") \
	X(records_dropped, "records lost with a dropped message") \
	X(messages_queued, "messages queued for sending") \
	X(messages_sent, "messages sent whole") \
	X(messages_dropped_queue_full, "messages dropped: send queue full") \
	X(messages_dropped_send_error, "messages dropped: the socket refused them") \
	X(messages_dropped_disconnect, "messages cut by a lost TCP connection") \
	X(bytes_sent, "bytes sent") \
	X(send_errors, "send errors (refused, unreachable, reset)") \
	X(connects, "TCP connections established") \
	X(connect_failures, "TCP connection attempts that failed") \
	X(templates_sent, "template messages queued") \
	X(encode_errors, "records libfixbuf refused")

struct mpn_export_stats {
#define MPN_EXPORT_STATS_FIELD(f, d) uint64_t f;
	MPN_EXPORT_STATS_LIST(MPN_EXPORT_STATS_FIELD)
#undef MPN_EXPORT_STATS_FIELD
};

/** Number of counters, and the name, description and value of counter @p i. */
unsigned int
mpn_export_stats_count(void);
const char *
mpn_export_stats_get(const struct mpn_export_stats *s, unsigned int i, uint64_t *v,
	const char **desc);

struct mpn_export;

/**
 * Create an exporter: the information model, the templates and the
 * socket (connected later, without blocking).
 * @return the exporter, or NULL with a message in @p err
 */
struct mpn_export *
mpn_export_new(const struct mpn_export_params *p, char *err, size_t errlen);

/** Flush what can be sent without blocking, then free. NULL is a no-op. */
void
mpn_export_free(struct mpn_export *x);

/**
 * Encode one event. @p event_ms is its wall-clock time in ms since the
 * epoch; @p start_ms the flow's creation (flowStartMilliseconds), 0 for
 * the event time (a deny has no flow). Never blocks; a full queue drops,
 * counted.
 * @return 0, or -1 if it was not encoded (counted)
 */
int
mpn_export_event(struct mpn_export *x, const struct mpn_flow_event *ev, uint64_t event_ms,
	uint64_t start_ms);

/**
 * Do the periodic work without blocking: send a partial message older than
 * flush_ms, resend templates, (re)connect, and write what the socket takes.
 * @p now_ms is wall-clock ms. Call it often (the control loop does, every
 * few milliseconds).
 */
void
mpn_export_poll(struct mpn_export *x, uint64_t now_ms);

/** Messages waiting in the queue. */
unsigned int
mpn_export_pending(const struct mpn_export *x);

/** The counters. */
const struct mpn_export_stats *
mpn_export_stats(const struct mpn_export *x);

/** "up", "connecting", "down" (TCP) or "udp". */
const char *
mpn_export_state(const struct mpn_export *x);

#endif /* MPN_EXPORT_H */
