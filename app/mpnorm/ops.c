/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow events and counters turned into IPFIX records and log lines, on the
 * main lcore (ops.h).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "app.h"
#include "events.h"
#include "ops.h"

/* Events handled per call: the control loop also serves the CLI. */
#define DRAIN_BUDGET 4096

static struct {
	struct mpn_logger *log;
	struct mpn_export *exp;
	uint64_t tsc0;
	uint64_t wall0_ms;
	uint64_t hz;
	uint64_t last_second_ms;
	/* What the per-second summaries compare against (raw counters). */
	uint64_t alerts[MPN_REASON_MAX];
	uint64_t fallbacks;
	uint64_t export_msgs_lost;
	uint64_t export_records_lost;
	uint64_t events_lost;
} ops;

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
mpn_ops_wall_ms(uint64_t tsc)
{
	int64_t d = (int64_t)(tsc - ops.tsc0);

	if (ops.hz == 0)
		return ops.wall0_ms;
	return ops.wall0_ms + (uint64_t)(d / (int64_t)(ops.hz / 1000 != 0 ? ops.hz / 1000 : 1));
}

static void
raw_totals(struct mpn_worker_stats *t)
{
	/* Raw, not since `clear counters`: the summaries count what happened. */
	mpn_stats_sum(mpn_app.stats, mpn_app.n_workers, t);
}

int
mpn_ops_init(const struct mpn_config *cfg, bool force_syslog, char *err, size_t errlen)
{
	struct mpn_logmsg_params lp;
	struct mpn_worker_stats t;

	memset(&ops, 0, sizeof(ops));
	ops.hz = rte_get_tsc_hz();
	ops.tsc0 = rte_get_tsc_cycles();
	ops.wall0_ms = real_ms();
	mpn_logmsg_params_default(&lp);
	lp.syslog = cfg->logging.syslog || force_syslog;
	lp.facility = cfg->logging.facility;
	lp.level = cfg->logging.level;
	lp.rate = cfg->logging.rate;
	ops.log = mpn_logger_new(&lp);
	if (ops.log == NULL) {
		snprintf(err, errlen, "out of memory for the logger");
		return -1;
	}
	if (cfg->flow_export.enabled) {
		const struct mpn_config_export *x = &cfg->flow_export;
		struct mpn_export_params p;
		char e[256];

		mpn_export_params_default(&p);
		p.transport = x->tcp ? MPN_EXPORT_TCP : MPN_EXPORT_UDP;
		snprintf(p.host, sizeof(p.host), "%s", x->collector);
		p.port = (uint16_t)x->port;
		p.template_refresh_s = x->template_refresh;
		p.queue = x->queue;
		p.mtu = x->mtu;
		p.flush_ms = x->delay;
		p.domain = x->domain;
		p.pen = x->enterprise;
		ops.exp = mpn_export_new(&p, e, sizeof(e));
		if (ops.exp == NULL) {
			snprintf(err, errlen, "%s:%d: %s", cfg->path, x->line, e);
			mpn_logger_free(ops.log);
			ops.log = NULL;
			return -1;
		}
	}
	raw_totals(&t);
	memcpy(ops.alerts, t.alerts, sizeof(ops.alerts));
	ops.fallbacks = t.rewrites[MPN_REASON_MPTCP_FALLBACK];
	ops.last_second_ms = mono_ms();
	return 0;
}

void
mpn_ops_fini(void)
{
	mpn_export_free(ops.exp);
	ops.exp = NULL;
	mpn_logger_free(ops.log);
	ops.log = NULL;
}

struct mpn_export *
mpn_ops_exporter(void)
{
	return ops.exp;
}

struct mpn_logger *
mpn_ops_logger(void)
{
	return ops.log;
}

static const char *
link_name(uint16_t link)
{
	return link < mpn_app.cfg.n_links ? mpn_app.cfg.links[link].name : "?";
}

static void
addr_str(char *buf, size_t n, uint8_t family, const uint8_t *a)
{
	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)n) == NULL)
		snprintf(buf, n, "?");
}

void
mpn_app_rule_name(uint16_t id, char *buf, size_t n)
{
	const struct mpn_policy *p = mpn_policy_slot_get(&mpn_app.policy);
	const struct mpn_policy_rule *r;
	unsigned int pm;

	if (p == NULL || id == 0 || id >= MPN_POLICY_RULE_IDS) {
		snprintf(buf, n, "class-default");
		return;
	}
	r = mpn_policy_rule_by_id(p, id);
	if (r == &p->default_rule) {
		snprintf(buf, n, "class-default");
		return;
	}
	pm = (id - 1u) / MPN_POLICY_MAX_RULES;
	snprintf(buf, n, "%s/%s", p->policy_maps[pm].name, p->classes[r->class_idx].name);
}

static bool
is_join_refusal(uint8_t reason)
{
	switch (reason) {
	case MPN_REASON_MPTCP_JOIN_REFUSED:
	case MPN_REASON_MPTCP_JOIN_UNKNOWN_TOKEN:
	case MPN_REASON_MPTCP_JOIN_BAD_HMAC:
	case MPN_REASON_MPTCP_JOIN_UNPROVEN:
	case MPN_REASON_MPTCP_JOIN_UNVERIFIABLE:
	case MPN_REASON_MPTCP_JOIN_EVICTED:
	case MPN_REASON_MPTCP_SUBFLOW_LIMIT:
		return true;
	default:
		return false;
	}
}

static void
on_event(void *arg, const struct mpn_flow_event *ev)
{
	uint64_t now = *(const uint64_t *)arg;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], rule[160];

	if (ops.exp != NULL)
		mpn_export_event(ops.exp, ev, mpn_ops_wall_ms(ev->now),
			ev->type == MPN_FLOW_EV_DENY ? 0 : mpn_ops_wall_ms(ev->start));
	if (ev->type != MPN_FLOW_EV_DENY)
		return;
	addr_str(s, sizeof(s), ev->family, ev->src);
	addr_str(d, sizeof(d), ev->family, ev->dst);
	if (is_join_refusal(ev->reason)) {
		char tok[24] = "";

		/* The event names the token only when the join was tied to a connection. */
		if (ev->token != 0)
			snprintf(tok, sizeof(tok), " token 0x%08x", ev->token);
		mpn_logmsg(ops.log, MPN_MSG_JOIN_REFUSED, now, "Refused MP_JOIN from %s:%s/%u to "
			"%s/%u%s, reason: %s", link_name(ev->link), s, ev->sport, d, ev->dport, tok,
			mpn_reason_name(ev->reason));
		return;
	}
	mpn_app_rule_name(ev->rule_id, rule, sizeof(rule));
	mpn_logmsg(ops.log, MPN_MSG_DENY, now, "Dropping TCP packet from %s:%s/%u to %s/%u, "
		"reason: %s, class %s", link_name(ev->link), s, ev->sport, d, ev->dport,
		mpn_reason_name(ev->reason), rule);
}

/* Once a second: what the counters say happened since the last time. */
static void
per_second(uint64_t now)
{
	struct mpn_worker_stats t;
	uint64_t v;
	unsigned int r;

	raw_totals(&t);
	for (r = 1; r < MPN_REASON_MAX; r++) {
		if (t.alerts[r] > ops.alerts[r])
			mpn_logmsg(ops.log, MPN_MSG_ALERT, now, "%" PRIu64 " segments matched an alert "
				"action in the last second, reason: %s", t.alerts[r] - ops.alerts[r],
				mpn_reason_name(r));
		ops.alerts[r] = t.alerts[r];
	}
	v = t.rewrites[MPN_REASON_MPTCP_FALLBACK];
	if (v > ops.fallbacks)
		mpn_logmsg(ops.log, MPN_MSG_FALLBACK, now, "MPTCP fallback forced by policy: %"
			PRIu64 " segments had their MPTCP options cleared in the last second "
			"(RFC 8684 §3.7)", v - ops.fallbacks);
	ops.fallbacks = v;
	if (ops.exp != NULL) {
		const struct mpn_export_stats *st = mpn_export_stats(ops.exp);
		uint64_t msgs = st->messages_dropped_queue_full + st->messages_dropped_send_error +
			st->messages_dropped_disconnect;

		if (msgs > ops.export_msgs_lost)
			mpn_logmsg(ops.log, MPN_MSG_EXPORT_LOSS, now, "Flow export to %s:%u lost %"
				PRIu64 " messages (%" PRIu64 " records) in the last second",
				mpn_app.cfg.flow_export.collector, mpn_app.cfg.flow_export.port,
				msgs - ops.export_msgs_lost, st->records_dropped - ops.export_records_lost);
		ops.export_msgs_lost = msgs;
		ops.export_records_lost = st->records_dropped;
	}
	v = mpn_events_lost_total();
	if (v > ops.events_lost)
		mpn_logmsg(ops.log, MPN_MSG_EVENT_LOSS, now, "%" PRIu64 " flow events lost in the "
			"last second: event ring full", v - ops.events_lost);
	ops.events_lost = v;
}

void
mpn_ops_poll(void)
{
	uint64_t now = mono_ms();

	mpn_events_drain(DRAIN_BUDGET, on_event, &now);
	if (now - ops.last_second_ms >= 1000) {
		per_second(now);
		ops.last_second_ms = now;
	}
	mpn_logger_tick(ops.log, now);
	mpn_export_poll(ops.exp, real_ms());
}

void
mpn_ops_log_reload(bool ok, uint64_t generation, const char *msg)
{
	if (ok)
		mpn_logmsg(ops.log, MPN_MSG_RELOAD_OK, mono_ms(), "Configuration reloaded from %s, "
			"policy generation %" PRIu64, mpn_app.cfg.path, generation);
	else
		mpn_logmsg(ops.log, MPN_MSG_RELOAD_FAILED, mono_ms(), "Configuration reload "
			"rejected: %s", msg);
}
