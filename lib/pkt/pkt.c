/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser. DPDK's wire structs name the field offsets (offsetof), but
 * no struct is ever laid over the frame: a raw-IP or cooked capture puts
 * the headers at any alignment, so every field is read byte by byte.
 *
 * Each layer checks, in this order:
 *  1. what the enclosing header says (wire lengths): a violation is BAD_*,
 *     whatever caplen is, because more bytes could not repair it;
 *  2. what the buffer holds (caplen): a shortfall is TRUNCATED.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "pkt.h"

/* Lengths of the two Linux cooked-capture headers (pcap-linktype(7)). */
#define SLL_HDR_LEN 16
#define SLL_PROTO_OFF 14
#define SLL2_HDR_LEN 20
#define SLL2_PROTO_OFF 0

#define IPV4_HDR_MIN ((uint32_t)sizeof(struct rte_ipv4_hdr))
#define IPV6_HDR_LEN ((uint32_t)sizeof(struct rte_ipv6_hdr))
/* Every IPv6 extension header is a multiple of 8 bytes, 8 at least. */
#define IPV6_EXT_MIN 8
/* Segments Left: byte 3 of every routing header type (RFC 8200 §4.4). */
#define IPV6_RH_SEGS_LEFT_OFF 3

static inline uint16_t
load_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The TCP header at l4_off, with wire_l4_len bytes of segment per the IP
 * header. Decisions (RFC 9293 §3.1 defines the data offset):
 *  - a segment shorter than 20 bytes cannot hold a TCP header at all:
 *    BAD_TCP_HDRLEN, even before looking at caplen;
 *  - a data offset below 5 or beyond the segment: BAD_TCP_HDRLEN. This
 *    also catches the first fragment that splits the TCP header (RFC 1858
 *    §3.1's tiny-fragment attack): its options would be out of sight.
 *  - the header and all options must be in caplen, or TRUNCATED: a
 *    normalizer must never judge options it cannot see.
 */
static enum mpn_pkt_status
parse_tcp(const uint8_t *frame, uint32_t caplen, uint32_t l4_off, uint32_t wire_l4_len,
	struct mpn_pkt *out)
{
	const uint8_t *t;
	uint32_t hlen;

	/* l4_off is stored in 16 bits; a chain this long is not a real packet. */
	if (l4_off > UINT16_MAX - MPN_TCP_HDR_MAX)
		return MPN_PKT_BAD_L3;
	out->l4_off = (uint16_t)l4_off;
	out->wire_l4_len = wire_l4_len;
	if (wire_l4_len < MPN_TCP_HDR_MIN)
		return MPN_PKT_BAD_TCP_HDRLEN;
	if (caplen < l4_off || caplen - l4_off < MPN_TCP_HDR_MIN)
		return MPN_PKT_TRUNCATED;
	t = frame + l4_off;
	hlen = (uint32_t)(t[offsetof(struct rte_tcp_hdr, data_off)] >> 4) * 4;
	if (hlen < MPN_TCP_HDR_MIN || hlen > wire_l4_len)
		return MPN_PKT_BAD_TCP_HDRLEN;
	if (caplen - l4_off < hlen)
		return MPN_PKT_TRUNCATED;

	out->tcp_hdr_len = (uint16_t)hlen;
	out->sport = load_be16(t + offsetof(struct rte_tcp_hdr, src_port));
	out->dport = load_be16(t + offsetof(struct rte_tcp_hdr, dst_port));
	out->seq = load_be32(t + offsetof(struct rte_tcp_hdr, sent_seq));
	out->ack = load_be32(t + offsetof(struct rte_tcp_hdr, recv_ack));
	out->tcp_flags_hi = t[offsetof(struct rte_tcp_hdr, data_off)] & 0x0f;
	out->tcp_flags = t[offsetof(struct rte_tcp_hdr, tcp_flags)];
	out->window = load_be16(t + offsetof(struct rte_tcp_hdr, rx_win));
	out->urg_ptr = load_be16(t + offsetof(struct rte_tcp_hdr, tcp_urp));
	out->payload_off = l4_off + hlen;
	out->payload_len = wire_l4_len - hlen;
	/* Payload cut by the snap length is recorded, not refused. */
	if (caplen - out->payload_off < out->payload_len) {
		out->payload_caplen = caplen - out->payload_off;
		out->snap_truncated = true;
	} else {
		out->payload_caplen = out->payload_len;
	}
	return MPN_PKT_TCP;
}

/*
 * IPv4 (RFC 791). Options are skipped by IHL, not interpreted. Ethernet
 * padding past the total length is ignored: the wire lengths come from
 * the header, never from caplen. The header checksum is not verified:
 * routers in the path have already done so, and a bad one is not a TCP
 * normalization matter.
 */
static enum mpn_pkt_status
parse_ipv4(const uint8_t *frame, uint32_t caplen, uint32_t l3_off, struct mpn_pkt *out)
{
	const uint8_t *ip;
	uint32_t ihl, tot;
	uint16_t frag;

	if (caplen < l3_off || caplen - l3_off < IPV4_HDR_MIN)
		return MPN_PKT_TRUNCATED;
	ip = frame + l3_off;
	if ((ip[0] >> 4) != 4)
		return MPN_PKT_BAD_L3;
	ihl = (uint32_t)(ip[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	tot = load_be16(ip + offsetof(struct rte_ipv4_hdr, total_length));
	/*
	 * IHL below 5 cannot hold the fixed header; a total length below IHL
	 * cannot hold the options it announces (RFC 791 §3.1). TSO captures
	 * with a total length of 0 land here too: they are not wire packets.
	 */
	if (ihl < IPV4_HDR_MIN || tot < ihl)
		return MPN_PKT_BAD_L3;
	if (caplen - l3_off < ihl)
		return MPN_PKT_TRUNCATED;

	out->ip_version = 4;
	out->ip_len = tot;
	out->tos_or_tclass = ip[offsetof(struct rte_ipv4_hdr, type_of_service)];
	out->ttl_or_hlim = ip[offsetof(struct rte_ipv4_hdr, time_to_live)];
	out->l4_proto = ip[offsetof(struct rte_ipv4_hdr, next_proto_id)];
	out->src_addr_off = (uint16_t)(l3_off + offsetof(struct rte_ipv4_hdr, src_addr));
	out->dst_addr_off = (uint16_t)(l3_off + offsetof(struct rte_ipv4_hdr, dst_addr));
	frag = load_be16(ip + offsetof(struct rte_ipv4_hdr, fragment_offset));
	out->frag_off = frag & RTE_IPV4_HDR_OFFSET_MASK;
	out->is_fragment = out->frag_off != 0 || (frag & RTE_IPV4_HDR_MF_FLAG) != 0;
	out->l4_off = (uint16_t)(l3_off + ihl);

	if (out->l4_proto != IPPROTO_TCP)
		return MPN_PKT_NOT_TCP;
	/*
	 * A non-first fragment has no TCP header; reading one there would
	 * judge payload bytes as options. XXX: no reassembly. RFC 1858 §3.2
	 * (fragment offset 1, overwriting the flags) is left to the caller,
	 * which sees frag_off.
	 */
	if (out->frag_off != 0)
		return MPN_PKT_FRAGMENT;
	return parse_tcp(frame, caplen, l3_off + ihl, tot - ihl, out);
}

/* Next-header values that are IPv6 extension headers this parser walks. */
static bool
ipv6_is_walked_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
		nh == IPPROTO_FRAGMENT;
}

/*
 * IPv6 (RFC 8200) and its extension headers: hop-by-hop, routing,
 * destination options and fragment. The chain is bounded at
 * MPN_PKT_MAX_EXT_HDRS headers; a longer one is BAD_L3, since RFC 8200
 * §4.1 allows at most six in a legitimate packet (destination options
 * twice) and long chains are an evasion technique (RFC 7112).
 *
 * Decisions:
 *  - hop-by-hop anywhere but first is BAD_L3 (RFC 8200 §4.3);
 *  - a second fragment header is BAD_L3 (RFC 8200 §4.1: at most once);
 *  - an atomic fragment (offset 0, M clear, RFC 6946) is not a fragment;
 *  - a first fragment is parsed, with is_fragment set; it must carry the
 *    whole chain and the TCP header (RFC 7112), or the TCP checks refuse it;
 *  - a non-first fragment stops the walk: FRAGMENT if what follows may be
 *    TCP (TCP or another extension header), NOT_TCP otherwise;
 *  - AH, ESP, Mobility and unknown headers end the walk as NOT_TCP. XXX:
 *    TCP under AH is not inspected, and could not be rewritten anyway.
 *  - jumbograms (payload length 0, RFC 2675) are not supported: the
 *    hop-by-hop header does not fit in 0 bytes, so they are BAD_L3.
 */
static enum mpn_pkt_status
parse_ipv6(const uint8_t *frame, uint32_t caplen, uint32_t l3_off, struct mpn_pkt *out)
{
	const uint8_t *ip, *e;
	uint32_t off, end, elen;
	bool seen_frag = false;
	unsigned int i;
	uint8_t nh;

	if (caplen < l3_off || caplen - l3_off < IPV6_HDR_LEN)
		return MPN_PKT_TRUNCATED;
	ip = frame + l3_off;
	if ((ip[0] >> 4) != 6)
		return MPN_PKT_BAD_L3;

	out->ip_version = 6;
	out->ip_len = IPV6_HDR_LEN + load_be16(ip + offsetof(struct rte_ipv6_hdr, payload_len));
	out->tos_or_tclass = (uint8_t)((ip[0] << 4) | (ip[1] >> 4));
	out->ttl_or_hlim = ip[offsetof(struct rte_ipv6_hdr, hop_limits)];
	out->src_addr_off = (uint16_t)(l3_off + offsetof(struct rte_ipv6_hdr, src_addr));
	out->dst_addr_off = (uint16_t)(l3_off + offsetof(struct rte_ipv6_hdr, dst_addr));
	nh = ip[offsetof(struct rte_ipv6_hdr, proto)];
	off = l3_off + IPV6_HDR_LEN;
	end = l3_off + out->ip_len;

	for (i = 0; ipv6_is_walked_ext(nh); i++) {
		if (i == MPN_PKT_MAX_EXT_HDRS)
			return MPN_PKT_BAD_L3;
		if (nh == IPPROTO_HOPOPTS && i != 0)
			return MPN_PKT_BAD_L3;
		if (end - off < IPV6_EXT_MIN)
			return MPN_PKT_BAD_L3;
		if (caplen < off || caplen - off < IPV6_EXT_MIN)
			return MPN_PKT_TRUNCATED;
		e = frame + off;
		out->n_ext_hdrs = (uint8_t)(i + 1);

		if (nh == IPPROTO_FRAGMENT) {
			uint16_t fd = load_be16(e + offsetof(struct rte_ipv6_fragment_ext,
				frag_data));

			if (seen_frag)
				return MPN_PKT_BAD_L3;
			seen_frag = true;
			out->frag_off = (uint16_t)RTE_IPV6_GET_FO(fd);
			if (out->frag_off != 0) {
				out->is_fragment = true;
				out->l4_proto = e[0];
				out->l4_off = (uint16_t)(off + IPV6_EXT_MIN);
				if (e[0] == IPPROTO_TCP || ipv6_is_walked_ext(e[0]))
					return MPN_PKT_FRAGMENT;
				return MPN_PKT_NOT_TCP;
			}
			if (RTE_IPV6_GET_MF(fd))
				out->is_fragment = true;
			elen = IPV6_EXT_MIN;
		} else {
			/* Hdr Ext Len counts 8-byte units past the first 8. */
			elen = ((uint32_t)e[1] + 1) * 8;
			if (nh == IPPROTO_ROUTING)
				out->rh_segs_left = e[IPV6_RH_SEGS_LEFT_OFF];
		}
		if (end - off < elen)
			return MPN_PKT_BAD_L3;
		nh = e[0];
		off += elen;
	}

	out->l4_proto = nh;
	out->l4_off = (uint16_t)off;
	if (nh != IPPROTO_TCP)
		return MPN_PKT_NOT_TCP;
	return parse_tcp(frame, caplen, off, end - off, out);
}

enum mpn_pkt_status
mpn_pkt_parse(const uint8_t *frame, uint32_t caplen, enum mpn_l2_type l2,
	struct mpn_pkt *out)
{
	uint32_t off;
	uint16_t type;

	memset(out, 0, sizeof(*out));
	out->caplen = caplen;
	if (frame == NULL)
		return MPN_PKT_TRUNCATED;

	switch (l2) {
	case MPN_L2_ETHER:
		if (caplen < RTE_ETHER_HDR_LEN)
			return MPN_PKT_TRUNCATED;
		type = load_be16(frame + offsetof(struct rte_ether_hdr, ether_type));
		off = RTE_ETHER_HDR_LEN;
		break;
	case MPN_L2_SLL:
		if (caplen < SLL_HDR_LEN)
			return MPN_PKT_TRUNCATED;
		type = load_be16(frame + SLL_PROTO_OFF);
		off = SLL_HDR_LEN;
		break;
	case MPN_L2_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return MPN_PKT_TRUNCATED;
		type = load_be16(frame + SLL2_PROTO_OFF);
		off = SLL2_HDR_LEN;
		break;
	case MPN_L2_RAW:
		/* No link layer: the IP version nibble says what follows. */
		if (caplen < 1)
			return MPN_PKT_TRUNCATED;
		if ((frame[0] >> 4) == 4)
			type = RTE_ETHER_TYPE_IPV4;
		else if ((frame[0] >> 4) == 6)
			type = RTE_ETHER_TYPE_IPV6;
		else
			return MPN_PKT_NOT_IP;
		off = 0;
		break;
	default:
		return MPN_PKT_NOT_IP;
	}

	/*
	 * 802.1Q (0x8100) and 802.1ad (0x88a8) tags, outer first. Cooked
	 * captures can hold tags too when the NIC did not strip them. More
	 * than MPN_PKT_MAX_VLAN tags is BAD_L2: the bound keeps the loop
	 * finite and a deeper stack is not a shape mpnorm is deployed in.
	 */
	while (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) {
		if (out->vlan_depth == MPN_PKT_MAX_VLAN)
			return MPN_PKT_BAD_L2;
		if (caplen - off < RTE_VLAN_HLEN)
			return MPN_PKT_TRUNCATED;
		out->vlan_tci[out->vlan_depth++] = load_be16(frame + off);
		type = load_be16(frame + off + 2);
		off += RTE_VLAN_HLEN;
	}
	out->ether_type = type;
	out->l3_off = (uint16_t)off;

	if (type == RTE_ETHER_TYPE_IPV4)
		return parse_ipv4(frame, caplen, off, out);
	if (type == RTE_ETHER_TYPE_IPV6)
		return parse_ipv6(frame, caplen, off, out);
	return MPN_PKT_NOT_IP;
}

const char *
mpn_pkt_status_name(enum mpn_pkt_status status)
{
	switch (status) {
	case MPN_PKT_TCP: return "tcp";
	case MPN_PKT_NOT_IP: return "not-ip";
	case MPN_PKT_NOT_TCP: return "not-tcp";
	case MPN_PKT_FRAGMENT: return "ip-fragment";
	case MPN_PKT_TRUNCATED: return "truncated";
	case MPN_PKT_BAD_L2: return "invalid-l2-header";
	case MPN_PKT_BAD_L3: return "invalid-ip-header";
	case MPN_PKT_BAD_TCP_HDRLEN: return "invalid-tcp-hdr-length";
	case MPN_PKT_STATUS_MAX: break;
	}
	return "unknown";
}
