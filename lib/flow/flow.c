/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "conn.h"
#include "flow.h"

/* Eviction lists, in the order they are raided when the table is full. */
#define LIST_CLOSED 0
#define LIST_UNCONFIRMED 1
#define LIST_EMBRYONIC 2
#define N_LISTS 3
#define LIST_NONE 0xff
#define NIL UINT32_MAX

struct mpn_flow_table {
	struct mpn_subflow *e;        /* first: struct mpn_flow_table_head (flow.h) */
	struct rte_hash *h;
	struct mpn_conn_table *ct;
	struct mpn_track_stats *stats;
	struct mpn_flow_params p;
	uint32_t cap;
	uint32_t count;
	uint32_t learn_limit;         /* entries above which mid-stream learning stops */
	uint32_t cursor;              /* next position the sweep visits */
	uint32_t head[N_LISTS], tail[N_LISTS];
	uint64_t timeout[MPN_TCP_STATE_MAX]; /* in units of `now` */
	uint64_t unconfirmed_timeout;
	uint64_t min_timeout;         /* the shortest of them all */
	mpn_flow_remove_fn on_remove;
	void *on_remove_arg;
};

void
mpn_flow_params_default(struct mpn_flow_params *p)
{
	memset(p, 0, sizeof(*p));
	p->capacity = 65536;
	p->hz = 1000000;
	p->embryonic_timeout = 30;
	p->idle_timeout = 3600;
	p->half_closed_timeout = 600;
	p->closed_timeout = 10;
	p->unconfirmed_timeout = 30;
	p->midstream = MPN_FLOW_MIDSTREAM_LEARN;
	p->learn_limit_pct = 90;
}

bool
mpn_flow_key_from_pkt(const uint8_t *frame, const struct mpn_pkt *p, uint16_t link,
	struct mpn_flow_key *key)
{
	const uint8_t *src = frame + p->src_addr_off, *dst = frame + p->dst_addr_off;
	bool src_lo;
	int c;

	memset(key, 0, sizeof(*key));
	key->family = p->ip_version;
	key->proto = 6;
	key->link = link;
	/* The VLAN ids (not the priority bits) name the segment the packet is on. */
	if (p->vlan_depth > 0) {
		key->vlan[0] = p->vlan_tci[0] & 0x0fff;
		if (p->vlan_depth > 1)
			key->vlan[1] = p->vlan_tci[1] & 0x0fff;
	}
	if (p->ip_version == 4) {
		/* Network order compares as big-endian integers: one load each, no memcmp. */
		uint32_t a, b;

		memcpy(&a, src, 4);
		memcpy(&b, dst, 4);
		a = rte_be_to_cpu_32(a);
		b = rte_be_to_cpu_32(b);
		c = a < b ? -1 : a > b;
	} else {
		c = memcmp(src, dst, 16);
	}
	src_lo = c < 0 || (c == 0 && p->sport <= p->dport);
	if (p->ip_version == 4) {
		memcpy(key->addr_lo, src_lo ? src : dst, 4);
		memcpy(key->addr_hi, src_lo ? dst : src, 4);
	} else {
		memcpy(key->addr_lo, src_lo ? src : dst, 16);
		memcpy(key->addr_hi, src_lo ? dst : src, 16);
	}
	key->port_lo = src_lo ? p->sport : p->dport;
	key->port_hi = src_lo ? p->dport : p->sport;
	return src_lo;
}

uint32_t
mpn_flow_key_hash(const struct mpn_flow_key *key)
{
	return rte_hash_crc(key, sizeof(*key), 0);
}

const char *
mpn_tcp_state_name(uint8_t s)
{
	static const char *const names[MPN_TCP_STATE_MAX] = {
		[MPN_TCP_NONE] = "none",
		[MPN_TCP_SYN_SENT] = "syn-sent",
		[MPN_TCP_SYN_RECV] = "syn-recv",
		[MPN_TCP_ESTABLISHED] = "established",
		[MPN_TCP_FIN_WAIT] = "half-closed",
		[MPN_TCP_CLOSING] = "closing",
		[MPN_TCP_CLOSED] = "closed",
	};

	return s < MPN_TCP_STATE_MAX ? names[s] : "unknown";
}

const char *
mpn_flow_role_name(uint8_t r)
{
	switch (r) {
	case MPN_ROLE_PLAIN: return "plain";
	case MPN_ROLE_INITIAL: return "initial";
	case MPN_ROLE_JOIN: return "join";
	case MPN_ROLE_MIDSTREAM: return "midstream";
	}
	return "unknown";
}

const char *
mpn_flow_decision_name(uint8_t d)
{
	switch (d) {
	case MPN_DECISION_ALLOW: return "allow";
	case MPN_DECISION_FALLBACK: return "fallback";
	case MPN_DECISION_BYPASS: return "bypass";
	}
	return "unknown";
}

const char *
mpn_join_state_name(uint8_t s)
{
	switch (s) {
	case MPN_JOIN_NONE: return "none";
	case MPN_JOIN_SYN: return "syn";
	case MPN_JOIN_SYNACK_OK: return "synack-ok";
	case MPN_JOIN_ACK_OK: return "ok";
	case MPN_JOIN_FAILED: return "bad-hmac";
	case MPN_JOIN_UNVERIFIED: return "unverified";
	case MPN_JOIN_EVICTED: return "evicted";
	case MPN_JOIN_FETCHING: return "fetching";
	}
	return "unknown";
}

const char *
mpn_flow_close_name(uint8_t why)
{
	static const char *const names[MPN_FLOW_CLOSE_MAX] = {
		[MPN_FLOW_CLOSE_NONE] = "none",
		[MPN_FLOW_CLOSE_FIN] = "fin",
		[MPN_FLOW_CLOSE_RST] = "rst",
		[MPN_FLOW_CLOSE_FASTCLOSE] = "fastclose",
		[MPN_FLOW_CLOSE_IDLE] = "idle-timeout",
		[MPN_FLOW_CLOSE_EVICTED] = "evicted",
		[MPN_FLOW_CLOSE_REUSED] = "port-reused",
		[MPN_FLOW_CLOSE_CLEARED] = "cleared",
		[MPN_FLOW_CLOSE_JOIN_FAILED] = "join-failed",
	};

	return why < MPN_FLOW_CLOSE_MAX ? names[why] : "unknown";
}

static const char *const stats_names[] = {
#define MPN_TRACK_STATS_NAME(f, d) #f,
	MPN_TRACK_STATS_LIST(MPN_TRACK_STATS_NAME)
#undef MPN_TRACK_STATS_NAME
};

static const char *const stats_descs[] = {
#define MPN_TRACK_STATS_DESC(f, d) d,
	MPN_TRACK_STATS_LIST(MPN_TRACK_STATS_DESC)
#undef MPN_TRACK_STATS_DESC
};

#define N_STATS (sizeof(stats_names) / sizeof(stats_names[0]))

const char *
mpn_track_stats_desc(unsigned int i)
{
	return i < N_STATS ? stats_descs[i] : NULL;
}

unsigned int
mpn_track_stats_count(void)
{
	return N_STATS;
}

const char *
mpn_track_stats_get(const struct mpn_track_stats *s, unsigned int i, uint64_t *value)
{
	if (i >= N_STATS)
		return NULL;
	*value = ((const uint64_t *)s)[i];
	return stats_names[i];
}

void
mpn_track_stats_sum(const struct mpn_track_stats *const *s, unsigned int n,
	struct mpn_track_stats *total)
{
	unsigned int i, k;

	memset(total, 0, sizeof(*total));
	for (i = 0; i < n; i++)
		for (k = 0; k < N_STATS; k++)
			((uint64_t *)total)[k] += ((const uint64_t *)s[i])[k];
}

static uint8_t
state_list(uint8_t state, bool unconfirmed)
{
	switch (state) {
	case MPN_TCP_SYN_SENT:
	case MPN_TCP_SYN_RECV:
		return LIST_EMBRYONIC;
	case MPN_TCP_CLOSING:
	case MPN_TCP_CLOSED:
		return LIST_CLOSED;
	default:
		return unconfirmed ? LIST_UNCONFIRMED : LIST_NONE;
	}
}

static inline uint32_t
pos_of(const struct mpn_flow_table *t, const struct mpn_subflow *sf)
{
	return (uint32_t)(sf - t->e);
}

/* Append at the tail: each list is ordered oldest first. */
static void
list_add(struct mpn_flow_table *t, struct mpn_subflow *sf, uint8_t l)
{
	uint32_t pos = pos_of(t, sf);

	sf->list = l;
	if (l == LIST_NONE)
		return;
	sf->next = NIL;
	sf->prev = t->tail[l];
	if (t->tail[l] != NIL)
		t->e[t->tail[l]].next = pos;
	else
		t->head[l] = pos;
	t->tail[l] = pos;
}

static void
list_del(struct mpn_flow_table *t, struct mpn_subflow *sf)
{
	uint8_t l = sf->list;

	if (l == LIST_NONE)
		return;
	if (sf->prev != NIL)
		t->e[sf->prev].next = sf->next;
	else
		t->head[l] = sf->next;
	if (sf->next != NIL)
		t->e[sf->next].prev = sf->prev;
	else
		t->tail[l] = sf->prev;
	sf->list = LIST_NONE;
	sf->prev = sf->next = NIL;
}

struct mpn_flow_table *
mpn_flow_table_create(const char *name, const struct mpn_flow_params *p,
	struct mpn_conn_table *ct, struct mpn_track_stats *stats, int socket)
{
	struct rte_hash_parameters hp;
	struct mpn_flow_table *t;
	uint64_t hz;
	unsigned int i;
	int err;

	if (name == NULL || p == NULL || stats == NULL || p->capacity < 8 ||
			p->capacity > RTE_HASH_ENTRIES_MAX || p->learn_limit_pct > 100) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("mpn_flow_table", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->p = *p;
	t->ct = ct;
	t->stats = stats;
	t->cap = p->capacity;
	t->learn_limit = (uint32_t)((uint64_t)p->capacity * p->learn_limit_pct / 100);
	for (i = 0; i < N_LISTS; i++)
		t->head[i] = t->tail[i] = NIL;
	hz = p->hz != 0 ? p->hz : 1;
	t->timeout[MPN_TCP_NONE] = 0;
	t->timeout[MPN_TCP_SYN_SENT] = p->embryonic_timeout * hz;
	t->timeout[MPN_TCP_SYN_RECV] = p->embryonic_timeout * hz;
	t->timeout[MPN_TCP_ESTABLISHED] = p->idle_timeout * hz;
	t->timeout[MPN_TCP_FIN_WAIT] = p->half_closed_timeout * hz;
	t->timeout[MPN_TCP_CLOSING] = p->closed_timeout * hz;
	t->timeout[MPN_TCP_CLOSED] = p->closed_timeout * hz;
	t->unconfirmed_timeout = p->unconfirmed_timeout * hz;
	t->min_timeout = t->unconfirmed_timeout;
	for (i = MPN_TCP_SYN_SENT; i < MPN_TCP_STATE_MAX; i++)
		t->min_timeout = RTE_MIN(t->min_timeout, t->timeout[i]);

	t->e = rte_zmalloc_socket("mpn_flow_entries", (size_t)t->cap * sizeof(*t->e),
		RTE_CACHE_LINE_SIZE, socket);
	if (t->e == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}
	/*
	 * Extendable buckets: an insert fails only when `capacity` keys are
	 * present, never earlier because of a cuckoo-path collision, and the
	 * buckets are allocated here, once. A single writer (the owning
	 * worker), so a delete frees its slot at once. The hash function is
	 * the one the callers use to precompute every key's hash.
	 */
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = t->cap;
	hp.key_len = sizeof(struct mpn_flow_key);
	hp.hash_func = rte_hash_crc;
	hp.hash_func_init_val = 0;
	hp.socket_id = socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL)
		goto fail;
	return t;
fail:
	err = rte_errno;
	rte_free(t->e);
	rte_free(t);
	rte_errno = err;
	return NULL;
}

void
mpn_flow_table_free(struct mpn_flow_table *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		if (t->e[i].f & MPN_SF_IN_USE)
			mpn_flow_remove(t, &t->e[i], MPN_FLOW_CLOSE_CLEARED);
	rte_hash_free(t->h);
	rte_free(t->e);
	rte_free(t);
}

void
mpn_flow_table_on_remove(struct mpn_flow_table *t, mpn_flow_remove_fn fn, void *arg)
{
	t->on_remove = fn;
	t->on_remove_arg = arg;
}

const struct mpn_flow_params *
mpn_flow_table_params(const struct mpn_flow_table *t)
{
	return &t->p;
}

bool
mpn_flow_expired(const struct mpn_flow_table *t, const struct mpn_subflow *sf, uint64_t now)
{
	uint64_t to;

	/* The common case, every packet: idle for less than the shortest timeout. */
	if (now <= sf->last_seen || now - sf->last_seen <= t->min_timeout)
		return false;
	to = t->timeout[sf->state < MPN_TCP_STATE_MAX ? sf->state : MPN_TCP_CLOSED];

	if (sf->f & MPN_SF_UNCONFIRMED)
		to = RTE_MIN(to, t->unconfirmed_timeout);
	/* A fast-closed connection takes all its subflows down (RFC 8684 §3.5). */
	if (sf->conn != NULL && mpn_conn_is_closed(sf->conn))
		to = RTE_MIN(to, t->timeout[MPN_TCP_CLOSED]);
	return now > sf->last_seen && now - sf->last_seen > to;
}

void
mpn_flow_fold(struct mpn_subflow *sf)
{
	uint64_t pkts = sf->pkts[0] + sf->pkts[1], bytes = sf->bytes[0] + sf->bytes[1];

	if (sf->conn == NULL)
		return;
	mpn_conn_slot_add(sf->conn, sf->conn_slot, sf->slot_gen, pkts - sf->folded_pkts,
		bytes - sf->folded_bytes, sf->drops - sf->folded_drops);
	sf->folded_pkts = pkts;
	sf->folded_bytes = bytes;
	sf->folded_drops = sf->drops;
}

void
mpn_flow_remove(struct mpn_flow_table *t, struct mpn_subflow *sf, uint8_t why)
{
	const struct mpn_flow_key *key;

	if (!(sf->f & MPN_SF_IN_USE))
		return;
	key = mpn_flow_entry_key(t, sf);
	/* A reason found earlier (FIN, RST, fast-close) says more than how it finally left. */
	if (sf->close_why == MPN_FLOW_CLOSE_NONE)
		sf->close_why = why;
	if (t->on_remove != NULL && key != NULL)
		t->on_remove(t->on_remove_arg, key, sf, sf->close_why);
	if (sf->conn != NULL) {
		mpn_flow_fold(sf);
		if (mpn_conn_subflow_release(t->ct, sf->conn, sf->conn_slot, sf->slot_gen))
			t->stats->conns_freed++;
		sf->conn = NULL;
		sf->conn_slot = -1;
	}
	list_del(t, sf);
	if (key != NULL)
		rte_hash_del_key_with_hash(t->h, key, sf->hash);
	/* Keys learned before publication are secrets (RFC 7430 §3). */
	explicit_bzero(&sf->key_a, sizeof(sf->key_a));
	explicit_bzero(&sf->key_b, sizeof(sf->key_b));
	sf->f = 0;
	sf->state = MPN_TCP_NONE;
	t->count--;
	t->stats->subflows_removed++;
}

void
mpn_flow_lookup_bulk(struct mpn_flow_table *t, const struct mpn_flow_key *const *keys,
	const uint32_t *hash, unsigned int n, int32_t *pos)
{
	unsigned int i;

	if (n == 0)
		return;
	if (rte_hash_lookup_with_hash_bulk(t->h, (const void **)keys, (hash_sig_t *)hash, n,
			pos) != 0) {
		for (i = 0; i < n; i++)
			pos[i] = -1;
		return;
	}
	/* Every line of every entry found: all of them are read. */
	for (i = 0; i < n; i++) {
		if (pos[i] >= 0) {
			const uint8_t *e = (const uint8_t *)&t->e[pos[i]];

			rte_prefetch0(e);
			rte_prefetch0(e + RTE_CACHE_LINE_SIZE);
			rte_prefetch0(e + 2 * RTE_CACHE_LINE_SIZE);
		}
	}
	/*
	 * Second stage: the entries' loads were all issued above, so reading
	 * their connection pointers now waits about one miss for the whole
	 * burst; the connection records then load while the first packets
	 * are processed. The first line of a record holds its identity and
	 * state, the second its counters and flags.
	 */
	for (i = 0; i < n; i++) {
		if (pos[i] >= 0 && t->e[pos[i]].conn != NULL) {
			const struct mpn_conn *c = t->e[pos[i]].conn;

			rte_prefetch0(c);
			rte_prefetch0((const uint8_t *)c + RTE_CACHE_LINE_SIZE);
		}
	}
}

int32_t
mpn_flow_lookup_one(struct mpn_flow_table *t, const struct mpn_flow_key *key, uint32_t hash)
{
	int32_t pos = rte_hash_lookup_with_hash(t->h, key, hash);

	return pos < 0 ? -1 : pos;
}

const struct mpn_flow_key *
mpn_flow_entry_key(const struct mpn_flow_table *t, const struct mpn_subflow *sf)
{
	void *key;

	if (rte_hash_get_key_with_position(t->h, (int32_t)pos_of(t, sf), &key) != 0)
		return NULL;
	return key;
}

/* What evict_one() would take: the head of the first non-empty list. */
static int
evictable_list(const struct mpn_flow_table *t)
{
	int l;

	for (l = 0; l < N_LISTS; l++)
		if (t->head[l] != NIL)
			return l;
	return -1;
}

bool
mpn_flow_has_room(const struct mpn_flow_table *t)
{
	return t->count < t->cap || evictable_list(t) >= 0;
}

bool
mpn_flow_under_pressure(const struct mpn_flow_table *t)
{
	return t->count >= t->learn_limit;
}

/* Make room for one entry: closed, then unconfirmed, then the oldest embryonic. */
static bool
evict_one(struct mpn_flow_table *t)
{
	int l = evictable_list(t);

	if (l < 0)
		return false;
	mpn_flow_remove(t, &t->e[t->head[l]], MPN_FLOW_CLOSE_EVICTED);
	if (l == LIST_CLOSED)
		t->stats->evict_closed++;
	else if (l == LIST_UNCONFIRMED)
		t->stats->evict_unconfirmed++;
	else
		t->stats->evict_embryonic++;
	return true;
}

struct mpn_subflow *
mpn_flow_insert(struct mpn_flow_table *t, const struct mpn_flow_key *key, uint32_t hash,
	uint8_t state, uint64_t now)
{
	struct mpn_subflow *sf;
	int32_t pos;

	if (t->count >= t->cap && !evict_one(t)) {
		t->stats->table_full++;
		return NULL;
	}
	pos = rte_hash_add_key_with_hash(t->h, key, hash);
	if (pos < 0) {
		t->stats->table_full++;
		return NULL;
	}
	sf = &t->e[pos];
	if (sf->f & MPN_SF_IN_USE)
		return NULL;
	memset(sf, 0, sizeof(*sf));
	sf->f = MPN_SF_IN_USE;
	sf->hash = hash;
	sf->state = state;
	sf->last_seen = now;
	sf->conn_slot = -1;
	sf->prev = sf->next = NIL;
	list_add(t, sf, state_list(state, false));
	t->count++;
	t->stats->subflows_created++;
	return sf;
}

void
mpn_flow_set_state(struct mpn_flow_table *t, struct mpn_subflow *sf, uint8_t state,
	bool unconfirmed)
{
	uint8_t l = state_list(state, unconfirmed);
	bool changed = sf->state != state;

	sf->state = state;
	if (unconfirmed)
		sf->f |= MPN_SF_UNCONFIRMED;
	else
		sf->f &= (uint16_t)~MPN_SF_UNCONFIRMED;
	if (l != sf->list) {
		list_del(t, sf);
		list_add(t, sf, l);
	}
	if (changed && sf->conn != NULL)
		mpn_conn_slot_state(sf->conn, sf->conn_slot, sf->slot_gen, state, sf->join_state);
}

unsigned int
mpn_flow_sweep(struct mpn_flow_table *t, uint64_t now, unsigned int budget)
{
	unsigned int i, removed = 0;

	for (i = 0; i < budget && i < t->cap; i++) {
		struct mpn_subflow *sf = &t->e[t->cursor];

		t->cursor = t->cursor + 1 < t->cap ? t->cursor + 1 : 0;
		if (!(sf->f & MPN_SF_IN_USE))
			continue;
		if (sf->conn != NULL && mpn_conn_is_closed(sf->conn) &&
				sf->state != MPN_TCP_CLOSED) {
			sf->close_why = MPN_FLOW_CLOSE_FASTCLOSE;
			mpn_flow_set_state(t, sf, MPN_TCP_CLOSED, false);
		}
		if (mpn_flow_expired(t, sf, now)) {
			t->stats->subflows_expired++;
			mpn_flow_remove(t, sf, MPN_FLOW_CLOSE_IDLE);
			removed++;
			continue;
		}
		mpn_flow_fold(sf);
	}
	return removed;
}

uint32_t
mpn_flow_count(const struct mpn_flow_table *t)
{
	return t->count;
}

uint32_t
mpn_flow_capacity(const struct mpn_flow_table *t)
{
	return t->cap;
}

uint64_t
mpn_flow_table_memory(const struct mpn_flow_table *t)
{
	return (uint64_t)t->cap * sizeof(*t->e) + sizeof(*t);
}

void
mpn_flow_foreach(struct mpn_flow_table *t,
	int (*cb)(struct mpn_flow_table *t, struct mpn_subflow *sf, void *arg), void *arg)
{
	uint32_t i;

	for (i = 0; i < t->cap; i++)
		if ((t->e[i].f & MPN_SF_IN_USE) && cb(t, &t->e[i], arg) != 0)
			return;
}
