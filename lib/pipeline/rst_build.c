/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A RST built in place from the refused segment (rst_build.h). The frame
 * already holds the link-layer header the answer needs (VLAN tags, the
 * peer's MAC address): only what differs is written, from copies of the
 * fields taken first, since the new headers overlap the old ones.
 */
#include <string.h>

#include "cksum.h"
#include "mptcp.h"
#include "rst_build.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

bool
mpn_rst_may_answer(enum mpn_pkt_status status, const struct mpn_pkt *p, uint32_t caplen)
{
	if (status != MPN_PKT_TCP || p->caplen != caplen)
		return false;
	if (p->tcp_flags & TH_RST)
		return false;
	if (p->is_fragment || p->snap_truncated || p->rh_segs_left != 0)
		return false;
	return p->ip_version == 4 || p->ip_version == 6;
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

uint32_t
mpn_rst_build(uint8_t *frame, uint32_t len, const struct mpn_pkt *p, enum mpn_l2_type l2,
	uint8_t reason)
{
	uint8_t src[16], dst[16], mac[6], *ip = frame + p->l3_off, *tcp;
	size_t alen = p->ip_version == 6 ? 16 : 4;
	uint32_t ip_hlen = p->ip_version == 6 ? 40 : 20, seq, ack, seg_len, sum, new_len;
	uint16_t sport = p->sport, dport = p->dport;
	uint8_t flags;

	if (!mpn_rst_may_answer(MPN_PKT_TCP, p, len) ||
			(uint32_t)p->l3_off + ip_hlen + MPN_RST_TCP_LEN > len)
		return 0;
	/* RFC 9293 §3.10.7.1: the RST's numbers come from the segment it answers. */
	seg_len = p->payload_len + ((p->tcp_flags & TH_SYN) ? 1 : 0) +
		((p->tcp_flags & TH_FIN) ? 1 : 0);
	if (p->tcp_flags & TH_ACK) {
		seq = p->ack;
		ack = 0;
		flags = TH_RST;
	} else {
		seq = 0;
		ack = p->seq + seg_len;
		flags = TH_RST | TH_ACK;
	}
	memcpy(src, frame + p->src_addr_off, alen);
	memcpy(dst, frame + p->dst_addr_off, alen);

	/* Link layer: back to where it came from, tags kept. */
	if (l2 == MPN_L2_ETHER) {
		memcpy(mac, frame, 6);
		memmove(frame, frame + 6, 6);
		memcpy(frame + 6, mac, 6);
	}

	/* IP: a fresh header without options or extension headers. */
	if (p->ip_version == 4) {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + MPN_RST_TCP_LEN));
		ip[6] = 0x40;                  /* DF: a RST is never fragmented */
		ip[8] = MPN_RST_TTL;
		ip[9] = 6;
		memcpy(ip + 12, dst, 4);
		memcpy(ip + 16, src, 4);
		put16(ip + 10, (uint16_t)~mpn_cksum_fold(mpn_cksum_partial(ip, 20, 0)));
	} else {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, MPN_RST_TCP_LEN);
		ip[6] = 6;
		ip[7] = MPN_RST_TTL;
		memcpy(ip + 8, dst, 16);
		memcpy(ip + 24, src, 16);
	}

	tcp = ip + ip_hlen;
	memset(tcp, 0, MPN_RST_TCP_LEN);
	put16(tcp, dport);
	put16(tcp + 2, sport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (MPN_RST_TCP_LEN / 4) << 4;
	tcp[13] = flags;
	/* RFC 8684 §3.6: MP_TCPRST, U V W T all 0 (T = 0: do not retry soon). */
	tcp[20] = MPN_MPTCP_KIND;
	tcp[21] = 4;
	tcp[22] = MPN_MPTCP_MP_TCPRST << 4;
	tcp[23] = reason;

	/* TCP checksum over the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1) and segment. */
	sum = mpn_cksum_partial(dst, alen, 0);
	sum = mpn_cksum_partial(src, alen, sum);
	sum += 6 + MPN_RST_TCP_LEN;
	sum = mpn_cksum_partial(tcp, MPN_RST_TCP_LEN, sum);
	put16(tcp + 16, (uint16_t)~mpn_cksum_fold(sum));
	new_len = p->l3_off + ip_hlen + MPN_RST_TCP_LEN;
	/*
	 * Ethernet's shortest frame is 60 bytes before the FCS (IEEE 802.3):
	 * pad with zeros rather than rely on every NIC to do it. The IP
	 * length says where the datagram ends.
	 */
	if (l2 == MPN_L2_ETHER && new_len < MPN_RST_ETHER_MIN && len >= MPN_RST_ETHER_MIN) {
		memset(frame + new_len, 0, MPN_RST_ETHER_MIN - new_len);
		new_len = MPN_RST_ETHER_MIN;
	}
	return new_len;
}
