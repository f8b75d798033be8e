#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The offline summary keeps history (issue 13): a connection lists every
# subflow it has had, with its join verdict, even when the tables swept
# the subflow long before the capture ends. The real capture
# linux/capture-mid.pcap has one connection and two verified joins; here
# two hours pass after the first join's last packet (every timeout of the
# shipped config: closed, half-closed, idle), so both joins are swept
# before the rest of the capture is read.
. "$SRCDIR/test/lib.sh"

in=$SRCDIR/pcaps/real/linux/capture-mid.pcap
python3 - "$in" "$TMP/gap.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
out = bytearray(d[:24])
off, i = 24, 0
while off < len(d):
    ts, us, incl, orig = struct.unpack('<IIII', d[off:off + 16])
    # Record 3921 on: after the last packet of the join 10.0.2.1:35387.
    out += struct.pack('<IIII', ts + (7200 if i > 3920 else 0), us, incl, orig)
    out += d[off + 16:off + 16 + incl]
    off += 16 + incl
    i += 1
open(sys.argv[2], 'wb').write(out)
PY
summary() { "$MPNORM" --offline "$1" "$TMP/out.pcap" -c "$SRCDIR/config/mpnorm.conf" --json -; }
joins() { jq -c '[.connections[].subflows[] | select(.role == "join") | {tuple, join}] | sort_by(.tuple)'; }
summary "$in" | joins >"$TMP/straight.json"
summary "$TMP/gap.pcap" | joins >"$TMP/gap.json"
check "the capture as it is: 2 verified joins" [ "$(jq '[.[] | select(.join == "ok")] | length' "$TMP/straight.json")" -eq 2 ]
check "two hours in the middle: the same 2 joins, still verified ($(cat "$TMP/gap.json"))" \
	cmp -s "$TMP/straight.json" "$TMP/gap.json"
swept=$(summary "$TMP/gap.pcap" | jq '.tracking.subflows_expired + .tracking.subflows_removed')
check "the tables did sweep in between: $swept subflows expired or removed (>= 2)" [ "$swept" -ge 2 ]
finish
