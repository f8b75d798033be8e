/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sizing a configuration by measuring it (see sizing.h). The EAL this runs
 * in has no hugepages and no devices: mpnorm --check-config may run next to
 * a live mpnorm, on a machine whose hugepages are not reserved yet.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_ring.h>

#include "app.h"
#include "ctx.h"
#include "json.h"
#include "sizing.h"

/*
 * Upper bounds per entry for the measuring EAL's -m only, so that the
 * measurement never runs out of its own memory. They are several times what
 * the tables take today; what is printed is measured, never these.
 */
#define BOUND_SUBFLOW 4096ull
#define BOUND_CONN 8192ull
#define BOUND_MBUF 4096ull
#define BOUND_BASE_MB 256u

static uint64_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t used = 0;
	unsigned int i;

	/* Every socket: the tables follow the main lcore, but say so by measuring. */
	for (i = 0; i < rte_socket_count(); i++) {
		memset(&st, 0, sizeof(st));
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			used += st.heap_allocsz_bytes;
	}
	return used;
}

static uint64_t
mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

static unsigned int
ports_in_use(const struct mpn_config *cfg)
{
	uint8_t used[MPN_CONFIG_MAX_PORTS] = { 0 };
	unsigned int i, n = 0;

	for (i = 0; i < cfg->n_links; i++) {
		used[cfg->links[i].inside] = 1;
		used[cfg->links[i].outside] = 1;
	}
	for (i = 0; i < cfg->n_ports; i++)
		n += used[i];
	return n;
}

/* The handoff rings exist only with several workers; size them as main.c does. */
static uint64_t
ring_slots(const struct mpn_config *cfg)
{
	if (cfg->dataplane.workers < 2)
		return 0;
	return (uint64_t)cfg->dataplane.workers * rte_align32pow2(cfg->dataplane.handoff_ring);
}

static uint64_t
bound_bytes(const struct mpn_config *cfg)
{
	return (uint64_t)cfg->dataplane.workers * cfg->tables.subflows * BOUND_SUBFLOW +
		(uint64_t)cfg->tables.connections * BOUND_CONN +
		(uint64_t)cfg->dataplane.mbufs * BOUND_MBUF + ring_slots(cfg) * 2 * sizeof(void *);
}

unsigned int
mpn_sizing_eal_mb(const struct mpn_config *cfg, uint32_t *scale)
{
	uint64_t bound = bound_bytes(cfg), avail = mem_available();
	uint32_t k = 1;

	/*
	 * Building a table touches all of its memory. A configuration larger
	 * than half of what this machine has free is measured at 1/k and
	 * multiplied: every structure grows with its entry count.
	 */
	while (avail != 0 && bound / k > avail / 2 && k < 1024)
		k *= 2;
	*scale = k;
	return BOUND_BASE_MB + (unsigned int)((bound / k) >> 20);
}

static unsigned int
scaled(unsigned int v, uint32_t k, unsigned int floor)
{
	v /= k;
	return v < floor ? floor : v;
}

/*
 * rte_pktmbuf_pool_create(), step by step, with one difference: the flag
 * RTE_MEMPOOL_F_NO_IOVA_CONTIG. In an EAL without hugepages the pool would
 * otherwise keep every mbuf inside one 4 KB page, so only one 2,368-byte
 * mbuf fits per page and the pool measures ~1.75 times what it takes on
 * 2 MB hugepages, where objects are packed (losing a fraction of one mbuf
 * per 2 MB page). Everything else (element size, private area, per-lcore
 * caches, the ring behind the pool) is what the daemon's pool allocates.
 */
static struct rte_mempool *
pool_create(const char *name, unsigned int n, unsigned int cache, uint16_t data_room,
	int socket)
{
	struct rte_pktmbuf_pool_private priv;
	struct rte_mempool *mp;

	memset(&priv, 0, sizeof(priv));
	priv.mbuf_data_room_size = data_room;
	priv.mbuf_priv_size = MPN_MBUF_PRIV_SIZE;
	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + MPN_MBUF_PRIV_SIZE +
		data_room, cache, sizeof(priv), socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL) != 0) {
		rte_mempool_free(mp);
		return NULL;
	}
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0) {
		rte_mempool_free(mp);
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}

int
mpn_sizing_measure(const struct mpn_config *cfg, uint32_t scale, struct mpn_sizing *s,
	char *err, size_t errlen)
{
	/* A copy: the measured configuration may be scaled down. */
	static struct mpn_config c;
	struct rte_ring *rings[MPN_MAX_WORKERS];
	struct mpn_conn_table *ct;
	struct rte_mempool *mp;
	unsigned int w, nw = cfg->dataplane.workers;
	uint64_t before, after;
	int socket = (int)rte_socket_id();

	memset(s, 0, sizeof(*s));
	memcpy(&c, cfg, sizeof(c));
	c.policy = NULL;
	c.tables.subflows = scaled(cfg->tables.subflows, scale, 64);
	c.tables.connections = scaled(cfg->tables.connections, scale, 64);
	c.dataplane.mbufs = scaled(cfg->dataplane.mbufs, scale, 64);
	s->scale = scale;
	s->eal = heap_used();

	/* The token table alone, created as tracking.c creates it. */
	before = heap_used();
	ct = mpn_conn_table_create("mpn_conns_size", c.tables.connections, nw + 1, socket);
	if (ct == NULL) {
		snprintf(err, errlen, "%s: cannot create a token table of %u connections (%s)",
			cfg->path, c.tables.connections, rte_strerror(rte_errno));
		return -1;
	}
	s->conns = heap_used() - before;
	mpn_conn_table_free(ct);

	/* Token table plus one subflow table per worker: the daemon's own call. */
	before = heap_used();
	if (mpn_app_tracking_init(&c, nw, rte_get_tsc_hz(), err, errlen) != 0)
		return -1;
	after = heap_used();
	mpn_app_tracking_fini();
	s->subflows = after - before > s->conns ? after - before - s->conns : 0;

	/* The packet pool, as run_online() creates it (see pool_create()). */
	before = heap_used();
	mp = pool_create("mpn_pkts_size", c.dataplane.mbufs, c.dataplane.mbuf_cache,
		RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (mp == NULL) {
		snprintf(err, errlen, "%s: cannot create a pool of %u mbufs (%s)", cfg->path,
			c.dataplane.mbufs, rte_strerror(rte_errno));
		return -1;
	}
	s->mbufs = heap_used() - before;
	rte_mempool_free(mp);
	/* And with the daemon's own call, which is what a --no-huge EAL gets. */
	before = heap_used();
	mp = rte_pktmbuf_pool_create("mpn_pkts_size", c.dataplane.mbufs,
		c.dataplane.mbuf_cache, MPN_MBUF_PRIV_SIZE, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (mp == NULL) {
		snprintf(err, errlen, "%s: cannot create a pool of %u mbufs (%s)", cfg->path,
			c.dataplane.mbufs, rte_strerror(rte_errno));
		return -1;
	}
	s->mbufs_nohuge = heap_used() - before;
	rte_mempool_free(mp);

	/* Handoff rings, as decide_placement() creates them (the worst case). */
	if (nw > 1) {
		before = heap_used();
		memset(rings, 0, sizeof(rings));
		for (w = 0; w < nw; w++) {
			char name[32];

			snprintf(name, sizeof(name), "mpn_inbox_size%u", w);
			rings[w] = rte_ring_create(name, rte_align32pow2(c.dataplane.handoff_ring),
				socket, RING_F_SC_DEQ);
			if (rings[w] == NULL)
				break;
		}
		s->rings = heap_used() - before;
		for (w = 0; w < nw; w++)
			rte_ring_free(rings[w]);
		if (s->rings == 0) {
			snprintf(err, errlen, "%s: cannot create the handoff rings of %u entries",
				cfg->path, cfg->dataplane.handoff_ring);
			return -1;
		}
	}
	s->subflows *= scale;
	s->conns *= scale;
	s->mbufs *= scale;
	s->mbufs_nohuge *= scale;
	s->ports_in_use = ports_in_use(cfg);
	s->allowance = MPN_SIZING_FIXED_ALLOWANCE +
		(uint64_t)s->ports_in_use * nw * MPN_SIZING_PORT_QUEUE_ALLOWANCE +
		(s->subflows + s->conns + s->mbufs + s->rings) * MPN_SIZING_PCT_ALLOWANCE / 100;
	s->total = s->eal + s->subflows + s->conns + s->mbufs + s->rings + s->allowance;
	s->hugepages = (uint32_t)((s->total + MPN_SIZING_HUGEPAGE - 1) / MPN_SIZING_HUGEPAGE);
	s->total_nohuge = s->total - s->mbufs + s->mbufs_nohuge;
	return 0;
}

/* The line of @p name (a libconfig path such as "control.group") in @p path, or 0. */
static int
line_of(const char *path, const char *name)
{
	config_t lc;
	config_setting_t *st;
	int line = 0;

	config_init(&lc);
	if (config_read_file(&lc, path) == CONFIG_TRUE) {
		st = config_lookup(&lc, name);
		if (st != NULL)
			line = (int)config_setting_source_line(st);
	}
	config_destroy(&lc);
	return line;
}

unsigned int
mpn_sizing_check_environment(const struct mpn_config *cfg, FILE *f)
{
	unsigned int errors = 0;

	if (cfg->control.group[0] != '\0' && getgrnam(cfg->control.group) == NULL) {
		fprintf(f, "%s:%d: control.group '%s' does not exist on this machine: mpnorm "
			"could not give it the control socket. Create it (groupadd --system %s; "
			"the Debian package does) or remove the setting (then only root may use "
			"mpnormctl).\n", cfg->path, line_of(cfg->path, "control.group"),
			cfg->control.group, cfg->control.group);
		errors++;
	}
	return errors;
}

long
mpn_sizing_free_hugepages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	long n = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static double
mb(uint64_t b)
{
	return (double)b / (1 << 20);
}

static double
per(uint64_t bytes, uint64_t n)
{
	return n == 0 ? 0.0 : (double)bytes / (double)n;
}

void
mpn_sizing_print(FILE *f, const struct mpn_config *cfg, const struct mpn_sizing *s)
{
	unsigned int nw = cfg->dataplane.workers;
	uint64_t nsub = (uint64_t)nw * cfg->tables.subflows;

	fprintf(f, "memory, measured in DPDK's heap%s:\n", s->scale > 1 ?
		"" : " (tables built at full size, no devices)");
	if (s->scale > 1)
		fprintf(f, "  (built at 1/%u of the configured sizes and multiplied by %u: the "
			"full size would not fit in half of this machine's free memory)\n",
			s->scale, s->scale);
	fprintf(f, "  %-18s %8u x %-10u entries %10.1f MB  (%.0f bytes per subflow)\n",
		"subflow tables", nw, cfg->tables.subflows, mb(s->subflows), per(s->subflows, nsub));
	fprintf(f, "  %-18s %8s   %-10u conns   %10.1f MB  (%.0f bytes per connection)\n",
		"token table", "", cfg->tables.connections, mb(s->conns),
		per(s->conns, cfg->tables.connections));
	fprintf(f, "  %-18s %8s   %-10u mbufs   %10.1f MB  (%.0f bytes per mbuf, %u-byte "
		"data room)\n", "packet buffers", "", cfg->dataplane.mbufs, mb(s->mbufs),
		per(s->mbufs, cfg->dataplane.mbufs), RTE_MBUF_DEFAULT_DATAROOM);
	if (nw > 1)
		fprintf(f, "  %-18s %8u x %-10u slots   %10.1f MB\n", "handoff rings", nw,
			rte_align32pow2(cfg->dataplane.handoff_ring), mb(s->rings));
	fprintf(f, "  %-18s %41.1f MB\n", "EAL itself", mb(s->eal));
	fprintf(f, "  %-18s %41.1f MB  (not measured: %u MB + %u MB per port queue, "
		"%u port(s) x %u queue(s), + %u%% of the above)\n", "allowance", mb(s->allowance),
		MPN_SIZING_FIXED_ALLOWANCE >> 20, MPN_SIZING_PORT_QUEUE_ALLOWANCE >> 20,
		s->ports_in_use, nw, MPN_SIZING_PCT_ALLOWANCE);
	fprintf(f, "  %-18s %41.1f MB\n", "total", mb(s->total));
	fprintf(f, "hugepages: %u x 2 MB on the main lcore's NUMA node (reserve with: "
		"dpdk-hugepages.py -p 2M --setup %uM)\n", s->hugepages, s->hugepages * 2);
	fprintf(f, "without hugepages: --no-huge -m %" PRIu64 " (a --no-huge pool keeps each "
		"mbuf in one 4 KB page: %.1f MB of mbufs)\n",
		(s->total_nohuge + (1 << 20) - 1) >> 20, mb(s->mbufs_nohuge));
}

void
mpn_sizing_json(FILE *f, const struct mpn_config *cfg, const struct mpn_sizing *s,
	long free_hugepages, bool valid)
{
	struct mpn_json j;

	mpn_json_init(&j, f);
	mpn_json_object_begin(&j, NULL);
	mpn_json_str(&j, "config", cfg->path);
	mpn_json_bool(&j, "valid", valid);
	mpn_json_u64(&j, "workers", cfg->dataplane.workers);
	mpn_json_u64(&j, "subflows_per_worker", cfg->tables.subflows);
	mpn_json_u64(&j, "connections", cfg->tables.connections);
	mpn_json_u64(&j, "mbufs", cfg->dataplane.mbufs);
	mpn_json_u64(&j, "ports_in_use", s->ports_in_use);
	mpn_json_u64(&j, "scale", s->scale);
	mpn_json_object_begin(&j, "bytes");
	mpn_json_u64(&j, "eal", s->eal);
	mpn_json_u64(&j, "subflow_tables", s->subflows);
	mpn_json_u64(&j, "token_table", s->conns);
	mpn_json_u64(&j, "mbuf_pool", s->mbufs);
	mpn_json_u64(&j, "mbuf_pool_nohuge", s->mbufs_nohuge);
	mpn_json_u64(&j, "handoff_rings", s->rings);
	mpn_json_u64(&j, "allowance", s->allowance);
	mpn_json_u64(&j, "total", s->total);
	mpn_json_object_end(&j);
	mpn_json_u64(&j, "bytes_per_subflow", (uint64_t)(per(s->subflows,
		(uint64_t)cfg->dataplane.workers * cfg->tables.subflows) + 0.5));
	mpn_json_u64(&j, "bytes_per_connection", (uint64_t)(per(s->conns,
		cfg->tables.connections) + 0.5));
	mpn_json_u64(&j, "bytes_per_mbuf", (uint64_t)(per(s->mbufs, cfg->dataplane.mbufs) + 0.5));
	mpn_json_u64(&j, "hugepages_2mb", s->hugepages);
	mpn_json_u64(&j, "nohuge_mb", (s->total_nohuge + (1 << 20) - 1) >> 20);
	mpn_json_i64(&j, "free_hugepages_2mb", free_hugepages);
	mpn_json_object_end(&j);
	mpn_json_end(&j);
}

/* The first CPU this process may run on: the measuring EAL's only lcore. */
static int
first_cpu(void)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				return i;
	return 0;
}

static uint64_t
mem_total(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

/* The setting that weighs most in @p s, as a libconfig path, for messages. */
static const char *
largest_setting(const struct mpn_sizing *s)
{
	if (s->subflows >= s->conns && s->subflows >= s->mbufs)
		return "tables.subflows";
	if (s->conns >= s->mbufs)
		return "tables.connections";
	return "dataplane.mbufs";
}

int
mpn_sizing_check_config(const char *argv0, const struct mpn_config *cfg,
	const char *json_path, bool check_hugepages)
{
	char mem[16], lcore[16], err[1024];
	char *eal_argv[] = {
		(char *)(uintptr_t)argv0, "--no-huge", "-m", mem, "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=lib.eal:error", "-l", lcore, NULL,
	};
	struct mpn_sizing s;
	unsigned int errors;
	uint64_t total_ram;
	long free_pages;
	uint32_t scale;
	FILE *jf = NULL;
	int rc;

	errors = mpn_sizing_check_environment(cfg, stderr);
	snprintf(mem, sizeof(mem), "%u", mpn_sizing_eal_mb(cfg, &scale));
	snprintf(lcore, sizeof(lcore), "%d", first_cpu());
	rc = rte_eal_init((int)RTE_DIM(eal_argv) - 1, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "mpnorm: --check-config: cannot start a measuring EAL with "
			"--no-huge -m %s (%s)\n", mem, rte_strerror(rte_errno));
		return 1;
	}
	if (mpn_sizing_measure(cfg, scale, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "mpnorm: %s. Lower the sizes in %s (tables.subflows line %d, "
			"tables.connections line %d, dataplane.mbufs line %d).\n", err, cfg->path,
			line_of(cfg->path, "tables.subflows"), line_of(cfg->path, "tables.connections"),
			line_of(cfg->path, "dataplane.mbufs"));
		rte_eal_cleanup();
		return 1;
	}
	rte_eal_cleanup();
	total_ram = mem_total();
	if (total_ram != 0 && s.total > total_ram) {
		const char *big = largest_setting(&s);

		fprintf(stderr, "%s:%d: the configuration needs %" PRIu64 " MB (%u 2 MB "
			"hugepages) but this machine has %" PRIu64 " MB of memory in all; %s "
			"takes the most. Lower it.\n", cfg->path, line_of(cfg->path, big),
			s.total >> 20, s.hugepages, total_ram >> 20, big);
		errors++;
	}
	free_pages = mpn_sizing_free_hugepages();
	if (check_hugepages && free_pages < (long)s.hugepages) {
		fprintf(stderr, "mpnorm: %s needs %u free 2 MB hugepages (%u MB), but the "
			"kernel has %ld free. Reserve at least %u: MPNORM_HUGEPAGES=%u in "
			"/etc/default/mpnorm for the service, or dpdk-hugepages.py -p 2M "
			"--setup %uM. Or lower tables.subflows, tables.connections or "
			"dataplane.mbufs.\n", cfg->path, s.hugepages, s.hugepages * 2,
			free_pages < 0 ? 0 : free_pages, s.hugepages, s.hugepages, s.hugepages * 2);
		errors++;
	}
	if (json_path != NULL) {
		jf = strcmp(json_path, "-") == 0 ? stdout : fopen(json_path, "w");
		if (jf == NULL) {
			fprintf(stderr, "mpnorm: cannot write %s: %s\n", json_path, strerror(errno));
			return 1;
		}
		mpn_sizing_json(jf, cfg, &s, free_pages, errors == 0);
		if (jf != stdout)
			fclose(jf);
	} else {
		printf("%s: %s (%u link(s), %u port(s) in use; --check-config does not open "
			"ports)\n", cfg->path, errors == 0 ? "configuration valid" :
			"configuration loaded, with the errors above", cfg->n_links, s.ports_in_use);
		mpn_sizing_print(stdout, cfg, &s);
		if (free_pages >= 0)
			printf("free 2 MB hugepages now: %ld (%s)\n", free_pages,
				free_pages >= (long)s.hugepages ? "enough" : "not enough");
	}
	return errors == 0 ? 0 : 1;
}
