/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MPN_CLI_SERVER_H
#define MPN_CLI_SERVER_H

/**
 * @file
 * The control socket: a non-blocking AF_UNIX stream server that runs the
 * command table (cli.h) for several clients at once.
 *
 * It is plain POSIX, with no DPDK: the main lcore calls
 * mpn_cli_server_poll() in its loop, which serves whatever is ready and
 * returns within the timeout it is given. Nothing a client does can block
 * it: sockets are non-blocking, replies are queued per client and written as
 * the client reads them (POLLOUT), and a client that goes away mid-reply is
 * dropped (sends use MSG_NOSIGNAL, so there is no SIGPIPE).
 *
 * Bounds, so no client can exhaust the process:
 * - at most MPN_CLI_MAX_CLIENTS connections; one more is answered
 *   "error: too many clients" and closed;
 * - a request line is at most MPN_CLI_LINE_MAX bytes (cli.h); a longer one
 *   is answered with an error and skipped;
 * - a client has at most one reply queued: its next line is read only once
 *   the reply has been written out, and a reply is at most
 *   MPN_CLI_REPLY_MAX bytes;
 * - one poll runs at most MPN_CLI_SERVER_BURST commands per client, so a
 *   client that pipelines many commands cannot starve the others.
 *
 * - a client that sends nothing for the idle timeout (default
 *   MPN_CLI_DEFAULT_IDLE_TIMEOUT) is closed;
 * - the last MPN_CLI_RESERVED_SLOTS slots are for root and the daemon's own
 *   user (SO_PEERCRED), and any other user holds at most
 *   MPN_CLI_MAX_PER_UID connections: idle members of the socket's group
 *   cannot lock the operator out. The socket's mode and group decide who
 *   may connect at all; keep them narrow.
 *
 * The wire protocol is described in cli.h. A server is not thread-safe:
 * call every function from one thread.
 */

#include <stdint.h>
#include <sys/types.h>

/** Most clients connected at once. */
#define MPN_CLI_MAX_CLIENTS 64
/** Slots only root and the daemon's own user may take. */
#define MPN_CLI_RESERVED_SLOTS 4
/** Connections one other user may hold at once. */
#define MPN_CLI_MAX_PER_UID 16
/** Seconds without a request byte after which a client is closed. */
#define MPN_CLI_DEFAULT_IDLE_TIMEOUT 300
/** Most commands run for one client in one mpn_cli_server_poll(). */
#define MPN_CLI_SERVER_BURST 8

struct mpn_cli_server;

/** Counters of a server, for `show` commands and tests. */
struct mpn_cli_server_stats {
	uint64_t accepted;   /**< connections accepted and served */
	uint64_t rejected;   /**< connections refused: too many clients */
	uint64_t commands;   /**< request lines run */
	uint64_t errors;     /**< replies that carried an error */
	uint64_t overlong;   /**< request lines longer than MPN_CLI_LINE_MAX */
	uint64_t dropped;    /**< clients closed on a send or receive error */
	uint64_t idle_closed; /**< clients closed after the idle timeout */
	unsigned int clients; /**< connected now */
};

/**
 * Create the socket and listen on it.
 *
 * Missing parent directories are created (mode 0755). A socket left at
 * @p path by a process that died is removed; a socket that still answers
 * is left alone (another daemon owns it), and so is any file that is not a
 * socket. The socket is created with @p mode already in force (the umask is
 * narrowed around bind(), so no client can connect in between), then
 * chmod()ed to @p mode and, if @p group is not NULL, given that group.
 *
 * @param path
 *   Where to listen; shorter than sizeof(sun_path) (108 bytes on Linux).
 * @param mode
 *   File mode of the socket, e.g. MPN_CLI_DEFAULT_MODE (0660).
 * @param group
 *   Group name for the socket, or NULL to keep the process's group.
 * @param err
 *   Receives a message a user can act on when the call fails.
 * @param errlen
 *   Size of @p err.
 * @return
 *   The server, or NULL with errno set and @p err filled in.
 */
struct mpn_cli_server *
mpn_cli_server_open(const char *path, mode_t mode, const char *group, char *err,
	size_t errlen);

/**
 * Serve whatever is ready: accept connections, read requests, run complete
 * lines through mpn_cli_execute() and write replies. Waits at most
 * @p timeout_ms for something to do (0 polls, -1 waits forever); returns
 * at once, without waiting, if work was left over from the previous call.
 *
 * @return
 *   The number of commands run (0 or more), or -errno if poll() failed;
 *   an interrupted poll (EINTR) returns 0.
 */
int
mpn_cli_server_poll(struct mpn_cli_server *srv, int timeout_ms);

/**
 * Set the idle timeout (seconds, 0: never) and, for tests, the clock it is
 * measured with (seconds, monotonic; NULL: CLOCK_MONOTONIC).
 */
void
mpn_cli_server_set_idle_timeout(struct mpn_cli_server *srv, unsigned int seconds,
	int64_t (*clock)(void));

/** Read the server's counters. */
void
mpn_cli_server_get_stats(const struct mpn_cli_server *srv,
	struct mpn_cli_server_stats *stats);

/**
 * Close every client and the listening socket, and remove the socket file
 * if it is still the one this server created. NULL is accepted.
 */
void
mpn_cli_server_close(struct mpn_cli_server *srv);

#endif /* MPN_CLI_SERVER_H */
