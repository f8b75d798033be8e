/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_APP_H
#define MPN_APP_H

/**
 * @file
 * The running daemon's state, shared by the main lcore (control socket,
 * telemetry callbacks, reload) and read by the workers. Workers write only
 * their own stats and read the policy through the RCU slot.
 */

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>

#include "config.h"
#include "conn.h"
#include "owner.h"
#include "track.h"
#include "policy_slot.h"
#include "ports.h"
#include "stats.h"
#include "worker.h"

#define MPN_TRACE_MAX 256
/** Tuples per set behind the expected share of `show workers`. */
#define MPN_EXPECTED_SAMPLES 16384
#define MPN_TRACE_LINE 512

/** One traced packet, written by a worker, read by `show trace`. */
struct mpn_trace_entry {
	char line[MPN_TRACE_LINE];
};

struct mpn_cluster;

struct mpn_app {
	struct mpn_config cfg;             /**< as loaded at start; policy moved to the slot */
	struct mpn_ports ports;
	unsigned int n_workers;
	struct mpn_worker workers[MPN_MAX_WORKERS];
	struct mpn_worker_stats stats[MPN_MAX_WORKERS];
	/*
	 * `clear counters` snapshots the counters here and every report
	 * subtracts it: workers keep counting without any synchronisation.
	 */
	struct mpn_worker_stats baseline[MPN_MAX_WORKERS];
	struct mpn_policy_slot policy;
	struct mpn_conn_table *conns;      /**< shared by the workers; main is RCU thread n_workers */
	struct mpn_tracker *trackers[MPN_MAX_WORKERS];
	bool handoff;                      /**< placement decided at start-up */
	char placement_why[512];
	struct mpn_owner_map owner;        /**< who owns a packet; read by the workers */
	/*
	 * Flows each worker should own under that placement, per tuple set
	 * (mpn_rss_sample()), out of expected_samples; for `show workers`.
	 */
	bool expected_known;
	unsigned int expected_samples;
	uint64_t expected[MPN_RSS_SET_MAX][MPN_MAX_WORKERS];
	struct rte_ring *inboxes[MPN_MAX_WORKERS];
	struct mpn_cluster *cluster;       /**< the token directory, NULL without a 'cluster' section */
	time_t started;
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	char last_reload_error[512];
	/* trace N: workers claim slots with an atomic counter. */
	uint32_t trace_armed;              /**< packets asked for */
	uint32_t trace_next;               /**< next free slot (atomic) */
	struct mpn_trace_entry trace[MPN_TRACE_MAX];
	/*
	 * `show service-policy`: rule ids change meaning at a reload, so the
	 * per-class counters are shown since the last reload (or `clear
	 * counters`): these are the totals at that moment.
	 */
	struct mpn_rule_counters *rule_base;   /**< MPN_POLICY_RULE_IDS entries */
	time_t rules_since;
	uint64_t rules_generation;
	/* Held by a reload while it swaps the policy, and by telemetry readers of it. */
	pthread_mutex_t policy_lock;
	bool syslog;                           /**< --syslog */
};

extern struct mpn_app mpn_app;

/** Counters of worker @p w since the last `clear counters`. */
void
mpn_app_worker_counters(unsigned int w, struct mpn_worker_stats *out);

/** Totals over all workers since the last `clear counters`. */
void
mpn_app_total_counters(struct mpn_worker_stats *out);

/**
 * Create the token table and one tracker per worker from @p cfg, timing
 * with @p hz units per second. @return 0 or -1 with a message in @p err.
 */
int
mpn_app_tracking_init(const struct mpn_config *cfg, unsigned int n_workers, uint64_t hz,
	char *err, size_t errlen);

/** Free the trackers and the token table (workers stopped). */
void
mpn_app_tracking_fini(void);

/**
 * Start the token directory when the config has a 'cluster' section
 * (producers: the workers, then the main lcore). @return 0 or -1 with @p err.
 */
int
mpn_app_cluster_start(const struct mpn_config *cfg, unsigned int n_workers, char *err,
	size_t errlen);

/** Stop the directory (after the workers). */
void
mpn_app_cluster_stop(void);

/** Main lcore, every loop: the refresh walk (app/mpnorm/directory.c). */
void
mpn_app_cluster_tick(void);

struct mpn_worker;

/** Give worker @p w's tracker the directory (joins with tokens unknown here). */
void
mpn_app_cluster_attach(struct mpn_worker *w);

/** Worker housekeeping: hand the directory's answers to the tracker. */
void
mpn_app_cluster_worker_poll(struct mpn_worker *w, uint64_t now);

/** Delete a local connection's store entries when its record is freed. */
void
mpn_app_cluster_hook_conns(void);

/**
 * Hand a reloaded 'cluster' section to the directory.
 * @return 0, or 1 when something takes effect at restart (said in @p msg)
 */
int
mpn_app_cluster_reload(const struct mpn_config *next, char *msg, size_t len);

/**
 * Ask the directory for @p token's record (`cluster lookup`); the answer is
 * shown by mpn_app_cluster_render_lookup(). @return 0, -ENODEV without a
 * directory, or mpn_cluster_fetch()'s error.
 */
int
mpn_app_cluster_lookup(uint32_t token);

struct mpn_render;

/** The last lookup's answer, without keys, as a `last_lookup` section. */
void
mpn_app_cluster_render_lookup(struct mpn_render *r);

/** Records the refresh walk republished. */
uint64_t
mpn_app_cluster_republished(void);

/** Sum the per-class counters of every worker into @p out (MPN_POLICY_RULE_IDS entries). */
void
mpn_app_rule_totals(struct mpn_rule_counters *out);

/** Start the per-class view afresh (at a reload, at `clear counters`). */
void
mpn_app_rules_snapshot(void);

/** "policy-map/class" of rule @p id in the running policy, "class-default" for 0. */
void
mpn_app_rule_name(uint16_t id, char *buf, size_t n);

/** Register the CLI commands. */
int
mpn_control_register(void);

/** Register the read-only /mpnorm/ telemetry commands. */
int
mpn_telemetry_register(void);

/**
 * Reload the config file: parse and validate it completely, then publish
 * its policy. On error, the running policy stays and @p err says file:line.
 * @return 0, or -1.
 */
int
mpn_app_reload(char *msg, size_t len);

#endif /* MPN_APP_H */
