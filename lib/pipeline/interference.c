/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Middlebox-interference telemetry (interference.h, doc/interference.md).
 *
 * Everything is judged on a segment that is forwarded, from what it
 * carried when it arrived (res.opts, res.mo) and, for the handshake, from
 * what mpnorm let through: an MP_CAPABLE SYN mpnorm itself cleared (a
 * fallback class) is not a SYN that offered MPTCP beyond mpnorm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interference.h"
#include "mptcp.h"
#include "pipeline.h"
#include "stages.h"
#include "stats.h"

static const char *const intf_names[MPN_INTF_MAX] = {
#define MPN_INTF_NAME(n, d) #n,
	MPN_INTF_LIST(MPN_INTF_NAME)
#undef MPN_INTF_NAME
};

static const char *const intf_descs[MPN_INTF_MAX] = {
#define MPN_INTF_DESC(n, d) d,
	MPN_INTF_LIST(MPN_INTF_DESC)
#undef MPN_INTF_DESC
};

const char *
mpn_intf_name(unsigned int i)
{
	return i < MPN_INTF_MAX ? intf_names[i] : NULL;
}

const char *
mpn_intf_desc(unsigned int i)
{
	return i < MPN_INTF_MAX ? intf_descs[i] : NULL;
}

int
mpn_intf_init(struct mpn_intf *in)
{
	memset(in->link, 0, sizeof(in->link));
	in->cls = calloc(MPN_POLICY_RULE_IDS, sizeof(*in->cls));
	return in->cls == NULL ? -ENOMEM : 0;
}

void
mpn_intf_fini(struct mpn_intf *in)
{
	free(in->cls);
	in->cls = NULL;
}

void
mpn_intf_add(struct mpn_intf_counters *dst, const struct mpn_intf_counters *src)
{
	unsigned int i;

	for (i = 0; i < MPN_INTF_MAX; i++)
		dst->c[i] += mpn_stats_read(&src->c[i]);
}

/* One event: on the packet's link and direction, and on its class. */
static void
bump(struct mpn_intf *in, const struct mpn_burst_origin *from, const struct mpn_pkt_ctx *c,
	enum mpn_intf_counter k)
{
	uint16_t id = c->res.rule_id < MPN_POLICY_RULE_IDS ? c->res.rule_id : 0;

	if (from->link < MPN_INTF_LINKS)
		mpn_stats_inc(&in->link[from->link][from->dir & 1].c[k]);
	if (in->cls != NULL)
		mpn_stats_inc(&in->cls[id].c[k]);
}

/* The longest run of consecutive NOP options, as the segment arrived. */
static unsigned int
nop_run(const struct mpn_tcpopt_list *l)
{
	unsigned int i, run = 0, best = 0;

	for (i = 0; i < l->n; i++) {
		if (l->opt[i].kind == MPN_TCPOPT_KIND_NOP) {
			if (++run > best)
				best = run;
		} else {
			run = 0;
		}
	}
	return best;
}

/* Whether mpnorm blanks the option at TCP header offset @p off in this segment. */
static bool
cleared_here(const struct mpn_norm_result *res, uint8_t off)
{
	unsigned int i;

	if (res->monitor)
		return false; /* decisions recorded, none applied */
	for (i = 0; i < res->n_acts; i++) {
		const struct mpn_norm_act *a = &res->acts[i];

		if (a->type == MPN_NACT_CLEAR_OPTION && off >= a->off && off < a->off + a->len)
			return true;
	}
	return false;
}

/*
 * Index in res.mo of the first well-formed option of @p subtype, or -1;
 * with @p passed, only one mpnorm lets through unchanged.
 */
static int
find_mo(const struct mpn_norm_result *res, uint8_t subtype, bool passed)
{
	unsigned int i;

	for (i = 0; i < res->n_mo; i++)
		if (res->mo[i].subtype == subtype && !res->mo[i].malformed &&
				(!passed || !cleared_here(res, res->mo_off[i])))
			return (int)i;
	return -1;
}

/* What any segment says on its own: MP_FAIL, infinite mappings, MP_TCPRST, NOP runs. */
static void
account_stateless(struct mpn_intf *in, const struct mpn_burst_origin *from,
	const struct mpn_pkt_ctx *c)
{
	const struct mpn_norm_result *res = &c->res;
	unsigned int i;

	for (i = 0; i < res->n_mo; i++) {
		const struct mpn_mptcp_opt *o = &res->mo[i];

		if (o->malformed)
			continue;
		switch (o->subtype) {
		case MPN_MPTCP_MP_FAIL:
			/* RFC 8684 §3.7: a checksum failed; the subflow is reset or falls back. */
			bump(in, from, c, MPN_INTF_mp_fail);
			break;
		case MPN_MPTCP_DSS:
			/* RFC 8684 §3.3.1: data-level length 0 is the infinite mapping (fallback). */
			if (o->u.dss.has_map && o->u.dss.data_len == 0)
				bump(in, from, c, MPN_INTF_infinite_mapping);
			break;
		case MPN_MPTCP_MP_TCPRST:
			/* RFC 8684 §3.6: reason codes 0x00-0x06 are assigned. */
			bump(in, from, c, o->u.tcprst.reason < MPN_INTF_TCPRST_KNOWN ?
				(enum mpn_intf_counter)(MPN_INTF_tcprst_unspecified + o->u.tcprst.reason) :
				MPN_INTF_tcprst_other);
			break;
		default:
			break;
		}
	}
	if ((c->flags & TH_SYN) && nop_run(&res->opts) >= MPN_INTF_NOP_RUN)
		bump(in, from, c, (c->flags & TH_ACK) ? MPN_INTF_nop_run_synack :
			MPN_INTF_nop_run_syn);
}

/* The handshake and the first data of each direction, once per subflow (MPN_SF_INTF_*). */
static void
account_subflow(struct mpn_intf *in, const struct mpn_burst_origin *from,
	const struct mpn_pkt_ctx *c, struct mpn_subflow *sf)
{
	const struct mpn_norm_result *res = &c->res;
	uint8_t syn = c->flags & (TH_SYN | TH_ACK | TH_RST);
	/* Direction on the subflow, from the entry itself: plan.s is not set on every path (bypass). */
	int s = c->from_lo == ((sf->f & MPN_SF_INIT_LO) != 0) ? 0 : 1;

	if (syn == TH_SYN && s == 0) {
		bool mpc = find_mo(res, MPN_MPTCP_MP_CAPABLE, true) >= 0;

		if (mpc && !(sf->intf & (MPN_SF_INTF_SYN_MPC | MPN_SF_INTF_RETRY))) {
			sf->intf |= MPN_SF_INTF_SYN_MPC;
			bump(in, from, c, MPN_INTF_mpc_syn);
		} else if (!mpc && (sf->intf & MPN_SF_INTF_SYN_MPC) &&
				!(sf->intf & MPN_SF_INTF_SYNACK)) {
			/*
			 * The client gave up on MPTCP after its MP_CAPABLE SYNs
			 * went unanswered (Linux: net.mptcp.syn_retrans_before_tcp_fallback):
			 * whatever answers now answers a plain SYN.
			 */
			sf->intf = (uint8_t)((sf->intf & ~MPN_SF_INTF_SYN_MPC) | MPN_SF_INTF_RETRY);
			bump(in, from, c, MPN_INTF_mpc_syn_retry_plain);
		}
		if (find_mo(res, MPN_MPTCP_MP_JOIN, true) >= 0 && !(sf->intf & MPN_SF_INTF_SYN_JOIN)) {
			sf->intf |= MPN_SF_INTF_SYN_JOIN;
			bump(in, from, c, MPN_INTF_join_syn);
		}
		return;
	}
	if (syn == (TH_SYN | TH_ACK) && s == 1) {
		if (sf->intf & MPN_SF_INTF_SYNACK)
			return; /* a retransmission: judged already */
		sf->intf |= MPN_SF_INTF_SYNACK;
		if (sf->intf & MPN_SF_INTF_SYN_MPC) {
			/* RFC 8684 §3.1: an MPTCP server answers MP_CAPABLE with MP_CAPABLE. */
			if (find_mo(res, MPN_MPTCP_MP_CAPABLE, false) >= 0)
				sf->intf |= MPN_SF_INTF_MPTCP;
			else
				bump(in, from, c, nop_run(&res->opts) >= MPN_INTF_NOP_RUN ?
					MPN_INTF_mpc_synack_stripped : MPN_INTF_mpc_synack_plain);
		}
		if (sf->intf & MPN_SF_INTF_SYN_JOIN) {
			/* RFC 8684 §3.2: a SYN/ACK without MP_JOIN refuses the subflow. */
			if (find_mo(res, MPN_MPTCP_MP_JOIN, false) >= 0)
				sf->intf |= MPN_SF_INTF_MPTCP;
			else {
				/* Counted as refused: a RST that follows is not a second refusal. */
				sf->intf |= MPN_SF_INTF_RESP_ON;
				bump(in, from, c, MPN_INTF_join_refused_no_join);
			}
		}
		return;
	}
	if ((c->flags & TH_RST) && s == 1) {
		/*
		 * RFC 8684 §3.2: a host refuses a join with a RST, to the SYN
		 * or, as Linux does when its subflow limit is reached, at the
		 * third ACK (with MP_TCPRST 0x03): the responder's first
		 * segment after its SYN/ACK is the RST.
		 */
		if ((sf->intf & (MPN_SF_INTF_SYN_JOIN | MPN_SF_INTF_RESP_ON)) == MPN_SF_INTF_SYN_JOIN) {
			sf->intf |= MPN_SF_INTF_SYNACK | MPN_SF_INTF_RESP_ON;
			bump(in, from, c, MPN_INTF_join_refused_rst);
		}
		return;
	}
	if (s == 1 && !(c->flags & TH_SYN) && !(sf->intf & MPN_SF_INTF_RESP_ON))
		sf->intf |= MPN_SF_INTF_RESP_ON; /* a later RST is no refusal of the join */
	if (!(c->flags & TH_SYN) && res->pkt.payload_len > 0 && (sf->intf & MPN_SF_INTF_MPTCP)) {
		uint8_t bit = s == 0 ? MPN_SF_INTF_DATA0 : MPN_SF_INTF_DATA1;

		if (sf->intf & bit)
			return;
		sf->intf |= bit;
		/*
		 * RFC 8684 §3.7: the first data of an MPTCP subflow must be
		 * mapped (DSS, or a v1 MP_CAPABLE carrying the data length);
		 * unmapped data means a box on the path stripped the option
		 * and the hosts fell back to TCP.
		 */
		if (find_mo(res, MPN_MPTCP_DSS, false) < 0 &&
				find_mo(res, MPN_MPTCP_MP_CAPABLE, false) < 0)
			bump(in, from, c, MPN_INTF_fallback_no_dss);
	}
}

void
mpn_intf_account_slow(struct mpn_intf *in, const struct mpn_burst_origin *from,
	const struct mpn_pkt_ctx *c)
{
	struct mpn_subflow *sf = c->sf;

	if (c->res.status != MPN_PKT_TCP || !c->res.forward)
		return;
	account_stateless(in, from, c);
	/*
	 * c->sf is the entry this packet committed to; a later packet of the
	 * same batch may have made it another flow's (eviction): the hash says.
	 */
	if (sf != NULL && (sf->f & MPN_SF_IN_USE) && sf->hash == c->hash)
		account_subflow(in, from, c, sf);
}
