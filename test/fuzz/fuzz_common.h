/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_FUZZ_COMMON_H
#define MPN_FUZZ_COMMON_H

/*
 * Helpers shared by the fuzz harnesses. Everything here is static inline so
 * that each harness stays one translation unit, built the same way for
 * libFuzzer and for the corpus replayer.
 *
 * The checksum arithmetic is written out again here on purpose, instead of
 * calling lib/pkt/cksum.c: an oracle that shares its code with the thing
 * under test would agree with every bug in it.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

/*
 * A failed invariant: say which one, then abort(). libFuzzer and the
 * sanitizers both turn abort() into a crash report with the input saved, and
 * the replayer dies with SIGABRT, which meson counts as a failure.
 */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* RFC 1071 sum of @p len bytes, the first at an even position; unfolded. */
static inline uint64_t
fuzz_sum16(const uint8_t *p, size_t len, uint64_t acc)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static inline uint16_t
fuzz_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/*
 * One's complement sum of the TCP pseudo-header and the whole segment,
 * checksum field included (RFC 9293 §3.1, RFC 8200 §8.1). The segment
 * verifies iff this is 0xffff. Only meaningful when
 * mpn_tcp_checksum_complete() holds: the whole segment must be present.
 */
static inline uint16_t
fuzz_tcp_sum(const uint8_t *frame, const struct mpn_pkt *p)
{
	size_t alen = p->ip_version == 6 ? 16 : 4;
	uint64_t acc = 0;

	acc = fuzz_sum16(frame + p->src_addr_off, alen, acc);
	acc = fuzz_sum16(frame + p->dst_addr_off, alen, acc);
	acc += p->wire_l4_len >> 16;
	acc += p->wire_l4_len & 0xffff;
	acc += 6;
	acc = fuzz_sum16(frame + p->l4_off, p->wire_l4_len, acc);
	return fuzz_fold(acc);
}

/* The checksum field of the TCP header, host order. */
static inline uint16_t
fuzz_tcp_cksum_field(const uint8_t *tcp)
{
	return (uint16_t)(tcp[MPN_TCP_CKSUM_OFF] << 8 | tcp[MPN_TCP_CKSUM_OFF + 1]);
}

/*
 * A private, exactly-sized heap copy of @p len bytes. The harnesses hand
 * these to the code under test so that AddressSanitizer flags a read even
 * one byte past the end; inside a larger frame such a read would land on
 * the next header and go unseen. malloc(0) may return NULL, hence the 1.
 */
static inline uint8_t *
fuzz_dup(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len > 0 ? len : 1);

	FUZZ_CHECK(p != NULL);
	if (len > 0)
		memcpy(p, src, len);
	return p;
}

#endif /* MPN_FUZZ_COMMON_H */
