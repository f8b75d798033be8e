/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_EVENTS_H
#define MPN_APP_EVENTS_H

/**
 * @file
 * Flow events from the workers to the main lcore: one bounded rte_ring per
 * worker (single producer, single consumer), holding struct mpn_flow_event
 * by value. The tracker's callback runs on the worker and only enqueues; a
 * full ring is a counted loss, never a wait. The main lcore drains the
 * rings and hands each event to the flow exporter and the log (ops.c).
 */

#include <stdint.h>

#include "flow_event.h"
#include "track.h"

/** Per-worker counters, written by that worker only. */
struct mpn_events_counters {
	uint64_t queued;   /**< events put in the ring */
	uint64_t lost;     /**< events dropped: ring full */
} __attribute__((aligned(64)));

/** Create one ring of @p size events (rounded up to a power of two) per worker. */
int
mpn_events_init(unsigned int n_workers, unsigned int size, char *err, size_t errlen);

/** Send tracker @p t's events (worker @p w) to ring @p w. Before the worker starts. */
void
mpn_events_attach(unsigned int w, struct mpn_tracker *t);

/** Free the rings. */
void
mpn_events_fini(void);

/**
 * Main lcore: take at most @p budget events from the rings, oldest first
 * per worker, and call @p fn for each. @return events taken
 */
unsigned int
mpn_events_drain(unsigned int budget, void (*fn)(void *arg, const struct mpn_flow_event *ev),
	void *arg);

/** Worker @p w's counters. */
const struct mpn_events_counters *
mpn_events_counters(unsigned int w);

/** Events taken by mpn_events_drain() so far. */
uint64_t
mpn_events_drained(void);

/** Events lost over all workers. */
uint64_t
mpn_events_lost_total(void);

/** Ring capacity, per worker. */
unsigned int
mpn_events_capacity(void);

#endif /* MPN_APP_EVENTS_H */
