/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_jhash.h>

#include "flow.h"
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

unsigned int
mpn_owner_decide(const struct mpn_owner_map *m, bool tracked, uint32_t hash,
	const uint8_t *frame, const struct mpn_pkt *p, unsigned int self)
{
	struct mpn_rss_tuple t;
	unsigned int alen, q;

	if (m == NULL || m->n_workers <= 1 || !tracked)
		return self;
	switch (m->mode) {
	case MPN_OWNER_HANDOFF:
		return mpn_owner_of(hash, m->n_workers);
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

uint32_t
mpn_owner_flow_hash(const struct mpn_rss_tuple *t, uint16_t link)
{
	uint8_t f[14 + 40 + 20];
	uint8_t *ip = f + 14, *tcp;
	unsigned int l3 = t->family == 6 ? 40 : 20;
	struct mpn_flow_key key;
	struct mpn_pkt p;

	/* The segment the parse stage would see: Ethernet, IP, a bare TCP header. */
	memset(f, 0, sizeof(f));
	tcp = ip + l3;
	if (t->family == 6) {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 20;
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, t->src, 16);
		memcpy(ip + 24, t->dst, 16);
	} else {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = 40;
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, t->src, 4);
		memcpy(ip + 16, t->dst, 4);
	}
	tcp[0] = (uint8_t)(t->sport >> 8);
	tcp[1] = (uint8_t)t->sport;
	tcp[2] = (uint8_t)(t->dport >> 8);
	tcp[3] = (uint8_t)t->dport;
	tcp[12] = 0x50;
	tcp[13] = 0x10;
	if (mpn_pkt_parse(f, 14 + l3 + 20, MPN_L2_ETHER, &p) != MPN_PKT_TCP)
		return 0;
	mpn_flow_key_from_pkt(f, &p, link, &key);
	return mpn_flow_key_hash(&key);
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
			w = mpn_owner_of(mpn_owner_flow_hash(&t, 0), n);
		else
			w = mpn_rss_queue(m->rss, &t);
		if (w < n)
			counts[w]++;
	}
	return 0;
}
