#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check that only given TCP options (and the TCP checksum) changed.

usage: optdiff.py IN.pcap OUT.pcap KIND[/SUBTYPE]...

Both captures must hold the same records. For every record, every byte that
differs must lie in an option of one of the given kinds (for kind 30, of one
of the given MPTCP subtypes: 30/3 is ADD_ADDR), and such an option must now
be all NOPs; or in the TCP checksum field. Prints the number of records and
options changed. The pcap reading and the option walk are this file's own,
independent of the code under test. Exits 1 on any violation.
"""
import struct
import sys


def records(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off < len(data):
        _, _, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        yield linktype, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def tcp_offset(linktype, f):
    """Offset of the TCP header, or None (Ethernet/VLAN, SLL, SLL2, raw IP)."""
    if linktype == 1:
        off, et = 14, struct.unpack(">H", f[12:14])[0]
        while et in (0x8100, 0x88a8) and len(f) >= off + 4:
            et = struct.unpack(">H", f[off + 2:off + 4])[0]
            off += 4
    elif linktype == 113:
        off, et = 16, struct.unpack(">H", f[14:16])[0]
    elif linktype == 276:
        off, et = 20, struct.unpack(">H", f[0:2])[0]
    elif linktype in (101, 12, 14, 228, 229):
        off, et = 0, 0x0800 if f[0] >> 4 == 4 else 0x86dd
    else:
        return None
    if et == 0x0800 and len(f) > off + 20:
        if f[off + 9] != 6 or struct.unpack(">H", f[off + 6:off + 8])[0] & 0x1fff:
            return None
        return off + (f[off] & 0xf) * 4
    if et == 0x86dd and len(f) > off + 40 and f[off + 6] == 6:
        return off + 40
    return None


def options(f, t):
    """(offset in frame, kind, length) of each option with a length byte."""
    hl = (f[t + 12] >> 4) * 4
    i, out = t + 20, []
    while i < t + hl:
        k = f[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        ln = f[i + 1]
        if ln < 2 or i + ln > t + hl:
            break
        out.append((i, k, ln))
        i += ln
    return out


def main():
    a_path, b_path = sys.argv[1:3]
    allowed = []
    for spec in sys.argv[3:]:
        kind, _, sub = spec.partition("/")
        allowed.append((int(kind), int(sub) if sub else None))
    changed_recs = changed_opts = bad = 0
    ra, rb = list(records(a_path)), list(records(b_path))
    if len(ra) != len(rb):
        print(f"record counts differ: {len(ra)} vs {len(rb)}")
        return 1
    for n, ((lt, a), (_, b)) in enumerate(zip(ra, rb), 1):
        if a == b:
            continue
        changed_recs += 1
        if len(a) != len(b):
            print(f"record {n}: length changed")
            bad += 1
            continue
        t = tcp_offset(lt, a)
        ok = set()
        if t is not None:
            ok.update((t + 16, t + 17))
            for off, k, ln in options(a, t):
                sub = a[off + 2] >> 4 if k == 30 and ln > 2 else None
                if any(k == ak and (asub is None or asub == sub) for ak, asub in allowed):
                    if b[off:off + ln] != b"\x01" * ln:
                        print(f"record {n}: option kind {k} at {off} changed but is not NOPs")
                        bad += 1
                    elif a[off:off + ln] != b[off:off + ln]:
                        changed_opts += 1
                    ok.update(range(off, off + ln))
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        stray = [i for i in diff if i not in ok]
        if stray:
            print(f"record {n}: bytes {stray[:8]} changed outside the allowed options")
            bad += 1
    print(f"{len(ra)} records, {changed_recs} changed, {changed_opts} options cleared, {bad} violations")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
