#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The live demo: a real two-path MPTCP transfer through mpnorm, with a path
# failure in the middle, plotted per subflow (like the classic MPTCP test
# bed figure: throughput of each path over time, one path pulled out).
#
#   sudo scripts/demo-live.sh [OUT.png]       default /tmp/mpnorm-demo-live.png
#
# It makes a test bed (scripts/testbed.sh: client and server namespaces,
# two paths, mpnorm on four af_packet ports between them, config/mpnorm.conf's
# policy), limits each path to 24 Mbit/s (tbf on the client's veths) and
# has the client offer 32 Mbit/s, so both subflows are busy. Path 1 goes
# down at 10 s and comes back at 20 s. It captures the headers of what the
# server receives on each path, buckets each subflow's throughput per 0.5 s, prints
# what mpnorm says (show stats, drops, connections, subflows) and plots with
# gnuplot. Everything it made is removed at the end. About 40 s.
# Without root or network namespaces it says so and exits 77.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/mpnorm-demo-live.png}
case $out in /*) ;; *) out=$PWD/$out ;; esac

: "${MPNORM:=$PWD/build/app/mpnorm/mpnorm}"
: "${MPNORMCTL:=$PWD/build/app/mpnormctl/mpnormctl}"
export MPNORM MPNORMCTL SRCDIR=$PWD
for t in gnuplot tcpdump tc; do
	command -v "$t" >/dev/null || { echo "demo-live: $t not installed (scripts/install-deps.sh)"; exit 77; }
done
. test/e2e/e2e_lib.sh
e2e_init dl 7   # exits 77 with a message unless root, netns and MPTCP

port=5000
rate_mbit=24     # each path's limit
offer=4          # MB/s the client offers (32 Mbit/s): more than one path can carry
mb=120           # about 30 s at 4 MB/s
down_at=10
up_at=20
bucket=0.5
data=${out%.png}.dat

say() { echo "== $*"; }
say "test bed '$BED_NAME' up: client $BED_CLI1 / $BED_CLI2, server $BED_SRV1 / $BED_SRV2 (ADD_ADDR $BED_SRV2)"
for i in 1 2; do
	ip netns exec "$BED_NS_CLI" tc qdisc add dev "c$i" root tbf rate "${rate_mbit}mbit" burst 32kb latency 100ms
done
say "each path limited to $rate_mbit Mbit/s; the client offers $((offer * 8)) Mbit/s"

mpnorm_start "$SRCDIR/config/mpnorm.conf" || exit 1
say "mpnorm running (pid $MPNORM_PID), policy config/mpnorm.conf, control socket $BED_SOCK"
# What the server receives on each path, after mpnorm. (Not on mpnorm's own
# ports: af_packet sends with PACKET_QDISC_BYPASS, which capture taps never see.)
for i in s1 s2; do
	capture_start "cap_$i" "$BED_NS_SRV" "$i" -s 128 "tcp dst port $port"
done

xfer_server "$port" --timeout 120
xfer_client "$port" --mb "$mb" --rate "$offer" --wait-subflows 1 --started "$TMP/started" --timeout 120
wait_file "$TMP/started" 30 || { echo "demo-live: the transfer did not start"; exit 1; }
t0=$(date +%s.%N)
say "transfer started: $mb MB, 2 subflows"

at() { # at SECONDS: sleep until t0 + SECONDS
	local d
	d=$(awk -v t0="$t0" -v s="$1" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + s - now; print (d > 0 ? d : 0) }')
	sleep "$d"
}
at 5
say "t=5s  mpnormctl show connections"
ctl show connections 2>/dev/null || echo "(no 'show connections' in this mpnorm)"
ctl show subflows 2>/dev/null || true
at "$down_at"
ip link set "$BED_ROOT_C1" down
say "t=${down_at}s path 1 DOWN (ip link set $BED_ROOT_C1 down)"
at $((down_at + 5))
say "t=$((down_at + 5))s  mpnormctl show subflows"
ctl show subflows 2>/dev/null || true
at "$up_at"
ip link set "$BED_ROOT_C1" up
say "t=${up_at}s path 1 UP again"
xfer_wait "$port" || { echo "demo-live: the transfer failed"; exit 1; }
for i in s1 s2; do capture_stop "cap_$i"; done
say "transfer done in $(xj client $port seconds) s; SHA-256 client $(xj client $port sha256 | cut -c1-16)... server $(xj server $port sha256 | cut -c1-16)..."
xfer_intact "$port" $((mb << 20)) && echo "data intact" || echo "DATA MISMATCH"

say "mpnormctl show stats"
ctl show stats
say "mpnormctl show drops"
ctl show drops
if has_connections; then
	say "mpnormctl show connections"
	ctl show connections
	say "mpnormctl show subflows"
	ctl show subflows
fi
say "the kernel's view (client): nstat MPTcpExt"
ip netns exec "$BED_NS_CLI" nstat -as | grep -E '^MPTcpExt(MPJoin|AddAddr|SubflowStale|SubflowRecover|MPTCPRetrans|MPCapable)' || true

"$PY" "$E2E_DIR/throughput.py" --port "$port" --bucket "$bucket" --t0 "$t0" \
	"subflow1=$TMP/cap_s1.pcap" "subflow2=$TMP/cap_s2.pcap" >"$data"
gnuplot <<EOF
set terminal pngcairo size 1100,600 font "DejaVu Sans,11" noenhanced
set output "$out"
set title "Two-path MPTCP through mpnorm: throughput per subflow (path 1 down at ${down_at} s, up at ${up_at} s)"
set xlabel "time (s)"
set ylabel "throughput (Mbit/s)"
set grid
set key top right box opaque
set yrange [0:*]
set offsets 0, 0, graph 0.35, 0
set xrange [0:*]
set object 1 rect from $down_at, graph 0 to $up_at, graph 1 behind fc rgb "#f4d6d6" fs solid 0.5 noborder
set label 1 "path 1 down\n(ip link set $BED_ROOT_C1 down)" at $((down_at + up_at)) / 2.0, graph 0.55 center
plot "$data" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "subflow 1: path 1 $BED_CLI1 > $BED_SRV1 (MP_CAPABLE)", \
     "$data" using 1:3 with lines lw 2 lc rgb "#2ca02c" title "subflow 2: path 2 $BED_CLI2 > $BED_SRV2 (MP_JOIN)", \
     "$data" using 1:4 with lines lw 1 dt 2 lc rgb "#555555" title "total"
EOF
say "plot: $out (data: $data)"
mpnorm_stop || true
