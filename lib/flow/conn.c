/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "conn.h"
#include "mptcp_crypto.h"

/*
 * ThreadSanitizer sees only instrumented code and C11 atomics. The
 * table's records are handed between threads by DPDK pieces it cannot
 * see into: rte_hash (a shared library, not instrumented: insert
 * publishes a record, lookup acquires it), rte_ring (its x86 code orders
 * with compiler barriers, not atomics: the pool's enqueue releases a
 * record, dequeue acquires it), rte_spinlock (x86 inline assembly), and
 * rte_rcu_qsbr, whose readers publish their state with relaxed stores and
 * fences (TSan does not model fences: a reader's quiescent report or
 * going offline releases what it read before, a passed grace-period check
 * acquires it). These annotations state those edges, so a TSan build
 * (build-tsan, scripts/test.sh) checks our own accesses around them.
 * They compile to nothing otherwise.
 */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define TSAN_RELEASE(p) __tsan_release((void *)(p))
#define TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define TSAN_RELEASE(p) do { } while (0)
#define TSAN_ACQUIRE(p) do { } while (0)
#endif

static inline void
lock_take(rte_spinlock_t *l)
{
	rte_spinlock_lock(l);
	TSAN_ACQUIRE(l);
}

static inline void
lock_drop(rte_spinlock_t *l)
{
	TSAN_RELEASE(l);
	rte_spinlock_unlock(l);
}

/* Address slot states (mpn_conn_addr.used). */
#define SLOT_FREE 0
#define SLOT_VALID 1
#define SLOT_WRITING 2

/* Bound on CAS retries: contention on one record is a handful of workers. */
#define CAS_TRIES 64

struct mpn_conn_table {
	struct rte_hash *h;
	struct rte_ring *free;         /* free records (pointers), MP/MC */
	struct rte_rcu_qsbr *v;
	struct mpn_conn *pool;
	const struct mpn_conn **scratch; /* for foreach */
	uint32_t n;
	uint32_t max_threads;
	uint64_t serial;               /* atomic */
	uint32_t live;                 /* atomic */
	/*
	 * Publication (lookup then add) and the last release (delete) of a
	 * connection, and the defer queue. Taken once per connection, never
	 * per packet.
	 */
	rte_spinlock_t create_lock;
	/*
	 * Records on their way back to the pool, oldest first: unpublished
	 * connections (with the hash positions of their deleted tokens) and
	 * records a failed publication took. Each waits for a grace period:
	 * the RCU token taken when it was queued (conn.h, "RCU and pool
	 * policy"). A record is queued at most once, so n entries suffice.
	 */
	struct deferred {
		uint64_t token;
		struct mpn_conn *c;
		int32_t pos[2];           /* hash key positions to free, or -1 */
	} *defer;
	uint32_t defer_head, defer_n;  /* under create_lock */
	mpn_conn_history_fn history;
	void *history_arg;
};

struct mpn_conn_table *
mpn_conn_table_create(const char *name, uint32_t max_conns, uint32_t max_threads, int socket)
{
	struct rte_hash_parameters hp;
	struct mpn_conn_table *ct;
	char nm[RTE_HASH_NAMESIZE];
	size_t sz;
	uint32_t i;

	if (name == NULL || max_conns == 0 || max_threads == 0 ||
			max_conns > RTE_HASH_ENTRIES_MAX / 4) {
		rte_errno = EINVAL;
		return NULL;
	}
	ct = rte_zmalloc_socket("mpn_conn_table", sizeof(*ct), RTE_CACHE_LINE_SIZE, socket);
	if (ct == NULL)
		goto nomem;
	ct->n = max_conns;
	rte_spinlock_init(&ct->create_lock);
	ct->max_threads = max_threads;
	ct->pool = rte_zmalloc_socket("mpn_conn_pool", (size_t)max_conns * sizeof(*ct->pool),
		RTE_CACHE_LINE_SIZE, socket);
	ct->scratch = rte_zmalloc_socket("mpn_conn_scratch",
		(size_t)max_conns * sizeof(*ct->scratch), RTE_CACHE_LINE_SIZE, socket);
	if (ct->pool == NULL || ct->scratch == NULL)
		goto nomem;

	snprintf(nm, sizeof(nm), "%s_free", name);
	ct->free = rte_ring_create(nm, rte_align32pow2(max_conns + 1), socket, 0);
	if (ct->free == NULL)
		goto fail;
	for (i = 0; i < max_conns; i++)
		rte_ring_enqueue(ct->free, &ct->pool[i]);

	sz = rte_rcu_qsbr_get_memsize(max_threads);
	ct->v = rte_zmalloc_socket("mpn_conn_rcu", sz, RTE_CACHE_LINE_SIZE, socket);
	if (ct->v == NULL)
		goto nomem;
	if (rte_rcu_qsbr_init(ct->v, max_threads) != 0)
		goto fail;

	/*
	 * Two tokens per connection. The cuckoo table rounds its buckets up
	 * to a power of two; without extendable buckets an insert can fail
	 * before the table is full, which is counted, never fatal.
	 */
	memset(&hp, 0, sizeof(hp));
	snprintf(nm, sizeof(nm), "%s_tok", name);
	hp.name = nm;
	hp.entries = RTE_MAX(2 * max_conns, 16u);
	hp.key_len = sizeof(uint32_t);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
		RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
	ct->h = rte_hash_create(&hp);
	if (ct->h == NULL)
		goto fail;

	/*
	 * No integrated RCU: with RW_CONCURRENCY_LF, a deleted key's slot
	 * stays allocated until rte_hash_free_key_with_position(), which the
	 * defer queue calls after the grace period. (22.11's integrated
	 * defer queue reclaims only inside later deletes: once every record
	 * waited in it, nothing was deleted any more, and the pool stayed
	 * empty for good.)
	 */
	ct->defer = rte_zmalloc_socket("mpn_conn_defer", (size_t)max_conns * sizeof(*ct->defer),
		RTE_CACHE_LINE_SIZE, socket);
	if (ct->defer == NULL)
		goto nomem;
	return ct;

nomem:
	rte_errno = ENOMEM;
fail:
	i = rte_errno;
	mpn_conn_table_free(ct);
	rte_errno = (int)i;
	return NULL;
}

void
mpn_conn_table_free(struct mpn_conn_table *ct)
{
	if (ct == NULL)
		return;
	rte_free(ct->defer);
	rte_hash_free(ct->h);
	rte_ring_free(ct->free);
	rte_free(ct->v);
	rte_free(ct->scratch);
	/*
	 * Records still live or waiting for their grace period hold their
	 * keys (RFC 7430 §3): cleared before the memory goes back. rte_free()
	 * zeroes only memory it knows to be clean, not "dirty" hugepages that
	 * a previous process left (DPDK >= 21.11).
	 */
	if (ct->pool != NULL)
		explicit_bzero(ct->pool, (size_t)ct->n * sizeof(*ct->pool));
	rte_free(ct->pool);
	rte_free(ct);
}

int
mpn_conn_table_register(struct mpn_conn_table *ct, unsigned int thread_id)
{
	if (ct == NULL || thread_id >= ct->max_threads)
		return -EINVAL;
	if (rte_rcu_qsbr_thread_register(ct->v, thread_id) != 0)
		return -EINVAL;
	rte_rcu_qsbr_thread_online(ct->v, thread_id);
	return 0;
}

void
mpn_conn_table_unregister(struct mpn_conn_table *ct, unsigned int thread_id)
{
	if (ct == NULL || thread_id >= ct->max_threads)
		return;
	TSAN_RELEASE(ct->v);
	rte_rcu_qsbr_thread_offline(ct->v, thread_id);
	rte_rcu_qsbr_thread_unregister(ct->v, thread_id);
}

void
mpn_conn_table_quiescent(struct mpn_conn_table *ct, unsigned int thread_id)
{
	TSAN_RELEASE(ct->v);
	rte_rcu_qsbr_quiescent(ct->v, thread_id);
}

void
mpn_conn_table_online(struct mpn_conn_table *ct, unsigned int thread_id)
{
	if (ct != NULL && thread_id < ct->max_threads) {
		rte_rcu_qsbr_thread_online(ct->v, thread_id);
		TSAN_ACQUIRE(ct->v);
	}
}

void
mpn_conn_table_offline(struct mpn_conn_table *ct, unsigned int thread_id)
{
	if (ct != NULL && thread_id < ct->max_threads) {
		TSAN_RELEASE(ct->v);
		rte_rcu_qsbr_thread_offline(ct->v, thread_id);
	}
}

int
mpn_conn_table_reader_online(const struct mpn_conn_table *ct, unsigned int thread_id)
{
	if (ct == NULL || thread_id >= ct->max_threads)
		return -EINVAL;
	/*
	 * rte_rcu_qsbr.h keeps an offline reader's counter at
	 * __RTE_QSBR_CNT_THR_OFFLINE (0); an online one holds a token.
	 */
	return __atomic_load_n(&ct->v->qsbr_cnt[thread_id].cnt, __ATOMIC_ACQUIRE) !=
		__RTE_QSBR_CNT_THR_OFFLINE;
}

/*
 * Return to the pool every queued record whose grace period is over,
 * oldest first (once one is still waiting, so are the later ones), its
 * keys cleared first (RFC 7430 §3: a key left in memory is a key in the
 * next core dump). Create lock held.
 */
static unsigned int
reclaim_locked(struct mpn_conn_table *ct)
{
	unsigned int freed = 0, k;

	while (ct->defer_n > 0) {
		struct deferred *d = &ct->defer[ct->defer_head];

		if (rte_rcu_qsbr_check(ct->v, d->token, false) != 1)
			break;
		TSAN_ACQUIRE(ct->v);
		/* No reader can reach the tokens' slots or the record any more. */
		for (k = 0; k < 2; k++)
			if (d->pos[k] >= 0)
				rte_hash_free_key_with_position(ct->h, d->pos[k]);
		explicit_bzero(&d->c->key_a, sizeof(d->c->key_a));
		explicit_bzero(&d->c->key_b, sizeof(d->c->key_b));
		TSAN_RELEASE(d->c);
		rte_ring_enqueue(ct->free, d->c);
		ct->defer_head = (ct->defer_head + 1) % ct->n;
		ct->defer_n--;
		freed++;
	}
	return freed;
}

/* Queue @p c until every reader online now has reported quiescence (create lock held). */
static void
defer_locked(struct mpn_conn_table *ct, struct mpn_conn *c, int32_t pos_a, int32_t pos_b)
{
	struct deferred *d = &ct->defer[(ct->defer_head + ct->defer_n) % ct->n];

	/* At most n records exist, so the queue of n never overflows. */
	TSAN_RELEASE(ct->v);
	d->token = rte_rcu_qsbr_start(ct->v);
	d->c = c;
	d->pos[0] = pos_a;
	d->pos[1] = pos_b;
	ct->defer_n++;
}

unsigned int
mpn_conn_table_reclaim(struct mpn_conn_table *ct)
{
	unsigned int freed;

	if (ct == NULL)
		return 0;
	lock_take(&ct->create_lock);
	freed = reclaim_locked(ct);
	lock_drop(&ct->create_lock);
	return freed;
}

uint32_t
mpn_conn_table_deferred(const struct mpn_conn_table *ct)
{
	uint32_t busy = ct->n - rte_ring_count(ct->free);
	uint32_t live = __atomic_load_n(&ct->live, __ATOMIC_RELAXED);

	/* Neither free nor live: waiting for a grace period. */
	return busy > live ? busy - live : 0;
}

struct rte_rcu_qsbr *
mpn_conn_table_rcu(struct mpn_conn_table *ct)
{
	return ct->v;
}

struct mpn_conn *
mpn_conn_lookup(struct mpn_conn_table *ct, uint32_t token)
{
	void *data;

	if (rte_hash_lookup_data(ct->h, &token, &data) < 0)
		return NULL;
	TSAN_ACQUIRE(data);
	return data;
}

/*
 * Slot writes happen under the record's lock; the seqlock lets lock-free
 * readers (`show connections`, the offline summary) take consistent copies.
 */
static void
slot_begin(struct mpn_conn_subflow *s)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void
slot_end(struct mpn_conn_subflow *s)
{
	__atomic_store_n(&s->seq, __atomic_load_n(&s->seq, __ATOMIC_RELAXED) + 1,
		__ATOMIC_RELEASE);
}

/* Fill a free slot for a new subflow (record lock held). */
static void
slot_fill(struct mpn_conn *c, struct mpn_conn_subflow *s, uint8_t used, uint8_t role,
	bool init_is_a, uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	uint16_t dport, uint8_t tcp_state, uint8_t join_state, uint64_t now)
{
	size_t alen = family == 6 ? 16 : 4;

	slot_begin(s);
	s->role = role;
	s->family = family;
	s->init_is_a = init_is_a;
	memset(s->src, 0, sizeof(s->src));
	memset(s->dst, 0, sizeof(s->dst));
	memcpy(s->src, src, alen);
	memcpy(s->dst, dst, alen);
	s->sport = sport;
	s->dport = dport;
	s->serial = c->sf_serial++;
	s->created = now;
	s->refs = 1;
	__atomic_store_n(&s->tcp_state, tcp_state, __ATOMIC_RELAXED);
	__atomic_store_n(&s->join_state, join_state, __ATOMIC_RELAXED);
	__atomic_store_n(&s->pkts, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->drops, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->used, used, __ATOMIC_RELEASE);
	slot_end(s);
}

/*
 * Give a slot up for good (record lock held): its counters live on in the
 * record's totals, the history hook sees its last state, and its
 * generation changes so that any observation still naming it knows.
 */
static void
slot_free(struct mpn_conn_table *ct, struct mpn_conn *c, struct mpn_conn_subflow *s)
{
	if (ct != NULL && ct->history != NULL)
		ct->history(ct->history_arg, c, s);
	__atomic_add_fetch(&c->pkts, __atomic_load_n(&s->pkts, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->bytes, __atomic_load_n(&s->bytes, __ATOMIC_RELAXED),
		__ATOMIC_RELAXED);
	__atomic_add_fetch(&c->drops, __atomic_load_n(&s->drops, __ATOMIC_RELAXED),
		__ATOMIC_RELAXED);
	slot_begin(s);
	s->refs = 0;
	__atomic_store_n(&s->gen, (uint16_t)(s->gen + 1), __ATOMIC_RELEASE);
	__atomic_store_n(&s->used, MPN_SLOT_FREE, __ATOMIC_RELEASE);
	slot_end(s);
}

/* A slot already held for the same 4-tuple: another observation of one subflow. */
static int
slot_find_tuple(const struct mpn_conn *c, uint8_t family, const uint8_t *src,
	const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	size_t alen = family == 6 ? 16 : 4;
	unsigned int i;

	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++) {
		const struct mpn_conn_subflow *s = &c->sf[i];

		if (s->used == MPN_SLOT_FREE || s->family != family)
			continue;
		if (s->sport == sport && s->dport == dport && memcmp(s->src, src, alen) == 0 &&
				memcmp(s->dst, dst, alen) == 0)
			return (int)i;
		if (s->sport == dport && s->dport == sport && memcmp(s->src, dst, alen) == 0 &&
				memcmp(s->dst, src, alen) == 0)
			return (int)i;
	}
	return -1;
}

static int
slot_find_free(const struct mpn_conn *c)
{
	unsigned int i;

	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++)
		if (c->sf[i].used == MPN_SLOT_FREE)
			return (int)i;
	return -1;
}

static void
slot_count(const struct mpn_conn *c, unsigned int *active, unsigned int *pending, int *oldest)
{
	uint64_t t = UINT64_MAX;
	unsigned int i;

	*active = *pending = 0;
	*oldest = -1;
	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++) {
		const struct mpn_conn_subflow *s = &c->sf[i];

		if (s->used == MPN_SLOT_ACTIVE) {
			(*active)++;
		} else if (s->used == MPN_SLOT_PENDING) {
			(*pending)++;
			if (s->created < t) {
				t = s->created;
				*oldest = (int)i;
			}
		}
	}
}

/* Take a reference on a record that is not dying. */
static bool
ref_get(struct mpn_conn *c)
{
	unsigned int tries;
	uint32_t n;

	for (tries = 0; tries < CAS_TRIES; tries++) {
		n = __atomic_load_n(&c->refs, __ATOMIC_ACQUIRE);
		if (n == 0)
			return false;
		if (__atomic_compare_exchange_n(&c->refs, &n, n + 1, false, __ATOMIC_ACQ_REL,
				__ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

/*
 * Attach an observation of an initial subflow to a record published from
 * another observation point (create lock held, so the record cannot be
 * unpublished meanwhile).
 */
static struct mpn_conn *
conn_attach(struct mpn_conn *c, const struct mpn_conn_init *in, int *slot, uint16_t *gen,
	int *err)
{
	int i;

	if (!ref_get(c)) {
		*err = -ENOSPC;
		return NULL;
	}
	lock_take(&c->lock);
	i = slot_find_tuple(c, in->family, in->src, in->dst, in->sport, in->dport);
	if (i >= 0) {
		c->sf[i].refs++;
	} else {
		i = slot_find_free(c);
		if (i >= 0)
			slot_fill(c, &c->sf[i], in->join ? MPN_SLOT_PENDING : MPN_SLOT_ACTIVE,
				in->join ? MPN_ROLE_JOIN : MPN_ROLE_INITIAL,
				in->join ? in->join_init_is_a : true, in->family, in->src, in->dst,
				in->sport, in->dport, in->tcp_state,
				in->join ? MPN_JOIN_SYNACK_OK : MPN_JOIN_NONE, in->now);
	}
	if (i >= 0)
		*gen = c->sf[i].gen;
	lock_drop(&c->lock);
	if (i < 0) {
		__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
		*err = -ENOSPC;
		return NULL;
	}
	*slot = i;
	*err = 1;
	return c;
}

struct mpn_conn *
mpn_conn_publish(struct mpn_conn_table *ct, const struct mpn_conn_init *in, int *slot,
	uint16_t *gen, int *err)
{
	struct mpn_conn *c, *old_a, *old_b;
	uint64_t idsn_a, idsn_b;
	uint32_t tok_a, tok_b;
	bool want_a, want_b;
	void *obj;
	int rc;

	if (in->have_tokens) {
		tok_a = in->token_a;
		tok_b = in->token_b;
		idsn_a = in->idsn_a;
		idsn_b = in->idsn_b;
	} else if (mpn_mptcp_key_token(in->version, in->key_a, &tok_a, &idsn_a) != 0 ||
			mpn_mptcp_key_token(in->version, in->key_b, &tok_b, &idsn_b) != 0) {
		*err = -EIO;
		return NULL;
	}
	lock_take(&ct->create_lock);
	/* Whatever finished its grace period, so the pool is as full as it can be. */
	reclaim_locked(ct);
	old_b = mpn_conn_lookup(ct, tok_b);
	old_a = tok_a != tok_b ? mpn_conn_lookup(ct, tok_a) : NULL;
	/* The same handshake, seen at another observation point. */
	c = old_b != NULL ? old_b : old_a;
	if (c != NULL && c->key_a == in->key_a && c->key_b == in->key_b &&
			c->version == in->version) {
		c = conn_attach(c, in, slot, gen, err);
		lock_drop(&ct->create_lock);
		return c;
	}
	/*
	 * Tokens are unique per host (RFC 8684 §3.2), not across the hosts
	 * behind one middle box: a token another connection holds is left to
	 * it, and this connection is reachable by its other token only.
	 */
	want_b = old_b == NULL;
	want_a = tok_a != tok_b && old_a == NULL;
	if (!want_a && !want_b) {
		lock_drop(&ct->create_lock);
		*err = -EEXIST;
		return NULL;
	}
	if (rte_ring_dequeue(ct->free, &obj) != 0) {
		lock_drop(&ct->create_lock);
		*err = -ENOSPC;
		return NULL;
	}
	c = obj;
	TSAN_ACQUIRE(c);
	/*
	 * Nobody can hold the record: it came back from the pool after a
	 * grace period. Only `live` may be read right now, by a scan of the
	 * pool (mpn_conn_table_foreach()); it is 0 and stays 0 until the
	 * record is published, so it is left out of the clearing.
	 */
	memset(c, 0, offsetof(struct mpn_conn, live));
	memset((char *)c + offsetof(struct mpn_conn, live) + sizeof(c->live), 0,
		sizeof(*c) - offsetof(struct mpn_conn, live) - sizeof(c->live));
	rte_spinlock_init(&c->lock);
	c->serial = __atomic_fetch_add(&ct->serial, 1, __ATOMIC_RELAXED);
	c->created = in->now;
	c->version = in->version;
	c->flags_a = in->flags_a;
	c->flags_b = in->flags_b;
	c->decision = in->decision;
	c->rule_gen = in->rule_gen;
	c->rule_id[0] = in->rule_id[0];
	c->rule_id[1] = in->rule_id[1];
	c->remote = in->remote;
	c->key_a = in->key_a;
	c->key_b = in->key_b;
	c->idsn_a = idsn_a;
	c->idsn_b = idsn_b;
	c->token_a = tok_a;
	c->token_b = tok_b;
	c->refs = 1;
	slot_fill(c, &c->sf[0], in->join ? MPN_SLOT_PENDING : MPN_SLOT_ACTIVE,
		in->join ? MPN_ROLE_JOIN : MPN_ROLE_INITIAL, in->join ? in->join_init_is_a : true,
		in->family, in->src, in->dst, in->sport, in->dport, in->tcp_state,
		in->join ? MPN_JOIN_SYNACK_OK : MPN_JOIN_NONE, in->now);

	/* Publication: the record is complete before the first insert (release). */
	TSAN_RELEASE(c);
	if (want_b) {
		rc = rte_hash_add_key_data(ct->h, &tok_b, c);
		if (rc < 0)
			want_b = false;
	}
	if (want_a) {
		rc = rte_hash_add_key_data(ct->h, &tok_a, c);
		if (rc < 0)
			want_a = false;
	}
	c->token_a_in = want_a;
	c->token_b_in = want_b;
	c->n_tokens = (uint8_t)(want_a + want_b);
	if (!want_a && !want_b) {
		/*
		 * Never published, but a scan of the pool may be reading it
		 * (its `live`, which stays 0): back to the pool only after a
		 * grace period, like every record. No reader can have the
		 * keys: cleared now.
		 */
		explicit_bzero(&c->key_a, sizeof(c->key_a));
		explicit_bzero(&c->key_b, sizeof(c->key_b));
		defer_locked(ct, c, -1, -1);
		lock_drop(&ct->create_lock);
		*err = -ENOSPC;
		return NULL;
	}
	/* Listed by scans from now on: the record is complete and published. */
	__atomic_store_n(&c->live, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&ct->live, 1, __ATOMIC_RELAXED);
	lock_drop(&ct->create_lock);
	*slot = 0;
	*gen = c->sf[0].gen;
	*err = 0;
	return c;
}

static void
limits_clamp(const struct mpn_conn_limits *lim, unsigned int *active, unsigned int *pending)
{
	*active = lim->active == 0 || lim->active > MPN_CONN_MAX_ACTIVE ? MPN_CONN_MAX_ACTIVE :
		lim->active;
	*pending = lim->pending == 0 || lim->pending > MPN_CONN_MAX_PENDING ?
		MPN_CONN_MAX_PENDING : lim->pending;
}

int
mpn_conn_join_admissible(const struct mpn_conn *c, const struct mpn_conn_limits *lim)
{
	unsigned int max_active, max_pending, active = 0, i;

	if (__atomic_load_n(&c->refs, __ATOMIC_ACQUIRE) == 0)
		return -ENOENT;
	limits_clamp(lim, &max_active, &max_pending);
	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++)
		if (__atomic_load_n(&c->sf[i].used, __ATOMIC_ACQUIRE) == MPN_SLOT_ACTIVE)
			active++;
	return active >= max_active ? -ENOSPC : 0;
}

int
mpn_conn_join_claim(struct mpn_conn *c, const struct mpn_conn_limits *lim, bool pending,
	bool init_is_a, uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	uint16_t dport, uint64_t now, uint16_t *gen)
{
	unsigned int max_active, max_pending, n_active, n_pending;
	int i, oldest, rc;

	limits_clamp(lim, &max_active, &max_pending);
	if (!ref_get(c))
		return -ENOENT;
	lock_take(&c->lock);
	i = slot_find_tuple(c, family, src, dst, sport, dport);
	if (i >= 0) {
		c->sf[i].refs++;
		*gen = c->sf[i].gen;
		lock_drop(&c->lock);
		return i;
	}
	slot_count(c, &n_active, &n_pending, &oldest);
	if (n_active >= max_active) {
		rc = -ENOSPC;
		goto refuse;
	}
	if (pending && n_pending >= max_pending && oldest >= 0) {
		/*
		 * Every pending place is taken: the oldest pending join makes
		 * way. Its observation keeps its reference on the record until
		 * it notices (mpn_conn_slot_current()) and releases.
		 */
		slot_free(NULL, c, &c->sf[oldest]);
		__atomic_add_fetch(&c->joins_evicted, 1, __ATOMIC_RELAXED);
	}
	i = slot_find_free(c);
	if (i < 0) {
		rc = -ENOSPC;
		goto refuse;
	}
	slot_fill(c, &c->sf[i], pending ? MPN_SLOT_PENDING : MPN_SLOT_ACTIVE, MPN_ROLE_JOIN,
		init_is_a, family, src, dst, sport, dport, MPN_TCP_SYN_SENT,
		pending ? MPN_JOIN_SYN : MPN_JOIN_UNVERIFIED, now);
	*gen = c->sf[i].gen;
	lock_drop(&c->lock);
	return i;
refuse:
	lock_drop(&c->lock);
	__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	return rc;
}

int
mpn_conn_join_promote(struct mpn_conn *c, int slot, uint16_t gen,
	const struct mpn_conn_limits *lim)
{
	unsigned int max_active, max_pending, n_active, n_pending;
	struct mpn_conn_subflow *s;
	int oldest, rc = 0;

	if (slot < 0 || slot >= MPN_CONN_MAX_SUBFLOWS)
		return -ESTALE;
	limits_clamp(lim, &max_active, &max_pending);
	s = &c->sf[slot];
	lock_take(&c->lock);
	if (s->gen != gen || s->used == MPN_SLOT_FREE) {
		rc = -ESTALE;
	} else if (s->used == MPN_SLOT_PENDING) {
		slot_count(c, &n_active, &n_pending, &oldest);
		if (n_active >= max_active) {
			rc = -ENOSPC;
		} else {
			slot_begin(s);
			__atomic_store_n(&s->used, MPN_SLOT_ACTIVE, __ATOMIC_RELEASE);
			slot_end(s);
		}
	}
	lock_drop(&c->lock);
	return rc;
}

bool
mpn_conn_slot_current(const struct mpn_conn *c, int slot, uint16_t gen)
{
	if (slot < 0 || slot >= MPN_CONN_MAX_SUBFLOWS)
		return false;
	return __atomic_load_n(&c->sf[slot].gen, __ATOMIC_ACQUIRE) == gen &&
		__atomic_load_n(&c->sf[slot].used, __ATOMIC_ACQUIRE) != MPN_SLOT_FREE;
}

void
mpn_conn_slot_state(struct mpn_conn *c, int slot, uint16_t gen, uint8_t tcp_state,
	uint8_t join_state)
{
	struct mpn_conn_subflow *s;

	if (!mpn_conn_slot_current(c, slot, gen))
		return;
	s = &c->sf[slot];
	/* Several observations of one subflow: the last one to speak wins. */
	__atomic_store_n(&s->tcp_state, tcp_state, __ATOMIC_RELAXED);
	__atomic_store_n(&s->join_state, join_state, __ATOMIC_RELAXED);
}

void
mpn_conn_slot_add(struct mpn_conn *c, int slot, uint16_t gen, uint64_t pkts, uint64_t bytes,
	uint64_t drops)
{
	uint64_t *p = &c->pkts, *b = &c->bytes, *d = &c->drops;

	if (pkts == 0 && bytes == 0 && drops == 0)
		return;
	if (mpn_conn_slot_current(c, slot, gen)) {
		p = &c->sf[slot].pkts;
		b = &c->sf[slot].bytes;
		d = &c->sf[slot].drops;
	}
	__atomic_add_fetch(p, pkts, __ATOMIC_RELAXED);
	__atomic_add_fetch(b, bytes, __ATOMIC_RELAXED);
	__atomic_add_fetch(d, drops, __ATOMIC_RELAXED);
}

bool
mpn_conn_subflow_release(struct mpn_conn_table *ct, struct mpn_conn *c, int slot,
	uint16_t gen)
{
	unsigned int tries;
	int32_t pos_a, pos_b;
	uint32_t n;

	if (c == NULL)
		return false;
	if (slot >= 0 && slot < MPN_CONN_MAX_SUBFLOWS) {
		struct mpn_conn_subflow *s = &c->sf[slot];

		lock_take(&c->lock);
		if (s->gen == gen && s->used != MPN_SLOT_FREE && --s->refs == 0)
			slot_free(ct, c, s);
		lock_drop(&c->lock);
	}
	/* Not the last reference: no lock needed. */
	for (tries = 0; tries < CAS_TRIES; tries++) {
		n = __atomic_load_n(&c->refs, __ATOMIC_ACQUIRE);
		if (n <= 1)
			break;
		if (__atomic_compare_exchange_n(&c->refs, &n, n - 1, false, __ATOMIC_ACQ_REL,
				__ATOMIC_ACQUIRE))
			return false;
	}
	/*
	 * Possibly the last: under the create lock, so that no observation
	 * attaches to a record that is being unpublished.
	 */
	lock_take(&ct->create_lock);
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0) {
		lock_drop(&ct->create_lock);
		return false;
	}
	if (ct->history != NULL)
		ct->history(ct->history_arg, c, NULL);
	/*
	 * Unlisted first: a scan of the pool that goes online from here on
	 * skips the record, and one already online holds the grace period
	 * the defer queue waits for, so no scan ever reads a record while a
	 * publication rewrites it. Then unpublish: readers that looked the
	 * record up before this point keep using it safely until their next
	 * quiescent report; the defer queue returns it, and the tokens' hash
	 * slots, to the pool after that.
	 */
	__atomic_store_n(&c->live, 0, __ATOMIC_RELEASE);
	pos_b = c->token_b_in ? rte_hash_del_key(ct->h, &c->token_b) : -1;
	pos_a = c->token_a_in ? rte_hash_del_key(ct->h, &c->token_a) : -1;
	reclaim_locked(ct);
	defer_locked(ct, c, pos_a < 0 ? -1 : pos_a, pos_b < 0 ? -1 : pos_b);
	lock_drop(&ct->create_lock);
	__atomic_sub_fetch(&ct->live, 1, __ATOMIC_RELAXED);
	return true;
}

void
mpn_conn_table_on_history(struct mpn_conn_table *ct, mpn_conn_history_fn fn, void *arg)
{
	ct->history = fn;
	ct->history_arg = arg;
}

void
mpn_conn_close(struct mpn_conn *c, enum mpn_conn_close why)
{
	uint32_t exp = MPN_CONN_OPEN;

	__atomic_compare_exchange_n(&c->closed, &exp, (uint32_t)why, false, __ATOMIC_RELEASE,
		__ATOMIC_RELAXED);
}

bool
mpn_conn_is_closed(const struct mpn_conn *c)
{
	return __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE) != MPN_CONN_OPEN;
}

/* Write an address slot the caller owns (used == WRITING), then publish it. */
static void
addr_write(struct mpn_conn_addr *a, uint64_t serial, uint8_t side, uint8_t id, uint8_t family,
	const uint8_t *addr, bool has_port, uint16_t port, uint8_t hmac)
{
	uint32_t seq = __atomic_load_n(&a->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&a->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	a->side = side;
	a->id = id;
	a->family = family;
	a->has_port = has_port;
	a->port = port;
	a->hmac = hmac;
	a->serial = serial;
	memset(a->addr, 0, sizeof(a->addr));
	memcpy(a->addr, addr, family == 6 ? 16 : 4);
	__atomic_store_n(&a->seq, seq + 2, __ATOMIC_RELEASE);
	__atomic_store_n(&a->used, SLOT_VALID, __ATOMIC_RELEASE);
}

int
mpn_conn_addr_add(struct mpn_conn *c, uint8_t side, uint8_t id, uint8_t family,
	const uint8_t *addr, bool has_port, uint16_t port, uint8_t hmac)
{
	uint64_t serial = __atomic_fetch_add(&c->addaddr, 1, __ATOMIC_RELAXED);
	unsigned int i;

	/* Same side and id: the address replaces the old one. */
	for (i = 0; i < MPN_CONN_MAX_ADDRS; i++) {
		struct mpn_conn_addr *a = &c->addr[i];
		uint32_t exp = SLOT_VALID;

		if (__atomic_load_n(&a->used, __ATOMIC_ACQUIRE) != SLOT_VALID ||
				a->side != side || a->id != id)
			continue;
		if (__atomic_compare_exchange_n(&a->used, &exp, SLOT_WRITING, false,
				__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			addr_write(a, serial, side, id, family, addr, has_port, port, hmac);
			return 0;
		}
	}
	for (i = 0; i < MPN_CONN_MAX_ADDRS; i++) {
		uint32_t exp = SLOT_FREE;

		if (__atomic_compare_exchange_n(&c->addr[i].used, &exp, SLOT_WRITING, false,
				__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			addr_write(&c->addr[i], serial, side, id, family, addr, has_port, port, hmac);
			return 0;
		}
	}
	return -ENOSPC;
}

unsigned int
mpn_conn_addr_remove(struct mpn_conn *c, uint8_t side, uint8_t id)
{
	unsigned int i, n = 0;

	for (i = 0; i < MPN_CONN_MAX_ADDRS; i++) {
		struct mpn_conn_addr *a = &c->addr[i];
		uint32_t exp = SLOT_VALID, seq;

		if (__atomic_load_n(&a->used, __ATOMIC_ACQUIRE) != SLOT_VALID ||
				a->side != side || a->id != id)
			continue;
		if (!__atomic_compare_exchange_n(&a->used, &exp, SLOT_WRITING, false,
				__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		seq = __atomic_load_n(&a->seq, __ATOMIC_RELAXED);
		__atomic_store_n(&a->seq, seq + 2, __ATOMIC_RELEASE);
		__atomic_store_n(&a->used, SLOT_FREE, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}

uint32_t
mpn_conn_table_count(const struct mpn_conn_table *ct)
{
	return __atomic_load_n(&ct->live, __ATOMIC_RELAXED);
}

uint32_t
mpn_conn_table_capacity(const struct mpn_conn_table *ct)
{
	return ct->n;
}

uint32_t
mpn_conn_table_pool_free(const struct mpn_conn_table *ct)
{
	return rte_ring_count(ct->free);
}

static int
cmp_serial(const void *x, const void *y)
{
	const struct mpn_conn *a = *(const struct mpn_conn *const *)x;
	const struct mpn_conn *b = *(const struct mpn_conn *const *)y;

	return a->serial < b->serial ? -1 : a->serial > b->serial;
}

unsigned int
mpn_conn_table_foreach(struct mpn_conn_table *ct,
	void (*cb)(const struct mpn_conn *c, void *arg), void *arg)
{
	unsigned int i, n = 0;

	for (i = 0; i < ct->n; i++) {
		const struct mpn_conn *c = &ct->pool[i];

		if (__atomic_load_n(&c->live, __ATOMIC_ACQUIRE) == 0 ||
				__atomic_load_n(&c->refs, __ATOMIC_ACQUIRE) == 0)
			continue;
		ct->scratch[n++] = c;
	}
	qsort(ct->scratch, n, sizeof(ct->scratch[0]), cmp_serial);
	for (i = 0; i < n; i++)
		cb(ct->scratch[i], arg);
	return n;
}

/* "10.0.1.1:5000" or "[2001:db8::1]:5000". */
static void
fmt_endpoint(char *buf, size_t n, uint8_t family, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	if (family == 6) {
		inet_ntop(AF_INET6, addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, port);
	} else {
		inet_ntop(AF_INET, addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, port);
	}
}

/* Consistent copy of a slot, or false if it is free or changing. */
static bool
slot_read(const struct mpn_conn_subflow *s, struct mpn_conn_subflow *out)
{
	uint32_t s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

	if ((s1 & 1) || __atomic_load_n(&s->used, __ATOMIC_ACQUIRE) == MPN_SLOT_FREE)
		return false;
	memcpy(out, s, sizeof(*out));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->seq, __ATOMIC_RELAXED) == s1;
}

static bool
addr_read(const struct mpn_conn_addr *a, struct mpn_conn_addr *out)
{
	uint32_t s1 = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE);

	if ((s1 & 1) || __atomic_load_n(&a->used, __ATOMIC_ACQUIRE) != SLOT_VALID)
		return false;
	memcpy(out, a, sizeof(*out));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&a->seq, __ATOMIC_RELAXED) == s1;
}

static const char *
addr_hmac_name(uint8_t h)
{
	switch (h) {
	case MPN_ADDR_HMAC_OK: return "ok";
	case MPN_ADDR_HMAC_LEFTMOST: return "ok-leftmost";
	case MPN_ADDR_HMAC_BAD: return "bad";
	default: return "unchecked";
	}
}

/* "AH", "ACH", ...: the MP_CAPABLE flag letters (RFC 8684 §3.1). */
static void
fmt_flags(char *buf, uint8_t f)
{
	char *p = buf;

	if (f & 0x80)
		*p++ = 'A';
	if (f & 0x40)
		*p++ = 'B';
	if (f & 0x20)
		*p++ = 'C';
	if (f & 0x01)
		*p++ = 'H';
	*p = '\0';
}

static uint64_t
ld64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
mpn_conn_totals(const struct mpn_conn *c, struct mpn_conn_counts *out)
{
	unsigned int i;

	out->pkts = ld64(&c->pkts);
	out->bytes = ld64(&c->bytes);
	out->drops = ld64(&c->drops);
	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++) {
		const struct mpn_conn_subflow *s = &c->sf[i];

		if (__atomic_load_n(&s->used, __ATOMIC_ACQUIRE) == MPN_SLOT_FREE)
			continue;
		out->pkts += ld64(&s->pkts);
		out->bytes += ld64(&s->bytes);
		out->drops += ld64(&s->drops);
	}
}

/* Creation order, for byte-identical reports: an insertion sort of <= 16 + history. */
static void
sort_slots(struct mpn_conn_subflow *v, unsigned int n)
{
	unsigned int i, k;

	for (i = 1; i < n; i++)
		for (k = i; k > 0 && v[k - 1].serial > v[k].serial; k--) {
			struct mpn_conn_subflow t = v[k];

			v[k] = v[k - 1];
			v[k - 1] = t;
		}
}

static void
json_subflow(struct mpn_json *j, const struct mpn_conn_subflow *s, bool released)
{
	char e1[64], e2[64], tuple[2 * 64 + 4];

	mpn_json_object_begin(j, NULL);
	fmt_endpoint(e1, sizeof(e1), s->family, s->src, s->sport);
	fmt_endpoint(e2, sizeof(e2), s->family, s->dst, s->dport);
	snprintf(tuple, sizeof(tuple), "%s > %s", e1, e2);
	mpn_json_str(j, "tuple", tuple);
	mpn_json_str(j, "role", mpn_flow_role_name(s->role));
	mpn_json_str(j, "initiator", s->init_is_a ? "a" : "b");
	mpn_json_str(j, "state", mpn_tcp_state_name(s->tcp_state));
	if (s->role == MPN_ROLE_JOIN)
		mpn_json_str(j, "join", mpn_join_state_name(s->join_state));
	if (released)
		mpn_json_bool(j, "removed", true);
	mpn_json_u64(j, "pkts", s->pkts);
	mpn_json_u64(j, "bytes", s->bytes);
	mpn_json_u64(j, "drops", s->drops);
	mpn_json_object_end(j);
}

void
mpn_conn_json(const struct mpn_conn *c, struct mpn_json *j, const char *key,
	const struct mpn_conn_json_opts *opts)
{
	struct mpn_conn_subflow sfs[MPN_CONN_MAX_SUBFLOWS];
	struct mpn_conn_addr as[MPN_CONN_MAX_ADDRS];
	unsigned int i, k, n_sf = 0, n_a = 0;
	char buf[64];
	struct mpn_conn_counts tot;

	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++)
		if (slot_read(&c->sf[i], &sfs[n_sf]))
			n_sf++;
	for (i = 0; i < MPN_CONN_MAX_ADDRS; i++)
		if (addr_read(&c->addr[i], &as[n_a]))
			n_a++;
	sort_slots(sfs, n_sf);
	for (i = 1; i < n_a; i++)
		for (k = i; k > 0 && as[k - 1].serial > as[k].serial; k--) {
			struct mpn_conn_addr t = as[k];

			as[k] = as[k - 1];
			as[k - 1] = t;
		}

	mpn_json_object_begin(j, key);
	snprintf(buf, sizeof(buf), "0x%08" PRIx32, c->token_a);
	mpn_json_str(j, "token_a", buf);
	snprintf(buf, sizeof(buf), "0x%08" PRIx32, c->token_b);
	mpn_json_str(j, "token_b", buf);
	if (opts != NULL && opts->show_keys) {
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->key_a);
		mpn_json_str(j, "key_a", buf);
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->key_b);
		mpn_json_str(j, "key_b", buf);
	}
	/* 64-bit values beyond 2^53 as strings: JSON numbers lose them (jq, JavaScript). */
	snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->idsn_a);
	mpn_json_str(j, "idsn_a", buf);
	snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->idsn_b);
	mpn_json_str(j, "idsn_b", buf);
	mpn_json_u64(j, "version", c->version);
	fmt_flags(buf, (uint8_t)(c->flags_a | c->flags_b));
	mpn_json_str(j, "flags", buf);
	snprintf(buf, sizeof(buf), "0x%02x", c->flags_a);
	mpn_json_str(j, "flags_a", buf);
	snprintf(buf, sizeof(buf), "0x%02x", c->flags_b);
	mpn_json_str(j, "flags_b", buf);
	mpn_json_str(j, "decision", mpn_flow_decision_name(c->decision));
	mpn_json_str(j, "state", mpn_conn_state_name(c));

	mpn_json_array_begin(j, "subflows");
	if (opts != NULL && opts->n_history > 0) {
		/* Every subflow it has had, live or gone, in creation order. */
		unsigned int n = opts->n_history + n_sf;
		struct mpn_conn_subflow *all = malloc(sizeof(*all) * n);

		if (all != NULL) {
			memcpy(all, opts->history, sizeof(*all) * opts->n_history);
			memcpy(all + opts->n_history, sfs, sizeof(*all) * n_sf);
			sort_slots(all, n);
			for (i = 0; i < n; i++)
				json_subflow(j, &all[i], i < n && all[i].used == MPN_SLOT_FREE);
			free(all);
		}
	} else {
		for (i = 0; i < n_sf; i++)
			json_subflow(j, &sfs[i], false);
	}
	mpn_json_array_end(j);

	mpn_json_array_begin(j, "add_addr");
	for (i = 0; i < n_a; i++) {
		const struct mpn_conn_addr *a = &as[i];
		char ip[INET6_ADDRSTRLEN];

		mpn_json_object_begin(j, NULL);
		mpn_json_u64(j, "id", a->id);
		inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, ip, sizeof(ip));
		mpn_json_str(j, "addr", ip);
		if (a->has_port)
			mpn_json_u64(j, "port", a->port);
		mpn_json_str(j, "from", a->side == 0 ? "a" : "b");
		mpn_json_str(j, "hmac", addr_hmac_name(a->hmac));
		mpn_json_object_end(j);
	}
	mpn_json_array_end(j);

	mpn_json_object_begin(j, "verdicts");
	mpn_conn_totals(c, &tot);
	mpn_json_u64(j, "pkts", tot.pkts);
	mpn_json_u64(j, "bytes", tot.bytes);
	mpn_json_u64(j, "drops", tot.drops);
	mpn_json_u64(j, "cleared", ld64(&c->cleared));
	mpn_json_u64(j, "joins_ok", ld64(&c->joins_ok));
	mpn_json_u64(j, "joins_bad_hmac", ld64(&c->joins_bad));
	mpn_json_u64(j, "joins_refused", ld64(&c->joins_refused));
	mpn_json_u64(j, "joins_limit", ld64(&c->joins_limit));
	mpn_json_u64(j, "joins_evicted", ld64(&c->joins_evicted));
	mpn_json_u64(j, "add_addr", ld64(&c->addaddr));
	mpn_json_u64(j, "add_addr_denied", ld64(&c->addaddr_denied));
	mpn_json_u64(j, "remove_addr", ld64(&c->rmaddr));
	mpn_json_object_end(j);
	mpn_json_object_end(j);
}

bool
mpn_conn_subflow_read(const struct mpn_conn *c, unsigned int i, struct mpn_conn_subflow *out)
{
	if (i >= MPN_CONN_MAX_SUBFLOWS)
		return false;
	return slot_read(&c->sf[i], out);
}

bool
mpn_conn_addr_read(const struct mpn_conn *c, unsigned int i, struct mpn_conn_addr *out)
{
	if (i >= MPN_CONN_MAX_ADDRS)
		return false;
	return addr_read(&c->addr[i], out);
}

void
mpn_conn_endpoint_str(char *buf, size_t n, uint8_t family, const uint8_t *addr, uint16_t port)
{
	fmt_endpoint(buf, n, family, addr, port);
}

const char *
mpn_conn_addr_hmac_name(uint8_t h)
{
	return addr_hmac_name(h);
}

const char *
mpn_conn_state_name(const struct mpn_conn *c)
{
	uint32_t why = __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE);

	if (why == MPN_CONN_OPEN)
		return "open";
	return why == MPN_CONN_CLOSED_FASTCLOSE ? "fastclosed" : "closed";
}

/*
 * Per-connection limits against join-based DoS (RFC 7430 §2.2, issue 16).
 * The check stage asks (read-only); the commit stage takes a place with a
 * CAS, for forwarded segments only, and refuses the segment if another
 * worker took the last place in between (nothing changed then).
 */
#define RATE_COUNT_MASK ((UINT64_C(1) << MPN_CONN_RATE_BITS) - 1)

bool
mpn_conn_join_rate_ok(const struct mpn_conn *c, uint64_t second, unsigned int limit)
{
	uint64_t v = __atomic_load_n(&c->join_rate, __ATOMIC_RELAXED);
	uint64_t sec = second & (UINT64_MAX >> MPN_CONN_RATE_BITS);

	if (limit == 0 || (v >> MPN_CONN_RATE_BITS) != sec)
		return true;
	return (v & RATE_COUNT_MASK) < limit;
}

int
mpn_conn_join_rate_take(struct mpn_conn *c, uint64_t second, unsigned int limit)
{
	uint64_t sec = second & (UINT64_MAX >> MPN_CONN_RATE_BITS);
	uint64_t v = __atomic_load_n(&c->join_rate, __ATOMIC_RELAXED), nv;

	if (limit == 0)
		return 0;
	do {
		if ((v >> MPN_CONN_RATE_BITS) != sec)
			nv = sec << MPN_CONN_RATE_BITS | 1;
		else if ((v & RATE_COUNT_MASK) >= limit || (v & RATE_COUNT_MASK) == RATE_COUNT_MASK)
			return -EBUSY;
		else
			nv = v + 1;
	} while (!__atomic_compare_exchange_n(&c->join_rate, &v, nv, false, __ATOMIC_RELAXED,
			__ATOMIC_RELAXED));
	return 0;
}

bool
mpn_conn_handshake_done(const struct mpn_conn *c)
{
	unsigned int i;

	if (c->remote)
		return true;
	for (i = 0; i < MPN_CONN_MAX_SUBFLOWS; i++) {
		struct mpn_conn_subflow s;
		uint8_t st;

		if (!slot_read(&c->sf[i], &s) || s.role != MPN_ROLE_INITIAL)
			continue;
		st = __atomic_load_n(&c->sf[i].tcp_state, __ATOMIC_RELAXED);
		/* The third ACK moves the initial subflow out of its handshake. */
		return st != MPN_TCP_SYN_SENT && st != MPN_TCP_SYN_RECV;
	}
	return true;   /* the initial subflow is not observed here (any more) */
}

bool
mpn_conn_addr_known(const struct mpn_conn *c, uint8_t side, uint8_t id, uint8_t family,
	const uint8_t *addr)
{
	size_t alen = family == 6 ? 16 : 4;
	unsigned int i;

	for (i = 0; i < MPN_CONN_MAX_ADDRS; i++) {
		struct mpn_conn_addr a;

		if (addr_read(&c->addr[i], &a) && a.side == side && a.id == id &&
				a.family == family && memcmp(a.addr, addr, alen) == 0)
			return true;
	}
	return false;
}

bool
mpn_conn_addaddr_ok(const struct mpn_conn *c, unsigned int limit, unsigned int planned)
{
	return limit == 0 ||
		(uint64_t)__atomic_load_n(&c->addaddr_announced, __ATOMIC_RELAXED) + planned < limit;
}

int
mpn_conn_addaddr_take(struct mpn_conn *c, unsigned int limit, unsigned int n)
{
	uint32_t v = __atomic_load_n(&c->addaddr_announced, __ATOMIC_RELAXED);

	if (n == 0)
		return 0;
	do {
		if (limit != 0 && (uint64_t)v + n > limit)
			return -EBUSY;
	} while (!__atomic_compare_exchange_n(&c->addaddr_announced, &v, v + n, false,
			__ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 0;
}

void
mpn_conn_addaddr_put(struct mpn_conn *c, unsigned int n)
{
	__atomic_sub_fetch(&c->addaddr_announced, n, __ATOMIC_RELAXED);
}

void
mpn_conn_join_rate_put(struct mpn_conn *c, uint64_t second)
{
	uint64_t sec = second & (UINT64_MAX >> MPN_CONN_RATE_BITS);
	uint64_t v = __atomic_load_n(&c->join_rate, __ATOMIC_RELAXED);

	/* Only within the same second, and never below zero. */
	while ((v >> MPN_CONN_RATE_BITS) == sec && (v & RATE_COUNT_MASK) > 0)
		if (__atomic_compare_exchange_n(&c->join_rate, &v, v - 1, false, __ATOMIC_RELAXED,
				__ATOMIC_RELAXED))
			break;
}
