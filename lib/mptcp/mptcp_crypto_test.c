/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPTCP crypto against real traffic. Every key, token and IDSN is a row of
 * pcaps/real/GROUND_TRUTH.md; every nonce and HMAC is the raw
 * option of a real capture, decoded here with mpn_mptcp_decode(), so the
 * decoder and the crypto are checked together. Each verdict must equal
 * the ground truth, and flipping any single bit must make it fail.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "mptcp.h"
#include "mptcp_crypto.h"

#define SYN MPN_MPTCP_TH_SYN
#define SYNACK (MPN_MPTCP_TH_SYN | MPN_MPTCP_TH_ACK)
#define ACK MPN_MPTCP_TH_ACK

/* GROUND_TRUTH.md: key -> token, IDSN (the IDSNs there are decimal). */
struct token_row {
	uint8_t version;
	uint64_t key;
	uint32_t token;
	uint64_t idsn;
};

static const struct token_row token_rows[] = {
	/* linux/capture-fail-fastclose.pcap 10.0.1.1:49076 > 10.0.1.2:5001 */
	{ 1, 0xe3d7747979a5e64fULL, 0x05bcb1feU, 11817453313705423158ULL },
	{ 1, 0xa347b4a5cfc704f7ULL, 0x010e394aU, 5291132462935931874ULL },
	/* linux/capture-fail-fastclose.pcap 10.0.1.1:59692 > 10.0.1.2:5002 */
	{ 1, 0x05bd6b33f86e5a5fULL, 0x54b1af09U, 9896229148941548154ULL },
	{ 1, 0xc3ea2e1f7782da0fULL, 0x410dcfd6U, 17857409353400777168ULL },
	/* linux/capture-mid.pcap 10.0.1.1:55226 > 10.0.1.2:5000 */
	{ 1, 0xd1ead00377b55779ULL, 0x4951d561U, 15171112143461118041ULL },
	{ 1, 0xac88245795309269ULL, 0xdde61a3eU, 17694878316715257945ULL },
	/* ptcpdump/mptcp.pcap 127.0.0.1:34204 > 127.0.0.1:12345 */
	{ 1, 0xfe7b93dc894dcb73ULL, 0xc43eb50eU, 3891854986895050394ULL },
	{ 1, 0xe356a8f252e41976ULL, 0x64a48c01U, 16853452819136928151ULL },
	/* tcpdump/mptcp-aa-v1.pcap 192.168.125.212:52278 > 192.168.125.165:55555 */
	{ 1, 0x8f0c7c64a6a32ac1ULL, 0x2e1abdedU, 17186763219675866564ULL },
	{ 1, 0x73bb150358a0aecbULL, 0x5f3f5591U, 12148165319181844525ULL },
	/* tcpdump/mptcp-fclose.pcap 10.1.1.2:37479 > 10.2.1.2:2002 */
	{ 0, 0x9b59be3d695e66a7ULL, 0xd3dcec4fU, 7512766147283988405ULL },
	{ 0, 0xd005b1ab34bad344ULL, 0x1f874e7aU, 8158535551756803168ULL },
	/* tcpdump/mptcp-v0.pcap 10.2.1.2:35961 > 10.1.1.2:22 */
	{ 0, 0x9c9eabd1e46a33b2ULL, 0xaf9706ebU, 10975753215851282121ULL },
	{ 0, 0x967d2770b6960552ULL, 0xe47f0142U, 16464867208451421327ULL },
	/* tcpdump/mptcp-v1.pcap 10.0.1.1:33306 > 10.0.2.1:10004 */
	{ 1, 0x1fdb5df328bc3defULL, 0x239fbdb0U, 14413541604287230029ULL },
	{ 1, 0x29a6c86981ad933cULL, 0xa35d6d82U, 11713449205243392241ULL },
};

#define N_TOKEN_ROWS (sizeof(token_rows) / sizeof(token_rows[0]))

/*
 * A real join: the connection's keys (A = subflow initiator) and the three
 * MP_JOIN options of the subflow handshake, as captured.
 */
struct join_fixture {
	const char *what;
	uint8_t version;
	uint64_t key_a;
	uint64_t key_b;
	const char *syn;
	const char *synack;
	const char *ack;
};

static const struct join_fixture joins[] = {
	/* tcpdump/mptcp-v0.pcap frames 8-10: 10.2.1.2:41221 > 10.1.2.2:22. */
	{ "v0 10.2.1.2:41221 > 10.1.2.2:22", 0,
		0x9c9eabd1e46a33b2ULL, 0x967d2770b6960552ULL,
		"1e0c1000e47f01421b665a18",
		"1e1010015ab680c7884af03d33abe9d5",
		"1e181000cb7b87f5e5f0502f43b535fb70ef6607df2e6c7a" },
	/* linux/capture-mid.pcap frames 6-8: 10.0.2.1:35387 > 10.0.2.2:5000. */
	{ "v1 10.0.2.1:35387 > 10.0.2.2:5000", 1,
		0xd1ead00377b55779ULL, 0xac88245795309269ULL,
		"1e0c1001dde61a3ea25c7fbc",
		"1e101001a853258f2218f95e99f411f6",
		"1e181000d85281bb947a83be2329d50b33a31c5b8702944e" },
	/* linux/capture-mid.pcap frames 10-12: 10.0.2.1:33195 > 10.0.1.2:5000. */
	{ "v1 10.0.2.1:33195 > 10.0.1.2:5000", 1,
		0xd1ead00377b55779ULL, 0xac88245795309269ULL,
		"1e0c1001dde61a3ede40b7b6",
		"1e10100032930b37cb8b904621269207",
		"1e181000702a2533d8dd5e9affbe4dae9c1c5c00e7db7ebd" },
};

static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	for (; *hex != '\0'; hex += 2) {
		assert_true(n < max);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void
decode(const char *hex, uint8_t tcp_flags, int hint, struct mpn_mptcp_opt *o)
{
	uint8_t raw[MPN_MPTCP_OPT_MAX_LEN];
	size_t len = unhex(hex, raw, sizeof(raw));

	assert_int_equal(mpn_mptcp_decode(raw, (uint8_t)len, tcp_flags, hint, o), 0);
}

static void
test_key_token_ground_truth(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < N_TOKEN_ROWS; i++) {
		const struct token_row *r = &token_rows[i];
		uint32_t token = 0;
		uint64_t idsn = 0;

		assert_int_equal(mpn_mptcp_key_token(r->version, r->key, &token,
				&idsn), 0);
		assert_int_equal(token, r->token);
		assert_true(idsn == r->idsn);
		/* Either output may be left out. */
		token = 0;
		assert_int_equal(mpn_mptcp_key_token(r->version, r->key, &token,
				NULL), 0);
		assert_int_equal(token, r->token);
		idsn = 0;
		assert_int_equal(mpn_mptcp_key_token(r->version, r->key, NULL,
				&idsn), 0);
		assert_true(idsn == r->idsn);
		/* The other version's hash gives another token. */
		assert_int_equal(mpn_mptcp_key_token(!r->version, r->key, &token,
				&idsn), 0);
		assert_int_not_equal(token, r->token);
		/* One flipped key bit gives another token. */
		assert_int_equal(mpn_mptcp_key_token(r->version, r->key ^ 1, &token,
				NULL), 0);
		assert_int_not_equal(token, r->token);
	}
	assert_int_equal(N_TOKEN_ROWS, 16);
	assert_int_equal(mpn_mptcp_key_token(2, 1, &(uint32_t){ 0 }, NULL), -EINVAL);
}

/*
 * The keys travel in the real MP_CAPABLE options: decode them from the
 * handshake bytes and check they give GROUND_TRUTH's tokens.
 */
static void
test_key_token_from_handshake(void **state)
{
	struct mpn_mptcp_opt o;
	uint32_t token;

	(void)state;
	/* tcpdump/mptcp-v0.pcap frame 3: the third ACK with both keys. */
	decode("1e1400819c9eabd1e46a33b2967d2770b6960552", ACK, -1, &o);
	assert_int_equal(mpn_mptcp_key_token(o.u.mpc.version, o.u.mpc.sndkey,
			&token, NULL), 0);
	assert_int_equal(token, 0xaf9706eb);
	assert_int_equal(mpn_mptcp_key_token(o.u.mpc.version, o.u.mpc.rcvkey,
			&token, NULL), 0);
	assert_int_equal(token, 0xe47f0142);
	/* linux/capture-mid.pcap frame 3. */
	decode("1e140101d1ead00377b55779ac88245795309269", ACK, -1, &o);
	assert_int_equal(mpn_mptcp_key_token(o.u.mpc.version, o.u.mpc.sndkey,
			&token, NULL), 0);
	assert_int_equal(token, 0x4951d561);
	assert_int_equal(mpn_mptcp_key_token(o.u.mpc.version, o.u.mpc.rcvkey,
			&token, NULL), 0);
	assert_int_equal(token, 0xdde61a3e);
	/* linux/capture-fail-fastclose.pcap frame 3113: the receiver's key. */
	decode("1e0c7000c3ea2e1f7782da0f", 0x14, -1, &o);
	assert_int_equal(mpn_mptcp_key_token(1, o.u.fastclose.key, &token, NULL), 0);
	assert_int_equal(token, 0x410dcfd6);
}

/*
 * RFC 8684 §3.3.1 / RFC 6824 §3.3.1: the first mapping of each direction
 * starts at IDSN + 1. Real first mappings (subflow seq 1) check it,
 * including the 4-byte DSN of v0 (the low 32 bits).
 */
static void
test_idsn_first_mapping(void **state)
{
	struct mpn_mptcp_opt o;
	uint64_t idsn_a, idsn_b;

	(void)state;
	/* linux/capture-mid.pcap frame 14 (client), frame 5331 (server). */
	assert_int_equal(mpn_mptcp_key_token(1, 0xd1ead00377b55779ULL, NULL,
			&idsn_a), 0);
	assert_int_equal(mpn_mptcp_key_token(1, 0xac88245795309269ULL, NULL,
			&idsn_b), 0);
	decode("1e16200ddb93305ad28a9e1d4e9d705a000000017a60", ACK, -1, &o);
	assert_int_equal(o.u.dss.ssn, 1);
	assert_true(o.u.dss.dsn64 && o.u.dss.dsn == idsn_a + 1);
	assert_int_equal(o.u.dss.data_ack, (uint32_t)(idsn_b + 1));
	decode("1e1a200fd28a9e1d4edd705bf590d613db93305a000000010049", ACK, -1, &o);
	assert_true(o.u.dss.dsn == idsn_b + 1);

	/* tcpdump/mptcp-v0.pcap frame 4 (server) and frame 6 (client). */
	assert_int_equal(mpn_mptcp_key_token(0, 0x9c9eabd1e46a33b2ULL, NULL,
			&idsn_a), 0);
	assert_int_equal(mpn_mptcp_key_token(0, 0x967d2770b6960552ULL, NULL,
			&idsn_b), 0);
	decode("1e142005d52abecad1b97490000000010029082f", ACK, -1, &o);
	assert_false(o.u.dss.dsn64);
	assert_int_equal(o.u.dss.dsn, (uint32_t)(idsn_b + 1));
	assert_int_equal(o.u.dss.data_ack, (uint32_t)(idsn_a + 1));
	decode("1e142005d1b974b9d52abeca00000001002945c9", ACK, -1, &o);
	assert_int_equal(o.u.dss.dsn, (uint32_t)(idsn_a + 1));
}

static void
test_join(void **state)
{
	const struct join_fixture *j = *state;
	struct mpn_mptcp_opt syn, synack, ack;
	uint8_t hmac[MPN_MPTCP_JOIN_HMAC_LEN], bad[MPN_MPTCP_JOIN_HMAC_LEN];
	uint32_t ra, rb, token;
	uint8_t v = j->version;
	unsigned int bit;

	decode(j->syn, SYN, -1, &syn);
	decode(j->synack, SYNACK, -1, &synack);
	decode(j->ack, ACK, -1, &ack);
	assert_int_equal(syn.u.join.form, MPN_MPTCP_JOIN_SYN);
	assert_int_equal(synack.u.join.form, MPN_MPTCP_JOIN_SYNACK);
	assert_int_equal(ack.u.join.form, MPN_MPTCP_JOIN_ACK);
	ra = syn.u.join.nonce;
	rb = synack.u.join.nonce;

	/* RFC 8684 §3.2: the SYN carries the token of the receiver's key. */
	assert_int_equal(mpn_mptcp_key_token(v, j->key_b, &token, NULL), 0);
	assert_int_equal(syn.u.join.token, token);

	/* GROUND_TRUTH: HMAC SYNACK ok, ACK ok. */
	assert_true(mpn_mptcp_join_synack_ok(v, j->key_a, j->key_b, ra, rb,
			synack.u.join.trunc_hmac));
	assert_true(mpn_mptcp_join_ack_ok(v, j->key_a, j->key_b, ra, rb,
			ack.u.join.hmac));

	/* The raw HMACs: the ACK's whole, the SYN/ACK's leftmost 64 bits. */
	mpn_mptcp_join_hmac(v, j->key_a, j->key_b, ra, rb, hmac);
	assert_memory_equal(hmac, ack.u.join.hmac, sizeof(hmac));
	mpn_mptcp_join_hmac(v, j->key_b, j->key_a, rb, ra, hmac);
	assert_true(((uint64_t)hmac[0] << 56 | (uint64_t)hmac[1] << 48 |
			(uint64_t)hmac[2] << 40 | (uint64_t)hmac[3] << 32 |
			(uint64_t)hmac[4] << 24 | (uint64_t)hmac[5] << 16 |
			(uint64_t)hmac[6] << 8 | hmac[7]) == synack.u.join.trunc_hmac);

	/* Any one flipped bit of the received HMACs fails. */
	for (bit = 0; bit < 64; bit++)
		assert_false(mpn_mptcp_join_synack_ok(v, j->key_a, j->key_b, ra, rb,
				synack.u.join.trunc_hmac ^ (1ULL << bit)));
	for (bit = 0; bit < 8 * MPN_MPTCP_JOIN_HMAC_LEN; bit++) {
		memcpy(bad, ack.u.join.hmac, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(mpn_mptcp_join_ack_ok(v, j->key_a, j->key_b, ra, rb, bad));
	}
	/* So does one flipped bit of any key or nonce. */
	for (bit = 0; bit < 64; bit += 7) {
		assert_false(mpn_mptcp_join_synack_ok(v, j->key_a ^ (1ULL << bit),
				j->key_b, ra, rb, synack.u.join.trunc_hmac));
		assert_false(mpn_mptcp_join_synack_ok(v, j->key_a,
				j->key_b ^ (1ULL << bit), ra, rb, synack.u.join.trunc_hmac));
		assert_false(mpn_mptcp_join_ack_ok(v, j->key_a ^ (1ULL << bit),
				j->key_b, ra, rb, ack.u.join.hmac));
		assert_false(mpn_mptcp_join_ack_ok(v, j->key_a,
				j->key_b ^ (1ULL << bit), ra, rb, ack.u.join.hmac));
	}
	for (bit = 0; bit < 32; bit++) {
		assert_false(mpn_mptcp_join_synack_ok(v, j->key_a, j->key_b,
				ra ^ (1U << bit), rb, synack.u.join.trunc_hmac));
		assert_false(mpn_mptcp_join_synack_ok(v, j->key_a, j->key_b, ra,
				rb ^ (1U << bit), synack.u.join.trunc_hmac));
		assert_false(mpn_mptcp_join_ack_ok(v, j->key_a, j->key_b,
				ra ^ (1U << bit), rb, ack.u.join.hmac));
		assert_false(mpn_mptcp_join_ack_ok(v, j->key_a, j->key_b, ra,
				rb ^ (1U << bit), ack.u.join.hmac));
	}
	/* Roles swapped, the other version's hash, an unknown version. */
	assert_false(mpn_mptcp_join_synack_ok(v, j->key_b, j->key_a, rb, ra,
			synack.u.join.trunc_hmac));
	assert_false(mpn_mptcp_join_ack_ok(v, j->key_b, j->key_a, rb, ra,
			ack.u.join.hmac));
	assert_false(mpn_mptcp_join_synack_ok(!v, j->key_a, j->key_b, ra, rb,
			synack.u.join.trunc_hmac));
	assert_false(mpn_mptcp_join_ack_ok(!v, j->key_a, j->key_b, ra, rb,
			ack.u.join.hmac));
	assert_false(mpn_mptcp_join_synack_ok(2, j->key_a, j->key_b, ra, rb,
			synack.u.join.trunc_hmac));
	assert_false(mpn_mptcp_join_ack_ok(2, j->key_a, j->key_b, ra, rb,
			ack.u.join.hmac));
	assert_false(mpn_mptcp_join_ack_ok(v, j->key_a, j->key_b, ra, rb, NULL));
}

static void
test_join_hmac_unknown_version(void **state)
{
	uint8_t out[MPN_MPTCP_JOIN_HMAC_LEN];
	static const uint8_t zero[MPN_MPTCP_JOIN_HMAC_LEN];

	(void)state;
	memset(out, 0xa5, sizeof(out));
	mpn_mptcp_join_hmac(2, 1, 2, 3, 4, out);
	assert_memory_equal(out, zero, sizeof(out));
}

/*
 * A real ADD_ADDR and the keys of its connection. key_sender is the key of
 * the host that sent the option.
 */
struct addaddr_fixture {
	const char *what;
	uint64_t key_sender;
	uint64_t key_receiver;
	const char *opt;
	enum mpn_addaddr_hmac_result want;
};

static const struct addaddr_fixture addaddrs[] = {
	/*
	 * linux/capture-mid.pcap frame 4: 10.0.1.2 (the server, key B)
	 * announces 10.0.2.2; GROUND_TRUTH: rightmost64 (RFC 8684).
	 */
	{ "capture-mid 10.0.2.2", 0xac88245795309269ULL, 0xd1ead00377b55779ULL,
		"1e1030010a000202a5f0c4bf9a9e4ed8", MPN_ADDADDR_HMAC_OK },
	/*
	 * tcpdump/mptcp-aa-v1.pcap frame 13: 192.168.125.165 (the server,
	 * key B) announces 192.168.136.225; GROUND_TRUTH: leftmost64.
	 */
	{ "mptcp-aa-v1 192.168.136.225", 0x73bb150358a0aecbULL, 0x8f0c7c64a6a32ac1ULL,
		"1e103001c0a888e1669928744366716c", MPN_ADDADDR_HMAC_OK_LEFTMOST },
};

static void
test_addaddr(void **state)
{
	const struct addaddr_fixture *f = *state;
	const uint8_t *addr;
	struct mpn_mptcp_opt o;
	uint8_t id, fam, alen, a[16];
	uint64_t ks = f->key_sender, kr = f->key_receiver, h;
	bool port;
	unsigned int bit;

	decode(f->opt, ACK, 1, &o);
	assert_true(o.u.add_addr.has_hmac);
	id = o.u.add_addr.addr_id;
	fam = o.u.add_addr.family;
	addr = o.u.add_addr.addr;
	port = o.u.add_addr.has_port;
	h = o.u.add_addr.hmac;
	alen = fam == 4 ? 4 : 16;

	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, id, fam, addr, port,
			o.u.add_addr.port, h), f->want);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, id,
			fam == 4 ? AF_INET : AF_INET6, addr,
			port, o.u.add_addr.port, h), f->want);

	/* Any one flipped bit of the HMAC, the address or the id fails. */
	for (bit = 0; bit < 64; bit++)
		assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, id, fam, addr,
				port, 0, h ^ (1ULL << bit)), MPN_ADDADDR_HMAC_BAD);
	for (bit = 0; bit < 8u * alen; bit++) {
		memcpy(a, addr, alen);
		a[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, id, fam, a,
				port, 0, h), MPN_ADDADDR_HMAC_BAD);
	}
	for (bit = 0; bit < 8; bit++)
		assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr,
				(uint8_t)(id ^ (1u << bit)), fam, addr, port, 0, h),
				MPN_ADDADDR_HMAC_BAD);
	/* ... and so does one flipped key bit, or the keys swapped. */
	for (bit = 0; bit < 64; bit += 5) {
		assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks ^ (1ULL << bit), kr,
				id, fam, addr, port, 0, h), MPN_ADDADDR_HMAC_BAD);
		assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr ^ (1ULL << bit),
				id, fam, addr, port, 0, h), MPN_ADDADDR_HMAC_BAD);
	}
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(kr, ks, id, fam, addr, port,
			0, h), MPN_ADDADDR_HMAC_BAD);
	/* A port the option did not carry; a wrong family; no address. */
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, id, fam, addr, true,
			5000, h), MPN_ADDADDR_HMAC_BAD);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, id, 6, addr, port, 0,
			h), MPN_ADDADDR_HMAC_BAD);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, id, 5, addr, port, 0,
			h), MPN_ADDADDR_HMAC_BAD);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, id, fam, NULL, port, 0,
			h), MPN_ADDADDR_HMAC_BAD);
}

/*
 * Forms no real capture has: IPv6 with a port (vector from Python's
 * hmac/hashlib over Key-S || Key-R, id 3, 2001:db8::1, port 8080), and the
 * RFC-literal message without port bytes (id 7, 10.9.8.7).
 */
static void
test_addaddr_synthetic(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t v4[4] = { 10, 9, 8, 7 };
	const uint64_t ks = 0x0123456789abcdefULL, kr = 0xfedcba9876543210ULL;

	(void)state;
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, 3, 6, v6, true, 8080,
			0xbc53ed2839b11603ULL), MPN_ADDADDR_HMAC_OK);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, 3, AF_INET6, v6, true,
			8080, 0x08ea63a60fbb8eebULL), MPN_ADDADDR_HMAC_OK_LEFTMOST);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, 3, 6, v6, true, 8081,
			0xbc53ed2839b11603ULL), MPN_ADDADDR_HMAC_BAD);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, 3, 6, v6, false, 0,
			0xbc53ed2839b11603ULL), MPN_ADDADDR_HMAC_BAD);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, 7, 4, v4, false, 0,
			0x21183e5a8ac5e63cULL), MPN_ADDADDR_HMAC_OK);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, 7, 4, v4, true, 0,
			0x21183e5a8ac5e63cULL), MPN_ADDADDR_HMAC_BAD);
	assert_int_equal(mpn_mptcp_addaddr_hmac_check(ks, kr, 7, 4, v4, false, 0,
			0x21183e5a8ac5e63dULL), MPN_ADDADDR_HMAC_BAD);
}

static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(mpn_addaddr_hmac_result_name(MPN_ADDADDR_HMAC_OK), "ok");
	assert_string_equal(mpn_addaddr_hmac_result_name(MPN_ADDADDR_HMAC_OK_LEFTMOST),
			"ok-leftmost");
	assert_string_equal(mpn_addaddr_hmac_result_name(MPN_ADDADDR_HMAC_BAD), "bad");
}

/*
 * The hand-built HMAC and digests (mptcp_crypto.c) against OpenSSL's own
 * EVP_MAC and EVP_Digest, over many keys, nonces and both versions, through
 * the one-shot and the prepared-context calls. A bit flipped anywhere in a
 * received HMAC must be refused.
 */
static void
evp_hmac(uint8_t version, uint64_t k1, uint64_t k2, const uint8_t *msg, size_t len,
		uint8_t *out, size_t *outlen)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h;
	OSSL_PARAM params[2];
	uint8_t key[16];
	int k;

	assert_non_null(mac);
	h = EVP_MAC_CTX_new(mac);
	assert_non_null(h);
	for (k = 0; k < 8; k++) {
		key[k] = (uint8_t)(k1 >> (56 - 8 * k));
		key[8 + k] = (uint8_t)(k2 >> (56 - 8 * k));
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		version == 0 ? "SHA1" : "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_MAC_init(h, key, sizeof(key), params), 1);
	assert_int_equal(EVP_MAC_update(h, msg, len), 1);
	assert_int_equal(EVP_MAC_final(h, out, outlen, EVP_MAX_MD_SIZE), 1);
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(mac);
}

static uint64_t
next_rand(uint64_t *x)
{
	/* xorshift64*: reproducible keys and nonces of every bit pattern */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1DULL;
}

static void
test_against_evp(void **state)
{
	struct mpn_mptcp_crypto *cx = mpn_mptcp_crypto_new();
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned int i;

	(void)state;
	assert_non_null(cx);
	for (i = 0; i < 400; i++) {
		uint8_t version = (uint8_t)(i & 1);
		uint64_t ka = next_rand(&x), kb = next_rand(&x);
		uint32_t na = (uint32_t)next_rand(&x), nb = (uint32_t)next_rand(&x);
		uint8_t msg[8], want[EVP_MAX_MD_SIZE], got[MPN_MPTCP_JOIN_HMAC_LEN];
		uint8_t got2[MPN_MPTCP_JOIN_HMAC_LEN], bad[MPN_MPTCP_JOIN_HMAC_LEN];
		uint8_t md[EVP_MAX_MD_SIZE], kbuf[8];
		unsigned int mdlen = 0, k;
		size_t wlen = 0;
		uint64_t trunc = 0, idsn, idsn2;
		uint32_t tok, tok2;

		/* Third ACK: HMAC(Key-A || Key-B, R-A || R-B). */
		for (k = 0; k < 4; k++) {
			msg[k] = (uint8_t)(na >> (24 - 8 * k));
			msg[4 + k] = (uint8_t)(nb >> (24 - 8 * k));
		}
		evp_hmac(version, ka, kb, msg, sizeof(msg), want, &wlen);
		assert_int_equal(wlen, version == 0 ? 20 : 32);
		mpn_mptcp_join_hmac(version, ka, kb, na, nb, got);
		assert_memory_equal(got, want, MPN_MPTCP_JOIN_HMAC_LEN);
		assert_int_equal(mpn_mptcp_crypto_join_hmac(cx, version, ka, kb, na, nb, got2), 0);
		assert_memory_equal(got2, want, MPN_MPTCP_JOIN_HMAC_LEN);
		assert_true(mpn_mptcp_crypto_ack_ok(cx, version, ka, kb, na, nb, got));
		assert_true(mpn_mptcp_join_ack_ok(version, ka, kb, na, nb, got));
		memcpy(bad, got, sizeof(bad));
		bad[i % MPN_MPTCP_JOIN_HMAC_LEN] ^= (uint8_t)(1u << (i % 8));
		assert_false(mpn_mptcp_crypto_ack_ok(cx, version, ka, kb, na, nb, bad));
		assert_false(mpn_mptcp_join_ack_ok(version, ka, kb, na, nb, bad));

		/* SYN/ACK: leftmost 64 bits of HMAC(Key-B || Key-A, R-B || R-A). */
		for (k = 0; k < 4; k++) {
			msg[k] = (uint8_t)(nb >> (24 - 8 * k));
			msg[4 + k] = (uint8_t)(na >> (24 - 8 * k));
		}
		evp_hmac(version, kb, ka, msg, sizeof(msg), want, &wlen);
		for (k = 0; k < 8; k++)
			trunc = trunc << 8 | want[k];
		assert_true(mpn_mptcp_crypto_synack_ok(cx, version, ka, kb, na, nb, trunc));
		assert_true(mpn_mptcp_join_synack_ok(version, ka, kb, na, nb, trunc));
		assert_false(mpn_mptcp_crypto_synack_ok(cx, version, ka, kb, na, nb,
			trunc ^ (1ULL << (i % 64))));
		assert_false(mpn_mptcp_join_synack_ok(version, ka, kb, na, nb,
			trunc ^ (1ULL << (i % 64))));

		/* Token and IDSN against EVP_Digest of the key in network order. */
		for (k = 0; k < 8; k++)
			kbuf[k] = (uint8_t)(ka >> (56 - 8 * k));
		assert_int_equal(EVP_Digest(kbuf, sizeof(kbuf), md, &mdlen,
			version == 0 ? EVP_sha1() : EVP_sha256(), NULL), 1);
		assert_int_equal(mpn_mptcp_key_token(version, ka, &tok, &idsn), 0);
		assert_int_equal(mpn_mptcp_crypto_key_token(cx, version, ka, &tok2, &idsn2), 0);
		assert_int_equal(tok, (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
			(uint32_t)md[2] << 8 | md[3]);
		idsn2 = 0;
		for (k = mdlen - 8; k < mdlen; k++)
			idsn2 = idsn2 << 8 | md[k];
		assert_int_equal(idsn, idsn2);
		assert_int_equal(tok2, tok);
	}
	assert_int_equal(mpn_mptcp_crypto_key_token(cx, 2, 1, NULL, NULL), -EINVAL);
	mpn_mptcp_crypto_free(cx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_token_ground_truth),
		cmocka_unit_test(test_key_token_from_handshake),
		cmocka_unit_test(test_idsn_first_mapping),
		{ "join_v0_mptcp-v0.pcap", test_join, NULL, NULL,
			(void *)(uintptr_t)&joins[0] },
		{ "join_v1_capture-mid.pcap_35387", test_join, NULL, NULL,
			(void *)(uintptr_t)&joins[1] },
		{ "join_v1_capture-mid.pcap_33195", test_join, NULL, NULL,
			(void *)(uintptr_t)&joins[2] },
		cmocka_unit_test(test_join_hmac_unknown_version),
		{ "addaddr_rightmost_capture-mid.pcap", test_addaddr, NULL, NULL,
			(void *)(uintptr_t)&addaddrs[0] },
		{ "addaddr_leftmost_mptcp-aa-v1.pcap", test_addaddr, NULL, NULL,
			(void *)(uintptr_t)&addaddrs[1] },
		cmocka_unit_test(test_addaddr_synthetic),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_against_evp),
	};

	return cmocka_run_group_tests_name("mptcp_crypto", tests, NULL, NULL);
}
