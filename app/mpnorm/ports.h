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
	char placement_note[MPN_CONFIG_MAX_PORTS][160];
};

/**
 * Resolve, configure and start every port of @p cfg that belongs to a link.
 * @return 0, or -1 with a message that names the port and what to do.
 */
int
mpn_ports_start(const struct mpn_config *cfg, struct rte_mempool *mp,
	struct mpn_ports *ports, char *err, size_t errlen);

/** Stop and close every started port. */
void
mpn_ports_stop(struct mpn_ports *ports);

#endif /* MPN_APP_PORTS_H */
