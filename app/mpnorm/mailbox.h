/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_MAILBOX_H
#define MPN_APP_MAILBOX_H

/**
 * @file
 * Requests from the main lcore to the workers for what only a worker may
 * touch: its subflow table (`show conn`, `clear conn`). The tables are not
 * thread-safe, so the main lcore never reads them; it posts a request in
 * each worker's mailbox, the worker serves it between bursts, a bounded
 * slice of its table per loop iteration, and the main lcore waits with a
 * bounded poll and a timeout.
 *
 * Protocol, per worker: the main lcore fills the request and stores
 * POSTED (release); the worker sees it (acquire), works through its table
 * MPN_MAILBOX_SLICE positions per loop iteration, and stores DONE
 * (release); the main lcore reads the answer and stores IDLE. A request
 * that times out stays with the worker, which still finishes it; its
 * answer is then dropped, and the mailbox is busy until then.
 */

#include <stdbool.h>
#include <stdint.h>

#include "track.h"

/** Table positions a worker visits per loop iteration for a request. */
#define MPN_MAILBOX_SLICE 4096

/** `show conn` / `clear conn` filters; every one given must match. */
struct mpn_conn_filter {
	bool by_addr;
	uint8_t family;       /**< 4 or 6 */
	uint8_t addr[16];     /**< either endpoint */
	bool by_port;
	uint16_t port;        /**< either endpoint */
	bool by_token;
	uint32_t token;       /**< the connection's token_a or token_b */
};

/** One connection as a worker copied it: plain data, never a key (RFC 7430 §3). */
struct mpn_conn_row {
	uint8_t family;
	uint8_t state;        /**< enum mpn_tcp_state */
	uint8_t role;         /**< enum mpn_flow_role */
	uint8_t decision;     /**< enum mpn_flow_decision */
	uint8_t join_state;   /**< enum mpn_join_state */
	uint8_t version;      /**< MPTCP version, 0xff when plain TCP */
	bool mptcp;
	bool unconfirmed;     /**< learned mid-stream, one direction seen */
	uint16_t link;
	uint16_t vlan;
	uint16_t worker;
	uint16_t sport, dport;  /**< initiator, responder */
	uint8_t src[16];        /**< initiator */
	uint8_t dst[16];        /**< responder */
	uint32_t token_a, token_b; /**< 0 when not MPTCP or unknown */
	uint64_t pkts[2];       /**< from the initiator [0], the responder [1] */
	uint64_t bytes[2];
	uint32_t drops;
	uint64_t idle_ms;
};

/** Allocate the mailboxes. @return 0 or -1 */
int
mpn_mailbox_init(unsigned int n_workers);

/** Free them (workers stopped). */
void
mpn_mailbox_fini(void);

/**
 * Worker side, once per loop iteration (worker.c, beside the tracker's
 * housekeeping): serve a posted request, a slice at a time. One load when
 * there is none.
 */
void
mpn_mailbox_serve(unsigned int worker, struct mpn_tracker *t, uint64_t now);

/** Does @p row match @p f? (Also used by the tests.) */
bool
mpn_conn_filter_match(const struct mpn_conn_filter *f, const struct mpn_conn_row *row);

/**
 * Main lcore: collect the connections matching @p f from every worker, at
 * most @p limit rows. *rows is malloc'ed (the caller frees it); *matched
 * counts every match, shown or not.
 * @return 0; -ETIMEDOUT if a worker did not answer in @p timeout_ms (the
 *   rows of those that did are returned); -EBUSY if a worker is still
 *   serving an earlier request that timed out; -ENOMEM
 */
int
mpn_mailbox_show(const struct mpn_conn_filter *f, uint32_t limit, unsigned int timeout_ms,
	struct mpn_conn_row **rows, uint32_t *n, uint64_t *matched);

/**
 * Main lcore: remove the connections matching @p f from every worker's
 * table (each a teardown event with reason "cleared").
 * @return 0 with *cleared set, or -ETIMEDOUT / -EBUSY as above
 */
int
mpn_mailbox_clear(const struct mpn_conn_filter *f, unsigned int timeout_ms, uint64_t *cleared);

#endif /* MPN_APP_MAILBOX_H */
