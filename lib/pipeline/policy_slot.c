/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "policy_slot.h"

int
mpn_policy_slot_init(struct mpn_policy_slot *s, unsigned int n_workers,
	struct mpn_policy *initial)
{
	size_t sz = rte_rcu_qsbr_get_memsize(n_workers > 0 ? n_workers : 1);

	memset(s, 0, sizeof(*s));
	s->qsv = rte_zmalloc("mpn_policy_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (s->qsv == NULL)
		return -ENOMEM;
	rte_rcu_qsbr_init(s->qsv, n_workers > 0 ? n_workers : 1);
	s->n_workers = n_workers;
	s->current = initial;
	return 0;
}

void
mpn_policy_slot_reader_online(struct mpn_policy_slot *s, unsigned int worker)
{
	rte_rcu_qsbr_thread_register(s->qsv, worker);
	rte_rcu_qsbr_thread_online(s->qsv, worker);
}

void
mpn_policy_slot_reader_offline(struct mpn_policy_slot *s, unsigned int worker)
{
	rte_rcu_qsbr_thread_offline(s->qsv, worker);
	rte_rcu_qsbr_thread_unregister(s->qsv, worker);
}

void
mpn_policy_slot_publish(struct mpn_policy_slot *s, struct mpn_policy *next)
{
	struct mpn_policy *old;

	old = __atomic_exchange_n(&s->current, next, __ATOMIC_ACQ_REL);
	s->generation++;
	/*
	 * rte_rcu_qsbr_synchronize() returns once every registered worker has
	 * passed a quiescent point after this call, i.e. finished the burst
	 * that may still be using @old.
	 */
	rte_rcu_qsbr_synchronize(s->qsv, RTE_QSBR_THRID_INVALID);
	mpn_policy_free(old);
}

void
mpn_policy_slot_fini(struct mpn_policy_slot *s)
{
	mpn_policy_free(s->current);
	s->current = NULL;
	rte_free(s->qsv);
	s->qsv = NULL;
}
