/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_REPORT_H
#define MPN_APP_REPORT_H

/**
 * @file
 * Counter reports shared by the exit report, the offline summary and (later)
 * the CLI: the same numbers, as text or as JSON.
 */

#include <stdio.h>

#include "json.h"
#include "stats.h"

/** packets_in/out/dropped/rewritten plus the drops and rewrites objects. */
void
mpn_report_json_counters(struct mpn_json *j, const struct mpn_worker_stats *total);

/** A "workers" array, one object per worker. */
void
mpn_report_json_workers(struct mpn_json *j, const struct mpn_worker_stats *w,
	unsigned int n);

/** Non-zero drop and rewrite reasons as an aligned table, `show asp drop` style. */
void
mpn_report_text_reasons(FILE *f, const struct mpn_worker_stats *total);

#endif /* MPN_APP_REPORT_H */
