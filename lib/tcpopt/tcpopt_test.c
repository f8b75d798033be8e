/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Option walker and rewrite tests. Every rewrite is checked by recomputing
 * the TCP checksum from scratch with this file's own RFC 1071 sum, and
 * against the library's mpn_tcp_checksum_ok() after a fresh parse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pkt.h"
#include "tcpopt.h"

#define TH_SYN 0x02
#define TH_ACK 0x10

struct frame {
	uint8_t b[1600];
	uint32_t len;
	uint32_t l3;
	uint32_t l4;
	uint32_t seg;     /* TCP segment length */
	uint32_t thl;     /* TCP header length */
	int v6;
};

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

/* RFC 1071 over pseudo-header + segment, checksum field included. */
static uint16_t
ref_tcp_sum(const struct frame *f)
{
	uint8_t ph[40];
	uint32_t acc;
	size_t phl;

	memset(ph, 0, sizeof(ph));
	if (f->v6) {
		memcpy(ph, f->b + f->l3 + 8, 32);
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
	acc = ref_sum(f->b + f->l4, f->seg, ref_sum(ph, phl, 0));
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static uint16_t
cksum_field(const struct frame *f)
{
	return (uint16_t)(f->b[f->l4 + 16] << 8 | f->b[f->l4 + 17]);
}

/* From scratch, twice: the reference sum and the library after a parse. */
static void
assert_checksum_ok(const struct frame *f)
{
	struct mpn_pkt p;

	assert_int_equal(ref_tcp_sum(f), 0xffff);
	assert_int_equal(mpn_pkt_parse(f->b, f->len, MPN_L2_ETHER, &p), MPN_PKT_TCP);
	assert_true(mpn_tcp_checksum_ok(f->b, &p));
}

/* Ethernet + IPv4/IPv6 + TCP with @p opts (EOL-padded) and a correct checksum. */
static void
build(struct frame *f, int v6, uint8_t flags, const uint8_t *opts, size_t olen,
	size_t payload)
{
	size_t ohl = (olen + 3) & ~(size_t)3, i;
	uint8_t *ip = f->b + 14, *t;
	uint16_t c;

	memset(f, 0, sizeof(*f));
	f->v6 = v6;
	memset(f->b, 0x02, 12);
	f->b[12] = v6 ? 0x86 : 0x08;
	f->b[13] = v6 ? 0xdd : 0x00;
	f->l3 = 14;
	f->l4 = v6 ? 54 : 34;
	f->thl = (uint32_t)(20 + ohl);
	f->seg = (uint32_t)(f->thl + payload);
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)(f->seg >> 8);
		ip[5] = (uint8_t)f->seg;
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0xfe; ip[9] = 0x80; ip[22] = 0x12; ip[23] = 0x34;
		ip[24] = 0xfe; ip[25] = 0x80; ip[38] = 0xab; ip[39] = 0xcd;
	} else {
		uint16_t tot = (uint16_t)(20 + f->seg);

		ip[0] = 0x45;
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 192; ip[13] = 0; ip[14] = 2; ip[15] = 1;
		ip[16] = 198; ip[17] = 51; ip[18] = 100; ip[19] = 7;
	}
	t = f->b + f->l4;
	t[0] = 0xc3; t[1] = 0x50;
	t[2] = 0x13; t[3] = 0x88;
	t[4] = 0x11; t[5] = 0x22; t[6] = 0x33; t[7] = 0x44;
	if (flags & TH_ACK)
		t[11] = 1;
	t[12] = (uint8_t)((f->thl / 4) << 4);
	t[13] = flags;
	t[14] = 0xfa; t[15] = 0xf0;
	if (olen)
		memcpy(t + 20, opts, olen);
	for (i = 0; i < payload; i++)
		t[f->thl + i] = (uint8_t)(i * 13 + 5);
	f->len = f->l4 + f->seg;
	c = (uint16_t)~ref_tcp_sum(f);
	t[16] = (uint8_t)(c >> 8);
	t[17] = (uint8_t)c;
	assert_checksum_ok(f);
}

static void
assert_opt(const struct mpn_tcpopt_list *l, unsigned int i, uint8_t kind, uint8_t off,
	uint8_t len)
{
	assert_true(i < l->n);
	assert_int_equal(l->opt[i].kind, kind);
	assert_int_equal(l->opt[i].off, off);
	assert_int_equal(l->opt[i].len, len);
}

static void
assert_nops(const struct frame *f, unsigned int off, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		assert_int_equal(f->b[f->l4 + off + i], MPN_TCPOPT_KIND_NOP);
}

/* A header of 20 + sizeof(opts) bytes in a plain buffer, for walker-only tests. */
static int
walk_opts(const uint8_t *opts, size_t olen, struct mpn_tcpopt_list *l)
{
	uint8_t h[MPN_TCP_HDR_MAX];

	memset(h, 0, sizeof(h));
	assert_true(olen <= 40 && olen % 4 == 0);
	h[12] = (uint8_t)(((20 + olen) / 4) << 4);
	memcpy(h + 20, opts, olen);
	return mpn_tcpopt_walk(h, (uint16_t)(20 + olen), l);
}

/* ---- Walker ---- */

/* Options of a Linux MPTCP v1 SYN: MSS, SACK-perm, TS, NOP, WS, MP_CAPABLE. */
static const uint8_t syn_opts[] = {
	2, 4, 0x05, 0xb4,
	4, 2,
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
	1,
	3, 3, 7,
	30, 4, 0x01, 0x81,
};

static void
test_walk_linux_syn(void **state)
{
	struct mpn_tcpopt_list l;

	(void)state;
	assert_int_equal(walk_opts(syn_opts, sizeof(syn_opts), &l), 0);
	assert_int_equal(l.n, 6);
	assert_opt(&l, 0, 2, 20, 4);
	assert_opt(&l, 1, 4, 24, 2);
	assert_opt(&l, 2, 8, 26, 10);
	assert_opt(&l, 3, 1, 36, 1);
	assert_opt(&l, 4, 3, 37, 3);
	assert_opt(&l, 5, 30, 40, 4);
	assert_int_equal(l.anomalies, 0);
	assert_int_equal(l.n_mptcp, 1);
	assert_int_equal(l.idx_mss, 0);
	assert_int_equal(l.idx_sackok, 1);
	assert_int_equal(l.idx_ts, 2);
	assert_int_equal(l.idx_wscale, 4);
	assert_int_equal(l.eol_off, 0);
	assert_int_equal(l.bad_off, 0);
	assert_int_equal(mpn_tcpopt_find(&l, 30, 0), 5);
	assert_int_equal(mpn_tcpopt_find(&l, 30, 6), MPN_TCPOPT_NONE);
	assert_int_equal(mpn_tcpopt_find(&l, 19, 0), MPN_TCPOPT_NONE);
}

/* The options of tcpdump's mptcp-v0.pcap first SYN, as captured. */
static void
test_walk_real_v0_syn(void **state)
{
	static const uint8_t opts[] = {
		0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xff, 0xff, 0xa1, 0xb0,
		0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x06, 0x1e, 0x0c, 0x00, 0x81,
		0x9c, 0x9e, 0xab, 0xd1, 0xe4, 0x6a, 0x33, 0xb2,
	};
	struct mpn_tcpopt_list l;

	(void)state;
	assert_int_equal(walk_opts(opts, sizeof(opts), &l), 0);
	assert_int_equal(l.n, 6);
	assert_opt(&l, 5, 30, 40, 12);
	assert_int_equal(l.anomalies, 0);
}

static void
test_walk_no_options_and_bad_args(void **state)
{
	uint8_t h[MPN_TCP_HDR_MAX] = { 0 };
	struct mpn_tcpopt_list l;

	(void)state;
	assert_int_equal(mpn_tcpopt_walk(h, 20, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.anomalies, 0);
	assert_int_equal(mpn_tcpopt_walk(h, 19, &l), -EINVAL);
	assert_int_equal(mpn_tcpopt_walk(h, 64, &l), -EINVAL);
	assert_int_equal(mpn_tcpopt_walk(h, 22, &l), -EINVAL);
	assert_int_equal(l.n, 0);
	assert_int_equal(mpn_tcpopt_walk(NULL, 20, &l), -EINVAL);
	assert_int_equal(mpn_tcpopt_walk(h, 20, NULL), -EINVAL);
	assert_int_equal(mpn_tcpopt_find(NULL, 1, 0), MPN_TCPOPT_NONE);
}

/* The most options a header can hold: 40 NOPs. */
static void
test_walk_forty_nops(void **state)
{
	uint8_t opts[40];
	struct mpn_tcpopt_list l;
	unsigned int i;

	(void)state;
	memset(opts, 1, sizeof(opts));
	assert_int_equal(walk_opts(opts, sizeof(opts), &l), 0);
	assert_int_equal(l.n, MPN_TCPOPT_MAX);
	for (i = 0; i < l.n; i++)
		assert_opt(&l, i, 1, (uint8_t)(20 + i), 1);
}

/* Decision: EOL ends the list; zero padding after it is normal. */
static void
test_eol_zero_padding(void **state)
{
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 0, 0, 0 };
	struct mpn_tcpopt_list l;

	(void)state;
	assert_int_equal(walk_opts(opts, sizeof(opts), &l), 0);
	assert_int_equal(l.n, 3);
	assert_opt(&l, 2, 0, 25, 1);
	assert_int_equal(l.eol_off, 25);
	assert_int_equal(l.anomalies, 0);
}

/*
 * Decision: non-zero bytes after EOL are flagged (EOL_TRAILING_DATA) but
 * not reported as options, and the list stays usable (0): receivers stop
 * at EOL, so the caller zeroes the padding instead of dropping.
 */
static void
test_eol_trailing_data(void **state)
{
	/* A hidden MSS after EOL. */
	static const uint8_t opts[] = { 1, 0, 2, 4, 0x00, 0x10, 0, 0 };
	static const uint8_t late[] = { 1, 1, 1, 1, 1, 1, 0, 0x80 };
	struct mpn_tcpopt_list l;

	(void)state;
	assert_int_equal(walk_opts(opts, sizeof(opts), &l), 0);
	assert_int_equal(l.n, 2);
	assert_opt(&l, 1, 0, 21, 1);
	assert_int_equal(l.eol_off, 21);
	assert_true(mpn_tcpopt_has_anomaly(&l, MPN_TCPOPT_EOL_TRAILING_DATA));
	assert_int_equal(l.idx_mss, MPN_TCPOPT_NONE);
	assert_int_equal(l.anomalies, 1u << MPN_TCPOPT_EOL_TRAILING_DATA);
	/* Only the last byte is non-zero. */
	assert_int_equal(walk_opts(late, sizeof(late), &l), 0);
	assert_int_equal(l.eol_off, 26);
	assert_true(mpn_tcpopt_has_anomaly(&l, MPN_TCPOPT_EOL_TRAILING_DATA));
}

/*
 * Decision: length 0 or 1 stops the walk with -EBADMSG (tcp-bad-option-list);
 * the options before it are kept, the bad one is not added, bad_off
 * points at it.
 */
static void
test_bad_len(void **state)
{
	static const uint8_t zero[] = { 1, 1, 2, 0, 1, 1, 1, 1 };
	static const uint8_t one[] = { 2, 4, 0x05, 0xb4, 30, 1, 1, 1 };
	struct mpn_tcpopt_list l;

	(void)state;
	assert_int_equal(walk_opts(zero, sizeof(zero), &l), -EBADMSG);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.bad_off, 22);
	assert_int_equal(l.anomalies, 1u << MPN_TCPOPT_BAD_LEN);

	assert_int_equal(walk_opts(one, sizeof(one), &l), -EBADMSG);
	assert_int_equal(l.n, 1);
	assert_opt(&l, 0, 2, 20, 4);
	assert_int_equal(l.bad_off, 24);
	assert_int_equal(l.n_mptcp, 0);
	assert_true(mpn_tcpopt_has_anomaly(&l, MPN_TCPOPT_BAD_LEN));
}

/* Decision: an option, or a length byte, past the data offset: -EBADMSG. */
static void
test_overrun(void **state)
{
	static const uint8_t ts_past[] = { 1, 1, 8, 10, 0, 0, 0, 2 };
	static const uint8_t no_len_byte[] = { 1, 1, 1, 1, 1, 1, 1, 2 };
	static const uint8_t exact[] = { 1, 1, 30, 6, 0x80, 0, 0, 0 };
	struct mpn_tcpopt_list l;

	(void)state;
	assert_int_equal(walk_opts(ts_past, sizeof(ts_past), &l), -EBADMSG);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.bad_off, 22);
	assert_int_equal(l.anomalies, 1u << MPN_TCPOPT_OVERRUN);
	assert_int_equal(l.idx_ts, MPN_TCPOPT_NONE);

	assert_int_equal(walk_opts(no_len_byte, sizeof(no_len_byte), &l), -EBADMSG);
	assert_int_equal(l.n, 7);
	assert_int_equal(l.bad_off, 27);
	assert_true(mpn_tcpopt_has_anomaly(&l, MPN_TCPOPT_OVERRUN));

	/* Ending exactly at the data offset is fine. */
	assert_int_equal(walk_opts(exact, sizeof(exact), &l), 0);
	assert_opt(&l, 2, 30, 22, 6);
	assert_int_equal(l.anomalies, 0);
}

/* Decision: duplicates are all reported and flagged; the policy picks. */
static void
test_duplicates(void **state)
{
	static const uint8_t dup[] = {
		2, 4, 0x05, 0xb4, 2, 4, 0x23, 0x28,   /* MSS x2 */
		3, 3, 7, 3, 3, 1,                     /* WS x2 */
		4, 2, 4, 2,                           /* SACK-perm x2 */
		8, 10, 0, 0, 0, 1, 0, 0, 0, 0,        /* TS x2 */
		8, 10, 0, 0, 0, 2, 0, 0, 0, 0,
		1, 1,
	};
	static const uint8_t once[] = { 2, 4, 0x05, 0xb4, 3, 3, 7, 1, 4, 2, 1, 1 };
	struct mpn_tcpopt_list l;

	(void)state;
	assert_int_equal(walk_opts(dup, sizeof(dup), &l), 0);
	assert_int_equal(l.n, 10);
	assert_int_equal(l.anomalies, (1u << MPN_TCPOPT_DUP_MSS) | (1u << MPN_TCPOPT_DUP_WSCALE) |
		(1u << MPN_TCPOPT_DUP_SACKOK) | (1u << MPN_TCPOPT_DUP_TS));
	/* idx_* name the first copy. */
	assert_int_equal(l.idx_mss, 0);
	assert_int_equal(l.idx_wscale, 2);
	assert_int_equal(l.idx_sackok, 4);
	assert_int_equal(l.idx_ts, 6);
	assert_opt(&l, 1, 2, 24, 4);
	assert_opt(&l, 7, 8, 48, 10);

	assert_int_equal(walk_opts(once, sizeof(once), &l), 0);
	assert_int_equal(l.anomalies, 0);
}

/* Decision: a known option with the wrong length is reported, flagged, and usable. */
static void
test_bad_fixed_len(void **state)
{
	static const uint8_t cases[][8] = {
		{ 2, 3, 0x05, 1, 1, 1, 1, 1 },        /* MSS 3 */
		{ 2, 5, 0x05, 0xb4, 0, 1, 1, 1 },     /* MSS 5 */
		{ 3, 4, 7, 0, 1, 1, 1, 1 },           /* WS 4 */
		{ 4, 3, 0, 1, 1, 1, 1, 1 },           /* SACK-perm 3 */
		{ 8, 8, 0, 0, 0, 1, 0, 0 },           /* TS 8 */
		{ 5, 6, 0, 0, 0, 1, 1, 1 },           /* SACK without a whole block */
	};
	static const uint8_t sack_ok[] = { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t md5_short[] = { 19, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0 };
	struct mpn_tcpopt_list l;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(walk_opts(cases[i], 8, &l), 0);
		assert_int_equal(l.anomalies, 1u << MPN_TCPOPT_BAD_FIXED_LEN);
		assert_int_equal(l.opt[0].len, cases[i][1]);
	}
	assert_int_equal(walk_opts(sack_ok, sizeof(sack_ok), &l), 0);
	assert_int_equal(l.anomalies, 0);
	assert_int_equal(walk_opts(md5_short, sizeof(md5_short), &l), 0);
	assert_int_equal(l.anomalies, 1u << MPN_TCPOPT_BAD_FIXED_LEN);
}

/*
 * Decision: several kind-30 options are legal (RFC 8684 §3); all are
 * reported, MULTI_MPTCP is informational, the list is usable.
 */
static void
test_multi_mptcp(void **state)
{
	/*
	 * DSS (A, M, 4-byte DSN, with DSS checksum: 20 bytes) and ADD_ADDR v1
	 * IPv4 with HMAC (16 bytes): 36 option bytes.
	 */
	static const uint8_t data_opts[] = {
		30, 20, 0x20, 0x05, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 1, 0, 100, 0xab, 0xcd,
		30, 16, 0x30, 2, 10, 0, 2, 2, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	/* A kind-30 option too short for any subtype is still framed: the MPTCP decoder judges it. */
	static const uint8_t short_dss[] = { 1, 1, 30, 3, 0x20, 30, 2, 0 };
	struct mpn_tcpopt_list l;
	uint8_t i, seen = 0;

	(void)state;
	assert_int_equal(walk_opts(data_opts, sizeof(data_opts), &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.n_mptcp, 2);
	assert_opt(&l, 0, 30, 20, 20);
	assert_opt(&l, 1, 30, 40, 16);
	assert_int_equal(l.anomalies, 1u << MPN_TCPOPT_MULTI_MPTCP);
	for (i = mpn_tcpopt_find(&l, 30, 0); i != MPN_TCPOPT_NONE;
			i = mpn_tcpopt_find(&l, 30, (uint8_t)(i + 1)))
		seen++;
	assert_int_equal(seen, 2);

	assert_int_equal(walk_opts(short_dss, sizeof(short_dss), &l), 0);
	assert_int_equal(l.n, 5);
	assert_opt(&l, 2, 30, 22, 3);
	assert_opt(&l, 3, 30, 25, 2);
	assert_int_equal(l.n_mptcp, 2);
	assert_int_equal(l.eol_off, 27);
}

static void
test_anomaly_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < MPN_TCPOPT_ANOMALY_MAX; i++) {
		const char *n = mpn_tcpopt_anomaly_name((enum mpn_tcpopt_anomaly)i);

		assert_non_null(n);
		assert_int_equal(strncmp(n, "tcp-", 4), 0);
		assert_true(strlen(mpn_tcpopt_anomaly_desc((enum mpn_tcpopt_anomaly)i)) > 10);
		for (j = 0; j < i; j++)
			assert_string_not_equal(n,
				mpn_tcpopt_anomaly_name((enum mpn_tcpopt_anomaly)j));
	}
	assert_true(MPN_TCPOPT_ANOMALY_MAX <= 32);
	assert_string_equal(mpn_tcpopt_anomaly_name(MPN_TCPOPT_DUP_MSS), "tcp-dup-option-mss");
	assert_string_equal(mpn_tcpopt_anomaly_name(MPN_TCPOPT_EOL_TRAILING_DATA),
		"tcp-option-eol-trailing-data");
	assert_string_equal(mpn_tcpopt_anomaly_name(MPN_TCPOPT_ANOMALY_MAX), "unknown");
	assert_string_equal(mpn_tcpopt_anomaly_desc(MPN_TCPOPT_ANOMALY_MAX), "unknown");
}

/* ---- NOP-fill and rewrites ---- */

/* Options at even and odd offsets, v4 and v6, filled one after another. */
static void
test_nop_fill_even_and_odd(void **state)
{
	/* NOP, WS at 21 (odd), MSS at 24, NOP, MPTCP at 29 (odd, odd length), EOL pad. */
	static const uint8_t opts[] = {
		1, 3, 3, 7, 2, 4, 0x05, 0xb4, 1, 30, 7, 0x21, 1, 2, 3, 4,
	};
	struct mpn_tcpopt_list l;
	struct frame f;
	int v6;
	size_t payload;

	(void)state;
	for (v6 = 0; v6 <= 1; v6++) {
		for (payload = 0; payload < 4; payload++) {
			build(&f, v6, TH_ACK, opts, sizeof(opts), payload * 33);
			assert_int_equal(mpn_tcpopt_walk(f.b + f.l4, (uint16_t)f.thl, &l), 0);
			assert_opt(&l, 1, 3, 21, 3);
			assert_opt(&l, 4, 30, 29, 7);

			assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 21, 3), 0);
			assert_nops(&f, 21, 3);
			assert_checksum_ok(&f);
			assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 29, 7), 0);
			assert_nops(&f, 29, 7);
			assert_checksum_ok(&f);
			assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 24, 4), 0);
			assert_checksum_ok(&f);
			/* Filling NOPs again changes nothing, checksum included. */
			{
				uint16_t c = cksum_field(&f);

				assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 20, 16), 0);
				assert_int_equal(cksum_field(&f), c);
			}
			assert_int_equal(mpn_tcpopt_walk(f.b + f.l4, (uint16_t)f.thl, &l), 0);
			assert_int_equal(l.n, 16);
		}
	}
}

/* Only the header is touched: fill a 60-byte copy of it, then splice it back. */
static void
test_nop_fill_header_only(void **state)
{
	uint8_t h[MPN_TCP_HDR_MAX];
	struct frame f;

	(void)state;
	build(&f, 0, TH_SYN, syn_opts, sizeof(syn_opts), 1300);
	memcpy(h, f.b + f.l4, f.thl);
	assert_int_equal(mpn_tcpopt_nop_fill(h, 40, 4), 0);     /* MP_CAPABLE */
	assert_int_equal(mpn_tcpopt_nop_fill(h, 37, 3), 0);     /* WS, odd */
	memcpy(f.b + f.l4, h, f.thl);
	assert_checksum_ok(&f);
}

static void
test_nop_fill_bad_range(void **state)
{
	struct frame f, orig;

	(void)state;
	build(&f, 0, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	orig = f;
	assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 19, 2), -EINVAL);
	assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 58, 3), -EINVAL);
	assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 20, 41), -EINVAL);
	assert_int_equal(mpn_tcpopt_nop_fill(NULL, 20, 4), -EINVAL);
	assert_memory_equal(f.b, orig.b, f.len);
	assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 40, 0), 0);
	assert_memory_equal(f.b, orig.b, f.len);
}

/* The rewrites later stages make: MSS clamp, flags, reserved bits, urgent pointer. */
static void
test_rewrite_bytes(void **state)
{
	struct frame f, orig;
	uint8_t b[4];

	(void)state;
	build(&f, 1, TH_SYN | 0x20, syn_opts, sizeof(syn_opts), 7);
	f.b[f.l4 + 19] = 9;                 /* urgent pointer, then re-checksum */
	f.b[f.l4 + 12] |= 0x0e;             /* reserved bits */
	{
		uint16_t c;

		f.b[f.l4 + 16] = f.b[f.l4 + 17] = 0;
		c = (uint16_t)~ref_tcp_sum(&f);
		f.b[f.l4 + 16] = (uint8_t)(c >> 8);
		f.b[f.l4 + 17] = (uint8_t)c;
	}
	assert_checksum_ok(&f);

	/* MSS clamp: bytes 22-23. */
	b[0] = 0x04; b[1] = 0xd8;
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 22, b, 2), 0);
	assert_int_equal(f.b[f.l4 + 23], 0xd8);
	assert_checksum_ok(&f);
	/* Reserved bits: byte 12, even. */
	b[0] = f.b[f.l4 + 12] & (uint8_t)~0x0e;
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 12, b, 1), 0);
	assert_checksum_ok(&f);
	/* URG: byte 13, odd. */
	b[0] = f.b[f.l4 + 13] & (uint8_t)~0x20;
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 13, b, 1), 0);
	assert_int_equal(f.b[f.l4 + 13], TH_SYN);
	assert_checksum_ok(&f);
	/* Urgent pointer: 18-19. */
	b[0] = b[1] = 0;
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 18, b, 2), 0);
	assert_checksum_ok(&f);
	/* An odd-to-odd range across three words: bytes 25..29. */
	{
		static const uint8_t x[] = { 0xde, 0xad, 0xbe, 0xef, 0x55 };

		assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 25, x, 5), 0);
		assert_memory_equal(f.b + f.l4 + 25, x, 5);
		assert_checksum_ok(&f);
	}
	/* newbytes may point into the header itself, overlapping. */
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 27, f.b + f.l4 + 26, 9), 0);
	assert_checksum_ok(&f);

	/* Refused, and nothing written: the checksum field, past 60, NULL. */
	orig = f;
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 16, b, 1), -EINVAL);
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 17, b, 1), -EINVAL);
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 15, b, 2), -EINVAL);
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 10, b, 40), -EINVAL);
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 59, b, 2), -EINVAL);
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 61, b, 0), -EINVAL);
	assert_int_equal(mpn_tcp_rewrite_bytes(NULL, 20, b, 1), -EINVAL);
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 20, NULL, 1), -EINVAL);
	assert_memory_equal(f.b, orig.b, f.len);
	/* Right next to the field is fine. */
	b[0] = 0x77;
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 15, b, 1), 0);
	assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, 18, b, 1), 0);
	assert_checksum_ok(&f);
}

/*
 * RFC 1624's -0/+0 corner: drive the checksum to 0x0000 by a rewrite (at
 * an even and at an odd offset), check it verifies, then start from the
 * equivalent 0xffff and rewrite again.
 */
static void
test_rewrite_minus_zero(void **state)
{
	unsigned int start;

	(void)state;
	for (start = 22; start <= 23; start++) {
		struct frame f;
		uint8_t nb[2];
		uint32_t v;
		uint16_t c, w;

		build(&f, (int)(start & 1), TH_SYN, syn_opts, sizeof(syn_opts), 3);
		c = cksum_field(&f);
		/* The two bytes' contribution to the sum, by position. */
		if ((start & 1) == 0)
			w = (uint16_t)(f.b[f.l4 + start] << 8 | f.b[f.l4 + start + 1]);
		else
			w = (uint16_t)(f.b[f.l4 + start] | f.b[f.l4 + start + 1] << 8);
		/* New contribution = old + checksum: the rest then sums to -0. */
		v = (uint32_t)w + c;
		v = (v & 0xffff) + (v >> 16);
		if ((start & 1) == 0) {
			nb[0] = (uint8_t)(v >> 8);
			nb[1] = (uint8_t)v;
		} else {
			nb[0] = (uint8_t)v;
			nb[1] = (uint8_t)(v >> 8);
		}
		assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, (uint16_t)start, nb, 2), 0);
		/* Eqn. 3 gives +0 here, as a from-scratch computation would. */
		assert_int_equal(cksum_field(&f), 0x0000);
		assert_checksum_ok(&f);
		/* 0xffff is the same value in one's complement; carry on from it. */
		f.b[f.l4 + 16] = 0xff;
		f.b[f.l4 + 17] = 0xff;
		assert_checksum_ok(&f);
		assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, 37, 3), 0);
		assert_checksum_ok(&f);
	}
}

/* ---- Randomized ---- */

static uint32_t
xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/*
 * Random option layouts (NOPs, options of random kind and length, maybe an
 * EOL with zero padding), random payload, v4 or v6. The walker must give
 * back exactly the layout; random NOP-fills and random rewrites anywhere in
 * the header but the checksum must keep the checksum valid every time.
 */
static void
test_random_layouts(void **state)
{
	uint32_t seed = 0x6d706e31;    /* "mpn1": deterministic */
	unsigned int iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		struct mpn_tcpopt exp[MPN_TCPOPT_MAX];
		uint8_t opts[40], hdr[MPN_TCP_HDR_MAX];
		unsigned int nexp = 0, olen = 4 * (xorshift32(&seed) % 11), o = 0, i, k;
		struct mpn_tcpopt_list l;
		struct frame f;

		memset(opts, 0, sizeof(opts));
		while (o < olen) {
			uint32_t r = xorshift32(&seed) % 100;
			unsigned int rem = olen - o, len;

			if (r < 5) {
				/* EOL, then zero padding to the end. */
				exp[nexp++] = (struct mpn_tcpopt){ 0, 1, (uint8_t)(20 + o) };
				break;
			}
			if (r < 30 || rem == 1) {
				opts[o] = 1;
				exp[nexp++] = (struct mpn_tcpopt){ 1, 1, (uint8_t)(20 + o) };
				o++;
				continue;
			}
			len = 2 + xorshift32(&seed) % (rem - 1);
			opts[o] = (uint8_t)(2 + xorshift32(&seed) % 254);
			opts[o + 1] = (uint8_t)len;
			for (k = 2; k < len; k++)
				opts[o + k] = (uint8_t)xorshift32(&seed);
			exp[nexp++] = (struct mpn_tcpopt){ opts[o], (uint8_t)len, (uint8_t)(20 + o) };
			o += len;
		}
		build(&f, (int)(xorshift32(&seed) & 1), TH_ACK, opts, olen,
			xorshift32(&seed) % 100);

		assert_int_equal(mpn_tcpopt_walk(f.b + f.l4, (uint16_t)f.thl, &l), 0);
		assert_int_equal(l.n, nexp);
		for (i = 0; i < nexp; i++)
			assert_opt(&l, i, exp[i].kind, exp[i].off, exp[i].len);
		assert_false(mpn_tcpopt_has_anomaly(&l, MPN_TCPOPT_EOL_TRAILING_DATA));

		/* NOP-fill a random subset, in place or on a header-only copy. */
		for (i = 0; i < l.n; i++) {
			if (xorshift32(&seed) & 1)
				continue;
			if (xorshift32(&seed) & 1) {
				assert_int_equal(mpn_tcpopt_nop_fill(f.b + f.l4, l.opt[i].off,
					l.opt[i].len), 0);
			} else {
				memcpy(hdr, f.b + f.l4, f.thl);
				assert_int_equal(mpn_tcpopt_nop_fill(hdr, l.opt[i].off,
					l.opt[i].len), 0);
				memcpy(f.b + f.l4, hdr, f.thl);
			}
			assert_nops(&f, l.opt[i].off, l.opt[i].len);
			assert_int_equal(ref_tcp_sum(&f), 0xffff);
		}
		/* Random rewrites anywhere in the header but the checksum field. */
		for (i = 0; i < 3; i++) {
			uint8_t nb[MPN_TCP_HDR_MAX] = { 0 };
			unsigned int off, len;

			off = xorshift32(&seed) % f.thl;
			len = 1 + xorshift32(&seed) % (f.thl - off);
			if (off < 18 && off + len > 16) {
				assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, (uint16_t)off,
					nb, (uint16_t)len), -EINVAL);
				continue;
			}
			for (k = 0; k < len; k++)
				nb[k] = (uint8_t)xorshift32(&seed);
			assert_int_equal(mpn_tcp_rewrite_bytes(f.b + f.l4, (uint16_t)off, nb,
				(uint16_t)len), 0);
			assert_memory_equal(f.b + f.l4 + off, nb, len);
			assert_int_equal(ref_tcp_sum(&f), 0xffff);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_linux_syn),
		cmocka_unit_test(test_walk_real_v0_syn),
		cmocka_unit_test(test_walk_no_options_and_bad_args),
		cmocka_unit_test(test_walk_forty_nops),
		cmocka_unit_test(test_eol_zero_padding),
		cmocka_unit_test(test_eol_trailing_data),
		cmocka_unit_test(test_bad_len),
		cmocka_unit_test(test_overrun),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_bad_fixed_len),
		cmocka_unit_test(test_multi_mptcp),
		cmocka_unit_test(test_anomaly_names),
		cmocka_unit_test(test_nop_fill_even_and_odd),
		cmocka_unit_test(test_nop_fill_header_only),
		cmocka_unit_test(test_nop_fill_bad_range),
		cmocka_unit_test(test_rewrite_bytes),
		cmocka_unit_test(test_rewrite_minus_zero),
		cmocka_unit_test(test_random_layouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
