/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_STAGES_H
#define MPN_STAGES_H

/**
 * @file
 * Internal to lib/pipeline: the tracker object and the stage functions.
 * pipeline.c runs them in order (ctx.h); each is in its own file.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"
#include "mptcp_crypto.h"
#include "pipeline.h"
#include "track.h"

/* TCP header flags (RFC 9293 §3.1). */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* RFC 9293 §3.4 sequence arithmetic (mod 2^32). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/** No class cached for this direction (mpn_subflow.rule_id). */
#define MPN_RULE_NONE 0xffff

/* Answers from the token directory a tracker keeps for joins' SYN/ACKs. */
#define MPN_DIR_CACHE 64
/* How long an answer is kept: a join's SYN/ACK comes within a few RTOs. */
#define MPN_DIR_CACHE_SECONDS 10

struct mpn_dir_answer {
	uint32_t token;           /* 0: free */
	uint8_t status;           /* enum mpn_track_dir_status */
	uint64_t expires;         /* units of now */
	struct mpn_track_dir_record rec;
};

/* Deny events a tracker emits per second at most: a flood must not become an event storm. */
#define MPN_DENY_EVENTS_PER_SEC 1000

struct mpn_tracker {
	struct mpn_flow_table *ft;
	struct mpn_conn_table *ct;
	struct mpn_mptcp_crypto *crypto;   /* prepared HMAC and digest contexts */
	unsigned int thread_id;
	struct mpn_flow_params p;
	struct mpn_track_stats stats;
	/*
	 * The batch being committed: when an entry leaves the table in the
	 * middle of it (eviction, expiry, reuse), the packets after
	 * burst_from that were looked up to it must not use it.
	 */
	struct mpn_pkt_ctx *burst;
	unsigned int burst_n;
	unsigned int burst_from;
	/* Flow events. */
	mpn_flow_event_fn ev_fn;
	void *ev_arg;
	uint64_t deny_window;              /* start of the current second, units of now */
	uint32_t deny_tokens;
	/* The token directory, and the answers it gave. */
	bool have_dir;
	struct mpn_track_directory dir;
	unsigned int dir_next;             /* next cache slot to replace */
	struct mpn_dir_answer dir_cache[MPN_DIR_CACHE];
	/* join-refuse-action reset: RSTs left this second, per tcp-map (stage_reply.c). */
	uint64_t rst_window[MPN_POLICY_MAX_TCP_MAPS];
	uint32_t rst_tokens[MPN_POLICY_MAX_TCP_MAPS];
	/* Sweep by time. */
	uint64_t sweep_period;
	uint64_t ms_units;             /* units of `now` per millisecond (>= 1): mpn_subflow.born */
	uint64_t last_sweep;
	unsigned int sweep_budget;
	/* Highest link id a packet has come in on (asymmetric routes, stage_check.c). */
	uint16_t max_link;
};

/* The second @p now falls in (per-connection join rates count by the second). */
static inline uint64_t
mpn_track_second(const struct mpn_tracker *t, uint64_t now)
{
	return now / (t->p.hz != 0 ? t->p.hz : 1);
}

/* parse: L2-L4, option walk, flow key and hash (stage_parse.c). */
void
mpn_stage_parse(struct mpn_pkt_ctx *c, uint8_t *frame, uint32_t len,
	const struct mpn_burst_origin *from);

/* lookup: one bulk lookup with the precomputed hashes, prefetches (stage_lookup.c). */
void
mpn_stage_lookup(struct mpn_tracker *t, struct mpn_pkt_ctx *ctx, unsigned int n);

/* Per packet, before decode: drop an entry that has expired (stage_lookup.c). */
void
mpn_stage_resolve(struct mpn_tracker *t, struct mpn_pkt_ctx *ctx, unsigned int i,
	uint64_t now);

/* decode: every kind-30 option, once, with the connection's version (stage_decode.c). */
void
mpn_stage_decode(struct mpn_tracker *t, struct mpn_pkt_ctx *c);

/* classify: the class rule, cached per subflow and direction (stage_classify.c). */
void
mpn_stage_classify(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c);

/* check: every verdict, stateless and stateful; changes nothing (stage_check.c). */
void
mpn_stage_check(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c, uint64_t now);

/* commit: the plan of a forwarded packet (stage_commit.c). */
void
mpn_stage_commit(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c, uint64_t now);

/* reply: a refused join SYN turned into the RST that answers it (stage_reply.c). */
void
mpn_stage_reply(struct mpn_tracker *t, const struct mpn_policy *policy,
	const struct mpn_burst_origin *from, struct mpn_pkt_ctx *c, uint64_t now);

/* rewrite: the decisions applied in place (stage_rewrite.c). */
void
mpn_stage_rewrite(struct mpn_pkt_ctx *ctx, unsigned int n);

/* account: counters, trace, alert log, verdicts (stage_account.c). */
void
mpn_stage_account(struct mpn_pipeline *pl, const struct mpn_burst_origin *from,
	struct mpn_pkt_ctx *ctx, unsigned int n, uint8_t *verdicts, uint64_t now);

/*
 * Helpers of the check stage (check_tcp.c, check_mptcp.c). @p x holds what
 * they share about the packet; they work on plan.shadow only.
 */
struct mpn_check {
	struct mpn_tracker *t;
	struct mpn_pkt_ctx *c;
	const struct mpn_tcp_map *m;
	const struct mpn_pkt *p;
	const uint8_t *tcp;
	uint64_t now;
	bool syn, ack, rst, fin;
};

/* Record a drop (kept as an alert under a `monitor` class). */
void
mpn_check_drop(struct mpn_check *x, enum mpn_reason r, uint8_t off, uint8_t len,
	uint8_t subtype);

/* Direction of the packet on @p sf: 0 from the initiator. */
int
mpn_check_dir(const struct mpn_check *x, const struct mpn_subflow *sf);

/* TCP: SYNs on known subflows (RFC 5961 §4). @return false to stop (stray SYN). */
bool
mpn_check_syn_on_known(struct mpn_check *x, const struct mpn_subflow *sf);

/* TCP: a new SYN's entry. */
void
mpn_check_new_syn(struct mpn_check *x);

/* TCP: a non-SYN packet of an unknown subflow. */
void
mpn_check_midstream(struct mpn_check *x);

/* TCP: RST acceptance (RFC 5961 §3) and the ASA's stateful checks. */
void
mpn_check_tcp(struct mpn_check *x, struct mpn_subflow *sh, int s);

/* Window-scale shift of direction @p s of @p sf (RFC 7323 §2.2-2.3); 14 if unknown. */
unsigned int
mpn_check_win_shift(const struct mpn_subflow *sf, int s);

/*
 * MPTCP: seq-past-window and window-variation in terms that hold for the
 * subflows of a known connection (check_window.c); records in the plan
 * the connection-wide window state a forwarded segment moves.
 */
void
mpn_check_window_mptcp(struct mpn_check *x, const struct mpn_subflow *sf, int s);

/* MPTCP: carry out the window state of the plan (MPN_SH_WINDOW), forwarded packets only. */
void
mpn_commit_window_mptcp(struct mpn_pkt_ctx *c, struct mpn_conn *conn);

/* TCP: advance the shadow with a packet that goes through. */
void
mpn_check_update_tcp(struct mpn_check *x, struct mpn_subflow *sh, int s);

/* MPTCP: a join SYN's admission (before any state exists). @return false if dropped. */
bool
mpn_check_join_syn(struct mpn_check *x, int j);

/* MPTCP: every kind-30 option of a segment on an `allow` subflow. */
void
mpn_check_mptcp(struct mpn_check *x, struct mpn_subflow *sh, int *s);

/* MPTCP: a fallback subflow: every kind-30 option is cleared (RFC 8684 §3.7). */
void
mpn_check_fallback(struct mpn_check *x, struct mpn_subflow *sh, int *s);

/* MPTCP: learn keys from MP_CAPABLE (also under monitor on fallback subflows). */
void
mpn_check_learn_keys(struct mpn_check *x, struct mpn_subflow *sh, int *s);

/* The first kind-30 option of @p subtype in the packet, or -1. */
int
mpn_check_find_mo(const struct mpn_check *x, uint8_t subtype);

/* Join limits of the packet's tcp-map. */
void
mpn_check_limits(const struct mpn_check *x, struct mpn_conn_limits *lim);

/* The directory's answer for @p token still kept, or NULL. */
const struct mpn_dir_answer *
mpn_track_dir_lookup(const struct mpn_tracker *t, uint32_t token, uint64_t now);

/* Emit a flow event if someone listens (and, for denies, within the rate). */
void
mpn_track_emit(struct mpn_tracker *t, uint8_t type, const struct mpn_flow_key *key,
	const struct mpn_subflow *sf, bool src_is_lo, uint8_t reason, uint16_t rule_id,
	uint64_t now);

/*
 * A DENY event for a segment that created nothing; @p join_token is the
 * token an MP_JOIN SYN named (0 for any other segment), so the operator
 * sees which connection a refused join was aimed at.
 */
void
mpn_track_emit_deny(struct mpn_tracker *t, const struct mpn_flow_key *key, bool src_is_lo,
	uint8_t reason, uint16_t rule_id, uint32_t join_token, uint64_t now);

#endif /* MPN_STAGES_H */
