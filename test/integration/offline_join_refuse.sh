#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 16, active join refusal in the offline mode: the output capture holds
# what mpnorm puts on the wire, so a join SYN refused under
# join-refuse-action = "reset" comes out as the RST that answers it (in its
# place, with its time stamp); under "drop" it comes out as nothing. A RST
# is never answered.
. "$SRCDIR/test/lib.sh"

# The shipped policy (join verify), answering refused joins.
sed 's/join = "verify";/join = "verify"; join-refuse-action = "reset";/' \
	"$SRCDIR/config/mpnorm.conf" >"$TMP/reset.conf"
check "the test config sets join-refuse-action" grep -q 'join-refuse-action = "reset"' "$TMP/reset.conf"

# Three records: a join SYN with a token no connection has, a SYN|RST with the
# same option, and a plain SYN of an unrelated connection (forwarded).
/usr/bin/env python3 - "$TMP/in.pcap" <<'PY'
import struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def seg(flags, opts, sport):
    src, dst = bytes([10, 0, 2, 1]), bytes([10, 0, 2, 2])
    tcp = struct.pack("!HHIIBBHHH", sport, 5000, 1000, 0, (20 + len(opts)) // 4 << 4, flags,
                      65535, 0, 0) + opts
    tcp = tcp[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return bytes.fromhex("0200000000d5") + bytes.fromhex("02000000005c") + b"\x08\x00" + ip + tcp

join = bytes([30, 12, 0x10, 1]) + struct.pack("!II", 0x55555555, 0x01020304)
recs = [seg(0x02, join, 40000), seg(0x06, join, 40001), seg(0x02, bytes([2, 4, 5, 0xb4]), 40002)]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, r in enumerate(recs):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(r), len(r)) + r)
PY

"$MPNORM" --offline "$TMP/in.pcap" "$TMP/out.pcap" -c "$TMP/reset.conf" --json "$TMP/r.json" >/dev/null
check "reset: 3 in, 1 out, 2 dropped (the refused SYN counts as dropped, its RST is no packet out)" \
	[ "$(jq -r '"\(.packets_in) \(.packets_out) \(.packets_dropped)"' "$TMP/r.json")" = "3 1 2" ]
check "reset: 2 records in the output capture (the RST and the unrelated SYN)" \
	[ "$(count_records "$TMP/out.pcap")" -eq 2 ]
check "reset: the refused SYN and SYN|RST count as mptcp-join-unknown-token" \
	jq_eq "$TMP/r.json" '.drops["mptcp-join-unknown-token"]' 2
check "reset: one RST sent: the SYN|RST is not answered" jq_eq "$TMP/r.json" .tracking.join_rst_sent 1
# The first record out: the RST, from 10.0.2.2:5000 to 10.0.2.1:40000, both checksums valid.
/usr/bin/env python3 - "$TMP/out.pcap" >"$TMP/rst.txt" <<'PY'
import struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

d = open(sys.argv[1], "rb").read()
ts, _, caplen, _ = struct.unpack("<IIII", d[24:40])
f = d[40:40 + caplen]
ip = f[14:34]
tcp = f[34:14 + struct.unpack("!H", ip[2:4])[0]]   # the IP length, not the Ethernet padding
sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", tcp[:14])
print("ts", ts, "len", caplen, "macs", f[:6].hex(), f[6:12].hex())
print("ip", ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20])), "ttl", ip[8],
      "ipsum", hex(csum(ip)))
print("tcp", sport, dport, seq, ack, "flags", hex(flags), "opt", tcp[20:24].hex(),
      "tcpsum", hex(csum(ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)))
PY
sed 's/^/# /' "$TMP/rst.txt"
check "reset: the RST takes the SYN's place and time stamp, 60 bytes (58, padded for Ethernet)" \
	grep -qx "ts 1700000000 len 60 macs 02000000005c 0200000000d5" "$TMP/rst.txt"
check "reset: addresses swapped, TTL 64, IP checksum valid" \
	grep -qx "ip 10.0.2.2 10.0.2.1 ttl 64 ipsum 0xffff" "$TMP/rst.txt"
check "reset: ports swapped, SEQ 0, ACK 1001, RST|ACK, MP_TCPRST reason 3, TCP checksum valid" \
	grep -qx "tcp 5000 40000 0 1001 flags 0x14 opt 1e048003 tcpsum 0xffff" "$TMP/rst.txt"

# The same capture under the default, drop: the refused SYN leaves nothing.
"$MPNORM" --offline "$TMP/in.pcap" "$TMP/out2.pcap" -c "$SRCDIR/config/mpnorm.conf" \
	--json "$TMP/d.json" >/dev/null
check "drop: 3 in, 1 out" [ "$(jq -r '"\(.packets_in) \(.packets_out)"' "$TMP/d.json")" = "3 1" ]
check "drop: no RST sent" jq_eq "$TMP/d.json" .tracking.join_rst_sent 0
finish
