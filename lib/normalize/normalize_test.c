/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Normalizer tests: each tcp-map knob, each MPTCP action and mode, the
 * policy flags (inspect, bypass, monitor), and malformed input. Packets are
 * built byte by byte; after every rewrite the TCP checksum is recomputed
 * from scratch with this file's own RFC 1071 sum, independent of the
 * library's incremental update.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "normalize.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

/* A frame under test, with the offsets the checks need. */
struct frame {
	uint8_t b[1600];
	uint32_t len;
	uint32_t tcp;      /* offset of the TCP header */
	uint32_t tcp_len;  /* header + payload */
	int v6;
};

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)(p[n - 1] << 8);
	return acc;
}

/* RFC 1071 over the pseudo-header and the segment, checksum field included. */
static uint16_t
tcp_sum(const struct frame *f)
{
	uint8_t ph[40];
	uint32_t acc;
	size_t phl;

	memset(ph, 0, sizeof(ph));
	if (f->v6) {
		memcpy(ph, f->b + 14 + 8, 32);
		ph[32] = (uint8_t)(f->tcp_len >> 24);
		ph[33] = (uint8_t)(f->tcp_len >> 16);
		ph[34] = (uint8_t)(f->tcp_len >> 8);
		ph[35] = (uint8_t)f->tcp_len;
		ph[39] = 6;
		phl = 40;
	} else {
		memcpy(ph, f->b + 14 + 12, 8);
		ph[9] = 6;
		ph[10] = (uint8_t)(f->tcp_len >> 8);
		ph[11] = (uint8_t)f->tcp_len;
		phl = 12;
	}
	acc = sum16(ph, phl, 0);
	acc = sum16(f->b + f->tcp, f->tcp_len, acc);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static void
assert_checksum_ok(const struct frame *f)
{
	assert_int_equal(tcp_sum(f), 0xffff);
}

/*
 * Build Ethernet + IPv4 (or IPv6) + TCP with @p opts (padded with EOL to a
 * multiple of 4) and @p payload bytes of payload, with a correct checksum.
 */
static void
build(struct frame *f, int v6, uint8_t flags, const uint8_t *opts, size_t olen,
	size_t payload)
{
	size_t ohl = (olen + 3) & ~(size_t)3, l3 = v6 ? 40 : 20, i;
	uint8_t *ip = f->b + 14, *t;
	uint16_t c;

	memset(f, 0, sizeof(*f));
	f->v6 = v6;
	memset(f->b, 0x02, 12);
	f->b[12] = v6 ? 0x86 : 0x08;
	f->b[13] = v6 ? 0xdd : 0x00;
	f->tcp = (uint32_t)(14 + l3);
	f->tcp_len = (uint32_t)(20 + ohl + payload);
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)(f->tcp_len >> 8);
		ip[5] = (uint8_t)f->tcp_len;
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0x20; ip[9] = 0x01; ip[10] = 0x0d; ip[11] = 0xb8; ip[23] = 1;
		ip[24] = 0x20; ip[25] = 0x01; ip[26] = 0x0d; ip[27] = 0xb8; ip[39] = 2;
	} else {
		uint16_t tot = (uint16_t)(20 + f->tcp_len);

		ip[0] = 0x45;
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 10; ip[13] = 0; ip[14] = 1; ip[15] = 1;
		ip[16] = 10; ip[17] = 0; ip[18] = 1; ip[19] = 2;
	}
	t = f->b + f->tcp;
	t[0] = 0xc3; t[1] = 0x50;           /* 50000 */
	t[2] = 0x13; t[3] = 0x88;           /* 5000 */
	t[4] = 0x11; t[5] = 0x22; t[6] = 0x33; t[7] = 0x44;
	if (flags & TH_ACK)
		t[11] = 1;
	t[12] = (uint8_t)(((20 + ohl) / 4) << 4);
	t[13] = flags;
	t[14] = 0xfa; t[15] = 0xf0;
	if (olen > 0)
		memcpy(t + 20, opts, olen);
	for (i = 0; i < payload; i++)
		t[20 + ohl + i] = (uint8_t)(i * 7 + 1);
	f->len = f->tcp + f->tcp_len;
	c = (uint16_t)~tcp_sum(f);
	t[16] = (uint8_t)(c >> 8);
	t[17] = (uint8_t)c;
	assert_checksum_ok(f);
}

/* Options of a Linux MPTCP v1 SYN: MSS, SACK-perm, TS, NOP, WS, MP_CAPABLE. */
static const uint8_t syn_opts[] = {
	2, 4, 0x05, 0xb4,               /* MSS 1460 */
	4, 2,                           /* SACK permitted */
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0,  /* timestamp */
	1,                              /* NOP */
	3, 3, 7,                        /* window scale 7 */
	30, 4, 0x01, 0x81,              /* MP_CAPABLE v1, flags A|H */
};
#define SYN_MPC_OFF (20 + 20)

/* The SYN/ACK's: the same, with the 12-byte MP_CAPABLE that carries the server's key. */
static const uint8_t synack_opts[] = {
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
	30, 12, 0x01, 0x81, 0xac, 0x88, 0x24, 0x57, 0x95, 0x30, 0x92, 0x69,
};

/*
 * A data segment: NOP NOP, DSS (A and M with 4-byte ack and DSN, and a
 * checksum: 20 bytes), ADD_ADDR v1 IPv4 with HMAC (16).
 */
static const uint8_t data_opts[] = {
	1, 1,
	30, 20, 0x20, 0x05, 0, 0, 0, 1,  0, 0, 0, 9,  0, 0, 0, 1,  0, 100,  0x12, 0x34,
	30, 16, 0x30, 2, 10, 0, 2, 2,  1, 2, 3, 4, 5, 6, 7, 8,
};
#define DSS_OFF (20 + 2)
#define ADDADDR_OFF (20 + 22)

static struct mpn_policy *
policy_with(void (*tune)(struct mpn_tcp_map *m, struct mpn_policy_rule *r))
{
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_policy_map *pm;

	assert_non_null(p);
	mpn_tcp_map_defaults(&p->tcp_maps[1], "t");
	p->n_tcp_maps = 2;
	memset(&p->classes[0], 0, sizeof(p->classes[0]));
	p->classes[0].link = -1;
	p->n_classes = 1;
	pm = &p->policy_maps[0];
	pm->rules[0].class_idx = 0;
	pm->rules[0].tcp_map_idx = 1;
	pm->n_rules = 1;
	p->n_policy_maps = 1;
	p->global_policy_map = 0;
	if (tune != NULL)
		tune(&p->tcp_maps[1], &pm->rules[0]);
	return p;
}

static const struct mpn_norm_origin ether = { .l2 = MPN_L2_ETHER };

static void
run(const struct mpn_policy *p, struct frame *f, struct mpn_norm_result *res)
{
	mpn_normalize(p, &ether, f->b, f->len, res);
}

static int
count_reason(const struct mpn_norm_result *res, enum mpn_reason r)
{
	int i, n = 0;

	for (i = 0; i < res->n_acts; i++)
		n += res->acts[i].reason == r;
	return n;
}

static void
assert_nops(const struct frame *f, uint32_t off, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(f->b[f->tcp + off + i], 1);
}

/* ASA default (no policy at all): MP_CAPABLE becomes NOPs, nothing else changes. */
static void
test_asa_default_clears_mptcp(void **state)
{
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_norm_result res;
	struct frame f, orig;

	(void)state;
	build(&f, 0, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_true(res.rewritten);
	assert_int_equal(count_reason(&res, MPN_REASON_MPTCP_OPTION_CLEARED), 1);
	assert_nops(&f, SYN_MPC_OFF, 4);
	/* Everything but the option and the checksum is untouched. */
	assert_memory_equal(f.b, orig.b, f.tcp + 16);
	assert_memory_equal(f.b + f.tcp + 18, orig.b + f.tcp + 18, SYN_MPC_OFF - 18);
	assert_checksum_ok(&f);
	mpn_policy_free(p);
}

static void
allow30(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)r;
	m->option_action[30] = MPN_ACTION_ALLOW;
}

static void
test_allow_30_passes_unchanged(void **state)
{
	struct mpn_policy *p = policy_with(allow30);
	struct mpn_norm_result res;
	struct frame f, orig;

	(void)state;
	build(&f, 0, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_false(res.rewritten);
	assert_memory_equal(f.b, orig.b, f.len);
	build(&f, 1, TH_ACK | TH_PSH, data_opts, sizeof(data_opts), 100);
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_memory_equal(f.b, orig.b, f.len);
	mpn_policy_free(p);
}

static void
clear_addaddr(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	allow30(m, r);
	m->mptcp.subtype_action[3] = MPN_ACTION_CLEAR;
}

/* Two kind-30 options in one segment: only the ADD_ADDR is cleared. */
static void
test_every_kind30_option_is_judged(void **state)
{
	struct mpn_policy *p = policy_with(clear_addaddr);
	struct mpn_norm_result res;
	struct frame f, orig;

	(void)state;
	build(&f, 0, TH_ACK, data_opts, sizeof(data_opts), 40);
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(count_reason(&res, MPN_REASON_MPTCP_OPTION_CLEARED), 1);
	assert_nops(&f, ADDADDR_OFF, 16);
	assert_memory_equal(f.b + f.tcp + DSS_OFF, orig.b + f.tcp + DSS_OFF, 20);
	assert_memory_equal(f.b + f.tcp + 20 + 40, orig.b + f.tcp + 20 + 40, 40);
	assert_checksum_ok(&f);
	mpn_policy_free(p);
}

static void
drop_dss(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	allow30(m, r);
	m->mptcp.subtype_action[2] = MPN_ACTION_DROP;
}

static void
alert_addaddr(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	allow30(m, r);
	m->mptcp.subtype_action[3] = MPN_ACTION_ALERT;
}

static void
test_subtype_drop_and_alert(void **state)
{
	struct mpn_policy *p = policy_with(drop_dss);
	struct mpn_norm_result res;
	struct frame f, orig;

	(void)state;
	build(&f, 0, TH_ACK, data_opts, sizeof(data_opts), 0);
	orig = f;
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_OPTION_DENIED);
	/* A dropped packet is never half-rewritten. */
	assert_memory_equal(f.b, orig.b, f.len);
	mpn_policy_free(p);

	p = policy_with(alert_addaddr);
	build(&f, 0, TH_ACK, data_opts, sizeof(data_opts), 0);
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_false(res.rewritten);
	assert_int_equal(count_reason(&res, MPN_REASON_MPTCP_OPTION_ALERT), 1);
	assert_memory_equal(f.b, orig.b, f.len);
	mpn_policy_free(p);
}

static void
fallback(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	allow30(m, r);
	m->mptcp.mode = MPN_MPTCP_FALLBACK;
}

static void
inspect(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	allow30(m, r);
	r->inspect = true;
}

static void
check_fallback(struct mpn_policy *p)
{
	static const uint8_t join_syn[] = {
		2, 4, 0x05, 0xb4, 30, 12, 0x10, 1, 0xde, 0xe6, 0x1a, 0x3e, 1, 2, 3, 4,
	};
	struct mpn_norm_result res;
	struct frame f, orig;

	/* The SYN loses MP_CAPABLE... */
	build(&f, 0, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(count_reason(&res, MPN_REASON_MPTCP_FALLBACK), 1);
	assert_nops(&f, SYN_MPC_OFF, 4);
	assert_checksum_ok(&f);
	/* ...and so does the SYN/ACK... */
	build(&f, 0, TH_SYN | TH_ACK, synack_opts, sizeof(synack_opts), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(count_reason(&res, MPN_REASON_MPTCP_FALLBACK), 1);
	assert_nops(&f, SYN_MPC_OFF, 12);
	assert_checksum_ok(&f);
	/* ...a join SYN is refused... */
	build(&f, 0, TH_SYN, join_syn, sizeof(join_syn), 0);
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_JOIN_REFUSED);
	/* ...but nothing is stripped mid-connection (RFC 8684 §3.7). */
	build(&f, 0, TH_ACK, data_opts, sizeof(data_opts), 10);
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_memory_equal(f.b, orig.b, f.len);
}

static void
test_fallback_mode(void **state)
{
	struct mpn_policy *p = policy_with(fallback);

	(void)state;
	check_fallback(p);
	mpn_policy_free(p);
}

static void
test_inspect_forces_fallback(void **state)
{
	struct mpn_policy *p = policy_with(inspect);

	(void)state;
	check_fallback(p);
	mpn_policy_free(p);
}

static void
drop_mode(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	allow30(m, r);
	m->mptcp.mode = MPN_MPTCP_DROP;
}

static void
test_drop_mode(void **state)
{
	struct mpn_policy *p = policy_with(drop_mode);
	static const uint8_t plain[] = { 2, 4, 0x05, 0xb4 };
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	build(&f, 0, TH_ACK, data_opts, sizeof(data_opts), 0);
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_OPTION_DENIED);
	build(&f, 0, TH_SYN, plain, sizeof(plain), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	mpn_policy_free(p);
}

/* tcpdump's mptcp-dss-oobr.pcap: a 3-byte DSS (CVE-2017-13040). */
static const uint8_t short_dss[] = { 1, 1, 30, 3, 0x20, 1, 1, 1 };

static void
malformed_clear(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	allow30(m, r);
	m->mptcp.malformed = MPN_ACTION_CLEAR;
}

static void
test_malformed_mptcp(void **state)
{
	struct mpn_policy *p = policy_with(allow30);
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	build(&f, 0, TH_ACK, short_dss, sizeof(short_dss), 0);
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_BAD_OPTION);
	mpn_policy_free(p);

	p = policy_with(malformed_clear);
	build(&f, 0, TH_ACK, short_dss, sizeof(short_dss), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_nops(&f, 22, 3);
	assert_checksum_ok(&f);
	mpn_policy_free(p);
}

static void
tcp_knobs(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	allow30(m, r);
	m->option_action[4] = MPN_ACTION_CLEAR;
	m->option_action[5] = MPN_ACTION_CLEAR;
	m->option_action[8] = MPN_ACTION_CLEAR;
	m->option_action[3] = MPN_ACTION_CLEAR;
	m->mss_clamp = 1380;
}

static void
test_tcp_option_knobs(void **state)
{
	struct mpn_policy *p = policy_with(tcp_knobs);
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	build(&f, 0, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(count_reason(&res, MPN_REASON_TCP_OPTION_CLEARED), 3);
	assert_int_equal(count_reason(&res, MPN_REASON_TCP_MSS_CLAMPED), 1);
	assert_int_equal(f.b[f.tcp + 22], 0x05);     /* 1380 = 0x0564 */
	assert_int_equal(f.b[f.tcp + 23], 0x64);
	assert_nops(&f, 24, 2);                       /* SACK permitted */
	assert_nops(&f, 26, 10);                      /* timestamp */
	assert_nops(&f, 37, 3);                       /* window scale */
	assert_int_equal(f.b[f.tcp + SYN_MPC_OFF], 30);
	assert_checksum_ok(&f);

	/* The clamp only lowers, and only on SYNs. */
	build(&f, 0, TH_ACK, syn_opts, sizeof(syn_opts), 0);
	run(p, &f, &res);
	assert_int_equal(count_reason(&res, MPN_REASON_TCP_MSS_CLAMPED), 0);
	mpn_policy_free(p);
}

static void
md5_drop(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)r;
	m->option_action[19] = MPN_ACTION_DROP;
}

static void
test_option_range_drop(void **state)
{
	static const uint8_t md5[] = { 19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct mpn_policy *p = policy_with(md5_drop);
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	build(&f, 0, TH_ACK, md5, sizeof(md5), 0);
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_OPTION_DENIED);
	mpn_policy_free(p);
	/* The ASA default clears it instead. */
	p = mpn_policy_new();
	build(&f, 0, TH_ACK, md5, sizeof(md5), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_nops(&f, 20, 18);
	assert_checksum_ok(&f);
	mpn_policy_free(p);
}

static void
syn_data_drop(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)r;
	m->syn_data = MPN_ACTION_DROP;
}

static void
synack_data_allow(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)r;
	m->synack_data = MPN_ACTION_ALLOW;
}

static void
test_syn_and_synack_data(void **state)
{
	static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	/* Defaults: SYN data allowed (TCP Fast Open), SYN/ACK data dropped. */
	build(&f, 0, TH_SYN, mss, sizeof(mss), 10);
	run(p, &f, &res);
	assert_true(res.forward);
	build(&f, 0, TH_SYN | TH_ACK, mss, sizeof(mss), 10);
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_SYNACK_DATA);
	build(&f, 0, TH_SYN | TH_ACK, mss, sizeof(mss), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	mpn_policy_free(p);

	p = policy_with(syn_data_drop);
	build(&f, 0, TH_SYN, mss, sizeof(mss), 10);
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_SYN_DATA);
	mpn_policy_free(p);

	p = policy_with(synack_data_allow);
	build(&f, 0, TH_SYN | TH_ACK, mss, sizeof(mss), 10);
	run(p, &f, &res);
	assert_true(res.forward);
	mpn_policy_free(p);
}

static void
reserved_clear(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)r;
	m->reserved_bits = MPN_ACTION_CLEAR;
}

static void
reserved_drop(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)r;
	m->reserved_bits = MPN_ACTION_DROP;
}

/* Set bits in TCP byte 12 and fix the checksum the slow way. */
static void
set_byte(struct frame *f, uint32_t off, uint8_t v)
{
	uint16_t c;

	f->b[f->tcp + off] = v;
	f->b[f->tcp + 16] = 0;
	f->b[f->tcp + 17] = 0;
	c = (uint16_t)~tcp_sum(f);
	f->b[f->tcp + 16] = (uint8_t)(c >> 8);
	f->b[f->tcp + 17] = (uint8_t)c;
}

static void
test_reserved_bits(void **state)
{
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_norm_result res;
	struct frame f, orig;

	(void)state;
	build(&f, 0, TH_ACK, NULL, 0, 0);
	set_byte(&f, 12, (uint8_t)(f.b[f.tcp + 12] | 0x0e));
	orig = f;
	run(p, &f, &res);                    /* default: allow */
	assert_true(res.forward);
	assert_memory_equal(f.b, orig.b, f.len);
	mpn_policy_free(p);

	p = policy_with(reserved_clear);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(f.b[f.tcp + 12] & 0x0f, 0);
	assert_int_equal(f.b[f.tcp + 12] >> 4, 5);
	assert_checksum_ok(&f);
	mpn_policy_free(p);

	p = policy_with(reserved_drop);
	f = orig;
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_RESERVED_SET);
	mpn_policy_free(p);
}

static void
urgent_allow(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)r;
	m->urgent_flag = MPN_ACTION_ALLOW;
}

static void
test_urgent_flag(void **state)
{
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_norm_result res;
	struct frame f, orig;

	(void)state;
	build(&f, 0, TH_ACK | TH_URG, NULL, 0, 20);
	f.b[f.tcp + 18] = 0;
	set_byte(&f, 19, 5);
	orig = f;
	run(p, &f, &res);                    /* default: clear */
	assert_true(res.forward);
	assert_int_equal(f.b[f.tcp + 13] & TH_URG, 0);
	assert_int_equal(f.b[f.tcp + 18], 0);
	assert_int_equal(f.b[f.tcp + 19], 0);
	assert_checksum_ok(&f);
	mpn_policy_free(p);

	p = policy_with(urgent_allow);
	f = orig;
	run(p, &f, &res);
	assert_memory_equal(f.b, orig.b, f.len);
	mpn_policy_free(p);
}

static void
checksum_on(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)r;
	m->checksum_verification = true;
}

static void
test_checksum_verification(void **state)
{
	struct mpn_policy *p = policy_with(checksum_on);
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	build(&f, 0, TH_ACK, NULL, 0, 30);
	run(p, &f, &res);
	assert_true(res.forward);
	f.b[f.tcp + 25] ^= 0x40;             /* corrupt the payload */
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_BAD_CHECKSUM);
	mpn_policy_free(p);
	/* Off by default. */
	p = mpn_policy_new();
	run(p, &f, &res);
	assert_true(res.forward);
	mpn_policy_free(p);
}

static void
test_dup_options(void **state)
{
	static const uint8_t dup[] = { 2, 4, 0x05, 0xb4, 2, 4, 0x23, 0x28, 3, 3, 7, 3, 3, 1 };
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	build(&f, 0, TH_SYN, dup, sizeof(dup), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(count_reason(&res, MPN_REASON_TCP_DUP_OPTION), 2);
	assert_int_equal(f.b[f.tcp + 20], 2);     /* the first MSS stays */
	assert_nops(&f, 24, 4);                   /* the second goes */
	assert_int_equal(f.b[f.tcp + 28], 3);     /* the first window scale stays */
	assert_nops(&f, 31, 3);
	assert_checksum_ok(&f);
	mpn_policy_free(p);
}

static void
test_bad_option_list(void **state)
{
	static const uint8_t overrun[] = { 1, 1, 8, 10, 0, 0, 0, 2 };   /* TS runs past */
	static const uint8_t zero_len[] = { 2, 0, 1, 1 };
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	build(&f, 0, TH_ACK, overrun, sizeof(overrun), 0);
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_BAD_OPTION_LIST);
	build(&f, 0, TH_ACK, zero_len, sizeof(zero_len), 0);
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_TCP_BAD_OPTION_LIST);
	mpn_policy_free(p);
}

static void
bypass(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)m;
	r->tcp_state_bypass = true;
}

static void
monitor(struct mpn_tcp_map *m, struct mpn_policy_rule *r)
{
	(void)m;
	r->monitor = true;
}

static void
test_bypass_and_monitor(void **state)
{
	static const uint8_t overrun[] = { 1, 1, 8, 10, 0, 0, 0, 2 };
	struct mpn_policy *p = policy_with(bypass);
	struct mpn_norm_result res;
	struct frame f, orig;

	(void)state;
	/* Bypass: not even a broken option list is judged. */
	build(&f, 0, TH_ACK, overrun, sizeof(overrun), 0);
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_true(res.bypass);
	assert_memory_equal(f.b, orig.b, f.len);
	mpn_policy_free(p);

	/* Monitor: the ASA default would clear MP_CAPABLE; it is recorded, not done. */
	p = policy_with(monitor);
	build(&f, 0, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_true(res.monitor);
	assert_false(res.rewritten);
	assert_int_equal(count_reason(&res, MPN_REASON_MPTCP_OPTION_CLEARED), 1);
	assert_memory_equal(f.b, orig.b, f.len);
	/* Nor is a drop carried out. */
	build(&f, 0, TH_ACK, overrun, sizeof(overrun), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(count_reason(&res, MPN_REASON_TCP_BAD_OPTION_LIST), 1);
	mpn_policy_free(p);
}

static void
test_ipv6_and_non_tcp(void **state)
{
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_norm_result res;
	struct frame f, orig;

	(void)state;
	build(&f, 1, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	run(p, &f, &res);
	assert_true(res.forward);
	assert_nops(&f, SYN_MPC_OFF, 4);
	assert_checksum_ok(&f);

	/* UDP is not ours to normalize. */
	build(&f, 0, 0, NULL, 0, 8);
	f.b[14 + 9] = 17;
	orig = f;
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(res.n_acts, 0);
	assert_memory_equal(f.b, orig.b, f.len);
	mpn_policy_free(p);
}

/*
 * RFC 1858 §3.2: a TCP fragment at offset 1 exists only to overwrite the
 * first fragment's header on reassembly: dropped. A later fragment has no
 * TCP header to inspect: passed and flagged.
 */
static void
test_tcp_fragments(void **state)
{
	struct mpn_policy *p = mpn_policy_new();
	struct mpn_norm_result res;
	struct frame f;

	(void)state;
	build(&f, 0, TH_ACK, NULL, 0, 40);
	f.b[14 + 7] = 1;                        /* fragment offset 1 (8 bytes) */
	run(p, &f, &res);
	assert_false(res.forward);
	assert_int_equal(res.drop_reason, MPN_REASON_IP_FRAGMENT_OVERLAP);

	build(&f, 0, TH_ACK, NULL, 0, 40);
	f.b[14 + 7] = 3;                        /* offset 3: an ordinary later fragment */
	run(p, &f, &res);
	assert_true(res.forward);
	assert_int_equal(res.acts[0].reason, MPN_REASON_IP_FRAGMENT);

	/* UDP at offset 1 is not TCP's business. */
	build(&f, 0, TH_ACK, NULL, 0, 40);
	f.b[14 + 7] = 1;
	f.b[14 + 9] = 17;
	run(p, &f, &res);
	assert_true(res.forward);
	mpn_policy_free(p);
}

/* Truncations of a valid frame at every length: a verdict, never a crash. */
static void
test_every_truncation(void **state)
{
	struct mpn_policy *p = policy_with(clear_addaddr);
	struct mpn_norm_result res;
	struct frame f, t;
	uint32_t n;

	(void)state;
	build(&f, 0, TH_ACK, data_opts, sizeof(data_opts), 20);
	for (n = 0; n <= f.len; n++) {
		t = f;
		mpn_normalize(p, &ether, t.b, n, &res);
		/* With the TCP header cut, nothing may be rewritten. */
		if (n < f.tcp + 20 + 40) {
			assert_int_not_equal(res.status, MPN_PKT_TCP);
			assert_false(res.rewritten);
			assert_memory_equal(t.b, f.b, n);
		} else {
			assert_int_equal(res.status, MPN_PKT_TCP);
			assert_true(res.forward);
		}
	}
	mpn_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asa_default_clears_mptcp),
		cmocka_unit_test(test_allow_30_passes_unchanged),
		cmocka_unit_test(test_every_kind30_option_is_judged),
		cmocka_unit_test(test_subtype_drop_and_alert),
		cmocka_unit_test(test_fallback_mode),
		cmocka_unit_test(test_inspect_forces_fallback),
		cmocka_unit_test(test_drop_mode),
		cmocka_unit_test(test_malformed_mptcp),
		cmocka_unit_test(test_tcp_option_knobs),
		cmocka_unit_test(test_option_range_drop),
		cmocka_unit_test(test_syn_and_synack_data),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_urgent_flag),
		cmocka_unit_test(test_checksum_verification),
		cmocka_unit_test(test_dup_options),
		cmocka_unit_test(test_bad_option_list),
		cmocka_unit_test(test_bypass_and_monitor),
		cmocka_unit_test(test_ipv6_and_non_tcp),
		cmocka_unit_test(test_tcp_fragments),
		cmocka_unit_test(test_every_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
