/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CLI_H
#define MPN_CLI_H

/**
 * @file
 * The control-plane command table and its dispatcher.
 *
 * There is one table of commands. Each entry names a path of words
 * ("show connections"), a usage string, the bounds on its argument count,
 * a handler and a line of help. Modules register their commands before the
 * server starts; the dispatcher then finds the entry whose path matches the
 * most leading words of a request, checks the argument count and calls the
 * handler. Unknown commands and argument-count errors are answered centrally,
 * so a handler only ever sees an argument count it declared, and bad input
 * gets an error line, never a crash. The model is Open vSwitch's unixctl.
 *
 * Handlers write their reply through a renderer (cli_render.h) that turns
 * the same calls into aligned text or JSON.
 *
 * Wire protocol (one stream socket, AF_UNIX; see cli_server.h):
 *
 * - Request: one line of bytes ending in '\n' (a trailing "\r" is ignored).
 *   A line holds at most MPN_CLI_LINE_MAX - 1 bytes before its '\n'; a
 *   longer one is answered with an error and discarded up to its '\n', and
 *   the connection stays usable. At end of stream a last line without '\n'
 *   is run too.
 * - Words are separated by blanks (space, tab, CR; a NUL byte also counts as
 *   a blank). A double-quoted part may hold blanks; inside it, \" and \\
 *   stand for " and \. Quoted and bare parts may touch: a"b c" is one word.
 *   A line holds at most MPN_CLI_MAX_WORDS words.
 * - A first word "-j" asks for the reply in JSON; otherwise it is aligned
 *   text. A blank line gets an empty successful reply.
 * - Reply: one status byte, MPN_CLI_STATUS_OK ('+') or MPN_CLI_STATUS_ERR
 *   ('-'), then the body, then one NUL byte (MPN_CLI_REPLY_END). The body is
 *   UTF-8 text and never holds a NUL. In text mode it is lines ending in
 *   '\n' and an error body is "error: MESSAGE\n"; in JSON mode it is one
 *   JSON object followed by '\n', and an error body is
 *   {"error": "MESSAGE"}.
 * - Every request gets exactly one reply, in order, so a client may keep the
 *   connection and send more lines. The server reads the next line only once
 *   the previous reply has been written out.
 *
 * A session with `nc -U` looks like this ('^@' is the NUL byte):
 *
 *     > show version
 *     < +version: 0.1.0
 *     < ^@
 *     > bogus
 *     < -error: unknown command 'bogus' (try 'help')
 *     < ^@
 *
 * Thread safety: registration and dispatch use one static table without
 * locks. Register every command before the server starts, and dispatch from
 * one thread (the main lcore).
 */

#include <stddef.h>
#include <stdint.h>

#include "cli_render.h"

/** Where the daemon listens unless the configuration says otherwise. */
#define MPN_CLI_DEFAULT_SOCKET "/run/mpnorm/mpnorm.sock"
/** File mode of the socket unless the configuration says otherwise. */
#define MPN_CLI_DEFAULT_MODE 0660

/** Bytes of a request line, its '\n' included. */
#define MPN_CLI_LINE_MAX 4096
/** First byte of a successful reply. */
#define MPN_CLI_STATUS_OK '+'
/** First byte of a reply that carries an error. */
#define MPN_CLI_STATUS_ERR '-'
/** The byte that ends every reply. */
#define MPN_CLI_REPLY_END '\0'
/** Largest reply body; a bigger one is replaced by an error. */
#define MPN_CLI_REPLY_MAX MPN_RENDER_MAX_BYTES

/** Most words in a request line, command path and "-j" included. */
#define MPN_CLI_MAX_WORDS 32
/** Most words in a command path. */
#define MPN_CLI_MAX_PATH_WORDS 8
/** Most commands in the table, the built-in "help" included. */
#define MPN_CLI_MAX_COMMANDS 64

struct mpn_cli_ctx;

/**
 * A command handler.
 *
 * @param ctx
 *   The renderer to write the reply to and the command's @c arg.
 * @param argc
 *   Number of arguments after the command path, within the command's
 *   [min_args, max_args].
 * @param argv
 *   The arguments, NUL-terminated, valid until the handler returns.
 * @return
 *   0 on success; -1 on failure, after writing a message with
 *   mpn_cli_error() (if it did not, the reply says "command failed").
 */
typedef int (*mpn_cli_handler_t)(struct mpn_cli_ctx *ctx, int argc,
	const char *const *argv);

/** One entry of the command table. */
struct mpn_cli_command {
	const char *path;     /**< words separated by single spaces: "show connections" */
	const char *usage;    /**< arguments only, "" or NULL if none: "[token HEX] [limit N]" */
	unsigned int min_args; /**< fewest arguments after the path */
	unsigned int max_args; /**< most arguments after the path */
	mpn_cli_handler_t handler;
	const char *help;     /**< one line for `help` */
	void *arg;            /**< handed to the handler as ctx->user */
};

/** What a handler gets besides its arguments. */
struct mpn_cli_ctx {
	struct mpn_render *r;                /**< where the reply goes */
	void *user;                          /**< the command's @c arg */
	const struct mpn_cli_command *cmd;   /**< the entry being run */
};

/**
 * Add a command to the table.
 *
 * The entry is copied, but the strings and @c arg it points to are not: they
 * must outlive the table (string literals and static data do).
 *
 * @return
 *   0 on success;
 *   -EINVAL if the path is empty, has more than MPN_CLI_MAX_PATH_WORDS words,
 *   blanks other than single spaces between words, or quotes; if the handler
 *   is NULL; or if min_args > max_args or max_args > MPN_CLI_MAX_WORDS;
 *   -EEXIST if a command with the same path exists ("help" is built in);
 *   -ENOSPC if the table is full.
 */
int
mpn_cli_register(const struct mpn_cli_command *cmd);

/**
 * Register @p n commands from an array; stops at the first failure.
 *
 * @return 0, or the first error of mpn_cli_register().
 */
int
mpn_cli_register_all(const struct mpn_cli_command *cmds, unsigned int n);

/**
 * Empty the table, keeping only the built-in "help". For tests, and for a
 * process that rebuilds its table; never while the server runs.
 */
void
mpn_cli_reset(void);

/** Number of commands in the table, "help" included. */
unsigned int
mpn_cli_count(void);

/**
 * Run the command named by the leading words of @p argv.
 *
 * The entry whose path matches the most leading words wins, so "show
 * connections" is preferred over "show" for "show connections limit 5".
 *
 * @return
 *   0 on success; -1 if the command is unknown, its argument count is out of
 *   bounds, or its handler failed. The reply or error message is in @p r.
 */
int
mpn_cli_dispatch(struct mpn_render *r, int argc, const char *const *argv);

/**
 * Run one request line as the server does: split it into words, honour a
 * leading "-j", dispatch, and render the reply body.
 *
 * @param line
 *   The request, without its '\n'; it need not be NUL-terminated and may hold
 *   any bytes.
 * @param len
 *   Bytes in @p line.
 * @param reply
 *   Receives the body, malloc'ed and NUL-terminated; the caller frees it.
 *   It is NULL only when the return value is negative.
 * @param reply_len
 *   Receives the body's length, its NUL excluded.
 * @return
 *   0 if the command succeeded; 1 if it failed (the body holds the error);
 *   -ENOMEM if no body could be built.
 */
int
mpn_cli_execute(const char *line, size_t len, char **reply, size_t *reply_len);

/**
 * Write an error message into the reply and return -1, so a handler can
 * `return mpn_cli_error(ctx, "no link named '%s'", argv[0]);`.
 * Anything the handler rendered before is discarded. The first error wins.
 */
int
mpn_cli_error(struct mpn_cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Write the command's usage as the error and return -1: for handlers that
 * find a keyword or value they do not accept.
 */
int
mpn_cli_usage_error(struct mpn_cli_ctx *ctx);

/**
 * Parse an unsigned integer argument.
 *
 * Unlike strtoull(), this rejects signs, blanks, an empty string and
 * trailing garbage, so "-1" is not read as 2^64 - 1.
 *
 * @param s
 *   The argument.
 * @param base
 *   10, 16 (an optional "0x" prefix is accepted), or 0 for decimal unless
 *   prefixed with "0x".
 * @param max
 *   Largest value accepted.
 * @param v
 *   Receives the value on success.
 * @return
 *   0 on success, -EINVAL if @p s is not a number in @p base, -ERANGE if it
 *   exceeds @p max.
 */
int
mpn_cli_parse_u64(const char *s, int base, uint64_t max, uint64_t *v);

#endif /* MPN_CLI_H */
