/* SPDX-License-Identifier: BSD-3-Clause */
/* Requests to the workers for their subflow tables (mailbox.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "app.h"
#include "mailbox.h"

enum {
	MB_IDLE,
	MB_POSTED,
	MB_DONE,
};

enum {
	OP_SHOW,
	OP_CLEAR,
};

struct mailbox {
	uint32_t state;               /* accessed atomically */
	uint8_t op;
	bool abandoned;               /* the main lcore gave up waiting */
	struct mpn_conn_filter f;
	struct mpn_conn_row *rows;
	uint32_t cap;
	uint32_t n;
	uint32_t cursor;
	uint64_t matched;
	uint64_t cleared;
} __rte_cache_aligned;

static struct mailbox *boxes;
static unsigned int n_boxes;

int
mpn_mailbox_init(unsigned int n_workers)
{
	boxes = calloc(n_workers, sizeof(*boxes));
	if (boxes == NULL)
		return -1;
	n_boxes = n_workers;
	return 0;
}

void
mpn_mailbox_fini(void)
{
	unsigned int w;

	for (w = 0; w < n_boxes; w++)
		free(boxes[w].rows);
	free(boxes);
	boxes = NULL;
	n_boxes = 0;
}

bool
mpn_conn_filter_match(const struct mpn_conn_filter *f, const struct mpn_conn_row *row)
{
	size_t alen = row->family == 6 ? 16 : 4;

	if (f->by_addr && (f->family != row->family ||
			(memcmp(f->addr, row->src, alen) != 0 && memcmp(f->addr, row->dst, alen) != 0)))
		return false;
	if (f->by_port && f->port != row->sport && f->port != row->dport)
		return false;
	if (f->by_token && (row->token_a == 0 || f->token != row->token_a) &&
			(row->token_b == 0 || f->token != row->token_b))
		return false;
	return true;
}

/* Copy what `show conn` prints: never the keys. */
static void
fill_row(struct mpn_conn_row *r, const struct mpn_flow_key *k, const struct mpn_subflow *sf,
	unsigned int worker, uint64_t now, uint64_t hz)
{
	bool init_lo = (sf->f & MPN_SF_INIT_LO) != 0;
	size_t alen = k->family == 6 ? 16 : 4;

	memset(r, 0, sizeof(*r));
	r->family = k->family;
	r->state = sf->state;
	r->role = sf->role;
	r->decision = sf->decision;
	r->join_state = sf->join_state;
	r->mptcp = sf->conn != NULL || (sf->f & MPN_SF_MPTCP) != 0;
	r->unconfirmed = (sf->f & MPN_SF_UNCONFIRMED) != 0;
	r->version = sf->conn != NULL ? sf->conn->version : r->mptcp ? sf->version : 0xff;
	r->link = k->link;
	r->vlan = k->vlan[0];
	r->worker = (uint16_t)worker;
	memcpy(r->src, init_lo ? k->addr_lo : k->addr_hi, alen);
	memcpy(r->dst, init_lo ? k->addr_hi : k->addr_lo, alen);
	r->sport = init_lo ? k->port_lo : k->port_hi;
	r->dport = init_lo ? k->port_hi : k->port_lo;
	if (sf->conn != NULL) {
		r->token_a = sf->conn->token_a;
		r->token_b = sf->conn->token_b;
	}
	r->pkts[0] = sf->pkts[0];
	r->pkts[1] = sf->pkts[1];
	r->bytes[0] = sf->bytes[0];
	r->bytes[1] = sf->bytes[1];
	r->drops = sf->drops;
	r->idle_ms = now > sf->last_seen && hz != 0 ? (now - sf->last_seen) * 1000 / hz : 0;
}

/* One slice of the table; DONE when the whole table was visited. */
static void
serve_slice(struct mailbox *mb, unsigned int worker, struct mpn_tracker *t, uint64_t now)
{
	struct mpn_flow_table *ft;
	uint32_t cap, end, pos;
	uint64_t hz;

	if (t == NULL) {
		__atomic_store_n(&mb->state, MB_DONE, __ATOMIC_RELEASE);
		return;
	}
	ft = mpn_tracker_table(t);
	cap = mpn_flow_capacity(ft);
	hz = mpn_flow_table_params(ft)->hz;
	end = mb->cursor + MPN_MAILBOX_SLICE < cap ? mb->cursor + MPN_MAILBOX_SLICE : cap;
	/*
	 * Positions, not entries: the work per call is bounded whatever the
	 * table holds. Removing an entry leaves the others where they are.
	 */
	for (pos = mb->cursor; pos < end; pos++) {
		struct mpn_subflow *sf = mpn_flow_entry(ft, (int32_t)pos);
		const struct mpn_flow_key *k;
		struct mpn_conn_row row;

		if (!(sf->f & MPN_SF_IN_USE))
			continue;
		k = mpn_flow_entry_key(ft, sf);
		if (k == NULL)
			continue;
		fill_row(&row, k, sf, worker, now, hz);
		if (!mpn_conn_filter_match(&mb->f, &row))
			continue;
		if (mb->op == OP_SHOW) {
			mb->matched++;
			if (mb->n < mb->cap)
				mb->rows[mb->n++] = row;
		} else {
			/* The teardown event (reason "cleared") goes out from the removal hook. */
			mpn_flow_remove(ft, sf, MPN_FLOW_CLOSE_CLEARED);
			mb->cleared++;
		}
	}
	mb->cursor = end;
	if (end >= cap)
		__atomic_store_n(&mb->state, MB_DONE, __ATOMIC_RELEASE);
}

void
mpn_mailbox_serve(unsigned int worker, struct mpn_tracker *t, uint64_t now)
{
	struct mailbox *mb;

	if (worker >= n_boxes)
		return;
	mb = &boxes[worker];
	if (likely(__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) != MB_POSTED))
		return;
	serve_slice(mb, worker, t, now);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A worker that no longer runs its loop cannot serve: the main lcore may, safely. */
static bool
worker_running(unsigned int w)
{
	return w < mpn_app.n_workers &&
		rte_eal_get_lcore_state(mpn_app.workers[w].lcore) == RUNNING;
}

/* Reap answers abandoned earlier; -EBUSY if one is still being served. */
static int
reap(void)
{
	unsigned int w;
	int rc = 0;

	for (w = 0; w < n_boxes; w++) {
		struct mailbox *mb = &boxes[w];
		uint32_t st = __atomic_load_n(&mb->state, __ATOMIC_ACQUIRE);

		if (st == MB_DONE && mb->abandoned) {
			free(mb->rows);
			mb->rows = NULL;
			mb->abandoned = false;
			__atomic_store_n(&mb->state, MB_IDLE, __ATOMIC_RELEASE);
		} else if (st != MB_IDLE) {
			rc = -EBUSY;
		}
	}
	return rc;
}

/* Post to every worker and wait; the boxes are DONE or abandoned on return. */
static int
post_and_wait(uint8_t op, const struct mpn_conn_filter *f, uint32_t cap, unsigned int timeout_ms)
{
	uint64_t deadline;
	unsigned int w, pending;
	int rc = reap();

	if (rc != 0)
		return rc;
	for (w = 0; w < n_boxes; w++) {
		struct mailbox *mb = &boxes[w];

		mb->op = op;
		mb->f = *f;
		mb->n = 0;
		mb->cursor = 0;
		mb->matched = 0;
		mb->cleared = 0;
		mb->cap = cap;
		mb->rows = NULL;
		if (op == OP_SHOW && cap > 0) {
			mb->rows = malloc((size_t)cap * sizeof(*mb->rows));
			if (mb->rows == NULL) {
				while (w-- > 0) {
					free(boxes[w].rows);
					boxes[w].rows = NULL;
					__atomic_store_n(&boxes[w].state, MB_IDLE, __ATOMIC_RELEASE);
				}
				return -ENOMEM;
			}
		}
		__atomic_store_n(&mb->state, MB_POSTED, __ATOMIC_RELEASE);
	}
	deadline = mono_ms() + timeout_ms;
	for (;;) {
		pending = 0;
		for (w = 0; w < n_boxes; w++) {
			struct mailbox *mb = &boxes[w];

			if (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) != MB_POSTED)
				continue;
			if (!worker_running(w))
				while (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) == MB_POSTED)
					serve_slice(mb, w, mpn_app.trackers[w], rte_get_tsc_cycles());
			else
				pending++;
		}
		if (pending == 0)
			return 0;
		if (mono_ms() >= deadline)
			break;
		rte_delay_us_sleep(200);
	}
	/* Those still posted keep their buffers; reap() frees them once DONE. */
	for (w = 0; w < n_boxes; w++)
		if (__atomic_load_n(&boxes[w].state, __ATOMIC_ACQUIRE) == MB_POSTED)
			boxes[w].abandoned = true;
	return -ETIMEDOUT;
}

static void
release_done(void)
{
	unsigned int w;

	for (w = 0; w < n_boxes; w++) {
		struct mailbox *mb = &boxes[w];

		if (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) == MB_DONE && !mb->abandoned) {
			free(mb->rows);
			mb->rows = NULL;
			__atomic_store_n(&mb->state, MB_IDLE, __ATOMIC_RELEASE);
		}
	}
}

int
mpn_mailbox_show(const struct mpn_conn_filter *f, uint32_t limit, unsigned int timeout_ms,
	struct mpn_conn_row **rows, uint32_t *n, uint64_t *matched)
{
	struct mpn_conn_row *out;
	unsigned int w;
	int rc;

	*rows = NULL;
	*n = 0;
	*matched = 0;
	rc = post_and_wait(OP_SHOW, f, limit, timeout_ms);
	if (rc != 0 && rc != -ETIMEDOUT)
		return rc;
	out = malloc(((size_t)limit > 0 ? limit : 1) * sizeof(*out));
	if (out == NULL) {
		release_done();
		return -ENOMEM;
	}
	for (w = 0; w < n_boxes; w++) {
		struct mailbox *mb = &boxes[w];
		uint32_t i;

		if (mb->abandoned || __atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) != MB_DONE)
			continue;
		*matched += mb->matched;
		for (i = 0; i < mb->n && *n < limit; i++)
			out[(*n)++] = mb->rows[i];
	}
	release_done();
	*rows = out;
	return rc;
}

int
mpn_mailbox_clear(const struct mpn_conn_filter *f, unsigned int timeout_ms, uint64_t *cleared)
{
	unsigned int w;
	int rc;

	*cleared = 0;
	rc = post_and_wait(OP_CLEAR, f, 0, timeout_ms);
	if (rc != 0 && rc != -ETIMEDOUT)
		return rc;
	for (w = 0; w < n_boxes; w++)
		if (!boxes[w].abandoned && __atomic_load_n(&boxes[w].state, __ATOMIC_ACQUIRE) == MB_DONE)
			*cleared += boxes[w].cleared;
	release_done();
	return rc;
}
