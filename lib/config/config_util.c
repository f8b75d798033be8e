/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers every section loader uses: typed getters with ranges, unknown-key
 * checks, and errors that carry FILE:LINE. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config_private.h"

int
mpn_cfg_fail(struct mpn_cfg_loader *ld, const config_setting_t *s, const char *fmt, ...)
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
int
mpn_cfg_check_known(struct mpn_cfg_loader *ld, const config_setting_t *group, const char *what,
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
		return mpn_cfg_fail(ld, m, "unknown setting '%s' in %s (known: %s)", name, what, list);
	}
	return 0;
}

/* Read an optional unsigned integer member within [lo, hi]. */
int
mpn_cfg_get_uint(struct mpn_cfg_loader *ld, const config_setting_t *group, const char *name,
	unsigned int lo, unsigned int hi, unsigned int *out)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	long long v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
			config_setting_type(s) != CONFIG_TYPE_INT64)
		return mpn_cfg_fail(ld, s, "'%s' must be an integer", name);
	v = config_setting_get_int64(s);
	if (v < (long long)lo || v > (long long)hi)
		return mpn_cfg_fail(ld, s, "'%s' = %lld is out of range [%u, %u]", name, v, lo, hi);
	*out = (unsigned int)v;
	return 0;
}

/* Read an optional string member that must fit in @p cap bytes. */
int
mpn_cfg_get_string(struct mpn_cfg_loader *ld, const config_setting_t *group, const char *name,
	char *out, size_t cap, bool required)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	const char *v;

	if (s == NULL) {
		if (required)
			return mpn_cfg_fail(ld, group, "missing '%s'", name);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return mpn_cfg_fail(ld, s, "'%s' must be a string", name);
	v = config_setting_get_string(s);
	if (required && v[0] == '\0')
		return mpn_cfg_fail(ld, s, "'%s' must not be empty", name);
	if (strlen(v) >= cap)
		return mpn_cfg_fail(ld, s, "'%s' is longer than %zu characters", name, cap - 1);
	snprintf(out, cap, "%s", v);
	return 0;
}


/*
 * libconfig 1.5 (Debian 12) stores an integer literal without an L suffix
 * in 32 bits and silently wraps a larger one: `mss-clamp = 4294967396;`
 * reaches every getter as 100. The range checks never see what the user
 * wrote, so the file itself is scanned first: every integer literal outside
 * strings and comments that does not fit in a signed 32-bit integer is an
 * error that quotes it. No mpnorm setting needs a larger number.
 */
int
mpn_cfg_check_int_literals(const char *path, const char *text, char *err, size_t errlen)
{
	const char *p = text;
	int line = 1;

	while (*p != '\0') {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '"') {
			/* A string: to its closing quote, escapes included. */
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '\n')
					line++;
			}
			if (*p == '"')
				p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (*p != '\0')
				p += 2;
		} else if (isdigit((unsigned char)*p) && (p == text ||
				!(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'))) {
			const char *start = p;
			unsigned long long v;
			char *end;
			bool neg = p > text && p[-1] == '-';

			errno = 0;
			v = strtoull(p, &end, 0);
			/* A float (1.5, 1e3) is not an integer: skip it whole. */
			if (*end == '.' || *end == 'e' || *end == 'E') {
				p = end + 1;
				continue;
			}
			/* libconfig's 64-bit literal (4000000000L) is read in full. */
			if ((*end == 'L' || *end == 'l') && errno != ERANGE &&
					v <= (neg ? 0x8000000000000000ull : 0x7fffffffffffffffull)) {
				p = end + 1;
				if (*p == 'L' || *p == 'l')
					p++;
				continue;
			}
			if (errno == ERANGE || v > (neg ? 0x80000000ull : 0x7fffffffull)) {
				snprintf(err, errlen, "%s:%d: %s%.*s does not fit in a 32-bit integer "
					"(libconfig would silently wrap it)", path, line, neg ? "-" : "",
					(int)(end - start), start);
				return -1;
			}
			p = end;
		} else {
			p++;
		}
	}
	return 0;
}
