/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "app.h"
#include "mailbox.h"
#include "worker.h"

volatile bool mpn_force_quit;

/*
 * A full TX ring is usually a momentary condition (the NIC is draining it),
 * so retry a few times before giving up: l2fwd drops at once, which loses
 * packets on every microburst; retrying forever would let one slow port
 * stall every other queue this worker serves.
 */
#define TX_RETRIES 4

uint16_t
mpn_worker_tx(struct mpn_worker_stats *stats, uint16_t cfg_port, uint16_t port_id,
	uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;
	unsigned int tries = 0;

	while (sent < n) {
		sent += rte_eth_tx_burst(port_id, queue, pkts + sent, n - sent);
		if (sent == n || ++tries > TX_RETRIES)
			break;
	}
	mpn_stats_add(&stats->tx, sent);
	mpn_stats_add(&stats->port[cfg_port].tx, sent);
	if (unlikely(sent < n)) {
		uint16_t unsent = n - sent;

		rte_pktmbuf_free_bulk(pkts + sent, unsent);
		mpn_stats_add(&stats->dropped, unsent);
		mpn_stats_add(&stats->drops[MPN_REASON_TX_FULL], unsent);
		mpn_stats_add(&stats->port[cfg_port].tx_dropped, unsent);
	}
	return sent;
}

/*
 * The RSTs answering refused joins, back out of their receiving port. The
 * refused segment was already counted as dropped (with its reason), so a
 * RST is no packet out: `packets_in = out + dropped` holds; the port's TX
 * counter and the tracker's join_rst_sent count it. One the queue will
 * not take is freed and counted nowhere else.
 */
static void
reply_tx(struct mpn_worker_stats *stats, uint16_t cfg_port, uint16_t port_id, uint16_t queue,
	struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;
	unsigned int tries = 0;

	while (sent < n) {
		sent += rte_eth_tx_burst(port_id, queue, pkts + sent, n - sent);
		if (sent == n || ++tries > TX_RETRIES)
			break;
	}
	mpn_stats_add(&stats->port[cfg_port].tx, sent);
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		mpn_stats_add(&stats->port[cfg_port].tx_dropped, n - sent);
	}
}

/*
 * Send what the pipeline forwards to the peer port, and the RSTs it built
 * in answer to refused joins (MPN_VERDICT_REPLY) back out of the port they
 * came in on, toward the joining host; free the rest. Each port has one TX
 * queue per worker (queue = worker index), so the reply queue is this
 * worker's own on the receiving port.
 */
static void
send_verdicts(struct mpn_worker *w, const struct mpn_rxq *q, struct rte_mbuf **pkts, uint16_t n,
	const uint8_t *verdicts)
{
	struct rte_mbuf *fwd[MPN_MAX_BURST], *back[MPN_MAX_BURST];
	uint16_t i, n_fwd = 0, n_back = 0;

	for (i = 0; i < n; i++) {
		if (verdicts[i] == MPN_VERDICT_FORWARD)
			fwd[n_fwd++] = pkts[i];
		else if (verdicts[i] == MPN_VERDICT_REPLY)
			back[n_back++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	if (n_fwd > 0)
		mpn_worker_tx(w->stats, q->tx_cfg_port, q->tx_port_id, q->queue, fwd, n_fwd);
	if (n_back > 0)
		reply_tx(w->stats, q->origin.port, q->port_id, q->queue, back, n_back);
}

/*
 * Handoff mode: parse the burst once, keep the packets this worker owns,
 * pass the others to their owner's inbox with their parse in the mbuf's
 * private area (the owner parses nothing). One producer's packets keep
 * their order in a ring, so each flow stays in order. A full ring drops,
 * counted: blocking here would let one slow worker stall every queue of
 * this one.
 */
static uint16_t
hand_off(struct mpn_worker *w, const struct mpn_rxq *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *batch[MPN_MAX_BURST];
	uint8_t owner[MPN_MAX_BURST];
	uint64_t pending = 0;   /* bit o: some packet goes to worker o */
	uint16_t i, kept = 0;
	unsigned int o;

	/* i20 hook: owner.c decides, in both placements (first fragments move with RSS too). */
	mpn_pipeline_parse_for_handoff(&w->pipeline, &q->origin, pkts, n, w->owner, owner);
	for (i = 0; i < n; i++)
		if (owner[i] != w->index)
			pending |= 1ull << owner[i];
	/* One bulk enqueue per destination, each in arrival order. */
	for (o = 0; o < w->n_workers && pending != 0; o++) {
		unsigned int cnt = 0, sent;

		if (!(pending & (1ull << o)))
			continue;
		for (i = 0; i < n; i++)
			if (owner[i] == o)
				batch[cnt++] = pkts[i];
		sent = rte_ring_enqueue_burst(w->inboxes[o], (void **)batch, cnt, NULL);
		mpn_stats_add(&w->stats->handoffs_out, sent);
		if (sent < cnt) {
			rte_pktmbuf_free_bulk(&batch[sent], cnt - sent);
			/* Never reached a pipeline: count them received here. */
			mpn_stats_add(&w->stats->rx, cnt - sent);
			mpn_stats_add(&w->stats->dropped, cnt - sent);
			mpn_stats_add(&w->stats->drops[MPN_REASON_HANDOFF_RING_FULL], cnt - sent);
		}
	}
	for (i = 0; i < n; i++)
		if (owner[i] == w->index)
			pkts[kept++] = pkts[i];
	return kept;
}

/*
 * i20 hook: whether some packet of the burst may belong to another worker.
 * In handoff mode any of them; with RSS only IP first fragments, so the
 * burst takes the handoff path (parse kept in the private area) only when
 * a frame looks like a fragment, and the common burst runs as before.
 */
static bool
may_move(const struct mpn_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	if (w->owner == NULL || w->owner->mode == MPN_OWNER_SELF)
		return false;
	if (w->owner->mode == MPN_OWNER_HANDOFF)
		return true;
	for (i = 0; i < n; i++)
		if (mpn_owner_may_be_fragment(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				rte_pktmbuf_data_len(pkts[i])))
			return true;
	return false;
}

/* Receive one burst on @p q, keep or hand off, then process what is ours. @return received. */
static uint16_t
worker_poll(struct mpn_worker *w, const struct mpn_policy *policy, const struct mpn_rxq *q,
	uint64_t now)
{
	struct rte_mbuf *pkts[MPN_MAX_BURST];
	uint8_t verdicts[MPN_MAX_BURST];
	uint16_t n, rx, i;

	rx = n = rte_eth_rx_burst(q->port_id, q->queue, pkts, (uint16_t)w->burst);
	if (n == 0)
		return 0;
	for (i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	/* i20 hook: through hand_off() whenever a packet may belong elsewhere. */
	if (may_move(w, pkts, n)) {
		n = hand_off(w, q, pkts, n);
		if (n == 0)
			return rx;
		mpn_pipeline_run_parsed(&w->pipeline, policy, &q->origin, pkts, n, verdicts, now);
	} else {
		mpn_pipeline_run(&w->pipeline, policy, &q->origin, pkts, n, verdicts, now);
	}
	send_verdicts(w, q, pkts, n, verdicts);
	return rx;
}

/*
 * Packets other workers handed to this one, parse included. The PMD
 * stamped each with its input port; consecutive packets of one port are
 * processed as one run, so their order is kept.
 */
static unsigned int
drain_inbox(struct mpn_worker *w, const struct mpn_policy *policy, uint64_t now)
{
	struct rte_mbuf *pkts[MPN_MAX_BURST];
	uint8_t verdicts[MPN_MAX_BURST];
	unsigned int n, start, i;

	n = rte_ring_dequeue_burst(w->inbox, (void **)pkts, w->burst, NULL);
	if (n == 0)
		return 0;
	mpn_stats_add(&w->stats->handoffs_in, n);
	for (start = 0; start < n; start = i) {
		uint16_t port = pkts[start]->port;
		int q = w->rxq_of_port[port];

		for (i = start + 1; i < n && pkts[i]->port == port; i++)
			;
		if (q < 0) {
			/* Cannot happen: only this worker's ports hand off. */
			rte_pktmbuf_free_bulk(&pkts[start], i - start);
			continue;
		}
		mpn_pipeline_run_parsed(&w->pipeline, policy, &w->rxq[q].origin, &pkts[start],
			(uint16_t)(i - start), verdicts, now);
		send_verdicts(w, &w->rxq[q], &pkts[start], (uint16_t)(i - start), verdicts);
	}
	return n;
}

int
mpn_worker_main(void *arg)
{
	struct mpn_worker *w = arg;
	unsigned int i;

	if (w->n_rxq == 0)
		return 0;
	mpn_policy_slot_reader_online(w->policy, w->index);
	while (!mpn_force_quit) {
		/*
		 * One policy for the whole loop over the queues, then a
		 * quiescent report: a reload waits for exactly this point, so
		 * no packet is ever processed half under the old policy.
		 */
		const struct mpn_policy *policy = mpn_policy_slot_get(w->policy);
		uint64_t now = rte_get_tsc_cycles();
		unsigned int got = 0;

		for (i = 0; i < w->n_rxq; i++)
			got += worker_poll(w, policy, &w->rxq[i], now);
		if (w->inbox != NULL)   /* i20 hook: rings in both placements */
			got += drain_inbox(w, policy, now);
		mpn_policy_slot_quiescent(w->policy, w->index);
		/* Sweep by time, bounded; report RCU quiescence for the token table. */
		if (w->pipeline.tracker != NULL) {
			mpn_tracker_housekeeping(w->pipeline.tracker, now);
			/* The token directory's answers to this worker's questions. */
			mpn_app_cluster_worker_poll(w, now);
			/* Issue 17 hook: serve `show conn` / `clear conn` between bursts (mailbox.h). */
			mpn_mailbox_serve(w->index, w->pipeline.tracker, now);
		}
		/* `show runtime`: the share of the loop spent on packets. */
		mpn_stats_inc(&w->stats->polls);
		if (got > 0) {
			mpn_stats_inc(&w->stats->busy_polls);
			mpn_stats_add(&w->stats->busy_cycles, rte_get_tsc_cycles() - now);
		} else {
			mpn_stats_add(&w->stats->idle_cycles, rte_get_tsc_cycles() - now);
		}
	}
	mpn_policy_slot_reader_offline(w->policy, w->index);
	return 0;
}
