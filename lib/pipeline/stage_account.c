/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage account: the one place counters change. Per worker (by reason),
 * per class (`show service-policy`), per subflow entry (folded into the
 * shared connection records later, off the per-packet path), the trace,
 * the rate-limited alert log, deny events, and the verdicts.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "mptcp.h"
#include "stages.h"

/* The token a denied MP_JOIN SYN named (RFC 8684 §3.2), 0 if it was not one. */
static uint32_t
denied_join_token(const struct mpn_pkt_ctx *c)
{
	unsigned int i;

	if ((c->flags & (TH_SYN | TH_ACK)) != TH_SYN)
		return 0;
	for (i = 0; i < c->res.n_mo; i++)
		if (c->res.mo[i].subtype == MPN_MPTCP_MP_JOIN && !c->res.mo[i].malformed &&
				c->res.mo[i].u.join.form == MPN_MPTCP_JOIN_SYN)
			return c->res.mo[i].u.join.token;
	return 0;
}

/* Alert lines per second and worker: enough to see what happens, not a flood. */
#define ALERT_LOG_PER_SEC 10

static void
format_tuple(const uint8_t *frame, const struct mpn_pkt *p, char *buf, size_t n)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = p->ip_version == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, frame + p->src_addr_off, src, sizeof(src));
	inet_ntop(af, frame + p->dst_addr_off, dst, sizeof(dst));
	snprintf(buf, n, af == AF_INET6 ? "[%s]:%u > [%s]:%u" : "%s:%u > %s:%u",
		src, p->sport, dst, p->dport);
}

/*
 * The `alert` action writes one line that names the packet, like an IPS
 * alert, but never more than ALERT_LOG_PER_SEC a second per worker: an
 * attacker must not be able to turn the log into the bottleneck.
 */
static void
log_alert(struct mpn_pipeline *pl, const uint8_t *frame, const struct mpn_norm_result *res,
	const struct mpn_norm_act *a)
{
	uint64_t now = rte_get_timer_cycles();
	char tuple[128];

	if (!pl->log_enabled)
		return;
	if (now - pl->log_window_start >= rte_get_timer_hz()) {
		if (pl->log_suppressed > 0)
			RTE_LOG(WARNING, USER1, "mpnorm: worker %u: %" PRIu64
				" more alert(s) not logged\n", pl->worker, pl->log_suppressed);
		pl->log_window_start = now;
		pl->log_tokens = ALERT_LOG_PER_SEC;
		pl->log_suppressed = 0;
	}
	if (pl->log_tokens == 0) {
		pl->log_suppressed++;
		return;
	}
	pl->log_tokens--;
	if (res->status != MPN_PKT_TCP) {
		RTE_LOG(WARNING, USER1, "mpnorm: alert %s\n", mpn_reason_name(a->reason));
		return;
	}
	format_tuple(frame, &res->pkt, tuple, sizeof(tuple));
	RTE_LOG(WARNING, USER1, "mpnorm: alert %s%s%s %s\n", mpn_reason_name(a->reason),
		a->kind == MPN_MPTCP_KIND ? " " : "",
		a->kind == MPN_MPTCP_KIND ? mpn_mptcp_subtype_name(a->subtype) : "", tuple);
}

static void
account_one(struct mpn_pipeline *pl, struct mpn_pkt_ctx *c, uint64_t now)
{
	struct mpn_worker_stats *s = pl->stats;
	const struct mpn_norm_result *res = &c->res;
	unsigned int i;

	if (res->status == MPN_PKT_TCP) {
		struct mpn_rule_counters *rc = &pl->rules[res->rule_id < MPN_POLICY_RULE_IDS ?
			res->rule_id : 0];

		/* The kind-30 options by subtype, as they arrived. */
		for (i = 0; i < res->n_mo; i++)
			if (res->mo[i].len > 2)
				mpn_stats_inc(&s->mptcp_options[res->mo[i].subtype & 0xf]);
		if (res->rule != NULL) {
			mpn_stats_inc(&rc->pkts);
			if (!res->forward)
				mpn_stats_inc(&rc->drops);
			else if (res->rewritten)
				mpn_stats_inc(&rc->rewrites);
		}
		/* Per subflow, in the worker's own entry; folded into the connection by the sweep. */
		if (c->sf != NULL) {
			if (res->forward) {
				c->sf->pkts[c->plan.s & 1]++;
				c->sf->bytes[c->plan.s & 1] += res->pkt.payload_len;
			} else {
				c->sf->drops++;
			}
		} else if (!res->forward && pl->tracker != NULL) {
			/* No flow came of it: the first segment of a flow was denied. */
			mpn_track_emit_deny(pl->tracker, &c->key, c->from_lo,
				(uint8_t)res->drop_reason, res->rule_id, denied_join_token(c), now);
		}
	} else if (res->n_acts == 0) {
		mpn_stats_inc(&s->non_tcp);
	}
	if (!res->forward) {
		mpn_stats_inc(&s->dropped);
		mpn_stats_inc(&s->drops[res->drop_reason]);
		return;
	}
	for (i = 0; i < res->n_acts; i++) {
		const struct mpn_norm_act *a = &res->acts[i];

		if (res->monitor) {
			mpn_stats_inc(&s->monitored[a->reason]);
			log_alert(pl, c->frame, res, a);
		} else if (a->type == MPN_NACT_ALERT) {
			mpn_stats_inc(&s->alerts[a->reason]);
			log_alert(pl, c->frame, res, a);
		} else {
			mpn_stats_inc(&s->rewrites[a->reason]);
		}
	}
	if (res->rewritten)
		mpn_stats_inc(&s->rewritten);
}

void
mpn_stage_account(struct mpn_pipeline *pl, const struct mpn_burst_origin *from,
	struct mpn_pkt_ctx *ctx, unsigned int n, uint8_t *verdicts, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct mpn_pkt_ctx *c = &ctx[i];

		account_one(pl, c, now);
		/* What the forwarded segments say about boxes on the path (interference.c). */
		mpn_intf_account(&pl->intf, from, c);
		verdicts[i] = c->res.forward ? MPN_VERDICT_FORWARD :
			c->reply ? MPN_VERDICT_REPLY : MPN_VERDICT_DROP;
		if (pl->tracing && __atomic_load_n(&pl->trace_remaining, __ATOMIC_RELAXED) > 0 &&
				__atomic_fetch_sub(&pl->trace_remaining, 1, __ATOMIC_RELAXED) > 0 &&
				pl->trace_fn != NULL)
			pl->trace_fn(pl->trace_arg, pl->worker, from, pl->trace_before[i], c->len,
				&c->res);
	}
}
