/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CLI_TEST_JSON_H
#define MPN_CLI_TEST_JSON_H

/*
 * A strict JSON checker (RFC 8259) for the CLI tests, so they need no jq:
 * one value, surrounded by whitespace only, strings in valid UTF-8 with no
 * raw control characters, and nesting bounded.
 */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct tj {
	const unsigned char *p;
	const unsigned char *end;
	int depth;
};

static bool tj_value(struct tj *t);

static void
tj_ws(struct tj *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' ||
			*t->p == '\r'))
		t->p++;
}

static bool
tj_lit(struct tj *t, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(t->end - t->p) < n || memcmp(t->p, lit, n) != 0)
		return false;
	t->p += n;
	return true;
}

static bool
tj_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One UTF-8 sequence starting at t->p, no overlongs or surrogates. */
static bool
tj_utf8(struct tj *t)
{
	unsigned char c = *t->p;
	unsigned int n, k, cp;

	if (c < 0x80) {
		t->p++;
		return true;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		cp = c & 0x07;
	} else {
		return false;
	}
	if ((size_t)(t->end - t->p) < n)
		return false;
	for (k = 1; k < n; k++) {
		if ((t->p[k] & 0xc0) != 0x80)
			return false;
		cp = (cp << 6) | (t->p[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
			cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	t->p += n;
	return true;
}

static bool
tj_string(struct tj *t)
{
	int i;

	if (t->p >= t->end || *t->p != '"')
		return false;
	t->p++;
	while (t->p < t->end && *t->p != '"') {
		if (*t->p < 0x20)
			return false;
		if (*t->p == '\\') {
			t->p++;
			if (t->p >= t->end)
				return false;
			if (*t->p == 'u') {
				for (i = 1; i <= 4; i++)
					if (t->p + i >= t->end || !tj_hex(t->p[i]))
						return false;
				t->p += 5;
			} else if (strchr("\"\\/bfnrt", *t->p) != NULL && *t->p != '\0') {
				t->p++;
			} else {
				return false;
			}
			continue;
		}
		if (!tj_utf8(t))
			return false;
	}
	if (t->p >= t->end)
		return false;
	t->p++;
	return true;
}

static bool
tj_digits(struct tj *t)
{
	const unsigned char *s = t->p;

	while (t->p < t->end && *t->p >= '0' && *t->p <= '9')
		t->p++;
	return t->p > s;
}

static bool
tj_number(struct tj *t)
{
	if (t->p < t->end && *t->p == '-')
		t->p++;
	if (t->p < t->end && *t->p == '0')
		t->p++;
	else if (!tj_digits(t))
		return false;
	if (t->p < t->end && *t->p == '.') {
		t->p++;
		if (!tj_digits(t))
			return false;
	}
	if (t->p < t->end && (*t->p == 'e' || *t->p == 'E')) {
		t->p++;
		if (t->p < t->end && (*t->p == '+' || *t->p == '-'))
			t->p++;
		if (!tj_digits(t))
			return false;
	}
	return true;
}

/* An object or array: members separated by commas, no trailing comma. */
static bool
tj_container(struct tj *t, bool object)
{
	char close = object ? '}' : ']';

	if (++t->depth > 64)
		return false;
	t->p++;
	tj_ws(t);
	if (t->p < t->end && *t->p == close) {
		t->p++;
		t->depth--;
		return true;
	}
	for (;;) {
		if (object) {
			if (!tj_string(t))
				return false;
			tj_ws(t);
			if (t->p >= t->end || *t->p != ':')
				return false;
			t->p++;
		}
		if (!tj_value(t))
			return false;
		tj_ws(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			tj_ws(t);
			continue;
		}
		if (t->p < t->end && *t->p == close) {
			t->p++;
			t->depth--;
			return true;
		}
		return false;
	}
}

static bool
tj_value(struct tj *t)
{
	tj_ws(t);
	if (t->p >= t->end)
		return false;
	switch (*t->p) {
	case '{':
		return tj_container(t, true);
	case '[':
		return tj_container(t, false);
	case '"':
		return tj_string(t);
	case 't':
		return tj_lit(t, "true");
	case 'f':
		return tj_lit(t, "false");
	case 'n':
		return tj_lit(t, "null");
	default:
		return tj_number(t);
	}
}

/* True if @p s holds exactly one valid JSON value. */
static inline bool
test_json_valid(const char *s, size_t len)
{
	struct tj t = {
		.p = (const unsigned char *)s,
		.end = (const unsigned char *)s + len,
		.depth = 0,
	};

	if (!tj_value(&t))
		return false;
	tj_ws(&t);
	return t.p == t.end;
}

#endif /* MPN_CLI_TEST_JSON_H */
