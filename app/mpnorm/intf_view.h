/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_INTF_VIEW_H
#define MPN_INTF_VIEW_H

/**
 * @file
 * The operator's view of the middlebox-interference counters
 * (lib/pipeline/interference.h, doc/interference.md): the workers' counters
 * summed off the fast path, since `clear counters` per link and direction,
 * and since the last reload or `clear counters` per class (rule ids name
 * the running policy's classes only, as in `show service-policy`).
 * Reentrant: the main lcore and DPDK's telemetry thread both read.
 */

#include "interference.h"

struct mpn_cli_ctx;

/** Per link and direction since `clear counters`: [MPN_INTF_LINKS][2]. */
void
mpn_intf_view_links(struct mpn_intf_counters out[MPN_INTF_LINKS][2]);

/** Per class since the reload or `clear counters`: MPN_POLICY_RULE_IDS entries. */
void
mpn_intf_view_classes(struct mpn_intf_counters *out);

/** Start the per-link view afresh (`clear counters`). */
void
mpn_intf_view_clear_links(void);

/** Start the per-class view afresh (reload, `clear counters`: mpn_app_rules_snapshot()). */
void
mpn_intf_view_snapshot_classes(void);

/** `show mptcp interference`. */
int
mpn_intf_view_cmd(struct mpn_cli_ctx *ctx, int argc, const char *const *argv);

#endif /* MPN_INTF_VIEW_H */
