/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CKSUM_H
#define MPN_CKSUM_H

/**
 * @file
 * Internet checksum arithmetic: the one's complement sum of RFC 1071 and
 * the incremental update of RFC 1624.
 *
 * Values are host-order integers holding big-endian 16-bit words: the
 * byte at an even position in the checksummed data is the high byte of
 * its word. Positions count from the start of the checksummed data; for
 * TCP that is the start of the TCP header, since the pseudo-header in
 * front of it has an even length (12 or 40 bytes).
 *
 * All functions are pure and thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Add the bytes of @p buf to a running one's complement sum.
 *
 * The first byte of @p buf is taken to sit at an even position. When
 * chaining calls, every buffer but the last must have an even length; an
 * odd last byte is padded with a zero byte (RFC 1071 §4.1).
 *
 * @param buf  bytes to add
 * @param len  number of bytes
 * @param sum  running sum (0 to start); any 32-bit value
 * @return     the new running sum, folded to 16 bits (0..0xffff)
 */
uint32_t
mpn_cksum_partial(const uint8_t *buf, size_t len, uint32_t sum);

/** Fold a running sum to 16 bits with end-around carry; not complemented. */
uint16_t
mpn_cksum_fold(uint32_t sum);

/**
 * Patch a checksum for bytes that changed, per RFC 1624 eqn. 3:
 * HC' = ~(~HC + ~m + m').
 *
 * Eqn. 3 is used rather than eqn. 2 (HC - ~m - m') because eqn. 2 can
 * yield 0xffff (-0) where a checksum computed from scratch yields 0x0000
 * (RFC 1624 §3 and §5). Only the changed bytes are needed, never the rest
 * of the segment, so this works on snap-truncated captures too.
 *
 * @param cksum      current value of the checksum field (host order)
 * @param old        the bytes as they were
 * @param new        the bytes as they are now
 * @param len        number of bytes that changed
 * @param odd_start  true if old[0]/new[0] sit at an odd position in the
 *                   checksummed data, i.e. they are the low byte of a word
 * @return           the new checksum field value (host order)
 */
uint16_t
mpn_cksum_update(uint16_t cksum, const uint8_t *old, const uint8_t *new, size_t len,
	bool odd_start);

#endif /* MPN_CKSUM_H */
