/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A registered command with its path pre-split, so matching never re-parses it. */
struct cli_entry {
	struct mpn_cli_command cmd;
	unsigned int n_words;
	unsigned short word_off[MPN_CLI_MAX_PATH_WORDS];
	unsigned short word_len[MPN_CLI_MAX_PATH_WORDS];
};

static int cli_help(struct mpn_cli_ctx *ctx, int argc, const char *const *argv);

static struct cli_entry cli_table[MPN_CLI_MAX_COMMANDS] = {
	[0] = {
		.cmd = {
			.path = "help",
			.usage = "[COMMAND...]",
			.min_args = 0,
			.max_args = MPN_CLI_MAX_PATH_WORDS,
			.handler = cli_help,
			.help = "list the commands, or those that start with COMMAND",
		},
		.n_words = 1,
		.word_off = { 0 },
		.word_len = { 4 },
	},
};
static unsigned int cli_n_entries = 1;

static bool
cli_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\0';
}

/* Split a path into words; -EINVAL unless single spaces separate printable words. */
static int
cli_split_path(const char *path, struct cli_entry *e)
{
	size_t i, start = 0, len;

	if (path == NULL)
		return -EINVAL;
	len = strnlen(path, 256);
	if (len == 0 || len == 256)
		return -EINVAL;
	e->n_words = 0;
	for (i = 0; i <= len; i++) {
		char c = path[i];

		if (i < len && c != ' ') {
			/* Quotes and blanks could never be typed back as one word. */
			if ((unsigned char)c <= ' ' || c == '"' || c == '\\' || c == 0x7f)
				return -EINVAL;
			continue;
		}
		if (i == start || e->n_words == MPN_CLI_MAX_PATH_WORDS)
			return -EINVAL;
		e->word_off[e->n_words] = (unsigned short)start;
		e->word_len[e->n_words] = (unsigned short)(i - start);
		e->n_words++;
		start = i + 1;
	}
	return 0;
}

static bool
cli_word_eq(const struct cli_entry *e, unsigned int w, const char *s)
{
	return strlen(s) == e->word_len[w] &&
		memcmp(e->cmd.path + e->word_off[w], s, e->word_len[w]) == 0;
}

int
mpn_cli_register(const struct mpn_cli_command *cmd)
{
	struct cli_entry e;
	unsigned int i;

	if (cmd == NULL || cmd->handler == NULL || cmd->min_args > cmd->max_args ||
			cmd->max_args > MPN_CLI_MAX_WORDS)
		return -EINVAL;
	memset(&e, 0, sizeof(e));
	e.cmd = *cmd;
	if (cli_split_path(cmd->path, &e) != 0)
		return -EINVAL;
	for (i = 0; i < cli_n_entries; i++)
		if (strcmp(cli_table[i].cmd.path, cmd->path) == 0)
			return -EEXIST;
	if (cli_n_entries == MPN_CLI_MAX_COMMANDS)
		return -ENOSPC;
	cli_table[cli_n_entries++] = e;
	return 0;
}

int
mpn_cli_register_all(const struct mpn_cli_command *cmds, unsigned int n)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = mpn_cli_register(&cmds[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
mpn_cli_reset(void)
{
	cli_n_entries = 1;
	memset(&cli_table[1], 0, sizeof(cli_table) - sizeof(cli_table[0]));
}

unsigned int
mpn_cli_count(void)
{
	return cli_n_entries;
}

/*
 * Copy a word from the wire into @p dst for an error message, so that
 * binary garbage prints as \xNN and the message stays valid UTF-8, without
 * a terminal escape, and bounded in length.
 */
static void
cli_quote_word(char *dst, size_t dstlen, const char *src)
{
	size_t o = 0, i;

	for (i = 0; src[i] != '\0' && o + 8 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
	}
	if (src[i] != '\0' && o + 4 <= dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* Append @p n words, space-separated and quoted, for an error message. */
static void
cli_quote_words(char *dst, size_t dstlen, int n, const char *const *argv)
{
	size_t o = 0;
	int i;

	dst[0] = '\0';
	for (i = 0; i < n && o + 1 < dstlen; i++) {
		if (i > 0)
			dst[o++] = ' ';
		cli_quote_word(dst + o, dstlen - o, argv[i]);
		o += strlen(dst + o);
	}
}

static bool
cli_word_prefix(const struct cli_entry *e, unsigned int w, const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= e->word_len[w] && memcmp(e->cmd.path + e->word_off[w], s, n) == 0;
}

/* Do entries @p a and @p b have the same word at position @p w? */
static bool
cli_same_word(const struct cli_entry *a, const struct cli_entry *b, unsigned int w)
{
	return a->word_len[w] == b->word_len[w] &&
		memcmp(a->cmd.path + a->word_off[w], b->cmd.path + b->word_off[w],
			a->word_len[w]) == 0;
}

/*
 * Find the command named by the leading words of argv, as an ASA does: each
 * word is a command word typed in full, or a prefix of exactly one command
 * word possible at that position ("sh asp dr" is "show asp drop"). A word
 * that matches no command word at its position ends the path: it and what
 * follows are arguments. Of the commands whose whole path was matched, the
 * longest wins, so "show connections limit 5" is "show connections" and not
 * "show" with three arguments.
 *
 * @return the entry, or NULL with *partial set to the number of words that
 *   matched some path; *ambiguous_first and *ambiguous set to two candidates
 *   when the word at *partial abbreviates several words; *incomplete true
 *   when every word matched but no command ends there ("clear").
 */
static const struct cli_entry *
cli_lookup(int argc, const char *const *argv, unsigned int *partial,
	const struct cli_entry **ambiguous, const struct cli_entry **ambiguous_first,
	bool *incomplete)
{
	bool alive[MPN_CLI_MAX_COMMANDS];
	const struct cli_entry *best = NULL;
	unsigned int i, w;

	*partial = 0;
	*ambiguous = NULL;
	*ambiguous_first = NULL;
	for (i = 0; i < cli_n_entries; i++)
		alive[i] = true;
	for (w = 0; (int)w < argc && w < MPN_CLI_MAX_PATH_WORDS; w++) {
		const struct cli_entry *exact = NULL, *pre = NULL, *pre2 = NULL;

		/* Commands complete before this word take the rest as arguments. */
		for (i = 0; i < cli_n_entries; i++) {
			const struct cli_entry *e = &cli_table[i];

			if (!alive[i])
				continue;
			if (e->n_words == w) {
				if (best == NULL || e->n_words > best->n_words)
					best = e;
				alive[i] = false;
				continue;
			}
			if (cli_word_eq(e, w, argv[w]))
				exact = e;
			else if (cli_word_prefix(e, w, argv[w])) {
				if (pre == NULL)
					pre = e;
				else if (!cli_same_word(pre, e, w) && pre2 == NULL)
					pre2 = e;
			}
		}
		if (exact == NULL && pre == NULL)
			break;
		if (exact == NULL && pre2 != NULL) {
			/* "clear co": conn or counters. Unless a shorter command takes it. */
			if (best == NULL) {
				*partial = w;
				*ambiguous_first = pre;
				*ambiguous = pre2;
			}
			break;
		}
		for (i = 0; i < cli_n_entries; i++)
			if (alive[i] && !cli_same_word(&cli_table[i], exact != NULL ? exact : pre, w))
				alive[i] = false;
		*partial = w + 1;
	}
	/* Commands whose every word was matched. */
	*incomplete = false;
	for (i = 0; i < cli_n_entries; i++) {
		const struct cli_entry *e = &cli_table[i];

		if (!alive[i])
			continue;
		if (e->n_words <= w && (best == NULL || e->n_words > best->n_words))
			best = e;
		else if ((int)w == argc && *ambiguous == NULL)
			*incomplete = true;
	}
	if (best != NULL) {
		*ambiguous = NULL;
		*ambiguous_first = NULL;
		*incomplete = false;
	}
	return best;
}

static void
cli_render_usage(struct mpn_render *r, const struct mpn_cli_command *cmd)
{
	bool has_args = cmd->usage != NULL && cmd->usage[0] != '\0';

	mpn_render_error(r, "usage: %s%s%s", cmd->path, has_args ? " " : "",
		has_args ? cmd->usage : "");
}

int
mpn_cli_dispatch(struct mpn_render *r, int argc, const char *const *argv)
{
	const struct cli_entry *e, *amb, *amb_first;
	bool incomplete;
	struct mpn_cli_ctx ctx;
	unsigned int partial, nargs;
	char words[160];
	int rc;

	if (argc <= 0) {
		mpn_render_error(r, "empty command (try 'help')");
		return -1;
	}
	e = cli_lookup(argc, argv, &partial, &amb, &amb_first, &incomplete);
	if (e == NULL) {
		/* Name what was looked up: the words that matched some path, and the next. */
		int n = (int)partial + 1 < argc ? (int)partial + 1 : argc;

		cli_quote_words(words, sizeof(words), n, argv);
		if (amb != NULL) {
			char w1[64], w2[64];

			snprintf(w1, sizeof(w1), "%.*s", (int)amb_first->word_len[partial],
				amb_first->cmd.path + amb_first->word_off[partial]);
			snprintf(w2, sizeof(w2), "%.*s", (int)amb->word_len[partial],
				amb->cmd.path + amb->word_off[partial]);
			mpn_render_error(r, "ambiguous command '%s': '%s' or '%s'? (try 'help')",
				words, w1, w2);
			return -1;
		}
		if (incomplete) {
			mpn_render_error(r, "incomplete command '%s' (try 'help %s')", words, words);
			return -1;
		}
		mpn_render_error(r, "unknown command '%s' (try 'help')", words);
		return -1;
	}
	nargs = (unsigned int)argc - e->n_words;
	if (nargs < e->cmd.min_args || nargs > e->cmd.max_args) {
		cli_render_usage(r, &e->cmd);
		return -1;
	}
	ctx.r = r;
	ctx.user = e->cmd.arg;
	ctx.cmd = &e->cmd;
	rc = e->cmd.handler(&ctx, (int)nargs, argv + e->n_words);
	if (rc != 0 && !mpn_render_has_error(r))
		mpn_render_error(r, "%s: command failed", e->cmd.path);
	return rc != 0 || mpn_render_has_error(r) ? -1 : 0;
}

static int
cli_entry_cmp(const void *a, const void *b)
{
	const struct cli_entry *const *x = a, *const *y = b;

	return strcmp((*x)->cmd.path, (*y)->cmd.path);
}

/* The built-in help: the table, sorted, optionally filtered by leading words. */
static int
cli_help(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	const struct cli_entry *list[MPN_CLI_MAX_COMMANDS];
	unsigned int i, n = 0, w;
	char words[160];

	for (i = 0; i < cli_n_entries; i++) {
		const struct cli_entry *e = &cli_table[i];

		/* Words may be abbreviated here too: "help sh a" lists "show asp drop". */
		for (w = 0; (int)w < argc && w < e->n_words; w++)
			if (!cli_word_prefix(e, w, argv[w]))
				break;
		if ((int)w == argc)
			list[n++] = e;
	}
	if (n == 0) {
		cli_quote_words(words, sizeof(words), argc, argv);
		return mpn_cli_error(ctx, "no command starts with '%s' (try 'help')", words);
	}
	qsort(list, n, sizeof(list[0]), cli_entry_cmp);
	mpn_render_table_begin(ctx->r, "commands", "command", "arguments", "description",
		NULL);
	for (i = 0; i < n; i++) {
		const struct mpn_cli_command *c = &list[i]->cmd;

		mpn_render_row_begin(ctx->r);
		mpn_render_cell_str(ctx->r, c->path);
		mpn_render_cell_str(ctx->r, c->usage != NULL ? c->usage : "");
		mpn_render_cell_str(ctx->r, c->help != NULL ? c->help : "");
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	return 0;
}

int
mpn_cli_error(struct mpn_cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mpn_render_verror(ctx->r, fmt, ap);
	va_end(ap);
	return -1;
}

int
mpn_cli_usage_error(struct mpn_cli_ctx *ctx)
{
	cli_render_usage(ctx->r, ctx->cmd);
	return -1;
}

/*
 * Split @p line into words in @p buf (at least len + 1 bytes: words never
 * grow, and each blank or quote that ends one leaves room for its NUL).
 * Every step consumes one input byte, so the loop is bounded by @p len.
 */
static int
cli_tokenize(const char *line, size_t len, char *buf, const char **argv, int *argc,
	const char **err)
{
	size_t i = 0, o = 0;
	bool in_word = false, quoted = false;
	int n = 0;

	for (i = 0; i < len; i++) {
		char c = line[i];

		if (!quoted && cli_is_blank(c)) {
			if (in_word) {
				buf[o++] = '\0';
				in_word = false;
			}
			continue;
		}
		if (!in_word) {
			if (n == MPN_CLI_MAX_WORDS) {
				*argc = n;
				*err = "too many words";
				return -1;
			}
			argv[n++] = buf + o;
			in_word = true;
		}
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && c == '\\' && i + 1 < len &&
				(line[i + 1] == '"' || line[i + 1] == '\\'))
			c = line[++i];
		buf[o++] = c;
	}
	if (quoted) {
		/* Keep the words so far readable: the caller may still name argv[0]. */
		buf[o] = '\0';
		*argc = n;
		*err = "unterminated quote";
		return -1;
	}
	if (in_word)
		buf[o++] = '\0';
	*argc = n;
	return 0;
}

/* Does the line start with the word "-j"? Checked on raw bytes so even a line
 * that fails to split still gets its error in the format it asked for.
 */
static bool
cli_wants_json(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && cli_is_blank(line[i]))
		i++;
	return len - i >= 2 && line[i] == '-' && line[i + 1] == 'j' &&
		(len - i == 2 || cli_is_blank(line[i + 2]));
}

/*
 * A line that does not split (an odd quote, too many words) is reported as
 * an unknown command when its first word names none, so binary garbage
 * always gets the same answer whatever bytes it happens to hold.
 */
static void
cli_syntax_error(struct mpn_render *r, int argc, const char *const *argv,
	const char *err)
{
	char word[80];
	unsigned int i;

	for (i = 0; argc > 0 && i < cli_n_entries; i++)
		if (cli_word_prefix(&cli_table[i], 0, argv[0]))
			break;
	if (argc > 0 && i == cli_n_entries) {
		cli_quote_word(word, sizeof(word), argv[0]);
		mpn_render_error(r, "unknown command '%s' (try 'help')", word);
	} else {
		mpn_render_error(r, "%s", err);
	}
}

int
mpn_cli_execute(const char *line, size_t len, char **reply, size_t *reply_len)
{
	const char *argv[MPN_CLI_MAX_WORDS];
	const char *err = NULL;
	struct mpn_render *r;
	int argc = 0, first = 0, rc;
	char *buf;

	*reply = NULL;
	*reply_len = 0;
	r = mpn_render_new(cli_wants_json(line, len) ? MPN_RENDER_JSON : MPN_RENDER_TEXT);
	if (r == NULL)
		return -ENOMEM;
	buf = malloc(len + 1);
	if (buf == NULL) {
		mpn_render_free(r);
		return -ENOMEM;
	}
	rc = cli_tokenize(line, len, buf, argv, &argc, &err);
	/* "-j" is an option, not a word of the command; tolerate it repeated. */
	while (first < argc && strcmp(argv[first], "-j") == 0)
		first++;
	if (rc != 0)
		cli_syntax_error(r, argc - first, argv + first, err);
	else if (first < argc)
		mpn_cli_dispatch(r, argc - first, argv + first);
	rc = mpn_render_finish(r, reply, reply_len);
	free(buf);
	return rc;
}

int
mpn_cli_parse_u64(const char *s, int base, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (s == NULL || (base != 0 && base != 10 && base != 16))
		return -EINVAL;
	/* Base 0 means decimal or 0x-hex; a leading 0 must not mean octal. */
	if (base == 0)
		base = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10;
	/* strtoull() would skip blanks and accept a sign: "-1" would be 2^64 - 1. */
	if (base == 10 ? !isdigit((unsigned char)s[0]) : !isxdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, base);
	if (end == s || *end != '\0')
		return -EINVAL;
	if (errno == ERANGE || x > max)
		return -ERANGE;
	*v = x;
	return 0;
}
