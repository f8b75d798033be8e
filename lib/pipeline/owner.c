/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_jhash.h>

#include "owner.h"

uint32_t
mpn_owner_hash_tuple(const uint8_t *a, const uint8_t *b, unsigned int alen, uint16_t pa,
	uint16_t pb, uint8_t proto)
{
	uint32_t words[10];
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
	words[9] = proto;
	return rte_jhash_32b(words, 10, 0x6d5a6d5a);
}

uint32_t
mpn_owner_hash(const uint8_t *frame, const struct mpn_pkt *p)
{
	return mpn_owner_hash_tuple(frame + p->src_addr_off, frame + p->dst_addr_off,
		p->ip_version == 6 ? 16 : 4, p->sport, p->dport, p->l4_proto);
}

unsigned int
mpn_owner_decide(const struct mpn_owner_map *m, const uint8_t *frame, enum mpn_pkt_status st,
	const struct mpn_pkt *p, unsigned int self)
{
	struct mpn_rss_tuple t;
	unsigned int alen, q;

	if (m == NULL || m->n_workers <= 1 || st != MPN_PKT_TCP)
		return self;
	switch (m->mode) {
	case MPN_OWNER_HANDOFF:
		return mpn_owner_of(mpn_owner_hash(frame, p), m->n_workers);
	case MPN_OWNER_RSS:
		/* The NIC hashed the 4-tuple of everything but fragments. */
		if (!p->is_fragment || m->rss == NULL)
			return self;
		alen = p->ip_version == 6 ? 16 : 4;
		memset(&t, 0, sizeof(t));
		t.family = p->ip_version == 6 ? 6 : 4;
		memcpy(t.src, frame + p->src_addr_off, alen);
		memcpy(t.dst, frame + p->dst_addr_off, alen);
		t.sport = p->sport;
		t.dport = p->dport;
		q = mpn_rss_queue(m->rss, &t);
		return q < m->n_workers ? q : self;
	case MPN_OWNER_SELF:
	default:
		return self;
	}
}

int
mpn_owner_expected(const struct mpn_owner_map *m, enum mpn_rss_set set, unsigned int samples,
	uint64_t *counts)
{
	struct mpn_rss_tuple t;
	unsigned int i, w, n = m->n_workers > 0 ? m->n_workers : 1;

	memset(counts, 0, n * sizeof(*counts));
	if (n == 1) {
		counts[0] = samples;
		return 0;
	}
	if (m->mode == MPN_OWNER_SELF || (m->mode == MPN_OWNER_RSS && m->rss == NULL))
		return -1;
	for (i = 0; i < samples; i++) {
		mpn_rss_sample(set, i, &t);
		if (m->mode == MPN_OWNER_HANDOFF)
			w = mpn_owner_of(mpn_owner_hash_tuple(t.src, t.dst, t.family == 6 ? 16 : 4,
				t.sport, t.dport, 6), n);
		else
			w = mpn_rss_queue(m->rss, &t);
		if (w < n)
			counts[w]++;
	}
	return 0;
}
