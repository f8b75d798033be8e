/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config loader tests: a valid file gives the values written, and each kind
 * of error names the file and the offending line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char path[64];

/* Write @p text to a fresh temporary file and remember its path. */
static const char *
write_conf(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/mpn_config_test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Load @p text, expect failure, and check the message names file:line. */
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
	/* Rejected means rejected: nothing half-loaded is left behind. */
	assert_int_equal(cfg.n_ports, 0);
	assert_int_equal(cfg.dataplane.workers, 0);
	unlink(p);
}

static void
test_valid(void **state)
{
	static struct mpn_config cfg;
	char err[512];
	const char *p;

	(void)state;
	p = write_conf(
		"dataplane = { workers = 2; burst = 64; rx_desc = 512; mbufs = 8192; };\n"
		"ports = (\n"
		"  { name = \"net_af_packet0\"; devargs = \"iface=veth0\"; },\n"
		"  { name = \"net_af_packet1\"; devargs = \"iface=veth1\"; tx_desc = 256; },\n"
		"  { name = \"0000:03:00.0\"; }\n"
		");\n"
		"links = (\n"
		"  { name = \"wire\"; inside = \"net_af_packet0\"; outside = \"net_af_packet1\"; },\n"
		"  { name = \"stick\"; port = \"0000:03:00.0\"; }\n"
		");\n");
	assert_int_equal(mpn_config_load(p, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.dataplane.workers, 2);
	assert_int_equal(cfg.dataplane.burst, 64);
	assert_int_equal(cfg.dataplane.rx_desc, 512);
	assert_int_equal(cfg.dataplane.tx_desc, MPN_DEFAULT_TX_DESC);
	assert_int_equal(cfg.dataplane.mbufs, 8192);
	assert_int_equal(cfg.n_ports, 3);
	assert_string_equal(cfg.ports[1].devargs, "iface=veth1");
	assert_int_equal(cfg.ports[1].rx_desc, 512);
	assert_int_equal(cfg.ports[1].tx_desc, 256);
	assert_int_equal(cfg.ports[2].line, 5);
	assert_int_equal(cfg.n_links, 2);
	assert_int_equal(cfg.links[0].inside, 0);
	assert_int_equal(cfg.links[0].outside, 1);
	assert_false(cfg.links[0].one_armed);
	assert_true(cfg.links[1].one_armed);
	assert_int_equal(cfg.links[1].inside, 2);
	assert_int_equal(cfg.links[1].outside, 2);
	assert_int_equal(mpn_config_port_index(&cfg, "net_af_packet1"), 1);
	assert_int_equal(mpn_config_port_index(&cfg, "nope"), -1);
	unlink(p);
}

static void
test_defaults(void **state)
{
	static struct mpn_config cfg;
	char err[512];
	const char *p = write_conf("# nothing set\n");

	(void)state;
	assert_int_equal(mpn_config_load(p, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.dataplane.workers, MPN_DEFAULT_WORKERS);
	assert_int_equal(cfg.dataplane.burst, MPN_DEFAULT_BURST);
	assert_int_equal(cfg.dataplane.mbufs, MPN_DEFAULT_MBUFS);
	assert_int_equal(cfg.n_ports, 0);
	unlink(p);
}

static void
test_syntax_error(void **state)
{
	(void)state;
	expect_error("dataplane = { workers = 1; };\n\nports = ( { name = \"x\" } \n", 4,
		"syntax error");
}

static void
test_unknown_top_level(void **state)
{
	(void)state;
	expect_error("dataplane = { workers = 1; };\nworkerz = 3;\n", 2,
		"unknown setting 'workerz'");
}

static void
test_unknown_knob(void **state)
{
	(void)state;
	expect_error("dataplane = {\n  workers = 1;\n  brust = 32;\n};\n", 3,
		"unknown setting 'brust' in dataplane");
}

static void
test_zero_workers(void **state)
{
	(void)state;
	expect_error("dataplane = {\n  workers = 0;\n};\n", 2, "at least 1");
}

static void
test_out_of_range(void **state)
{
	(void)state;
	expect_error("dataplane = {\n\n  burst = 100000;\n};\n", 3, "out of range");
	expect_error("dataplane = { rx_desc = \"many\"; };\n", 1, "must be an integer");
}

static void
test_link_unknown_port(void **state)
{
	(void)state;
	expect_error("ports = ( { name = \"a\"; }, { name = \"b\"; } );\n"
		"links = (\n"
		"  { name = \"l\"; inside = \"a\";\n"
		"    outside = \"c\"; }\n"
		");\n", 4, "port 'c', which is not in 'ports'");
}

static void
test_port_in_two_links(void **state)
{
	(void)state;
	expect_error("ports = ( { name = \"a\"; }, { name = \"b\"; }, { name = \"c\"; } );\n"
		"links = (\n"
		"  { name = \"l1\"; inside = \"a\"; outside = \"b\"; },\n"
		"  { name = \"l2\"; inside = \"c\";\n"
		"    outside = \"a\"; }\n"
		");\n", 5, "already used by the link at line 3");
	expect_error("ports = ( { name = \"a\"; } );\n"
		"links = ( { name = \"l1\"; inside = \"a\"; outside = \"a\"; } );\n", 2,
		"already used");
}

static void
test_duplicate_port(void **state)
{
	(void)state;
	expect_error("ports = (\n { name = \"a\"; },\n { name = \"a\"; }\n);\n", 3,
		"listed twice (first at line 2)");
}

static void
test_link_shape(void **state)
{
	(void)state;
	expect_error("ports = ( { name = \"a\"; } );\n"
		"links = (\n { name = \"l\"; inside = \"a\"; }\n);\n", 3,
		"needs both 'inside' and 'outside'");
	expect_error("ports = ( { name = \"a\"; }, { name = \"b\"; } );\n"
		"links = (\n { name = \"l\"; port = \"a\"; inside = \"b\"; }\n);\n", 3,
		"not both");
	expect_error("ports = ( { devargs = \"x\"; } );\n", 1, "missing 'name'");
}

static void
test_missing_file(void **state)
{
	static struct mpn_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(mpn_config_load("/nonexistent/mpnorm.conf", &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/mpnorm.conf: cannot read"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_unknown_top_level),
		cmocka_unit_test(test_unknown_knob),
		cmocka_unit_test(test_zero_workers),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_link_unknown_port),
		cmocka_unit_test(test_port_in_two_links),
		cmocka_unit_test(test_duplicate_port),
		cmocka_unit_test(test_link_shape),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
