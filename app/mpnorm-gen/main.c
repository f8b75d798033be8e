/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpnorm-gen: write the synthetic MPTCP traffic of lib/gen as an Ethernet
 * pcap, for pktgen, the offline mode and the tests.
 *
 *   mpnorm-gen [--seed N] [--connections N] [--subflows N] [--data N]
 *              [--payload N] [--version 0|1] [--ipv6 PCT] [--plain PCT]
 *              [--rewrite PCT] [--tokens] -o FILE.pcap
 *
 * --tokens prints one line per MPTCP connection on stdout, in the form
 * mpnorm's JSON uses: token_a token_b key_a key_b version subflows.
 * A one-line summary goes to stderr. Bad arguments exit 2, a failed build
 * or write exits 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "gen.h"

#define PROG "mpnorm-gen"
/* Capture time of the first packet; the others follow 1 us apart. */
#define TS_BASE 1700000000

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTIONS] -o FILE.pcap\n"
		"       " PROG " [OPTIONS] --tokens [-o FILE.pcap]\n"
		"Write synthetic MPTCP traffic (Ethernet, IPv4/IPv6, valid checksums) as a pcap.\n"
		"\n"
		"  --seed N          PRNG seed (default 1); the same options give the same bytes\n"
		"  --connections N   connections, MPTCP and plain (default 1024)\n"
		"  --subflows N      subflows per MPTCP connection, 1..8 (default 2)\n"
		"  --data N          data-phase segments per subflow (default 8)\n"
		"  --payload N       payload bytes of a client data segment, 0..1200 (default 64)\n"
		"  --version 0|1     MPTCP version (default 1)\n"
		"  --ipv6 PCT        share of connections over IPv6 (default 25)\n"
		"  --plain PCT       share of plain TCP connections (default 10)\n"
		"  --rewrite PCT     share of data segments with an option the ASA default\n"
		"                    tcp-map clears (kind 254) (default 0)\n"
		"  -o, --output FILE the pcap to write ('-' for stdout)\n"
		"  --tokens          print one line per MPTCP connection on stdout:\n"
		"                    token_a token_b key_a key_b version subflows (hex)\n"
		"  -h, --help        this help\n");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_arg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	exit(2);
}

/* A decimal number in [min, max], or exit 2. */
static uint64_t
number(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		bad_arg("--%s: '%s' is not a number", opt, s);
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		bad_arg("--%s: '%s' is not a number", opt, s);
	if (errno == ERANGE || v < min || v > max)
		bad_arg("--%s: %s is out of range (%" PRIu64 "..%" PRIu64 ")", opt, s, min, max);
	return v;
}

enum {
	OPT_SEED = 256,
	OPT_CONNECTIONS,
	OPT_SUBFLOWS,
	OPT_DATA,
	OPT_PAYLOAD,
	OPT_VERSION,
	OPT_IPV6,
	OPT_PLAIN,
	OPT_REWRITE,
	OPT_TOKENS,
};

static int
write_pcap(const struct mpn_gen *g, const char *path)
{
	struct stat st;
	pcap_t *pd;
	pcap_dumper_t *d;
	uint64_t i;
	int rc = 0;

	pd = pcap_open_dead(DLT_EN10MB, 65535);
	if (pd == NULL) {
		fprintf(stderr, PROG ": pcap_open_dead failed\n");
		return -1;
	}
	d = pcap_dump_open(pd, path);
	if (d == NULL) {
		fprintf(stderr, PROG ": %s\n", pcap_geterr(pd));
		pcap_close(pd);
		return -1;
	}
	for (i = 0; i < g->n; i++) {
		struct pcap_pkthdr h;

		h.ts.tv_sec = (time_t)(TS_BASE + i / 1000000);
		h.ts.tv_usec = (suseconds_t)(i % 1000000);
		h.caplen = h.len = g->pkt[i].len;
		pcap_dump((u_char *)d, &h, g->pkt[i].data);
	}
	if (pcap_dump_flush(d) != 0 || ferror(pcap_dump_file(d))) {
		fprintf(stderr, PROG ": %s: write failed: %s\n", path, strerror(errno));
		rc = -1;
	}
	pcap_dump_close(d);
	pcap_close(pd);
	/* No partial capture left behind; but never remove anything but a regular file. */
	if (rc != 0 && strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "connections", required_argument, NULL, OPT_CONNECTIONS },
		{ "subflows", required_argument, NULL, OPT_SUBFLOWS },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "payload", required_argument, NULL, OPT_PAYLOAD },
		{ "version", required_argument, NULL, OPT_VERSION },
		{ "ipv6", required_argument, NULL, OPT_IPV6 },
		{ "plain", required_argument, NULL, OPT_PLAIN },
		{ "rewrite", required_argument, NULL, OPT_REWRITE },
		{ "output", required_argument, NULL, 'o' },
		{ "tokens", no_argument, NULL, OPT_TOKENS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mpn_gen_params p;
	struct mpn_gen g;
	const char *out = NULL;
	bool tokens = false;
	char err[256];
	uint32_t i, n_mptcp = 0, n_v6 = 0;
	int c, rc = 0;

	mpn_gen_params_default(&p);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SEED:
			p.seed = number("seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_CONNECTIONS:
			p.connections = (uint32_t)number("connections", optarg, 1, UINT32_MAX);
			break;
		case OPT_SUBFLOWS:
			p.subflows = (uint32_t)number("subflows", optarg, 1, 8);
			break;
		case OPT_DATA:
			p.data_per_subflow = (uint32_t)number("data", optarg, 0, UINT32_MAX);
			break;
		case OPT_PAYLOAD:
			p.payload = (uint32_t)number("payload", optarg, 0, 1200);
			break;
		case OPT_VERSION:
			p.version = (uint8_t)number("version", optarg, 0, 1);
			break;
		case OPT_IPV6:
			p.ipv6_percent = (uint8_t)number("ipv6", optarg, 0, 100);
			break;
		case OPT_PLAIN:
			p.plain_tcp_percent = (uint8_t)number("plain", optarg, 0, 100);
			break;
		case OPT_REWRITE:
			p.rewrite_percent = (uint8_t)number("rewrite", optarg, 0, 100);
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_TOKENS:
			tokens = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			bad_arg("%s needs an argument", argv[optind - 1]);
		default:
			bad_arg("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_arg("unexpected argument '%s'", argv[optind]);
	if (out == NULL && !tokens)
		bad_arg("no output: give -o FILE.pcap, or --tokens");
	if (out != NULL && tokens && strcmp(out, "-") == 0)
		bad_arg("--tokens and -o - both write to stdout");
	/* A sanity bound (2^40 packets), before any memory is asked for. */
	if (p.data_per_subflow > 0 &&
			p.data_per_subflow > (1ULL << 40) / ((uint64_t)p.connections * p.subflows))
		bad_arg("--data: %u segments per subflow is too many for %u connections",
			p.data_per_subflow, p.connections);

	if (mpn_gen_build(&p, &g, err, sizeof(err)) != 0) {
		int e = errno;

		fprintf(stderr, PROG ": %s\n", err);
		return e == EINVAL ? 2 : 1;
	}
	for (i = 0; i < g.n_conn; i++) {
		const struct mpn_gen_conn *cn = &g.conn[i];

		n_v6 += cn->ipv6;
		if (!cn->mptcp)
			continue;
		n_mptcp++;
		if (tokens)
			printf("0x%08" PRIx32 " 0x%08" PRIx32 " 0x%016" PRIx64 " 0x%016" PRIx64
				" %x %x\n", cn->token_a, cn->token_b, cn->key_a, cn->key_b,
				cn->version, cn->subflows);
	}
	if (tokens && (fflush(stdout) != 0 || ferror(stdout))) {
		fprintf(stderr, PROG ": writing the tokens failed: %s\n", strerror(errno));
		rc = 1;
	}
	if (rc == 0 && out != NULL && write_pcap(&g, out) != 0)
		rc = 1;
	if (rc == 0)
		fprintf(stderr, PROG ": %u connections (%u MPTCP v%u, %u IPv6), %" PRIu64
			" subflows, %" PRIu64 " joins, %" PRIu64 " packets (%" PRIu64
			" setup), %" PRIu64 " rewrites, %" PRIu64 " bytes\n",
			g.n_conn, n_mptcp, p.version, n_v6, g.subflows, g.joins, g.n,
			g.n_setup, g.rewrites, g.bytes);
	mpn_gen_free(&g);
	return rc;
}
