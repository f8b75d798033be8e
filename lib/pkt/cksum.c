/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 1071 sums, the RFC 1624 incremental update, and the TCP checksum over
 * the pseudo-header (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "cksum.h"
#include "pkt.h"

uint16_t
mpn_cksum_fold(uint32_t sum)
{
	/* Two rounds always suffice for 32 bits; the loop documents intent. */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint32_t
mpn_cksum_partial(const uint8_t *buf, size_t len, uint32_t sum)
{
	/*
	 * A 64-bit accumulator cannot overflow for any buffer an IP packet
	 * can hold, so the fold is done once at the end.
	 */
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		acc += (uint32_t)buf[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/*
 * Sum bytes that may start at an odd position: a byte at an even position
 * is the high byte of its 16-bit word, one at an odd position the low byte.
 * Getting this wrong is the classic NOP-fill bug: an option at an odd
 * offset would be summed byte-swapped and the patched checksum would be
 * off by the swap.
 */
static uint16_t
sum_at(const uint8_t *b, size_t len, bool odd_start)
{
	uint64_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (((i + (odd_start ? 1 : 0)) & 1) == 0)
			acc += (uint32_t)b[i] << 8;
		else
			acc += b[i];
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

uint16_t
mpn_cksum_update(uint16_t cksum, const uint8_t *old, const uint8_t *new, size_t len,
	bool odd_start)
{
	uint32_t acc;

	/*
	 * RFC 1624 eqn. 3. The sum of several changed words is the one's
	 * complement sum of their differences, so m and m' may be the sums of
	 * all old and all new words. The result is 0x0000, never 0xffff, when
	 * the new data sums to -0, as a from-scratch computation would give.
	 */
	acc = (uint16_t)~cksum;
	acc += (uint16_t)~sum_at(old, len, odd_start);
	acc += sum_at(new, len, odd_start);
	return (uint16_t)~mpn_cksum_fold(acc);
}

bool
mpn_tcp_checksum_complete(const struct mpn_pkt *p, uint32_t caplen)
{
	uint32_t end;

	if (p == NULL || p->tcp_hdr_len < MPN_TCP_HDR_MIN)
		return false;
	/* A fragment's checksum covers the reassembled segment. */
	if (p->is_fragment)
		return false;
	/*
	 * XXX: with segments left, the pseudo-header's destination is the final
	 * one, held in the routing header in a type-specific place (RFC 8200
	 * §8.1). Such packets are rare on a normalizer's path; they are left
	 * unverified rather than decoded per routing type.
	 */
	if (p->rh_segs_left != 0)
		return false;
	end = p->l4_off + p->wire_l4_len;
	if (end < p->l4_off)
		return false;
	return p->payload_caplen == p->payload_len && end <= caplen && end <= p->caplen;
}

uint16_t
mpn_tcp_pseudo_header_sum(const uint8_t *frame, const struct mpn_pkt *p)
{
	size_t alen = p->ip_version == 6 ? 16 : 4;
	uint32_t sum;

	sum = mpn_cksum_partial(frame + p->src_addr_off, alen, 0);
	sum = mpn_cksum_partial(frame + p->dst_addr_off, alen, sum);
	/*
	 * IPv4 carries a 16-bit TCP length, IPv6 a 32-bit upper-layer length;
	 * both sum the same way as long as the high word is added too.
	 */
	sum += p->wire_l4_len >> 16;
	sum += p->wire_l4_len & 0xffff;
	sum += 6; /* IPPROTO_TCP, in the low byte of its word */
	return mpn_cksum_fold(sum);
}

uint16_t
mpn_tcp_checksum_compute(const uint8_t *frame, const struct mpn_pkt *p)
{
	const uint8_t *tcp;
	uint32_t sum;

	if (frame == NULL || !mpn_tcp_checksum_complete(p, p->caplen))
		return 0;
	tcp = frame + p->l4_off;
	sum = mpn_tcp_pseudo_header_sum(frame, p);
	/* Everything but the checksum field: bytes 0-15 and 18 onward. */
	sum = mpn_cksum_partial(tcp, MPN_TCP_CKSUM_OFF, sum);
	sum = mpn_cksum_partial(tcp + MPN_TCP_CKSUM_OFF + 2,
		p->wire_l4_len - MPN_TCP_CKSUM_OFF - 2, sum);
	return (uint16_t)~mpn_cksum_fold(sum);
}

bool
mpn_tcp_checksum_ok(const uint8_t *frame, const struct mpn_pkt *p)
{
	uint32_t sum;

	if (frame == NULL || !mpn_tcp_checksum_complete(p, p->caplen))
		return false;
	sum = mpn_tcp_pseudo_header_sum(frame, p);
	sum = mpn_cksum_partial(frame + p->l4_off, p->wire_l4_len, sum);
	/*
	 * A sum of non-zero data folds to 1..0xffff, never to 0, so 0xffff is
	 * the only value that verifies; the pseudo-header's protocol word makes
	 * the data non-zero.
	 */
	return mpn_cksum_fold(sum) == 0xffff;
}

int
mpn_tcp_checksum_set(uint8_t *frame, const struct mpn_pkt *p)
{
	uint16_t c;

	if (frame == NULL || !mpn_tcp_checksum_complete(p, p->caplen))
		return -EINVAL;
	c = mpn_tcp_checksum_compute(frame, p);
	frame[p->l4_off + MPN_TCP_CKSUM_OFF] = (uint8_t)(c >> 8);
	frame[p->l4_off + MPN_TCP_CKSUM_OFF + 1] = (uint8_t)c;
	return 0;
}
