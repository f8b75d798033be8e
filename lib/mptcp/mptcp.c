/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "mptcp.h"

/*
 * Option lengths, header (kind, length, subtype byte) included. Each one
 * names the section of RFC 8684 (v1) or RFC 6824 (v0) that defines it.
 */
#define MPC_LEN_SYN 4            /* v1 SYN, RFC 8684 §3.1 */
#define MPC_LEN_KEY 12           /* v0 SYN, SYN/ACK; v1 SYN/ACK */
#define MPC_LEN_KEYS 20          /* third ACK: both keys */
#define MPC_LEN_KEYS_DATA 22     /* v1 ACK with data-level length */
#define MPC_LEN_KEYS_CSUM 24     /* v1 ACK with data-level length and checksum */

#define JOIN_LEN_SYN 12          /* RFC 8684 §3.2 */
#define JOIN_LEN_SYNACK 16
#define JOIN_LEN_ACK 24

#define DSS_LEN_MIN 4            /* RFC 8684 §3.3: header and flags byte */
#define DSS_LEN_MAX 28           /* 8-byte ack, 8-byte DSN, checksum */
#define DSS_LEN_CSUM 2

#define ADDR_LEN_MIN 8           /* RFC 8684 §3.4.1: IPv4, echo (or v0) */
#define ADDR_LEN_V0_MAX 22       /* RFC 6824 §3.4.1: IPv6 and port */
#define ADDR_LEN_V1_MAX 30       /* RFC 8684 §3.4.1: IPv6, port and HMAC */
#define ADDR_HMAC_LEN 8
#define ADDR_PORT_LEN 2

#define RM_ADDR_LEN_MIN 4        /* RFC 8684 §3.4.2: at least one id */
#define PRIO_LEN 3               /* RFC 8684 §3.3.8 */
#define PRIO_LEN_V0_ID 4         /* RFC 6824 §3.3.8: with the AddrID */
#define FAIL_LEN 12              /* RFC 8684 §3.7 */
#define FASTCLOSE_LEN 12         /* RFC 8684 §3.5 */
#define TCPRST_LEN 4             /* RFC 8684 §3.6 */

/*
 * Unaligned-safe big-endian loads. Option fields sit at any byte offset in
 * the TCP header, so they are assembled byte by byte and never read through
 * a cast pointer or an overlaid struct.
 */
static inline uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	return ((uint64_t)get_be32(p) << 32) | get_be32(p + 4);
}

static int
malformed(struct mpn_mptcp_opt *out, enum mpn_mptcp_malformed why)
{
	memset(&out->u, 0, sizeof(out->u));
	out->malformed = true;
	out->malformed_why = (uint8_t)why;
	return -EBADMSG;
}

/*
 * Classify a length that matches no form of a subtype whose forms span
 * [min, max].
 */
static int
bad_length(struct mpn_mptcp_opt *out, uint8_t len, uint8_t min, uint8_t max)
{
	if (len < min)
		return malformed(out, MPN_MPTCP_BAD_TOO_SHORT);
	if (len > max)
		return malformed(out, MPN_MPTCP_BAD_TOO_LONG);
	return malformed(out, MPN_MPTCP_BAD_LENGTH);
}

/*
 * A subtype with a single fixed length: anything else is too short or too
 * long.
 */
static int
fixed_length(struct mpn_mptcp_opt *out, uint8_t len, uint8_t want)
{
	if (len < want)
		return malformed(out, MPN_MPTCP_BAD_TOO_SHORT);
	return malformed(out, MPN_MPTCP_BAD_TOO_LONG);
}

/*
 * MP_CAPABLE, RFC 8684 §3.1 and RFC 6824 §3.1.
 *
 *   v0: SYN 12 (sender key), SYN/ACK 12 (sender key), ACK 20 (both keys).
 *   v1: SYN 4 (no key), SYN/ACK 12, ACK 20, ACK with data 22 (+ data-level
 *       length) or 24 (+ DSS checksum).
 *
 * The SYN and ACK bits pick the handshake step, the length must be one of
 * that step's forms, and the version must allow that form.
 */
static int
decode_mp_capable(const uint8_t *opt, uint8_t len, uint8_t tcp_flags,
		struct mpn_mptcp_opt *out)
{
	bool syn = (tcp_flags & MPN_MPTCP_TH_SYN) != 0;
	bool ack = (tcp_flags & MPN_MPTCP_TH_ACK) != 0;
	uint8_t version;
	bool step_ok;

	switch (len) {
	case MPC_LEN_SYN:
		step_ok = syn && !ack;
		break;
	case MPC_LEN_KEY:
		step_ok = syn;
		break;
	case MPC_LEN_KEYS:
	case MPC_LEN_KEYS_DATA:
	case MPC_LEN_KEYS_CSUM:
		step_ok = !syn;
		break;
	default:
		return bad_length(out, len, MPC_LEN_SYN, MPC_LEN_KEYS_CSUM);
	}
	if (!step_ok)
		return malformed(out, MPN_MPTCP_BAD_HANDSHAKE);

	/* The length is now one of the forms: bytes 2 and 3 are present. */
	version = opt[2] & 0x0f;
	switch (len) {
	case MPC_LEN_SYN:
		/*
		 * RFC 8684 §3.1: a host proposes its highest version in the
		 * SYN, so a version above 1 here is negotiation, not an
		 * error (Linux is "gentle vs future versions" here too).
		 * Version 0 never has a 4-byte SYN: RFC 6824 §3.1 puts the
		 * sender's key in it.
		 */
		if (version < 1)
			return malformed(out, MPN_MPTCP_BAD_VERSION);
		break;
	case MPC_LEN_KEY:
		/*
		 * A 12-byte SYN is v0 only: the v1 SYN carries no key
		 * (RFC 8684 §3.1). The SYN/ACK is 12 bytes in both.
		 */
		if (version > 1 || (version == 1 && !ack))
			return malformed(out, MPN_MPTCP_BAD_VERSION);
		break;
	case MPC_LEN_KEYS:
		if (version > 1)
			return malformed(out, MPN_MPTCP_BAD_VERSION);
		break;
	default:
		/*
		 * The data-level length (and checksum) in the third ACK are
		 * new in RFC 8684 §3.1; a v0 ACK is always 20 bytes.
		 */
		if (version != 1)
			return malformed(out, MPN_MPTCP_BAD_VERSION);
		break;
	}

	out->u.mpc.version = version;
	out->u.mpc.flags = opt[3];
	if (len >= MPC_LEN_KEY) {
		out->u.mpc.has_sndkey = true;
		out->u.mpc.sndkey = get_be64(opt + 4);
	}
	if (len >= MPC_LEN_KEYS) {
		out->u.mpc.has_rcvkey = true;
		out->u.mpc.rcvkey = get_be64(opt + 12);
	}
	if (len >= MPC_LEN_KEYS_DATA) {
		out->u.mpc.has_data_len = true;
		out->u.mpc.data_len = get_be16(opt + 20);
	}
	if (len == MPC_LEN_KEYS_CSUM) {
		out->u.mpc.has_csum = true;
		out->u.mpc.csum = get_be16(opt + 22);
	}
	return 0;
}

/*
 * MP_JOIN, RFC 8684 §3.2 (same layout in RFC 6824 §3.2). The length picks
 * the form, and the form must match the subflow handshake step:
 *   SYN 12:     B flag, address id, receiver's token, sender's nonce.
 *   SYN/ACK 16: B flag, address id, leftmost 64 bits of the HMAC, nonce.
 *   ACK 24:     two reserved bytes and the 160-bit HMAC.
 */
static int
decode_mp_join(const uint8_t *opt, uint8_t len, uint8_t tcp_flags,
		struct mpn_mptcp_opt *out)
{
	bool syn = (tcp_flags & MPN_MPTCP_TH_SYN) != 0;
	bool ack = (tcp_flags & MPN_MPTCP_TH_ACK) != 0;

	switch (len) {
	case JOIN_LEN_SYN:
		if (!syn || ack)
			return malformed(out, MPN_MPTCP_BAD_HANDSHAKE);
		out->u.join.form = MPN_MPTCP_JOIN_SYN;
		out->u.join.backup = (opt[2] & 0x01) != 0;
		out->u.join.addr_id = opt[3];
		out->u.join.token = get_be32(opt + 4);
		out->u.join.nonce = get_be32(opt + 8);
		return 0;
	case JOIN_LEN_SYNACK:
		if (!syn || !ack)
			return malformed(out, MPN_MPTCP_BAD_HANDSHAKE);
		out->u.join.form = MPN_MPTCP_JOIN_SYNACK;
		out->u.join.backup = (opt[2] & 0x01) != 0;
		out->u.join.addr_id = opt[3];
		out->u.join.trunc_hmac = get_be64(opt + 4);
		out->u.join.nonce = get_be32(opt + 12);
		return 0;
	case JOIN_LEN_ACK:
		if (syn)
			return malformed(out, MPN_MPTCP_BAD_HANDSHAKE);
		out->u.join.form = MPN_MPTCP_JOIN_ACK;
		memcpy(out->u.join.hmac, opt + 4, MPN_MPTCP_JOIN_HMAC_LEN);
		return 0;
	default:
		return bad_length(out, len, JOIN_LEN_SYN, JOIN_LEN_ACK);
	}
}

/*
 * DSS, RFC 8684 §3.3 (RFC 6824 §3.3 is the same). The flags byte says which
 * fields follow:
 *   A: data ACK, 4 bytes, or 8 when a is also set;
 *   M: mapping = DSN (4, or 8 when m is set), subflow sequence number (4),
 *      data-level length (2), then the checksum (2) iff it was negotiated.
 * The checksum's presence is not in the flags: the A bit of MP_CAPABLE
 * negotiated it (RFC 8684 §3.3), and a stateless decoder does not know the
 * outcome. So the length decides: it must equal the length the flags
 * give, or that plus 2 when a mapping is present.
 * a without A and m without M are ignored, as Linux does.
 */
static int
decode_dss(const uint8_t *opt, uint8_t len, struct mpn_mptcp_opt *out)
{
	uint8_t flags, expected, off;

	if (len < DSS_LEN_MIN)
		return malformed(out, MPN_MPTCP_BAD_TOO_SHORT);
	if (len > DSS_LEN_MAX)
		return malformed(out, MPN_MPTCP_BAD_TOO_LONG);

	flags = opt[3];
	expected = DSS_LEN_MIN;
	if (flags & MPN_MPTCP_DSS_ACK)
		expected += (flags & MPN_MPTCP_DSS_ACK64) ? 8 : 4;
	if (flags & MPN_MPTCP_DSS_MAP)
		expected += ((flags & MPN_MPTCP_DSS_DSN64) ? 8 : 4) + 4 + 2;

	/*
	 * RFC 8684 §3.3 places the checksum inside the mapping, so without
	 * M there is no checksum. XXX: Linux accepts (and ignores) 2 extra
	 * bytes even then; mpnorm calls that malformed, no stack sends it.
	 */
	if (len == expected + DSS_LEN_CSUM && (flags & MPN_MPTCP_DSS_MAP))
		out->u.dss.has_csum = true;
	else if (len != expected)
		return malformed(out, MPN_MPTCP_BAD_DSS_LENGTH);

	/* Every field below lies inside the length checked above. */
	out->u.dss.flags = flags;
	out->u.dss.data_fin = (flags & MPN_MPTCP_DSS_FIN) != 0;
	off = DSS_LEN_MIN;
	if (flags & MPN_MPTCP_DSS_ACK) {
		out->u.dss.has_ack = true;
		if (flags & MPN_MPTCP_DSS_ACK64) {
			out->u.dss.ack64 = true;
			out->u.dss.data_ack = get_be64(opt + off);
			off += 8;
		} else {
			out->u.dss.data_ack = get_be32(opt + off);
			off += 4;
		}
	}
	if (flags & MPN_MPTCP_DSS_MAP) {
		out->u.dss.has_map = true;
		if (flags & MPN_MPTCP_DSS_DSN64) {
			out->u.dss.dsn64 = true;
			out->u.dss.dsn = get_be64(opt + off);
			off += 8;
		} else {
			out->u.dss.dsn = get_be32(opt + off);
			off += 4;
		}
		out->u.dss.ssn = get_be32(opt + off);
		off += 4;
		out->u.dss.data_len = get_be16(opt + off);
		off += 2;
		if (out->u.dss.has_csum)
			out->u.dss.csum = get_be16(opt + off);
	}
	/*
	 * XXX: F without M is kept as decoded. RFC 8684 §3.3.3 sends a
	 * DATA_FIN inside a mapping, but judging that belongs to tracking.
	 */
	return 0;
}

/* The v0 layout: the only one whose nibble is an IP version. */
static bool
addaddr_looks_v0(uint8_t nibble, uint8_t len)
{
	return (nibble == 4 && (len == 8 || len == 10)) ||
		(nibble == 6 && (len == 20 || len == 22));
}

/*
 * ADD_ADDR, v0 layout (RFC 6824 §3.4.1): byte 2 low nibble = IPVer (4 or
 * 6), address id, address, optional port. Lengths 8/10 (IPv4) and 20/22
 * (IPv6). No HMAC.
 */
static int
decode_add_addr_v0(const uint8_t *opt, uint8_t len, struct mpn_mptcp_opt *out)
{
	uint8_t nibble = opt[2] & 0x0f;
	uint8_t alen;

	switch (len) {
	case 8:
	case 10:
		if (nibble != 4)
			return malformed(out, MPN_MPTCP_BAD_ADDR_IPVER);
		alen = 4;
		break;
	case 20:
	case 22:
		if (nibble != 6)
			return malformed(out, MPN_MPTCP_BAD_ADDR_IPVER);
		alen = 16;
		break;
	default:
		return bad_length(out, len, ADDR_LEN_MIN, ADDR_LEN_V0_MAX);
	}

	out->u.add_addr.version = 0;
	out->u.add_addr.nibble = nibble;
	out->u.add_addr.family = nibble;
	out->u.add_addr.addr_id = opt[3];
	memcpy(out->u.add_addr.addr, opt + 4, alen);
	if (len == 4 + alen + ADDR_PORT_LEN) {
		out->u.add_addr.has_port = true;
		out->u.add_addr.port = get_be16(opt + 4 + alen);
	}
	return 0;
}

/*
 * ADD_ADDR, v1 layout (RFC 8684 §3.4.1): byte 2 low nibble = flags (E, the
 * echo bit, is 0x1; the other three are reserved and ignored on receipt),
 * address id, address, optional port, and an 8-byte truncated HMAC unless
 * E = 1. There is no IPVer field: the length tells IPv4 from IPv6.
 *   IPv4: 8, 10 (+port) with E = 1; 16, 18 (+port) with E = 0.
 *   IPv6: 20, 22 (+port) with E = 1; 28, 30 (+port) with E = 0.
 */
static int
decode_add_addr_v1(const uint8_t *opt, uint8_t len, struct mpn_mptcp_opt *out)
{
	uint8_t nibble = opt[2] & 0x0f;
	bool echo = (nibble & 0x01) != 0;
	bool form_echo;
	uint8_t alen, base;

	switch (len) {
	case 8:
	case 10:
		form_echo = true;
		alen = 4;
		break;
	case 16:
	case 18:
		form_echo = false;
		alen = 4;
		break;
	case 20:
	case 22:
		form_echo = true;
		alen = 16;
		break;
	case 28:
	case 30:
		form_echo = false;
		alen = 16;
		break;
	default:
		return bad_length(out, len, ADDR_LEN_MIN, ADDR_LEN_V1_MAX);
	}
	if (form_echo != echo)
		return malformed(out, MPN_MPTCP_BAD_ADDR_ECHO);

	base = 4 + alen + (echo ? 0 : ADDR_HMAC_LEN);
	out->u.add_addr.version = 1;
	out->u.add_addr.nibble = nibble;
	out->u.add_addr.family = alen == 4 ? 4 : 6;
	out->u.add_addr.addr_id = opt[3];
	out->u.add_addr.echo = echo;
	memcpy(out->u.add_addr.addr, opt + 4, alen);
	if (len == base + ADDR_PORT_LEN) {
		out->u.add_addr.has_port = true;
		out->u.add_addr.port = get_be16(opt + 4 + alen);
	}
	if (!echo) {
		out->u.add_addr.has_hmac = true;
		out->u.add_addr.hmac = get_be64(opt + len - ADDR_HMAC_LEN);
	}
	return 0;
}

/*
 * ADD_ADDR: v0 and v1 share the subtype, and the echo lengths of v1 are the
 * lengths of v0, so the version of the connection decides the layout. With
 * no hint, the nibble decides: the v0 IPVer (4 or 6, with a length of that
 * family) is a v1 nibble with reserved bits set, which no v1 stack sends,
 * and it cannot fit v1 anyway (E = 0 would need the HMAC lengths).
 */
static int
decode_add_addr(const uint8_t *opt, uint8_t len, int version_hint,
		struct mpn_mptcp_opt *out)
{
	if (len < ADDR_LEN_MIN)
		return malformed(out, MPN_MPTCP_BAD_TOO_SHORT);
	if (version_hint == 0)
		return decode_add_addr_v0(opt, len, out);
	if (version_hint == 1)
		return decode_add_addr_v1(opt, len, out);
	if (addaddr_looks_v0(opt[2] & 0x0f, len))
		return decode_add_addr_v0(opt, len, out);
	return decode_add_addr_v1(opt, len, out);
}

/* REMOVE_ADDR, RFC 8684 §3.4.2: a list of one or more address ids. */
static int
decode_remove_addr(const uint8_t *opt, uint8_t len, struct mpn_mptcp_opt *out)
{
	uint8_t i, n;

	if (len < RM_ADDR_LEN_MIN)
		return malformed(out, MPN_MPTCP_BAD_TOO_SHORT);
	/* The caller capped len at MPN_MPTCP_OPT_MAX_LEN: n fits ids[]. */
	n = len - 3;
	out->u.rm_addr.n = n;
	for (i = 0; i < n; i++)
		out->u.rm_addr.ids[i] = opt[3 + i];
	return 0;
}

/*
 * MP_PRIO: 3 bytes in v1 (RFC 8684 §3.3.8); v0 may add the address id
 * (RFC 6824 §3.3.8), making 4. The B flag is the low bit of byte 2.
 */
static int
decode_mp_prio(const uint8_t *opt, uint8_t len, struct mpn_mptcp_opt *out)
{
	if (len != PRIO_LEN && len != PRIO_LEN_V0_ID)
		return len < PRIO_LEN ? malformed(out, MPN_MPTCP_BAD_TOO_SHORT) :
			malformed(out, MPN_MPTCP_BAD_TOO_LONG);
	out->u.prio.backup = (opt[2] & 0x01) != 0;
	if (len == PRIO_LEN_V0_ID) {
		out->u.prio.has_addr_id = true;
		out->u.prio.addr_id = opt[3];
	}
	return 0;
}

/* MP_FAIL, RFC 8684 §3.7: two reserved bytes, then the 64-bit DSN. */
static int
decode_mp_fail(const uint8_t *opt, uint8_t len, struct mpn_mptcp_opt *out)
{
	if (len != FAIL_LEN)
		return fixed_length(out, len, FAIL_LEN);
	out->u.fail.dsn = get_be64(opt + 4);
	return 0;
}

/*
 * MP_FASTCLOSE, RFC 8684 §3.5: two reserved bytes, then the key of the
 * receiver of the option.
 */
static int
decode_mp_fastclose(const uint8_t *opt, uint8_t len, struct mpn_mptcp_opt *out)
{
	if (len != FASTCLOSE_LEN)
		return fixed_length(out, len, FASTCLOSE_LEN);
	out->u.fastclose.key = get_be64(opt + 4);
	return 0;
}

/*
 * MP_TCPRST, RFC 8684 §3.6: flags U, V, W, T in the low nibble of byte 2,
 * reason in byte 3. Unassigned reasons are not malformed: the reasons are
 * an IANA registry that may grow.
 */
static int
decode_mp_tcprst(const uint8_t *opt, uint8_t len, struct mpn_mptcp_opt *out)
{
	if (len != TCPRST_LEN)
		return fixed_length(out, len, TCPRST_LEN);
	out->u.tcprst.flags = opt[2] & 0x0f;
	out->u.tcprst.reason = opt[3];
	return 0;
}

int
mpn_mptcp_decode(const uint8_t *opt, uint8_t len, uint8_t tcp_flags,
		int version_hint, struct mpn_mptcp_opt *out)
{
	if (opt == NULL || out == NULL || len < 2)
		return -EINVAL;
	if (opt[0] != MPN_MPTCP_KIND || opt[1] != len)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->len = len;
	out->malformed_why = MPN_MPTCP_OK;

	/* RFC 8684 §3: the subtype is the high nibble of byte 2. */
	if (len < 3) {
		out->subtype = MPN_MPTCP_SUBTYPE_NONE;
		return malformed(out, MPN_MPTCP_BAD_TOO_SHORT);
	}
	out->subtype = opt[2] >> 4;
	if (len > MPN_MPTCP_OPT_MAX_LEN)
		return malformed(out, MPN_MPTCP_BAD_TOO_LONG);

	switch (out->subtype) {
	case MPN_MPTCP_MP_CAPABLE:
		return decode_mp_capable(opt, len, tcp_flags, out);
	case MPN_MPTCP_MP_JOIN:
		return decode_mp_join(opt, len, tcp_flags, out);
	case MPN_MPTCP_DSS:
		return decode_dss(opt, len, out);
	case MPN_MPTCP_ADD_ADDR:
		return decode_add_addr(opt, len, version_hint, out);
	case MPN_MPTCP_REMOVE_ADDR:
		return decode_remove_addr(opt, len, out);
	case MPN_MPTCP_MP_PRIO:
		return decode_mp_prio(opt, len, out);
	case MPN_MPTCP_MP_FAIL:
		return decode_mp_fail(opt, len, out);
	case MPN_MPTCP_MP_FASTCLOSE:
		return decode_mp_fastclose(opt, len, out);
	case MPN_MPTCP_MP_TCPRST:
		return decode_mp_tcprst(opt, len, out);
	case MPN_MPTCP_PRIVATE:
		/* RFC 8684 §7.2: private use, any layout; len >= 3 holds. */
		return 0;
	default:
		/* 0x9-0xe are unassigned (RFC 8684 §7.2): unknown, not malformed. */
		return -ENOTSUP;
	}
}

const char *
mpn_mptcp_subtype_name(uint8_t subtype)
{
	switch (subtype) {
	case MPN_MPTCP_MP_CAPABLE: return "mp-capable";
	case MPN_MPTCP_MP_JOIN: return "mp-join";
	case MPN_MPTCP_DSS: return "dss";
	case MPN_MPTCP_ADD_ADDR: return "add-addr";
	case MPN_MPTCP_REMOVE_ADDR: return "remove-addr";
	case MPN_MPTCP_MP_PRIO: return "mp-prio";
	case MPN_MPTCP_MP_FAIL: return "mp-fail";
	case MPN_MPTCP_MP_FASTCLOSE: return "mp-fastclose";
	case MPN_MPTCP_MP_TCPRST: return "mp-tcprst";
	case MPN_MPTCP_PRIVATE: return "private";
	default: return "unknown";
	}
}

/* Indexed by enum mpn_mptcp_malformed. */
static const char *const malformed_names[MPN_MPTCP_BAD_MAX] = {
	[MPN_MPTCP_OK] = "ok",
	[MPN_MPTCP_BAD_TOO_SHORT] = "too-short",
	[MPN_MPTCP_BAD_TOO_LONG] = "too-long",
	[MPN_MPTCP_BAD_LENGTH] = "bad-length",
	[MPN_MPTCP_BAD_HANDSHAKE] = "wrong-handshake-step",
	[MPN_MPTCP_BAD_VERSION] = "bad-version",
	[MPN_MPTCP_BAD_DSS_LENGTH] = "dss-length-vs-flags",
	[MPN_MPTCP_BAD_ADDR_IPVER] = "add-addr-ipver",
	[MPN_MPTCP_BAD_ADDR_ECHO] = "add-addr-length-vs-echo",
};

const char *
mpn_mptcp_malformed_name(uint8_t why)
{
	if (why >= MPN_MPTCP_BAD_MAX)
		return "unknown";
	return malformed_names[why];
}

/* RFC 8684 §3.6, and its IANA registry "MPTCP MP_TCPRST Reason Codes". */
static const char *const tcprst_reasons[] = {
	"unspecified error",
	"MPTCP-specific error",
	"lack of resources",
	"administratively prohibited",
	"too much outstanding data",
	"unacceptable performance",
	"middlebox interference",
};

const char *
mpn_mptcp_tcprst_reason_name(uint8_t reason)
{
	if (reason >= sizeof(tcprst_reasons) / sizeof(tcprst_reasons[0]))
		return "unknown";
	return tcprst_reasons[reason];
}

/*
 * A bounded appender over snprintf(): it keeps counting the full length
 * when the buffer is too small, so the caller can size a second try.
 */
struct fmt {
	char *buf;
	size_t n;
	size_t off;
};

static void __attribute__((format(printf, 2, 3)))
fmt_add(struct fmt *f, const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = vsnprintf(f->off < f->n ? f->buf + f->off : NULL,
			f->off < f->n ? f->n - f->off : 0, format, ap);
	va_end(ap);
	if (r > 0)
		f->off += (size_t)r;
}

/* Set flag bits as letters, most significant first: 0x81 -> "[AH]". */
static void
fmt_flag_letters(struct fmt *f, uint8_t flags, const char *letters)
{
	char s[11];
	size_t k = 0;
	int bit;

	s[k++] = '[';
	for (bit = 7; bit >= 0; bit--)
		if (flags & (1u << bit))
			s[k++] = letters[7 - bit];
	s[k++] = ']';
	s[k] = '\0';
	if (k > 2)
		fmt_add(f, " %s", s);
}

static void
fmt_mpc(struct fmt *f, const struct mpn_mptcp_opt *o)
{
	fmt_add(f, " v%u flags 0x%02x", o->u.mpc.version, o->u.mpc.flags);
	fmt_flag_letters(f, o->u.mpc.flags, "ABCDEFGH");
	if (o->u.mpc.has_sndkey)
		fmt_add(f, " sndkey 0x%016" PRIx64, o->u.mpc.sndkey);
	if (o->u.mpc.has_rcvkey)
		fmt_add(f, " rcvkey 0x%016" PRIx64, o->u.mpc.rcvkey);
	if (o->u.mpc.has_data_len)
		fmt_add(f, " len %u", o->u.mpc.data_len);
	if (o->u.mpc.has_csum)
		fmt_add(f, " csum 0x%04x", o->u.mpc.csum);
}

static void
fmt_join(struct fmt *f, const struct mpn_mptcp_opt *o)
{
	unsigned int i;

	switch (o->u.join.form) {
	case MPN_MPTCP_JOIN_SYN:
		fmt_add(f, " syn id %u token 0x%08" PRIx32 " nonce 0x%08" PRIx32,
				o->u.join.addr_id, o->u.join.token, o->u.join.nonce);
		break;
	case MPN_MPTCP_JOIN_SYNACK:
		fmt_add(f, " syn-ack id %u hmac 0x%016" PRIx64 " nonce 0x%08" PRIx32,
				o->u.join.addr_id, o->u.join.trunc_hmac, o->u.join.nonce);
		break;
	default:
		fmt_add(f, " ack hmac 0x");
		for (i = 0; i < MPN_MPTCP_JOIN_HMAC_LEN; i++)
			fmt_add(f, "%02x", o->u.join.hmac[i]);
		return;
	}
	if (o->u.join.backup)
		fmt_add(f, " [B]");
}

static void
fmt_dss(struct fmt *f, const struct mpn_mptcp_opt *o)
{
	if (o->u.dss.has_ack)
		fmt_add(f, " ack 0x%" PRIx64, o->u.dss.data_ack);
	if (o->u.dss.has_map) {
		fmt_add(f, " seq 0x%" PRIx64 " subseq %" PRIu32 " len %u",
				o->u.dss.dsn, o->u.dss.ssn, o->u.dss.data_len);
		if (o->u.dss.data_len == 0)
			fmt_add(f, " (infinite)");
		if (o->u.dss.has_csum)
			fmt_add(f, " csum 0x%04x", o->u.dss.csum);
	}
	if (o->u.dss.data_fin)
		fmt_add(f, " [F]");
}

static void
fmt_add_addr(struct fmt *f, const struct mpn_mptcp_opt *o)
{
	char a[INET6_ADDRSTRLEN];
	int af = o->u.add_addr.family == 4 ? AF_INET : AF_INET6;

	if (inet_ntop(af, o->u.add_addr.addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	fmt_add(f, " v%u%s id %u %s", o->u.add_addr.version,
			o->u.add_addr.echo ? " echo" : "", o->u.add_addr.addr_id, a);
	if (o->u.add_addr.has_port)
		fmt_add(f, " port %u", o->u.add_addr.port);
	if (o->u.add_addr.has_hmac)
		fmt_add(f, " hmac 0x%016" PRIx64, o->u.add_addr.hmac);
}

int
mpn_mptcp_format(const struct mpn_mptcp_opt *o, char *buf, size_t n)
{
	struct fmt f = { .buf = buf, .n = n, .off = 0 };
	unsigned int i;

	if (o == NULL || buf == NULL)
		return -EINVAL;
	if (n > 0)
		buf[0] = '\0';

	if (o->subtype == MPN_MPTCP_SUBTYPE_NONE)
		fmt_add(&f, "mptcp");
	else
		fmt_add(&f, "%s", mpn_mptcp_subtype_name(o->subtype));
	if (o->malformed) {
		fmt_add(&f, " malformed (%s) len %u",
				mpn_mptcp_malformed_name(o->malformed_why), o->len);
		return (int)f.off;
	}

	switch (o->subtype) {
	case MPN_MPTCP_MP_CAPABLE:
		fmt_mpc(&f, o);
		break;
	case MPN_MPTCP_MP_JOIN:
		fmt_join(&f, o);
		break;
	case MPN_MPTCP_DSS:
		fmt_dss(&f, o);
		break;
	case MPN_MPTCP_ADD_ADDR:
		fmt_add_addr(&f, o);
		break;
	case MPN_MPTCP_REMOVE_ADDR:
		fmt_add(&f, " id ");
		for (i = 0; i < o->u.rm_addr.n && i < MPN_MPTCP_RM_ADDR_MAX; i++)
			fmt_add(&f, "%s%u", i ? "," : "", o->u.rm_addr.ids[i]);
		break;
	case MPN_MPTCP_MP_PRIO:
		fmt_add(&f, " %s", o->u.prio.backup ? "backup" : "non-backup");
		if (o->u.prio.has_addr_id)
			fmt_add(&f, " id %u", o->u.prio.addr_id);
		break;
	case MPN_MPTCP_MP_FAIL:
		fmt_add(&f, " seq 0x%016" PRIx64, o->u.fail.dsn);
		break;
	case MPN_MPTCP_MP_FASTCLOSE:
		fmt_add(&f, " key 0x%016" PRIx64, o->u.fastclose.key);
		break;
	case MPN_MPTCP_MP_TCPRST:
		fmt_add(&f, " reason %u (%s) flags 0x%x", o->u.tcprst.reason,
				mpn_mptcp_tcprst_reason_name(o->u.tcprst.reason),
				o->u.tcprst.flags);
		if (o->u.tcprst.flags & MPN_MPTCP_RST_T)
			fmt_add(&f, " [T]");
		break;
	case MPN_MPTCP_PRIVATE:
		fmt_add(&f, " len %u", o->len);
		break;
	default:
		fmt_add(&f, " subtype 0x%x len %u", o->subtype, o->len);
		break;
	}
	return (int)f.off;
}
