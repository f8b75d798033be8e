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

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"
#include "rss.h"

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

/** How the workers share flows, decided at start-up. */
enum mpn_owner_mode {
	/**
	 * A packet stays where it arrived: one worker, or symmetric placement
	 * forced by the config on a device mpnorm cannot model.
	 */
	MPN_OWNER_SELF = 0,
	/**
	 * Software placement (handoff mode): the owner of a TCP packet is
	 * mpn_owner_of() its flow key's hash (mpn_flow_key_hash(), the hash
	 * the parse stage computes for the lookup).
	 */
	MPN_OWNER_HANDOFF,
	/**
	 * The NIC's checked RSS places every TCP segment; packets it cannot
	 * hash on the 4-tuple (IP first fragments) go where it puts the rest
	 * of their flow, computed from the RSS model.
	 */
	MPN_OWNER_RSS,
};

/** The placement the workers follow. Read-only once the workers run. */
struct mpn_owner_map {
	enum mpn_owner_mode mode;
	unsigned int n_workers;          /**< worker w owns RX queue w of every port */
	const struct mpn_rss_map *rss;   /**< MPN_OWNER_RSS: the ports' common map */
};

/**
 * Which worker must process a packet, given what the parse stage made of
 * it (the live worker calls it from mpn_pipeline_parse_for_handoff()).
 *
 * - A packet the stateful stages track (@p tracked: a TCP header, IP
 *   first fragments included) belongs to the worker that tracks its
 *   flow: in handoff mode the software owner of @p hash; with RSS, the
 *   worker whose queue the NIC gives the flow's unfragmented segments.
 *   NICs do not hash fragments on the 4-tuple (i40e leaves them out of
 *   the TCP hash types and they land on queue 0; ixgbe hashes them on the
 *   addresses only), so a first fragment is steered in software, from
 *   the RSS model. Tracked anywhere else it would create a bogus
 *   mid-stream entry, or be dropped as tcp-not-syn.
 * - A non-first fragment (MPN_PKT_FRAGMENT) carries no ports, so it has
 *   no flow owner, and no worker tracks it: the pipeline judges it alone
 *   (ip-fragment-uninspected). It stays on the worker that received it;
 *   moving it would cost a ring hop and buy nothing, and the receiver
 *   reassembles fragments in any order (RFC 791 §3.2, RFC 8200 §4.5).
 * - Anything else (not IP, not TCP, malformed) is stateless and stays.
 *
 * @param m        the placement; NULL means MPN_OWNER_SELF
 * @param tracked  the packet goes through the stateful stages (ctx.h tcp)
 * @param hash     its flow key's hash (ctx.h hash), when tracked
 * @param frame    the frame @p p was parsed from
 * @param p        the parse
 * @param self     the worker that received the packet
 * @return         the owner, below m->n_workers
 */
unsigned int
mpn_owner_decide(const struct mpn_owner_map *m, bool tracked, uint32_t hash,
	const uint8_t *frame, const struct mpn_pkt *p, unsigned int self);

/**
 * Whether a frame may be an IP fragment: a few loads, no parse, for the
 * RSS placement, where only first fragments ever move. IPv4 with MF set
 * or a fragment offset; IPv6 whose first next header is a fragment header
 * or another extension header (which may hide one). VLAN tags (up to
 * MPN_PKT_MAX_VLAN) are skipped. False for anything shorter than its
 * headers: the parse stage judges those.
 */
static inline bool
mpn_owner_may_be_fragment(const uint8_t *frame, uint32_t len)
{
	uint32_t off = 12;
	unsigned int tags = 0;
	uint16_t et;

	for (;;) {
		if (len < off + 2)
			return false;
		et = (uint16_t)(frame[off] << 8 | frame[off + 1]);
		if ((et != 0x8100 && et != 0x88a8) || tags == MPN_PKT_MAX_VLAN)
			break;
		off += 4;
		tags++;
	}
	off += 2;
	if (et == 0x0800) {
		/* Flags and fragment offset: MF (0x2000) or any offset bit. */
		return len >= off + 8 && ((frame[off + 6] & 0x3f) | frame[off + 7]) != 0;
	}
	if (et == 0x86dd) {
		uint8_t nh;

		if (len < off + 40)
			return false;
		nh = frame[off + 6];
		return nh == 44 || nh == 0 || nh == 43 || nh == 60;
	}
	return false;
}

/**
 * The handoff owner hash of a TCP flow seen on @p link: the flow key's
 * hash, as the parse stage computes it (either direction gives the same).
 */
uint32_t
mpn_owner_flow_hash(const struct mpn_rss_tuple *t, uint16_t link);

/**
 * The share of flows each worker would own, over @p samples tuples of a
 * set (mpn_rss_sample()), seen on link 0 untagged. Per flow, not per
 * packet.
 *
 * @param counts  n_workers counters, zeroed here
 * @return        0, or -1 when the placement has no model (MPN_OWNER_SELF
 *                with more than one worker): the share is unknown
 */
int
mpn_owner_expected(const struct mpn_owner_map *m, enum mpn_rss_set set, unsigned int samples,
	uint64_t *counts);

#endif /* MPN_OWNER_H */
