/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operator sections: `flow-export` (NSEL-style IPFIX, the ASA's
 * `flow-export destination`) and `logging` (the ASA's `logging facility`,
 * `logging trap`, and a rate limit). Checked completely at load, with
 * FILE:LINE, like every other section.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <libconfig.h>

#include "config_private.h"
#include "logmsg.h"

int
mpn_cfg_load_export(struct mpn_cfg_loader *ld, const config_setting_t *root,
	struct mpn_config *cfg)
{
	static const char *const known[] = {
		"collector", "delay", "domain", "enterprise-number", "mtu", "port", "queue",
		"template-refresh", "transport", NULL,
	};
	struct mpn_config_export *x = &cfg->flow_export;
	const config_setting_t *g = config_setting_get_member(root, "flow-export");
	char transport[8] = "udp";
	unsigned char addr[16];

	memset(x, 0, sizeof(*x));
	x->port = 4739;             /* IANA "ipfix" (RFC 7011 §10.3.1) */
	x->template_refresh = 60;
	x->queue = 1024;
	x->mtu = 1400;
	x->delay = 1000;
	x->enterprise = 32473;      /* RFC 5612: for documentation, until mpnorm has its own */
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return mpn_cfg_fail(ld, g, "'flow-export' must be a group: flow-export = { "
			"collector = \"10.0.0.5\"; port = 2055; };");
	x->enabled = true;
	x->line = (int)config_setting_source_line(g);
	if (mpn_cfg_check_known(ld, g, "flow-export", known) != 0 ||
			mpn_cfg_get_string(ld, g, "collector", x->collector, sizeof(x->collector),
				true) != 0 ||
			mpn_cfg_get_uint(ld, g, "port", 1, 65535, &x->port) != 0 ||
			mpn_cfg_get_string(ld, g, "transport", transport, sizeof(transport), false) != 0 ||
			mpn_cfg_get_uint(ld, g, "template-refresh", 1, 86400, &x->template_refresh) != 0 ||
			mpn_cfg_get_uint(ld, g, "queue", 1, 1u << 20, &x->queue) != 0 ||
			mpn_cfg_get_uint(ld, g, "mtu", 512, 65000, &x->mtu) != 0 ||
			mpn_cfg_get_uint(ld, g, "delay", 0, 60000, &x->delay) != 0 ||
			mpn_cfg_get_uint(ld, g, "domain", 0, 0xffffffffu, &x->domain) != 0 ||
			mpn_cfg_get_uint(ld, g, "enterprise-number", 1, 0xffffffffu, &x->enterprise) != 0)
		return -1;
	/* An address, not a name: resolving a name could block the control lcore. */
	if (inet_pton(AF_INET, x->collector, addr) != 1 && inet_pton(AF_INET6, x->collector, addr) != 1)
		return mpn_cfg_fail(ld, config_setting_get_member(g, "collector"),
			"'collector' = \"%s\" is not an IPv4 or IPv6 address (names are not "
			"resolved: mpnorm never waits on DNS)", x->collector);
	if (strcmp(transport, "udp") == 0)
		x->tcp = false;
	else if (strcmp(transport, "tcp") == 0)
		x->tcp = true;
	else
		return mpn_cfg_fail(ld, config_setting_get_member(g, "transport"),
			"'transport' is \"udp\" or \"tcp\"");
	return 0;
}

int
mpn_cfg_load_logging(struct mpn_cfg_loader *ld, const config_setting_t *root,
	struct mpn_config *cfg)
{
	static const char *const known[] = { "facility", "level", "rate", "syslog", NULL };
	struct mpn_config_logging *l = &cfg->logging;
	const config_setting_t *g = config_setting_get_member(root, "logging");
	const config_setting_t *s;
	char word[24];

	l->syslog = false;
	l->facility = LOG_LOCAL4;
	l->level = 6;
	l->rate = 100;
	if (g == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return mpn_cfg_fail(ld, g, "'logging' must be a group: logging = { syslog = true; "
			"facility = \"local4\"; };");
	if (mpn_cfg_check_known(ld, g, "logging", known) != 0 ||
			mpn_cfg_get_uint(ld, g, "rate", 0, 1000000, &l->rate) != 0)
		return -1;
	s = config_setting_get_member(g, "syslog");
	if (s != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return mpn_cfg_fail(ld, s, "'syslog' must be true or false");
		l->syslog = config_setting_get_bool(s) != 0;
	}
	word[0] = '\0';
	if (mpn_cfg_get_string(ld, g, "facility", word, sizeof(word), false) != 0)
		return -1;
	if (word[0] != '\0') {
		int f = mpn_logmsg_facility(word);

		if (f < 0)
			return mpn_cfg_fail(ld, config_setting_get_member(g, "facility"),
				"'facility' = \"%s\" is not a syslog facility: use local0 to local7, "
				"daemon, user, ...", word);
		l->facility = f;
	}
	word[0] = '\0';
	if (mpn_cfg_get_string(ld, g, "level", word, sizeof(word), false) != 0)
		return -1;
	if (word[0] != '\0') {
		int v = mpn_logmsg_level(word);

		if (v < 0)
			return mpn_cfg_fail(ld, config_setting_get_member(g, "level"),
				"'level' = \"%s\": use emergency, alert, critical, error, warning, "
				"notification, informational or debug (the ASA's logging trap words)",
				word);
		l->level = (unsigned int)v;
	}
	return 0;
}
