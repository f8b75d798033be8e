/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_LOGMSG_H
#define MPN_LOGMSG_H

/**
 * @file
 * Operator log messages with stable IDs, as an ASA writes them:
 *
 *     %MPN-4-419001: Dropping TCP packet from wire0:10.0.0.1/40000 to 10.0.0.2/80, reason: tcp-option-denied
 *
 * "MPN" is the facility tag, 4 the severity (RFC 5424: 0 emergency ..
 * 7 debug), 419001 the message ID. The IDs and their meaning never change
 * once released; doc/syslog.md is the table operators alert on, and a test
 * checks that it lists every ID declared here.
 *
 * Messages go to syslog(3) (journald reads /dev/log) when the daemon runs
 * as a service, and to stderr otherwise. A token bucket limits them to
 * `rate` per second; what it suppresses is counted and summarised once per
 * second in message 419099, which itself is never suppressed.
 *
 * The logger is called from the control lcore only (events and counters
 * drained there): a worker never formats or writes a line.
 *
 * Thread safety: a logger belongs to one thread.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* X(enum suffix, severity, id, what it reports): the table of doc/syslog.md. */
#define MPN_LOGMSG_LIST(X) \
	X(DENY, 4, 419001, "the first segment of a flow was dropped by policy (reason named)") \
	X(JOIN_REFUSED, 4, 419010, "an MP_JOIN was refused: unknown token, bad HMAC, fallback connection or subflow limit") \
	X(FALLBACK, 5, 419020, "MPTCP fallback forced by policy at the SYN (RFC 8684 §3.7)") \
	X(ALERT, 1, 419030, "segments matched an `alert` action (Cisco IPS signature 1306/0), per second") \
	X(RELOAD_OK, 5, 419040, "configuration reloaded") \
	X(RELOAD_FAILED, 3, 419041, "configuration reload rejected (file:line), the running policy stays") \
	X(EXPORT_LOSS, 4, 419050, "flow export lost messages: queue full, collector refusing or unreachable, per second") \
	X(EVENT_LOSS, 4, 419051, "flow events lost: a worker's event ring was full, per second") \
	X(RATE_LIMITED, 4, 419099, "messages suppressed by the logging rate limit, per second")

enum mpn_logmsg_id {
#define MPN_LOGMSG_ENUM(sym, sev, id, desc) MPN_MSG_##sym,
	MPN_LOGMSG_LIST(MPN_LOGMSG_ENUM)
#undef MPN_LOGMSG_ENUM
	MPN_MSG_MAX
};

/** The numeric ID (419001), the severity and the description of a message. */
unsigned int
mpn_logmsg_number(enum mpn_logmsg_id m);
unsigned int
mpn_logmsg_severity(enum mpn_logmsg_id m);
const char *
mpn_logmsg_desc(enum mpn_logmsg_id m);

struct mpn_logmsg_params {
	bool syslog;           /**< syslog(3) instead of the stream */
	int facility;          /**< LOG_LOCAL4 (the ASA's default), ... */
	unsigned int level;    /**< highest severity number written (7: all) */
	unsigned int rate;     /**< messages per second; 0: no limit */
	FILE *stream;          /**< when not syslog: stderr, or a test's file */
	const char *ident;     /**< syslog ident, "mpnorm" */
};

/** Defaults: stderr, local4, informational (6), 100 per second. */
void
mpn_logmsg_params_default(struct mpn_logmsg_params *p);

/** Parse a facility name ("local4", "daemon", ...) into its LOG_* value. -1 if unknown. */
int
mpn_logmsg_facility(const char *name);
/** The name of a facility value, "local4". */
const char *
mpn_logmsg_facility_name(int facility);
/** Parse a level name (emergency..debug, or 0..7). -1 if unknown. */
int
mpn_logmsg_level(const char *name);
/** The name of level @p l. */
const char *
mpn_logmsg_level_name(unsigned int l);

/* X(field, description): the logger's counters. */
#define MPN_LOGMSG_STATS_LIST(X) \
	X(messages, "messages written") \
	X(suppressed, "messages suppressed by the rate limit") \
	X(below_level, "messages below the configured level, not written")

struct mpn_logmsg_stats {
#define MPN_LOGMSG_STATS_FIELD(f, d) uint64_t f;
	MPN_LOGMSG_STATS_LIST(MPN_LOGMSG_STATS_FIELD)
#undef MPN_LOGMSG_STATS_FIELD
	uint64_t by_id[MPN_MSG_MAX];          /**< written, per message */
	uint64_t suppressed_by_id[MPN_MSG_MAX];
};

struct mpn_logger;

/** Create a logger (opens syslog when asked). NULL on out of memory. */
struct mpn_logger *
mpn_logger_new(const struct mpn_logmsg_params *p);

/** Close syslog if opened, free. NULL is a no-op. */
void
mpn_logger_free(struct mpn_logger *lg);

/**
 * Write message @p m, "%MPN-S-NNNNNN: " followed by the formatted text,
 * unless its severity is above the level or the rate limit is spent (then
 * counted). @p now_ms is a monotonic time in ms.
 * @return true if written
 */
bool
mpn_logmsg(struct mpn_logger *lg, enum mpn_logmsg_id m, uint64_t now_ms, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * End the current one-second window if it is over: write 419099 with the
 * number suppressed in it. Call it from the control loop.
 */
void
mpn_logger_tick(struct mpn_logger *lg, uint64_t now_ms);

/** The counters. */
const struct mpn_logmsg_stats *
mpn_logger_stats(const struct mpn_logger *lg);

/** The parameters in use. */
const struct mpn_logmsg_params *
mpn_logger_params(const struct mpn_logger *lg);

#endif /* MPN_LOGMSG_H */
