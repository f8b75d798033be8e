#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A bulk transfer over a real Linux MPTCP socket (protocol 262), for the
end-to-end tests. Standard library only.

  mptcp_xfer.py server --port P [--bind ADDR] [--timeout S] [--ready FILE] [--tcp]
  mptcp_xfer.py client --src ADDR --dst ADDR --port P --mb N [--rate MBPS]
                       [--wait-subflows K] [--started FILE] [--pause FILE]
                       [--timeout S] [--seed N] [--tcp]

The client sends an 8-byte length and N MB of deterministic, non-periodic
data (seeded PRNG); the server reads that much and answers with the SHA-256
of what it received; then the client half-closes and the server closes. Each side prints one JSON line: bytes, sha256, the
most subflows MPTCP_INFO reported during the transfer (extra subflows, the
kernel's count, so 1 means two subflows), the local token, and whether the
socket is still MPTCP. The client also prints the server's digest.
Every blocking call has a timeout, so a broken path fails instead of hanging.
"""
import argparse
import hashlib
import json
import os
import random
import socket
import struct
import sys
import time

IPPROTO_MPTCP = 262
SOL_MPTCP = 284
MPTCP_INFO = 1
CHUNK = 1 << 20


def mptcp_info(s):
    """(extra subflows, token) from MPTCP_INFO, or None once the socket
    has fallen back to plain TCP (the kernel then refuses the option or
    returns nothing)."""
    try:
        raw = s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)
    except OSError:
        return None
    if len(raw) < 16:
        return None
    subflows, = struct.unpack_from("B", raw, 0)
    token, = struct.unpack_from("I", raw, 12)
    return subflows, token


class Info:
    def __init__(self, s):
        self.s = s
        self.max_subflows = 0
        self.token = None
        self.mptcp = False
        self.poll()

    def poll(self):
        i = mptcp_info(self.s)
        if i is None:
            return
        self.mptcp = True
        self.max_subflows = max(self.max_subflows, i[0])
        if i[1]:
            self.token = i[1]

    def fields(self):
        return {
            "max_subflows": self.max_subflows,
            "token": None if self.token is None else "%08x" % self.token,
            "mptcp": self.mptcp,
        }


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise OSError("peer closed after %d of %d bytes" % (len(buf), n))
        buf += d
    return buf


def data_chunk(seed, index):
    return random.Random(seed * 1000003 + index).randbytes(CHUNK)


def sock(args):
    proto = socket.IPPROTO_TCP if args.tcp else IPPROTO_MPTCP
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return s


def server(args):
    ls = sock(args)
    # Bound to 0.0.0.0: the MP_JOIN goes to the announced second address.
    ls.bind((args.bind, args.port))
    ls.listen(4)
    ls.settimeout(args.timeout)
    if args.ready:
        open(args.ready, "w").close()
    c, peer = ls.accept()
    c.settimeout(args.timeout)
    info = Info(c)
    want, = struct.unpack("!Q", recv_exact(c, 8))
    h = hashlib.sha256()
    n = 0
    last = 0.0
    start = time.time()
    while n < want:
        d = c.recv(min(262144, want - n))
        if not d:
            raise OSError("client closed after %d of %d bytes" % (n, want))
        h.update(d)
        n += len(d)
        now = time.time()
        if now - last > 0.05:
            info.poll()
            last = now
    info.poll()
    digest = h.hexdigest()
    c.sendall(digest.encode())
    # Close only after the client's FIN: it half-closes once it has our
    # digest, so neither side closes with anything in flight.
    while c.recv(4096):
        pass
    c.close()
    ls.close()
    out = {"role": "server", "peer": "%s:%d" % peer, "bytes": n, "sha256": digest,
           "seconds": round(time.time() - start, 3)}
    out.update(info.fields())
    print(json.dumps(out), flush=True)


def client(args):
    s = sock(args)
    s.settimeout(args.timeout)
    s.bind((args.src, 0))
    s.connect((args.dst, args.port))
    info = Info(s)
    total = args.mb * CHUNK
    s.sendall(struct.pack("!Q", total))
    # Hold the bulk until the join is up, so that it has data to carry.
    end = time.time() + args.wait_subflows_max
    while args.wait_subflows and info.max_subflows < args.wait_subflows and time.time() < end:
        time.sleep(0.02)
        info.poll()
    if args.started:
        open(args.started, "w").close()
    h = hashlib.sha256()
    sent = 0
    start = time.time()
    pace_t, pace_sent = start, 0
    step = 65536 if args.rate else CHUNK
    i = 0
    while sent < total:
        block = data_chunk(args.seed, i)
        i += 1
        for off in range(0, len(block), step):
            piece = block[off:off + step]
            s.sendall(piece)
            sent += len(piece)
            if args.rate:
                # Paced: stay on the line t + sent / rate. When the path
                # could not keep up (a path went down), forget the backlog
                # beyond 0.25 s instead of bursting to catch up.
                ahead = pace_t + (sent - pace_sent) / (args.rate * CHUNK) - time.time()
                if ahead > 0:
                    time.sleep(ahead)
                elif ahead < -0.25:
                    pace_t, pace_sent = time.time() - 0.25, sent
            info.poll()
        h.update(block)
    if args.pause:
        # Keep the connection up, all data sent, until the test has looked
        # at it: PAUSE.paused says we are here, PAUSE says go on.
        open(args.pause + ".paused", "w").close()
        end = time.time() + args.timeout
        while not os.path.exists(args.pause):
            if time.time() > end:
                sys.exit("client: timed out waiting for " + args.pause)
            time.sleep(0.02)
            info.poll()
    info.poll()
    reply = recv_exact(s, 64)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()
    digest = h.hexdigest()
    out = {"role": "client", "bytes": sent, "sha256": digest,
           "server_sha256": reply.decode(errors="replace"),
           "seconds": round(time.time() - start, 3)}
    out.update(info.fields())
    print(json.dumps(out), flush=True)
    if reply.decode(errors="replace") != digest:
        sys.exit("client: the server's digest differs")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    sv = sub.add_parser("server")
    sv.add_argument("--bind", default="0.0.0.0")
    sv.add_argument("--port", type=int, required=True)
    sv.add_argument("--ready", help="create this file once listening")
    cl = sub.add_parser("client")
    cl.add_argument("--src", required=True)
    cl.add_argument("--dst", required=True)
    cl.add_argument("--port", type=int, required=True)
    cl.add_argument("--mb", type=int, default=50)
    cl.add_argument("--rate", type=float, default=0, help="MB/s; 0 = as fast as possible")
    cl.add_argument("--seed", type=int, default=1)
    cl.add_argument("--wait-subflows", type=int, default=0,
                    help="wait for this many extra subflows before sending")
    # A bound, not a delay: the client goes on as soon as the join is up.
    cl.add_argument("--wait-subflows-max", type=float, default=30)
    cl.add_argument("--started", help="create this file when the bulk starts")
    cl.add_argument("--pause", help="after sending, create PAUSE.paused and wait for PAUSE")
    for x in (sv, cl):
        x.add_argument("--timeout", type=float, default=30)
        x.add_argument("--tcp", action="store_true", help="plain TCP, not MPTCP")
    args = p.parse_args()
    try:
        (server if args.role == "server" else client)(args)
    except (OSError, socket.timeout) as e:
        sys.exit("%s: %s" % (args.role, e))


if __name__ == "__main__":
    main()
