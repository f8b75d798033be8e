/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_TCPOPT_H
#define MPN_TCPOPT_H

/**
 * @file
 * TCP option walker and in-place option rewriting.
 *
 * mpn_tcpopt_walk() walks the option bytes of a TCP header in place and
 * reports every option (EOL and NOP included) by kind, offset and length,
 * plus a bitmask of anomalies. It copies nothing and judges nothing: what
 * an anomaly is worth is the policy's decision.
 *
 * mpn_tcp_rewrite_bytes() and mpn_tcpopt_nop_fill() change header bytes in
 * place and patch the TCP checksum incrementally (RFC 1624). They need
 * only the TCP header, never the payload, so they work on snap-truncated
 * captures, and they never change a length or move a byte: the header is
 * never re-serialized.
 *
 * All functions are thread-safe: they touch only their arguments.
 */

#include <stdbool.h>
#include <stdint.h>

/**
 * Most options one header can hold: 40 option bytes (data offset 15, RFC
 * 9293 §3.1), each option at least one byte long.
 */
#define MPN_TCPOPT_MAX 40

/** Index value meaning "no such option" in mpn_tcpopt_list. */
#define MPN_TCPOPT_NONE 0xff

/** @name TCP option kinds (IANA "TCP Option Kind Numbers")
 * @{ */
#define MPN_TCPOPT_KIND_EOL 0     /**< end of option list, RFC 9293 §3.2 */
#define MPN_TCPOPT_KIND_NOP 1     /**< no-operation, RFC 9293 §3.2 */
#define MPN_TCPOPT_KIND_MSS 2     /**< maximum segment size, RFC 9293 §3.2 */
#define MPN_TCPOPT_KIND_WSCALE 3  /**< window scale, RFC 7323 §2.2 */
#define MPN_TCPOPT_KIND_SACKOK 4  /**< SACK permitted, RFC 2018 §2 */
#define MPN_TCPOPT_KIND_SACK 5    /**< SACK, RFC 2018 §3 */
#define MPN_TCPOPT_KIND_TS 8      /**< timestamps, RFC 7323 §3.2 */
#define MPN_TCPOPT_KIND_MD5 19    /**< TCP MD5 signature, RFC 2385 §3.0 */
#define MPN_TCPOPT_KIND_AO 29     /**< TCP-AO, RFC 5925 §2.2 */
#define MPN_TCPOPT_KIND_MPTCP 30  /**< Multipath TCP, RFC 8684 §3 */
/** @} */

/** @name Fixed lengths of the options that have one
 * @{ */
#define MPN_TCPOPT_LEN_MSS 4
#define MPN_TCPOPT_LEN_WSCALE 3
#define MPN_TCPOPT_LEN_SACKOK 2
#define MPN_TCPOPT_LEN_TS 10
#define MPN_TCPOPT_LEN_MD5 18
/** @} */

/*
 * X(enum suffix, name shown to operators, one-line description). The
 * names follow the ASA's `show asp drop` words.
 */
#define MPN_TCPOPT_ANOMALY_LIST(X) \
	X(EOL_TRAILING_DATA, "tcp-option-eol-trailing-data", \
		"non-zero bytes after the end-of-option-list option") \
	X(BAD_LEN, "tcp-bad-option-len", \
		"option length 0 or 1: the rest of the list cannot be walked") \
	X(OVERRUN, "tcp-option-overrun", \
		"option (or its length byte) runs past the data offset") \
	X(DUP_MSS, "tcp-dup-option-mss", "more than one MSS option") \
	X(DUP_WSCALE, "tcp-dup-option-wscale", "more than one window-scale option") \
	X(DUP_TS, "tcp-dup-option-timestamp", "more than one timestamp option") \
	X(DUP_SACKOK, "tcp-dup-option-sack-permitted", "more than one SACK-permitted option") \
	X(MULTI_MPTCP, "tcp-multi-mptcp-option", \
		"several kind-30 options in one segment (legal)") \
	X(BAD_FIXED_LEN, "tcp-option-bad-fixed-len", \
		"MSS, window scale, SACK-permitted, SACK, timestamp or MD5 of the wrong length")

/** Anomalies of an option list: bit (1u << value) of mpn_tcpopt_list.anomalies. */
enum mpn_tcpopt_anomaly {
#define MPN_TCPOPT_ANOMALY_ENUM(sym, name, desc) MPN_TCPOPT_##sym,
	MPN_TCPOPT_ANOMALY_LIST(MPN_TCPOPT_ANOMALY_ENUM)
#undef MPN_TCPOPT_ANOMALY_ENUM
	MPN_TCPOPT_ANOMALY_MAX
};

/** One option, as found in the header. */
struct mpn_tcpopt {
	uint8_t kind;  /**< option kind */
	uint8_t len;   /**< length in bytes, kind and length bytes included (1 for EOL/NOP) */
	uint8_t off;   /**< offset from the first byte of the TCP header (20..59) */
};

/** Result of mpn_tcpopt_walk(). */
struct mpn_tcpopt_list {
	uint8_t n;           /**< options in opt[] */
	uint8_t n_mptcp;     /**< kind-30 options among them */
	uint8_t eol_off;     /**< offset of the EOL option, 0 if there is none */
	uint8_t bad_off;     /**< offset of the option that stopped the walk, 0 if none */
	uint8_t idx_mss;     /**< index in opt[] of the first MSS, or MPN_TCPOPT_NONE */
	uint8_t idx_wscale;  /**< first window scale, or MPN_TCPOPT_NONE */
	uint8_t idx_sackok;  /**< first SACK permitted, or MPN_TCPOPT_NONE */
	uint8_t idx_ts;      /**< first timestamp, or MPN_TCPOPT_NONE */
	uint32_t anomalies;  /**< bitmask of 1u << enum mpn_tcpopt_anomaly */
	/**
	 * Kinds present: bit k for kind k < 63, bit 63 for any kind >= 63.
	 * Lets a policy see in one test whether any option needs a decision.
	 */
	uint64_t kinds;
	/** Index in opt[] of each kind-30 option, n_mptcp of them, in header order. */
	uint8_t idx_mptcp[MPN_TCPOPT_MAX / 2];
	struct mpn_tcpopt opt[MPN_TCPOPT_MAX]; /**< in header order */
};

/**
 * Walk the options of a TCP header: bytes 20 to @p tcp_hdr_len.
 *
 * Every option is reported, EOL and NOP included, in header order. The
 * decisions on malformed lists (each sets its anomaly bit):
 *  - EOL ends the list (RFC 9293 §3.2); the bytes after it are padding
 *    and are not reported as options. Non-zero padding sets
 *    EOL_TRAILING_DATA and the list stays usable (return 0): receivers
 *    stop at EOL, so the normalizer zeroes the padding rather than drop.
 *  - A length of 0 or 1 (BAD_LEN) or an option or length byte past the
 *    data offset (OVERRUN) makes the rest of the list unparseable: the
 *    walk stops, the options before it stay in opt[], the bad one is not
 *    added (its length cannot be trusted), bad_off says where it is, and
 *    the return value is -EBADMSG.
 *  - Duplicate MSS, window scale, timestamp or SACK permitted: every copy
 *    is reported, DUP_* is set, return 0. Hosts disagree on which copy
 *    counts, so the policy decides what to keep.
 *  - A known option of the wrong length: reported as framed, with
 *    BAD_FIXED_LEN, return 0 (the framing is intact; receivers ignore it).
 *  - Several kind-30 options: all reported, n_mptcp counts them,
 *    MULTI_MPTCP is set; this is legal (DSS + ADD_ADDR), return 0.
 *
 * @param tcp_hdr      first byte of the TCP header; @p tcp_hdr_len bytes
 *                     must be readable (mpn_pkt_parse() guarantees it)
 * @param tcp_hdr_len  the data offset * 4: a multiple of 4 in 20..60
 * @param out          filled in (n is 0 on -EINVAL)
 * @return             0 if the list is usable; -EBADMSG if it cannot be
 *                     walked to its end (drop: tcp-bad-option-list);
 *                     -EINVAL for a NULL pointer or an impossible length.
 */
int
mpn_tcpopt_walk(const uint8_t *tcp_hdr, uint16_t tcp_hdr_len, struct mpn_tcpopt_list *out);

/** Whether @p a is set in @p l's anomalies. */
static inline bool
mpn_tcpopt_has_anomaly(const struct mpn_tcpopt_list *l, enum mpn_tcpopt_anomaly a)
{
	return (l->anomalies & (1u << a)) != 0;
}

/**
 * Index in l->opt[] of the first option of @p kind at or after index
 * @p from, or MPN_TCPOPT_NONE. Iterate over every kind-30 option with
 * `for (i = find(l, 30, 0); i != NONE; i = find(l, 30, i + 1))`.
 */
uint8_t
mpn_tcpopt_find(const struct mpn_tcpopt_list *l, uint8_t kind, uint8_t from);

/** Operator-facing name of an anomaly, e.g. "tcp-dup-option-mss"; "unknown" if out of range. */
const char *
mpn_tcpopt_anomaly_name(enum mpn_tcpopt_anomaly a);

/** One-line description of an anomaly. */
const char *
mpn_tcpopt_anomaly_desc(enum mpn_tcpopt_anomaly a);

/**
 * Overwrite TCP header bytes [off, off+len) with @p newbytes and patch the
 * checksum field (bytes 16-17) incrementally (RFC 1624 eqn. 3).
 *
 * This is the one primitive behind every rewrite: NOP-fill, MSS clamp,
 * clearing flag or reserved bits (bytes 12-13), zeroing the urgent pointer
 * or padding after EOL. The range may start and end at odd offsets. Only
 * the bytes that change are read, never the payload.
 *
 * @param tcp_hdr   first byte of the TCP header (writable)
 * @param off       offset of the first byte to replace
 * @param newbytes  the new bytes; may alias the header
 * @param len       number of bytes
 * @return          0; or -EINVAL (nothing written) if a pointer is NULL,
 *                  the range ends past MPN_TCP_HDR_MAX (60), or it covers
 *                  the checksum field itself
 */
int
mpn_tcp_rewrite_bytes(uint8_t *tcp_hdr, uint16_t off, const uint8_t *newbytes, uint16_t len);

/**
 * Replace option bytes [off, off+len) with NOP (kind 1) and patch the
 * checksum: the way to remove an option without changing any length
 * (the ASA's tcp-options "clear", Linux's TCPOPTSTRIP).
 *
 * @param tcp_hdr  first byte of the TCP header (writable)
 * @param off      option offset from the start of the TCP header (>= 20)
 * @param len      option length; off + len must not exceed 60, and the
 *                 caller keeps it within the header's data offset
 * @return         0, or -EINVAL (nothing written) for a range outside the
 *                 option area
 */
int
mpn_tcpopt_nop_fill(uint8_t *tcp_hdr, uint8_t off, uint8_t len);

#endif /* MPN_TCPOPT_H */
