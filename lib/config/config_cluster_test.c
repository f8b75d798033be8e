/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `cluster` section: defaults, every setting read back, and each kind of
 * error (including the credentials file) reported with FILE:LINE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char path[64];
static char cred[64];

static const char *
write_file(char *name, size_t n, const char *text, mode_t mode)
{
	int fd;

	snprintf(name, n, "/tmp/mpn_config_cluster_test.XXXXXX");
	fd = mkstemp(name);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return name;
}

static const char *
write_conf(const char *text)
{
	return write_file(path, sizeof(path), text, 0600);
}

static void
expect_error(const char *text, int line, const char *needle)
{
	static struct mpn_config cfg;
	char err[512], prefix[128];
	const char *p = write_conf(text);

	assert_int_equal(mpn_config_load(p, &cfg, err, sizeof(err)), -1);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", p, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, needle) == NULL)
		fail_msg("expected '%s...%s', got '%s'", prefix, needle, err);
	assert_false(cfg.cluster.enabled);
	assert_int_equal(cfg.cluster.password[0], 0);
	unlink(p);
}

static void
test_absent(void **state)
{
	static struct mpn_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(mpn_config_load(write_conf("tables = { subflows = 1024; };\n"), &cfg,
		err, sizeof(err)), 0);
	assert_false(cfg.cluster.enabled);
	mpn_config_release(&cfg);
	unlink(path);
}

static void
test_defaults_tcp(void **state)
{
	static struct mpn_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(mpn_config_load(write_conf(
		"cluster = { store = \"10.255.0.1:6379\"; node = \"box-a\"; };\n"), &cfg,
		err, sizeof(err)), 0);
	assert_true(cfg.cluster.enabled);
	assert_false(cfg.cluster.is_unix);
	assert_string_equal(cfg.cluster.host, "10.255.0.1");
	assert_int_equal(cfg.cluster.port, 6379);
	assert_string_equal(cfg.cluster.node, "box-a");
	assert_string_equal(cfg.cluster.prefix, "mpn:");
	assert_int_equal(cfg.cluster.ttl, MPN_DEFAULT_CLUSTER_TTL);
	assert_int_equal(cfg.cluster.fetch_timeout, MPN_DEFAULT_CLUSTER_FETCH_TIMEOUT);
	assert_int_equal(cfg.cluster.unreachable, MPN_CLUSTER_UNREACHABLE_VERIFY);
	assert_int_equal(cfg.cluster.request_ring, MPN_DEFAULT_CLUSTER_RING);
	assert_int_equal(cfg.cluster.answer_ring, MPN_DEFAULT_CLUSTER_RING);
	assert_int_equal(cfg.cluster.password[0], 0);
	assert_int_equal(cfg.cluster.line, 1);
	mpn_config_release(&cfg);
	unlink(path);
}

static void
test_everything(void **state)
{
	static struct mpn_config cfg;
	char err[512], text[1024];

	(void)state;
	write_file(cred, sizeof(cred), "# the directory's ACL user\n\nmpnorm s3cret-pw\n", 0600);
	snprintf(text, sizeof(text),
		"\n"
		"cluster = {\n"
		"  store = \"unix:/run/redis/redis.sock\";\n"
		"  credentials = \"%s\";\n"
		"  node = \"mpnorm-b.lab_1\";\n"
		"  prefix = \"{mpn}:lab/\";\n"
		"  ttl = 600;\n"
		"  fetch-timeout = 50;\n"
		"  unreachable = \"drop\";\n"
		"  request-ring = 256;\n"
		"  answer-ring = 128;\n"
		"};\n", cred);
	assert_int_equal(mpn_config_load(write_conf(text), &cfg, err, sizeof(err)), 0);
	assert_true(cfg.cluster.is_unix);
	assert_string_equal(cfg.cluster.path, "/run/redis/redis.sock");
	assert_string_equal(cfg.cluster.user, "mpnorm");
	assert_string_equal(cfg.cluster.password, "s3cret-pw");
	assert_string_equal(cfg.cluster.node, "mpnorm-b.lab_1");
	assert_string_equal(cfg.cluster.prefix, "{mpn}:lab/");
	assert_int_equal(cfg.cluster.ttl, 600);
	assert_int_equal(cfg.cluster.fetch_timeout, 50);
	assert_int_equal(cfg.cluster.unreachable, MPN_CLUSTER_UNREACHABLE_DROP);
	assert_int_equal(cfg.cluster.request_ring, 256);
	assert_int_equal(cfg.cluster.answer_ring, 128);
	assert_int_equal(cfg.cluster.line, 2);
	mpn_config_release(&cfg);
	/* Released means the password is gone. */
	assert_int_equal(cfg.cluster.password[0], 0);
	unlink(path);

	/* A password alone: the default user. IPv6 store. */
	write_file(cred, sizeof(cred), "only-a-password\n", 0400);
	snprintf(text, sizeof(text), "cluster = { store = \"[fd00::1]:7000\"; node = \"n\"; "
		"credentials = \"%s\"; unreachable = \"allow\"; };\n", cred);
	assert_int_equal(mpn_config_load(write_conf(text), &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.cluster.host, "fd00::1");
	assert_int_equal(cfg.cluster.port, 7000);
	assert_string_equal(cfg.cluster.user, "");
	assert_string_equal(cfg.cluster.password, "only-a-password");
	assert_int_equal(cfg.cluster.unreachable, MPN_CLUSTER_UNREACHABLE_ALLOW);
	mpn_config_release(&cfg);
	unlink(path);
	unlink(cred);
}

static void
test_errors(void **state)
{
	char text[512];

	(void)state;
	expect_error("cluster = 5;\n", 1, "must be a group");
	expect_error("cluster = {\n node = \"a\";\n};\n", 1, "missing 'store'");
	expect_error("cluster = { store = \"x:1\";\n  stor = \"a\"; };\n", 2,
		"unknown setting 'stor'");
	expect_error("cluster = {\n store = \"redis\"; };\n", 2, "is not \"HOST:PORT\"");
	expect_error("cluster = {\n store = \"redis:0\"; };\n", 2, "port must be 1-65535");
	expect_error("cluster = {\n store = \"redis:65536\"; };\n", 2, "port must be 1-65535");
	expect_error("cluster = {\n store = \"redis:63x\"; };\n", 2, "port must be 1-65535");
	expect_error("cluster = {\n store = \"fd00::1:6379\"; };\n", 2, "[IPV6]:PORT");
	expect_error("cluster = {\n store = \"[fd00::1\"; };\n", 2, "[ADDRESS]:PORT");
	expect_error("cluster = {\n store = \":6379\"; };\n", 2, "host is empty");
	expect_error("cluster = { store = \"r:1\";\n ttl = 0; };\n", 2, "out of range");
	expect_error("cluster = { store = \"r:1\";\n fetch-timeout = 60001; };\n", 2,
		"out of range");
	expect_error("cluster = { store = \"r:1\";\n request-ring = 8; };\n", 2, "out of range");
	expect_error("cluster = { store = \"r:1\";\n unreachable = \"maybe\"; };\n", 2,
		"'unreachable' is \"verify\"");
	expect_error("cluster = { store = \"r:1\";\n node = \"box a\"; };\n", 2, "'node'");
	expect_error("cluster = { store = \"r:1\";\n prefix = \"mpn prefix\"; };\n", 2,
		"'prefix'");
	expect_error("cluster = { store = \"r:1\";\n credentials = \"/nonexistent/cred\"; };\n", 2,
		"cannot open it");

	/* A password file others can read is refused: it opens every key of the cluster. */
	write_file(cred, sizeof(cred), "mpnorm pw\n", 0644);
	snprintf(text, sizeof(text), "cluster = { store = \"r:1\";\n credentials = \"%s\"; };\n",
		cred);
	expect_error(text, 2, "chmod 600");
	unlink(cred);
	write_file(cred, sizeof(cred), "# nothing\n\n", 0600);
	snprintf(text, sizeof(text), "cluster = { store = \"r:1\";\n credentials = \"%s\"; };\n",
		cred);
	expect_error(text, 2, "holds no password");
	unlink(cred);
	write_file(cred, sizeof(cred), "a b c\n", 0600);
	snprintf(text, sizeof(text), "cluster = { store = \"r:1\";\n credentials = \"%s\"; };\n",
		cred);
	expect_error(text, 2, "\"USER PASSWORD\"");
	unlink(cred);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_defaults_tcp),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
