/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CONFIG_PRIVATE_H
#define MPN_CONFIG_PRIVATE_H

/* Shared by the section loaders of lib/config; not part of the public API. */

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include "config.h"

/* Everything a loader needs to report an error with file and line. */
struct mpn_cfg_loader {
	const char *path;
	char *err;
	size_t errlen;
};

/* Format "FILE:LINE: message" (line of @s, when known) into ld->err; returns -1. */
int
mpn_cfg_fail(struct mpn_cfg_loader *ld, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reject any member of @group whose name is not in the NULL-ended @known. */
int
mpn_cfg_check_known(struct mpn_cfg_loader *ld, const config_setting_t *group,
	const char *what, const char *const *known);

/* Optional unsigned integer member within [lo, hi]. */
int
mpn_cfg_get_uint(struct mpn_cfg_loader *ld, const config_setting_t *group,
	const char *name, unsigned int lo, unsigned int hi, unsigned int *out);

/* Optional (or required) string member that must fit in @cap bytes. */
int
mpn_cfg_get_string(struct mpn_cfg_loader *ld, const config_setting_t *group,
	const char *name, char *out, size_t cap, bool required);

/*
 * Reject integer literals of @p text (the file @p path) that do not fit in
 * 32 bits, which libconfig 1.5 wraps silently. @return 0 or -1 with
 * "FILE:LINE: ..." in @p err.
 */
int
mpn_cfg_check_int_literals(const char *path, const char *text, char *err, size_t errlen);

/* The `cluster` section (config_cluster.c). */
int
mpn_cfg_load_cluster(struct mpn_cfg_loader *ld, const config_setting_t *root,
	struct mpn_config *cfg);

/* The operator sections: flow-export and logging (config_ops.c). */
int
mpn_cfg_load_export(struct mpn_cfg_loader *ld, const config_setting_t *root,
	struct mpn_config *cfg);
int
mpn_cfg_load_logging(struct mpn_cfg_loader *ld, const config_setting_t *root,
	struct mpn_config *cfg);

/* The policy sections: tcp-maps, class-maps, policy-maps, service-policy. */
int
mpn_cfg_load_policy(struct mpn_cfg_loader *ld, const config_setting_t *root,
	struct mpn_config *cfg);

#endif /* MPN_CONFIG_PRIVATE_H */
