/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_GEN_H
#define MPN_GEN_H

/**
 * @file
 * Synthetic MPTCP traffic, built in memory from a seed, for the benchmarks
 * and for pktgen (through app/mpnorm-gen, which writes it as a pcap).
 *
 * The traffic is valid end to end, as a Linux host would send it, so the
 * whole pipeline runs its real paths on it and drops nothing:
 *  - N connections. Most are MPTCP (v0 or v1) with M subflows each: the
 *    initial subflow's three-way handshake with MP_CAPABLE (keys chosen
 *    from the seed, tokens derived through lib/mptcp), then M-1 joins
 *    whose MP_JOIN carries the peer's token and HMACs that verify. The
 *    rest (plain_tcp_percent) are plain TCP connections of one subflow.
 *  - Data: per subflow, data_per_subflow segments that alternate a client
 *    data segment (DSS with a data ACK and a mapping for its payload) and
 *    the server's ACK (DSS data ACK only). Every segment carries
 *    timestamps. Sequence and data-sequence numbers advance as on the wire
 *    and stay inside the windows announced in the handshake.
 *  - Rewrites: rewrite_percent of the data segments also carry a 4-byte
 *    experimental option (kind 254, RFC 6994) that the ASA default tcp-map
 *    clears, so the pipeline NOP-fills it and updates the checksum.
 *
 * Every frame is Ethernet + IPv4 or IPv6 + TCP with valid checksums.
 * Addresses are private: clients 10.1.0.0/16 and fd00:1::/64, servers
 * 10.2.0.0/16 and fd00:2::/64; join subflows come from the client's
 * second address (10.3.0.0/16, fd00:3::/64), as a second path would.
 *
 * The packets come in two phases. Setup, [0, n_setup): every handshake;
 * a connection's joins follow its initial handshake, and connections are
 * interleaved so neighbouring packets belong to different connections.
 * Data, [n_setup, n): rounds over all subflows, each round in a fresh
 * seeded order; within one subflow the order is the wire order. The same
 * parameters always give the same bytes.
 */

#include <stdbool.h>
#include <stdint.h>

/** What the generator builds. Start from mpn_gen_params_default(): zero is a value here (version 0 is MPTCP v0), and mpn_gen_build() refuses 0 connections or subflows. */
struct mpn_gen_params {
	uint64_t seed;
	uint32_t connections;       /**< connections, MPTCP and plain (>= 1) */
	uint32_t subflows;          /**< subflows per MPTCP connection, 1..8 (1: no join) */
	uint32_t data_per_subflow;  /**< data-phase segments per subflow (may be 0) */
	uint32_t payload;           /**< payload bytes of a client data segment, 0..1200 */
	uint8_t version;            /**< MPTCP version: 0 or 1 */
	uint8_t ipv6_percent;       /**< share of connections over IPv6, 0..100 */
	uint8_t plain_tcp_percent;  /**< share of connections without MPTCP, 0..100 */
	uint8_t rewrite_percent;    /**< share of data segments the policy rewrites, 0..100 */
};

/** Class of a generated packet. */
enum mpn_gen_class {
	MPN_GEN_HANDSHAKE, /**< SYN, SYN/ACK or third ACK of an initial subflow (MPTCP or plain) */
	MPN_GEN_JOIN,      /**< SYN, SYN/ACK or third ACK of an MP_JOIN subflow */
	MPN_GEN_DATA,      /**< data-phase segment */
};

/** One generated frame. */
struct mpn_gen_pkt {
	uint8_t *data;       /**< frame bytes (inside mpn_gen.buf) */
	uint16_t len;        /**< frame length */
	uint8_t cls;         /**< enum mpn_gen_class */
	uint8_t from_client; /**< 1: client to server */
	uint8_t rewrite;     /**< 1: carries the option the policy clears */
	uint8_t pad[3];
};

/** What a test needs to check one MPTCP connection against the traffic. */
struct mpn_gen_conn {
	uint64_t key_a, key_b;      /**< client's and server's keys (host order) */
	uint32_t token_a, token_b;  /**< derived from them (host order) */
	uint8_t version;
	bool mptcp;                 /**< false: plain TCP */
	bool ipv6;
	uint8_t subflows;           /**< 1 for plain TCP */
};

/** The generated traffic. */
struct mpn_gen {
	uint8_t *buf;               /**< all frames */
	uint64_t buf_len;
	struct mpn_gen_pkt *pkt;    /**< n packets, setup phase first */
	uint64_t n;
	uint64_t n_setup;           /**< packets [0, n_setup) are handshakes and joins */
	struct mpn_gen_conn *conn;  /**< one per connection */
	uint32_t n_conn;
	/* Totals, for reports and tests. */
	uint64_t subflows;          /**< all subflows, plain ones included */
	uint64_t joins;             /**< MP_JOIN subflows */
	uint64_t rewrites;          /**< packets with rewrite = 1 */
	uint64_t bytes;             /**< sum of frame lengths */
};

/** Defaults: seed 1, 1024 connections, 2 subflows, 8 segments, 64 bytes, v1, 25% IPv6, 10% plain, 0% rewritten. */
void
mpn_gen_params_default(struct mpn_gen_params *p);

/**
 * Build the traffic of @p p into @p g (which it fills; free it with
 * mpn_gen_free()).
 *
 * @return 0, or -1 with a message in @p err: a parameter out of range, or
 *         not enough memory.
 */
int
mpn_gen_build(const struct mpn_gen_params *p, struct mpn_gen *g, char *err, size_t errlen);

/** Free what mpn_gen_build() allocated. Safe on a zeroed or freed @p g. */
void
mpn_gen_free(struct mpn_gen *g);

#endif /* MPN_GEN_H */
