/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <math.h>

#include "json.h"

void
mpn_json_init(struct mpn_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

static void
json_indent(struct mpn_json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void
json_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Write the separator, indentation and key that precede any value. */
static void
json_member(struct mpn_json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		json_indent(j);
	}
	j->first[j->depth] = false;
	if (key != NULL) {
		json_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void
json_open(struct mpn_json *j, const char *key, char c)
{
	json_member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < MPN_JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
json_close(struct mpn_json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		json_indent(j);
	fputc(c, j->f);
}

void
mpn_json_object_begin(struct mpn_json *j, const char *key)
{
	json_open(j, key, '{');
}

void
mpn_json_object_end(struct mpn_json *j)
{
	json_close(j, '}');
}

void
mpn_json_array_begin(struct mpn_json *j, const char *key)
{
	json_open(j, key, '[');
}

void
mpn_json_array_end(struct mpn_json *j)
{
	json_close(j, ']');
}

void
mpn_json_u64(struct mpn_json *j, const char *key, uint64_t v)
{
	json_member(j, key);
	/*
	 * An IEEE double holds integers exactly up to 2^53: jq 1.6 and every
	 * JavaScript consumer round a bigger number silently
	 * (11994681816925016143 reads back as 11994681816925016000). A counter
	 * that gets there (bytes at 100 Gb/s take about eight days) is written
	 * as a decimal string instead, so no reader gets a wrong value; the
	 * schemas (doc/schema/) say a counter is an integer or such a string.
	 */
	if (v > MPN_JSON_MAX_SAFE_INTEGER)
		fprintf(j->f, "\"%" PRIu64 "\"", v);
	else
		fprintf(j->f, "%" PRIu64, v);
}

void
mpn_json_i64(struct mpn_json *j, const char *key, int64_t v)
{
	json_member(j, key);
	if (v > (int64_t)MPN_JSON_MAX_SAFE_INTEGER || v < -(int64_t)MPN_JSON_MAX_SAFE_INTEGER)
		fprintf(j->f, "\"%" PRId64 "\"", v);
	else
		fprintf(j->f, "%" PRId64, v);
}

void
mpn_json_f64(struct mpn_json *j, const char *key, double v)
{
	json_member(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.1f", v);
	else
		fputs("null", j->f);
}

void
mpn_json_bool(struct mpn_json *j, const char *key, bool v)
{
	json_member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
mpn_json_str(struct mpn_json *j, const char *key, const char *v)
{
	json_member(j, key);
	if (v == NULL)
		fputs("null", j->f);
	else
		json_string(j->f, v);
}

void
mpn_json_end(struct mpn_json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
