/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "logmsg.h"

struct mpn_logger {
	struct mpn_logmsg_params p;
	struct mpn_logmsg_stats st;
	/* Token bucket: `rate` tokens at the start of each one-second window. */
	uint64_t window_start;
	uint64_t tokens;
	uint64_t suppressed_in_window;
	bool started;
};

static const struct {
	unsigned int sev;
	unsigned int id;
	const char *desc;
} msgs[MPN_MSG_MAX] = {
#define MPN_LOGMSG_ROW(sym, sev, id, desc) [MPN_MSG_##sym] = { sev, id, desc },
	MPN_LOGMSG_LIST(MPN_LOGMSG_ROW)
#undef MPN_LOGMSG_ROW
};

unsigned int
mpn_logmsg_number(enum mpn_logmsg_id m)
{
	return m < MPN_MSG_MAX ? msgs[m].id : 0;
}

unsigned int
mpn_logmsg_severity(enum mpn_logmsg_id m)
{
	return m < MPN_MSG_MAX ? msgs[m].sev : 7;
}

const char *
mpn_logmsg_desc(enum mpn_logmsg_id m)
{
	return m < MPN_MSG_MAX ? msgs[m].desc : "?";
}

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "kern", LOG_KERN }, { "user", LOG_USER }, { "daemon", LOG_DAEMON },
	{ "auth", LOG_AUTH }, { "syslog", LOG_SYSLOG }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

static const char *const levels[] = {
	"emergency", "alert", "critical", "error", "warning", "notification",
	"informational", "debug",
};

int
mpn_logmsg_facility(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(facilities[i].name, name) == 0)
			return facilities[i].value;
	return -1;
}

const char *
mpn_logmsg_facility_name(int facility)
{
	unsigned int i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (facilities[i].value == facility)
			return facilities[i].name;
	return "?";
}

int
mpn_logmsg_level(const char *name)
{
	unsigned int i;

	/* The ASA's `logging trap` words, or the number. */
	for (i = 0; i < 8; i++)
		if (strcmp(levels[i], name) == 0 || (name[0] == (char)('0' + i) && name[1] == '\0'))
			return (int)i;
	return -1;
}

const char *
mpn_logmsg_level_name(unsigned int l)
{
	return l < 8 ? levels[l] : "?";
}

void
mpn_logmsg_params_default(struct mpn_logmsg_params *p)
{
	memset(p, 0, sizeof(*p));
	p->facility = LOG_LOCAL4;
	p->level = 6;
	p->rate = 100;
	p->stream = stderr;
	p->ident = "mpnorm";
}

struct mpn_logger *
mpn_logger_new(const struct mpn_logmsg_params *p)
{
	struct mpn_logger *lg = calloc(1, sizeof(*lg));

	if (lg == NULL)
		return NULL;
	lg->p = *p;
	if (lg->p.stream == NULL)
		lg->p.stream = stderr;
	if (lg->p.ident == NULL)
		lg->p.ident = "mpnorm";
	if (lg->p.syslog)
		openlog(lg->p.ident, LOG_PID | LOG_NDELAY, lg->p.facility);
	return lg;
}

void
mpn_logger_free(struct mpn_logger *lg)
{
	if (lg == NULL)
		return;
	if (lg->p.syslog)
		closelog();
	free(lg);
}

static void
write_line(struct mpn_logger *lg, enum mpn_logmsg_id m, const char *text)
{
	if (lg->p.syslog) {
		syslog(lg->p.facility | (int)msgs[m].sev, "%%MPN-%u-%u: %s", msgs[m].sev,
			msgs[m].id, text);
	} else {
		fprintf(lg->p.stream, "%%MPN-%u-%u: %s\n", msgs[m].sev, msgs[m].id, text);
		fflush(lg->p.stream);
	}
	lg->st.messages++;
	lg->st.by_id[m]++;
}

/* Close the window that ended, summarising what it suppressed. */
static void
roll_window(struct mpn_logger *lg, uint64_t now_ms)
{
	char text[160];

	if (!lg->started) {
		lg->started = true;
		lg->window_start = now_ms;
		lg->tokens = lg->p.rate;
		return;
	}
	if (now_ms - lg->window_start < 1000)
		return;
	if (lg->suppressed_in_window > 0) {
		snprintf(text, sizeof(text), "%llu messages suppressed by the logging rate limit "
			"of %u per second", (unsigned long long)lg->suppressed_in_window, lg->p.rate);
		/* Never suppressed itself: the operator must learn that lines were lost. */
		write_line(lg, MPN_MSG_RATE_LIMITED, text);
		lg->suppressed_in_window = 0;
	}
	lg->window_start = now_ms;
	lg->tokens = lg->p.rate;
}

void
mpn_logger_tick(struct mpn_logger *lg, uint64_t now_ms)
{
	if (lg != NULL)
		roll_window(lg, now_ms);
}

bool
mpn_logmsg(struct mpn_logger *lg, enum mpn_logmsg_id m, uint64_t now_ms, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (lg == NULL || m >= MPN_MSG_MAX)
		return false;
	if (msgs[m].sev > lg->p.level) {
		lg->st.below_level++;
		return false;
	}
	roll_window(lg, now_ms);
	if (lg->p.rate != 0) {
		if (lg->tokens == 0) {
			lg->st.suppressed++;
			lg->st.suppressed_by_id[m]++;
			lg->suppressed_in_window++;
			return false;
		}
		lg->tokens--;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	write_line(lg, m, text);
	return true;
}

const struct mpn_logmsg_stats *
mpn_logger_stats(const struct mpn_logger *lg)
{
	return &lg->st;
}

const struct mpn_logmsg_params *
mpn_logger_params(const struct mpn_logger *lg)
{
	return &lg->p;
}
