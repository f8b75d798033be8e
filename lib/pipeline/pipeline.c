/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pipeline: the one sequence of stages every caller runs (ctx.h).
 *
 *   per batch:  parse, lookup (bulk)
 *   per packet: resolve, decode, classify, check, commit
 *   per batch:  rewrite, account
 *
 * decode, classify, check and commit go packet by packet because a packet
 * may depend on what the one before it committed (a SYN/ACK right after
 * its SYN in the same batch). The lookup positions stay right through
 * that: the commit stage and the table's removal hook fix the positions of
 * the later packets of the batch when an entry comes or goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "owner.h"
#include "stages.h"

/* Alert lines per second and worker (stage_account.c has the limiter). */
#define ALERT_LOG_PER_SEC 10

int
mpn_pipeline_init(struct mpn_pipeline *pl, unsigned int worker,
	struct mpn_worker_stats *stats)
{
	void *p = NULL;

	memset(pl, 0, sizeof(*pl));
	pl->stats = stats;
	pl->worker = worker;
	pl->log_tokens = ALERT_LOG_PER_SEC;
	pl->log_enabled = true;
	if (posix_memalign(&p, 64, sizeof(struct mpn_pkt_ctx) * MPN_PIPELINE_MAX_BURST) != 0)
		return -ENOMEM;
	memset(p, 0, sizeof(struct mpn_pkt_ctx) * MPN_PIPELINE_MAX_BURST);
	pl->ctx = p;
	pl->rules = calloc(MPN_POLICY_RULE_IDS, sizeof(*pl->rules));
	pl->trace_before = malloc(sizeof(*pl->trace_before) * MPN_PIPELINE_MAX_BURST);
	if (pl->rules == NULL || pl->trace_before == NULL || mpn_intf_init(&pl->intf) != 0) {
		mpn_pipeline_fini(pl);
		return -ENOMEM;
	}
	return 0;
}

void
mpn_pipeline_fini(struct mpn_pipeline *pl)
{
	if (pl->ctx != NULL)
		explicit_bzero(pl->ctx, sizeof(struct mpn_pkt_ctx) * MPN_PIPELINE_MAX_BURST);
	if (pl->trace_before != NULL)
		explicit_bzero(pl->trace_before, sizeof(*pl->trace_before) * MPN_PIPELINE_MAX_BURST);
	free(pl->ctx);
	free(pl->rules);
	free(pl->trace_before);
	mpn_intf_fini(&pl->intf);
	pl->ctx = NULL;
	pl->rules = NULL;
	pl->trace_before = NULL;
}

/*
 * Keys are secrets (RFC 7430 §3): the contexts live as long as the worker,
 * so the keys a batch decoded (MP_CAPABLE, MP_FASTCLOSE) and the shadow
 * entry's copies do not outlive the batch, nor do the frames a trace kept
 * as they arrived. The tables hold the keys they need; nothing else does.
 */
static void
forget_keys(struct mpn_pipeline *pl, unsigned int n)
{
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		struct mpn_pkt_ctx *c = &pl->ctx[i];

		for (k = 0; k < c->res.n_mo && k < MPN_NORM_MAX_MPOPTS; k++) {
			struct mpn_mptcp_opt *o = &c->res.mo[k];

			if (o->subtype == MPN_MPTCP_MP_CAPABLE) {
				explicit_bzero(&o->u.mpc.sndkey, sizeof(o->u.mpc.sndkey));
				explicit_bzero(&o->u.mpc.rcvkey, sizeof(o->u.mpc.rcvkey));
			} else if (o->subtype == MPN_MPTCP_MP_FASTCLOSE) {
				explicit_bzero(&o->u.fastclose.key, sizeof(o->u.fastclose.key));
			}
		}
		explicit_bzero(&c->plan.shadow.key_a, sizeof(c->plan.shadow.key_a));
		explicit_bzero(&c->plan.shadow.key_b, sizeof(c->plan.shadow.key_b));
	}
	if (pl->tracing)
		explicit_bzero(pl->trace_before, sizeof(*pl->trace_before) * n);
}

/* From the lookup on: the batch @p ctx[0..n-1] has been parsed. */
static void
run_batch(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, unsigned int n, uint8_t *verdicts, uint64_t now)
{
	struct mpn_pkt_ctx *ctx = pl->ctx;
	struct mpn_tracker *t = pl->tracker;
	unsigned int i;

	if (t != NULL) {
		t->burst = ctx;
		t->burst_n = n;
		t->burst_from = 0;
		mpn_stage_lookup(t, ctx, n);
	}
	for (i = 0; i < n; i++) {
		struct mpn_pkt_ctx *c = &ctx[i];

		if (c->tcp) {
			if (t != NULL)
				mpn_stage_resolve(t, ctx, i, now);
			mpn_stage_decode(t, c);
			mpn_stage_classify(t, policy, from, c);
		}
		mpn_stage_check(t, policy, from, c, now);
		if (t != NULL && c->tcp) {
			t->burst_from = i;
			mpn_stage_commit(t, policy, from, c, now);
			mpn_stage_reply(t, policy, from, c, now);
		}
	}
	if (t != NULL)
		t->burst = NULL;
	mpn_stage_rewrite(ctx, n);
	mpn_stage_account(pl, from, ctx, n, verdicts, now);
	forget_keys(pl, n);
}

static void
count_rx(struct mpn_pipeline *pl, const struct mpn_burst_origin *from, uint16_t n)
{
	mpn_stats_add(&pl->stats->rx, n);
	mpn_stats_add(&pl->stats->port[from->port].rx, n);
	if (n > 0)
		mpn_stats_inc(&pl->stats->rx_bursts);
}

/* While a trace is armed, keep each frame's first bytes as they arrived. */
static void
trace_keep(struct mpn_pipeline *pl, unsigned int i, const uint8_t *frame, uint32_t len)
{
	if (pl->tracing)
		memcpy(pl->trace_before[i], frame, len < MPN_TRACE_BYTES ? len : MPN_TRACE_BYTES);
}

void
mpn_pipeline_run_frames_reply(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, uint8_t **frames, const uint32_t *lens, uint16_t n,
	uint8_t *verdicts, uint32_t *out_lens, uint64_t now)
{
	unsigned int done, i, k;

	count_rx(pl, from, n);
	for (done = 0; done < n; done += k) {
		k = n - done < MPN_PIPELINE_MAX_BURST ? n - done : MPN_PIPELINE_MAX_BURST;
		pl->tracing = __atomic_load_n(&pl->trace_remaining, __ATOMIC_RELAXED) > 0;
		for (i = 0; i < k; i++) {
			trace_keep(pl, i, frames[done + i], lens[done + i]);
			mpn_stage_parse(&pl->ctx[i], frames[done + i], lens[done + i], from);
		}
		run_batch(pl, policy, from, k, verdicts + done, now);
		if (out_lens != NULL)
			for (i = 0; i < k; i++)
				out_lens[done + i] = pl->ctx[i].reply ? pl->ctx[i].reply_len :
					lens[done + i];
	}
}

void
mpn_pipeline_run_frames(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, uint8_t **frames, const uint32_t *lens, uint16_t n,
	uint8_t *verdicts, uint64_t now)
{
	mpn_pipeline_run_frames_reply(pl, policy, from, frames, lens, n, verdicts, NULL, now);
}

/*
 * A reply's mbuf is cut to the RST's length. A chained mbuf (never with
 * mpnorm's pools) is not answered: the RST would drag the tail along.
 */
static void
trim_replies(struct mpn_pipeline *pl, struct rte_mbuf **pkts, unsigned int k, uint8_t *verdicts)
{
	unsigned int i;

	for (i = 0; i < k; i++) {
		struct rte_mbuf *m = pkts[i];

		if (verdicts[i] != MPN_VERDICT_REPLY)
			continue;
		if (m->nb_segs != 1) {
			verdicts[i] = MPN_VERDICT_DROP;
			continue;
		}
		m->data_len = (uint16_t)pl->ctx[i].reply_len;
		m->pkt_len = pl->ctx[i].reply_len;
	}
}

void
mpn_pipeline_run(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct rte_mbuf **pkts, uint16_t n,
	uint8_t *verdicts, uint64_t now)
{
	unsigned int done, i, k;

	count_rx(pl, from, n);
	for (done = 0; done < n; done += k) {
		k = n - done < MPN_PIPELINE_MAX_BURST ? n - done : MPN_PIPELINE_MAX_BURST;
		pl->tracing = __atomic_load_n(&pl->trace_remaining, __ATOMIC_RELAXED) > 0;
		for (i = 0; i < k; i++) {
			struct rte_mbuf *m = pkts[done + i];
			uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);

			if (i + 1 < k)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[done + i + 1], void *));
			trace_keep(pl, i, frame, rte_pktmbuf_data_len(m));
			mpn_stage_parse(&pl->ctx[i], frame, rte_pktmbuf_data_len(m), from);
		}
		run_batch(pl, policy, from, k, verdicts + done, now);
		trim_replies(pl, pkts + done, k, verdicts + done);
	}
}

static bool
priv_fits(const struct rte_mbuf *m)
{
	return m->pool != NULL && rte_pktmbuf_priv_size(m->pool) >= sizeof(struct mpn_handoff_hdr);
}

void
mpn_pipeline_parse_for_handoff(struct mpn_pipeline *pl, const struct mpn_burst_origin *from,
	struct rte_mbuf **pkts, uint16_t n, const struct mpn_owner_map *om, uint8_t *owner)
{
	struct mpn_pkt_ctx c;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct mpn_handoff_hdr *h;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		owner[i] = (uint8_t)pl->worker;
		mpn_stage_parse(&c, rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), from);
		if (!priv_fits(m))
			continue; /* not our pool: the owner parses it (never happens with ours) */
		/*
		 * Only TCP has state: everything else is judged by whichever
		 * worker received it. A first fragment is TCP (it carries the
		 * header), so it goes to its 5-tuple's owner, with RSS too
		 * (i20: owner.c decides, for both placements).
		 */
		owner[i] = (uint8_t)mpn_owner_decide(om, c.tcp, c.hash, c.frame, &c.res.pkt,
			pl->worker);
		h = rte_mbuf_to_priv(m);
		h->magic = MPN_HANDOFF_MAGIC;
		h->hash = c.hash;
		h->status = c.res.status;
		h->walk_rc = c.res.walk_rc;
		h->tcp = c.tcp;
		h->from_lo = c.from_lo;
		h->flags = c.flags;
		h->pkt = c.res.pkt;
		h->opts = c.res.opts;
		h->key = c.key;
	}
}

/* The parse a handoff carried: copied back, not redone. */
static void
restore_parsed(struct mpn_pkt_ctx *c, struct rte_mbuf *m, const struct mpn_burst_origin *from)
{
	struct mpn_handoff_hdr *h = priv_fits(m) ? rte_mbuf_to_priv(m) : NULL;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);

	if (h == NULL || h->magic != MPN_HANDOFF_MAGIC) {
		mpn_stage_parse(c, frame, rte_pktmbuf_data_len(m), from);
		return;
	}
	h->magic = 0;
	c->frame = frame;
	c->len = rte_pktmbuf_data_len(m);
	c->pos = -1;
	c->sf = NULL;
	c->reply = false;
	c->plan.op = MPN_PLAN_NONE;
	c->plan.sh = 0;
	mpn_normalize_reset(&c->res);
	c->res.status = (enum mpn_pkt_status)h->status;
	c->res.walk_rc = h->walk_rc;
	c->res.opts.n = 0;
	c->res.opts.n_mptcp = 0;
	if (!h->tcp) {
		/* Its verdict follows from the status alone. */
		mpn_normalize_status(&c->res);
		c->tcp = false;
		return;
	}
	c->res.pkt = h->pkt;
	c->res.opts = h->opts;
	c->tcp = h->tcp;
	c->from_lo = h->from_lo;
	c->flags = h->flags;
	c->hash = h->hash;
	c->key = h->key;
}

void
mpn_pipeline_run_parsed(struct mpn_pipeline *pl, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct rte_mbuf **pkts, uint16_t n,
	uint8_t *verdicts, uint64_t now)
{
	unsigned int done, i, k;

	count_rx(pl, from, n);
	for (done = 0; done < n; done += k) {
		k = n - done < MPN_PIPELINE_MAX_BURST ? n - done : MPN_PIPELINE_MAX_BURST;
		pl->tracing = __atomic_load_n(&pl->trace_remaining, __ATOMIC_RELAXED) > 0;
		for (i = 0; i < k; i++) {
			struct rte_mbuf *m = pkts[done + i];

			trace_keep(pl, i, rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m));
			restore_parsed(&pl->ctx[i], m, from);
		}
		run_batch(pl, policy, from, k, verdicts + done, now);
		trim_replies(pl, pkts + done, k, verdicts + done);
	}
}
