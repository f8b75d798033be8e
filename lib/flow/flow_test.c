/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Subflow table and token table tests: canonical keys (observation point
 * included), insert/lookup, eviction order (closed, unconfirmed,
 * embryonic), lazy expiry and the sweep; token table publication and
 * attachment from a second observation point, lookups by both tokens,
 * the subflow and pending-join limits, address slots, RCU reclamation,
 * keys cleared when a record is freed, a concurrent reader; JSON.
 *
 * The EAL runs without hugepages (--no-huge), as on a developer laptop.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_memory.h>
#include <rte_lcore.h>

#include "conn.h"
#include "flow.h"
#include "mptcp_crypto.h"

static struct mpn_pkt
mkpkt(uint8_t *frame, const uint8_t src[4], const uint8_t dst[4], uint16_t sp, uint16_t dp)
{
	struct mpn_pkt p;

	memset(&p, 0, sizeof(p));
	memcpy(frame, src, 4);
	memcpy(frame + 4, dst, 4);
	p.ip_version = 4;
	p.src_addr_off = 0;
	p.dst_addr_off = 4;
	p.sport = sp;
	p.dport = dp;
	return p;
}

static void
test_key_canonical(void **state)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	struct mpn_flow_key k1, k2;
	uint8_t f1[8], f2[8];
	struct mpn_pkt p1, p2;
	bool lo1, lo2;

	(void)state;
	p1 = mkpkt(f1, a, b, 40000, 80);
	p2 = mkpkt(f2, b, a, 80, 40000);
	lo1 = mpn_flow_key_from_pkt(f1, &p1, 0, &k1);
	lo2 = mpn_flow_key_from_pkt(f2, &p2, 0, &k2);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(mpn_flow_key_hash(&k1), mpn_flow_key_hash(&k2));
	assert_true(lo1);
	assert_false(lo2);
	/*
	 * The same subflow seen on another link, or another VLAN of the same
	 * link, is another observation: another key (issue: one box carrying
	 * several hops of a routed chain must not compare their TTLs).
	 */
	lo2 = mpn_flow_key_from_pkt(f2, &p2, 1, &k2);
	assert_memory_not_equal(&k1, &k2, sizeof(k1));
	p2.vlan_depth = 1;
	p2.vlan_tci[0] = 0x2000 | 10; /* priority bits are not part of the key */
	mpn_flow_key_from_pkt(f2, &p2, 0, &k2);
	assert_int_equal(k2.vlan[0], 10);
	assert_memory_not_equal(&k1, &k2, sizeof(k1));
	/* Same address both ways: the ports order the endpoints. */
	p1 = mkpkt(f1, a, a, 5, 6);
	p2 = mkpkt(f2, a, a, 6, 5);
	lo1 = mpn_flow_key_from_pkt(f1, &p1, 0, &k1);
	lo2 = mpn_flow_key_from_pkt(f2, &p2, 0, &k2);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_true(lo1 != lo2);
}

static void
key_n(struct mpn_flow_key *k, uint32_t n)
{
	memset(k, 0, sizeof(*k));
	k->family = 4;
	k->proto = 6;
	k->addr_lo[0] = 10;
	memcpy(k->addr_lo + 1, &n, 3);
	k->addr_hi[0] = 192;
	k->port_lo = 1000;
	k->port_hi = 80;
}

/* Lookup with lazy expiry, as the pipeline's lookup and resolve stages do it. */
static struct mpn_subflow *
lookup(struct mpn_flow_table *t, const struct mpn_flow_key *k, uint64_t now,
	struct mpn_track_stats *st)
{
	int32_t pos = mpn_flow_lookup_one(t, k, mpn_flow_key_hash(k));
	struct mpn_subflow *sf;

	if (pos < 0)
		return NULL;
	sf = mpn_flow_entry(t, pos);
	if (mpn_flow_expired(t, sf, now)) {
		st->subflows_expired++;
		mpn_flow_remove(t, sf, MPN_FLOW_CLOSE_IDLE);
		return NULL;
	}
	return sf;
}

static struct mpn_subflow *
insert(struct mpn_flow_table *t, const struct mpn_flow_key *k, uint8_t state, uint64_t now)
{
	return mpn_flow_insert(t, k, mpn_flow_key_hash(k), state, now);
}

static void
test_insert_evict(void **state)
{
	struct mpn_track_stats st;
	struct mpn_flow_params p;
	struct mpn_flow_table *t;
	struct mpn_flow_key k;
	struct mpn_subflow *sf;
	uint32_t i;

	(void)state;
	memset(&st, 0, sizeof(st));
	mpn_flow_params_default(&p);
	p.capacity = 16;
	t = mpn_flow_table_create("ft_evict", &p, NULL, &st, SOCKET_ID_ANY);
	assert_non_null(t);
	/* 8 established, 4 embryonic, 4 closed. */
	for (i = 0; i < 16; i++) {
		key_n(&k, i);
		sf = insert(t, &k, i < 8 ? MPN_TCP_ESTABLISHED :
			(i < 12 ? MPN_TCP_SYN_SENT : MPN_TCP_CLOSED), 100 + i);
		assert_non_null(sf);
	}
	assert_int_equal(mpn_flow_count(t), 16);
	/* A duplicate insert is refused. */
	key_n(&k, 3);
	assert_null(insert(t, &k, MPN_TCP_SYN_SENT, 200));
	/* Full: closed entries go first (4), then embryonic oldest first (4). */
	for (i = 100; i < 108; i++) {
		key_n(&k, i);
		assert_non_null(insert(t, &k, MPN_TCP_SYN_SENT, 200));
		if (i == 103) {
			assert_int_equal(st.evict_closed, 4);
			assert_int_equal(st.evict_embryonic, 0);
			key_n(&k, 8);
			assert_non_null(lookup(t, &k, 200, &st)); /* oldest embryonic alive */
		}
		if (i == 104) {
			key_n(&k, 8);
			assert_null(lookup(t, &k, 200, &st)); /* ... now evicted */
			key_n(&k, 9);
			assert_non_null(lookup(t, &k, 200, &st));
		}
	}
	assert_int_equal(st.evict_embryonic, 4);
	/* Now the new embryonic ones are evicted, oldest (100) first. */
	key_n(&k, 500);
	assert_non_null(insert(t, &k, MPN_TCP_SYN_SENT, 201));
	key_n(&k, 100);
	assert_null(lookup(t, &k, 201, &st));
	assert_int_equal(st.evict_embryonic, 5);
	/* Make everything established: then the table is full for good. */
	for (i = 101; i < 108; i++) {
		key_n(&k, i);
		sf = lookup(t, &k, 201, &st);
		assert_non_null(sf);
		mpn_flow_set_state(t, sf, MPN_TCP_ESTABLISHED, false);
	}
	key_n(&k, 500);
	mpn_flow_set_state(t, lookup(t, &k, 201, &st), MPN_TCP_ESTABLISHED, false);
	key_n(&k, 600);
	assert_null(insert(t, &k, MPN_TCP_SYN_SENT, 202));
	assert_int_equal(st.table_full, 1);
	for (i = 0; i < 8; i++) {
		key_n(&k, i);
		assert_non_null(lookup(t, &k, 202, &st));
	}
	assert_int_equal(mpn_flow_count(t), 16);
	mpn_flow_table_free(t);
}

/*
 * Entries learned mid-stream and seen one way only go before embryonic
 * ones, with a short timeout: a flood of spoofed ACKs can never push out
 * a handshake in progress, let alone a confirmed connection.
 */
static void
test_unconfirmed(void **state)
{
	struct mpn_track_stats st;
	struct mpn_flow_params p;
	struct mpn_flow_table *t;
	struct mpn_flow_key k;
	struct mpn_subflow *sf;
	uint32_t i;

	(void)state;
	memset(&st, 0, sizeof(st));
	mpn_flow_params_default(&p);
	p.capacity = 16;
	p.hz = 1;
	p.unconfirmed_timeout = 5;
	p.learn_limit_pct = 75;
	t = mpn_flow_table_create("ft_unconf", &p, NULL, &st, SOCKET_ID_ANY);
	assert_non_null(t);
	for (i = 0; i < 8; i++) {
		key_n(&k, i);
		assert_non_null(insert(t, &k, MPN_TCP_SYN_SENT, 0));
	}
	for (i = 8; i < 16; i++) {
		key_n(&k, i);
		sf = insert(t, &k, MPN_TCP_ESTABLISHED, 0);
		assert_non_null(sf);
		mpn_flow_set_state(t, sf, MPN_TCP_ESTABLISHED, true);
	}
	assert_true(mpn_flow_under_pressure(t));
	assert_true(mpn_flow_has_room(t));
	/* Full: the eight unconfirmed go first, oldest first; no embryonic one. */
	for (i = 100; i < 108; i++) {
		key_n(&k, i);
		assert_non_null(insert(t, &k, MPN_TCP_SYN_SENT, 1));
	}
	assert_int_equal(st.evict_unconfirmed, 8);
	assert_int_equal(st.evict_embryonic, 0);
	key_n(&k, 0);
	assert_non_null(lookup(t, &k, 1, &st));
	/* Confirmed: an ordinary established entry, kept 3600 s, never evicted. */
	key_n(&k, 200);
	sf = lookup(t, &k, 1, &st);
	assert_null(sf);
	mpn_flow_table_free(t);

	/* The short timeout of an unconfirmed entry. */
	memset(&st, 0, sizeof(st));
	t = mpn_flow_table_create("ft_unconf2", &p, NULL, &st, SOCKET_ID_ANY);
	assert_non_null(t);
	key_n(&k, 1);
	sf = insert(t, &k, MPN_TCP_ESTABLISHED, 0);
	mpn_flow_set_state(t, sf, MPN_TCP_ESTABLISHED, true);
	key_n(&k, 2);
	sf = insert(t, &k, MPN_TCP_ESTABLISHED, 0);
	mpn_flow_set_state(t, sf, MPN_TCP_ESTABLISHED, false);
	key_n(&k, 1);
	assert_null(lookup(t, &k, 6, &st));
	key_n(&k, 2);
	assert_non_null(lookup(t, &k, 6, &st));
	mpn_flow_table_free(t);
}

static void
test_expiry_sweep(void **state)
{
	struct mpn_track_stats st;
	struct mpn_flow_params p;
	struct mpn_flow_table *t;
	struct mpn_flow_key k;
	unsigned int removed = 0, calls = 0;
	uint32_t i;

	(void)state;
	memset(&st, 0, sizeof(st));
	mpn_flow_params_default(&p);
	p.capacity = 1024;
	p.hz = 1;
	t = mpn_flow_table_create("ft_sweep", &p, NULL, &st, SOCKET_ID_ANY);
	assert_non_null(t);
	for (i = 0; i < 100; i++) {
		key_n(&k, i);
		assert_non_null(insert(t, &k, i % 2 ? MPN_TCP_SYN_SENT :
			MPN_TCP_ESTABLISHED, 0));
	}
	/* Lazy: an embryonic entry is gone after 30 s, an established one is not. */
	key_n(&k, 1);
	assert_non_null(lookup(t, &k, 30, &st));
	assert_null(lookup(t, &k, 31, &st));
	key_n(&k, 0);
	assert_non_null(lookup(t, &k, 31, &st));
	assert_int_equal(st.subflows_expired, 1);
	/* The sweep visits a bounded number per call and finds the rest. */
	while (calls < 1024 / 64 + 1) {
		removed += mpn_flow_sweep(t, 31, 64);
		calls++;
	}
	assert_int_equal(removed, 49);
	assert_int_equal(mpn_flow_count(t), 50);
	/* Idle timeout: one hour. */
	for (calls = 0; calls < 1024 / 64; calls++)
		mpn_flow_sweep(t, 3601, 64);
	assert_int_equal(mpn_flow_count(t), 0);
	mpn_flow_table_free(t);
}

static struct mpn_conn *
mkconn(struct mpn_conn_table *ct, uint64_t ka, uint64_t kb, int *err)
{
	static const uint8_t a[4] = { 10, 0, 1, 1 }, b[4] = { 10, 0, 1, 2 };
	struct mpn_conn_init in;

	memset(&in, 0, sizeof(in));
	in.version = 1;
	in.flags_a = in.flags_b = 0x81;
	in.key_a = ka;
	in.key_b = kb;
	in.family = 4;
	in.src = a;
	in.dst = b;
	in.sport = 55226;
	in.dport = 5000;
	in.tcp_state = MPN_TCP_ESTABLISHED;
	{
		int slot;
		uint16_t gen;
		struct mpn_conn *c = mpn_conn_publish(ct, &in, &slot, &gen, err);

		assert_true(c == NULL || slot == 0);
		return c;
	}
}

static int
claim(struct mpn_conn *c, unsigned int active, bool pending, const uint8_t *src,
	const uint8_t *dst, uint16_t sport, uint16_t dport, uint64_t now, uint16_t *gen)
{
	struct mpn_conn_limits lim = { .active = active, .pending = 4 };

	return mpn_conn_join_claim(c, &lim, pending, true, 4, src, dst, sport, dport, now, gen);
}

static void
test_conn_table(void **state)
{
	static const uint8_t a2[4] = { 10, 0, 2, 1 }, b2[4] = { 10, 0, 2, 2 };
	static const uint8_t ip[4] = { 10, 0, 2, 2 };
	struct mpn_conn_table *ct;
	struct mpn_conn *c, *c2;
	char *buf = NULL;
	size_t len = 0;
	struct mpn_json j;
	FILE *f;
	int err, slot, i, slots[8];
	uint16_t gens[8], gens_1;

	(void)state;
	ct = mpn_conn_table_create("ct_basic", 64, 2, SOCKET_ID_ANY);
	assert_non_null(ct);
	assert_int_equal(mpn_conn_table_register(ct, 0), 0);
	/* linux/capture-mid.pcap keys (GROUND_TRUTH.md). */
	c = mkconn(ct, 0xd1ead00377b55779ULL, 0xac88245795309269ULL, &err);
	assert_non_null(c);
	assert_int_equal(c->token_a, 0x4951d561);
	assert_int_equal(c->token_b, 0xdde61a3e);
	assert_ptr_equal(mpn_conn_lookup(ct, 0x4951d561), c);
	assert_ptr_equal(mpn_conn_lookup(ct, 0xdde61a3e), c);
	assert_null(mpn_conn_lookup(ct, 0x12345678));
	assert_int_equal(mpn_conn_table_count(ct), 1);
	/*
	 * The same handshake seen at another observation point: the same
	 * record, and the same slot for the same 4-tuple (err 1: attached).
	 */
	assert_ptr_equal(mkconn(ct, 0xd1ead00377b55779ULL, 0xac88245795309269ULL, &err), c);
	assert_int_equal(err, 1);
	assert_int_equal(mpn_conn_table_count(ct), 1);
	assert_false(mpn_conn_subflow_release(ct, c, 0, c->sf[0].gen));
	/* Other keys whose tokens are both taken: a collision. */
	{
		struct mpn_conn_init in;
		uint16_t g;
		int sl;

		memset(&in, 0, sizeof(in));
		in.version = 1;
		in.key_a = 1;
		in.key_b = 2;
		in.have_tokens = true;
		in.token_a = 0x4951d561;
		in.token_b = 0xdde61a3e;
		in.family = 4;
		in.src = a2;
		in.dst = b2;
		assert_null(mpn_conn_publish(ct, &in, &sl, &g, &err));
		assert_int_equal(err, -EEXIST);
	}

	/* Subflow limit 3 (initial included): two joins admitted unverified. */
	slot = claim(c, 3, false, a2, b2, 35387, 5000, 1, &gens[1]);
	assert_int_equal(slot, 1);
	gens_1 = gens[1];
	assert_int_equal(claim(c, 3, false, a2, b2, 35388, 5000, 2, &gens[2]), 2);
	assert_int_equal(claim(c, 3, false, a2, b2, 35389, 5000, 3, &gens[3]), -ENOSPC);
	assert_int_equal(mpn_conn_join_admissible(c, &(struct mpn_conn_limits){ 3, 4 }),
		-ENOSPC);
	/* The same 4-tuple again (another observation point): shares the slot. */
	assert_int_equal(claim(c, 3, false, b2, a2, 5000, 35388, 4, &gens[4]), 2);
	assert_int_equal(gens[4], gens[2]);
	/*
	 * Pending joins do not count towards the limit (4 here, 3 active):
	 * at most 4 pending at once, and the oldest makes way for the newest.
	 */
	for (i = 0; i < 6; i++) {
		slots[i] = claim(c, 4, true, a2, b2, (uint16_t)(40000 + i), 5000,
			(uint64_t)(10 + i), &gens[i]);
		assert_true(slots[i] >= 3);
	}
	assert_int_equal(c->joins_evicted, 2);
	assert_false(mpn_conn_slot_current(c, slots[0], gens[0]));
	assert_false(mpn_conn_slot_current(c, slots[1], gens[1]));
	assert_true(mpn_conn_slot_current(c, slots[5], gens[5]));
	/* Verified, but the connection is at its limit: refused, the slot stays pending. */
	assert_int_equal(mpn_conn_join_promote(c, slots[5], gens[5],
		&(struct mpn_conn_limits){ 3, 4 }), -ENOSPC);
	assert_int_equal(mpn_conn_join_promote(c, slots[5], gens[5],
		&(struct mpn_conn_limits){ 4, 4 }), 0);
	assert_int_equal(mpn_conn_join_promote(c, slots[0], gens[0],
		&(struct mpn_conn_limits){ 4, 4 }), -ESTALE);
	/* The evicted ones release only their record reference. */
	for (i = 0; i < 6; i++)
		assert_false(mpn_conn_subflow_release(ct, c, slots[i], gens[i]));
	/* Slot 2 is shared by two observations: the first release keeps it. */
	assert_false(mpn_conn_subflow_release(ct, c, 2, gens[2]));
	assert_true(mpn_conn_slot_current(c, 2, gens[2]));
	assert_false(mpn_conn_subflow_release(ct, c, 2, gens[2]));
	assert_false(mpn_conn_slot_current(c, 2, gens[2]));

	/* Addresses: add, replace by id, remove. */
	assert_int_equal(mpn_conn_addr_add(c, 1, 1, 4, ip, false, 0, MPN_ADDR_HMAC_OK), 0);
	assert_int_equal(mpn_conn_addr_add(c, 1, 1, 4, ip, true, 5000, MPN_ADDR_HMAC_OK), 0);
	assert_int_equal(mpn_conn_addr_add(c, 0, 1, 4, ip, false, 0, MPN_ADDR_HMAC_NONE), 0);
	assert_int_equal(mpn_conn_addr_remove(c, 0, 1), 1);
	assert_int_equal(mpn_conn_addr_remove(c, 0, 1), 0);

	/* JSON: tokens and keys as hex, subflows in creation order. */
	f = open_memstream(&buf, &len);
	mpn_json_init(&j, f);
	mpn_json_array_begin(&j, NULL);
	mpn_conn_json(c, &j, NULL, NULL);
	mpn_conn_json(c, &j, NULL, &(struct mpn_conn_json_opts){ .show_keys = true });
	mpn_json_array_end(&j);
	mpn_json_end(&j);
	fclose(f);
	assert_non_null(strstr(buf, "\"token_a\": \"0x4951d561\""));
	assert_non_null(strstr(buf, "\"token_b\": \"0xdde61a3e\""));
	/* Keys only when asked: once, in the second rendering. */
	assert_non_null(strstr(buf, "\"key_a\": \"0xd1ead00377b55779\""));
	assert_null(strstr(strstr(buf, "\"key_a\"") + 1, "\"key_a\""));
	assert_true(strstr(buf, "\"key_a\"") > strstr(strstr(buf, "\"token_a\"") + 1,
		"\"token_a\""));
	assert_non_null(strstr(buf, "\"key_b\": \"0xac88245795309269\""));
	/* IDSNs beyond 2^53 as hex strings (GROUND_TRUTH.md, capture-mid). */
	assert_non_null(strstr(buf, "\"idsn_a\": \"0x"));
	assert_non_null(strstr(buf, "\"tuple\": \"10.0.1.1:55226 > 10.0.1.2:5000\""));
	assert_non_null(strstr(buf, "\"tuple\": \"10.0.2.1:35387 > 10.0.2.2:5000\""));
	assert_true(strstr(buf, "55226") < strstr(buf, "35387"));
	assert_non_null(strstr(buf, "\"port\": 5000"));
	free(buf);

	/* Creation order in foreach. */
	c2 = mkconn(ct, 0x9c9eabd1e46a33b2ULL, 0x967d2770b6960552ULL, &err);
	assert_non_null(c2);
	assert_int_equal(mpn_conn_table_count(ct), 2);

	/* Last reference: both tokens go at once; the record after a grace period. */
	assert_false(mpn_conn_subflow_release(ct, c, 1, gens_1));
	assert_true(mpn_conn_subflow_release(ct, c, 0, c->sf[0].gen));
	assert_null(mpn_conn_lookup(ct, 0x4951d561));
	assert_null(mpn_conn_lookup(ct, 0xdde61a3e));
	assert_int_equal(mpn_conn_table_count(ct), 1);
	assert_int_equal(mpn_conn_table_pool_free(ct), 64 - 2);
	/* A dying connection takes no more subflows. */
	assert_int_equal(claim(c, 0, false, a2, b2, 1, 2, 0, &gens[0]), -ENOENT);
	/* Quiescent, then any hash write reclaims the deferred entries, keys cleared. */
	mpn_conn_table_quiescent(ct, 0);
	assert_true(mpn_conn_subflow_release(ct, c2, 0, c2->sf[0].gen));
	mpn_conn_table_quiescent(ct, 0);
	c = mkconn(ct, 1, 2, &err);
	assert_non_null(c);
	assert_true(mpn_conn_subflow_release(ct, c, 0, c->sf[0].gen));
	mpn_conn_table_quiescent(ct, 0);
	c = mkconn(ct, 3, 4, &err);
	/* RFC 7430 §3: a freed record keeps no key (c2 went back to the pool). */
	assert_int_equal(c2->key_a, 0);
	assert_int_equal(c2->key_b, 0);
	assert_non_null(c);
	assert_true(mpn_conn_table_pool_free(ct) >= 64 - 2);
	mpn_conn_table_unregister(ct, 0);
	mpn_conn_table_free(ct);
}

static void
count_cb(const struct mpn_conn *c, void *arg)
{
	uint64_t *last = arg;

	assert_true(c->serial + 1 > last[0]);
	last[0] = c->serial + 1;
	last[1]++;
}

static void
test_conn_pool_and_order(void **state)
{
	struct mpn_conn_table *ct;
	struct mpn_conn *cs[16];
	uint64_t acc[2] = { 0, 0 };
	int err;
	unsigned int i;

	(void)state;
	ct = mpn_conn_table_create("ct_pool", 16, 1, SOCKET_ID_ANY);
	assert_non_null(ct);
	assert_int_equal(mpn_conn_table_register(ct, 0), 0);
	for (i = 0; i < 16; i++) {
		cs[i] = mkconn(ct, 1000 + i, 2000 + i, &err);
		assert_non_null(cs[i]);
	}
	/* The pool is fixed: the 17th connection is refused. */
	assert_null(mkconn(ct, 5000, 6000, &err));
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(mpn_conn_table_foreach(ct, count_cb, acc), 16);
	assert_int_equal(acc[1], 16);
	/* Free some, report quiescence, and the pool refills. */
	for (i = 0; i < 8; i++)
		mpn_conn_subflow_release(ct, cs[i], 0, cs[i]->sf[0].gen);
	mpn_conn_table_quiescent(ct, 0);
	for (i = 8; i < 16; i++)
		mpn_conn_subflow_release(ct, cs[i], 0, cs[i]->sf[0].gen);
	mpn_conn_table_quiescent(ct, 0);
	for (i = 0; i < 8; i++)
		assert_non_null(mkconn(ct, 7000 + i, 8000 + i, &err));
	mpn_conn_table_unregister(ct, 0);
	mpn_conn_table_free(ct);
}

/* A reader thread looks up tokens while the main thread creates and deletes. */
struct reader_arg {
	struct mpn_conn_table *ct;
	volatile int stop;
	uint64_t found, bad;
};

static void *
reader(void *p)
{
	struct reader_arg *r = p;
	uint32_t i = 0;

	mpn_conn_table_register(r->ct, 1);
	while (!r->stop) {
		struct mpn_conn *c;
		uint32_t tok;

		mpn_mptcp_key_token(1, 1 + (i++ % 64), &tok, NULL);
		c = mpn_conn_lookup(r->ct, tok);
		if (c != NULL) {
			/* A published record is complete: its token is one of its own. */
			if (c->token_a != tok && c->token_b != tok)
				r->bad++;
			r->found++;
		}
		mpn_conn_table_quiescent(r->ct, 1);
	}
	mpn_conn_table_unregister(r->ct, 1);
	return NULL;
}

static void
test_conn_concurrent_reader(void **state)
{
	struct reader_arg r;
	struct mpn_conn *c[64];
	pthread_t th;
	unsigned int round, i;
	int err;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.ct = mpn_conn_table_create("ct_conc", 256, 2, SOCKET_ID_ANY);
	assert_non_null(r.ct);
	assert_int_equal(mpn_conn_table_register(r.ct, 0), 0);
	assert_int_equal(pthread_create(&th, NULL, reader, &r), 0);
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 64; i += 2)
			c[i] = mkconn(r.ct, 1 + i, 1 + i + 1, &err);
		mpn_conn_table_quiescent(r.ct, 0);
		for (i = 0; i < 64; i += 2)
			if (c[i] != NULL)
				mpn_conn_subflow_release(r.ct, c[i], 0, c[i]->sf[0].gen);
		mpn_conn_table_quiescent(r.ct, 0);
	}
	r.stop = 1;
	pthread_join(th, NULL);
	assert_int_equal(r.bad, 0);
	mpn_conn_table_unregister(r.ct, 0);
	mpn_conn_table_free(r.ct);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_canonical),
		cmocka_unit_test(test_insert_evict),
		cmocka_unit_test(test_unconfirmed),
		cmocka_unit_test(test_expiry_sweep),
		cmocka_unit_test(test_conn_table),
		cmocka_unit_test(test_conn_pool_and_order),
		cmocka_unit_test(test_conn_concurrent_reader),
	};
	int rc;

	(void)argc;
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
