/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show mptcp interference` and the sums behind it and the telemetry
 * endpoint (intf_view.h). The workers count (lib/pipeline/interference.c);
 * this reads their counters with mpn_stats_read() and subtracts the
 * baselines `clear counters` and reloads take, so the workers never stop
 * or synchronise for a reader.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "cli.h"
#include "cli_render.h"
#include "intf_view.h"
#include "stats.h"

_Static_assert(MPN_INTF_LINKS == MPN_CONFIG_MAX_LINKS, "one set of counters per link");

/* Baselines: written by the main lcore, read by the telemetry thread too (atomics). */
static struct mpn_intf_counters link_base[MPN_INTF_LINKS][2];
static struct mpn_intf_counters cls_base[MPN_POLICY_RULE_IDS];
static time_t links_since, classes_since;

/* The workers' raw totals: per link and direction, and per class (either may be NULL). */
static void
raw_totals(struct mpn_intf_counters links[MPN_INTF_LINKS][2], struct mpn_intf_counters *cls)
{
	unsigned int w, l, d, r;

	if (links != NULL)
		memset(links, 0, sizeof(struct mpn_intf_counters) * MPN_INTF_LINKS * 2);
	if (cls != NULL)
		memset(cls, 0, sizeof(*cls) * MPN_POLICY_RULE_IDS);
	for (w = 0; w < mpn_app.n_workers; w++) {
		const struct mpn_intf *in = &mpn_app.workers[w].pipeline.intf;

		if (links != NULL)
			for (l = 0; l < MPN_INTF_LINKS; l++)
				for (d = 0; d < 2; d++)
					mpn_intf_add(&links[l][d], &in->link[l][d]);
		if (cls != NULL && in->cls != NULL)
			for (r = 0; r < MPN_POLICY_RULE_IDS; r++)
				mpn_intf_add(&cls[r], &in->cls[r]);
	}
}

static void
minus_base(struct mpn_intf_counters *x, const struct mpn_intf_counters *base)
{
	unsigned int i;

	for (i = 0; i < MPN_INTF_MAX; i++)
		x->c[i] -= mpn_stats_read(&base->c[i]);
}

void
mpn_intf_view_links(struct mpn_intf_counters out[MPN_INTF_LINKS][2])
{
	unsigned int l, d;

	raw_totals(out, NULL);
	for (l = 0; l < MPN_INTF_LINKS; l++)
		for (d = 0; d < 2; d++)
			minus_base(&out[l][d], &link_base[l][d]);
}

void
mpn_intf_view_classes(struct mpn_intf_counters *out)
{
	unsigned int r;

	raw_totals(NULL, out);
	for (r = 0; r < MPN_POLICY_RULE_IDS; r++)
		minus_base(&out[r], &cls_base[r]);
}

void
mpn_intf_view_clear_links(void)
{
	static struct mpn_intf_counters now[MPN_INTF_LINKS][2];

	raw_totals(now, NULL);
	mpn_stats_copy_u64((uint64_t *)link_base, (const uint64_t *)now,
		sizeof(now) / (sizeof(uint64_t)));
	links_since = time(NULL);
}

void
mpn_intf_view_snapshot_classes(void)
{
	struct mpn_intf_counters *now = calloc(MPN_POLICY_RULE_IDS, sizeof(*now));

	if (now == NULL)
		return; /* the view keeps its older baseline */
	raw_totals(NULL, now);
	mpn_stats_copy_u64((uint64_t *)cls_base, (const uint64_t *)now,
		sizeof(cls_base) / (sizeof(uint64_t)));
	classes_since = time(NULL);
	free(now);
}

static void
render_time(struct mpn_cli_ctx *ctx, const char *key, time_t t)
{
	char buf[32] = "start";
	struct tm tm;

	if (t != 0) {
		localtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	}
	mpn_render_str(ctx->r, key, buf);
}

/*
 * Three views: every counter with its total (so the operator sees what
 * is zero too), then per link and direction and per class the counters
 * that are not zero, one row each.
 */
int
mpn_intf_view_cmd(struct mpn_cli_ctx *ctx, int argc, const char *const *argv)
{
	static struct mpn_intf_counters links[MPN_INTF_LINKS][2];
	struct mpn_intf_counters *cls;
	unsigned int l, d, i, r;
	uint64_t tot;
	char name[160];

	(void)argc;
	(void)argv;
	cls = calloc(MPN_POLICY_RULE_IDS, sizeof(*cls));
	if (cls == NULL)
		return mpn_cli_error(ctx, "out of memory");
	mpn_intf_view_links(links);
	mpn_intf_view_classes(cls);
	render_time(ctx, "counters_since", links_since);
	render_time(ctx, "classes_since", classes_since);
	mpn_render_str(ctx->r, "doc", "doc/interference.md: what each counter means and what to do");
	mpn_render_table_begin(ctx->r, "counters", "counter", "total", "description", NULL);
	for (i = 0; i < MPN_INTF_MAX; i++) {
		tot = 0;
		for (l = 0; l < MPN_INTF_LINKS; l++)
			for (d = 0; d < 2; d++)
				tot += links[l][d].c[i];
		mpn_render_row_begin(ctx->r);
		mpn_render_cell_str(ctx->r, mpn_intf_name(i));
		mpn_render_cell_u64(ctx->r, tot);
		mpn_render_cell_str(ctx->r, mpn_intf_desc(i));
		mpn_render_row_end(ctx->r);
	}
	mpn_render_table_end(ctx->r);
	mpn_render_table_begin(ctx->r, "links", "link", "direction", "counter", "count", NULL);
	for (l = 0; l < mpn_app.cfg.n_links && l < MPN_INTF_LINKS; l++)
		for (d = 0; d < 2; d++)
			for (i = 0; i < MPN_INTF_MAX; i++) {
				if (links[l][d].c[i] == 0)
					continue;
				mpn_render_row_begin(ctx->r);
				mpn_render_cell_str(ctx->r, mpn_app.cfg.links[l].name);
				mpn_render_cell_str(ctx->r, d == MPN_DIR_IN2OUT ? "in2out" : "out2in");
				mpn_render_cell_str(ctx->r, mpn_intf_name(i));
				mpn_render_cell_u64(ctx->r, links[l][d].c[i]);
				mpn_render_row_end(ctx->r);
			}
	mpn_render_table_end(ctx->r);
	mpn_render_table_begin(ctx->r, "classes", "class", "counter", "count", NULL);
	for (r = 0; r < MPN_POLICY_RULE_IDS; r++)
		for (i = 0; i < MPN_INTF_MAX; i++) {
			if (cls[r].c[i] == 0)
				continue;
			mpn_app_rule_name((uint16_t)r, name, sizeof(name));
			mpn_render_row_begin(ctx->r);
			mpn_render_cell_str(ctx->r, name);
			mpn_render_cell_str(ctx->r, mpn_intf_name(i));
			mpn_render_cell_u64(ctx->r, cls[r].c[i]);
			mpn_render_row_end(ctx->r);
		}
	mpn_render_table_end(ctx->r);
	free(cls);
	return 0;
}
