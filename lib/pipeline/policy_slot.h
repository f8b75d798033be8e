/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_POLICY_SLOT_H
#define MPN_POLICY_SLOT_H

/**
 * @file
 * Where the running policy lives, and how a reload replaces it.
 *
 * Workers read the current policy with one atomic load at the start of each
 * burst and use that pointer for the whole burst. A reload publishes the new
 * policy with one atomic exchange, then waits for an RCU QSBR grace period
 * (every worker has finished the burst it was in) before freeing the old
 * one. Workers never lock and never see a half-built policy; no packet is
 * processed half under one policy and half under the other.
 */

#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "policy.h"

struct mpn_policy_slot {
	struct mpn_policy *current;   /**< accessed only atomically */
	struct rte_rcu_qsbr *qsv;     /**< one reader thread per worker */
	unsigned int n_workers;
	uint64_t generation;          /**< bumped on every publish */
};

/**
 * Set up the slot for @p n_workers readers, holding @p initial.
 * @return 0 or -ENOMEM.
 */
int
mpn_policy_slot_init(struct mpn_policy_slot *s, unsigned int n_workers,
	struct mpn_policy *initial);

/** Worker @p worker starts reading (call once, on the worker's lcore). */
void
mpn_policy_slot_reader_online(struct mpn_policy_slot *s, unsigned int worker);

/** Worker @p worker stops reading for good (before it exits). */
void
mpn_policy_slot_reader_offline(struct mpn_policy_slot *s, unsigned int worker);

/** The policy to use for one burst. */
static inline const struct mpn_policy *
mpn_policy_slot_get(struct mpn_policy_slot *s)
{
	return __atomic_load_n(&s->current, __ATOMIC_ACQUIRE);
}

/** Worker @p worker holds no policy pointer any more (end of each loop). */
static inline void
mpn_policy_slot_quiescent(struct mpn_policy_slot *s, unsigned int worker)
{
	rte_rcu_qsbr_quiescent(s->qsv, worker);
}

/**
 * Publish @p next and free the previous policy once no worker can still
 * hold it. Called by the control thread only; it blocks for one grace
 * period, which lasts about one burst.
 */
void
mpn_policy_slot_publish(struct mpn_policy_slot *s, struct mpn_policy *next);

/** Free the slot and the policy it holds (workers must be stopped). */
void
mpn_policy_slot_fini(struct mpn_policy_slot *s);

#endif /* MPN_POLICY_SLOT_H */
