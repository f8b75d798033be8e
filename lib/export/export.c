/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX flow events (NSEL-style) with libfixbuf, over a transport that never
 * blocks. libfixbuf encodes each message into a buffer exporter (manual
 * mode: a record that does not fit ends the message, which we then move to
 * our queue); our queue feeds a non-blocking UDP or TCP socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fixbuf/public.h>

#include "export.h"

#define TID_V4 0x1001
#define TID_V6 0x1002
/* Template ids of the RFC 5610 type records and their options template. */
#define TID_TYPEINFO 0x1003

/* IANA flowEndReason (IE 136). */
#define END_IDLE 0x01
#define END_DETECTED 0x03
#define END_FORCED 0x04
#define END_RESOURCES 0x05

/*
 * The record as libfixbuf reads it: the internal template is the external
 * one, so the fields are in template order, packed.
 */
#define REC_COMMON_HEAD \
	uint64_t obs_ms; \
	uint64_t start_ms; \
	uint64_t end_ms; \
	uint64_t pkts; \
	uint64_t octets; \
	uint64_t rpkts; \
	uint64_t roctets; \
	uint64_t init_pkts; \
	uint64_t resp_pkts; \
	uint64_t init_octets; \
	uint64_t resp_octets;
#define REC_COMMON_TAIL \
	uint32_t ingress; \
	uint32_t token; \
	uint32_t dropped_segments; \
	uint16_t sport; \
	uint16_t dport; \
	uint16_t vlan; \
	uint16_t rule; \
	uint8_t proto; \
	uint8_t fw_event; \
	uint8_t end_reason; \
	uint8_t version; \
	uint8_t role; \
	uint8_t join; \
	uint8_t decision; \
	uint8_t drop_reason; \
	uint8_t close_reason; \
	uint8_t tcp_state; \
	uint8_t join_addr_id; \
	uint8_t mpc_flags;

struct rec4 {
	REC_COMMON_HEAD
	uint32_t src;   /* libfixbuf carries IPv4 addresses as host-order integers */
	uint32_t dst;
	REC_COMMON_TAIL
} __attribute__((packed));

struct rec6 {
	REC_COMMON_HEAD
	uint8_t src[16];
	uint8_t dst[16];
	REC_COMMON_TAIL
} __attribute__((packed));

#define SPEC_HEAD \
	{ "observationTimeMilliseconds", 8, 0 }, \
	{ "flowStartMilliseconds", 8, 0 }, \
	{ "flowEndMilliseconds", 8, 0 }, \
	{ "packetDeltaCount", 8, 0 }, \
	{ "octetDeltaCount", 8, 0 }, \
	{ "reversePacketDeltaCount", 8, 0 }, \
	{ "reverseOctetDeltaCount", 8, 0 }, \
	{ "initiatorPackets", 8, 0 }, \
	{ "responderPackets", 8, 0 }, \
	{ "initiatorOctets", 8, 0 }, \
	{ "responderOctets", 8, 0 },
#define SPEC_TAIL \
	{ "ingressInterface", 4, 0 }, \
	{ "mpnMptcpToken", 4, 0 }, \
	{ "mpnDroppedSegments", 4, 0 }, \
	{ "sourceTransportPort", 2, 0 }, \
	{ "destinationTransportPort", 2, 0 }, \
	{ "vlanId", 2, 0 }, \
	{ "mpnClassRuleId", 2, 0 }, \
	{ "protocolIdentifier", 1, 0 }, \
	{ "firewallEvent", 1, 0 }, \
	{ "flowEndReason", 1, 0 }, \
	{ "mpnMptcpVersion", 1, 0 }, \
	{ "mpnSubflowRole", 1, 0 }, \
	{ "mpnJoinVerdict", 1, 0 }, \
	{ "mpnMptcpDecision", 1, 0 }, \
	{ "mpnDropReason", 1, 0 }, \
	{ "mpnCloseReason", 1, 0 }, \
	{ "mpnTcpState", 1, 0 }, \
	{ "mpnJoinAddressId", 1, 0 }, \
	{ "mpnMpCapableFlags", 1, 0 }, \
	FB_IESPEC_NULL

static fbInfoElementSpec_t spec4[] = {
	SPEC_HEAD
	{ "sourceIPv4Address", 4, 0 },
	{ "destinationIPv4Address", 4, 0 },
	SPEC_TAIL
};

static fbInfoElementSpec_t spec6[] = {
	SPEC_HEAD
	{ "sourceIPv6Address", 16, 0 },
	{ "destinationIPv6Address", 16, 0 },
	SPEC_TAIL
};

/* One encoded message waiting for the socket. */
struct msg {
	uint32_t len;
	uint32_t records;
	uint8_t *buf;           /* mtu bytes */
};

enum tcp_state {
	TCP_DOWN,
	TCP_CONNECTING,
	TCP_UP,
};

struct mpn_export {
	struct mpn_export_params p;
	struct mpn_export_stats st;
	fbInfoModel_t *model;
	fbSession_t *session;
	fbExporter_t *exporter;
	fBuf_t *fbuf;
	uint8_t *encbuf;          /* what fBufEmit() writes to */
	uint32_t open_records;    /* records in the message being built */
	uint64_t open_since_ms;
	uint64_t last_templates_ms;
	bool templates_due;       /* before the next data (new TCP connection, refresh) */
	uint16_t cur_tid;         /* export template of the message being built, 0 none */
	/* The send queue: a ring of messages; head is the oldest. */
	struct msg *q;
	uint32_t q_head, q_len;
	uint32_t q_off;           /* bytes of the head already written (TCP) */
	/* Transport. */
	int fd;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	enum tcp_state tcp;
	uint64_t next_connect_ms;
};

void
mpn_export_params_default(struct mpn_export_params *p)
{
	memset(p, 0, sizeof(*p));
	p->transport = MPN_EXPORT_UDP;
	p->port = 4739;           /* RFC 7011 §10.3.1, IANA "ipfix" */
	p->template_refresh_s = 60;
	p->queue = 1024;
	p->mtu = 1400;
	p->flush_ms = 1000;
	p->pen = MPN_EXPORT_DEFAULT_PEN;
	p->reconnect_ms = 1000;
}

unsigned int
mpn_export_stats_count(void)
{
	return sizeof(struct mpn_export_stats) / sizeof(uint64_t);
}

const char *
mpn_export_stats_get(const struct mpn_export_stats *s, unsigned int i, uint64_t *v,
	const char **desc)
{
	static const char *const names[] = {
#define MPN_EXPORT_STATS_NAME(f, d) #f,
		MPN_EXPORT_STATS_LIST(MPN_EXPORT_STATS_NAME)
#undef MPN_EXPORT_STATS_NAME
	};
	static const char *const descs[] = {
#define MPN_EXPORT_STATS_DESC(f, d) d,
		MPN_EXPORT_STATS_LIST(MPN_EXPORT_STATS_DESC)
#undef MPN_EXPORT_STATS_DESC
	};

	if (i >= mpn_export_stats_count())
		return NULL;
	*v = ((const uint64_t *)s)[i];
	if (desc != NULL)
		*desc = descs[i];
	return names[i];
}

/* mpnorm's own elements. The PEN is the config's, so the array is built at run time. */
static void
add_enterprise_elements(fbInfoModel_t *m, uint32_t pen)
{
	fbInfoElement_t ie[] = {
		FB_IE_INIT_FULL("mpnMptcpToken", pen, MPN_IE_MPTCP_TOKEN, 4,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32, NULL),
		FB_IE_INIT_FULL("mpnMptcpVersion", pen, MPN_IE_MPTCP_VERSION, 1,
			FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
		FB_IE_INIT_FULL("mpnSubflowRole", pen, MPN_IE_SUBFLOW_ROLE, 1,
			FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
		FB_IE_INIT_FULL("mpnJoinVerdict", pen, MPN_IE_JOIN_VERDICT, 1,
			FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
		FB_IE_INIT_FULL("mpnMptcpDecision", pen, MPN_IE_MPTCP_DECISION, 1,
			FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
		FB_IE_INIT_FULL("mpnDropReason", pen, MPN_IE_DROP_REASON, 1,
			FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
		FB_IE_INIT_FULL("mpnCloseReason", pen, MPN_IE_CLOSE_REASON, 1,
			FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
		FB_IE_INIT_FULL("mpnClassRuleId", pen, MPN_IE_CLASS_RULE, 2,
			FB_IE_IDENTIFIER | FB_IE_F_ENDIAN, 0, 0, FB_UINT_16, NULL),
		FB_IE_INIT_FULL("mpnDroppedSegments", pen, MPN_IE_DROPPED_SEGMENTS, 4,
			FB_IE_QUANTITY | FB_IE_F_ENDIAN, 0, 0, FB_UINT_32, NULL),
		FB_IE_INIT_FULL("mpnTcpState", pen, MPN_IE_TCP_STATE, 1,
			FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
		FB_IE_INIT_FULL("mpnJoinAddressId", pen, MPN_IE_JOIN_ADDR_ID, 1,
			FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
		FB_IE_INIT_FULL("mpnMpCapableFlags", pen, MPN_IE_MPC_FLAGS, 1,
			FB_IE_FLAGS, 0, 0, FB_UINT_8, NULL),
		FB_IE_NULL,
	};

	/* fbInfoModelAddElementArray() copies the elements and their names. */
	fbInfoModelAddElementArray(m, ie);
}

static int
fail(char *err, size_t errlen, GError *e, const char *what)
{
	snprintf(err, errlen, "flow export: %s: %s", what, e != NULL ? e->message : "failed");
	if (e != NULL)
		g_clear_error(&e);
	return -1;
}

static int
add_template(struct mpn_export *x, fbInfoElementSpec_t *spec, uint16_t tid, size_t recsize,
	char *err, size_t errlen)
{
	fbTemplate_t *t = fbTemplateAlloc(x->model);
	GError *e = NULL;

	if (!fbTemplateAppendSpecArray(t, spec, 0, &e)) {
		fbTemplateFreeUnused(t);
		return fail(err, errlen, e, "template");
	}
	if (fbTemplateGetIELenOfMemBuffer(t) != recsize) {
		fbTemplateFreeUnused(t);
		snprintf(err, errlen, "flow export: template is %u bytes, the record %zu",
			fbTemplateGetIELenOfMemBuffer(t), recsize);
		return -1;
	}
	/* The same template, internal (how we lay it out) and external (on the wire). */
	if (fbSessionAddTemplate(x->session, TRUE, tid, t, &e) == 0 ||
			fbSessionAddTemplate(x->session, FALSE, tid, t, &e) == 0)
		return fail(err, errlen, e, "add template");
	return 0;
}

/*
 * A collector on this host that is down, reconnected to in a loop, can be
 * "reached" by TCP's simultaneous open: the kernel picks the collector's
 * port as the local ephemeral port and the socket connects to itself
 * (RFC 9293 §3.5). Nothing listens; records sent there are lost. Treat
 * it as the refused connect it is.
 */
static bool
tcp_self_connected(int fd)
{
	struct sockaddr_storage a, b;
	socklen_t al = sizeof(a), bl = sizeof(b);

	if (getsockname(fd, (struct sockaddr *)&a, &al) != 0 ||
			getpeername(fd, (struct sockaddr *)&b, &bl) != 0)
		return false;
	return al == bl && memcmp(&a, &b, al) == 0;
}
static int
parse_dst(struct mpn_export *x, char *err, size_t errlen)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&x->dst;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&x->dst;

	memset(&x->dst, 0, sizeof(x->dst));
	if (inet_pton(AF_INET, x->p.host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(x->p.port);
		x->dst_len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, x->p.host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(x->p.port);
		x->dst_len = sizeof(*a6);
		return 0;
	}
	/* A name would need DNS, which can block: the collector is an address. */
	snprintf(err, errlen, "flow export: collector '%s' is not an IPv4 or IPv6 address",
		x->p.host);
	return -1;
}

struct mpn_export *
mpn_export_new(const struct mpn_export_params *p, char *err, size_t errlen)
{
	struct mpn_export *x;
	GError *e = NULL;
	uint32_t i;

	if (p->queue == 0 || p->mtu < 512 || p->mtu > 65000) {
		snprintf(err, errlen, "flow export: queue must be > 0 and mtu 512..65000");
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		goto oom;
	x->p = *p;
	x->fd = -1;
	if (parse_dst(x, err, errlen) != 0) {
		free(x);
		return NULL;
	}
	x->q = calloc(p->queue, sizeof(*x->q));
	x->encbuf = malloc(p->mtu);
	if (x->q == NULL || x->encbuf == NULL)
		goto oom_free;
	for (i = 0; i < p->queue; i++) {
		x->q[i].buf = malloc(p->mtu);
		if (x->q[i].buf == NULL)
			goto oom_free;
	}
	x->model = fbInfoModelAlloc();
	add_enterprise_elements(x->model, p->pen);
	x->session = fbSessionAlloc(x->model);
	fbSessionSetDomain(x->session, p->domain);
	/*
	 * RFC 5610 type records, so a collector (ipfixDump --rfc5610) learns
	 * the names and types of mpnorm's elements from the stream itself.
	 * Only ours: fbSessionEnableTypeMetadata() would describe every
	 * enterprise element libfixbuf knows, far more than one message holds.
	 */
	{
		fbTemplate_t *tt = fbInfoElementAllocTypeTemplate(x->model, &e);

		if (tt == NULL || fbSessionAddTemplate(x->session, TRUE, TID_TYPEINFO, tt, &e) == 0 ||
				fbSessionAddTemplate(x->session, FALSE, TID_TYPEINFO, tt, &e) == 0) {
			fail(err, errlen, e, "type information template");
			goto err_free;
		}
	}
	if (add_template(x, spec4, TID_V4, sizeof(struct rec4), err, errlen) != 0 ||
			add_template(x, spec6, TID_V6, sizeof(struct rec6), err, errlen) != 0)
		goto err_free;
	x->exporter = fbExporterAllocBuffer(x->encbuf, (uint16_t)p->mtu);
	x->fbuf = fBufAllocForExport(x->session, x->exporter);
	/* Manual: a record that does not fit ends the message, and we take it. */
	fBufSetAutomaticMode(x->fbuf, FALSE);
	x->templates_due = true;
	x->tcp = TCP_DOWN;
	if (p->transport == MPN_EXPORT_UDP) {
		x->fd = socket(x->dst.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		/* Connected, so the kernel reports ICMP errors (refused, unreachable) to us. */
		if (x->fd < 0 || connect(x->fd, (struct sockaddr *)&x->dst, x->dst_len) != 0) {
			snprintf(err, errlen, "flow export: UDP socket to %s:%u: %s", p->host,
				p->port, strerror(errno));
			goto err_free;
		}
	}
	return x;
oom_free:
	snprintf(err, errlen, "flow export: out of memory for a queue of %u messages of %u "
		"bytes", p->queue, p->mtu);
err_free:
	mpn_export_free(x);
	return NULL;
oom:
	snprintf(err, errlen, "flow export: out of memory");
	return NULL;
}

/* Take the message libfixbuf just emitted into the queue (or drop it, counted). */
static void
take_message(struct mpn_export *x, uint32_t records)
{
	size_t len = fbExporterGetMsgLen(x->exporter);
	struct msg *m;

	/*
	 * fBufEmit() of an empty message writes nothing and leaves the length
	 * of the previous one: the version word, zeroed after each take, tells.
	 */
	if (len < 16 || len > x->p.mtu || x->encbuf[0] != 0 || x->encbuf[1] != 10)
		return;
	if (x->q_len == x->p.queue) {
		x->encbuf[1] = 0;
		x->st.messages_dropped_queue_full++;
		x->st.records_dropped += records;
		return;
	}
	m = &x->q[(x->q_head + x->q_len) % x->p.queue];
	memcpy(m->buf, x->encbuf, len);
	x->encbuf[1] = 0;
	m->len = (uint32_t)len;
	m->records = records;
	x->q_len++;
	x->st.messages_queued++;
}

/* End the message being built and queue it. */
static void
emit(struct mpn_export *x)
{
	GError *e = NULL;

	if (x->open_records == 0)
		return;
	if (fBufEmit(x->fbuf, &e))
		take_message(x, x->open_records);
	else
		g_clear_error(&e);
	x->open_records = 0;
	x->cur_tid = 0;
}

/* Emit what the buffer holds, if anything, into the queue. */
static void
emit_raw(struct mpn_export *x)
{
	GError *e = NULL;

	if (fBufEmit(x->fbuf, &e))
		take_message(x, 0);
	g_clear_error(&e);
	x->cur_tid = 0;
}

/*
 * Run @p write; on FB_ERROR_EOM (the message is full, or libfixbuf wants
 * a template to start a message: "must start new message for template
 * export") emit and try once more.
 */
static bool
with_room(struct mpn_export *x, gboolean (*write)(struct mpn_export *x, uint16_t arg,
	GError **e), uint16_t arg)
{
	GError *e = NULL;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (write(x, arg, &e))
			return true;
		if (!g_error_matches(e, FB_ERROR_DOMAIN, FB_ERROR_EOM))
			break;
		g_clear_error(&e);
		emit_raw(x);
	}
	g_clear_error(&e);
	x->st.encode_errors++;
	return false;
}

static gboolean
write_template(struct mpn_export *x, uint16_t tid, GError **e)
{
	return fbSessionExportTemplate(x->session, tid, e);
}

static const char *const type_names[] = {
	"mpnMptcpToken", "mpnMptcpVersion", "mpnSubflowRole", "mpnJoinVerdict",
	"mpnMptcpDecision", "mpnDropReason", "mpnCloseReason", "mpnClassRuleId",
	"mpnDroppedSegments", "mpnTcpState", "mpnJoinAddressId", "mpnMpCapableFlags",
};

static gboolean
write_type_record(struct mpn_export *x, uint16_t i, GError **e)
{
	const fbInfoElement_t *ie = fbInfoModelGetElementByName(x->model, type_names[i]);

	if (ie == NULL)
		return TRUE;
	return fbInfoElementWriteOptionsRecord(x->fbuf, ie, TID_TYPEINFO, TID_TYPEINFO, e);
}

/*
 * Templates in the order a collector needs them: the RFC 5610 options
 * template, the type records that name and type mpnorm's elements, then
 * the data templates that use them. A collector that met the data
 * templates first would treat our elements as opaque octets for good
 * (ipfixDump then prints the token byte-swapped).
 */
static void
export_templates(struct mpn_export *x, uint64_t now_ms)
{
	bool ok;
	uint16_t i;

	emit(x);
	ok = with_room(x, write_template, TID_TYPEINFO);
	for (i = 0; ok && i < sizeof(type_names) / sizeof(type_names[0]); i++)
		ok = with_room(x, write_type_record, i);
	ok = ok && with_room(x, write_template, TID_V4) && with_room(x, write_template, TID_V6);
	emit_raw(x);
	if (ok)
		x->st.templates_sent++;
	x->templates_due = false;
	x->last_templates_ms = now_ms;
}

static uint8_t
end_reason(uint8_t close)
{
	/* IANA flowEndReason: what nfdump and most collectors display. */
	switch (close) {
	case MPN_FLOW_CLOSE_IDLE:
		return END_IDLE;
	case MPN_FLOW_CLOSE_FIN:
	case MPN_FLOW_CLOSE_RST:
	case MPN_FLOW_CLOSE_FASTCLOSE:
	case MPN_FLOW_CLOSE_REUSED:
		return END_DETECTED;
	case MPN_FLOW_CLOSE_EVICTED:
		return END_RESOURCES;
	default:
		return END_FORCED;
	}
}

#define FILL_COMMON(r, ev, event_ms, start_ms) do { \
	(r)->obs_ms = (event_ms); \
	(r)->start_ms = (start_ms) != 0 ? (start_ms) : (event_ms); \
	(r)->end_ms = (event_ms); \
	(r)->pkts = (ev)->pkts[0]; \
	(r)->octets = (ev)->bytes[0]; \
	(r)->rpkts = (ev)->pkts[1]; \
	(r)->roctets = (ev)->bytes[1]; \
	(r)->init_pkts = (ev)->pkts[0]; \
	(r)->resp_pkts = (ev)->pkts[1]; \
	(r)->init_octets = (ev)->bytes[0]; \
	(r)->resp_octets = (ev)->bytes[1]; \
	(r)->ingress = (ev)->link; \
	(r)->token = (ev)->token; \
	(r)->dropped_segments = (ev)->drops; \
	(r)->sport = (ev)->sport; \
	(r)->dport = (ev)->dport; \
	(r)->vlan = (ev)->vlan; \
	(r)->rule = (ev)->rule_id; \
	(r)->proto = 6; \
	(r)->version = (ev)->mptcp_version; \
	(r)->role = (ev)->role; \
	(r)->join = (ev)->join_state; \
	(r)->decision = (ev)->decision; \
	(r)->tcp_state = (ev)->tcp_state; \
	(r)->join_addr_id = (ev)->addr_id; \
	(r)->mpc_flags = (ev)->mpc_flags; \
} while (0)

int
mpn_export_event(struct mpn_export *x, const struct mpn_flow_event *ev, uint64_t event_ms,
	uint64_t start_ms)
{
	struct rec4 r4;
	struct rec6 r6;
	const uint8_t *rec;
	size_t len;
	uint16_t tid;
	GError *e = NULL;
	int attempt;

	if (ev->family == 4) {
		memset(&r4, 0, sizeof(r4));
		FILL_COMMON(&r4, ev, event_ms, start_ms);
		r4.src = (uint32_t)ev->src[0] << 24 | (uint32_t)ev->src[1] << 16 |
			(uint32_t)ev->src[2] << 8 | ev->src[3];
		r4.dst = (uint32_t)ev->dst[0] << 24 | (uint32_t)ev->dst[1] << 16 |
			(uint32_t)ev->dst[2] << 8 | ev->dst[3];
		rec = (const uint8_t *)&r4;
		len = sizeof(r4);
		tid = TID_V4;
	} else {
		memset(&r6, 0, sizeof(r6));
		FILL_COMMON(&r6, ev, event_ms, start_ms);
		memcpy(r6.src, ev->src, 16);
		memcpy(r6.dst, ev->dst, 16);
		rec = (const uint8_t *)&r6;
		len = sizeof(r6);
		tid = TID_V6;
	}
	/* The event, as NSEL's NF_F_FW_EVENT; the why in mpnorm's elements. */
#define SET(f, v) do { if (tid == TID_V4) r4.f = (v); else r6.f = (v); } while (0)
	switch (ev->type) {
	case MPN_FLOW_EV_CREATE:
		SET(fw_event, MPN_FW_EVENT_CREATED);
		break;
	case MPN_FLOW_EV_TEARDOWN:
		SET(fw_event, MPN_FW_EVENT_DELETED);
		SET(end_reason, end_reason(ev->reason));
		SET(close_reason, ev->reason);
		break;
	default:
		SET(fw_event, MPN_FW_EVENT_DENIED);
		SET(drop_reason, ev->reason);
		break;
	}
#undef SET
	if (x->templates_due)
		export_templates(x, event_ms);
	for (attempt = 0; attempt < 2; attempt++) {
		if (x->cur_tid != tid) {
			if (!fBufSetInternalTemplate(x->fbuf, tid, &e) ||
					!fBufSetExportTemplate(x->fbuf, tid, &e))
				break;
			x->cur_tid = tid;
		}
		if (fBufAppend(x->fbuf, (uint8_t *)rec, len, &e)) {
			if (x->open_records++ == 0)
				x->open_since_ms = event_ms;
			x->st.records++;
			return 0;
		}
		/* The message is full: send it and start the next one with this record. */
		if (!g_error_matches(e, FB_ERROR_DOMAIN, FB_ERROR_EOM))
			break;
		g_clear_error(&e);
		emit(x);
	}
	if (e != NULL)
		g_clear_error(&e);
	x->st.encode_errors++;
	return -1;
}

/* Drop the head of the queue, counting why. */
static void
pop(struct mpn_export *x, bool sent)
{
	struct msg *m = &x->q[x->q_head];

	if (sent) {
		x->st.messages_sent++;
	} else {
		x->st.records_dropped += m->records;
	}
	x->q_head = (x->q_head + 1) % x->p.queue;
	x->q_len--;
	x->q_off = 0;
}

static void
tcp_down(struct mpn_export *x, uint64_t now_ms)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	/* A message cut in the middle cannot be resumed on a new stream. */
	if (x->q_len > 0 && x->q_off > 0) {
		x->st.messages_dropped_disconnect++;
		pop(x, false);
	}
	x->tcp = TCP_DOWN;
	x->next_connect_ms = now_ms + x->p.reconnect_ms;
}

static void
tcp_connect(struct mpn_export *x, uint64_t now_ms)
{
	x->fd = socket(x->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		x->st.connect_failures++;
		x->next_connect_ms = now_ms + x->p.reconnect_ms;
		return;
	}
	if (connect(x->fd, (struct sockaddr *)&x->dst, x->dst_len) == 0) {
		if (tcp_self_connected(x->fd)) {
			x->st.connect_failures++;
			tcp_down(x, now_ms);
			return;
		}
		x->tcp = TCP_UP;
	} else if (errno == EINPROGRESS) {
		x->tcp = TCP_CONNECTING;
		return;
	} else {
		x->st.connect_failures++;
		tcp_down(x, now_ms);
		return;
	}
	x->st.connects++;
	x->templates_due = true;
}

/* A non-blocking connect finished? */
static void
tcp_check_connect(struct mpn_export *x, uint64_t now_ms)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);

	if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
		x->st.connect_failures++;
		tcp_down(x, now_ms);
		return;
	}
	/* Still in progress: no error yet and no peer. */
	if (getpeername(x->fd, (struct sockaddr *)&peer, &pl) != 0)
		return;
	if (tcp_self_connected(x->fd)) {
		x->st.connect_failures++;
		tcp_down(x, now_ms);
		return;
	}
	x->tcp = TCP_UP;
	x->st.connects++;
	/*
	 * RFC 7011 §10.4.2.2: templates on a new TCP connection before any
	 * data that uses them. Templates already queued for the old
	 * connection go first; more do no harm.
	 */
	x->templates_due = true;
}

static void
send_queue(struct mpn_export *x, uint64_t now_ms)
{
	unsigned int budget = 64;

	while (x->q_len > 0 && budget-- > 0) {
		struct msg *m = &x->q[x->q_head];
		ssize_t n;

		if (x->p.transport == MPN_EXPORT_UDP) {
			n = send(x->fd, m->buf, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n == (ssize_t)m->len) {
				x->st.bytes_sent += (uint64_t)n;
				pop(x, true);
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
				return;
			/* Refused (ICMP port unreachable), unreachable: this message is lost. */
			x->st.send_errors++;
			x->st.messages_dropped_send_error++;
			pop(x, false);
			continue;
		}
		if (x->tcp != TCP_UP)
			return;
		n = send(x->fd, m->buf + x->q_off, m->len - x->q_off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			x->st.bytes_sent += (uint64_t)n;
			x->q_off += (uint32_t)n;
			if (x->q_off == m->len)
				pop(x, true);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		x->st.send_errors++;
		tcp_down(x, now_ms);
		return;
	}
}

void
mpn_export_poll(struct mpn_export *x, uint64_t now_ms)
{
	if (x == NULL)
		return;
	if (x->p.transport == MPN_EXPORT_TCP) {
		if (x->tcp == TCP_DOWN && now_ms >= x->next_connect_ms)
			tcp_connect(x, now_ms);
		if (x->tcp == TCP_CONNECTING)
			tcp_check_connect(x, now_ms);
	} else if (now_ms - x->last_templates_ms >= (uint64_t)x->p.template_refresh_s * 1000) {
		/* RFC 7011 §10.3.6: over UDP, templates are sent again periodically. */
		x->templates_due = true;
	}
	if (x->templates_due && (x->p.transport == MPN_EXPORT_UDP || x->tcp == TCP_UP))
		export_templates(x, now_ms);
	if (x->open_records > 0 && now_ms - x->open_since_ms >= x->p.flush_ms)
		emit(x);
	if (x->p.transport == MPN_EXPORT_UDP || x->tcp == TCP_UP)
		send_queue(x, now_ms);
}

unsigned int
mpn_export_pending(const struct mpn_export *x)
{
	return x != NULL ? x->q_len : 0;
}

const struct mpn_export_stats *
mpn_export_stats(const struct mpn_export *x)
{
	return &x->st;
}

const char *
mpn_export_state(const struct mpn_export *x)
{
	if (x->p.transport == MPN_EXPORT_UDP)
		return "udp";
	return x->tcp == TCP_UP ? "up" : x->tcp == TCP_CONNECTING ? "connecting" : "down";
}

void
mpn_export_free(struct mpn_export *x)
{
	uint32_t i;

	if (x == NULL)
		return;
	if (x->fbuf != NULL) {
		/* Last records out, without waiting for anyone. */
		emit(x);
		if (x->fd >= 0 && (x->p.transport == MPN_EXPORT_UDP || x->tcp == TCP_UP))
			send_queue(x, 0);
		/* fBufFree() frees the session and the exporter too. */
		fBufFree(x->fbuf);
	} else if (x->session != NULL) {
		fbSessionFree(x->session);
	}
	if (x->model != NULL)
		fbInfoModelFree(x->model);
	if (x->fd >= 0)
		close(x->fd);
	if (x->q != NULL)
		for (i = 0; i < x->p.queue; i++)
			free(x->q[i].buf);
	free(x->q);
	free(x->encbuf);
	free(x);
}
