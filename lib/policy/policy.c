/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

void
mpn_tcp_map_defaults(struct mpn_tcp_map *m, const char *name)
{
	unsigned int k;

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	/*
	 * The ASA's default tcp-map: `tcp-options range 6 7 clear` and
	 * `tcp-options range 9 255 clear`; selective-ack, timestamp and
	 * window-scale allowed. Kind 30 (MPTCP) falls in 9-255, which is how an
	 * ASA silently turns every MPTCP connection into plain TCP.
	 */
	for (k = 0; k < 256; k++)
		m->option_action[k] = (k <= 5 || k == 8) ? MPN_ACTION_ALLOW : MPN_ACTION_CLEAR;
	m->syn_data = MPN_ACTION_ALLOW;
	m->synack_data = MPN_ACTION_DROP;
	m->reserved_bits = MPN_ACTION_ALLOW;
	m->urgent_flag = MPN_ACTION_CLEAR;
	m->checksum_verification = false;
	m->exceed_mss = MPN_ACTION_ALLOW;
	m->invalid_ack = MPN_ACTION_DROP;
	m->seq_past_window = MPN_ACTION_DROP;
	m->window_variation = MPN_ACTION_ALLOW;
	m->ttl_evasion_protection = true;
	m->mss_clamp = 0;
	/*
	 * The mptcp section only matters once `tcp-options range 30 30 allow`
	 * lets kind 30 through; then every subtype passes, joins are verified,
	 * and malformed kind-30 options are dropped (a short DSS is how
	 * CVE-2017-13040 reached tcpdump).
	 */
	m->mptcp.mode = MPN_MPTCP_ALLOW;
	for (k = 0; k < MPN_MPTCP_SUBTYPES; k++)
		m->mptcp.subtype_action[k] = MPN_ACTION_ALLOW;
	m->mptcp.malformed = MPN_ACTION_DROP;
	m->mptcp.join = MPN_JOIN_VERIFY;
	m->mptcp.subflow_limit = 9;      /* the initial subflow plus Linux's 8 joins */
	m->mptcp.join_pending_limit = 4;
	m->mptcp.add_addr.restricted = false;
	m->mptcp.add_addr.action = MPN_ACTION_CLEAR;
	m->mptcp.join_refuse_action = MPN_JOIN_REFUSE_DROP;
	m->mptcp.join_refuse_rate = 100;
	m->mptcp.join_rate_limit = 0;
	m->mptcp.add_addr_limit = 0;
	m->mptcp.join_early_drop = false;
}

struct mpn_policy *
mpn_policy_new(void)
{
	struct mpn_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	static uint32_t generations;

	mpn_tcp_map_defaults(&p->tcp_maps[0], "default");
	p->generation = __atomic_add_fetch(&generations, 1, __ATOMIC_RELAXED);
	if (p->generation == 0)
		p->generation = __atomic_add_fetch(&generations, 1, __ATOMIC_RELAXED);
	p->n_tcp_maps = 1;
	p->global_policy_map = -1;
	p->default_rule.class_idx = -1;
	p->default_rule.tcp_map_idx = 0;
	return p;
}

void
mpn_policy_free(struct mpn_policy *p)
{
	free(p);
}

int
mpn_policy_tcp_map_index(const struct mpn_policy *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->n_tcp_maps; i++)
		if (strcmp(p->tcp_maps[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
mpn_policy_class_index(const struct mpn_policy *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->n_classes; i++)
		if (strcmp(p->classes[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
mpn_policy_map_index(const struct mpn_policy *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->n_policy_maps; i++)
		if (strcmp(p->policy_maps[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
mpn_prefix_parse(const char *s, struct mpn_prefix *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long len;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	memset(out, 0, sizeof(*out));
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = 6;
	else
		return -1;
	len = out->family == 4 ? 32 : 128;
	if (slash != NULL) {
		long max = len;

		len = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || len < 0 || len > max)
			return -1;
	}
	out->len = (uint8_t)len;
	return 0;
}

bool
mpn_prefix_contains(const struct mpn_prefix *pfx, uint8_t family, const uint8_t *addr)
{
	unsigned int full = pfx->len / 8, rest = pfx->len % 8;

	if (pfx->family != family)
		return false;
	if (memcmp(pfx->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((pfx->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
mpn_port_range_parse(const char *s, struct mpn_port_range *out)
{
	char *end;
	long lo, hi;

	lo = strtol(s, &end, 10);
	if (end == s || lo < 0 || lo > 65535)
		return -1;
	hi = lo;
	if (*end == '-') {
		const char *h = end + 1;

		hi = strtol(h, &end, 10);
		if (end == h || hi < lo || hi > 65535)
			return -1;
	}
	if (*end != '\0')
		return -1;
	out->lo = (uint16_t)lo;
	out->hi = (uint16_t)hi;
	return 0;
}

static bool
prefix_list_match(const struct mpn_prefix *l, unsigned int n, uint8_t family,
	const uint8_t *addr)
{
	unsigned int i;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (mpn_prefix_contains(&l[i], family, addr))
			return true;
	return false;
}

static bool
port_list_match(const struct mpn_port_range *l, unsigned int n, uint16_t port)
{
	unsigned int i;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (port >= l[i].lo && port <= l[i].hi)
			return true;
	return false;
}

static bool
dir_match(enum mpn_dir_match m, uint8_t dir)
{
	return m == MPN_DIR_MATCH_ANY ||
		(m == MPN_DIR_MATCH_IN2OUT && dir == 0) ||
		(m == MPN_DIR_MATCH_OUT2IN && dir == 1);
}

/* The 5-tuple criteria, in one orientation. */
static bool
tuple_match(const struct mpn_class_map *c, uint8_t family, const uint8_t *src,
	const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	return prefix_list_match(c->src, c->n_src, family, src) &&
		prefix_list_match(c->dst, c->n_dst, family, dst) &&
		port_list_match(c->sport, c->n_sport, sport) &&
		port_list_match(c->dport, c->n_dport, dport);
}

bool
mpn_class_matches(const struct mpn_class_map *c, const struct mpn_classify_key *k)
{
	if (c->link >= 0 && c->link != k->link)
		return false;
	if (!dir_match(c->dir, k->dir))
		return false;
	if ((c->mptcp == MPN_MPTCP_MATCH_PRESENT && !k->mptcp) ||
			(c->mptcp == MPN_MPTCP_MATCH_ABSENT && k->mptcp))
		return false;
	if (c->mptcp_versions != 0 && (!k->mptcp || !k->have_version || k->version > 7 ||
			!(c->mptcp_versions & (1u << k->version))))
		return false;
	if (c->mptcp_c_flag != MPN_C_FLAG_ANY && (!k->mptcp ||
			k->c_flag != (c->mptcp_c_flag == MPN_C_FLAG_SET)))
		return false;
	if (c->mptcp_subtypes != 0 && (c->mptcp_subtypes & k->subtypes) == 0)
		return false;
	/*
	 * A class names a connection ("dst-port 10000" means the VPN server),
	 * and the server's replies must get the same treatment as the client's
	 * packets, as on an ASA, where the class applies to the whole
	 * connection. Without connection state, match either orientation.
	 */
	return tuple_match(c, k->family, k->src, k->dst, k->sport, k->dport) ||
		tuple_match(c, k->family, k->dst, k->src, k->dport, k->sport);
}

static int
bound_policy_map(const struct mpn_policy *p, const struct mpn_classify_key *k)
{
	int link_any = -1;
	unsigned int i;

	for (i = 0; i < p->n_bindings; i++) {
		const struct mpn_policy_binding *b = &p->bindings[i];

		if (b->link != k->link)
			continue;
		if (b->dir == MPN_DIR_MATCH_ANY) {
			if (link_any < 0)
				link_any = b->policy_map_idx;
		} else if (dir_match(b->dir, k->dir)) {
			return b->policy_map_idx;
		}
	}
	return link_any >= 0 ? link_any : p->global_policy_map;
}

bool
mpn_policy_rule_applies(const struct mpn_policy *p, uint16_t id,
	const struct mpn_classify_key *k)
{
	int pm = bound_policy_map(p, k);

	if (id == 0 || id >= MPN_POLICY_RULE_IDS || pm < 0)
		return false;
	return (unsigned int)pm == (id - 1u) / MPN_POLICY_MAX_RULES &&
		(id - 1u) % MPN_POLICY_MAX_RULES < p->policy_maps[pm].n_rules;
}

const struct mpn_policy_rule *
mpn_policy_classify(const struct mpn_policy *p, const struct mpn_classify_key *k)
{
	int pm = bound_policy_map(p, k);
	unsigned int i;

	if (pm < 0)
		return &p->default_rule;
	for (i = 0; i < p->policy_maps[pm].n_rules; i++) {
		const struct mpn_policy_rule *r = &p->policy_maps[pm].rules[i];

		if (mpn_class_matches(&p->classes[r->class_idx], k))
			return r;
	}
	return &p->default_rule;
}

bool
mpn_addaddr_allowed(const struct mpn_addaddr_policy *ap, uint8_t family, const uint8_t *addr)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned int i;

	/* RFC 4291 §2.5.5.2: ::ffff:a.b.c.d is the IPv4 host a.b.c.d. */
	if (family == 6 && memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		family = 4;
		addr += 12;
	}
	for (i = 0; i < ap->n_deny && i < MPN_POLICY_MAX_PREFIXES; i++)
		if (mpn_prefix_contains(&ap->deny[i], family, addr))
			return false;
	if (ap->n_prefixes == 0)
		return true;
	for (i = 0; i < ap->n_prefixes && i < MPN_POLICY_MAX_PREFIXES; i++)
		if (mpn_prefix_contains(&ap->prefixes[i], family, addr))
			return true;
	return false;
}

uint16_t
mpn_policy_rule_id(const struct mpn_policy *p, const struct mpn_policy_rule *r)
{
	const char *base = (const char *)p->policy_maps;
	size_t off;
	unsigned int pm, i;

	if (r == &p->default_rule || (const char *)r < base ||
			(const char *)r >= base + sizeof(p->policy_maps))
		return 0;
	off = (size_t)((const char *)r - base);
	pm = (unsigned int)(off / sizeof(p->policy_maps[0]));
	i = (unsigned int)(r - p->policy_maps[pm].rules);
	return (uint16_t)(1 + pm * MPN_POLICY_MAX_RULES + i);
}

const struct mpn_policy_rule *
mpn_policy_rule_by_id(const struct mpn_policy *p, uint16_t id)
{
	unsigned int pm, i;

	if (id == 0 || id >= MPN_POLICY_RULE_IDS)
		return &p->default_rule;
	pm = (id - 1u) / MPN_POLICY_MAX_RULES;
	i = (id - 1u) % MPN_POLICY_MAX_RULES;
	if (pm >= p->n_policy_maps || i >= p->policy_maps[pm].n_rules)
		return &p->default_rule;
	return &p->policy_maps[pm].rules[i];
}

const char *
mpn_action_name(enum mpn_action a)
{
	switch (a) {
	case MPN_ACTION_ALLOW: return "allow";
	case MPN_ACTION_CLEAR: return "clear";
	case MPN_ACTION_DROP: return "drop";
	case MPN_ACTION_ALERT: return "alert";
	}
	return "?";
}

const char *
mpn_mptcp_mode_name(enum mpn_mptcp_mode m)
{
	switch (m) {
	case MPN_MPTCP_ALLOW: return "allow";
	case MPN_MPTCP_FALLBACK: return "fallback";
	case MPN_MPTCP_DROP: return "drop";
	}
	return "?";
}

const char *
mpn_join_refuse_action_name(enum mpn_join_refuse_action a)
{
	return a == MPN_JOIN_REFUSE_RESET ? "reset" : "drop";
}

const char *
mpn_join_policy_name(enum mpn_join_policy j)
{
	switch (j) {
	case MPN_JOIN_VERIFY: return "verify";
	case MPN_JOIN_ALLOW_UNKNOWN: return "allow-unknown";
	case MPN_JOIN_ALLOW: return "allow";
	}
	return "?";
}
