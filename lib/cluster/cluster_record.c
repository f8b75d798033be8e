/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The directory's record: one line of text in the store (doc/cluster.md §3).
 *
 *   mpn1 v=1 ta=4951d561 tb=dde61a3e ka=<16 hex> kb=<16 hex> fa=81 fb=81 d=allow n=NODE t=SECONDS
 *
 * Text, so that an operator can read a record with redis-cli; strict, so
 * that the parser is a short bounded walk with one meaning per byte: every
 * field in this order, lower-case fixed-width hex, single spaces. Anything a
 * store hands back is untrusted input: the record is refused unless its keys
 * hash to its tokens and the token it was filed under is one of them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "conn.h"
#include "flow.h"
#include "mptcp_crypto.h"

static const char *const decision_names[] = {
	[MPN_DECISION_ALLOW] = "allow",
	[MPN_DECISION_FALLBACK] = "fallback",
	[MPN_DECISION_BYPASS] = "bypass",
};

#define N_DECISIONS (sizeof(decision_names) / sizeof(decision_names[0]))

static bool
node_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		ch == '.' || ch == '_' || ch == '-';
}

static bool
node_ok(const char *n)
{
	size_t i;

	for (i = 0; i < MPN_CLUSTER_NODE_MAX && n[i] != '\0'; i++)
		if (!node_char(n[i]))
			return false;
	return i > 0 && i < MPN_CLUSTER_NODE_MAX;
}

int
mpn_cluster_record_encode(const struct mpn_cluster_record *r, char *buf, size_t cap)
{
	int n;

	if (r->version > 1 || r->decision >= N_DECISIONS || !node_ok(r->node))
		return -EINVAL;
	n = snprintf(buf, cap, "mpn1 v=%u ta=%08x tb=%08x ka=%016llx kb=%016llx fa=%02x fb=%02x "
		"d=%s n=%s t=%llu", r->version, r->token_a, r->token_b,
		(unsigned long long)r->key_a, (unsigned long long)r->key_b, r->flags_a, r->flags_b,
		decision_names[r->decision], r->node, (unsigned long long)r->time);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	if (n > MPN_CLUSTER_RECORD_MAX)
		return -EINVAL;
	return n;
}

/* A cursor over untrusted bytes: every read checks the end first. */
struct cur {
	const char *p;
	const char *end;
};

static bool
lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Exactly @p digits lower-case hex digits. */
static bool
hex(struct cur *c, unsigned int digits, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int i;

	if ((size_t)(c->end - c->p) < digits)
		return false;
	for (i = 0; i < digits; i++) {
		char ch = c->p[i];

		if (ch >= '0' && ch <= '9')
			v = (v << 4) | (uint64_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = (v << 4) | (uint64_t)(ch - 'a' + 10);
		else
			return false;
	}
	c->p += digits;
	*out = v;
	return true;
}

/* 1 to 19 decimal digits, no leading zero but "0": never overflows. */
static bool
dec(struct cur *c, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < 19) {
		v = v * 10 + (uint64_t)(*c->p - '0');
		c->p++;
		n++;
	}
	if (n == 0 || (n > 1 && c->p[-(int)n] == '0'))
		return false;
	if (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		return false; /* a 20th digit */
	*out = v;
	return true;
}

const char *
mpn_cluster_verdict_name(enum mpn_cluster_verdict v)
{
	switch (v) {
	case MPN_CLUSTER_RECORD_OK:
		return "ok";
	case MPN_CLUSTER_RECORD_MALFORMED:
		return "malformed";
	case MPN_CLUSTER_RECORD_OVERSIZED:
		return "oversized";
	case MPN_CLUSTER_RECORD_MISMATCH:
		return "token-mismatch";
	}
	return "?";
}

const char *
mpn_cluster_status_name(enum mpn_cluster_status s)
{
	switch (s) {
	case MPN_CLUSTER_FOUND:
		return "found";
	case MPN_CLUSTER_NOT_FOUND:
		return "not-found";
	case MPN_CLUSTER_STORE_ERROR:
		return "store-error";
	case MPN_CLUSTER_REFUSED_MALFORMED:
		return "refused-malformed";
	}
	return "?";
}

enum mpn_cluster_verdict
mpn_cluster_record_decode(const char *buf, size_t len, uint32_t token,
	struct mpn_cluster_record *out)
{
	struct mpn_cluster_record r;
	struct cur c;
	uint64_t v, ta, tb, fa, fb;
	uint32_t t;
	unsigned int i;
	size_t n;

	if (len > MPN_CLUSTER_RECORD_MAX)
		return MPN_CLUSTER_RECORD_OVERSIZED;
	memset(&r, 0, sizeof(r));
	c.p = buf;
	c.end = buf + len;
	if (!lit(&c, "mpn1 v=") || !dec(&c, &v) || v > 1)
		goto malformed;
	r.version = (uint8_t)v;
	if (!lit(&c, " ta=") || !hex(&c, 8, &ta) || !lit(&c, " tb=") || !hex(&c, 8, &tb) ||
			!lit(&c, " ka=") || !hex(&c, 16, &r.key_a) ||
			!lit(&c, " kb=") || !hex(&c, 16, &r.key_b) ||
			!lit(&c, " fa=") || !hex(&c, 2, &fa) || !lit(&c, " fb=") || !hex(&c, 2, &fb) ||
			!lit(&c, " d="))
		goto malformed;
	r.token_a = (uint32_t)ta;
	r.token_b = (uint32_t)tb;
	r.flags_a = (uint8_t)fa;
	r.flags_b = (uint8_t)fb;
	for (i = 0; i < N_DECISIONS; i++) {
		struct cur save = c;

		if (lit(&c, decision_names[i]) && c.p < c.end && *c.p == ' ')
			break;
		c = save;
	}
	if (i == N_DECISIONS)
		goto malformed;
	r.decision = (uint8_t)i;
	if (!lit(&c, " n="))
		goto malformed;
	for (n = 0; c.p < c.end && node_char(*c.p); n++, c.p++) {
		if (n >= MPN_CLUSTER_NODE_MAX - 1)
			goto malformed;
		r.node[n] = *c.p;
	}
	if (n == 0 || !lit(&c, " t=") || !dec(&c, &r.time) || c.p != c.end)
		goto malformed;

	/*
	 * The record must be the one of the token it was filed under: token =
	 * the most significant 32 bits of H(key), SHA-1 for v0 and SHA-256 for
	 * v1 (RFC 8684 §3.1, RFC 6824 §3.1). This stops a record copied under
	 * another token, and any record whose keys were altered, from being
	 * trusted to verify joins.
	 */
	if (token != r.token_a && token != r.token_b)
		goto mismatch;
	if (mpn_mptcp_key_token(r.version, r.key_a, &t, NULL) != 0 || t != r.token_a ||
			mpn_mptcp_key_token(r.version, r.key_b, &t, NULL) != 0 || t != r.token_b)
		goto mismatch;
	memcpy(out, &r, sizeof(r));
	explicit_bzero(&r, sizeof(r));
	return MPN_CLUSTER_RECORD_OK;
mismatch:
	explicit_bzero(&r, sizeof(r));
	return MPN_CLUSTER_RECORD_MISMATCH;
malformed:
	explicit_bzero(&r, sizeof(r));
	return MPN_CLUSTER_RECORD_MALFORMED;
}

int
mpn_cluster_record_conn_init(const struct mpn_cluster_record *r, uint64_t now,
	struct mpn_conn_init *init)
{
	if (r->version > 1 || r->decision >= N_DECISIONS)
		return -EINVAL;
	memset(init, 0, sizeof(*init));
	init->version = r->version;
	init->flags_a = r->flags_a;
	init->flags_b = r->flags_b;
	init->decision = r->decision;
	init->key_a = r->key_a;
	init->key_b = r->key_b;
	init->now = now;
	init->remote = true;
	return 0;
}
