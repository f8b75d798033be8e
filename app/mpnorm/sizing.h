/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_SIZING_H
#define MPN_APP_SIZING_H

/**
 * @file
 * `mpnorm --check-config`: how much memory a configuration takes, measured.
 *
 * The figures are not computed from struct sizes (the table layouts change
 * with the code); they are read from DPDK's own heap. mpnorm starts an EAL
 * without hugepages and without devices, creates the subflow tables, the
 * token table, the mbuf pool and the handoff rings with the very calls the
 * daemon uses (mpn_app_tracking_init(), rte_pktmbuf_pool_create(),
 * rte_ring_create()), and reads rte_malloc_get_socket_stats() before and
 * after each. The hugepage count adds what cannot be measured without the
 * devices (port queues) as a stated allowance.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

/** Size of one hugepage the figures are given in. */
#define MPN_SIZING_HUGEPAGE (2u << 20)

/** Allowance for the port queues, per port and queue pair, not measured. */
#define MPN_SIZING_PORT_QUEUE_ALLOWANCE (4u << 20)

/** Allowance for page rounding and what the EAL adds once devices probe. */
#define MPN_SIZING_FIXED_ALLOWANCE (32u << 20)

/**
 * Allowance in percent of the measured tables and pool: on 2 MB hugepages
 * the EAL needed 4-5% more pages than the heap figures (doc/operations.md,
 * "How the figures were checked").
 */
#define MPN_SIZING_PCT_ALLOWANCE 6

struct mpn_sizing {
	uint64_t eal;          /**< heap the EAL itself holds before mpnorm allocates */
	uint64_t subflows;     /**< every worker's subflow table */
	uint64_t conns;        /**< the token table and its connection pool */
	uint64_t mbufs;        /**< the packet pool, laid out as on 2 MB hugepages */
	uint64_t mbufs_nohuge; /**< the same pool in an EAL started with --no-huge */
	uint64_t rings;        /**< the handoff rings (workers > 1) */
	uint64_t allowance;    /**< port queues, page rounding, EAL (not measured) */
	uint64_t total;        /**< sum of the above */
	uint32_t hugepages;    /**< 2 MB pages for total */
	uint64_t total_nohuge; /**< total with mbufs_nohuge: the -m for --no-huge */
	uint32_t scale;        /**< 1: measured at full size; k: at 1/k, multiplied by k */
	uint32_t ports_in_use; /**< ports that belong to a link */
};

/**
 * Megabytes of memory (-m) the measuring EAL needs for @p cfg, and the
 * scale to measure at so that it fits in this machine's available memory.
 * Call before rte_eal_init(). @p scale is 1, or a power of two.
 */
unsigned int
mpn_sizing_eal_mb(const struct mpn_config *cfg, uint32_t *scale);

/**
 * Create and free everything @p cfg sizes, at 1/@p scale, and fill @p s.
 * The EAL must be up, without devices.
 * @return 0, or -1 with a message in @p err.
 */
int
mpn_sizing_measure(const struct mpn_config *cfg, uint32_t scale, struct mpn_sizing *s,
	char *err, size_t errlen);

/**
 * Checks of the things the daemon needs from the machine at start-up that
 * the config loader does not check (the control socket's group), each
 * printed to @p f as "FILE:LINE: reason". @return the number of errors.
 */
unsigned int
mpn_sizing_check_environment(const struct mpn_config *cfg, FILE *f);

/** Print @p s as text to @p f. */
void
mpn_sizing_print(FILE *f, const struct mpn_config *cfg, const struct mpn_sizing *s);

/** Print @p s as one JSON document to @p f. */
void
mpn_sizing_json(FILE *f, const struct mpn_config *cfg, const struct mpn_sizing *s,
	long free_hugepages, bool valid);

/**
 * `mpnorm --check-config`: the configuration @p cfg is loaded; check the
 * environment, start a measuring EAL (no hugepages, no devices), measure,
 * and print the figures as text, or as JSON to @p json_path ("-": stdout).
 * With @p check_hugepages, also fail when the kernel has fewer free 2 MB
 * hugepages than the figures need.
 * @return the process exit code: 0, or 1 after printing every error.
 */
int
mpn_sizing_check_config(const char *argv0, const struct mpn_config *cfg,
	const char *json_path, bool check_hugepages);

/**
 * Free 2 MB hugepages, as the kernel reports them
 * (/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages), or -1.
 */
long
mpn_sizing_free_hugepages(void);

#endif /* MPN_APP_SIZING_H */
