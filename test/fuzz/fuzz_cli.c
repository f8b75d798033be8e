/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the control socket's line parser (lib/cli): one
 * request line, any bytes, through mpn_cli_execute() exactly as the server
 * runs it: split into words (blanks, quotes, escapes), a leading "-j",
 * longest-path dispatch, argument-count bounds, rendering.
 *
 * The command table is the daemon's (app/mpnorm/control.c: the same
 * paths, usages and argument bounds, copied here because the handlers
 * need a running data plane). Each handler here checks what the
 * dispatcher promises a handler, then renders its words back, in text or
 * JSON, through the same renderer the real ones use; a few parse numbers
 * with mpn_cli_parse_u64() as theirs do.
 *
 * Invariants (each failure abort()s):
 *  - a handler is called only with an argument count within its declared
 *    bounds, with NUL-terminated words that hold no unquoted blank;
 *  - every line gets exactly one reply body: mpn_cli_execute() returns 0
 *    or 1 with a NUL-terminated body whose length is reported exactly and
 *    which holds no NUL byte; a failure reply is an error (text "error: "
 *    or JSON {"error": ...});
 *  - a JSON reply is one valid JSON value (RFC 8259, strict UTF-8);
 *  - a text reply ends with a newline when it is not empty;
 *  - mpn_cli_parse_u64() accepts exactly the digit strings within range.
 *
 * Build and run: see README.md. The same file, linked with replay_main.c,
 * is the 'fuzz_replay_cli' test.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_render.h"
#include "../../lib/cli/cli_test_json.h"

/* The fuzz_common.h check, without its pkt.h dependency. */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Render the words back; the table shape is what `show` commands print. */
static int
echo(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	const struct mpn_cli_command *cmd = ctx->cmd;
	uint64_t v;
	int i;

	FUZZ_CHECK(argc >= 0);
	FUZZ_CHECK((unsigned int)argc >= cmd->min_args && (unsigned int)argc <= cmd->max_args);
	mpn_render_kv(ctx->r, "command", "%s", cmd->path);
	mpn_render_table_begin(ctx->r, "args", "i", "word", "number", NULL);
	for (i = 0; i < argc; i++) {
		FUZZ_CHECK(argv[i] != NULL);
		FUZZ_CHECK(strlen(argv[i]) < MPN_CLI_LINE_MAX);
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_fmt(ctx->r, "%d", i);
		mpn_render_cell_str(ctx->r, argv[i]);
		if (mpn_cli_parse_u64(argv[i], 0, UINT32_MAX, &v) == 0)
			mpn_render_cell_fmt(ctx->r, "%llu", (unsigned long long)v);
		else
			mpn_render_cell_str(ctx->r, "-");
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	/* "limit N" and "trace N" refuse what is not a number, as theirs do. */
	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], "limit") == 0 &&
				mpn_cli_parse_u64(argv[i + 1], 10, 1000000, &v) != 0)
			return mpn_cli_usage_error(ctx);
	return 0;
}

static int
echo_token(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	uint64_t v;

	if (mpn_cli_parse_u64(argv[0], 16, UINT32_MAX, &v) != 0)
		return mpn_cli_error(ctx, "'%s' is not a token (8 hex digits)", argv[0]);
	return echo(ctx, argc, argv);
}

/* app/mpnorm/control.c, commands[]: paths, usages and bounds. */
static const struct mpn_cli_command commands[] = {
	{ "show conn", "[address A] [port P] [token T] [limit N]", 0, 8, echo, "", NULL },
	{ "clear conn", "[address A] [port P] [token T] | all", 0, 6, echo, "", NULL },
	{ "show asp drop", "", 0, 0, echo, "", NULL },
	{ "show errors", "", 0, 0, echo, "", NULL },
	{ "show service-policy", "", 0, 0, echo, "", NULL },
	{ "show running-config", "", 0, 0, echo, "", NULL },
	{ "show runtime", "", 0, 0, echo, "", NULL },
	{ "show flow-export", "", 0, 0, echo, "", NULL },
	{ "show logging", "", 0, 0, echo, "", NULL },
	{ "show connections", "[token HEX] [limit N]", 0, 4, echo, "", NULL },
	{ "show subflows", "[token HEX] [limit N]", 0, 4, echo, "", NULL },
	{ "show rcu", "", 0, 0, echo, "", NULL },
	{ "show tracking", "", 0, 0, echo, "", NULL },
	{ "show cluster", "", 0, 0, echo, "", NULL },
	{ "cluster lookup", "TOKEN", 1, 1, echo_token, "", NULL },
	{ "show version", "", 0, 0, echo, "", NULL },
	{ "show ports", "", 0, 0, echo, "", NULL },
	{ "show links", "", 0, 0, echo, "", NULL },
	{ "show workers", "", 0, 0, echo, "", NULL },
	{ "show stats", "", 0, 0, echo, "", NULL },
	{ "show drops", "", 0, 0, echo, "", NULL },
	{ "show tcp-map", "[NAME]", 0, 1, echo, "", NULL },
	{ "show policy", "", 0, 0, echo, "", NULL },
	{ "show mptcp interference", "", 0, 0, echo, "", NULL },
	{ "show config", "", 0, 0, echo, "", NULL },
	{ "show trace", "", 0, 0, echo, "", NULL },
	{ "clear counters", "", 0, 0, echo, "", NULL },
	{ "reload", "", 0, 0, echo, "", NULL },
	{ "set log-level", "LEVEL", 1, 1, echo, "", NULL },
	{ "trace", "N", 1, 1, echo, "", NULL },
};

/* An independent reading of mpn_cli_parse_u64() for base 10. */
static void
check_parse_u64(const uint8_t *data, size_t size)
{
	char buf[32];
	uint64_t v = 0, want = 0;
	bool digits = size > 0 && size < sizeof(buf), over = false;
	size_t i;
	int rc;

	if (size == 0 || size >= sizeof(buf))
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	size = strlen(buf); /* the function sees the string up to its NUL */
	digits = size > 0;
	for (i = 0; i < size && digits; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			digits = false;
		else if (!over) {
			if (want > (UINT32_MAX - (uint64_t)(buf[i] - '0')) / 10)
				over = true;
			else
				want = want * 10 + (uint64_t)(buf[i] - '0');
		}
	}
	rc = mpn_cli_parse_u64(buf, 10, UINT32_MAX, &v);
	if (!digits)
		FUZZ_CHECK(rc == -EINVAL);
	else if (over)
		FUZZ_CHECK(rc == -ERANGE);
	else
		FUZZ_CHECK(rc == 0 && v == want);
}

static bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	char *reply = NULL;
	size_t len = 0, i = 0;
	bool json_asked;
	int rc;

	if (!registered) {
		registered = true;
		FUZZ_CHECK(mpn_cli_register_all(commands,
			sizeof(commands) / sizeof(commands[0])) == 0);
	}
	/* A first bare word "-j" asks for JSON (cli.h). */
	while (i < size && is_blank(data[i]))
		i++;
	json_asked = size - i >= 2 && data[i] == '-' && data[i + 1] == 'j' &&
		(size - i == 2 || is_blank(data[i + 2]));

	rc = mpn_cli_execute((const char *)data, size, &reply, &len);
	FUZZ_CHECK(rc == 0 || rc == 1);
	FUZZ_CHECK(reply != NULL);
	FUZZ_CHECK(strlen(reply) == len);
	/* A quoted "-j" is a "-j" word too: the reply then says it is JSON. */
	if (json_asked || (len > 0 && reply[0] == '{')) {
		FUZZ_CHECK(len > 0 && reply[len - 1] == '\n');
		FUZZ_CHECK(test_json_valid(reply, len));
		if (rc == 1)
			FUZZ_CHECK(reply[0] == '{' &&
				strncmp(reply + 1 + strspn(reply + 1, " \n"), "\"error\"", 7) == 0);
	} else {
		if (len > 0)
			FUZZ_CHECK(reply[len - 1] == '\n');
		if (rc == 1)
			FUZZ_CHECK(strncmp(reply, "error: ", 7) == 0);
	}
	free(reply);
	check_parse_u64(data, size);
	return 0;
}
