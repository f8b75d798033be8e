#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TCP relay that delays every byte by a fixed time in each direction.

scripts/bench-cluster.sh uses it where the kernel has no sch_netem
(CONFIG_NET_SCH_NETEM off): the directory connects to the relay, which
forwards to redis-server, holding each chunk DELAY_MS before passing it on,
in order. One thread per direction reads, another writes when each chunk is
due, so the delay does not grow with the number of chunks in flight.

    delay_proxy.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
"""
import collections
import socket
import sys
import threading
import time


def pump(src, dst, delay):
    queue = collections.deque()
    ready = threading.Condition()

    def sender():
        while True:
            with ready:
                while not queue:
                    ready.wait()
                due, data = queue.popleft()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        with ready:
            queue.append((time.monotonic() + delay, data))
            ready.notify()
        if not data:
            break
    t.join()


def serve(conn, target, delay):
    try:
        up = socket.create_connection(target)
    except OSError:
        conn.close()
        return
    for s in (conn, up):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    a = threading.Thread(target=pump, args=(conn, up, delay), daemon=True)
    b = threading.Thread(target=pump, args=(up, conn, delay), daemon=True)
    a.start()
    b.start()
    a.join()
    b.join()
    conn.close()
    up.close()


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    lhost, lport, thost, tport, delay_ms = sys.argv[1:]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((lhost, int(lport)))
    ls.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, (thost, int(tport)), float(delay_ms) / 1000),
                         daemon=True).start()


if __name__ == "__main__":
    main()
