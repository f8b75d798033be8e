/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Synthetic MPTCP traffic (see gen.h for what it looks like).
 *
 * How it is built, in three passes:
 *  1. Every connection is drawn from its own PRNG stream (seed and index),
 *     so what a connection looks like does not depend on the order the
 *     packets come in: family, plain or MPTCP, keys (redrawn until every
 *     token is unique and non-zero, as Linux does on each host), server,
 *     and per subflow the ISNs, timestamp clocks, IP IDs and join nonces.
 *     The buffer is sized from the frame lengths, which depend only on the
 *     family, the segment kind and the parameters.
 *  2. Setup: batches of BATCH connections, round robin over their
 *     handshake steps, so neighbouring packets belong to different
 *     connections and a connection's joins follow its MP_CAPABLE handshake.
 *  3. Data: data_per_subflow rounds; each round visits every subflow once,
 *     in an order shuffled afresh by the main PRNG (xoshiro256**), and
 *     sends round r's segment: a client data segment when r is even, the
 *     server's ACK when r is odd. The server acks everything sent so far,
 *     at subflow and data level, so no ACK acknowledges unsent data and
 *     at most one segment is ever in flight: always inside the window.
 *
 * What the segments look like follows Linux (pcaps/mptcp-2subflows.pcap):
 * options in Linux's order, MP_CAPABLE flags 0x01 (H: HMAC-SHA256 for v1,
 * HMAC-SHA1 for v0, no DSS checksum), a v1 client DSS with a 4-byte data
 * ACK and an 8-byte DSN (22 bytes, two NOPs), a v1 server DSS with an
 * 8-byte data ACK. v0 uses 4-byte data ACKs and DSNs (RFC 6824 §3.3).
 * Window scale 7 both ways; after the handshake the client announces 502
 * and the server 509 (the SYN/ACK announces 509 << 7 unscaled, so no right
 * edge ever moves back).
 *
 * mpn_gen_build() sets errno on failure: EINVAL for a parameter out of
 * range, ENOMEM for memory, EIO when libcrypto fails.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cksum.h"
#include "gen.h"
#include "mptcp.h"
#include "mptcp_crypto.h"

#define ETH_HDR 14
#define IP4_HDR 20
#define IP6_HDR 40
#define TCP_HDR 20

#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

#define SLOT_ALIGN 64u
#define BATCH 64u
#define MAX_SUBFLOWS 8u
#define MAX_PAYLOAD 1200u

/* Clients: 256 x 254 IPv4 hosts per /16 (x.y.z.0 and .255 left out). */
#define HOSTS 65024u
/* Source ports: 8 per connection from here, one block of HOSTS connections per 8. */
#define PORT_BASE 10000u
#define PORT_BLOCKS ((65536u - PORT_BASE) / MAX_SUBFLOWS)
#define MAX_CONNECTIONS ((uint64_t)HOSTS * PORT_BLOCKS)
/* A permutation of the host index: odd and prime to 127 (HOSTS = 2^9 * 127). */
#define HOST_MUL 1031u

#define TTL 64
#define WSCALE 7
#define WIN_SYN 64240       /* client SYN, unscaled (Linux: 44 * 1460) */
#define WIN_CLIENT 502      /* client, scaled by 2^7 */
#define WIN_SERVER 509      /* server, scaled by 2^7 */
#define WIN_SYNACK (WIN_SERVER << WSCALE)
#define MSS 1460
#define JOIN_ADDR_ID 1      /* the client's second address */
#define REWRITE_KIND 254    /* RFC 6994 experimental, cleared by the ASA default */
#define REWRITE_EXID 0x4d4e

static const uint8_t mac_client[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_server[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* Segment kinds, in a subflow's wire order. */
enum kind {
	K_SYN,      /* initial subflow */
	K_SYNACK,
	K_ACK3,
	K_JSYN,     /* join */
	K_JSYNACK,
	K_JACK,
	K_DATA,     /* client data */
	K_DACK,     /* server ACK */
};

/* What a connection needs beyond struct mpn_gen_conn. */
struct gconn {
	uint64_t idsn_a, idsn_b;
	uint64_t sent;        /* client bytes sent at data level */
	uint32_t sf_first;    /* its first subflow in ctx.sf */
	uint32_t host;        /* client host index (IPv4), 0..HOSTS-1 */
	uint16_t port_base;
	uint16_t srv_host;    /* 0..HOSTS-1 */
	uint16_t srv_port;
};

/* One subflow's TCP state. */
struct gsf {
	uint32_t conn;
	uint32_t isn_c, isn_s;
	uint32_t seq_c, seq_s;    /* next sequence number of each side */
	uint32_t ts_c, ts_s;      /* next TSval of each side */
	uint32_t nonce_a, nonce_b;
	uint16_t ipid_c, ipid_s;
	uint8_t k;                /* 0: initial subflow, 1..: joins */
};

struct ctx {
	const struct mpn_gen_params *p;
	struct mpn_gen *g;
	struct gconn *gc;
	struct gsf *sf;
	uint64_t n_sf;
	uint64_t off;             /* next free byte of g->buf */
	uint64_t s[4];            /* xoshiro256** state */
	uint32_t host_off;
	uint32_t v6_hi;
	uint8_t pattern[MAX_PAYLOAD + 256];
};

/* One segment to write. */
struct seg {
	bool v6, from_client;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint16_t ipid;
	uint8_t opt[40];
	uint8_t optlen;
	const uint8_t *payload;
	uint16_t plen;
};

/* --- PRNGs --------------------------------------------------------------- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
xoshiro(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* A number in [0, n), by multiply-shift (bias below 2^-32 * n: irrelevant here). */
static uint32_t
below(uint64_t r, uint32_t n)
{
	return (uint32_t)(((r >> 32) * n) >> 32);
}

/* --- Byte helpers -------------------------------------------------------- */

static void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static uint64_t
align_slot(uint64_t n)
{
	return (n + SLOT_ALIGN - 1) & ~(uint64_t)(SLOT_ALIGN - 1);
}

/*
 * A big zone of memory, 64-byte aligned. Past a few huge pages it is
 * 2 MB-aligned and asks for transparent huge pages: the frames are written
 * once, front to back, and 4 KB page faults would cost about as much as
 * building them.
 */
static void *
big_alloc(uint64_t len)
{
	const uint64_t huge = 2u << 20;
	void *p;

	if (len < 8 * huge)
		return aligned_alloc(SLOT_ALIGN, align_slot(len));
	len = (len + huge - 1) & ~(huge - 1);
	p = aligned_alloc(huge, len);
#ifdef MADV_HUGEPAGE
	if (p != NULL)
		(void)madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
}

static int
fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return -1;
}

/* --- Lengths ------------------------------------------------------------- */

/* Option bytes of a segment; every form is a multiple of 4 (NOP-padded). */
static unsigned int
opt_len(enum kind k, const struct mpn_gen_params *p, bool mptcp, bool rw)
{
	/* SYN and SYN/ACK: mss 4, sackOK 2, TS 10, nop 1, wscale 3. */
	const unsigned int syn = 20, ts = 12; /* nop, nop, TS */

	switch (k) {
	case K_SYN:
		return syn + (mptcp ? (p->version == 1 ? 4 : 12) : 0);
	case K_SYNACK:
		return syn + (mptcp ? 12 : 0);
	case K_ACK3:
		return ts + (mptcp ? 20 : 0);
	case K_JSYN:
		return syn + 12;
	case K_JSYNACK:
		return syn + 16;
	case K_JACK:
		return ts + 24;
	case K_DATA:
		/* v1: 22-byte DSS + 2 NOPs; v0: 18 + 2; no payload: data ACK only. */
		return ts + (mptcp ? (p->payload == 0 ? 8 : p->version == 1 ? 24 : 20) : 0) +
			(rw ? 4 : 0);
	case K_DACK:
		return ts + (mptcp ? (p->version == 1 ? 12 : 8) : 0) + (rw ? 4 : 0);
	}
	return 0;
}

static unsigned int
frame_len(enum kind k, const struct mpn_gen_params *p, bool v6, bool mptcp, bool rw)
{
	return ETH_HDR + (v6 ? IP6_HDR : IP4_HDR) + TCP_HDR + opt_len(k, p, mptcp, rw) +
		(k == K_DATA ? p->payload : 0);
}

/* --- Addresses ----------------------------------------------------------- */

/* Client address: 10.1/16 (initial) or 10.3/16 (joins); fd00:1::/64, fd00:3::/64. */
static void
client_addr(const struct ctx *x, uint32_t ci, bool second, bool v6, uint8_t *a)
{
	const struct gconn *c = &x->gc[ci];

	if (v6) {
		memset(a, 0, 16);
		a[0] = 0xfd;
		a[3] = second ? 3 : 1;
		be32(a + 8, x->v6_hi);
		be32(a + 12, ci + 1);
	} else {
		a[0] = 10;
		a[1] = second ? 3 : 1;
		a[2] = (uint8_t)(c->host / 254);
		a[3] = (uint8_t)(c->host % 254 + 1);
	}
}

/* Server address: 10.2/16 or fd00:2::/64. */
static void
server_addr(const struct ctx *x, uint32_t ci, bool v6, uint8_t *a)
{
	const struct gconn *c = &x->gc[ci];

	if (v6) {
		memset(a, 0, 16);
		a[0] = 0xfd;
		a[3] = 2;
		be16(a + 14, (uint16_t)(c->srv_host + 1));
	} else {
		a[0] = 10;
		a[1] = 2;
		a[2] = (uint8_t)(c->srv_host / 254);
		a[3] = (uint8_t)(c->srv_host % 254 + 1);
	}
}

/* --- Frames -------------------------------------------------------------- */

/* Write Ethernet + IP + TCP with valid checksums; return the frame length. */
static uint16_t
put_frame(uint8_t *f, const struct seg *s)
{
	unsigned int ip_len = s->v6 ? IP6_HDR : IP4_HDR, alen = s->v6 ? 16 : 4;
	unsigned int thl = TCP_HDR + s->optlen, l4 = thl + s->plen;
	uint8_t *ip = f + ETH_HDR, *th = ip + ip_len, ph[40];
	uint32_t sum;

	memcpy(f, s->from_client ? mac_server : mac_client, 6);
	memcpy(f + 6, s->from_client ? mac_client : mac_server, 6);
	be16(f + 12, s->v6 ? 0x86dd : 0x0800);

	if (s->v6) {
		be32(ip, 0x60000000);
		be16(ip + 4, (uint16_t)l4);
		ip[6] = 6;
		ip[7] = TTL;
		memcpy(ip + 8, s->src, 16);
		memcpy(ip + 24, s->dst, 16);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		be16(ip + 2, (uint16_t)(IP4_HDR + l4));
		be16(ip + 4, s->ipid);
		be16(ip + 6, 0x4000); /* DF */
		ip[8] = TTL;
		ip[9] = 6;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, s->src, 4);
		memcpy(ip + 16, s->dst, 4);
		be16(ip + 10, (uint16_t)~mpn_cksum_fold(mpn_cksum_partial(ip, IP4_HDR, 0)));
	}

	be16(th, s->sport);
	be16(th + 2, s->dport);
	be32(th + 4, s->seq);
	be32(th + 8, s->ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = s->flags;
	be16(th + 14, s->win);
	th[16] = th[17] = 0;
	th[18] = th[19] = 0;
	memcpy(th + TCP_HDR, s->opt, s->optlen);
	if (s->plen > 0)
		memcpy(th + thl, s->payload, s->plen);

	/* Pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1), then the segment. */
	memcpy(ph, s->src, alen);
	memcpy(ph + alen, s->dst, alen);
	if (s->v6) {
		be32(ph + 32, l4);
		be32(ph + 36, 6);
	} else {
		ph[8] = 0;
		ph[9] = 6;
		be16(ph + 10, (uint16_t)l4);
	}
	sum = mpn_cksum_partial(ph, s->v6 ? 40 : 12, 0);
	sum = mpn_cksum_partial(th, l4, sum);
	be16(th + 16, (uint16_t)~mpn_cksum_fold(sum));
	return (uint16_t)(ETH_HDR + ip_len + l4);
}

/* SYN and SYN/ACK options as Linux orders them: mss, sackOK, TS, nop, wscale. */
static uint8_t *
opt_syn(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 2;
	o[1] = 4;
	be16(o + 2, MSS);
	o[4] = 4;
	o[5] = 2;
	o[6] = 8;
	o[7] = 10;
	be32(o + 8, tsval);
	be32(o + 12, tsecr);
	o[16] = 1;
	o[17] = 3;
	o[18] = 3;
	o[19] = WSCALE;
	return o + 20;
}

/* nop, nop, TS: every segment after the SYNs. */
static uint8_t *
opt_ts(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	be32(o + 4, tsval);
	be32(o + 8, tsecr);
	return o + 12;
}

static uint8_t *
opt_mpc(uint8_t *o, uint8_t version, uint8_t len, uint64_t k1, uint64_t k2)
{
	o[0] = MPN_MPTCP_KIND;
	o[1] = len;
	o[2] = (uint8_t)(MPN_MPTCP_MP_CAPABLE << 4 | version);
	o[3] = MPN_MPTCP_CAP_H;
	if (len >= 12)
		be64(o + 4, k1);
	if (len >= 20)
		be64(o + 12, k2);
	return o + len;
}

static uint8_t *
opt_rewrite(uint8_t *o)
{
	o[0] = REWRITE_KIND;
	o[1] = 4;
	be16(o + 2, REWRITE_EXID);
	return o + 4;
}

/* Record the frame of @p s in the next slot; the slot was sized for @p k. */
static void
emit(struct ctx *x, const struct seg *s, enum kind k, bool mptcp, bool rw)
{
	struct mpn_gen *g = x->g;
	struct mpn_gen_pkt *pk = &g->pkt[g->n++];
	bool rw_slot = (k == K_DATA || k == K_DACK) && x->p->rewrite_percent > 0;

	pk->data = g->buf + x->off;
	pk->len = put_frame(pk->data, s);
	pk->cls = k <= K_ACK3 ? MPN_GEN_HANDSHAKE : k <= K_JACK ? MPN_GEN_JOIN : MPN_GEN_DATA;
	pk->from_client = s->from_client;
	pk->rewrite = rw;
	memset(pk->pad, 0, sizeof(pk->pad));
	x->off += align_slot(frame_len(k, x->p, s->v6, mptcp, rw_slot));
	g->bytes += pk->len;
	if (rw)
		g->rewrites++;
}

/* Fill the addressing of a segment of subflow @p f in direction @p from_client. */
static void
seg_init(const struct ctx *x, const struct gsf *f, bool from_client, struct seg *s)
{
	const struct mpn_gen_conn *pc = &x->g->conn[f->conn];
	const struct gconn *c = &x->gc[f->conn];
	uint8_t ca[16], sa[16];
	uint16_t cport = (uint16_t)(c->port_base + f->k);

	s->v6 = pc->ipv6;
	s->from_client = from_client;
	client_addr(x, f->conn, f->k > 0, s->v6, ca);
	server_addr(x, f->conn, s->v6, sa);
	memcpy(s->src, from_client ? ca : sa, 16);
	memcpy(s->dst, from_client ? sa : ca, 16);
	s->sport = from_client ? cport : c->srv_port;
	s->dport = from_client ? c->srv_port : cport;
	s->payload = NULL;
	s->plen = 0;
}

/* One handshake segment of subflow @p f: @p k is K_SYN..K_JACK. */
static void
emit_setup(struct ctx *x, struct gsf *f, enum kind k)
{
	const struct mpn_gen_conn *pc = &x->g->conn[f->conn];
	bool client = k == K_SYN || k == K_ACK3 || k == K_JSYN || k == K_JACK;
	uint8_t v = pc->version, *o;
	uint8_t hmac[MPN_MPTCP_JOIN_HMAC_LEN];
	struct seg s;

	seg_init(x, f, client, &s);
	o = s.opt;
	switch (k) {
	case K_SYN:
	case K_JSYN:
		s.seq = f->isn_c;
		s.ack = 0;
		s.flags = TH_SYN;
		s.win = WIN_SYN;
		o = opt_syn(o, f->ts_c, 0);
		if (k == K_JSYN) {
			o[0] = MPN_MPTCP_KIND;
			o[1] = 12;
			o[2] = MPN_MPTCP_MP_JOIN << 4;
			o[3] = JOIN_ADDR_ID;
			be32(o + 4, pc->token_b);
			be32(o + 8, f->nonce_a);
			o += 12;
		} else if (pc->mptcp) {
			o = opt_mpc(o, v, v == 1 ? 4 : 12, pc->key_a, 0);
		}
		f->seq_c = f->isn_c + 1;
		break;
	case K_SYNACK:
	case K_JSYNACK:
		s.seq = f->isn_s;
		s.ack = f->seq_c;
		s.flags = TH_SYN | TH_ACK;
		s.win = WIN_SYNACK;
		o = opt_syn(o, f->ts_s, f->ts_c - 1);
		if (k == K_JSYNACK) {
			/* Leftmost 64 bits of HMAC(Key-B || Key-A, R-B || R-A), A the initiator. */
			mpn_mptcp_join_hmac(v, pc->key_b, pc->key_a, f->nonce_b, f->nonce_a, hmac);
			o[0] = MPN_MPTCP_KIND;
			o[1] = 16;
			o[2] = MPN_MPTCP_MP_JOIN << 4;
			o[3] = 0; /* the server's initial address */
			memcpy(o + 4, hmac, 8);
			be32(o + 12, f->nonce_b);
			o += 16;
		} else if (pc->mptcp) {
			o = opt_mpc(o, v, 12, pc->key_b, 0);
		}
		f->seq_s = f->isn_s + 1;
		break;
	default: /* K_ACK3, K_JACK */
		s.seq = f->seq_c;
		s.ack = f->seq_s;
		s.flags = TH_ACK;
		s.win = WIN_CLIENT;
		o = opt_ts(o, f->ts_c, f->ts_s - 1);
		if (k == K_JACK) {
			/* HMAC(Key-A || Key-B, R-A || R-B), all 160 bits. */
			mpn_mptcp_join_hmac(v, pc->key_a, pc->key_b, f->nonce_a, f->nonce_b, hmac);
			o[0] = MPN_MPTCP_KIND;
			o[1] = 24;
			o[2] = MPN_MPTCP_MP_JOIN << 4;
			o[3] = 0;
			memcpy(o + 4, hmac, MPN_MPTCP_JOIN_HMAC_LEN);
			o += 24;
		} else if (pc->mptcp) {
			o = opt_mpc(o, v, 20, pc->key_a, pc->key_b);
		}
		break;
	}
	s.optlen = (uint8_t)(o - s.opt);
	if (client) {
		s.ipid = f->ipid_c++;
		f->ts_c++;
	} else {
		/* Linux sends its IPv4 SYN/ACKs with ID 0. */
		s.ipid = (k == K_SYNACK || k == K_JSYNACK) ? 0 : f->ipid_s++;
		f->ts_s++;
	}
	emit(x, &s, k, pc->mptcp, false);
}

/* One data-phase segment of subflow @p f: @p k is K_DATA or K_DACK. */
static void
emit_data(struct ctx *x, struct gsf *f, enum kind k)
{
	const struct mpn_gen_params *p = x->p;
	const struct mpn_gen_conn *pc = &x->g->conn[f->conn];
	struct gconn *c = &x->gc[f->conn];
	bool client = k == K_DATA;
	bool rw = p->rewrite_percent > 0 && below(xoshiro(x->s), 100) < p->rewrite_percent;
	uint8_t *o;
	struct seg s;

	seg_init(x, f, client, &s);
	o = s.opt;
	if (client) {
		s.seq = f->seq_c;
		s.ack = f->seq_s;
		s.flags = p->payload > 0 ? (TH_PSH | TH_ACK) : TH_ACK;
		s.win = WIN_CLIENT;
		s.plen = (uint16_t)p->payload;
		s.payload = x->pattern + ((f->seq_c - f->isn_c) & 0xff);
		o = opt_ts(o, f->ts_c, f->ts_s - 1);
		if (pc->mptcp) {
			/* The server sends no data: the data ACK stays at its IDSN + 1. */
			uint32_t dack = (uint32_t)(c->idsn_b + 1);
			uint64_t dsn = c->idsn_a + 1 + c->sent;

			o[0] = MPN_MPTCP_KIND;
			o[2] = MPN_MPTCP_DSS << 4;
			be32(o + 4, dack);
			if (p->payload == 0) {
				o[1] = 8;
				o[3] = MPN_MPTCP_DSS_ACK;
				o += 8;
			} else if (pc->version == 1) {
				o[1] = 22;
				o[3] = MPN_MPTCP_DSS_ACK | MPN_MPTCP_DSS_MAP | MPN_MPTCP_DSS_DSN64;
				be64(o + 8, dsn);
				be32(o + 16, f->seq_c - f->isn_c);
				be16(o + 20, (uint16_t)p->payload);
				o[22] = o[23] = 1;
				o += 24;
			} else {
				o[1] = 18;
				o[3] = MPN_MPTCP_DSS_ACK | MPN_MPTCP_DSS_MAP;
				be32(o + 8, (uint32_t)dsn);
				be32(o + 12, f->seq_c - f->isn_c);
				be16(o + 16, (uint16_t)p->payload);
				o[18] = o[19] = 1;
				o += 20;
			}
			c->sent += p->payload;
		}
		f->seq_c += p->payload;
		s.ipid = f->ipid_c++;
		f->ts_c++;
	} else {
		s.seq = f->seq_s;
		s.ack = f->seq_c;
		s.flags = TH_ACK;
		s.win = WIN_SERVER;
		o = opt_ts(o, f->ts_s, f->ts_c - 1);
		if (pc->mptcp) {
			/* Everything sent so far, on every subflow, came before this ACK. */
			uint64_t dack = c->idsn_a + 1 + c->sent;

			o[0] = MPN_MPTCP_KIND;
			o[2] = MPN_MPTCP_DSS << 4;
			if (pc->version == 1) {
				o[1] = 12;
				o[3] = MPN_MPTCP_DSS_ACK | MPN_MPTCP_DSS_ACK64;
				be64(o + 4, dack);
				o += 12;
			} else {
				o[1] = 8;
				o[3] = MPN_MPTCP_DSS_ACK;
				be32(o + 4, (uint32_t)dack);
				o += 8;
			}
		}
		s.ipid = f->ipid_s++;
		f->ts_s++;
	}
	if (rw)
		o = opt_rewrite(o);
	s.optlen = (uint8_t)(o - s.opt);
	emit(x, &s, k, pc->mptcp, rw);
}

/* --- Tokens -------------------------------------------------------------- */

/* Open-addressing set of non-zero 32-bit tokens. */
struct tokset {
	uint32_t *t;
	uint32_t mask;
	int bits;
};

static bool
tokset_add(struct tokset *ts, uint32_t tok)
{
	uint32_t i = (tok * 0x9e3779b1u) >> (32 - ts->bits);

	for (;; i = (i + 1) & ts->mask) {
		if (ts->t[i] == tok)
			return false;
		if (ts->t[i] == 0) {
			ts->t[i] = tok;
			return true;
		}
	}
}

/* Draw a key whose token is non-zero and not yet taken. */
static int
draw_key(uint8_t version, uint64_t *rs, struct tokset *ts, uint64_t *key, uint32_t *tok,
	uint64_t *idsn)
{
	for (;;) {
		uint64_t k = splitmix64(rs);

		if (k == 0)
			continue;
		if (mpn_mptcp_key_token(version, k, tok, idsn) != 0)
			return -1;
		if (*tok != 0 && tokset_add(ts, *tok)) {
			*key = k;
			return 0;
		}
	}
}

/* --- Build --------------------------------------------------------------- */

void
mpn_gen_params_default(struct mpn_gen_params *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->connections = 1024;
	p->subflows = 2;
	p->data_per_subflow = 8;
	p->payload = 64;
	p->version = 1;
	p->ipv6_percent = 25;
	p->plain_tcp_percent = 10;
	p->rewrite_percent = 0;
}

void
mpn_gen_free(struct mpn_gen *g)
{
	if (g == NULL)
		return;
	free(g->buf);
	free(g->pkt);
	free(g->conn);
	memset(g, 0, sizeof(*g));
}

static int
check_params(const struct mpn_gen_params *p, char *err, size_t errlen)
{
	if (p->connections < 1 || p->connections > MAX_CONNECTIONS)
		return fail(err, errlen, EINVAL, "connections must be 1..%llu, not %u",
			(unsigned long long)MAX_CONNECTIONS, p->connections);
	if (p->subflows < 1 || p->subflows > MAX_SUBFLOWS)
		return fail(err, errlen, EINVAL, "subflows must be 1..%u, not %u",
			MAX_SUBFLOWS, p->subflows);
	if (p->payload > MAX_PAYLOAD)
		return fail(err, errlen, EINVAL, "payload must be 0..%u bytes, not %u",
			MAX_PAYLOAD, p->payload);
	if (p->version > 1)
		return fail(err, errlen, EINVAL, "MPTCP version must be 0 or 1, not %u",
			p->version);
	if (p->ipv6_percent > 100)
		return fail(err, errlen, EINVAL, "ipv6 percent must be 0..100, not %u",
			p->ipv6_percent);
	if (p->plain_tcp_percent > 100)
		return fail(err, errlen, EINVAL, "plain TCP percent must be 0..100, not %u",
			p->plain_tcp_percent);
	if (p->rewrite_percent > 100)
		return fail(err, errlen, EINVAL, "rewrite percent must be 0..100, not %u",
			p->rewrite_percent);
	return 0;
}

/*
 * Pass 1: draw every connection and subflow; count packets and bytes.
 */
static int
draw_conns(struct ctx *x, uint64_t *n_pkt, uint64_t *n_setup, uint64_t *bytes,
	char *err, size_t errlen)
{
	const struct mpn_gen_params *p = x->p;
	struct mpn_gen *g = x->g;
	uint64_t base, tokcap = 16, sfi = 0;
	uint32_t d_data = (p->data_per_subflow + 1) / 2, d_ack = p->data_per_subflow / 2;
	bool rw = p->rewrite_percent > 0;
	struct tokset ts;
	uint32_t i, k;
	int rc = 0;

	/* Room for both tokens of every connection at a load of at most 1/2. */
	ts.bits = 4;
	while (tokcap < 4 * (uint64_t)p->connections) {
		tokcap <<= 1;
		ts.bits++;
	}
	ts.mask = (uint32_t)(tokcap - 1);
	ts.t = calloc(tokcap, sizeof(*ts.t));
	if (ts.t == NULL)
		return fail(err, errlen, ENOMEM, "not enough memory for %u connections",
			p->connections);

	base = p->seed ^ 0x6d706e6f726d2d67ULL; /* "mpnorm-g" */
	*n_pkt = *n_setup = *bytes = 0;
	for (i = 0; i < p->connections; i++) {
		struct mpn_gen_conn *pc = &g->conn[i];
		struct gconn *c = &x->gc[i];
		uint64_t rs = base + (uint64_t)i * 0xd1b54a32d192ed03ULL;
		uint64_t r = splitmix64(&rs);
		unsigned int nsf;

		pc->ipv6 = below(r, 100) < p->ipv6_percent;
		pc->mptcp = !(below(r << 32, 100) < p->plain_tcp_percent);
		pc->version = pc->mptcp ? p->version : 0;
		pc->subflows = (uint8_t)(pc->mptcp ? p->subflows : 1);
		if (pc->mptcp) {
			if (draw_key(p->version, &rs, &ts, &pc->key_a, &pc->token_a, &c->idsn_a) != 0 ||
					draw_key(p->version, &rs, &ts, &pc->key_b, &pc->token_b,
						&c->idsn_b) != 0) {
				rc = fail(err, errlen, EIO, "libcrypto failed to derive a token");
				goto out;
			}
		}
		c->sent = 0;
		c->sf_first = (uint32_t)sfi;
		c->host = (uint32_t)(((uint64_t)(i % HOSTS) * HOST_MUL + x->host_off) % HOSTS);
		c->port_base = (uint16_t)(PORT_BASE + (i / HOSTS) * MAX_SUBFLOWS);
		r = splitmix64(&rs);
		c->srv_host = (uint16_t)below(r, HOSTS);
		c->srv_port = (const uint16_t[]){ 80, 443, 5201, 8080 }[r & 3];

		nsf = pc->subflows;
		for (k = 0; k < nsf; k++) {
			struct gsf *f = &x->sf[sfi++];

			f->conn = i;
			f->k = (uint8_t)k;
			r = splitmix64(&rs);
			f->isn_c = (uint32_t)r;
			f->isn_s = (uint32_t)(r >> 32);
			f->seq_c = f->isn_c;
			f->seq_s = f->isn_s;
			r = splitmix64(&rs);
			f->ts_c = (uint32_t)r;
			f->ts_s = (uint32_t)(r >> 32);
			r = splitmix64(&rs);
			f->nonce_a = (uint32_t)r;
			f->nonce_b = (uint32_t)(r >> 32);
			r = splitmix64(&rs);
			f->ipid_c = (uint16_t)r;
			f->ipid_s = (uint16_t)(r >> 16);
		}

		/* Slots: the handshakes, then the data phase of every subflow. */
		*bytes += align_slot(frame_len(K_SYN, p, pc->ipv6, pc->mptcp, false)) +
			align_slot(frame_len(K_SYNACK, p, pc->ipv6, pc->mptcp, false)) +
			align_slot(frame_len(K_ACK3, p, pc->ipv6, pc->mptcp, false));
		*bytes += (uint64_t)(nsf - 1) *
			(align_slot(frame_len(K_JSYN, p, pc->ipv6, true, false)) +
			 align_slot(frame_len(K_JSYNACK, p, pc->ipv6, true, false)) +
			 align_slot(frame_len(K_JACK, p, pc->ipv6, true, false)));
		*bytes += (uint64_t)nsf *
			((uint64_t)d_data * align_slot(frame_len(K_DATA, p, pc->ipv6, pc->mptcp, rw)) +
			 (uint64_t)d_ack * align_slot(frame_len(K_DACK, p, pc->ipv6, pc->mptcp, rw)));
		*n_setup += 3ULL * nsf;
		*n_pkt += 3ULL * nsf + (uint64_t)nsf * p->data_per_subflow;
		if (nsf > 1)
			g->joins += nsf - 1;
	}
	g->subflows = sfi;
out:
	free(ts.t);
	return rc;
}

/* Pass 2: the handshakes, BATCH connections at a time, round robin over the steps. */
static void
emit_setup_phase(struct ctx *x)
{
	const struct mpn_gen_params *p = x->p;
	uint32_t first, i, step, last_step = 3 * p->subflows;

	for (first = 0; first < p->connections; first += BATCH) {
		uint32_t end = first + BATCH < p->connections ? first + BATCH : p->connections;

		for (step = 0; step < last_step; step++) {
			for (i = first; i < end; i++) {
				const struct mpn_gen_conn *pc = &x->g->conn[i];
				uint32_t k = step / 3;
				static const enum kind init[3] = { K_SYN, K_SYNACK, K_ACK3 };
				static const enum kind join[3] = { K_JSYN, K_JSYNACK, K_JACK };

				if (k >= pc->subflows)
					continue;
				emit_setup(x, &x->sf[x->gc[i].sf_first + k],
					k == 0 ? init[step % 3] : join[step % 3]);
			}
		}
	}
}

/* Pass 3: the data rounds, each in a fresh order. */
static int
emit_data_phase(struct ctx *x, char *err, size_t errlen)
{
	const struct mpn_gen_params *p = x->p;
	uint32_t *order, r;
	uint64_t i, n = x->n_sf;

	if (p->data_per_subflow == 0)
		return 0;
	order = malloc(n * sizeof(*order));
	if (order == NULL)
		return fail(err, errlen, ENOMEM, "not enough memory for %llu subflows",
			(unsigned long long)n);
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (r = 0; r < p->data_per_subflow; r++) {
		/* Fisher-Yates. */
		for (i = n - 1; i > 0; i--) {
			uint64_t j = xoshiro(x->s) % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = (uint32_t)t;
		}
		for (i = 0; i < n; i++)
			emit_data(x, &x->sf[order[i]], r % 2 == 0 ? K_DATA : K_DACK);
	}
	free(order);
	return 0;
}

int
mpn_gen_build(const struct mpn_gen_params *p, struct mpn_gen *g, char *err, size_t errlen)
{
	uint64_t n_pkt = 0, n_setup = 0, bytes = 0, sd, i;
	struct ctx *x;
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (g == NULL)
		return fail(err, errlen, EINVAL, "no traffic to fill");
	memset(g, 0, sizeof(*g));
	if (p == NULL)
		return fail(err, errlen, EINVAL, "no parameters");
	if (check_params(p, err, errlen) != 0)
		return -1;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return fail(err, errlen, ENOMEM, "not enough memory");
	x->p = p;
	x->g = g;
	sd = p->seed;
	for (i = 0; i < 4; i++)
		x->s[i] = splitmix64(&sd);
	x->host_off = below(xoshiro(x->s), HOSTS);
	x->v6_hi = (uint32_t)xoshiro(x->s);
	for (i = 0; i < sizeof(x->pattern); i++)
		x->pattern[i] = (uint8_t)(xoshiro(x->s) >> 56);

	g->n_conn = p->connections;
	x->n_sf = (uint64_t)p->connections * p->subflows; /* at most; plain ones have 1 */
	g->conn = calloc(p->connections, sizeof(*g->conn));
	x->gc = calloc(p->connections, sizeof(*x->gc));
	x->sf = calloc(x->n_sf, sizeof(*x->sf));
	if (g->conn == NULL || x->gc == NULL || x->sf == NULL) {
		fail(err, errlen, ENOMEM, "not enough memory for %u connections",
			p->connections);
		goto out;
	}
	if (draw_conns(x, &n_pkt, &n_setup, &bytes, err, errlen) != 0)
		goto out;
	x->n_sf = g->subflows;

	if (n_pkt > SIZE_MAX / sizeof(*g->pkt) || bytes > SIZE_MAX) {
		fail(err, errlen, ENOMEM, "too much traffic for this machine");
		goto out;
	}
	g->pkt = big_alloc(n_pkt * sizeof(*g->pkt));
	g->buf = big_alloc(bytes);
	if (g->pkt == NULL || g->buf == NULL) {
		fail(err, errlen, ENOMEM, "not enough memory for %llu packets (%llu bytes)",
			(unsigned long long)n_pkt, (unsigned long long)bytes);
		goto out;
	}
	g->buf_len = bytes;
	g->n_setup = n_setup;

	emit_setup_phase(x);
	if (emit_data_phase(x, err, errlen) != 0)
		goto out;
	if (g->n != n_pkt || x->off != bytes) {
		fail(err, errlen, EIO, "internal error: %llu packets in %llu bytes, planned %llu in %llu",
			(unsigned long long)g->n, (unsigned long long)x->off,
			(unsigned long long)n_pkt, (unsigned long long)bytes);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		int e = errno;

		mpn_gen_free(g);
		errno = e;
	}
	free(x->sf);
	free(x->gc);
	free(x);
	return rc;
}
