/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration written back (`show running-config`): the same
 * libconfig that reads the file builds the tree and writes it, so what is
 * written is exactly what mpn_config_load() parses. Every setting is
 * spelled out, defaults included: the running config answers "what is in
 * force", not "what differs from the defaults".
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"
#include "logmsg.h"
#include "policy.h"

static const char *const subtype_words[] = {
	"mp-capable", "mp-join", "dss", "add-addr", "remove-addr", "mp-prio", "mp-fail",
	"mp-fastclose", "mp-tcprst",
};

static const char *const dir_words[] = { "any", "inside-outside", "outside-inside" };
static const char *const mptcp_words[] = { "any", "present", "absent" };

static config_setting_t *
add(config_setting_t *parent, const char *name, int type)
{
	return config_setting_add(parent, name, type);
}

static void
set_str(config_setting_t *g, const char *name, const char *v)
{
	config_setting_set_string(add(g, name, CONFIG_TYPE_STRING), v);
}

static void
set_uint(config_setting_t *g, const char *name, unsigned long long v)
{
	/* libconfig ints are 32-bit signed; bigger values are written as int64 ("...L"). */
	if (v > INT_MAX)
		config_setting_set_int64(add(g, name, CONFIG_TYPE_INT64), (long long)v);
	else
		config_setting_set_int(add(g, name, CONFIG_TYPE_INT), (int)v);
}

static void
set_bool(config_setting_t *g, const char *name, bool v)
{
	config_setting_set_bool(add(g, name, CONFIG_TYPE_BOOL), v);
}

static void
elem_str(config_setting_t *list, const char *v)
{
	config_setting_set_string(config_setting_add(list, NULL, CONFIG_TYPE_STRING), v);
}

static void
prefix_str(const struct mpn_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(buf, n, "%s/%u", a, p->len);
}

static void
set_prefixes(config_setting_t *g, const char *name, const struct mpn_prefix *p, unsigned int n)
{
	config_setting_t *l;
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned int i;

	if (n == 0)
		return;
	l = add(g, name, CONFIG_TYPE_LIST);
	for (i = 0; i < n; i++) {
		prefix_str(&p[i], buf, sizeof(buf));
		elem_str(l, buf);
	}
}

/* A list, so numbers and "LOW-HIGH" strings may mix (an array may not). */
static void
set_ports(config_setting_t *g, const char *name, const struct mpn_port_range *r, unsigned int n)
{
	config_setting_t *l;
	unsigned int i;

	if (n == 0)
		return;
	l = add(g, name, CONFIG_TYPE_LIST);
	for (i = 0; i < n; i++) {
		if (r[i].lo == r[i].hi) {
			config_setting_set_int(config_setting_add(l, NULL, CONFIG_TYPE_INT), r[i].lo);
		} else {
			char buf[16];

			snprintf(buf, sizeof(buf), "%u-%u", r[i].lo, r[i].hi);
			elem_str(l, buf);
		}
	}
}

/* `tcp-options range`: runs of equal actions within 6-7 and 9-255, as the loader accepts. */
static void
write_ranges(config_setting_t *opts, const struct mpn_tcp_map *m)
{
	config_setting_t *l = add(opts, "range", CONFIG_TYPE_LIST);
	static const unsigned int spans[2][2] = { { 6, 7 }, { 9, 255 } };
	unsigned int s, k, e;
	char buf[32];

	for (s = 0; s < 2; s++) {
		for (k = spans[s][0]; k <= spans[s][1]; k = e + 1) {
			for (e = k; e + 1 <= spans[s][1] &&
					m->option_action[e + 1] == m->option_action[k]; e++)
				;
			snprintf(buf, sizeof(buf), "%u %u %s", k, e,
				mpn_action_name(m->option_action[k]));
			elem_str(l, buf);
		}
	}
}

static void
write_tcp_map(config_setting_t *list, const struct mpn_tcp_map *m)
{
	config_setting_t *g = add(list, NULL, CONFIG_TYPE_GROUP);
	config_setting_t *o, *mp, *a;
	const struct mpn_mptcp_policy *p = &m->mptcp;
	unsigned int s;

	set_str(g, "name", m->name);
	o = add(g, "tcp-options", CONFIG_TYPE_GROUP);
	write_ranges(o, m);
	set_str(o, "selective-ack", mpn_action_name(m->option_action[4]));
	set_str(o, "timestamp", mpn_action_name(m->option_action[8]));
	set_str(o, "window-scale", mpn_action_name(m->option_action[3]));
	set_str(g, "syn-data", mpn_action_name(m->syn_data));
	set_str(g, "synack-data", mpn_action_name(m->synack_data));
	set_str(g, "reserved-bits", mpn_action_name(m->reserved_bits));
	set_str(g, "urgent-flag", mpn_action_name(m->urgent_flag));
	set_bool(g, "checksum-verification", m->checksum_verification);
	set_str(g, "exceed-mss", mpn_action_name(m->exceed_mss));
	set_str(g, "invalid-ack", mpn_action_name(m->invalid_ack));
	set_str(g, "seq-past-window", mpn_action_name(m->seq_past_window));
	set_str(g, "window-variation", mpn_action_name(m->window_variation));
	set_bool(g, "ttl-evasion-protection", m->ttl_evasion_protection);
	set_uint(g, "mss-clamp", m->mss_clamp);
	mp = add(g, "mptcp", CONFIG_TYPE_GROUP);
	set_str(mp, "mode", mpn_mptcp_mode_name(p->mode));
	set_str(mp, "join", mpn_join_policy_name(p->join));
	set_uint(mp, "subflow-limit", p->subflow_limit);
	set_uint(mp, "join-pending-limit", p->join_pending_limit);
	set_str(mp, "malformed", mpn_action_name(p->malformed));
	for (s = 0; s < sizeof(subtype_words) / sizeof(subtype_words[0]); s++)
		set_str(mp, subtype_words[s], mpn_action_name(p->subtype_action[s]));
	/* Subtypes 9-14 share one knob; 15 is "private". */
	set_str(mp, "unknown", mpn_action_name(p->subtype_action[9]));
	set_str(mp, "private", mpn_action_name(p->subtype_action[15]));
	a = add(mp, "addresses", CONFIG_TYPE_GROUP);
	set_prefixes(a, "allow", p->add_addr.prefixes, p->add_addr.n_prefixes);
	set_prefixes(a, "deny", p->add_addr.deny, p->add_addr.n_deny);
	set_ports(a, "ports", p->add_addr.ports, p->add_addr.n_ports);
	set_str(a, "hmac", p->add_addr.hmac == MPN_ADDADDR_HMAC_ENFORCE ? "enforce" : "ignore");
	set_str(a, "action", mpn_action_name(p->add_addr.action));
	set_str(mp, "join-refuse-action", mpn_join_refuse_action_name(p->join_refuse_action));
	set_uint(mp, "join-refuse-rate", p->join_refuse_rate);
	set_uint(mp, "join-rate-limit", p->join_rate_limit);
	set_uint(mp, "add-addr-limit", p->add_addr_limit);
	set_str(mp, "join-early", p->join_early_drop ? "drop" : "allow");
}

/* The MPTCP attribute criteria (issue 16), written only when given: absent means any. */
static void
write_class_mptcp(config_setting_t *m, const struct mpn_class_map *c)
{
	config_setting_t *l;
	unsigned int i;

	if (c->mptcp_versions != 0) {
		l = add(m, "mptcp-version", CONFIG_TYPE_ARRAY);
		for (i = 0; i < 2; i++)
			if (c->mptcp_versions & (1u << i))
				config_setting_set_int(config_setting_add(l, NULL, CONFIG_TYPE_INT),
					(int)i);
	}
	if (c->mptcp_c_flag != MPN_C_FLAG_ANY)
		set_bool(m, "mptcp-c-flag", c->mptcp_c_flag == MPN_C_FLAG_SET);
	if (c->mptcp_subtypes != 0) {
		l = add(m, "mptcp-subtype", CONFIG_TYPE_ARRAY);
		for (i = 0; i < sizeof(subtype_words) / sizeof(subtype_words[0]); i++)
			if (c->mptcp_subtypes & (1u << i))
				elem_str(l, subtype_words[i]);
		if (c->mptcp_subtypes & 0x7e00)
			elem_str(l, "unknown");
		if (c->mptcp_subtypes & 0x8000)
			elem_str(l, "private");
	}
}

static void
write_class(config_setting_t *list, const struct mpn_config *cfg, const struct mpn_class_map *c)
{
	config_setting_t *g = add(list, NULL, CONFIG_TYPE_GROUP);
	config_setting_t *m;

	set_str(g, "name", c->name);
	if (c->n_src == 0 && c->n_dst == 0 && c->n_sport == 0 && c->n_dport == 0 &&
			c->link < 0 && c->dir == MPN_DIR_MATCH_ANY && c->mptcp == MPN_MPTCP_MATCH_ANY &&
			c->mptcp_versions == 0 && c->mptcp_c_flag == MPN_C_FLAG_ANY &&
			c->mptcp_subtypes == 0) {
		set_str(g, "match", "any");
		return;
	}
	m = add(g, "match", CONFIG_TYPE_GROUP);
	set_prefixes(m, "src", c->src, c->n_src);
	set_prefixes(m, "dst", c->dst, c->n_dst);
	set_ports(m, "src-port", c->sport, c->n_sport);
	set_ports(m, "dst-port", c->dport, c->n_dport);
	if (c->link >= 0 && (unsigned int)c->link < cfg->n_links)
		set_str(m, "link", cfg->links[c->link].name);
	set_str(m, "direction", dir_words[c->dir]);
	set_str(m, "mptcp", mptcp_words[c->mptcp]);
	write_class_mptcp(m, c);
}

static void
write_policy(config_setting_t *root, const struct mpn_config *cfg, const struct mpn_policy *p)
{
	config_setting_t *l, *sp;
	unsigned int i, j;

	/* tcp_maps[0] is the built-in "default": never written, never loadable. */
	l = add(root, "tcp-maps", CONFIG_TYPE_LIST);
	for (i = 1; i < p->n_tcp_maps; i++)
		write_tcp_map(l, &p->tcp_maps[i]);
	l = add(root, "class-maps", CONFIG_TYPE_LIST);
	for (i = 0; i < p->n_classes; i++)
		write_class(l, cfg, &p->classes[i]);
	l = add(root, "policy-maps", CONFIG_TYPE_LIST);
	for (i = 0; i < p->n_policy_maps; i++) {
		const struct mpn_policy_map *pm = &p->policy_maps[i];
		config_setting_t *g = add(l, NULL, CONFIG_TYPE_GROUP);
		config_setting_t *rl;

		set_str(g, "name", pm->name);
		rl = add(g, "class", CONFIG_TYPE_LIST);
		for (j = 0; j < pm->n_rules; j++) {
			const struct mpn_policy_rule *r = &pm->rules[j];
			config_setting_t *rg = add(rl, NULL, CONFIG_TYPE_GROUP);

			set_str(rg, "class", p->classes[r->class_idx].name);
			set_str(rg, "tcp-map", p->tcp_maps[r->tcp_map_idx].name);
			set_bool(rg, "inspect", r->inspect);
			set_bool(rg, "tcp-state-bypass", r->tcp_state_bypass);
			set_bool(rg, "monitor", r->monitor);
		}
	}
	sp = add(root, "service-policy", CONFIG_TYPE_GROUP);
	if (p->global_policy_map >= 0)
		set_str(sp, "global", p->policy_maps[p->global_policy_map].name);
	if (p->n_bindings > 0) {
		l = add(sp, "interface", CONFIG_TYPE_LIST);
		for (i = 0; i < p->n_bindings; i++) {
			const struct mpn_policy_binding *b = &p->bindings[i];
			config_setting_t *g = add(l, NULL, CONFIG_TYPE_GROUP);

			set_str(g, "link", cfg->links[b->link].name);
			set_str(g, "direction", dir_words[b->dir]);
			set_str(g, "policy-map", p->policy_maps[b->policy_map_idx].name);
		}
	}
}

int
mpn_config_write(const struct mpn_config *cfg, const struct mpn_policy *policy, FILE *f,
	char *err, size_t errlen)
{
	static const char *const placements[] = { "auto", "symmetric", "handoff" };
	config_t c;
	config_setting_t *root, *g, *l;
	unsigned int i;
	char mode[8];

	if (policy == NULL)
		policy = cfg->policy;
	config_init(&c);
	root = config_root_setting(&c);

	g = add(root, "dataplane", CONFIG_TYPE_GROUP);
	set_uint(g, "workers", cfg->dataplane.workers);
	set_uint(g, "burst", cfg->dataplane.burst);
	set_uint(g, "rx_desc", cfg->dataplane.rx_desc);
	set_uint(g, "tx_desc", cfg->dataplane.tx_desc);
	set_uint(g, "mbufs", cfg->dataplane.mbufs);
	set_uint(g, "mbuf_cache", cfg->dataplane.mbuf_cache);
	set_str(g, "placement", placements[cfg->dataplane.placement]);
	set_uint(g, "handoff_ring", cfg->dataplane.handoff_ring);
	set_uint(g, "event_ring", cfg->dataplane.event_ring);

	g = add(root, "control", CONFIG_TYPE_GROUP);
	set_str(g, "socket", cfg->control.socket);
	snprintf(mode, sizeof(mode), "%04o", cfg->control.mode);
	set_str(g, "mode", mode);
	if (cfg->control.group[0] != '\0')
		set_str(g, "group", cfg->control.group);
	set_uint(g, "idle-timeout", cfg->control.idle_timeout);

	g = add(root, "tables", CONFIG_TYPE_GROUP);
	set_uint(g, "subflows", cfg->tables.subflows);
	set_uint(g, "connections", cfg->tables.connections);
	set_uint(g, "embryonic-timeout", cfg->tables.embryonic_timeout);
	set_uint(g, "idle-timeout", cfg->tables.idle_timeout);
	set_uint(g, "half-closed-timeout", cfg->tables.half_closed_timeout);
	set_uint(g, "closed-timeout", cfg->tables.closed_timeout);
	set_uint(g, "unconfirmed-timeout", cfg->tables.unconfirmed_timeout);
	set_uint(g, "learn-limit", cfg->tables.learn_limit);
	set_str(g, "unknown-subflow", cfg->tables.unknown_subflow_drop ? "drop" : "learn");
	set_bool(g, "tracking", cfg->tables.tracking);

	if (cfg->flow_export.enabled) {
		const struct mpn_config_export *x = &cfg->flow_export;

		g = add(root, "flow-export", CONFIG_TYPE_GROUP);
		set_str(g, "collector", x->collector);
		set_uint(g, "port", x->port);
		set_str(g, "transport", x->tcp ? "tcp" : "udp");
		set_uint(g, "template-refresh", x->template_refresh);
		set_uint(g, "queue", x->queue);
		set_uint(g, "mtu", x->mtu);
		set_uint(g, "delay", x->delay);
		set_uint(g, "domain", x->domain);
		set_uint(g, "enterprise-number", x->enterprise);
	}

	/* The store's password stays in its credentials file: only the file's name is written. */
	if (cfg->cluster.enabled) {
		const struct mpn_config_cluster *k = &cfg->cluster;

		g = add(root, "cluster", CONFIG_TYPE_GROUP);
		set_str(g, "store", k->store);
		if (k->credentials[0] != '\0')
			set_str(g, "credentials", k->credentials);
		set_str(g, "node", k->node);
		set_str(g, "prefix", k->prefix);
		set_uint(g, "ttl", k->ttl);
		set_uint(g, "fetch-timeout", k->fetch_timeout);
		set_str(g, "unreachable", mpn_cluster_unreachable_name(k->unreachable));
		set_uint(g, "request-ring", k->request_ring);
		set_uint(g, "answer-ring", k->answer_ring);
	}

	g = add(root, "logging", CONFIG_TYPE_GROUP);
	set_bool(g, "syslog", cfg->logging.syslog);
	set_str(g, "facility", mpn_logmsg_facility_name(cfg->logging.facility));
	set_str(g, "level", mpn_logmsg_level_name(cfg->logging.level));
	set_uint(g, "rate", cfg->logging.rate);

	l = add(root, "ports", CONFIG_TYPE_LIST);
	for (i = 0; i < cfg->n_ports; i++) {
		const struct mpn_config_port *p = &cfg->ports[i];

		g = add(l, NULL, CONFIG_TYPE_GROUP);
		set_str(g, "name", p->name);
		if (p->devargs[0] != '\0')
			set_str(g, "devargs", p->devargs);
		set_uint(g, "rx_desc", p->rx_desc);
		set_uint(g, "tx_desc", p->tx_desc);
	}
	l = add(root, "links", CONFIG_TYPE_LIST);
	for (i = 0; i < cfg->n_links; i++) {
		const struct mpn_config_link *k = &cfg->links[i];

		g = add(l, NULL, CONFIG_TYPE_GROUP);
		set_str(g, "name", k->name);
		if (k->one_armed) {
			set_str(g, "port", cfg->ports[k->inside].name);
		} else {
			set_str(g, "inside", cfg->ports[k->inside].name);
			set_str(g, "outside", cfg->ports[k->outside].name);
		}
	}
	if (policy != NULL)
		write_policy(root, cfg, policy);
	config_write(&c, f);
	config_destroy(&c);
	if (ferror(f)) {
		snprintf(err, errlen, "cannot write the configuration");
		return -1;
	}
	return 0;
}

/* Copies with what a rewrite legitimately changes cleared. */
static void
normalise(struct mpn_config *c, struct mpn_policy *p)
{
	unsigned int i, j;

	memset(c->path, 0, sizeof(c->path));
	c->policy = NULL;
	c->dataplane.workers_line = 0;
	c->flow_export.line = 0;
	c->cluster.line = 0;
	for (i = 0; i < MPN_CONFIG_MAX_PORTS; i++)
		c->ports[i].line = 0;
	for (i = 0; i < MPN_CONFIG_MAX_LINKS; i++)
		c->links[i].line = 0;
	if (p == NULL)
		return;
	p->generation = 0;
	for (i = 0; i < MPN_POLICY_MAX_TCP_MAPS; i++)
		p->tcp_maps[i].line = 0;
	for (i = 0; i < MPN_POLICY_MAX_CLASSES; i++)
		p->classes[i].line = 0;
	for (i = 0; i < MPN_POLICY_MAX_POLICY_MAPS; i++) {
		p->policy_maps[i].line = 0;
		for (j = 0; j < MPN_POLICY_MAX_RULES; j++)
			p->policy_maps[i].rules[j].line = 0;
	}
	for (i = 0; i < MPN_POLICY_MAX_BINDINGS; i++)
		p->bindings[i].line = 0;
	p->default_rule.line = 0;
}

bool
mpn_config_same(const struct mpn_config *a, const struct mpn_config *b)
{
	static struct mpn_config ca, cb;
	static struct mpn_policy pa, pb;
	bool same;

	/* memcpy, not assignment: padding must be copied too for memcmp. */
	memcpy(&ca, a, sizeof(ca));
	memcpy(&cb, b, sizeof(cb));
	if ((a->policy == NULL) != (b->policy == NULL))
		return false;
	if (a->policy != NULL) {
		memcpy(&pa, a->policy, sizeof(pa));
		memcpy(&pb, b->policy, sizeof(pb));
	}
	normalise(&ca, a->policy != NULL ? &pa : NULL);
	normalise(&cb, b->policy != NULL ? &pb : NULL);
	same = memcmp(&ca, &cb, sizeof(ca)) == 0;
	if (same && a->policy != NULL)
		same = memcmp(&pa, &pb, sizeof(pa)) == 0;
	return same;
}
