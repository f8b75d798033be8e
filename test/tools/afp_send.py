#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send N Ethernet/IPv4/UDP frames out of an interface through a packet
socket, as fast as the kernel takes them: a burst for af_packet ring tests.

    afp_send.py IFACE COUNT [--src 10.250.0.1 --dst 10.250.0.2]

Prints the number of frames the kernel accepted. Only for interfaces in a
namespace the caller made; the addresses are private and go nowhere else.
"""
import argparse
import socket
import struct


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, payload):
    udp = struct.pack("!HHHH", sport, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + udp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("count", type=int)
    ap.add_argument("--src", default="10.250.0.1")
    ap.add_argument("--dst", default="10.250.0.2")
    a = ap.parse_args()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    sent = 0
    for i in range(a.count):
        try:
            s.send(frame(a.src, a.dst, 1024 + i % 60000, b"x" * 64))
            sent += 1
        except OSError:
            pass
    print(sent)


if __name__ == "__main__":
    main()
