/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rss_spread: how evenly each placement spreads realistic tuple sets over
 * 2..16 queues. Prints figures; asserts nothing (see README.md).
 *
 *   rss_spread [SAMPLES]     (65536 flows per set by default)
 *
 * Placements, as mpnorm can end up with them:
 *   6d5a      Toeplitz with the symmetric 0x6d5a key (the fallback)
 *   symm-rnd  symmetric Toeplitz with a random key (rte_flow, ice/i40e/...)
 *   toep-rnd  plain Toeplitz with a random key: the NIC default, not
 *             symmetric, shown for reference
 *   handoff   mpnorm's software owner: the flow key's hash (the one the
 *             lookup uses), multiply-shift
 * RSS placements go through a 512-entry RETA filled round-robin, as
 * mpnorm programs it; the hash is rte_softrss, as in lib/rss.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "owner.h"
#include "rss.h"

#define MAX_Q 16

enum placement { P_6D5A, P_SYMM_RND, P_TOEP_RND, P_HANDOFF, P_MAX };

static const char *const placement_name[P_MAX] = { "6d5a", "symm-rnd", "toep-rnd", "handoff" };

static struct mpn_rss_map maps[P_MAX];

static void
maps_init(unsigned int nq)
{
	unsigned int p, i;

	for (p = 0; p < P_HANDOFF; p++) {
		maps[p].reta_size = MPN_RSS_RETA_MAX;
		maps[p].n_queues = (uint16_t)nq;
		for (i = 0; i < MPN_RSS_RETA_MAX; i++)
			maps[p].reta[i] = (uint16_t)(i % nq);
	}
}

static unsigned int
place(enum placement p, const struct mpn_rss_tuple *t, unsigned int nq)
{
	if (p == P_HANDOFF)
		return mpn_owner_of(mpn_owner_flow_hash(t, 0), nq);
	return mpn_rss_queue(&maps[p], t);
}

/* Largest and smallest queue share, in percent of a fair share. */
static void
spread(enum mpn_rss_set set, enum placement p, unsigned int nq, unsigned int samples,
	uint64_t *count, double *hi, double *lo)
{
	struct mpn_rss_tuple t;
	uint64_t mx = 0, mn = UINT64_MAX;
	unsigned int i, q;

	memset(count, 0, MAX_Q * sizeof(*count));
	for (i = 0; i < samples; i++) {
		mpn_rss_sample(set, i, &t);
		count[place(p, &t, nq)]++;
	}
	for (q = 0; q < nq; q++) {
		mx = count[q] > mx ? count[q] : mx;
		mn = count[q] < mn ? count[q] : mn;
	}
	*hi = 100.0 * (double)mx * nq / samples;
	*lo = 100.0 * (double)mn * nq / samples;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct 32-bit hashes over @p n random IPv4 flows. */
static unsigned int
distinct_hashes(const struct mpn_rss_map *m, unsigned int n)
{
	uint32_t *h = malloc(n * sizeof(*h));
	struct mpn_rss_tuple t;
	unsigned int i, d = 0;

	if (h == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		mpn_rss_sample(MPN_RSS_SET_RANDOM, i, &t);
		h[i] = mpn_rss_hash(m, &t);
	}
	qsort(h, n, sizeof(*h), cmp_u32);
	for (i = 0; i < n; i++)
		d += i == 0 || h[i] != h[i - 1];
	free(h);
	return d;
}

int
main(int argc, char **argv)
{
	unsigned int samples = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 65536;
	uint64_t count[MAX_Q];
	unsigned int s, p, nq, q;
	double hi, lo;

	if (samples == 0) {
		fprintf(stderr, "usage: rss_spread [SAMPLES]\n");
		return 2;
	}
	mpn_rss_key_6d5a(maps[P_6D5A].key, MPN_RSS_KEY_MAX);
	if (mpn_rss_key_random(maps[P_SYMM_RND].key, MPN_RSS_KEY_MAX) != 0) {
		fprintf(stderr, "rss_spread: no random source\n");
		return 1;
	}
	memcpy(maps[P_TOEP_RND].key, maps[P_SYMM_RND].key, MPN_RSS_KEY_MAX);
	maps[P_SYMM_RND].func = MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ;
	for (p = 0; p < P_HANDOFF; p++)
		maps[p].key_len = MPN_RSS_KEY_MAX;

	printf("rss_spread: %u flows per set; each cell is the busiest and the idlest queue "
		"in %% of a fair share (100/100 is perfect)\n", samples);
	for (s = 0; s < MPN_RSS_SET_MAX; s++) {
		printf("\nset %s\n%-7s", mpn_rss_set_name((enum mpn_rss_set)s), "queues");
		for (p = 0; p < P_MAX; p++)
			printf(" %15s", placement_name[p]);
		printf("\n");
		for (nq = 2; nq <= MAX_Q; nq++) {
			maps_init(nq);
			printf("%-7u", nq);
			for (p = 0; p < P_MAX; p++) {
				char cell[32];

				spread((enum mpn_rss_set)s, (enum placement)p, nq, samples, count, &hi,
					&lo);
				snprintf(cell, sizeof(cell), "%.0f/%.0f", hi, lo);
				printf(" %15s", cell);
			}
			printf("\n");
		}
	}

	printf("\nflows per queue, 8 queues\n");
	maps_init(8);
	for (s = 0; s < MPN_RSS_SET_MAX; s++) {
		for (p = 0; p < P_MAX; p++) {
			spread((enum mpn_rss_set)s, (enum placement)p, 8, samples, count, &hi, &lo);
			printf("%-10s %-9s", mpn_rss_set_name((enum mpn_rss_set)s), placement_name[p]);
			for (q = 0; q < 8; q++)
				printf(" %7" PRIu64, count[q]);
			printf("\n");
		}
	}

	printf("\ndistinct 32-bit hashes over %u random IPv4 flows: 6d5a %u, symm-rnd %u, "
		"toep-rnd %u\n", 1u << 20, distinct_hashes(&maps[P_6D5A], 1u << 20),
		distinct_hashes(&maps[P_SYMM_RND], 1u << 20),
		distinct_hashes(&maps[P_TOEP_RND], 1u << 20));
	return 0;
}
