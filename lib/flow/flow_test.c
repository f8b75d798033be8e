/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Subflow table and token table tests: canonical keys, insert/lookup,
 * eviction order, lazy expiry and the sweep; token table publication,
 * lookups by both tokens, the subflow limit, address slots, RCU
 * reclamation and a concurrent reader; JSON rendering.
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
	lo1 = mpn_flow_key_from_pkt(f1, &p1, &k1);
	lo2 = mpn_flow_key_from_pkt(f2, &p2, &k2);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_true(lo1);
	assert_false(lo2);
	/* Same address both ways: the ports order the endpoints. */
	p1 = mkpkt(f1, a, a, 5, 6);
	p2 = mkpkt(f2, a, a, 6, 5);
	lo1 = mpn_flow_key_from_pkt(f1, &p1, &k1);
	lo2 = mpn_flow_key_from_pkt(f2, &p2, &k2);
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
		sf = mpn_flow_insert(t, &k, i < 8 ? MPN_TCP_ESTABLISHED :
			(i < 12 ? MPN_TCP_SYN_SENT : MPN_TCP_CLOSED), 100 + i);
		assert_non_null(sf);
	}
	assert_int_equal(mpn_flow_count(t), 16);
	/* A duplicate insert is refused. */
	key_n(&k, 3);
	assert_null(mpn_flow_insert(t, &k, MPN_TCP_SYN_SENT, 200));
	/* Full: closed entries go first (4), then embryonic oldest first (4). */
	for (i = 100; i < 108; i++) {
		key_n(&k, i);
		assert_non_null(mpn_flow_insert(t, &k, MPN_TCP_SYN_SENT, 200));
		if (i == 103) {
			assert_int_equal(st.evict_closed, 4);
			assert_int_equal(st.evict_embryonic, 0);
			key_n(&k, 8);
			assert_non_null(mpn_flow_lookup(t, &k, 200)); /* oldest embryonic alive */
		}
		if (i == 104) {
			key_n(&k, 8);
			assert_null(mpn_flow_lookup(t, &k, 200)); /* ... now evicted */
			key_n(&k, 9);
			assert_non_null(mpn_flow_lookup(t, &k, 200));
		}
	}
	assert_int_equal(st.evict_embryonic, 4);
	/* Now the new embryonic ones are evicted, oldest (100) first. */
	key_n(&k, 500);
	assert_non_null(mpn_flow_insert(t, &k, MPN_TCP_SYN_SENT, 201));
	key_n(&k, 100);
	assert_null(mpn_flow_lookup(t, &k, 201));
	assert_int_equal(st.evict_embryonic, 5);
	/* Make everything established: then the table is full for good. */
	for (i = 101; i < 108; i++) {
		key_n(&k, i);
		sf = mpn_flow_lookup(t, &k, 201);
		assert_non_null(sf);
		mpn_flow_set_state(t, sf, MPN_TCP_ESTABLISHED);
	}
	key_n(&k, 500);
	mpn_flow_set_state(t, mpn_flow_lookup(t, &k, 201), MPN_TCP_ESTABLISHED);
	key_n(&k, 600);
	assert_null(mpn_flow_insert(t, &k, MPN_TCP_SYN_SENT, 202));
	assert_int_equal(st.table_full, 1);
	for (i = 0; i < 8; i++) {
		key_n(&k, i);
		assert_non_null(mpn_flow_lookup(t, &k, 202));
	}
	assert_int_equal(mpn_flow_count(t), 16);
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
		assert_non_null(mpn_flow_insert(t, &k, i % 2 ? MPN_TCP_SYN_SENT :
			MPN_TCP_ESTABLISHED, 0));
	}
	/* Lazy: an embryonic entry is gone after 30 s, an established one is not. */
	key_n(&k, 1);
	assert_non_null(mpn_flow_lookup(t, &k, 30));
	assert_null(mpn_flow_lookup(t, &k, 31));
	key_n(&k, 0);
	assert_non_null(mpn_flow_lookup(t, &k, 31));
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
	return mpn_conn_create(ct, &in, err);
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
	/* The same keys again: both tokens are taken. */
	assert_null(mkconn(ct, 0xd1ead00377b55779ULL, 0xac88245795309269ULL, &err));
	assert_int_equal(err, -EEXIST);

	/* Subflow limit 3 (initial included), then the slot count. */
	slot = mpn_conn_subflow_claim(c, 3, MPN_ROLE_JOIN, true, 4, a2, b2, 35387, 5000,
		MPN_TCP_SYN_SENT);
	assert_int_equal(slot, 1);
	assert_int_equal(mpn_conn_subflow_claim(c, 3, MPN_ROLE_JOIN, true, 4, a2, b2, 35388, 5000,
		MPN_TCP_SYN_SENT), 2);
	assert_int_equal(mpn_conn_subflow_claim(c, 3, MPN_ROLE_JOIN, true, 4, a2, b2, 35389, 5000,
		MPN_TCP_SYN_SENT), -ENOSPC);
	for (i = 0; i < 8; i++)
		slots[i] = mpn_conn_subflow_claim(c, 0, MPN_ROLE_JOIN, true, 4, a2, b2,
			(uint16_t)(40000 + i), 5000, MPN_TCP_SYN_SENT);
	for (i = 0; i < 5; i++)
		assert_true(slots[i] >= 3);
	for (i = 5; i < 8; i++)
		assert_int_equal(slots[i], -ENOSPC);
	for (i = 0; i < 5; i++)
		assert_false(mpn_conn_subflow_release(ct, c, slots[i]));
	mpn_conn_subflow_release(ct, c, 2);

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
	mpn_conn_json(c, &j, NULL);
	mpn_json_array_end(&j);
	mpn_json_end(&j);
	fclose(f);
	assert_non_null(strstr(buf, "\"token_a\": \"0x4951d561\""));
	assert_non_null(strstr(buf, "\"token_b\": \"0xdde61a3e\""));
	assert_non_null(strstr(buf, "\"key_a\": \"0xd1ead00377b55779\""));
	assert_non_null(strstr(buf, "\"key_b\": \"0xac88245795309269\""));
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
	assert_false(mpn_conn_subflow_release(ct, c, 1));
	assert_true(mpn_conn_subflow_release(ct, c, 0));
	assert_null(mpn_conn_lookup(ct, 0x4951d561));
	assert_null(mpn_conn_lookup(ct, 0xdde61a3e));
	assert_int_equal(mpn_conn_table_count(ct), 1);
	assert_int_equal(mpn_conn_table_pool_free(ct), 64 - 2);
	/* A dying connection takes no more subflows. */
	assert_int_equal(mpn_conn_subflow_claim(c, 0, MPN_ROLE_JOIN, true, 4, a2, b2, 1, 2,
		MPN_TCP_SYN_SENT), -ENOENT);
	/* Quiescent, then any hash write reclaims the deferred entries. */
	mpn_conn_table_quiescent(ct, 0);
	assert_true(mpn_conn_subflow_release(ct, c2, 0));
	mpn_conn_table_quiescent(ct, 0);
	c = mkconn(ct, 1, 2, &err);
	assert_non_null(c);
	assert_true(mpn_conn_subflow_release(ct, c, 0));
	mpn_conn_table_quiescent(ct, 0);
	c = mkconn(ct, 3, 4, &err);
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
		mpn_conn_subflow_release(ct, cs[i], 0);
	mpn_conn_table_quiescent(ct, 0);
	for (i = 8; i < 16; i++)
		mpn_conn_subflow_release(ct, cs[i], 0);
	mpn_conn_table_quiescent(ct, 0);
	for (i = 0; i < 8; i++)
		assert_non_null(mkconn(ct, 7000 + i, 8000 + i, &err));
	mpn_conn_table_unregister(ct, 0);
	mpn_conn_table_free(ct);
}

/* A reader thread looks up tokens while the main thread creates and deletes. */
struct reader_arg {
	struct mpn_conn_table *ct;
	int stop;                  /* atomic */
	uint64_t found, bad;
};

static void *
reader(void *p)
{
	struct reader_arg *r = p;
	uint32_t i = 0;

	mpn_conn_table_register(r->ct, 1);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
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
				mpn_conn_subflow_release(r.ct, c[i], 0);
		mpn_conn_table_quiescent(r.ct, 0);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
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
