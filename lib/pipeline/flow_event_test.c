/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow events the tracker emits (flow_event.h), as flow export and
 * syslog read them: a create carries the MP_CAPABLE flags and the creation
 * time, a join's create its MP_JOIN address ID, a teardown the time its
 * entry was created (flowStartMilliseconds), and a denied MP_JOIN SYN the
 * token it named.
 */
#include <stdlib.h>

#include <rte_eal.h>

/* The shared test library has builders this test does not need. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "track_testlib.h"

static const uint64_t KA = 0x0102030405060708ULL, KB = 0x1112131415161718ULL;

#define MAX_EVENTS 32

struct seen {
	struct mpn_flow_event ev[MAX_EVENTS];
	unsigned int n;
};

static void
collect(void *arg, const struct mpn_flow_event *ev)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_EVENTS);
	s->ev[s->n++] = *ev;
}

static uint32_t
token_of(uint64_t key)
{
	uint32_t t;

	mpn_mptcp_key_token(1, key, &t, NULL);
	return t;
}

/* The last event of @p type, or NULL. */
static const struct mpn_flow_event *
last_of(const struct seen *s, uint8_t type)
{
	unsigned int i;

	for (i = s->n; i-- > 0;)
		if (s->ev[i].type == type)
			return &s->ev[i];
	return NULL;
}

static void
test_create_join_teardown(void **state)
{
	struct mpn_norm_result res;
	const struct mpn_flow_event *ev;
	struct tconn k, j;
	struct seen s = { .n = 0 };
	uint8_t o[12];
	uint64_t t0;
	struct env e;

	(void)state;
	env_open(&e, 1024, MPN_FLOW_MIDSTREAM_LEARN);
	mpn_tracker_on_event(e.t, collect, &s);
	/* The tracker's clock is in microseconds (mpn_flow_params_default()). */
	t0 = e.now;
	tconn_init(&k, 1, 40050, 5000);
	mptcp_handshake(&e, &k, KA, KB);
	ev = last_of(&s, MPN_FLOW_EV_CREATE);
	assert_non_null(ev);
	assert_int_equal(ev->role, MPN_ROLE_INITIAL);
	assert_int_equal(ev->mpc_flags, 0x81);   /* the SYN's: checksum (A) and HMAC-SHA256 (H) */
	assert_int_equal(ev->start, t0);

	/* A join, 5 s later, from address ID 1 (join_syn()'s). */
	e.now += 5000000;
	tconn_init(&j, 2, 40051, 5000);
	s.n = 0;
	assert_int_equal(join(&e, &j, 1, token_of(KB), KA, KB, false, false), 7);
	ev = last_of(&s, MPN_FLOW_EV_CREATE);
	assert_non_null(ev);
	assert_int_equal(ev->role, MPN_ROLE_JOIN);
	assert_int_equal(ev->addr_id, 1);
	assert_int_equal(ev->start, t0 + 5000000);

	/* Torn down 60 s on: the teardown says when each flow began. */
	e.now += 60000000;
	s.n = 0;
	mpn_tracker_clear(e.t, NULL, NULL);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0].type, MPN_FLOW_EV_TEARDOWN);
	assert_int_equal(s.ev[1].type, MPN_FLOW_EV_TEARDOWN);
	assert_int_equal(s.ev[0].start + s.ev[1].start, t0 + t0 + 5000000);
	assert_true(s.ev[0].now >= s.ev[0].start && s.ev[1].now >= s.ev[1].start);

	/* A join SYN to a token nobody has is denied, and the event names the token. */
	s.n = 0;
	tconn_init(&j, 3, 40052, 5000);
	join_syn(o, 0xdeadbeef, 0x01020304);
	assert_false(xmit(&e, &j, true, TH_SYN, j.cseq, 0, 65535, o, 12, 0, &res));
	assert_int_equal(res.drop_reason, MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN);
	ev = last_of(&s, MPN_FLOW_EV_DENY);
	assert_non_null(ev);
	assert_int_equal(ev->token, 0xdeadbeef);
	assert_int_equal(ev->start, 0);
	env_close(&e);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level", "lib.eal:warning" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_join_teardown),
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
