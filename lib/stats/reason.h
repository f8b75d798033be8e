/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_REASON_H
#define MPN_REASON_H

/**
 * @file
 * Every reason the data path drops, rewrites or flags a packet.
 *
 * The list is declared once, with its strings, and every counter array and
 * every report is generated from it (the VPP error-enum pattern). The names
 * follow Cisco ASA's `show asp drop` style so that an operator can grep for
 * the same words they already know.
 */

/* X(enum suffix, name shown to operators, one-line description) */
#define MPN_REASON_LIST(X) \
	X(NONE, "none", "no reason (packet passed untouched)") \
	X(TX_FULL, "tx-ring-full", "the TX queue did not accept the packet after retries") \
	X(NO_PEER_PORT, "no-peer-port", "the link has no port to send on") \
	X(HANDOFF_RING_FULL, "handoff-ring-full", "the owning worker's handoff ring was full") \
	X(L2_BAD_HEADER, "invalid-l2-header", "more VLAN tags than mpnorm parses") \
	X(IP_BAD_HEADER, "invalid-ip-header", "malformed IPv4/IPv6 header or extension chain") \
	X(IP_TRUNCATED, "ip-truncated", "IP or TCP header cut off by the capture length") \
	X(IP_FRAGMENT, "ip-fragment-uninspected", "non-first IP fragment: no TCP header to inspect") \
	X(IP_FRAGMENT_OVERLAP, "ip-fragment-tcp-overlap", "TCP fragment at offset 1 or a first fragment too short for the TCP header (RFC 1858)") \
	X(TCP_BAD_HDR_LEN, "invalid-tcp-hdr-length", "TCP data offset below 5 or past the segment") \
	X(TCP_BAD_OPTION_LIST, "tcp-bad-option-list", "TCP option list cannot be walked") \
	X(TCP_OPTION_CLEARED, "tcp-option-cleared", "a TCP option was replaced by NOPs") \
	X(TCP_OPTION_DENIED, "tcp-option-denied", "a TCP option whose action is drop") \
	X(TCP_DUP_OPTION, "tcp-dup-option", "duplicate MSS, window-scale or timestamp option") \
	X(TCP_OPTION_AFTER_EOL, "tcp-option-after-eol", "non-zero bytes after the end-of-option-list") \
	X(TCP_SYN_DATA, "tcp-syn-data", "SYN carries data") \
	X(TCP_SYNACK_DATA, "tcp-synack-data", "SYN/ACK carries data") \
	X(TCP_RESERVED_SET, "tcp-reserved-set", "TCP reserved bits set") \
	X(TCP_RESERVED_CLEARED, "tcp-reserved-cleared", "TCP reserved bits cleared") \
	X(TCP_URGENT_CLEARED, "tcp-urgent-cleared", "URG flag and urgent pointer cleared") \
	X(TCP_BAD_CHECKSUM, "tcp-bad-checksum", "TCP checksum does not verify") \
	X(TCP_MSS_CLAMPED, "tcp-mss-clamped", "MSS option lowered to the configured clamp") \
	X(TCP_EXCEED_MSS, "tcp-exceed-mss", "segment larger than the MSS seen in the handshake") \
	X(TCP_INVALID_ACK, "tcp-invalid-ack", "ACK for data never sent") \
	X(TCP_SEQ_PAST_WIN, "tcp-seq-past-win", "sequence number beyond the receiver's window") \
	X(TCP_WINDOW_VARIATION, "tcp-window-variation", "window shrank beyond the advertised right edge") \
	X(TCP_TTL_EVASION, "tcp-ttl-evasion", "TTL lower than the one seen at connection setup") \
	X(TCP_NOT_SYN, "tcp-not-syn", "first packet of an unknown subflow is not a SYN") \
	X(TCP_RST_OUT_OF_WINDOW, "tcp-rst-out-of-window", "RST outside the receiver's window (blind RST, RFC 5961 §3)") \
	X(MPTCP_BAD_OPTION, "mptcp-bad-option", "kind-30 option short or inconsistent for its subtype") \
	X(MPTCP_OPTION_CLEARED, "mptcp-option-cleared", "an MPTCP option was replaced by NOPs") \
	X(MPTCP_OPTION_DENIED, "mptcp-option-denied", "an MPTCP option whose action is drop") \
	X(MPTCP_OPTION_ALERT, "mptcp-option-alert", "an MPTCP option whose action is alert") \
	X(MPTCP_FALLBACK, "mptcp-fallback", "MPTCP refused by policy at the SYN") \
	X(MPTCP_JOIN_REFUSED, "mptcp-join-refused", "MP_JOIN on a connection forced to fall back") \
	X(MPTCP_JOIN_UNKNOWN_TOKEN, "mptcp-join-unknown-token", "MP_JOIN token matches no known connection") \
	X(MPTCP_JOIN_BAD_HMAC, "mptcp-join-bad-hmac", "MP_JOIN HMAC does not verify") \
	X(MPTCP_JOIN_UNPROVEN, "mptcp-join-unproven", "segment of a join whose third-ACK HMAC was not verified (RFC 8684 §3.2)") \
	X(MPTCP_JOIN_UNVERIFIABLE, "mptcp-join-unverifiable", "MP_JOIN SYN/ACK or ACK of a join whose SYN was not seen") \
	X(MPTCP_JOIN_EVICTED, "mptcp-join-evicted", "segment of a pending join pushed out by newer joins") \
	X(MPTCP_JOIN_KEYS_PENDING, "mptcp-join-keys-pending", "join SYN/ACK before the token directory answered (the server resends it)") \
	X(MPTCP_JOIN_DIRECTORY_DOWN, "mptcp-join-directory-down", "join with an unknown token while the token directory is unreachable (cluster unreachable = drop)") \
	X(MPTCP_SUBFLOW_LIMIT, "mptcp-subflow-limit", "connection already has its maximum of subflows") \
	X(MPTCP_ADDADDR_DENIED, "mptcp-addaddr-denied", "ADD_ADDR outside the allowed prefixes or ports") \
	X(MPTCP_ADDADDR_BAD_HMAC, "mptcp-addaddr-bad-hmac", "ADD_ADDR HMAC does not verify (add-addr hmac enforce)") \
	X(MPTCP_FASTCLOSE_BAD_KEY, "mptcp-fastclose-bad-key", "MP_FASTCLOSE carries the sender's own key, not the receiver's (RFC 8684 §3.5)") \
	X(TABLE_FULL, "flow-table-full", "no room for a new subflow after eviction") \
	/* Issue 16 items 2 and 5: per-connection limits against join-based DoS (RFC 7430). */ \
	X(MPTCP_JOIN_RATE, "mptcp-join-rate", "join SYNs of one connection above its join-rate-limit per second") \
	X(MPTCP_JOIN_EARLY, "mptcp-join-early", "join SYN before the connection's MP_CAPABLE third ACK was seen (join-early drop)") \
	X(MPTCP_ADDADDR_LIMIT, "mptcp-addaddr-limit", "ADD_ADDR above the connection's add-addr-limit announcements") \
	/* Issue 16: window checks that hold for MPTCP subflows (check_window.c). */ \
	X(MPTCP_SEQ_PAST_WIN, "mptcp-seq-past-win", "MPTCP subflow data beyond every window its connection's receiver advertised (RFC 8684 §3.3.5)") \
	X(MPTCP_WINDOW_VARIATION, "mptcp-window-variation", "a newer DATA_ACK moved the connection's right edge (DATA_ACK + window) back (RFC 8684 §3.3.4)")

/** Reason codes; MPN_REASON_MAX is the size of every counter array. */
enum mpn_reason {
#define MPN_REASON_ENUM(sym, name, desc) MPN_REASON_##sym,
	MPN_REASON_LIST(MPN_REASON_ENUM)
#undef MPN_REASON_ENUM
	MPN_REASON_MAX
};

/** Operator-facing name of a reason, e.g. "tcp-bad-option-list". */
const char *
mpn_reason_name(enum mpn_reason r);

/** One-line description of a reason. */
const char *
mpn_reason_desc(enum mpn_reason r);

#endif /* MPN_REASON_H */
