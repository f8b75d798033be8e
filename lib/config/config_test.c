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
#include "policy.h"

static char path[64];
static const char *srcdir = ".";

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
	assert_null(cfg.policy);
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
test_control(void **state)
{
	static struct mpn_config cfg;
	char err[512];
	const char *p = write_conf("control = { socket = \"/tmp/x.sock\"; mode = \"0600\"; group = \"adm\"; };\n");

	(void)state;
	assert_int_equal(mpn_config_load(p, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.control.socket, "/tmp/x.sock");
	assert_int_equal(cfg.control.mode, 0600);
	assert_string_equal(cfg.control.group, "adm");
	mpn_config_release(&cfg);
	unlink(p);
	p = write_conf("# defaults\n");
	assert_int_equal(mpn_config_load(p, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.control.socket, MPN_DEFAULT_CONTROL_SOCKET);
	assert_int_equal(cfg.control.mode, 0660);
	mpn_config_release(&cfg);
	unlink(p);
	expect_error("control = {\n mode = 660; };\n", 2, "'mode' must be a string");
	expect_error("control = {\n mode = \"0999\"; };\n", 2, "octal file mode");
	expect_error("control = {\n socket = \"rel.sock\"; };\n", 2, "absolute path");
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


static const char *policy_text =
	"links = ( { name = \"wire\"; inside = \"a\"; outside = \"b\"; } );\n"
	"ports = ( { name = \"a\"; }, { name = \"b\"; } );\n"
	"tcp-maps = (\n"
	"  { name = \"mptcp-aware\";\n"
	"    tcp-options = { range = ( \"30 30 allow\", \"19 19 drop\" ); selective-ack = \"clear\";\n"
	"                    timestamp = \"clear\"; window-scale = \"clear\"; };\n"
	"    syn-data = \"drop\"; synack-data = \"allow\"; reserved-bits = \"clear\";\n"
	"    urgent-flag = \"allow\"; checksum-verification = true; exceed-mss = \"drop\";\n"
	"    invalid-ack = \"allow\"; seq-past-window = \"allow\"; window-variation = \"drop\";\n"
	"    ttl-evasion-protection = false; mss-clamp = 1380;\n"
	"    mptcp = { mode = \"fallback\"; add-addr = \"alert\"; dss = \"allow\"; mp-prio = \"clear\";\n"
	"              private = \"drop\"; unknown = \"clear\"; malformed = \"clear\";\n"
	"              join = \"allow-unknown\"; subflow-limit = 4;\n"
	"              join-refuse-action = \"reset\"; join-refuse-rate = 25; join-rate-limit = 3;\n"
	"              add-addr-limit = 6; join-early = \"drop\";\n"
	"              addresses = { allow = [ \"10.0.0.0/8\", \"2001:db8::/32\" ]; ports = ( 0, \"5000-5010\" );\n"
	"                            action = \"drop\"; }; };\n"
	"  }\n"
	");\n"
	"class-maps = (\n"
	"  { name = \"ctcp\"; match = { dst-port = 10000; src = \"10.0.0.0/8\"; link = \"wire\";\n"
	"                              direction = \"inside-outside\"; mptcp = \"absent\"; }; },\n"
	"  { name = \"all\"; match = \"any\"; }\n"
	");\n"
	"policy-maps = (\n"
	"  { name = \"global_policy\";\n"
	"    class = ( { class = \"ctcp\"; tcp-state-bypass = true; },\n"
	"              { class = \"all\"; tcp-map = \"mptcp-aware\"; inspect = true; monitor = true; } ); }\n"
	");\n"
	"service-policy = { global = \"global_policy\";\n"
	"  interface = ( { link = \"wire\"; direction = \"outside-inside\"; policy-map = \"global_policy\"; } ); };\n";

static void
test_policy_every_knob(void **state)
{
	static struct mpn_config cfg;
	const struct mpn_tcp_map *m;
	const struct mpn_class_map *c;
	const struct mpn_policy_map *pm;
	char err[512];
	const char *p = write_conf(policy_text);

	(void)state;
	if (mpn_config_load(p, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(cfg.policy);
	assert_int_equal(cfg.policy->n_tcp_maps, 2);
	m = &cfg.policy->tcp_maps[mpn_policy_tcp_map_index(cfg.policy, "mptcp-aware")];
	assert_int_equal(m->option_action[30], MPN_ACTION_ALLOW);
	assert_int_equal(m->option_action[19], MPN_ACTION_DROP);
	assert_int_equal(m->option_action[29], MPN_ACTION_CLEAR);   /* default range kept */
	assert_int_equal(m->option_action[4], MPN_ACTION_CLEAR);
	assert_int_equal(m->option_action[5], MPN_ACTION_CLEAR);
	assert_int_equal(m->option_action[8], MPN_ACTION_CLEAR);
	assert_int_equal(m->option_action[3], MPN_ACTION_CLEAR);
	assert_int_equal(m->option_action[2], MPN_ACTION_ALLOW);
	assert_int_equal(m->syn_data, MPN_ACTION_DROP);
	assert_int_equal(m->synack_data, MPN_ACTION_ALLOW);
	assert_int_equal(m->reserved_bits, MPN_ACTION_CLEAR);
	assert_int_equal(m->urgent_flag, MPN_ACTION_ALLOW);
	assert_true(m->checksum_verification);
	assert_int_equal(m->exceed_mss, MPN_ACTION_DROP);
	assert_int_equal(m->invalid_ack, MPN_ACTION_ALLOW);
	assert_int_equal(m->seq_past_window, MPN_ACTION_ALLOW);
	assert_int_equal(m->window_variation, MPN_ACTION_DROP);
	assert_false(m->ttl_evasion_protection);
	assert_int_equal(m->mss_clamp, 1380);
	assert_int_equal(m->mptcp.mode, MPN_MPTCP_FALLBACK);
	assert_int_equal(m->mptcp.subtype_action[3], MPN_ACTION_ALERT);
	assert_int_equal(m->mptcp.subtype_action[5], MPN_ACTION_CLEAR);
	assert_int_equal(m->mptcp.subtype_action[0], MPN_ACTION_ALLOW);
	assert_int_equal(m->mptcp.subtype_action[0xf], MPN_ACTION_DROP);
	assert_int_equal(m->mptcp.subtype_action[9], MPN_ACTION_CLEAR);
	assert_int_equal(m->mptcp.subtype_action[0xe], MPN_ACTION_CLEAR);
	assert_int_equal(m->mptcp.malformed, MPN_ACTION_CLEAR);
	assert_int_equal(m->mptcp.join, MPN_JOIN_ALLOW_UNKNOWN);
	assert_int_equal(m->mptcp.subflow_limit, 4);
	assert_int_equal(m->mptcp.join_refuse_action, MPN_JOIN_REFUSE_RESET);
	assert_int_equal(m->mptcp.join_refuse_rate, 25);
	assert_int_equal(m->mptcp.join_rate_limit, 3);
	assert_int_equal(m->mptcp.add_addr_limit, 6);
	assert_true(m->mptcp.join_early_drop);
	assert_true(m->mptcp.add_addr.restricted);
	assert_int_equal(m->mptcp.add_addr.n_prefixes, 2);
	assert_int_equal(m->mptcp.add_addr.prefixes[1].family, 6);
	assert_int_equal(m->mptcp.add_addr.n_ports, 2);
	assert_int_equal(m->mptcp.add_addr.ports[1].lo, 5000);
	assert_int_equal(m->mptcp.add_addr.ports[1].hi, 5010);
	assert_int_equal(m->mptcp.add_addr.action, MPN_ACTION_DROP);

	/* The built-in default map is the ASA's. */
	m = &cfg.policy->tcp_maps[0];
	assert_string_equal(m->name, "default");
	assert_int_equal(m->option_action[30], MPN_ACTION_CLEAR);

	assert_int_equal(cfg.policy->n_classes, 2);
	c = &cfg.policy->classes[0];
	assert_int_equal(c->n_dport, 1);
	assert_int_equal(c->dport[0].lo, 10000);
	assert_int_equal(c->n_src, 1);
	assert_int_equal(c->link, 0);
	assert_int_equal(c->dir, MPN_DIR_MATCH_IN2OUT);
	assert_int_equal(c->mptcp, MPN_MPTCP_MATCH_ABSENT);
	c = &cfg.policy->classes[1];
	assert_int_equal(c->n_src + c->n_dst + c->n_sport + c->n_dport, 0);
	assert_int_equal(c->link, -1);

	pm = &cfg.policy->policy_maps[0];
	assert_int_equal(pm->n_rules, 2);
	assert_true(pm->rules[0].tcp_state_bypass);
	assert_int_equal(pm->rules[0].tcp_map_idx, 0);
	assert_true(pm->rules[1].inspect);
	assert_true(pm->rules[1].monitor);
	assert_int_equal(pm->rules[1].tcp_map_idx, 1);
	assert_int_equal(cfg.policy->global_policy_map, 0);
	assert_int_equal(cfg.policy->n_bindings, 1);
	assert_int_equal(cfg.policy->bindings[0].dir, MPN_DIR_MATCH_OUT2IN);
	mpn_config_release(&cfg);
	unlink(p);
}

/* Issue 16: class-map criteria on MPTCP attributes. */
static const char *mptcp_class_text =
	"class-maps = (\n"
	"  { name = \"v1-lb\"; match = { mptcp-version = 1; mptcp-c-flag = true; }; },\n"
	"  { name = \"both\"; match = { mptcp = \"present\"; mptcp-version = [ 0, 1 ];\n"
	"                               mptcp-c-flag = false; }; },\n"
	"  { name = \"signals\"; match = { mptcp-subtype = [ \"add-addr\", \"mp-fail\", \"private\" ]; }; },\n"
	"  { name = \"one\"; match = { mptcp-subtype = \"unknown\"; }; }\n"
	");\n"
	"policy-maps = ( { name = \"p\"; class = ( { class = \"signals\"; monitor = true; },\n"
	"  { class = \"v1-lb\"; inspect = true; }, { class = \"both\"; } ); } );\n"
	"service-policy = { global = \"p\"; };\n";

static void
test_policy_mptcp_class(void **state)
{
	static struct mpn_config cfg;
	const struct mpn_class_map *c;
	char err[512];
	const char *p = write_conf(mptcp_class_text);

	(void)state;
	if (mpn_config_load(p, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.policy->n_classes, 4);
	c = &cfg.policy->classes[0];
	assert_int_equal(c->mptcp_versions, 1u << 1);
	assert_int_equal(c->mptcp_c_flag, MPN_C_FLAG_SET);
	assert_int_equal(c->mptcp_subtypes, 0);
	assert_false(mpn_class_is_segment_level(c));
	c = &cfg.policy->classes[1];
	assert_int_equal(c->mptcp, MPN_MPTCP_MATCH_PRESENT);
	assert_int_equal(c->mptcp_versions, 3);
	assert_int_equal(c->mptcp_c_flag, MPN_C_FLAG_CLEAR);
	c = &cfg.policy->classes[2];
	assert_int_equal(c->mptcp_subtypes, (1u << 3) | (1u << 6) | (1u << 15));
	assert_true(mpn_class_is_segment_level(c));
	assert_int_equal(cfg.policy->classes[3].mptcp_subtypes, 0x7e00);
	assert_true(cfg.policy->has_segment_classes);
	mpn_config_release(&cfg);
	unlink(p);

	/* Bad values, each at its line. */
	expect_error("class-maps = ( { name = \"c\";\n match = { mptcp-version = 2; }; } );\n", 2,
		"'mptcp-version' is 0 (RFC 6824) or 1");
	expect_error("class-maps = ( { name = \"c\";\n match = { mptcp-version = ( 1,\n \"1\" ); }; } );\n",
		3, "'mptcp-version' is 0");
	expect_error("class-maps = ( { name = \"c\";\n match = { mptcp-version = [ ]; }; } );\n", 2,
		"'mptcp-version' is 0, 1 or a list");
	expect_error("class-maps = ( { name = \"c\";\n match = { mptcp-c-flag = \"yes\"; }; } );\n", 2,
		"'mptcp-c-flag' must be true or false");
	expect_error("class-maps = ( { name = \"c\"; match = {\n mptcp-subtype = [ \"dss\",\n"
		" \"add_addr\" ]; }; } );\n", 3, "'mptcp-subtype': a subtype is one of");
	expect_error("class-maps = ( { name = \"c\";\n match = { mptcp-subtype = 3; }; } );\n", 2,
		"'mptcp-subtype': a subtype is one of");
	expect_error("class-maps = ( { name = \"c\"; match = { mptcp = \"absent\";\n"
		" mptcp-c-flag = true; }; } );\n", 2, "matches plain TCP only");
	expect_error("class-maps = ( { name = \"s\"; match = { mptcp-subtype = \"mp-fail\"; }; } );\n"
		"policy-maps = ( { name = \"p\"; class = (\n { class = \"s\"; inspect = true; } ); } );\n",
		3, "takes single segments");
	expect_error("tcp-maps = ( { name = \"fb\"; mptcp = { mode = \"fallback\"; }; } );\n"
		"class-maps = ( { name = \"s\"; match = { mptcp-subtype = \"mp-fail\"; }; } );\n"
		"policy-maps = ( { name = \"p\"; class = (\n\n { class = \"s\"; tcp-map = \"fb\"; } ); } );\n",
		5, "takes single segments");
}

static void
test_policy_errors(void **state)
{
	(void)state;
	expect_error("tcp-maps = (\n { name = \"m\";\n   tcp-optoins = { };\n }\n);\n", 3,
		"unknown setting 'tcp-optoins' in a tcp-map");
	expect_error("tcp-maps = ( { name = \"m\";\n  tcp-options = { range = (\n \"40 30 allow\" ); }; } );\n",
		3, "bad range 40-30");
	expect_error("tcp-maps = ( { name = \"m\";\n  tcp-options = { range = ( \"2 5 allow\" ); }; } );\n",
		2, "bad range 2-5");
	expect_error("tcp-maps = ( { name = \"m\";\n  tcp-options = { range = ( \"7 9 allow\" ); }; } );\n",
		2, "bad range 7-9");
	expect_error("tcp-maps = ( { name = \"m\";\n  tcp-options = { range = ( \"30 30 permit\" ); }; } );\n",
		2, "range action \"permit\" does not exist");
	expect_error("tcp-maps = ( { name = \"m\";\n  tcp-options = { range = ( \"30 allow\" ); }; } );\n",
		2, "LOW HIGH ACTION");
	expect_error("tcp-maps = ( { name = \"m\";\n  urgent-flag = \"drop\"; } );\n", 2,
		"'urgent-flag' cannot be \"drop\"; it takes one of: allow, clear");
	expect_error("tcp-maps = ( { name = \"m\";\n  syn-data = \"maybe\"; } );\n", 2,
		"'syn-data' cannot be \"maybe\"");
	expect_error("tcp-maps = ( { name = \"m\";\n mptcp = { mode = \"sometimes\"; }; } );\n", 2,
		"'mode' must be one of \"allow\", \"fallback\", \"drop\"");
	expect_error("tcp-maps = ( { name = \"m\";\n mptcp = { dss = \"strip\"; }; } );\n", 2,
		"'dss' cannot be \"strip\"");
	expect_error("tcp-maps = ( { name = \"m\";\n mptcp = { addresses = { allow = [ \"10.0.0.0/40\" ]; }; }; } );\n",
		2, "not an IPv4 or IPv6 prefix");
	expect_error("tcp-maps = ( { name = \"m\";\n  mss-clamp = 10; } );\n", 2, "too small");
	/* Issue 16: join refusal and per-connection limits. */
	expect_error("tcp-maps = ( { name = \"m\";\n mptcp = {\n join-refuse-action = \"rst\"; }; } );\n",
		3, "'join-refuse-action' must be one of \"drop\", \"reset\"");
	expect_error("tcp-maps = ( { name = \"m\";\n mptcp = { join-refuse-rate = 0; }; } );\n", 2,
		"out of range");
	expect_error("tcp-maps = ( { name = \"m\";\n mptcp = { join-rate-limit = 100001; }; } );\n", 2,
		"out of range");
	expect_error("tcp-maps = ( { name = \"m\";\n mptcp = { add-addr-limit = 256; }; } );\n", 2,
		"out of range");
	expect_error("tcp-maps = ( { name = \"m\";\n mptcp = { join-early = true; }; } );\n", 2,
		"'join-early' must be one of \"allow\", \"drop\"");
	/*
	 * libconfig 1.5 wraps 32-bit overflows (4294967396 would read as 100):
	 * the literal the user wrote is refused, quoted.
	 */
	expect_error("tcp-maps = ( { name = \"m\";\n  mss-clamp = 4294967396; } );\n", 2,
		"4294967396 does not fit in a 32-bit integer");
	expect_error("# 99999999999 in a comment is fine\ntables = { subflows = 0x100000000; };\n",
		2, "0x100000000 does not fit");
	expect_error("dataplane = {\n workers = -4294967297; };\n", 2, "-4294967297 does not fit");
	/* A 64-bit literal ("L") is libconfig's own int64 and passes to the range check. */
	expect_error("tcp-maps = ( { name = \"m\";\n  mss-clamp = 4294967396L; } );\n", 2,
		"out of range");
	expect_error("tcp-maps = ( { name = \"default\"; } );\n", 1, "built in");
	expect_error("class-maps = ( { name = \"c\";\n match = { dst-port = \"90-80\"; }; } );\n", 2,
		"a port is a number or a range");
	expect_error("class-maps = ( { name = \"c\";\n match = { link = \"nope\"; }; } );\n", 2,
		"link 'nope' is not in 'links'");
	expect_error("class-maps = ( { name = \"c\"; } );\n", 1, "needs a 'match'");
	expect_error("class-maps = ( { name = \"c\"; match = \"any\"; } );\n"
		"policy-maps = ( { name = \"p\";\n class = ( { class = \"nope\"; } ); } );\n", 3,
		"names class 'nope', which is not in 'class-maps'");
	expect_error("class-maps = ( { name = \"c\"; match = \"any\"; } );\n"
		"policy-maps = ( { name = \"p\";\n class = ( { class = \"c\";\n tcp-map = \"nope\"; } ); } );\n",
		4, "names tcp-map 'nope', which is not in 'tcp-maps'");
	expect_error("class-maps = ( { name = \"c\"; match = \"any\"; } );\n"
		"policy-maps = ( { name = \"p\";\n class = ( { class = \"c\"; bypass = true; } ); } );\n", 3,
		"unknown setting 'bypass'");
	expect_error("service-policy = {\n global = \"nope\"; };\n", 2,
		"policy-map 'nope' is not in 'policy-maps'");
}

/*
 * `show running-config` must load back: write each configuration, read
 * what was written, and compare every setting (mpn_config_same()).
 */
static void
round_trip(const char *file)
{
	static struct mpn_config a, b;
	char err[512], out[] = "/tmp/mpn_config_rt.XXXXXX";
	FILE *f;
	int fd;

	if (mpn_config_load(file, &a, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	fd = mkstemp(out);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(mpn_config_write(&a, NULL, f, err, sizeof(err)), 0);
	fclose(f);
	if (mpn_config_load(out, &b, err, sizeof(err)) != 0)
		fail_msg("%s written back does not load: %s", file, err);
	if (!mpn_config_same(&a, &b))
		fail_msg("%s written back (%s) differs from the original", file, out);
	/* A setting that differs must be seen as a difference. */
	b.tables.idle_timeout++;
	assert_false(mpn_config_same(&a, &b));
	b.tables.idle_timeout--;
	b.policy->classes[0].n_src = b.policy->n_classes > 0 ? 1 : 0;
	if (a.policy->n_classes > 0 && a.policy->classes[0].n_src != 1)
		assert_false(mpn_config_same(&a, &b));
	mpn_config_release(&a);
	mpn_config_release(&b);
	unlink(out);
}

static void
test_write_round_trip(void **state)
{
	static const char *const shipped[] = {
		"config/mpnorm.conf", "config/examples/af-packet.conf",
		"config/examples/asa-allow-mptcp.conf", "config/examples/asa-default.conf",
		"config/examples/ctcp-bypass.conf", "config/examples/inspect-fallback.conf",
		"config/examples/pcap-one-armed.conf", "config/examples/mptcp-classes.conf",
	};
	char file[4096];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s", srcdir, shipped[i]);
		round_trip(file);
	}
	/* Every policy knob, and the operator sections, away from their defaults. */
	round_trip(write_conf(policy_text));
	unlink(path);
	round_trip(write_conf(mptcp_class_text));
	unlink(path);
	round_trip(write_conf(
		"dataplane = { workers = 2; event_ring = 1024; placement = \"handoff\"; };\n"
		"control = { socket = \"/tmp/x.sock\"; mode = \"0600\"; group = \"adm\"; };\n"
		"tables = { tracking = \"off\"; unknown-subflow = \"drop\"; learn-limit = 50; };\n"
		"flow-export = { collector = \"2001:db8::5\"; port = 2055; transport = \"tcp\";\n"
		"  template-refresh = 30; queue = 16; mtu = 9000; delay = 0; domain = 4000000000L;\n"
		"  enterprise-number = 4294967295L; };\n"
		"logging = { syslog = true; facility = \"daemon\"; level = \"debug\"; rate = 0; };\n"
		"ports = ( { name = \"p0\"; devargs = \"iface=a\"; rx_desc = 64; },"
		" { name = \"p1\"; } );\n"
		"links = ( { name = \"w\"; inside = \"p0\"; outside = \"p1\"; } );\n"));
	unlink(path);
}

static void
test_operator_sections(void **state)
{
	static struct mpn_config cfg;
	char err[512];
	const char *p;

	(void)state;
	p = write_conf("flow-export = { collector = \"10.1.1.5\"; port = 2055; };\n"
		"logging = { facility = \"local6\"; level = \"warning\"; rate = 5; };\n");
	if (mpn_config_load(p, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(cfg.flow_export.enabled);
	assert_string_equal(cfg.flow_export.collector, "10.1.1.5");
	assert_int_equal(cfg.flow_export.port, 2055);
	assert_false(cfg.flow_export.tcp);
	assert_int_equal(cfg.flow_export.queue, 1024);
	assert_int_equal(cfg.logging.level, 4);
	assert_int_equal(cfg.logging.rate, 5);
	assert_false(cfg.logging.syslog);
	assert_int_equal(cfg.dataplane.event_ring, 16384);
	mpn_config_release(&cfg);
	unlink(p);
	/* Without the sections: no export, stderr at informational, 100 per second. */
	p = write_conf("tables = { subflows = 1024; };\n");
	assert_int_equal(mpn_config_load(p, &cfg, err, sizeof(err)), 0);
	assert_false(cfg.flow_export.enabled);
	assert_int_equal(cfg.logging.level, 6);
	assert_int_equal(cfg.logging.rate, 100);
	mpn_config_release(&cfg);
	unlink(p);

	expect_error("flow-export = {\n port = 2055;\n};\n", 1, "missing 'collector'");
	expect_error("flow-export = {\n collector = \"collector.example\";\n};\n", 2,
		"not an IPv4 or IPv6 address");
	expect_error("flow-export = { collector = \"10.0.0.1\";\n port = 70000; };\n", 2,
		"out of range");
	expect_error("flow-export = { collector = \"10.0.0.1\";\n transport = \"sctp\"; };\n", 2,
		"\"udp\" or \"tcp\"");
	expect_error("flow-export = { collector = \"10.0.0.1\";\n mtu = 100; };\n", 2,
		"out of range");
	expect_error("flow-export = { collector = \"10.0.0.1\";\n destination = 1; };\n", 2,
		"unknown setting 'destination'");
	expect_error("logging = {\n facility = \"local9\"; };\n", 2, "not a syslog facility");
	expect_error("logging = {\n level = \"loud\"; };\n", 2, "logging trap words");
	expect_error("logging = {\n syslog = \"yes\"; };\n", 2, "true or false");
	expect_error("logging = {\n rate = -1; };\n", 2, "out of range");
	expect_error("dataplane = {\n event_ring = 10; };\n", 2, "out of range");
}

int
main(int argc, char **argv)
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
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_policy_every_knob),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_policy_mptcp_class),
		cmocka_unit_test(test_write_round_trip),
		cmocka_unit_test(test_operator_sections),
	};

	if (argc > 1)
		srcdir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
