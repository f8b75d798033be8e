/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

int
mpn_mptcp_key_token(uint8_t version, uint64_t key, uint32_t *token,
		uint64_t *idsn)
{
	uint8_t msg[8];
	uint8_t md[SHA256_DIGEST_LENGTH];
	size_t mdlen;

	/* RFC 8684 §3.1 / RFC 6824 §3.1: the key is hashed in network order. */
	put_be64(msg, key);
	if (version == 0) {
		if (SHA1(msg, sizeof(msg), md) == NULL)
			return -EIO;
		mdlen = SHA_DIGEST_LENGTH;
	} else if (version == 1) {
		if (SHA256(msg, sizeof(msg), md) == NULL)
			return -EIO;
		mdlen = SHA256_DIGEST_LENGTH;
	} else {
		return -EINVAL;
	}

	/* Token: the most significant 32 bits; IDSN: the least significant 64. */
	if (token != NULL)
		*token = get_be32(md);
	if (idsn != NULL)
		*idsn = get_be64(md + mdlen - 8);
	return 0;
}

/*
 * HMAC over (key_1 || key_2, msg) with the hash of the version. Returns the
 * digest length, or 0 on an unknown version or a libcrypto failure.
 */
static unsigned int
mptcp_hmac(uint8_t version, uint64_t key_1, uint64_t key_2,
		const uint8_t *msg, size_t msglen, uint8_t md[EVP_MAX_MD_SIZE])
{
	uint8_t key[16];
	unsigned int mdlen = 0;
	const EVP_MD *evp;

	if (version == 0)
		evp = EVP_sha1();
	else if (version == 1)
		evp = EVP_sha256();
	else
		return 0;

	put_be64(key, key_1);
	put_be64(key + 8, key_2);
	if (HMAC(evp, key, sizeof(key), msg, msglen, md, &mdlen) == NULL)
		return 0;
	return mdlen;
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

/* Prepared contexts: algorithms fetched once, contexts reused. */
struct mpn_mptcp_crypto {
	EVP_MAC *mac;
	EVP_MAC_CTX *hmac[2];   /* [0] HMAC-SHA1 (v0), [1] HMAC-SHA256 (v1) */
	EVP_MD *md[2];          /* SHA-1, SHA-256 */
	EVP_MD_CTX *mdctx;
};

void
mpn_mptcp_crypto_free(struct mpn_mptcp_crypto *cx)
{
	if (cx == NULL)
		return;
	EVP_MAC_CTX_free(cx->hmac[0]);
	EVP_MAC_CTX_free(cx->hmac[1]);
	EVP_MAC_free(cx->mac);
	EVP_MD_free(cx->md[0]);
	EVP_MD_free(cx->md[1]);
	EVP_MD_CTX_free(cx->mdctx);
	OPENSSL_free(cx);
}

struct mpn_mptcp_crypto *
mpn_mptcp_crypto_new(void)
{
	static const char *const digests[2] = { "SHA1", "SHA256" };
	struct mpn_mptcp_crypto *cx = OPENSSL_zalloc(sizeof(*cx));
	unsigned int v;

	if (cx == NULL)
		return NULL;
	cx->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	cx->mdctx = EVP_MD_CTX_new();
	if (cx->mac == NULL || cx->mdctx == NULL)
		goto fail;
	for (v = 0; v < 2; v++) {
		OSSL_PARAM params[2];

		cx->md[v] = EVP_MD_fetch(NULL, digests[v], NULL);
		cx->hmac[v] = EVP_MAC_CTX_new(cx->mac);
		if (cx->md[v] == NULL || cx->hmac[v] == NULL)
			goto fail;
		/* The digest is set once; each use only sets the key. */
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
			(char *)digests[v], 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_MAC_CTX_set_params(cx->hmac[v], params) != 1)
			goto fail;
	}
	return cx;
fail:
	mpn_mptcp_crypto_free(cx);
	return NULL;
}

int
mpn_mptcp_crypto_key_token(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key,
		uint32_t *token, uint64_t *idsn)
{
	uint8_t msg[8];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (version > 1)
		return -EINVAL;
	/* RFC 8684 §3.1 / RFC 6824 §3.1: the key is hashed in network order. */
	put_be64(msg, key);
	if (EVP_DigestInit_ex2(cx->mdctx, cx->md[version], NULL) != 1 ||
			EVP_DigestUpdate(cx->mdctx, msg, sizeof(msg)) != 1 ||
			EVP_DigestFinal_ex(cx->mdctx, md, &mdlen) != 1 || mdlen < 12)
		return -EIO;
	if (token != NULL)
		*token = get_be32(md);
	if (idsn != NULL)
		*idsn = get_be64(md + mdlen - 8);
	return 0;
}

/* HMAC over (key_1 || key_2, msg) with a prepared context: the digest length, 0 on failure. */
static size_t
crypto_hmac(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key_1, uint64_t key_2,
		const uint8_t *msg, size_t msglen, uint8_t md[EVP_MAX_MD_SIZE])
{
	EVP_MAC_CTX *h;
	uint8_t key[16];
	size_t mdlen = 0;
	int ok;

	if (version > 1)
		return 0;
	h = cx->hmac[version];
	put_be64(key, key_1);
	put_be64(key + 8, key_2);
	ok = EVP_MAC_init(h, key, sizeof(key), NULL) == 1 &&
		EVP_MAC_update(h, msg, msglen) == 1 &&
		EVP_MAC_final(h, md, &mdlen, EVP_MAX_MD_SIZE) == 1;
	OPENSSL_cleanse(key, sizeof(key));
	return ok ? mdlen : 0;
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
