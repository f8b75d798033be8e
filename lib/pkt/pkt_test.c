/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser and checksum tests. Frames are built byte by byte; their TCP
 * checksum comes from this file's own RFC 1071 sum over an explicit
 * pseudo-header, independent of the library's. Real packets from
 * pcaps/real cross-check both, and a sweep over those captures, which
 * the project vendors, so the sweep always runs.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "cksum.h"
#include "pkt.h"

#define TH_SYN 0x02
#define TH_ACK 0x10

/* IPv6 next-header values (RFC 8200 §4). */
#define NH_HOP 0
#define NH_TCP 6
#define NH_UDP 17
#define NH_ROUTING 43
#define NH_FRAG 44
#define NH_ESP 50
#define NH_NONE 59
#define NH_DST 60

#define MAX_EXT 12

/* What to build. Zero is a sensible default for every field. */
struct spec {
	enum mpn_l2_type l2;
	int vlans;                   /* tags to push (0..3) */
	uint16_t tpid[3];            /* their TPIDs, outer first (0: 0x8100) */
	int v6;
	uint8_t ip_opt_len;          /* IPv4 option bytes, a multiple of 4 */
	uint16_t frag;               /* IPv4 flags+offset field */
	uint8_t proto;               /* transport (0: TCP) */
	int n_ext;                   /* IPv6 extension headers */
	uint8_t ext[MAX_EXT];        /* their types */
	uint8_t ext_len8[MAX_EXT];   /* Hdr Ext Len of each (non-fragment) */
	uint16_t ext_frag[MAX_EXT];  /* fragment header frag_data */
	uint8_t ext_segs_left[MAX_EXT];
	const uint8_t *opts;         /* TCP options, padded with EOL to 4 */
	size_t olen;
	size_t payload;
	uint8_t flags;
	size_t l2_pad;               /* Ethernet padding after the IP datagram */
};

struct frame {
	uint8_t b[4096];
	uint32_t len;     /* bytes built, padding included */
	uint32_t l3;
	uint32_t l4;
	uint32_t seg;     /* TCP segment length */
	uint32_t thl;     /* TCP header length */
};

/* ---- An independent RFC 1071 reference ---- */

static uint32_t
ref_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)(p[n - 1] << 8);
	return acc;
}

static uint16_t
ref_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Sum of pseudo-header + segment with the checksum field as it is. */
static uint16_t
ref_tcp_sum(const struct frame *f, int v6)
{
	uint8_t ph[40];
	size_t phl;

	memset(ph, 0, sizeof(ph));
	if (v6) {
		memcpy(ph, f->b + f->l3 + 8, 32);
		ph[32] = (uint8_t)(f->seg >> 24);
		ph[33] = (uint8_t)(f->seg >> 16);
		ph[34] = (uint8_t)(f->seg >> 8);
		ph[35] = (uint8_t)f->seg;
		ph[39] = 6;
		phl = 40;
	} else {
		memcpy(ph, f->b + f->l3 + 12, 8);
		ph[9] = 6;
		ph[10] = (uint8_t)(f->seg >> 8);
		ph[11] = (uint8_t)f->seg;
		phl = 12;
	}
	return ref_fold(ref_sum(f->b + f->l4, f->seg, ref_sum(ph, phl, 0)));
}

static void
ref_set_checksum(struct frame *f, int v6)
{
	uint16_t c;

	f->b[f->l4 + 16] = 0;
	f->b[f->l4 + 17] = 0;
	c = (uint16_t)~ref_tcp_sum(f, v6);
	f->b[f->l4 + 16] = (uint8_t)(c >> 8);
	f->b[f->l4 + 17] = (uint8_t)c;
}

/* ---- Frame builder ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
build_l2(const struct spec *s, uint8_t *b)
{
	uint16_t type = s->v6 ? 0x86dd : 0x0800;
	uint32_t off = 0;
	int i;

	switch (s->l2) {
	case MPN_L2_ETHER:
		memset(b, 0x02, 6);
		memset(b + 6, 0x04, 6);
		off = 12;
		break;
	case MPN_L2_SLL:
		put16(b, 0);            /* packet type: to us */
		put16(b + 2, 1);        /* ARPHRD_ETHER */
		put16(b + 4, 6);
		memset(b + 6, 0x04, 6);
		off = 14;
		break;
	case MPN_L2_SLL2:
		off = 0;
		break;
	case MPN_L2_RAW:
		return 0;
	}
	for (i = 0; i < s->vlans; i++) {
		put16(b + off, s->tpid[i] ? s->tpid[i] : 0x8100);
		put16(b + off + 2, (uint16_t)(0x100 + i));   /* TCI */
		off += 4;
	}
	put16(b + off, type);
	off += 2;
	if (s->l2 == MPN_L2_SLL2) {
		/* Protocol came first; then reserved, ifindex, hatype, pkttype, halen, addr. */
		memset(b + off, 0, 18);
		put16(b + off + 6, 1);
		b[off + 9] = 6;
		off += 18;
	}
	return off;
}

static void
build(const struct spec *s, struct frame *f)
{
	size_t ohl = (s->olen + 3) & ~(size_t)3, i;
	uint8_t proto = s->proto ? s->proto : NH_TCP;
	uint32_t off, l3len;
	uint8_t *ip, *t;
	int e;

	memset(f, 0, sizeof(*f));
	f->l3 = build_l2(s, f->b);
	ip = f->b + f->l3;
	f->thl = (uint32_t)(20 + ohl);
	f->seg = (uint32_t)(f->thl + s->payload);

	if (s->v6) {
		ip[0] = 0x60;
		ip[1] = 0x20;               /* traffic class 0x02 */
		ip[7] = 57;
		ip[8] = 0x20; ip[9] = 0x01; ip[10] = 0x0d; ip[11] = 0xb8; ip[23] = 1;
		ip[24] = 0x20; ip[25] = 0x01; ip[26] = 0x0d; ip[27] = 0xb8; ip[39] = 2;
		off = f->l3 + 40;
		for (e = 0; e < s->n_ext; e++) {
			uint8_t *x = f->b + off;
			uint8_t next = e + 1 < s->n_ext ? s->ext[e + 1] : proto;
			uint32_t elen;

			if (e == 0)
				ip[6] = s->ext[0];
			x[0] = next;
			if (s->ext[e] == NH_FRAG) {
				put16(x + 2, s->ext_frag[e]);
				x[4] = 0xde; x[5] = 0xad; x[6] = 0xbe; x[7] = 0xef;
				elen = 8;
			} else {
				x[1] = s->ext_len8[e];
				elen = (uint32_t)(s->ext_len8[e] + 1) * 8;
				if (s->ext[e] == NH_ROUTING) {
					x[2] = 4;
					x[3] = s->ext_segs_left[e];
				} else {
					/* A PadN option filling the header (RFC 8200 §4.2). */
					x[2] = 1;
					x[3] = (uint8_t)(elen - 4);
				}
			}
			off += elen;
		}
		if (s->n_ext == 0)
			ip[6] = proto;
		f->l4 = off;
		put16(ip + 4, (uint16_t)(off - f->l3 - 40 + f->seg));
		l3len = off - f->l3 + f->seg;
	} else {
		uint32_t ihl = 20 + s->ip_opt_len;

		ip[0] = (uint8_t)(0x40 | (ihl / 4));
		ip[1] = 0x10;
		put16(ip + 2, (uint16_t)(ihl + f->seg));
		ip[4] = 0x12; ip[5] = 0x34;
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = proto;
		ip[12] = 10; ip[13] = 0; ip[14] = 1; ip[15] = 1;
		ip[16] = 10; ip[17] = 0; ip[18] = 2; ip[19] = 1;
		/* IPv4 options: NOPs, then EOL at the end (RFC 791 §3.1). */
		memset(ip + 20, 1, s->ip_opt_len);
		if (s->ip_opt_len)
			ip[ihl - 1] = 0;
		f->l4 = f->l3 + ihl;
		l3len = ihl + f->seg;
	}
	t = f->b + f->l4;
	put16(t, 50000);
	put16(t + 2, 443);
	t[4] = 0x11; t[5] = 0x22; t[6] = 0x33; t[7] = 0x44;
	t[8] = 0x55; t[9] = 0x66; t[10] = 0x77; t[11] = 0x88;
	t[12] = (uint8_t)((f->thl / 4) << 4);
	t[13] = s->flags ? s->flags : TH_ACK;
	put16(t + 14, 0xfaf0);
	put16(t + 18, 0);
	if (s->olen)
		memcpy(t + 20, s->opts, s->olen);
	for (i = 0; i < s->payload; i++)
		t[f->thl + i] = (uint8_t)(i * 7 + 3);
	f->len = f->l3 + l3len;
	ref_set_checksum(f, s->v6);
	for (i = 0; i < s->l2_pad; i++)
		f->b[f->len++] = 0xaa;
}

/* Options of a Linux MPTCP v1 SYN. */
static const uint8_t syn_opts[] = {
	2, 4, 0x05, 0xb4,
	4, 2,
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
	1,
	3, 3, 7,
	30, 4, 0x01, 0x81,
};

static enum mpn_pkt_status
parse(const struct spec *s, const struct frame *f, struct mpn_pkt *p)
{
	return mpn_pkt_parse(f->b, f->len, s->l2, p);
}

/* The fields every complete TCP parse must get right. */
static void
assert_tcp_fields(const struct spec *s, const struct frame *f, const struct mpn_pkt *p)
{
	assert_int_equal(p->l3_off, f->l3);
	assert_int_equal(p->l4_off, f->l4);
	assert_int_equal(p->tcp_hdr_len, f->thl);
	assert_int_equal(p->wire_l4_len, f->seg);
	assert_int_equal(p->payload_off, f->l4 + f->thl);
	assert_int_equal(p->payload_len, s->payload);
	assert_int_equal(p->ip_version, s->v6 ? 6 : 4);
	assert_int_equal(p->l4_proto, 6);
	assert_int_equal(p->sport, 50000);
	assert_int_equal(p->dport, 443);
	assert_int_equal(p->seq, 0x11223344);
	assert_int_equal(p->ack, 0x55667788);
	assert_int_equal(p->window, 0xfaf0);
	assert_int_equal(p->tcp_flags, s->flags ? s->flags : TH_ACK);
	assert_int_equal(p->vlan_depth, s->vlans);
	if (s->v6) {
		assert_int_equal(p->src_addr_off, f->l3 + 8);
		assert_int_equal(p->dst_addr_off, f->l3 + 24);
		assert_int_equal(p->ttl_or_hlim, 57);
		assert_int_equal(p->tos_or_tclass, 0x02);
	} else {
		assert_int_equal(p->src_addr_off, f->l3 + 12);
		assert_int_equal(p->dst_addr_off, f->l3 + 16);
		assert_int_equal(p->ttl_or_hlim, 64);
		assert_int_equal(p->tos_or_tclass, 0x10);
	}
}

/* Parse as TCP, check the fields, and check the checksum both ways. */
static void
assert_good_tcp(const struct spec *s, const struct frame *f)
{
	struct mpn_pkt p;
	struct frame g = *f;

	assert_int_equal(parse(s, f, &p), MPN_PKT_TCP);
	assert_tcp_fields(s, f, &p);
	assert_false(p.snap_truncated);
	assert_int_equal(p.payload_caplen, s->payload);
	assert_true(mpn_tcp_checksum_complete(&p, f->len));
	assert_true(mpn_tcp_checksum_ok(f->b, &p));
	assert_int_equal(mpn_tcp_checksum_compute(f->b, &p),
		(f->b[f->l4 + 16] << 8) | f->b[f->l4 + 17]);
	/* A single flipped payload or header bit must be caught. */
	g.b[f->l4 + 4] ^= 0x01;
	assert_false(mpn_tcp_checksum_ok(g.b, &p));
	/* And set() must put the reference value back. */
	assert_int_equal(mpn_tcp_checksum_set(g.b, &p), 0);
	assert_int_equal(ref_tcp_sum(&g, s->v6), 0xffff);
}

/* ---- Link layers ---- */

static void
test_ether_ipv4(void **state)
{
	struct spec s = { .opts = syn_opts, .olen = sizeof(syn_opts), .payload = 33,
		.flags = TH_SYN };
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(f.l3, 14);
	assert_good_tcp(&s, &f);
}

static void
test_ether_ipv6(void **state)
{
	struct spec s = { .v6 = 1, .opts = syn_opts, .olen = sizeof(syn_opts), .payload = 10 };
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_good_tcp(&s, &f);
}

static void
test_vlan_8021q(void **state)
{
	struct spec s = { .vlans = 1, .payload = 5 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(f.l3, 18);
	assert_good_tcp(&s, &f);
	parse(&s, &f, &p);
	assert_int_equal(p.vlan_tci[0], 0x100);
	assert_int_equal(p.ether_type, 0x0800);
}

static void
test_qinq(void **state)
{
	struct spec s = { .vlans = 2, .tpid = { 0x88a8, 0x8100 }, .v6 = 1, .payload = 7 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(f.l3, 22);
	assert_good_tcp(&s, &f);
	parse(&s, &f, &p);
	assert_int_equal(p.vlan_tci[0], 0x100);
	assert_int_equal(p.vlan_tci[1], 0x101);
	/* Pre-802.1ad double tagging with 0x8100 outside works the same. */
	s.tpid[0] = 0x8100;
	build(&s, &f);
	assert_good_tcp(&s, &f);
}

/* Decision: a third tag is BAD_L2, not skipped: the bound keeps the loop finite. */
static void
test_vlan_too_deep(void **state)
{
	struct spec s = { .vlans = 3, .tpid = { 0x88a8, 0x8100, 0x8100 } };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L2);
	assert_int_equal(p.vlan_depth, 2);
}

static void
test_sll_and_sll2(void **state)
{
	struct spec s = { .l2 = MPN_L2_SLL, .opts = syn_opts, .olen = sizeof(syn_opts) };
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(f.l3, 16);
	assert_good_tcp(&s, &f);
	s.v6 = 1;
	build(&s, &f);
	assert_good_tcp(&s, &f);
	/* Tags the NIC did not strip can show up in cooked captures too. */
	s.vlans = 1;
	build(&s, &f);
	assert_int_equal(f.l3, 20);
	assert_good_tcp(&s, &f);

	s = (struct spec){ .l2 = MPN_L2_SLL2, .payload = 4 };
	build(&s, &f);
	assert_int_equal(f.l3, 20);
	assert_good_tcp(&s, &f);
	s.v6 = 1;
	build(&s, &f);
	assert_good_tcp(&s, &f);
}

static void
test_raw_ip(void **state)
{
	struct spec s = { .l2 = MPN_L2_RAW, .payload = 1 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(f.l3, 0);
	assert_good_tcp(&s, &f);
	s.v6 = 1;
	build(&s, &f);
	assert_good_tcp(&s, &f);
	/* Neither 4 nor 6 in the first nibble. */
	f.b[0] = 0x50;
	assert_int_equal(mpn_pkt_parse(f.b, f.len, MPN_L2_RAW, &p), MPN_PKT_NOT_IP);
	assert_int_equal(mpn_pkt_parse(f.b, 0, MPN_L2_RAW, &p), MPN_PKT_TRUNCATED);
	assert_int_equal(mpn_pkt_parse(NULL, 0, MPN_L2_RAW, &p), MPN_PKT_TRUNCATED);
}

static void
test_not_ip(void **state)
{
	struct spec s = { 0 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	f.b[12] = 0x08; f.b[13] = 0x06;     /* ARP */
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_NOT_IP);
	assert_int_equal(p.ether_type, 0x0806);
	f.b[12] = 0x00; f.b[13] = 0x2e;     /* an 802.3 length field */
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_NOT_IP);
	/* The EtherType says IPv4, the header says 6: malformed, not guessed. */
	build(&s, &f);
	f.b[14] = 0x65;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);
	s.v6 = 1;
	build(&s, &f);
	f.b[14] = 0x45;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);
	/* UDP is IP but not TCP. */
	s = (struct spec){ .proto = NH_UDP };
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_NOT_TCP);
	assert_int_equal(p.l4_proto, NH_UDP);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(mpn_pkt_parse(f.b, f.len, (enum mpn_l2_type)99, &p), MPN_PKT_NOT_IP);
}

/* ---- IPv4 ---- */

static void
test_ipv4_options(void **state)
{
	struct spec s = { .payload = 9 };
	struct frame f;
	uint8_t o;

	(void)state;
	for (o = 4; o <= 40; o += 4) {
		s.ip_opt_len = o;
		build(&s, &f);
		assert_int_equal(f.l4, 14 + 20 + o);
		assert_good_tcp(&s, &f);
	}
}

/* Decision: IHL < 5 and total length < IHL are BAD_L3 whatever caplen is. */
static void
test_ipv4_bad_ihl(void **state)
{
	struct spec s = { .ip_opt_len = 8 };
	struct mpn_pkt p;
	struct frame f;
	uint8_t ihl;

	(void)state;
	build(&s, &f);
	for (ihl = 0; ihl < 5; ihl++) {
		f.b[14] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);
	}
	build(&s, &f);
	put16(f.b + 16, 27);                /* total length below IHL (28) */
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);
	put16(f.b + 16, 0);                 /* a TSO capture */
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);
	/* IHL 15 with only the fixed header captured: truncated. */
	build(&s, &f);
	f.b[14] = 0x4f;
	put16(f.b + 16, 100);
	assert_int_equal(mpn_pkt_parse(f.b, 14 + 40, MPN_L2_ETHER, &p), MPN_PKT_TRUNCATED);
}

/* Decision: bytes past the IP total length are Ethernet padding, ignored. */
static void
test_ipv4_ether_padding(void **state)
{
	struct spec s = { .payload = 2, .l2_pad = 4 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(f.len, 14 + 20 + 20 + 2 + 4);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_TCP);
	assert_int_equal(p.payload_len, 2);
	assert_int_equal(p.payload_caplen, 2);
	assert_false(p.snap_truncated);
	assert_true(mpn_tcp_checksum_ok(f.b, &p));
	/* Same for IPv6. */
	s.v6 = 1;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_TCP);
	assert_int_equal(p.payload_len, 2);
	assert_true(mpn_tcp_checksum_ok(f.b, &p));
}

/*
 * Decisions: a non-first fragment is FRAGMENT and its "TCP header" is
 * never read (options on a non-first fragment are payload bytes); a first
 * fragment with MF is parsed, flagged, and its checksum is not checkable.
 */
static void
test_ipv4_fragments(void **state)
{
	struct spec s = { .opts = syn_opts, .olen = sizeof(syn_opts), .payload = 100,
		.frag = 0x2000 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_TCP);
	assert_tcp_fields(&s, &f, &p);
	assert_true(p.is_fragment);
	assert_int_equal(p.frag_off, 0);
	assert_false(mpn_tcp_checksum_complete(&p, f.len));
	assert_false(mpn_tcp_checksum_ok(f.b, &p));
	assert_int_equal(mpn_tcp_checksum_compute(f.b, &p), 0);

	/* Non-first, with a nonsense data offset where a TCP header would be. */
	s.frag = 185;
	build(&s, &f);
	f.b[f.l4 + 12] = 0x10;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_FRAGMENT);
	assert_true(p.is_fragment);
	assert_int_equal(p.frag_off, 185);
	assert_int_equal(p.l4_off, f.l4);
	assert_int_equal(p.tcp_hdr_len, 0);
	assert_int_equal(p.sport, 0);
	/* Last fragment (MF clear) and RFC 1858's offset 1 alike. */
	s.frag = 1;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_FRAGMENT);
	assert_int_equal(p.frag_off, 1);
	/* A non-first fragment of UDP is just not TCP. */
	s.proto = NH_UDP;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_NOT_TCP);
	/* DF alone is no fragment. */
	s = (struct spec){ .frag = 0x4000, .payload = 3 };
	build(&s, &f);
	assert_good_tcp(&s, &f);
	parse(&s, &f, &p);
	assert_false(p.is_fragment);
}

/* RFC 1858 tiny fragment: the first fragment ends inside the TCP header. */
static void
test_ipv4_tiny_first_fragment(void **state)
{
	struct spec s = { .opts = syn_opts, .olen = sizeof(syn_opts), .frag = 0x2000 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	put16(f.b + 16, 20 + 24);           /* only 24 of the 44 header bytes */
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
	put16(f.b + 16, 20 + 8);            /* not even the fixed header */
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
}

/* ---- IPv6 ---- */

static void
add_ext(struct spec *s, uint8_t type, uint8_t len8)
{
	s->ext[s->n_ext] = type;
	s->ext_len8[s->n_ext] = len8;
	s->n_ext++;
}

static void
test_ipv6_each_ext_header(void **state)
{
	static const uint8_t types[] = { NH_HOP, NH_ROUTING, NH_DST, NH_FRAG };
	struct mpn_pkt p;
	struct frame f;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		struct spec s = { .v6 = 1, .opts = syn_opts, .olen = sizeof(syn_opts),
			.payload = 21 };

		add_ext(&s, types[i], (uint8_t)i);
		build(&s, &f);
		assert_good_tcp(&s, &f);
		parse(&s, &f, &p);
		assert_int_equal(p.n_ext_hdrs, 1);
		/* An atomic fragment (offset 0, M clear; RFC 6946) is no fragment. */
		assert_false(p.is_fragment);
	}
}

static void
test_ipv6_full_chain(void **state)
{
	struct spec s = { .v6 = 1, .payload = 3 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	/* RFC 8200 §4.1 order: HBH, DST, RH, FRAG, DST. */
	add_ext(&s, NH_HOP, 0);
	add_ext(&s, NH_DST, 2);
	add_ext(&s, NH_ROUTING, 1);
	add_ext(&s, NH_FRAG, 0);
	add_ext(&s, NH_DST, 0);
	build(&s, &f);
	assert_int_equal(f.l4, 14 + 40 + 8 + 24 + 16 + 8 + 8);
	assert_good_tcp(&s, &f);
	parse(&s, &f, &p);
	assert_int_equal(p.n_ext_hdrs, 5);
	assert_int_equal(p.rh_segs_left, 0);

	/* Eight is the bound, and is accepted... */
	s = (struct spec){ .v6 = 1 };
	while (s.n_ext < MPN_PKT_MAX_EXT_HDRS)
		add_ext(&s, NH_DST, 0);
	build(&s, &f);
	assert_good_tcp(&s, &f);
	/* ...nine is BAD_L3. */
	add_ext(&s, NH_DST, 0);
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);
}

/*
 * Decision: with segments left, the TCP header is parsed but the checksum
 * is left unverified (the final destination is in the routing header).
 */
static void
test_ipv6_routing_segments_left(void **state)
{
	struct spec s = { .v6 = 1, .payload = 8 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	add_ext(&s, NH_ROUTING, 2);
	s.ext_segs_left[0] = 1;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_TCP);
	assert_tcp_fields(&s, &f, &p);
	assert_int_equal(p.rh_segs_left, 1);
	assert_false(mpn_tcp_checksum_complete(&p, f.len));
	assert_false(mpn_tcp_checksum_ok(f.b, &p));
}

static void
test_ipv6_fragments(void **state)
{
	struct spec s = { .v6 = 1, .opts = syn_opts, .olen = sizeof(syn_opts), .payload = 64 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	/* First fragment: offset 0, M set. */
	add_ext(&s, NH_FRAG, 0);
	s.ext_frag[0] = 0x0001;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_TCP);
	assert_tcp_fields(&s, &f, &p);
	assert_true(p.is_fragment);
	assert_false(mpn_tcp_checksum_complete(&p, f.len));

	/* Non-first: offset 100 (x8), whatever follows is not read. */
	s.ext_frag[0] = (uint16_t)(100 << 3);
	build(&s, &f);
	f.b[f.l4 + 12] = 0x00;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_FRAGMENT);
	assert_true(p.is_fragment);
	assert_int_equal(p.frag_off, 100);
	assert_int_equal(p.l4_proto, NH_TCP);
	assert_int_equal(p.l4_off, f.l4);
	assert_int_equal(p.tcp_hdr_len, 0);

	/* Non-first, next header a destination header: may still be TCP. */
	s = (struct spec){ .v6 = 1 };
	add_ext(&s, NH_FRAG, 0);
	add_ext(&s, NH_DST, 0);
	s.ext_frag[0] = (uint16_t)(8 << 3) | 1;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_FRAGMENT);

	/* Non-first fragment of UDP. */
	s = (struct spec){ .v6 = 1, .proto = NH_UDP };
	add_ext(&s, NH_FRAG, 0);
	s.ext_frag[0] = (uint16_t)(8 << 3);
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_NOT_TCP);
	assert_int_equal(p.l4_proto, NH_UDP);

	/* Two fragment headers: RFC 8200 §4.1 allows one. */
	s = (struct spec){ .v6 = 1 };
	add_ext(&s, NH_FRAG, 0);
	add_ext(&s, NH_FRAG, 0);
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);

	/* RFC 7112: the first fragment must hold the TCP header. */
	s = (struct spec){ .v6 = 1, .opts = syn_opts, .olen = sizeof(syn_opts) };
	add_ext(&s, NH_FRAG, 0);
	s.ext_frag[0] = 1;
	build(&s, &f);
	put16(f.b + 14 + 4, 8 + 30);        /* 30 of 44 TCP header bytes */
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
}

static void
test_ipv6_bad_chain(void **state)
{
	struct spec s = { .v6 = 1 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	/* Hop-by-hop must come first (RFC 8200 §4.3). */
	add_ext(&s, NH_DST, 0);
	add_ext(&s, NH_HOP, 0);
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);

	/* An extension header longer than the payload length says. */
	s = (struct spec){ .v6 = 1 };
	add_ext(&s, NH_DST, 1);
	build(&s, &f);
	put16(f.b + 14 + 4, 12);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);
	put16(f.b + 14 + 4, 4);             /* not even its first 8 bytes */
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);

	/* Jumbogram: payload length 0 with a hop-by-hop header (RFC 2675). */
	s = (struct spec){ .v6 = 1 };
	add_ext(&s, NH_HOP, 0);
	build(&s, &f);
	put16(f.b + 14 + 4, 0);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_L3);

	/* Payload length too small for the TCP header. */
	s = (struct spec){ .v6 = 1 };
	build(&s, &f);
	put16(f.b + 14 + 4, 19);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);

	/* ESP and No Next Header end the walk: not TCP. */
	s = (struct spec){ .v6 = 1, .proto = NH_ESP };
	add_ext(&s, NH_DST, 0);
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_NOT_TCP);
	assert_int_equal(p.l4_proto, NH_ESP);
	assert_int_equal(p.n_ext_hdrs, 1);
	s.proto = NH_NONE;
	build(&s, &f);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_NOT_TCP);
}

/* ---- Truncation and the TCP header ---- */

/*
 * Every caplen from 0 to the full frame: TRUNCATED until the last option
 * byte is present, then TCP with the payload counted as present.
 */
static void
sweep_truncation(const struct spec *s)
{
	struct mpn_pkt p;
	struct frame f;
	uint32_t n, hdr_end;
	enum mpn_pkt_status st;

	build(s, &f);
	hdr_end = f.l4 + f.thl;
	for (n = 0; n <= f.len; n++) {
		st = mpn_pkt_parse(f.b, n, s->l2, &p);
		if (n < hdr_end) {
			assert_int_equal(st, MPN_PKT_TRUNCATED);
			continue;
		}
		assert_int_equal(st, MPN_PKT_TCP);
		assert_int_equal(p.payload_len, s->payload);
		assert_int_equal(p.payload_caplen, n - hdr_end);
		assert_int_equal(p.snap_truncated, n < f.len);
		assert_int_equal(mpn_tcp_checksum_complete(&p, n), n == f.len);
		assert_int_equal(mpn_tcp_checksum_ok(f.b, &p), n == f.len);
	}
}

static void
test_truncated_every_layer(void **state)
{
	struct spec s = { .vlans = 2, .ip_opt_len = 12, .opts = syn_opts,
		.olen = sizeof(syn_opts), .payload = 17 };
	struct spec s6 = { .v6 = 1, .opts = syn_opts, .olen = sizeof(syn_opts), .payload = 5 };
	struct spec sll = { .l2 = MPN_L2_SLL2, .payload = 1 };
	struct spec raw = { .l2 = MPN_L2_RAW, .v6 = 1, .payload = 2 };

	(void)state;
	sweep_truncation(&s);
	add_ext(&s6, NH_HOP, 1);
	add_ext(&s6, NH_ROUTING, 0);
	add_ext(&s6, NH_FRAG, 0);
	sweep_truncation(&s6);
	sweep_truncation(&sll);
	sweep_truncation(&raw);
}

/* Decision: data offset < 5 or past the segment is BAD_TCP_HDRLEN, even with bytes to spare. */
static void
test_bad_data_offset(void **state)
{
	struct spec s = { .payload = 8 };
	struct mpn_pkt p;
	struct frame f;
	uint8_t d;

	(void)state;
	build(&s, &f);
	for (d = 0; d < 5; d++) {
		f.b[f.l4 + 12] = (uint8_t)(d << 4);
		assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
	}
	/* Segment of 28 bytes; a data offset of 8 (32) overruns it. */
	f.b[f.l4 + 12] = 8 << 4;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
	/* 7 (28 bytes) fits exactly: the 8 payload bytes become options. */
	f.b[f.l4 + 12] = 7 << 4;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_TCP);
	assert_int_equal(p.payload_len, 0);
	/* Ethernet padding does not make room for a longer header. */
	s = (struct spec){ .l2_pad = 40 };
	build(&s, &f);
	f.b[f.l4 + 12] = 15 << 4;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
	/* Same on IPv6. */
	s = (struct spec){ .v6 = 1 };
	build(&s, &f);
	f.b[f.l4 + 12] = 6 << 4;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
	f.b[f.l4 + 12] = 4 << 4;
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
	/* An IPv4 segment shorter than 20 bytes. */
	s = (struct spec){ .payload = 0 };
	build(&s, &f);
	put16(f.b + 16, 20 + 19);
	assert_int_equal(parse(&s, &f, &p), MPN_PKT_BAD_TCP_HDRLEN);
}

/* Captures with snaplen 256: headers complete, payload cut. */
static void
test_snap_truncated_payload(void **state)
{
	struct spec s = { .opts = syn_opts, .olen = sizeof(syn_opts), .payload = 1400 };
	struct mpn_pkt p;
	struct frame f;

	(void)state;
	build(&s, &f);
	assert_int_equal(mpn_pkt_parse(f.b, 256, MPN_L2_ETHER, &p), MPN_PKT_TCP);
	assert_tcp_fields(&s, &f, &p);
	assert_int_equal(p.payload_len, 1400);
	assert_int_equal(p.payload_caplen, 256 - (14 + 20 + 44));
	assert_true(p.snap_truncated);
	assert_int_equal(p.caplen, 256);
	assert_false(mpn_tcp_checksum_complete(&p, 256));
	assert_false(mpn_tcp_checksum_ok(f.b, &p));
	assert_int_equal(mpn_tcp_checksum_compute(f.b, &p), 0);
	assert_int_equal(mpn_tcp_checksum_set(f.b, &p), -EINVAL);
	/* A caller claiming more than the parse saw does not change that. */
	assert_false(mpn_tcp_checksum_complete(&p, f.len));
}

/* ---- Checksums ---- */

/* RFC 1071 §3's example and RFC 1624 §4's -0 corner. */
static void
test_cksum_vectors(void **state)
{
	static const uint8_t rfc1071[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t m[] = { 0x55, 0x55 }, m2[] = { 0x32, 0x85 };
	uint8_t buf[9];
	uint32_t s;

	(void)state;
	assert_int_equal(mpn_cksum_partial(rfc1071, sizeof(rfc1071), 0), 0xddf2);
	/* Chaining on an even boundary gives the same sum. */
	s = mpn_cksum_partial(rfc1071, 4, 0);
	assert_int_equal(mpn_cksum_partial(rfc1071 + 4, 4, s), 0xddf2);
	/* An odd tail is padded with zero. */
	memcpy(buf, rfc1071, 8);
	buf[8] = 0x12;
	assert_int_equal(mpn_cksum_partial(buf, 9, 0), mpn_cksum_fold(0xddf2 + 0x1200));
	assert_int_equal(mpn_cksum_fold(0x1fffe), 0xffff);
	assert_int_equal(mpn_cksum_fold(0xffffffff), 0xffff);
	assert_int_equal(mpn_cksum_fold(0), 0);
	/* RFC 1624 §4: eqn. 3 gives 0x0000 where eqn. 2 gives 0xffff. */
	assert_int_equal(mpn_cksum_update(0xdd2f, m, m2, 2, false), 0x0000);
	/* The same change seen as two low bytes of adjacent words. */
	assert_int_equal(mpn_cksum_update(0xdd2f, m, m2, 2, true),
		(uint16_t)~ref_fold((uint16_t)~0xdd2f + 0xaaaa + 0x8532));
	/* No change, no effect. */
	assert_int_equal(mpn_cksum_update(0x1234, m, m, 2, true), 0x1234);
}

/*
 * The first packet of tcpdump's mptcp-v0.pcap (the-tcpdump-group/tcpdump,
 * BSD licence): an MPTCP v0 SYN on Ethernet, checksum 0xda99 and valid.
 */
static const uint8_t real_v0_syn[] = {
	0x16, 0x51, 0x53, 0x04, 0x3f, 0x55, 0xf2, 0x8c, 0xf5, 0x24, 0x1b, 0x21,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x48, 0x32, 0xe9, 0x40, 0x00, 0x40, 0x06,
	0xf1, 0xc0, 0x0a, 0x02, 0x01, 0x02, 0x0a, 0x01, 0x01, 0x02, 0x8c, 0x79,
	0x00, 0x16, 0xad, 0x98, 0x93, 0x59, 0x00, 0x00, 0x00, 0x00, 0xd0, 0x02,
	0x39, 0x08, 0xda, 0x99, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
	0x08, 0x0a, 0xff, 0xff, 0xa1, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x03, 0x06, 0x1e, 0x0c, 0x00, 0x81, 0x9c, 0x9e, 0xab, 0xd1, 0xe4, 0x6a,
	0x33, 0xb2,
};

/* The first packet of tcpdump's mptcp-tcprst.pcap: raw IPv4, an RST with MP_TCPRST. */
static const uint8_t real_tcprst[] = {
	0x45, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0xed, 0x05,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0xa8, 0x4c, 0x1c, 0xd9, 0xbb, 0x1f, 0x90,
	0x00, 0x00, 0x00, 0x01, 0x81, 0xbd, 0xc2, 0x86, 0x60, 0x14, 0x01, 0x00,
	0xf4, 0x70, 0x00, 0x00, 0x1e, 0x04, 0x80, 0x00,
};

/*
 * The first packet of tcpdump's mptcp-v1.pcap: Linux cooked v1, an MPTCP
 * v1 SYN captured on the sending host with checksum offload, so the field
 * holds the pseudo-header sum (0x1734), not a checksum.
 */
static const uint8_t real_v1_syn_offload[] = {
	0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x32, 0x32, 0x87, 0xaa, 0x04, 0x02,
	0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x40, 0xad, 0x7f, 0x40, 0x00,
	0x40, 0x06, 0x76, 0x37, 0x0a, 0x00, 0x01, 0x01, 0x0a, 0x00, 0x02, 0x01,
	0x82, 0x1a, 0x27, 0x14, 0x81, 0xfb, 0xb5, 0xfd, 0x00, 0x00, 0x00, 0x00,
	0xb0, 0x02, 0xff, 0xff, 0x17, 0x34, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
	0x04, 0x02, 0x08, 0x0a, 0x1b, 0xaf, 0x9e, 0xa1, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x08, 0x1e, 0x04, 0x01, 0x01,
};

static void
test_checksum_real_packets(void **state)
{
	uint8_t b[sizeof(real_v0_syn)];
	struct mpn_pkt p;

	(void)state;
	assert_int_equal(mpn_pkt_parse(real_v0_syn, sizeof(real_v0_syn), MPN_L2_ETHER, &p),
		MPN_PKT_TCP);
	assert_int_equal(p.sport, 35961);
	assert_int_equal(p.dport, 22);
	assert_int_equal(p.seq, 0xad989359);
	assert_int_equal(p.tcp_hdr_len, 52);
	assert_int_equal(p.tcp_flags, TH_SYN);
	assert_int_equal(p.payload_len, 0);
	assert_true(mpn_tcp_checksum_ok(real_v0_syn, &p));
	assert_int_equal(mpn_tcp_checksum_compute(real_v0_syn, &p), 0xda99);
	memcpy(b, real_v0_syn, sizeof(b));
	b[sizeof(b) - 1] ^= 0x80;           /* one bit of the MPTCP key */
	assert_false(mpn_tcp_checksum_ok(b, &p));

	assert_int_equal(mpn_pkt_parse(real_tcprst, sizeof(real_tcprst), MPN_L2_RAW, &p),
		MPN_PKT_TCP);
	assert_int_equal(p.tcp_flags, 0x14);        /* RST|ACK */
	assert_int_equal(p.tcp_hdr_len, 24);
	assert_true(mpn_tcp_checksum_ok(real_tcprst, &p));
	assert_int_equal(mpn_tcp_checksum_compute(real_tcprst, &p), 0xf470);

	assert_int_equal(mpn_pkt_parse(real_v1_syn_offload, sizeof(real_v1_syn_offload),
		MPN_L2_SLL, &p), MPN_PKT_TCP);
	assert_int_equal(p.l3_off, 16);
	assert_int_equal(p.tcp_hdr_len, 44);
	assert_false(mpn_tcp_checksum_ok(real_v1_syn_offload, &p));
	/* What the offloading sender left is exactly our pseudo-header sum. */
	assert_int_equal(mpn_tcp_pseudo_header_sum(real_v1_syn_offload, &p), 0x1734);
}

/* Odd segment lengths, IPv6, and a checksum of 0x0000 vs 0xffff. */
static void
test_checksum_odd_and_v6(void **state)
{
	struct mpn_pkt p;
	struct frame f;
	size_t n;

	(void)state;
	for (n = 0; n < 40; n++) {
		struct spec s = { .v6 = (int)(n & 1), .payload = n * 3 };

		build(&s, &f);
		assert_good_tcp(&s, &f);
	}
	/*
	 * A field of 0xffff verifies where 0x0000 does (both are zero in one's
	 * complement) exactly when the rest sums to 0xffff.
	 */
	{
		struct spec s = { .payload = 2 };
		uint16_t c;

		build(&s, &f);
		parse(&s, &f, &p);
		c = mpn_tcp_checksum_compute(f.b, &p);
		/* Adjust the last two payload bytes so the checksum becomes 0. */
		{
			uint16_t w = (uint16_t)(f.b[f.len - 2] << 8 | f.b[f.len - 1]);
			uint16_t w2 = ref_fold((uint32_t)w + c);

			put16(f.b + f.len - 2, w2);
		}
		assert_int_equal(mpn_tcp_checksum_compute(f.b, &p), 0x0000);
		assert_int_equal(mpn_tcp_checksum_set(f.b, &p), 0);
		assert_true(mpn_tcp_checksum_ok(f.b, &p));
		put16(f.b + f.l4 + 16, 0xffff);
		assert_true(mpn_tcp_checksum_ok(f.b, &p));
	}
}

static void
test_status_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < MPN_PKT_STATUS_MAX; i++) {
		assert_string_not_equal(mpn_pkt_status_name((enum mpn_pkt_status)i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(mpn_pkt_status_name((enum mpn_pkt_status)i),
				mpn_pkt_status_name((enum mpn_pkt_status)j));
	}
	assert_string_equal(mpn_pkt_status_name(MPN_PKT_BAD_TCP_HDRLEN), "invalid-tcp-hdr-length");
	assert_string_equal(mpn_pkt_status_name(MPN_PKT_STATUS_MAX), "unknown");
	assert_string_equal(mpn_pkt_status_name((enum mpn_pkt_status)-1), "unknown");
}

/* ---- Real captures (pcaps/real) ---- */

struct capture_expect {
	const char *file;
	int l2;             /* expected link type */
	unsigned int total;
	unsigned int tcp;   /* parsed as MPN_PKT_TCP */
	unsigned int good;  /* checksum verifies (tshark 4.0 agrees) */
	unsigned int partial; /* snap-truncated: not checkable */
};

/*
 * Counts cross-checked with tshark 4.0 (tcp.check_checksum:TRUE). The
 * captures with no good checksum were taken on the sending host with
 * checksum offload; the linux/ ones have snap length 256.
 */
static const struct capture_expect captures[] = {
	{ "linux/capture-fail-fastclose.pcap", MPN_L2_ETHER, 3113, 3113, 1551, 1562 },
	{ "linux/capture-mid.pcap", MPN_L2_ETHER, 5337, 5337, 2392, 2945 },
	{ "ptcpdump/mptcp.pcap", MPN_L2_ETHER, 14, 14, 0, 0 },
	{ "tcpdump/mptcp-aa-echo.pcap", MPN_L2_SLL, 2, 2, 0, 0 },
	{ "tcpdump/mptcp-aa-v1.pcap", MPN_L2_ETHER, 24, 22, 0, 0 },
	/* Snap length 73 cuts the last byte of its 40-byte TCP header. */
	{ "tcpdump/mptcp-dss-oobr.pcap", MPN_L2_ETHER, 1, 0, 0, 0 },
	{ "tcpdump/mptcp-fclose.pcap", MPN_L2_ETHER, 11, 9, 9, 0 },
	{ "tcpdump/mptcp-tcprst.pcap", MPN_L2_RAW, 2, 2, 2, 0 },
	{ "tcpdump/mptcp-v0.pcap", MPN_L2_ETHER, 264, 264, 264, 0 },
	{ "tcpdump/mptcp-v1.pcap", MPN_L2_SLL, 20, 20, 0, 0 },
};

static int
l2_of(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: return MPN_L2_ETHER;
	case DLT_LINUX_SLL: return MPN_L2_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2: return MPN_L2_SLL2;
#endif
	case DLT_RAW: return MPN_L2_RAW;
	}
	return -1;
}

static void
test_real_captures(void **state)
{
	char errbuf[PCAP_ERRBUF_SIZE], path[512];
	unsigned int i;
	DIR *d;

	(void)state;
	d = opendir(MPN_PCAPS_DIR);
	if (d == NULL)
		fail_msg("%s: %s", MPN_PCAPS_DIR, strerror(errno));
	closedir(d);
	for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		const struct capture_expect *c = &captures[i];
		unsigned int total = 0, tcp = 0, good = 0, partial = 0;
		struct pcap_pkthdr *h;
		const u_char *data;
		struct mpn_pkt p;
		pcap_t *pc;
		int l2;

		snprintf(path, sizeof(path), "%s/%s", MPN_PCAPS_DIR, c->file);
		pc = pcap_open_offline(path, errbuf);
		if (pc == NULL)
			fail_msg("%s: %s", path, errbuf);
		l2 = l2_of(pcap_datalink(pc));
		assert_int_equal(l2, c->l2);
		while (pcap_next_ex(pc, &h, &data) == 1) {
			enum mpn_pkt_status st;

			total++;
			st = mpn_pkt_parse(data, h->caplen, (enum mpn_l2_type)l2, &p);
			if (st != MPN_PKT_TCP)
				continue;
			tcp++;
			if (!mpn_tcp_checksum_complete(&p, h->caplen)) {
				partial++;
				assert_true(p.snap_truncated);
				assert_true(h->caplen < h->len);
				continue;
			}
			if (mpn_tcp_checksum_ok(data, &p))
				good++;
		}
		pcap_close(pc);
		print_message("%-36s %5u frames %5u tcp %5u good %5u partial\n", c->file,
			total, tcp, good, partial);
		assert_int_equal(total, c->total);
		assert_int_equal(tcp, c->tcp);
		assert_int_equal(good, c->good);
		assert_int_equal(partial, c->partial);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ether_ipv4),
		cmocka_unit_test(test_ether_ipv6),
		cmocka_unit_test(test_vlan_8021q),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_vlan_too_deep),
		cmocka_unit_test(test_sll_and_sll2),
		cmocka_unit_test(test_raw_ip),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad_ihl),
		cmocka_unit_test(test_ipv4_ether_padding),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv4_tiny_first_fragment),
		cmocka_unit_test(test_ipv6_each_ext_header),
		cmocka_unit_test(test_ipv6_full_chain),
		cmocka_unit_test(test_ipv6_routing_segments_left),
		cmocka_unit_test(test_ipv6_fragments),
		cmocka_unit_test(test_ipv6_bad_chain),
		cmocka_unit_test(test_truncated_every_layer),
		cmocka_unit_test(test_bad_data_offset),
		cmocka_unit_test(test_snap_truncated_payload),
		cmocka_unit_test(test_cksum_vectors),
		cmocka_unit_test(test_checksum_real_packets),
		cmocka_unit_test(test_checksum_odd_and_v6),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_real_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
