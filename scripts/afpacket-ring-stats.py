#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The kernel's af_packet ring counters of another process's packet sockets.

    afpacket-ring-stats.py PID

For a DPDK program on net_af_packet that does not report them (pktgen: the
PMD leaves imissed at 0), this duplicates each of its AF_PACKET sockets with
pidfd_getfd(2) (root, Linux 5.6+), asks the kernel with
getsockopt(SOL_PACKET, PACKET_STATISTICS), and prints one JSON object:
{"IFNAME": {"packets": N, "drops": D, "sockets": S}, ...}, where packets
counts every frame the kernel offered to the ring, drops included. The
kernel resets the counters on each read: a caller that wants a total sums
successive reads. Run it in the program's network namespace (ip netns exec),
so that interface indexes resolve to the right names.
"""
import ctypes
import json
import os
import socket
import struct
import sys

SYS_PIDFD_GETFD = 438           # the same number on every Linux architecture
SOL_PACKET = 263
PACKET_STATISTICS = 6


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: afpacket-ring-stats.py PID")
    pid = int(sys.argv[1])
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    out = {}
    for name in os.listdir("/proc/%d/fd" % pid):
        try:
            if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
                continue
        except OSError:
            continue
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
        if fd < 0:
            sys.exit("pidfd_getfd on fd %s of %d: %s" % (name, pid, os.strerror(ctypes.get_errno())))
        s = socket.socket(fileno=fd)
        try:
            if s.family != socket.AF_PACKET:
                continue
            ifname = s.getsockname()[0]
            # struct tpacket_stats { unsigned tp_packets, tp_drops; } for TPACKET_V1/V2.
            packets, drops = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
            o = out.setdefault(ifname, {"packets": 0, "drops": 0, "sockets": 0})
            o["packets"] += packets
            o["drops"] += drops
            o["sockets"] += 1
        finally:
            s.close()
    os.close(pidfd)
    json.dump(out, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
