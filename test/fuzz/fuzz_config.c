/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the configuration loader (lib/config): any text
 * goes through mpn_config_load(), the function the daemon, the offline
 * mode and `reload` call, libconfig's parser included.
 *
 * Invariants (each failure abort()s; LeakSanitizer reports any leak):
 *  - a rejected file gets one clean message: "FILE: reason" or
 *    "FILE:LINE: reason", FILE being the path given, LINE a line of the
 *    file (1 to its line count + 1), and the configuration left zeroed;
 *  - an accepted file round-trips: mpn_config_write() writes it out, the
 *    loader reads that back without error, and mpn_config_same() holds
 *    (what `show running-config` promises).
 *
 * libconfig's @include directive reads other files, which a fuzzer must not
 * be let loose on (/dev/zero never ends): inputs that contain "@include"
 * in any case are skipped (not the word alone: the shipped file has it).
 *
 * The input is written to a private temporary file per run (the loader
 * takes a path). Build and run: see README.md. The same file, linked
 * with replay_main.c, is the 'fuzz_replay_config' test.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], in_path[96], out_path[96];

static void
cleanup(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(dir);
}

static void
init(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzzcfg.XXXXXX", tmp != NULL && strlen(tmp) < 40 ?
		tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	snprintf(in_path, sizeof(in_path), "%s/in.conf", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.conf", dir);
	atexit(cleanup);
}

static bool
has_include(const uint8_t *d, size_t n)
{
	static const char w[] = "@include";
	size_t i, k;

	for (i = 0; i + sizeof(w) - 1 <= n; i++) {
		for (k = 0; k < sizeof(w) - 1 && tolower(d[i + k]) == w[k]; k++)
			;
		if (k == sizeof(w) - 1)
			return true;
	}
	return false;
}

/* "FILE: reason" or "FILE:LINE: reason", LINE within the file. */
static void
check_error(const char *err, const uint8_t *d, size_t n)
{
	size_t plen = strlen(in_path), i;
	unsigned long line = 0, lines = 1;
	const char *p;
	char *end;

	for (i = 0; i < n; i++)
		if (d[i] == '\n')
			lines++;
	if (strncmp(err, in_path, plen) != 0 || err[plen] != ':') {
		fprintf(stderr, "not a FILE:LINE error: %s\n", err);
		abort();
	}
	p = err + plen + 1;
	if (*p == ' ') {
		FUZZ_CHECK(p[1] != '\0');
		return;
	}
	FUZZ_CHECK(isdigit((unsigned char)*p));
	line = strtoul(p, &end, 10);
	if (*end != ':' || end[1] != ' ' || end[2] == '\0' || line < 1 || line > lines) {
		fprintf(stderr, "bad line in error (file has %lu lines): %s\n", lines, err);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mpn_config zero;
	static struct mpn_config cfg, back;
	char err[1024], err2[1024];
	FILE *f;

	if (dir[0] == '\0')
		init();
	if (has_include(data, size))
		return 0;
	f = fopen(in_path, "wb");
	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
	FUZZ_CHECK(fclose(f) == 0);

	err[0] = '\0';
	if (mpn_config_load(in_path, &cfg, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		check_error(err, data, size);
		FUZZ_CHECK(memcmp(&cfg, &zero, sizeof(cfg)) == 0);
		return 0;
	}
	FUZZ_CHECK(cfg.policy != NULL);
	/* What `show running-config` prints must load back to the same settings. */
	f = fopen(out_path, "w");
	FUZZ_CHECK(f != NULL);
	if (mpn_config_write(&cfg, NULL, f, err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot write an accepted configuration: %s\n", err);
		abort();
	}
	FUZZ_CHECK(fclose(f) == 0);
	if (mpn_config_load(out_path, &back, err2, sizeof(err2)) != 0) {
		fprintf(stderr, "the written configuration does not load: %s\n", err2);
		abort();
	}
	if (!mpn_config_same(&cfg, &back)) {
		fprintf(stderr, "the written configuration loads to other settings\n");
		abort();
	}
	mpn_config_release(&back);
	mpn_config_release(&cfg);
	return 0;
}
