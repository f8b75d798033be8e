/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP option walker and in-place rewriting. The models are OpenBSD's
 * pf_normalize_tcpopt() (a short loop over the option bytes, bounded by
 * the data offset) and Linux's xt_TCPOPTSTRIP (NOP-fill with an
 * incremental checksum, minding which byte of a 16-bit word changes).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cksum.h"
#include "pkt.h"
#include "tcpopt.h"

static void
list_reset(struct mpn_tcpopt_list *l)
{
	l->n = 0;
	l->n_mptcp = 0;
	l->eol_off = 0;
	l->bad_off = 0;
	l->idx_mss = MPN_TCPOPT_NONE;
	l->idx_wscale = MPN_TCPOPT_NONE;
	l->idx_sackok = MPN_TCPOPT_NONE;
	l->idx_ts = MPN_TCPOPT_NONE;
	l->anomalies = 0;
	l->kinds = 0;
}

static inline void
flag(struct mpn_tcpopt_list *l, enum mpn_tcpopt_anomaly a)
{
	l->anomalies |= 1u << a;
}

/*
 * Remember the first option of a kind that may appear once; flag the
 * others. RFC 9293 §3.2 (MSS), RFC 7323 §2.2 and §3.2 (window scale,
 * timestamps) and RFC 2018 §2 (SACK permitted) each describe a single
 * option. Linux keeps the last copy and other stacks the first, so a
 * duplicate can show a middlebox one value and the receiver another.
 */
static void
note_once(struct mpn_tcpopt_list *l, uint8_t *idx, enum mpn_tcpopt_anomaly dup,
	uint8_t i)
{
	if (*idx == MPN_TCPOPT_NONE)
		*idx = i;
	else
		flag(l, dup);
}

/* Check the length of an option whose length is fixed by its RFC. */
static void
check_known(struct mpn_tcpopt_list *l, uint8_t kind, uint8_t len, uint8_t i)
{
	bool ok = true;

	switch (kind) {
	case MPN_TCPOPT_KIND_MSS:
		ok = len == MPN_TCPOPT_LEN_MSS;
		note_once(l, &l->idx_mss, MPN_TCPOPT_DUP_MSS, i);
		break;
	case MPN_TCPOPT_KIND_WSCALE:
		ok = len == MPN_TCPOPT_LEN_WSCALE;
		note_once(l, &l->idx_wscale, MPN_TCPOPT_DUP_WSCALE, i);
		break;
	case MPN_TCPOPT_KIND_SACKOK:
		ok = len == MPN_TCPOPT_LEN_SACKOK;
		note_once(l, &l->idx_sackok, MPN_TCPOPT_DUP_SACKOK, i);
		break;
	case MPN_TCPOPT_KIND_TS:
		ok = len == MPN_TCPOPT_LEN_TS;
		note_once(l, &l->idx_ts, MPN_TCPOPT_DUP_TS, i);
		break;
	case MPN_TCPOPT_KIND_SACK:
		/* RFC 2018 §3: 2 bytes plus 8 per block, at least one block. */
		ok = len >= 10 && (len - 2) % 8 == 0;
		break;
	case MPN_TCPOPT_KIND_MD5:
		ok = len == MPN_TCPOPT_LEN_MD5;
		break;
	case MPN_TCPOPT_KIND_MPTCP:
		/*
		 * RFC 8684 §3: one segment may carry several MPTCP options (DSS
		 * with ADD_ADDR is common). Each one must be judged: looking at
		 * the first only lets the next one through unseen. Their
		 * per-subtype lengths are the MPTCP decoder's business.
		 */
		l->idx_mptcp[l->n_mptcp] = i;
		if (++l->n_mptcp > 1)
			flag(l, MPN_TCPOPT_MULTI_MPTCP);
		break;
	default:
		break;
	}
	if (!ok)
		flag(l, MPN_TCPOPT_BAD_FIXED_LEN);
}

static inline void
add(struct mpn_tcpopt_list *l, uint8_t kind, uint8_t len, unsigned int off)
{
	struct mpn_tcpopt *o = &l->opt[l->n++];

	l->kinds |= 1ull << (kind < 63 ? kind : 63);
	o->kind = kind;
	o->len = len;
	o->off = (uint8_t)off;
}

int
mpn_tcpopt_walk(const uint8_t *tcp_hdr, uint16_t tcp_hdr_len, struct mpn_tcpopt_list *out)
{
	unsigned int off, i;
	uint8_t kind, len;

	if (out == NULL)
		return -EINVAL;
	list_reset(out);
	if (tcp_hdr == NULL || tcp_hdr_len < MPN_TCP_HDR_MIN || tcp_hdr_len > MPN_TCP_HDR_MAX ||
			(tcp_hdr_len & 3) != 0)
		return -EINVAL;

	/*
	 * Every step consumes at least one byte of at most 40, so the walk
	 * ends by itself; the bound on n is the hard guarantee that opt[]
	 * is never overrun.
	 */
	off = MPN_TCP_HDR_MIN;
	while (off < tcp_hdr_len && out->n < MPN_TCPOPT_MAX) {
		kind = tcp_hdr[off];

		if (kind == MPN_TCPOPT_KIND_EOL) {
			/*
			 * RFC 9293 §3.2: EOL ends the list, and what follows up to
			 * the data offset is padding that "must be zero". Receivers
			 * stop here (Linux's tcp_parse_options() returns), so
			 * hidden bytes are not options for anyone who matters; but
			 * a middlebox that kept walking would see them, so non-zero
			 * padding is flagged and the caller zeroes it. The list
			 * itself stays usable.
			 */
			add(out, kind, 1, off);
			out->eol_off = (uint8_t)off;
			for (i = off + 1; i < tcp_hdr_len; i++) {
				if (tcp_hdr[i] != 0) {
					flag(out, MPN_TCPOPT_EOL_TRAILING_DATA);
					break;
				}
			}
			return 0;
		}
		if (kind == MPN_TCPOPT_KIND_NOP) {
			add(out, kind, 1, off);
			off++;
			continue;
		}
		/* Every other kind has a length byte (RFC 9293 §3.2). */
		if (off + 1 >= tcp_hdr_len) {
			flag(out, MPN_TCPOPT_OVERRUN);
			out->bad_off = (uint8_t)off;
			return -EBADMSG;
		}
		len = tcp_hdr[off + 1];
		/*
		 * A length below 2 cannot cover its own kind and length bytes.
		 * Stacks disagree on what follows (Linux stops parsing, the
		 * xt_TCPOPTSTRIP loop steps one byte and resynchronizes
		 * elsewhere), so no reading of the rest is safe: stop, and let
		 * the caller drop it as tcp-bad-option-list.
		 */
		if (len < 2) {
			flag(out, MPN_TCPOPT_BAD_LEN);
			out->bad_off = (uint8_t)off;
			return -EBADMSG;
		}
		/*
		 * An option that runs past the data offset would take payload
		 * bytes as option bytes. Linux ignores the option, others read
		 * on: again no reading is safe, so stop.
		 */
		if (len > tcp_hdr_len - off) {
			flag(out, MPN_TCPOPT_OVERRUN);
			out->bad_off = (uint8_t)off;
			return -EBADMSG;
		}
		add(out, kind, len, off);
		check_known(out, kind, len, (uint8_t)(out->n - 1));
		off += len;
	}
	return 0;
}

uint8_t
mpn_tcpopt_find(const struct mpn_tcpopt_list *l, uint8_t kind, uint8_t from)
{
	unsigned int i;

	if (l == NULL)
		return MPN_TCPOPT_NONE;
	for (i = from; i < l->n && i < MPN_TCPOPT_MAX; i++)
		if (l->opt[i].kind == kind)
			return (uint8_t)i;
	return MPN_TCPOPT_NONE;
}

const char *
mpn_tcpopt_anomaly_name(enum mpn_tcpopt_anomaly a)
{
	static const char *const names[] = {
#define MPN_TCPOPT_ANOMALY_NAME(sym, name, desc) [MPN_TCPOPT_##sym] = name,
		MPN_TCPOPT_ANOMALY_LIST(MPN_TCPOPT_ANOMALY_NAME)
#undef MPN_TCPOPT_ANOMALY_NAME
	};

	if ((unsigned int)a >= MPN_TCPOPT_ANOMALY_MAX)
		return "unknown";
	return names[a];
}

const char *
mpn_tcpopt_anomaly_desc(enum mpn_tcpopt_anomaly a)
{
	static const char *const descs[] = {
#define MPN_TCPOPT_ANOMALY_DESC(sym, name, desc) [MPN_TCPOPT_##sym] = desc,
		MPN_TCPOPT_ANOMALY_LIST(MPN_TCPOPT_ANOMALY_DESC)
#undef MPN_TCPOPT_ANOMALY_DESC
	};

	if ((unsigned int)a >= MPN_TCPOPT_ANOMALY_MAX)
		return "unknown";
	return descs[a];
}

int
mpn_tcp_rewrite_bytes(uint8_t *tcp_hdr, uint16_t off, const uint8_t *newbytes, uint16_t len)
{
	uint8_t old[MPN_TCP_HDR_MAX], nb[MPN_TCP_HDR_MAX];
	uint8_t *ck;
	uint16_t c;

	if (tcp_hdr == NULL || newbytes == NULL)
		return -EINVAL;
	if (off > MPN_TCP_HDR_MAX || len > MPN_TCP_HDR_MAX - off)
		return -EINVAL;
	/* Patching the checksum with itself as data has no meaning. */
	if (off < MPN_TCP_CKSUM_OFF + 2 && off + len > MPN_TCP_CKSUM_OFF)
		return -EINVAL;
	if (len == 0)
		return 0;

	/* Copy first, so that newbytes may point into the header. */
	memcpy(nb, newbytes, len);
	memcpy(old, tcp_hdr + off, len);
	if (memcmp(old, nb, len) == 0)
		return 0;
	memcpy(tcp_hdr + off, nb, len);

	/*
	 * The checksum words are aligned to the start of the TCP header (the
	 * pseudo-header before it is 12 or 40 bytes), so a range that starts
	 * at an odd offset starts with the low byte of a word.
	 */
	ck = tcp_hdr + MPN_TCP_CKSUM_OFF;
	c = (uint16_t)((uint16_t)ck[0] << 8 | ck[1]);
	c = mpn_cksum_update(c, old, nb, len, (off & 1) != 0);
	ck[0] = (uint8_t)(c >> 8);
	ck[1] = (uint8_t)c;
	return 0;
}

int
mpn_tcpopt_nop_fill(uint8_t *tcp_hdr, uint8_t off, uint8_t len)
{
	uint8_t nops[MPN_TCPOPT_MAX];

	if (off < MPN_TCP_HDR_MIN || len > MPN_TCPOPT_MAX ||
			off + len > MPN_TCP_HDR_MAX)
		return -EINVAL;
	memset(nops, MPN_TCPOPT_KIND_NOP, len);
	return mpn_tcp_rewrite_bytes(tcp_hdr, off, nops, len);
}
