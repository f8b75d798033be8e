/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the operator log: the exact line format, the level, the
 * rate limit and its own count, the syslog sink (syslog(3) wrapped by the
 * linker, so the test sees the priority and the text), and the table in
 * doc/syslog.md (argv[1]) listing every message ID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "logmsg.h"

static const char *doc_path;

/* syslog(3), as the test sees it. */
static int wrapped_opened;
static int wrapped_facility;
static int wrapped_priority;
static char wrapped_line[600];
static unsigned int wrapped_calls;

void __wrap_openlog(const char *ident, int option, int facility);
void __wrap_closelog(void);
void __wrap_syslog(int priority, const char *fmt, ...);

void
__wrap_openlog(const char *ident, int option, int facility)
{
	(void)ident;
	(void)option;
	wrapped_opened++;
	wrapped_facility = facility;
}

void
__wrap_closelog(void)
{
	wrapped_opened--;
}

void
__wrap_syslog(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(wrapped_line, sizeof(wrapped_line), fmt, ap);
	va_end(ap);
	wrapped_priority = priority;
	wrapped_calls++;
}

static void
test_format_and_level(void **state)
{
	struct mpn_logmsg_params p;
	struct mpn_logger *lg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	mpn_logmsg_params_default(&p);
	p.stream = f;
	p.level = 4;    /* warnings: 419020 (5) and 419040 (5) are below it */
	lg = mpn_logger_new(&p);
	assert_non_null(lg);
	assert_true(mpn_logmsg(lg, MPN_MSG_DENY, 0, "Dropping TCP packet from %s, reason: %s",
		"stick:10.0.0.1/40000 to 10.0.0.2/80", "tcp-option-denied"));
	assert_false(mpn_logmsg(lg, MPN_MSG_FALLBACK, 1, "not shown"));
	assert_true(mpn_logmsg(lg, MPN_MSG_ALERT, 2, "x"));
	fflush(f);
	assert_string_equal(buf, "%MPN-4-419001: Dropping TCP packet from stick:10.0.0.1/40000 to "
		"10.0.0.2/80, reason: tcp-option-denied\n%MPN-1-419030: x\n");
	assert_int_equal(mpn_logger_stats(lg)->messages, 2);
	assert_int_equal(mpn_logger_stats(lg)->below_level, 1);
	assert_int_equal(mpn_logger_stats(lg)->by_id[MPN_MSG_DENY], 1);
	mpn_logger_free(lg);
	fclose(f);
	free(buf);
}

/* A flood: `rate` lines per second pass, the rest are counted and summarised. */
static void
test_rate_limit(void **state)
{
	struct mpn_logmsg_params p;
	struct mpn_logger *lg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned int i, written = 0;

	(void)state;
	mpn_logmsg_params_default(&p);
	p.stream = f;
	p.rate = 10;
	lg = mpn_logger_new(&p);
	for (i = 0; i < 10000; i++)
		written += mpn_logmsg(lg, MPN_MSG_DENY, 500, "flood %u", i);
	assert_int_equal(written, 10);
	assert_int_equal(mpn_logger_stats(lg)->suppressed, 9990);
	assert_int_equal(mpn_logger_stats(lg)->suppressed_by_id[MPN_MSG_DENY], 9990);
	/* Still inside the second that began at the first message: no summary yet. */
	mpn_logger_tick(lg, 1499);
	fflush(f);
	assert_null(strstr(buf, "419099"));
	/* The window ends: one summary line, not rate-limited itself. */
	mpn_logger_tick(lg, 1500);
	fflush(f);
	assert_non_null(strstr(buf, "%MPN-4-419099: 9990 messages suppressed by the logging rate "
		"limit of 10 per second\n"));
	/* A new second, new tokens. */
	assert_true(mpn_logmsg(lg, MPN_MSG_DENY, 1501, "again"));
	assert_int_equal(mpn_logger_stats(lg)->messages, 12);
	mpn_logger_free(lg);
	fclose(f);
	free(buf);
}

static void
test_syslog_sink(void **state)
{
	struct mpn_logmsg_params p;
	struct mpn_logger *lg;

	(void)state;
	mpn_logmsg_params_default(&p);
	p.syslog = true;
	p.facility = mpn_logmsg_facility("local6");
	assert_int_equal(p.facility, LOG_LOCAL6);
	wrapped_calls = 0;
	lg = mpn_logger_new(&p);
	assert_int_equal(wrapped_opened, 1);
	assert_int_equal(wrapped_facility, LOG_LOCAL6);
	assert_true(mpn_logmsg(lg, MPN_MSG_RELOAD_FAILED, 0, "Configuration reload rejected: %s",
		"/etc/mpnorm.conf:12: bad"));
	assert_int_equal(wrapped_calls, 1);
	assert_int_equal(wrapped_priority, LOG_LOCAL6 | LOG_ERR);
	assert_string_equal(wrapped_line, "%MPN-3-419041: Configuration reload rejected: "
		"/etc/mpnorm.conf:12: bad");
	mpn_logger_free(lg);
	assert_int_equal(wrapped_opened, 0);
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(mpn_logmsg_facility("bogus"), -1);
	assert_string_equal(mpn_logmsg_facility_name(LOG_LOCAL4), "local4");
	assert_int_equal(mpn_logmsg_level("warning"), 4);
	assert_int_equal(mpn_logmsg_level("7"), 7);
	assert_int_equal(mpn_logmsg_level("8"), -1);
	assert_int_equal(mpn_logmsg_level("loud"), -1);
	assert_int_equal(mpn_logmsg_number(MPN_MSG_DENY), 419001);
}

/* Operators alert on these IDs: the documented table must list every one. */
static void
test_documented(void **state)
{
	char *doc;
	long n;
	FILE *f;
	unsigned int m;

	(void)state;
	f = fopen(doc_path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(doc, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	for (m = 0; m < MPN_MSG_MAX; m++) {
		char want[32];

		snprintf(want, sizeof(want), "MPN-%u-%u", mpn_logmsg_severity(m),
			mpn_logmsg_number(m));
		if (strstr(doc, want) == NULL)
			fail_msg("doc/syslog.md does not list %s", want);
	}
	free(doc);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_level),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_syslog_sink),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_documented),
	};

	doc_path = argc > 1 ? argv[1] : "doc/syslog.md";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
