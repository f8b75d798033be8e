/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_OFFLINE_H
#define MPN_APP_OFFLINE_H

/**
 * @file
 * Offline mode: run the worker pipeline over a capture file and write every
 * forwarded packet, in order, to another capture, plus a JSON summary.
 * It needs no NIC and no hugepages, and it is deterministic.
 */

#include <stdbool.h>

#include "config.h"

struct mpn_offline_args {
	const char *in_path;
	const char *out_path;
	const char *json_path;  /**< NULL: text summary on stdout; "-": JSON on stdout */
	bool show_keys;         /**< print the MPTCP keys (RFC 7430: only when asked) */
};

/**
 * Check the capture before the EAL starts, so that a wrong file fails fast
 * with a clear message. @return 0 or -1 after printing the error.
 */
int
mpn_offline_precheck(const struct mpn_offline_args *args);

/** Run it (the EAL must be up). @return the process exit code. */
int
mpn_offline_run(const struct mpn_config *cfg, const struct mpn_offline_args *args);

#endif /* MPN_APP_OFFLINE_H */
