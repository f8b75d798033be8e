/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_PKT_H
#define MPN_PKT_H

/**
 * @file
 * Packet parser: link layer, IPv4/IPv6 and the TCP header of one frame.
 *
 * The parser is a pure function over the bytes of a frame. It copies
 * nothing and allocates nothing: every result is an offset from the first
 * byte of the frame, a length, or a field already converted to host order.
 * It needs no EAL and no mbuf, so the workers, the offline mode, the unit
 * tests and the fuzzers run the same code.
 *
 * Two lengths are kept apart everywhere:
 *  - @b caplen, the bytes actually present in the buffer. A capture made
 *    with a snap length (the linux/ captures use 256) has fewer bytes than
 *    the IP header announces.
 *  - the @b wire lengths, which come from the IPv4 total length or the IPv6
 *    payload length. They drive the TCP segment length, the payload length
 *    and the pseudo-header of the checksum.
 *
 * Every header up to and including the TCP options must be present in
 * caplen for the parser to return MPN_PKT_TCP. The payload may be cut:
 * mpn_pkt.payload_caplen then stays below mpn_pkt.payload_len, and
 * mpn_pkt.snap_truncated is set. On a live port caplen is the whole frame,
 * so there the same flag means the IP header claims more bytes than
 * arrived; the caller decides what that is worth.
 *
 * All functions are thread-safe: they touch only their arguments.
 */

#include <stdbool.h>
#include <stdint.h>

/** At most this many 802.1Q/802.1ad tags are skipped (QinQ). */
#define MPN_PKT_MAX_VLAN 2

/** At most this many IPv6 extension headers are walked before giving up. */
#define MPN_PKT_MAX_EXT_HDRS 8

/** Longest possible TCP header: data offset 15 (RFC 9293 §3.1). */
#define MPN_TCP_HDR_MAX 60

/** Shortest TCP header: data offset 5 (RFC 9293 §3.1). */
#define MPN_TCP_HDR_MIN 20

/** Offset of the checksum field in the TCP header (RFC 9293 §3.1). */
#define MPN_TCP_CKSUM_OFF 16

/** Link-layer framing of the buffer handed to mpn_pkt_parse(). */
enum mpn_l2_type {
	MPN_L2_ETHER, /**< Ethernet II, optionally with 802.1Q / 802.1ad tags */
	MPN_L2_SLL,   /**< Linux cooked capture v1 (DLT 113): 16-byte header */
	MPN_L2_SLL2,  /**< Linux cooked capture v2 (DLT 276): 20-byte header */
	MPN_L2_RAW,   /**< raw IP (DLT 101/12/228/229): version from the first nibble */
};

/** The parser's verdict on one frame. */
enum mpn_pkt_status {
	MPN_PKT_TCP = 0,        /**< the full TCP header, options included, is present */
	MPN_PKT_NOT_IP,         /**< the L2 payload is neither IPv4 nor IPv6 */
	MPN_PKT_NOT_TCP,        /**< IP, but the transport is not TCP (l4_proto says what) */
	MPN_PKT_FRAGMENT,       /**< non-first fragment of a TCP datagram: no TCP header */
	MPN_PKT_TRUNCATED,      /**< a header is cut by caplen */
	MPN_PKT_BAD_L2,         /**< more than MPN_PKT_MAX_VLAN VLAN tags */
	MPN_PKT_BAD_L3,         /**< malformed IPv4/IPv6 header or extension chain */
	MPN_PKT_BAD_TCP_HDRLEN, /**< data offset below 5, or past the TCP segment */
	MPN_PKT_STATUS_MAX,     /**< number of statuses */
};

/**
 * Result of mpn_pkt_parse(). Offsets are from the first byte of the frame.
 *
 * Which fields are valid depends on the status: the layers the parser
 * completed are filled in, the rest are zero. With MPN_PKT_TCP everything
 * is valid. With MPN_PKT_FRAGMENT and MPN_PKT_NOT_TCP the L2 and L3 fields
 * are valid and l4_off points past the IP headers.
 */
struct mpn_pkt {
	/* Link layer. */
	uint16_t l3_off;           /**< first byte of the IP header */
	uint16_t ether_type;       /**< EtherType of the L3 header (host order) */
	uint8_t vlan_depth;        /**< number of VLAN tags skipped (0..2) */
	uint16_t vlan_tci[MPN_PKT_MAX_VLAN]; /**< TCIs, outermost first (host order) */

	/* IP layer. */
	uint8_t ip_version;        /**< 4 or 6 */
	uint8_t l4_proto;          /**< IPv4 protocol / last IPv6 next header */
	uint8_t ttl_or_hlim;       /**< IPv4 TTL or IPv6 hop limit */
	uint8_t tos_or_tclass;     /**< IPv4 TOS or IPv6 traffic class (DSCP+ECN) */
	uint8_t n_ext_hdrs;        /**< IPv6 extension headers skipped */
	uint8_t rh_segs_left;      /**< IPv6 routing header segments left (0 if none) */
	bool is_fragment;          /**< a fragment, first fragment (MF set) included */
	uint16_t frag_off;         /**< fragment offset, in 8-byte units */
	uint16_t src_addr_off;     /**< source address: 4 bytes (v4) or 16 (v6) */
	uint16_t dst_addr_off;     /**< destination address: 4 or 16 bytes */
	uint32_t ip_len;           /**< datagram length per the IP header */

	/* TCP. */
	uint16_t l4_off;           /**< first byte of the TCP header */
	uint16_t tcp_hdr_len;      /**< data offset * 4: 20..60 */
	uint16_t sport;            /**< host order */
	uint16_t dport;            /**< host order */
	uint32_t seq;              /**< host order */
	uint32_t ack;              /**< host order */
	uint8_t tcp_flags;         /**< byte 13: CWR ECE URG ACK PSH RST SYN FIN */
	uint8_t tcp_flags_hi;      /**< low nibble of byte 12: reserved bits and AE */
	uint16_t window;           /**< host order, unscaled */
	uint16_t urg_ptr;          /**< host order */
	uint32_t wire_l4_len;      /**< TCP segment length per the IP header */
	uint32_t payload_off;      /**< first payload byte */
	uint32_t payload_len;      /**< payload length per the IP header */
	uint32_t payload_caplen;   /**< payload bytes present in the buffer */
	bool snap_truncated;       /**< payload_caplen < payload_len */
	uint32_t caplen;           /**< the caplen the frame was parsed with */
};

/**
 * Parse one frame down to the end of the TCP header.
 *
 * @param frame   first byte of the link-layer header
 * @param caplen  number of bytes present at @p frame
 * @param l2      link-layer framing of @p frame
 * @param out     filled in; zeroed first, then each layer the parser gets
 *                through is recorded
 * @return        MPN_PKT_TCP when the TCP header and all its options are
 *                present, another status otherwise. Malformed input is a
 *                status, never a crash: the parser reads no byte at or
 *                beyond @p caplen.
 */
enum mpn_pkt_status
mpn_pkt_parse(const uint8_t *frame, uint32_t caplen, enum mpn_l2_type l2,
	struct mpn_pkt *out);

/**
 * Name of a parser status, e.g. "invalid-tcp-hdr-length"; "unknown" for a
 * value out of range. The names follow the ASA's `show asp drop` words
 * where one exists.
 */
const char *
mpn_pkt_status_name(enum mpn_pkt_status status);

/**
 * Whether the TCP checksum of a parsed packet can be checked.
 *
 * It can when the whole segment is in the buffer (no snap truncation), the
 * packet is not an IP fragment (the checksum covers the reassembled
 * segment), and no IPv6 routing header has segments left (the pseudo-header
 * then uses the final destination, which sits inside the routing header in
 * a type-specific place, RFC 8200 §8.1).
 *
 * @param p       a packet parsed with status MPN_PKT_TCP
 * @param caplen  bytes present in the frame (checked again against p)
 */
bool
mpn_tcp_checksum_complete(const struct mpn_pkt *p, uint32_t caplen);

/**
 * One's complement sum (RFC 1071) of the TCP pseudo-header of @p p, folded
 * to 16 bits, not complemented: source and destination address, protocol 6
 * and p->wire_l4_len (RFC 9293 §3.1, RFC 8200 §8.1).
 *
 * A sender using checksum offload leaves exactly this value in the checksum
 * field, which is how captures taken on such a host look.
 */
uint16_t
mpn_tcp_pseudo_header_sum(const uint8_t *frame, const struct mpn_pkt *p);

/**
 * Compute the TCP checksum from scratch: the value the checksum field
 * should hold, computed with the field taken as zero.
 *
 * @param frame  the frame @p p was parsed from
 * @param p      a packet parsed with status MPN_PKT_TCP
 * @return       the checksum (host order); 0 when
 *               mpn_tcp_checksum_complete(p, p->caplen) is false, since
 *               the bytes needed are not there. 0 is also a valid checksum:
 *               check mpn_tcp_checksum_complete() first.
 */
uint16_t
mpn_tcp_checksum_compute(const uint8_t *frame, const struct mpn_pkt *p);

/**
 * Verify the TCP checksum as a receiver does: the one's complement sum of
 * the pseudo-header and the whole segment, checksum field included, must
 * be 0xffff.
 *
 * @return  true if it verifies; false if it does not, or if it cannot be
 *          checked (see mpn_tcp_checksum_complete()).
 */
bool
mpn_tcp_checksum_ok(const uint8_t *frame, const struct mpn_pkt *p);

/**
 * Write the checksum computed by mpn_tcp_checksum_compute() into the TCP
 * header. For building packets (tests, generators); the data path only
 * ever patches checksums incrementally.
 *
 * @return  0, or -EINVAL if the checksum cannot be computed.
 */
int
mpn_tcp_checksum_set(uint8_t *frame, const struct mpn_pkt *p);

#endif /* MPN_PKT_H */
