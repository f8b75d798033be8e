/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"

/* Everything the loader needs to report an error with file and line. */
struct loader {
	const char *path;
	char *err;
	size_t errlen;
};

static int
fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int line = s != NULL ? (int)config_setting_source_line(s) : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d: %s", ld->path, line, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->path, msg);
	return -1;
}

/*
 * Reject any member of @p group not in @p known. A typo in a knob must be an
 * error, never a silently ignored line: an operator who writes
 * "worker = 4" expects four workers.
 */
static int
check_known(struct loader *ld, const config_setting_t *group, const char *what,
	const char *const *known)
{
	int i, n = config_setting_length(group);

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(group, i);
		const char *name = config_setting_name(m);
		const char *const *k;
		char list[256] = "";
		size_t used = 0;

		if (name == NULL)
			continue;
		for (k = known; *k != NULL; k++)
			if (strcmp(*k, name) == 0)
				break;
		if (*k != NULL)
			continue;
		for (k = known; *k != NULL && used < sizeof(list); k++)
			used += snprintf(list + used, sizeof(list) - used, "%s%s",
				k == known ? "" : ", ", *k);
		return fail(ld, m, "unknown setting '%s' in %s (known: %s)", name, what, list);
	}
	return 0;
}

/* Read an optional unsigned integer member within [lo, hi]. */
static int
get_uint(struct loader *ld, const config_setting_t *group, const char *name,
	unsigned int lo, unsigned int hi, unsigned int *out)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	long long v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
			config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(ld, s, "'%s' must be an integer", name);
	v = config_setting_get_int64(s);
	if (v < (long long)lo || v > (long long)hi)
		return fail(ld, s, "'%s' = %lld is out of range [%u, %u]", name, v, lo, hi);
	*out = (unsigned int)v;
	return 0;
}

/* Read an optional string member that must fit in @p cap bytes. */
static int
get_string(struct loader *ld, const config_setting_t *group, const char *name,
	char *out, size_t cap, bool required)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	const char *v;

	if (s == NULL) {
		if (required)
			return fail(ld, group, "missing '%s'", name);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(ld, s, "'%s' must be a string", name);
	v = config_setting_get_string(s);
	if (required && v[0] == '\0')
		return fail(ld, s, "'%s' must not be empty", name);
	if (strlen(v) >= cap)
		return fail(ld, s, "'%s' is longer than %zu characters", name, cap - 1);
	snprintf(out, cap, "%s", v);
	return 0;
}

static int
load_dataplane(struct loader *ld, const config_setting_t *root, struct mpn_config *cfg)
{
	static const char *const known[] = {
		"burst", "mbuf_cache", "mbufs", "rx_desc", "tx_desc", "workers", NULL,
	};
	struct mpn_config_dataplane *dp = &cfg->dataplane;
	const config_setting_t *g = config_setting_get_member(root, "dataplane");

	dp->workers = MPN_DEFAULT_WORKERS;
	dp->burst = MPN_DEFAULT_BURST;
	dp->rx_desc = MPN_DEFAULT_RX_DESC;
	dp->tx_desc = MPN_DEFAULT_TX_DESC;
	dp->mbufs = MPN_DEFAULT_MBUFS;
	dp->mbuf_cache = MPN_DEFAULT_MBUF_CACHE;
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return fail(ld, g, "'dataplane' must be a group: dataplane = { ... };");
	if (check_known(ld, g, "dataplane", known) != 0)
		return -1;
	{
		const config_setting_t *w = config_setting_get_member(g, "workers");

		if (w != NULL && config_setting_type(w) == CONFIG_TYPE_INT &&
				config_setting_get_int(w) <= 0)
			return fail(ld, w, "'workers' must be at least 1: a normalizer with no "
				"worker forwards nothing");
	}
	if (get_uint(ld, g, "workers", 1, MPN_MAX_WORKERS, &dp->workers) != 0 ||
			get_uint(ld, g, "burst", 1, MPN_MAX_BURST, &dp->burst) != 0 ||
			get_uint(ld, g, "rx_desc", 32, 32768, &dp->rx_desc) != 0 ||
			get_uint(ld, g, "tx_desc", 32, 32768, &dp->tx_desc) != 0 ||
			get_uint(ld, g, "mbufs", 512, 1u << 24, &dp->mbufs) != 0 ||
			get_uint(ld, g, "mbuf_cache", 0, 512, &dp->mbuf_cache) != 0)
		return -1;
	{
		const config_setting_t *w = config_setting_get_member(g, "workers");

		dp->workers_line = w != NULL ? (int)config_setting_source_line(w) : 0;
	}
	return 0;
}

static int
load_ports(struct loader *ld, const config_setting_t *root, struct mpn_config *cfg)
{
	static const char *const known[] = { "devargs", "name", "rx_desc", "tx_desc", NULL };
	const config_setting_t *l = config_setting_get_member(root, "ports");
	int i, j, n;

	if (l == NULL)
		return 0;
	if (!config_setting_is_list(l))
		return fail(ld, l, "'ports' must be a list: ports = ( { name = \"...\"; }, ... );");
	n = config_setting_length(l);
	if (n > MPN_CONFIG_MAX_PORTS)
		return fail(ld, l, "%d ports configured; at most %d are supported",
			n, MPN_CONFIG_MAX_PORTS);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct mpn_config_port *p = &cfg->ports[i];

		if (!config_setting_is_group(e))
			return fail(ld, e, "each port must be a group { name = \"...\"; }");
		if (check_known(ld, e, "a port", known) != 0 ||
				get_string(ld, e, "name", p->name, sizeof(p->name), true) != 0 ||
				get_string(ld, e, "devargs", p->devargs, sizeof(p->devargs), false) != 0)
			return -1;
		p->rx_desc = cfg->dataplane.rx_desc;
		p->tx_desc = cfg->dataplane.tx_desc;
		if (get_uint(ld, e, "rx_desc", 32, 32768, &p->rx_desc) != 0 ||
				get_uint(ld, e, "tx_desc", 32, 32768, &p->tx_desc) != 0)
			return -1;
		p->line = (int)config_setting_source_line(e);
		for (j = 0; j < i; j++)
			if (strcmp(cfg->ports[j].name, p->name) == 0)
				return fail(ld, e, "port '%s' is listed twice (first at line %d)",
					p->name, cfg->ports[j].line);
	}
	cfg->n_ports = (unsigned int)n;
	return 0;
}

/* Resolve a link's port reference; a port may serve only one link. */
static int
link_port(struct loader *ld, const config_setting_t *link, const char *member,
	struct mpn_config *cfg, const int *owner_line, int *out)
{
	const config_setting_t *s = config_setting_get_member(link, member);
	char name[MPN_CONFIG_NAME_MAX];
	int idx;

	if (get_string(ld, link, member, name, sizeof(name), true) != 0)
		return -1;
	idx = mpn_config_port_index(cfg, name);
	if (idx < 0)
		return fail(ld, s, "link uses port '%s', which is not in 'ports'", name);
	if (owner_line[idx] != 0)
		return fail(ld, s, "port '%s' is already used by the link at line %d; "
			"a port belongs to one link only", name, owner_line[idx]);
	*out = idx;
	return 0;
}

static int
load_links(struct loader *ld, const config_setting_t *root, struct mpn_config *cfg)
{
	static const char *const known[] = { "inside", "name", "outside", "port", NULL };
	const config_setting_t *l = config_setting_get_member(root, "links");
	int owner_line[MPN_CONFIG_MAX_PORTS] = { 0 };
	int i, j, n;

	if (l == NULL)
		return 0;
	if (!config_setting_is_list(l))
		return fail(ld, l, "'links' must be a list: links = ( { ... }, ... );");
	n = config_setting_length(l);
	if (n > MPN_CONFIG_MAX_LINKS)
		return fail(ld, l, "%d links configured; at most %d are supported",
			n, MPN_CONFIG_MAX_LINKS);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct mpn_config_link *k = &cfg->links[i];
		bool has_port, has_in, has_out;

		if (!config_setting_is_group(e))
			return fail(ld, e, "each link must be a group { name = ...; inside = ...; "
				"outside = ...; } or { name = ...; port = ...; }");
		if (check_known(ld, e, "a link", known) != 0 ||
				get_string(ld, e, "name", k->name, sizeof(k->name), true) != 0)
			return -1;
		k->line = (int)config_setting_source_line(e);
		has_port = config_setting_get_member(e, "port") != NULL;
		has_in = config_setting_get_member(e, "inside") != NULL;
		has_out = config_setting_get_member(e, "outside") != NULL;
		if (has_port && (has_in || has_out))
			return fail(ld, e, "link '%s': give either 'port' (one-armed) or "
				"'inside' and 'outside' (pair), not both", k->name);
		if (has_port) {
			if (link_port(ld, e, "port", cfg, owner_line, &k->inside) != 0)
				return -1;
			k->outside = k->inside;
			k->one_armed = true;
			owner_line[k->inside] = k->line;
		} else {
			if (!has_in || !has_out)
				return fail(ld, e, "link '%s' needs both 'inside' and 'outside' "
					"(or a single 'port' for a one-armed link)", k->name);
			if (link_port(ld, e, "inside", cfg, owner_line, &k->inside) != 0)
				return -1;
			owner_line[k->inside] = k->line;
			if (link_port(ld, e, "outside", cfg, owner_line, &k->outside) != 0)
				return -1;
			owner_line[k->outside] = k->line;
		}
		for (j = 0; j < i; j++)
			if (strcmp(cfg->links[j].name, k->name) == 0)
				return fail(ld, e, "link '%s' is defined twice (first at line %d)",
					k->name, cfg->links[j].line);
	}
	cfg->n_links = (unsigned int)n;
	return 0;
}

int
mpn_config_port_index(const struct mpn_config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
mpn_config_load(const char *path, struct mpn_config *cfg, char *err, size_t errlen)
{
	static const char *const known[] = { "dataplane", "links", "ports", NULL };
	struct loader ld = { .path = path, .err = err, .errlen = errlen };
	const config_setting_t *root;
	config_t c;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	config_init(&c);
	if (config_read_file(&c, path) != CONFIG_TRUE) {
		if (config_error_type(&c) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read the configuration file "
				"(does it exist? give another with -c FILE)", path);
		else
			snprintf(err, errlen, "%s:%d: syntax error: %s",
				config_error_file(&c) != NULL ? config_error_file(&c) : path,
				config_error_line(&c), config_error_text(&c));
		goto out;
	}
	if (strlen(path) >= sizeof(cfg->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		goto out;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	root = config_root_setting(&c);
	if (check_known(&ld, root, "the top level", known) != 0 ||
			load_dataplane(&ld, root, cfg) != 0 ||
			load_ports(&ld, root, cfg) != 0 ||
			load_links(&ld, root, cfg) != 0)
		goto out;
	rc = 0;
out:
	config_destroy(&c);
	if (rc != 0)
		memset(cfg, 0, sizeof(*cfg));
	return rc;
}
