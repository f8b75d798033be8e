#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Throughput per subflow over time, from captures (standard library only).

  throughput.py --port P --bucket 0.5 [--t0 EPOCH] LABEL=FILE.pcap ...

Counts the TCP payload bytes sent to port P in each capture (one capture
per path, so one subflow each), in buckets of BUCKET seconds from T0 (or
the first packet of any capture), and prints a gnuplot data file:
  # t  LABEL1  LABEL2 ...  total      (Mbit/s)
Reads classic pcap files of Ethernet frames (tcpdump -w); the snap length
only needs to cover the headers.
"""
import argparse
import struct
import sys


def records(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            e = "<"
        else:
            e = ">"
            magic = struct.unpack(">I", hdr[:4])[0]
        nano = magic == 0xA1B23C4D
        linktype = struct.unpack(e + "I", hdr[20:24])[0]
        if linktype != 1:
            sys.exit("%s: link type %d, not Ethernet" % (path, linktype))
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(e + "IIII", rh)
            data = f.read(incl)
            yield sec + frac / (1e9 if nano else 1e6), data


def payload_to(data, port):
    """TCP payload length of an IPv4 segment to PORT, else None."""
    off = 14
    etype = struct.unpack("!H", data[12:14])[0]
    while etype == 0x8100 and len(data) >= off + 4:
        etype = struct.unpack("!H", data[off + 2:off + 4])[0]
        off += 4
    if etype != 0x0800 or len(data) < off + 20:
        return None
    ihl = (data[off] & 0x0F) * 4
    total = struct.unpack("!H", data[off + 2:off + 4])[0]
    if data[off + 9] != 6 or len(data) < off + ihl + 14:
        return None
    tcp = off + ihl
    dport = struct.unpack("!H", data[tcp + 2:tcp + 4])[0]
    if dport != port:
        return None
    doff = (data[tcp + 12] >> 4) * 4
    return max(0, total - ihl - doff)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bucket", type=float, default=0.5)
    p.add_argument("--t0", type=float)
    p.add_argument("captures", nargs="+", help="LABEL=FILE")
    a = p.parse_args()
    series = []
    for c in a.captures:
        label, _, path = c.partition("=")
        series.append((label, [(t, n) for t, d in records(path)
                               for n in [payload_to(d, a.port)] if n]))
    times = [t for _, s in series for t, _ in s]
    if not times:
        sys.exit("no data to port %d in the captures" % a.port)
    t0 = a.t0 if a.t0 is not None else min(times)
    nb = int((max(times) - t0) / a.bucket) + 1
    sums = []
    for _, s in series:
        b = [0] * nb
        for t, n in s:
            i = int((t - t0) / a.bucket)
            if 0 <= i < nb:
                b[i] += n
        sums.append(b)
    scale = 8 / a.bucket / 1e6
    print("# t " + " ".join(label for label, _ in series) + " total   (Mbit/s; t0 %.6f)" % t0)
    for i in range(nb):
        vals = [s[i] * scale for s in sums]
        print("%.2f %s %.3f" % ((i + 0.5) * a.bucket, " ".join("%.3f" % v for v in vals), sum(vals)))


if __name__ == "__main__":
    main()
