/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "mptcp.h"
#include "normalize.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_URG 0x20
#define TH_ACK 0x10

/*
 * The three bits RFC 9293 §3.1 still calls reserved ("must be zero in
 * generated segments"). The fourth bit of that nibble is used by Accurate
 * ECN (AE), so it is left alone: clearing it would break a live feature.
 */
#define TCP_RESERVED_MASK 0x0e

void
mpn_norm_add_act(struct mpn_norm_result *res, enum mpn_norm_act_type type,
	enum mpn_reason reason, uint8_t off, uint8_t len, uint8_t kind, uint8_t subtype)
{
	struct mpn_norm_act *a;

	if (res->n_acts >= MPN_NORM_MAX_ACTS)
		return;
	a = &res->acts[res->n_acts++];
	a->type = (uint8_t)type;
	a->reason = (uint8_t)reason;
	a->off = off;
	a->len = len;
	a->kind = kind;
	a->subtype = subtype;
	a->value = 0;
	if (type == MPN_NACT_DROP && res->forward) {
		res->forward = false;
		res->drop_reason = reason;
	}
}

/* Turn a configured action on an option into a decision. */
static void
option_action(struct mpn_norm_result *res, enum mpn_action action, const struct mpn_tcpopt *o,
	uint8_t subtype, enum mpn_reason cleared, enum mpn_reason denied,
	enum mpn_reason alerted)
{
	switch (action) {
	case MPN_ACTION_ALLOW:
		break;
	case MPN_ACTION_CLEAR:
		mpn_norm_add_act(res, MPN_NACT_CLEAR_OPTION, cleared, o->off, o->len, o->kind, subtype);
		break;
	case MPN_ACTION_DROP:
		mpn_norm_add_act(res, MPN_NACT_DROP, denied, o->off, o->len, o->kind, subtype);
		break;
	case MPN_ACTION_ALERT:
		mpn_norm_add_act(res, MPN_NACT_ALERT, alerted, o->off, o->len, o->kind, subtype);
		break;
	}
}

/*
 * One kind-30 option, when the tcp-map lets kind 30 through. Every kind-30
 * option of the segment comes here, not just the first: DSS and ADD_ADDR
 * share segments, and a normalizer that looks only at the first (as
 * nftables' `tcp option mptcp` match does) can be walked around. @p d is
 * the option as mpn_normalize_decode() decoded it.
 */
static void
decide_mptcp(struct mpn_norm_result *res, const struct mpn_tcp_map *m,
	enum mpn_mptcp_mode mode, const struct mpn_tcpopt *o, const struct mpn_mptcp_opt *d)
{
	const struct mpn_mptcp_policy *mp = &m->mptcp;
	uint8_t flags = res->pkt.tcp_flags;

	if (mode == MPN_MPTCP_DROP) {
		mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_MPTCP_OPTION_DENIED, o->off, o->len,
			o->kind, d->subtype);
		return;
	}
	if (d->malformed) {
		option_action(res, mp->malformed, o, d->subtype == MPN_MPTCP_SUBTYPE_NONE ? 0xff :
			d->subtype, MPN_REASON_MPTCP_BAD_OPTION, MPN_REASON_MPTCP_BAD_OPTION,
			MPN_REASON_MPTCP_BAD_OPTION);
		return;
	}
	if (mode == MPN_MPTCP_FALLBACK && (flags & TH_SYN)) {
		/*
		 * RFC 8684 §3.7: a connection is plain TCP when the SYN or the
		 * SYN/ACK lacks MP_CAPABLE, and both hosts then agree on it from
		 * the first packet. Clearing it here, and only here, is the clean
		 * fallback; clearing kind 30 later makes Linux reset the subflow
		 * with MP_TCPRST reason 6 (middlebox interference).
		 */
		if (d->subtype == MPN_MPTCP_MP_CAPABLE) {
			mpn_norm_add_act(res, MPN_NACT_CLEAR_OPTION, MPN_REASON_MPTCP_FALLBACK, o->off,
				o->len, o->kind, d->subtype);
			return;
		}
		/* A join for a connection that may not use MPTCP is refused. */
		if (d->subtype == MPN_MPTCP_MP_JOIN) {
			mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_MPTCP_JOIN_REFUSED, o->off,
				o->len, o->kind, d->subtype);
			return;
		}
	}
	option_action(res, mp->subtype_action[d->subtype & 0xf], o, d->subtype,
		MPN_REASON_MPTCP_OPTION_CLEARED, MPN_REASON_MPTCP_OPTION_DENIED,
		MPN_REASON_MPTCP_OPTION_ALERT);
}

/* Read the MSS option's value (RFC 9293 §3.2: kind 2, length 4). */
static uint16_t
mss_value(const uint8_t *tcp, const struct mpn_tcpopt *o)
{
	return (uint16_t)((tcp[o->off + 2] << 8) | tcp[o->off + 3]);
}

/*
 * Whether no option of the segment needs a decision: no anomaly, every kind
 * allowed by the tcp-map, no MSS to clamp, every MPTCP option well formed
 * and allowed. The common segment of an established connection (timestamps,
 * DSS) takes this test and skips the per-option walk of decide_options().
 */
static bool
options_all_allowed(const struct mpn_norm_result *res, const struct mpn_tcp_map *m,
	enum mpn_mptcp_mode mode)
{
	const struct mpn_tcpopt_list *l = &res->opts;
	uint64_t kinds = l->kinds & ~((1ull << MPN_TCPOPT_KIND_EOL) | (1ull << MPN_TCPOPT_KIND_NOP));
	unsigned int i;

	if ((l->anomalies & ~(1u << MPN_TCPOPT_MULTI_MPTCP)) != 0 || (kinds & (1ull << 63)))
		return false;
	if ((kinds & (1ull << MPN_TCPOPT_KIND_MSS)) && (res->pkt.tcp_flags & TH_SYN))
		return false;
	while (kinds != 0) {
		unsigned int k = (unsigned int)__builtin_ctzll(kinds);

		kinds &= kinds - 1;
		if (k != MPN_TCPOPT_KIND_MSS && m->option_action[k] != MPN_ACTION_ALLOW)
			return false;
	}
	if (l->n_mptcp == 0)
		return true;
	if (mode != MPN_MPTCP_ALLOW || l->n_mptcp > res->n_mo)
		return false;
	for (i = 0; i < res->n_mo; i++)
		if (res->mo[i].malformed ||
				m->mptcp.subtype_action[res->mo[i].subtype & 0xf] != MPN_ACTION_ALLOW)
			return false;
	return true;
}

static void
decide_options(struct mpn_norm_result *res, const struct mpn_tcp_map *m,
	enum mpn_mptcp_mode mode, const uint8_t *tcp)
{
	const struct mpn_tcpopt_list *l = &res->opts;
	bool seen_mss = false, seen_ws = false, seen_ts = false;
	unsigned int i, k = 0;

	for (i = 0; i < l->n; i++) {
		const struct mpn_tcpopt *o = &l->opt[i];
		bool *seen = NULL;

		switch (o->kind) {
		case MPN_TCPOPT_KIND_EOL:
		case MPN_TCPOPT_KIND_NOP:
			continue;
		case MPN_TCPOPT_KIND_MSS:
			seen = &seen_mss;
			break;
		case MPN_TCPOPT_KIND_WSCALE:
			seen = &seen_ws;
			break;
		case MPN_TCPOPT_KIND_TS:
			seen = &seen_ts;
			break;
		default:
			break;
		}
		/*
		 * Hosts disagree on which copy of a duplicated MSS, window scale or
		 * timestamp counts (Linux takes the last, others the first), which
		 * lets a sender show a middlebox one value and the receiver
		 * another. Keep the first and clear the rest.
		 */
		if (seen != NULL) {
			if (*seen) {
				mpn_norm_add_act(res, MPN_NACT_CLEAR_OPTION, MPN_REASON_TCP_DUP_OPTION,
					o->off, o->len, o->kind, 0xff);
				continue;
			}
			*seen = true;
		}
		if (o->kind == MPN_TCPOPT_KIND_MSS) {
			if (m->mss_clamp != 0 && (res->pkt.tcp_flags & TH_SYN) && o->len == 4 &&
					mss_value(tcp, o) > m->mss_clamp) {
				mpn_norm_add_act(res, MPN_NACT_CLAMP_MSS, MPN_REASON_TCP_MSS_CLAMPED,
					o->off, o->len, o->kind, 0xff);
				res->acts[res->n_acts - 1].value = m->mss_clamp;
			}
			continue;
		}
		if (o->kind == MPN_MPTCP_KIND) {
			/* The decoded options are in header order, one per kind-30 option. */
			const struct mpn_mptcp_opt *d = &res->mo[k < res->n_mo ? k : 0];

			k++;
			res->pkt_mptcp_seen = true;
			if (m->option_action[MPN_MPTCP_KIND] == MPN_ACTION_ALLOW && k <= res->n_mo) {
				decide_mptcp(res, m, mode, o, d);
				continue;
			}
			option_action(res, m->option_action[MPN_MPTCP_KIND], o,
				o->len > 2 ? tcp[o->off + 2] >> 4 : 0xff,
				MPN_REASON_MPTCP_OPTION_CLEARED, MPN_REASON_MPTCP_OPTION_DENIED,
				MPN_REASON_MPTCP_OPTION_ALERT);
			continue;
		}
		option_action(res, m->option_action[o->kind], o, 0xff,
			MPN_REASON_TCP_OPTION_CLEARED, MPN_REASON_TCP_OPTION_DENIED,
			MPN_REASON_TCP_OPTION_DENIED);
	}
}

static void
decide_flags(struct mpn_norm_result *res, const struct mpn_tcp_map *m, const uint8_t *tcp)
{
	uint8_t flags = res->pkt.tcp_flags;
	uint16_t urp = (uint16_t)((tcp[18] << 8) | tcp[19]);

	if ((flags & TH_SYN) && res->pkt.payload_len > 0) {
		if (!(flags & TH_ACK) && m->syn_data == MPN_ACTION_DROP)
			mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_TCP_SYN_DATA, 0, 0, 0, 0xff);
		if ((flags & TH_ACK) && m->synack_data == MPN_ACTION_DROP)
			mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_TCP_SYNACK_DATA, 0, 0, 0, 0xff);
	}
	if (tcp[12] & TCP_RESERVED_MASK) {
		if (m->reserved_bits == MPN_ACTION_DROP)
			mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_TCP_RESERVED_SET, 12, 1, 0, 0xff);
		else if (m->reserved_bits == MPN_ACTION_CLEAR)
			mpn_norm_add_act(res, MPN_NACT_CLEAR_RESERVED, MPN_REASON_TCP_RESERVED_CLEARED,
				12, 1, 0, 0xff);
	}
	/*
	 * The ASA clears URG and the urgent pointer by default: hosts disagree
	 * on where urgent data ends (RFC 6093), an old evasion trick.
	 */
	if (((flags & TH_URG) || urp != 0) && m->urgent_flag == MPN_ACTION_CLEAR)
		mpn_norm_add_act(res, MPN_NACT_CLEAR_URGENT, MPN_REASON_TCP_URGENT_CLEARED, 13, 7, 0, 0xff);
}

void
mpn_normalize_apply(struct mpn_norm_result *res, uint8_t *frame)
{
	uint8_t *tcp = frame + res->pkt.l4_off;
	unsigned int i;

	if (!res->forward || res->bypass || res->monitor || res->status != MPN_PKT_TCP)
		return;

	for (i = 0; i < res->n_acts; i++) {
		const struct mpn_norm_act *a = &res->acts[i];
		uint8_t b[4];

		switch (a->type) {
		case MPN_NACT_CLEAR_OPTION:
			mpn_tcpopt_nop_fill(tcp, a->off, a->len);
			res->rewritten = true;
			break;
		case MPN_NACT_ZERO_BYTES: {
			uint8_t zero[MPN_TCPOPT_MAX] = { 0 };

			mpn_tcp_rewrite_bytes(tcp, a->off, zero, a->len);
			res->rewritten = true;
			break;
		}
		case MPN_NACT_CLAMP_MSS:
			b[0] = (uint8_t)(a->value >> 8);
			b[1] = (uint8_t)a->value;
			mpn_tcp_rewrite_bytes(tcp, (uint16_t)(a->off + 2), b, 2);
			res->rewritten = true;
			break;
		case MPN_NACT_CLEAR_RESERVED:
			b[0] = tcp[12] & (uint8_t)~TCP_RESERVED_MASK;
			mpn_tcp_rewrite_bytes(tcp, 12, b, 1);
			res->rewritten = true;
			break;
		case MPN_NACT_CLEAR_URGENT:
			b[0] = tcp[13] & (uint8_t)~TH_URG;
			mpn_tcp_rewrite_bytes(tcp, 13, b, 1);
			b[0] = b[1] = 0;
			mpn_tcp_rewrite_bytes(tcp, 18, b, 2);
			res->rewritten = true;
			break;
		default:
			break;
		}
	}
}

bool
mpn_norm_opt_cleared(const struct mpn_norm_result *res, uint8_t off)
{
	unsigned int i;

	for (i = 0; i < res->n_acts; i++)
		if (res->acts[i].type == MPN_NACT_CLEAR_OPTION && res->acts[i].off == off)
			return true;
	return false;
}

void
mpn_normalize_reset(struct mpn_norm_result *res)
{
	res->forward = true;
	res->rewritten = false;
	res->monitor = false;
	res->bypass = false;
	res->drop_reason = MPN_REASON_NONE;
	res->rule = NULL;
	res->rule_id = 0;
	res->n_acts = 0;
	res->n_mo = 0;
	res->pkt_mptcp_seen = false;
}

bool
mpn_normalize_status(struct mpn_norm_result *res)
{
	switch (res->status) {
	case MPN_PKT_TCP:
		return true;
	case MPN_PKT_FRAGMENT:
		/*
		 * RFC 1858 §3.2: a TCP fragment at offset 1 (8 bytes) can only be
		 * there to overwrite the first fragment's flags and options on
		 * reassembly. No stack sends one: drop it.
		 */
		if (res->pkt.frag_off == 1 && res->pkt.l4_proto == 6) {
			mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_IP_FRAGMENT_OVERLAP, 0, 0, 0,
				0xff);
			return false;
		}
		/* No TCP header to look at: pass, but say so. */
		mpn_norm_add_act(res, MPN_NACT_ALERT, MPN_REASON_IP_FRAGMENT, 0, 0, 0, 0xff);
		return false;
	case MPN_PKT_TRUNCATED:
		mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_IP_TRUNCATED, 0, 0, 0, 0xff);
		return false;
	case MPN_PKT_BAD_L3:
		mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_IP_BAD_HEADER, 0, 0, 0, 0xff);
		return false;
	case MPN_PKT_BAD_L2:
		mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_L2_BAD_HEADER, 0, 0, 0, 0xff);
		return false;
	case MPN_PKT_BAD_TCP_HDRLEN:
		mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_TCP_BAD_HDR_LEN, 0, 0, 0, 0xff);
		return false;
	default:
		/* Not IP, or IP but not TCP: not ours to normalize. */
		return false;
	}
}

bool
mpn_normalize_parse(const uint8_t *frame, uint32_t caplen, enum mpn_l2_type l2,
	struct mpn_norm_result *res)
{
	res->forward = true;
	res->rewritten = false;
	res->monitor = false;
	res->bypass = false;
	res->drop_reason = MPN_REASON_NONE;
	res->rule = NULL;
	res->rule_id = 0;
	res->n_acts = 0;
	res->n_mo = 0;
	res->pkt_mptcp_seen = false;
	res->opts.n = 0;
	res->opts.n_mptcp = 0;

	res->status = mpn_pkt_parse(frame, caplen, l2, &res->pkt);
	if (!mpn_normalize_status(res))
		return false;
	/* A failed walk is judged by the tcp-map (mpn_normalize_check()). */
	res->walk_rc = (int8_t)mpn_tcpopt_walk(frame + res->pkt.l4_off, res->pkt.tcp_hdr_len,
		&res->opts);
	return true;
}

void
mpn_normalize_decode(struct mpn_norm_result *res, const uint8_t *frame, int version_hint)
{
	const uint8_t *tcp = frame + res->pkt.l4_off;
	unsigned int i, n = res->opts.n_mptcp;

	if (n > MPN_NORM_MAX_MPOPTS)
		n = MPN_NORM_MAX_MPOPTS;
	/* The walker listed the kind-30 options: no second walk over the others. */
	for (i = 0; i < n; i++) {
		const struct mpn_tcpopt *o = &res->opts.opt[res->opts.idx_mptcp[i]];
		struct mpn_mptcp_opt *d = &res->mo[i];

		res->mo_off[i] = o->off;
		if (o->len < 3) {
			/* Too short to carry a subtype (RFC 8684 §3: kind, length, subtype). */
			memset(d, 0, sizeof(*d));
			d->subtype = MPN_MPTCP_SUBTYPE_NONE;
			d->len = o->len;
			d->malformed = true;
			d->malformed_why = MPN_MPTCP_BAD_TOO_SHORT;
			continue;
		}
		/* -ENOTSUP (an unassigned subtype) is not malformed: the tcp-map's action decides. */
		if (mpn_mptcp_decode(tcp + o->off, o->len, res->pkt.tcp_flags, version_hint,
				d) == -EINVAL) {
			/* Cannot happen for an option the walker reported; never read garbage. */
			memset(d, 0, sizeof(*d));
			d->subtype = tcp[o->off + 2] >> 4;
			d->len = o->len;
			d->malformed = true;
			d->malformed_why = MPN_MPTCP_BAD_LENGTH;
		}
	}
	res->n_mo = (uint8_t)n;
}

void
mpn_normalize_segment_attrs(const struct mpn_norm_result *res, struct mpn_classify_key *k)
{
	unsigned int i;

	k->mptcp = res->opts.n_mptcp > 0;
	k->have_version = false;
	k->version = 0;
	k->c_flag = false;
	k->subtypes = 0;
	for (i = 0; i < res->n_mo; i++) {
		const struct mpn_mptcp_opt *o = &res->mo[i];

		if (o->subtype < MPN_MPTCP_SUBTYPES)
			k->subtypes |= (uint16_t)(1u << o->subtype);
		if (o->malformed || o->subtype != MPN_MPTCP_MP_CAPABLE)
			continue;
		k->have_version = true;
		k->version = o->u.mpc.version;
		/* RFC 8684 §3.1: the sender accepts no subflow to its initial address. */
		k->c_flag = (o->u.mpc.flags & MPN_MPTCP_CAP_C) != 0;
	}
}

void
mpn_normalize_classify(const struct mpn_policy *policy, const struct mpn_norm_origin *from,
	const uint8_t *frame, bool mptcp, struct mpn_norm_result *res)
{
	struct mpn_classify_key attrs;

	memset(&attrs, 0, sizeof(attrs));
	attrs.mptcp = mptcp;
	mpn_normalize_classify_key(policy, from, frame, &attrs, res);
}

void
mpn_normalize_classify_key(const struct mpn_policy *policy, const struct mpn_norm_origin *from,
	const uint8_t *frame, const struct mpn_classify_key *attrs, struct mpn_norm_result *res)
{
	struct mpn_classify_key key = *attrs;

	key.family = res->pkt.ip_version;
	key.src = frame + res->pkt.src_addr_off;
	key.dst = frame + res->pkt.dst_addr_off;
	key.sport = res->pkt.sport;
	key.dport = res->pkt.dport;
	key.link = from->link;
	key.dir = from->dir;
	res->rule = mpn_policy_classify(policy, &key);
	res->rule_id = mpn_policy_rule_id(policy, res->rule);
}

void
mpn_normalize_check(const struct mpn_policy *policy, const uint8_t *frame, uint32_t caplen,
	bool fallback, struct mpn_norm_result *res)
{
	const struct mpn_tcp_map *m;
	enum mpn_mptcp_mode mode;
	const uint8_t *tcp = frame + res->pkt.l4_off;

	/*
	 * tcp-state-bypass: the ASA turns the normalizer off for the flow, for
	 * protocols that only look like TCP (cTCP). Not even a broken option
	 * list is judged.
	 */
	if (res->rule->tcp_state_bypass) {
		res->bypass = true;
		return;
	}
	m = mpn_policy_rule_tcp_map(policy, res->rule);
	mode = res->rule->inspect || fallback ? MPN_MPTCP_FALLBACK : m->mptcp.mode;

	if (res->walk_rc < 0) {
		mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_TCP_BAD_OPTION_LIST, 0, 0, 0, 0xff);
		goto done;
	}
	if (m->checksum_verification && mpn_tcp_checksum_complete(&res->pkt, caplen) &&
			!mpn_tcp_checksum_ok(frame, &res->pkt))
		mpn_norm_add_act(res, MPN_NACT_DROP, MPN_REASON_TCP_BAD_CHECKSUM, 16, 2, 0, 0xff);
	decide_flags(res, m, tcp);
	if (res->opts.n_mptcp > 0)
		res->pkt_mptcp_seen = true;
	if (!options_all_allowed(res, m, mode))
		decide_options(res, m, mode, tcp);
	if (res->opts.anomalies & (1u << MPN_TCPOPT_EOL_TRAILING_DATA))
		mpn_norm_add_act(res, MPN_NACT_ZERO_BYTES, MPN_REASON_TCP_OPTION_AFTER_EOL,
			res->opts.eol_off + 1,
			(uint8_t)(res->pkt.tcp_hdr_len - res->opts.eol_off - 1), 0, 0xff);
done:
	if (res->rule->monitor) {
		/* An IPS in promiscuous mode: record everything, change nothing. */
		res->monitor = true;
		res->forward = true;
		res->drop_reason = MPN_REASON_NONE;
	}
}

void
mpn_normalize_decide(const struct mpn_policy *policy, const struct mpn_norm_origin *from,
	const uint8_t *frame, uint32_t caplen, struct mpn_norm_result *res)
{
	if (!mpn_normalize_parse(frame, caplen, from->l2, res))
		return;
	mpn_normalize_decode(res, frame, -1);
	{
		/* Without state, the segment is all there is: its own attributes. */
		struct mpn_classify_key attrs;

		mpn_normalize_segment_attrs(res, &attrs);
		mpn_normalize_classify_key(policy, from, frame, &attrs, res);
	}
	mpn_normalize_check(policy, frame, caplen, false, res);
}

void
mpn_normalize(const struct mpn_policy *policy, const struct mpn_norm_origin *from,
	uint8_t *frame, uint32_t caplen, struct mpn_norm_result *res)
{
	mpn_normalize_decide(policy, from, frame, caplen, res);
	mpn_normalize_apply(res, frame);
}

const char *
mpn_norm_act_name(uint8_t type)
{
	switch (type) {
	case MPN_NACT_CLEAR_OPTION: return "clear-option";
	case MPN_NACT_ZERO_BYTES: return "zero-bytes";
	case MPN_NACT_CLAMP_MSS: return "clamp-mss";
	case MPN_NACT_CLEAR_RESERVED: return "clear-reserved";
	case MPN_NACT_CLEAR_URGENT: return "clear-urgent";
	case MPN_NACT_DROP: return "drop";
	case MPN_NACT_ALERT: return "alert";
	}
	return "?";
}
