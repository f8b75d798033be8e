#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Reload under traffic: net_pcap replays the bundled capture in a loop while
# the policy is reloaded 100 times between two policies that both forward
# everything (one clears MPTCP options, one passes them). No packet may be
# lost, the counters must only ever grow, and a broken file must be refused
# with its line number while traffic keeps flowing.
. "$SRCDIR/test/lib.sh"

in=$SRCDIR/pcaps/mptcp-2subflows.pcap
sock=$TMP/mpnorm.sock
ctl() { "$MPNORMCTL" -s "$sock" "$@"; }
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; cleanup_runtime' EXIT

base="control = { socket = \"$sock\"; };
ports = ( { name = \"net_pcap0\"; devargs = \"rx_pcap=$in,tx_pcap=/dev/null,infinite_rx=1\"; } );
links = ( { name = \"stick\"; port = \"net_pcap0\"; } );
dataplane = { mbufs = 4096; rx_desc = 256; tx_desc = 256; };"
echo "$base" >"$TMP/asa.conf"                                        # clears kind 30
{ echo "$base"; sed -n '/^tcp-maps/,$p' "$SRCDIR/config/examples/asa-allow-mptcp.conf"; } >"$TMP/allow.conf"
cp "$TMP/allow.conf" "$TMP/live.conf"

"$MPNORM" --no-huge -m 512 --no-pci --file-prefix "mpn-reload-$$" -l 0-1 -- -c "$TMP/live.conf" \
	>"$TMP/log" 2>&1 &
pid=$!
wait_until 60 test -S "$sock" || echo "# no control socket after 60 s"

in_of() { ctl -j show stats | jq .packets_in; }
prev=$(in_of)
monotonic=1
reload_fail=0
for i in $(seq 1 100); do
	if [ $((i % 2)) -eq 0 ]; then cp "$TMP/allow.conf" "$TMP/live.conf"; else cp "$TMP/asa.conf" "$TMP/live.conf"; fi
	ctl reload >/dev/null || reload_fail=$((reload_fail + 1))
	now=$(in_of)
	[ "$now" -ge "$prev" ] || monotonic=0
	prev=$now
done
check "100 reloads accepted" [ "$reload_fail" -eq 0 ]
check "the policy generation is 100" jq_eq <(ctl -j show policy) .generation 100
check "packets_in never went backwards across reloads" [ "$monotonic" -eq 1 ]
check "traffic flowed during the reloads ($prev packets)" [ "$prev" -gt 10000 ]

# trace N under traffic: exactly N packets recorded, each with its verdict.
ctl trace 5 >/dev/null
traced() { jq_eq <(ctl -j show trace) .captured 5; }
wait_until 30 traced || echo "# trace 5 not complete after 30 s"
ctl -j show trace >"$TMP/trace.json"
check "trace 5 records 5 packets" jq_eq "$TMP/trace.json" .captured 5
check "each traced packet says what happened to it" \
	jq -e '[.packets[].packet | test(": (forward|drop)")] | all' "$TMP/trace.json"

# The counters as DPDK telemetry shows them.
if command -v dpdk-telemetry.py >/dev/null; then
	echo /mpnorm/stats | dpdk-telemetry.py -f "mpn-reload-$$" >"$TMP/tel.out" 2>&1 || true
	check "dpdk-telemetry.py shows /mpnorm/stats" \
		bash -c "grep -o '{\"/mpnorm/stats\".*}' '$TMP/tel.out' | jq -e '.\"/mpnorm/stats\".packets_in > 0'"
fi

# A broken file: refused with its line, the running policy stays, traffic goes on.
printf 'dataplane = { workers = 1; };\ntcp-maps = (\n  { name = "m"; syn-data = "sometimes"; }\n);\n' >"$TMP/live.conf"
rc=0; ctl reload >"$TMP/bad.out" 2>&1 || rc=$?
check "a broken file is refused (exit 2)" [ "$rc" -eq 2 ]
check "with file and line" grep -q "live.conf:3: 'syn-data' cannot be \"sometimes\"" "$TMP/bad.out"
check "the generation did not change" jq_eq <(ctl -j show policy) .generation 100
before=$(in_of)
moved() { [ "$(in_of)" -gt "$before" ]; }
check "traffic keeps flowing after the refused reload" wait_until 30 moved

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=
check "clean exit" [ "$rc" -eq 0 ]
# Nothing lost: everything received was sent; nothing dropped, nothing refused by TX.
read -r rx tx drop < <(awk '/^worker/ {getline; print $3, $4, $5}' "$TMP/log")
check "worker sent every packet it received ($rx = $tx)" [ -n "$rx" ] && [ "$rx" = "$tx" ]
check "no packet dropped" [ "$drop" = 0 ]
check "no TX refusal" grep -qE "^0 +net_pcap0 +[0-9]+ +[0-9]+ +[0-9]+ +0 " "$TMP/log"
finish
