/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "cli_server.h"

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)NULL)->sun_path)

/* Frames that must go out even when malloc() fails: never freed. */
static const char cli_frame_oom[] = "-error: out of memory\n";
static const char cli_frame_busy[] = "-error: too many clients; try again later\n";
static const char cli_frame_idle[] = "-error: idle timeout\n";

struct cli_client {
	int fd;              /* -1 when the slot is free */
	uid_t uid;           /* the peer's, from SO_PEERCRED */
	bool privileged;     /* root, or the daemon's own user: uses the reserved slots */
	int64_t last_active; /* seconds (the server's clock) of its last request byte */
	bool eof;            /* the client shut down its sending side */
	bool discarding;     /* skipping the rest of an over-long line */
	const char *out;     /* the reply being written: status, body, NUL */
	char *out_heap;      /* out when malloc'ed; NULL for a static frame */
	size_t out_len;
	size_t out_off;      /* bytes of out already sent */
	size_t in_len;
	char in[MPN_CLI_LINE_MAX];
};

struct mpn_cli_server {
	int fd;
	bool busy;           /* a client had lines left after its burst */
	bool accept_pause;   /* out of descriptors: skip accept() for one poll */
	dev_t dev;           /* identity of the socket file we created */
	ino_t ino;
	char path[SUN_PATH_MAX];
	struct mpn_cli_server_stats stats;
	unsigned int idle_timeout;       /* s; 0: never */
	int64_t (*clock)(void);          /* seconds, monotonic; replaceable for tests */
	struct cli_client clients[MPN_CLI_MAX_CLIENTS];
	struct pollfd pfd[1 + MPN_CLI_MAX_CLIENTS];
	unsigned int pfd_client[1 + MPN_CLI_MAX_CLIENTS];
};

static void
cli_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* mkdir -p of the directory part of @p path; each component is created 0755. */
static int
cli_mkdir_parents(const char *path, char *err, size_t errlen)
{
	char dir[SUN_PATH_MAX];
	size_t i, len = strlen(path);
	struct stat st;

	memcpy(dir, path, len + 1);
	for (i = 1; i < len; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			int e = errno;

			cli_err(err, errlen, "cannot create directory %s for the control socket: %s",
				dir, strerror(e));
			errno = e;
			return -1;
		}
		dir[i] = '/';
	}
	/* EEXIST also covers a file where the directory should be: say so plainly. */
	for (i = len; i > 0 && dir[i - 1] != '/'; i--)
		;
	if (i > 1) {
		dir[i - 1] = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			cli_err(err, errlen, "%s is not a directory; cannot create the control "
				"socket %s", dir, path);
			errno = ENOTDIR;
			return -1;
		}
	}
	return 0;
}

/*
 * Remove a socket that a dead process left behind, so a restart works
 * without manual cleanup. A socket that accepts a connection belongs to a
 * live server and a non-socket is someone's file: both are left alone.
 */
static int
cli_remove_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		e = errno;
		cli_err(err, errlen, "cannot check %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		cli_err(err, errlen, "%s exists and is not a socket; remove it or choose "
			"another control socket path", path);
		errno = EEXIST;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		cli_err(err, errlen, "socket: %s", strerror(e));
		errno = e;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	if (rc == 0) {
		cli_err(err, errlen, "%s is in use: is another mpnorm running?", path);
		errno = EADDRINUSE;
		return -1;
	}
	if (e != ECONNREFUSED) {
		cli_err(err, errlen, "cannot check whether %s is in use: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		e = errno;
		cli_err(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

static int
cli_lookup_group(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	size_t size = 16384;
	char *buf = NULL;
	int rc = ERANGE, tries;

	/* Groups with many members need a bigger buffer; give up after 1 MiB. */
	for (tries = 0; tries < 7 && rc == ERANGE; tries++, size *= 2) {
		char *nb = realloc(buf, size);

		if (nb == NULL) {
			rc = ENOMEM;
			break;
		}
		buf = nb;
		rc = getgrnam_r(group, &gr, buf, size, &res);
	}
	if (rc == 0 && res != NULL)
		*gid = res->gr_gid;
	free(buf);
	if (rc != 0 || res == NULL) {
		cli_err(err, errlen, "control socket group '%s': %s", group,
			rc != 0 ? strerror(rc) : "no such group");
		errno = rc != 0 ? rc : ENOENT;
		return -1;
	}
	return 0;
}

static int64_t
cli_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

void
mpn_cli_server_set_idle_timeout(struct mpn_cli_server *srv, unsigned int seconds,
	int64_t (*clock)(void))
{
	srv->idle_timeout = seconds;
	srv->clock = clock != NULL ? clock : cli_clock;
}

struct mpn_cli_server *
mpn_cli_server_open(const char *path, mode_t mode, const char *group, char *err,
	size_t errlen)
{
	struct mpn_cli_server *srv;
	struct sockaddr_un sa;
	struct stat st;
	gid_t gid = (gid_t)-1;
	mode_t old_mask;
	unsigned int i;
	int e, rc;

	if (path == NULL || path[0] == '\0') {
		cli_err(err, errlen, "the control socket path is empty");
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= SUN_PATH_MAX) {
		cli_err(err, errlen, "control socket path too long (at most %zu bytes): %s",
			SUN_PATH_MAX - 1, path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (group != NULL && cli_lookup_group(group, &gid, err, errlen) != 0)
		return NULL;
	if (cli_mkdir_parents(path, err, errlen) != 0 ||
			cli_remove_stale(path, err, errlen) != 0)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		cli_err(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < MPN_CLI_MAX_CLIENTS; i++)
		srv->clients[i].fd = -1;
	srv->idle_timeout = MPN_CLI_DEFAULT_IDLE_TIMEOUT;
	srv->clock = cli_clock;
	memcpy(srv->path, path, strlen(path) + 1);
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0) {
		e = errno;
		cli_err(err, errlen, "socket: %s", strerror(e));
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/*
	 * bind() creates the file with 0777 & ~umask: narrow the umask so the
	 * socket is never more open than @p mode, not even until chmod().
	 * XXX: the umask is per process; this runs at start-up, before any
	 * other thread creates files.
	 */
	old_mask = umask(~mode & 0777);
	rc = bind(srv->fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old_mask);
	if (rc != 0) {
		cli_err(err, errlen, "cannot bind the control socket %s: %s", path, strerror(e));
		goto fail_close;
	}
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0) {
		e = errno;
		cli_err(err, errlen, "cannot give %s to group '%s': %s", path, group, strerror(e));
		goto fail_unlink;
	}
	if (chmod(path, mode) != 0) {
		e = errno;
		cli_err(err, errlen, "cannot chmod %s to %04o: %s", path, (unsigned int)mode,
			strerror(e));
		goto fail_unlink;
	}
	if (stat(path, &st) != 0) {
		e = errno;
		cli_err(err, errlen, "cannot stat %s: %s", path, strerror(e));
		goto fail_unlink;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	/* The backlog must hold a burst of clients connecting between two polls. */
	if (listen(srv->fd, SOMAXCONN) != 0) {
		e = errno;
		cli_err(err, errlen, "cannot listen on %s: %s", path, strerror(e));
		goto fail_unlink;
	}
	return srv;

fail_unlink:
	unlink(path);
fail_close:
	close(srv->fd);
fail:
	free(srv);
	errno = e;
	return NULL;
}

static void
client_out_free(struct cli_client *c)
{
	free(c->out_heap);
	c->out_heap = NULL;
	c->out = NULL;
	c->out_len = 0;
	c->out_off = 0;
}

static void
client_close(struct mpn_cli_server *srv, struct cli_client *c)
{
	close(c->fd);
	c->fd = -1;
	client_out_free(c);
	c->in_len = 0;
	c->eof = false;
	c->discarding = false;
	srv->stats.clients--;
}

static void
client_drop(struct mpn_cli_server *srv, struct cli_client *c)
{
	srv->stats.dropped++;
	client_close(srv, c);
}

static bool
client_has_output(const struct cli_client *c)
{
	return c->out_off < c->out_len;
}

/*
 * Queue a reply: the status byte, the body, the terminating NUL. When
 * memory runs out the client still gets a static error frame, so it is
 * never left waiting for a reply that will not come.
 */
static void
client_queue(struct mpn_cli_server *srv, struct cli_client *c, int rc, const char *body,
	size_t len)
{
	char *out = rc >= 0 ? malloc(len + 2) : NULL;

	if (out == NULL) {
		c->out = cli_frame_oom;
		c->out_len = sizeof(cli_frame_oom);
		c->out_heap = NULL;
		srv->stats.errors++;
	} else {
		out[0] = rc == 0 ? MPN_CLI_STATUS_OK : MPN_CLI_STATUS_ERR;
		memcpy(out + 1, body, len);
		out[len + 1] = MPN_CLI_REPLY_END;
		c->out = out;
		c->out_heap = out;
		c->out_len = len + 2;
		if (rc != 0)
			srv->stats.errors++;
	}
	c->out_off = 0;
}

static void
client_run(struct mpn_cli_server *srv, struct cli_client *c, const char *line, size_t len)
{
	char *body = NULL;
	size_t blen = 0;
	int rc;

	rc = mpn_cli_execute(line, len, &body, &blen);
	srv->stats.commands++;
	client_queue(srv, c, rc, body, blen);
	free(body);
}

/* Answer a line longer than the buffer, in the format it asked for. */
static void
client_overlong(struct mpn_cli_server *srv, struct cli_client *c)
{
	bool json = c->in[0] == '-' && c->in[1] == 'j' && (c->in[2] == ' ' || c->in[2] == '\t');
	struct mpn_render *r = mpn_render_new(json ? MPN_RENDER_JSON : MPN_RENDER_TEXT);
	char *body = NULL;
	size_t blen = 0;
	int rc = -ENOMEM;

	srv->stats.overlong++;
	if (r != NULL) {
		mpn_render_error(r, "line too long (at most %d bytes); it was discarded",
			MPN_CLI_LINE_MAX - 1);
		rc = mpn_render_finish(r, &body, &blen);
	}
	client_queue(srv, c, rc, body, blen);
	free(body);
}

static void
client_consume(struct cli_client *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/*
 * Take the next request from the input buffer and queue its reply.
 * Returns true if a reply was queued.
 */
static bool
client_next_line(struct mpn_cli_server *srv, struct cli_client *c)
{
	const char *nl;

	if (c->discarding) {
		nl = memchr(c->in, '\n', c->in_len);
		if (nl == NULL) {
			c->in_len = 0;
			return false;
		}
		client_consume(c, (size_t)(nl - c->in) + 1);
		c->discarding = false;
	}
	nl = memchr(c->in, '\n', c->in_len);
	if (nl != NULL) {
		size_t len = (size_t)(nl - c->in);

		client_run(srv, c, c->in, len);
		client_consume(c, len + 1);
		return true;
	}
	if (c->in_len == sizeof(c->in)) {
		client_overlong(srv, c);
		c->in_len = 0;
		c->discarding = true;
		return true;
	}
	if (c->eof && c->in_len > 0) {
		client_run(srv, c, c->in, c->in_len);
		c->in_len = 0;
		return true;
	}
	return false;
}

/* Send what the socket takes now; -1 if the client is gone. */
static int
client_flush(struct cli_client *c)
{
	ssize_t n;

	/* Each pass sends at least one byte or returns: bounded by out_len. */
	while (client_has_output(c)) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		/* EPIPE, ECONNRESET: the client left in the middle of its reply. */
		return -1;
	}
	client_out_free(c);
	return 0;
}

static int
client_read(struct cli_client *c)
{
	ssize_t n;

	if (c->eof || c->in_len == sizeof(c->in))
		return 0;
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (n > 0) {
		c->in_len += (size_t)n;
		return 0;
	}
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return -1;
}

/*
 * Write pending output, then run buffered lines one at a time, each reply
 * written before the next line runs. Returns the commands run.
 */
static int
client_serve(struct mpn_cli_server *srv, struct cli_client *c)
{
	int ran = 0;
	unsigned int replies = 0;

	for (;;) {
		if (client_has_output(c)) {
			if (client_flush(c) != 0) {
				client_drop(srv, c);
				return ran;
			}
			if (client_has_output(c))
				return ran; /* wait for POLLOUT */
		}
		if (replies == MPN_CLI_SERVER_BURST) {
			/* Let the other clients in; come back without waiting. */
			srv->busy = true;
			return ran;
		}
		if (!client_next_line(srv, c))
			break;
		replies++;
		if (!c->discarding)
			ran++;
	}
	if (c->eof && c->in_len == 0)
		client_close(srv, c);
	return ran;
}

/* Refuse a connection, politely: a fresh socket's buffer holds this short frame. */
static void
refuse(int fd, const char *frame, size_t len)
{
	(void)send(fd, frame, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/*
 * Whether a client of @p uid may take a slot now. Root and the daemon's
 * own user may take any free slot; everyone else is kept out of the last
 * MPN_CLI_RESERVED_SLOTS and to MPN_CLI_MAX_PER_UID connections each, so
 * that no group member, however many idle connections they open, can lock
 * the operator out.
 */
static bool
slot_allowed(const struct mpn_cli_server *srv, uid_t uid, bool privileged)
{
	unsigned int i, others = 0, same = 0;

	if (privileged)
		return true;
	for (i = 0; i < MPN_CLI_MAX_CLIENTS; i++) {
		const struct cli_client *c = &srv->clients[i];

		if (c->fd < 0 || c->privileged)
			continue;
		others++;
		if (c->uid == uid)
			same++;
	}
	return others < MPN_CLI_MAX_CLIENTS - MPN_CLI_RESERVED_SLOTS && same < MPN_CLI_MAX_PER_UID;
}

/* Accept what is waiting; refuse, politely, clients beyond the limits. */
static void
server_accept(struct mpn_cli_server *srv)
{
	unsigned int tries, i;
	struct ucred cred;
	socklen_t clen;
	bool privileged;
	int fd;

	/* Bounded: a flood of connections is taken over several polls. */
	for (tries = 0; tries < MPN_CLI_MAX_CLIENTS + 8; tries++) {
		fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/*
			 * Out of descriptors: the connection stays queued and the listening
			 * socket stays readable, so stop watching it for one poll rather
			 * than spin.
			 */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
					errno == ENOMEM)
				srv->accept_pause = true;
			return;
		}
		clen = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0)
			cred.uid = (uid_t)-1; /* unknown: the least privileged */
		privileged = cred.uid == 0 || cred.uid == geteuid();
		for (i = 0; i < MPN_CLI_MAX_CLIENTS; i++)
			if (srv->clients[i].fd < 0)
				break;
		if (i == MPN_CLI_MAX_CLIENTS || !slot_allowed(srv, cred.uid, privileged)) {
			refuse(fd, cli_frame_busy, sizeof(cli_frame_busy));
			srv->stats.rejected++;
			continue;
		}
		srv->clients[i].fd = fd;
		srv->clients[i].uid = cred.uid;
		srv->clients[i].privileged = privileged;
		srv->clients[i].last_active = srv->clock();
		srv->stats.accepted++;
		srv->stats.clients++;
	}
}

/*
 * A client that has sent nothing for idle_timeout seconds, and has no reply
 * still going out, is closed: an idle connection holds a slot for nothing.
 */
static void
close_idle(struct mpn_cli_server *srv)
{
	int64_t now;
	unsigned int i;

	if (srv->idle_timeout == 0)
		return;
	now = srv->clock();
	for (i = 0; i < MPN_CLI_MAX_CLIENTS; i++) {
		struct cli_client *c = &srv->clients[i];

		if (c->fd < 0 || client_has_output(c) ||
				now - c->last_active <= (int64_t)srv->idle_timeout)
			continue;
		(void)send(c->fd, cli_frame_idle, sizeof(cli_frame_idle), MSG_NOSIGNAL | MSG_DONTWAIT);
		srv->stats.idle_closed++;
		client_close(srv, c);
	}
}

int
mpn_cli_server_poll(struct mpn_cli_server *srv, int timeout_ms)
{
	unsigned int i, n = 0;
	int rc, ran = 0;

	if (srv->busy)
		timeout_ms = 0;
	srv->pfd[n].fd = srv->accept_pause ? -1 : srv->fd;
	srv->pfd[n].events = POLLIN;
	srv->pfd[n].revents = 0;
	n++;
	for (i = 0; i < MPN_CLI_MAX_CLIENTS; i++) {
		struct cli_client *c = &srv->clients[i];

		if (c->fd < 0)
			continue;
		srv->pfd[n].fd = c->fd;
		/* Read a client's next request only once its reply is out. */
		if (client_has_output(c))
			srv->pfd[n].events = POLLOUT;
		else if (!c->eof && c->in_len < sizeof(c->in))
			srv->pfd[n].events = POLLIN;
		else
			srv->pfd[n].events = 0;
		srv->pfd[n].revents = 0;
		srv->pfd_client[n] = i;
		n++;
	}
	srv->accept_pause = false;
	rc = poll(srv->pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	srv->busy = false;
	for (i = 1; i < n; i++) {
		struct cli_client *c = &srv->clients[srv->pfd_client[i]];
		short re = srv->pfd[i].revents;

		if (c->fd < 0)
			continue;
		if ((re & POLLIN) != 0) {
			if (client_read(c) != 0) {
				client_drop(srv, c);
				continue;
			}
			c->last_active = srv->clock();
		}
		/*
		 * POLLHUP means the peer closed both directions: no reply can reach
		 * it, so do not run what it sent. A half-close (shutdown(SHUT_WR))
		 * is not a hang-up; it shows as end of stream on read.
		 */
		if ((re & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (re & POLLIN) == 0) {
			client_drop(srv, c);
			continue;
		}
		ran += client_serve(srv, c);
	}
	if ((srv->pfd[0].revents & POLLIN) != 0)
		server_accept(srv);
	close_idle(srv);
	return ran;
}

void
mpn_cli_server_get_stats(const struct mpn_cli_server *srv,
	struct mpn_cli_server_stats *stats)
{
	*stats = srv->stats;
}

void
mpn_cli_server_close(struct mpn_cli_server *srv)
{
	struct stat st;
	unsigned int i;

	if (srv == NULL)
		return;
	for (i = 0; i < MPN_CLI_MAX_CLIENTS; i++)
		if (srv->clients[i].fd >= 0)
			client_close(srv, &srv->clients[i]);
	close(srv->fd);
	/* Another daemon may have taken the path over since: remove only our file. */
	if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv);
}
