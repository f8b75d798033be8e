#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build the seed corpora of the fuzz harnesses, reproducibly.

corpus/packet/ (fuzz_packet.c): every frame of the real captures, reduced
to one frame per distinct shape (link type, IP version, TCP flags, option
layout with the MPTCP subtype and its flag bits, truncation), plus
hand-built frames for each edge case of doc STYLE.md. Each file is one
selector byte (link type | policy << 2) followed by the frame.

corpus/cksum/ (fuzz_cksum.c): TCP headers taken from those frames, each
with a list of NOP-fills and rewrites at odd and even offsets.

Usage: test/fuzz/make-corpus.py [--real DIR] [--out DIR]
  --real    the real captures (default: pcaps/real of the repository)
  --out     where corpus/ goes (default: test/fuzz/corpus)

The files this script wrote before are replaced; the fuzz-* files (inputs
libFuzzer found, see corpus/README.md) are kept. Only the standard library
is used: the pcap reader below handles classic pcap, which is all the
captures are.
"""

import argparse
import glob
import os
import struct
import sys

# Values of enum mpn_l2_type, and the DLTs that map to them.
L2_ETHER, L2_SLL, L2_SLL2, L2_RAW = 0, 1, 2, 3
DLT_TO_L2 = {1: L2_ETHER, 113: L2_SLL, 276: L2_SLL2, 101: L2_RAW, 12: L2_RAW,
             228: L2_RAW, 229: L2_RAW}

# Values of enum fuzz_policy (fuzz_packet.c).
POLICY_ASA, POLICY_ALLOW, POLICY_FALLBACK, POLICY_MONITOR = 0, 1, 2, 3
POLICY_MPTCP_DROP, POLICY_STRICT, POLICY_INSPECT, POLICY_BYPASS = 4, 5, 6, 7
N_POLICIES = 8

# The committed corpus stays small; the fuzzer finds the rest.
MAX_PACKET_SEEDS = 400
MAX_BYTES = 2 * 1024 * 1024

CVE_PCAP = os.path.join('tcpdump', 'mptcp-dss-oobr.pcap')


def read_pcap(path):
    """Yield (linktype, frame bytes) from a classic pcap file."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f'{path}: too short for a pcap header')
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        raise ValueError(f'{path}: not a classic pcap file (pcapng is not read)')
    linktype = struct.unpack(end + 'I', data[20:24])[0] & 0x0fffffff
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + 'I', data[off + 8:off + 12])[0]
        off += 16
        if off + caplen > len(data):
            raise ValueError(f'{path}: last record cut short')
        yield linktype, data[off:off + caplen]
        off += caplen


def be16(b, o):
    return b[o] << 8 | b[o + 1]


def shape(l2, frame):
    """A key that says what code paths a frame takes; None if unparseable.

    A simplified parser: it only has to tell frames apart, the harness
    does the real checks.
    """
    off = {L2_ETHER: 14, L2_SLL: 16, L2_SLL2: 20, L2_RAW: 0}[l2]
    if len(frame) < off:
        return ('short', l2)
    if l2 == L2_RAW:
        etype = {4: 0x0800, 6: 0x86dd}.get(frame[0] >> 4, 0) if frame else 0
    else:
        etype = be16(frame, {L2_ETHER: 12, L2_SLL: 14, L2_SLL2: 0}[l2])
    vlans = 0
    while etype in (0x8100, 0x88a8) and len(frame) >= off + 4 and vlans < 3:
        etype = be16(frame, off + 2)
        off += 4
        vlans += 1
    key = [l2, vlans, etype]
    if etype == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 0xf) * 4
        proto = frame[off + 9]
        frag = be16(frame, off + 6) & 0x3fff
        wire = be16(frame, off + 2) - ihl
        key += [4, ihl, proto, frag != 0]
        l4 = off + ihl
    elif etype == 0x86dd and len(frame) >= off + 40:
        proto = frame[off + 6]
        wire = be16(frame, off + 4)
        l4 = off + 40
        exts = []
        while proto in (0, 43, 60, 44) and len(frame) >= l4 + 8 and len(exts) < 8:
            exts.append(proto)
            elen = 8 if proto == 44 else (frame[l4 + 1] + 1) * 8
            proto = frame[l4]
            l4 += elen
            wire -= elen
        key += [6, tuple(exts), proto]
    else:
        return tuple(key)
    if proto != 6:
        return tuple(key)
    if len(frame) < l4 + 20:
        return tuple(key + ['tcp-cut'])
    hlen = (frame[l4 + 12] >> 4) * 4
    flags = frame[l4 + 13]
    key += [hlen, flags, frame[l4 + 12] & 0xf]
    if len(frame) < l4 + hlen or hlen < 20:
        return tuple(key + ['opts-cut', len(frame) - l4])
    opts = []
    i = l4 + 20
    while i < l4 + hlen:
        kind = frame[i]
        if kind in (0, 1):
            opts.append(kind)
            i += 1
            if kind == 0:
                break
            continue
        if i + 1 >= l4 + hlen:
            opts.append(('overrun', kind))
            break
        olen = frame[i + 1]
        if kind == 30 and olen >= 3 and i + olen <= l4 + hlen:
            sub = frame[i + 2] >> 4
            # DSS: which fields are present; others: the low nibble/flags.
            detail = frame[i + 3] & 0x1f if sub == 2 and olen >= 4 else frame[i + 2] & 0xf
            opts.append((30, olen, sub, detail))
        else:
            opts.append((kind, olen))
        if olen < 2:
            break
        i += olen
    truncated = len(frame) < l4 + wire
    has_payload = wire > hlen
    return tuple(key + [tuple(opts), truncated, has_payload])


def cksum_sum(data, acc=0):
    if len(data) % 2:
        data = data + b'\0'
    for i in range(0, len(data), 2):
        acc += data[i] << 8 | data[i + 1]
    while acc >> 16:
        acc = (acc & 0xffff) + (acc >> 16)
    return acc


def with_tcp_cksum(ip):
    """Set the TCP checksum of a raw IPv4 or IPv6 packet; return it."""
    ip = bytearray(ip)
    if ip[0] >> 4 == 4:
        l4 = (ip[0] & 0xf) * 4
        seglen = be16(ip, 2) - l4
        ph = bytes(ip[12:20]) + struct.pack('>BBH', 0, 6, seglen)
    else:
        l4 = 40
        seglen = be16(ip, 4)
        ph = bytes(ip[8:40]) + struct.pack('>IBBBB', seglen, 0, 0, 0, 6)
    ip[l4 + 16:l4 + 18] = b'\0\0'
    c = ~cksum_sum(bytes(ip[l4:l4 + seglen]), cksum_sum(ph)) & 0xffff
    ip[l4 + 16:l4 + 18] = struct.pack('>H', c)
    return bytes(ip)


def tcp(opts=b'', flags=0x10, payload=b'', doff=None, urp=0, reserved=0):
    """A TCP header with options padded to 4 bytes (or the given offset)."""
    opts = opts + b'\0' * (-len(opts) % 4)
    if doff is None:
        doff = 5 + len(opts) // 4
    hdr = struct.pack('>HHIIBBHHH', 40000, 5000, 0x01020304, 0x0a0b0c0d,
                      (doff << 4) | reserved, flags, 64240, 0, urp)
    return hdr + opts + payload


def ipv4(seg, frag=0x4000, proto=6, tot=None):
    tot = 20 + len(seg) if tot is None else tot
    return struct.pack('>BBHHHBBH4s4s', 0x45, 0, tot, 1, frag, 64, proto, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + seg


def ipv6(seg, exts=b'', first_nh=6):
    return struct.pack('>IHBB16s16s', 0x60000000, len(exts) + len(seg), first_nh, 64,
                       bytes.fromhex('20010db8000000000000000000000001'),
                       bytes.fromhex('20010db8000000000000000000000002')) + exts + seg


def ether(ip, vlans=0, etype=None):
    if etype is None:
        etype = 0x0800 if ip[0] >> 4 == 4 else 0x86dd
    tags = b''.join(struct.pack('>HH', 0x8100, 100 + i) for i in range(vlans))
    return b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + tags + struct.pack('>H', etype) + ip


MSS = b'\x02\x04\x05\xb4'
SACKOK = b'\x04\x02'
TS = b'\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00'
WS = b'\x03\x03\x07'
NOP = b'\x01'
MPC_SYN_V1 = b'\x1e\x04\x01\x81'
MPC_SYNACK_V1 = b'\x1e\x0c\x01\x81' + bytes(range(1, 9))
DSS_ACK4_MAP4 = b'\x1e\x14\x20\x05' + bytes(range(16))
DSS_ACK8_MAP8 = b'\x1e\x1c\x20\x0f' + bytes(range(24))
ADD_ADDR_V4 = b'\x1e\x10\x31\x01\x0a\x00\x00\x03' + bytes(range(8))
SYN, ACK, PSH, URG = 0x02, 0x10, 0x08, 0x20


def synthetic():
    """(name, policy, l2, frame): one frame per edge case in STYLE.md."""
    v4 = lambda seg, **kw: ether(with_tcp_cksum(ipv4(seg, **kw)))
    syn_opts = MSS + SACKOK + TS + NOP + WS + MPC_SYN_V1
    out = [
        ('syn-mss-sack-ts-ws-mpc', POLICY_FALLBACK, v4(tcp(syn_opts, SYN))),
        ('synack-mpc-v1', POLICY_ALLOW, v4(tcp(MSS + SACKOK + TS + NOP + WS + MPC_SYNACK_V1,
                                               SYN | ACK))),
        ('data-ts-dss4', POLICY_ALLOW, v4(tcp(NOP + NOP + TS + DSS_ACK4_MAP4, ACK | PSH,
                                              b'x' * 33))),
        ('data-ts-dss8', POLICY_INSPECT, v4(tcp(NOP + NOP + TS + DSS_ACK8_MAP8, ACK, b'y' * 8))),
        ('eol-nonzero-padding', POLICY_ALLOW, v4(tcp(MSS + b'\x00\x01\x02\x03', SYN))),
        ('option-len-0', POLICY_ALLOW, v4(tcp(NOP + b'\x08\x00' + TS[2:], ACK))),
        ('option-len-1', POLICY_STRICT, v4(tcp(b'\x1e\x01\x00\x00', ACK))),
        ('option-overrun', POLICY_ALLOW, v4(tcp(NOP + NOP + b'\x1e\x10\x20\x01', ACK))),
        ('doff-below-5', POLICY_ALLOW, v4(tcp(doff=4))),
        ('doff-past-segment', POLICY_ALLOW, v4(tcp(doff=15))),
        ('dup-mss-ws-ts', POLICY_FALLBACK, v4(tcp(MSS + MSS + WS + WS + NOP + NOP + TS + TS,
                                                  SYN))),
        ('mptcp-len-2', POLICY_ALLOW, v4(tcp(b'\x1e\x02' + NOP + NOP, ACK))),
        ('mptcp-dss-too-short', POLICY_FALLBACK, v4(tcp(b'\x1e\x05\x20\x01\x00' + NOP * 3,
                                                        ACK))),
        ('mptcp-mpc-bad-handshake', POLICY_ALLOW, v4(tcp(MPC_SYNACK_V1, ACK))),
        ('mptcp-dss-and-add-addr', POLICY_FALLBACK, v4(tcp(DSS_ACK4_MAP4 + ADD_ADDR_V4, ACK))),
        ('mptcp-at-odd-offset', POLICY_FALLBACK, v4(tcp(NOP + ADD_ADDR_V4 + NOP + NOP + NOP,
                                                        ACK))),
        ('mptcp-private-and-unknown', POLICY_STRICT, v4(tcp(b'\x1e\x04\xf0\x00' +
                                                            b'\x1e\x04\x90\x00', ACK))),
        ('mptcp-mode-drop', POLICY_MPTCP_DROP, v4(tcp(NOP + NOP + TS + DSS_ACK4_MAP4, ACK))),
        ('monitor-everything', POLICY_MONITOR, v4(tcp(syn_opts + b'\x00\x05', SYN | URG,
                                                      reserved=0xe, urp=7))),
        ('bypass', POLICY_BYPASS, v4(tcp(b'\x1e\x01', ACK))),
        ('urgent-reserved-syn-data', POLICY_INSPECT, v4(tcp(MSS, SYN | URG, b'data', urp=3,
                                                            reserved=0x2))),
        ('mss-clamp', POLICY_STRICT, v4(tcp(MSS + SACKOK + NOP + NOP, SYN))),
        ('unknown-kinds', POLICY_STRICT, v4(tcp(b'\x06\x02\x07\x02\x13\x12' + bytes(16) +
                                                b'\xfd\x04\x00\x00', ACK))),
        ('ipv4-first-fragment', POLICY_ALLOW, v4(tcp(MPC_SYN_V1, SYN), frag=0x2000)),
        ('ipv4-later-fragment', POLICY_ALLOW, ether(ipv4(tcp(MPC_SYN_V1, SYN), frag=0x0003))),
        ('ipv4-not-tcp', POLICY_ALLOW, ether(ipv4(b'\0' * 8, proto=17))),
        ('ipv4-tot-below-ihl', POLICY_ALLOW, ether(ipv4(tcp(), tot=12))),
        ('qinq', POLICY_ALLOW, ether(with_tcp_cksum(ipv4(tcp(TS + NOP + NOP, ACK))), vlans=2)),
        ('three-vlan-tags', POLICY_ALLOW, ether(ipv4(tcp()), vlans=3)),
        ('arp', POLICY_ASA, ether(bytes(28), etype=0x0806)),
    ]
    # IPv6: plain, with an extension chain, with a routing header in use.
    seg6 = tcp(NOP + NOP + TS + DSS_ACK8_MAP8, ACK, b'z' * 5)
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])           # hop-by-hop, then dst opts
    dst = bytes([44, 0, 1, 4, 0, 0, 0, 0])           # dst opts, then fragment
    atomic = bytes([6, 0, 0, 0, 0, 0, 0, 1])          # atomic fragment, then TCP
    rh = bytes([6, 2, 0, 1]) + bytes(4) + bytes(16)   # routing header, 1 segment left
    # ADD_ADDR v1 with an IPv6 address (RFC 8684 §3.4.1): the forms with a
    # 16-byte address and an HMAC fill most of the option space.
    v6addr = bytes.fromhex('20010db8000000000000000000000003')
    add6 = b'\x1e\x1c\x30\x02' + v6addr + bytes(range(8))
    add6_port = b'\x1e\x1e\x30\x02' + v6addr + b'\x13\x88' + bytes(range(8))
    add6_echo = b'\x1e\x14\x31\x02' + v6addr
    out += [
        ('ipv6-dss8', POLICY_ALLOW, ether(with_tcp_cksum(ipv6(seg6)))),
        ('ipv6-add-addr-v6-hmac', POLICY_FALLBACK,
         ether(with_tcp_cksum(ipv6(tcp(NOP + NOP + TS + add6, ACK))))),
        ('ipv6-add-addr-v6-port-hmac', POLICY_ALLOW,
         ether(with_tcp_cksum(ipv6(tcp(NOP + NOP + add6_port, ACK))))),
        ('ipv6-add-addr-v6-echo', POLICY_STRICT,
         ether(with_tcp_cksum(ipv6(tcp(NOP + NOP + TS + add6_echo, ACK))))),
        ('ipv6-ext-chain', POLICY_FALLBACK, ether(ipv6(seg6, hbh + dst + atomic, 0))),
        ('ipv6-routing-segs-left', POLICY_ALLOW, ether(ipv6(seg6, rh, 43))),
    ]
    res = [(name, pol, L2_ETHER, frame) for name, pol, frame in out]
    # The other link types, on the same segment.
    raw = with_tcp_cksum(ipv4(tcp(MSS + SACKOK + TS + NOP + WS + MPC_SYN_V1, SYN)))
    sll = struct.pack('>HHH8sH', 0, 1, 6, b'\x02\0\0\0\0\x01\0\0', 0x0800) + raw
    sll2 = struct.pack('>HHIHBB8s', 0x0800, 0, 2, 1, 0, 6, b'\x02\0\0\0\0\x01\0\0') + raw
    res += [('raw-ipv4-syn', POLICY_ALLOW, L2_RAW, raw),
            ('sll-syn', POLICY_FALLBACK, L2_SLL, sll),
            ('sll2-syn', POLICY_INSPECT, L2_SLL2, sll2)]
    return res


def cksum_seed(hdr, v6, payload, ops):
    """An input for fuzz_cksum.c: see the layout in its header comment."""
    doff = len(hdr) // 4
    b = bytes([doff * 4, 1 if v6 else 0, doff - 5, len(payload) & 0xff])
    b += bytes(range(32)) + bytes(28) + (hdr + bytes(60))[:60] + payload
    for op, off, length, data in ops:
        b += bytes([op, off, length]) + data
    return b


def cksum_seeds(headers):
    """Seeds for fuzz_cksum: NOP-fill each option, odd rewrites, edge ranges."""
    seeds = []
    for n, (hdr, v6) in enumerate(headers):
        ops = []
        off = 20
        while off < len(hdr):
            kind = hdr[off]
            olen = 1 if kind in (0, 1) else max(hdr[off + 1], 1) if off + 1 < len(hdr) else 1
            if kind not in (0, 1):
                ops.append((0, off, min(olen, 60 - off), b''))
            off += olen
        ops += [
            (1, 21, 3, b'\xaa\xbb\xcc'),       # odd start, odd length
            (1, 12, 2, b'\x50\x3f'),           # flags and data offset bytes
            (1, 15, 2, b'\0\0'),               # touches the checksum: refused
            (1, 58, 3, b'\0\0\0'),             # past 60: refused
            (2, 19, 10, bytes([23])),          # source overlaps the destination
            (3, 0, 7, b'\xff\xff\x01' + bytes(range(14))),
            (0, 19, 2, b''),                   # below the option area: refused
        ]
        seeds.append((f'hdr{n:02d}', cksum_seed(hdr, v6, bytes(range(n % 7)), ops)))
    return seeds


def tcp_header_of(l2, frame):
    """The TCP header of a frame and whether it is IPv6, or None."""
    off = {L2_ETHER: 14, L2_SLL: 16, L2_SLL2: 20, L2_RAW: 0}[l2]
    ip = frame[off:]
    if len(ip) < 20:
        return None
    if ip[0] >> 4 == 4 and ip[9] == 6:
        l4 = (ip[0] & 0xf) * 4
        v6 = False
    elif ip[0] >> 4 == 6 and len(ip) >= 60 and ip[6] == 6:
        l4 = 40
        v6 = True
    else:
        return None
    if len(ip) < l4 + 20:
        return None
    hlen = (ip[l4 + 12] >> 4) * 4
    if hlen < 20 or len(ip) < l4 + hlen:
        return None
    return bytes(ip[l4:l4 + hlen]), v6


def clean(d):
    """Remove the seeds a previous run wrote; keep fuzz-* (see README.md)."""
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        p = os.path.join(d, name)
        if os.path.isfile(p) and not name.startswith(('.', 'fuzz-')):
            os.unlink(p)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--real', default=os.path.join(root, 'pcaps', 'real'))
    ap.add_argument('--out', default=os.path.join(here, 'corpus'))
    args = ap.parse_args()

    real = args.real
    pcaps = sorted(glob.glob(os.path.join(real, '*', '*.pcap')))
    pcaps += sorted(glob.glob(os.path.join(root, 'pcaps', '*.pcap')))
    if not any(p.endswith(CVE_PCAP) for p in pcaps):
        sys.exit(f'{os.path.join(real, CVE_PCAP)} is missing: the CVE regression must be seeded')

    seen = set()
    packet = []       # (name, selector, frame)
    headers = []      # TCP headers for the checksum corpus
    total = 0
    for path in pcaps:
        rel = os.path.relpath(path, real if path.startswith(real) else root)
        stem = rel[:-len('.pcap')].replace(os.sep, '-')
        cve = path.endswith(CVE_PCAP)
        for n, (dlt, frame) in enumerate(read_pcap(path), 1):
            total += 1
            if dlt not in DLT_TO_L2:
                sys.exit(f'{path}: link type {dlt} is not one mpn_pkt_parse() reads')
            l2 = DLT_TO_L2[dlt]
            key = shape(l2, frame)
            if key in seen and not cve:
                continue
            seen.add(key)
            # Spread the policies over the seeds; the fuzzer mutates byte 0 anyway.
            policy = POLICY_ALLOW if cve else len(packet) % N_POLICIES
            name = f'cve-2017-13040-{stem}-{n:04d}' if cve else f'{stem}-{n:04d}'
            packet.append((name, l2 | policy << 2, frame))
            th = tcp_header_of(l2, frame)
            if th is not None and len(headers) < 24 and len(th[0]) > 20:
                headers.append(th)
            if cve:
                # The same segment with its last byte back: complete, so the
                # 3-byte DSS reaches the option walker and the decoder.
                packet.append((f'cve-2017-13040-completed', l2 | POLICY_ALLOW << 2,
                               frame + b'\0'))
    for name, policy, l2, frame in synthetic():
        packet.append((f'synthetic-{name}', l2 | policy << 2, frame))

    if len(packet) > MAX_PACKET_SEEDS:
        sys.exit(f'{len(packet)} distinct frames: over the limit of {MAX_PACKET_SEEDS}; '
                 'coarsen shape()')
    pdir = os.path.join(args.out, 'packet')
    cdir = os.path.join(args.out, 'cksum')
    clean(pdir)
    clean(cdir)
    size = 0
    for name, sel, frame in packet:
        with open(os.path.join(pdir, name), 'wb') as f:
            f.write(bytes([sel]) + frame)
        size += 1 + len(frame)
    for name, data in cksum_seeds(headers):
        with open(os.path.join(cdir, name), 'wb') as f:
            f.write(data)
        size += len(data)
    if size > MAX_BYTES:
        sys.exit(f'corpus is {size} bytes, over {MAX_BYTES}')
    print(f'{total} frames read from {len(pcaps)} captures: {len(packet)} packet seeds, '
          f'{len(headers)} cksum seeds, {size} bytes')


if __name__ == '__main__':
    main()
