/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The crypto of one verified MP_JOIN (RFC 8684 §3.2): the SYN/ACK's
 * truncated HMAC and the third ACK's full HMAC, both HMAC-SHA256 (v1),
 * as mpnorm's tracker checks them (mpn_mptcp_crypto_synack_ok() and
 * mpn_mptcp_crypto_ack_ok()), against the same two HMACs through OpenSSL 3's
 * prepared EVP_MAC_CTX written out here (fetched once, re-keyed per call:
 * what lib/mptcp/mptcp_crypto.c does, so the first two rows should agree;
 * the difference is the cost of mpnorm's wrapper) and through the one-shot
 * HMAC().
 *
 * The three run alternately in one process, REPS times, so the noise of a
 * shared host falls on all of them alike. Prints TSC cycles per join and
 * joins per second for each: the ceiling that the crypto puts on verified
 * joins per second per worker (mpnorm-bench's join phase adds the packets'
 * own pipeline work). Asserts nothing, but every HMAC must verify.
 *
 * Usage: join_crypto_bench [JOINS]   (default 200000)
 */
#define OPENSSL_SUPPRESS_DEPRECATED   /* HMAC(), for the one-shot figure */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t ticks(void) { return __rdtsc(); }
#else
static inline uint64_t
ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

#include "mptcp_crypto.h"

#define REPS 9
#define METHODS 3

struct join {
	uint64_t ka, kb;
	uint32_t na, nb;
	uint64_t synack_mac;
	uint8_t ack_mac[MPN_MPTCP_JOIN_HMAC_LEN];
};

static void
be64(uint8_t *p, uint64_t v)
{
	int k;

	for (k = 0; k < 8; k++)
		p[k] = (uint8_t)(v >> (56 - 8 * k));
}

static void
be32(uint8_t *p, uint32_t v)
{
	int k;

	for (k = 0; k < 4; k++)
		p[k] = (uint8_t)(v >> (24 - 8 * k));
}

static EVP_MAC_CTX *evp_ctx;

/* HMAC-SHA256(k1 || k2, n1 || n2) through the prepared EVP_MAC_CTX or HMAC(). */
static int
evp_join_hmac(int oneshot, uint64_t k1, uint64_t k2, uint32_t n1, uint32_t n2, uint8_t *out)
{
	uint8_t key[16], msg[8];
	size_t len = 0;
	unsigned int ulen = 0;

	be64(key, k1);
	be64(key + 8, k2);
	be32(msg, n1);
	be32(msg + 4, n2);
	if (oneshot)
		return HMAC(EVP_sha256(), key, sizeof(key), msg, sizeof(msg), out, &ulen) != NULL;
	return EVP_MAC_init(evp_ctx, key, sizeof(key), NULL) == 1 &&
		EVP_MAC_update(evp_ctx, msg, sizeof(msg)) == 1 &&
		EVP_MAC_final(evp_ctx, out, &len, EVP_MAX_MD_SIZE) == 1;
}

static int
evp_verify(int oneshot, const struct join *j)
{
	uint8_t md[EVP_MAX_MD_SIZE], got[8];

	if (!evp_join_hmac(oneshot, j->kb, j->ka, j->nb, j->na, md))
		return 0;
	be64(got, j->synack_mac);
	if (memcmp(md, got, 8) != 0)
		return 0;
	if (!evp_join_hmac(oneshot, j->ka, j->kb, j->na, j->nb, md))
		return 0;
	return memcmp(md, j->ack_mac, MPN_MPTCP_JOIN_HMAC_LEN) == 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static const char *const name[METHODS] = {
		"mpnorm (its prepared EVP_MAC contexts)",
		"prepared EVP_MAC_CTX, re-keyed per HMAC",
		"one-shot HMAC()",
	};
	struct mpn_mptcp_crypto *cx = mpn_mptcp_crypto_new();
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM params[2];
	uint64_t t[METHODS][REPS], x = 0x9e3779b97f4a7c15ULL, t0, hz_ticks;
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	struct join *j;
	unsigned long i, bad = 0;
	unsigned int r, m;
	double hz;

	if (n == 0)
		n = 200000;
	j = calloc(n, sizeof(*j));
	if (cx == NULL || mac == NULL || j == NULL) {
		fprintf(stderr, "join_crypto_bench: out of memory or libcrypto failed\n");
		return 1;
	}
	evp_ctx = EVP_MAC_CTX_new(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (evp_ctx == NULL || EVP_MAC_CTX_set_params(evp_ctx, params) != 1) {
		fprintf(stderr, "join_crypto_bench: EVP_MAC failed\n");
		return 1;
	}
	/* Joins with distinct keys and nonces, their HMACs as the hosts would send them. */
	for (i = 0; i < n; i++) {
		uint8_t md[MPN_MPTCP_JOIN_HMAC_LEN];
		uint64_t k;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17; j[i].ka = x;
		x ^= x << 13; x ^= x >> 7; x ^= x << 17; j[i].kb = x;
		j[i].na = (uint32_t)(x >> 11);
		j[i].nb = (uint32_t)(x >> 29);
		mpn_mptcp_join_hmac(1, j[i].kb, j[i].ka, j[i].nb, j[i].na, md);
		j[i].synack_mac = 0;
		for (k = 0; k < 8; k++)
			j[i].synack_mac = j[i].synack_mac << 8 | md[k];
		mpn_mptcp_join_hmac(1, j[i].ka, j[i].kb, j[i].na, j[i].nb, j[i].ack_mac);
	}
	/* The TSC rate: its ticks over 0.2 s of the monotonic clock. */
	{
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		t0 = ticks();
		do
			clock_gettime(CLOCK_MONOTONIC, &b);
		while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 200000000L);
		hz_ticks = ticks() - t0;
		hz = (double)hz_ticks / ((double)(b.tv_sec - a.tv_sec) +
			(double)(b.tv_nsec - a.tv_nsec) / 1e9);
	}
	for (r = 0; r < REPS; r++) {
		for (m = 0; m < METHODS; m++) {
			t0 = ticks();
			for (i = 0; i < n; i++) {
				int ok = m == 0 ?
					mpn_mptcp_crypto_synack_ok(cx, 1, j[i].ka, j[i].kb, j[i].na,
						j[i].nb, j[i].synack_mac) &&
					mpn_mptcp_crypto_ack_ok(cx, 1, j[i].ka, j[i].kb, j[i].na,
						j[i].nb, j[i].ack_mac) :
					evp_verify(m == 2, &j[i]);

				bad += !ok;
			}
			t[m][r] = ticks() - t0;
		}
	}
	printf("join_crypto_bench: %lu joins (2 HMAC-SHA256 each), medians (min-max) of %u "
		"alternated runs; TSC ~%.0f MHz (TSC ticks, not core cycles)\n", n, REPS, hz / 1e6);
	printf("| HMACs through | TSC cycles per join | joins/s (one core) |\n|---|---:|---:|\n");
	for (m = 0; m < METHODS; m++) {
		double med, lo, hi;

		qsort(t[m], REPS, sizeof(t[m][0]), cmp_u64);
		med = (double)t[m][REPS / 2] / (double)n;
		lo = (double)t[m][0] / (double)n;
		hi = (double)t[m][REPS - 1] / (double)n;
		printf("| %s | %.0f (%.0f-%.0f) | %.2fM (%.2fM-%.2fM) |\n", name[m], med, lo, hi,
			hz / med / 1e6, hz / hi / 1e6, hz / lo / 1e6);
	}
	if (bad != 0)
		printf("join_crypto_bench: %lu joins did not verify: the figures are wrong\n", bad);
	EVP_MAC_CTX_free(evp_ctx);
	EVP_MAC_free(mac);
	mpn_mptcp_crypto_free(cx);
	free(j);
	return bad != 0;
}
