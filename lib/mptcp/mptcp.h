/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_MPTCP_H
#define MPN_MPTCP_H

/**
 * @file
 * Decoder for one Multipath TCP option (TCP option kind 30), both versions:
 * v0 (RFC 6824) and v1 (RFC 8684).
 *
 * The decoder is a pure function over the bytes of one option. It keeps no
 * state, allocates nothing and never reads past the length it is given, so
 * the option walker, the pcap tools and the fuzz harnesses can all call it
 * on untrusted bytes. Every subtype has its own length check, made before
 * any of its fields is read (the model is Linux's mptcp_parse_option()).
 *
 * An option that is too short, too long or inconsistent for its subtype is
 * not an error of the call: it is decoded as "malformed", with a reason, so
 * that the policy can count it and decide (a short DSS is how
 * CVE-2017-13040 reached tcpdump).
 *
 * All functions are thread-safe: they touch only their arguments.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** TCP option kind of every MPTCP option (RFC 8684 §3). */
#define MPN_MPTCP_KIND 30

/**
 * The longest option a TCP header can hold: the data offset caps the
 * options at 40 bytes (RFC 9293 §3.1). Any longer kind-30 option is
 * reported as too long, whatever its subtype.
 */
#define MPN_MPTCP_OPT_MAX_LEN 40

/** @name TCP header flag bits, as passed in the tcp_flags argument
 * (byte 13 of the TCP header). Only SYN and ACK are looked at.
 * @{ */
#define MPN_MPTCP_TH_SYN 0x02
#define MPN_MPTCP_TH_ACK 0x10
/** @} */

/** MPTCP option subtypes: the high nibble of byte 2 (RFC 8684 §7.2). */
enum mpn_mptcp_subtype {
	MPN_MPTCP_MP_CAPABLE = 0x0,   /**< RFC 8684 §3.1, RFC 6824 §3.1 */
	MPN_MPTCP_MP_JOIN = 0x1,      /**< RFC 8684 §3.2 */
	MPN_MPTCP_DSS = 0x2,          /**< RFC 8684 §3.3 */
	MPN_MPTCP_ADD_ADDR = 0x3,     /**< RFC 8684 §3.4.1, RFC 6824 §3.4.1 */
	MPN_MPTCP_REMOVE_ADDR = 0x4,  /**< RFC 8684 §3.4.2 */
	MPN_MPTCP_MP_PRIO = 0x5,      /**< RFC 8684 §3.3.8 */
	MPN_MPTCP_MP_FAIL = 0x6,      /**< RFC 8684 §3.7 */
	MPN_MPTCP_MP_FASTCLOSE = 0x7, /**< RFC 8684 §3.5 */
	MPN_MPTCP_MP_TCPRST = 0x8,    /**< RFC 8684 §3.6 (v1 only) */
	MPN_MPTCP_PRIVATE = 0xf,      /**< private use (RFC 8684 §7.2) */
};

/**
 * Value of mpn_mptcp_opt.subtype when the option is too short to carry a
 * subtype at all (length 2).
 */
#define MPN_MPTCP_SUBTYPE_NONE 0xff

/** Why an option was reported malformed. */
enum mpn_mptcp_malformed {
	MPN_MPTCP_OK = 0,            /**< well formed */
	MPN_MPTCP_BAD_TOO_SHORT,     /**< shorter than the shortest form of its subtype */
	MPN_MPTCP_BAD_TOO_LONG,      /**< longer than the longest form of its subtype */
	MPN_MPTCP_BAD_LENGTH,        /**< between the forms of its subtype, matches none */
	MPN_MPTCP_BAD_HANDSHAKE,     /**< a valid form, but not for these SYN/ACK bits */
	MPN_MPTCP_BAD_VERSION,       /**< MP_CAPABLE version that this form does not allow */
	MPN_MPTCP_BAD_DSS_LENGTH,    /**< DSS length matches neither flags+checksum nor flags */
	MPN_MPTCP_BAD_ADDR_IPVER,    /**< v0 ADD_ADDR: IPVer not 4 or 6, or the length disagrees */
	MPN_MPTCP_BAD_ADDR_ECHO,     /**< v1 ADD_ADDR: the length fits only the other E bit */
	MPN_MPTCP_BAD_MAX,           /**< number of reasons, not a reason */
};

/** @name MP_CAPABLE flags byte (RFC 8684 §3.1, RFC 6824 §3.1)
 * @{ */
#define MPN_MPTCP_CAP_A 0x80 /**< checksum required */
#define MPN_MPTCP_CAP_B 0x40 /**< extensibility */
/** v1: do not open subflows to this source address; v0: a crypto bit, unassigned */
#define MPN_MPTCP_CAP_C 0x20
/** HMAC-SHA1 (v0) or HMAC-SHA256 (v1) */
#define MPN_MPTCP_CAP_H 0x01
#define MPN_MPTCP_CAP_V0_CRYPTO 0x3f /**< v0 crypto algorithm bits C-H */
#define MPN_MPTCP_CAP_V1_CRYPTO 0x1f /**< v1 crypto algorithm bits D-H */
/** @} */

/** @name DSS flags byte (RFC 8684 §3.3)
 * @{ */
#define MPN_MPTCP_DSS_ACK 0x01   /**< A: data ACK present */
#define MPN_MPTCP_DSS_ACK64 0x02 /**< a: data ACK is 8 bytes */
#define MPN_MPTCP_DSS_MAP 0x04   /**< M: mapping present */
#define MPN_MPTCP_DSS_DSN64 0x08 /**< m: data sequence number is 8 bytes */
#define MPN_MPTCP_DSS_FIN 0x10   /**< F: DATA_FIN */
/** @} */

/** @name MP_TCPRST flags, low nibble of byte 2 (RFC 8684 §3.6)
 * @{ */
#define MPN_MPTCP_RST_U 0x8 /**< reserved */
#define MPN_MPTCP_RST_V 0x4 /**< reserved */
#define MPN_MPTCP_RST_W 0x2 /**< reserved */
#define MPN_MPTCP_RST_T 0x1 /**< the error is transient */
/** @} */

/** Form of an MP_JOIN, one per step of the subflow handshake (RFC 8684 §3.2). */
enum mpn_mptcp_join_form {
	MPN_MPTCP_JOIN_SYN = 0,    /**< 12 bytes: token, nonce */
	MPN_MPTCP_JOIN_SYNACK = 1, /**< 16 bytes: truncated HMAC, nonce */
	MPN_MPTCP_JOIN_ACK = 2,    /**< 24 bytes: 160-bit HMAC */
};

/** Longest REMOVE_ADDR list: a 40-byte option less its 3-byte header. */
#define MPN_MPTCP_RM_ADDR_MAX (MPN_MPTCP_OPT_MAX_LEN - 3)

/** Length of the MP_JOIN third-ACK HMAC (RFC 8684 §3.2). */
#define MPN_MPTCP_JOIN_HMAC_LEN 20

/**
 * One decoded MPTCP option.
 *
 * All multi-byte fields are in host order. When the option is malformed,
 * or its subtype is unknown or private, only subtype, len, malformed and
 * malformed_why are meaningful, and the union is all zeroes.
 */
struct mpn_mptcp_opt {
	uint8_t subtype;        /**< enum mpn_mptcp_subtype, or MPN_MPTCP_SUBTYPE_NONE */
	uint8_t len;            /**< the option length, header included */
	bool malformed;         /**< too short, too long or inconsistent */
	uint8_t malformed_why;  /**< enum mpn_mptcp_malformed */
	union {
		/** MP_CAPABLE (RFC 8684 §3.1, RFC 6824 §3.1) */
		struct {
			uint8_t version;    /**< 0 or 1; higher only on a 4-byte SYN */
			uint8_t flags;      /**< MPN_MPTCP_CAP_* */
			bool has_sndkey;    /**< v0 SYN, SYN/ACK, ACK; v1 SYN/ACK, ACK */
			bool has_rcvkey;    /**< the third ACK */
			bool has_data_len;  /**< v1 ACK carrying data (22 or 24 bytes) */
			bool has_csum;      /**< v1 ACK carrying data, checksum (24 bytes) */
			uint64_t sndkey;    /**< key of the sender of this segment */
			uint64_t rcvkey;    /**< key of its receiver */
			uint16_t data_len;  /**< data-level length */
			uint16_t csum;      /**< DSS checksum */
		} mpc;
		/** MP_JOIN (RFC 8684 §3.2) */
		struct {
			uint8_t form;        /**< enum mpn_mptcp_join_form */
			bool backup;         /**< B flag (SYN and SYN/ACK) */
			uint8_t addr_id;     /**< SYN and SYN/ACK */
			uint32_t token;      /**< SYN: token of the receiver's key */
			uint32_t nonce;      /**< SYN and SYN/ACK */
			uint64_t trunc_hmac; /**< SYN/ACK: leftmost 64 bits of the HMAC */
			uint8_t hmac[MPN_MPTCP_JOIN_HMAC_LEN]; /**< ACK */
		} join;
		/** DSS (RFC 8684 §3.3) */
		struct {
			uint8_t flags;      /**< MPN_MPTCP_DSS_*, reserved bits included */
			bool has_ack;       /**< A */
			bool ack64;         /**< A and a: data_ack is 8 bytes on the wire */
			bool has_map;       /**< M */
			bool dsn64;         /**< M and m: dsn is 8 bytes on the wire */
			bool data_fin;      /**< F */
			bool has_csum;      /**< the mapping carries a checksum */
			uint64_t data_ack;
			uint64_t dsn;       /**< data sequence number */
			uint32_t ssn;       /**< subflow sequence number, relative */
			uint16_t data_len;  /**< data-level length; 0 = infinite mapping */
			uint16_t csum;
		} dss;
		/** ADD_ADDR (RFC 8684 §3.4.1, RFC 6824 §3.4.1) */
		struct {
			uint8_t version;    /**< the layout it was decoded as: 0 or 1 */
			uint8_t nibble;     /**< low nibble of byte 2: v0 IPVer, v1 flags */
			uint8_t family;     /**< 4 or 6 */
			uint8_t addr_id;
			bool echo;          /**< v1 E bit */
			bool has_port;
			bool has_hmac;      /**< v1 with E = 0 */
			uint16_t port;
			uint8_t addr[16];   /**< network order; IPv4 in the first 4 */
			uint64_t hmac;      /**< truncated HMAC, as on the wire */
		} add_addr;
		/** REMOVE_ADDR (RFC 8684 §3.4.2) */
		struct {
			uint8_t n;          /**< number of ids, at least 1 */
			uint8_t ids[MPN_MPTCP_RM_ADDR_MAX];
		} rm_addr;
		/** MP_PRIO (RFC 8684 §3.3.8, RFC 6824 §3.3.8) */
		struct {
			bool backup;        /**< B flag */
			bool has_addr_id;   /**< v0 4-byte form */
			uint8_t addr_id;
		} prio;
		/** MP_FAIL (RFC 8684 §3.7) */
		struct {
			uint64_t dsn;
		} fail;
		/** MP_FASTCLOSE (RFC 8684 §3.5) */
		struct {
			uint64_t key;       /**< the receiver's key */
		} fastclose;
		/** MP_TCPRST (RFC 8684 §3.6) */
		struct {
			uint8_t flags;      /**< MPN_MPTCP_RST_* */
			uint8_t reason;
		} tcprst;
	} u;
};

/**
 * Decode one MPTCP option.
 *
 * @param opt
 *   The option bytes: opt[0] is 30 and opt[1] is len. Only opt[0..len-1]
 *   are read.
 * @param len
 *   The option length, at least 2. The caller (the TCP option walker) has
 *   checked that len bytes are present.
 * @param tcp_flags
 *   The TCP flags byte of the segment. The SYN and ACK bits tell which
 *   handshake form an MP_CAPABLE or MP_JOIN must have.
 * @param version_hint
 *   The MPTCP version of the connection if known (0 or 1), else -1. Only
 *   ADD_ADDR needs it: its v0 and v1 layouts share subtype and lengths.
 *   Without a hint the decoder tells them apart by the low nibble and the
 *   length (see mptcp.c).
 * @param out
 *   Filled in on every return but -EINVAL.
 * @return
 *   - 0: the option is well formed and decoded.
 *     A private-use option (0xf) of any length from 3 to 40 is well formed
 *     and opaque: nothing past byte 2 is decoded.
 *   - -EBADMSG: the option is malformed; out->malformed_why says why.
 *   - -ENOTSUP: the subtype is unassigned (0x9-0xe); out->subtype says
 *     which. Such an option is not malformed, only unknown.
 *   - -EINVAL: opt or out is NULL, len < 2, opt[0] != 30 or opt[1] != len.
 */
int mpn_mptcp_decode(const uint8_t *opt, uint8_t len, uint8_t tcp_flags,
		int version_hint, struct mpn_mptcp_opt *out);

/**
 * Name of a subtype, as in the output of mpn_mptcp_format() ("mp-capable",
 * "dss", ...). Returns "unknown" for an unassigned value; never NULL.
 */
const char *mpn_mptcp_subtype_name(uint8_t subtype);

/** Name of a malformed reason ("too-short", ...); never NULL. */
const char *mpn_mptcp_malformed_name(uint8_t why);

/**
 * Name of an MP_TCPRST reason code (RFC 8684 §3.6), e.g. 6 is
 * "middlebox interference". Returns "unknown" for unassigned codes.
 */
const char *mpn_mptcp_tcprst_reason_name(uint8_t reason);

/**
 * Print a decoded option as one line, tcpdump-like, e.g.
 * "mp-capable v1 flags 0x81 [AH] sndkey 0x... rcvkey 0x...".
 *
 * @return
 *   The length of the full line, as snprintf() returns it (the output is
 *   truncated when that is >= n), or -EINVAL if o or buf is NULL.
 */
int mpn_mptcp_format(const struct mpn_mptcp_opt *o, char *buf, size_t n);

#endif /* MPN_MPTCP_H */
