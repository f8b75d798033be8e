/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The directory's record codec: exact bytes of a record, the round trip,
 * and every kind of bad record a store can hand back, each refused with its
 * own verdict. Keys and tokens are real ones (MPTCP.md): Linux 6.18 v1
 * (capture-mid.pcap) and tcpdump's mptcp-v0.pcap.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.h"
#include "conn.h"
#include "mptcp_crypto.h"

#define V1_KEY_A 0xd1ead00377b55779ULL
#define V1_KEY_B 0xac88245795309269ULL
#define V1_TOK_A 0x4951d561U
#define V1_TOK_B 0xdde61a3eU
#define V0_KEY_A 0x9c9eabd1e46a33b2ULL
#define V0_KEY_B 0x967d2770b6960552ULL
#define V0_TOK_A 0xaf9706ebU
#define V0_TOK_B 0xe47f0142U

static const char v1_text[] = "mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 "
	"kb=ac88245795309269 fa=81 fb=01 d=allow n=mpnorm-a t=1718000000";

static struct mpn_cluster_record
v1_record(void)
{
	struct mpn_cluster_record r;

	memset(&r, 0, sizeof(r));
	r.version = 1;
	r.key_a = V1_KEY_A;
	r.key_b = V1_KEY_B;
	r.token_a = V1_TOK_A;
	r.token_b = V1_TOK_B;
	r.flags_a = 0x81;
	r.flags_b = 0x01;
	r.decision = MPN_DECISION_ALLOW;
	r.time = 1718000000;
	snprintf(r.node, sizeof(r.node), "mpnorm-a");
	return r;
}

static enum mpn_cluster_verdict
decode_str(const char *s, uint32_t token, struct mpn_cluster_record *out)
{
	return mpn_cluster_record_decode(s, strlen(s), token, out);
}

static void
test_encode_exact(void **state)
{
	struct mpn_cluster_record r = v1_record();
	char buf[MPN_CLUSTER_RECORD_MAX + 1];
	int n;

	(void)state;
	n = mpn_cluster_record_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(v1_text));
	assert_string_equal(buf, v1_text);
}

static void
test_round_trip_both_tokens(void **state)
{
	struct mpn_cluster_record want = v1_record(), got;
	char buf[MPN_CLUSTER_RECORD_MAX + 1];
	int n;

	(void)state;
	n = mpn_cluster_record_encode(&want, buf, sizeof(buf));
	assert_true(n > 0);
	/* A join may carry either token (RFC 8684 §3.2): both find the record. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(mpn_cluster_record_decode(buf, (size_t)n, V1_TOK_A, &got),
		MPN_CLUSTER_RECORD_OK);
	assert_memory_equal(&got, &want, sizeof(got));
	memset(&got, 0, sizeof(got));
	assert_int_equal(mpn_cluster_record_decode(buf, (size_t)n, V1_TOK_B, &got),
		MPN_CLUSTER_RECORD_OK);
	assert_memory_equal(&got, &want, sizeof(got));
}

static void
test_round_trip_v0_and_decisions(void **state)
{
	struct mpn_cluster_record want, got;
	char buf[MPN_CLUSTER_RECORD_MAX + 1];
	uint8_t d;
	int n;

	(void)state;
	for (d = MPN_DECISION_ALLOW; d <= MPN_DECISION_BYPASS; d++) {
		memset(&want, 0, sizeof(want));
		want.version = 0;
		want.key_a = V0_KEY_A;
		want.key_b = V0_KEY_B;
		want.token_a = V0_TOK_A;
		want.token_b = V0_TOK_B;
		want.flags_a = 0x81;
		want.flags_b = 0x81;
		want.decision = d;
		want.time = 0;
		snprintf(want.node, sizeof(want.node), "%s",
			"abcdefghijklmnopqrstuvwxyz.-_012"); /* 32: the longest */
		n = mpn_cluster_record_encode(&want, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(mpn_cluster_record_decode(buf, (size_t)n, V0_TOK_B, &got),
			MPN_CLUSTER_RECORD_OK);
		assert_memory_equal(&got, &want, sizeof(got));
	}
}

static void
test_encode_refuses(void **state)
{
	struct mpn_cluster_record r;
	char buf[MPN_CLUSTER_RECORD_MAX + 1];

	(void)state;
	r = v1_record();
	r.version = 2;
	assert_int_equal(mpn_cluster_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = v1_record();
	r.decision = 3;
	assert_int_equal(mpn_cluster_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = v1_record();
	r.node[0] = '\0';
	assert_int_equal(mpn_cluster_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = v1_record();
	snprintf(r.node, sizeof(r.node), "a b");
	assert_int_equal(mpn_cluster_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = v1_record();
	memset(r.node, 'x', sizeof(r.node)); /* no NUL at all */
	assert_int_equal(mpn_cluster_record_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = v1_record();
	assert_int_equal(mpn_cluster_record_encode(&r, buf, 20), -ENOSPC);
}

/* Each of these is not the format: malformed, never a crash. */
static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"mpn1",
		"mpn2 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"MPN1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=2 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=01 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=1 ta=4951D561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=1 ta=4951d56 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=1 ta=4951d5611 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=1  ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=1 tb=dde61a3e ta=4951d561 ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b5577g kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=8 fb=01 d=allow n=a t=1",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=deny n=a t=1",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allowx n=a t=1",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n= t=1",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a:b t=1",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow "
			"n=abcdefghijklmnopqrstuvwxyz0123456 t=1",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=01",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a "
			"t=12345678901234567890",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1 ",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1\n",
		"mpn1 v=1 ta=4951d561 tb=dde61a3e ka=d1ead00377b55779 kb=ac88245795309269 fa=81 fb=01 d=allow n=a t=1 x=2",
		"\x01\x02\x03\xff",
	};
	struct mpn_cluster_record out;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&out, 0x5a, sizeof(out));
		if (decode_str(bad[i], V1_TOK_A, &out) != MPN_CLUSTER_RECORD_MALFORMED)
			fail_msg("record %u was not refused as malformed: \"%s\"", i, bad[i]);
		/* The output is untouched when the record is refused. */
		assert_int_equal(((unsigned char *)&out)[0], 0x5a);
	}
}

/* Every strict prefix of a valid record is malformed, and so is an embedded NUL. */
static void
test_truncated_and_nul(void **state)
{
	struct mpn_cluster_record out;
	char buf[sizeof(v1_text)];
	size_t n, len = strlen(v1_text);

	size_t t_digits = (size_t)(strstr(v1_text, " t=") - v1_text) + 3;

	(void)state;
	for (n = 0; n <= t_digits; n++)
		assert_int_equal(mpn_cluster_record_decode(v1_text, n, V1_TOK_A, &out),
			MPN_CLUSTER_RECORD_MALFORMED);
	/* Cut inside the time, it is a valid record of an earlier time. */
	for (n = t_digits + 1; n < len; n++) {
		assert_int_equal(mpn_cluster_record_decode(v1_text, n, V1_TOK_A, &out),
			MPN_CLUSTER_RECORD_OK);
		assert_true(out.time < 1718000000);
	}
	for (n = 0; n < len; n++) {
		memcpy(buf, v1_text, sizeof(buf));
		buf[n] = '\0';
		assert_int_not_equal(mpn_cluster_record_decode(buf, len, V1_TOK_A, &out),
			MPN_CLUSTER_RECORD_OK);
	}
	assert_int_equal(mpn_cluster_record_decode(v1_text, len, V1_TOK_A, &out),
		MPN_CLUSTER_RECORD_OK);
}

static void
test_oversized(void **state)
{
	char big[4096];
	struct mpn_cluster_record out;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, v1_text, strlen(v1_text));
	assert_int_equal(mpn_cluster_record_decode(big, MPN_CLUSTER_RECORD_MAX + 1, V1_TOK_A, &out),
		MPN_CLUSTER_RECORD_OVERSIZED);
	assert_int_equal(mpn_cluster_record_decode(big, sizeof(big), V1_TOK_A, &out),
		MPN_CLUSTER_RECORD_OVERSIZED);
	/* Exactly the limit is parsed (and is malformed here: trailing junk). */
	assert_int_equal(mpn_cluster_record_decode(big, MPN_CLUSTER_RECORD_MAX, V1_TOK_A, &out),
		MPN_CLUSTER_RECORD_MALFORMED);
}

/* Well-formed, but not the record of the token it is filed under. */
static void
test_token_mismatch(void **state)
{
	struct mpn_cluster_record r, out;
	char buf[MPN_CLUSTER_RECORD_MAX + 1];
	int n;

	(void)state;
	/* Filed under a token that is neither of its own. */
	assert_int_equal(decode_str(v1_text, 0x12345678, &out), MPN_CLUSTER_RECORD_MISMATCH);
	/* A key altered by one bit no longer hashes to its token. */
	r = v1_record();
	r.key_a ^= 1;
	n = mpn_cluster_record_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mpn_cluster_record_decode(buf, (size_t)n, V1_TOK_A, &out),
		MPN_CLUSTER_RECORD_MISMATCH);
	/* Keys swapped under the tokens. */
	r = v1_record();
	r.key_a = V1_KEY_B;
	r.key_b = V1_KEY_A;
	n = mpn_cluster_record_encode(&r, buf, sizeof(buf));
	assert_int_equal(mpn_cluster_record_decode(buf, (size_t)n, V1_TOK_B, &out),
		MPN_CLUSTER_RECORD_MISMATCH);
	/* v0 keys and tokens (SHA-1) claimed as v1 (SHA-256). */
	memset(&r, 0, sizeof(r));
	r.version = 1;
	r.key_a = V0_KEY_A;
	r.key_b = V0_KEY_B;
	r.token_a = V0_TOK_A;
	r.token_b = V0_TOK_B;
	snprintf(r.node, sizeof(r.node), "x");
	n = mpn_cluster_record_encode(&r, buf, sizeof(buf));
	assert_int_equal(mpn_cluster_record_decode(buf, (size_t)n, V0_TOK_A, &out),
		MPN_CLUSTER_RECORD_MISMATCH);
	/* A forged record: tokens of one connection, keys of another. */
	r = v1_record();
	r.key_a = V0_KEY_A;
	r.key_b = V0_KEY_B;
	n = mpn_cluster_record_encode(&r, buf, sizeof(buf));
	assert_int_equal(mpn_cluster_record_decode(buf, (size_t)n, V1_TOK_A, &out),
		MPN_CLUSTER_RECORD_MISMATCH);
}

/*
 * Random corruption of a valid record, deterministic seed: the decoder
 * returns a verdict for every input, and whatever it accepts is consistent
 * (its keys hash to its tokens and the token asked for is one of them).
 */
static void
test_mutations(void **state)
{
	struct mpn_cluster_record out;
	char buf[MPN_CLUSTER_RECORD_MAX + 8];
	size_t len = strlen(v1_text);
	unsigned int seed = 19, i, accepted = 0;
	uint32_t t;

	(void)state;
	srand(seed);
	for (i = 0; i < 20000; i++) {
		size_t n = len;
		unsigned int k, flips = 1 + (unsigned int)rand() % 3;

		memcpy(buf, v1_text, len);
		for (k = 0; k < flips; k++)
			buf[(size_t)rand() % len] ^= (char)(1u << (rand() % 8));
		if (rand() % 4 == 0)
			n = (size_t)rand() % (len + 1);
		if (mpn_cluster_record_decode(buf, n, V1_TOK_A, &out) != MPN_CLUSTER_RECORD_OK)
			continue;
		accepted++;
		assert_true(out.token_a == V1_TOK_A || out.token_b == V1_TOK_A);
		assert_int_equal(mpn_mptcp_key_token(out.version, out.key_a, &t, NULL), 0);
		assert_int_equal(t, out.token_a);
		assert_int_equal(mpn_mptcp_key_token(out.version, out.key_b, &t, NULL), 0);
		assert_int_equal(t, out.token_b);
	}
	/* Flips in the flags, node and time keep a record valid: some pass. */
	assert_true(accepted > 0);
}

static void
test_conn_init(void **state)
{
	struct mpn_cluster_record r = v1_record();
	struct mpn_conn_init init;

	(void)state;
	r.decision = MPN_DECISION_BYPASS;
	memset(&init, 0xff, sizeof(init));
	assert_int_equal(mpn_cluster_record_conn_init(&r, 12345, &init), 0);
	assert_int_equal(init.version, 1);
	assert_int_equal(init.key_a, V1_KEY_A);
	assert_int_equal(init.key_b, V1_KEY_B);
	assert_int_equal(init.flags_a, 0x81);
	assert_int_equal(init.flags_b, 0x01);
	assert_int_equal(init.decision, MPN_DECISION_BYPASS);
	assert_int_equal(init.now, 12345);
	assert_true(init.remote);
	assert_null(init.src);
	assert_null(init.dst);
	r.version = 7;
	assert_int_equal(mpn_cluster_record_conn_init(&r, 1, &init), -EINVAL);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(mpn_cluster_verdict_name(MPN_CLUSTER_RECORD_MISMATCH), "token-mismatch");
	assert_string_equal(mpn_cluster_status_name(MPN_CLUSTER_REFUSED_MALFORMED),
		"refused-malformed");
	assert_string_equal(mpn_cluster_status_name(MPN_CLUSTER_STORE_ERROR), "store-error");
	assert_string_equal(mpn_cluster_state_name(MPN_CLUSTER_CONNECTED), "connected");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_exact),
		cmocka_unit_test(test_round_trip_both_tokens),
		cmocka_unit_test(test_round_trip_v0_and_decisions),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated_and_nul),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_token_mismatch),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_conn_init),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
