/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSS model and its checks, against a fake device that behaves as
 * DPDK 22.11's ethdev layer and drivers do: eth_check_reta_mask() refuses a
 * query with no mask bit set in the ceil(reta_size / 64) groups, and a
 * driver fills only the entries whose mask bit is set. No EAL, no NIC.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rss.h"

struct fake_dev {
	uint16_t reta_size;
	uint16_t reta[MPN_RSS_RETA_MAX];
	uint8_t key[MPN_RSS_KEY_MAX];
	uint8_t key_len;
	int key_rc;              /* returned by key_get when non-zero */
	int reta_rc;             /* returned by reta_query when non-zero */
	unsigned int skip_from;  /* entries from here on are not written back */
	unsigned int queries;
};

static int
fake_key_get(void *ctx, uint8_t *key, uint8_t *key_len)
{
	struct fake_dev *d = ctx;

	if (d->key_rc != 0)
		return d->key_rc;
	/* ethdev refuses a buffer shorter than the device's key. */
	if (*key_len < d->key_len)
		return -EINVAL;
	memcpy(key, d->key, d->key_len);
	*key_len = d->key_len;
	return 0;
}

static int
fake_reta_query(void *ctx, struct rte_eth_rss_reta_entry64 *conf, uint16_t reta_size)
{
	struct fake_dev *d = ctx;
	unsigned int g, i, num;

	d->queries++;
	if (d->reta_rc != 0)
		return d->reta_rc;
	/* DPDK 22.11 rte_ethdev.c eth_check_reta_mask(). */
	num = (reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;
	for (g = 0; g < num; g++)
		if (conf[g].mask != 0)
			break;
	if (g == num)
		return -EINVAL;
	/* i40e, ice, ixgbe: the size asked must be the device's. */
	if (reta_size != d->reta_size)
		return -EINVAL;
	for (i = 0; i < reta_size && i < d->skip_from; i++)
		if (conf[i / 64].mask & (1ull << (i % 64)))
			conf[i / 64].reta[i % 64] = d->reta[i];
	return 0;
}

static void
fake_init(struct fake_dev *d, uint16_t reta_size, uint16_t nq)
{
	unsigned int i;

	memset(d, 0, sizeof(*d));
	d->reta_size = reta_size;
	for (i = 0; i < reta_size; i++)
		d->reta[i] = (uint16_t)(i % nq);     /* every driver's default */
	d->key_len = 52;
	mpn_rss_key_6d5a(d->key, d->key_len);
	d->skip_from = UINT32_MAX;
}

static int
read_map(struct fake_dev *d, uint16_t nq, enum mpn_rss_func f, struct mpn_rss_map *m,
	char *why, size_t n)
{
	struct mpn_rss_dev dev = { d, fake_key_get, fake_reta_query };

	return mpn_rss_map_read(&dev, d->reta_size, nq, f, m, why, n);
}

static void
test_reta_groups_round_up(void **state)
{
	(void)state;
	assert_int_equal(mpn_rss_reta_groups(1), 1);
	assert_int_equal(mpn_rss_reta_groups(8), 1);
	assert_int_equal(mpn_rss_reta_groups(63), 1);
	assert_int_equal(mpn_rss_reta_groups(64), 1);
	assert_int_equal(mpn_rss_reta_groups(65), 2);
	assert_int_equal(mpn_rss_reta_groups(128), 2);
	assert_int_equal(mpn_rss_reta_groups(512), 8);
}

/* mlx5 (8 = its queue count), ixgbe (64...128), i40e and ice (512). */
static void
test_reta_read_sizes(void **state)
{
	static const uint16_t sizes[] = { 8, 64, 128, 512 };
	static const uint16_t queues[] = { 2, 4, 8 };
	unsigned int s, q, i;

	(void)state;
	for (s = 0; s < RTE_DIM(sizes); s++) {
		for (q = 0; q < RTE_DIM(queues); q++) {
			struct fake_dev d;
			struct mpn_rss_map m;
			const struct mpn_rss_map *maps[1] = { &m };
			char why[256];

			fake_init(&d, sizes[s], queues[q]);
			assert_int_equal(read_map(&d, queues[q], MPN_RSS_FUNC_TOEPLITZ, &m, why,
				sizeof(why)), 0);
			assert_int_equal(d.queries, 1);
			assert_int_equal(m.reta_size, sizes[s]);
			for (i = 0; i < sizes[s]; i++)
				assert_int_equal(m.reta[i], i % queues[q]);
			assert_memory_equal(m.key, d.key, 52);
			/* 0x6d5a is symmetric: every sample flow both ways on one queue. */
			assert_int_equal(mpn_rss_check_symmetric(maps, 1, why, sizeof(why)), 0);
		}
	}
}

static void
test_bad_device_falls_back(void **state)
{
	struct fake_dev d;
	struct mpn_rss_map m;
	char why[256];

	(void)state;
	/* A driver without rss_hash_conf_get. */
	fake_init(&d, 128, 4);
	d.key_rc = -ENOTSUP;
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -ENOTSUP);
	assert_non_null(strstr(why, "RSS key cannot be read back"));
	assert_non_null(strstr(why, strerror(ENOTSUP)));

	/* A driver without reta_query. */
	fake_init(&d, 128, 4);
	d.reta_rc = -ENOTSUP;
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -ENOTSUP);
	assert_non_null(strstr(why, "RETA cannot be read back"));

	/* A key it cannot really read back: too short, or zeros. */
	fake_init(&d, 128, 4);
	d.key_len = 16;
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "16 bytes"));
	fake_init(&d, 128, 4);
	memset(d.key, 0, sizeof(d.key));
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "zeros"));

	/* A RETA naming a queue that does not exist. */
	fake_init(&d, 64, 4);
	d.reta[17] = 9;
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "entry 17 names queue 9"));

	/* A driver that leaves entries unwritten. */
	fake_init(&d, 512, 4);
	d.skip_from = 448;
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "entry 448 was not read back"));

	/* Sizes the model cannot index: none, not a power of two, too large. */
	fake_init(&d, 0, 4);
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -EINVAL);
	fake_init(&d, 3, 3);
	assert_int_equal(read_map(&d, 3, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a power of two"));
	fake_init(&d, 512, 4);
	d.reta_size = 1024;
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why, sizeof(why)), -EINVAL);

	/* No device access at all. */
	assert_int_equal(mpn_rss_map_read(NULL, 128, 4, MPN_RSS_FUNC_TOEPLITZ, &m, why,
		sizeof(why)), -ENOTSUP);
}

static void
tuple4(struct mpn_rss_tuple *t, const char *s, uint16_t sp, const char *d, uint16_t dp)
{
	unsigned int a[4], b[4], i;

	memset(t, 0, sizeof(*t));
	t->family = 4;
	assert_int_equal(sscanf(s, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]), 4);
	assert_int_equal(sscanf(d, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]), 4);
	for (i = 0; i < 4; i++) {
		t->src[i] = (uint8_t)a[i];
		t->dst[i] = (uint8_t)b[i];
	}
	t->sport = sp;
	t->dport = dp;
}

/*
 * The model against published ground truth: Microsoft's RSS verification
 * suite ("Verifying the RSS Hash Calculation"), the vectors DPDK's own
 * test_thash uses. This pins the word order and byte order of the tuple.
 */
static void
test_hash_known_vectors(void **state)
{
	static const uint8_t ms_key[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
		0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
		0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	static const uint8_t v6src[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
		0, 0, 0, 0, 0, 0, 0, 7 };
	static const uint8_t v6dst[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
		0, 0, 0, 0, 0, 0, 0, 1 };
	struct mpn_rss_map m;
	struct mpn_rss_tuple t;

	(void)state;
	memset(&m, 0, sizeof(m));
	memcpy(m.key, ms_key, sizeof(ms_key));
	m.key_len = sizeof(ms_key);
	m.func = MPN_RSS_FUNC_TOEPLITZ;
	tuple4(&t, "66.9.149.187", 2794, "161.142.100.80", 1766);
	assert_int_equal(mpn_rss_hash(&m, &t), 0x51ccc178);
	tuple4(&t, "199.92.111.2", 14230, "65.69.140.83", 4739);
	assert_int_equal(mpn_rss_hash(&m, &t), 0xc626b0ea);
	memset(&t, 0, sizeof(t));
	t.family = 6;
	memcpy(t.src, v6src, 16);
	memcpy(t.dst, v6dst, 16);
	t.sport = 2794;
	t.dport = 1766;
	assert_int_equal(mpn_rss_hash(&m, &t), 0x40207d3d);
}

/* A random key is symmetric only through the symmetric hash function. */
static void
test_random_key_needs_symmetric_function(void **state)
{
	struct fake_dev d;
	struct mpn_rss_map plain, symm;
	const struct mpn_rss_map *maps[1];
	struct mpn_rss_tuple t, r;
	uint8_t k2[52];
	char why[256];
	unsigned int i;

	(void)state;
	fake_init(&d, 512, 4);
	assert_int_equal(mpn_rss_key_random(d.key, 52), 0);
	assert_int_equal(mpn_rss_key_random(k2, 52), 0);
	assert_memory_not_equal(d.key, k2, 52);
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_TOEPLITZ, &plain, why, sizeof(why)), 0);
	assert_int_equal(read_map(&d, 4, MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ, &symm, why,
		sizeof(why)), 0);
	maps[0] = &plain;
	assert_int_equal(mpn_rss_check_symmetric(maps, 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "lands on queues"));
	maps[0] = &symm;
	assert_int_equal(mpn_rss_check_symmetric(maps, 1, why, sizeof(why)), 0);
	for (i = 0; i < 10000; i++) {
		mpn_rss_sample((enum mpn_rss_set)(i % MPN_RSS_SET_MAX), i, &t);
		mpn_rss_tuple_reverse(&t, &r);
		assert_int_equal(mpn_rss_hash(&symm, &t), mpn_rss_hash(&symm, &r));
	}
}

/*
 * Both ports of a link must agree: a flow enters on one and its reply on
 * the other. Equal tables agree; tables of different sizes agree only when
 * the queue count divides both.
 */
static void
test_ports_must_agree(void **state)
{
	struct fake_dev a, b;
	struct mpn_rss_map ma, mb;
	const struct mpn_rss_map *maps[2] = { &ma, &mb };
	char why[256];

	(void)state;
	fake_init(&a, 512, 4);
	fake_init(&b, 128, 4);
	assert_int_equal(read_map(&a, 4, MPN_RSS_FUNC_TOEPLITZ, &ma, why, sizeof(why)), 0);
	assert_int_equal(read_map(&b, 4, MPN_RSS_FUNC_TOEPLITZ, &mb, why, sizeof(why)), 0);
	assert_int_equal(mpn_rss_check_symmetric(maps, 2, why, sizeof(why)), 0);
	/* Three queues: 512 % 3 and 128 % 3 tables index differently. */
	fake_init(&a, 512, 3);
	fake_init(&b, 128, 3);
	assert_int_equal(read_map(&a, 3, MPN_RSS_FUNC_TOEPLITZ, &ma, why, sizeof(why)), 0);
	assert_int_equal(read_map(&b, 3, MPN_RSS_FUNC_TOEPLITZ, &mb, why, sizeof(why)), 0);
	assert_int_equal(mpn_rss_check_symmetric(maps, 2, why, sizeof(why)), -1);
	/* Same size, one table reordered by an operator (ethtool -X). */
	fake_init(&a, 128, 4);
	fake_init(&b, 128, 4);
	b.reta[0] = 3;
	assert_int_equal(read_map(&a, 4, MPN_RSS_FUNC_TOEPLITZ, &ma, why, sizeof(why)), 0);
	assert_int_equal(read_map(&b, 4, MPN_RSS_FUNC_TOEPLITZ, &mb, why, sizeof(why)), 0);
	assert_int_equal(mpn_rss_check_symmetric(maps, 2, why, sizeof(why)), -1);
}

static void
test_samples_deterministic(void **state)
{
	struct mpn_rss_tuple a, b;
	unsigned int s, i;

	(void)state;
	for (s = 0; s < MPN_RSS_SET_MAX; s++) {
		for (i = 0; i < 100; i++) {
			mpn_rss_sample((enum mpn_rss_set)s, i, &a);
			mpn_rss_sample((enum mpn_rss_set)s, i, &b);
			assert_memory_equal(&a, &b, sizeof(a));
			assert_int_equal(a.family, s == MPN_RSS_SET_RANDOM6 ? 6 : 4);
		}
		assert_string_not_equal(mpn_rss_set_name((enum mpn_rss_set)s), "unknown");
	}
}

/*
 * The weakness of 0x6d5a, as a property: the hash depends only on the XOR
 * of the tuple's 16-bit words, so two flows whose words XOR to the same
 * value always share a queue, whatever the RETA. A random key with the
 * symmetric function tells them apart.
 */
static void
test_6d5a_depends_on_xor_only(void **state)
{
	struct mpn_rss_map weak, good;
	struct mpn_rss_tuple a, b;
	unsigned int i, differ = 0;

	(void)state;
	memset(&weak, 0, sizeof(weak));
	weak.key_len = 52;
	mpn_rss_key_6d5a(weak.key, 52);
	good = weak;
	good.func = MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ;
	assert_int_equal(mpn_rss_key_random(good.key, 52), 0);
	for (i = 0; i < 1000; i++) {
		uint16_t x;

		mpn_rss_sample(MPN_RSS_SET_RANDOM, i, &a);
		b = a;
		/* Move a 16-bit difference from the source port into the address. */
		x = (uint16_t)(0x1111 * (1 + i % 15));
		b.sport ^= x;
		b.src[2] ^= (uint8_t)(x >> 8);
		b.src[3] ^= (uint8_t)x;
		assert_int_equal(mpn_rss_hash(&weak, &a), mpn_rss_hash(&weak, &b));
		differ += mpn_rss_hash(&good, &a) != mpn_rss_hash(&good, &b);
	}
	assert_true(differ > 990);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reta_groups_round_up),
		cmocka_unit_test(test_reta_read_sizes),
		cmocka_unit_test(test_bad_device_falls_back),
		cmocka_unit_test(test_hash_known_vectors),
		cmocka_unit_test(test_random_key_needs_symmetric_function),
		cmocka_unit_test(test_ports_must_agree),
		cmocka_unit_test(test_samples_deterministic),
		cmocka_unit_test(test_6d5a_depends_on_xor_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
