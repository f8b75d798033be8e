/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the stateless data path: one frame goes through the
 * parser, the option walker, the MPTCP decoder and formatter, the checksum
 * code, and the normalizer that consumes all of them (the OVS
 * tests/oss-fuzz pattern: feed the parser and every consumer of its output).
 *
 * Input: byte 0 selects the framing and the policy, the rest is the frame.
 *   bits 0-1  link-layer type: 0 Ethernet, 1 SLL, 2 SLL2, 3 raw IP
 *             (the values of enum mpn_l2_type)
 *   bits 2-4  policy, enum fuzz_policy below
 *   bits 5-7  unused; kept so that old corpus files keep their meaning
 *
 * Besides "no crash, no sanitizer report", the harness checks what the
 * normalizer promises (each failure abort()s):
 *  - the frame never changes length, and no byte outside the TCP header
 *    changes; a dropped, monitored, bypassed or non-TCP frame does not
 *    change at all;
 *  - every rewrite patches the checksum so that the one's complement sum of
 *    the TCP header (checksum field included) is unchanged; so a segment
 *    whose checksum verified before still verifies after. Random input
 *    almost never has a valid checksum, so each complete segment is also
 *    run a second time with its checksum set first;
 *  - a normalized packet parses to the same layout, its option list still
 *    walks, and normalizing it again changes nothing;
 *  - the walker reports options that tile the option area exactly, and the
 *    decoder reads only the option bytes it is given (each option is
 *    handed over in an exactly-sized heap buffer, so AddressSanitizer
 *    sees a read one byte past it).
 *
 * Build and run the fuzzer (needs clang):
 *   CC=clang meson setup build-fuzz -Dfuzz=enabled && ninja -C build-fuzz && \
 *       ./build-fuzz/test/fuzz/fuzz_packet test/fuzz/corpus/packet
 * libFuzzer writes new inputs into the first directory it is given; to keep
 * the committed corpus small, give it a scratch directory first:
 *   ./build-fuzz/test/fuzz/fuzz_packet /tmp/new test/fuzz/corpus/packet
 * The same file, linked with replay_main.c, is the 'fuzz_replay' test.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mptcp.h"
#include "normalize.h"
#include "pkt.h"
#include "policy.h"
#include "reason.h"
#include "tcpopt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The policies byte 0 chooses from; each one reaches different decisions. */
enum fuzz_policy {
	/* The ASA's default tcp-map: kind 30 is cleared. */
	FUZZ_POLICY_ASA,
	/* Kind 30 allowed, every subtype allowed, malformed options dropped. */
	FUZZ_POLICY_ALLOW,
	/* Clean fallback, ADD_ADDR and malformed options cleared, MSS clamp. */
	FUZZ_POLICY_FALLBACK,
	/* Decisions recorded, none applied. */
	FUZZ_POLICY_MONITOR,
	/* mptcp mode drop. */
	FUZZ_POLICY_MPTCP_DROP,
	/* Alerts on every subtype, checksum verification, unknown kinds dropped. */
	FUZZ_POLICY_STRICT,
	/* The `inspect` flag forces fallback; reserved bits dropped. */
	FUZZ_POLICY_INSPECT,
	/* tcp-state-bypass: nothing checked, nothing changed. */
	FUZZ_POLICY_BYPASS,
	FUZZ_POLICY_MAX,
};

static struct mpn_policy *policies[FUZZ_POLICY_MAX];

/* At exit, so that LeakSanitizer sees a clean heap in the replayer. */
static void
policies_free(void)
{
	unsigned int i;

	for (i = 0; i < FUZZ_POLICY_MAX; i++) {
		mpn_policy_free(policies[i]);
		policies[i] = NULL;
	}
}

static void
policy_variant(struct mpn_policy *p, enum fuzz_policy v)
{
	struct mpn_tcp_map *m = &p->tcp_maps[0];
	unsigned int k;

	if (v != FUZZ_POLICY_ASA && v != FUZZ_POLICY_BYPASS)
		m->option_action[MPN_MPTCP_KIND] = MPN_ACTION_ALLOW;
	switch (v) {
	case FUZZ_POLICY_ASA:
	case FUZZ_POLICY_ALLOW:
		break;
	case FUZZ_POLICY_FALLBACK:
		m->mptcp.mode = MPN_MPTCP_FALLBACK;
		m->mptcp.subtype_action[MPN_MPTCP_ADD_ADDR] = MPN_ACTION_CLEAR;
		m->mptcp.malformed = MPN_ACTION_CLEAR;
		m->mss_clamp = 1360;
		break;
	case FUZZ_POLICY_MONITOR:
		/* The ASA's clears, plus more, so that there is much not to apply. */
		m->option_action[MPN_MPTCP_KIND] = MPN_ACTION_CLEAR;
		m->reserved_bits = MPN_ACTION_CLEAR;
		m->mss_clamp = 536;
		p->default_rule.monitor = true;
		break;
	case FUZZ_POLICY_MPTCP_DROP:
		m->mptcp.mode = MPN_MPTCP_DROP;
		break;
	case FUZZ_POLICY_STRICT:
		for (k = 0; k < MPN_MPTCP_SUBTYPES; k++)
			m->mptcp.subtype_action[k] = MPN_ACTION_ALERT;
		m->mptcp.malformed = MPN_ACTION_ALERT;
		for (k = 9; k < 256; k++)
			if (k != MPN_MPTCP_KIND)
				m->option_action[k] = MPN_ACTION_DROP;
		m->checksum_verification = true;
		m->reserved_bits = MPN_ACTION_CLEAR;
		m->mss_clamp = 536;
		break;
	case FUZZ_POLICY_INSPECT:
		p->default_rule.inspect = true;
		m->mptcp.malformed = MPN_ACTION_CLEAR;
		m->mptcp.subtype_action[MPN_MPTCP_MP_PRIO] = MPN_ACTION_CLEAR;
		m->mptcp.subtype_action[MPN_MPTCP_MP_FAIL] = MPN_ACTION_DROP;
		m->reserved_bits = MPN_ACTION_DROP;
		m->syn_data = MPN_ACTION_DROP;
		m->urgent_flag = MPN_ACTION_ALLOW;
		break;
	case FUZZ_POLICY_BYPASS:
		p->default_rule.tcp_state_bypass = true;
		break;
	case FUZZ_POLICY_MAX:
		break;
	}
}

static void
policies_init(void)
{
	static bool done;
	unsigned int i;

	if (done)
		return;
	for (i = 0; i < FUZZ_POLICY_MAX; i++) {
		policies[i] = mpn_policy_new();
		FUZZ_CHECK(policies[i] != NULL);
		policy_variant(policies[i], (enum fuzz_policy)i);
	}
	atexit(policies_free);
	done = true;
}

/* What the parser promises about the offsets it returns. */
static void
check_parse(uint32_t caplen, enum mpn_pkt_status st, const struct mpn_pkt *p)
{
	uint32_t alen;

	FUZZ_CHECK((unsigned int)st < MPN_PKT_STATUS_MAX);
	FUZZ_CHECK(strcmp(mpn_pkt_status_name(st), "unknown") != 0);
	FUZZ_CHECK(p->caplen == caplen);
	if (st != MPN_PKT_TCP)
		return;

	FUZZ_CHECK(p->ip_version == 4 || p->ip_version == 6);
	FUZZ_CHECK(p->l4_proto == 6);
	alen = p->ip_version == 6 ? 16 : 4;
	FUZZ_CHECK(p->src_addr_off + alen <= p->l4_off);
	FUZZ_CHECK(p->dst_addr_off + alen <= p->l4_off);
	FUZZ_CHECK(p->l3_off < p->l4_off);
	FUZZ_CHECK(p->tcp_hdr_len >= MPN_TCP_HDR_MIN && p->tcp_hdr_len <= MPN_TCP_HDR_MAX);
	FUZZ_CHECK(p->tcp_hdr_len % 4 == 0);
	FUZZ_CHECK((uint32_t)p->l4_off + p->tcp_hdr_len <= caplen);
	FUZZ_CHECK(p->wire_l4_len >= p->tcp_hdr_len);
	FUZZ_CHECK(p->payload_off == (uint32_t)p->l4_off + p->tcp_hdr_len);
	FUZZ_CHECK(p->payload_len == p->wire_l4_len - p->tcp_hdr_len);
	FUZZ_CHECK(p->payload_caplen <= p->payload_len);
	FUZZ_CHECK(p->payload_off + p->payload_caplen <= caplen);
	FUZZ_CHECK(p->snap_truncated == (p->payload_caplen < p->payload_len));
}

/* Decode and print one kind-30 option, every way the callers do. */
static void
check_mptcp_option(const uint8_t *hdr, const struct mpn_tcpopt *o, uint8_t tcp_flags)
{
	static const size_t small[] = { 0, 1, 7, 16 };
	struct mpn_mptcp_opt d;
	char buf[512], tiny[32];
	uint8_t *opt;
	unsigned int s;
	int hint, rc, n;

	opt = fuzz_dup(hdr + o->off, o->len);
	for (hint = -1; hint <= 1; hint++) {
		rc = mpn_mptcp_decode(opt, o->len, tcp_flags, hint, &d);
		FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOTSUP);
		FUZZ_CHECK(d.len == o->len);
		FUZZ_CHECK(d.malformed == (rc == -EBADMSG));
		if (d.malformed)
			FUZZ_CHECK(d.malformed_why > MPN_MPTCP_OK &&
				d.malformed_why < MPN_MPTCP_BAD_MAX);
		else
			FUZZ_CHECK(d.malformed_why == MPN_MPTCP_OK);
		if (rc == -ENOTSUP)
			FUZZ_CHECK(d.subtype >= 0x9 && d.subtype <= 0xe);
		FUZZ_CHECK(mpn_mptcp_subtype_name(d.subtype) != NULL);
		FUZZ_CHECK(mpn_mptcp_malformed_name(d.malformed_why) != NULL);

		n = mpn_mptcp_format(&d, buf, sizeof(buf));
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK((size_t)n >= sizeof(buf) || strlen(buf) == (size_t)n);
		/*
		 * Short buffers: the same length is returned, the text is cut
		 * and terminated, and nothing is written past the size given.
		 */
		for (s = 0; s < sizeof(small) / sizeof(small[0]); s++) {
			size_t k = small[s], j;

			memset(tiny, 0x5a, sizeof(tiny));
			FUZZ_CHECK(mpn_mptcp_format(&d, tiny, k) == n);
			if (k > 0)
				FUZZ_CHECK(strlen(tiny) == ((size_t)n < k ? (size_t)n : k - 1));
			for (j = k; j < sizeof(tiny); j++)
				FUZZ_CHECK(tiny[j] == 0x5a);
		}
	}
	FUZZ_CHECK(mpn_mptcp_format(NULL, buf, sizeof(buf)) == -EINVAL);
	free(opt);
}

/*
 * Walk the options of a parsed TCP header, on an exactly-sized copy of the
 * header so that a read past the data offset is caught, and check that the
 * list tiles the option area. Returns the walker's return value.
 */
static int
check_options(const uint8_t *tcp, const struct mpn_pkt *p)
{
	struct mpn_tcpopt_list l;
	unsigned int i, off, n_mptcp = 0;
	uint8_t *hdr;
	uint8_t k;
	int rc;

	hdr = fuzz_dup(tcp, p->tcp_hdr_len);
	rc = mpn_tcpopt_walk(hdr, p->tcp_hdr_len, &l);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	FUZZ_CHECK(l.n <= MPN_TCPOPT_MAX);

	off = MPN_TCP_HDR_MIN;
	for (i = 0; i < l.n; i++) {
		const struct mpn_tcpopt *o = &l.opt[i];

		FUZZ_CHECK(o->off == off);
		FUZZ_CHECK(hdr[o->off] == o->kind);
		FUZZ_CHECK(o->off + o->len <= p->tcp_hdr_len);
		if (o->kind == MPN_TCPOPT_KIND_EOL || o->kind == MPN_TCPOPT_KIND_NOP) {
			FUZZ_CHECK(o->len == 1);
		} else {
			FUZZ_CHECK(o->len >= 2 && hdr[o->off + 1] == o->len);
		}
		if (o->kind == MPN_TCPOPT_KIND_EOL) {
			/* EOL ends the list: nothing is reported after it. */
			FUZZ_CHECK(i == (unsigned int)l.n - 1u);
			FUZZ_CHECK(l.eol_off == o->off);
		}
		if (o->kind == MPN_MPTCP_KIND) {
			n_mptcp++;
			check_mptcp_option(hdr, o, p->tcp_flags);
		}
		off += o->len;
	}
	FUZZ_CHECK(l.n_mptcp == n_mptcp);
	if (rc == -EBADMSG) {
		/* The walk stopped at the first option it could not frame. */
		FUZZ_CHECK(l.bad_off == off);
		FUZZ_CHECK(mpn_tcpopt_has_anomaly(&l, MPN_TCPOPT_BAD_LEN) ||
			mpn_tcpopt_has_anomaly(&l, MPN_TCPOPT_OVERRUN));
	} else if (l.n == 0 || l.opt[l.n - 1].kind != MPN_TCPOPT_KIND_EOL) {
		FUZZ_CHECK(off == p->tcp_hdr_len);
	}
	if (l.idx_mss != MPN_TCPOPT_NONE)
		FUZZ_CHECK(l.opt[l.idx_mss].kind == MPN_TCPOPT_KIND_MSS);
	if (l.idx_wscale != MPN_TCPOPT_NONE)
		FUZZ_CHECK(l.opt[l.idx_wscale].kind == MPN_TCPOPT_KIND_WSCALE);
	if (l.idx_sackok != MPN_TCPOPT_NONE)
		FUZZ_CHECK(l.opt[l.idx_sackok].kind == MPN_TCPOPT_KIND_SACKOK);
	if (l.idx_ts != MPN_TCPOPT_NONE)
		FUZZ_CHECK(l.opt[l.idx_ts].kind == MPN_TCPOPT_KIND_TS);
	for (i = 0; i < MPN_TCPOPT_ANOMALY_MAX; i++)
		if (mpn_tcpopt_has_anomaly(&l, (enum mpn_tcpopt_anomaly)i))
			FUZZ_CHECK(strcmp(mpn_tcpopt_anomaly_name((enum mpn_tcpopt_anomaly)i),
				"unknown") != 0 &&
				strcmp(mpn_tcpopt_anomaly_desc((enum mpn_tcpopt_anomaly)i),
				"unknown") != 0);

	/* The iteration idiom of tcpopt.h finds exactly the kind-30 options. */
	n_mptcp = 0;
	for (k = mpn_tcpopt_find(&l, MPN_MPTCP_KIND, 0); k != MPN_TCPOPT_NONE;
			k = mpn_tcpopt_find(&l, MPN_MPTCP_KIND, (uint8_t)(k + 1)))
		n_mptcp++;
	FUZZ_CHECK(n_mptcp == l.n_mptcp);
	free(hdr);
	return rc;
}

/*
 * The library's checksum verdicts against this file's own RFC 1071 sum.
 * mpn_tcp_checksum_compute() never yields 0xffff (the data it sums is never
 * all zero: the pseudo-header holds protocol 6), so a field that verifies
 * either equals it or is 0xffff where it is 0: the two zeroes of one's
 * complement arithmetic.
 */
static void
check_checksum(const uint8_t *frame, uint32_t caplen, const struct mpn_pkt *p)
{
	uint16_t field = fuzz_tcp_cksum_field(frame + p->l4_off), c;
	bool ok = mpn_tcp_checksum_ok(frame, p);

	if (!mpn_tcp_checksum_complete(p, caplen)) {
		FUZZ_CHECK(!ok);
		FUZZ_CHECK(mpn_tcp_checksum_compute(frame, p) == 0);
		return;
	}
	c = mpn_tcp_checksum_compute(frame, p);
	FUZZ_CHECK(ok == (fuzz_tcp_sum(frame, p) == 0xffff));
	FUZZ_CHECK(c != 0xffff);
	FUZZ_CHECK(ok == (field == c || (field == 0xffff && c == 0)));
}

/* One's complement sum of the TCP header bytes, checksum field included. */
static uint16_t
tcp_hdr_sum(const uint8_t *frame, const struct mpn_pkt *p)
{
	return fuzz_fold(fuzz_sum16(frame + p->l4_off, p->tcp_hdr_len, 0));
}

static void
check_acts(const struct mpn_norm_result *res)
{
	unsigned int i;

	FUZZ_CHECK(res->n_acts <= MPN_NORM_MAX_ACTS);
	for (i = 0; i < res->n_acts; i++) {
		const struct mpn_norm_act *a = &res->acts[i];

		FUZZ_CHECK(a->type <= MPN_NACT_ALERT);
		FUZZ_CHECK(strcmp(mpn_norm_act_name(a->type), "?") != 0);
		FUZZ_CHECK(a->reason < MPN_REASON_MAX);
		if (a->type == MPN_NACT_CLEAR_OPTION || a->type == MPN_NACT_ZERO_BYTES ||
				a->type == MPN_NACT_CLAMP_MSS) {
			FUZZ_CHECK(res->status == MPN_PKT_TCP);
			FUZZ_CHECK(a->off >= MPN_TCP_HDR_MIN);
			FUZZ_CHECK(a->off + a->len <= res->pkt.tcp_hdr_len);
		}
	}
	if (!res->forward)
		FUZZ_CHECK(res->drop_reason != MPN_REASON_NONE &&
			res->drop_reason < MPN_REASON_MAX);
}

/*
 * Normalize a private copy of @p orig (@p caplen bytes, parsed as @p p with
 * status @p st) and check what may have changed. @p walk_rc is the option
 * walker's verdict on the original.
 */
static void
check_normalize(const struct mpn_policy *policy, enum mpn_l2_type l2, const uint8_t *orig,
	uint32_t caplen, enum mpn_pkt_status st, const struct mpn_pkt *p, int walk_rc)
{
	const struct mpn_norm_origin from = { .l2 = l2, .link = 0, .dir = 0 };
	struct mpn_norm_result res, again;
	struct mpn_tcpopt_list l;
	struct mpn_pkt p2;
	uint8_t *copy, *copy2;
	bool changed, applies;
	uint32_t end;

	copy = fuzz_dup(orig, caplen);
	mpn_normalize(policy, &from, copy, caplen, &res);
	FUZZ_CHECK(res.status == st);
	check_acts(&res);
	changed = caplen > 0 && memcmp(copy, orig, caplen) != 0;
	if (!res.rewritten)
		FUZZ_CHECK(!changed);
	applies = st == MPN_PKT_TCP && res.forward && !res.monitor && !res.bypass;
	if (!applies)
		FUZZ_CHECK(!res.rewritten);
	if (st != MPN_PKT_TCP) {
		free(copy);
		return;
	}
	if (!res.bypass)
		FUZZ_CHECK(res.rule != NULL);
	if (res.forward && !res.bypass && !res.monitor)
		FUZZ_CHECK(walk_rc == 0);

	/* Bytes outside the TCP header never change. */
	end = (uint32_t)p->l4_off + p->tcp_hdr_len;
	FUZZ_CHECK(memcmp(copy, orig, p->l4_off) == 0);
	FUZZ_CHECK(memcmp(copy + end, orig + end, caplen - end) == 0);
	/*
	 * Every rewrite patches the checksum by RFC 1624, so the header's one's
	 * complement sum, checksum included, is what it was (it is never zero:
	 * the data offset byte is not). This holds for truncated captures too.
	 */
	FUZZ_CHECK(tcp_hdr_sum(copy, p) == tcp_hdr_sum(orig, p));
	if (mpn_tcp_checksum_complete(p, caplen)) {
		FUZZ_CHECK(fuzz_tcp_sum(copy, p) == fuzz_tcp_sum(orig, p));
		if (fuzz_tcp_sum(orig, p) == 0xffff)
			FUZZ_CHECK(mpn_tcp_checksum_ok(copy, p));
	}
	if (!res.rewritten) {
		free(copy);
		return;
	}

	/* A rewrite changes no length: the layout and the option framing stay. */
	FUZZ_CHECK(mpn_pkt_parse(copy, caplen, l2, &p2) == MPN_PKT_TCP);
	FUZZ_CHECK(p2.l4_off == p->l4_off && p2.tcp_hdr_len == p->tcp_hdr_len);
	FUZZ_CHECK(p2.wire_l4_len == p->wire_l4_len && p2.payload_off == p->payload_off);
	FUZZ_CHECK(mpn_tcpopt_walk(copy + p->l4_off, p->tcp_hdr_len, &l) == 0);

	/* The normalizer is idempotent: its output is already normal. */
	copy2 = fuzz_dup(copy, caplen);
	mpn_normalize(policy, &from, copy2, caplen, &again);
	FUZZ_CHECK(again.forward == res.forward);
	FUZZ_CHECK(!again.rewritten);
	FUZZ_CHECK(memcmp(copy2, copy, caplen) == 0);
	free(copy2);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mpn_policy *policy;
	enum mpn_pkt_status st;
	enum mpn_l2_type l2;
	struct mpn_pkt p;
	uint8_t *frame, *fixed;
	uint32_t caplen;
	int walk_rc = -EINVAL;

	/*
	 * Every length field the parser reads is 16 bits: a frame longer than
	 * twice that reaches no new state, it only slows the run down.
	 */
	if (size < 1 || size - 1 > UINT16_MAX * 2u)
		return 0;
	policies_init();
	l2 = (enum mpn_l2_type)(data[0] & 0x3);
	policy = policies[(data[0] >> 2) & 0x7];
	caplen = (uint32_t)(size - 1);
	frame = fuzz_dup(data + 1, caplen);

	st = mpn_pkt_parse(frame, caplen, l2, &p);
	check_parse(caplen, st, &p);
	if (st == MPN_PKT_TCP) {
		walk_rc = check_options(frame + p.l4_off, &p);
		check_checksum(frame, caplen, &p);
	}
	check_normalize(policy, l2, frame, caplen, st, &p, walk_rc);

	/*
	 * The same segment with a valid checksum: the case the invariant is
	 * about, and one random bytes almost never reach by themselves.
	 */
	if (st == MPN_PKT_TCP && mpn_tcp_checksum_complete(&p, caplen)) {
		fixed = fuzz_dup(frame, caplen);
		FUZZ_CHECK(mpn_tcp_checksum_set(fixed, &p) == 0);
		FUZZ_CHECK(mpn_tcp_checksum_ok(fixed, &p));
		FUZZ_CHECK(fuzz_tcp_sum(fixed, &p) == 0xffff);
		check_normalize(policy, l2, fixed, caplen, st, &p, walk_rc);
		free(fixed);
	}
	free(frame);
	return 0;
}
