/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for in-place rewriting and the incremental checksum:
 * build a TCP segment from the input, give it a correct checksum, then
 * apply a sequence of NOP-fills and byte rewrites chosen by the input. After
 * each one the checksum patched by RFC 1624 must equal a full recompute,
 * exactly: eqn. 3 never yields 0xffff where a recompute yields 0x0000.
 *
 * This reaches what the packet harness rarely does: rewrites at every odd
 * and even offset and length, ranges that touch the checksum field or run
 * past the header (which must be refused and leave the header alone), a
 * source that aliases the header, IPv6's 32-bit pseudo-header length, and
 * odd payload lengths.
 *
 * Input, read front to back (missing bytes read as zero):
 *   1   a header length for mpn_tcpopt_walk()'s argument checks (% 64)
 *   1   bit 0: IPv6; bits 1-3: IPv4 option words (IHL 5..12)
 *   1   TCP data offset, 5 + (b % 11)
 *   1   payload length (at least enough to put 60 bytes after the TCP
 *       header start, so every write inside the 60-byte limit lands in
 *       the checksummed segment)
 *   32  source and destination addresses (IPv4 uses the first 4 of each)
 *   28  IPv4 option bytes
 *   60  TCP header bytes (byte 12's high nibble is replaced by the offset)
 *   n   payload bytes
 *   then operations, 3 bytes each plus their data: type, offset, length
 *
 * Build and run (needs clang):
 *   CC=clang meson setup build-fuzz -Dfuzz=enabled && ninja -C build-fuzz && \
 *       ./build-fuzz/test/fuzz/fuzz_cksum test/fuzz/corpus/cksum
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cksum.h"
#include "fuzz_common.h"
#include "pkt.h"
#include "tcpopt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Hard bound on the operations of one input: every loop here has one. */
#define MAX_OPS 32

enum op_type {
	OP_NOP_FILL,      /* mpn_tcpopt_nop_fill() */
	OP_REWRITE,       /* mpn_tcp_rewrite_bytes() with bytes from the input */
	OP_REWRITE_ALIAS, /* the same with a source inside the header */
	OP_UPDATE,        /* mpn_cksum_update() alone, on input bytes */
	OP_MAX,
};

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t
take(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static void
take_bytes(struct input *in, uint8_t *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = take(in);
}

/*
 * Sum bytes whose first one sits at an odd position when @p odd, i.e. is
 * the low byte of its 16-bit word. Written as a shift of the sum instead of
 * per-byte placement (as cksum.c does it), so that the two disagree if one
 * is wrong.
 */
static uint16_t
sum_positioned(const uint8_t *b, size_t len, bool odd)
{
	uint8_t tmp[MPN_TCP_HDR_MAX + 2];

	FUZZ_CHECK(len <= MPN_TCP_HDR_MAX);
	tmp[0] = 0;
	memcpy(tmp + (odd ? 1 : 0), b, len);
	return fuzz_fold(fuzz_sum16(tmp, len + (odd ? 1 : 0), 0));
}

/* mpn_cksum_partial() and mpn_cksum_fold() against the oracle, chained too. */
static void
check_partial(const uint8_t *data, size_t size)
{
	uint32_t start = 0, a;
	size_t half = (size / 2) & ~(size_t)1;

	if (size >= 4)
		start = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
			(uint32_t)data[2] << 8 | data[3];
	FUZZ_CHECK(mpn_cksum_fold(start) == fuzz_fold(start));
	a = mpn_cksum_partial(data, size, 0);
	FUZZ_CHECK(a == fuzz_fold(fuzz_sum16(data, size, 0)));
	FUZZ_CHECK(mpn_cksum_partial(data, size, start) ==
		fuzz_fold(fuzz_sum16(data, size, start)));
	/* Chaining at an even split gives the same sum as one call. */
	FUZZ_CHECK(mpn_cksum_partial(data + half, size - half,
		mpn_cksum_partial(data, half, 0)) == a);
}

/* The walker refuses every impossible header length, and says so in n. */
static void
check_walk_lengths(struct input *in)
{
	uint8_t hdr[64];
	struct mpn_tcpopt_list l;
	uint16_t len = take(in) % sizeof(hdr);
	bool valid = len >= MPN_TCP_HDR_MIN && len <= MPN_TCP_HDR_MAX && len % 4 == 0;
	int rc;

	memset(hdr, MPN_TCPOPT_KIND_NOP, sizeof(hdr));
	rc = mpn_tcpopt_walk(hdr, len, &l);
	FUZZ_CHECK(valid ? rc == 0 : rc == -EINVAL);
	FUZZ_CHECK(valid ? l.n == len - MPN_TCP_HDR_MIN : l.n == 0);
	FUZZ_CHECK(mpn_tcpopt_walk(hdr, MPN_TCP_HDR_MIN, NULL) == -EINVAL);
	FUZZ_CHECK(mpn_tcpopt_walk(NULL, MPN_TCP_HDR_MIN, &l) == -EINVAL);
}

/*
 * Build a raw-IP frame from the input. Returns it (exactly caplen bytes,
 * for AddressSanitizer) and its parse; the checksum is set by the oracle.
 */
static uint8_t *
build_frame(struct input *in, uint32_t *caplen, struct mpn_pkt *p)
{
	uint8_t flags = take(in), addrs[32], ipopt[28], tcp[MPN_TCP_HDR_MAX];
	uint32_t doff = 5 + take(in) % 11, hlen = doff * 4, paylen = take(in);
	uint32_t l3len, seglen, i;
	bool v6 = flags & 1;
	uint8_t *f;
	uint16_t c;

	take_bytes(in, addrs, sizeof(addrs));
	take_bytes(in, ipopt, sizeof(ipopt));
	take_bytes(in, tcp, sizeof(tcp));
	tcp[12] = (uint8_t)(doff << 4 | (tcp[12] & 0x0f));
	if (paylen < MPN_TCP_HDR_MAX - hlen)
		paylen = MPN_TCP_HDR_MAX - hlen;
	seglen = hlen + paylen;
	l3len = v6 ? 40 : 20 + 4 * ((flags >> 1) & 0x7);
	*caplen = l3len + seglen;
	f = calloc(1, *caplen);
	FUZZ_CHECK(f != NULL);

	if (v6) {
		f[0] = 0x60;
		f[4] = (uint8_t)(seglen >> 8);
		f[5] = (uint8_t)seglen;
		f[6] = 6;
		f[7] = 64;
		memcpy(f + 8, addrs, 32);
	} else {
		f[0] = (uint8_t)(0x40 | l3len / 4);
		f[2] = (uint8_t)(*caplen >> 8);
		f[3] = (uint8_t)*caplen;
		f[8] = 64;
		f[9] = 6;
		memcpy(f + 12, addrs, 4);
		memcpy(f + 16, addrs + 16, 4);
		memcpy(f + 20, ipopt, l3len - 20);
	}
	memcpy(f + l3len, tcp, hlen);
	for (i = 0; i < paylen; i++)
		f[l3len + hlen + i] = take(in);

	FUZZ_CHECK(mpn_pkt_parse(f, *caplen, MPN_L2_RAW, p) == MPN_PKT_TCP);
	FUZZ_CHECK(p->l4_off == l3len && p->tcp_hdr_len == hlen && p->wire_l4_len == seglen);
	FUZZ_CHECK(mpn_tcp_checksum_complete(p, *caplen));

	/* The oracle sets the checksum: ~sum with the field taken as zero. */
	f[l3len + MPN_TCP_CKSUM_OFF] = 0;
	f[l3len + MPN_TCP_CKSUM_OFF + 1] = 0;
	c = (uint16_t)~fuzz_tcp_sum(f, p);
	f[l3len + MPN_TCP_CKSUM_OFF] = (uint8_t)(c >> 8);
	f[l3len + MPN_TCP_CKSUM_OFF + 1] = (uint8_t)c;
	FUZZ_CHECK(mpn_tcp_checksum_ok(f, p));
	FUZZ_CHECK(mpn_tcp_checksum_compute(f, p) == c);
	return f;
}

/* Whether mpn_tcp_rewrite_bytes() must accept the range (tcpopt.h). */
static bool
rewrite_valid(unsigned int off, unsigned int len)
{
	if (off > MPN_TCP_HDR_MAX || len > MPN_TCP_HDR_MAX - off)
		return false;
	return !(off < MPN_TCP_CKSUM_OFF + 2 && off + len > MPN_TCP_CKSUM_OFF);
}

/* Whether mpn_tcpopt_nop_fill() must accept the range (tcpopt.h). */
static bool
nop_fill_valid(unsigned int off, unsigned int len)
{
	return off >= MPN_TCP_HDR_MIN && len <= MPN_TCPOPT_MAX && off + len <= MPN_TCP_HDR_MAX;
}

/*
 * One RFC 1624 update on its own: ~c' must be ~c - m + m' in one's
 * complement arithmetic, where 0 and 0xffff are the same number.
 */
static void
check_update(struct input *in, unsigned int len)
{
	uint8_t old[MPN_TCP_HDR_MAX], new[MPN_TCP_HDR_MAX];
	uint32_t want, got;
	uint16_t c, c2;
	bool odd;

	/* Two statements: the order of two take() in one expression is unspecified. */
	c = (uint16_t)(take(in) << 8);
	c |= take(in);
	odd = take(in) & 1;
	len %= MPN_TCP_HDR_MAX + 1;
	take_bytes(in, old, len);
	take_bytes(in, new, len);
	c2 = mpn_cksum_update(c, old, new, len, odd);
	want = (uint32_t)(uint16_t)~c + (uint16_t)~sum_positioned(old, len, odd) +
		sum_positioned(new, len, odd);
	got = (uint16_t)~c2;
	FUZZ_CHECK(fuzz_fold(want) % 0xffff == fuzz_fold(got) % 0xffff);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .p = data, .n = size };
	uint8_t newbytes[64], *f, *model, *tcp, *mtcp;
	unsigned int i, op, off, len, src;
	struct mpn_pkt p;
	uint32_t caplen;
	bool valid;
	int rc;

	check_partial(data, size);
	check_walk_lengths(&in);
	f = build_frame(&in, &caplen, &p);
	model = fuzz_dup(f, caplen);
	tcp = f + p.l4_off;
	mtcp = model + p.l4_off;

	for (i = 0; i < MAX_OPS && in.n > 0; i++) {
		/*
		 * The model tracks the data, not the checksum: sync the field, as
		 * an aliasing source may copy it.
		 */
		memcpy(mtcp + MPN_TCP_CKSUM_OFF, tcp + MPN_TCP_CKSUM_OFF, 2);
		op = take(&in) % OP_MAX;
		/* 0..63: past the 60-byte limit as well as inside it. */
		off = take(&in) % 64;
		len = take(&in) % 64;
		switch (op) {
		case OP_NOP_FILL:
			valid = nop_fill_valid(off, len);
			rc = mpn_tcpopt_nop_fill(tcp, (uint8_t)off, (uint8_t)len);
			FUZZ_CHECK(rc == (valid ? 0 : -EINVAL));
			if (valid)
				memset(mtcp + off, MPN_TCPOPT_KIND_NOP, len);
			break;
		case OP_REWRITE:
			take_bytes(&in, newbytes, len);
			valid = rewrite_valid(off, len);
			rc = mpn_tcp_rewrite_bytes(tcp, (uint16_t)off, newbytes, (uint16_t)len);
			FUZZ_CHECK(rc == (valid ? 0 : -EINVAL));
			if (valid)
				memcpy(mtcp + off, newbytes, len);
			break;
		case OP_REWRITE_ALIAS:
			/* The source overlaps the destination: "may alias the header". */
			src = take(&in) % MPN_TCP_HDR_MAX;
			if (len > MPN_TCP_HDR_MAX - src)
				len = MPN_TCP_HDR_MAX - src;
			valid = rewrite_valid(off, len);
			rc = mpn_tcp_rewrite_bytes(tcp, (uint16_t)off, tcp + src, (uint16_t)len);
			FUZZ_CHECK(rc == (valid ? 0 : -EINVAL));
			if (valid)
				memmove(mtcp + off, mtcp + src, len);
			break;
		default:
			check_update(&in, len);
			break;
		}
		/* Only the bytes asked for changed, plus the checksum field... */
		FUZZ_CHECK(memcmp(f, model, p.l4_off + MPN_TCP_CKSUM_OFF) == 0);
		FUZZ_CHECK(memcmp(tcp + MPN_TCP_CKSUM_OFF + 2, mtcp + MPN_TCP_CKSUM_OFF + 2,
			p.wire_l4_len - MPN_TCP_CKSUM_OFF - 2) == 0);
		/* ...and that one holds exactly what a recompute gives. */
		FUZZ_CHECK(fuzz_tcp_sum(f, &p) == 0xffff);
		FUZZ_CHECK(mpn_tcp_checksum_ok(f, &p));
		FUZZ_CHECK(fuzz_tcp_cksum_field(tcp) == mpn_tcp_checksum_compute(f, &p));
	}
	free(model);
	free(f);
	return 0;
}
