/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_PCAPIO_H
#define MPN_PCAPIO_H

/**
 * @file
 * Capture files in and out, for the offline mode, the decode tool and tests.
 *
 * The reader keeps the file's own time-stamp precision (micro or nano), and
 * the writer is opened "like" a reader so the output keeps the input's link
 * type, snap length and precision. The writer works on a temporary file
 * that only mpn_pcap_out_commit() renames into place, so a run that fails
 * half-way never leaves a half-written capture behind.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

struct mpn_pcap_in;
struct mpn_pcap_out;

/** One record as read: @p data stays valid until the next read. */
struct mpn_pcap_rec {
	int64_t ts_sec;
	int64_t ts_frac;     /**< micro- or nanoseconds, as the file stores them */
	uint32_t caplen;     /**< bytes present in the file */
	uint32_t len;        /**< bytes on the wire */
	const uint8_t *data;
};

/**
 * Open a capture (pcap, or pcapng as libpcap reads it).
 * @return the reader, or NULL with a message in @p err.
 */
struct mpn_pcap_in *
mpn_pcap_in_open(const char *path, char *err, size_t errlen);

/** The file's DLT_ link type, as pcap_datalink() gives it. */
int
mpn_pcap_in_linktype(const struct mpn_pcap_in *in);

/** The link type's libpcap name, e.g. "EN10MB". */
const char *
mpn_pcap_in_linktype_name(const struct mpn_pcap_in *in);

/**
 * The parser's framing for the capture's link type: Ethernet, Linux cooked
 * (SLL, SLL2) or raw IP. @return 0, or -1 for any other link type.
 */
int
mpn_pcap_in_l2(const struct mpn_pcap_in *in, enum mpn_l2_type *l2);

/** True when time stamps are in nanoseconds, false for microseconds. */
bool
mpn_pcap_in_nanosecond(const struct mpn_pcap_in *in);

/**
 * Read the next record.
 * @return 1 with @p rec filled, 0 at a clean end of file, or -1 with a
 *   message in @p err (a record cut off mid-way is such an error).
 */
int
mpn_pcap_in_next(struct mpn_pcap_in *in, struct mpn_pcap_rec *rec,
	char *err, size_t errlen);

void
mpn_pcap_in_close(struct mpn_pcap_in *in);

/**
 * Create @p path (through a temporary file beside it) with the link type,
 * snap length and time-stamp precision of @p like.
 */
struct mpn_pcap_out *
mpn_pcap_out_open_like(const struct mpn_pcap_in *like, const char *path,
	char *err, size_t errlen);

/**
 * Append one record. @p data holds @p caplen bytes; @p len is the wire
 * length written in the record header, unchanged from the input.
 */
int
mpn_pcap_out_write(struct mpn_pcap_out *out, int64_t ts_sec, int64_t ts_frac,
	const uint8_t *data, uint32_t caplen, uint32_t len);

/** Flush, close and rename into place. @return 0 or -1 with @p err. */
int
mpn_pcap_out_commit(struct mpn_pcap_out *out, char *err, size_t errlen);

/** Close and delete the temporary file: nothing is left behind. */
void
mpn_pcap_out_abort(struct mpn_pcap_out *out);

#endif /* MPN_PCAPIO_H */
