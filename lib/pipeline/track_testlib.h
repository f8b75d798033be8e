/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_TRACK_TESTLIB_H
#define MPN_TRACK_TESTLIB_H

/*
 * Helpers shared by the tracking tests (track_test.c, steer_test.c):
 * a policy, a tracker with its pipeline, and crafted TCP/MPTCP segments
 * run through it one at a time. Static: each test program has its copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_memory.h>

#include "mptcp_crypto.h"
#include "pipeline.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* A policy that lets kind 30 through: `tcp-options range 30 30 allow`, join verify. */
static struct mpn_policy *
mptcp_policy(void)
{
	struct mpn_policy *pol = mpn_policy_new();

	assert_non_null(pol);
	pol->tcp_maps[0].option_action[30] = MPN_ACTION_ALLOW;
	pol->tcp_maps[0].mptcp.join = MPN_JOIN_VERIFY;
	return pol;
}

/*
 * Make every packet match one class whose rule has the given flags, or,
 * with a port, only packets to or from that port.
 */
static void
set_rule(struct mpn_policy *pol, bool inspect, bool bypass, bool monitor, uint16_t port)
{
	struct mpn_class_map *c = &pol->classes[0];
	struct mpn_policy_rule *r = &pol->policy_maps[0].rules[0];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "c0");
	c->link = -1;
	if (port != 0) {
		c->n_dport = 1;
		c->dport[0].lo = c->dport[0].hi = port;
	}
	pol->n_classes = 1;
	snprintf(pol->policy_maps[0].name, sizeof(pol->policy_maps[0].name), "pm0");
	pol->policy_maps[0].n_rules = 1;
	memset(r, 0, sizeof(*r));
	r->class_idx = 0;
	r->tcp_map_idx = 0;
	r->inspect = inspect;
	r->tcp_state_bypass = bypass;
	r->monitor = monitor;
	pol->n_policy_maps = 1;
	pol->global_policy_map = 0;
}

/* Test environment: a policy, a token table, one tracker and its pipeline. */
struct env {
	struct mpn_policy *pol;
	struct mpn_conn_table *ct;
	struct mpn_tracker *t;
	struct mpn_pipeline pl;
	struct mpn_worker_stats stats;
	uint64_t now;
	uint16_t link;   /* the link the next packets cross (the observation point) */
};

static int name_seq;

static void
env_open(struct env *e, uint32_t capacity, enum mpn_flow_midstream ms)
{
	struct mpn_flow_params p;
	char n1[32], n2[32];

	memset(e, 0, sizeof(*e));
	e->pol = mptcp_policy();
	mpn_flow_params_default(&p);
	p.capacity = capacity;
	p.midstream = ms;
	snprintf(n1, sizeof(n1), "ct%d", name_seq);
	snprintf(n2, sizeof(n2), "sf%d", name_seq++);
	e->ct = mpn_conn_table_create(n1, 1024, 2, SOCKET_ID_ANY);
	assert_non_null(e->ct);
	e->t = mpn_tracker_create(n2, &p, e->ct, 0, SOCKET_ID_ANY);
	assert_non_null(e->t);
	assert_int_equal(mpn_pipeline_init(&e->pl, 0, &e->stats), 0);
	e->pl.tracker = e->t;
	e->now = 1000000;
}

static void
env_close(struct env *e)
{
	mpn_pipeline_fini(&e->pl);
	mpn_tracker_free(e->t);
	mpn_conn_table_free(e->ct);
	mpn_policy_free(e->pol);
}

/* Run one frame through the pipeline, as a burst of one. */
static bool
run(struct env *e, uint8_t *f, uint32_t len, enum mpn_l2_type l2, struct mpn_norm_result *res)
{
	struct mpn_burst_origin o = { .port = 0, .link = e->link, .dir = MPN_DIR_IN2OUT, .l2 = l2 };
	uint8_t *frames[1] = { f };
	uint32_t lens[1] = { len };
	uint8_t verdict;

	mpn_pipeline_run_frames(&e->pl, e->pol, &o, frames, lens, 1, &verdict, e->now);
	memcpy(res, &e->pl.ctx[0].res, sizeof(*res));
	assert_int_equal(verdict == MPN_VERDICT_FORWARD, res->forward);
	return res->forward;
}

/* ---- packet building ---- */

struct ep {
	uint8_t ip[4];
	uint16_t port;
	uint8_t ttl;
};

/* Ethernet + IPv4 + TCP with @p opts (padded with NOPs to 4) and plen zero bytes. */
static uint32_t
build(uint8_t *f, const struct ep *src, const struct ep *dst, uint8_t flags, uint32_t seq,
	uint32_t ack, uint16_t win, const uint8_t *opts, size_t olen, uint32_t plen)
{
	size_t ohl = (olen + 3) & ~(size_t)3;
	uint8_t *ip = f + 14, *t = f + 34;
	uint16_t tot = (uint16_t)(20 + 20 + ohl + plen);

	memset(f, 0, 14 + tot);
	memset(f, 0x02, 12);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = src->ttl ? src->ttl : 64;
	ip[9] = 6;
	memcpy(ip + 12, src->ip, 4);
	memcpy(ip + 16, dst->ip, 4);
	t[0] = (uint8_t)(src->port >> 8);
	t[1] = (uint8_t)src->port;
	t[2] = (uint8_t)(dst->port >> 8);
	t[3] = (uint8_t)dst->port;
	t[4] = (uint8_t)(seq >> 24); t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8); t[7] = (uint8_t)seq;
	t[8] = (uint8_t)(ack >> 24); t[9] = (uint8_t)(ack >> 16);
	t[10] = (uint8_t)(ack >> 8); t[11] = (uint8_t)ack;
	t[12] = (uint8_t)(((20 + ohl) / 4) << 4);
	t[13] = flags;
	t[14] = (uint8_t)(win >> 8);
	t[15] = (uint8_t)win;
	if (olen > 0)
		memcpy(t + 20, opts, olen);
	memset(t + 20 + olen, 1, ohl - olen);
	return 14u + tot;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* A TCP connection under test: client c, server s, next sequence numbers. */
struct tconn {
	struct ep c, s;
	uint32_t cseq, sseq;
};

static bool
xmit(struct env *e, struct tconn *k, bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
	uint16_t win, const uint8_t *opts, size_t olen, uint32_t plen, struct mpn_norm_result *res)
{
	static uint8_t f[2048];
	uint32_t len;

	len = build(f, from_client ? &k->c : &k->s, from_client ? &k->s : &k->c, flags, seq, ack,
		win, opts, olen, plen);
	e->now += 10;
	return run(e, f, len, MPN_L2_ETHER, res);
}

/* Handshake with MSS options (and window scale when wscale >= 0). */
static void
handshake(struct env *e, struct tconn *k, uint16_t cmss, uint16_t smss, uint16_t swin,
	const uint8_t *copt, size_t colen, const uint8_t *sopt, size_t solen,
	const uint8_t *aopt, size_t aolen)
{
	struct mpn_norm_result res;
	uint8_t o[40];
	size_t n;

	o[0] = 2; o[1] = 4; o[2] = (uint8_t)(cmss >> 8); o[3] = (uint8_t)cmss;
	n = 4;
	if (colen) {
		memcpy(o + n, copt, colen);
		n += colen;
	}
	assert_true(xmit(e, k, true, TH_SYN, k->cseq, 0, 65535, o, n, 0, &res));
	o[2] = (uint8_t)(smss >> 8); o[3] = (uint8_t)smss;
	n = 4;
	if (solen) {
		memcpy(o + n, sopt, solen);
		n += solen;
	}
	assert_true(xmit(e, k, false, TH_SYN | TH_ACK, k->sseq, k->cseq + 1, swin, o, n, 0, &res));
	k->cseq++;
	k->sseq++;
	assert_true(xmit(e, k, true, TH_ACK, k->cseq, k->sseq, 65535, aopt, aolen, 0, &res));
}

static void
tconn_init(struct tconn *k, uint8_t cnet, uint16_t cport, uint16_t sport)
{
	memset(k, 0, sizeof(*k));
	k->c.ip[0] = 10; k->c.ip[1] = 0; k->c.ip[2] = cnet; k->c.ip[3] = 1;
	k->s.ip[0] = 10; k->s.ip[1] = 0; k->s.ip[2] = cnet; k->s.ip[3] = 2;
	k->c.port = cport;
	k->s.port = sport;
	k->c.ttl = k->s.ttl = 64;
	k->cseq = 1000;
	k->sseq = 5000;
}

static bool
has_reason(const struct mpn_norm_result *res, enum mpn_reason r, uint8_t type)
{
	unsigned int i;

	for (i = 0; i < res->n_acts; i++)
		if (res->acts[i].reason == r && res->acts[i].type == type)
			return true;
	return false;
}

/* MP_CAPABLE v1 forms (RFC 8684 §3.1). */
static size_t
mpc_syn(uint8_t *o)
{
	o[0] = 30; o[1] = 4; o[2] = 0x01; o[3] = 0x81;
	return 4;
}

static size_t
mpc_synack(uint8_t *o, uint64_t kb)
{
	o[0] = 30; o[1] = 12; o[2] = 0x01; o[3] = 0x81;
	put64(o + 4, kb);
	return 12;
}

static size_t
mpc_ack(uint8_t *o, uint64_t ka, uint64_t kb)
{
	o[0] = 30; o[1] = 20; o[2] = 0x01; o[3] = 0x81;
	put64(o + 4, ka);
	put64(o + 12, kb);
	return 20;
}

static size_t
dss_ack(uint8_t *o, uint32_t dack)
{
	o[0] = 30; o[1] = 8; o[2] = 0x20; o[3] = 0x01;
	put32(o + 4, dack);
	return 8;
}

/* MP_JOIN forms (RFC 8684 §3.2). */
static size_t
join_syn(uint8_t *o, uint32_t token, uint32_t nonce)
{
	o[0] = 30; o[1] = 12; o[2] = 0x10; o[3] = 1;
	put32(o + 4, token);
	put32(o + 8, nonce);
	return 12;
}

static size_t
join_synack(uint8_t *o, const uint8_t hmac8[8], uint32_t nonce)
{
	o[0] = 30; o[1] = 16; o[2] = 0x10; o[3] = 1;
	memcpy(o + 4, hmac8, 8);
	put32(o + 12, nonce);
	return 16;
}

static size_t
join_ack(uint8_t *o, const uint8_t hmac[20])
{
	o[0] = 30; o[1] = 24; o[2] = 0x10; o[3] = 0;
	memcpy(o + 4, hmac, 20);
	return 24;
}

/* An MPTCP v1 connection with keys ka/kb over k. */
static void
mptcp_handshake(struct env *e, struct tconn *k, uint64_t ka, uint64_t kb)
{
	uint8_t s[12], sa[12], a[20];

	mpc_syn(s);
	mpc_synack(sa, kb);
	mpc_ack(a, ka, kb);
	handshake(e, k, 1460, 1460, 65535, s, 4, sa, 12, a, 20);
}

/*
 * Run a join over k: SYN with the token, SYN/ACK and ACK with the HMACs
 * computed from the keys (A = the join's initiator), optionally broken.
 * Returns a bitmask of which of the three packets were forwarded.
 */
static unsigned int
join(struct env *e, struct tconn *k, uint8_t version, uint32_t token, uint64_t key_init,
	uint64_t key_resp, bool bad_synack, bool bad_ack)
{
	struct mpn_norm_result res;
	uint8_t o[24], h[20];
	uint32_t ra = 0x01020304, rb = 0x0a0b0c0d;
	unsigned int fwd = 0;

	join_syn(o, token, ra);
	if (xmit(e, k, true, TH_SYN, k->cseq, 0, 65535, o, 12, 0, &res))
		fwd |= 1;

	mpn_mptcp_join_hmac(version, key_resp, key_init, rb, ra, h);
	if (bad_synack)
		h[0] ^= 0xff;
	join_synack(o, h, rb);
	if (xmit(e, k, false, TH_SYN | TH_ACK, k->sseq, k->cseq + 1, 65535, o, 16, 0, &res))
		fwd |= 2;
	mpn_mptcp_join_hmac(version, key_init, key_resp, ra, rb, h);
	if (bad_ack)
		h[19] ^= 0x01;
	join_ack(o, h);
	if (xmit(e, k, true, TH_ACK, k->cseq + 1, k->sseq + 1, 65535, o, 24, 0, &res))
		fwd |= 4;
	k->cseq++;
	k->sseq++;
	return fwd;
}

#endif /* MPN_TRACK_TESTLIB_H */
