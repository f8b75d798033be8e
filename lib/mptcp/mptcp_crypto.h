/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_MPTCP_CRYPTO_H
#define MPN_MPTCP_CRYPTO_H

/**
 * @file
 * MPTCP keys, tokens, IDSNs and HMACs (RFC 6824 for v0, RFC 8684 for v1),
 * computed with OpenSSL libcrypto's one-shot SHA1(), SHA256() and HMAC().
 *
 * Conventions shared by every function:
 *  - Keys, nonces and tokens are host-order integers; they are hashed in
 *    network order, as they travel (RFC 8684 §3.1, §3.2).
 *  - Version 0 uses SHA-1 / HMAC-SHA1, version 1 SHA-256 / HMAC-SHA256.
 *  - Comparisons against received HMACs are constant time.
 *
 * These run once per connection or per join, never per packet. They are
 * thread-safe: they keep no state.
 */

#include <stdbool.h>
#include <stdint.h>

#include "mptcp.h"

/**
 * Derive the token and the initial data sequence number from a key
 * (RFC 8684 §3.1, RFC 6824 §3.1).
 *
 * token = the most significant 32 bits of H(key); IDSN = the least
 * significant 64 bits of H(key); H is SHA-1 for v0, SHA-256 for v1.
 *
 * @param version
 *   0 or 1.
 * @param key
 *   The 64-bit key from MP_CAPABLE.
 * @param token
 *   Where to store the token; may be NULL.
 * @param idsn
 *   Where to store the IDSN; may be NULL.
 * @return
 *   0, or -EINVAL for a version other than 0 and 1, or -EIO if libcrypto
 *   failed.
 */
int mpn_mptcp_key_token(uint8_t version, uint64_t key, uint32_t *token,
		uint64_t *idsn);

/**
 * Compute an MP_JOIN HMAC: the leftmost 160 bits of
 * HMAC(key_1 || key_2, nonce_1 || nonce_2) (RFC 8684 §3.2).
 *
 * For the SYN/ACK, pass (Key-B, Key-A, R-B, R-A) and keep the leftmost 8
 * bytes; for the third ACK, pass (Key-A, Key-B, R-A, R-B). A is the
 * initiator of the subflow.
 *
 * @param version
 *   0 (HMAC-SHA1) or 1 (HMAC-SHA256). For any other version, or if
 *   libcrypto fails, out is filled with zeroes; the *_ok() checks below
 *   refuse those cases before comparing.
 */
void mpn_mptcp_join_hmac(uint8_t version, uint64_t key_1, uint64_t key_2,
		uint32_t nonce_1, uint32_t nonce_2,
		uint8_t out[MPN_MPTCP_JOIN_HMAC_LEN]);

/**
 * Check the truncated HMAC of an MP_JOIN SYN/ACK: it must equal the
 * leftmost 64 bits of HMAC(Key-B || Key-A, R-B || R-A) (RFC 8684 §3.2).
 *
 * @param key_a
 *   Key of the subflow initiator (the side that sent the MP_JOIN SYN).
 * @param key_b
 *   Key of the responder.
 * @param nonce_a
 *   R-A, from the MP_JOIN SYN.
 * @param nonce_b
 *   R-B, from the MP_JOIN SYN/ACK.
 * @param trunc_hmac
 *   The 64-bit HMAC of the SYN/ACK, as decoded (host order).
 * @return
 *   true if it matches; false if not, or for a version other than 0 and 1.
 */
bool mpn_mptcp_join_synack_ok(uint8_t version, uint64_t key_a, uint64_t key_b,
		uint32_t nonce_a, uint32_t nonce_b, uint64_t trunc_hmac);

/**
 * Check the HMAC of an MP_JOIN third ACK: it must equal the leftmost 160
 * bits of HMAC(Key-A || Key-B, R-A || R-B) (RFC 8684 §3.2). Arguments as
 * for mpn_mptcp_join_synack_ok().
 *
 * @return
 *   true if it matches; false if not, if hmac is NULL, or for a version
 *   other than 0 and 1.
 */
bool mpn_mptcp_join_ack_ok(uint8_t version, uint64_t key_a, uint64_t key_b,
		uint32_t nonce_a, uint32_t nonce_b,
		const uint8_t hmac[MPN_MPTCP_JOIN_HMAC_LEN]);

/** Verdict on the truncated HMAC of a v1 ADD_ADDR. */
enum mpn_addaddr_hmac_result {
	MPN_ADDADDR_HMAC_OK,          /**< rightmost 64 bits, RFC 8684 §3.4.1 */
	MPN_ADDADDR_HMAC_OK_LEFTMOST, /**< leftmost 64 bits: Linux before 5.11 */
	MPN_ADDADDR_HMAC_BAD,         /**< neither */
};

/**
 * Check the truncated HMAC of a v1 ADD_ADDR (RFC 8684 §3.4.1):
 * HMAC-SHA256(Key of sender || Key of receiver, AddrID || Address || Port).
 *
 * RFC 8684 takes the rightmost 64 bits; Linux kernels before the fix took
 * the leftmost, and both are still met in the field, so both are told
 * apart. Linux puts the two port bytes in the message even when the option
 * carries no port (as zero); both real captures need that form. With
 * has_port false, the message without port bytes is accepted too, for a
 * literal reading of the RFC.
 *
 * @param key_sender
 *   Key of the host that sent the ADD_ADDR.
 * @param key_receiver
 *   Key of the other host.
 * @param family
 *   4 or 6 (AF_INET and AF_INET6 are accepted too).
 * @param addr
 *   The address, network order: 4 or 16 bytes.
 * @param hmac
 *   The truncated HMAC, as decoded (host order).
 * @return
 *   The verdict; MPN_ADDADDR_HMAC_BAD also for a bad family or NULL addr.
 */
enum mpn_addaddr_hmac_result mpn_mptcp_addaddr_hmac_check(uint64_t key_sender,
		uint64_t key_receiver, uint8_t addr_id, int family,
		const uint8_t *addr, bool has_port, uint16_t port, uint64_t hmac);

/** Name of a verdict: "ok", "ok-leftmost" or "bad"; never NULL. */
const char *mpn_addaddr_hmac_result_name(enum mpn_addaddr_hmac_result r);

/**
 * @name Prepared contexts
 *
 * The one-shot functions above look the algorithm up and build an HMAC
 * context on every call (about 25K instructions). A worker verifies joins
 * at line rate, so it keeps one struct mpn_mptcp_crypto: the HMAC
 * (EVP_MAC) and digest (EVP_MD) implementations are fetched once, and
 * their contexts are reused; each call only keys and runs them.
 * A context belongs to one thread.
 * @{
 */
struct mpn_mptcp_crypto;

/** Fetch the algorithms and allocate the contexts. NULL if libcrypto fails. */
struct mpn_mptcp_crypto *mpn_mptcp_crypto_new(void);

/** Free a context (NULL is a no-op). */
void mpn_mptcp_crypto_free(struct mpn_mptcp_crypto *cx);

/** mpn_mptcp_key_token() with a prepared context. */
int mpn_mptcp_crypto_key_token(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key,
		uint32_t *token, uint64_t *idsn);

/** mpn_mptcp_join_hmac() with a prepared context. @return 0, or -EIO. */
int mpn_mptcp_crypto_join_hmac(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key_1,
		uint64_t key_2, uint32_t nonce_1, uint32_t nonce_2,
		uint8_t out[MPN_MPTCP_JOIN_HMAC_LEN]);

/** mpn_mptcp_join_synack_ok() with a prepared context. */
bool mpn_mptcp_crypto_synack_ok(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key_a,
		uint64_t key_b, uint32_t nonce_a, uint32_t nonce_b, uint64_t trunc_hmac);

/** mpn_mptcp_join_ack_ok() with a prepared context. */
bool mpn_mptcp_crypto_ack_ok(struct mpn_mptcp_crypto *cx, uint8_t version, uint64_t key_a,
		uint64_t key_b, uint32_t nonce_a, uint32_t nonce_b,
		const uint8_t hmac[MPN_MPTCP_JOIN_HMAC_LEN]);

/** mpn_mptcp_addaddr_hmac_check() with a prepared context. */
enum mpn_addaddr_hmac_result mpn_mptcp_crypto_addaddr_check(struct mpn_mptcp_crypto *cx,
		uint64_t key_sender, uint64_t key_receiver, uint8_t addr_id, int family,
		const uint8_t *addr, bool has_port, uint16_t port, uint64_t hmac);
/** @} */

#endif /* MPN_MPTCP_CRYPTO_H */
