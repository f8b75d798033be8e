/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_JSON_H
#define MPN_JSON_H

/**
 * @file
 * A small streaming JSON writer.
 *
 * Reports (the offline summary, the CLI's -j output) are built by calling
 * these in document order; the writer tracks nesting and commas so callers
 * never hand-format JSON, and it escapes every string. Output is
 * deterministic: the same calls give the same bytes.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MPN_JSON_MAX_DEPTH 16

/**
 * 2^53 - 1: the largest integer every JSON reader holds exactly. Numbers
 * beyond it are written as strings; identifiers (keys, tokens, IDSNs) are
 * always hex strings ("0x..."), whatever their value.
 */
#define MPN_JSON_MAX_SAFE_INTEGER 9007199254740991ull

struct mpn_json {
	FILE *f;
	int depth;
	bool first[MPN_JSON_MAX_DEPTH]; /* no member written yet at this depth */
};

/** Start writing to @p f. */
void mpn_json_init(struct mpn_json *j, FILE *f);
/** Open an object; @p key is NULL inside arrays and at top level. */
void mpn_json_object_begin(struct mpn_json *j, const char *key);
void mpn_json_object_end(struct mpn_json *j);
/** Open an array; @p key is NULL inside arrays. */
void mpn_json_array_begin(struct mpn_json *j, const char *key);
void mpn_json_array_end(struct mpn_json *j);
/** A number; a decimal string beyond MPN_JSON_MAX_SAFE_INTEGER (never rounded). */
void mpn_json_u64(struct mpn_json *j, const char *key, uint64_t v);
void mpn_json_i64(struct mpn_json *j, const char *key, int64_t v);
void mpn_json_bool(struct mpn_json *j, const char *key, bool v);
/** A number with one decimal ("12.5"); NaN and infinities write null. */
void mpn_json_f64(struct mpn_json *j, const char *key, double v);
/** A string value, escaped; NULL writes null. */
void mpn_json_str(struct mpn_json *j, const char *key, const char *v);
/** Finish the document with a newline. */
void mpn_json_end(struct mpn_json *j);

#endif /* MPN_JSON_H */
