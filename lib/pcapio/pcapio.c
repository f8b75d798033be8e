/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "pcapio.h"

struct mpn_pcap_in {
	pcap_t *p;
	int precision; /* PCAP_TSTAMP_PRECISION_MICRO or _NANO */
};

struct mpn_pcap_out {
	pcap_t *dead;
	pcap_dumper_t *d;
	bool direct;   /* writing straight to a device or FIFO: no temp, no rename */
	char path[PATH_MAX];
	char tmp[PATH_MAX + 16];
};

/*
 * libpcap converts time stamps to the precision we ask for, so ask for the
 * file's own: read its magic. A nanosecond pcap has magic 0xa1b23c4d in
 * either byte order; everything else (micro pcap, pcapng) is read in
 * microseconds, which is what pcapng's default resolution is too.
 */
static int
file_precision(const char *path)
{
	unsigned char m[4];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return PCAP_TSTAMP_PRECISION_MICRO;
	n = fread(m, 1, sizeof(m), f);
	fclose(f);
	if (n == 4 && ((m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
			(m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1)))
		return PCAP_TSTAMP_PRECISION_NANO;
	return PCAP_TSTAMP_PRECISION_MICRO;
}

struct mpn_pcap_in *
mpn_pcap_in_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct mpn_pcap_in *in;

	in = calloc(1, sizeof(*in));
	if (in == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	in->precision = file_precision(path);
	in->p = pcap_open_offline_with_tstamp_precision(path, in->precision, perr);
	if (in->p == NULL) {
		snprintf(err, errlen, "%s: cannot read capture: %s", path, perr);
		free(in);
		return NULL;
	}
	return in;
}

int
mpn_pcap_in_linktype(const struct mpn_pcap_in *in)
{
	return pcap_datalink(in->p);
}

const char *
mpn_pcap_in_linktype_name(const struct mpn_pcap_in *in)
{
	const char *n = pcap_datalink_val_to_name(pcap_datalink(in->p));

	return n != NULL ? n : "unknown";
}

int
mpn_pcap_in_l2(const struct mpn_pcap_in *in, enum mpn_l2_type *l2)
{
	switch (pcap_datalink(in->p)) {
	case DLT_EN10MB:
		*l2 = MPN_L2_ETHER;
		return 0;
	case DLT_LINUX_SLL:
		*l2 = MPN_L2_SLL;
		return 0;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		*l2 = MPN_L2_SLL2;
		return 0;
#endif
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		*l2 = MPN_L2_RAW;
		return 0;
	default:
		return -1;
	}
}

bool
mpn_pcap_in_nanosecond(const struct mpn_pcap_in *in)
{
	return in->precision == PCAP_TSTAMP_PRECISION_NANO;
}

int
mpn_pcap_in_next(struct mpn_pcap_in *in, struct mpn_pcap_rec *rec,
	char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	rc = pcap_next_ex(in->p, &h, &data);
	if (rc == 1) {
		rec->ts_sec = h->ts.tv_sec;
		rec->ts_frac = h->ts.tv_usec;
		rec->caplen = h->caplen;
		rec->len = h->len;
		rec->data = data;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	/* libpcap reports a record cut off mid-way as "truncated dump file". */
	snprintf(err, errlen, "%s", pcap_geterr(in->p));
	return -1;
}

void
mpn_pcap_in_close(struct mpn_pcap_in *in)
{
	if (in == NULL)
		return;
	pcap_close(in->p);
	free(in);
}

struct mpn_pcap_out *
mpn_pcap_out_open_like(const struct mpn_pcap_in *like, const char *path,
	char *err, size_t errlen)
{
	struct mpn_pcap_out *out;
	int fd;

	out = calloc(1, sizeof(*out));
	if (out == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (snprintf(out->path, sizeof(out->path), "%s", path) >= (int)sizeof(out->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		free(out);
		return NULL;
	}
	/*
	 * The temp-then-rename dance protects a regular file from a half-written
	 * capture. Anything else that exists at the path (/dev/null, a FIFO)
	 * is written to as it is: renaming over it, or unlinking it on error,
	 * would replace a device node for the whole machine.
	 */
	{
		struct stat st;

		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			out->direct = true;
			snprintf(out->tmp, sizeof(out->tmp), "%s", path);
			goto open_dumper;
		}
	}
	snprintf(out->tmp, sizeof(out->tmp), "%s.XXXXXX", path);
	fd = mkstemp(out->tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create output: %s", path, strerror(errno));
		free(out);
		return NULL;
	}
	/* mkstemp() makes the file 0600; give it the mode a plain create would. */
	{
		mode_t um = umask(0);

		umask(um);
		if (fchmod(fd, 0666 & ~um) != 0) {
			/* Not fatal: the capture is still written, only less readable. */
		}
	}
	close(fd);
open_dumper:
	out->dead = pcap_open_dead_with_tstamp_precision(pcap_datalink(like->p),
		pcap_snapshot(like->p), like->precision);
	if (out->dead == NULL) {
		snprintf(err, errlen, "%s: libpcap cannot open a writer", path);
		goto fail;
	}
	out->d = pcap_dump_open(out->dead, out->tmp);
	if (out->d == NULL) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(out->dead));
		goto fail;
	}
	return out;
fail:
	if (out->dead != NULL)
		pcap_close(out->dead);
	if (!out->direct)
		unlink(out->tmp);
	free(out);
	return NULL;
}

int
mpn_pcap_out_write(struct mpn_pcap_out *out, int64_t ts_sec, int64_t ts_frac,
	const uint8_t *data, uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h;

	h.ts.tv_sec = ts_sec;
	h.ts.tv_usec = ts_frac;
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)out->d, &h, data);
	return 0;
}

int
mpn_pcap_out_commit(struct mpn_pcap_out *out, char *err, size_t errlen)
{
	int rc = 0;

	if (pcap_dump_flush(out->d) != 0) {
		snprintf(err, errlen, "%s: write failed: %s", out->path, strerror(errno));
		rc = -1;
	}
	pcap_dump_close(out->d);
	pcap_close(out->dead);
	if (rc == 0 && !out->direct && rename(out->tmp, out->path) != 0) {
		snprintf(err, errlen, "%s: cannot rename output into place: %s",
			out->path, strerror(errno));
		rc = -1;
	}
	if (rc != 0 && !out->direct)
		unlink(out->tmp);
	free(out);
	return rc;
}

void
mpn_pcap_out_abort(struct mpn_pcap_out *out)
{
	if (out == NULL)
		return;
	pcap_dump_close(out->d);
	pcap_close(out->dead);
	if (!out->direct)
		unlink(out->tmp);
	free(out);
}
