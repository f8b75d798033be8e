/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_OWNER_H
#define MPN_OWNER_H

/**
 * @file
 * Which worker owns a packet when the NIC cannot place both directions of a
 * flow on one queue (ARCHITECTURE.md §3, handoff mode).
 *
 * The hash is symmetric: it orders the two endpoints before hashing, so a
 * packet and its reply get the same owner whatever port and queue they
 * arrive on. It is the software counterpart of the symmetric Toeplitz key
 * used where the hardware can do it.
 */

#include <stdint.h>

#include "pkt.h"

/**
 * Symmetric hash of a parsed packet's 5-tuple (addresses, ports, protocol).
 * For packets that are not TCP (or not IP) it hashes what there is, so the
 * result is still the same in both directions.
 */
uint32_t
mpn_owner_hash(const uint8_t *frame, const struct mpn_pkt *p);

/** Owner worker of a hash among @p n_workers (1..). */
static inline unsigned int
mpn_owner_of(uint32_t hash, unsigned int n_workers)
{
	/* Multiply-shift rather than modulo: no division on the fast path. */
	return (unsigned int)(((uint64_t)hash * n_workers) >> 32);
}

#endif /* MPN_OWNER_H */
