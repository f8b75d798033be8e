#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build the seed corpora of the stateful harnesses, reproducibly.

corpus/track/  (fuzz_track.c): scripts of segments on four flows: MPTCP
    handshakes, joins, data, closes, and each attack of issue 15 (forged
    third ACK, fast close with the sender's key, blind RST, stray SYN,
    unproven join, spoofed-ACK flood, join-slot exhaustion, bad ADD_ADDR
    HMAC), each under several settings (byte 0).
corpus/config/ (fuzz_config.c): config/mpnorm.conf and config/examples/*.
corpus/cli/    (fuzz_cli.c): every command of app/mpnorm/control.c, with
    typical arguments, in text and in JSON.

Usage: test/fuzz/make-stateful-corpus.py [--out DIR]
The files this script wrote before are replaced; fuzz-* and regress-* files (inputs
libFuzzer found) are kept.
"""

import argparse
import glob
import os
import re
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))

# enum op of fuzz_track.c
(SYN, SYNACK, ACK3, DATA, JOIN_SYN, JOIN_SYNACK, JOIN_ACK, FIN, RST, FASTCLOSE,
 ADDADDR, RAW, TIME, BURST, MISC, BARE_ACK) = range(16)
# mutation bits
M_SEQ, M_ACK, M_TTL, M_CKSUM, M_OPTS, M_PLEN, M_FLAGS, M_SECRET = (1 << i for i in range(8))


def op(kind, flow=0, d=0, arg=0, mut=None, extra=b''):
    """One operation: opcode, [mutation byte], arg, then what the op reads."""
    opc = kind | (flow << 4) | (d << 6) | (0x80 if mut is not None else 0)
    b = bytes([opc])
    if mut is not None:
        b += bytes([mut])
    return b + bytes([arg]) + extra


def time(steps, long=False):
    return bytes([TIME | (0x80 if long else 0), steps])


def burst(ops):
    n = len(ops)
    return bytes([BURST | (((n - 2) % 7) << 4)]) + b''.join(ops)


def handshake(flow=0, kc=0, ks=1):
    return (op(SYN, flow, 0, 0x07 | kc << 4) + op(SYNACK, flow, 1, 0x07 | ks << 4) +
            op(ACK3, flow, 0, 0))


def data(flow=0):
    return op(DATA, flow, 0, 5) + op(DATA, flow, 1, 3) + op(DATA, flow, 0, 0)


def join(flow=1, target=1, own=0, bad_synack=False, bad_ack=False, no_mpj=False):
    ops = op(JOIN_SYN, flow, 0, target | own << 2)
    ops += op(JOIN_SYNACK, flow, 1, 0, mut=M_SECRET if bad_synack else None,
              extra=b'\x03\x01' if bad_synack else b'')
    ops += op(JOIN_ACK, flow, 0, 1 if no_mpj else 0, mut=M_SECRET if bad_ack else None,
              extra=b'\x07\x01' if bad_ack else b'')
    return ops


def closes(flow=0):
    return op(FIN, flow, 0, 1) + op(FIN, flow, 1, 1) + op(BARE_ACK, flow, 0, 0)


def scripts():
    s = {}
    s['mptcp-session'] = handshake() + data() + closes()
    s['mptcp-join'] = handshake() + data() + join() + op(DATA, 1, 0, 4) + op(DATA, 1, 1, 2)
    s['mptcp-join-v6'] = handshake() + join(flow=3) + op(DATA, 3, 0, 4)
    s['join-bad-synack'] = handshake() + join(bad_synack=True) + op(DATA, 1, 0, 1)
    s['join-bad-ack'] = handshake() + join(bad_ack=True) + op(DATA, 1, 0, 1)
    s['join-unproven'] = handshake() + join(no_mpj=True) + op(DATA, 1, 0, 1)
    s['join-unknown-token'] = handshake() + join(target=3, own=2) + op(DATA, 1, 0, 1)
    # Issue 15 #1: a forged third ACK (bad key, invalid ack) before the real one.
    s['forged-third-ack'] = (op(SYN, 0, 0, 0x07) + op(SYNACK, 0, 1, 0x17) +
                             op(ACK3, 0, 0, 0, mut=M_ACK | M_SECRET,
                                extra=b'\x00\x10\x00\x00' + b'\x02\x55') +
                             op(ACK3, 0, 0, 0) + join())
    # #2: MP_FASTCLOSE with the sender's own key, then the receiver's.
    s['fastclose-wrong-key'] = handshake() + op(FASTCLOSE, 0, 0, 1) + join()
    s['fastclose'] = handshake() + data() + op(FASTCLOSE, 0, 0, 0) + join()
    s['fastclose-rst-ttl'] = handshake() + op(FASTCLOSE, 0, 0, 0x10, mut=M_TTL,
                                              extra=b'\x05') + join()
    # #3: blind RST, in-window RST, exact RST.
    s['rst-blind'] = handshake() + op(RST, 0, 1, 2) + time(200) + join()
    s['rst-in-window'] = handshake() + op(RST, 0, 1, 1) + op(RST, 0, 0, 0x0c, extra=b'\x01')
    s['rst-exact'] = handshake() + data() + op(RST, 0, 0, 4)
    # #4: a stray SYN on a synchronized subflow.
    s['stray-syn'] = handshake() + data() + op(SYN, 0, 0, 0x07) + data()
    # #6: a SYN flood between a join's SYN and its SYN/ACK.
    flood = b''.join(op(SYN, f, 0, 0x08, mut=M_SEQ, extra=struct.pack('>I', i * 7919))
                     for i in range(12) for f in (2,))
    s['join-syn-flood'] = (handshake() + op(JOIN_SYN, 1, 0, 1) + flood +
                           op(JOIN_SYNACK, 1, 1, 0) + op(JOIN_ACK, 1, 0, 0))
    # #7: spoofed ACKs, then a legitimate SYN.
    acks = [op(BARE_ACK, f, d, 1, extra=struct.pack('>I', 0x1000 * (f + 1) + d))
            for f in range(4) for d in range(2)]
    s['ack-flood'] = burst(acks[:8]) + burst(acks[:4]) + handshake(2) + data(2)
    s['ack-flood-keys'] = (b''.join(op(ACK3, f, 0, 0, mut=M_SEQ, extra=bytes([f, 1, 2, 3]))
                                    for f in range(4)) + handshake())
    # #8: forged join SYNs holding every slot.
    s['join-slots'] = handshake() + b''.join(
        op(JOIN_SYN, f, 0, 1, mut=M_SEQ, extra=bytes([0, f, i, 0]))
        for i in range(4) for f in (1, 2, 3)) + join()
    # ADD_ADDR: good HMAC, bad HMAC, denied address, echo, REMOVE_ADDR.
    s['add-addr'] = (handshake() + op(ADDADDR, 0, 1, 0x12, extra=b'\x05') +
                     op(ADDADDR, 0, 1, 0x20, mut=M_SECRET, extra=b'\x06\x02\x04') +
                     op(ADDADDR, 0, 1, 0x08, extra=b'\x07') + op(ADDADDR, 0, 0, 0x04, extra=b'\x05') +
                     op(ADDADDR, 0, 1, 0x01, extra=b'\x05'))
    s['misc-options'] = (handshake() + op(MISC, 0, 0, 0) + op(MISC, 0, 1, 1) +
                         op(MISC, 0, 0, 2, extra=b'\x12\x34') + op(MISC, 0, 1, 3))
    s['raw'] = (handshake() + op(RAW, 0, 0, 0x18, extra=b'\x08\x1e\x08\x20\x01\x00\x00\x00\x01') +
                op(RAW, 0, 1, 0x92, extra=b'\x00\x00\x00\x01\x04\x02\x04\x05\xb4'))
    # Time: embryonic, unconfirmed and idle timeouts pass.
    s['timeouts'] = (op(SYN, 1, 0, 0x07) + time(40, True) + handshake() + time(10, True) +
                     op(BARE_ACK, 2, 0, 0) + time(3, True) + op(BARE_ACK, 2, 1, 0) +
                     time(250, True) + data())
    s['ttl-evasion'] = handshake() + op(DATA, 0, 0, 3, mut=M_TTL, extra=b'\x03') + data()
    s['bad-cksum'] = handshake() + op(DATA, 0, 0, 3, mut=M_CKSUM) + data()
    s['mixed-burst'] = burst([op(SYN, 0, 0, 0x07), op(SYNACK, 0, 1, 0x17), op(ACK3, 0, 0, 0),
                              op(DATA, 0, 0, 2), op(JOIN_SYN, 1, 0, 1)]) + \
        burst([op(JOIN_SYNACK, 1, 1, 0), op(JOIN_ACK, 1, 0, 0), op(RST, 0, 1, 2)])
    return s


# Settings (byte 0 of a track input) each script is seeded under.
SETTINGS = {
    'shipped': 0x00, 'allow-mptcp': 0x01, 'fallback': 0x02, 'asa-default': 0x03,
    'midstream-drop': 0x04, 'join-allow': 0x08, 'small-tables': 0x10, 'v0': 0x40,
    'cksum-verify': 0x80, 'small-learn100': 0x30,
}

# Typical arguments of the CLI commands, by path.
CLI_ARGS = {
    'show conn': ['', 'address 10.0.0.1 port 80', 'token 0x1a2b3c4d limit 5', 'limit 0'],
    'clear conn': ['all', 'address 2001:db8::1', 'port 443 token deadbeef'],
    'show connections': ['', 'token 1a2b3c4d', 'limit 10', 'token 0xFFFFFFFF limit 1'],
    'show subflows': ['', 'token 1a2b3c4d limit 3'],
    'cluster lookup': ['0x1a2b3c4d', 'zz'],
    'show tcp-map': ['', 'mptcp-aware', '"a name"'],
    'set log-level': ['debug', 'bogus'],
    'trace': ['10', '-1', '99999999999999999999'],
}


def write(dirpath, name, data):
    with open(os.path.join(dirpath, name), 'wb') as f:
        f.write(data)


def clean(dirpath):
    os.makedirs(dirpath, exist_ok=True)
    for p in glob.glob(os.path.join(dirpath, '*')):
        if not os.path.basename(p).startswith(('fuzz-', 'regress-')):
            os.unlink(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(HERE, 'corpus'))
    a = ap.parse_args()

    d = os.path.join(a.out, 'track')
    clean(d)
    for name, body in sorted(scripts().items()):
        for sname, sel in SETTINGS.items():
            write(d, f'{name}.{sname}', bytes([sel]) + body)

    d = os.path.join(a.out, 'config')
    clean(d)
    shutil.copy(os.path.join(ROOT, 'config', 'mpnorm.conf'), os.path.join(d, 'mpnorm.conf'))
    for p in sorted(glob.glob(os.path.join(ROOT, 'config', 'examples', '*.conf'))):
        shutil.copy(p, os.path.join(d, 'example-' + os.path.basename(p)))

    # The cluster group, which no shipped file has (doc/cluster.md).
    with open(os.path.join(ROOT, 'config', 'mpnorm.conf')) as f:
        shipped = f.read()
    for i, group in enumerate([
            'cluster = { store = "10.255.0.1:6379"; node = "box-a"; };\n',
            'cluster = {\n  store = "unix:/run/redis/redis.sock";\n  node = "mpnorm-b.lab_1";\n'
            '  prefix = "{mpn}:lab/";\n  ttl = 600;\n  fetch-timeout = 50;\n'
            '  unreachable = "drop";\n  request-ring = 256;\n  answer-ring = 256;\n};\n',
            'cluster = { store = "[fd00::1]:7000"; node = "n"; unreachable = "allow"; };\n']):
        write(d, f'cluster-{i}.conf', (shipped + group).encode())

    d = os.path.join(a.out, 'cli')
    clean(d)
    with open(os.path.join(ROOT, 'app', 'mpnorm', 'control.c')) as f:
        src = f.read()
    table = src[src.index('static const struct mpn_cli_command commands[]'):]
    paths = re.findall(r'\{ "([a-z -]+)", "', table)
    paths.append('help')
    n = 0
    for p in paths:
        for args in CLI_ARGS.get(p, ['']):
            line = (p + ' ' + args).strip()
            for form in (line, '-j ' + line):
                write(d, f'cmd-{n:03d}', form.encode())
                n += 1
    for extra in ['', '   ', 'bogus', 'show', '-j', '-j bogus', 'show "conn" limit 5',
                  'show conn address "10.0.0.1" port\t80\r', '"unterminated', 'a\\"b c" d',
                  'show conn ' + 'x ' * 40, 'help show', '-j help']:
        write(d, f'cmd-{n:03d}', extra.encode())
        n += 1


if __name__ == '__main__':
    main()
