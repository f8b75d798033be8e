/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_RSS_H
#define MPN_RSS_H

/**
 * @file
 * What a NIC's RSS does with a flow, computed in software, so that mpnorm
 * trusts a device's placement only after checking it (ARCHITECTURE.md §3).
 *
 * A worker owns queue q of every port, and per-worker subflow state is only
 * right if both directions of every TCP flow land on the same queue of
 * every port of a link. mpnorm reads the device's RSS key and redirection
 * table (RETA) back, models the hash (rte_softrss), and places sample
 * flows both ways. The model is a struct mpn_rss_map; everything here is a
 * pure function of it, so the checks and the spread figures run in unit
 * tests and benchmarks without a device: the device is reached through two
 * callbacks (struct mpn_rss_dev), which tests fake.
 *
 * Two hash functions are modelled:
 *  - plain Toeplitz. It is symmetric only with a key whose 16-bit halves
 *    repeat (0x6d5a6d5a..., Woo and Park, "Scalable TCP Session Monitoring
 *    with Symmetric Receive-side Scaling"). XXX: such a key makes the hash
 *    a function of the XOR of the tuple's 16-bit words alone: at most 65536
 *    distinct hashes, and structured address plans (CGNAT pools, a few
 *    large servers) spread badly. It is the fallback, for NICs that offer
 *    nothing better; test/bench/rss_spread prints how badly.
 *  - symmetric Toeplitz (RTE_ETH_HASH_FUNCTION_SYMMETRIC_TOEPLITZ, set
 *    through an rte_flow RSS action on ice, i40e, iavf and others in 22.11).
 *    DPDK defines it in rte_flow.h: "src, dst will be replaced by
 *    xor(src, dst)", for the addresses and for the ports. Symmetric by
 *    construction with any key, so mpnorm uses it with a random key.
 *
 * All functions are thread-safe: they touch only their arguments, except
 * mpn_rss_key_random(), which reads the kernel's random source.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ethdev.h>

/** Longest RSS key modelled (i40e and ice use 52 bytes; most others 40). */
#define MPN_RSS_KEY_MAX 52

/** Shortest key that covers an IPv6 TCP tuple (36 bytes) plus the 32-bit window. */
#define MPN_RSS_KEY_MIN 40

/** Largest RETA DPDK can describe (RTE_ETH_RSS_RETA_SIZE_512). */
#define MPN_RSS_RETA_MAX RTE_ETH_RSS_RETA_SIZE_512

/** Sample flows placed both ways by mpn_rss_check_symmetric(). */
#define MPN_RSS_CHECK_SAMPLES 256

/** The hash function a device applies to TCP flows. */
enum mpn_rss_func {
	MPN_RSS_FUNC_TOEPLITZ = 0,        /**< Toeplitz over the tuple as it is */
	MPN_RSS_FUNC_SYMMETRIC_TOEPLITZ,  /**< Toeplitz over (s^d, s^d, sp^dp, dp^sp) */
};

/** A device's placement of TCP flows, as read back from it. */
struct mpn_rss_map {
	enum mpn_rss_func func;
	uint8_t key[MPN_RSS_KEY_MAX];
	uint8_t key_len;                  /**< MPN_RSS_KEY_MIN..MPN_RSS_KEY_MAX */
	uint16_t reta_size;               /**< a power of two, 1..MPN_RSS_RETA_MAX */
	uint16_t n_queues;                /**< every RETA entry is below this */
	uint16_t reta[MPN_RSS_RETA_MAX];  /**< queue of each RETA entry */
};

/** A TCP flow, one direction: addresses in network order, ports in host order. */
struct mpn_rss_tuple {
	uint8_t family;                   /**< 4 or 6 */
	uint8_t src[16];                  /**< 4 bytes used for IPv4 */
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
};

/**
 * How a device is read. Each callback returns 0 or a negative errno, as
 * the ethdev calls they wrap do (-ENOTSUP when the driver lacks the call).
 */
struct mpn_rss_dev {
	void *ctx;
	/**
	 * Read the RSS key into @p key (room for @p *key_len bytes); set
	 * @p *key_len to the length read. Wraps rte_eth_dev_rss_hash_conf_get().
	 */
	int (*key_get)(void *ctx, uint8_t *key, uint8_t *key_len);
	/**
	 * Fill the entries whose mask bits are set, as
	 * rte_eth_dev_rss_reta_query() does.
	 */
	int (*reta_query)(void *ctx, struct rte_eth_rss_reta_entry64 *conf, uint16_t reta_size);
};

/**
 * Groups of 64 RETA entries that describe a table of @p reta_size entries,
 * rounded up: DPDK's eth_check_reta_mask() looks at that many groups and
 * refuses a query none of whose masks is set, so a table smaller than 64
 * entries (mlx5 with 2..32 queues) still needs one group.
 */
unsigned int
mpn_rss_reta_groups(uint16_t reta_size);

/**
 * Read a device's key and RETA into @p map and check that they can be
 * modelled: a key of MPN_RSS_KEY_MIN..MPN_RSS_KEY_MAX bytes that is not all
 * zero; a RETA whose size is a power of two no larger than
 * MPN_RSS_RETA_MAX, every entry read back and naming one of the
 * @p n_queues queues.
 *
 * @param dev        how to reach the device
 * @param reta_size  the device's RETA size (rte_eth_dev_info.reta_size)
 * @param n_queues   RX queues configured
 * @param func       the hash function the device was set to
 * @param map        filled in on success
 * @param why        on failure, the reason in words ("the RETA cannot be
 *                   read back (Operation not supported)")
 * @return           0, or a negative errno: the callback's error, or
 *                   -EINVAL for a table or key that cannot be trusted
 */
int
mpn_rss_map_read(const struct mpn_rss_dev *dev, uint16_t reta_size, uint16_t n_queues,
	enum mpn_rss_func func, struct mpn_rss_map *map, char *why, size_t whylen);

/** The 32-bit RSS hash @p m's device computes for @p t. */
uint32_t
mpn_rss_hash(const struct mpn_rss_map *m, const struct mpn_rss_tuple *t);

/** The RX queue @p m's device puts @p t on. */
static inline uint16_t
mpn_rss_queue(const struct mpn_rss_map *m, const struct mpn_rss_tuple *t)
{
	/* reta_size is a power of two: the NIC indexes by the hash's low bits. */
	return m->reta[mpn_rss_hash(m, t) & (uint32_t)(m->reta_size - 1)];
}

/** @p t seen from the other end: addresses and ports swapped. */
void
mpn_rss_tuple_reverse(const struct mpn_rss_tuple *t, struct mpn_rss_tuple *out);

/**
 * Check that every sample flow, in either direction, lands on the same
 * queue on every one of the @p n maps (the ports a flow may cross).
 * MPN_RSS_CHECK_SAMPLES flows, IPv4 and IPv6, random and structured.
 *
 * @return 0, or -1 with the first sample that fails described in @p why
 */
int
mpn_rss_check_symmetric(const struct mpn_rss_map *const *maps, unsigned int n, char *why,
	size_t whylen);

/** Tuple sets for spread figures: how real traffic is shaped. */
enum mpn_rss_set {
	MPN_RSS_SET_RANDOM = 0,   /**< random IPv4 addresses and ports */
	MPN_RSS_SET_RANDOM6,      /**< random IPv6 addresses and ports */
	MPN_RSS_SET_CGNAT,        /**< a small public pool, port blocks, popular servers */
	MPN_RSS_SET_SERVERS,      /**< many clients of four servers on 443 */
	/**
	 * A traffic generator's range mode (pktgen-dpdk, TRex): source
	 * address and source port stepped together. Lab traffic, but the
	 * traffic a placement is usually judged by.
	 */
	MPN_RSS_SET_LOCKSTEP,
	MPN_RSS_SET_MAX,
};

/** "random", "random-v6", "cgnat", "servers", "lockstep". */
const char *
mpn_rss_set_name(enum mpn_rss_set set);

/**
 * Sample @p i of a tuple set: deterministic, so figures are reproducible.
 * Unknown sets give the random set.
 */
void
mpn_rss_sample(enum mpn_rss_set set, uint64_t i, struct mpn_rss_tuple *out);

/** Fill @p key with the symmetric 0x6d5a pattern (see above for its weakness). */
void
mpn_rss_key_6d5a(uint8_t *key, size_t len);

/**
 * Fill @p key from the kernel's random source (getrandom(2)). A random
 * key is a secret: with it, an attacker can aim every flow at one queue.
 * It is never logged or shown.
 *
 * @return 0, or -errno (the caller falls back to the 0x6d5a key)
 */
int
mpn_rss_key_random(uint8_t *key, size_t len);

/** Name of a hash function: "toeplitz" or "symmetric-toeplitz". */
const char *
mpn_rss_func_name(enum mpn_rss_func func);

#endif /* MPN_RSS_H */
