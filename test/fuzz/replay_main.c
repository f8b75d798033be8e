/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Corpus replayer: a main() that runs files through a harness's
 * LLVMFuzzerTestOneInput() without libFuzzer, so the corpus is a regression
 * test on any compiler (the role of libpcap's testprogs/fuzz/onefile.c).
 * Under -Db_sanitize=address,undefined it checks what the fuzzer checks,
 * minus the search for new inputs.
 *
 * Usage: fuzz_<name>_replay PATH...
 * Each PATH is a file or a directory, whose regular files are run in name
 * order (not recursively; dot files are skipped). The exit status is 0 when
 * every input ran, 1 on a read error or when no input was found at all: an
 * empty or mistyped corpus path must not pass as a green test. A failed
 * invariant aborts, as it does under libFuzzer.
 *
 * Each input is read into a buffer of exactly its size, as libFuzzer does,
 * so that AddressSanitizer sees a read one byte past the end.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run one file. Returns 0, or -1 if it cannot be read. */
static int
run_file(const char *path)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t got = 0;
	FILE *f;
	int rc = -1;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	/* malloc(0) may return NULL; a 0-byte input is still a valid input. */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (st.st_size > 0)
		got = fread(buf, 1, (size_t)st.st_size, f);
	if (got != (size_t)st.st_size) {
		fprintf(stderr, "%s: short read\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, got);
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int
skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Run every regular file of a directory. Returns the number run, or -1. */
static long
run_dir(const char *dir)
{
	struct dirent **names;
	struct stat st;
	long n = 0;
	char *path;
	int i, count;
	int failed = 0;

	count = scandir(dir, &names, skip_dot, alphasort);
	if (count < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < count; i++) {
		size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;

		path = malloc(len);
		if (path == NULL) {
			failed = 1;
		} else {
			snprintf(path, len, "%s/%s", dir, names[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) != 0)
					failed = 1;
				else
					n++;
			}
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return failed ? -1 : n;
}

int
main(int argc, char **argv)
{
	struct stat st;
	long total = 0, n;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			n = run_dir(argv[i]);
		} else {
			n = run_file(argv[i]) == 0 ? 1 : -1;
		}
		if (n < 0)
			rc = 1;
		else
			total += n;
		printf("%s: %ld inputs\n", argv[i], n < 0 ? 0 : n);
	}
	if (total == 0) {
		fprintf(stderr, "no input found\n");
		rc = 1;
	}
	printf("replayed %ld inputs\n", total);
	return rc;
}
