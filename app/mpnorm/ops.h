/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_OPS_H
#define MPN_APP_OPS_H

/**
 * @file
 * What leaves the box besides packets, all on the main lcore: the flow
 * events drained from the workers' rings go to the IPFIX exporter and to
 * the operator log; once a second the counters are turned into log lines
 * (alerts, export and event loss). Nothing here runs on a worker.
 */

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "export.h"
#include "logmsg.h"

/**
 * Start the logger and, when configured, the exporter. @p force_syslog is
 * the command line's --syslog.
 * @return 0, or -1 with a message in @p err
 */
int
mpn_ops_init(const struct mpn_config *cfg, bool force_syslog, char *err, size_t errlen);

/** Stop: send what can be sent without blocking, close, free. */
void
mpn_ops_fini(void);

/** The main loop's share: drain events, export, log, tick. Never blocks. */
void
mpn_ops_poll(void);

/** Log a reload: ok with its generation, or the rejection (file:line). */
void
mpn_ops_log_reload(bool ok, uint64_t generation, const char *msg);

/** The exporter, or NULL when flow-export is not configured. */
struct mpn_export *
mpn_ops_exporter(void);

/** The logger (never NULL once started). */
struct mpn_logger *
mpn_ops_logger(void);

/** Wall-clock ms of a time in TSC cycles (the workers' `now`). */
uint64_t
mpn_ops_wall_ms(uint64_t tsc);

#endif /* MPN_APP_OPS_H */
