/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_render.h"
#include "json.h"

/* A growable byte array: the text mode's arena for buffered strings. */
struct render_buf {
	char *p;
	size_t len;
	size_t cap;
};

/* A buffered string: an offset into the arena, so growing it is safe. */
struct render_str {
	size_t off;
	size_t len;
};

/* A text-mode "key: value" waiting for its block's key width. */
struct render_kv {
	struct render_str key;
	struct render_str val;
};

/* A text-mode table cell; NULL cells count as neither number nor text. */
struct render_cell {
	struct render_str s;
	bool numeric;
	bool null;
};

struct mpn_render {
	enum mpn_render_format fmt;
	FILE *f;               /* the document so far */
	char *doc;             /* open_memstream's buffer behind f */
	size_t doc_len;
	struct mpn_json j;
	int depth;             /* open sections */
	const char *misuse;    /* first misuse seen; a static string */
	char *err;             /* the error message once set */
	bool oom;

	/* Table state, both modes. */
	bool in_table;
	bool in_row;
	unsigned int ncols;
	unsigned int cell;     /* next cell of the current row */
	struct render_str cols[MPN_RENDER_MAX_COLUMNS];
	char *json_cols[MPN_RENDER_MAX_COLUMNS]; /* JSON: keys of the row objects */

	/* Text mode only. */
	struct render_buf arena;
	struct render_kv *kv;  /* pending block of values */
	size_t n_kv;
	size_t kv_cap;
	struct render_cell *cells; /* ncols per row */
	size_t n_cells;
	size_t cells_cap;
	bool wrote;            /* a line was written */
	bool after_block;      /* the last top-level element was a section or table */
};

/* Misuse is a handler bug: record the first and turn the reply into an error. */
static void
render_misuse(struct mpn_render *r, const char *what)
{
	if (r->misuse == NULL)
		r->misuse = what;
}

/* Calls after an error, a misuse or an allocation failure are ignored. */
static bool
render_dead(const struct mpn_render *r)
{
	return r->err != NULL || r->misuse != NULL || r->oom;
}

/* Bytes the reply holds so far, buffered text included. */
static size_t
render_size(struct mpn_render *r)
{
	long pos = ftell(r->f);

	return (pos < 0 ? 0 : (size_t)pos) + r->arena.len +
		r->n_cells * sizeof(struct render_cell) + r->n_kv * sizeof(struct render_kv);
}

/* Enforce MPN_RENDER_MAX_BYTES so one command cannot take unbounded memory. */
static void
render_check_size(struct mpn_render *r)
{
	if (r->err == NULL && render_size(r) > MPN_RENDER_MAX_BYTES)
		mpn_render_error(r, "reply too large (over %u MiB): narrow it with a filter "
			"or a limit", MPN_RENDER_MAX_BYTES >> 20);
}

/* Grow an array of @p size-byte elements to hold @p need of them. */
static int
render_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap == 0 ? 16 : *cap;
	void *q;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	q = realloc(*p, n * size);
	if (q == NULL)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int
render_arena_add(struct mpn_render *r, const char *s, size_t len, struct render_str *out)
{
	struct render_buf *b = &r->arena;
	void *p = b->p;

	if (render_grow(&p, &b->cap, b->len + len + 1, 1) != 0) {
		r->oom = true;
		return -ENOMEM;
	}
	b->p = p;
	memcpy(b->p + b->len, s, len);
	b->p[b->len + len] = '\0';
	out->off = b->len;
	out->len = len;
	b->len += len + 1;
	return 0;
}

static const char *
render_arena_str(const struct mpn_render *r, struct render_str s)
{
	return r->arena.p + s.off;
}

/*
 * Columns are aligned by character, not byte: count UTF-8 lead bytes so a
 * name with an accent does not push its row out of line.
 */
static size_t
render_width(const char *s, size_t len)
{
	size_t i, w = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/*
 * JSON must be UTF-8. Handlers may pass bytes from the wire (an argument
 * they echo), so return @p s itself when it is valid and otherwise a copy
 * (*copy, to be freed) with each bad byte replaced by U+FFFD.
 */
static const char *
render_utf8(bool *oom, const char *s, char **copy)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i, o = 0;
	bool bad = false;
	char *c = NULL;
	int pass;

	*copy = NULL;
	if (s == NULL)
		return NULL;
	len = strlen(s);
	/* Pass 0 only looks; pass 1 writes the repaired copy. */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			if (!bad)
				return s;
			c = malloc(len * 3 + 1);
			if (c == NULL) {
				*oom = true;
				return "";
			}
		}
		for (i = 0; i < len;) {
			unsigned int n, k;
			uint32_t cp;

			if (p[i] < 0x80) {
				n = 1;
				cp = p[i];
			} else if ((p[i] & 0xe0) == 0xc0) {
				n = 2;
				cp = p[i] & 0x1f;
			} else if ((p[i] & 0xf0) == 0xe0) {
				n = 3;
				cp = p[i] & 0x0f;
			} else if ((p[i] & 0xf8) == 0xf0) {
				n = 4;
				cp = p[i] & 0x07;
			} else {
				n = 0;
				cp = 0;
			}
			for (k = 1; n > 1 && k < n; k++) {
				if (i + k >= len || (p[i + k] & 0xc0) != 0x80) {
					n = 0;
					break;
				}
				cp = (cp << 6) | (p[i + k] & 0x3f);
			}
			/* Reject overlong forms, surrogates and code points past U+10FFFF. */
			if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
					(n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
					(cp >= 0xd800 && cp <= 0xdfff))
				n = 0;
			if (n == 0) {
				bad = true;
				if (pass == 1) {
					memcpy(c + o, "\xef\xbf\xbd", 3);
					o += 3;
				}
				i++;
				continue;
			}
			if (pass == 1) {
				memcpy(c + o, p + i, n);
				o += n;
			}
			i += n;
		}
	}
	c[o] = '\0';
	*copy = c;
	return c;
}

struct mpn_render *
mpn_render_new(enum mpn_render_format fmt)
{
	struct mpn_render *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	r->fmt = fmt;
	r->f = open_memstream(&r->doc, &r->doc_len);
	if (r->f == NULL) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	if (fmt == MPN_RENDER_JSON) {
		mpn_json_init(&r->j, r->f);
		mpn_json_object_begin(&r->j, NULL);
	}
	return r;
}

static void
render_free_table(struct mpn_render *r)
{
	unsigned int c;

	for (c = 0; c < MPN_RENDER_MAX_COLUMNS; c++) {
		free(r->json_cols[c]);
		r->json_cols[c] = NULL;
	}
}

void
mpn_render_free(struct mpn_render *r)
{
	if (r == NULL)
		return;
	fclose(r->f);
	free(r->doc);
	free(r->err);
	free(r->arena.p);
	free(r->kv);
	free(r->cells);
	render_free_table(r);
	free(r);
}

enum mpn_render_format
mpn_render_get_format(const struct mpn_render *r)
{
	return r->fmt;
}

bool
mpn_render_has_error(const struct mpn_render *r)
{
	return r->err != NULL;
}

void
mpn_render_verror(struct mpn_render *r, const char *fmt, va_list ap)
{
	if (r->err != NULL)
		return;
	if (vasprintf(&r->err, fmt, ap) < 0) {
		r->err = NULL;
		r->oom = true;
	}
}

void
mpn_render_error(struct mpn_render *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mpn_render_verror(r, fmt, ap);
	va_end(ap);
}

static void
text_indent(struct mpn_render *r, int depth)
{
	fprintf(r->f, "%*s", depth * 2, "");
}

/* Pad to @p width characters after writing @p w of them. */
static void
text_pad(struct mpn_render *r, size_t w, size_t width)
{
	for (; w < width; w++)
		fputc(' ', r->f);
}

/* A blank line sets a top-level section or table apart from its neighbours. */
static void
text_gap(struct mpn_render *r, bool block)
{
	if (r->depth == 0 && r->wrote && (block || r->after_block))
		fputc('\n', r->f);
	if (r->depth == 0)
		r->after_block = false;
}

/* Write the pending values with their values aligned one column past the longest key. */
static void
text_flush_kv(struct mpn_render *r)
{
	size_t i, kw = 0;

	if (r->n_kv == 0)
		return;
	text_gap(r, false);
	for (i = 0; i < r->n_kv; i++) {
		size_t w = render_width(render_arena_str(r, r->kv[i].key), r->kv[i].key.len);

		if (w > kw)
			kw = w;
	}
	for (i = 0; i < r->n_kv; i++) {
		const char *k = render_arena_str(r, r->kv[i].key);

		text_indent(r, r->depth);
		fprintf(r->f, "%s:", k);
		/* An empty value leaves no trailing blanks. */
		if (r->kv[i].val.len > 0) {
			text_pad(r, render_width(k, r->kv[i].key.len), kw);
			fprintf(r->f, " %s", render_arena_str(r, r->kv[i].val));
		}
		fputc('\n', r->f);
	}
	r->wrote = true;
	r->n_kv = 0;
	r->arena.len = 0;
}

/* Checks shared by every keyed value: a key, and not inside a table. */
static bool
render_value_ok(struct mpn_render *r, const char *key)
{
	if (render_dead(r))
		return false;
	if (r->in_table) {
		render_misuse(r, "a value inside a table (use the cell calls)");
		return false;
	}
	if (key == NULL) {
		render_misuse(r, "a value without a key");
		return false;
	}
	return true;
}

static void
text_value(struct mpn_render *r, const char *key, const char *val)
{
	struct render_kv *kv;
	void *p = r->kv;

	if (render_grow(&p, &r->kv_cap, r->n_kv + 1, sizeof(*kv)) != 0) {
		r->oom = true;
		return;
	}
	r->kv = p;
	kv = &r->kv[r->n_kv];
	if (render_arena_add(r, key, strlen(key), &kv->key) != 0 ||
			render_arena_add(r, val, strlen(val), &kv->val) != 0)
		return;
	r->n_kv++;
	render_check_size(r);
}

void
mpn_render_str(struct mpn_render *r, const char *key, const char *s)
{
	char *kc, *vc;

	if (!render_value_ok(r, key))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		text_value(r, key, s == NULL ? "-" : s);
		return;
	}
	key = render_utf8(&r->oom, key, &kc);
	s = render_utf8(&r->oom, s, &vc);
	mpn_json_str(&r->j, key, s);
	free(kc);
	free(vc);
	render_check_size(r);
}

void
mpn_render_kv(struct mpn_render *r, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (!render_value_ok(r, key))
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->oom = true;
		return;
	}
	mpn_render_str(r, key, s);
	free(s);
}

void
mpn_render_verbatim(struct mpn_render *r, const char *key, const char *text)
{
	size_t n;

	if (!render_value_ok(r, key) || text == NULL)
		return;
	if (r->fmt == MPN_RENDER_JSON) {
		mpn_render_str(r, key, text);
		return;
	}
	text_flush_kv(r);
	text_gap(r, true);
	n = strlen(text);
	fwrite(text, 1, n, r->f);
	if (n > 0 && text[n - 1] != '\n')
		fputc('\n', r->f);
	r->wrote = true;
	if (r->depth == 0)
		r->after_block = true;
	render_check_size(r);
}

void
mpn_render_u64(struct mpn_render *r, const char *key, uint64_t v)
{
	char buf[32];
	char *kc;

	if (!render_value_ok(r, key))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		text_value(r, key, buf);
		return;
	}
	key = render_utf8(&r->oom, key, &kc);
	mpn_json_u64(&r->j, key, v);
	free(kc);
}

void
mpn_render_i64(struct mpn_render *r, const char *key, int64_t v)
{
	char buf[32];
	char *kc;

	if (!render_value_ok(r, key))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		snprintf(buf, sizeof(buf), "%" PRId64, v);
		text_value(r, key, buf);
		return;
	}
	key = render_utf8(&r->oom, key, &kc);
	mpn_json_i64(&r->j, key, v);
	free(kc);
}

void
mpn_render_bool(struct mpn_render *r, const char *key, bool v)
{
	char *kc;

	if (!render_value_ok(r, key))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		text_value(r, key, v ? "yes" : "no");
		return;
	}
	key = render_utf8(&r->oom, key, &kc);
	mpn_json_bool(&r->j, key, v);
	free(kc);
}

void
mpn_render_section_begin(struct mpn_render *r, const char *name)
{
	char *nc;

	if (!render_value_ok(r, name))
		return;
	if (r->depth >= MPN_RENDER_MAX_DEPTH) {
		render_misuse(r, "sections nested too deep");
		return;
	}
	if (r->fmt == MPN_RENDER_TEXT) {
		text_flush_kv(r);
		text_gap(r, true);
		text_indent(r, r->depth);
		fprintf(r->f, "%s:\n", name);
		r->wrote = true;
	} else {
		name = render_utf8(&r->oom, name, &nc);
		mpn_json_object_begin(&r->j, name);
		free(nc);
	}
	r->depth++;
}

void
mpn_render_section_end(struct mpn_render *r)
{
	if (render_dead(r))
		return;
	if (r->in_table) {
		render_misuse(r, "a section closed inside a table");
		return;
	}
	if (r->depth == 0) {
		render_misuse(r, "a section closed that was not open");
		return;
	}
	if (r->fmt == MPN_RENDER_TEXT)
		text_flush_kv(r);
	else
		mpn_json_object_end(&r->j);
	r->depth--;
	if (r->depth == 0)
		r->after_block = true;
}

void
mpn_render_table_begin(struct mpn_render *r, const char *name, ...)
{
	const char *col;
	unsigned int n = 0;
	va_list ap;
	char *nc;

	if (!render_value_ok(r, name))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		text_flush_kv(r);
		r->n_cells = 0;
		r->arena.len = 0;
	}
	va_start(ap, name);
	/* The sentinel attribute makes the compiler check the NULL; still bound the walk. */
	while ((col = va_arg(ap, const char *)) != NULL) {
		if (n == MPN_RENDER_MAX_COLUMNS) {
			render_misuse(r, "too many table columns");
			break;
		}
		if (r->fmt == MPN_RENDER_TEXT) {
			if (render_arena_add(r, col, strlen(col), &r->cols[n]) != 0)
				break;
		} else {
			char *cc;
			const char *s = render_utf8(&r->oom, col, &cc);

			r->json_cols[n] = cc != NULL ? cc : strdup(s);
			if (r->json_cols[n] == NULL)
				r->oom = true;
		}
		n++;
	}
	va_end(ap);
	if (n == 0)
		render_misuse(r, "a table without columns");
	if (render_dead(r)) {
		render_free_table(r);
		return;
	}
	r->ncols = n;
	r->in_table = true;
	r->in_row = false;
	if (r->fmt == MPN_RENDER_JSON) {
		name = render_utf8(&r->oom, name, &nc);
		mpn_json_array_begin(&r->j, name);
		free(nc);
	}
}

void
mpn_render_row_begin(struct mpn_render *r)
{
	if (render_dead(r))
		return;
	if (!r->in_table || r->in_row) {
		render_misuse(r, r->in_row ? "a row opened inside a row" :
			"a row outside a table");
		return;
	}
	r->in_row = true;
	r->cell = 0;
	if (r->fmt == MPN_RENDER_JSON)
		mpn_json_object_begin(&r->j, NULL);
}

void
mpn_render_row_end(struct mpn_render *r)
{
	if (render_dead(r))
		return;
	if (!r->in_row) {
		render_misuse(r, "a row closed that was not open");
		return;
	}
	if (r->cell != r->ncols) {
		render_misuse(r, "a row with fewer cells than columns");
		return;
	}
	r->in_row = false;
	if (r->fmt == MPN_RENDER_JSON)
		mpn_json_object_end(&r->j);
	render_check_size(r);
}

/* Claim the next cell of the row; false if there is none. */
static bool
render_cell_ok(struct mpn_render *r)
{
	if (render_dead(r))
		return false;
	if (!r->in_row) {
		render_misuse(r, "a cell outside a row");
		return false;
	}
	if (r->cell >= r->ncols) {
		render_misuse(r, "a row with more cells than columns");
		return false;
	}
	return true;
}

static void
text_cell(struct mpn_render *r, const char *s, bool numeric, bool null)
{
	struct render_cell *c;
	void *p = r->cells;

	if (render_grow(&p, &r->cells_cap, r->n_cells + 1, sizeof(*c)) != 0) {
		r->oom = true;
		return;
	}
	r->cells = p;
	c = &r->cells[r->n_cells];
	if (render_arena_add(r, s, strlen(s), &c->s) != 0)
		return;
	c->numeric = numeric;
	c->null = null;
	r->n_cells++;
	r->cell++;
}

void
mpn_render_cell_str(struct mpn_render *r, const char *s)
{
	char *vc;

	if (!render_cell_ok(r))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		text_cell(r, s == NULL ? "-" : s, false, s == NULL);
		return;
	}
	s = render_utf8(&r->oom, s, &vc);
	mpn_json_str(&r->j, r->json_cols[r->cell], s);
	free(vc);
	r->cell++;
}

void
mpn_render_cell_fmt(struct mpn_render *r, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (!render_cell_ok(r))
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->oom = true;
		return;
	}
	mpn_render_cell_str(r, s);
	free(s);
}

void
mpn_render_cell_u64(struct mpn_render *r, uint64_t v)
{
	char buf[32];

	if (!render_cell_ok(r))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		text_cell(r, buf, true, false);
		return;
	}
	mpn_json_u64(&r->j, r->json_cols[r->cell], v);
	r->cell++;
}

void
mpn_render_cell_f64(struct mpn_render *r, double v)
{
	char buf[32];

	if (!render_cell_ok(r))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		if (isfinite(v))
			snprintf(buf, sizeof(buf), "%.1f", v);
		else
			snprintf(buf, sizeof(buf), "-");
		text_cell(r, buf, true, false);
		return;
	}
	mpn_json_f64(&r->j, r->json_cols[r->cell], v);
	r->cell++;
}

void
mpn_render_cell_i64(struct mpn_render *r, int64_t v)
{
	char buf[32];

	if (!render_cell_ok(r))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		snprintf(buf, sizeof(buf), "%" PRId64, v);
		text_cell(r, buf, true, false);
		return;
	}
	mpn_json_i64(&r->j, r->json_cols[r->cell], v);
	r->cell++;
}

void
mpn_render_cell_bool(struct mpn_render *r, bool v)
{
	if (!render_cell_ok(r))
		return;
	if (r->fmt == MPN_RENDER_TEXT) {
		text_cell(r, v ? "yes" : "no", false, false);
		return;
	}
	mpn_json_bool(&r->j, r->json_cols[r->cell], v);
	r->cell++;
}

/* Write one header or data line of a text table. */
static void
text_table_line(struct mpn_render *r, const char *const *s, const size_t *len,
	const size_t *width, const bool *right)
{
	unsigned int c, end = 0;

	/* Stop after the last non-empty cell: no line ends in blanks. */
	for (c = 0; c < r->ncols; c++)
		if (len[c] > 0)
			end = c + 1;
	if (end > 0)
		text_indent(r, r->depth);
	for (c = 0; c < end; c++) {
		size_t w = render_width(s[c], len[c]);
		bool last = c + 1 == end;

		if (c > 0)
			fputs("  ", r->f);
		if (right[c])
			text_pad(r, w, width[c]);
		fputs(s[c], r->f);
		/* The last cell written is never padded on the right. */
		if (!right[c] && !last)
			text_pad(r, w, width[c]);
	}
	fputc('\n', r->f);
}

static void
text_table_write(struct mpn_render *r)
{
	size_t width[MPN_RENDER_MAX_COLUMNS], len[MPN_RENDER_MAX_COLUMNS];
	bool right[MPN_RENDER_MAX_COLUMNS], seen[MPN_RENDER_MAX_COLUMNS];
	const char *s[MPN_RENDER_MAX_COLUMNS];
	size_t i, nrows = r->n_cells / r->ncols;
	unsigned int c;

	for (c = 0; c < r->ncols; c++) {
		s[c] = render_arena_str(r, r->cols[c]);
		len[c] = r->cols[c].len;
		width[c] = render_width(s[c], len[c]);
		right[c] = true;
		seen[c] = false;
	}
	for (i = 0; i < r->n_cells; i++) {
		const struct render_cell *cell = &r->cells[i];
		size_t w = render_width(render_arena_str(r, cell->s), cell->s.len);

		c = (unsigned int)(i % r->ncols);
		if (w > width[c])
			width[c] = w;
		if (!cell->null) {
			seen[c] = true;
			if (!cell->numeric)
				right[c] = false;
		}
	}
	/* A column is right-aligned only if it holds numbers and nothing else. */
	for (c = 0; c < r->ncols; c++)
		right[c] = right[c] && seen[c];
	text_gap(r, true);
	text_table_line(r, s, len, width, right);
	for (i = 0; i < nrows; i++) {
		for (c = 0; c < r->ncols; c++) {
			const struct render_cell *cell = &r->cells[i * r->ncols + c];

			s[c] = render_arena_str(r, cell->s);
			len[c] = cell->s.len;
		}
		text_table_line(r, s, len, width, right);
	}
	r->wrote = true;
	if (r->depth == 0)
		r->after_block = true;
	r->n_cells = 0;
	r->arena.len = 0;
}

void
mpn_render_table_end(struct mpn_render *r)
{
	if (render_dead(r))
		return;
	if (!r->in_table || r->in_row) {
		render_misuse(r, r->in_row ? "a table closed inside a row" :
			"a table closed that was not open");
		return;
	}
	if (r->fmt == MPN_RENDER_TEXT)
		text_table_write(r);
	else
		mpn_json_array_end(&r->j);
	r->in_table = false;
	render_free_table(r);
	render_check_size(r);
}

/* Build the document for @p msg alone, in @p r's format. */
static int
render_error_doc(enum mpn_render_format fmt, const char *msg, char **out, size_t *len)
{
	struct mpn_json j;
	char *doc = NULL, *copy = NULL;
	size_t n = 0;
	FILE *f;

	f = open_memstream(&doc, &n);
	if (f == NULL)
		return -ENOMEM;
	if (fmt == MPN_RENDER_JSON) {
		bool oom = false;

		mpn_json_init(&j, f);
		mpn_json_object_begin(&j, NULL);
		mpn_json_str(&j, "error", render_utf8(&oom, msg, &copy));
		mpn_json_object_end(&j);
		mpn_json_end(&j);
		free(copy);
	} else {
		fprintf(f, "error: %s\n", msg);
	}
	if (ferror(f) != 0) {
		fclose(f);
		free(doc);
		return -ENOMEM;
	}
	if (fclose(f) != 0 || doc == NULL) {
		free(doc);
		return -ENOMEM;
	}
	*out = doc;
	*len = n;
	return 1;
}

int
mpn_render_finish(struct mpn_render *r, char **out, size_t *len)
{
	enum mpn_render_format fmt = r->fmt;
	char buf[160];
	int rc;

	*out = NULL;
	*len = 0;
	if (r->err == NULL && r->misuse == NULL && !r->oom &&
			(r->depth != 0 || r->in_table))
		render_misuse(r, r->in_table ? "a table left open" : "a section left open");
	if (r->err == NULL && r->misuse == NULL && !r->oom) {
		if (fmt == MPN_RENDER_TEXT) {
			text_flush_kv(r);
		} else {
			mpn_json_object_end(&r->j);
			mpn_json_end(&r->j);
		}
		if (ferror(r->f) == 0 && fflush(r->f) == 0 && r->doc != NULL) {
			if (r->doc_len > MPN_RENDER_MAX_BYTES) {
				mpn_render_error(r, "reply too large (over %u MiB): narrow it "
					"with a filter or a limit", MPN_RENDER_MAX_BYTES >> 20);
			} else {
				/* Hand the memstream's buffer over instead of copying it. */
				fclose(r->f);
				*out = r->doc;
				*len = r->doc_len;
				r->f = NULL;
				r->doc = NULL;
				free(r->err);
				free(r->arena.p);
				free(r->kv);
				free(r->cells);
				render_free_table(r);
				free(r);
				return 0;
			}
		} else {
			r->oom = true;
		}
	}
	if (r->err != NULL) {
		rc = render_error_doc(fmt, r->err, out, len);
	} else if (r->misuse != NULL) {
		snprintf(buf, sizeof(buf), "internal error: the reply was built wrongly (%s)",
			r->misuse);
		rc = render_error_doc(fmt, buf, out, len);
	} else {
		rc = render_error_doc(fmt, "out of memory", out, len);
	}
	mpn_render_free(r);
	return rc;
}
