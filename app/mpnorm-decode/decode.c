/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpnorm-decode: print every MPTCP option of every packet of a capture, one
 * line each, as tcpdump does, plus what only a box that saw the handshake
 * can say: the tokens and IDSNs behind each key, which connection a join
 * belongs to, and whether its HMACs and each ADD_ADDR HMAC verify.
 *
 *   mpnorm-decode [--json] IN.pcap
 *
 * --json prints, instead of the lines, one JSON document with every
 * connection, join and ADD_ADDR seen: the form the conformance tests compare
 * with the captures' ground truth.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mptcp.h"
#include "mptcp_crypto.h"
#include "pcapio.h"
#include "pkt.h"
#include "tcpopt.h"

#define MAX_CONNS 1024
#define MAX_JOINS 16
#define MAX_ADDS 16

/* One endpoint pair, in the orientation of the SYN. */
struct tuple {
	uint8_t family;
	uint8_t a[16], b[16];   /* initiator, responder */
	uint16_t pa, pb;
};

enum verdict { UNSEEN, OK, BAD, NO_KEYS };

struct join {
	struct tuple t;
	uint32_t token;         /* from the SYN: token of the responder's key */
	uint32_t nonce_a, nonce_b;
	uint8_t id_a, id_b;
	enum verdict synack, ack;
	bool have_synack;
};

struct add_addr {
	uint64_t frame;
	int from_server;
	uint8_t family;
	uint8_t addr[16];
	bool has_port;
	uint16_t port;
	uint8_t id;
	enum mpn_addaddr_hmac_result hmac;
	bool checked;
	bool echo;
};

struct conn {
	struct tuple t;          /* of the initial subflow */
	uint8_t version;
	bool have_a, have_b;
	uint64_t key_a, key_b;   /* client, server */
	uint32_t token_a, token_b;
	uint64_t idsn_a, idsn_b;
	unsigned int n_joins;
	struct join joins[MAX_JOINS];
	unsigned int n_adds;
	struct add_addr adds[MAX_ADDS];
	bool fastclose;
	uint64_t fastclose_key;
};

static struct conn conns[MAX_CONNS];
static unsigned int n_conns;
static bool json_mode;

static const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case UNSEEN: return "unseen";
	case OK: return "ok";
	case BAD: return "bad";
	case NO_KEYS: return "no-keys";
	}
	return "?";
}

/* Does packet (src, dst) belong to @t, and in which direction? 1 = a->b, -1 = b->a. */
static int
tuple_dir(const struct tuple *t, uint8_t family, const uint8_t *src, const uint8_t *dst,
	uint16_t sport, uint16_t dport)
{
	size_t n = family == 6 ? 16 : 4;

	if (t->family != family)
		return 0;
	if (sport == t->pa && dport == t->pb && memcmp(src, t->a, n) == 0 &&
			memcmp(dst, t->b, n) == 0)
		return 1;
	if (sport == t->pb && dport == t->pa && memcmp(src, t->b, n) == 0 &&
			memcmp(dst, t->a, n) == 0)
		return -1;
	return 0;
}

static void
set_key(struct conn *c, bool client, uint64_t key)
{
	uint32_t tok;
	uint64_t idsn;

	if (mpn_mptcp_key_token(c->version, key, &tok, &idsn) != 0)
		return;
	if (client) {
		c->have_a = true;
		c->key_a = key;
		c->token_a = tok;
		c->idsn_a = idsn;
	} else {
		c->have_b = true;
		c->key_b = key;
		c->token_b = tok;
		c->idsn_b = idsn;
	}
}

/* Find the connection of an initial subflow, or of a join subflow. */
static struct conn *
find_conn(uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
	uint16_t dport, int *dir, struct join **join)
{
	unsigned int i, j;

	*join = NULL;
	for (i = 0; i < n_conns; i++) {
		struct conn *c = &conns[i];

		*dir = tuple_dir(&c->t, family, src, dst, sport, dport);
		if (*dir != 0)
			return c;
		for (j = 0; j < c->n_joins; j++) {
			*dir = tuple_dir(&c->joins[j].t, family, src, dst, sport, dport);
			if (*dir != 0) {
				*join = &c->joins[j];
				return c;
			}
		}
	}
	return NULL;
}

static struct conn *
find_token(uint32_t token)
{
	unsigned int i;

	for (i = 0; i < n_conns; i++) {
		if (conns[i].have_b && conns[i].token_b == token)
			return &conns[i];
		if (conns[i].have_a && conns[i].token_a == token)
			return &conns[i];
	}
	return NULL;
}

static void
fill_tuple(struct tuple *t, uint8_t family, const uint8_t *src, const uint8_t *dst,
	uint16_t sport, uint16_t dport)
{
	size_t n = family == 6 ? 16 : 4;

	memset(t, 0, sizeof(*t));
	t->family = family;
	memcpy(t->a, src, n);
	memcpy(t->b, dst, n);
	t->pa = sport;
	t->pb = dport;
}

/*
 * Track what the option tells about its connection, and return a note for
 * the printed line (tokens, HMAC verdicts), possibly empty.
 */
static void
track(uint64_t frame_no, const struct mpn_pkt *p, const uint8_t *frame,
	const struct mpn_mptcp_opt *o, char *note, size_t nn)
{
	const uint8_t *src = frame + p->src_addr_off, *dst = frame + p->dst_addr_off;
	uint8_t fam = p->ip_version;
	bool syn = p->tcp_flags & 0x02, ack = p->tcp_flags & 0x10;
	struct join *j;
	struct conn *c;
	int dir;

	note[0] = '\0';
	c = find_conn(fam, src, dst, p->sport, p->dport, &dir, &j);
	switch (o->subtype) {
	case MPN_MPTCP_MP_CAPABLE:
		if (syn && !ack && c == NULL && n_conns < MAX_CONNS) {
			c = &conns[n_conns++];
			memset(c, 0, sizeof(*c));
			fill_tuple(&c->t, fam, src, dst, p->sport, p->dport);
			dir = 1;
		}
		if (c == NULL || j != NULL)
			break;
		c->version = o->u.mpc.version;
		if (o->u.mpc.has_sndkey)
			set_key(c, dir == 1, o->u.mpc.sndkey);
		if (o->u.mpc.has_rcvkey)
			set_key(c, dir != 1, o->u.mpc.rcvkey);
		if (o->u.mpc.has_sndkey || o->u.mpc.has_rcvkey) {
			size_t u = 0;

			if (o->u.mpc.has_sndkey)
				u += snprintf(note + u, nn - u, " [sndkey token 0x%08x idsn %" PRIu64 "]",
					dir == 1 ? c->token_a : c->token_b,
					dir == 1 ? c->idsn_a : c->idsn_b);
			if (o->u.mpc.has_rcvkey && u < nn)
				snprintf(note + u, nn - u, " [rcvkey token 0x%08x idsn %" PRIu64 "]",
					dir == 1 ? c->token_b : c->token_a,
					dir == 1 ? c->idsn_b : c->idsn_a);
		}
		break;
	case MPN_MPTCP_MP_JOIN:
		if (o->u.join.form == MPN_MPTCP_JOIN_SYN) {
			struct conn *owner = find_token(o->u.join.token);

			if (owner == NULL) {
				snprintf(note, nn, " [token unknown]");
				break;
			}
			if (j == NULL && owner->n_joins < MAX_JOINS) {
				j = &owner->joins[owner->n_joins++];
				memset(j, 0, sizeof(*j));
				fill_tuple(&j->t, fam, src, dst, p->sport, p->dport);
			}
			if (j == NULL)
				break;
			j->token = o->u.join.token;
			j->nonce_a = o->u.join.nonce;
			j->id_a = o->u.join.addr_id;
			snprintf(note, nn, " [joins %s connection]",
				owner->have_b && owner->token_b == o->u.join.token ? "server's" :
				"client's");
		} else if (j != NULL && c != NULL) {
			/* The key of the join's responder is the one its SYN's token names. */
			bool responder_is_server = c->have_b && c->token_b == j->token;
			uint64_t key_resp = responder_is_server ? c->key_b : c->key_a;
			uint64_t key_init = responder_is_server ? c->key_a : c->key_b;
			bool keys = c->have_a && c->have_b;

			if (o->u.join.form == MPN_MPTCP_JOIN_SYNACK) {
				j->nonce_b = o->u.join.nonce;
				j->id_b = o->u.join.addr_id;
				j->have_synack = true;
				j->synack = !keys ? NO_KEYS : mpn_mptcp_join_synack_ok(c->version,
					key_init, key_resp, j->nonce_a, j->nonce_b,
					o->u.join.trunc_hmac) ? OK : BAD;
				snprintf(note, nn, " [hmac %s]", verdict_name(j->synack));
			} else if (j->have_synack) {
				j->ack = !keys ? NO_KEYS : mpn_mptcp_join_ack_ok(c->version,
					key_init, key_resp, j->nonce_a, j->nonce_b,
					o->u.join.hmac) ? OK : BAD;
				snprintf(note, nn, " [hmac %s]", verdict_name(j->ack));
			}
		}
		break;
	case MPN_MPTCP_ADD_ADDR:
		if (c != NULL && c->n_adds < MAX_ADDS) {
			struct add_addr *a = &c->adds[c->n_adds++];
			/* Which end sent it: the initial subflow's or a join's orientation. */
			bool from_client = j == NULL ? dir == 1 :
				((j->t.a[0] == c->t.a[0]) == (dir == 1));

			memset(a, 0, sizeof(*a));
			a->frame = frame_no;
			a->from_server = !from_client;
			a->family = o->u.add_addr.family;
			memcpy(a->addr, o->u.add_addr.addr, sizeof(a->addr));
			a->has_port = o->u.add_addr.has_port;
			a->port = o->u.add_addr.port;
			a->id = o->u.add_addr.addr_id;
			a->echo = o->u.add_addr.echo;
			if (o->u.add_addr.has_hmac && c->have_a && c->have_b) {
				a->checked = true;
				a->hmac = mpn_mptcp_addaddr_hmac_check(
					from_client ? c->key_a : c->key_b,
					from_client ? c->key_b : c->key_a, a->id, a->family,
					a->addr, a->has_port, a->port, o->u.add_addr.hmac);
				snprintf(note, nn, " [hmac %s]", mpn_addaddr_hmac_result_name(a->hmac));
			}
		}
		break;
	case MPN_MPTCP_MP_FASTCLOSE:
		if (c != NULL) {
			c->fastclose = true;
			c->fastclose_key = o->u.fastclose.key;
			snprintf(note, nn, " [key is the %s's]",
				c->have_b && o->u.fastclose.key == c->key_b ? "server" :
				c->have_a && o->u.fastclose.key == c->key_a ? "client" : "unknown");
		}
		break;
	default:
		break;
	}
}

static void
print_json(void)
{
	struct mpn_json j;
	unsigned int i, k;
	char buf[INET6_ADDRSTRLEN + 16], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	mpn_json_init(&j, stdout);
	mpn_json_object_begin(&j, NULL);
	mpn_json_array_begin(&j, "connections");
	for (i = 0; i < n_conns; i++) {
		const struct conn *c = &conns[i];
		int af = c->t.family == 6 ? AF_INET6 : AF_INET;

		inet_ntop(af, c->t.a, a, sizeof(a));
		inet_ntop(af, c->t.b, b, sizeof(b));
		mpn_json_object_begin(&j, NULL);
		snprintf(buf, sizeof(buf), "%s:%u", a, c->t.pa);
		mpn_json_str(&j, "client", buf);
		snprintf(buf, sizeof(buf), "%s:%u", b, c->t.pb);
		mpn_json_str(&j, "server", buf);
		mpn_json_u64(&j, "version", c->version);
		if (c->have_a) {
			snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->key_a);
			mpn_json_str(&j, "key_a", buf);
			snprintf(buf, sizeof(buf), "0x%08x", c->token_a);
			mpn_json_str(&j, "token_a", buf);
			/* Hex strings: a 64-bit IDSN exceeds what JSON numbers hold exactly. */
			snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->idsn_a);
			mpn_json_str(&j, "idsn_a", buf);
		}
		if (c->have_b) {
			snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->key_b);
			mpn_json_str(&j, "key_b", buf);
			snprintf(buf, sizeof(buf), "0x%08x", c->token_b);
			mpn_json_str(&j, "token_b", buf);
			snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->idsn_b);
			mpn_json_str(&j, "idsn_b", buf);
		}
		mpn_json_array_begin(&j, "joins");
		for (k = 0; k < c->n_joins; k++) {
			const struct join *jn = &c->joins[k];

			mpn_json_object_begin(&j, NULL);
			inet_ntop(af, jn->t.a, a, sizeof(a));
			inet_ntop(af, jn->t.b, b, sizeof(b));
			snprintf(buf, sizeof(buf), "%s:%u", a, jn->t.pa);
			mpn_json_str(&j, "initiator", buf);
			snprintf(buf, sizeof(buf), "%s:%u", b, jn->t.pb);
			mpn_json_str(&j, "responder", buf);
			snprintf(buf, sizeof(buf), "0x%08x", jn->token);
			mpn_json_str(&j, "token", buf);
			mpn_json_u64(&j, "addr_id_a", jn->id_a);
			mpn_json_u64(&j, "addr_id_b", jn->id_b);
			mpn_json_str(&j, "synack_hmac", verdict_name(jn->synack));
			mpn_json_str(&j, "ack_hmac", verdict_name(jn->ack));
			mpn_json_object_end(&j);
		}
		mpn_json_array_end(&j);
		mpn_json_array_begin(&j, "add_addr");
		for (k = 0; k < c->n_adds; k++) {
			const struct add_addr *ad = &c->adds[k];

			mpn_json_object_begin(&j, NULL);
			mpn_json_u64(&j, "frame", ad->frame);
			mpn_json_str(&j, "from", ad->from_server ? "server" : "client");
			inet_ntop(ad->family == 6 ? AF_INET6 : AF_INET, ad->addr, a, sizeof(a));
			mpn_json_str(&j, "addr", a);
			mpn_json_u64(&j, "id", ad->id);
			mpn_json_bool(&j, "echo", ad->echo);
			mpn_json_str(&j, "hmac", !ad->checked ? "unchecked" :
				mpn_addaddr_hmac_result_name(ad->hmac));
			mpn_json_object_end(&j);
		}
		mpn_json_array_end(&j);
		if (c->fastclose) {
			snprintf(buf, sizeof(buf), "0x%016" PRIx64, c->fastclose_key);
			mpn_json_str(&j, "fastclose_key", buf);
		}
		mpn_json_object_end(&j);
	}
	mpn_json_array_end(&j);
	mpn_json_object_end(&j);
	mpn_json_end(&j);
}

int
main(int argc, char **argv)
{
	struct mpn_pcap_in *in;
	struct mpn_pcap_rec rec;
	enum mpn_l2_type l2;
	char err[512];
	uint64_t frame_no = 0;
	const char *path = NULL;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json_mode = true;
		else if (path == NULL && argv[i][0] != '-')
			path = argv[i];
		else {
			fprintf(stderr, "usage: mpnorm-decode [--json] IN.pcap\n");
			return 2;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "usage: mpnorm-decode [--json] IN.pcap\n");
		return 2;
	}
	in = mpn_pcap_in_open(path, err, sizeof(err));
	if (in == NULL) {
		fprintf(stderr, "mpnorm-decode: %s\n", err);
		return 1;
	}
	if (mpn_pcap_in_l2(in, &l2) != 0) {
		fprintf(stderr, "mpnorm-decode: %s: link type %s is not supported\n", path,
			mpn_pcap_in_linktype_name(in));
		mpn_pcap_in_close(in);
		return 1;
	}
	while ((rc = mpn_pcap_in_next(in, &rec, err, sizeof(err))) == 1) {
		struct mpn_tcpopt_list opts;
		struct mpn_pkt p;
		char tuple[128], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		unsigned int k;

		frame_no++;
		if (mpn_pkt_parse(rec.data, rec.caplen, l2, &p) != MPN_PKT_TCP)
			continue;
		mpn_tcpopt_walk(rec.data + p.l4_off, p.tcp_hdr_len, &opts);
		inet_ntop(p.ip_version == 6 ? AF_INET6 : AF_INET, rec.data + p.src_addr_off,
			a, sizeof(a));
		inet_ntop(p.ip_version == 6 ? AF_INET6 : AF_INET, rec.data + p.dst_addr_off,
			b, sizeof(b));
		snprintf(tuple, sizeof(tuple), "%s.%u > %s.%u", a, p.sport, b, p.dport);
		for (k = 0; k < opts.n; k++) {
			const struct mpn_tcpopt *o = &opts.opt[k];
			struct mpn_mptcp_opt d;
			char text[256], note[160];

			if (o->kind != MPN_MPTCP_KIND)
				continue;
			mpn_mptcp_decode(rec.data + p.l4_off + o->off, o->len, p.tcp_flags, -1, &d);
			mpn_mptcp_format(&d, text, sizeof(text));
			note[0] = '\0';
			if (!d.malformed)
				track(frame_no, &p, rec.data, &d, note, sizeof(note));
			if (!json_mode)
				printf("%" PRIu64 " %s %s%s\n", frame_no, tuple, text, note);
		}
	}
	mpn_pcap_in_close(in);
	if (rc < 0) {
		fprintf(stderr, "mpnorm-decode: %s: %s\n", path, err);
		return 1;
	}
	if (json_mode)
		print_json();
	return 0;
}
