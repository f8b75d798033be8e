/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <inttypes.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "app.h"
#include "conn.h"
#include "ctx.h"
#include "json.h"
#include "offline.h"
#include "pcapio.h"
#include "pipeline.h"
#include "report.h"
#include "stats.h"

static struct mpn_pcap_in *
open_input(const char *path, enum mpn_l2_type *l2)
{
	char err[1024 + PATH_MAX];
	struct mpn_pcap_in *in = mpn_pcap_in_open(path, err, sizeof(err));

	if (in == NULL) {
		fprintf(stderr, "mpnorm: %s\n", err);
		return NULL;
	}
	if (mpn_pcap_in_l2(in, l2) != 0) {
		fprintf(stderr, "mpnorm: %s: link type %s (%d) is not supported: mpnorm "
			"reads Ethernet, Linux cooked (SLL, SLL2) and raw IP captures\n",
			path, mpn_pcap_in_linktype_name(in), mpn_pcap_in_linktype(in));
		mpn_pcap_in_close(in);
		return NULL;
	}
	return in;
}

int
mpn_offline_precheck(const struct mpn_offline_args *args)
{
	enum mpn_l2_type l2;
	struct mpn_pcap_in *in = open_input(args->in_path, &l2);

	if (in == NULL)
		return -1;
	mpn_pcap_in_close(in);
	return 0;
}

/*
 * A record larger than an mbuf's data room (possible in captures with a
 * 256 KB snap length) is processed on the bytes that fit, exactly as a
 * snap-length-truncated record is, and written back whole: the tail is kept
 * aside unchanged. Rewrites only ever touch headers, which are at the front.
 */
struct slot {
	int64_t ts_sec, ts_frac;
	uint32_t caplen, len;
	uint32_t tail_len;
	uint8_t *tail;
	size_t tail_cap;
};

/*
 * The offline summary lists every connection the capture had and every
 * subflow each one had, live at the end or long gone: analysing a long
 * capture must not lose the joins of a connection whose subflows were
 * swept before its end. The token table reports each subflow slot it
 * gives up and each record it unpublishes; they are kept here.
 */
struct history {
	struct mpn_conn **dead;           /* copies of unpublished records */
	size_t n_dead, cap_dead;
	struct hist_slot {
		uint64_t conn_serial;
		struct mpn_conn_subflow s;
	} *slots;
	size_t n_slots, cap_slots;
	bool oom;
};

static struct history hist;

static void
history_add(void *arg, const struct mpn_conn *c, const struct mpn_conn_subflow *s)
{
	struct history *h = arg;

	if (s != NULL) {
		if (h->n_slots == h->cap_slots) {
			size_t cap = h->cap_slots ? 2 * h->cap_slots : 64;
			void *p = realloc(h->slots, cap * sizeof(*h->slots));

			if (p == NULL) {
				h->oom = true;
				return;
			}
			h->slots = p;
			h->cap_slots = cap;
		}
		h->slots[h->n_slots].conn_serial = c->serial;
		h->slots[h->n_slots].s = *s;
		/* Gone: shown as removed, with its last state and verdict. */
		h->slots[h->n_slots++].s.used = MPN_SLOT_FREE;
		return;
	}
	if (h->n_dead == h->cap_dead) {
		size_t cap = h->cap_dead ? 2 * h->cap_dead : 16;
		void *p = realloc(h->dead, cap * sizeof(*h->dead));

		if (p == NULL) {
			h->oom = true;
			return;
		}
		h->dead = p;
		h->cap_dead = cap;
	}
	h->dead[h->n_dead] = malloc(sizeof(**h->dead));
	if (h->dead[h->n_dead] == NULL) {
		h->oom = true;
		return;
	}
	memcpy(h->dead[h->n_dead++], c, sizeof(*c));
}

static void
history_free(struct history *h)
{
	size_t i;

	for (i = 0; i < h->n_dead; i++) {
		/* The copies hold keys (RFC 7430 §3). */
		explicit_bzero(h->dead[i], sizeof(*h->dead[i]));
		free(h->dead[i]);
	}
	free(h->dead);
	free(h->slots);
	memset(h, 0, sizeof(*h));
}

struct conn_list {
	const struct mpn_conn **v;
	size_t n;
};

static void
collect_live(const struct mpn_conn *c, void *arg)
{
	struct conn_list *l = arg;

	l->v[l->n++] = c;
}

static int
cmp_conn_serial(const void *x, const void *y)
{
	const struct mpn_conn *a = *(const struct mpn_conn *const *)x;
	const struct mpn_conn *b = *(const struct mpn_conn *const *)y;

	return a->serial < b->serial ? -1 : a->serial > b->serial;
}

static int
cmp_slot(const void *x, const void *y)
{
	const struct hist_slot *a = x, *b = y;

	if (a->conn_serial != b->conn_serial)
		return a->conn_serial < b->conn_serial ? -1 : 1;
	return a->s.serial < b->s.serial ? -1 : a->s.serial > b->s.serial;
}

/* Every connection, live and gone, in the order they were seen. */
static void
json_connections(struct mpn_json *j, bool show_keys)
{
	struct conn_list l;
	size_t i, k = 0, cap = hist.n_dead + (mpn_app.conns != NULL ?
		mpn_conn_table_capacity(mpn_app.conns) : 0);

	l.v = malloc(sizeof(*l.v) * (cap ? cap : 1));
	l.n = 0;
	mpn_json_array_begin(j, "connections");
	if (l.v != NULL) {
		if (mpn_app.conns != NULL)
			mpn_conn_table_foreach(mpn_app.conns, collect_live, &l);
		for (i = 0; i < hist.n_dead; i++)
			l.v[l.n++] = hist.dead[i];
		qsort(l.v, l.n, sizeof(*l.v), cmp_conn_serial);
		qsort(hist.slots, hist.n_slots, sizeof(*hist.slots), cmp_slot);
		for (i = 0; i < l.n; i++) {
			struct mpn_conn_json_opts o = { .show_keys = show_keys };
			struct mpn_conn_subflow *gone;
			size_t first, n = 0;

			while (k < hist.n_slots && hist.slots[k].conn_serial < l.v[i]->serial)
				k++;
			for (first = k; k < hist.n_slots &&
					hist.slots[k].conn_serial == l.v[i]->serial; k++)
				n++;
			gone = n > 0 ? malloc(n * sizeof(*gone)) : NULL;
			if (gone != NULL)
				for (n = 0; first + n < k; n++)
					gone[n] = hist.slots[first + n].s;
			else
				n = 0;
			o.history = gone;
			o.n_history = (unsigned int)n;
			mpn_conn_json(l.v[i], j, NULL, &o);
			free(gone);
		}
	}
	mpn_json_array_end(j);
	free(l.v);
}

/* The tracker's counters: connections, joins, evictions, stateful checks. */
static void
json_tracking(struct mpn_json *j)
{
	static const struct mpn_track_stats none;
	const struct mpn_track_stats *ts = mpn_app.trackers[0] != NULL ?
		mpn_tracker_stats(mpn_app.trackers[0]) : &none;
	unsigned int i, n = mpn_track_stats_count();

	mpn_json_object_begin(j, "tracking");
	for (i = 0; i < n; i++) {
		uint64_t v;
		const char *name = mpn_track_stats_get(ts, i, &v);

		if (name != NULL)
			mpn_json_u64(j, name, v);
	}
	mpn_json_object_end(j);
}

/*
 * The interference counters (doc/interference.md), totals: an offline run
 * replays one capture as one link and direction, so only the totals mean
 * anything.
 */
static void
intf_totals(const struct mpn_intf *in, struct mpn_intf_counters *t)
{
	unsigned int l, d;

	memset(t, 0, sizeof(*t));
	for (l = 0; l < MPN_INTF_LINKS; l++)
		for (d = 0; d < 2; d++)
			mpn_intf_add(t, &in->link[l][d]);
}

static void
json_interference(struct mpn_json *j, const struct mpn_intf *in)
{
	struct mpn_intf_counters t;
	unsigned int i;

	intf_totals(in, &t);
	mpn_json_object_begin(j, "interference");
	for (i = 0; i < MPN_INTF_MAX; i++)
		mpn_json_u64(j, mpn_intf_name(i), t.c[i]);
	mpn_json_object_end(j);
}

static int
write_summary(const struct mpn_config *cfg, const struct mpn_offline_args *args,
	const char *linktype, const struct mpn_worker_stats *stats, const struct mpn_intf *in)
{
	char *buf = NULL;
	size_t len = 0;
	struct mpn_json j;
	struct stat st;
	FILE *m = open_memstream(&buf, &len);
	int rc = 0;

	if (m == NULL)
		return -1;
	mpn_json_init(&j, m);
	mpn_json_object_begin(&j, NULL);
	mpn_json_str(&j, "mpnorm_version", MPN_VERSION);
	mpn_json_str(&j, "input", args->in_path);
	mpn_json_str(&j, "output", args->out_path);
	mpn_json_str(&j, "config", cfg->path);
	mpn_json_str(&j, "linktype", linktype);
	mpn_report_json_counters(&j, stats);
	mpn_report_json_workers(&j, stats, 1);
	json_tracking(&j);
	json_interference(&j, in);
	json_connections(&j, args->show_keys);
	mpn_json_object_end(&j);
	mpn_json_end(&j);
	fclose(m);

	/* stdout, or a device or FIFO: written as is, never renamed over. */
	if (strcmp(args->json_path, "-") == 0 ||
			(stat(args->json_path, &st) == 0 && !S_ISREG(st.st_mode))) {
		FILE *o = strcmp(args->json_path, "-") == 0 ? stdout : fopen(args->json_path, "w");

		if (o == NULL) {
			fprintf(stderr, "mpnorm: %s: %s\n", args->json_path, strerror(errno));
			free(buf);
			return -1;
		}
		fwrite(buf, 1, len, o);
		if (o == stdout)
			fflush(o);
		else
			fclose(o);
	} else {
		/* Same rule as the capture: a complete file or none at all. */
		char tmp[PATH_MAX + 16];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp%d", args->json_path, (int)getpid());
		f = fopen(tmp, "w");
		if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0 ||
				rename(tmp, args->json_path) != 0) {
			fprintf(stderr, "mpnorm: %s: cannot write the JSON summary: %s\n",
				args->json_path, strerror(errno));
			unlink(tmp);
			rc = -1;
		}
	}
	free(buf);
	return rc;
}

static void
print_text_summary(const struct mpn_offline_args *args, const struct mpn_worker_stats *s,
	const struct mpn_intf *in)
{
	struct mpn_intf_counters t;
	unsigned int i, n = 0;

	printf("mpnorm offline: %s -> %s\n", args->in_path, args->out_path);
	printf("  packets in %" PRIu64 ", out %" PRIu64 ", dropped %" PRIu64
		", rewritten %" PRIu64 "\n", s->rx, s->tx, s->dropped, s->rewritten);
	mpn_report_text_reasons(stdout, s);
	/* The interference counters that moved (doc/interference.md). */
	intf_totals(in, &t);
	for (i = 0; i < MPN_INTF_MAX; i++) {
		if (t.c[i] == 0)
			continue;
		printf("%s %s %" PRIu64, n++ == 0 ? "  mptcp interference:" : ",", mpn_intf_name(i),
			t.c[i]);
	}
	if (n > 0)
		printf("\n");
}

int
mpn_offline_run(const struct mpn_config *cfg, const struct mpn_offline_args *args)
{
	static struct mpn_worker_stats stats;
	struct mpn_burst_origin origin = { .port = 0, .link = 0, .dir = MPN_DIR_IN2OUT };
	unsigned int burst = cfg->dataplane.burst;
	struct rte_mbuf *pkts[MPN_MAX_BURST];
	uint8_t verdicts[MPN_MAX_BURST];
	struct slot slots[MPN_MAX_BURST];
	char err[1024 + PATH_MAX];
	struct mpn_pcap_out *out = NULL;
	struct mpn_pcap_in *in;
	struct mpn_pipeline pl = { 0 };
	struct rte_mempool *mp;
	uint32_t room;
	uint64_t now = 0;
	bool nano = false;
	unsigned int n, i;
	int rc = 1, eof = 0;

	memset(slots, 0, sizeof(slots));
	in = open_input(args->in_path, &origin.l2);
	if (in == NULL)
		return 1;
	/* The largest data room an mbuf can have (its length is 16 bits). */
	mp = rte_pktmbuf_pool_create("mpn_offline", 2 * MPN_MAX_BURST - 1, 0, MPN_MBUF_PRIV_SIZE,
		UINT16_MAX - MPN_MBUF_PRIV_SIZE, SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "mpnorm: cannot create the offline mbuf pool: %s. "
			"Give the EAL more memory (-m).\n", rte_strerror(rte_errno));
		goto done;
	}
	room = UINT16_MAX - MPN_MBUF_PRIV_SIZE - RTE_PKTMBUF_HEADROOM;
	out = mpn_pcap_out_open_like(in, args->out_path, err, sizeof(err));
	if (out == NULL) {
		fprintf(stderr, "mpnorm: %s\n", err);
		goto done;
	}
	if (mpn_pipeline_init(&pl, 0, &stats) != 0) {
		fprintf(stderr, "mpnorm: out of memory\n");
		goto done;
	}
	/* Capture time, in microseconds, drives the timeouts: runs are deterministic. */
	if (mpn_app_tracking_init(cfg, 1, 1000000, err, sizeof(err)) != 0) {
		fprintf(stderr, "mpnorm: %s\n", err);
		goto done;
	}
	pl.tracker = mpn_app.trackers[0];
	if (mpn_app.conns != NULL)
		mpn_conn_table_on_history(mpn_app.conns, history_add, &hist);
	nano = mpn_pcap_in_nanosecond(in);

	while (!eof) {
		for (n = 0; n < burst; n++) {
			struct mpn_pcap_rec rec;
			struct slot *s = &slots[n];
			uint32_t head;
			int r = mpn_pcap_in_next(in, &rec, err, sizeof(err));

			if (r == 0) {
				eof = 1;
				break;
			}
			if (r < 0) {
				fprintf(stderr, "mpnorm: %s: %s (after %" PRIu64 " good records)\n",
					args->in_path, err, stats.rx + n);
				rte_pktmbuf_free_bulk(pkts, n);
				goto done;
			}
			pkts[n] = rte_pktmbuf_alloc(mp);
			if (pkts[n] == NULL) {
				fprintf(stderr, "mpnorm: offline mbuf pool exhausted\n");
				rte_pktmbuf_free_bulk(pkts, n);
				goto done;
			}
			head = RTE_MIN(rec.caplen, room);
			memcpy(rte_pktmbuf_mtod(pkts[n], uint8_t *), rec.data, head);
			pkts[n]->data_len = (uint16_t)head;
			pkts[n]->pkt_len = head;
			s->ts_sec = rec.ts_sec;
			s->ts_frac = rec.ts_frac;
			if (n == 0)
				now = (uint64_t)rec.ts_sec * 1000000u +
					(uint64_t)(nano ? rec.ts_frac / 1000 : rec.ts_frac);
			s->caplen = rec.caplen;
			s->len = rec.len;
			s->tail_len = rec.caplen - head;
			if (s->tail_len > s->tail_cap) {
				uint8_t *t = realloc(s->tail, s->tail_len);

				if (t == NULL) {
					fprintf(stderr, "mpnorm: out of memory\n");
					rte_pktmbuf_free_bulk(pkts, n + 1);
					goto done;
				}
				s->tail = t;
				s->tail_cap = s->tail_len;
			}
			if (s->tail_len > 0)
				memcpy(s->tail, rec.data + head, s->tail_len);
		}
		if (n == 0)
			break;
		mpn_pipeline_run(&pl, cfg->policy, &origin, pkts, (uint16_t)n, verdicts, now);
		if (pl.tracker != NULL)
			mpn_tracker_loop(pl.tracker, now, 64);
		for (i = 0; i < n; i++) {
			struct slot *s = &slots[i];

			if (verdicts[i] == MPN_VERDICT_FORWARD) {
				const uint8_t *d = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
				uint32_t head = pkts[i]->data_len;

				if (s->tail_len == 0) {
					mpn_pcap_out_write(out, s->ts_sec, s->ts_frac, d, head, s->len);
				} else {
					uint8_t *whole = malloc(head + s->tail_len);

					if (whole == NULL) {
						fprintf(stderr, "mpnorm: out of memory\n");
						rte_pktmbuf_free_bulk(pkts + i, n - i);
						goto done;
					}
					memcpy(whole, d, head);
					memcpy(whole + head, s->tail, s->tail_len);
					mpn_pcap_out_write(out, s->ts_sec, s->ts_frac, whole,
						head + s->tail_len, s->len);
					free(whole);
				}
				stats.tx++;
				stats.port[0].tx++;
			} else if (verdicts[i] == MPN_VERDICT_REPLY) {
				/*
				 * A refused join answered with a RST (join-refuse-action
				 * reset): the output holds what mpnorm puts on the wire,
				 * so the RST is written where the SYN was, with its time
				 * stamp; its swapped addresses show which way it goes.
				 * The SYN counts as dropped, so the RST is no packet
				 * out (packets_in = out + dropped, as live).
				 */
				mpn_pcap_out_write(out, s->ts_sec, s->ts_frac,
					rte_pktmbuf_mtod(pkts[i], const uint8_t *), pkts[i]->data_len,
					pkts[i]->data_len);
				stats.port[0].tx++;
			}
			rte_pktmbuf_free(pkts[i]);
		}
	}
	if (mpn_pcap_out_commit(out, err, sizeof(err)) != 0) {
		out = NULL;
		fprintf(stderr, "mpnorm: %s\n", err);
		goto done;
	}
	out = NULL;
	/* The per-subflow counters the sweep has not folded yet. */
	if (pl.tracker != NULL)
		mpn_tracker_fold_all(pl.tracker);
	if (args->json_path != NULL) {
		if (write_summary(cfg, args, mpn_pcap_in_linktype_name(in), &stats, &pl.intf) != 0) {
			/* No half of a run left behind: but only ever remove a regular file. */
			struct stat st;

			if (stat(args->out_path, &st) == 0 && S_ISREG(st.st_mode))
				unlink(args->out_path);
			goto done;
		}
	} else {
		print_text_summary(args, &stats, &pl.intf);
	}
	rc = 0;
done:
	mpn_pcap_out_abort(out);
	mpn_pcap_in_close(in);
	for (i = 0; i < MPN_MAX_BURST; i++)
		free(slots[i].tail);
	mpn_app_tracking_fini();
	history_free(&hist);
	mpn_pipeline_fini(&pl);
	rte_mempool_free(mp);
	return rc;
}
