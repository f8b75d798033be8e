#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Benchmarks that print figures (doc/benchmark.md). Nothing here asserts a
# time: the machine may be shared and noisy. Every figure comes with its
# baseline, measured in the same run on the same packets, and the ratio.
#
#   scripts/bench.sh [--quick] [--out DIR] [--build DIR] [--only pipeline|callgrind|e2e]
#
#  1. pipeline: app/mpnorm-bench at 1K, 64K and 1M tracked subflows, 0% and
#     100% of the data rewritten, 1 and 2 workers; baseline: a loop that only
#     receives and touches the same packets. Also new subflows and verified
#     joins per second (the SYN/JOIN rate).
#  2. callgrind: instructions per packet of the pipeline and of the baseline
#     at 64K subflows (repeatable from run to run, unlike cycles).
#  3. end to end: mpnorm and dpdk-testpmd in io mode, each alone on the same
#     vdevs (net_pcap replaying the generated capture in a loop, into
#     net_null), on the same capture; rate from the forwarding counters.
#
# Output in DIR (default bench-out/): results.md (all tables), pipeline.csv,
# e2e.csv, mpps.png (Mpps against tracked subflows), gen-e2e.pcap (the
# capture, also fit for pktgen). --quick: small sizes and one repetition, to check
# the harness in a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=bench-out
build=build
quick=0
only=all
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--out) out=$2; shift ;;
	--build) build=$2; shift ;;
	--only) only=$2; shift ;;
	-h|--help) sed -n '3,24p' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ ! -x "$build/app/mpnorm-bench/mpnorm-bench" ]; then
	[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
	ninja -C "$build" >/dev/null
fi
BENCH=$build/app/mpnorm-bench/mpnorm-bench
GEN=$build/app/mpnorm-gen/mpnorm-gen
MPNORM=$build/app/mpnorm/mpnorm
CTL=$build/app/mpnormctl/mpnormctl
TESTPMD=$(command -v dpdk-testpmd || true)
conf=$root/config/mpnorm.conf
prefix="mpn-bench-$$"
ncpu=$(nproc)

if [ "$quick" = 1 ]; then
	sizes="1024 65536"; reps=1; packets=200000; e2e_secs=4; cg_packets=20000
else
	sizes="1024 65536 1048576"; reps=5; packets=2000000; e2e_secs=10; cg_packets=200000
fi
workers_list="1"
[ "$ncpu" -ge 2 ] && workers_list="1 2"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$out/tmp"
}
trap cleanup EXIT
mkdir -p "$out/tmp"

md=$out/results.md
{
	echo "# mpnorm benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "- host: $(uname -r), $ncpu CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "- mpnorm $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown), build: $build"
	echo "- policy: $conf (MPTCP allowed, joins verified, ADD_ADDR policed)"
	echo
} >"$md"

# --- 1. pipeline ------------------------------------------------------------
csv=$out/pipeline.csv
[ "$only" = all ] || [ "$only" = pipeline ] &&
	echo "label,tracked,rewrite,workers,base_mpps,pipe_mpps,ratio,base_cyc,pipe_cyc,cost_cyc,new_subflows_s,joins_s,drops,joins_verified,data_pkts" >"$csv"
[ "$only" = all ] || [ "$only" = pipeline ] && {
	echo "## Pipeline: mpn_pipeline_run() against a receive-and-touch loop"
	echo
	echo "Both loops copy each frame into an mbuf (as a NIC's DMA would) and run on the same"
	echo "packets; \"pipeline cost\" is the difference in cycles per packet per worker. Medians of"
	echo "$reps repetitions. New subflows/s counts initial handshakes; verified joins/s counts"
	echo "MP_JOIN subflows whose SYN/ACK and ACK HMACs were checked."
	echo
	echo "| scenario | subflows tracked | rewritten | workers | baseline Mpps | pipeline Mpps | ratio | baseline cyc/pkt | pipeline cyc/pkt | pipeline cost cyc/pkt | new subflows/s | verified joins/s | drops |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >>"$md"
[ "$only" = all ] || [ "$only" = pipeline ] || sizes=""
for n in $sizes; do
	for rw in 0 100; do
		for w in $workers_list; do
			label="${n}-rw${rw}-w${w}"
			echo "bench.sh: pipeline $label" >&2
			mem=2048
			[ "$n" -ge 1000000 ] && mem=6144
			"$BENCH" --no-huge -m "$mem" --no-pci --no-telemetry --file-prefix "$prefix" \
				-l "0-$((w - 1))" --log-level=warning -- -c "$conf" --subflows "$n" \
				--rewrite "$rw" --workers "$w" --reps "$reps" --packets "$packets" \
				--csv "$csv" --label "$label" >"$out/tmp/bench.md" 2>"$out/tmp/bench.err" ||
				{ cat "$out/tmp/bench.err" >&2; exit 1; }
			tail -n 1 "$out/tmp/bench.md" >>"$md"
			grep -h "WARNING" "$out/tmp/bench.err" >&2 || true
		done
	done
done

# --- 2. callgrind ----------------------------------------------------------
if [ "$only" != all ] && [ "$only" != callgrind ]; then
	:
elif command -v valgrind >/dev/null; then
	echo "bench.sh: callgrind at 64K subflows" >&2
	cg=$out/tmp/cg
	mkdir -p "$cg"
	valgrind --tool=callgrind --callgrind-out-file="$cg/cg.out" "$BENCH" --no-huge -m 2048 \
		--no-pci --no-telemetry --file-prefix "$prefix" -l 0 --log-level=warning -- \
		-c "$conf" --subflows 65536 --packets "$cg_packets" \
		>"$cg/stdout" 2>"$cg/stderr" || { tail -n 20 "$cg/stderr" >&2; exit 1; }
	# One dump per phase, in phase order; the packets of each come from
	# mpnorm-bench's stderr line ("N data packets per pass") and the generator's.
	data=$(sed -n 's/.* \([0-9]*\) data packets per pass.*/\1/p' "$cg/stderr")
	setup=$(sed -n 's/.*generated [0-9]* packets (\([0-9]*\) setup).*/\1/p' "$cg/stderr")
	{
		echo
		echo "## Instructions per packet (valgrind --tool=callgrind), 64K subflows, 1 worker"
		echo
		echo "Repeatable from run to run. Setup counts handshakes and joins together per packet."
		echo
		echo "| phase | instructions | packets | instructions/pkt |"
		echo "|---|---:|---:|---:|"
		for f in $(ls "$cg"/cg.out.* | sort -t. -k3 -n); do
			awk -v data="$data" -v setup="$setup" '
				/^desc: Trigger: Client Request: / { phase = $NF }
				/^(summary|totals):/ { ir = $2 }
				END {
					if (phase == "") exit
					n = (phase == "baseline" || phase == "pipeline") ? data : setup
					printf "%s %.0f %d\n", phase, ir, n
				}' "$f"
		done | awk '
			$1 == "handshake" || $1 == "join" { sir += $2; sn = $3; next }
			{ printf "| %s | %.0f | %d | %.1f |\n", $1, $2, $3, $2 / $3; r[$1] = $2 / $3 }
			END {
				if (sn > 0) printf "| setup (handshakes + joins) | %.0f | %d | %.1f |\n", sir, sn, sir / sn
				if ("pipeline" in r) printf "| pipeline minus baseline | | | %.1f |\n", r["pipeline"] - r["baseline"]
			}'
	} >>"$md"
else
	echo "bench.sh: valgrind not installed: no instruction counts" >&2
fi

# --- 3. end to end -----------------------------------------------------------
if [ "$only" = all ] || [ "$only" = e2e ]; then
# net_pcap's infinite_rx holds the whole capture in mbufs: keep it to ~200K
# packets (4K connections, ~7.8K subflows, 32 data segments each) so both
# programs fit in -m 2048.
gen_pcap=$out/gen-e2e.pcap
"$GEN" --connections 4096 --subflows 2 --data 32 --rewrite 0 -o "$gen_pcap" 2>"$out/tmp/gen.err"
e2e_mbufs=280000
e2ecsv=$out/e2e.csv
echo "program,mpps_rx,mpps_tx,secs" >"$e2ecsv"
# The rate of one program: packets counted between two samples $e2e_secs apart.
rate_testpmd() {
	local log=$out/tmp/testpmd.log
	# testpmd without -i waits on its stdin (kept open by the sleep) and
	# stops cleanly on SIGINT, which timeout sends. net_null's no-rx: the
	# sink sends nothing back, so only the capture's packets are forwarded.
	timeout -s INT $((2 * e2e_secs + 6)) "$TESTPMD" --no-huge -m 2048 --no-pci \
		--no-telemetry --file-prefix "$prefix-t" -l 0-1 --log-level=warning \
		--vdev "net_pcap0,rx_pcap=$gen_pcap,infinite_rx=1" --vdev net_null0,no-rx=1 -- \
		--forward-mode=io --nb-cores=1 --total-num-mbufs="$e2e_mbufs" \
		--stats-period "$e2e_secs" < <(sleep $((2 * e2e_secs + 30))) >"$log" 2>&1 || true
	# "Rx-pps:" of port 0 (net_pcap, input) and "Tx-pps:" of port 1 (net_null),
	# from the last full stats period (the first includes the start-up).
	awk '/NIC statistics for port 0/ { p = 0 } /NIC statistics for port 1/ { p = 1 }
		/Rx-pps:/ && p == 0 && $2 > 0 { rx = $2 } /Tx-pps:/ && p == 1 && $2 > 0 { tx = $2 }
		END { printf "testpmd,%.3f,%.3f,%d\n", rx / 1e6, tx / 1e6, '"$e2e_secs"' }' "$log"
}
rate_mpnorm() {
	local log=$out/tmp/mpnorm.log sock=$out/tmp/mpnorm.sock pid i s1 s2 t1 t2
	# The shipped policy, with vdev ports and this run's socket.
	sed -n '/^tcp-maps/,$p' "$conf" >"$out/tmp/policy.conf"
	cat >"$out/tmp/e2e.conf" <<CONF
dataplane = { workers = 1; mbufs = $e2e_mbufs; rx_desc = 1024; tx_desc = 1024; };
control = { socket = "$sock"; };
ports = (
  { name = "net_pcap0"; devargs = "rx_pcap=$gen_pcap,infinite_rx=1"; },
  { name = "net_null0"; devargs = "no-rx=1"; }
);
links = ( { name = "bench"; inside = "net_pcap0"; outside = "net_null0"; } );
CONF
	cat "$out/tmp/policy.conf" >>"$out/tmp/e2e.conf"
	"$MPNORM" --no-huge -m 2048 --no-pci --no-telemetry --file-prefix "$prefix-m" -l 0-1 \
		--log-level=warning -- -c "$out/tmp/e2e.conf" >"$log" 2>&1 &
	pid=$!
	pids+=("$pid")
	for i in $(seq 1 100); do
		[ -S "$sock" ] && break
		sleep 0.2
	done
	sleep "$e2e_secs"
	t1=$(date +%s.%N); s1=$("$CTL" -s "$sock" -j show stats)
	sleep "$e2e_secs"
	t2=$(date +%s.%N); s2=$("$CTL" -s "$sock" -j show stats)
	kill -TERM "$pid"
	wait "$pid" || true
	python3 - "$t1" "$t2" "$s1" "$s2" <<'PY'
import json, sys
t1, t2 = float(sys.argv[1]), float(sys.argv[2])
a, b = json.loads(sys.argv[3]), json.loads(sys.argv[4])
def find(s, k):
    """The counter k wherever the reply nests it."""
    if isinstance(s, dict):
        if k in s:
            return s[k]
        for v in s.values():
            r = find(v, k)
            if r is not None:
                return r
    return None
dt = t2 - t1
rx = (find(b, "packets_in") - find(a, "packets_in")) / dt / 1e6
tx = (find(b, "packets_out") - find(a, "packets_out")) / dt / 1e6
drops = find(b, "packets_dropped") - find(a, "packets_dropped")
print("mpnorm,%.3f,%.3f,%d" % (rx, tx, round(dt)))
sys.stderr.write("bench.sh: mpnorm dropped %d packets in the sampled %.1f s\n" % (drops, dt))
PY
}
if [ -n "$TESTPMD" ]; then
	echo "bench.sh: end to end, testpmd io" >&2
	rate_testpmd >>"$e2ecsv"
fi
echo "bench.sh: end to end, mpnorm" >&2
rate_mpnorm >>"$e2ecsv"
{
	echo
	echo "## End to end: net_pcap (infinite_rx, $(basename "$gen_pcap")) to net_null, 1 forwarding core"
	echo
	echo "Each program alone on the same vdevs and capture. Rates are over ${e2e_secs} s after a ${e2e_secs} s warm-up."
	echo
	echo "| program | Mpps in | Mpps out | x testpmd io |"
	echo "|---|---:|---:|---:|"
	awk -F, 'NR > 1 { rx[$1] = $2; tx[$1] = $3; order[++n] = $1 }
		END { for (i = 1; i <= n; i++) { p = order[i]
			r = ("testpmd" in tx && tx["testpmd"] > 0) ? sprintf("%.2f", tx[p] / tx["testpmd"]) : "n/a"
			printf "| %s | %.2f | %.2f | %s |\n", p, rx[p], tx[p], r } }' "$e2ecsv"
} >>"$md"

fi

# --- plot ------------------------------------------------------------------
if command -v gnuplot >/dev/null; then
	gp=$out/tmp/plot.gp
	{
		echo "set terminal png size 900,600"
		echo "set output '$out/mpps.png'"
		echo "set title 'mpnorm pipeline against its rx+touch baseline (same run, same packets)'"
		echo "set logscale x 2"
		echo "set xtics ('1K' 1024, '4K' 4096, '16K' 16384, '64K' 65536, '256K' 262144, '1M' 1048576)"
		echo "set xlabel 'tracked subflows'"
		echo "set ylabel 'Mpps (all workers)'"
		echo "set logscale y 2"
		echo "set key below"
		echo "set grid"
		echo "set datafile separator ','"
		printf "plot "
		sep=""
		for w in $workers_list; do
			for rw in 0 100; do
				printf "%s\"< awk -F, '\$3==%d && \$4==%d' %s\" using 2:6 with linespoints lw 2 title 'pipeline, %d%% rewritten, %d worker(s)'" \
					"$sep" "$rw" "$w" "$csv" "$rw" "$w"
				sep=", "
			done
			printf "%s\"< awk -F, '\$3==0 && \$4==%d' %s\" using 2:5 with linespoints dt 2 title 'baseline, %d worker(s)'" \
				"$sep" "$w" "$csv" "$w"
		done
		echo
	} >"$gp"
	gnuplot "$gp" && echo "plot: $out/mpps.png" >&2
fi
cat "$md"
