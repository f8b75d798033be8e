/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapdiff: compare two captures packet by packet, ignoring time stamps.
 *
 *   pcapdiff [-q] A.pcap B.pcap
 *
 * Prints every record that differs (length, or the byte ranges that changed)
 * and exits 0 when the packet bytes are identical, 1 when they differ,
 * 2 on a read error. Tests use it to assert "only these bytes changed".
 */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

int
main(int argc, char **argv)
{
	char ea[PCAP_ERRBUF_SIZE], eb[PCAP_ERRBUF_SIZE];
	pcap_t *a, *b;
	unsigned long rec = 0, differing = 0;
	int quiet = 0, argi = 1;

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		quiet = 1;
		argi++;
	}
	if (argc - argi != 2) {
		fprintf(stderr, "usage: pcapdiff [-q] A.pcap B.pcap\n");
		return 2;
	}
	a = pcap_open_offline(argv[argi], ea);
	b = pcap_open_offline(argv[argi + 1], eb);
	if (a == NULL || b == NULL) {
		fprintf(stderr, "pcapdiff: %s\n", a == NULL ? ea : eb);
		return 2;
	}
	for (;;) {
		struct pcap_pkthdr *ha, *hb;
		const u_char *da, *db;
		int ra = pcap_next_ex(a, &ha, &da);
		int rb = pcap_next_ex(b, &hb, &db);
		uint32_t i, n;
		int in_run = 0;

		if (ra == PCAP_ERROR_BREAK && rb == PCAP_ERROR_BREAK)
			break;
		rec++;
		if (ra != 1 || rb != 1) {
			if (ra == PCAP_ERROR || rb == PCAP_ERROR) {
				fprintf(stderr, "pcapdiff: %s\n",
					pcap_geterr(ra == PCAP_ERROR ? a : b));
				return 2;
			}
			printf("record %lu: only in %s\n", rec, ra == 1 ? argv[argi] : argv[argi + 1]);
			differing++;
			continue;
		}
		if (ha->caplen != hb->caplen || ha->len != hb->len) {
			printf("record %lu: length %u/%u vs %u/%u\n", rec, ha->caplen, ha->len,
				hb->caplen, hb->len);
			differing++;
			continue;
		}
		n = ha->caplen;
		if (memcmp(da, db, n) == 0)
			continue;
		differing++;
		if (quiet)
			continue;
		printf("record %lu: bytes", rec);
		for (i = 0; i <= n; i++) {
			int diff = i < n && da[i] != db[i];

			if (diff && !in_run) {
				printf(" %u", i);
				in_run = 1;
			} else if (!diff && in_run) {
				printf("-%u", i - 1);
				in_run = 0;
			}
		}
		printf("\n");
	}
	pcap_close(a);
	pcap_close(b);
	printf("%lu records, %lu differ\n", rec, differing);
	return differing == 0 ? 0 : 1;
}
