/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rte_byteorder.h>
#include <rte_thash.h>

#include "rss.h"

unsigned int
mpn_rss_reta_groups(uint16_t reta_size)
{
	return ((unsigned int)reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;
}

static bool
is_pow2(unsigned int v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int
mpn_rss_map_read(const struct mpn_rss_dev *dev, uint16_t reta_size, uint16_t n_queues,
	enum mpn_rss_func func, struct mpn_rss_map *map, char *why, size_t whylen)
{
	struct rte_eth_rss_reta_entry64 conf[MPN_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	uint8_t key[64];
	uint8_t key_len = sizeof(key);
	unsigned int g, i, groups;
	int rc;

	memset(map, 0, sizeof(*map));
	if (n_queues == 0) {
		snprintf(why, whylen, "no RX queue configured");
		return -EINVAL;
	}
	if (reta_size == 0) {
		snprintf(why, whylen, "the device reports no RETA");
		return -EINVAL;
	}
	if (reta_size > MPN_RSS_RETA_MAX) {
		snprintf(why, whylen, "its RETA of %u entries is larger than DPDK's %u",
			reta_size, MPN_RSS_RETA_MAX);
		return -EINVAL;
	}
	/*
	 * The NIC indexes the RETA with the hash's low bits. A size that is
	 * not a power of two (some drivers report the queue count) hides how
	 * the hardware really indexes, so the placement cannot be checked.
	 */
	if (!is_pow2(reta_size)) {
		snprintf(why, whylen, "its RETA of %u entries is not a power of two, so the "
			"hardware's indexing cannot be modelled", reta_size);
		return -EINVAL;
	}
	if (dev == NULL || dev->key_get == NULL || dev->reta_query == NULL) {
		snprintf(why, whylen, "the device cannot be read");
		return -ENOTSUP;
	}

	memset(key, 0, sizeof(key));
	rc = dev->key_get(dev->ctx, key, &key_len);
	if (rc != 0) {
		snprintf(why, whylen, "the RSS key cannot be read back (%s)", strerror(-rc));
		return rc < 0 ? rc : -EIO;
	}
	if (key_len < MPN_RSS_KEY_MIN || key_len > MPN_RSS_KEY_MAX) {
		snprintf(why, whylen, "the RSS key reads back with %u bytes (expected %u to %u)",
			key_len, MPN_RSS_KEY_MIN, MPN_RSS_KEY_MAX);
		return -EINVAL;
	}
	for (i = 0; i < key_len && key[i] == 0; i++)
		;
	if (i == key_len) {
		snprintf(why, whylen, "the RSS key reads back as zeros");
		return -EINVAL;
	}

	/*
	 * Ask for every entry, and mark each one so that an entry the driver
	 * did not write is seen (the mark is no valid queue).
	 */
	groups = mpn_rss_reta_groups(reta_size);
	memset(conf, 0, sizeof(conf));
	for (g = 0; g < groups; g++) {
		unsigned int in_group = RTE_MIN((unsigned int)RTE_ETH_RETA_GROUP_SIZE,
			reta_size - g * RTE_ETH_RETA_GROUP_SIZE);

		conf[g].mask = in_group == 64 ? UINT64_MAX : (1ull << in_group) - 1;
		for (i = 0; i < RTE_ETH_RETA_GROUP_SIZE; i++)
			conf[g].reta[i] = UINT16_MAX;
	}
	rc = dev->reta_query(dev->ctx, conf, reta_size);
	if (rc != 0) {
		snprintf(why, whylen, "the RETA cannot be read back (%s)", strerror(-rc));
		return rc < 0 ? rc : -EIO;
	}
	for (i = 0; i < reta_size; i++) {
		uint16_t q = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];

		if (q == UINT16_MAX) {
			snprintf(why, whylen, "RETA entry %u was not read back", i);
			return -EINVAL;
		}
		if (q >= n_queues) {
			snprintf(why, whylen, "RETA entry %u names queue %u, but %u queue(s) are "
				"configured", i, q, n_queues);
			return -EINVAL;
		}
		map->reta[i] = q;
	}
	map->func = func;
	memcpy(map->key, key, key_len);
	map->key_len = key_len;
	map->reta_size = reta_size;
	map->n_queues = n_queues;
	return 0;
}

/* Four network-order bytes as the host-order word rte_softrss() takes. */
static uint32_t
word(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

uint32_t
mpn_rss_hash(const struct mpn_rss_map *m, const struct mpn_rss_tuple *t)
{
	uint32_t in[RTE_THASH_V6_L4_LEN];
	unsigned int na = t->family == 6 ? 4 : 1, k;
	uint16_t sp = t->sport, dp = t->dport;

	for (k = 0; k < na; k++) {
		in[k] = word(t->src + 4 * k);
		in[na + k] = word(t->dst + 4 * k);
	}
	if (m->func == MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ) {
		/* rte_flow.h: "src, dst will be replaced by xor(src, dst)". */
		for (k = 0; k < na; k++) {
			in[k] ^= in[na + k];
			in[na + k] = in[k];
		}
		sp ^= dp;
		dp = sp;
	}
	/* struct rte_ipv4_tuple / rte_ipv6_tuple: sport in the high half. */
	in[2 * na] = ((uint32_t)sp << 16) | dp;
	return rte_softrss(in, 2 * na + 1, m->key);
}

void
mpn_rss_tuple_reverse(const struct mpn_rss_tuple *t, struct mpn_rss_tuple *out)
{
	struct mpn_rss_tuple r;

	memset(&r, 0, sizeof(r));
	r.family = t->family;
	memcpy(r.src, t->dst, sizeof(r.src));
	memcpy(r.dst, t->src, sizeof(r.dst));
	r.sport = t->dport;
	r.dport = t->sport;
	*out = r;
}

static void
tuple_str(char *buf, size_t n, const struct mpn_rss_tuple *t)
{
	if (t->family == 6)
		snprintf(buf, n, "[%02x%02x:%02x%02x::%02x%02x]:%u > [%02x%02x:%02x%02x::%02x%02x]:%u",
			t->src[0], t->src[1], t->src[2], t->src[3], t->src[14], t->src[15], t->sport,
			t->dst[0], t->dst[1], t->dst[2], t->dst[3], t->dst[14], t->dst[15], t->dport);
	else
		snprintf(buf, n, "%u.%u.%u.%u:%u > %u.%u.%u.%u:%u", t->src[0], t->src[1], t->src[2],
			t->src[3], t->sport, t->dst[0], t->dst[1], t->dst[2], t->dst[3], t->dport);
}

int
mpn_rss_check_symmetric(const struct mpn_rss_map *const *maps, unsigned int n, char *why,
	size_t whylen)
{
	unsigned int i, m;

	if (n == 0) {
		snprintf(why, whylen, "no RSS map to check");
		return -1;
	}
	for (i = 0; i < MPN_RSS_CHECK_SAMPLES; i++) {
		struct mpn_rss_tuple t, r;
		uint16_t q;

		mpn_rss_sample((enum mpn_rss_set)(i % MPN_RSS_SET_MAX), i, &t);
		/* Now and then both ends share an address: the ports decide. */
		if (i % 16 == 5)
			memcpy(t.dst, t.src, sizeof(t.dst));
		mpn_rss_tuple_reverse(&t, &r);
		q = mpn_rss_queue(maps[0], &t);
		for (m = 0; m < n; m++) {
			uint16_t qf = mpn_rss_queue(maps[m], &t), qr = mpn_rss_queue(maps[m], &r);

			if (qf != q || qr != q) {
				char s[128];

				tuple_str(s, sizeof(s), &t);
				snprintf(why, whylen, "sample flow %u (%s) lands on queues %u and %u",
					i, s, q, qf != q ? qf : qr);
				return -1;
			}
		}
	}
	snprintf(why, whylen, "%u sample flows (IPv4 and IPv6) land on one queue both ways",
		MPN_RSS_CHECK_SAMPLES);
	return 0;
}

const char *
mpn_rss_set_name(enum mpn_rss_set set)
{
	switch (set) {
	case MPN_RSS_SET_RANDOM: return "random";
	case MPN_RSS_SET_RANDOM6: return "random-v6";
	case MPN_RSS_SET_CGNAT: return "cgnat";
	case MPN_RSS_SET_SERVERS: return "servers";
	case MPN_RSS_SET_LOCKSTEP: return "lockstep";
	default: return "unknown";
	}
}

/* SplitMix64: a fixed, well-mixed sequence from a counter. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
mpn_rss_sample(enum mpn_rss_set set, uint64_t i, struct mpn_rss_tuple *out)
{
	uint64_t r1 = mix(i * 4 + (uint64_t)set * 0x100000000ull);
	uint64_t r2 = mix(r1);
	unsigned int k;

	memset(out, 0, sizeof(*out));
	out->family = 4;
	switch (set) {
	case MPN_RSS_SET_RANDOM6:
		out->family = 6;
		for (k = 0; k < 16; k += 8) {
			uint64_t a = mix(r1 + k), b = mix(r2 + k);

			memcpy(out->src + k, &a, 8);
			memcpy(out->dst + k, &b, 8);
		}
		out->sport = (uint16_t)(r1 >> 48);
		out->dport = (uint16_t)(r2 >> 48);
		break;
	case MPN_RSS_SET_CGNAT:
		/*
		 * The public side of a carrier-grade NAT (RFC 6888) with paired
		 * pooling and one sequential port counter: flow i leaves from
		 * pool address i mod 16 (203.0.113.0/28) and port 1024 + i, to
		 * one of four popular servers on 443.
		 */
		put32(out->src, 0xcb007100u | (uint32_t)(i & 15));
		out->sport = (uint16_t)(1024 + (i % 64512));
		put32(out->dst, 0xc6336400u | (uint32_t)(r1 & 3));        /* 198.51.100.0/30 */
		out->dport = 443;
		break;
	case MPN_RSS_SET_SERVERS:
		/* Many clients, Linux ephemeral ports, four servers on 443. */
		put32(out->src, (uint32_t)r1);
		out->sport = (uint16_t)(32768 + (r2 % 28232));
		put32(out->dst, 0xc000020au + (uint32_t)(i & 3));         /* 192.0.2.10-13 */
		out->dport = 443;
		break;
	case MPN_RSS_SET_LOCKSTEP:
		/* 10.0.0.0/16 + i from port 1024 + i, to one server on 80. */
		put32(out->src, 0x0a000000u + (uint32_t)(i & 0xffff));
		out->sport = (uint16_t)(1024 + (i % 64512));
		put32(out->dst, 0x0a010001u);
		out->dport = 80;
		break;
	case MPN_RSS_SET_RANDOM:
	default:
		put32(out->src, (uint32_t)r1);
		put32(out->dst, (uint32_t)(r1 >> 32));
		out->sport = (uint16_t)r2;
		out->dport = (uint16_t)(r2 >> 16);
		break;
	}
}

void
mpn_rss_key_6d5a(uint8_t *key, size_t len)
{
	size_t i;

	/*
	 * With 0x6d5a repeated, swapping source and destination (addresses
	 * and ports, each a whole number of 16-bit words) leaves the hash
	 * unchanged: both directions of a flow pick the same RETA entry.
	 */
	for (i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

int
mpn_rss_key_random(uint8_t *key, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(key + got, len - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

const char *
mpn_rss_func_name(enum mpn_rss_func func)
{
	return func == MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ ? "symmetric-toeplitz" : "toeplitz";
}
