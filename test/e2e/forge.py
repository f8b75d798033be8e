#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Crafted segments for the end-to-end cases. scapy builds the frames; they
are written to raw AF_PACKET sockets opened inside the test bed's namespaces
(the process enters each with setns(2), so run it from the root namespace
as root). Every frame has explicit MACs and addresses from the command line:
nothing is resolved, no ARP is sent, and nothing but the frames asked for
leaves the bed's interfaces.

  forge.py join --ns NS --iface IF --smac MAC --dmac MAC --src A --dst A --dport P
                --token HEX [--count N]
      MP_JOIN SYNs (RFC 8684 §3.2) carrying TOKEN as the receiver's token.

  forge.py stateless --cli-ns NS --cli-if IF --cli-mac MAC --srv-ns NS --srv-if IF --srv-mac MAC
                     --cli-ip A --srv-ip A --cport P --sport P --out FILE
      Two connections between CLI-IP:CPORT(+1) and SRV-IP:SPORT, each with
      its handshake, carrying segments a stateless normalizer changes or
      drops: (A) a SYN/ACK with data; (B) after a clean handshake, urgent
      data, then a segment with option kind 99. Use addresses that no
      namespace owns (with the peers' MACs): the kernels then drop the
      frames silently instead of answering with RSTs. FILE gets the IP bytes
      of the three test segments, hex, one a line.

  forge.py compare --sent FILE --pcap PCAP
      for each segment in FILE (matched by ports and sequence number), what
      arrived: one JSON line {"seq", "flags", "verdict": same|changed|missing,
      "diff": [...], "opt_kinds": [...]}.
"""
import argparse
import ctypes
import json
import os
import random
import socket
import sys
import time

from scapy.config import conf  # noqa: E402
from scapy.compat import raw  # noqa: E402
from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.utils import rdpcap  # noqa: E402
from scapy.layers.inet import TCPOptions  # noqa: E402

conf.verb = 0
CLONE_NEWNET = 0x40000000


def enter_ns(name):
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns %s: %s" % (name, os.strerror(e)))
    finally:
        os.close(fd)


def l2sock(ns, iface):
    """A raw socket on IF inside namespace NS (it stays there after we leave)."""
    enter_ns(ns)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    return s


def join(a):
    token = bytes.fromhex(a.token)
    if len(token) != 4:
        sys.exit("token: 8 hex digits")
    s = l2sock(a.ns, a.iface)
    rnd = random.Random(int.from_bytes(token, "big"))
    for i in range(a.count):
        nonce = rnd.getrandbits(32).to_bytes(4, "big")
        mp_join = bytes([0x10, 0x01]) + token + nonce   # subtype 1, B=0; address id 1
        f = Ether(src=a.smac, dst=a.dmac) / IP(src=a.src, dst=a.dst, ttl=64) / \
            TCP(sport=a.sport + i, dport=a.dport, flags="S", seq=rnd.getrandbits(32),
                window=64240, options=[("MSS", 1460), ("SAckOK", b""), ("NOP", None),
                                       ("WScale", 10), (30, mp_join)])
        s.send(raw(f))
        time.sleep(0.01)


def stateless(a):
    cs = l2sock(a.cli_ns, a.cli_if)
    ss = l2sock(a.srv_ns, a.srv_if)
    c2s = lambda: Ether(src=a.cli_mac, dst=a.srv_mac) / IP(src=a.cli_ip, dst=a.srv_ip, ttl=64)  # noqa
    s2c = lambda: Ether(src=a.srv_mac, dst=a.cli_mac) / IP(src=a.srv_ip, dst=a.cli_ip, ttl=64)  # noqa
    mss = [("MSS", 1460)]
    ca, cb = a.cport, a.cport + 1
    tests = []

    def send(sock, f, test=False):
        sock.send(raw(f))
        if test:
            tests.append(raw(f[IP]).hex())
        time.sleep(0.02)  # keep the two directions in order through the middle

    # (A) SYN, then a SYN/ACK with payload: the ASA's default tcp-map drops it.
    send(cs, c2s() / TCP(sport=ca, dport=a.sport, flags="S", seq=5000, window=64240, options=mss))
    send(ss, s2c() / TCP(sport=a.sport, dport=ca, flags="SA", seq=9000, ack=5001, window=64240,
                         options=mss) / Raw(b"synack-data!"), True)
    # (B) a clean handshake, then urgent data (the default clears URG and the
    # pointer) and a segment with option kind 99 (cleared: no tcp-map here allows it).
    send(cs, c2s() / TCP(sport=cb, dport=a.sport, flags="S", seq=5000, window=64240, options=mss))
    send(ss, s2c() / TCP(sport=a.sport, dport=cb, flags="SA", seq=9000, ack=5001, window=64240,
                         options=mss))
    send(cs, c2s() / TCP(sport=cb, dport=a.sport, flags="A", seq=5001, ack=9001, window=64240))
    send(ss, s2c() / TCP(sport=a.sport, dport=cb, flags="PAU", seq=9001, ack=5001, window=64240,
                         urgptr=3) / Raw(b"urgent"), True)
    send(ss, s2c() / TCP(sport=a.sport, dport=cb, flags="PA", seq=9007, ack=5001, window=64240,
                         options=[(99, b"\x01\x02"), ("NOP", None), ("NOP", None)]) / Raw(b"opt99"),
         True)
    with open(a.out, "w") as f:
        f.write("\n".join(tests) + "\n")


def opt_kind(o):
    return o[0] if isinstance(o[0], int) else TCPOptions[1][o[0]]


def compare(a):
    got = {}
    for pkt in rdpcap(a.pcap):
        if IP in pkt and TCP in pkt:
            t = pkt[TCP]
            got.setdefault((t.sport, t.dport, t.seq), []).append(pkt[IP])
    for line in open(a.sent):
        sent = IP(bytes.fromhex(line.strip()))
        t = sent[TCP]
        out = {"sport": t.sport, "dport": t.dport, "seq": t.seq, "flags": str(t.flags)}
        # A handshake ACK and the first data segment share a sequence
        # number: the one with as much payload as the segment sent is its.
        cands = got.get((t.sport, t.dport, t.seq), [])
        rcv = next((c for c in cands if len(c[TCP].payload) == len(t.payload)),
                   cands[0] if cands else None)
        if rcv is None:
            out["verdict"] = "missing"
        else:
            r = rcv[TCP]
            out["verdict"] = "same" if raw(rcv) == raw(sent) else "changed"
            diff = []
            for f in ("flags", "urgptr", "window", "ack", "dataofs", "reserved"):
                if getattr(r, f) != getattr(t, f):
                    diff.append("%s %s -> %s" % (f, getattr(t, f), getattr(r, f)))
            if r.options != t.options:
                diff.append("options")
            if bytes(r.payload) != bytes(t.payload):
                diff.append("payload")
            if raw(rcv)[:20] != raw(sent)[:20]:
                diff.append("ip header")
            out["diff"] = diff
            out["opt_kinds"] = [opt_kind(o) for o in r.options]
        print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    j = sub.add_parser("join")
    for k in ("ns", "iface", "smac", "dmac", "src", "dst"):
        j.add_argument("--" + k, required=True)
    j.add_argument("--dport", type=int, required=True)
    j.add_argument("--token", required=True)
    j.add_argument("--count", type=int, default=1)
    j.add_argument("--sport", type=int, default=40000 + os.getpid() % 20000)
    s = sub.add_parser("stateless")
    for k in ("cli-ns", "cli-if", "cli-mac", "srv-ns", "srv-if", "srv-mac", "cli-ip", "srv-ip", "out"):
        s.add_argument("--" + k, required=True)
    s.add_argument("--cport", type=int, required=True)
    s.add_argument("--sport", type=int, required=True)
    c = sub.add_parser("compare")
    c.add_argument("--sent", required=True)
    c.add_argument("--pcap", required=True)
    a = p.parse_args()
    if a.what == "compare":
        return compare(a)
    addrs = (a.src, a.dst) if a.what == "join" else (a.cli_ip, a.srv_ip)
    if not all(x.startswith("10.") for x in addrs):
        sys.exit("forge.py sends to and from 10.x test-bed addresses only")
    (join if a.what == "join" else stateless)(a)


if __name__ == "__main__":
    main()
