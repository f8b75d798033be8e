/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateful libFuzzer harness (issue 15): sequences of segments on a few
 * flows go through the whole pipeline, tracking included (parse, lookup,
 * decode, classify, check, commit, rewrite, account: lib/pipeline), under
 * the policies of the shipped configuration files, loaded by the project's
 * own loader. The offline mode runs the same stages over mbufs; this
 * harness gives them plain, exactly-sized frames (mpn_pipeline_run_frames)
 * so that AddressSanitizer sees a read one byte past a frame.
 *
 * An input is a small script. Byte 0 chooses the setting:
 *   bits 0-1  the configuration file (configs[] below)
 *   bit  2    tables.unknown-subflow = drop (else learn)
 *   bit  3    every tcp-map's `join = allow` (else as configured)
 *   bit  4    a table of 8 subflow entries and 4 connections (else 32/16)
 *   bit  5    learn-limit 100 (else 90: under pressure sooner)
 *   bit  6    MPTCP version 0 keys and options (else version 1)
 *   bit  7    checksum-verification on every tcp-map
 * Then operations, each one opcode byte and the bytes it reads (a missing
 * byte reads as 0):
 *   bits 0-3  what (enum op): a handshake step, data, a join step, FIN, RST,
 *             MP_FASTCLOSE, ADD_ADDR, raw flags and options, time passing,
 *             a burst of several segments, other MPTCP options, a bare ACK
 *   bits 4-5  which of the four flows (3 is IPv6)
 *   bit  6    direction: 0 from the client, 1 from the server
 *   bit  7    a mutation byte follows: sequence and ACK numbers moved,
 *             TTL lowered, checksum broken, random options appended, payload
 *             length, flags flipped, keys and HMACs corrupted
 * Keys come from a pool of four, so the harness can compute the tokens and
 * HMACs a real host would (and the mutations break them).
 *
 * Invariants, checked after each burst (each failure abort()s):
 *  - THE INVARIANT (ctx.h): a dropped segment changes no subflow or
 *    connection state. The state (every subflow entry and connection
 *    record, counters aside, as lib/pipeline/steer_test.c digests it) is
 *    serialized before and after and compared (for a burst of several:
 *    when every segment of it was dropped). Time's own doing (expiry) is
 *    taken out first: the tables are swept at the burst's `now` before the
 *    snapshot;
 *  - the tables stay within their bounds: entries <= capacity,
 *    connections <= the pool, each record's active and pending slots within
 *    their limits, its reference count equal to the entries that point to
 *    it, no entry pointing to a record that is not live, and no key left
 *    in an entry once its connection holds it (RFC 7430 §3);
 *  - no key outlives its burst in the pipeline's per-packet contexts (the
 *    decoded MP_CAPABLE and MP_FASTCLOSE keys, the shadow entry);
 *  - a forwarded segment keeps its length, no byte outside its TCP header
 *    changes, and if its checksums were valid on input, its IPv4 header
 *    checksum and its TCP checksum are valid after any rewrite.
 *
 * Build and run (needs clang), see README.md:
 *   CC=clang meson setup build-fuzz -Dfuzz=enabled && ninja -C build-fuzz && \
 *       ./build-fuzz/test/fuzz/fuzz_track /tmp/new test/fuzz/corpus/track
 * The same file, linked with replay_main.c, is the 'fuzz_replay_track' test.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "config.h"
#include "conn.h"
#include "flow.h"
#include "fuzz_common.h"
#include "mptcp_crypto.h"
#include "pipeline.h"
#include "policy.h"
#include "reason.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef MPN_SOURCE_ROOT
#define MPN_SOURCE_ROOT "."
#endif

static const char *const configs[4] = {
	MPN_SOURCE_ROOT "/config/mpnorm.conf",
	MPN_SOURCE_ROOT "/config/examples/asa-allow-mptcp.conf",
	MPN_SOURCE_ROOT "/config/examples/inspect-fallback.conf",
	MPN_SOURCE_ROOT "/config/examples/asa-default.conf",
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#define N_FLOWS 4
#define MAX_SEGS 96        /* segments per input: keeps one input fast */
#define MAX_BURST 8
#define FRAME_MAX 1600
#define STATE_MAX (1 << 20)

/* FUZZ_TRACK_VERBOSE=1: print each segment's verdict (to check what a seed does). */
static bool verbose;

/* [config][join allow][checksum verification] */
static struct mpn_policy *policies[4][2][2];
static struct mpn_config cfgs[4][2][2];

/* ---- input reader ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t
rd8(struct rd *r)
{
	uint8_t v;

	if (r->n == 0)
		return 0;
	v = *r->p++;
	r->n--;
	return v;
}

static uint16_t
rd16(struct rd *r)
{
	uint16_t hi = rd8(r);

	return (uint16_t)(hi << 8 | rd8(r));
}

static uint32_t
rd32(struct rd *r)
{
	uint32_t hi = rd16(r);

	return hi << 16 | rd16(r);
}

/* ---- the world the segments come from ---- */

static const uint64_t key_pool[4] = {
	0x0102030405060708ULL, 0x1112131415161718ULL,
	0xa1b2c3d4e5f60718ULL, 0x5a5a5a5a00000001ULL,
};

struct hflow {
	uint8_t caddr[16], saddr[16];
	uint16_t cport, sport;
	bool v6;
	uint32_t seq[2];      /* next sequence number of each side (0 client) */
	uint32_t nonce[2];    /* MP_JOIN nonces */
	uint8_t kidx[2];      /* key pool index of each side */
	uint8_t ttl[2];
	uint64_t dsn[2];
};

struct world {
	struct hflow fl[N_FLOWS];
	uint8_t version;
	uint64_t now;
	struct mpn_policy *pol;
	struct mpn_conn_table *ct;
	struct mpn_tracker *t;
	struct mpn_pipeline pl;
	struct mpn_worker_stats stats;
	uint32_t sf_cap, conn_cap;
};

static void
world_flows(struct world *w)
{
	unsigned int f;

	memset(w->fl, 0, sizeof(w->fl));
	for (f = 0; f < N_FLOWS; f++) {
		struct hflow *h = &w->fl[f];

		h->v6 = f == 3;
		if (h->v6) {
			static const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				0, 0, 0, 0, 0, 0, 0, 1 };
			static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 0,
				0, 0, 0, 0, 0, 0, 0, 2 };

			memcpy(h->caddr, c6, 16);
			memcpy(h->saddr, s6, 16);
		} else {
			h->caddr[0] = 10; h->caddr[2] = (uint8_t)f; h->caddr[3] = 1;
			h->saddr[0] = 10; h->saddr[1] = 9; h->saddr[3] = 2;
		}
		h->cport = (uint16_t)(40000 + f);
		h->sport = 80;
		h->seq[0] = 1000u + 0x01000000u * f;
		h->seq[1] = 5000u + 0x02000000u * f;
		h->nonce[0] = 0x01020304u + f;
		h->nonce[1] = 0x0a0b0c0du + f;
		h->kidx[0] = 0;
		h->kidx[1] = 1;
		h->ttl[0] = h->ttl[1] = 64;
		h->dsn[0] = 0x100000000ULL;
		h->dsn[1] = 0x200000000ULL;
	}
}

/* ---- frames ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

struct seg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t opts[40];
	size_t olen;
	uint32_t plen;
	uint8_t ttl;
	bool bad_cksum;
};

/* Ethernet + IPv4/IPv6 + TCP, with valid checksums unless asked. @return the length. */
static uint32_t
frame_build(uint8_t *f, const struct hflow *h, int dir, const struct seg *s)
{
	size_t ohl = (s->olen + 3) & ~(size_t)3;
	uint32_t l4 = (uint32_t)(20 + ohl + s->plen);
	const uint8_t *src = dir == 0 ? h->caddr : h->saddr;
	const uint8_t *dst = dir == 0 ? h->saddr : h->caddr;
	uint16_t sp = dir == 0 ? h->cport : h->sport, dp = dir == 0 ? h->sport : h->cport;
	uint32_t l3 = h->v6 ? 40 : 20;
	uint8_t *ip = f + 14, *t = f + 14 + l3;
	uint64_t acc = 0;
	size_t alen = h->v6 ? 16 : 4;
	uint16_t ck;

	memset(f, 0, 14 + l3 + l4);
	memset(f, 0x02, 12);
	if (h->v6) {
		f[12] = 0x86; f[13] = 0xdd;
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4);
		ip[6] = 6;
		ip[7] = s->ttl;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		f[12] = 0x08;
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4));
		ip[6] = 0x40; /* DF */
		ip[8] = s->ttl;
		ip[9] = 6;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, (uint16_t)~fuzz_fold(fuzz_sum16(ip, 20, 0)));
	}
	put16(t, sp);
	put16(t + 2, dp);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (uint8_t)(((20 + ohl) / 4) << 4);
	t[13] = s->flags;
	put16(t + 14, s->win);
	if (s->olen > 0)
		memcpy(t + 20, s->opts, s->olen);
	memset(t + 20 + s->olen, 1, ohl - s->olen); /* NOP padding */
	acc = fuzz_sum16(src, alen, acc);
	acc = fuzz_sum16(dst, alen, acc);
	acc += l4 >> 16;
	acc += l4 & 0xffff;
	acc += 6;
	acc = fuzz_sum16(t, l4, acc);
	ck = (uint16_t)~fuzz_fold(acc);
	if (s->bad_cksum)
		ck ^= 0x5a5a;
	put16(t + 16, ck);
	return 14 + l3 + l4;
}

/* ---- MPTCP options, as a real host writes them (RFC 8684 §3) ---- */

static size_t
opt_mss_ws(uint8_t *o, uint8_t which)
{
	size_t n = 0;

	if (which & 1) {
		o[n++] = 2; o[n++] = 4; put16(o + n, 1460); n += 2;
	}
	if (which & 2) {
		o[n++] = 1; o[n++] = 3; o[n++] = 3; o[n++] = 7;
	}
	if (which & 4) {
		o[n++] = 4; o[n++] = 2;
	}
	return n;
}

static uint32_t
token_of(uint8_t version, uint64_t key)
{
	uint32_t t = 0;

	mpn_mptcp_key_token(version, key, &t, NULL);
	return t;
}

/* HMAC-SHA256(key_sender || key_receiver, id || addr || port), rightmost 64 bits (RFC 8684 §3.4.1). */
static uint64_t
addaddr_hmac(uint64_t ks, uint64_t kr, uint8_t id, const uint8_t *addr, size_t alen,
	uint16_t port)
{
	uint8_t key[16], msg[19], out[32];
	size_t olen = 0, mlen = 0;
	uint64_t v = 0;
	unsigned int i;

	put64(key, ks);
	put64(key + 8, kr);
	msg[mlen++] = id;
	memcpy(msg + mlen, addr, alen);
	mlen += alen;
	put16(msg + mlen, port);
	mlen += 2;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, sizeof(key), msg, mlen, out,
			sizeof(out), &olen) == NULL || olen != 32)
		return 0;
	for (i = 24; i < 32; i++)
		v = v << 8 | out[i];
	return v;
}

/* ---- state: what a dropped segment must not change ---- */

struct sbuf {
	uint8_t *b;
	size_t n;
};

static void
sput(struct sbuf *s, const void *p, size_t n)
{
	FUZZ_CHECK(s->n + n <= STATE_MAX);
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

#define SPUT(s, field) sput((s), &(field), sizeof(field))

struct walk {
	struct world *w;
	struct sbuf *s;
	/* Bounds and references. */
	const struct mpn_conn *conns[64];
	uint32_t refs_seen[64];
	unsigned int n_conns;
	uint32_t n_entries;
};

static int
state_entry(struct mpn_flow_table *ft, struct mpn_subflow *sf, void *arg)
{
	struct walk *wk = arg;
	struct sbuf *s = wk->s;
	const struct mpn_flow_key *k = mpn_flow_entry_key(ft, sf);

	FUZZ_CHECK(k != NULL);
	FUZZ_CHECK(sf->state != MPN_TCP_NONE && sf->state < MPN_TCP_STATE_MAX);
	FUZZ_CHECK(sf->f & MPN_SF_IN_USE);
	/* RFC 7430 §3: once the record holds the keys, the entry keeps none. */
	if (sf->conn != NULL)
		FUZZ_CHECK(sf->key_a == 0 && sf->key_b == 0);
	wk->n_entries++;
	if (s == NULL)
		return 0;
	/* Everything but the counters (pkts, bytes, drops, folded_*). */
	sput(s, k, sizeof(*k));
	SPUT(s, sf->conn);
	SPUT(s, sf->last_seen);
	SPUT(s, sf->rule_gen);
	SPUT(s, sf->rule_id);
	SPUT(s, sf->f);
	SPUT(s, sf->state);
	SPUT(s, sf->role);
	SPUT(s, sf->decision);
	SPUT(s, sf->join_state);
	SPUT(s, sf->version);
	SPUT(s, sf->list);
	SPUT(s, sf->conn_slot);
	SPUT(s, sf->join_addr_id);
	SPUT(s, sf->slot_gen);
	SPUT(s, sf->dir0);
	SPUT(s, sf->born);
	SPUT(s, sf->dir1);
	SPUT(s, sf->prev);
	SPUT(s, sf->next);
	SPUT(s, sf->hash);
	SPUT(s, sf->nonce_init);
	SPUT(s, sf->nonce_resp);
	SPUT(s, sf->key_a);
	SPUT(s, sf->key_b);
	SPUT(s, sf->verified_mac);
	SPUT(s, sf->flags_a);
	SPUT(s, sf->flags_b);
	SPUT(s, sf->close_why);
	return 0;
}

static void
state_conn(const struct mpn_conn *c, void *arg)
{
	struct walk *wk = arg;
	struct sbuf *s = wk->s;
	unsigned int i, active = 0, pending = 0;

	FUZZ_CHECK(wk->n_conns < RTE_DIM(wk->conns));
	wk->conns[wk->n_conns++] = c;
	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++) {
		if (c->sf[i].used == MPN_SLOT_ACTIVE)
			active++;
		else if (c->sf[i].used == MPN_SLOT_PENDING)
			pending++;
		else
			FUZZ_CHECK(c->sf[i].used == MPN_SLOT_FREE);
	}
	FUZZ_CHECK(active <= MPN_CONN_MAX_ACTIVE);
	FUZZ_CHECK(pending <= MPN_CONN_MAX_PENDING);
	FUZZ_CHECK(c->refs > 0);
	if (s == NULL)
		return;
	SPUT(s, c->serial);
	SPUT(s, c->created);
	SPUT(s, c->key_a);
	SPUT(s, c->key_b);
	SPUT(s, c->idsn_a);
	SPUT(s, c->idsn_b);
	SPUT(s, c->token_a);
	SPUT(s, c->token_b);
	SPUT(s, c->version);
	SPUT(s, c->flags_a);
	SPUT(s, c->flags_b);
	SPUT(s, c->decision);
	SPUT(s, c->n_tokens);
	SPUT(s, c->remote);
	SPUT(s, c->live);
	SPUT(s, c->refs);
	SPUT(s, c->closed);
	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++) {
		const struct mpn_conn_subflow *x = &c->sf[i];

		SPUT(s, x->used);
		if (x->used == MPN_SLOT_FREE)
			continue;
		SPUT(s, x->role);
		SPUT(s, x->family);
		SPUT(s, x->tcp_state);
		SPUT(s, x->join_state);
		SPUT(s, x->init_is_a);
		SPUT(s, x->gen);
		SPUT(s, x->refs);
		SPUT(s, x->sport);
		SPUT(s, x->dport);
		SPUT(s, x->src);
		SPUT(s, x->dst);
		SPUT(s, x->created);
	}
	for (i = 0; i < MPN_CONN_MAX_ADDRS; i++) {
		const struct mpn_conn_addr *a = &c->addr[i];

		SPUT(s, a->used);
		if (a->used == 0)
			continue;
		SPUT(s, a->side);
		SPUT(s, a->id);
		SPUT(s, a->family);
		SPUT(s, a->has_port);
		SPUT(s, a->hmac);
		SPUT(s, a->port);
		SPUT(s, a->addr);
	}
}

static int
refs_entry(struct mpn_flow_table *ft, struct mpn_subflow *sf, void *arg)
{
	struct walk *wk = arg;
	unsigned int i;

	(void)ft;
	if (sf->conn == NULL)
		return 0;
	for (i = 0; i < wk->n_conns; i++)
		if (wk->conns[i] == sf->conn) {
			wk->refs_seen[i]++;
			/* Its slot, while it is still its own, is in use. */
			if (sf->conn_slot >= 0 &&
					mpn_conn_slot_current(sf->conn, sf->conn_slot, sf->slot_gen))
				FUZZ_CHECK(sf->conn->sf[sf->conn_slot].used != MPN_SLOT_FREE);
			return 0;
		}
	/* An entry points to a record that is not live. */
	FUZZ_CHECK(!"entry references a connection not in the table");
	return 0;
}

/* Serialize the state into @p s (NULL: only check the bounds). */
static void
state_take(struct world *w, struct sbuf *s)
{
	struct mpn_flow_table *ft = mpn_tracker_table(w->t);
	struct walk wk;
	uint32_t n = mpn_flow_count(ft), nc = mpn_conn_table_count(w->ct);
	unsigned int i;

	memset(&wk, 0, sizeof(wk));
	wk.w = w;
	wk.s = s;
	FUZZ_CHECK(n <= w->sf_cap);
	FUZZ_CHECK(nc <= w->conn_cap);
	if (s != NULL) {
		s->n = 0;
		SPUT(s, n);
		SPUT(s, nc);
	}
	mpn_flow_foreach(ft, state_entry, &wk);
	FUZZ_CHECK(wk.n_entries == n);
	mpn_conn_table_foreach(w->ct, state_conn, &wk);
	FUZZ_CHECK(wk.n_conns == nc);
	/* One tracker, one observation point: the references are its entries'. */
	mpn_flow_foreach(ft, refs_entry, &wk);
	for (i = 0; i < wk.n_conns; i++)
		FUZZ_CHECK(wk.conns[i]->refs == wk.refs_seen[i]);
}

/* ---- setup ---- */

static void
fuzz_init(void)
{
	static bool done;
	char *eal_argv[] = { "fuzz_track", "--no-huge", "-m", "256", "--no-pci",
		"--no-shconf", "--no-telemetry", "-l", "0", "--log-level", "*:error" };
	char err[512];
	unsigned int c, j, k, m;

	if (done)
		return;
	done = true;
	verbose = getenv("FUZZ_TRACK_VERBOSE") != NULL;
	FUZZ_CHECK(rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) >= 0);
	for (c = 0; c < 4; c++)
		for (j = 0; j < 2; j++)
			for (k = 0; k < 2; k++) {
				struct mpn_config *cfg = &cfgs[c][j][k];

				if (mpn_config_load(configs[c], cfg, err, sizeof(err)) != 0) {
					fprintf(stderr, "%s\n", err);
					abort();
				}
				for (m = 0; m < cfg->policy->n_tcp_maps; m++) {
					if (j)
						cfg->policy->tcp_maps[m].mptcp.join = MPN_JOIN_ALLOW;
					cfg->policy->tcp_maps[m].checksum_verification = k != 0;
				}
				policies[c][j][k] = cfg->policy;
			}
}

static void
world_open(struct world *w, uint8_t sel)
{
	struct mpn_flow_params p;

	memset(w, 0, sizeof(*w));
	world_flows(w);
	w->pol = policies[sel & 3][(sel >> 3) & 1][(sel >> 7) & 1];
	w->version = (sel & 0x40) ? 0 : 1;
	w->sf_cap = (sel & 0x10) ? 8 : 32;
	w->conn_cap = (sel & 0x10) ? 4 : 16;
	mpn_flow_params_default(&p);
	p.capacity = w->sf_cap;
	p.midstream = (sel & 4) ? MPN_FLOW_MIDSTREAM_DROP : MPN_FLOW_MIDSTREAM_LEARN;
	p.learn_limit_pct = (sel & 0x20) ? 100 : 90;
	w->ct = mpn_conn_table_create("fz_ct", w->conn_cap, 1, SOCKET_ID_ANY);
	FUZZ_CHECK(w->ct != NULL);
	w->t = mpn_tracker_create("fz_sf", &p, w->ct, 0, SOCKET_ID_ANY);
	FUZZ_CHECK(w->t != NULL);
	FUZZ_CHECK(mpn_pipeline_init(&w->pl, 0, &w->stats) == 0);
	w->pl.tracker = w->t;
	w->pl.log_enabled = false;
	w->now = 1000000000ULL;
}

static void
world_close(struct world *w)
{
	mpn_pipeline_fini(&w->pl);
	mpn_tracker_free(w->t);
	mpn_conn_table_free(w->ct);
}

/* ---- operations ---- */

enum op {
	OP_SYN, OP_SYNACK, OP_ACK3, OP_DATA, OP_JOIN_SYN, OP_JOIN_SYNACK, OP_JOIN_ACK,
	OP_FIN, OP_RST, OP_FASTCLOSE, OP_ADDADDR, OP_RAW, OP_TIME, OP_BURST, OP_MPTCP_MISC,
	OP_BARE_ACK,
};

#define MUT_SEQ 0x01
#define MUT_ACK 0x02
#define MUT_TTL 0x04
#define MUT_CKSUM 0x08
#define MUT_OPTS 0x10
#define MUT_PLEN 0x20
#define MUT_FLAGS 0x40
#define MUT_SECRET 0x80

/* One frame of a burst, with what is needed to check it afterwards. */
struct pending {
	uint8_t *frame;
	uint8_t *orig;
	uint32_t len;
	uint32_t l4_off;     /* start of the TCP header */
	uint32_t tcp_hl;
	bool cksum_ok;       /* its checksums were valid on input */
	bool v6;
	/* What the harness's model advances by if it goes through unmutated. */
	int flow, dir;
	uint32_t adv;
	bool model;
};

/*
 * Build one segment from the script. @return false when the operation is
 * not a segment (time, burst) or the input has run out.
 */
static bool
build_op(struct world *w, struct rd *r, uint8_t opc, struct pending *pd)
{
	static uint8_t f[FRAME_MAX];
	unsigned int f_i = (opc >> 4) & 3;
	int d = (opc >> 6) & 1;
	struct hflow *h = &w->fl[f_i];
	uint8_t mut = (opc & 0x80) ? rd8(r) : 0;
	uint8_t arg = rd8(r);
	uint64_t ks = key_pool[h->kidx[d]], kr = key_pool[h->kidx[!d]];
	uint8_t v = w->version, hm[20], x;
	struct seg s;
	uint8_t *o = s.opts;
	size_t n = 0;

	memset(&s, 0, sizeof(s));
	s.seq = h->seq[d];
	s.ack = h->seq[!d];
	s.win = 65535;
	s.ttl = h->ttl[d];
	s.flags = TH_ACK;
	switch ((enum op)(opc & 15)) {
	case OP_SYN:
		/* arg: bits 0-2 MSS/WS/SACK, bit 3 no MP_CAPABLE, bits 4-5 client key index. */
		h->kidx[d] = (arg >> 4) & 3;
		ks = key_pool[h->kidx[d]];
		s.flags = TH_SYN;
		s.ack = 0;
		n = opt_mss_ws(o, arg & 7);
		if (!(arg & 8)) {
			o[n] = 30; o[n + 2] = (uint8_t)(0x00 | v); o[n + 3] = 0x81;
			if (v == 0) {
				o[n + 1] = 12;
				put64(o + n + 4, ks);
				n += 12;
			} else {
				o[n + 1] = 4;
				n += 4;
			}
		}
		break;
	case OP_SYNACK:
		h->kidx[d] = (arg >> 4) & 3;
		ks = key_pool[h->kidx[d]];
		s.flags = TH_SYN | TH_ACK;
		s.ack = h->seq[!d];
		n = opt_mss_ws(o, arg & 7);
		if (!(arg & 8)) {
			o[n] = 30; o[n + 1] = 12; o[n + 2] = (uint8_t)(0x00 | v); o[n + 3] = 0x81;
			put64(o + n + 4, ks);
			n += 12;
		}
		break;
	case OP_ACK3:
		/* Third ACK: MP_CAPABLE with the sender's key, then the receiver's. */
		o[0] = 30; o[1] = 20; o[2] = (uint8_t)(0x00 | v); o[3] = 0x81;
		put64(o + 4, ks);
		put64(o + 12, kr);
		n = 20;
		if (arg & 1) {
			/* v1 with data: the data-level length (and no checksum). */
			o[1] = 22;
			put16(o + 20, 10);
			n = 22;
			s.plen = 10;
		}
		break;
	case OP_DATA:
		/* DSS: data ACK (4 bytes) and a mapping (4-byte DSN). */
		s.flags = TH_ACK | TH_PSH;
		s.plen = (uint32_t)(arg & 0x3f) * 20;
		o[0] = 30; o[1] = s.plen ? 20 : 8; o[2] = 0x20;
		o[3] = s.plen ? (MPN_MPTCP_DSS_ACK | MPN_MPTCP_DSS_MAP) : MPN_MPTCP_DSS_ACK;
		put32(o + 4, (uint32_t)h->dsn[!d]);
		n = 8;
		if (s.plen) {
			put32(o + 8, (uint32_t)h->dsn[d]);
			put32(o + 12, 1); /* subflow sequence, relative */
			put16(o + 16, (uint16_t)s.plen);
			put16(o + 18, 0);
			n = 20;
			h->dsn[d] += s.plen;
		}
		if (arg & 0x40) {
			n = 0; /* plain TCP data */
		}
		break;
	case OP_JOIN_SYN: {
		/* arg: bits 0-1 target key index (the responder's), bits 2-3 own key index. */
		uint64_t kt = key_pool[arg & 3];

		h->kidx[!d] = arg & 3;
		h->kidx[d] = (arg >> 2) & 3;
		s.flags = TH_SYN;
		s.ack = 0;
		o[0] = 30; o[1] = 12; o[2] = 0x10 | ((arg >> 4) & 1); o[3] = (uint8_t)(arg >> 5);
		put32(o + 4, token_of(v, kt));
		put32(o + 8, h->nonce[d]);
		n = 12;
		break;
	}
	case OP_JOIN_SYNACK:
		/* HMAC(Key-B || Key-A, R-B || R-A), leftmost 64 bits: B is this side. */
		s.flags = TH_SYN | TH_ACK;
		mpn_mptcp_join_hmac(v, ks, kr, h->nonce[d], h->nonce[!d], hm);
		o[0] = 30; o[1] = 16; o[2] = 0x10 | (arg & 1); o[3] = (uint8_t)(arg >> 1);
		memcpy(o + 4, hm, 8);
		put32(o + 12, h->nonce[d]);
		n = 16;
		break;
	case OP_JOIN_ACK:
		/* HMAC(Key-A || Key-B, R-A || R-B), 160 bits: A is this side. */
		mpn_mptcp_join_hmac(v, ks, kr, h->nonce[d], h->nonce[!d], hm);
		o[0] = 30; o[1] = 24; o[2] = 0x10; o[3] = 0;
		memcpy(o + 4, hm, 20);
		n = 24;
		if (arg & 1)
			n = 0; /* a join's third ACK with no MP_JOIN at all */
		break;
	case OP_FIN:
		s.flags = TH_FIN | TH_ACK;
		if (arg & 1) {
			/* DATA_FIN in a DSS as well. */
			o[0] = 30; o[1] = 8; o[2] = 0x20; o[3] = MPN_MPTCP_DSS_ACK | MPN_MPTCP_DSS_FIN;
			put32(o + 4, (uint32_t)h->dsn[!d]);
			n = 8;
		}
		break;
	case OP_RST:
		/* RFC 5961 §3: exact, in window, far out, or anywhere. */
		s.flags = (arg & 4) ? TH_RST | TH_ACK : TH_RST;
		if (!(arg & 4))
			s.ack = 0;
		switch (arg & 3) {
		case 0: break;
		case 1: s.seq += 100; break;
		case 2: s.seq += 0x40000000u; break;
		default: s.seq = rd32(r); break;
		}
		if (arg & 8) {
			/* MP_TCPRST with a reason. */
			o[0] = 30; o[1] = 4; o[2] = 0x80 | ((arg >> 4) & 15); o[3] = rd8(r);
			n = 4;
		}
		break;
	case OP_FASTCLOSE: {
		/* RFC 8684 §3.5: the receiver's key; or the sender's own, or another. */
		uint64_t k = (arg & 3) == 0 ? kr : (arg & 3) == 1 ? ks : key_pool[(arg >> 2) & 3];

		s.flags = (arg & 0x10) ? TH_RST : TH_ACK;
		o[0] = 30; o[1] = 12; o[2] = 0x70; o[3] = 0;
		put64(o + 4, k);
		n = 12;
		break;
	}
	case OP_ADDADDR: {
		uint8_t id = rd8(r), a4[4] = { 10, 7, 0, (uint8_t)(arg >> 4) };
		uint16_t port = (arg & 2) ? 8080 : 0;
		uint64_t mac;

		if (arg & 8)
			a4[0] = 224; /* a denied address */
		if (arg & 1) {
			/* REMOVE_ADDR of one id. */
			o[0] = 30; o[1] = 4; o[2] = 0x40; o[3] = id;
			n = 4;
			break;
		}
		o[0] = 30; o[2] = 0x30; o[3] = id;
		memcpy(o + 4, a4, 4);
		n = 8;
		if (port) {
			put16(o + 8, port);
			n = 10;
		}
		if (v == 1 && !(arg & 4)) {
			mac = addaddr_hmac(ks, kr, id, a4, 4, port);
			put64(o + n, mac);
			n += 8;
		}
		if (arg & 4)
			o[2] |= 1; /* an echo: no HMAC */
		o[1] = (uint8_t)n;
		break;
	}
	case OP_RAW: {
		uint8_t len = rd8(r) % 41, i;

		s.flags = arg;
		s.seq = (arg & 0x80) ? rd32(r) : s.seq;
		for (i = 0; i < len; i++)
			o[i] = rd8(r);
		n = len;
		break;
	}
	case OP_MPTCP_MISC:
		switch (arg & 3) {
		case 0: /* MP_PRIO */
			o[0] = 30; o[1] = 3; o[2] = 0x50 | ((arg >> 2) & 1);
			n = 3;
			break;
		case 1: /* MP_FAIL */
			o[0] = 30; o[1] = 12; o[2] = 0x60; o[3] = 0;
			put64(o + 4, h->dsn[!d]);
			n = 12;
			break;
		case 2: /* DSS with a 64-bit ack and DSN, and a checksum */
			o[0] = 30; o[1] = 28; o[2] = 0x20;
			o[3] = MPN_MPTCP_DSS_ACK | MPN_MPTCP_DSS_ACK64 | MPN_MPTCP_DSS_MAP |
				MPN_MPTCP_DSS_DSN64;
			put64(o + 4, h->dsn[!d]);
			put64(o + 12, h->dsn[d]);
			put32(o + 20, 1);
			put16(o + 24, 0);
			put16(o + 26, rd16(r));
			n = 28;
			break;
		default: /* a v0-style ADD_ADDR with IPVer 4 */
			o[0] = 30; o[1] = 8; o[2] = 0x34; o[3] = (uint8_t)(arg >> 2);
			o[4] = 10; o[5] = 8; o[6] = 0; o[7] = 1;
			n = 8;
			break;
		}
		break;
	case OP_BARE_ACK:
		if (arg & 1)
			s.ack = rd32(r); /* a spoofed ACK, anything */
		break;
	case OP_TIME:
	case OP_BURST:
		return false;
	}
	s.olen = n;

	if (mut & MUT_SEQ)
		s.seq += rd32(r);
	if (mut & MUT_ACK)
		s.ack += rd32(r);
	if (mut & MUT_TTL)
		s.ttl = (uint8_t)(s.ttl - 1 - (rd8(r) & 63));
	if (mut & MUT_PLEN)
		s.plen = rd16(r) % 1400;
	if (mut & MUT_FLAGS)
		s.flags ^= rd8(r);
	if (mut & MUT_SECRET) {
		/* Corrupt a byte of the option (key, token, HMAC, address...). */
		x = rd8(r);
		if (s.olen > 4)
			s.opts[4 + x % (s.olen - 4)] ^= (uint8_t)(rd8(r) | 1);
	}
	if (mut & MUT_OPTS) {
		uint8_t len = rd8(r), i;

		for (i = 0; i < len && s.olen < 40; i++)
			s.opts[s.olen++] = rd8(r);
	}
	if (mut & MUT_CKSUM)
		s.bad_cksum = true;

	pd->len = frame_build(f, h, d, &s);
	pd->frame = fuzz_dup(f, pd->len);
	pd->orig = fuzz_dup(f, pd->len);
	pd->l4_off = 14 + (h->v6 ? 40 : 20);
	pd->tcp_hl = (uint32_t)(20 + ((s.olen + 3) & ~(size_t)3));
	pd->cksum_ok = !s.bad_cksum;
	pd->v6 = h->v6;
	pd->flow = (int)f_i;
	pd->dir = d;
	pd->adv = s.plen + ((s.flags & TH_SYN) ? 1 : 0) + ((s.flags & TH_FIN) ? 1 : 0);
	pd->model = (mut & (MUT_SEQ | MUT_FLAGS | MUT_PLEN)) == 0;
	/* A SYN sets the side's initial sequence number; a RST consumes nothing. */
	if (s.flags & TH_RST)
		pd->adv = 0;
	return true;
}

/* What the pipeline promises about a forwarded frame. */
static void
check_forwarded(const struct pending *pd)
{
	const uint8_t *fr = pd->frame, *ip = fr + 14, *t = fr + pd->l4_off;
	uint32_t l4 = pd->len - pd->l4_off;
	uint64_t acc = 0;
	size_t alen = pd->v6 ? 16 : 4;

	/* Nothing outside the TCP header changes (TTL included: mpnorm drops, never rewrites it). */
	FUZZ_CHECK(memcmp(fr, pd->orig, pd->l4_off) == 0);
	FUZZ_CHECK(memcmp(fr + pd->l4_off + pd->tcp_hl, pd->orig + pd->l4_off + pd->tcp_hl,
		pd->len - pd->l4_off - pd->tcp_hl) == 0);
	if (!pd->cksum_ok)
		return;
	if (!pd->v6)
		FUZZ_CHECK(fuzz_fold(fuzz_sum16(ip, 20, 0)) == 0xffff);
	acc = fuzz_sum16(pd->v6 ? ip + 8 : ip + 12, alen, acc);
	acc = fuzz_sum16(pd->v6 ? ip + 24 : ip + 16, alen, acc);
	acc += l4 >> 16;
	acc += l4 & 0xffff;
	acc += 6;
	acc = fuzz_sum16(t, l4, acc);
	FUZZ_CHECK(fuzz_fold(acc) == 0xffff);
}

static struct sbuf before, after;

/*
 * RFC 7430 §3: once a burst is through, no copy of a key stays in the
 * pipeline's per-packet contexts, which live as long as the worker: not in
 * the decoded options (MP_CAPABLE's keys, MP_FASTCLOSE's key), in any slot,
 * nor in the shadow entry. The contexts of earlier bursts were checked after
 * their own burst and have not been touched since.
 */
static void
check_no_key_residue(const struct world *w, unsigned int n_ctx)
{
	unsigned int i, k;

	for (i = 0; i < n_ctx; i++) {
		const struct mpn_pkt_ctx *c = &w->pl.ctx[i];

		FUZZ_CHECK(c->plan.shadow.key_a == 0 && c->plan.shadow.key_b == 0);
		for (k = 0; k < MPN_NORM_MAX_MPOPTS; k++) {
			const struct mpn_mptcp_opt *o = &c->res.mo[k];

			if (o->subtype == MPN_MPTCP_MP_CAPABLE)
				FUZZ_CHECK(o->u.mpc.sndkey == 0 && o->u.mpc.rcvkey == 0);
			else if (o->subtype == MPN_MPTCP_MP_FASTCLOSE)
				FUZZ_CHECK(o->u.fastclose.key == 0);
		}
	}
}

static void
diff_report(void)
{
	size_t i, n = before.n < after.n ? before.n : after.n;

	for (i = 0; i < n && before.b[i] == after.b[i]; i++)
		;
	fprintf(stderr, "state changed by a dropped segment: %zu vs %zu bytes, first "
		"difference at byte %zu\n", before.n, after.n, i);
}

/* Run a burst and check every invariant. */
static void
run_burst(struct world *w, struct pending *pd, unsigned int n)
{
	struct mpn_burst_origin o = { .port = 0, .link = 0, .l2 = MPN_L2_ETHER };
	uint8_t *frames[MAX_BURST], verdicts[MAX_BURST];
	uint32_t lens[MAX_BURST];
	unsigned int i, fwd = 0;

	/* Time's doing first: whatever has expired at `now` is swept now. */
	mpn_tracker_loop(w->t, w->now, w->sf_cap);
	state_take(w, &before);
	for (i = 0; i < n; i++) {
		frames[i] = pd[i].frame;
		lens[i] = pd[i].len;
	}
	/* The direction as a link sees it: the client is inside. */
	o.dir = pd[0].dir == 0 ? MPN_DIR_IN2OUT : MPN_DIR_OUT2IN;
	mpn_pipeline_run_frames(&w->pl, w->pol, &o, frames, lens, (uint16_t)n, verdicts, w->now);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(verdicts[i] == MPN_VERDICT_FORWARD || verdicts[i] == MPN_VERDICT_DROP);
		if (verbose)
			fprintf(stderr, "  flow %d %s %-8s %s\n", pd[i].flow, pd[i].dir ? "s>c" : "c>s",
				verdicts[i] == MPN_VERDICT_FORWARD ? "forward" : "drop",
				verdicts[i] == MPN_VERDICT_FORWARD ? "" :
				mpn_reason_name(w->pl.ctx[i].res.drop_reason));
		if (verdicts[i] == MPN_VERDICT_FORWARD) {
			fwd++;
			check_forwarded(&pd[i]);
			if (pd[i].model)
				w->fl[pd[i].flow].seq[pd[i].dir] += pd[i].adv;
		}
	}
	state_take(w, &after);
	check_no_key_residue(w, n);
	if (verbose)
		fprintf(stderr, "  -> %u subflows, %u connections\n",
			mpn_flow_count(mpn_tracker_table(w->t)), mpn_conn_table_count(w->ct));
	if (fwd == 0 && (before.n != after.n || memcmp(before.b, after.b, before.n) != 0)) {
		diff_report();
		abort();
	}
	for (i = 0; i < n; i++) {
		free(pd[i].frame);
		free(pd[i].orig);
	}
}

static void
at_exit(void)
{
	unsigned int c, j, k;

	for (c = 0; c < 4; c++)
		for (j = 0; j < 2; j++)
			for (k = 0; k < 2; k++)
				mpn_config_release(&cfgs[c][j][k]);
	free(before.b);
	free(after.b);
	rte_eal_cleanup();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	struct pending pd[MAX_BURST];
	struct rd r = { data, size };
	struct world w;
	unsigned int segs = 0;

	fuzz_init();
	if (!registered) {
		registered = true;
		before.b = malloc(STATE_MAX);
		after.b = malloc(STATE_MAX);
		FUZZ_CHECK(before.b != NULL && after.b != NULL);
		atexit(at_exit);
	}
	if (size == 0)
		return 0;
	world_open(&w, rd8(&r));
	while (r.n > 0 && segs < MAX_SEGS) {
		uint8_t opc = rd8(&r);
		unsigned int k, want;

		switch ((enum op)(opc & 15)) {
		case OP_TIME: {
			/* From a millisecond to past every timeout (idle: 3600 s). */
			uint8_t a = rd8(&r);
			uint64_t step = (opc & 0x80) ? 1000000ULL * (a + 1) * 16 :
				1000ULL * (a + 1);

			w.now += step;
			continue;
		}
		case OP_BURST:
			want = 2 + ((opc >> 4) & 7) % (MAX_BURST - 1);
			for (k = 0; k < want && r.n > 0 && segs < MAX_SEGS; ) {
				uint8_t c2 = rd8(&r);

				if ((c2 & 15) == OP_TIME || (c2 & 15) == OP_BURST)
					continue;
				if (build_op(&w, &r, c2, &pd[k])) {
					k++;
					segs++;
				}
			}
			if (k > 0)
				run_burst(&w, pd, k);
			break;
		default:
			if (build_op(&w, &r, opc, &pd[0])) {
				segs++;
				run_burst(&w, pd, 1);
			}
			break;
		}
		w.now += 10;
	}
	world_close(&w);
	return 0;
}
