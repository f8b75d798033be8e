/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `cluster` section: where the shared token directory lives and how a
 * box behaves when it cannot reach it (doc/cluster.md §8). Everything is
 * checked here, at load, including the credentials file, so that a reload
 * with a bad password file is refused with FILE:LINE rather than found out
 * at the next connect.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "config.h"
#include "config_private.h"

const char *
mpn_cluster_unreachable_name(enum mpn_cluster_unreachable u)
{
	switch (u) {
	case MPN_CLUSTER_UNREACHABLE_VERIFY:
		return "verify";
	case MPN_CLUSTER_UNREACHABLE_ALLOW:
		return "allow";
	case MPN_CLUSTER_UNREACHABLE_DROP:
		return "drop";
	}
	return "?";
}

/* A node name or key prefix: printable, no blank, nothing Redis or the record format would split. */
static bool
name_ok(const char *s, bool prefix)
{
	const char *p;

	if (s[0] == '\0')
		return false;
	for (p = s; *p != '\0'; p++) {
		char ch = *p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				(ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')
			continue;
		if (prefix && (ch == ':' || ch == '/' || ch == '{' || ch == '}'))
			continue;
		return false;
	}
	return true;
}

/* "host:port", "[v6]:port", "unix:/path" or "/path". */
static int
parse_store(struct mpn_cfg_loader *ld, const config_setting_t *s, struct mpn_config_cluster *c)
{
	const char *v = c->store;
	const char *colon;
	char *end;
	long port;
	size_t hl;

	if (strncmp(v, "unix:", 5) == 0)
		v += 5;
	if (v[0] == '/') {
		if (strlen(v) >= sizeof(c->path))
			return mpn_cfg_fail(ld, s, "'store' unix socket path is longer than %zu "
				"characters", sizeof(c->path) - 1);
		snprintf(c->path, sizeof(c->path), "%s", v);
		c->is_unix = true;
		return 0;
	}
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');

		if (rb == NULL || rb[1] != ':')
			return mpn_cfg_fail(ld, s, "'store' = \"%s\": an IPv6 store is "
				"\"[ADDRESS]:PORT\"", c->store);
		hl = (size_t)(rb - v - 1);
		colon = rb + 1;
		v++;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL || strchr(v, ':') != colon)
			return mpn_cfg_fail(ld, s, "'store' = \"%s\" is not \"HOST:PORT\", "
				"\"[IPV6]:PORT\" or a unix socket path", c->store);
		hl = (size_t)(colon - v);
	}
	if (hl == 0 || hl >= sizeof(c->host))
		return mpn_cfg_fail(ld, s, "'store' = \"%s\": the host is empty or too long",
			c->store);
	memcpy(c->host, v, hl);
	c->host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 || port > 65535)
		return mpn_cfg_fail(ld, s, "'store' = \"%s\": the port must be 1-65535", c->store);
	c->port = (unsigned int)port;
	c->is_unix = false;
	return 0;
}

/*
 * The credentials file: "USER PASSWORD" on one line (Redis 6+ ACL), or
 * "PASSWORD" alone (the default user). Lines starting with '#' and blank
 * lines are ignored. A file readable by group or others is refused, as ssh
 * refuses such a private key: the password opens every key of the cluster.
 */
static int
read_credentials(struct mpn_cfg_loader *ld, const config_setting_t *s,
	struct mpn_config_cluster *c)
{
	char buf[512];
	char *line, *save = NULL, *w1, *w2, *w3;
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	fd = open(c->credentials, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return mpn_cfg_fail(ld, s, "'credentials' = \"%s\": cannot open it: %s",
			c->credentials, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		mpn_cfg_fail(ld, s, "'credentials' = \"%s\" is not a regular file",
			c->credentials);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		mpn_cfg_fail(ld, s, "'credentials' = \"%s\" is readable or writable by group or "
			"others (mode %04o): chmod 600 it", c->credentials,
			(unsigned int)(st.st_mode & 07777));
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		mpn_cfg_fail(ld, s, "'credentials' = \"%s\": %s", c->credentials, strerror(errno));
		goto out;
	}
	if ((size_t)n == sizeof(buf)) {
		mpn_cfg_fail(ld, s, "'credentials' = \"%s\" is longer than %zu bytes",
			c->credentials, sizeof(buf) - 1);
		goto out;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *sp = NULL;

		line[strcspn(line, "\r")] = '\0';
		w1 = strtok_r(line, " \t", &sp);
		if (w1 == NULL || w1[0] == '#')
			continue;
		w2 = strtok_r(NULL, " \t", &sp);
		w3 = strtok_r(NULL, " \t", &sp);
		if (w3 != NULL) {
			mpn_cfg_fail(ld, s, "'credentials' = \"%s\": a line is \"USER PASSWORD\" or "
				"\"PASSWORD\"", c->credentials);
			goto out;
		}
		if (w2 == NULL) {
			w2 = w1;
			w1 = "";
		}
		if (strlen(w1) >= sizeof(c->user) || strlen(w2) >= sizeof(c->password)) {
			mpn_cfg_fail(ld, s, "'credentials' = \"%s\": user or password too long",
				c->credentials);
			goto out;
		}
		snprintf(c->user, sizeof(c->user), "%s", w1);
		snprintf(c->password, sizeof(c->password), "%s", w2);
		rc = 0;
		goto out;
	}
	mpn_cfg_fail(ld, s, "'credentials' = \"%s\" holds no password", c->credentials);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

int
mpn_cfg_load_cluster(struct mpn_cfg_loader *ld, const config_setting_t *root,
	struct mpn_config *cfg)
{
	static const char *const known[] = {
		"answer-ring", "credentials", "fetch-timeout", "node", "prefix", "request-ring",
		"store", "ttl", "unreachable", NULL,
	};
	struct mpn_config_cluster *c = &cfg->cluster;
	const config_setting_t *g = config_setting_get_member(root, "cluster");
	char unreach[16] = "verify";

	memset(c, 0, sizeof(*c));
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return mpn_cfg_fail(ld, g, "'cluster' must be a group: cluster = { store = "
			"\"HOST:PORT\"; ... };");
	c->enabled = true;
	c->line = (int)config_setting_source_line(g);
	c->ttl = MPN_DEFAULT_CLUSTER_TTL;
	c->fetch_timeout = MPN_DEFAULT_CLUSTER_FETCH_TIMEOUT;
	c->request_ring = MPN_DEFAULT_CLUSTER_RING;
	c->answer_ring = MPN_DEFAULT_CLUSTER_RING;
	snprintf(c->prefix, sizeof(c->prefix), "%s", MPN_DEFAULT_CLUSTER_PREFIX);
	if (mpn_cfg_check_known(ld, g, "cluster", known) != 0 ||
			mpn_cfg_get_string(ld, g, "store", c->store, sizeof(c->store), true) != 0 ||
			mpn_cfg_get_string(ld, g, "credentials", c->credentials,
				sizeof(c->credentials), false) != 0 ||
			mpn_cfg_get_string(ld, g, "node", c->node, sizeof(c->node), false) != 0 ||
			mpn_cfg_get_string(ld, g, "prefix", c->prefix, sizeof(c->prefix), false) != 0 ||
			mpn_cfg_get_string(ld, g, "unreachable", unreach, sizeof(unreach), false) != 0 ||
			mpn_cfg_get_uint(ld, g, "ttl", 1, 30 * 86400, &c->ttl) != 0 ||
			mpn_cfg_get_uint(ld, g, "fetch-timeout", 1, 60000, &c->fetch_timeout) != 0 ||
			mpn_cfg_get_uint(ld, g, "request-ring", 64, 1u << 20, &c->request_ring) != 0 ||
			mpn_cfg_get_uint(ld, g, "answer-ring", 64, 1u << 20, &c->answer_ring) != 0)
		goto fail;
	if (parse_store(ld, config_setting_get_member(g, "store"), c) != 0)
		goto fail;
	if (strcmp(unreach, "verify") == 0) {
		c->unreachable = MPN_CLUSTER_UNREACHABLE_VERIFY;
	} else if (strcmp(unreach, "allow") == 0) {
		c->unreachable = MPN_CLUSTER_UNREACHABLE_ALLOW;
	} else if (strcmp(unreach, "drop") == 0) {
		c->unreachable = MPN_CLUSTER_UNREACHABLE_DROP;
	} else {
		mpn_cfg_fail(ld, config_setting_get_member(g, "unreachable"), "'unreachable' is "
			"\"verify\" (the tcp-map's join setting decides), \"allow\" or \"drop\"");
		goto fail;
	}
	if (c->node[0] == '\0') {
		char host[256];

		if (gethostname(host, sizeof(host)) != 0 || strlen(host) >= sizeof(c->node) ||
				!name_ok(host, false)) {
			mpn_cfg_fail(ld, g, "cluster: the host name cannot serve as the node name "
				"(1-32 of A-Z a-z 0-9 . _ -): set 'node'");
			goto fail;
		}
		snprintf(c->node, sizeof(c->node), "%s", host);
	} else if (!name_ok(c->node, false)) {
		mpn_cfg_fail(ld, config_setting_get_member(g, "node"), "'node' = \"%s\": use 1-32 of "
			"A-Z a-z 0-9 . _ -", c->node);
		goto fail;
	}
	if (!name_ok(c->prefix, true)) {
		mpn_cfg_fail(ld, config_setting_get_member(g, "prefix"), "'prefix' = \"%s\": use 1-32 "
			"of A-Z a-z 0-9 . _ - : / { }", c->prefix);
		goto fail;
	}
	if (c->credentials[0] != '\0' &&
			read_credentials(ld, config_setting_get_member(g, "credentials"), c) != 0)
		goto fail;
	return 0;
fail:
	explicit_bzero(c->password, sizeof(c->password));
	return -1;
}
