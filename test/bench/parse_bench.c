/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the per-packet work of the stateless data path, stage
 * by stage, on an in-memory mix of MPTCP traffic:
 *   (a) a baseline that reads every header byte and does nothing else,
 *   (b) mpn_pkt_parse(),
 *   (c) (b) + mpn_tcpopt_walk(),
 *   (d) (c) + mpn_mptcp_decode() of every kind-30 option,
 *   (e) mpn_normalize() with an MPTCP-aware policy.
 * It prints TSC ticks per packet, the median of several repetitions, and
 * each stage's ratio to the baseline, as a markdown table.
 *
 * The baseline is what the stages cannot go below: every one of them has
 * to bring the same header bytes into the cache. It sums them, so the
 * loads cannot be optimized away; the header lengths come from an array
 * filled when the packets were built, so it parses nothing.
 *
 * Usage: parse_bench [PACKETS [REPETITIONS]]   (default 65536 11)
 *
 * Under valgrind --tool=callgrind each stage runs once, between a
 * CALLGRIND_ZERO_STATS and a CALLGRIND_DUMP_STATS_AT naming the stage;
 * test/bench/callgrind.sh turns the dumps into instructions per packet.
 * Use a small PACKETS there (callgrind is some 50 times slower).
 *
 * This is a benchmark, not a test: meson registers it with benchmark(), so
 * `meson test` never runs it; `meson test --benchmark` does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#ifdef MPN_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define CALLGRIND_ZERO_STATS do { } while (0)
#define CALLGRIND_DUMP_STATS_AT(s) do { (void)(s); } while (0)
#endif

#include "mptcp.h"
#include "normalize.h"
#include "pkt.h"
#include "policy.h"
#include "tcpopt.h"

/*
 * Room for one frame: Ethernet + IPv6 + a full 60-byte TCP header is 114
 * bytes; the rest is payload. Slots are cache-line aligned, like mbuf data.
 */
#define SLOT 256
#define DEFAULT_PACKETS 65536
#define DEFAULT_REPS 11
#define MAX_REPS 101

#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

struct pool {
	uint8_t *buf;        /* n slots of SLOT bytes */
	uint32_t *len;       /* frame length */
	uint16_t *hdr_len;   /* L2 + L3 + TCP header: what the baseline reads */
	uint32_t n;
};

static inline uint64_t
ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* xorshift32: a fixed mix from run to run, without libc's rand(). */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

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

/*
 * The packet kinds of the mix, and their share in 1000. The DSS forms are
 * the ones Linux sends (pcaps/mptcp-2subflows.pcap): an 8-byte data ACK on
 * pure ACKs, a 4-byte ACK and an 8-byte mapping on data; the 4-byte-only
 * forms and the checksummed one come from other stacks and from
 * net.mptcp.checksum_enabled=1.
 */
enum kind {
	K_SYN,           /* MSS, SACK-permitted, TS, WS, MP_CAPABLE (4 bytes, v1) */
	K_SYNACK,        /* MSS, SACK-permitted, TS, WS, MP_CAPABLE (12 bytes) */
	K_ACK3,          /* TS, MP_CAPABLE (20 bytes): the third ACK */
	K_ACK_DSS4,      /* TS, DSS: 4-byte data ACK */
	K_ACK_DSS8,      /* TS, DSS: 8-byte data ACK */
	K_DATA_DSS4,     /* TS, DSS: 4-byte ACK, 4-byte mapping; payload */
	K_DATA_DSS8,     /* TS, DSS: 4-byte ACK, 8-byte mapping; payload */
	K_DATA_DSS_CSUM, /* TS, DSS: 8-byte ACK, 8-byte mapping, checksum; payload */
	K_MAX,
};

static const unsigned int kind_share[K_MAX] = {
	[K_SYN] = 15, [K_SYNACK] = 15, [K_ACK3] = 10,
	[K_ACK_DSS4] = 50, [K_ACK_DSS8] = 310,
	[K_DATA_DSS4] = 50, [K_DATA_DSS8] = 500, [K_DATA_DSS_CSUM] = 50,
};

/* Write the TCP options of @p k at @p o; returns their length (a multiple of 4). */
static unsigned int
put_options(uint8_t *o, enum kind k, uint32_t *s)
{
	unsigned int n = 0, len, i;
	uint8_t dss;

	if (k <= K_SYNACK) {
		o[n++] = MPN_TCPOPT_KIND_MSS;
		o[n++] = 4;
		put16(o + n, 1460);
		n += 2;
		o[n++] = MPN_TCPOPT_KIND_SACKOK;
		o[n++] = 2;
	} else {
		o[n++] = MPN_TCPOPT_KIND_NOP;
		o[n++] = MPN_TCPOPT_KIND_NOP;
	}
	o[n++] = MPN_TCPOPT_KIND_TS;
	o[n++] = 10;
	put32(o + n, rnd(s));
	put32(o + n + 4, rnd(s));
	n += 8;
	if (k <= K_SYNACK) {
		o[n++] = MPN_TCPOPT_KIND_NOP;
		o[n++] = MPN_TCPOPT_KIND_WSCALE;
		o[n++] = 3;
		o[n++] = 7;
	}
	o[n++] = MPN_MPTCP_KIND;
	switch (k) {
	case K_SYN:
		/* RFC 8684 §3.1: v1 SYN, A (checksum) clear, H (HMAC-SHA256) set. */
		o[n++] = 4;
		o[n++] = (MPN_MPTCP_MP_CAPABLE << 4) | 1;
		o[n++] = MPN_MPTCP_CAP_H;
		break;
	case K_SYNACK:
	case K_ACK3:
		o[n++] = k == K_SYNACK ? 12 : 20;
		o[n++] = (MPN_MPTCP_MP_CAPABLE << 4) | 1;
		o[n++] = MPN_MPTCP_CAP_H;
		put64(o + n, (uint64_t)rnd(s) << 32 | rnd(s));
		n += 8;
		if (k == K_ACK3) {
			put64(o + n, (uint64_t)rnd(s) << 32 | rnd(s));
			n += 8;
		}
		break;
	default:
		/*
		 * RFC 8684 §3.3: DSS. Its length follows from the flags: 4, plus
		 * the data ACK (4 or 8), plus the mapping (DSN 4 or 8, subflow
		 * sequence number 4, data-level length 2, checksum 2 if used).
		 */
		dss = MPN_MPTCP_DSS_ACK;
		if (k == K_ACK_DSS8 || k == K_DATA_DSS_CSUM)
			dss |= MPN_MPTCP_DSS_ACK64;
		if (k >= K_DATA_DSS4)
			dss |= MPN_MPTCP_DSS_MAP;
		if (k >= K_DATA_DSS8)
			dss |= MPN_MPTCP_DSS_DSN64;
		len = 4 + ((dss & MPN_MPTCP_DSS_ACK64) ? 8 : 4);
		if (dss & MPN_MPTCP_DSS_MAP)
			len += ((dss & MPN_MPTCP_DSS_DSN64) ? 8 : 4) + 6 +
				(k == K_DATA_DSS_CSUM ? 2 : 0);
		o[n++] = (uint8_t)len;
		o[n++] = MPN_MPTCP_DSS << 4;
		o[n++] = dss;
		for (i = 4; i < len; i += 2) {
			put16(o + n, (uint16_t)rnd(s));
			n += 2;
		}
		break;
	}
	/* Linux pads with NOPs, not EOL. */
	while (n % 4 != 0)
		o[n++] = MPN_TCPOPT_KIND_NOP;
	return n;
}

/* Build one Ethernet frame of kind @p k in @p f; returns its length. */
static uint32_t
build(uint8_t *f, enum kind k, bool v6, uint32_t *s, uint16_t *hdr_len)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	uint8_t *ip = f + 14, *tcp;
	unsigned int l3 = v6 ? 40 : 20, optlen, paylen, i;
	uint8_t flags;
	struct mpn_pkt p;
	uint32_t len;

	memset(f, 0, SLOT);
	memcpy(f, mac, sizeof(mac));
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	tcp = ip + l3;
	optlen = put_options(tcp + 20, k, s);
	if (k >= K_DATA_DSS4)
		paylen = SLOT - 14 - l3 - 20 - optlen;
	else
		paylen = 0;
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(20 + optlen + paylen));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[10] = 0x0d;
		ip[11] = 0xb8;
		put32(ip + 20, rnd(s));
		ip[24] = 0x20;
		ip[25] = 0x01;
		ip[26] = 0x0d;
		ip[27] = 0xb8;
		put32(ip + 36, rnd(s));
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + 20 + optlen + paylen));
		ip[6] = 0x40;
		ip[8] = 64;
		ip[9] = 6;
		put32(ip + 12, 0x0a000000 | (rnd(s) & 0xffff));
		put32(ip + 16, 0x0a010000 | (rnd(s) & 0xffff));
	}
	flags = k == K_SYN ? TH_SYN : k == K_SYNACK ? TH_SYN | TH_ACK : TH_ACK;
	if (paylen > 0)
		flags |= TH_PSH;
	put16(tcp, (uint16_t)(32768 + rnd(s) % 28000));
	put16(tcp + 2, 443);
	put32(tcp + 4, rnd(s));
	put32(tcp + 8, k == K_SYN ? 0 : rnd(s));
	tcp[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	tcp[13] = flags;
	put16(tcp + 14, 502);
	for (i = 0; i < paylen; i++)
		tcp[20 + optlen + i] = (uint8_t)rnd(s);
	len = 14 + l3 + 20 + optlen + paylen;
	*hdr_len = (uint16_t)(14 + l3 + 20 + optlen);

	/* Valid checksums, as on the wire; the normalizer may be set to verify. */
	if (mpn_pkt_parse(f, len, MPN_L2_ETHER, &p) != MPN_PKT_TCP ||
			mpn_tcp_checksum_set(f, &p) != 0) {
		fprintf(stderr, "parse_bench: built a frame the parser refuses\n");
		exit(1);
	}
	return len;
}

static int
pool_init(struct pool *pl, uint32_t n)
{
	unsigned int total = 0, k;
	uint32_t s = 0x9e3779b9, i, r;
	enum kind kind;

	for (k = 0; k < K_MAX; k++)
		total += kind_share[k];
	pl->n = n;
	pl->buf = aligned_alloc(64, (size_t)n * SLOT);
	pl->len = calloc(n, sizeof(*pl->len));
	pl->hdr_len = calloc(n, sizeof(*pl->hdr_len));
	if (pl->buf == NULL || pl->len == NULL || pl->hdr_len == NULL)
		return -1;
	/*
	 * Kinds drawn at random rather than in runs, so the branch predictor
	 * sees a realistic sequence, not 500 identical packets in a row.
	 */
	for (i = 0; i < n; i++) {
		r = rnd(&s) % total;
		for (kind = K_SYN; kind < K_MAX - 1 && r >= kind_share[kind]; kind++)
			r -= kind_share[kind];
		/* One in four over IPv6. */
		pl->len[i] = build(pl->buf + (size_t)i * SLOT, kind, rnd(&s) % 4 == 0, &s,
			&pl->hdr_len[i]);
	}
	return 0;
}

static void
pool_free(struct pool *pl)
{
	free(pl->buf);
	free(pl->len);
	free(pl->hdr_len);
}

/*
 * The stages. Each returns a value derived from all its results, and the
 * caller sinks it into a volatile, so that no work can be dropped.
 */

/*
 * Every header byte is loaded, 8 at a time (memcpy: the frame has no
 * alignment to rely on), and added up: the cost of bringing the headers
 * in, with as little arithmetic as possible on top. A byte-at-a-time sum
 * would cost more than the parser itself and flatter every stage.
 */
static __attribute__((noinline)) uint64_t
stage_baseline(const struct pool *pl, const struct mpn_policy *policy)
{
	uint64_t acc = 0, w;
	uint32_t i, j, hl;

	(void)policy;
	for (i = 0; i < pl->n; i++) {
		const uint8_t *f = pl->buf + (size_t)i * SLOT;

		hl = pl->hdr_len[i];
		for (j = 0; j + 8 <= hl; j += 8) {
			memcpy(&w, f + j, 8);
			acc += w;
		}
		for (; j < hl; j++)
			acc += f[j];
	}
	return acc;
}

static __attribute__((noinline)) uint64_t
stage_parse(const struct pool *pl, const struct mpn_policy *policy)
{
	struct mpn_pkt p;
	uint64_t acc = 0;
	uint32_t i;

	(void)policy;
	for (i = 0; i < pl->n; i++) {
		acc += mpn_pkt_parse(pl->buf + (size_t)i * SLOT, pl->len[i], MPN_L2_ETHER, &p);
		acc += p.tcp_hdr_len;
	}
	return acc;
}

static __attribute__((noinline)) uint64_t
stage_walk(const struct pool *pl, const struct mpn_policy *policy)
{
	struct mpn_tcpopt_list l;
	struct mpn_pkt p;
	uint64_t acc = 0;
	uint32_t i;

	(void)policy;
	for (i = 0; i < pl->n; i++) {
		const uint8_t *f = pl->buf + (size_t)i * SLOT;

		if (mpn_pkt_parse(f, pl->len[i], MPN_L2_ETHER, &p) != MPN_PKT_TCP)
			continue;
		acc += (uint64_t)mpn_tcpopt_walk(f + p.l4_off, p.tcp_hdr_len, &l);
		acc += l.n;
	}
	return acc;
}

static __attribute__((noinline)) uint64_t
stage_decode(const struct pool *pl, const struct mpn_policy *policy)
{
	struct mpn_tcpopt_list l;
	struct mpn_mptcp_opt d;
	struct mpn_pkt p;
	uint64_t acc = 0;
	uint32_t i;
	unsigned int j;

	(void)policy;
	for (i = 0; i < pl->n; i++) {
		const uint8_t *f = pl->buf + (size_t)i * SLOT;

		if (mpn_pkt_parse(f, pl->len[i], MPN_L2_ETHER, &p) != MPN_PKT_TCP)
			continue;
		if (mpn_tcpopt_walk(f + p.l4_off, p.tcp_hdr_len, &l) != 0)
			continue;
		for (j = 0; j < l.n; j++) {
			if (l.opt[j].kind != MPN_MPTCP_KIND)
				continue;
			acc += (uint64_t)mpn_mptcp_decode(f + p.l4_off + l.opt[j].off, l.opt[j].len,
				p.tcp_flags, -1, &d);
			acc += d.subtype;
		}
	}
	return acc;
}

static __attribute__((noinline)) uint64_t
stage_normalize(const struct pool *pl, const struct mpn_policy *policy)
{
	static const struct mpn_norm_origin from = { .l2 = MPN_L2_ETHER };
	struct mpn_norm_result res;
	uint64_t acc = 0;
	uint32_t i;

	for (i = 0; i < pl->n; i++) {
		mpn_normalize(policy, &from, pl->buf + (size_t)i * SLOT, pl->len[i], &res);
		acc += res.forward + 2u * res.rewritten + res.n_acts;
	}
	return acc;
}

struct stage {
	const char *name;
	const char *callgrind_name;
	uint64_t (*fn)(const struct pool *, const struct mpn_policy *);
};

static const struct stage stages[] = {
	{ "(a) baseline: load and sum the header bytes", "a-baseline", stage_baseline },
	{ "(b) mpn_pkt_parse", "b-parse", stage_parse },
	{ "(c) parse + mpn_tcpopt_walk", "c-walk", stage_walk },
	{ "(d) parse + walk + mpn_mptcp_decode", "d-decode", stage_decode },
	{ "(e) mpn_normalize, MPTCP-aware policy", "e-normalize", stage_normalize },
};

#define N_STAGES (sizeof(stages) / sizeof(stages[0]))

static volatile uint64_t sink;

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Under callgrind: one pass per stage, each in its own dump. */
static void
run_callgrind(const struct pool *pl, const struct mpn_policy *policy)
{
	unsigned int s;

	for (s = 0; s < N_STAGES; s++) {
		CALLGRIND_ZERO_STATS;
		sink += stages[s].fn(pl, policy);
		CALLGRIND_DUMP_STATS_AT(stages[s].callgrind_name);
	}
	printf("callgrind: one dump per stage (a-baseline .. e-normalize) over %u packets;\n"
		"run test/bench/callgrind.sh for instructions per packet\n", pl->n);
}

static void
run_timed(const struct pool *pl, const struct mpn_policy *policy, unsigned int reps)
{
	static double t[N_STAGES][MAX_REPS];
	double med[N_STAGES];
	unsigned int s, r;
	uint64_t t0;

	/* One untimed pass: page faults and cold caches are not the subject. */
	for (s = 0; s < N_STAGES; s++)
		sink += stages[s].fn(pl, policy);
	/*
	 * Stages interleaved within each repetition, so that a burst of noise
	 * from a neighbour on a shared host hits all of them alike.
	 */
	for (r = 0; r < reps; r++) {
		for (s = 0; s < N_STAGES; s++) {
			t0 = ticks();
			sink += stages[s].fn(pl, policy);
			t[s][r] = (double)(ticks() - t0) / pl->n;
		}
	}
	for (s = 0; s < N_STAGES; s++) {
		qsort(t[s], reps, sizeof(double), cmp_double);
		med[s] = t[s][reps / 2];
	}

	printf("| stage | %s/pkt, median | min | max | x baseline |\n",
#if defined(__x86_64__) || defined(__i386__)
		"TSC ticks"
#else
		"ns"
#endif
		);
	printf("|---|---:|---:|---:|---:|\n");
	for (s = 0; s < N_STAGES; s++)
		printf("| %s | %.1f | %.1f | %.1f | %.2f |\n", stages[s].name, med[s], t[s][0],
			t[s][reps - 1], med[s] / med[0]);
}

/* What the mix is, measured on the pool itself rather than assumed. */
static void
describe(const struct pool *pl, const struct mpn_policy *policy)
{
	static const struct mpn_norm_origin from = { .l2 = MPN_L2_ETHER };
	unsigned long hdr = 0, mptcp = 0, v6 = 0, syn = 0, fwd = 0, rewr = 0;
	struct mpn_norm_result res;
	uint32_t i;

	for (i = 0; i < pl->n; i++) {
		uint8_t copy[SLOT];

		/* On a copy: this pass must not normalize the pool ahead of the timing. */
		memcpy(copy, pl->buf + (size_t)i * SLOT, SLOT);
		mpn_normalize(policy, &from, copy, pl->len[i], &res);
		hdr += pl->hdr_len[i];
		mptcp += res.opts.n_mptcp;
		v6 += res.pkt.ip_version == 6;
		syn += (res.pkt.tcp_flags & TH_SYN) != 0;
		fwd += res.forward;
		rewr += res.rewritten;
	}
	printf("%u packets in %u-byte slots: %.1f%% IPv6, %.1f%% SYN or SYN/ACK, "
		"%.1f header bytes and %.2f kind-30 options per packet; "
		"normalize forwards %lu, rewrites %lu\n\n",
		pl->n, SLOT, 100.0 * (double)v6 / pl->n, 100.0 * (double)syn / pl->n,
		(double)hdr / pl->n, (double)mptcp / pl->n, fwd, rewr);
}

int
main(int argc, char **argv)
{
	unsigned long packets = DEFAULT_PACKETS, reps = DEFAULT_REPS;
	struct mpn_policy *policy;
	struct pool pl;

	if (argc > 1)
		packets = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		reps = strtoul(argv[2], NULL, 0);
	if (argc > 3 || packets == 0 || packets > (1ul << 24) || reps == 0 || reps > MAX_REPS) {
		fprintf(stderr, "usage: %s [PACKETS (1..%lu) [REPETITIONS (1..%d)]]\n",
			argv[0], 1ul << 24, MAX_REPS);
		return 2;
	}

	/*
	 * The ASA default tcp-map with `tcp-options range 30 30 allow`: every
	 * MPTCP subtype passes, so (e) decodes every kind-30 option too.
	 */
	memset(&pl, 0, sizeof(pl));
	policy = mpn_policy_new();
	if (policy == NULL || pool_init(&pl, (uint32_t)packets) != 0) {
		fprintf(stderr, "parse_bench: out of memory\n");
		pool_free(&pl);
		mpn_policy_free(policy);
		return 1;
	}
	policy->tcp_maps[0].option_action[MPN_MPTCP_KIND] = MPN_ACTION_ALLOW;

	describe(&pl, policy);
	if (RUNNING_ON_VALGRIND)
		run_callgrind(&pl, policy);
	else
		run_timed(&pl, policy, (unsigned int)reps);

	pool_free(&pl);
	mpn_policy_free(policy);
	return 0;
}
