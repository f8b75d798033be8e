#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A cTCP-like sender and receiver (IPsec over TCP, Cisco's note 113578),
for the end-to-end bypass case. cTCP only looks like TCP: the sender never
retransmits and keeps sending new data whatever the ACKs say; the receiver
(the VPN head-end) acknowledges what it got in order, so after a loss it
repeats the same ACK while the data runs on past its window. A stateful
normalizer then drops the stream; tcp-state-bypass lets it through.

Both ends are raw AF_PACKET sockets in the test bed's namespaces, on
addresses no namespace owns (the kernels drop such frames silently instead
of answering with RSTs), with explicit MACs: nothing is resolved and
nothing but these frames leaves the bed's interfaces.

  ctcp.py recv --ns NS --iface IF --mac MAC --peer-mac MAC --ip A --peer-ip A --port P
               [--window N] --ready FILE --out FILE
      Answers the SYN with a SYN/ACK (MSS 1460, window N, no scaling), then
      every data segment with a cumulative ACK (RFC 9293 §3.10.7.4): the
      next byte it expects in order, the same number again after a hole.
      Runs until SIGTERM, then writes a JSON summary to FILE.

  ctcp.py send --ns NS --iface IF --mac MAC --peer-mac MAC --ip A --peer-ip A --port P
               --sport P [--segments N] [--size B] [--isn N] [--ack-wait S] --out FILE
      Handshake, then N segments of B new bytes each, in order, never a
      retransmission. After each it waits up to ACK-WAIT seconds for any
      ACK from the receiver (new or duplicate, it does not care which): the
      pace of the receiver, so that a stateful box in between has seen
      that ACK before the next segment. FILE gets the IP bytes of every
      data segment, hex, one a line (forge.py compare reads it); a JSON
      summary goes to stdout.
"""
import argparse
import ctypes
import errno
import hashlib
import json
import os
import signal
import socket
import sys
import time

from scapy.arch.linux import attach_filter
from scapy.config import conf
from scapy.compat import raw
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

conf.verb = 0
CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003


def l2sock(ns, iface, bpf):
    """A raw socket on IF in namespace NS that queues only frames matching
    the tcpdump filter BPF: the bed carries other traffic (a bulk MPTCP
    transfer) that would otherwise fill the socket's buffer faster than
    Python reads it, and lose the very frames we wait for."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = os.open("/var/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (ns, os.strerror(e)))
    finally:
        os.close(fd)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    attach_filter(s, bpf, iface)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((iface, 0))
    # Frames queued before the filter was attached are dropped by nobody:
    # read them off now.
    s.setblocking(False)
    try:
        while s.recv(65535):
            pass
    except (BlockingIOError, InterruptedError):
        pass
    s.setblocking(True)
    return s


def tcp_from(frame, src, dst, sport=None, dport=None):
    """The TCP layer of FRAME if it goes SRC -> DST (and the ports match)."""
    try:
        e = Ether(frame)
    except Exception:  # noqa: BLE001 - anything unparsable is not ours
        return None
    if IP not in e or TCP not in e or e[IP].src != src or e[IP].dst != dst:
        return None
    t = e[TCP]
    if (sport is not None and t.sport != sport) or (dport is not None and t.dport != dport):
        return None
    return t


def payload(i, size):
    """Segment I's bytes: deterministic, different in every segment."""
    out = b""
    n = 0
    while len(out) < size:
        out += hashlib.sha256(b"ctcp %d %d" % (i, n)).digest()
        n += 1
    return out[:size]


def recv(a):
    s = l2sock(a.ns, a.iface, "tcp and src host %s and dst host %s and dst port %d"
               % (a.peer_ip, a.ip, a.port))
    s.settimeout(0.2)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    isn = 7000000
    rcv_nxt = irs = None
    seen = set()
    stats = {"syn": 0, "segments": 0, "bytes": 0, "out_of_order": 0, "acks": 0, "dup_acks": 0}
    last_ack = None
    eth = lambda: Ether(src=a.mac, dst=a.peer_mac) / IP(src=a.ip, dst=a.peer_ip, ttl=64)  # noqa
    open(a.ready, "w").close()
    while not stop:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        t = tcp_from(frame, a.peer_ip, a.ip, dport=a.port)
        if t is None:
            continue
        if t.flags.S:
            stats["syn"] += 1
            irs = t.seq
            rcv_nxt = (t.seq + 1) & 0xffffffff
            s.send(raw(eth() / TCP(sport=a.port, dport=t.sport, flags="SA", seq=isn,
                                   ack=rcv_nxt, window=a.window, options=[("MSS", 1460)])))
            continue
        data = bytes(t.payload)
        if rcv_nxt is None or not data:
            continue
        stats["segments"] += 1
        if t.seq not in seen:
            seen.add(t.seq)
            stats["bytes"] += len(data)
        if t.seq == rcv_nxt:
            # In order: advance over it and over anything already held.
            rcv_nxt = (rcv_nxt + len(data)) & 0xffffffff
            while rcv_nxt in seen:
                rcv_nxt = (rcv_nxt + a.size_hint) & 0xffffffff
        else:
            stats["out_of_order"] += 1
        stats["acks"] += 1
        if last_ack == rcv_nxt:
            stats["dup_acks"] += 1
        last_ack = rcv_nxt
        s.send(raw(eth() / TCP(sport=a.port, dport=t.sport, flags="A", seq=isn + 1,
                               ack=rcv_nxt, window=a.window)))
    # What the head-end could hand up in order: everything before the hole.
    stats["in_order_bytes"] = None if irs is None else (rcv_nxt - irs - 1) & 0xffffffff
    with open(a.out, "w") as f:
        json.dump(stats, f)
        f.write("\n")


def send(a):
    s = l2sock(a.ns, a.iface, "tcp and src host %s and dst host %s and src port %d and dst port %d"
               % (a.peer_ip, a.ip, a.port, a.sport))
    eth = lambda: Ether(src=a.mac, dst=a.peer_mac) / IP(src=a.ip, dst=a.peer_ip, ttl=64)  # noqa

    def wait_tcp(timeout, want):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            s.settimeout(left)
            try:
                frame = s.recv(65535)
            except socket.timeout:
                return None
            t = tcp_from(frame, a.peer_ip, a.ip, sport=a.port, dport=a.sport)
            if t is not None and want(t):
                return t

    s.send(raw(eth() / TCP(sport=a.sport, dport=a.port, flags="S", seq=a.isn, window=64240,
                           options=[("MSS", 1460)])))
    sa = wait_tcp(30, lambda t: t.flags.S and t.flags.A)
    if sa is None:
        sys.exit("send: no SYN/ACK from %s:%d in 30 s" % (a.peer_ip, a.port))
    ack = (sa.seq + 1) & 0xffffffff
    s.send(raw(eth() / TCP(sport=a.sport, dport=a.port, flags="A", seq=a.isn + 1, ack=ack,
                           window=64240)))
    out = []
    acked, waited, lost = 0, 0, 0
    seq = a.isn + 1
    for i in range(a.segments):
        f = eth() / TCP(sport=a.sport, dport=a.port, flags="PA", seq=seq & 0xffffffff, ack=ack,
                        window=64240) / Raw(payload(i, a.size))
        f[IP].id = i + 1
        try:
            s.send(raw(f))
        except OSError as e:
            # A loss on our own egress (the test's rule) comes back as
            # ENOBUFS: to cTCP it is a lost segment like any other.
            if e.errno != errno.ENOBUFS:
                raise
            lost += 1
        out.append(raw(f[IP]).hex())
        seq += a.size
        # Paced by the receiver: whatever ACK comes, new or duplicate. Never
        # a retransmission.
        if wait_tcp(a.ack_wait, lambda t: t.flags.A and not t.flags.S) is not None:
            acked += 1
        else:
            waited += 1
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")
    print(json.dumps({"segments": a.segments, "size": a.size, "isn": a.isn,
                      "answered": acked, "unanswered": waited,
                      "lost_at_egress": lost}), flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("recv", "send"):
        x = sub.add_parser(name)
        x.add_argument("--ns", required=True)
        x.add_argument("--iface", required=True)
        x.add_argument("--mac", required=True)
        x.add_argument("--peer-mac", required=True)
        x.add_argument("--ip", required=True)
        x.add_argument("--peer-ip", required=True)
        x.add_argument("--port", type=int, required=True)
        x.add_argument("--out", required=True)
    r = sub.choices["recv"]
    r.add_argument("--window", type=int, default=8192)
    r.add_argument("--ready", required=True)
    r.add_argument("--size-hint", type=int, default=1000,
                   help="segment size, to step over segments already held")
    x = sub.choices["send"]
    x.add_argument("--sport", type=int, required=True)
    x.add_argument("--segments", type=int, default=60)
    x.add_argument("--size", type=int, default=1000)
    x.add_argument("--isn", type=int, default=100000)
    x.add_argument("--ack-wait", type=float, default=0.1)
    a = p.parse_args()
    (recv if a.cmd == "recv" else send)(a)


if __name__ == "__main__":
    main()
