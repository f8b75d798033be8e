/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

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
	stats->tx += sent;
	stats->port[cfg_port].tx += sent;
	if (unlikely(sent < n)) {
		uint16_t unsent = n - sent;

		rte_pktmbuf_free_bulk(pkts + sent, unsent);
		stats->dropped += unsent;
		stats->drops[MPN_REASON_TX_FULL] += unsent;
		stats->port[cfg_port].tx_dropped += unsent;
	}
	return sent;
}

/* Receive one burst on @p q, run the pipeline, send what it forwards. */
static void
worker_poll(struct mpn_worker *w, const struct mpn_policy *policy, const struct mpn_rxq *q,
	uint64_t now)
{
	struct rte_mbuf *pkts[MPN_MAX_BURST];
	struct rte_mbuf *fwd[MPN_MAX_BURST];
	uint8_t verdicts[MPN_MAX_BURST];
	uint16_t n, i, n_fwd = 0;

	n = rte_eth_rx_burst(q->port_id, q->queue, pkts, (uint16_t)w->burst);
	if (n == 0)
		return;
	for (i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	mpn_pipeline_run(&w->pipeline, policy, &q->origin, pkts, n, verdicts, now);
	for (i = 0; i < n; i++) {
		if (verdicts[i] == MPN_VERDICT_FORWARD)
			fwd[n_fwd++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	if (n_fwd > 0)
		mpn_worker_tx(w->stats, q->tx_cfg_port, q->tx_port_id, q->queue, fwd, n_fwd);
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

		for (i = 0; i < w->n_rxq; i++)
			worker_poll(w, policy, &w->rxq[i], now);
		mpn_policy_slot_quiescent(w->policy, w->index);
		/* Expire a few subflows, and report RCU quiescence for the token table. */
		if (w->pipeline.tracker != NULL)
			mpn_tracker_loop(w->pipeline.tracker, now, 64);
	}
	mpn_policy_slot_reader_offline(w->policy, w->index);
	return 0;
}
