/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"
#include "config_private.h"
#include "policy.h"

static int
load_dataplane(struct mpn_cfg_loader *ld, const config_setting_t *root, struct mpn_config *cfg)
{
	static const char *const known[] = {
		"burst", "event_ring", "handoff_ring", "mbuf_cache", "mbufs", "placement", "rx_desc",
		"tx_desc", "workers", NULL,
	};
	struct mpn_config_dataplane *dp = &cfg->dataplane;
	const config_setting_t *g = config_setting_get_member(root, "dataplane");

	dp->workers = MPN_DEFAULT_WORKERS;
	dp->burst = MPN_DEFAULT_BURST;
	dp->rx_desc = MPN_DEFAULT_RX_DESC;
	dp->tx_desc = MPN_DEFAULT_TX_DESC;
	dp->mbufs = MPN_DEFAULT_MBUFS;
	dp->mbuf_cache = MPN_DEFAULT_MBUF_CACHE;
	dp->placement = MPN_PLACEMENT_AUTO;
	dp->handoff_ring = 4096;
	dp->event_ring = 16384;
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return mpn_cfg_fail(ld, g, "'dataplane' must be a group: dataplane = { ... };");
	if (mpn_cfg_check_known(ld, g, "dataplane", known) != 0)
		return -1;
	{
		const config_setting_t *w = config_setting_get_member(g, "workers");

		if (w != NULL && config_setting_type(w) == CONFIG_TYPE_INT &&
				config_setting_get_int(w) <= 0)
			return mpn_cfg_fail(ld, w, "'workers' must be at least 1: a normalizer with no "
				"worker forwards nothing");
	}
	if (mpn_cfg_get_uint(ld, g, "workers", 1, MPN_MAX_WORKERS, &dp->workers) != 0 ||
			mpn_cfg_get_uint(ld, g, "burst", 1, MPN_MAX_BURST, &dp->burst) != 0 ||
			mpn_cfg_get_uint(ld, g, "rx_desc", 32, 32768, &dp->rx_desc) != 0 ||
			mpn_cfg_get_uint(ld, g, "tx_desc", 32, 32768, &dp->tx_desc) != 0 ||
			mpn_cfg_get_uint(ld, g, "mbufs", 512, 1u << 24, &dp->mbufs) != 0 ||
			mpn_cfg_get_uint(ld, g, "mbuf_cache", 0, 512, &dp->mbuf_cache) != 0 ||
			mpn_cfg_get_uint(ld, g, "handoff_ring", 64, 1u << 20, &dp->handoff_ring) != 0 ||
			mpn_cfg_get_uint(ld, g, "event_ring", 64, 1u << 20, &dp->event_ring) != 0)
		return -1;
	{
		char pl[16] = "auto";

		if (mpn_cfg_get_string(ld, g, "placement", pl, sizeof(pl), false) != 0)
			return -1;
		if (strcmp(pl, "auto") == 0)
			dp->placement = MPN_PLACEMENT_AUTO;
		else if (strcmp(pl, "symmetric") == 0)
			dp->placement = MPN_PLACEMENT_SYMMETRIC;
		else if (strcmp(pl, "handoff") == 0)
			dp->placement = MPN_PLACEMENT_HANDOFF;
		else
			return mpn_cfg_fail(ld, config_setting_get_member(g, "placement"),
				"'placement' is \"auto\", \"symmetric\" or \"handoff\"");
	}
	{
		const config_setting_t *w = config_setting_get_member(g, "workers");

		dp->workers_line = w != NULL ? (int)config_setting_source_line(w) : 0;
	}
	return 0;
}

/* `tracking = on | off` (or true | false). */
static int
get_on_off(struct mpn_cfg_loader *ld, const config_setting_t *g, const char *name, bool *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	const char *v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_BOOL) {
		*out = config_setting_get_bool(s) != 0;
		return 0;
	}
	v = config_setting_get_string(s);
	if (v != NULL && strcmp(v, "on") == 0)
		*out = true;
	else if (v != NULL && strcmp(v, "off") == 0)
		*out = false;
	else
		return mpn_cfg_fail(ld, s, "'%s' is \"on\" or \"off\"", name);
	return 0;
}

static int
load_tables(struct mpn_cfg_loader *ld, const config_setting_t *root, struct mpn_config *cfg)
{
	static const char *const known[] = {
		"closed-timeout", "connections", "embryonic-timeout", "half-closed-timeout",
		"idle-timeout", "learn-limit", "subflows", "tracking", "unconfirmed-timeout",
		"unknown-subflow", NULL,
	};
	struct mpn_config_tables *t = &cfg->tables;
	const config_setting_t *g = config_setting_get_member(root, "tables");
	char mid[16] = "learn";

	t->subflows = MPN_DEFAULT_SUBFLOWS;
	t->connections = MPN_DEFAULT_CONNECTIONS;
	t->embryonic_timeout = 30;
	t->idle_timeout = 3600;
	t->half_closed_timeout = 600;
	t->closed_timeout = 10;
	t->unconfirmed_timeout = 0;
	t->learn_limit = 90;
	t->tracking = true;
	if (g == NULL) {
		t->unconfirmed_timeout = t->embryonic_timeout;
		return 0;
	}
	if (!config_setting_is_group(g))
		return mpn_cfg_fail(ld, g, "'tables' must be a group: tables = { subflows = N; ... };");
	if (mpn_cfg_check_known(ld, g, "tables", known) != 0 ||
			mpn_cfg_get_uint(ld, g, "subflows", 64, 1u << 26, &t->subflows) != 0 ||
			mpn_cfg_get_uint(ld, g, "connections", 64, 1u << 26, &t->connections) != 0 ||
			mpn_cfg_get_uint(ld, g, "embryonic-timeout", 1, 86400, &t->embryonic_timeout) != 0 ||
			mpn_cfg_get_uint(ld, g, "idle-timeout", 1, 7 * 86400, &t->idle_timeout) != 0 ||
			mpn_cfg_get_uint(ld, g, "half-closed-timeout", 1, 86400,
				&t->half_closed_timeout) != 0 ||
			mpn_cfg_get_uint(ld, g, "closed-timeout", 1, 3600, &t->closed_timeout) != 0 ||
			mpn_cfg_get_uint(ld, g, "unconfirmed-timeout", 1, 86400,
				&t->unconfirmed_timeout) != 0 ||
			mpn_cfg_get_uint(ld, g, "learn-limit", 1, 100, &t->learn_limit) != 0 ||
			get_on_off(ld, g, "tracking", &t->tracking) != 0 ||
			mpn_cfg_get_string(ld, g, "unknown-subflow", mid, sizeof(mid), false) != 0)
		return -1;
	/* Unconfirmed mid-stream entries live no longer than embryonic ones by default. */
	if (t->unconfirmed_timeout == 0)
		t->unconfirmed_timeout = t->embryonic_timeout;
	if (strcmp(mid, "learn") == 0)
		t->unknown_subflow_drop = false;
	else if (strcmp(mid, "drop") == 0)
		t->unknown_subflow_drop = true;
	else
		return mpn_cfg_fail(ld, config_setting_get_member(g, "unknown-subflow"),
			"'unknown-subflow' is \"learn\" (mpnorm started after the connection) or "
			"\"drop\" (reason tcp-not-syn, as the ASA does)");
	return 0;
}

static int
load_control(struct mpn_cfg_loader *ld, const config_setting_t *root, struct mpn_config *cfg)
{
	static const char *const known[] = { "group", "idle-timeout", "mode", "socket", NULL };
	struct mpn_config_control *c = &cfg->control;
	const config_setting_t *g = config_setting_get_member(root, "control");
	char mode[8] = "";
	char *end;
	long m;

	snprintf(c->socket, sizeof(c->socket), "%s", MPN_DEFAULT_CONTROL_SOCKET);
	c->mode = MPN_DEFAULT_CONTROL_MODE;
	c->idle_timeout = 300;
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return mpn_cfg_fail(ld, g, "'control' must be a group: control = { socket = \"...\"; };");
	if (mpn_cfg_check_known(ld, g, "control", known) != 0 ||
			mpn_cfg_get_string(ld, g, "socket", c->socket, sizeof(c->socket), false) != 0 ||
			mpn_cfg_get_string(ld, g, "group", c->group, sizeof(c->group), false) != 0 ||
			mpn_cfg_get_string(ld, g, "mode", mode, sizeof(mode), false) != 0 ||
			mpn_cfg_get_uint(ld, g, "idle-timeout", 0, 86400, &c->idle_timeout) != 0)
		return -1;
	if (c->socket[0] != '/')
		return mpn_cfg_fail(ld, config_setting_get_member(g, "socket"),
			"'socket' must be an absolute path");
	/* A string, because libconfig reads 0660 as the decimal 660. */
	if (mode[0] != '\0') {
		m = strtol(mode, &end, 8);
		if (*end != '\0' || m < 0 || m > 0777)
			return mpn_cfg_fail(ld, config_setting_get_member(g, "mode"),
				"'mode' is an octal file mode in quotes, such as \"0660\"");
		c->mode = (unsigned int)m;
	}
	return 0;
}

static int
load_ports(struct mpn_cfg_loader *ld, const config_setting_t *root, struct mpn_config *cfg)
{
	static const char *const known[] = { "devargs", "name", "rx_desc", "tx_desc", NULL };
	const config_setting_t *l = config_setting_get_member(root, "ports");
	int i, j, n;

	if (l == NULL)
		return 0;
	if (!config_setting_is_list(l))
		return mpn_cfg_fail(ld, l, "'ports' must be a list: ports = ( { name = \"...\"; }, ... );");
	n = config_setting_length(l);
	if (n > MPN_CONFIG_MAX_PORTS)
		return mpn_cfg_fail(ld, l, "%d ports configured; at most %d are supported",
			n, MPN_CONFIG_MAX_PORTS);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct mpn_config_port *p = &cfg->ports[i];

		if (!config_setting_is_group(e))
			return mpn_cfg_fail(ld, e, "each port must be a group { name = \"...\"; }");
		if (mpn_cfg_check_known(ld, e, "a port", known) != 0 ||
				mpn_cfg_get_string(ld, e, "name", p->name, sizeof(p->name), true) != 0 ||
				mpn_cfg_get_string(ld, e, "devargs", p->devargs, sizeof(p->devargs), false) != 0)
			return -1;
		p->rx_desc = cfg->dataplane.rx_desc;
		p->tx_desc = cfg->dataplane.tx_desc;
		if (mpn_cfg_get_uint(ld, e, "rx_desc", 32, 32768, &p->rx_desc) != 0 ||
				mpn_cfg_get_uint(ld, e, "tx_desc", 32, 32768, &p->tx_desc) != 0)
			return -1;
		p->line = (int)config_setting_source_line(e);
		for (j = 0; j < i; j++)
			if (strcmp(cfg->ports[j].name, p->name) == 0)
				return mpn_cfg_fail(ld, e, "port '%s' is listed twice (first at line %d)",
					p->name, cfg->ports[j].line);
	}
	cfg->n_ports = (unsigned int)n;
	return 0;
}

/* Resolve a link's port reference; a port may serve only one link. */
static int
link_port(struct mpn_cfg_loader *ld, const config_setting_t *link, const char *member,
	struct mpn_config *cfg, const int *owner_line, int *out)
{
	const config_setting_t *s = config_setting_get_member(link, member);
	char name[MPN_CONFIG_NAME_MAX];
	int idx;

	if (mpn_cfg_get_string(ld, link, member, name, sizeof(name), true) != 0)
		return -1;
	idx = mpn_config_port_index(cfg, name);
	if (idx < 0)
		return mpn_cfg_fail(ld, s, "link uses port '%s', which is not in 'ports'", name);
	if (owner_line[idx] != 0)
		return mpn_cfg_fail(ld, s, "port '%s' is already used by the link at line %d; "
			"a port belongs to one link only", name, owner_line[idx]);
	*out = idx;
	return 0;
}

static int
load_links(struct mpn_cfg_loader *ld, const config_setting_t *root, struct mpn_config *cfg)
{
	static const char *const known[] = { "inside", "name", "outside", "port", NULL };
	const config_setting_t *l = config_setting_get_member(root, "links");
	int owner_line[MPN_CONFIG_MAX_PORTS] = { 0 };
	int i, j, n;

	if (l == NULL)
		return 0;
	if (!config_setting_is_list(l))
		return mpn_cfg_fail(ld, l, "'links' must be a list: links = ( { ... }, ... );");
	n = config_setting_length(l);
	if (n > MPN_CONFIG_MAX_LINKS)
		return mpn_cfg_fail(ld, l, "%d links configured; at most %d are supported",
			n, MPN_CONFIG_MAX_LINKS);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct mpn_config_link *k = &cfg->links[i];
		bool has_port, has_in, has_out;

		if (!config_setting_is_group(e))
			return mpn_cfg_fail(ld, e, "each link must be a group { name = ...; inside = ...; "
				"outside = ...; } or { name = ...; port = ...; }");
		if (mpn_cfg_check_known(ld, e, "a link", known) != 0 ||
				mpn_cfg_get_string(ld, e, "name", k->name, sizeof(k->name), true) != 0)
			return -1;
		k->line = (int)config_setting_source_line(e);
		has_port = config_setting_get_member(e, "port") != NULL;
		has_in = config_setting_get_member(e, "inside") != NULL;
		has_out = config_setting_get_member(e, "outside") != NULL;
		if (has_port && (has_in || has_out))
			return mpn_cfg_fail(ld, e, "link '%s': give either 'port' (one-armed) or "
				"'inside' and 'outside' (pair), not both", k->name);
		if (has_port) {
			if (link_port(ld, e, "port", cfg, owner_line, &k->inside) != 0)
				return -1;
			k->outside = k->inside;
			k->one_armed = true;
			owner_line[k->inside] = k->line;
		} else {
			if (!has_in || !has_out)
				return mpn_cfg_fail(ld, e, "link '%s' needs both 'inside' and 'outside' "
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
				return mpn_cfg_fail(ld, e, "link '%s' is defined twice (first at line %d)",
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
	static const char *const known[] = {
		"class-maps", "cluster", "control", "dataplane", "flow-export", "links", "logging",
		"policy-maps", "ports", "service-policy", "tables", "tcp-maps", NULL,
	};
	struct mpn_cfg_loader ld = { .path = path, .err = err, .errlen = errlen };
	const config_setting_t *root;
	config_t c;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	config_init(&c);
	{
		FILE *f = fopen(path, "r");
		char *text = NULL;
		size_t cap = 0;
		ssize_t n;

		if (f != NULL) {
			n = getdelim(&text, &cap, '\0', f);
			fclose(f);
			if (n >= 0 && mpn_cfg_check_int_literals(path, text, err, errlen) != 0) {
				free(text);
				goto out;
			}
			free(text);
		}
	}
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
	if (mpn_cfg_check_known(&ld, root, "the top level", known) != 0 ||
			load_dataplane(&ld, root, cfg) != 0 ||
			load_control(&ld, root, cfg) != 0 ||
			load_tables(&ld, root, cfg) != 0 ||
			mpn_cfg_load_export(&ld, root, cfg) != 0 ||
			mpn_cfg_load_logging(&ld, root, cfg) != 0 ||
			load_ports(&ld, root, cfg) != 0 ||
			load_links(&ld, root, cfg) != 0 ||
			mpn_cfg_load_cluster(&ld, root, cfg) != 0 ||
			mpn_cfg_load_policy(&ld, root, cfg) != 0)
		goto out;
	rc = 0;
out:
	config_destroy(&c);
	if (rc != 0)
		mpn_config_release(cfg);
	return rc;
}

void
mpn_config_release(struct mpn_config *cfg)
{
	mpn_policy_free(cfg->policy);
	/* The store password is a secret: a plain memset of a dying object may be elided. */
	explicit_bzero(cfg->cluster.password, sizeof(cfg->cluster.password));
	memset(cfg, 0, sizeof(*cfg));
}
