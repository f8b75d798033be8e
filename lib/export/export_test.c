/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the flow exporter: the records a collector decodes (with
 * libfixbuf's own collector, from the bytes that crossed a real socket on
 * 127.0.0.1), a refusing collector, a full queue, bad parameters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <fixbuf/public.h>

#include "export.h"

/* What the collector decodes into: a few elements, by name, as a collector would. */
struct got {
	uint64_t start_ms;
	uint64_t end_ms;
	uint64_t pkts;
	uint64_t rpkts;
	uint64_t octets;
	uint64_t roctets;
	uint8_t src6[16];
	uint32_t src;    /* host order, as libfixbuf hands IPv4 addresses over */
	uint32_t dst;
	uint32_t token;
	uint16_t sport;
	uint16_t dport;
	uint8_t fw_event;
	uint8_t end_reason;
	uint8_t role;
	uint8_t join;
	uint8_t drop_reason;
	uint8_t close_reason;
	uint8_t version;
	uint8_t addr_id;
} __attribute__((packed));

static fbInfoElementSpec_t got_spec[] = {
	{ "flowStartMilliseconds", 8, 0 },
	{ "flowEndMilliseconds", 8, 0 },
	{ "packetDeltaCount", 8, 0 },
	{ "reversePacketDeltaCount", 8, 0 },
	{ "octetDeltaCount", 8, 0 },
	{ "reverseOctetDeltaCount", 8, 0 },
	{ "sourceIPv6Address", 16, 0 },
	{ "sourceIPv4Address", 4, 0 },
	{ "destinationIPv4Address", 4, 0 },
	{ "mpnMptcpToken", 4, 0 },
	{ "sourceTransportPort", 2, 0 },
	{ "destinationTransportPort", 2, 0 },
	{ "firewallEvent", 1, 0 },
	{ "flowEndReason", 1, 0 },
	{ "mpnSubflowRole", 1, 0 },
	{ "mpnJoinVerdict", 1, 0 },
	{ "mpnDropReason", 1, 0 },
	{ "mpnCloseReason", 1, 0 },
	{ "mpnMptcpVersion", 1, 0 },
	{ "mpnJoinAddressId", 1, 0 },
	FB_IESPEC_NULL
};

/* The collector's view of mpnorm's elements: the numbers are the wire contract. */
static fbInfoElement_t collector_ies[] = {
	FB_IE_INIT_FULL("mpnMptcpToken", MPN_EXPORT_DEFAULT_PEN, 1, 4, FB_IE_F_ENDIAN, 0, 0,
		FB_UINT_32, NULL),
	FB_IE_INIT_FULL("mpnMptcpVersion", MPN_EXPORT_DEFAULT_PEN, 2, 1, 0, 0, 0, FB_UINT_8, NULL),
	FB_IE_INIT_FULL("mpnSubflowRole", MPN_EXPORT_DEFAULT_PEN, 3, 1, 0, 0, 0, FB_UINT_8, NULL),
	FB_IE_INIT_FULL("mpnJoinVerdict", MPN_EXPORT_DEFAULT_PEN, 4, 1, 0, 0, 0, FB_UINT_8, NULL),
	FB_IE_INIT_FULL("mpnDropReason", MPN_EXPORT_DEFAULT_PEN, 6, 1, 0, 0, 0, FB_UINT_8, NULL),
	FB_IE_INIT_FULL("mpnCloseReason", MPN_EXPORT_DEFAULT_PEN, 7, 1, 0, 0, 0, FB_UINT_8, NULL),
	FB_IE_INIT_FULL("mpnJoinAddressId", MPN_EXPORT_DEFAULT_PEN, 11, 1, 0, 0, 0, FB_UINT_8, NULL),
	FB_IE_NULL,
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A UDP socket on 127.0.0.1 and an ephemeral port. */
static int
udp_listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int
tcp_bound(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
event(struct mpn_flow_event *ev, uint8_t type, uint8_t family)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->family = family;
	ev->sport = 40000;
	ev->dport = 5000;
	if (family == 4) {
		memcpy(ev->src, "\x0a\x63\x02\x01", 4);
		memcpy(ev->dst, "\x0a\x63\x02\x02", 4);
	} else {
		memcpy(ev->src, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(ev->dst, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	}
	ev->mptcp_version = 1;
	ev->token = 0xeff317c4;
	ev->role = MPN_ROLE_JOIN;
	ev->join_state = MPN_JOIN_ACK_OK;
}

/* Decode every data record in @p bytes (a stream of IPFIX messages). */
static unsigned int
collect(const uint8_t *bytes, size_t len, struct got *out, unsigned int max)
{
	fbInfoModel_t *m = fbInfoModelAlloc();
	fbSession_t *s;
	fbTemplate_t *t;
	fbCollector_t *c;
	fBuf_t *b;
	GError *e = NULL;
	FILE *f = fmemopen((void *)bytes, len, "r");
	unsigned int n = 0;

	assert_non_null(f);
	fbInfoModelAddElementArray(m, collector_ies);
	s = fbSessionAlloc(m);
	t = fbTemplateAlloc(m);
	assert_true(fbTemplateAppendSpecArray(t, got_spec, 0, &e));
	assert_int_equal(fbTemplateGetIELenOfMemBuffer(t), sizeof(struct got));
	assert_true(fbSessionAddTemplate(s, TRUE, 0x2000, t, &e) != 0);
	c = fbCollectorAllocFP(NULL, f);
	b = fBufAllocForCollection(s, c);
	assert_true(fBufSetInternalTemplate(b, 0x2000, &e));
	for (;;) {
		struct got g;
		size_t gl = sizeof(g);

		memset(&g, 0, sizeof(g));
		if (!fBufNext(b, (uint8_t *)&g, &gl, &e))
			break;
		/* The RFC 5610 records naming mpnorm's elements are not flows. */
		if (fbInfoModelTypeInfoRecord(fBufGetCollectionTemplate(b, NULL)))
			continue;
		if (n < max)
			out[n] = g;
		n++;
	}
	g_clear_error(&e);
	fBufFree(b);
	fbInfoModelFree(m);
	fclose(f);
	return n;
}

/* Receive datagrams until @p want records decoded or 5 s; bounded poll, no sleep. */
static unsigned int
receive_udp(int fd, struct mpn_export *x, uint8_t *buf, size_t cap, size_t *len,
	struct got *out, unsigned int max, unsigned int want, unsigned int *datagrams)
{
	uint64_t deadline = now_ms() + 5000;
	unsigned int n = 0;

	*len = 0;
	*datagrams = 0;
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		mpn_export_poll(x, now_ms());
		if (poll(&p, 1, 10) <= 0)
			continue;
		r = recv(fd, buf + *len, cap - *len, 0);
		assert_true(r > 0);
		/* Each datagram is one whole IPFIX message (RFC 7011 §10.3.3). */
		assert_int_equal(buf[*len] << 8 | buf[*len + 1], 10);
		assert_int_equal(buf[*len + 2] << 8 | buf[*len + 3], r);
		*len += (size_t)r;
		(*datagrams)++;
		n = collect(buf, *len, out, max);
		if (n >= want)
			break;
	}
	return n;
}

static void
test_udp_records(void **state)
{
	struct mpn_export_params p;
	struct mpn_export *x;
	struct mpn_flow_event ev;
	struct got g[8];
	static uint8_t buf[1 << 16];
	char err[256];
	size_t len;
	unsigned int n, dg;
	uint16_t port;
	int fd;

	(void)state;
	fd = udp_listener(&port);
	mpn_export_params_default(&p);
	snprintf(p.host, sizeof(p.host), "127.0.0.1");
	p.port = port;
	p.flush_ms = 0;
	x = mpn_export_new(&p, err, sizeof(err));
	assert_non_null(x);
	event(&ev, MPN_FLOW_EV_CREATE, 4);
	assert_int_equal(mpn_export_event(x, &ev, now_ms(), 0), 0);
	event(&ev, MPN_FLOW_EV_TEARDOWN, 4);
	ev.reason = MPN_FLOW_CLOSE_FIN;
	ev.pkts[0] = 11;
	ev.pkts[1] = 7;
	ev.bytes[0] = 5000;
	ev.bytes[1] = 300;
	ev.addr_id = 2;
	/* The flow began 90 s before it ended: flowStart is its creation. */
	assert_int_equal(mpn_export_event(x, &ev, 1700000090000ull, 1700000000000ull), 0);
	event(&ev, MPN_FLOW_EV_DENY, 4);
	ev.reason = 37;
	ev.role = MPN_ROLE_JOIN;
	ev.join_state = MPN_JOIN_FAILED;
	assert_int_equal(mpn_export_event(x, &ev, now_ms(), 0), 0);
	event(&ev, MPN_FLOW_EV_CREATE, 6);
	assert_int_equal(mpn_export_event(x, &ev, now_ms(), 0), 0);
	n = receive_udp(fd, x, buf, sizeof(buf), &len, g, 8, 4, &dg);
	assert_int_equal(n, 4);
	assert_int_equal(g[0].fw_event, MPN_FW_EVENT_CREATED);
	/* 10.99.2.1 -> 10.99.2.2, whatever the host's byte order. */
	assert_int_equal(g[0].src, 0x0a630201);
	assert_int_equal(g[0].dst, 0x0a630202);
	assert_int_equal(g[0].sport, 40000);
	assert_int_equal(g[0].dport, 5000);
	assert_int_equal(g[0].token, 0xeff317c4);
	assert_int_equal(g[0].version, 1);
	assert_int_equal(g[0].role, MPN_ROLE_JOIN);
	assert_int_equal(g[0].join, MPN_JOIN_ACK_OK);
	assert_int_equal(g[1].fw_event, MPN_FW_EVENT_DELETED);
	assert_int_equal(g[1].pkts, 11);
	assert_int_equal(g[1].rpkts, 7);
	assert_int_equal(g[1].octets, 5000);
	assert_int_equal(g[1].roctets, 300);
	assert_int_equal(g[1].close_reason, MPN_FLOW_CLOSE_FIN);
	assert_int_equal(g[1].end_reason, 3);   /* IANA: end of flow detected */
	assert_int_equal(g[1].start_ms, 1700000000000ull);
	assert_int_equal(g[1].end_ms, 1700000090000ull);
	assert_int_equal(g[1].addr_id, 2);
	assert_int_equal(g[2].start_ms, g[2].end_ms); /* a deny has no flow: its own time */
	assert_int_equal(g[2].fw_event, MPN_FW_EVENT_DENIED);
	assert_int_equal(g[2].drop_reason, 37);
	assert_int_equal(g[2].join, MPN_JOIN_FAILED);
	assert_int_equal(g[3].fw_event, MPN_FW_EVENT_CREATED);
	assert_memory_equal(g[3].src6, ev.src, 16);
	assert_int_equal(mpn_export_stats(x)->records, 4);
	assert_int_equal(mpn_export_stats(x)->templates_sent, 1);
	assert_int_equal(mpn_export_pending(x), 0);
	mpn_export_free(x);
	close(fd);
}

/* Nobody listens: the kernel's ICMP port unreachable comes back as errors, counted. */
static void
test_udp_refused(void **state)
{
	struct mpn_export_params p;
	struct mpn_export *x;
	struct mpn_flow_event ev;
	uint64_t deadline;
	char err[256];
	uint16_t port;
	int fd, i;

	(void)state;
	fd = udp_listener(&port);
	close(fd);     /* the port is now closed */
	mpn_export_params_default(&p);
	snprintf(p.host, sizeof(p.host), "127.0.0.1");
	p.port = port;
	p.flush_ms = 0;
	x = mpn_export_new(&p, err, sizeof(err));
	assert_non_null(x);
	event(&ev, MPN_FLOW_EV_CREATE, 4);
	deadline = now_ms() + 5000;
	for (i = 0; now_ms() < deadline && mpn_export_stats(x)->send_errors == 0; i++) {
		assert_int_equal(mpn_export_event(x, &ev, now_ms(), 0), 0);
		mpn_export_poll(x, now_ms());
	}
	assert_true(mpn_export_stats(x)->send_errors > 0);
	assert_true(mpn_export_stats(x)->messages_dropped_send_error > 0);
	mpn_export_free(x);
}

/* TCP to a closed port: connects fail, counted; the queue fills and drops, counted. */
static void
test_tcp_refused_queue_full(void **state)
{
	struct mpn_export_params p;
	struct mpn_export *x;
	struct mpn_flow_event ev;
	char err[256];
	uint16_t port;
	int fd, i;

	(void)state;
	/*
	 * A TCP port bound and not listening: connects are refused, and while
	 * it is held the kernel cannot pick it as the source port of a
	 * self-connect either (the exporter refuses those too).
	 */
	fd = tcp_bound(&port);
	mpn_export_params_default(&p);
	p.transport = MPN_EXPORT_TCP;
	snprintf(p.host, sizeof(p.host), "127.0.0.1");
	p.port = port;
	p.flush_ms = 0;
	p.queue = 4;
	p.mtu = 512;
	p.reconnect_ms = 0;
	x = mpn_export_new(&p, err, sizeof(err));
	assert_non_null(x);
	event(&ev, MPN_FLOW_EV_TEARDOWN, 6);
	/*
	 * Never blocks: every event is taken and every poll returns against a
	 * dead collector (a blocking connect would hang the test until meson's
	 * timeout). No wall-clock bound: the machine may be loaded.
	 */
	for (i = 0; i < 2000; i++) {
		assert_int_equal(mpn_export_event(x, &ev, now_ms(), 0), 0);
		mpn_export_poll(x, now_ms());
	}
	assert_true(mpn_export_stats(x)->connect_failures > 0);
	assert_int_equal(mpn_export_stats(x)->connects, 0);
	assert_true(mpn_export_stats(x)->messages_dropped_queue_full > 0);
	assert_true(mpn_export_stats(x)->records_dropped > 0);
	assert_true(mpn_export_pending(x) <= 4);
	assert_string_equal(mpn_export_state(x), "down");
	mpn_export_free(x);
	close(fd);
}

/* TCP: the stream starts with templates, every record arrives, in order. */
static void
test_tcp_stream(void **state)
{
	struct mpn_export_params p;
	struct mpn_export *x;
	struct mpn_flow_event ev;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	static uint8_t buf[1 << 20];
	struct got g[300];
	size_t len = 0;
	char err[256];
	uint64_t deadline;
	int lfd, cfd = -1, i;
	unsigned int n = 0;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	mpn_export_params_default(&p);
	p.transport = MPN_EXPORT_TCP;
	snprintf(p.host, sizeof(p.host), "127.0.0.1");
	p.port = ntohs(a.sin_port);
	p.flush_ms = 0;
	x = mpn_export_new(&p, err, sizeof(err));
	assert_non_null(x);
	for (i = 0; i < 300; i++) {
		event(&ev, MPN_FLOW_EV_TEARDOWN, 4);
		ev.pkts[0] = (uint64_t)i;
		assert_int_equal(mpn_export_event(x, &ev, now_ms(), 0), 0);
	}
	deadline = now_ms() + 5000;
	while (now_ms() < deadline && n < 300) {
		struct pollfd pf = { .fd = cfd >= 0 ? cfd : lfd, .events = POLLIN };

		mpn_export_poll(x, now_ms());
		if (poll(&pf, 1, 10) <= 0)
			continue;
		if (cfd < 0) {
			cfd = accept(lfd, NULL, NULL);
			continue;
		}
		ssize_t r = recv(cfd, buf + len, sizeof(buf) - len, 0);

		assert_true(r > 0);
		len += (size_t)r;
		n = collect(buf, len, g, 300);
	}
	assert_int_equal(n, 300);
	for (i = 0; i < 300; i++)
		assert_int_equal(g[i].pkts, (uint64_t)i);
	assert_int_equal(mpn_export_stats(x)->connects, 1);
	assert_string_equal(mpn_export_state(x), "up");
	mpn_export_free(x);
	close(cfd);
	close(lfd);
}

static void
test_bad_params(void **state)
{
	struct mpn_export_params p;
	char err[256];

	(void)state;
	mpn_export_params_default(&p);
	snprintf(p.host, sizeof(p.host), "collector.example");
	assert_null(mpn_export_new(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "not an IPv4 or IPv6 address"));
	snprintf(p.host, sizeof(p.host), "::1");
	p.mtu = 100;
	assert_null(mpn_export_new(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "mtu"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_records),
		cmocka_unit_test(test_udp_refused),
		cmocka_unit_test(test_tcp_refused_queue_full),
		cmocka_unit_test(test_tcp_stream),
		cmocka_unit_test(test_bad_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
