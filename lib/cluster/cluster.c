/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The directory thread: one pipelined connection to Redis, fed by the
 * workers' request rings and answering on their answer rings
 * (doc/cluster.md §4-6).
 *
 * The thread is a plain pthread. It sleeps in poll() on the store's socket
 * and an eventfd; a producer writes the eventfd only when the thread said it
 * was going to sleep, so under load no producer makes a syscall. Requests
 * are appended to hiredis's output buffer (redisAppendCommandArgv) and a
 * FIFO remembers what each awaited reply belongs to: Redis answers in order.
 * Every request has a deadline; when the oldest one passes, the connection
 * is stuck, and everything outstanding fails at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "cli_render.h"
#include "cluster.h"

RTE_LOG_REGISTER(mpn_cluster_logtype, user.mpn.cluster, INFO);
#define MPN_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, mpn_cluster_logtype, "mpnorm: cluster: " fmt "\n", ##__VA_ARGS__)

/* Requests awaiting a reply; a full FIFO leaves requests in the rings. */
#define INFLIGHT_MAX 4096
/* Requests taken from one ring per turn, so no worker starves the others. */
#define DRAIN_BATCH 64
/* A partial reply longer than this is no reply Redis sends to our commands. */
#define READER_PENDING_MAX 8192
/* No reply to our commands is an array; a bound stops a huge allocation. */
#define REPLY_ARRAY_MAX 8
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 2000
#define PING_IDLE_MS 1000
#define KEY_MAX (MPN_CLUSTER_PREFIX_MAX + 16)

enum req_op {
	REQ_PUBLISH = 1,
	REQ_UNPUBLISH,
	REQ_FETCH,
};

/* One element of a request ring. */
struct req {
	uint32_t op;
	uint32_t token;
	uint64_t cookie;
	uint64_t t_ns;                  /* enqueue time: latency as the worker sees it */
	struct mpn_cluster_record rec;  /* PUBLISH; UNPUBLISH uses the tokens only */
};

_Static_assert(sizeof(struct req) % 4 == 0, "rte_ring elements are multiples of 4 bytes");
_Static_assert(sizeof(struct mpn_cluster_answer) % 4 == 0,
	"rte_ring elements are multiples of 4 bytes");

/* What an awaited reply belongs to. */
enum pend_kind {
	P_AUTH,
	P_PING,
	P_SET,
	P_DEL,
	P_GET,
};

struct pend {
	uint8_t kind;
	uint16_t prod;
	uint32_t token;
	uint64_t cookie;
	uint64_t t_enq;
	uint64_t deadline;
};

/* One producer's rings and the counters only it writes. */
struct port {
	struct rte_ring *req;
	struct rte_ring *ans;
	uint64_t req_full;       /* written by the producer */
	uint64_t refused_down;   /* written by the producer */
	uint64_t unreach[3];     /* written by the producer: mpn_cluster_unreachable_apply() */
} __rte_cache_aligned;

/* Counters written by the directory thread only (relaxed atomics). */
struct counters {
#define MPN_CLUSTER_FIELD(name, help) uint64_t name;
	MPN_CLUSTER_COUNTERS(MPN_CLUSTER_FIELD)
#undef MPN_CLUSTER_FIELD
	uint64_t latency[MPN_CLUSTER_LAT_BUCKETS];
	uint64_t latency_sum_us;
};

struct mpn_cluster {
	/* Shared with producers and the control thread. */
	unsigned int n_ports;
	struct port *ports;
	uint32_t state;          /* enum mpn_cluster_state, atomic */
	uint32_t unreachable;    /* enum mpn_cluster_unreachable, atomic */
	uint32_t sleeping;       /* the thread is about to poll: wake it */
	uint32_t stop;
	uint64_t connect_count;  /* atomic */
	uint64_t inflight;       /* atomic copy, for show */
	int efd;
	pthread_t thread;
	struct counters ctr;

	/* Control thread <-> directory thread. */
	pthread_mutex_t lock;
	bool cfg_pending;
	uint64_t cfg_asked;              /* reconfigurations asked (atomic) */
	uint64_t cfg_done;               /* and applied by the thread (atomic) */
	struct mpn_config_cluster next;  /* under lock; password cleared once taken */
	char last_error[200];            /* under lock; never holds a secret */
	struct mpn_config_cluster shown; /* under lock: what `show cluster` prints, no password */

	/* Directory thread only. */
	struct mpn_config_cluster cfg;
	redisContext *rc;
	uint64_t retry_at;
	uint64_t backoff_ms;
	uint64_t connect_deadline;
	uint64_t last_io;
	bool want_write;
	struct pend fifo[INFLIGHT_MAX];
	unsigned int fifo_head, fifo_n;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define CNT(cl, name) \
	__atomic_store_n(&(cl)->ctr.name, (cl)->ctr.name + 1, __ATOMIC_RELAXED)

static void
set_state(struct mpn_cluster *cl, enum mpn_cluster_state s)
{
	__atomic_store_n(&cl->state, (uint32_t)s, __ATOMIC_RELEASE);
}

static enum mpn_cluster_state
get_state(const struct mpn_cluster *cl)
{
	return (enum mpn_cluster_state)__atomic_load_n(&cl->state, __ATOMIC_ACQUIRE);
}

static void
set_error(struct mpn_cluster *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_error(struct mpn_cluster *cl, const char *fmt, ...)
{
	char msg[sizeof(cl->last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&cl->lock);
	/* Log a change, not every retry of the same failure. */
	if (strcmp(msg, cl->last_error) != 0)
		MPN_LOG(WARNING, "%s", msg);
	snprintf(cl->last_error, sizeof(cl->last_error), "%s", msg);
	pthread_mutex_unlock(&cl->lock);
}

/* --- reply bounds --- */

static redisReplyObjectFunctions bounded_fn;
static void *(*default_create_array)(const redisReadTask *, int);
static pthread_once_t bounded_once = PTHREAD_ONCE_INIT;

static void *
bounded_create_array(const redisReadTask *t, int elements)
{
	/* Returning NULL makes the reader fail with a protocol (OOM) error. */
	if (elements < 0 || elements > REPLY_ARRAY_MAX)
		return NULL;
	return default_create_array(t, elements);
}

static redisReplyObjectFunctions *bounded_src;

static void
bounded_init(void)
{
	bounded_fn = *bounded_src;
	default_create_array = bounded_fn.createArray;
	bounded_fn.createArray = bounded_create_array;
}

/* --- the FIFO of awaited replies --- */

static struct pend *
fifo_push(struct mpn_cluster *cl)
{
	struct pend *p = &cl->fifo[(cl->fifo_head + cl->fifo_n) % INFLIGHT_MAX];

	cl->fifo_n++;
	__atomic_store_n(&cl->inflight, cl->fifo_n, __ATOMIC_RELAXED);
	return p;
}

static struct pend *
fifo_front(struct mpn_cluster *cl)
{
	return cl->fifo_n == 0 ? NULL : &cl->fifo[cl->fifo_head];
}

static void
fifo_pop(struct mpn_cluster *cl)
{
	cl->fifo_head = (cl->fifo_head + 1) % INFLIGHT_MAX;
	cl->fifo_n--;
	__atomic_store_n(&cl->inflight, cl->fifo_n, __ATOMIC_RELAXED);
}

/* --- answers --- */

static void
answer(struct mpn_cluster *cl, unsigned int prod, uint32_t token, uint64_t cookie,
	enum mpn_cluster_status status, const struct mpn_cluster_record *rec)
{
	struct mpn_cluster_answer a;

	memset(&a, 0, sizeof(a));
	a.token = token;
	a.cookie = cookie;
	a.status = (uint8_t)status;
	if (rec != NULL)
		a.rec = *rec;
	if (prod >= cl->n_ports ||
			rte_ring_sp_enqueue_elem(cl->ports[prod].ans, &a, sizeof(a)) != 0)
		CNT(cl, answer_ring_full);
	explicit_bzero(&a, sizeof(a));
}

static void
record_latency(struct mpn_cluster *cl, uint64_t t_enq, uint64_t now)
{
	uint64_t us = now > t_enq ? (now - t_enq) / 1000 : 0;
	unsigned int i;

	for (i = 0; i + 1 < MPN_CLUSTER_LAT_BUCKETS; i++)
		if (us <= mpn_cluster_latency_bound(i))
			break;
	CNT(cl, latency[i]);
	__atomic_store_n(&cl->ctr.latency_sum_us, cl->ctr.latency_sum_us + us, __ATOMIC_RELAXED);
}

/* --- the connection --- */

/*
 * Drop the connection: every fetch still awaiting a reply is answered
 * store-error at once (the worker applies `unreachable`), and a retry is
 * scheduled with exponential backoff.
 */
static void
disconnect(struct mpn_cluster *cl, uint64_t now, bool timeout)
{
	enum mpn_cluster_state was = get_state(cl);
	struct pend *p;

	while ((p = fifo_front(cl)) != NULL) {
		if (p->kind == P_GET) {
			if (timeout)
				CNT(cl, err_timeout);
			else
				CNT(cl, err_disconnect);
			answer(cl, p->prod, p->token, p->cookie, MPN_CLUSTER_STORE_ERROR, NULL);
		}
		fifo_pop(cl);
	}
	if (cl->rc != NULL) {
		redisFree(cl->rc);
		cl->rc = NULL;
	}
	if (was == MPN_CLUSTER_CONNECTED)
		CNT(cl, disconnects);
	else if (was != MPN_CLUSTER_DOWN)
		CNT(cl, connect_failures);
	set_state(cl, MPN_CLUSTER_DOWN);
	cl->want_write = false;
	cl->retry_at = now + cl->backoff_ms * 1000000ull;
	cl->backoff_ms = RTE_MIN(cl->backoff_ms * 2, (uint64_t)BACKOFF_MAX_MS);
}

static void
store_name(const struct mpn_config_cluster *c, char *buf, size_t n)
{
	if (c->is_unix)
		snprintf(buf, n, "unix:%s", c->path);
	else if (strchr(c->host, ':') != NULL)
		snprintf(buf, n, "[%s]:%u", c->host, c->port);
	else
		snprintf(buf, n, "%s:%u", c->host, c->port);
}

static void
begin_connect(struct mpn_cluster *cl, uint64_t now)
{
	char where[MPN_CLUSTER_HOST_MAX + 16];
	redisContext *c;

	store_name(&cl->cfg, where, sizeof(where));
	/* A host name is resolved here, blocking this thread only: prefer an address. */
	if (cl->cfg.is_unix)
		c = redisConnectUnixNonBlock(cl->cfg.path);
	else
		c = redisConnectNonBlock(cl->cfg.host, (int)cl->cfg.port);
	if (c == NULL || c->err != 0) {
		set_error(cl, "connect to %s: %s", where, c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		set_state(cl, MPN_CLUSTER_CONNECTING); /* counted as a failure */
		disconnect(cl, now, false);
		return;
	}
	bounded_src = c->reader->fn;
	pthread_once(&bounded_once, bounded_init);
	c->reader->fn = &bounded_fn;
	cl->rc = c;
	cl->connect_deadline = now + CONNECT_TIMEOUT_MS * 1000000ull;
	set_state(cl, MPN_CLUSTER_CONNECTING);
}

static void
push(struct mpn_cluster *cl, enum pend_kind kind, unsigned int prod, uint32_t token,
	uint64_t cookie, uint64_t t_enq, uint64_t now)
{
	struct pend *p = fifo_push(cl);

	p->kind = (uint8_t)kind;
	p->prod = (uint16_t)prod;
	p->token = token;
	p->cookie = cookie;
	p->t_enq = t_enq;
	p->deadline = now + (uint64_t)cl->cfg.fetch_timeout * 1000000ull;
	cl->want_write = true;
}

/* The TCP (or unix) connect finished: authenticate and probe. */
static void
finish_connect(struct mpn_cluster *cl, uint64_t now)
{
	char where[MPN_CLUSTER_HOST_MAX + 16];
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	store_name(&cl->cfg, where, sizeof(where));
	if (getsockopt(cl->rc->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		soerr = errno;
	if (soerr != 0) {
		set_error(cl, "connect to %s: %s", where, strerror(soerr));
		disconnect(cl, now, false);
		return;
	}
	if (!cl->cfg.is_unix)
		redisEnableKeepAlive(cl->rc);
	if (cl->cfg.password[0] != '\0') {
		const char *argv[3];
		size_t len[3];
		int n = 0;

		/* Redis 6+ ACL: AUTH USER PASSWORD; without a user, the default user. */
		argv[n] = "AUTH";
		len[n++] = 4;
		if (cl->cfg.user[0] != '\0') {
			argv[n] = cl->cfg.user;
			len[n] = strlen(cl->cfg.user);
			n++;
		}
		argv[n] = cl->cfg.password;
		len[n] = strlen(cl->cfg.password);
		n++;
		redisAppendCommandArgv(cl->rc, n, argv, len);
		push(cl, P_AUTH, 0, 0, 0, now, now);
	}
	redisAppendCommand(cl->rc, "PING");
	push(cl, P_PING, 0, 0, 0, now, now);
	cl->last_io = now;
	set_state(cl, MPN_CLUSTER_HANDSHAKE);
}

static void
key_of(const struct mpn_cluster *cl, uint32_t token, char *key, size_t n)
{
	snprintf(key, n, "%st:%08x", cl->cfg.prefix, token);
}

static void
send_set(struct mpn_cluster *cl, uint32_t token, const char *val, size_t vlen, uint64_t now)
{
	char key[KEY_MAX], ttl[16];
	const char *argv[5] = { "SET", key, val, "EX", ttl };
	size_t len[5];

	key_of(cl, token, key, sizeof(key));
	snprintf(ttl, sizeof(ttl), "%u", cl->cfg.ttl);
	len[0] = 3;
	len[1] = strlen(key);
	len[2] = vlen;
	len[3] = 2;
	len[4] = strlen(ttl);
	redisAppendCommandArgv(cl->rc, 5, argv, len);
	push(cl, P_SET, 0, token, 0, now, now);
}

static void
send_del(struct mpn_cluster *cl, uint32_t token, uint64_t now)
{
	char key[KEY_MAX];

	key_of(cl, token, key, sizeof(key));
	/* One key per DEL: in Redis Cluster two tokens live in two slots. */
	redisAppendCommand(cl->rc, "DEL %s", key);
	push(cl, P_DEL, 0, token, 0, now, now);
}

static void
handle_request(struct mpn_cluster *cl, unsigned int prod, struct req *q, uint64_t now)
{
	bool up = get_state(cl) == MPN_CLUSTER_CONNECTED;
	char val[MPN_CLUSTER_RECORD_MAX + 1];
	char key[KEY_MAX];
	int n;

	switch (q->op) {
	case REQ_PUBLISH:
		if (!up) {
			CNT(cl, publish_lost);
			break;
		}
		if (q->rec.node[0] == '\0')
			snprintf(q->rec.node, sizeof(q->rec.node), "%s", cl->cfg.node);
		if (q->rec.time == 0)
			q->rec.time = (uint64_t)time(NULL);
		n = mpn_cluster_record_encode(&q->rec, val, sizeof(val));
		if (n < 0) {
			CNT(cl, publish_errors);
			break;
		}
		send_set(cl, q->rec.token_a, val, (size_t)n, now);
		if (q->rec.token_b != q->rec.token_a)
			send_set(cl, q->rec.token_b, val, (size_t)n, now);
		explicit_bzero(val, sizeof(val));
		CNT(cl, published);
		break;
	case REQ_UNPUBLISH:
		if (!up) {
			CNT(cl, publish_lost);
			break;
		}
		send_del(cl, q->rec.token_a, now);
		if (q->rec.token_b != q->rec.token_a)
			send_del(cl, q->rec.token_b, now);
		CNT(cl, unpublished);
		break;
	case REQ_FETCH:
		if (!up) {
			CNT(cl, err_disconnect);
			answer(cl, prod, q->token, q->cookie, MPN_CLUSTER_STORE_ERROR, NULL);
			break;
		}
		key_of(cl, q->token, key, sizeof(key));
		/*
		 * GETRANGE, not GET: the store never sends more than one byte
		 * past the longest valid record, whatever was written there.
		 */
		redisAppendCommand(cl->rc, "GETRANGE %s 0 %d", key, MPN_CLUSTER_RECORD_MAX);
		push(cl, P_GET, prod, q->token, q->cookie, q->t_ns, now);
		CNT(cl, fetched);
		break;
	default:
		break;
	}
	explicit_bzero(q, sizeof(*q));
}

/* Take requests from every ring while the FIFO has room. @return requests taken. */
static unsigned int
drain_requests(struct mpn_cluster *cl, uint64_t now)
{
	unsigned int p, i, total = 0;
	struct req q;

	for (p = 0; p < cl->n_ports; p++) {
		for (i = 0; i < DRAIN_BATCH; i++) {
			/* A publication needs two FIFO entries. */
			if (cl->fifo_n + 2 > INFLIGHT_MAX)
				return total;
			if (rte_ring_sc_dequeue_elem(cl->ports[p].req, &q, sizeof(q)) != 0)
				break;
			handle_request(cl, p, &q, now);
			total++;
		}
	}
	return total;
}

static bool
rings_empty(const struct mpn_cluster *cl)
{
	unsigned int p;

	for (p = 0; p < cl->n_ports; p++)
		if (rte_ring_count(cl->ports[p].req) != 0)
			return false;
	return true;
}

static bool
is_status(const redisReply *r, const char *s)
{
	return r->type == REDIS_REPLY_STATUS && r->str != NULL && strcmp(r->str, s) == 0;
}

/*
 * Reply @p r belongs to @p p. @return false when the connection cannot be
 * trusted any more (a reply Redis does not send for that command, or a
 * refused handshake).
 */
static bool
handle_reply(struct mpn_cluster *cl, const struct pend *p, const redisReply *r, uint64_t now)
{
	struct mpn_cluster_record rec;
	enum mpn_cluster_verdict v;

	switch (p->kind) {
	case P_AUTH:
		if (is_status(r, "OK"))
			return true;
		CNT(cl, err_auth);
		set_error(cl, "AUTH refused: %.120s", r->type == REDIS_REPLY_ERROR ? r->str :
			"unexpected reply");
		return false;
	case P_PING:
		if (is_status(r, "PONG")) {
			if (get_state(cl) == MPN_CLUSTER_HANDSHAKE) {
				char where[MPN_CLUSTER_HOST_MAX + 16];

				store_name(&cl->cfg, where, sizeof(where));
				set_state(cl, MPN_CLUSTER_CONNECTED);
				CNT(cl, connects);
				__atomic_add_fetch(&cl->connect_count, 1, __ATOMIC_RELEASE);
				cl->backoff_ms = BACKOFF_MIN_MS;
				MPN_LOG(INFO, "connected to %s as node %s", where, cl->cfg.node);
				pthread_mutex_lock(&cl->lock);
				cl->last_error[0] = '\0';
				pthread_mutex_unlock(&cl->lock);
			}
			return true;
		}
		if (r->type == REDIS_REPLY_ERROR && get_state(cl) != MPN_CLUSTER_HANDSHAKE) {
			CNT(cl, err_reply);
			set_error(cl, "PING: %.120s", r->str);
			return true;
		}
		CNT(cl, err_auth);
		set_error(cl, "the store refused the first PING: %.120s",
			r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		return false;
	case P_SET:
		if (is_status(r, "OK"))
			return true;
		if (r->type == REDIS_REPLY_ERROR) {
			CNT(cl, publish_errors);
			set_error(cl, "SET: %.120s", r->str);
			return true;
		}
		break;
	case P_DEL:
		if (r->type == REDIS_REPLY_INTEGER)
			return true;
		if (r->type == REDIS_REPLY_ERROR) {
			CNT(cl, err_reply);
			set_error(cl, "DEL: %.120s", r->str);
			return true;
		}
		break;
	case P_GET:
		if (r->type == REDIS_REPLY_NIL ||
				(r->type == REDIS_REPLY_STRING && r->len == 0)) {
			record_latency(cl, p->t_enq, now);
			CNT(cl, misses);
			answer(cl, p->prod, p->token, p->cookie, MPN_CLUSTER_NOT_FOUND, NULL);
			return true;
		}
		if (r->type == REDIS_REPLY_STRING) {
			record_latency(cl, p->t_enq, now);
			v = mpn_cluster_record_decode(r->str, (size_t)r->len, p->token, &rec);
			switch (v) {
			case MPN_CLUSTER_RECORD_OK:
				CNT(cl, hits);
				answer(cl, p->prod, p->token, p->cookie, MPN_CLUSTER_FOUND, &rec);
				explicit_bzero(&rec, sizeof(rec));
				return true;
			case MPN_CLUSTER_RECORD_OVERSIZED:
				CNT(cl, err_oversized);
				break;
			case MPN_CLUSTER_RECORD_MISMATCH:
				CNT(cl, err_token_mismatch);
				break;
			default:
				CNT(cl, err_malformed);
				break;
			}
			answer(cl, p->prod, p->token, p->cookie, MPN_CLUSTER_REFUSED_MALFORMED, NULL);
			return true;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			if (strncmp(r->str, "WRONGTYPE", 9) == 0) {
				CNT(cl, err_wrong_type);
				answer(cl, p->prod, p->token, p->cookie,
					MPN_CLUSTER_REFUSED_MALFORMED, NULL);
			} else {
				CNT(cl, err_reply);
				set_error(cl, "GETRANGE: %.120s", r->str);
				answer(cl, p->prod, p->token, p->cookie, MPN_CLUSTER_STORE_ERROR, NULL);
			}
			return true;
		}
		answer(cl, p->prod, p->token, p->cookie, MPN_CLUSTER_STORE_ERROR, NULL);
		break;
	}
	CNT(cl, err_protocol);
	set_error(cl, "a reply of type %d, which Redis does not send for that command: "
		"reconnecting", r->type);
	return false;
}

static void
read_replies(struct mpn_cluster *cl, uint64_t now)
{
	redisContext *c = cl->rc;
	void *reply;

	if (redisBufferRead(c) != REDIS_OK) {
		set_error(cl, "connection to the store: %s",
			c->err == REDIS_ERR_EOF ? "closed by the store" : c->errstr);
		disconnect(cl, now, false);
		return;
	}
	cl->last_io = now;
	for (;;) {
		struct pend *p;
		bool ok;

		reply = NULL;
		if (redisGetReplyFromReader(c, &reply) != REDIS_OK) {
			CNT(cl, err_protocol);
			set_error(cl, "unreadable reply from the store (%s): reconnecting", c->errstr);
			disconnect(cl, now, false);
			return;
		}
		if (reply == NULL)
			break;
		p = fifo_front(cl);
		if (p == NULL) {
			freeReplyObject(reply);
			CNT(cl, err_protocol);
			set_error(cl, "a reply nobody asked for: reconnecting");
			disconnect(cl, now, false);
			return;
		}
		ok = handle_reply(cl, p, reply, now);
		fifo_pop(cl);
		freeReplyObject(reply);
		if (!ok) {
			disconnect(cl, now, false);
			return;
		}
	}
	if (c->reader->len - c->reader->pos > READER_PENDING_MAX) {
		CNT(cl, err_protocol);
		set_error(cl, "a reply longer than %d bytes: reconnecting", READER_PENDING_MAX);
		disconnect(cl, now, false);
	}
}

static void
flush(struct mpn_cluster *cl, uint64_t now)
{
	int done = 0;

	if (cl->rc == NULL || get_state(cl) < MPN_CLUSTER_HANDSHAKE || !cl->want_write)
		return;
	if (redisBufferWrite(cl->rc, &done) != REDIS_OK) {
		set_error(cl, "write to the store: %s", cl->rc->errstr);
		disconnect(cl, now, false);
		return;
	}
	cl->want_write = !done;
}

static void
apply_pending_config(struct mpn_cluster *cl, uint64_t now)
{
	bool reconnect;

	pthread_mutex_lock(&cl->lock);
	if (!cl->cfg_pending) {
		pthread_mutex_unlock(&cl->lock);
		return;
	}
	reconnect = cl->cfg.is_unix != cl->next.is_unix ||
		strcmp(cl->cfg.path, cl->next.path) != 0 ||
		strcmp(cl->cfg.host, cl->next.host) != 0 || cl->cfg.port != cl->next.port ||
		strcmp(cl->cfg.user, cl->next.user) != 0 ||
		strcmp(cl->cfg.password, cl->next.password) != 0 ||
		strcmp(cl->cfg.prefix, cl->next.prefix) != 0;
	explicit_bzero(cl->cfg.password, sizeof(cl->cfg.password));
	cl->cfg = cl->next;
	explicit_bzero(cl->next.password, sizeof(cl->next.password));
	cl->cfg_pending = false;
	__atomic_store_n(&cl->cfg_done, __atomic_load_n(&cl->cfg_asked, __ATOMIC_RELAXED),
		__ATOMIC_RELEASE);
	pthread_mutex_unlock(&cl->lock);
	if (reconnect && get_state(cl) != MPN_CLUSTER_DOWN) {
		MPN_LOG(INFO, "store settings changed: reconnecting");
		disconnect(cl, now, false);
	}
	if (reconnect) {
		cl->retry_at = now;
		cl->backoff_ms = BACKOFF_MIN_MS;
	}
}

static int
ms_until(uint64_t now, uint64_t t)
{
	if (t <= now)
		return 0;
	return (int)RTE_MIN((t - now + 999999) / 1000000, (uint64_t)1000);
}

static void *
directory_main(void *arg)
{
	struct mpn_cluster *cl = arg;

	while (!__atomic_load_n(&cl->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = now_ns();
		enum mpn_cluster_state st;
		struct pollfd pfd[2];
		unsigned int work;
		int timeout, n = 1;
		struct pend *front;

		apply_pending_config(cl, now);
		if (get_state(cl) == MPN_CLUSTER_DOWN && now >= cl->retry_at)
			begin_connect(cl, now);
		work = drain_requests(cl, now);
		st = get_state(cl);
		if (st == MPN_CLUSTER_CONNECTED && cl->fifo_n == 0 &&
				now - cl->last_io > PING_IDLE_MS * 1000000ull) {
			redisAppendCommand(cl->rc, "PING");
			push(cl, P_PING, 0, 0, 0, now, now);
			CNT(cl, pings);
			cl->last_io = now;
		}
		flush(cl, now);

		/* Deadlines: a stuck connect, or a stuck connection. */
		st = get_state(cl);
		front = fifo_front(cl);
		if (st == MPN_CLUSTER_CONNECTING && now >= cl->connect_deadline) {
			set_error(cl, "connect timed out after %d ms", CONNECT_TIMEOUT_MS);
			disconnect(cl, now, false);
		} else if (front != NULL && now >= front->deadline) {
			set_error(cl, "no reply within %u ms: reconnecting", cl->cfg.fetch_timeout);
			disconnect(cl, now, true);
		}
		st = get_state(cl);
		front = fifo_front(cl);

		/* Sleep until a socket event, a request, or the next deadline. */
		if (work > 0) {
			timeout = 0;
		} else {
			timeout = 1000;
			if (st == MPN_CLUSTER_DOWN)
				timeout = RTE_MIN(timeout, ms_until(now, cl->retry_at));
			if (st == MPN_CLUSTER_CONNECTING)
				timeout = RTE_MIN(timeout, ms_until(now, cl->connect_deadline));
			if (front != NULL)
				timeout = RTE_MIN(timeout, ms_until(now, front->deadline));
			if (st == MPN_CLUSTER_CONNECTED && front == NULL)
				timeout = RTE_MIN(timeout, ms_until(now, cl->last_io +
					PING_IDLE_MS * 1000000ull));
		}
		pfd[0].fd = cl->efd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (cl->rc != NULL) {
			pfd[1].fd = cl->rc->fd;
			pfd[1].events = POLLIN;
			if (st == MPN_CLUSTER_CONNECTING || cl->want_write)
				pfd[1].events |= POLLOUT;
			pfd[1].revents = 0;
			n = 2;
		}
		if (timeout > 0) {
			/* Dekker with the producers: say we sleep, then look once more. */
			__atomic_store_n(&cl->sleeping, 1, __ATOMIC_SEQ_CST);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			/* With the FIFO full, requests wait for replies: no spinning. */
			if ((!rings_empty(cl) && cl->fifo_n + 2 <= INFLIGHT_MAX) ||
					__atomic_load_n(&cl->stop, __ATOMIC_ACQUIRE))
				timeout = 0;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			MPN_LOG(ERR, "poll: %s", strerror(errno));
		__atomic_store_n(&cl->sleeping, 0, __ATOMIC_RELAXED);
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(cl->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				MPN_LOG(ERR, "eventfd: %s", strerror(errno));
		}
		if (n < 2 || cl->rc == NULL)
			continue;
		now = now_ns();
		if (st == MPN_CLUSTER_CONNECTING) {
			if (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))
				finish_connect(cl, now);
			continue;
		}
		if (pfd[1].revents & (POLLIN | POLLERR | POLLHUP))
			read_replies(cl, now);
		if (cl->rc != NULL && (pfd[1].revents & POLLOUT))
			flush(cl, now);
	}
	disconnect(cl, now_ns(), false);
	return NULL;
}

/* --- producers (workers) --- */

static void
wake(struct mpn_cluster *cl)
{
	uint64_t one = 1;

	/*
	 * The enqueue above is visible before we read the flag: then either
	 * the thread's last look at the rings sees the request, or we see the
	 * flag and write the eventfd. Only one producer writes per sleep.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&cl->sleeping, __ATOMIC_RELAXED) != 0 &&
			__atomic_exchange_n(&cl->sleeping, 0, __ATOMIC_ACQ_REL) != 0) {
		if (write(cl->efd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is full, so the thread is awake anyway. */
		}
	}
}

static bool
enqueue(struct mpn_cluster *cl, unsigned int worker, struct req *q)
{
	struct port *pt = &cl->ports[worker];
	bool ok = rte_ring_sp_enqueue_elem(pt->req, q, sizeof(*q)) == 0;

	explicit_bzero(q, sizeof(*q));
	if (!ok) {
		__atomic_store_n(&pt->req_full, pt->req_full + 1, __ATOMIC_RELAXED);
		return false;
	}
	wake(cl);
	return true;
}

void
mpn_cluster_publish(struct mpn_cluster *cl, unsigned int worker,
	const struct mpn_cluster_record *r)
{
	struct req q;

	if (cl == NULL || worker >= cl->n_ports || r == NULL)
		return;
	memset(&q, 0, sizeof(q));
	q.op = REQ_PUBLISH;
	q.rec = *r;
	enqueue(cl, worker, &q);
}

void
mpn_cluster_unpublish(struct mpn_cluster *cl, unsigned int worker, uint32_t token_a,
	uint32_t token_b)
{
	struct req q;

	if (cl == NULL || worker >= cl->n_ports)
		return;
	memset(&q, 0, sizeof(q));
	q.op = REQ_UNPUBLISH;
	q.rec.token_a = token_a;
	q.rec.token_b = token_b;
	enqueue(cl, worker, &q);
}

int
mpn_cluster_fetch(struct mpn_cluster *cl, unsigned int worker, uint32_t token,
	uint64_t cookie)
{
	struct req q;

	if (cl == NULL || worker >= cl->n_ports)
		return -EINVAL;
	if (get_state(cl) != MPN_CLUSTER_CONNECTED) {
		struct port *pt = &cl->ports[worker];

		__atomic_store_n(&pt->refused_down, pt->refused_down + 1, __ATOMIC_RELAXED);
		return -ENOTCONN;
	}
	memset(&q, 0, sizeof(q));
	q.op = REQ_FETCH;
	q.token = token;
	q.cookie = cookie;
	q.t_ns = now_ns();
	return enqueue(cl, worker, &q) ? 0 : -ENOBUFS;
}

unsigned int
mpn_cluster_poll_answers(struct mpn_cluster *cl, unsigned int worker,
	struct mpn_cluster_answer *out, unsigned int max)
{
	if (cl == NULL || worker >= cl->n_ports || max == 0)
		return 0;
	return rte_ring_sc_dequeue_burst_elem(cl->ports[worker].ans, out, sizeof(*out), max,
		NULL);
}

enum mpn_cluster_unreachable
mpn_cluster_unreachable_policy(const struct mpn_cluster *cl)
{
	if (cl == NULL)
		return MPN_CLUSTER_UNREACHABLE_VERIFY;
	return (enum mpn_cluster_unreachable)__atomic_load_n(&cl->unreachable, __ATOMIC_RELAXED);
}

enum mpn_cluster_unreachable
mpn_cluster_unreachable_apply(struct mpn_cluster *cl, unsigned int worker)
{
	enum mpn_cluster_unreachable u = mpn_cluster_unreachable_policy(cl);
	struct port *pt;

	if (cl == NULL || worker >= cl->n_ports || (unsigned int)u >= 3)
		return u;
	pt = &cl->ports[worker];
	__atomic_store_n(&pt->unreach[u], pt->unreach[u] + 1, __ATOMIC_RELAXED);
	return u;
}

/* --- control --- */

static struct rte_ring *
ring_new(const char *name, unsigned int count, unsigned int esize)
{
	unsigned int n = rte_align32pow2(count + 1);
	ssize_t sz = rte_ring_get_memsize_elem(esize, n);
	struct rte_ring *r;

	if (sz < 0)
		return NULL;
	/* Plain memory, not a memzone: the directory needs no EAL. */
	if (posix_memalign((void **)&r, RTE_CACHE_LINE_SIZE, (size_t)sz) != 0)
		return NULL;
	memset(r, 0, (size_t)sz);
	if (rte_ring_init(r, name, n, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

static void
ring_free(struct rte_ring *r, unsigned int esize)
{
	if (r == NULL)
		return;
	/* Ring slots held records: clear them. */
	explicit_bzero(r, (size_t)rte_ring_get_memsize_elem(esize, r->size));
	free(r);
}

static void
set_shown(struct mpn_cluster *cl, const struct mpn_config_cluster *cfg)
{
	cl->shown = *cfg;
	explicit_bzero(cl->shown.password, sizeof(cl->shown.password));
	/* Remember only whether there is one. */
	if (cfg->password[0] != '\0')
		cl->shown.password[0] = '*';
}

struct mpn_cluster *
mpn_cluster_create(const struct mpn_config_cluster *cfg, unsigned int n_producers,
	char *err, size_t errlen)
{
	sigset_t pipe_set, old_set;
	struct mpn_cluster *cl;
	unsigned int i;
	int rc;

	if (!cfg->enabled || n_producers == 0 || n_producers > UINT16_MAX) {
		snprintf(err, errlen, "cluster: nothing to create");
		return NULL;
	}
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		snprintf(err, errlen, "cluster: out of memory");
		return NULL;
	}
	cl->efd = -1;
	pthread_mutex_init(&cl->lock, NULL);
	cl->cfg = *cfg;
	set_shown(cl, cfg);
	cl->unreachable = (uint32_t)cfg->unreachable;
	cl->backoff_ms = BACKOFF_MIN_MS;
	cl->n_ports = n_producers;
	if (posix_memalign((void **)&cl->ports, RTE_CACHE_LINE_SIZE,
			sizeof(cl->ports[0]) * n_producers) != 0) {
		cl->ports = NULL;
		snprintf(err, errlen, "cluster: out of memory");
		goto fail;
	}
	memset(cl->ports, 0, sizeof(cl->ports[0]) * n_producers);
	for (i = 0; i < n_producers; i++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "mpn_dir_req%u", i);
		cl->ports[i].req = ring_new(name, cfg->request_ring, sizeof(struct req));
		snprintf(name, sizeof(name), "mpn_dir_ans%u", i);
		cl->ports[i].ans = ring_new(name, cfg->answer_ring,
			sizeof(struct mpn_cluster_answer));
		if (cl->ports[i].req == NULL || cl->ports[i].ans == NULL) {
			snprintf(err, errlen, "cluster: cannot allocate the rings of %u and %u "
				"entries: lower cluster.request-ring or cluster.answer-ring",
				cfg->request_ring, cfg->answer_ring);
			goto fail;
		}
	}
	cl->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (cl->efd < 0) {
		snprintf(err, errlen, "cluster: eventfd: %s", strerror(errno));
		goto fail;
	}
	set_state(cl, MPN_CLUSTER_DOWN);
	/*
	 * hiredis writes with write(): a store that closes the connection
	 * would raise SIGPIPE and kill the process. The thread inherits a mask
	 * with SIGPIPE blocked, so the write fails with EPIPE instead.
	 */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	rc = pthread_create(&cl->thread, NULL, directory_main, cl);
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cluster: cannot start the directory thread: %s",
			strerror(rc));
		goto fail;
	}
	pthread_setname_np(cl->thread, "mpn-directory");
	return cl;
fail:
	if (cl->ports != NULL) {
		for (i = 0; i < n_producers; i++) {
			ring_free(cl->ports[i].req, sizeof(struct req));
			ring_free(cl->ports[i].ans, sizeof(struct mpn_cluster_answer));
		}
		free(cl->ports);
	}
	if (cl->efd >= 0)
		close(cl->efd);
	explicit_bzero(cl, sizeof(*cl));
	free(cl);
	return NULL;
}

void
mpn_cluster_destroy(struct mpn_cluster *cl)
{
	uint64_t one = 1;
	unsigned int i;

	if (cl == NULL)
		return;
	__atomic_store_n(&cl->stop, 1, __ATOMIC_RELEASE);
	if (write(cl->efd, &one, sizeof(one)) < 0) {
		/* A full counter wakes the thread all the same. */
	}
	pthread_join(cl->thread, NULL);
	for (i = 0; i < cl->n_ports; i++) {
		ring_free(cl->ports[i].req, sizeof(struct req));
		ring_free(cl->ports[i].ans, sizeof(struct mpn_cluster_answer));
	}
	free(cl->ports);
	close(cl->efd);
	pthread_mutex_destroy(&cl->lock);
	explicit_bzero(cl, sizeof(*cl));
	free(cl);
}

int
mpn_cluster_reconfigure(struct mpn_cluster *cl, const struct mpn_config_cluster *cfg,
	char *msg, size_t len)
{
	uint64_t one = 1;
	int rc = 0;

	msg[0] = '\0';
	if (cl == NULL)
		return 0;
	pthread_mutex_lock(&cl->lock);
	explicit_bzero(cl->next.password, sizeof(cl->next.password));
	cl->next = *cfg;
	/* The rings were sized at start: keep them, and say so. */
	cl->next.request_ring = cl->shown.request_ring;
	cl->next.answer_ring = cl->shown.answer_ring;
	if (cfg->request_ring != cl->shown.request_ring ||
			cfg->answer_ring != cl->shown.answer_ring) {
		snprintf(msg, len, "cluster.request-ring and cluster.answer-ring take effect at "
			"restart");
		rc = 1;
	}
	set_shown(cl, &cl->next);
	cl->cfg_pending = true;
	__atomic_add_fetch(&cl->cfg_asked, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&cl->lock);
	__atomic_store_n(&cl->unreachable, (uint32_t)cfg->unreachable, __ATOMIC_RELAXED);
	if (write(cl->efd, &one, sizeof(one)) < 0) {
		/* The thread also looks at least once a second. */
	}
	return rc;
}

bool
mpn_cluster_reconfigured(const struct mpn_cluster *cl)
{
	return cl == NULL || __atomic_load_n(&cl->cfg_done, __ATOMIC_ACQUIRE) ==
		__atomic_load_n(&cl->cfg_asked, __ATOMIC_RELAXED);
}

enum mpn_cluster_state
mpn_cluster_get_state(const struct mpn_cluster *cl)
{
	return cl == NULL ? MPN_CLUSTER_DOWN : get_state(cl);
}

const char *
mpn_cluster_state_name(enum mpn_cluster_state s)
{
	switch (s) {
	case MPN_CLUSTER_DOWN:
		return "down";
	case MPN_CLUSTER_CONNECTING:
		return "connecting";
	case MPN_CLUSTER_HANDSHAKE:
		return "handshake";
	case MPN_CLUSTER_CONNECTED:
		return "connected";
	}
	return "?";
}

uint64_t
mpn_cluster_connect_count(const struct mpn_cluster *cl)
{
	return cl == NULL ? 0 : __atomic_load_n(&cl->connect_count, __ATOMIC_ACQUIRE);
}

uint64_t
mpn_cluster_latency_bound(unsigned int i)
{
	static const uint64_t bounds[MPN_CLUSTER_LAT_BUCKETS - 1] = {
		50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000,
	};

	return i < RTE_DIM(bounds) ? bounds[i] : 0;
}

void
mpn_cluster_get_stats(const struct mpn_cluster *cl, struct mpn_cluster_stats *out)
{
	const uint64_t *src;
	uint64_t *dst;
	unsigned int i, p;

	memset(out, 0, sizeof(*out));
	if (cl == NULL)
		return;
	/* struct counters and the head of struct mpn_cluster_stats have the same layout. */
	src = (const uint64_t *)&cl->ctr;
	dst = (uint64_t *)out;
	for (i = 0; i < sizeof(cl->ctr) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	for (p = 0; p < cl->n_ports; p++) {
		out->request_ring_full += __atomic_load_n(&cl->ports[p].req_full, __ATOMIC_RELAXED);
		out->refused_down += __atomic_load_n(&cl->ports[p].refused_down, __ATOMIC_RELAXED);
		out->unreachable_verify += __atomic_load_n(
			&cl->ports[p].unreach[MPN_CLUSTER_UNREACHABLE_VERIFY], __ATOMIC_RELAXED);
		out->unreachable_allow += __atomic_load_n(
			&cl->ports[p].unreach[MPN_CLUSTER_UNREACHABLE_ALLOW], __ATOMIC_RELAXED);
		out->unreachable_drop += __atomic_load_n(
			&cl->ports[p].unreach[MPN_CLUSTER_UNREACHABLE_DROP], __ATOMIC_RELAXED);
	}
	out->state = get_state(cl);
	out->inflight = __atomic_load_n(&cl->inflight, __ATOMIC_RELAXED);
}

_Static_assert(offsetof(struct mpn_cluster_stats, latency_sum_us) ==
	offsetof(struct counters, latency_sum_us), "stats and counters share a layout");

void
mpn_cluster_render(const struct mpn_cluster *cl, struct mpn_render *r)
{
	struct mpn_cluster_stats s;
	struct mpn_config_cluster shown;
	char where[MPN_CLUSTER_HOST_MAX + 16], err[sizeof(cl->last_error)];
	struct mpn_cluster *mcl = (struct mpn_cluster *)(uintptr_t)cl;
	uint64_t answered = 0;
	unsigned int i;

	if (cl == NULL) {
		mpn_render_str(r, "state", "disabled");
		mpn_render_str(r, "note", "no 'cluster' section in the configuration "
			"(doc/cluster.md)");
		return;
	}
	mpn_cluster_get_stats(cl, &s);
	pthread_mutex_lock(&mcl->lock);
	shown = cl->shown;
	snprintf(err, sizeof(err), "%s", cl->last_error);
	pthread_mutex_unlock(&mcl->lock);
	store_name(&shown, where, sizeof(where));
	mpn_render_str(r, "state", mpn_cluster_state_name(s.state));
	mpn_render_str(r, "store", where);
	mpn_render_str(r, "node", shown.node);
	mpn_render_str(r, "user", shown.user[0] != '\0' ? shown.user :
		shown.password[0] != '\0' ? "default" : "-");
	mpn_render_bool(r, "auth", shown.password[0] != '\0');
	mpn_render_str(r, "prefix", shown.prefix);
	mpn_render_u64(r, "ttl_s", shown.ttl);
	mpn_render_u64(r, "fetch_timeout_ms", shown.fetch_timeout);
	mpn_render_str(r, "unreachable", mpn_cluster_unreachable_name(
		mpn_cluster_unreachable_policy(cl)));
	mpn_render_u64(r, "request_ring", shown.request_ring);
	mpn_render_u64(r, "answer_ring", shown.answer_ring);
	mpn_render_u64(r, "inflight", s.inflight);
	mpn_render_str(r, "last_error", err[0] != '\0' ? err : "-");
	mpn_render_section_begin(r, "counters");
#define MPN_CLUSTER_SHOW(name, help) mpn_render_u64(r, #name, s.name);
	MPN_CLUSTER_COUNTERS(MPN_CLUSTER_SHOW)
#undef MPN_CLUSTER_SHOW
	mpn_render_section_end(r);
	for (i = 0; i < MPN_CLUSTER_LAT_BUCKETS; i++)
		answered += s.latency[i];
	mpn_render_u64(r, "latency_mean_us", answered ? s.latency_sum_us / answered : 0);
	mpn_render_table_begin(r, "latency", "le_us", "fetches", NULL);
	for (i = 0; i < MPN_CLUSTER_LAT_BUCKETS; i++) {
		mpn_render_row_begin(r);
		if (mpn_cluster_latency_bound(i) != 0)
			mpn_render_cell_fmt(r, "%" PRIu64, mpn_cluster_latency_bound(i));
		else
			mpn_render_cell_str(r, "inf");
		mpn_render_cell_u64(r, s.latency[i]);
		mpn_render_row_end(r);
	}
	mpn_render_table_end(r);
}
