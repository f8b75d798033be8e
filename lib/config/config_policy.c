/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy sections of the configuration: tcp-maps, class-maps,
 * policy-maps and service-policy (doc/config.md). Names follow the ASA's
 * wherever the ASA has the knob, so `tcp-options range 30 30 allow` reads
 * here as `tcp-options = { range = ( "30 30 allow" ); };`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config_private.h"
#include "policy.h"

/* Which actions a knob accepts, as a bit mask of 1 << enum mpn_action. */
#define ALLOW_DROP ((1u << MPN_ACTION_ALLOW) | (1u << MPN_ACTION_DROP))
#define ALLOW_CLEAR ((1u << MPN_ACTION_ALLOW) | (1u << MPN_ACTION_CLEAR))
#define ALLOW_CLEAR_DROP (ALLOW_CLEAR | (1u << MPN_ACTION_DROP))
#define ANY_ACTION (ALLOW_CLEAR_DROP | (1u << MPN_ACTION_ALERT))
#define CLEAR_DROP ((1u << MPN_ACTION_CLEAR) | (1u << MPN_ACTION_DROP))

static int
action_from_string(const char *s, enum mpn_action *a)
{
	static const struct { const char *n; enum mpn_action a; } names[] = {
		{ "allow", MPN_ACTION_ALLOW }, { "clear", MPN_ACTION_CLEAR },
		{ "drop", MPN_ACTION_DROP }, { "alert", MPN_ACTION_ALERT },
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].n) == 0) {
			*a = names[i].a;
			return 0;
		}
	return -1;
}

static void
allowed_list(unsigned int mask, char *buf, size_t n)
{
	unsigned int a, used = 0;

	buf[0] = '\0';
	for (a = MPN_ACTION_ALLOW; a <= MPN_ACTION_ALERT; a++)
		if (mask & (1u << a))
			used += snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
				mpn_action_name(a));
}

/* Read an optional action member and check the knob accepts it. */
static int
get_action(struct mpn_cfg_loader *ld, const config_setting_t *g, const char *name,
	unsigned int mask, enum mpn_action *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	char list[64];
	enum mpn_action a;

	if (s == NULL)
		return 0;
	allowed_list(mask, list, sizeof(list));
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return mpn_cfg_fail(ld, s, "'%s' takes one of: %s", name, list);
	if (action_from_string(config_setting_get_string(s), &a) != 0 ||
			!(mask & (1u << a)))
		return mpn_cfg_fail(ld, s, "'%s' cannot be \"%s\"; it takes one of: %s", name,
			config_setting_get_string(s), list);
	*out = a;
	return 0;
}

/* Read an optional boolean member. */
static int
get_bool(struct mpn_cfg_loader *ld, const config_setting_t *g, const char *name, bool *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return mpn_cfg_fail(ld, s, "'%s' must be true or false", name);
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

/* Read a choice among fixed words. */
static int
get_word(struct mpn_cfg_loader *ld, const config_setting_t *g, const char *name,
	const char *const *words, int *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	const char *v;
	int i;

	if (s == NULL)
		return 0;
	v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : "";
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], v) == 0) {
			*out = i;
			return 0;
		}
	{
		char list[128] = "";
		size_t used = 0;

		for (i = 0; words[i] != NULL; i++)
			used += snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
				i ? ", " : "", words[i]);
		return mpn_cfg_fail(ld, s, "'%s' must be one of %s", name, list);
	}
}

/* A list (or array) of prefixes: [ "10.0.0.0/8", "2001:db8::/32" ]. */
static int
get_prefixes(struct mpn_cfg_loader *ld, const config_setting_t *g, const char *name,
	struct mpn_prefix *out, unsigned int *n)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	int i, len;

	*n = 0;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (mpn_prefix_parse(config_setting_get_string(s), &out[0]) != 0)
			return mpn_cfg_fail(ld, s, "'%s': \"%s\" is not an IPv4 or IPv6 prefix",
				name, config_setting_get_string(s));
		*n = 1;
		return 0;
	}
	if (!config_setting_is_aggregate(s))
		return mpn_cfg_fail(ld, s, "'%s' must be a prefix or a list of prefixes", name);
	len = config_setting_length(s);
	if (len > MPN_POLICY_MAX_PREFIXES)
		return mpn_cfg_fail(ld, s, "'%s' has %d prefixes; at most %d", name, len,
			MPN_POLICY_MAX_PREFIXES);
	for (i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ?
			config_setting_get_string(e) : NULL;

		if (v == NULL || mpn_prefix_parse(v, &out[i]) != 0)
			return mpn_cfg_fail(ld, e, "'%s': element %d is not an IPv4 or IPv6 "
				"prefix such as \"10.0.0.0/8\"", name, i + 1);
	}
	*n = (unsigned int)len;
	return 0;
}

/* A port, a "LOW-HIGH" range, or a list of either. */
static int
get_ports(struct mpn_cfg_loader *ld, const config_setting_t *g, const char *name,
	struct mpn_port_range *out, unsigned int *n)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	int i, len;

	*n = 0;
	if (s == NULL)
		return 0;
	len = config_setting_is_aggregate(s) ? config_setting_length(s) : 1;
	if (len > MPN_POLICY_MAX_PORT_RANGES)
		return mpn_cfg_fail(ld, s, "'%s' has %d ranges; at most %d", name, len,
			MPN_POLICY_MAX_PORT_RANGES);
	for (i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_is_aggregate(s) ?
			config_setting_get_elem(s, i) : s;

		if (config_setting_type(e) == CONFIG_TYPE_INT) {
			int v = config_setting_get_int(e);

			if (v < 0 || v > 65535)
				return mpn_cfg_fail(ld, e, "'%s': port %d is out of range [0, 65535]",
					name, v);
			out[i].lo = out[i].hi = (uint16_t)v;
		} else if (config_setting_type(e) != CONFIG_TYPE_STRING ||
				mpn_port_range_parse(config_setting_get_string(e), &out[i]) != 0) {
			return mpn_cfg_fail(ld, e, "'%s': a port is a number or a range "
				"\"LOW-HIGH\" with 0 <= LOW <= HIGH <= 65535", name);
		}
	}
	*n = (unsigned int)len;
	return 0;
}

/*
 * `range = ( "LOW HIGH ACTION", ... )`, the ASA's `tcp-options range`. The
 * ASA accepts ranges within 6-7 and 9-255: kinds 2-5 and 8 have knobs of
 * their own, and 0 and 1 (EOL, NOP) are the padding the normalizer writes.
 */
static int
load_option_ranges(struct mpn_cfg_loader *ld, const config_setting_t *opts,
	struct mpn_tcp_map *m)
{
	const config_setting_t *r = config_setting_get_member(opts, "range");
	int i, n;

	if (r == NULL)
		return 0;
	if (!config_setting_is_aggregate(r))
		return mpn_cfg_fail(ld, r, "'range' must be a list such as "
			"( \"30 30 allow\", \"19 19 allow\" )");
	n = config_setting_length(r);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(r, i);
		const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ?
			config_setting_get_string(e) : "";
		char word[16], extra[2];
		unsigned int lo, hi, k;
		enum mpn_action a;

		if (sscanf(v, "%u %u %15s %1s", &lo, &hi, word, extra) != 3)
			return mpn_cfg_fail(ld, e, "a range is \"LOW HIGH ACTION\", e.g. "
				"\"30 30 allow\"; got \"%s\"", v);
		if (lo > hi || hi > 255 || lo < 6 || (lo <= 8 && hi >= 8))
			return mpn_cfg_fail(ld, e, "bad range %u-%u: LOW <= HIGH, within 6-7 or "
				"9-255 (kinds 2-5 and 8 have their own knobs)", lo, hi);
		if (action_from_string(word, &a) != 0 || a == MPN_ACTION_ALERT)
			return mpn_cfg_fail(ld, e, "range action \"%s\" does not exist: use "
				"allow, clear or drop", word);
		for (k = lo; k <= hi; k++)
			m->option_action[k] = a;
	}
	return 0;
}

static int
load_tcp_options(struct mpn_cfg_loader *ld, const config_setting_t *tm, struct mpn_tcp_map *m)
{
	static const char *const known[] = {
		"range", "selective-ack", "timestamp", "window-scale", NULL,
	};
	const config_setting_t *o = config_setting_get_member(tm, "tcp-options");
	enum mpn_action sack = MPN_ACTION_ALLOW, ts = MPN_ACTION_ALLOW, ws = MPN_ACTION_ALLOW;

	if (o == NULL)
		return 0;
	if (!config_setting_is_group(o))
		return mpn_cfg_fail(ld, o, "'tcp-options' must be a group { range = (...); ... }");
	if (mpn_cfg_check_known(ld, o, "tcp-options", known) != 0 ||
			load_option_ranges(ld, o, m) != 0 ||
			get_action(ld, o, "selective-ack", ALLOW_CLEAR, &sack) != 0 ||
			get_action(ld, o, "timestamp", ALLOW_CLEAR, &ts) != 0 ||
			get_action(ld, o, "window-scale", ALLOW_CLEAR, &ws) != 0)
		return -1;
	m->option_action[4] = sack;   /* SACK-permitted */
	m->option_action[5] = sack;   /* SACK blocks */
	m->option_action[8] = ts;
	m->option_action[3] = ws;
	return 0;
}

static int
load_mptcp_section(struct mpn_cfg_loader *ld, const config_setting_t *tm,
	struct mpn_tcp_map *m)
{
	static const char *const known[] = {
		"add-addr", "addresses", "dss", "join", "malformed", "mode", "mp-capable",
		"mp-fail", "mp-fastclose", "mp-join", "mp-prio", "mp-tcprst", "private",
		"join-pending-limit", "remove-addr", "subflow-limit", "unknown",
		/* Issue 16: active join refusal and per-connection limits (RFC 7430). */
		"join-refuse-action", "join-refuse-rate", "join-rate-limit", "add-addr-limit",
		"join-early", NULL,
	};
	static const char *const refuse_actions[] = { "drop", "reset", NULL };
	static const char *const early_words[] = { "allow", "drop", NULL };
	/* Subtype names in the order of their values (RFC 8684 §7.4). */
	static const char *const subtypes[] = {
		"mp-capable", "mp-join", "dss", "add-addr", "remove-addr", "mp-prio",
		"mp-fail", "mp-fastclose", "mp-tcprst",
	};
	static const char *const modes[] = { "allow", "fallback", "drop", NULL };
	static const char *const joins[] = { "verify", "allow-unknown", "allow", NULL };
	const config_setting_t *s = config_setting_get_member(tm, "mptcp");
	struct mpn_mptcp_policy *mp = &m->mptcp;
	unsigned int i;
	int mode = (int)mp->mode, join = (int)mp->join;
	int refuse = (int)mp->join_refuse_action, early = mp->join_early_drop ? 1 : 0;
	enum mpn_action unknown = MPN_ACTION_ALLOW;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return mpn_cfg_fail(ld, s, "'mptcp' must be a group { mode = \"allow\"; ... }");
	if (mpn_cfg_check_known(ld, s, "mptcp", known) != 0 ||
			get_word(ld, s, "mode", modes, &mode) != 0 ||
			get_word(ld, s, "join", joins, &join) != 0 ||
			mpn_cfg_get_uint(ld, s, "subflow-limit", 0, 12, &mp->subflow_limit) != 0 ||
			mpn_cfg_get_uint(ld, s, "join-pending-limit", 1, 4,
				&mp->join_pending_limit) != 0 ||
			get_action(ld, s, "malformed", ALLOW_CLEAR_DROP, &mp->malformed) != 0 ||
			get_action(ld, s, "private", ANY_ACTION,
				&mp->subtype_action[0xf]) != 0 ||
			get_action(ld, s, "unknown", ANY_ACTION, &unknown) != 0 ||
			get_word(ld, s, "join-refuse-action", refuse_actions, &refuse) != 0 ||
			mpn_cfg_get_uint(ld, s, "join-refuse-rate", 1, 100000,
				&mp->join_refuse_rate) != 0 ||
			mpn_cfg_get_uint(ld, s, "join-rate-limit", 0, 100000,
				&mp->join_rate_limit) != 0 ||
			mpn_cfg_get_uint(ld, s, "add-addr-limit", 0, 255, &mp->add_addr_limit) != 0 ||
			get_word(ld, s, "join-early", early_words, &early) != 0)
		return -1;
	mp->join_refuse_action = (enum mpn_join_refuse_action)refuse;
	mp->join_early_drop = early == 1;
	mp->mode = (enum mpn_mptcp_mode)mode;
	mp->join = (enum mpn_join_policy)join;
	for (i = 9; i < 0xf; i++)
		mp->subtype_action[i] = unknown;
	for (i = 0; i < sizeof(subtypes) / sizeof(subtypes[0]); i++)
		if (get_action(ld, s, subtypes[i], ANY_ACTION, &mp->subtype_action[i]) != 0)
			return -1;
	{
		static const char *const aknown[] = {
			"action", "allow", "deny", "hmac", "ports", NULL,
		};
		static const char *const hmacs[] = { "ignore", "enforce", NULL };
		const config_setting_t *a = config_setting_get_member(s, "addresses");
		struct mpn_addaddr_policy *ap = &mp->add_addr;

		if (a != NULL) {
			if (!config_setting_is_group(a))
				return mpn_cfg_fail(ld, a, "'addresses' must be a group "
					"{ allow = [ \"PREFIX\", ... ]; ports = [ ... ]; action = \"clear\"; }");
			int hmac = (int)ap->hmac;

			if (mpn_cfg_check_known(ld, a, "addresses", aknown) != 0 ||
					get_prefixes(ld, a, "allow", ap->prefixes, &ap->n_prefixes) != 0 ||
					get_prefixes(ld, a, "deny", ap->deny, &ap->n_deny) != 0 ||
					get_ports(ld, a, "ports", ap->ports, &ap->n_ports) != 0 ||
					get_word(ld, a, "hmac", hmacs, &hmac) != 0 ||
					get_action(ld, a, "action", CLEAR_DROP, &ap->action) != 0)
				return -1;
			ap->hmac = (enum mpn_addaddr_hmac_policy)hmac;
			ap->restricted = ap->n_prefixes > 0 || ap->n_deny > 0 || ap->n_ports > 0;
		}
	}
	return 0;
}

static int
load_tcp_map(struct mpn_cfg_loader *ld, const config_setting_t *e, struct mpn_policy *p)
{
	static const char *const known[] = {
		"checksum-verification", "exceed-mss", "invalid-ack", "mptcp", "mss-clamp",
		"name", "reserved-bits", "seq-past-window", "syn-data", "synack-data",
		"tcp-options", "ttl-evasion-protection", "urgent-flag", "window-variation", NULL,
	};
	struct mpn_tcp_map *m = &p->tcp_maps[p->n_tcp_maps];
	char name[MPN_POLICY_NAME_MAX];
	unsigned int clamp = 0;

	if (!config_setting_is_group(e))
		return mpn_cfg_fail(ld, e, "each tcp-map must be a group { name = \"...\"; ... }");
	if (mpn_cfg_get_string(ld, e, "name", name, sizeof(name), true) != 0)
		return -1;
	if (mpn_policy_tcp_map_index(p, name) >= 0)
		return mpn_cfg_fail(ld, e, "tcp-map '%s' is defined twice%s", name,
			strcmp(name, "default") == 0 ? " (\"default\" is built in: it is "
			"the ASA's default tcp-map)" : "");
	mpn_tcp_map_defaults(m, name);
	m->line = (int)config_setting_source_line(e);
	if (mpn_cfg_check_known(ld, e, "a tcp-map", known) != 0 ||
			load_tcp_options(ld, e, m) != 0 ||
			get_action(ld, e, "syn-data", ALLOW_DROP, &m->syn_data) != 0 ||
			get_action(ld, e, "synack-data", ALLOW_DROP, &m->synack_data) != 0 ||
			get_action(ld, e, "reserved-bits", ALLOW_CLEAR_DROP, &m->reserved_bits) != 0 ||
			get_action(ld, e, "urgent-flag", ALLOW_CLEAR, &m->urgent_flag) != 0 ||
			get_bool(ld, e, "checksum-verification", &m->checksum_verification) != 0 ||
			get_action(ld, e, "exceed-mss", ALLOW_DROP, &m->exceed_mss) != 0 ||
			get_action(ld, e, "invalid-ack", ALLOW_DROP, &m->invalid_ack) != 0 ||
			get_action(ld, e, "seq-past-window", ALLOW_DROP, &m->seq_past_window) != 0 ||
			get_action(ld, e, "window-variation", ALLOW_DROP, &m->window_variation) != 0 ||
			get_bool(ld, e, "ttl-evasion-protection", &m->ttl_evasion_protection) != 0 ||
			mpn_cfg_get_uint(ld, e, "mss-clamp", 0, 65535, &clamp) != 0 ||
			load_mptcp_section(ld, e, m) != 0)
		return -1;
	if (clamp != 0 && clamp < 64)
		return mpn_cfg_fail(ld, config_setting_get_member(e, "mss-clamp"),
			"'mss-clamp' = %u is too small to carry a TCP segment; use 0 to turn "
			"clamping off, or a value of at least 64", clamp);
	m->mss_clamp = (uint16_t)clamp;
	p->n_tcp_maps++;
	return 0;
}

static const char *const dir_words[] = { "any", "inside-outside", "outside-inside", NULL };

static int
link_by_name(struct mpn_cfg_loader *ld, const config_setting_t *g, const char *member,
	const struct mpn_config *cfg, int *out)
{
	const config_setting_t *s = config_setting_get_member(g, member);
	char name[MPN_CONFIG_NAME_MAX];
	unsigned int i;

	*out = -1;
	if (s == NULL)
		return 0;
	if (mpn_cfg_get_string(ld, g, member, name, sizeof(name), true) != 0)
		return -1;
	for (i = 0; i < cfg->n_links; i++)
		if (strcmp(cfg->links[i].name, name) == 0) {
			*out = (int)i;
			return 0;
		}
	return mpn_cfg_fail(ld, s, "link '%s' is not in 'links'", name);
}

/* Subtype names a class-map may list, by value (RFC 8684 §7.4); "unknown" is 9-14. */
static const char *const class_subtypes[] = {
	"mp-capable", "mp-join", "dss", "add-addr", "remove-addr", "mp-prio",
	"mp-fail", "mp-fastclose", "mp-tcprst",
};

static int
subtype_bits(const char *v, uint16_t *bits)
{
	unsigned int i;

	for (i = 0; i < sizeof(class_subtypes) / sizeof(class_subtypes[0]); i++)
		if (strcmp(v, class_subtypes[i]) == 0) {
			*bits = (uint16_t)(1u << i);
			return 0;
		}
	if (strcmp(v, "unknown") == 0) {
		*bits = 0x7e00; /* 9-14 */
		return 0;
	}
	if (strcmp(v, "private") == 0) {
		*bits = 0x8000;
		return 0;
	}
	return -1;
}

/*
 * The MPTCP criteria of a class-map (issue 16): `mptcp-version`,
 * `mptcp-c-flag`, `mptcp-subtype`. Each implies an MPTCP subflow, so
 * none goes with `mptcp = "absent"`.
 */
static int
load_class_mptcp(struct mpn_cfg_loader *ld, const config_setting_t *m, struct mpn_class_map *c)
{
	const config_setting_t *v = config_setting_get_member(m, "mptcp-version");
	const config_setting_t *f = config_setting_get_member(m, "mptcp-c-flag");
	const config_setting_t *st = config_setting_get_member(m, "mptcp-subtype");
	int i, n;

	if (v != NULL) {
		n = config_setting_is_aggregate(v) ? config_setting_length(v) : 1;
		if (n == 0)
			return mpn_cfg_fail(ld, v, "'mptcp-version' is 0, 1 or a list [ 0, 1 ]");
		for (i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_is_aggregate(v) ?
				config_setting_get_elem(v, i) : v;
			int ver = config_setting_type(e) == CONFIG_TYPE_INT ?
				config_setting_get_int(e) : -1;

			if (ver != 0 && ver != 1)
				return mpn_cfg_fail(ld, e, "'mptcp-version' is 0 (RFC 6824) or 1 "
					"(RFC 8684), or a list of them");
			c->mptcp_versions |= (uint8_t)(1u << ver);
		}
	}
	if (f != NULL) {
		if (config_setting_type(f) != CONFIG_TYPE_BOOL)
			return mpn_cfg_fail(ld, f, "'mptcp-c-flag' must be true or false");
		c->mptcp_c_flag = config_setting_get_bool(f) ? MPN_C_FLAG_SET : MPN_C_FLAG_CLEAR;
	}
	if (st != NULL) {
		n = config_setting_is_aggregate(st) ? config_setting_length(st) : 1;
		if (n == 0)
			return mpn_cfg_fail(ld, st, "'mptcp-subtype' names at least one subtype");
		for (i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_is_aggregate(st) ?
				config_setting_get_elem(st, i) : st;
			uint16_t bits;

			if (config_setting_type(e) != CONFIG_TYPE_STRING ||
					subtype_bits(config_setting_get_string(e), &bits) != 0)
				return mpn_cfg_fail(ld, e, "'mptcp-subtype': a subtype is one of "
					"\"mp-capable\", \"mp-join\", \"dss\", \"add-addr\", "
					"\"remove-addr\", \"mp-prio\", \"mp-fail\", \"mp-fastclose\", "
					"\"mp-tcprst\", \"unknown\", \"private\"");
			c->mptcp_subtypes |= bits;
		}
	}
	if (c->mptcp == MPN_MPTCP_MATCH_ABSENT && (v != NULL || f != NULL || st != NULL))
		return mpn_cfg_fail(ld, v != NULL ? v : f != NULL ? f : st, "class-map '%s': "
			"'mptcp = \"absent\"' matches plain TCP only, which has no MPTCP "
			"version, C flag or subtype", c->name);
	return 0;
}

static int
load_class_map(struct mpn_cfg_loader *ld, const config_setting_t *e,
	const struct mpn_config *cfg, struct mpn_policy *p)
{
	static const char *const known[] = { "match", "name", NULL };
	static const char *const mknown[] = {
		"direction", "dst", "dst-port", "link", "mptcp", "mptcp-c-flag",
		"mptcp-subtype", "mptcp-version", "src", "src-port", NULL,
	};
	static const char *const mptcp_words[] = { "any", "present", "absent", NULL };
	struct mpn_class_map *c = &p->classes[p->n_classes];
	const config_setting_t *m;
	int dir = 0, mptcp = 0;

	if (!config_setting_is_group(e))
		return mpn_cfg_fail(ld, e, "each class-map must be a group "
			"{ name = \"...\"; match = ...; }");
	memset(c, 0, sizeof(*c));
	c->link = -1;
	if (mpn_cfg_check_known(ld, e, "a class-map", known) != 0 ||
			mpn_cfg_get_string(ld, e, "name", c->name, sizeof(c->name), true) != 0)
		return -1;
	c->line = (int)config_setting_source_line(e);
	if (mpn_policy_class_index(p, c->name) >= 0)
		return mpn_cfg_fail(ld, e, "class-map '%s' is defined twice", c->name);
	m = config_setting_get_member(e, "match");
	if (m == NULL)
		return mpn_cfg_fail(ld, e, "class-map '%s' needs a 'match': \"any\" or a "
			"group of criteria", c->name);
	if (config_setting_type(m) == CONFIG_TYPE_STRING) {
		if (strcmp(config_setting_get_string(m), "any") != 0)
			return mpn_cfg_fail(ld, m, "'match' is \"any\" or a group { src = ...; "
				"dst-port = ...; ... }");
	} else if (config_setting_is_group(m)) {
		if (mpn_cfg_check_known(ld, m, "match", mknown) != 0 ||
				get_prefixes(ld, m, "src", c->src, &c->n_src) != 0 ||
				get_prefixes(ld, m, "dst", c->dst, &c->n_dst) != 0 ||
				get_ports(ld, m, "src-port", c->sport, &c->n_sport) != 0 ||
				get_ports(ld, m, "dst-port", c->dport, &c->n_dport) != 0 ||
				link_by_name(ld, m, "link", cfg, &c->link) != 0 ||
				get_word(ld, m, "direction", dir_words, &dir) != 0 ||
				get_word(ld, m, "mptcp", mptcp_words, &mptcp) != 0)
			return -1;
		c->dir = (enum mpn_dir_match)dir;
		c->mptcp = (enum mpn_mptcp_match)mptcp;
		if (load_class_mptcp(ld, m, c) != 0)
			return -1;
		if (mpn_class_is_segment_level(c))
			p->has_segment_classes = true;
	} else {
		return mpn_cfg_fail(ld, m, "'match' is \"any\" or a group of criteria");
	}
	p->n_classes++;
	return 0;
}

static int
load_policy_map(struct mpn_cfg_loader *ld, const config_setting_t *e, struct mpn_policy *p)
{
	static const char *const known[] = { "class", "name", NULL };
	static const char *const rknown[] = {
		"class", "inspect", "monitor", "tcp-map", "tcp-state-bypass", NULL,
	};
	struct mpn_policy_map *pm = &p->policy_maps[p->n_policy_maps];
	const config_setting_t *l;
	int i, n;

	if (!config_setting_is_group(e))
		return mpn_cfg_fail(ld, e, "each policy-map must be a group "
			"{ name = \"...\"; class = ( ... ); }");
	memset(pm, 0, sizeof(*pm));
	if (mpn_cfg_check_known(ld, e, "a policy-map", known) != 0 ||
			mpn_cfg_get_string(ld, e, "name", pm->name, sizeof(pm->name), true) != 0)
		return -1;
	pm->line = (int)config_setting_source_line(e);
	if (mpn_policy_map_index(p, pm->name) >= 0)
		return mpn_cfg_fail(ld, e, "policy-map '%s' is defined twice", pm->name);
	l = config_setting_get_member(e, "class");
	if (l == NULL || !config_setting_is_list(l))
		return mpn_cfg_fail(ld, l != NULL ? l : e, "policy-map '%s' needs a list "
			"class = ( { class = \"NAME\"; tcp-map = \"NAME\"; }, ... );", pm->name);
	n = config_setting_length(l);
	if (n > MPN_POLICY_MAX_RULES)
		return mpn_cfg_fail(ld, l, "%d classes in one policy-map; at most %d", n,
			MPN_POLICY_MAX_RULES);
	for (i = 0; i < n; i++) {
		const config_setting_t *r = config_setting_get_elem(l, i);
		struct mpn_policy_rule *rule = &pm->rules[i];
		char cname[MPN_POLICY_NAME_MAX], tname[MPN_POLICY_NAME_MAX] = "default";

		if (!config_setting_is_group(r))
			return mpn_cfg_fail(ld, r, "each entry is a group { class = \"NAME\"; ... }");
		if (mpn_cfg_check_known(ld, r, "a policy-map class", rknown) != 0 ||
				mpn_cfg_get_string(ld, r, "class", cname, sizeof(cname), true) != 0 ||
				mpn_cfg_get_string(ld, r, "tcp-map", tname, sizeof(tname), false) != 0 ||
				get_bool(ld, r, "inspect", &rule->inspect) != 0 ||
				get_bool(ld, r, "tcp-state-bypass", &rule->tcp_state_bypass) != 0 ||
				get_bool(ld, r, "monitor", &rule->monitor) != 0)
			return -1;
		rule->line = (int)config_setting_source_line(r);
		rule->class_idx = mpn_policy_class_index(p, cname);
		if (rule->class_idx < 0)
			return mpn_cfg_fail(ld, config_setting_get_member(r, "class"),
				"policy-map '%s' names class '%s', which is not in 'class-maps'",
				pm->name, cname);
		rule->tcp_map_idx = mpn_policy_tcp_map_index(p, tname);
		if (rule->tcp_map_idx < 0)
			return mpn_cfg_fail(ld, config_setting_get_member(r, "tcp-map"),
				"policy-map '%s' names tcp-map '%s', which is not in 'tcp-maps'",
				pm->name, tname);
		/*
		 * A `mptcp-subtype` class takes single segments of a connection
		 * whose MPTCP mode was decided at its SYN: falling back or
		 * bypassing for one segment would strip options mid-connection
		 * (RFC 8684 §3.7) or skip the tracking of that segment.
		 */
		if (mpn_class_is_segment_level(&p->classes[rule->class_idx]) &&
				(rule->inspect || rule->tcp_state_bypass ||
				p->tcp_maps[rule->tcp_map_idx].mptcp.mode == MPN_MPTCP_FALLBACK))
			return mpn_cfg_fail(ld, r, "class '%s' matches 'mptcp-subtype', so it takes "
				"single segments: it cannot have inspect, tcp-state-bypass or a tcp-map "
				"with mptcp mode \"fallback\" (MPTCP is kept or refused per connection, "
				"at the SYN)", cname);
	}
	pm->n_rules = (unsigned int)n;
	p->n_policy_maps++;
	return 0;
}

static int
policy_map_ref(struct mpn_cfg_loader *ld, const config_setting_t *g, const char *member,
	const struct mpn_policy *p, int *out)
{
	char name[MPN_POLICY_NAME_MAX];

	if (mpn_cfg_get_string(ld, g, member, name, sizeof(name), true) != 0)
		return -1;
	*out = mpn_policy_map_index(p, name);
	if (*out < 0)
		return mpn_cfg_fail(ld, config_setting_get_member(g, member),
			"policy-map '%s' is not in 'policy-maps'", name);
	return 0;
}

static int
load_service_policy(struct mpn_cfg_loader *ld, const config_setting_t *root,
	const struct mpn_config *cfg, struct mpn_policy *p)
{
	static const char *const known[] = { "global", "interface", NULL };
	static const char *const iknown[] = { "direction", "link", "policy-map", NULL };
	const config_setting_t *s = config_setting_get_member(root, "service-policy");
	const config_setting_t *l;
	int i, n;

	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return mpn_cfg_fail(ld, s, "'service-policy' must be a group { global = \"NAME\"; "
			"interface = ( ... ); }");
	if (mpn_cfg_check_known(ld, s, "service-policy", known) != 0)
		return -1;
	if (config_setting_get_member(s, "global") != NULL &&
			policy_map_ref(ld, s, "global", p, &p->global_policy_map) != 0)
		return -1;
	l = config_setting_get_member(s, "interface");
	if (l == NULL)
		return 0;
	if (!config_setting_is_list(l))
		return mpn_cfg_fail(ld, l, "'interface' must be a list ( { link = ...; "
			"policy-map = ...; }, ... )");
	n = config_setting_length(l);
	if (n > MPN_POLICY_MAX_BINDINGS)
		return mpn_cfg_fail(ld, l, "%d interface bindings; at most %d", n,
			MPN_POLICY_MAX_BINDINGS);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct mpn_policy_binding *b = &p->bindings[i];
		int dir = 0;

		if (!config_setting_is_group(e))
			return mpn_cfg_fail(ld, e, "each binding is a group { link = \"NAME\"; "
				"policy-map = \"NAME\"; }");
		if (mpn_cfg_check_known(ld, e, "a service-policy binding", iknown) != 0 ||
				link_by_name(ld, e, "link", cfg, &b->link) != 0 ||
				get_word(ld, e, "direction", dir_words, &dir) != 0 ||
				policy_map_ref(ld, e, "policy-map", p, &b->policy_map_idx) != 0)
			return -1;
		if (b->link < 0)
			return mpn_cfg_fail(ld, e, "a binding needs 'link'");
		b->dir = (enum mpn_dir_match)dir;
		b->line = (int)config_setting_source_line(e);
	}
	p->n_bindings = (unsigned int)n;
	return 0;
}

/* Run @p fn over every element of list @p name, within @p max entries. */
static int
each_entry(struct mpn_cfg_loader *ld, const config_setting_t *root, const char *name,
	int max, int (*fn)(struct mpn_cfg_loader *, const config_setting_t *,
		const struct mpn_config *, struct mpn_policy *),
	const struct mpn_config *cfg, struct mpn_policy *p)
{
	const config_setting_t *l = config_setting_get_member(root, name);
	int i, n;

	if (l == NULL)
		return 0;
	if (!config_setting_is_list(l))
		return mpn_cfg_fail(ld, l, "'%s' must be a list: %s = ( { name = \"...\"; ... } );",
			name, name);
	n = config_setting_length(l);
	if (n > max)
		return mpn_cfg_fail(ld, l, "%d entries in '%s'; at most %d", n, name, max);
	for (i = 0; i < n; i++)
		if (fn(ld, config_setting_get_elem(l, i), cfg, p) != 0)
			return -1;
	return 0;
}

static int
tcp_map_entry(struct mpn_cfg_loader *ld, const config_setting_t *e,
	const struct mpn_config *cfg, struct mpn_policy *p)
{
	(void)cfg;
	return load_tcp_map(ld, e, p);
}

static int
policy_map_entry(struct mpn_cfg_loader *ld, const config_setting_t *e,
	const struct mpn_config *cfg, struct mpn_policy *p)
{
	(void)cfg;
	return load_policy_map(ld, e, p);
}

int
mpn_cfg_load_policy(struct mpn_cfg_loader *ld, const config_setting_t *root,
	struct mpn_config *cfg)
{
	struct mpn_policy *p = mpn_policy_new();

	if (p == NULL) {
		snprintf(ld->err, ld->errlen, "%s: out of memory for the policy", ld->path);
		return -1;
	}
	/* Order matters: policy-maps name classes and tcp-maps defined before. */
	if (each_entry(ld, root, "tcp-maps", MPN_POLICY_MAX_TCP_MAPS - 1, tcp_map_entry,
				cfg, p) != 0 ||
			each_entry(ld, root, "class-maps", MPN_POLICY_MAX_CLASSES, load_class_map,
				cfg, p) != 0 ||
			each_entry(ld, root, "policy-maps", MPN_POLICY_MAX_POLICY_MAPS,
				policy_map_entry, cfg, p) != 0 ||
			load_service_policy(ld, root, cfg, p) != 0) {
		mpn_policy_free(p);
		return -1;
	}
	cfg->policy = p;
	return 0;
}
