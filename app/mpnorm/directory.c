/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's side of the shared token directory (doc/cluster.md): start
 * and stop it, hand it reloaded settings, and the refresh walk.
 *
 * The refresh walk runs on the main lcore (an RCU reader of the token
 * table, producer n_workers of the directory). It republishes every open
 * connection of the local table:
 *  - in full every ttl/3 seconds, so entries of long-lived connections do
 *    not expire, and at once after each (re)connect to the store, which may
 *    have restarted empty or failed over;
 *  - incrementally in between: connections created since the last walk
 *    (serials from the cursor on), so a connection no worker published is in
 *    the store within a walk period.
 * A walk publishes at most one request ring's worth, so the main lcore's
 * ring never overflows; the cursor carries the rest to the next walk.
 *
 * Records fetched from the store (remote) are not republished: their
 * publisher renews them, and their TTL bounds them once it is gone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "cli_render.h"
#include "cluster.h"

#define WALK_PERIOD_MS 250

static struct {
	uint64_t connects_seen;   /* mpn_cluster_connect_count() at the last full walk */
	uint64_t cursor;          /* serials below this one are published (serials start at 0) */
	uint64_t next_full_ms;
	uint64_t next_walk_ms;
	unsigned int budget;      /* left in this walk */
	unsigned int ring;        /* the main lcore's request ring (fixed at start) */
	unsigned int ttl;         /* s, as last configured */
	uint64_t walked;          /* records republished, for tests and show */
} dir;

/*
 * `cluster lookup TOKEN`: an operator's question to the directory, asked
 * through the main lcore's rings like a worker's fetch; the answer is kept
 * (without its keys) for `show cluster`.
 */
static struct {
	bool asked;
	bool answered;
	uint32_t token;
	uint8_t status;              /* enum mpn_cluster_status */
	struct mpn_cluster_record rec; /* keys cleared */
} lookup;

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
mpn_app_cluster_start(const struct mpn_config *cfg, unsigned int n_workers, char *err,
	size_t errlen)
{
	if (!cfg->cluster.enabled)
		return 0;
	/* Producers: the workers, then the main lcore's refresh walk. */
	mpn_app.cluster = mpn_cluster_create(&cfg->cluster, n_workers + 1, err, errlen);
	if (mpn_app.cluster == NULL)
		return -1;
	memset(&dir, 0, sizeof(dir));
	dir.ring = cfg->cluster.request_ring;
	dir.ttl = cfg->cluster.ttl;
	printf("mpnorm: cluster: node %s, store %s (connecting in the background)\n",
		cfg->cluster.node, cfg->cluster.store);
	return 0;
}

void
mpn_app_cluster_stop(void)
{
	mpn_cluster_destroy(mpn_app.cluster);
	mpn_app.cluster = NULL;
}

static void
walk_one(const struct mpn_conn *c, void *arg)
{
	struct mpn_cluster_record r;

	(void)arg;
	if (c->serial < dir.cursor || dir.budget == 0)
		return;
	if (mpn_conn_is_closed(c) || c->remote) {
		dir.cursor = c->serial + 1;
		return;
	}
	memset(&r, 0, sizeof(r));
	r.key_a = c->key_a;
	r.key_b = c->key_b;
	r.token_a = c->token_a;
	r.token_b = c->token_b;
	r.version = c->version;
	r.flags_a = c->flags_a;
	r.flags_b = c->flags_b;
	r.decision = c->decision;
	mpn_cluster_publish(mpn_app.cluster, mpn_app.n_workers, &r);
	explicit_bzero(&r, sizeof(r));
	dir.cursor = c->serial + 1;
	dir.budget--;
	dir.walked++;
}

static void
poll_lookup(struct mpn_cluster *cl)
{
	struct mpn_cluster_answer a;

	while (mpn_cluster_poll_answers(cl, mpn_app.n_workers, &a, 1) == 1) {
		if (lookup.asked && a.token == lookup.token) {
			lookup.answered = true;
			lookup.status = a.status;
			lookup.rec = a.rec;
			lookup.rec.key_a = 0;
			lookup.rec.key_b = 0;
		}
		explicit_bzero(&a, sizeof(a));
	}
}

int
mpn_app_cluster_lookup(uint32_t token)
{
	int rc;

	if (mpn_app.cluster == NULL)
		return -ENODEV;
	rc = mpn_cluster_fetch(mpn_app.cluster, mpn_app.n_workers, token, token);
	if (rc != 0)
		return rc;
	memset(&lookup, 0, sizeof(lookup));
	lookup.asked = true;
	lookup.token = token;
	return 0;
}

void
mpn_app_cluster_render_lookup(struct mpn_render *r)
{
	if (!lookup.asked)
		return;
	mpn_render_section_begin(r, "last_lookup");
	mpn_render_kv(r, "token", "0x%08x", lookup.token);
	mpn_render_str(r, "status", lookup.answered ?
		mpn_cluster_status_name((enum mpn_cluster_status)lookup.status) : "pending");
	if (lookup.answered && lookup.status == MPN_CLUSTER_FOUND) {
		/* Everything but the keys (RFC 7430: they are the connection's secret). */
		mpn_render_kv(r, "token_a", "0x%08x", lookup.rec.token_a);
		mpn_render_kv(r, "token_b", "0x%08x", lookup.rec.token_b);
		mpn_render_u64(r, "version", lookup.rec.version);
		mpn_render_str(r, "decision", mpn_flow_decision_name(lookup.rec.decision));
		mpn_render_str(r, "node", lookup.rec.node);
		mpn_render_u64(r, "published", lookup.rec.time);
	}
	mpn_render_section_end(r);
}

void
mpn_app_cluster_tick(void)
{
	struct mpn_cluster *cl = mpn_app.cluster;
	uint64_t now, cc;

	if (cl == NULL || mpn_app.conns == NULL)
		return;
	poll_lookup(cl);
	now = mono_ms();
	if (now < dir.next_walk_ms)
		return;
	dir.next_walk_ms = now + WALK_PERIOD_MS;
	if (mpn_cluster_get_state(cl) != MPN_CLUSTER_CONNECTED)
		return;
	cc = mpn_cluster_connect_count(cl);
	if (cc != dir.connects_seen || now >= dir.next_full_ms) {
		/* A fresh (or failed-over) store, or entries nearing their TTL. */
		dir.connects_seen = cc;
		dir.cursor = 0;
		dir.next_full_ms = now + (uint64_t)dir.ttl * 1000 / 3;
	}
	dir.budget = dir.ring;
	mpn_conn_table_foreach(mpn_app.conns, walk_one, NULL);
}

int
mpn_app_cluster_reload(const struct mpn_config *next, char *msg, size_t len)
{
	char m[200];

	msg[0] = '\0';
	if (next->cluster.enabled != (mpn_app.cluster != NULL)) {
		snprintf(msg, len, "adding or removing the 'cluster' section takes effect at "
			"restart");
		return 1;
	}
	if (mpn_app.cluster == NULL)
		return 0;
	dir.ttl = next->cluster.ttl;
	/* Entries written with the old TTL are renewed by the next full walk. */
	dir.next_full_ms = 0;
	if (mpn_cluster_reconfigure(mpn_app.cluster, &next->cluster, m, sizeof(m)) != 0) {
		snprintf(msg, len, "%s", m);
		return 1;
	}
	return 0;
}

uint64_t
mpn_app_cluster_republished(void)
{
	return dir.walked;
}

/*
 * The workers' side (track.h, struct mpn_track_directory): a join SYN whose
 * token no local record holds asks the directory; the answers come back
 * to the worker's housekeeping (mpn_app_cluster_worker_poll()).
 */
static int
worker_fetch(void *arg, uint32_t token)
{
	const struct mpn_worker *w = arg;

	/* The token is the cookie: the answer is matched to joins by it. */
	return mpn_cluster_fetch(mpn_app.cluster, w->index, token, token);
}

static enum mpn_track_dir_unreachable
worker_unreachable(void *arg)
{
	const struct mpn_worker *w = arg;

	switch (mpn_cluster_unreachable_apply(mpn_app.cluster, w->index)) {
	case MPN_CLUSTER_UNREACHABLE_ALLOW:
		return MPN_TRACK_DIR_ALLOW;
	case MPN_CLUSTER_UNREACHABLE_DROP:
		return MPN_TRACK_DIR_DROP;
	default:
		return MPN_TRACK_DIR_VERIFY;
	}
}

static void
worker_publish(void *arg, const struct mpn_conn *c)
{
	const struct mpn_worker *w = arg;
	struct mpn_cluster_record r;

	memset(&r, 0, sizeof(r));
	r.key_a = c->key_a;
	r.key_b = c->key_b;
	r.token_a = c->token_a;
	r.token_b = c->token_b;
	r.version = c->version;
	r.flags_a = c->flags_a;
	r.flags_b = c->flags_b;
	r.decision = c->decision;
	mpn_cluster_publish(mpn_app.cluster, w->index, &r);
	explicit_bzero(&r, sizeof(r));
}

void
mpn_app_cluster_attach(struct mpn_worker *w)
{
	struct mpn_track_directory d = {
		.fetch = worker_fetch, .publish = worker_publish,
		.unreachable = worker_unreachable, .arg = w,
	};

	if (mpn_app.cluster != NULL && w->pipeline.tracker != NULL)
		mpn_tracker_set_directory(w->pipeline.tracker, &d);
}

void
mpn_app_cluster_worker_poll(struct mpn_worker *w, uint64_t now)
{
	struct mpn_cluster_answer ans[16];
	unsigned int n, i;

	if (mpn_app.cluster == NULL || w->pipeline.tracker == NULL)
		return;
	n = mpn_cluster_poll_answers(mpn_app.cluster, w->index, ans, RTE_DIM(ans));
	for (i = 0; i < n; i++) {
		struct mpn_track_dir_record r;
		enum mpn_track_dir_status st;

		memset(&r, 0, sizeof(r));
		if (ans[i].status == MPN_CLUSTER_FOUND) {
			st = MPN_TRACK_DIR_FOUND;
			r.key_a = ans[i].rec.key_a;
			r.key_b = ans[i].rec.key_b;
			r.token_a = ans[i].rec.token_a;
			r.token_b = ans[i].rec.token_b;
			r.version = ans[i].rec.version;
			r.flags_a = ans[i].rec.flags_a;
			r.flags_b = ans[i].rec.flags_b;
			r.decision = ans[i].rec.decision;
		} else if (ans[i].status == MPN_CLUSTER_STORE_ERROR) {
			st = MPN_TRACK_DIR_ERROR;
		} else {
			st = MPN_TRACK_DIR_NOT_FOUND;
		}
		mpn_tracker_directory_answer(w->pipeline.tracker, ans[i].token, st, &r, now);
		explicit_bzero(&r, sizeof(r));
		explicit_bzero(&ans[i].rec, sizeof(ans[i].rec));
	}
}

/*
 * A local connection's record is freed (its last subflow gone): delete its
 * entries from the store, from whichever thread freed it. Only the box that
 * published a record deletes it; fetched (remote) ones are left to their
 * publisher and to their TTL.
 */
static void
on_conn_history(void *arg, const struct mpn_conn *c, const struct mpn_conn_subflow *s)
{
	unsigned int lcore = rte_lcore_id(), w, producer = mpn_app.n_workers;

	(void)arg;
	if (s != NULL || c->remote || mpn_app.cluster == NULL)
		return;
	for (w = 0; w < mpn_app.n_workers; w++)
		if (mpn_app.workers[w].lcore == lcore && lcore != rte_get_main_lcore())
			producer = w;
	mpn_cluster_unpublish(mpn_app.cluster, producer, c->token_a, c->token_b);
}

void
mpn_app_cluster_hook_conns(void)
{
	if (mpn_app.cluster != NULL && mpn_app.conns != NULL)
		mpn_conn_table_on_history(mpn_app.conns, on_conn_history, NULL);
}
