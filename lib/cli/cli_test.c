/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the command table, the dispatcher and the renderer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "cli_render.h"
#include "cli_test_json.h"

/* What the last handler saw, so tests can check dispatch and arguments. */
static const char *seen_cmd;
static int seen_argc;
static char seen_argv[MPN_CLI_MAX_WORDS][64];
static void *seen_user;

static void
record(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	int i;

	seen_cmd = ctx->cmd->path;
	seen_argc = argc;
	seen_user = ctx->user;
	for (i = 0; i < argc && i < MPN_CLI_MAX_WORDS; i++)
		snprintf(seen_argv[i], sizeof(seen_argv[i]), "%s", argv[i]);
}

static int
h_version(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	record(ctx, argc, argv);
	mpn_render_str(ctx->r, "version", "0.1.0");
	mpn_render_u64(ctx->r, "workers", 2);
	return 0;
}

static int
h_record(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	record(ctx, argc, argv);
	return 0;
}

/* Parses its optional keyword arguments, as real handlers will. */
static int
h_connections(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	uint64_t limit = 0;
	int i;

	record(ctx, argc, argv);
	for (i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return mpn_cli_usage_error(ctx);
		if (strcmp(argv[i], "limit") == 0) {
			if (mpn_cli_parse_u64(argv[i + 1], 10, 1000000, &limit) != 0)
				return mpn_cli_error(ctx, "bad limit '%s'", argv[i + 1]);
		} else if (strcmp(argv[i], "token") != 0) {
			return mpn_cli_usage_error(ctx);
		}
	}
	mpn_render_table_begin(ctx->r, "connections", "token", "subflows", NULL);
	mpn_render_row_begin(ctx->r);
	mpn_render_cell_str(ctx->r, "0a0b0c0d");
	mpn_render_cell_u64(ctx->r, limit);
	mpn_render_row_end(ctx->r);
	mpn_render_table_end(ctx->r);
	return 0;
}

/* Renders, then fails: the partial output must not reach the client. */
static int
h_fail_late(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	record(ctx, argc, argv);
	mpn_render_str(ctx->r, "partial", "output");
	mpn_render_table_begin(ctx->r, "t", "a", NULL);
	return mpn_cli_error(ctx, "it broke: %d", 42);
}

static int
h_fail_silent(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	record(ctx, argc, argv);
	return -1;
}

/* A buggy handler: a row with a missing cell. */
static int
h_misuse(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	record(ctx, argc, argv);
	mpn_render_table_begin(ctx->r, "t", "a", "b", NULL);
	mpn_render_row_begin(ctx->r);
	mpn_render_cell_u64(ctx->r, 1);
	mpn_render_row_end(ctx->r);
	mpn_render_table_end(ctx->r);
	return 0;
}

static int user_token = 7;

static const struct mpn_cli_command test_cmds[] = {
	{ "show version", NULL, 0, 0, h_version, "print the version", NULL },
	{ "show connections", "[token HEX] [limit N]", 0, 4, h_connections,
		"list MPTCP connections", NULL },
	{ "show", "[WHAT]", 0, 1, h_record, "a short form, to test longest match", NULL },
	{ "set log level", "LEVEL", 1, 1, h_record, "set the log level", &user_token },
	{ "echo", "ARG...", 0, MPN_CLI_MAX_WORDS, h_record, "echo the arguments", NULL },
	{ "fail late", NULL, 0, 0, h_fail_late, "fail after rendering", NULL },
	{ "fail silent", NULL, 0, 0, h_fail_silent, "fail without a message", NULL },
	{ "misuse", NULL, 0, 0, h_misuse, "misuse the renderer", NULL },
};

static int
setup(void **state)
{
	(void)state;
	mpn_cli_reset();
	seen_cmd = NULL;
	seen_argc = -1;
	seen_user = NULL;
	return mpn_cli_register_all(test_cmds, sizeof(test_cmds) / sizeof(test_cmds[0]));
}

/* Run @p line and check the status and the exact body. */
static void
expect(const char *line, int want_rc, const char *want_body)
{
	char *body = NULL;
	size_t len = 0;
	int rc;

	rc = mpn_cli_execute(line, strlen(line), &body, &len);
	assert_non_null(body);
	assert_int_equal(len, strlen(body));
	assert_string_equal(body, want_body);
	assert_int_equal(rc, want_rc);
	free(body);
}

/* Run @p line (which may hold any bytes) and return the body. */
static char *
run(const char *line, size_t len, int *rc)
{
	char *body = NULL;
	size_t blen = 0;

	*rc = mpn_cli_execute(line, len, &body, &blen);
	assert_non_null(body);
	assert_int_equal(blen, strlen(body));
	return body;
}

static void
test_register_rejects(void **state)
{
	struct mpn_cli_command c = { "x", NULL, 0, 0, h_record, "", NULL };
	static const char *const bad_paths[] = {
		"", " x", "x ", "a  b", "a\tb", "a\"b", "a\\b", "1 2 3 4 5 6 7 8 9",
	};
	unsigned int i, n;
	char names[MPN_CLI_MAX_COMMANDS][16];

	(void)state;
	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		c.path = bad_paths[i];
		assert_int_equal(mpn_cli_register(&c), -EINVAL);
	}
	c.path = NULL;
	assert_int_equal(mpn_cli_register(&c), -EINVAL);
	c.path = "x";
	c.handler = NULL;
	assert_int_equal(mpn_cli_register(&c), -EINVAL);
	c.handler = h_record;
	c.min_args = 2;
	c.max_args = 1;
	assert_int_equal(mpn_cli_register(&c), -EINVAL);
	c.min_args = 0;
	c.max_args = MPN_CLI_MAX_WORDS + 1;
	assert_int_equal(mpn_cli_register(&c), -EINVAL);
	c.max_args = 0;
	c.path = "help";
	assert_int_equal(mpn_cli_register(&c), -EEXIST);
	c.path = "show version";
	assert_int_equal(mpn_cli_register(&c), -EEXIST);
	c.path = "1 2 3 4 5 6 7 8";
	assert_int_equal(mpn_cli_register(&c), 0);

	/* Fill the table: the next one is refused, nothing is overwritten. */
	n = mpn_cli_count();
	for (i = 0; n < MPN_CLI_MAX_COMMANDS; i++, n++) {
		snprintf(names[i], sizeof(names[i]), "filler %u", i);
		c.path = names[i];
		assert_int_equal(mpn_cli_register(&c), 0);
	}
	c.path = "one more";
	assert_int_equal(mpn_cli_register(&c), -ENOSPC);
	assert_int_equal(mpn_cli_count(), MPN_CLI_MAX_COMMANDS);
	expect("show version", 0, "version: 0.1.0\nworkers: 2\n");
	mpn_cli_reset();
	assert_int_equal(mpn_cli_count(), 1);
}

static void
test_unknown_command(void **state)
{
	(void)state;
	expect("bogus", 1, "error: unknown command 'bogus' (try 'help')\n");
	/* Name the words that matched a path, and the one that did not. */
	expect("show version2 x", 1, "error: usage: show [WHAT]\n");
	expect("set log lvl debug", 1, "error: unknown command 'set log lvl' (try 'help')\n");
	expect("fail", 1, "error: incomplete command 'fail' (try 'help fail')\n");
	expect("-j bogus", 1, "{\n  \"error\": \"unknown command 'bogus' (try 'help')\"\n}\n");
	/* Matching is case-sensitive; a word is a command word or a prefix of one. */
	expect("SHOW VERSION", 1, "error: unknown command 'SHOW' (try 'help')\n");
	expect("echox", 1, "error: unknown command 'echox' (try 'help')\n");
	assert_null(seen_cmd);
}

static void
test_binary_garbage(void **state)
{
	static const char garbage[] = "\x01\xff\xfe\x1b[2J\x7f";
	static const char with_nul[] = "show\0version";
	char line[600];
	char *body;
	unsigned int i;
	int rc;

	(void)state;
	body = run(garbage, sizeof(garbage) - 1, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(body,
		"error: unknown command '\\x01\\xff\\xfe\\x1b[2J\\x7f' (try 'help')\n");
	free(body);

	/* In JSON the echo stays valid JSON. */
	body = run("-j \xff\xc0\x80", 6, &rc);
	assert_int_equal(rc, 1);
	assert_true(test_json_valid(body, strlen(body)));
	free(body);

	/* A NUL is a blank. */
	body = run(with_nul, sizeof(with_nul) - 1, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(body, "version: 0.1.0\nworkers: 2\n");
	free(body);

	/* Every byte value, with blanks between: an error, bounded in length. */
	for (i = 0; i < sizeof(line); i++)
		line[i] = (char)(i % 3 == 2 ? ' ' : (i * 37 + 11) & 0xff);
	line[0] = '\x80';
	body = run(line, sizeof(line), &rc);
	assert_int_equal(rc, 1);
	assert_true(strncmp(body, "error: ", 7) == 0);
	assert_true(strlen(body) < 256);
	free(body);
}

static void
test_arg_count(void **state)
{
	(void)state;
	expect("set log level", 1, "error: usage: set log level LEVEL\n");
	expect("set log level debug extra", 1, "error: usage: set log level LEVEL\n");
	expect("show version extra", 1, "error: usage: show version\n");
	expect("show connections a b c d e", 1,
		"error: usage: show connections [token HEX] [limit N]\n");
	/* A handler that finds its keywords wrong reports the same usage. */
	expect("show connections sort up", 1,
		"error: usage: show connections [token HEX] [limit N]\n");
	expect("show connections limit", 1,
		"error: usage: show connections [token HEX] [limit N]\n");
	expect("show connections limit -1", 1, "error: bad limit '-1'\n");
	expect("-j set log level", 1,
		"{\n  \"error\": \"usage: set log level LEVEL\"\n}\n");

	expect("set log level debug", 0, "");
	assert_string_equal(seen_cmd, "set log level");
	assert_int_equal(seen_argc, 1);
	assert_string_equal(seen_argv[0], "debug");
	assert_ptr_equal(seen_user, &user_token);
}

static void
test_longest_prefix(void **state)
{
	(void)state;
	expect("show connections limit 5", 0, "token     subflows\n0a0b0c0d         5\n");
	assert_string_equal(seen_cmd, "show connections");
	assert_int_equal(seen_argc, 2);
	assert_string_equal(seen_argv[0], "limit");
	assert_string_equal(seen_argv[1], "5");

	expect("show", 0, "");
	assert_string_equal(seen_cmd, "show");
	assert_int_equal(seen_argc, 0);

	/* "show stats" is no command of its own: it is "show" with one argument. */
	expect("show stats", 0, "");
	assert_string_equal(seen_cmd, "show");
	assert_int_equal(seen_argc, 1);
	assert_string_equal(seen_argv[0], "stats");

	expect("show version", 0, "version: 0.1.0\nworkers: 2\n");
	assert_string_equal(seen_cmd, "show version");
}

/* ASA-style abbreviations: any unique prefix of each command word. */
static void
test_abbreviations(void **state)
{
	(void)state;
	expect("ech a b", 0, "");
	assert_string_equal(seen_cmd, "echo");
	assert_int_equal(seen_argc, 2);
	expect("sh v", 0, "version: 0.1.0\nworkers: 2\n");
	assert_string_equal(seen_cmd, "show version");
	expect("sh conn limit 3", 0, "token     subflows\n0a0b0c0d         3\n");
	assert_string_equal(seen_cmd, "show connections");
	assert_int_equal(seen_argc, 2);
	expect("se l l debug", 0, "");
	assert_string_equal(seen_cmd, "set log level");
	assert_string_equal(seen_argv[0], "debug");
	expect("fa l", 1, "error: it broke: 42\n");
	assert_string_equal(seen_cmd, "fail late");
	/* "fail" alone is the start of two commands. */
	seen_cmd = NULL;
	expect("fa", 1, "error: incomplete command 'fa' (try 'help fa')\n");
	assert_null(seen_cmd);
	expect("s x", 1, "error: ambiguous command 's': 'show' or 'set'? (try 'help')\n");
	/* A word that abbreviates nothing at its place is an argument of the shorter command. */
	expect("sh xyz", 0, "");
	assert_string_equal(seen_cmd, "show");
	assert_string_equal(seen_argv[0], "xyz");
	/* help takes abbreviations too. */
	expect("help sh v", 0, "command       arguments  description\n"
		"show version             print the version\n");
}

static void
test_words_and_quotes(void **state)
{
	char *body;
	int rc;

	(void)state;
	expect("  echo\ta  \"b c\" d\"e f\"g \"q\\\"q\" \"s\\\\\" \"\"  \r", 0, "");
	assert_string_equal(seen_cmd, "echo");
	assert_int_equal(seen_argc, 6);
	assert_string_equal(seen_argv[0], "a");
	assert_string_equal(seen_argv[1], "b c");
	assert_string_equal(seen_argv[2], "de fg");
	assert_string_equal(seen_argv[3], "q\"q");
	assert_string_equal(seen_argv[4], "s\\");
	assert_string_equal(seen_argv[5], "");

	expect("echo \"open", 1, "error: unterminated quote\n");
	/* Unless the first word names no command: garbage is an unknown command. */
	expect("bogus \"open", 1, "error: unknown command 'bogus' (try 'help')\n");
	expect("\"bo gus", 1, "error: unknown command 'bo gus' (try 'help')\n");
	expect("x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 "
		"28 29 30 31 32", 1, "error: unknown command 'x' (try 'help')\n");
	expect("-j echo \"open", 1, "{\n  \"error\": \"unterminated quote\"\n}\n");
	/* 31 arguments + "echo" is the limit. */
	expect("echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 "
		"26 27 28 29 30 31", 0, "");
	assert_int_equal(seen_argc, 31);
	expect("echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 "
		"26 27 28 29 30 31 32", 1, "error: too many words\n");

	/* Blank lines and a lone -j succeed with an empty reply. */
	expect("", 0, "");
	expect(" \t ", 0, "");
	expect("-j", 0, "{}\n");
	expect("-j -j show version", 0,
		"{\n  \"version\": \"0.1.0\",\n  \"workers\": 2\n}\n");

	/* The line need not be NUL-terminated: only len bytes are read. */
	body = run("show versionXXXX", 12, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(body, "version: 0.1.0\nworkers: 2\n");
	free(body);
}

static void
test_handler_errors(void **state)
{
	(void)state;
	expect("fail late", 1, "error: it broke: 42\n");
	expect("-j fail late", 1, "{\n  \"error\": \"it broke: 42\"\n}\n");
	expect("fail silent", 1, "error: fail silent: command failed\n");
	expect("misuse", 1, "error: internal error: the reply was built wrongly "
		"(a row with fewer cells than columns)\n");
}

static void
test_help(void **state)
{
	static const char head[] =
		"command           arguments              description\n"
		"echo              ARG...                 echo the arguments\n"
		"fail late                                fail after rendering\n";
	char *body, *p;
	unsigned int i, lines = 0;
	int rc;

	(void)state;
	body = run("help", 4, &rc);
	assert_int_equal(rc, 0);
	for (p = body; *p != '\0'; p++)
		if (*p == '\n')
			lines++;
	/* A header, then one line per command, "help" included, sorted. */
	assert_int_equal(lines, mpn_cli_count() + 1);
	assert_true(strncmp(body, head, strlen(head)) == 0);
	for (i = 0; i < sizeof(test_cmds) / sizeof(test_cmds[0]); i++) {
		char want[160];

		snprintf(want, sizeof(want), "\n%s ", test_cmds[i].path);
		assert_non_null(strstr(body, want));
		assert_non_null(strstr(body, test_cmds[i].help));
	}
	assert_non_null(strstr(body, "\nshow connections  [token HEX] [limit N]  list MPTCP "
		"connections\n"));
	assert_true(strstr(body, "\necho ") < strstr(body, "\nhelp "));
	assert_true(strstr(body, "\nshow ") < strstr(body, "\nshow connections "));
	free(body);

	expect("help set", 0,
		"command        arguments  description\n"
		"set log level  LEVEL      set the log level\n");
	expect("help nothing", 1, "error: no command starts with 'nothing' (try 'help')\n");

	body = run("-j help", 7, &rc);
	assert_int_equal(rc, 0);
	assert_true(test_json_valid(body, strlen(body)));
	assert_non_null(strstr(body, "\"command\": \"set log level\",\n"
		"      \"arguments\": \"LEVEL\",\n"
		"      \"description\": \"set the log level\"\n"));
	free(body);
}

static void
test_parse_u64(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(mpn_cli_parse_u64("42", 10, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(mpn_cli_parse_u64("0x1f", 0, 100, &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(mpn_cli_parse_u64("010", 0, 100, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(mpn_cli_parse_u64("deadBEEF", 16, UINT32_MAX, &v), 0);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(mpn_cli_parse_u64("0xdeadbeef", 16, UINT32_MAX, &v), 0);
	assert_int_equal(mpn_cli_parse_u64("18446744073709551615", 10, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 99;
	assert_int_equal(mpn_cli_parse_u64("18446744073709551616", 10, UINT64_MAX, &v),
		-ERANGE);
	assert_int_equal(mpn_cli_parse_u64("101", 10, 100, &v), -ERANGE);
	assert_int_equal(mpn_cli_parse_u64("-1", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64("+1", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64(" 1", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64("1x", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64("", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64("0x", 16, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64("0x10", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64("ff", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64("1", 8, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(mpn_cli_parse_u64(NULL, 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 99);
}

/* Render a document with every kind of element; both tests below use it. */
static char *
render_sample(enum mpn_render_format fmt, int *rc)
{
	struct mpn_render *r = mpn_render_new(fmt);
	char *out = NULL;
	size_t len = 0;

	assert_non_null(r);
	mpn_render_str(r, "version", "0.1.0");
	mpn_render_u64(r, "uptime_s", 12);
	mpn_render_i64(r, "offset", -3);
	mpn_render_bool(r, "running", true);
	mpn_render_str(r, "note", NULL);
	mpn_render_str(r, "empty", "");
	mpn_render_section_begin(r, "policy");
	mpn_render_kv(r, "name", "%s-%d", "asa", 2);
	mpn_render_section_begin(r, "join");
	mpn_render_str(r, "unknown_token", "drop");
	mpn_render_section_end(r);
	mpn_render_u64(r, "rules", 3);
	mpn_render_section_end(r);
	mpn_render_table_begin(r, "ports", "port", "name", "rx", "up", "delta", NULL);
	mpn_render_row_begin(r);
	mpn_render_cell_u64(r, 0);
	mpn_render_cell_str(r, "0000:01:00.0");
	mpn_render_cell_u64(r, 123456789);
	mpn_render_cell_bool(r, true);
	mpn_render_cell_i64(r, -5);
	mpn_render_row_end(r);
	mpn_render_row_begin(r);
	mpn_render_cell_u64(r, 1);
	mpn_render_cell_fmt(r, "net_%s%d", "af_packet", 1);
	mpn_render_cell_u64(r, 7);
	mpn_render_cell_bool(r, false);
	mpn_render_cell_str(r, NULL);
	mpn_render_row_end(r);
	mpn_render_table_end(r);
	mpn_render_str(r, "quote\"d", "tab\there \\ \"q\" \x01 caf\xc3\xa9");
	*rc = mpn_render_finish(r, &out, &len);
	assert_non_null(out);
	assert_int_equal(len, strlen(out));
	return out;
}

static void
test_render_text(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = render_sample(MPN_RENDER_TEXT, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out,
		"version:  0.1.0\n"
		"uptime_s: 12\n"
		"offset:   -3\n"
		"running:  yes\n"
		"note:     -\n"
		"empty:\n"
		"\n"
		"policy:\n"
		"  name: asa-2\n"
		"  join:\n"
		"    unknown_token: drop\n"
		"  rules: 3\n"
		"\n"
		"port  name                   rx  up   delta\n"
		"   0  0000:01:00.0    123456789  yes     -5\n"
		"   1  net_af_packet1          7  no       -\n"
		"\n"
		"quote\"d: tab\there \\ \"q\" \x01 caf\xc3\xa9\n");
	free(out);
}

static void
test_render_json(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = render_sample(MPN_RENDER_JSON, &rc);
	assert_int_equal(rc, 0);
	assert_true(test_json_valid(out, strlen(out)));
	assert_string_equal(out,
		"{\n"
		"  \"version\": \"0.1.0\",\n"
		"  \"uptime_s\": 12,\n"
		"  \"offset\": -3,\n"
		"  \"running\": true,\n"
		"  \"note\": null,\n"
		"  \"empty\": \"\",\n"
		"  \"policy\": {\n"
		"    \"name\": \"asa-2\",\n"
		"    \"join\": {\n"
		"      \"unknown_token\": \"drop\"\n"
		"    },\n"
		"    \"rules\": 3\n"
		"  },\n"
		"  \"ports\": [\n"
		"    {\n"
		"      \"port\": 0,\n"
		"      \"name\": \"0000:01:00.0\",\n"
		"      \"rx\": 123456789,\n"
		"      \"up\": true,\n"
		"      \"delta\": -5\n"
		"    },\n"
		"    {\n"
		"      \"port\": 1,\n"
		"      \"name\": \"net_af_packet1\",\n"
		"      \"rx\": 7,\n"
		"      \"up\": false,\n"
		"      \"delta\": null\n"
		"    }\n"
		"  ],\n"
		"  \"quote\\\"d\": \"tab\\there \\\\ \\\"q\\\" \\u0001 caf\xc3\xa9\"\n"
		"}\n");
	free(out);
}

static void
test_render_table_alignment(void **state)
{
	struct mpn_render *r = mpn_render_new(MPN_RENDER_TEXT);
	char *out = NULL;
	size_t len;

	(void)state;
	/* A table inside a section is indented; an empty one prints its header. */
	mpn_render_section_begin(r, "links");
	mpn_render_table_begin(r, "list", "name", "count", "mixed", NULL);
	mpn_render_row_begin(r);
	mpn_render_cell_str(r, "l\xc3\xa9");
	mpn_render_cell_u64(r, 5);
	mpn_render_cell_u64(r, 1);
	mpn_render_row_end(r);
	mpn_render_row_begin(r);
	mpn_render_cell_str(r, "a-long-name");
	mpn_render_cell_u64(r, 12345);
	mpn_render_cell_str(r, "n/a");
	mpn_render_row_end(r);
	mpn_render_row_begin(r);
	mpn_render_cell_str(r, "x");
	mpn_render_cell_u64(r, 1);
	mpn_render_cell_str(r, "");
	mpn_render_row_end(r);
	mpn_render_table_end(r);
	mpn_render_section_end(r);
	mpn_render_table_begin(r, "empty", "a", "bb", NULL);
	mpn_render_table_end(r);
	assert_int_equal(mpn_render_finish(r, &out, &len), 0);
	/* "lé" is two characters wide; "mixed" holds text, so it is left-aligned. */
	assert_string_equal(out,
		"links:\n"
		"  name         count  mixed\n"
		"  l\xc3\xa9               5  1\n"
		"  a-long-name  12345  n/a\n"
		"  x                1\n"
		"\n"
		"a  bb\n");
	free(out);
}

static void
test_render_json_repairs_utf8(void **state)
{
	struct mpn_render *r = mpn_render_new(MPN_RENDER_JSON);
	char *out = NULL;
	size_t len;

	(void)state;
	mpn_render_str(r, "bad\xff", "a\xc0\xafz\xed\xa0\x80\xe2\x82");
	mpn_render_table_begin(r, "t\xfe", "c\xfe", NULL);
	mpn_render_row_begin(r);
	mpn_render_cell_str(r, "\xf4\x90\x80\x80");
	mpn_render_row_end(r);
	mpn_render_table_end(r);
	assert_int_equal(mpn_render_finish(r, &out, &len), 0);
	assert_true(test_json_valid(out, len));
	assert_non_null(strstr(out, "\"bad\xef\xbf\xbd\": \"a\xef\xbf\xbd\xef\xbf\xbdz"));
	free(out);
}

static void
test_render_errors_and_misuse(void **state)
{
	static const struct {
		const char *what;
		int step;
	} cases[] = {
		{ "a cell outside a row", 0 },
		{ "a row outside a table", 1 },
		{ "a row with more cells than columns", 2 },
		{ "a section closed that was not open", 3 },
		{ "a section left open", 4 },
		{ "a table left open", 5 },
		{ "a value inside a table (use the cell calls)", 6 },
		{ "sections nested too deep", 7 },
		{ "a table without columns", 8 },
		{ "a value without a key", 9 },
	};
	char want[200];
	unsigned int i, d;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mpn_render *r = mpn_render_new(i % 2 ? MPN_RENDER_JSON : MPN_RENDER_TEXT);
		char *out = NULL;
		size_t len;

		switch (cases[i].step) {
		case 0:
			mpn_render_cell_u64(r, 1);
			break;
		case 1:
			mpn_render_row_begin(r);
			break;
		case 2:
			mpn_render_table_begin(r, "t", "a", NULL);
			mpn_render_row_begin(r);
			mpn_render_cell_u64(r, 1);
			mpn_render_cell_u64(r, 2);
			break;
		case 3:
			mpn_render_section_end(r);
			break;
		case 4:
			mpn_render_section_begin(r, "s");
			break;
		case 5:
			mpn_render_table_begin(r, "t", "a", NULL);
			break;
		case 6:
			mpn_render_table_begin(r, "t", "a", NULL);
			mpn_render_u64(r, "k", 1);
			break;
		case 7:
			for (d = 0; d <= MPN_RENDER_MAX_DEPTH; d++)
				mpn_render_section_begin(r, "s");
			break;
		case 8:
			mpn_render_table_begin(r, "t", NULL);
			break;
		case 9:
			mpn_render_str(r, NULL, "v");
			break;
		}
		assert_int_equal(mpn_render_finish(r, &out, &len), 1);
		if (i % 2) {
			snprintf(want, sizeof(want), "{\n  \"error\": \"internal error: the reply "
				"was built wrongly (%s)\"\n}\n", cases[i].what);
			assert_true(test_json_valid(out, len));
		} else {
			snprintf(want, sizeof(want), "error: internal error: the reply was built "
				"wrongly (%s)\n", cases[i].what);
		}
		assert_string_equal(out, want);
		free(out);
	}
}

static void
test_render_too_large(void **state)
{
	struct mpn_render *r = mpn_render_new(MPN_RENDER_TEXT);
	char *out = NULL, *cell;
	size_t len, i;

	(void)state;
	assert_int_equal(mpn_render_get_format(r), MPN_RENDER_TEXT);
	cell = malloc(1 << 20);
	assert_non_null(cell);
	memset(cell, 'x', (1 << 20) - 1);
	cell[(1 << 20) - 1] = '\0';
	mpn_render_table_begin(r, "t", "c", NULL);
	/* Bounded: the renderer gives up after MPN_RENDER_MAX_BYTES. */
	for (i = 0; i < (MPN_RENDER_MAX_BYTES >> 20) + 8; i++) {
		mpn_render_row_begin(r);
		mpn_render_cell_str(r, cell);
		mpn_render_row_end(r);
	}
	mpn_render_table_end(r);
	assert_int_equal(mpn_render_finish(r, &out, &len), 1);
	assert_string_equal(out, "error: reply too large (over 64 MiB): narrow it with a "
		"filter or a limit\n");
	free(out);
	free(cell);
}

/* Numbers JSON readers cannot hold exactly become strings; the rest stay numbers. */
static void
test_render_json_big_numbers(void **state)
{
	struct mpn_render *r = mpn_render_new(MPN_RENDER_JSON);
	char *out;
	size_t len;

	(void)state;
	mpn_render_u64(r, "safe", 9007199254740991ull);
	mpn_render_u64(r, "big", 9007199254740992ull);
	mpn_render_u64(r, "max", UINT64_MAX);
	mpn_render_i64(r, "neg", -9007199254740993ll);
	mpn_render_table_begin(r, "t", "c", NULL);
	mpn_render_row_begin(r);
	mpn_render_cell_u64(r, 11994681816925016143ull);
	mpn_render_row_end(r);
	mpn_render_table_end(r);
	assert_int_equal(mpn_render_finish(r, &out, &len), 0);
	assert_string_equal(out, "{\n  \"safe\": 9007199254740991,\n  \"big\": \"9007199254740992\",\n"
		"  \"max\": \"18446744073709551615\",\n  \"neg\": \"-9007199254740993\",\n"
		"  \"t\": [\n    {\n      \"c\": \"11994681816925016143\"\n    }\n  ]\n}\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_rejects, setup),
		cmocka_unit_test_setup(test_unknown_command, setup),
		cmocka_unit_test_setup(test_binary_garbage, setup),
		cmocka_unit_test_setup(test_arg_count, setup),
		cmocka_unit_test_setup(test_longest_prefix, setup),
		cmocka_unit_test_setup(test_abbreviations, setup),
		cmocka_unit_test_setup(test_words_and_quotes, setup),
		cmocka_unit_test_setup(test_handler_errors, setup),
		cmocka_unit_test_setup(test_help, setup),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_render_json_big_numbers),
		cmocka_unit_test(test_render_table_alignment),
		cmocka_unit_test(test_render_json_repairs_utf8),
		cmocka_unit_test(test_render_errors_and_misuse),
		cmocka_unit_test(test_render_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
