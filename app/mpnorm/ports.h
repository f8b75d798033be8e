/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_PORTS_H
#define MPN_APP_PORTS_H

/**
 * @file
 * Bringing up the configured ports: find (or probe) each device by name,
 * give it one RX and one TX queue per worker, make it promiscuous (a bump in
 * the wire forwards frames for any MAC) and start it.
 */

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "config.h"
#include "rss.h"

/** DPDK port ids of the configured ports, by config index. */
struct mpn_ports {
	unsigned int n;
	uint16_t port_id[MPN_CONFIG_MAX_PORTS];
	uint16_t peer[MPN_CONFIG_MAX_PORTS];     /**< config index of the port to send to */
	uint16_t link[MPN_CONFIG_MAX_PORTS];     /**< config index of the port's link */
	uint8_t is_outside[MPN_CONFIG_MAX_PORTS];
	uint8_t in_use[MPN_CONFIG_MAX_PORTS];    /**< the port belongs to a link */
	uint8_t started[MPN_CONFIG_MAX_PORTS];
	/**
	 * Both directions of a flow are known to land on the same queue index:
	 * symmetric RSS verified at start-up, the kernel's symmetric fanout of
	 * af_packet, or a single queue.
	 */
	uint8_t symmetric[MPN_CONFIG_MAX_PORTS];
	char placement_note[MPN_CONFIG_MAX_PORTS][400];
	/**
	 * The port's RSS placement as read back and checked (has_rss set):
	 * used to check that every port agrees, to steer IP first fragments
	 * to the worker their flow's other packets reach, and for the
	 * expected spread that `show workers` reports.
	 */
	uint8_t has_rss[MPN_CONFIG_MAX_PORTS];
	struct mpn_rss_map rss[MPN_CONFIG_MAX_PORTS];
	/** Symmetric Toeplitz rte_flow rules were installed on the port. */
	uint8_t flows[MPN_CONFIG_MAX_PORTS];
	/** The random key (a secret: never shown), or not. */
	bool random_key;
	uint8_t key[MPN_RSS_KEY_MAX];
};

/**
 * Resolve, configure and start every port of @p cfg that belongs to a link.
 * @return 0, or -1 with a message that names the port and what to do.
 */
int
mpn_ports_start(const struct mpn_config *cfg, struct rte_mempool *mp,
	struct mpn_ports *ports, char *err, size_t errlen);

/**
 * The one RSS map every port follows, or NULL: when two or more workers
 * run and every port that belongs to a link has a checked map, and all of
 * them place every sample flow, both ways, on the same queue. When NULL,
 * @p why says which port or which flow broke it.
 */
const struct mpn_rss_map *
mpn_ports_rss_map(const struct mpn_ports *ports, char *why, size_t whylen);

/** Stop and close every started port. */
void
mpn_ports_stop(struct mpn_ports *ports);

#endif /* MPN_APP_PORTS_H */
