/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hashes run through OpenSSL's low-level SHA1_* and SHA256_* calls, and
 * the HMAC is built from them (RFC 2104), on the stack.
 *
 * Why not EVP: in OpenSSL 3.0 every EVP_DigestInit_ex2() and EVP_MAC_init()
 * frees and allocates the provider's context, even on a reused EVP_MD_CTX
 * or EVP_MAC_CTX with the digest already fetched, and HMAC_Init_ex()
 * initialises three digest contexts; SHA1() and SHA256() fetch the
 * algorithm on every call (EVP_Q_digest). The calls below reach the same
 * assembler (SHA-NI where the CPU has it) with no allocation, no lookup
 * and no lock: doc/benchmark.md has the figures. OpenSSL 3 marks them
 * deprecated, not removed; the unit tests check every result against real
 * traffic and against EVP_MAC.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "mptcp_crypto.h"

#define ADDADDR_TRUNC_LEN 8
#define JOIN_TRUNC_LEN 8

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
	return ((uint64_t)get_be32(p) << 32) | get_be32(p + 4);
}

/*
 * H(block || msg) with the hash of the version: SHA-1 (v0) or SHA-256 (v1);
 * block is one 64-byte block (an HMAC pad) or NULL. @return the digest
 * length, or 0 for another version or a libcrypto failure.
 *
 * The hash state is cleared only on a failure: *_Final() clears the
 * buffered block itself and leaves only the digest, which is in md, in
 * the state (OpenSSL's md32_common.h), so clearing it again costs
 * cycles for nothing.
 */
static size_t
mptcp_digest(uint8_t version, const uint8_t *block, const uint8_t *msg, size_t msglen,
		uint8_t md[SHA256_DIGEST_LENGTH])
{
	size_t mdlen = 0;

	if (version == 0) {
		SHA_CTX c;

		if (SHA1_Init(&c) == 1 && (block == NULL || SHA1_Update(&c, block, 64) == 1) &&
				SHA1_Update(&c, msg, msglen) == 1 && SHA1_Final(md, &c) == 1)
			mdlen = SHA_DIGEST_LENGTH;
		else
			OPENSSL_cleanse(&c, sizeof(c));
	} else if (version == 1) {
		SHA256_CTX c;

		if (SHA256_Init(&c) == 1 && (block == NULL || SHA256_Update(&c, block, 64) == 1) &&
				SHA256_Update(&c, msg, msglen) == 1 && SHA256_Final(md, &c) == 1)
			mdlen = SHA256_DIGEST_LENGTH;
		else
			OPENSSL_cleanse(&c, sizeof(c));
	}
	return mdlen;
}

int
mpn_mptcp_key_token(uint8_t version, uint64_t key, uint32_t *token,
		uint64_t *idsn)
{
	uint8_t msg[8];
	uint8_t md[SHA256_DIGEST_LENGTH];
	size_t mdlen;

	if (version > 1)
		return -EINVAL;
	/* RFC 8684 §3.1 / RFC 6824 §3.1: the key is hashed in network order. */
	put_be64(msg, key);
	mdlen = mptcp_digest(version, NULL, msg, sizeof(msg), md);
	if (mdlen < 12)
		return -EIO;
	/* Token: the most significant 32 bits; IDSN: the least significant 64. */
	if (token != NULL)
		*token = get_be32(md);
	if (idsn != NULL)
		*idsn = get_be64(md + mdlen - 8);
	return 0;
}

/*
 * HMAC over (key_1 || key_2, msg) with the hash of the version, RFC 2104:
 * H(K ^ opad || H(K ^ ipad || msg)), K zero-padded to the 64-byte block.
 * Returns the digest length, or 0 on an unknown version or a libcrypto
 * failure.
 */
static unsigned int
mptcp_hmac(uint8_t version, uint64_t key_1, uint64_t key_2,
		const uint8_t *msg, size_t msglen, uint8_t md[EVP_MAX_MD_SIZE])
{
	uint8_t pad[64];
	uint8_t inner[SHA256_DIGEST_LENGTH];
	size_t mdlen = 0, ilen;
	unsigned int k;

	if (version > 1)
		return 0;
	memset(pad, 0x36, sizeof(pad));
	put_be64(pad, key_1 ^ 0x3636363636363636ull);
	put_be64(pad + 8, key_2 ^ 0x3636363636363636ull);
	ilen = mptcp_digest(version, pad, msg, msglen, inner);
	if (ilen != 0) {
		for (k = 0; k < sizeof(pad); k++)
			pad[k] ^= 0x36 ^ 0x5c;
		mdlen = mptcp_digest(version, pad, inner, ilen, md);
	}
	/* The pads hold the keys (RFC 7430): clear them. */
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	return (unsigned int)mdlen;
}

void
mpn_mptcp_join_hmac(uint8_t version, uint64_t key_1, uint64_t key_2,
		uint32_t nonce_1, uint32_t nonce_2,
		uint8_t out[MPN_MPTCP_JOIN_HMAC_LEN])
{
	uint8_t msg[8];
	uint8_t md[EVP_MAX_MD_SIZE];

	/* RFC 8684 §3.2: Msg = the two nonces, network order. */
	put_be32(msg, nonce_1);
	put_be32(msg + 4, nonce_2);
	if (mptcp_hmac(version, key_1, key_2, msg, sizeof(msg), md) <
			MPN_MPTCP_JOIN_HMAC_LEN) {
		memset(out, 0, MPN_MPTCP_JOIN_HMAC_LEN);
		return;
	}
	/* The leftmost 160 bits: all of SHA-1's, the first 20 of SHA-256's. */
	memcpy(out, md, MPN_MPTCP_JOIN_HMAC_LEN);
}

bool
mpn_mptcp_join_synack_ok(uint8_t version, uint64_t key_a, uint64_t key_b,
		uint32_t nonce_a, uint32_t nonce_b, uint64_t trunc_hmac)
{
	uint8_t want[MPN_MPTCP_JOIN_HMAC_LEN];
	uint8_t got[JOIN_TRUNC_LEN];

	if (version > 1)
		return false;
	/*
	 * RFC 8684 §3.2: the responder B sends the leftmost 64 bits of
	 * HMAC(Key-B || Key-A, R-B || R-A).
	 */
	mpn_mptcp_join_hmac(version, key_b, key_a, nonce_b, nonce_a, want);
	put_be64(got, trunc_hmac);
	return CRYPTO_memcmp(want, got, JOIN_TRUNC_LEN) == 0;
}

bool
mpn_mptcp_join_ack_ok(uint8_t version, uint64_t key_a, uint64_t key_b,
		uint32_t nonce_a, uint32_t nonce_b,
		const uint8_t hmac[MPN_MPTCP_JOIN_HMAC_LEN])
{
	uint8_t want[MPN_MPTCP_JOIN_HMAC_LEN];

	if (version > 1 || hmac == NULL)
		return false;
	/* RFC 8684 §3.2: the initiator A sends HMAC(Key-A || Key-B, R-A || R-B). */
	mpn_mptcp_join_hmac(version, key_a, key_b, nonce_a, nonce_b, want);
	return CRYPTO_memcmp(want, hmac, MPN_MPTCP_JOIN_HMAC_LEN) == 0;
}

/*
 * One candidate message: compare the rightmost and then the leftmost 64
 * bits of its HMAC-SHA256 with the received value.
 */
static enum mpn_addaddr_hmac_result
addaddr_try(uint64_t key_sender, uint64_t key_receiver, const uint8_t *msg,
		size_t msglen, const uint8_t got[ADDADDR_TRUNC_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	mdlen = mptcp_hmac(1, key_sender, key_receiver, msg, msglen, md);
	if (mdlen != SHA256_DIGEST_LENGTH)
		return MPN_ADDADDR_HMAC_BAD;
	if (CRYPTO_memcmp(md + mdlen - ADDADDR_TRUNC_LEN, got,
			ADDADDR_TRUNC_LEN) == 0)
		return MPN_ADDADDR_HMAC_OK;
	/*
	 * XXX: Linux before 5.11 sent the leftmost 64 bits (tcpdump's
	 * mptcp-aa-v1.pcap has one). Tell it apart so the policy can choose
	 * to accept it.
	 */
	if (CRYPTO_memcmp(md, got, ADDADDR_TRUNC_LEN) == 0)
		return MPN_ADDADDR_HMAC_OK_LEFTMOST;
	return MPN_ADDADDR_HMAC_BAD;
}

enum mpn_addaddr_hmac_result
mpn_mptcp_addaddr_hmac_check(uint64_t key_sender, uint64_t key_receiver,
		uint8_t addr_id, int family, const uint8_t *addr, bool has_port,
		uint16_t port, uint64_t hmac)
{
	/* AddrID (1) || Address (4 or 16) || Port (2) */
	uint8_t msg[1 + 16 + 2];
	uint8_t got[ADDADDR_TRUNC_LEN];
	enum mpn_addaddr_hmac_result r;
	size_t alen, n;

	if (addr == NULL)
		return MPN_ADDADDR_HMAC_BAD;
	if (family == 4 || family == AF_INET)
		alen = 4;
	else if (family == 6 || family == AF_INET6)
		alen = 16;
	else
		return MPN_ADDADDR_HMAC_BAD;

	put_be64(got, hmac);
	n = 0;
	msg[n++] = addr_id;
	memcpy(msg + n, addr, alen);
	n += alen;

	/*
	 * RFC 8684 §3.4.1: Msg = Address ID || IP Address || Port. Linux
	 * always appends the two port bytes, zero when the option has no
	 * port; the real captures (capture-mid, mptcp-aa-v1) need it.
	 */
	msg[n] = has_port ? (uint8_t)(port >> 8) : 0;
	msg[n + 1] = has_port ? (uint8_t)port : 0;
	r = addaddr_try(key_sender, key_receiver, msg, n + 2, got);
	if (r != MPN_ADDADDR_HMAC_BAD || has_port)
		return r;
	/* No port in the option: also try the message without port bytes. */
	return addaddr_try(key_sender, key_receiver, msg, n, got);
}

const char *
mpn_addaddr_hmac_result_name(enum mpn_addaddr_hmac_result r)
{
	switch (r) {
	case MPN_ADDADDR_HMAC_OK: return "ok";
	case MPN_ADDADDR_HMAC_OK_LEFTMOST: return "ok-leftmost";
	case MPN_ADDADDR_HMAC_BAD: return "bad";
	default: return "unknown";
	}
}

/*
 * Prepared contexts. With the low-level calls above there is nothing left
 * to fetch or keep between calls: the hash state lives on the stack. The
 * context stays so that each worker keeps its own (the calls are
 * thread-safe either way) and so that a per-connection cache of the HMAC
 * pad states could live here without changing the callers.
 */
struct mpn_mptcp_crypto {
	uint64_t calls;   /* HMACs and digests computed, for the curious */
};

void
mpn_mptcp_crypto_free(struct mpn_mptcp_crypto *cx)
{
	OPENSSL_free(cx);
}

struct mpn_mptcp_crypto *
mpn_mptcp_crypto_new(void)
{
	return OPENSSL_zalloc(sizeof(struct mpn_mptcp_crypto));
}

int
mpn_mptcp_crypto_key_token(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key,
		uint32_t *token, uint64_t *idsn)
{
	cx->calls++;
	return mpn_mptcp_key_token(version, key, token, idsn);
}

/* HMAC over (key_1 || key_2, msg): the digest length, 0 on failure. */
static size_t
crypto_hmac(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key_1, uint64_t key_2,
		const uint8_t *msg, size_t msglen, uint8_t md[EVP_MAX_MD_SIZE])
{
	cx->calls++;
	return mptcp_hmac(version, key_1, key_2, msg, msglen, md);
}

int
mpn_mptcp_crypto_join_hmac(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key_1,
		uint64_t key_2, uint32_t nonce_1, uint32_t nonce_2,
		uint8_t out[MPN_MPTCP_JOIN_HMAC_LEN])
{
	uint8_t msg[8];
	uint8_t md[EVP_MAX_MD_SIZE];

	/* RFC 8684 §3.2: Msg = the two nonces, network order. */
	put_be32(msg, nonce_1);
	put_be32(msg + 4, nonce_2);
	if (crypto_hmac(cx, version, key_1, key_2, msg, sizeof(msg), md) <
			MPN_MPTCP_JOIN_HMAC_LEN) {
		memset(out, 0, MPN_MPTCP_JOIN_HMAC_LEN);
		return -EIO;
	}
	/* The leftmost 160 bits: all of SHA-1's, the first 20 of SHA-256's. */
	memcpy(out, md, MPN_MPTCP_JOIN_HMAC_LEN);
	return 0;
}

bool
mpn_mptcp_crypto_synack_ok(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key_a,
		uint64_t key_b, uint32_t nonce_a, uint32_t nonce_b, uint64_t trunc_hmac)
{
	uint8_t want[MPN_MPTCP_JOIN_HMAC_LEN];
	uint8_t got[JOIN_TRUNC_LEN];

	/*
	 * RFC 8684 §3.2: the responder B sends the leftmost 64 bits of
	 * HMAC(Key-B || Key-A, R-B || R-A).
	 */
	if (mpn_mptcp_crypto_join_hmac(cx, version, key_b, key_a, nonce_b, nonce_a, want) != 0)
		return false;
	put_be64(got, trunc_hmac);
	return CRYPTO_memcmp(want, got, JOIN_TRUNC_LEN) == 0;
}

bool
mpn_mptcp_crypto_ack_ok(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key_a,
		uint64_t key_b, uint32_t nonce_a, uint32_t nonce_b,
		const uint8_t hmac[MPN_MPTCP_JOIN_HMAC_LEN])
{
	uint8_t want[MPN_MPTCP_JOIN_HMAC_LEN];

	if (hmac == NULL)
		return false;
	/* RFC 8684 §3.2: the initiator A sends HMAC(Key-A || Key-B, R-A || R-B). */
	if (mpn_mptcp_crypto_join_hmac(cx, version, key_a, key_b, nonce_a, nonce_b, want) != 0)
		return false;
	return CRYPTO_memcmp(want, hmac, MPN_MPTCP_JOIN_HMAC_LEN) == 0;
}

static enum mpn_addaddr_hmac_result
crypto_addaddr_try(struct mpn_mptcp_crypto *cx, uint64_t key_sender, uint64_t key_receiver,
		const uint8_t *msg, size_t msglen, const uint8_t got[ADDADDR_TRUNC_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t mdlen = crypto_hmac(cx, 1, key_sender, key_receiver, msg, msglen, md);

	if (mdlen != SHA256_DIGEST_LENGTH)
		return MPN_ADDADDR_HMAC_BAD;
	if (CRYPTO_memcmp(md + mdlen - ADDADDR_TRUNC_LEN, got, ADDADDR_TRUNC_LEN) == 0)
		return MPN_ADDADDR_HMAC_OK;
	/* See addaddr_try(): Linux before 5.11 sent the leftmost 64 bits. */
	if (CRYPTO_memcmp(md, got, ADDADDR_TRUNC_LEN) == 0)
		return MPN_ADDADDR_HMAC_OK_LEFTMOST;
	return MPN_ADDADDR_HMAC_BAD;
}

enum mpn_addaddr_hmac_result
mpn_mptcp_crypto_addaddr_check(struct mpn_mptcp_crypto *cx, uint64_t key_sender,
		uint64_t key_receiver, uint8_t addr_id, int family, const uint8_t *addr,
		bool has_port, uint16_t port, uint64_t hmac)
{
	uint8_t msg[1 + 16 + 2];
	uint8_t got[ADDADDR_TRUNC_LEN];
	enum mpn_addaddr_hmac_result r;
	size_t alen, n = 0;

	if (addr == NULL)
		return MPN_ADDADDR_HMAC_BAD;
	if (family == 4 || family == AF_INET)
		alen = 4;
	else if (family == 6 || family == AF_INET6)
		alen = 16;
	else
		return MPN_ADDADDR_HMAC_BAD;
	put_be64(got, hmac);
	msg[n++] = addr_id;
	memcpy(msg + n, addr, alen);
	n += alen;
	/* As mpn_mptcp_addaddr_hmac_check(): with the port bytes, then without. */
	msg[n] = has_port ? (uint8_t)(port >> 8) : 0;
	msg[n + 1] = has_port ? (uint8_t)port : 0;
	r = crypto_addaddr_try(cx, key_sender, key_receiver, msg, n + 2, got);
	if (r != MPN_ADDADDR_HMAC_BAD || has_port)
		return r;
	return crypto_addaddr_try(cx, key_sender, key_receiver, msg, n, got);
}
