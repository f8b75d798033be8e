#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# pktgen-dpdk through mpnorm on net_af_packet veths, with every packet
# accounted for (doc/benchmark.md, "pktgen through mpnorm on veths").
#
#   sudo scripts/bench-pktgen.sh PKTGEN [--rates "0.5 5 100"] [--connections N]
#                                       [--data N] [--ring FRAMES] [--out DIR]
#
# PKTGEN is a pktgen binary, a pktgen-dpdk 23.03 source tree, or its release
# tarball (pktgen-dpdk-23.03.0.tar.gz); a tree or tarball is built once with
# meson and ninja into DIR/pktgen (default bench-out/pktgen). pktgen is not
# part of mpnorm and is never copied into it.
#
# The bed: a namespace of its own holds pktgen's two veth ends; mpnorm opens
# the other two in the root namespace:
#
#   pktgen port 0 (pg0) -> mpn0 = mpnorm net_af_packet0 -> net_af_packet1 = mpn1 -> pg1 (pktgen port 1)
#
# mpnorm runs config/examples/af-packet.conf (the MPTCP-aware policy) with
# the tables sized to the capture and -m from `mpnorm --check-config`.
# --ring FRAMES gives every af_packet ring (mpnorm's and pktgen's) that many
# frames instead of the PMD's 512 (devargs framecnt).
# mpnorm-gen writes the capture; pktgen replays it once (set 0 count = the
# capture's packets) at each rate, in % of the 10G link af_packet reports.
# mpnorm and pktgen start afresh for each rate, each busy-polling its own CPU.
#
# After each run it waits until no counter moves, then checks every stage:
#   pktgen tx = pg0 sent + pg0 dropped                   (veth)
#   mpn0 received = mpnorm's kernel ring offered         (PACKET_STATISTICS)
#   kernel ring offered = mpnorm rx + ring-drop          (item 5 of issue 18)
#   mpnorm rx = mpnorm tx + mpnorm drops (by reason)
#   mpnorm tx = mpn1 sent + mpn1 dropped + PMD oerrors
#   pg1 received = pktgen's kernel ring offered          (pidfd_getfd + PACKET_STATISTICS)
#   pktgen's ring offered = pktgen rx + pktgen ring-drop
# and prints pktgen tx against pktgen rx plus the drops of every stage. Any
# packet not accounted for fails the run, loudly, with the stage named.
# Root only; it removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() { sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
pktgen_src=$1
shift
rates="0.5 5 100"
ring=
connections=4096
data=8
out=$root/bench-out
while [ $# -gt 0 ]; do
	case $1 in
	--rates) rates=$2; shift 2 ;;
	--connections) connections=$2; shift 2 ;;
	--data) data=$2; shift 2 ;;
	--ring) ring=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench-pktgen: run as root (veths, a namespace, af_packet)" >&2; exit 1; }
build=$root/build
MPNORM=$build/app/mpnorm/mpnorm
CTL=$build/app/mpnormctl/mpnormctl
GEN=$build/app/mpnorm-gen/mpnorm-gen
for f in "$MPNORM" "$CTL" "$GEN"; do
	[ -x "$f" ] || { echo "bench-pktgen: $f missing: run scripts/build.sh" >&2; exit 1; }
done
for t in dpdk-telemetry.py capinfos jq python3 ethtool meson ninja; do
	command -v "$t" >/dev/null || { echo "bench-pktgen: $t missing: run scripts/install-deps.sh" >&2; exit 1; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

# --- pktgen: a binary, or build it from a tree or the tarball --------------
pktgen_build() { # TREE: meson + ninja, once
	if [ ! -x "$1/build/app/pktgen" ]; then
		echo "bench-pktgen: building pktgen in $1 (a few minutes, once)" >&2
		(cd "$1" && { [ -f build/build.ninja ] || meson setup build >"$out/pktgen-build.log" 2>&1; } &&
			ninja -C build >>"$out/pktgen-build.log" 2>&1) ||
			{ echo "bench-pktgen: pktgen build failed, see $out/pktgen-build.log" >&2; exit 1; }
	fi
	PKTGEN=$1/build/app/pktgen
}
if [ -f "$pktgen_src" ] && [ -x "$pktgen_src" ]; then
	PKTGEN=$(cd "$(dirname "$pktgen_src")" && pwd)/$(basename "$pktgen_src")
elif [ -d "$pktgen_src" ] && [ -f "$pktgen_src/meson.build" ]; then
	pktgen_build "$(cd "$pktgen_src" && pwd)"
elif [ -f "$pktgen_src" ] && tar tzf "$pktgen_src" >/dev/null 2>&1; then
	# awk reads the whole listing: head would close the pipe on tar (SIGPIPE, pipefail).
	top=$(tar tzf "$pktgen_src" | awk -F/ 'NR == 1 { print $1 }')
	mkdir -p "$out/pktgen"
	[ -d "$out/pktgen/$top" ] || tar xzf "$pktgen_src" -C "$out/pktgen"
	pktgen_build "$out/pktgen/$top"
else
	echo "bench-pktgen: '$pktgen_src' is neither a pktgen binary, a pktgen source tree nor its tarball." >&2
	echo "  pktgen-dpdk 23.03 builds against Debian 12's DPDK 22.11: pktgen-dpdk-23.03.0.tar.gz" >&2
	exit 1
fi

# --- the bed ----------------------------------------------------------------
tag=$$
ns=mpnpg$tag
m0=mpn0p$tag m1=mpn1p$tag   # mpnorm's ends, root namespace
p0=pg0p$tag p1=pg1p$tag     # pktgen's ends, in $ns
work=$out/pktgen-run
mpn_prefix=mpn-pgb-$tag pg_prefix=pg-pgb-$tag
sock=$work/mpnorm.sock
mpn_pid= pg_pid=
cleanup() {
	set +e
	[ -n "$pg_pid" ] && kill "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null
	[ -n "$mpn_pid" ] && kill -TERM "$mpn_pid" 2>/dev/null && wait "$mpn_pid" 2>/dev/null
	ip link del "$m0" 2>/dev/null
	ip link del "$m1" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "/var/run/dpdk/$mpn_prefix" "/var/run/dpdk/$pg_prefix"
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"
ip netns add "$ns"
for pair in "$m0:$p0" "$m1:$p1"; do
	m=${pair%:*} p=${pair#*:}
	ip link add "$m" type veth peer name "$p" netns "$ns"
	# No IPv6 on the bed: the kernel's own ND and MLD frames would add to the counts.
	sysctl -qw "net.ipv6.conf.$m.disable_ipv6=1"
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$p.disable_ipv6=1"
	ip link set "$m" up
	ip -n "$ns" link set "$p" up
	# Offloads off, or af_packet hands over 64 KB frames with partial checksums.
	ethtool -K "$m" tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
	ip netns exec "$ns" ethtool -K "$p" tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
done

# --- the capture, and mpnorm sized for it ---------------------------------
pcap=$work/mptcp.pcap
"$GEN" --connections "$connections" --subflows 2 --data "$data" -o "$pcap" 2>"$work/gen.log"
cat "$work/gen.log" >&2
npkts=$(capinfos -M -c -T -r "$pcap" | cut -f2)
nsub=$(sed -n 's/.* \([0-9]*\) subflows.*/\1/p' "$work/gen.log")
# One subflow entry per subflow or plain connection, one record per MPTCP
# connection; twice that, so that nothing is evicted for want of room.
tsub=$(( (nsub + connections) * 2 )); [ "$tsub" -lt 65536 ] && tsub=65536
tconn=$(( connections * 2 )); [ "$tconn" -lt 65536 ] && tconn=65536
sed -e "s/iface=mpn0/iface=$m0/" -e "s/iface=mpn1/iface=$m1/" \
	-e "s|socket = \"/run/mpnorm/mpnorm.sock\";|socket = \"$sock\";|" \
	-e "s/subflows = 65536;/subflows = $tsub;/" -e "s/connections = 65536;/connections = $tconn;/" \
	config/examples/af-packet.conf >"$work/mpnorm.conf"
ringargs=
if [ -n "$ring" ]; then
	ringargs=",framecnt=$ring"
	sed -i "s/iface=\(mpn[01]p$tag\)\"/iface=\1$ringargs\"/" "$work/mpnorm.conf"
fi
"$MPNORM" --check-config -c "$work/mpnorm.conf" --json "$work/sizing.json" >/dev/null
mpn_mem=$(jq -r .nohuge_mb "$work/sizing.json")
# pktgen 23.03 makes five pools of 24576 10 KB mbufs per port (2.9 GB for
# two ports whatever the capture, measured) and one pool that holds the
# whole capture: at least 24576 mbufs (the capture repeated), each the
# largest frame plus 320 bytes, packed into 4 KB pages under --no-huge.
maxlen=$(python3 - "$pcap" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb")
f.read(24)
m = 0
while True:
    h = f.read(16)
    if len(h) < 16:
        break
    incl = struct.unpack("<IIII", h)[2]
    m = max(m, incl)
    f.seek(incl, 1)
print(m)
PY
)
elts=$npkts; [ "$elts" -lt 24576 ] && elts=$(( 24576 / npkts * npkts ))
obj=$(( maxlen + 320 )); per_page=$(( 4096 / obj )); [ "$per_page" -lt 1 ] && per_page=1
pg_mem=$(( 2880 + (elts / per_page * 4096 + (1 << 20) - 1) / (1 << 20) + 64 ))
echo "bench-pktgen: capture $pcap: $npkts packets, largest frame $maxlen bytes" >&2
echo "bench-pktgen: mpnorm tables $tsub subflows, $tconn connections: --no-huge -m $mpn_mem (mpnorm --check-config)" >&2
echo "bench-pktgen: pktgen -m $pg_mem (2880 MB of its own pools + the capture's pool)" >&2

# --- counters ---------------------------------------------------------------
tel() { echo "$2" | dpdk-telemetry.py -f "$1" 2>/dev/null; }   # PREFIX CMD -> JSON
ctl() { "$CTL" -s "$sock" "$@"; }
vstat() { # NS IFACE -> "rx_packets rx_dropped tx_packets tx_dropped"
	ip ${1:+-n "$1"} -j -s link show "$2" | jq -r '.[0].stats64 | "\(.rx.packets) \(.rx.dropped) \(.tx.packets) \(.tx.dropped)"'
}
# The numbers that move while packets are in flight, on one line.
moving() {
	echo "$(vstat "" "$m0") $(vstat "" "$m1") $(vstat "$ns" "$p1") \
		$(ctl -j show stats | jq -r '"\(.packets_in) \(.packets_out)"') \
		$(ctl -j show ports | jq -r '[.ports[] | ."ring-drop"] | join(" ")') \
		$(tel "$pg_prefix" "/ethdev/stats,1" | jq -r '."/ethdev/stats".ipackets')"
}
settle() { # wait until nothing moves for a second (at most 30 s)
	local a b i
	a=$(moving)
	for i in $(seq 1 30); do
		sleep 1
		b=$(moving)
		[ "$a" = "$b" ] && return 0
		a=$b
	done
	echo "bench-pktgen: counters still moving after 30 s" >&2
	return 1
}

fails=0
results=$work/results.txt
printf '%-6s %9s %8s | %9s %9s %9s %9s %9s | %9s %9s %9s | %9s %9s | %6s %6s %6s | %s\n' \
	"rate%" "pktgen-tx" "tx-Mpps" "veth-drop" "ring-drop" "mpn-rx" "mpn-drop" "mpn-tx" \
	"oerrors" "veth-drop" "pg-ring" "pktgen-rx" "lost" "conns" "joins" "sf" "verdict" | tee "$results"

for rate in $rates; do
	echo "bench-pktgen: rate $rate% ($npkts packets)" >&2
	# mpnorm, fresh, on CPU 1; its main lcore mostly sleeps in the socket poll.
	"$MPNORM" --no-huge -m "$mpn_mem" --no-pci --file-prefix "$mpn_prefix" --lcores '(0,1)@1' \
		--log-level=lib.eal:error -- -c "$work/mpnorm.conf" </dev/null >"$work/mpnorm-$rate.log" 2>&1 &
	mpn_pid=$!
	for _ in $(seq 1 100); do
		ctl -j show ports 2>/dev/null | jq -e '[.ports[] | select(.link == "up")] | length == 2' \
			>/dev/null 2>&1 && break
		kill -0 "$mpn_pid" 2>/dev/null || { cat "$work/mpnorm-$rate.log" >&2; exit 1; }
		sleep 0.2
	done
	ctl clear counters >/dev/null
	read -r a_m0rx a_m0rxd a_m0tx a_m0txd <<<"$(vstat "" "$m0")"
	read -r a_m1rx a_m1rxd a_m1tx a_m1txd <<<"$(vstat "" "$m1")"
	read -r a_p0rx a_p0rxd a_p0tx a_p0txd <<<"$(vstat "$ns" "$p0")"
	read -r a_p1rx a_p1rxd a_p1tx a_p1txd <<<"$(vstat "$ns" "$p1")"
	a_oerr=$(tel "$mpn_prefix" "/ethdev/stats,1" | jq -r '."/ethdev/stats".oerrors')

	# pktgen, fresh, on CPU 0: replay the capture once at this rate.
	cat >"$work/pktgen-$rate.pkt" <<PKT
set 0 count $npkts
set 0 rate $rate
enable 0 pcap
start 0
sleep 3600
PKT
	ip netns exec "$ns" "$PKTGEN" --lcores '(0,1)@0' --no-huge -m "$pg_mem" --no-pci \
		--file-prefix "$pg_prefix" --vdev "net_af_packet0,iface=$p0$ringargs" \
		--vdev "net_af_packet1,iface=$p1$ringargs" \
		-- -P -m '1.[0-1]' -s "0:$pcap" -f "$work/pktgen-$rate.pkt" </dev/null >"$work/pktgen-$rate.log" 2>&1 &
	pg_pid=$!
	# pktgen's tx counter every 10 ms over one telemetry connection: the
	# time from its first packet to its last gives the rate it reached.
	if ! txspan=$(python3 - "/var/run/dpdk/$pg_prefix/dpdk_telemetry.v2" "$npkts" "$pg_pid" <<'PY'
import json, os, socket, sys, time
path, want, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.time() + 180
s = None
while s is None and time.time() < deadline:
    os.kill(pid, 0)                      # pktgen died: an exception, exit 1
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        s.recv(4096)                     # the greeting
    except OSError:
        s = None
        time.sleep(0.05)
first = None
while time.time() < deadline:
    s.send(b"/ethdev/stats,0")
    tx = json.loads(s.recv(1 << 16))["/ethdev/stats"]["opackets"]
    now = time.time()
    if tx > 0 and first is None:
        first = now
    if tx >= want:
        print("%.6f %.6f" % (first, now))
        sys.exit(0)
    time.sleep(0.01)
sys.exit(1)
PY
	); then
		tr -d '\033' <"$work/pktgen-$rate.log" | tail -20 >&2
		echo "bench-pktgen: pktgen did not send $npkts packets in 3 minutes" >&2
		exit 1
	fi
	read -r t_first t_last <<<"$txspan"
	settle || true

	# Every counter, once nothing moves.
	pg0=$(tel "$pg_prefix" "/ethdev/stats,0")
	pg1=$(tel "$pg_prefix" "/ethdev/stats,1")
	pgring=$(ip netns exec "$ns" python3 scripts/afpacket-ring-stats.py "$(pgrep -P "$pg_pid" -x pktgen || echo "$pg_pid")")
	ctl -j show stats >"$work/stats-$rate.json"
	ctl -j show ports >"$work/ports-$rate.json"
	ctl -j show drops >"$work/drops-$rate.json"
	ctl -j show tracking >"$work/tracking-$rate.json"
	conns=$(ctl -j show connections limit 0 | jq -r .connections)
	ctl -j show subflows >"$work/subflows-$rate.json"
	b_oerr=$(tel "$mpn_prefix" "/ethdev/stats,1" | jq -r '."/ethdev/stats".oerrors')
	read -r b_m0rx b_m0rxd b_m0tx b_m0txd <<<"$(vstat "" "$m0")"
	read -r b_m1rx b_m1rxd b_m1tx b_m1txd <<<"$(vstat "" "$m1")"
	read -r b_p0rx b_p0rxd b_p0tx b_p0txd <<<"$(vstat "$ns" "$p0")"
	read -r b_p1rx b_p1rxd b_p1tx b_p1txd <<<"$(vstat "$ns" "$p1")"
	kill "$pg_pid" 2>/dev/null; wait "$pg_pid" 2>/dev/null || true; pg_pid=
	kill -TERM "$mpn_pid"; wait "$mpn_pid" || true; mpn_pid=
	rm -rf "/var/run/dpdk/$mpn_prefix" "/var/run/dpdk/$pg_prefix"

	j() { jq -r "$1" <<<"$2"; }
	g_tx=$(j '."/ethdev/stats".opackets' "$pg0"); g_txerr=$(j '."/ethdev/stats".oerrors' "$pg0")
	g_rx=$(j '."/ethdev/stats".ipackets' "$pg1")
	pr_pk=$(j ".\"$p1\".packets // 0" "$pgring"); pr_dr=$(j ".\"$p1\".drops // 0" "$pgring")
	p=$work/ports-$rate.json
	m_rx0=$(jq -r '.ports[] | select(.name == "net_af_packet0") | .rx' "$p")
	m_rd0=$(jq -r '.ports[] | select(.name == "net_af_packet0") | ."ring-drop"' "$p")
	m_kr0=$(jq -r '.af_packet_rings[] | select(.name == "net_af_packet0") | ."kernel-rx"' "$p")
	m_tx1=$(jq -r '.ports[] | select(.name == "net_af_packet1") | .tx' "$p")
	m_in=$(jq -r .packets_in "$work/stats-$rate.json")
	m_out=$(jq -r .packets_out "$work/stats-$rate.json")
	m_drop=$(jq -r .packets_dropped "$work/stats-$rate.json")
	oerr=$(( b_oerr - a_oerr ))
	d_p0tx=$(( b_p0tx - a_p0tx )) d_p0txd=$(( b_p0txd - a_p0txd ))
	d_m0rx=$(( b_m0rx - a_m0rx ))
	d_m1tx=$(( b_m1tx - a_m1tx )) d_m1txd=$(( b_m1txd - a_m1txd ))
	d_p1rx=$(( b_p1rx - a_p1rx ))
	joins=$(jq -r ".joins_verified // 0" "$work/tracking-$rate.json")
	sf=$(jq -r '.subflows | length' "$work/subflows-$rate.json")

	# Stage by stage: each equation must hold exactly.
	bad=()
	stage() { [ "$2" -eq "$3" ] || bad+=("$1: $2 != $3"); }
	stage "pktgen tx = $p0 sent + dropped" "$g_tx" $(( d_p0tx + d_p0txd + g_txerr ))
	stage "$m0 received = mpnorm's ring offered" "$d_m0rx" "$m_kr0"
	stage "ring offered = mpnorm rx + ring-drop" "$m_kr0" $(( m_rx0 + m_rd0 ))
	stage "mpnorm rx (port 0) = packets_in" "$m_rx0" "$m_in"
	stage "mpnorm in = out + dropped" "$m_in" $(( m_out + m_drop ))
	stage "mpnorm tx (port 1) = $m1 sent + dropped + oerrors" "$m_tx1" $(( d_m1tx + d_m1txd + oerr ))
	stage "$p1 received = pktgen's ring offered" "$d_p1rx" "$pr_pk"
	stage "pktgen's ring offered = pktgen rx + ring-drop" "$pr_pk" $(( g_rx + pr_dr ))
	drops=$(( d_p0txd + g_txerr + m_rd0 + m_drop + d_m1txd + oerr + pr_dr ))
	lost=$(( g_tx - g_rx - drops ))
	stage "end to end: pktgen tx = pktgen rx + every counted drop" "$g_tx" $(( g_rx + drops ))
	mpps=$(awk -v n="$g_tx" -v a="$t_first" -v b="$t_last" 'BEGIN { d = b - a; printf "%.3f", (d > 0.05 ? n / d / 1e6 : 0) }')
	verdict=OK
	[ ${#bad[@]} -eq 0 ] || verdict=UNACCOUNTED
	printf '%-6s %9d %8s | %9d %9d %9d %9d %9d | %9d %9d %9d | %9d %9d | %6d %6s %6d | %s\n' \
		"$rate" "$g_tx" "$mpps" $(( d_p0txd + g_txerr )) "$m_rd0" "$m_in" "$m_drop" "$m_out" \
		"$oerr" "$d_m1txd" "$pr_dr" "$g_rx" "$lost" "$conns" "$joins" "$sf" "$verdict" | tee -a "$results"
	if [ ${#bad[@]} -gt 0 ]; then
		fails=$((fails + 1))
		{
			echo "!!! bench-pktgen: PACKETS UNACCOUNTED FOR at rate $rate%:"
			printf '!!!   %s\n' "${bad[@]}"
		} | tee -a "$results" >&2
	fi
	# What mpnorm dropped, by reason.
	jq -r '.reasons[]? | "       mpnorm \(.reason): dropped \(.dropped), rewritten \(.rewritten)"' \
		"$work/drops-$rate.json" | tee -a "$results"
done
echo
echo "pktgen-tx: what pktgen sent (port 0); tx-Mpps: its rate from first to last packet (10 ms polls)."
echo "veth-drop (first): lost between pktgen and mpn0; ring-drop: lost in mpnorm's kernel af_packet ring"
echo "before mpnorm saw it; mpn-drop: dropped by mpnorm's policy or a full TX queue, by reason above;"
echo "oerrors: refused by mpnorm's af_packet PMD on TX; veth-drop (second): lost between mpn1 and pg1;"
echo "pg-ring: lost in pktgen's own kernel ring; lost: pktgen-tx - pktgen-rx - every drop (must be 0)."
echo "conns: MPTCP connections mpnorm tracks at the end; joins: joins verified; sf: their subflows."
echo "Results and logs: $work"
if [ "$fails" -gt 0 ]; then
	echo "bench-pktgen: FAILED: packets unaccounted for in $fails run(s)" >&2
	exit 1
fi
