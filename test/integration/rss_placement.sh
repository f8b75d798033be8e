#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# RSS placement decided by checking, on real DPDK drivers (issue 20):
#  - net_null has RSS with key and RETA read-back but no rte_flow: the
#    symmetric function is refused, the 0x6d5a key is set, mpnorm spreads
#    the RETA (net_null leaves every entry on queue 0), reads key and RETA
#    back and trusts the ports; first fragments follow the RSS model, and
#    `show workers` gives the expected share per worker (about half each).
#  - net_tap (root only) reports RSS offloads but has no RETA: the port is
#    named with the reason, mpnorm hands off, and it still starts.
#  - symmetric forced on net_pcap (no RSS at all): nothing to model, so the
#    expected share is unknown (null) rather than made up.
. "$SRCDIR/test/lib.sh"

sock=$TMP/mpnorm.sock
ctl() { "$MPNORMCTL" -s "$sock" "$@"; }

run() {   # run NAME PLACEMENT PORT0 DEVARGS0 PORT1 DEVARGS1
	{
		sed -n '/^tcp-maps/,$p' "$SRCDIR/config/mpnorm.conf"
		cat <<CONF
control = { socket = "$sock"; };
dataplane = { workers = 2; placement = "$2"; mbufs = 8192; rx_desc = 512; tx_desc = 512; };
tables = { subflows = 4096; connections = 1024; };
ports = ( { name = "$3"; devargs = "$4"; }, { name = "$5"; devargs = "$6"; } );
links = ( { name = "l"; inside = "$3"; outside = "$5"; } );
CONF
	} >"$TMP/$1.conf"
	# Three lcores (main and two workers) on however many CPUs there are.
	"$MPNORM" --no-huge -m 512 --no-pci --file-prefix "mpn-rss-$$" --lcores 0@0,1@1,2@0 \
		-- -c "$TMP/$1.conf" >"$TMP/$1.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		[ -S "$sock" ] && ctl show version >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	ctl -j show workers >"$TMP/$1-workers.json" || echo '{}' >"$TMP/$1-workers.json"
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || true
	grep '^mpnorm' "$TMP/$1.log" | sed 's/^/# /'
}

# share FILE SET: the expected-% of each worker for a tuple set, space-separated.
share() { jq -r "[.workers[].\"$2\"] | map(tostring) | join(\" \")" "$1"; }
# between40and60 FILE COLUMN: every worker's share in [40, 60].
between40and60() { jq -e "[.workers[].\"$2\"] | all(. != null and . >= 40 and . <= 60)" "$1" >/dev/null; }

run null auto net_null0 no-rx=1 net_null1 no-rx=1
w=$TMP/null-workers.json
check "net_null: the symmetric function is refused, and said so" \
	grep -q "net_null0' (net_null).*no symmetric hash function (IPv4 rule refused" "$TMP/null.log"
check "net_null: 0x6d5a key and a 128-entry RETA read back and verified on both ports" \
	[ "$(grep -c "symmetric RSS verified (toeplitz, 0x6d5a key, 128-entry RETA over 2 queues)" "$TMP/null.log")" -eq 2 ]
check "net_null: placement symmetric, first fragments steered by the model" \
	grep -q "placement: symmetric on every port; IP first fragments steered to their flow's worker by the RSS model" "$TMP/null.log"
check "net_null: show workers names the owner function" jq_eq "$w" .owner toeplitz
for col in expected-random-% expected-random-v6-% expected-cgnat-% expected-servers-%; do
	echo "# $col: $(share "$w" "$col")"
	check "net_null: $col is about half per worker (RETA spread over both queues)" \
		between40and60 "$w" "$col"
done
check "net_null: no traffic, so no live share yet (null, not 0)" \
	jq -e '[.workers[]."live-%"] | all(. == null)' "$w"

in=$SRCDIR/pcaps/mptcp-2subflows.pcap
run pcap symmetric net_pcap0 "rx_pcap=$in,rx_pcap=$in,tx_pcap=$TMP/a0.pcap,tx_pcap=$TMP/a1.pcap" \
	net_pcap1 "rx_pcap=$in,rx_pcap=$in,tx_pcap=$TMP/b0.pcap,tx_pcap=$TMP/b1.pcap"
check "net_pcap forced symmetric: first fragments stay, and the log says why" \
	grep -q "IP first fragments stay where they arrive (no RSS model" "$TMP/pcap.log"
check "net_pcap forced symmetric: expected share unknown (null)" \
	jq -e '[.workers[]."expected-random-%"] | length == 2 and all(. == null)' "$TMP/pcap-workers.json"

if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ]; then
	# Interfaces named for this run; the PMD removes them when it closes.
	run tap auto net_tap0 "iface=mpn20t0$$" net_tap1 "iface=mpn20t1$$"
	check "net_tap: mpnorm started anyway" jq -e '.workers | length == 2' "$TMP/tap-workers.json"
	check "net_tap: the port and the reason are logged" \
		grep -q "port 'net_tap0' is not symmetric (.*the device reports no RETA)" "$TMP/tap.log"
	check "net_tap: placement falls back to handoff" \
		jq -e '.placement | startswith("handoff")' "$TMP/tap-workers.json"
	check "net_tap: the software owner's expected share is about half each" \
		between40and60 "$TMP/tap-workers.json" expected-random-%
else
	echo "# net_tap case not run: needs root and /dev/net/tun"
fi
finish
