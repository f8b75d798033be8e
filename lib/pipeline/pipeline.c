/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "mptcp.h"
#include "pipeline.h"

/* Alert lines per second and worker: enough to see what happens, not a flood. */
#define ALERT_LOG_PER_SEC 10

void
mpn_pipeline_init(struct mpn_pipeline *pl, unsigned int worker,
	struct mpn_worker_stats *stats)
{
	memset(pl, 0, sizeof(*pl));
	pl->stats = stats;
	pl->worker = worker;
	pl->log_tokens = ALERT_LOG_PER_SEC;
	pl->log_enabled = true;
}

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

/* Count the kind-30 options by subtype, before any of them is rewritten. */
static void
count_mptcp_options(struct mpn_worker_stats *s, const uint8_t *frame,
	const struct mpn_norm_result *res)
{
	unsigned int i;

	if (res->status != MPN_PKT_TCP || res->opts.n_mptcp == 0)
		return;
	for (i = 0; i < res->opts.n; i++)
		if (res->opts.opt[i].kind == MPN_MPTCP_KIND && res->opts.opt[i].len > 2)
			s->mptcp_options[frame[res->pkt.l4_off + res->opts.opt[i].off + 2] >> 4]++;
}

/* Count what the normalizer decided: the one place counters change. */
static void
account(struct mpn_pipeline *pl, const uint8_t *frame, const struct mpn_norm_result *res)
{
	struct mpn_worker_stats *s = pl->stats;
	unsigned int i;

	if (res->status != MPN_PKT_TCP && res->n_acts == 0)
		s->non_tcp++;
	if (!res->forward) {
		s->dropped++;
		s->drops[res->drop_reason]++;
		return;
	}
	for (i = 0; i < res->n_acts; i++) {
		const struct mpn_norm_act *a = &res->acts[i];

		if (res->monitor) {
			s->monitored[a->reason]++;
			log_alert(pl, frame, res, a);
		} else if (a->type == MPN_NACT_ALERT) {
			s->alerts[a->reason]++;
			log_alert(pl, frame, res, a);
		} else {
			s->rewrites[a->reason]++;
		}
	}
	if (res->rewritten)
		s->rewritten++;
}

/*
 * A tracked burst in three passes (ARCHITECTURE.md §3):
 *  1. decide every packet (parse, classify, the tcp-map): stateless, so
 *     nothing is lost by doing it ahead of the tracking;
 *  2. look every TCP packet's 5-tuple up in the subflow table at once and
 *     prefetch the entries, then their connection records, from the
 *     parse of pass 1. At 64K and more subflows the table is far larger
 *     than the caches, and each packet would otherwise wait for its
 *     bucket, its key, its entry and its connection in turn;
 *  3. track, rewrite and count each packet in order. The tracker still
 *     looks each packet up itself, now from the cache, so a packet that
 *     inserts or removes an entry is seen by the next one.
 */
static void
run_tracked_burst(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_norm_origin *origin, struct rte_mbuf **pkts, uint16_t n,
	uint8_t *verdicts, uint64_t now)
{
	struct mpn_norm_result res[MPN_PIPELINE_MAX_BURST];
	uint8_t *frames[MPN_PIPELINE_MAX_BURST];
	const struct mpn_pkt *parsed[MPN_PIPELINE_MAX_BURST];
	int32_t pos[MPN_PIPELINE_MAX_BURST];
	uint16_t i;

	for (i = 0; i < n; i++) {
		frames[i] = rte_pktmbuf_mtod(pkts[i], uint8_t *);
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		mpn_normalize_decide(policy, origin, frames[i], rte_pktmbuf_data_len(pkts[i]),
			&res[i]);
		count_mptcp_options(pl->stats, frames[i], &res[i]);
		parsed[i] = res[i].status == MPN_PKT_TCP ? &res[i].pkt : NULL;
	}
	mpn_tracker_prefetch(pl->tracker, frames, parsed, n, pos);
	for (i = 0; i < n; i++) {
		mpn_track(pl->tracker, policy, &res[i], frames[i], now);
		mpn_normalize_apply(&res[i], frames[i]);
		account(pl, frames[i], &res[i]);
		verdicts[i] = res[i].forward ? MPN_VERDICT_FORWARD : MPN_VERDICT_DROP;
	}
}

void
mpn_pipeline_run(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct rte_mbuf **pkts, uint16_t n,
	uint8_t *verdicts, uint64_t now)
{
	struct mpn_norm_origin origin = {
		.l2 = from->l2, .link = from->link, .dir = (uint8_t)from->dir,
	};
	struct mpn_norm_result res;
	uint16_t i;

	pl->stats->rx += n;
	pl->stats->port[from->port].rx += n;
	if (n > 0)
		pl->stats->rx_bursts++;
	if (pl->tracker != NULL && n > 1 && n <= MPN_PIPELINE_MAX_BURST &&
			likely(__atomic_load_n(&pl->trace_remaining, __ATOMIC_RELAXED) == 0)) {
		run_tracked_burst(pl, policy, &origin, pkts, n, verdicts, now);
		return;
	}
	/* Stateless, a single packet, or a trace armed: one packet at a time. */
	for (i = 0; i < n; i++) {
		uint8_t *frame = rte_pktmbuf_mtod(pkts[i], uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(pkts[i]);

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (unlikely(__atomic_load_n(&pl->trace_remaining, __ATOMIC_RELAXED) > 0)) {
			/* Keep the bytes as they arrived for the trace. */
			uint8_t before[256];
			uint32_t blen = RTE_MIN(len, (uint32_t)sizeof(before));

			memcpy(before, frame, blen);
			mpn_normalize_decide(policy, &origin, frame, len, &res);
			count_mptcp_options(pl->stats, frame, &res);
			if (pl->tracker != NULL)
				mpn_track(pl->tracker, policy, &res, frame, now);
			mpn_normalize_apply(&res, frame);
			if (__atomic_fetch_sub(&pl->trace_remaining, 1, __ATOMIC_RELAXED) > 0 &&
					pl->trace_fn != NULL)
				pl->trace_fn(pl->trace_arg, pl->worker, from, before, len, &res);
		} else {
			/*
			 * Decide, let the tracker add what only connection state
			 * can know (joins, addresses, the ASA's stateful checks,
			 * bypass and fallback that follow the token), then write.
			 */
			mpn_normalize_decide(policy, &origin, frame, len, &res);
			count_mptcp_options(pl->stats, frame, &res);
			if (pl->tracker != NULL)
				mpn_track(pl->tracker, policy, &res, frame, now);
			mpn_normalize_apply(&res, frame);
		}
		account(pl, frame, &res);
		verdicts[i] = res.forward ? MPN_VERDICT_FORWARD : MPN_VERDICT_DROP;
	}
}
