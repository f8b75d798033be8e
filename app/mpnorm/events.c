/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "config.h"
#include "events.h"

_Static_assert(sizeof(struct mpn_flow_event) % 4 == 0,
	"rte_ring elements are a multiple of 4 bytes");

struct event_ring {
	struct rte_ring *r;
	struct mpn_events_counters c;
};

static struct event_ring rings[MPN_MAX_WORKERS];
static unsigned int n_rings;
static uint64_t drained;
static unsigned int capacity;

/* On the worker: never blocks. */
static void
on_event(void *arg, const struct mpn_flow_event *ev)
{
	struct event_ring *er = arg;

	if (rte_ring_sp_enqueue_elem(er->r, (void *)(uintptr_t)ev, sizeof(*ev)) == 0)
		er->c.queued++;
	else
		er->c.lost++;
}

int
mpn_events_init(unsigned int n_workers, unsigned int size, char *err, size_t errlen)
{
	unsigned int w;
	char name[32];

	capacity = rte_align32pow2(size);
	for (w = 0; w < n_workers; w++) {
		snprintf(name, sizeof(name), "mpn_events%u", w);
		/* Exact size: the ring holds `capacity` events, not capacity - 1. */
		rings[w].r = rte_ring_create_elem(name, sizeof(struct mpn_flow_event), capacity,
			(int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (rings[w].r == NULL) {
			snprintf(err, errlen, "cannot create the flow event ring %s of %u events: "
				"lower dataplane.event_ring, or give the EAL more memory (-m)", name,
				capacity);
			mpn_events_fini();
			return -1;
		}
		memset(&rings[w].c, 0, sizeof(rings[w].c));
		n_rings = w + 1;
	}
	return 0;
}

void
mpn_events_attach(unsigned int w, struct mpn_tracker *t)
{
	if (t != NULL && w < n_rings)
		mpn_tracker_on_event(t, on_event, &rings[w]);
}

void
mpn_events_fini(void)
{
	unsigned int w;

	for (w = 0; w < n_rings; w++) {
		rte_ring_free(rings[w].r);
		rings[w].r = NULL;
	}
	n_rings = 0;
}

unsigned int
mpn_events_drain(unsigned int budget, void (*fn)(void *arg, const struct mpn_flow_event *ev),
	void *arg)
{
	struct mpn_flow_event evs[32];
	unsigned int w, total = 0;
	bool more = true;

	/* Round robin in bursts, so one busy worker cannot starve the others' events. */
	while (more && total < budget) {
		more = false;
		for (w = 0; w < n_rings && total < budget; w++) {
			unsigned int n, i, want = RTE_MIN(RTE_DIM(evs), budget - total);

			n = rte_ring_sc_dequeue_burst_elem(rings[w].r, evs, sizeof(evs[0]), want, NULL);
			for (i = 0; i < n; i++)
				fn(arg, &evs[i]);
			total += n;
			if (n == want)
				more = true;
		}
	}
	drained += total;
	return total;
}

const struct mpn_events_counters *
mpn_events_counters(unsigned int w)
{
	return &rings[w].c;
}

uint64_t
mpn_events_drained(void)
{
	return drained;
}

uint64_t
mpn_events_lost_total(void)
{
	uint64_t n = 0;
	unsigned int w;

	for (w = 0; w < n_rings; w++)
		n += __atomic_load_n(&rings[w].c.lost, __ATOMIC_RELAXED);
	return n;
}

unsigned int
mpn_events_capacity(void)
{
	return capacity;
}
