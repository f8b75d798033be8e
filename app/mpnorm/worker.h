/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_WORKER_H
#define MPN_APP_WORKER_H

/**
 * @file
 * The worker lcore loop: rx_burst, pipeline, tx_burst to the peer port.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_config.h>

#include "config.h"
#include "pipeline.h"
#include "policy_slot.h"
#include "stats.h"

/** One RX queue a worker polls, and where its packets go. */
struct mpn_rxq {
	uint16_t port_id;    /**< DPDK port id to receive on */
	uint16_t queue;      /**< queue number (= worker index) */
	uint16_t tx_port_id; /**< DPDK port id of the peer port */
	uint16_t tx_cfg_port; /**< config index of the peer port, for its counters */
	struct mpn_burst_origin origin;
};

struct rte_ring;
struct mpn_owner_map;

struct mpn_worker {
	unsigned int index;  /**< 0..workers-1 */
	unsigned int n_workers;
	/*
	 * Handoff mode: every packet goes to the worker its symmetric 5-tuple
	 * hash names; others reach it through its inbox ring.
	 */
	bool handoff;
	/*
	 * i20 hook: who owns a packet (owner.h). In handoff mode every
	 * packet goes to its owner; with RSS, IP first fragments do too, so
	 * the rings exist in both modes (inbox NULL: nothing is ever handed
	 * to this worker).
	 */
	const struct mpn_owner_map *owner;
	struct rte_ring *inbox;
	struct rte_ring **inboxes;     /**< every worker's inbox, by index */
	/** This worker's rxq for each DPDK port id, for packets from an inbox. */
	int8_t rxq_of_port[RTE_MAX_ETHPORTS];
	unsigned int lcore;
	unsigned int burst;
	unsigned int n_rxq;
	struct mpn_rxq rxq[MPN_CONFIG_MAX_PORTS];
	struct mpn_pipeline pipeline;
	struct mpn_worker_stats *stats;
	struct mpn_policy_slot *policy;  /**< shared; read once per burst */
};

/** Set by the signal handler; workers and the main loop poll it. */
extern volatile bool mpn_force_quit;

/** Entry point for rte_eal_remote_launch(); @p arg is a struct mpn_worker. */
int
mpn_worker_main(void *arg);

/**
 * Send @p n packets out of @p port_id queue @p queue, retrying a bounded
 * number of times, then free and count what the queue would not take.
 * @return packets sent.
 */
uint16_t
mpn_worker_tx(struct mpn_worker_stats *stats, uint16_t cfg_port, uint16_t port_id,
	uint16_t queue, struct rte_mbuf **pkts, uint16_t n);

#endif /* MPN_APP_WORKER_H */
