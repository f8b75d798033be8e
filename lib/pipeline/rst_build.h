/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_RST_BUILD_H
#define MPN_RST_BUILD_H

/**
 * @file
 * A TCP RST built in place from the segment it answers (issue 16, active
 * join refusal): what mpnorm sends back toward a host whose MP_JOIN SYN it
 * refuses, with an MP_TCPRST option saying why (RFC 8684 §3.6).
 */

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

/** MP_TCPRST reason "administratively prohibited" (RFC 8684 §3.6). */
#define MPN_TCPRST_ADMIN_PROHIBITED 0x03

/** Length of the RST's TCP header: 20 bytes and the 4-byte MP_TCPRST option. */
#define MPN_RST_TCP_LEN 24

/** Shortest Ethernet frame without its FCS: a shorter RST is padded with zeros. */
#define MPN_RST_ETHER_MIN 60

/** TTL (IPv4) or hop limit (IPv6) of a RST mpnorm sends. */
#define MPN_RST_TTL 64

/**
 * Whether a segment may be answered with a RST at all: fully parsed
 * (MPN_PKT_TCP), not a RST itself (RFC 9293 §3.10.7.1: a RST is never
 * answered), not an IP fragment, not cut by the capture, and with no IPv6
 * routing header still to be followed (its real destination is not the
 * one in the header).
 */
bool
mpn_rst_may_answer(enum mpn_pkt_status status, const struct mpn_pkt *p, uint32_t caplen);

/**
 * Turn @p frame, parsed as @p p (mpn_rst_may_answer() true), into a RST
 * travelling back to its sender, in place:
 *  - link layer kept (VLAN tags included); Ethernet addresses swapped,
 *    the frame padded with zeros to MPN_RST_ETHER_MIN bytes;
 *  - IP addresses swapped, IP options and IPv6 extension headers left
 *    out, TTL / hop limit MPN_RST_TTL, DSCP/ECN 0, header checksum set;
 *  - TCP ports swapped; sequence numbers by RFC 9293 §3.10.7.1 (RFC 793
 *    "Reset Generation"): a segment with ACK gets <SEQ=SEG.ACK><RST>,
 *    one without gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>, where SEG.LEN
 *    counts the SYN and FIN flags and the payload; window 0; one option,
 *    MP_TCPRST (kind 30, length 4, subtype 8, flags 0: not transient)
 *    with @p reason; checksum set.
 *
 * @return the new frame length (shorter than the segment's), or 0 if the
 *         segment cannot be answered (nothing written then)
 */
uint32_t
mpn_rst_build(uint8_t *frame, uint32_t len, const struct mpn_pkt *p, enum mpn_l2_type l2,
	uint8_t reason);

#endif /* MPN_RST_BUILD_H */
