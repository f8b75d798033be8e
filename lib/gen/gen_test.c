/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generator tests: every frame parses as TCP with valid IPv4 and TCP
 * checksums (computed here, independently of the generator), every option
 * list walks cleanly, every kind-30 option decodes, the MP_CAPABLE keys and
 * tokens are the connection's, every join's token is the server's and its
 * HMACs verify, sequence, acknowledgement, timestamp and data-sequence
 * numbers follow the wire, the totals add up, the same parameters give the
 * same bytes, and bad parameters are refused with a message. No EAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cksum.h"
#include "gen.h"
#include "mptcp.h"
#include "mptcp_crypto.h"
#include "pkt.h"
#include "tcpopt.h"

#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One subflow as the traffic shows it, oriented client -> server. */
struct tsf {
	uint8_t v6;
	uint8_t c[16], s[16];
	uint16_t cp, sp;
	int conn;               /* index in g->conn, -1 while unknown (plain TCP stays -1) */
	bool join, mptcp;
	uint64_t syn_key;       /* v0: key in the SYN */
	uint32_t nonce_a, nonce_b;
	uint32_t isn_c, isn_s, nxt_c, nxt_s;
	uint32_t ts_c, ts_s;    /* last TSval of each side */
	bool have_ts_s;
	int setup;              /* handshake segments seen */
	uint32_t data;          /* data-phase segments seen */
};

/* What the test derives for one connection. */
struct tconn {
	uint64_t idsn_a, idsn_b;
	uint64_t sent;
	unsigned int subflows, joins;
};

struct seen {
	struct tsf *sf;
	unsigned int n_sf, cap_sf;
	struct tconn *c;
	uint64_t syns, joins, rewrites, bytes, setup, plain_sf;
};

static int
find_conn_by(const struct mpn_gen *g, bool by_token, uint64_t v)
{
	uint32_t i;

	for (i = 0; i < g->n_conn; i++) {
		if (!g->conn[i].mptcp)
			continue;
		if (by_token ? g->conn[i].token_b == v : g->conn[i].key_b == v)
			return (int)i;
	}
	return -1;
}

static struct tsf *
find_sf(struct seen *st, bool v6, const uint8_t *c, uint16_t cp, const uint8_t *s, uint16_t sp)
{
	unsigned int i, alen = v6 ? 16 : 4;

	for (i = st->n_sf; i-- > 0;) {
		struct tsf *f = &st->sf[i];

		if (f->v6 == v6 && f->cp == cp && f->sp == sp && memcmp(f->c, c, alen) == 0 &&
				memcmp(f->s, s, alen) == 0)
			return f;
	}
	return NULL;
}

/* Checksums, computed here from the bytes. */
static void
check_cksums(const uint8_t *f, const struct mpn_pkt *p)
{
	const uint8_t *ip = f + p->l3_off, *th = f + p->l4_off;
	uint8_t ph[40];
	unsigned int alen = p->ip_version == 6 ? 16 : 4;
	uint32_t sum;

	if (p->ip_version == 4) {
		assert_int_equal(mpn_cksum_fold(mpn_cksum_partial(ip, 20, 0)), 0xffff);
		assert_int_equal(p->ttl_or_hlim, 64);
		assert_true((ip[6] & 0x40) != 0); /* DF */
	} else {
		assert_int_equal(p->ttl_or_hlim, 64);
	}
	memset(ph, 0, sizeof(ph));
	memcpy(ph, f + p->src_addr_off, alen);
	memcpy(ph + alen, f + p->dst_addr_off, alen);
	if (p->ip_version == 6) {
		ph[34] = (uint8_t)(p->wire_l4_len >> 8);
		ph[35] = (uint8_t)p->wire_l4_len;
		ph[39] = 6;
	} else {
		ph[9] = 6;
		ph[10] = (uint8_t)(p->wire_l4_len >> 8);
		ph[11] = (uint8_t)p->wire_l4_len;
	}
	sum = mpn_cksum_partial(ph, p->ip_version == 6 ? 40 : 12, 0);
	sum = mpn_cksum_partial(th, p->wire_l4_len, sum);
	assert_int_equal(mpn_cksum_fold(sum), 0xffff);
	/* And the parser agrees. */
	assert_true(mpn_tcp_checksum_ok(f, p));
}

/* Addresses of the generator's plan: clients 10.1, 10.3, fd00:1, fd00:3; servers 10.2, fd00:2. */
static void
check_addr(const uint8_t *a, bool v6, bool client, bool second)
{
	if (v6) {
		assert_int_equal(a[0], 0xfd);
		assert_int_equal(a[1], 0);
		assert_int_equal(a[2], 0);
		assert_int_equal(a[3], client ? (second ? 3 : 1) : 2);
	} else {
		assert_int_equal(a[0], 10);
		assert_int_equal(a[1], client ? (second ? 3 : 1) : 2);
	}
}

static void
check_traffic(const struct mpn_gen_params *prm, const struct mpn_gen *g)
{
	struct seen st;
	uint64_t i, data_pkts = 0;
	uint32_t ci;

	memset(&st, 0, sizeof(st));
	st.cap_sf = (unsigned int)g->subflows + 1;
	st.sf = calloc(st.cap_sf, sizeof(*st.sf));
	st.c = calloc(g->n_conn, sizeof(*st.c));
	assert_non_null(st.sf);
	assert_non_null(st.c);
	assert_int_equal(g->n_conn, prm->connections);
	for (ci = 0; ci < g->n_conn; ci++) {
		const struct mpn_gen_conn *c = &g->conn[ci];
		uint32_t tok;

		if (!c->mptcp) {
			assert_int_equal(c->subflows, 1);
			continue;
		}
		assert_int_equal(c->version, prm->version);
		assert_int_equal(c->subflows, prm->subflows);
		assert_int_equal(mpn_mptcp_key_token(c->version, c->key_a, &tok, &st.c[ci].idsn_a), 0);
		assert_int_equal(tok, c->token_a);
		assert_int_equal(mpn_mptcp_key_token(c->version, c->key_b, &tok, &st.c[ci].idsn_b), 0);
		assert_int_equal(tok, c->token_b);
	}

	for (i = 0; i < g->n; i++) {
		const struct mpn_gen_pkt *pk = &g->pkt[i];
		const uint8_t *f = pk->data, *th;
		struct mpn_pkt p;
		struct mpn_tcpopt_list l;
		struct mpn_mptcp_opt mo[8];
		unsigned int n_mo = 0, k;
		bool has_254 = false, client = pk->from_client, v6, syn, ack;
		uint32_t tsval, tsecr;
		struct tsf *sf;
		const uint8_t *ca, *sa;
		uint16_t cport, sport;
		int mpc = -1, join = -1, dss = -1;

		assert_true(f >= g->buf && f + pk->len <= g->buf + g->buf_len);
		assert_int_equal(mpn_pkt_parse(f, pk->len, MPN_L2_ETHER, &p), MPN_PKT_TCP);
		assert_false(p.snap_truncated);
		assert_int_equal(p.payload_off + p.payload_len, pk->len);
		assert_int_equal(p.vlan_depth, 0);
		check_cksums(f, &p);
		st.bytes += pk->len;
		th = f + p.l4_off;
		v6 = p.ip_version == 6;
		syn = (p.tcp_flags & TH_SYN) != 0;
		ack = (p.tcp_flags & TH_ACK) != 0;
		assert_true(p.tcp_hdr_len <= 60 && p.tcp_hdr_len % 4 == 0);
		assert_int_equal(p.tcp_flags_hi, 0);
		assert_int_equal(p.urg_ptr, 0);

		/* Options: a clean list, timestamps everywhere. */
		assert_int_equal(mpn_tcpopt_walk(th, p.tcp_hdr_len, &l), 0);
		assert_int_equal(l.anomalies, 0);
		assert_int_equal(l.eol_off, 0);
		assert_int_not_equal(l.idx_ts, MPN_TCPOPT_NONE);
		tsval = get32(th + l.opt[l.idx_ts].off + 2);
		tsecr = get32(th + l.opt[l.idx_ts].off + 6);
		for (k = 0; k < l.n; k++) {
			const struct mpn_tcpopt *o = &l.opt[k];

			if (o->kind == 254) {
				assert_int_equal(o->len, 4);
				has_254 = true;
			}
			if (o->kind != MPN_MPTCP_KIND)
				continue;
			assert_true(n_mo < 8);
			assert_int_equal(mpn_mptcp_decode(th + o->off, o->len, p.tcp_flags,
				prm->version, &mo[n_mo]), 0);
			assert_false(mo[n_mo].malformed);
			switch (mo[n_mo].subtype) {
			case MPN_MPTCP_MP_CAPABLE: mpc = (int)n_mo; break;
			case MPN_MPTCP_MP_JOIN: join = (int)n_mo; break;
			case MPN_MPTCP_DSS: dss = (int)n_mo; break;
			default: fail_msg("unexpected MPTCP subtype %u", mo[n_mo].subtype);
			}
			n_mo++;
		}
		assert_true(n_mo <= 1);
		assert_int_equal(has_254, pk->rewrite);
		if (pk->rewrite)
			st.rewrites++;
		if (syn) {
			assert_int_not_equal(l.idx_mss, MPN_TCPOPT_NONE);
			assert_int_equal(get16(th + l.opt[l.idx_mss].off + 2), 1460);
			assert_int_not_equal(l.idx_sackok, MPN_TCPOPT_NONE);
			assert_int_not_equal(l.idx_wscale, MPN_TCPOPT_NONE);
			assert_int_equal(th[l.opt[l.idx_wscale].off + 2], 7);
		}

		/* Phase and class. */
		if (i < g->n_setup) {
			assert_int_not_equal(pk->cls, MPN_GEN_DATA);
			assert_false(pk->rewrite);
			st.setup++;
		} else {
			assert_int_equal(pk->cls, MPN_GEN_DATA);
			data_pkts++;
		}

		/* The subflow, oriented client -> server. */
		ca = f + (client ? p.src_addr_off : p.dst_addr_off);
		sa = f + (client ? p.dst_addr_off : p.src_addr_off);
		cport = client ? p.sport : p.dport;
		sport = client ? p.dport : p.sport;
		sf = find_sf(&st, v6, ca, cport, sa, sport);

		if (syn && !ack) {
			/* SYN: a new subflow. */
			assert_true(client);
			assert_null(sf);
			assert_true(st.n_sf < st.cap_sf);
			sf = &st.sf[st.n_sf++];
			memset(sf, 0, sizeof(*sf));
			sf->v6 = v6;
			memcpy(sf->c, ca, v6 ? 16 : 4);
			memcpy(sf->s, sa, v6 ? 16 : 4);
			sf->cp = cport;
			sf->sp = sport;
			sf->conn = -1;
			sf->isn_c = p.seq;
			sf->nxt_c = p.seq + 1;
			sf->ts_c = tsval;
			assert_int_equal(tsecr, 0);
			assert_int_equal(p.ack, 0);
			st.syns++;
			if (join >= 0) {
				const struct mpn_mptcp_opt *o = &mo[join];
				int c = find_conn_by(g, true, o->u.join.token);

				assert_int_equal(pk->cls, MPN_GEN_JOIN);
				assert_int_equal(o->u.join.form, MPN_MPTCP_JOIN_SYN);
				assert_true(c >= 0);
				sf->conn = c;
				sf->join = sf->mptcp = true;
				sf->nonce_a = o->u.join.nonce;
				st.c[c].joins++;
				st.c[c].subflows++;
				st.joins++;
				check_addr(ca, v6, true, true);
				assert_int_equal(g->conn[c].ipv6, v6);
			} else {
				assert_int_equal(pk->cls, MPN_GEN_HANDSHAKE);
				check_addr(ca, v6, true, false);
				if (mpc >= 0) {
					const struct mpn_mptcp_opt *o = &mo[mpc];

					sf->mptcp = true;
					assert_int_equal(o->u.mpc.version, prm->version);
					assert_int_equal(o->u.mpc.flags, MPN_MPTCP_CAP_H);
					assert_int_equal(o->len, prm->version == 1 ? 4 : 12);
					if (prm->version == 0)
						sf->syn_key = o->u.mpc.sndkey;
				} else {
					st.plain_sf++;
				}
			}
			check_addr(sa, v6, false, false);
			sf->setup = 1;
			continue;
		}
		assert_non_null(sf);
		if (syn) {
			/* SYN/ACK. */
			assert_false(client);
			assert_int_equal(sf->setup, 1);
			assert_int_equal(p.ack, sf->nxt_c);
			assert_int_equal(tsecr, sf->ts_c);
			sf->isn_s = p.seq;
			sf->nxt_s = p.seq + 1;
			sf->ts_s = tsval;
			sf->have_ts_s = true;
			if (sf->join) {
				const struct mpn_gen_conn *c = &g->conn[sf->conn];
				const struct mpn_mptcp_opt *o = &mo[join];

				assert_true(join >= 0);
				assert_int_equal(pk->cls, MPN_GEN_JOIN);
				assert_int_equal(o->u.join.form, MPN_MPTCP_JOIN_SYNACK);
				sf->nonce_b = o->u.join.nonce;
				assert_true(mpn_mptcp_join_synack_ok(c->version, c->key_a, c->key_b,
					sf->nonce_a, sf->nonce_b, o->u.join.trunc_hmac));
			} else if (sf->mptcp) {
				const struct mpn_mptcp_opt *o = &mo[mpc];
				int c;

				assert_true(mpc >= 0);
				assert_int_equal(pk->cls, MPN_GEN_HANDSHAKE);
				assert_int_equal(o->len, 12);
				assert_int_equal(o->u.mpc.version, prm->version);
				assert_int_equal(o->u.mpc.flags, MPN_MPTCP_CAP_H);
				c = find_conn_by(g, false, o->u.mpc.sndkey);
				assert_true(c >= 0);
				assert_int_equal(st.c[c].subflows, 0); /* the initial subflow comes first */
				sf->conn = c;
				st.c[c].subflows++;
				if (prm->version == 0)
					assert_true(sf->syn_key == g->conn[c].key_a);
				assert_int_equal(g->conn[c].ipv6, v6);
			} else {
				assert_int_equal(n_mo, 0);
				assert_int_equal(pk->cls, MPN_GEN_HANDSHAKE);
			}
			sf->setup = 2;
			continue;
		}

		/* Every other segment: ACK set, numbers that follow the wire. */
		assert_true(ack);
		assert_int_equal(p.ack, client ? sf->nxt_s : sf->nxt_c);
		assert_int_equal(p.seq, client ? sf->nxt_c : sf->nxt_s);
		if (client) {
			/* TSval strictly increasing (mod 2^32). */
			assert_true((uint32_t)(tsval - sf->ts_c) - 1u < 0x7fffffffu);
			assert_int_equal(tsecr, sf->ts_s);
			sf->ts_c = tsval;
			assert_int_equal(p.window, 502);
		} else {
			assert_true((uint32_t)(tsval - sf->ts_s) - 1u < 0x7fffffffu);
			assert_int_equal(tsecr, sf->ts_c);
			sf->ts_s = tsval;
			assert_int_equal(p.window, 509);
		}

		if (pk->cls != MPN_GEN_DATA) {
			/* Third ACK. */
			assert_true(client);
			assert_int_equal(sf->setup, 2);
			assert_int_equal(p.payload_len, 0);
			if (sf->join) {
				const struct mpn_gen_conn *c = &g->conn[sf->conn];

				assert_true(join >= 0);
				assert_int_equal(pk->cls, MPN_GEN_JOIN);
				assert_int_equal(mo[join].u.join.form, MPN_MPTCP_JOIN_ACK);
				assert_true(mpn_mptcp_join_ack_ok(c->version, c->key_a, c->key_b,
					sf->nonce_a, sf->nonce_b, mo[join].u.join.hmac));
			} else if (sf->mptcp) {
				const struct mpn_mptcp_opt *o = &mo[mpc];

				assert_true(mpc >= 0);
				assert_int_equal(o->len, 20);
				assert_true(o->u.mpc.sndkey == g->conn[sf->conn].key_a);
				assert_true(o->u.mpc.rcvkey == g->conn[sf->conn].key_b);
				assert_int_equal(o->u.mpc.flags, MPN_MPTCP_CAP_H);
			} else {
				assert_int_equal(n_mo, 0);
			}
			sf->setup = 3;
			continue;
		}

		/* Data phase. */
		assert_int_equal(sf->setup, 3);
		assert_int_equal(sf->data % 2 == 0, client); /* client data, server ACK, ... */
		sf->data++;
		if (!sf->mptcp)
			assert_int_equal(n_mo, 0);
		if (client) {
			struct tconn *tc = sf->conn >= 0 ? &st.c[sf->conn] : NULL;

			assert_int_equal(p.payload_len, prm->payload);
			assert_int_equal(p.tcp_flags, prm->payload > 0 ? (TH_PSH | TH_ACK) : TH_ACK);
			/*
			 * Inside the server's window: the server's last ACK acked
			 * everything before this segment (p.seq == its ack,
			 * checked above), and it offered 509 << 7 bytes.
			 */
			assert_true(p.payload_len <= (509u << 7));
			if (sf->mptcp) {
				const struct mpn_mptcp_opt *o = &mo[dss];

				assert_true(dss >= 0);
				assert_true(o->u.dss.has_ack);
				assert_false(o->u.dss.ack64);
				assert_int_equal(o->u.dss.data_ack, (uint32_t)(tc->idsn_b + 1));
				assert_int_equal(o->u.dss.has_map, prm->payload > 0);
				if (prm->payload > 0) {
					uint64_t dsn = tc->idsn_a + 1 + tc->sent;

					assert_false(o->u.dss.has_csum);
					assert_int_equal(o->u.dss.dsn64, prm->version == 1);
					if (prm->version == 1)
						assert_true(o->u.dss.dsn == dsn);
					else
						assert_int_equal(o->u.dss.dsn, (uint32_t)dsn);
					assert_int_equal(o->u.dss.ssn, sf->nxt_c - sf->isn_c);
					assert_int_equal(o->u.dss.data_len, prm->payload);
				}
				tc->sent += prm->payload;
			}
			sf->nxt_c += p.payload_len;
		} else {
			assert_int_equal(p.payload_len, 0);
			assert_int_equal(p.tcp_flags, TH_ACK);
			if (sf->mptcp) {
				const struct tconn *tc = &st.c[sf->conn];
				const struct mpn_mptcp_opt *o = &mo[dss];
				uint64_t dack = tc->idsn_a + 1 + tc->sent;

				assert_true(dss >= 0);
				assert_true(o->u.dss.has_ack);
				assert_false(o->u.dss.has_map);
				assert_int_equal(o->u.dss.ack64, prm->version == 1);
				if (prm->version == 1)
					assert_true(o->u.dss.data_ack == dack);
				else
					assert_int_equal(o->u.dss.data_ack, (uint32_t)dack);
			}
		}
	}

	/* Totals. */
	assert_int_equal(st.n_sf, g->subflows);
	assert_int_equal(st.syns, g->subflows);
	assert_int_equal(st.joins, g->joins);
	assert_int_equal(st.rewrites, g->rewrites);
	assert_int_equal(st.bytes, g->bytes);
	assert_int_equal(st.setup, g->n_setup);
	assert_int_equal(st.setup, 3 * g->subflows);
	assert_int_equal(data_pkts, g->subflows * prm->data_per_subflow);
	if (prm->rewrite_percent == 0)
		assert_int_equal(g->rewrites, 0);
	if (prm->rewrite_percent == 100)
		assert_int_equal(g->rewrites, data_pkts);
	for (i = 0; i < st.n_sf; i++) {
		assert_int_equal(st.sf[i].setup, 3);
		assert_int_equal(st.sf[i].data, prm->data_per_subflow);
	}
	{
		uint64_t plain = 0;

		for (ci = 0; ci < g->n_conn; ci++) {
			if (!g->conn[ci].mptcp) {
				plain++;
				continue;
			}
			assert_int_equal(st.c[ci].subflows, g->conn[ci].subflows);
			assert_int_equal(st.c[ci].joins, g->conn[ci].subflows - 1u);
		}
		assert_int_equal(plain, st.plain_sf);
	}
	free(st.sf);
	free(st.c);
}

static void
build_ok(const struct mpn_gen_params *p, struct mpn_gen *g)
{
	char err[256];

	err[0] = 'x';
	assert_int_equal(mpn_gen_build(p, g, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void
run_case(const struct mpn_gen_params *p)
{
	struct mpn_gen g;

	build_ok(p, &g);
	check_traffic(p, &g);
	mpn_gen_free(&g);
}

static void
test_defaults(void **state)
{
	struct mpn_gen_params p;
	struct mpn_gen g;
	uint32_t i, v6 = 0, plain = 0;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	mpn_gen_params_default(&p);
	assert_true(p.seed == 1);
	assert_int_equal(p.connections, 1024);
	assert_int_equal(p.subflows, 2);
	assert_int_equal(p.data_per_subflow, 8);
	assert_int_equal(p.payload, 64);
	assert_int_equal(p.version, 1);
	assert_int_equal(p.ipv6_percent, 25);
	assert_int_equal(p.plain_tcp_percent, 10);
	assert_int_equal(p.rewrite_percent, 0);
	build_ok(&p, &g);
	check_traffic(&p, &g);
	for (i = 0; i < g.n_conn; i++) {
		v6 += g.conn[i].ipv6;
		plain += !g.conn[i].mptcp;
	}
	/* Shares drawn per connection: near 25% and 10% of 1024. */
	assert_true(v6 > 180 && v6 < 340);
	assert_true(plain > 60 && plain < 150);
	mpn_gen_free(&g);
}

static void
test_v1_mixed(void **state)
{
	struct mpn_gen_params p;
	struct mpn_gen g;
	uint64_t data;

	(void)state;
	mpn_gen_params_default(&p);
	p.seed = 7;
	p.connections = 300;
	p.subflows = 3;
	p.data_per_subflow = 7;
	p.payload = 100;
	p.ipv6_percent = 30;
	p.plain_tcp_percent = 20;
	p.rewrite_percent = 30;
	build_ok(&p, &g);
	check_traffic(&p, &g);
	data = g.n - g.n_setup;
	assert_true(g.rewrites > data / 5 && g.rewrites < data * 2 / 5);
	mpn_gen_free(&g);
}

static void
test_v0_mixed(void **state)
{
	struct mpn_gen_params p;

	(void)state;
	mpn_gen_params_default(&p);
	p.seed = 11;
	p.connections = 300;
	p.subflows = 4;
	p.data_per_subflow = 6;
	p.payload = 333;
	p.version = 0;
	p.ipv6_percent = 50;
	p.plain_tcp_percent = 15;
	p.rewrite_percent = 30;
	run_case(&p);
}

/* The extremes: most subflows, no payload, every segment rewritten; biggest payload. */
static void
test_edges(void **state)
{
	struct mpn_gen_params p;
	uint8_t v;

	(void)state;
	for (v = 0; v <= 1; v++) {
		mpn_gen_params_default(&p);
		p.seed = 3 + v;
		p.connections = 70;
		p.subflows = 8;
		p.data_per_subflow = 4;
		p.payload = 0;
		p.version = v;
		p.rewrite_percent = 100;
		run_case(&p);

		p.subflows = 2;
		p.data_per_subflow = 3;
		p.payload = 1200;
		p.ipv6_percent = 100;
		p.plain_tcp_percent = 0;
		run_case(&p);

		p.ipv6_percent = 0;
		p.plain_tcp_percent = 100;
		p.rewrite_percent = 0;
		run_case(&p);

		p.connections = 1;
		p.subflows = 1;
		p.data_per_subflow = 0;
		p.plain_tcp_percent = 0;
		run_case(&p);
	}
}

static void
test_sizes(void **state)
{
	struct mpn_gen_params p;
	struct mpn_gen g;
	uint64_t i;

	(void)state;
	mpn_gen_params_default(&p);
	p.connections = 200;
	p.payload = 1200;
	p.rewrite_percent = 50;
	p.ipv6_percent = 50;
	build_ok(&p, &g);
	for (i = 0; i < g.n; i++) {
		/* Slots are 64-byte aligned, in one buffer, in packet order. */
		assert_int_equal((uintptr_t)g.pkt[i].data % 64, 0);
		if (i > 0)
			assert_true(g.pkt[i].data >= g.pkt[i - 1].data + g.pkt[i - 1].len);
		assert_true(g.pkt[i].len <= 14 + 40 + 60 + 1200);
	}
	mpn_gen_free(&g);
}

static bool
same_traffic(const struct mpn_gen *a, const struct mpn_gen *b)
{
	uint64_t i;

	if (a->n != b->n || a->n_setup != b->n_setup || a->bytes != b->bytes ||
			a->rewrites != b->rewrites || a->n_conn != b->n_conn)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct mpn_gen_pkt *x = &a->pkt[i], *y = &b->pkt[i];

		if (x->len != y->len || x->cls != y->cls || x->from_client != y->from_client ||
				x->rewrite != y->rewrite || memcmp(x->data, y->data, x->len) != 0)
			return false;
	}
	return memcmp(a->conn, b->conn, a->n_conn * sizeof(*a->conn)) == 0;
}

static void
test_determinism(void **state)
{
	struct mpn_gen_params p;
	struct mpn_gen a, b;

	(void)state;
	mpn_gen_params_default(&p);
	p.connections = 500;
	p.subflows = 3;
	p.rewrite_percent = 20;
	build_ok(&p, &a);
	build_ok(&p, &b);
	assert_true(same_traffic(&a, &b));
	mpn_gen_free(&b);
	p.seed = 2;
	build_ok(&p, &b);
	assert_false(same_traffic(&a, &b));
	assert_true(a.conn[0].key_a != b.conn[0].key_a || a.conn[0].key_b != b.conn[0].key_b);
	mpn_gen_free(&a);
	mpn_gen_free(&b);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every token of a run is distinct: the token table never sees a collision. */
static void
test_unique_tokens(void **state)
{
	struct mpn_gen_params p;
	struct mpn_gen g;
	uint32_t *t, i, n = 0;

	(void)state;
	mpn_gen_params_default(&p);
	p.connections = 20000;
	p.subflows = 1;
	p.data_per_subflow = 0;
	p.plain_tcp_percent = 0;
	build_ok(&p, &g);
	t = malloc(2 * sizeof(*t) * g.n_conn);
	assert_non_null(t);
	for (i = 0; i < g.n_conn; i++) {
		assert_true(g.conn[i].key_a != 0 && g.conn[i].key_b != 0);
		t[n++] = g.conn[i].token_a;
		t[n++] = g.conn[i].token_b;
	}
	for (i = 0; i < n; i++)
		assert_int_not_equal(t[i], 0);
	/* Sort, then no neighbours equal. */
	qsort(t, n, sizeof(*t), cmp_u32);
	for (i = 1; i < n; i++)
		assert_int_not_equal(t[i - 1], t[i]);
	free(t);
	mpn_gen_free(&g);
}

struct bad {
	const char *name;
	void (*set)(struct mpn_gen_params *p);
	const char *msg;
};

static void set_sf0(struct mpn_gen_params *p) { p->subflows = 0; }
static void set_sf9(struct mpn_gen_params *p) { p->subflows = 9; }
static void set_v2(struct mpn_gen_params *p) { p->version = 2; }
static void set_v6pct(struct mpn_gen_params *p) { p->ipv6_percent = 101; }
static void set_plainpct(struct mpn_gen_params *p) { p->plain_tcp_percent = 200; }
static void set_rwpct(struct mpn_gen_params *p) { p->rewrite_percent = 255; }
static void set_payload(struct mpn_gen_params *p) { p->payload = 1201; }
static void set_conn0(struct mpn_gen_params *p) { p->connections = 0; }
static void set_connmax(struct mpn_gen_params *p) { p->connections = UINT32_MAX; }

static void
test_bad_params(void **state)
{
	static const struct bad bad[] = {
		{ "subflows 0", set_sf0, "subflows" },
		{ "subflows 9", set_sf9, "subflows" },
		{ "version 2", set_v2, "version" },
		{ "ipv6 101%", set_v6pct, "ipv6" },
		{ "plain 200%", set_plainpct, "plain" },
		{ "rewrite 255%", set_rwpct, "rewrite" },
		{ "payload 1201", set_payload, "payload" },
		{ "connections 0", set_conn0, "connections" },
		{ "connections 2^32-1", set_connmax, "connections" },
	};
	struct mpn_gen_params p;
	struct mpn_gen g;
	char err[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mpn_gen_params_default(&p);
		bad[i].set(&p);
		memset(&g, 0x5a, sizeof(g));
		err[0] = '\0';
		if (mpn_gen_build(&p, &g, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", bad[i].name);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", bad[i].name, err, bad[i].msg);
		assert_null(g.buf);
		assert_null(g.pkt);
		assert_null(g.conn);
		assert_int_equal(g.n, 0);
		mpn_gen_free(&g);
	}
	/* A short or absent message buffer is fine. */
	mpn_gen_params_default(&p);
	p.subflows = 0;
	assert_int_equal(mpn_gen_build(&p, &g, err, 4), -1);
	assert_int_equal(strlen(err), 3);
	assert_int_equal(mpn_gen_build(&p, &g, NULL, 0), -1);
	assert_int_equal(mpn_gen_build(NULL, &g, err, sizeof(err)), -1);
	assert_int_equal(mpn_gen_build(&p, NULL, err, sizeof(err)), -1);
}

static void
test_free_safe(void **state)
{
	struct mpn_gen g;
	struct mpn_gen_params p;

	(void)state;
	memset(&g, 0, sizeof(g));
	mpn_gen_free(&g);
	mpn_gen_free(NULL);
	mpn_gen_params_default(&p);
	p.connections = 3;
	build_ok(&p, &g);
	mpn_gen_free(&g);
	assert_null(g.buf);
	assert_int_equal(g.n, 0);
	mpn_gen_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_v1_mixed),
		cmocka_unit_test(test_v0_mixed),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_unique_tokens),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_free_safe),
	};

	return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
