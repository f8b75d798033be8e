/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_AFPACKET_STATS_H
#define MPN_APP_AFPACKET_STATS_H

/**
 * @file
 * Losses in the kernel's af_packet rings, which DPDK 22.11's net_af_packet
 * does not report: its stats_get fills no imissed, so a ring overrun at
 * full rate shows nowhere (issue 18: 305,536 of 459,584 packets lost, every
 * counter at 0).
 *
 * The PMD's packet sockets are file descriptors of this process. This module
 * finds them (/proc/self/fd, SO_DOMAIN == AF_PACKET), maps each to its
 * interface (getsockname's sll_ifindex, against rte_eth_dev_info.if_index of
 * each af_packet port) and reads the kernel's own counters with
 * getsockopt(SOL_PACKET, PACKET_STATISTICS). That call returns the counts
 * since the previous call and resets them, and the kernel's counters are
 * 32 bits, so the counts are accumulated here, and the main lcore polls
 * about once a second. Callers on any thread (CLI, telemetry, exit report)
 * are serialised by a mutex.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ports.h"

/** The kernel's view of one af_packet port's receive rings. */
struct mpn_afpacket_ring_stats {
	uint64_t packets;  /**< packets the kernel handed to the rings, drops included */
	uint64_t drops;    /**< packets lost because a ring was full (tp_drops) */
	uint32_t sockets;  /**< packet sockets found for the interface at the last poll */
	int ifindex;
	char ifname[16];
};

/**
 * Note which configured ports are net_af_packet and their interfaces.
 * Call once the ports are started. @return the number of af_packet ports.
 */
unsigned int
mpn_afpacket_stats_init(const struct mpn_ports *ports);

/** Read the kernel's counters of every af_packet socket and accumulate them. */
void
mpn_afpacket_stats_poll(void);

/**
 * Poll, then give the counts of configured port @p idx since the last
 * mpn_afpacket_stats_clear(), or since start with @p since_start.
 * @return false if the port is not af_packet.
 */
bool
mpn_afpacket_stats_read(unsigned int idx, bool since_start, struct mpn_afpacket_ring_stats *out);

/** mpn_afpacket_stats_read() since the last clear: what `show ports` shows. */
static inline bool
mpn_afpacket_stats_get(unsigned int idx, struct mpn_afpacket_ring_stats *out)
{
	return mpn_afpacket_stats_read(idx, false, out);
}

/** `clear counters`: count from now on. */
void
mpn_afpacket_stats_clear(void);

#endif /* MPN_APP_AFPACKET_STATS_H */
