/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tracker object: what the lookup, check and commit stages share for
 * one worker, and its housekeeping (sweep by time, RCU quiescence, flow
 * events, operator clears).
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "stages.h"

/*
 * Every entry that leaves the table passes here, whatever removed it:
 * packets of the current batch that were looked up to it must not use it
 * any more, and a teardown event goes out.
 */
static void
on_remove(void *arg, const struct mpn_flow_key *key, const struct mpn_subflow *sf, uint8_t why)
{
	struct mpn_tracker *t = arg;
	int32_t pos = mpn_flow_pos(t->ft, sf);
	unsigned int j;

	if (t->burst != NULL)
		for (j = t->burst_from; j < t->burst_n; j++)
			if (t->burst[j].pos == pos)
				t->burst[j].pos = -1;
	if (t->ev_fn != NULL)
		mpn_track_emit(t, MPN_FLOW_EV_TEARDOWN, key, sf, true, why, MPN_RULE_NONE,
			sf->last_seen);
}

struct mpn_tracker *
mpn_tracker_create(const char *name, const struct mpn_flow_params *p,
	struct mpn_conn_table *ct, unsigned int thread_id, int socket)
{
	struct mpn_tracker *t;
	int err;

	t = rte_zmalloc_socket("mpn_tracker", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->p = *p;
	t->ct = ct;
	t->thread_id = thread_id;
	t->sweep_period = p->hz / 1000 != 0 ? p->hz / 1000 : 1;
	t->ms_units = t->sweep_period;
	t->sweep_budget = 256;
	t->crypto = mpn_mptcp_crypto_new();
	if (t->crypto == NULL) {
		rte_free(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	t->ft = mpn_flow_table_create(name, p, ct, &t->stats, socket);
	if (t->ft == NULL) {
		err = rte_errno;
		mpn_mptcp_crypto_free(t->crypto);
		rte_free(t);
		rte_errno = err;
		return NULL;
	}
	mpn_flow_table_on_remove(t->ft, on_remove, t);
	if (ct != NULL && mpn_conn_table_register(ct, thread_id) != 0) {
		mpn_flow_table_free(t->ft);
		mpn_mptcp_crypto_free(t->crypto);
		rte_free(t);
		rte_errno = EINVAL;
		return NULL;
	}
	return t;
}

void
mpn_tracker_free(struct mpn_tracker *t)
{
	if (t == NULL)
		return;
	t->burst = NULL;
	mpn_flow_table_free(t->ft);
	if (t->ct != NULL)
		mpn_conn_table_unregister(t->ct, t->thread_id);
	mpn_mptcp_crypto_free(t->crypto);
	explicit_bzero(t->dir_cache, sizeof(t->dir_cache));
	rte_free(t);
}

void
mpn_tracker_loop(struct mpn_tracker *t, uint64_t now, unsigned int budget)
{
	mpn_flow_sweep(t->ft, now, budget);
	t->last_sweep = now;
	if (t->ct != NULL)
		mpn_conn_table_quiescent(t->ct, t->thread_id);
}

void
mpn_tracker_housekeeping(struct mpn_tracker *t, uint64_t now)
{
	if (now - t->last_sweep >= t->sweep_period) {
		mpn_flow_sweep(t->ft, now, t->sweep_budget);
		t->last_sweep = now;
	}
	if (t->ct != NULL)
		mpn_conn_table_quiescent(t->ct, t->thread_id);
}

void
mpn_tracker_set_sweep(struct mpn_tracker *t, uint64_t period, unsigned int budget)
{
	t->sweep_period = period != 0 ? period : 1;
	t->sweep_budget = budget;
}

void
mpn_tracker_on_event(struct mpn_tracker *t, mpn_flow_event_fn fn, void *arg)
{
	t->ev_fn = fn;
	t->ev_arg = arg;
}

struct clear_ctx {
	bool (*match)(const struct mpn_flow_key *key, const struct mpn_subflow *sf, void *arg);
	void *arg;
	unsigned int n;
};

static int
clear_one(struct mpn_flow_table *ft, struct mpn_subflow *sf, void *arg)
{
	struct clear_ctx *cc = arg;
	const struct mpn_flow_key *key = mpn_flow_entry_key(ft, sf);

	if (key != NULL && (cc->match == NULL || cc->match(key, sf, cc->arg))) {
		mpn_flow_remove(ft, sf, MPN_FLOW_CLOSE_CLEARED);
		cc->n++;
	}
	return 0;
}

unsigned int
mpn_tracker_clear(struct mpn_tracker *t,
	bool (*match)(const struct mpn_flow_key *key, const struct mpn_subflow *sf, void *arg),
	void *arg)
{
	struct clear_ctx cc = { .match = match, .arg = arg, .n = 0 };

	t->burst = NULL;
	mpn_flow_foreach(t->ft, clear_one, &cc);
	return cc.n;
}

static int
fold_one(struct mpn_flow_table *ft, struct mpn_subflow *sf, void *arg)
{
	(void)ft;
	(void)arg;
	mpn_flow_fold(sf);
	return 0;
}

void
mpn_tracker_fold_all(struct mpn_tracker *t)
{
	mpn_flow_foreach(t->ft, fold_one, NULL);
}

void
mpn_tracker_set_directory(struct mpn_tracker *t, const struct mpn_track_directory *dir)
{
	t->have_dir = dir != NULL && dir->fetch != NULL;
	if (t->have_dir)
		t->dir = *dir;
}

void
mpn_tracker_directory_answer(struct mpn_tracker *t, uint32_t token,
	enum mpn_track_dir_status status, const struct mpn_track_dir_record *rec, uint64_t now)
{
	struct mpn_dir_answer *a = NULL;
	unsigned int i;

	for (i = 0; i < MPN_DIR_CACHE && a == NULL; i++)
		if (t->dir_cache[i].token == token)
			a = &t->dir_cache[i];
	/* Bounded: the oldest answer makes way, its keys cleared (RFC 7430 §3). */
	if (a == NULL) {
		a = &t->dir_cache[t->dir_next];
		t->dir_next = (t->dir_next + 1) % MPN_DIR_CACHE;
	}
	explicit_bzero(a, sizeof(*a));
	a->token = token;
	a->status = (uint8_t)status;
	/*
	 * A found record is kept for the join's handshake; a miss or an error
	 * only briefly: the record may be on its way to the store (published
	 * by the box that saw the handshake a moment ago).
	 */
	a->expires = now + (status == MPN_TRACK_DIR_FOUND ? MPN_DIR_CACHE_SECONDS : 1) * t->p.hz;
	if (status == MPN_TRACK_DIR_FOUND && rec != NULL)
		a->rec = *rec;
}

const struct mpn_dir_answer *
mpn_track_dir_lookup(const struct mpn_tracker *t, uint32_t token, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < MPN_DIR_CACHE; i++)
		if (t->dir_cache[i].token == token && t->dir_cache[i].token != 0 &&
				now < t->dir_cache[i].expires)
			return &t->dir_cache[i];
	return NULL;
}

const struct mpn_track_stats *
mpn_tracker_stats(const struct mpn_tracker *t)
{
	return &t->stats;
}

struct mpn_flow_table *
mpn_tracker_table(struct mpn_tracker *t)
{
	return t->ft;
}

struct mpn_conn_table *
mpn_tracker_conns(struct mpn_tracker *t)
{
	return t->ct;
}

static void
emit(struct mpn_tracker *t, uint8_t type, const struct mpn_flow_key *key,
	const struct mpn_subflow *sf, bool src_is_lo, uint8_t reason, uint16_t rule_id,
	uint32_t token, uint64_t now)
{
	struct mpn_flow_event ev;
	bool init_lo = src_is_lo;
	size_t alen;

	if (t->ev_fn == NULL)
		return;
	if (type == MPN_FLOW_EV_DENY) {
		/* A flood of denied segments must not turn into a flood of events. */
		if (now - t->deny_window >= t->p.hz) {
			t->deny_window = now;
			t->deny_tokens = MPN_DENY_EVENTS_PER_SEC;
		}
		if (t->deny_tokens == 0)
			return;
		t->deny_tokens--;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.family = key->family;
	ev.reason = reason;
	ev.link = key->link;
	ev.vlan = key->vlan[0];
	ev.rule_id = rule_id == MPN_RULE_NONE ? 0 : rule_id;
	ev.now = now;
	ev.mptcp_version = 0xff;
	ev.token = token;
	if (sf != NULL) {
		ev.start = mpn_subflow_born(sf, now, t->ms_units);
		ev.addr_id = sf->role == MPN_ROLE_JOIN ? sf->join_addr_id : 0;
		ev.mpc_flags = sf->flags_a;
		init_lo = (sf->f & MPN_SF_INIT_LO) != 0;
		ev.role = sf->role;
		ev.join_state = sf->join_state;
		ev.decision = sf->decision;
		ev.tcp_state = sf->state;
		ev.pkts[0] = sf->pkts[0];
		ev.pkts[1] = sf->pkts[1];
		ev.bytes[0] = sf->bytes[0];
		ev.bytes[1] = sf->bytes[1];
		ev.drops = sf->drops;
		if (sf->conn != NULL) {
			ev.token = sf->conn->token_b;
			ev.mptcp_version = sf->conn->version;
		} else if (sf->f & MPN_SF_MPTCP) {
			ev.mptcp_version = sf->version;
		}
		if (sf->rule_id[0] != MPN_RULE_NONE)
			ev.rule_id = sf->rule_id[0];
		else if (sf->rule_id[1] != MPN_RULE_NONE)
			ev.rule_id = sf->rule_id[1];
	}
	alen = key->family == 6 ? 16 : 4;
	memcpy(ev.src, init_lo ? key->addr_lo : key->addr_hi, alen);
	memcpy(ev.dst, init_lo ? key->addr_hi : key->addr_lo, alen);
	ev.sport = init_lo ? key->port_lo : key->port_hi;
	ev.dport = init_lo ? key->port_hi : key->port_lo;
	t->ev_fn(t->ev_arg, &ev);
}

void
mpn_track_emit(struct mpn_tracker *t, uint8_t type, const struct mpn_flow_key *key,
	const struct mpn_subflow *sf, bool src_is_lo, uint8_t reason, uint16_t rule_id,
	uint64_t now)
{
	emit(t, type, key, sf, src_is_lo, reason, rule_id, 0, now);
}

void
mpn_track_emit_deny(struct mpn_tracker *t, const struct mpn_flow_key *key, bool src_is_lo,
	uint8_t reason, uint16_t rule_id, uint32_t join_token, uint64_t now)
{
	emit(t, MPN_FLOW_EV_DENY, key, NULL, src_is_lo, reason, rule_id, join_token, now);
}
