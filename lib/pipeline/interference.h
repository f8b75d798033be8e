/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_INTERFERENCE_H
#define MPN_INTERFERENCE_H

/**
 * @file
 * Middlebox-interference telemetry (doc/interference.md): what the MPTCP
 * segments mpnorm forwards say about boxes on the path that strip or
 * break MPTCP, and about servers that refuse it.
 *
 * Counted per link and direction, and per class (policy rule id), in
 * memory the worker alone writes (struct mpn_intf, one per pipeline). The
 * account stage feeds it every forwarded TCP segment: a segment mpnorm
 * drops says nothing about the path beyond it. Readers sum the workers'
 * counters off the fast path with mpn_stats_read() (stats.h).
 *
 * Per-subflow memory: one byte of the subflow entry (mpn_subflow.intf,
 * MPN_SF_INTF_*), so that each SYN, SYN/ACK and first data segment is
 * judged once per subflow, retransmissions included.
 */

#include <stdint.h>

#include "ctx.h"
#include "mptcp.h"
#include "policy.h"

struct mpn_burst_origin;

/*
 * Counters, X(name, description). The MP_TCPRST histogram is in reason
 * order (RFC 8684 §3.6) and ends with "other": keep it contiguous.
 */
#define MPN_INTF_LIST(X) \
	X(mpc_syn, "SYNs forwarded with MP_CAPABLE (once per subflow)") \
	X(mpc_syn_retry_plain, "MP_CAPABLE SYNs retried without it: SYNs with the option lost") \
	X(mpc_synack_stripped, "SYN/ACKs to an MP_CAPABLE SYN without it, NOPs where it was") \
	X(mpc_synack_plain, "SYN/ACKs to an MP_CAPABLE SYN without it, clean option list") \
	X(fallback_no_dss, "MPTCP subflow directions whose first data carried no DSS") \
	X(mp_fail, "MP_FAIL options (RFC 8684 §3.7)") \
	X(infinite_mapping, "DSS mappings with data-level length 0 (infinite mapping)") \
	X(nop_run_syn, "SYNs with 4 or more NOPs in a row") \
	X(nop_run_synack, "SYN/ACKs with 4 or more NOPs in a row") \
	X(join_syn, "MP_JOIN SYNs forwarded (once per subflow)") \
	X(join_refused_rst, "MP_JOIN SYNs refused by a RST (to the SYN, or next after the SYN/ACK)") \
	X(join_refused_no_join, "MP_JOIN SYNs answered by a SYN/ACK without MP_JOIN") \
	X(tcprst_unspecified, "MP_TCPRST reason 0x00, unspecified error") \
	X(tcprst_mptcp_error, "MP_TCPRST reason 0x01, MPTCP-specific error") \
	X(tcprst_no_resources, "MP_TCPRST reason 0x02, lack of resources") \
	X(tcprst_prohibited, "MP_TCPRST reason 0x03, administratively prohibited") \
	X(tcprst_outstanding, "MP_TCPRST reason 0x04, too much outstanding data") \
	X(tcprst_performance, "MP_TCPRST reason 0x05, unacceptable performance") \
	X(tcprst_middlebox, "MP_TCPRST reason 0x06, middlebox interference") \
	X(tcprst_other, "MP_TCPRST with a reason above 0x06")

enum mpn_intf_counter {
#define MPN_INTF_ENUM(n, d) MPN_INTF_##n,
	MPN_INTF_LIST(MPN_INTF_ENUM)
#undef MPN_INTF_ENUM
	MPN_INTF_MAX,
};

/** MP_TCPRST reason codes RFC 8684 §3.6 names: 0x00 to 0x06. */
#define MPN_INTF_TCPRST_KNOWN 7

_Static_assert(MPN_INTF_tcprst_other - MPN_INTF_tcprst_unspecified == MPN_INTF_TCPRST_KNOWN,
	"the MP_TCPRST histogram is contiguous, in reason order");

/**
 * Consecutive NOPs that make a "NOP run": Wireshark's heuristic ("4 NOP in
 * a row - a router may have removed some options"). No stack pads with
 * more than 3: a run of 4 is where an option was blanked on the path.
 */
#define MPN_INTF_NOP_RUN 4

/** Links the per-link counters cover (config indexes); MPN_CONFIG_MAX_LINKS. */
#define MPN_INTF_LINKS 16

/** One set of counters. */
struct mpn_intf_counters {
	uint64_t c[MPN_INTF_MAX];
};

/** One worker's interference counters: it is their only writer. */
struct mpn_intf {
	struct mpn_intf_counters link[MPN_INTF_LINKS][2]; /**< [link][enum mpn_direction] */
	struct mpn_intf_counters *cls;                     /**< MPN_POLICY_RULE_IDS entries */
};

/** Allocate @p in's per-class counters. @return 0 or -ENOMEM. */
int
mpn_intf_init(struct mpn_intf *in);

/** Free them. */
void
mpn_intf_fini(struct mpn_intf *in);

/** The slow half of mpn_intf_account(): a segment that may show something. */
void
mpn_intf_account_slow(struct mpn_intf *in, const struct mpn_burst_origin *from,
	const struct mpn_pkt_ctx *c);

/* TCP header flags SYN and RST (RFC 9293 §3.1). */
#define MPN_INTF_TH_SYN_RST 0x06

/**
 * Account one segment (account stage): only a forwarded TCP segment is
 * looked at. Updates the subflow's MPN_SF_INTF_* bits (c->sf) and the
 * counters of the packet's link and direction and of its class.
 *
 * Inline, because almost every segment shows nothing: an established
 * subflow's data or ACK, whose options are a finite DSS, on a subflow
 * whose handshake and first data in this direction were judged already.
 * Those cost a few tests here and no call.
 */
static inline void
mpn_intf_account(struct mpn_intf *in, const struct mpn_burst_origin *from,
	const struct mpn_pkt_ctx *c)
{
	const struct mpn_subflow *sf = c->sf;
	unsigned int i;
	uint8_t f;

	if (!c->res.forward || c->res.status != MPN_PKT_TCP)
		return;
	if (c->flags & MPN_INTF_TH_SYN_RST)
		goto slow;
	for (i = 0; i < c->res.n_mo; i++) {
		const struct mpn_mptcp_opt *o = &c->res.mo[i];

		if (o->subtype == MPN_MPTCP_MP_FAIL || o->subtype == MPN_MPTCP_MP_TCPRST ||
				(o->subtype == MPN_MPTCP_DSS && o->u.dss.has_map &&
				o->u.dss.data_len == 0))
			goto slow;
	}
	if (sf == NULL)
		return;
	f = sf->intf;
	/* A join whose responder has not gone on past its SYN/ACK: a RST would refuse it. */
	if ((f & (MPN_SF_INTF_SYN_JOIN | MPN_SF_INTF_RESP_ON)) == MPN_SF_INTF_SYN_JOIN)
		goto slow;
	/* The first data of an MPTCP subflow in this direction not judged yet? */
	if (!(f & MPN_SF_INTF_MPTCP) || c->res.pkt.payload_len == 0)
		return;
	if (!(f & (c->from_lo == ((sf->f & MPN_SF_INIT_LO) != 0) ? MPN_SF_INTF_DATA0 :
			MPN_SF_INTF_DATA1)))
		goto slow;
	return;
slow:
	mpn_intf_account_slow(in, from, c);
}

/** Name of counter @p i, NULL past the end. */
const char *
mpn_intf_name(unsigned int i);

/** Description of counter @p i, NULL past the end. */
const char *
mpn_intf_desc(unsigned int i);

/** Reader side: add @p src into @p dst, reading each counter with mpn_stats_read(). */
void
mpn_intf_add(struct mpn_intf_counters *dst, const struct mpn_intf_counters *src);

#endif /* MPN_INTERFERENCE_H */
