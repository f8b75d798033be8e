/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CLI_RENDER_H
#define MPN_CLI_RENDER_H

/**
 * @file
 * One renderer for every command: the same calls give aligned text or JSON.
 *
 * A handler describes its reply as a document of three kinds of element:
 *
 * - a value: a key and a string, number or boolean (mpn_render_str(), ...);
 * - a section: a named group of elements (mpn_render_section_begin());
 * - a table: named columns and rows of cells (mpn_render_table_begin()).
 *
 * In JSON the document is one object: values are members, sections are
 * nested objects and tables are arrays of objects keyed by column name.
 * Numbers stay numbers and every string is escaped, with invalid UTF-8
 * replaced by U+FFFD, so the output always parses.
 *
 * In text, consecutive values print as "key: value" with the values
 * aligned, a section prints its name and indents what it holds by two
 * spaces, and a table prints a header and aligned columns. Columns whose
 * cells are all numbers are right-aligned. Widths are computed over every
 * row, so a table's rows are buffered until mpn_render_table_end(). At the
 * top level, sections and tables are set apart by a blank line.
 *
 * Everything is buffered until mpn_render_finish(), which is why an error
 * can replace whatever was rendered before it. Misuse (a cell outside a
 * row, a row with the wrong number of cells, unbalanced sections, nesting
 * too deep) never crashes: the reply becomes an "internal error" naming it.
 *
 * A renderer is not thread-safe; use one per reply.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Most columns in a table. */
#define MPN_RENDER_MAX_COLUMNS 16
/** Deepest nesting of sections. */
#define MPN_RENDER_MAX_DEPTH 8
/**
 * Largest document, in bytes. A reply that grows past it becomes the error
 * "reply too large", which bounds the memory one command can take.
 */
#define MPN_RENDER_MAX_BYTES (64u << 20)

enum mpn_render_format {
	MPN_RENDER_TEXT,
	MPN_RENDER_JSON,
};

/** An opaque renderer. */
struct mpn_render;

/**
 * Create a renderer.
 *
 * @return The renderer, or NULL with errno set to ENOMEM.
 */
struct mpn_render *
mpn_render_new(enum mpn_render_format fmt);

/** Free a renderer that was not finished. NULL is accepted. */
void
mpn_render_free(struct mpn_render *r);

/** The format @p r was created with, for the rare handler that must know. */
enum mpn_render_format
mpn_render_get_format(const struct mpn_render *r);

/**
 * Finish the document and free the renderer.
 *
 * @param out
 *   Receives the document, malloc'ed and NUL-terminated: the error document
 *   if an error was set or the renderer was misused.
 * @param len
 *   Receives its length, the NUL excluded.
 * @return
 *   0 if the document is a normal reply; 1 if it is an error document;
 *   -ENOMEM if there is no document (*out is then NULL).
 */
int
mpn_render_finish(struct mpn_render *r, char **out, size_t *len);

/**
 * Make the reply an error: "error: MESSAGE" in text, {"error": "MESSAGE"} in
 * JSON. Everything rendered before is dropped and later calls are ignored.
 * The first error wins.
 */
void
mpn_render_error(struct mpn_render *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** The same, with a va_list. */
void
mpn_render_verror(struct mpn_render *r, const char *fmt, va_list ap);

/** True once an error is set. */
bool
mpn_render_has_error(const struct mpn_render *r);

/** Open a section named @p name; close it with mpn_render_section_end(). */
void
mpn_render_section_begin(struct mpn_render *r, const char *name);

/** Close the innermost open section. */
void
mpn_render_section_end(struct mpn_render *r);

/** A string value; NULL renders as null in JSON and "-" in text. */
void
mpn_render_str(struct mpn_render *r, const char *key, const char *s);

/** A string value built with printf-style formatting. */
void
mpn_render_kv(struct mpn_render *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * A block of text shown as it is: in text mode the lines of @p text
 * verbatim (a newline added if it lacks one), in JSON the string value
 * @p key. For documents that are files of their own, such as `show
 * running-config`, which an operator saves and loads back.
 */
void
mpn_render_verbatim(struct mpn_render *r, const char *key, const char *text);

/** An unsigned number: a JSON number, decimal in text. */
void
mpn_render_u64(struct mpn_render *r, const char *key, uint64_t v);

/** A signed number: a JSON number, decimal in text. */
void
mpn_render_i64(struct mpn_render *r, const char *key, int64_t v);

/** A boolean: true or false in JSON, yes or no in text. */
void
mpn_render_bool(struct mpn_render *r, const char *key, bool v);

/**
 * Open a table named @p name with the columns listed after it, ending with
 * NULL: `mpn_render_table_begin(r, "ports", "port", "name", "rx", NULL)`.
 * Tables cannot nest, nor hold sections.
 */
void
mpn_render_table_begin(struct mpn_render *r, const char *name, ...)
	__attribute__((sentinel));

/** Start a row; fill it with exactly one cell per column, in order. */
void
mpn_render_row_begin(struct mpn_render *r);

/** End a row; it must hold one cell per column. */
void
mpn_render_row_end(struct mpn_render *r);

/** A string cell; NULL renders as null in JSON and "-" in text. */
void
mpn_render_cell_str(struct mpn_render *r, const char *s);

/** A string cell built with printf-style formatting. */
void
mpn_render_cell_fmt(struct mpn_render *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** An unsigned number cell; a column of numbers is right-aligned in text. */
void
mpn_render_cell_u64(struct mpn_render *r, uint64_t v);

/**
 * A number cell with one decimal (a share in percent, say); NaN is "-" in
 * text and null in JSON: a share of nothing.
 */
void
mpn_render_cell_f64(struct mpn_render *r, double v);

/** A signed number cell. */
void
mpn_render_cell_i64(struct mpn_render *r, int64_t v);

/** A boolean cell: true or false in JSON, yes or no in text. */
void
mpn_render_cell_bool(struct mpn_render *r, bool v);

/** Close the table: in text, this is when its rows are written. */
void
mpn_render_table_end(struct mpn_render *r);

#endif /* MPN_CLI_RENDER_H */
