/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_jhash.h>

#include "owner.h"

uint32_t
mpn_owner_hash(const uint8_t *frame, const struct mpn_pkt *p)
{
	uint32_t words[10];
	unsigned int alen = p->ip_version == 6 ? 16 : 4;
	const uint8_t *a = frame + p->src_addr_off, *b = frame + p->dst_addr_off;
	uint16_t pa = p->sport, pb = p->dport;
	int cmp;

	memset(words, 0, sizeof(words));
	/* Order the endpoints: (lower address, its port) first. */
	cmp = memcmp(a, b, alen);
	if (cmp > 0 || (cmp == 0 && pa > pb)) {
		const uint8_t *t = a;
		uint16_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	memcpy(&words[0], a, alen);
	memcpy(&words[4], b, alen);
	words[8] = ((uint32_t)pa << 16) | pb;
	words[9] = p->l4_proto;
	return rte_jhash_32b(words, 10, 0x6d5a6d5a);
}
