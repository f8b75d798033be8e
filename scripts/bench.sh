#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Benchmarks that print figures (doc/benchmark.md). Nothing here asserts a
# time: the machine may be shared and noisy. Every figure comes with its
# baseline, measured in the same run on the same packets, as a median with
# its minimum and maximum.
#
#   scripts/bench.sh [--quick] [--out DIR] [--build DIR] [--tsc-hz HZ]
#                    [--only pipeline|callgrind|e2e] [--sizes "N ..."] [--rounds N]
#
#  1. pipeline: app/mpnorm-bench at 1K, 64K and 1M tracked subflows, 0% and
#     100% of the data rewritten, 1 and 2 workers (and their ratio), and
#     tables.tracking off at 64K; baseline: a forwarder's loop (RX and TX
#     rings over a dense mbuf set, headers touched) on the same packets.
#     Also new subflows/s and verified joins/s per worker.
#  2. callgrind: instructions per packet of the pipeline and of the baseline
#     at 64K subflows (repeatable from run to run, unlike cycles), and the
#     top functions (test/bench/callgrind_pipeline.sh).
#  3. end to end: dpdk-testpmd in io mode and mpnorm, alternated ROUNDS
#     times (5; 1 with --quick) on the same vdevs (net_pcap replaying the
#     capture of mpnorm-gen in a loop, into net_null), one forwarding core,
#     burst 32, the same rings and mbuf count, at 1K, 64K and 1M subflows
#     (64K also with tables.tracking off). Without --quick the runs use 2 MB
#     hugepages: the script reserves what mpnorm --check-config says the
#     configuration needs (mounting hugetlbfs at a private mount point if
#     none is mounted) and gives back what it changed at exit. The 1M
#     capture (5.2M packets, each held in an mbuf) needs ~16 GB: under
#     --no-huge it does not fit, so if the hugepages cannot be had, 1M is
#     skipped and the reason printed.
#
# TSC cycles per packet: the TSC rate (DPDK's measure, or --tsc-hz) over the
# packets per second of the one forwarding core. TSC ticks are not core
# cycles (turbo, power saving).
#
# Output in DIR (default bench-out/): results.md (all tables), pipeline.csv,
# e2e.csv, mpps.png (Mpps against tracked subflows), callgrind/ (profiles).
# --quick: small sizes, one repetition, one round, end to end at 64K only: checks
# the harness in a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=bench-out
build=build
quick=0
only=all
tsc_hz=
opt_sizes=
opt_rounds=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--out) out=$2; shift ;;
	--build) build=$2; shift ;;
	--only) only=$2; shift ;;
	--tsc-hz) tsc_hz=$2; shift ;;
	--sizes) opt_sizes=$2; shift ;;
	--rounds) opt_rounds=$2; shift ;;
	-h|--help) sed -n '3,38p' "$0"; exit 0 ;;
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
	sizes="1024 65536"; reps=1; packets=200000; e2e_secs=2; rounds=1
	cg_subflows=8192; cg_packets=20000; rewrites="0"; e2e_sizes="65536"
else
	sizes="1024 65536 1048576"; reps=5; packets=2000000; e2e_secs=5; rounds=5
	cg_subflows=65536; cg_packets=200000; rewrites="0 100"; e2e_sizes=$sizes
fi
max_workers=1
[ "$ncpu" -ge 2 ] && max_workers=2
[ -n "$opt_sizes" ] && sizes=$opt_sizes && e2e_sizes=$opt_sizes
[ -n "$opt_rounds" ] && rounds=$opt_rounds
workers_list=$(seq 1 "$max_workers")

pids=()
huge_dir=
huge_mounted=
huge_old=
huge_sys=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# Give back the hugepages and the mount this run took, and only those.
	if [ -n "$huge_dir" ]; then
		rm -f "$huge_dir/$prefix"* 2>/dev/null || true
	fi
	if [ -n "$huge_old" ]; then
		echo "$huge_old" >"$huge_sys" 2>/dev/null || true
		echo "bench.sh: nr_hugepages back to $huge_old" >&2
	fi
	if [ -n "$huge_mounted" ]; then
		umount "$huge_mounted" 2>/dev/null || true
		rmdir "$huge_mounted" 2>/dev/null || true
	fi
	rm -rf "$out/tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$out/tmp"

# The TSC rate: --tsc-hz, else DPDK's measure (mpnorm-bench prints it).
if [ -z "$tsc_hz" ]; then
	tsc_hz=$("$BENCH" --no-huge -m 256 --no-pci --no-telemetry --file-prefix "$prefix-hz" -l 0 \
		--log-level=warning -- -c "$conf" --subflows 1024 --packets 2048 --reps 1 2>&1 >/dev/null |
		sed -n 's/.*TSC \([0-9]*\) MHz.*/\1/p' | head -n 1)
	tsc_hz=$((tsc_hz * 1000000))
fi
[ "$tsc_hz" -gt 0 ] || { echo "bench.sh: cannot tell the TSC rate: give --tsc-hz" >&2; exit 1; }

md=$out/results.md
{
	echo "# mpnorm benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "- host: $(uname -r), $ncpu CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "- mpnorm $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown), build: $build"
	echo "- policy: $conf (MPTCP allowed, joins verified, ADD_ADDR policed)"
	echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- TSC $((tsc_hz / 1000000)) MHz. TSC ticks count at this fixed rate, not the core's clock (turbo, power saving): \"cycles\" are TSC cycles."
	echo
} >"$md"

# --- 1. pipeline ------------------------------------------------------------
csv=$out/pipeline.csv
if [ "$only" = all ] || [ "$only" = pipeline ]; then
echo "label,tracking,tracked,rewrite,workers,base_mpps,base_mpps_min,base_mpps_max,pipe_mpps,pipe_mpps_min,pipe_mpps_max,base_cyc,pipe_cyc,pipe_cyc_min,pipe_cyc_max,cost_cyc,cost_min,cost_max,new_subflows_s,joins_s_worker,joins_s_worker_min,joins_s_worker_max,drops,joins_verified,data_pkts,tsc_hz,on_cpu,pipe_cyc_cpu,cost_cpu,cost_cpu_min,cost_cpu_max,joins_s_worker_cpu" >"$csv"
{
	echo "## Pipeline: mpn_pipeline_run() against a forwarder's loop"
	echo
	echo "Both loops receive from a 1024-slot ring refilled from the mempool, copy each frame in"
	echo "(as a NIC's DMA would) and send into a 1024-slot ring freed 32 at a time; the baseline"
	echo "only swaps the MACs and reads the TTL. \"Extra\" is the difference in TSC cycles per packet"
	echo "per worker. Medians (min-max) of $reps repetitions. Verified joins/s per worker counts"
	echo "MP_JOIN subflows whose SYN/ACK and ACK HMACs were checked, over the join phase (all its"
	echo "packets, not only the HMACs)."
	echo
	echo "The \"on CPU\" columns come from the workers' thread CPU time (CLOCK_THREAD_CPUTIME_ID) at"
	echo "the TSC rate: they leave out the time a shared host ran other processes; \"on CPU\" is"
	echo "the share of wall time the workers ran."
	echo
	echo "| scenario | tracking | subflows tracked | rewritten | workers | baseline Mpps | pipeline Mpps | baseline cyc/pkt | pipeline cyc/pkt | extra cyc/pkt | new subflows/s | verified joins/s per worker | drops | on CPU | pipeline cyc/pkt on CPU | extra cyc/pkt on CPU | verified joins/s per worker on CPU |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >>"$md"
scal=$out/tmp/scaling.md
: >"$scal"
run_pipeline() {   # label subflows rewrite tracking
	local label=$1 n=$2 rw=$3 tr=$4 mem=2048
	echo "bench.sh: pipeline $label" >&2
	[ "$n" -ge 1000000 ] && mem=6144
	"$BENCH" --no-huge -m "$mem" --no-pci --no-telemetry --file-prefix "$prefix" \
		-l "0-$((max_workers - 1))" --log-level=warning -- -c "$conf" --subflows "$n" \
		--rewrite "$rw" --workers "$max_workers" --reps "$reps" --packets "$packets" \
		--tracking "$tr" --tsc-hz "$tsc_hz" --csv "$csv" --label "$label" \
		>"$out/tmp/bench.md" 2>"$out/tmp/bench.err" ||
		{ cat "$out/tmp/bench.err" >&2; exit 1; }
	grep '^| [^s-]' "$out/tmp/bench.md" | grep -v '^| scenario' >>"$md" || true
	sed -n "s/^2 workers against 1 (pipeline Mpps, medians): \(.*\)$/| $label | \1 |/p" \
		"$out/tmp/bench.md" >>"$scal"
	grep -h "WARNING" "$out/tmp/bench.err" >&2 || true
}
for n in $sizes; do
	for rw in $rewrites; do
		run_pipeline "${n}-rw${rw}" "$n" "$rw" on
	done
done
run_pipeline "65536-rw0-tracking-off" 65536 0 off
if [ -s "$scal" ]; then
	{
		echo
		echo "2 workers against 1 (pipeline Mpps, medians; on CPU: 2 x one worker's on-CPU cycles/packet"
		echo "over each of two workers', the ratio if each worker had a core of its own):"
		echo
		echo "| scenario | ratio |"
		echo "|---|---|"
		cat "$scal"
	} >>"$md"
fi
fi

# --- 2. callgrind ----------------------------------------------------------
if [ "$only" != all ] && [ "$only" != callgrind ]; then
	:
elif command -v valgrind >/dev/null; then
	echo "bench.sh: callgrind at $cg_subflows subflows" >&2
	{
		echo
		echo "## Instructions per packet"
		echo
		test/bench/callgrind_pipeline.sh "$build" "$cg_subflows" "$cg_packets" "$out/callgrind"
	} >>"$md"
else
	echo "bench.sh: valgrind not installed: no instruction counts" >&2
fi

# --- 3. end to end -----------------------------------------------------------
e2ecsv=$out/e2e.csv
if [ "$only" = all ] || [ "$only" = e2e ]; then
echo "subflows,program,round,mpps_rx,mpps_tx,tsc_cyc_pkt,drops,secs,memory,oncpu_cyc_pkt,load1" >"$e2ecsv"
e2e_rxd=1024
# mpnorm's configuration for one run: the shipped policy, vdev ports, tables
# sized for the capture.
make_conf() {   # file pcap mbufs tracking subflows connections
	sed -n '/^tcp-maps/,$p' "$conf" >"$out/tmp/policy.conf"
	cat >"$1" <<CONF
dataplane = { workers = 1; burst = 32; mbufs = $3; rx_desc = $e2e_rxd; tx_desc = $e2e_rxd; };
control = { socket = "$out/tmp/mpnorm.sock"; };
tables = { tracking = "$4"; subflows = $5; connections = $6; };
ports = (
  { name = "net_pcap0"; devargs = "rx_pcap=$2,infinite_rx=1"; },
  { name = "net_null0"; devargs = "no-rx=1"; }
);
links = ( { name = "bench"; inside = "net_pcap0"; outside = "net_null0"; } );
CONF
	cat "$out/tmp/policy.conf" >>"$1"
}
# MiB of EAL memory a configuration needs, as mpnorm --check-config measures
# it: "huge" (the total, in 2 MB hugepages) or "nohuge" (its --no-huge -m,
# where every mbuf takes a 4 KiB page).
conf_mem() {   # file huge|nohuge
	local cc
	cc=$("$MPNORM" --check-config -c "$1" 2>&1) || { echo "$cc" >&2; return 1; }
	if [ "$2" = huge ]; then
		echo "$cc" | awk '$1 == "total" { printf "%d\n", $2 + 0.999 }'
	else
		echo "$cc" | sed -n 's/.*--no-huge -m \([0-9]*\).*/\1/p'
	fi
}
# Reserve 2 MB hugepages for MiB $1 if the host can spare them (keeping
# 4 GiB for everyone else). Sets huge_dir. Returns non-zero with the reason
# on stderr if not.
huge_reserve() {
	local need_mb=$1 pages have avail_mb more
	pages=$(( (need_mb + 1) / 2 + 32 ))
	if [ ! -w "$huge_sys" ]; then
		echo "cannot write $huge_sys (not root?)" >&2
		return 1
	fi
	if [ -z "$huge_dir" ]; then
		huge_dir=$(awk '$3 == "hugetlbfs" && ($4 ~ /pagesize=2M/ || $4 !~ /pagesize=/) { print $2; exit }' /proc/mounts)
		if [ -z "$huge_dir" ]; then
			mkdir -p "$out/huge-$$"
			if ! mount -t hugetlbfs -o pagesize=2M nodev "$out/huge-$$"; then
				rmdir "$out/huge-$$"
				echo "cannot mount hugetlbfs" >&2
				return 1
			fi
			huge_dir=$out/huge-$$
			huge_mounted=$huge_dir
		fi
	fi
	have=$(cat "$huge_sys")
	[ -n "$huge_old" ] || huge_old=$have
	[ "$have" -ge "$((huge_old + pages))" ] && return 0
	# MemAvailable leaves out the pages this run reserved already: count only
	# the ones still to take.
	avail_mb=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	more=$((huge_old + pages - have))
	if [ "$avail_mb" -lt $((more * 2 + 4096)) ]; then
		echo "$((pages * 2)) MiB of hugepages wanted ($((more * 2)) MiB more than this run holds), $avail_mb MiB available: not enough to keep 4 GiB for the others" >&2
		return 1
	fi
	echo "$((huge_old + pages))" >"$huge_sys" || true
	have=$(cat "$huge_sys")
	if [ "$have" -lt "$((huge_old + pages))" ]; then
		echo "asked for $pages pages of 2 MB, the kernel gave $((have - huge_old)) (fragmented memory)" >&2
		return 1
	fi
	echo "bench.sh: reserved $pages hugepages of 2 MB at $huge_dir (nr_hugepages $huge_old -> $have)" >&2
	return 0
}
# The EAL memory options for MiB $1: hugepages if reserved, else --no-huge.
eal_mem() {
	if [ "$2" = huge ]; then
		echo "--huge-dir $huge_dir --huge-unlink -m $1"
	else
		echo "--no-huge -m $1"
	fi
}
# Connections for N subflows: 90% of connections are MPTCP with 2 subflows.
conns_for() { echo $(( ($1 * 10 + 18) / 19 )); }
data_for() {
	if [ "$1" -ge 1000000 ]; then echo 2
	elif [ "$1" -ge 65536 ]; then echo 4
	else echo 64; fi
}
# Nanoseconds a process's forwarding lcore thread (DPDK names it rte-worker-N)
# has been on a CPU (/proc/PID/task/TID/schedstat, first field). On a shared
# host the wall-clock rate counts the time the kernel ran others; this does not.
fwd_cpu_ns() {   # pid
	local t best=0 v
	for t in /proc/"$1"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in
		rte-worker-*|lcore-worker-*)
			v=$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null || echo 0)
			[ "${v:-0}" -gt "$best" ] && best=$v ;;
		esac
	done
	echo "$best"
}
# The rate of testpmd io: Tx-pps of port 1 (net_null) in the last full
# stats period (the first one includes the start-up). testpmd without -i
# waits on its stdin (a FIFO kept open) and stops cleanly on SIGINT, which
# timeout sends; loading the 1M capture takes a minute or more. net_null's no-rx: the sink sends nothing back.
rate_testpmd() {   # pcap mbufs memopts
	local log=$out/tmp/testpmd.log fifo=$out/tmp/testpmd.stdin
	rm -f "$fifo"
	mkfifo "$fifo"
	# shellcheck disable=SC2086
	timeout -s INT $((3 * e2e_secs + 300)) "$TESTPMD" $3 --no-pci \
		--no-telemetry --file-prefix "$prefix-t" -l 0-1 --log-level=warning \
		--vdev "net_pcap0,rx_pcap=$1,infinite_rx=1" --vdev net_null0,no-rx=1 -- \
		--forward-mode=io --nb-cores=1 --burst=32 --rxd=$e2e_rxd --txd=$e2e_rxd \
		--total-num-mbufs="$2" --stats-period "$e2e_secs" \
		<"$fifo" >"$log" 2>&1 &
	local tp=$!
	# testpmd's stdin stays open (it quits at EOF) while fd 7 holds the FIFO.
	exec 7>"$fifo"
	pids+=("$tp")
	# Wait for three stats periods after forwarding started.
	local i
	for i in $(seq 1 600); do
		[ "$(grep -c 'Tx-pps:' "$log" 2>/dev/null)" -ge 6 ] && break
		kill -0 "$tp" 2>/dev/null || break
		sleep 0.5
	done
	# The forwarding thread's CPU time over the whole run, and (below) the
	# packets it sent in it: on-CPU cycles per packet. The thread idles in a
	# blocking wait until forwarding starts.
	local tpid cpu
	tpid=$(pgrep -P "$tp" -f dpdk-testpmd | head -n 1)
	cpu=$(fwd_cpu_ns "${tpid:-0}")
	kill -INT "$tp" 2>/dev/null || true
	wait "$tp" 2>/dev/null || true
	exec 7>&-
	rm -f "$fifo"
	awk -v cpu="$cpu" -v hz="$tsc_hz" '
		/NIC statistics for port 0/ { p = 0 } /NIC statistics for port 1/ { p = 1 }
		/Rx-pps:/ && p == 0 && $2 > 0 { rx = $2 } /Tx-pps:/ && p == 1 && $2 > 0 { tx = $2 }
		/Accumulated forward statistics for all ports/ { acc = 1 }
		acc && /TX-packets:/ { txn = $2; acc = 0 }
		END { printf "%.4f,%.4f,0,%.1f\n", rx / 1e6, tx / 1e6,
			(txn > 0 && cpu > 0 ? cpu / 1e9 * hz / txn : 0) }' "$log"
}
rate_mpnorm() {   # conf memopts
	local log=$out/tmp/mpnorm.log sock=$out/tmp/mpnorm.sock pid i s1 s2 t1 t2 c1 c2
	rm -f "$sock"
	# shellcheck disable=SC2086
	"$MPNORM" $2 --no-pci --no-telemetry --file-prefix "$prefix-m" -l 0-1 \
		--log-level=warning -- -c "$1" >"$log" 2>&1 &
	pid=$!
	pids+=("$pid")
	for i in $(seq 1 600); do
		[ -S "$sock" ] && "$CTL" -s "$sock" -j show stats >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { tail -n 5 "$log" >&2; echo "0,0,0,0"; return; }
		sleep 0.5
	done
	sleep "$e2e_secs"
	c1=$(fwd_cpu_ns "$pid"); t1=$(date +%s.%N); s1=$("$CTL" -s "$sock" -j show stats)
	sleep "$e2e_secs"
	c2=$(fwd_cpu_ns "$pid"); t2=$(date +%s.%N); s2=$("$CTL" -s "$sock" -j show stats)
	kill -TERM "$pid"
	wait "$pid" || true
	python3 - "$t1" "$t2" "$s1" "$s2" "$c1" "$c2" "$tsc_hz" <<'PY'
import json, sys
t1, t2 = float(sys.argv[1]), float(sys.argv[2])
a, b = json.loads(sys.argv[3]), json.loads(sys.argv[4])
def find(s, k):
    """The counter k wherever the reply nests it."""
    if isinstance(s, dict):
        if k in s:
            return int(s[k])
        for v in s.values():
            r = find(v, k)
            if r is not None:
                return r
    return None
dt = t2 - t1
rx = (find(b, "packets_in") - find(a, "packets_in")) / dt / 1e6
tx = (find(b, "packets_out") - find(a, "packets_out")) / dt / 1e6
drops = find(b, "packets_dropped") - find(a, "packets_dropped")
sent = find(b, "packets_out") - find(a, "packets_out")
cpu_s = (int(sys.argv[6]) - int(sys.argv[5])) / 1e9
oncpu = cpu_s * float(sys.argv[7]) / sent if sent > 0 and cpu_s > 0 else 0
print("%.4f,%.4f,%d,%.1f" % (rx, tx, drops, oncpu))
PY
}
e2e_note=$out/tmp/e2e-notes.md
: >"$e2e_note"
for n in $e2e_sizes; do
	pcap=$out/tmp/gen-$n.pcap
	"$GEN" --connections "$(conns_for "$n")" --subflows 2 --data "$(data_for "$n")" \
		--rewrite 0 -o "$pcap" 2>"$out/tmp/gen.err"
	npk=$(sed -n 's/.* \([0-9]*\) packets (.*/\1/p' "$out/tmp/gen.err")
	nsf=$(sed -n 's/.* \([0-9]*\) subflows, .*/\1/p' "$out/tmp/gen.err")
	ncn=$(sed -n 's/.*: \([0-9]*\) connections.*/\1/p' "$out/tmp/gen.err")
	mbufs=$((npk + 16384))
	tsub=$(( nsf * 5 / 4 > 65536 ? nsf * 5 / 4 : 65536 ))
	tcon=$(( ncn * 5 / 4 > 65536 ? ncn * 5 / 4 : 65536 ))
	make_conf "$out/tmp/e2e-on.conf" "$pcap" "$mbufs" on "$tsub" "$tcon"
	make_conf "$out/tmp/e2e-off.conf" "$pcap" "$mbufs" off "$tsub" "$tcon"
	memkind=nohuge
	mem=$(conf_mem "$out/tmp/e2e-on.conf" nohuge)
	hmem=$(conf_mem "$out/tmp/e2e-on.conf" huge)
	reason="not tried with --quick"
	# Not in $(...): huge_reserve records what it changed, for cleanup.
	if [ "$quick" = 0 ] && huge_reserve "$hmem" 2>"$out/tmp/huge.err"; then
		cat "$out/tmp/huge.err" >&2
		memkind=huge
		mem=$hmem
	else
		[ "$quick" = 1 ] || reason=$(cat "$out/tmp/huge.err")
		if [ "$n" -ge 1000000 ]; then
			echo "- $n subflows: skipped. Under --no-huge every mbuf takes its own 4 KiB page: the capture of $npk packets needs --no-huge -m $mem, more than this host can give; with hugepages it needs $hmem MiB: $reason." | tee -a "$e2e_note" >&2
			rm -f "$pcap"
			continue
		fi
		echo "bench.sh: $n subflows without hugepages: $reason" >&2
	fi
	echo "- $n subflows: $npk packets, $nsf subflows, $ncn connections; $mbufs mbufs; -m $mem, $memkind" >>"$e2e_note"
	progs="testpmd mpnorm"
	[ "$n" = 65536 ] && progs="testpmd mpnorm mpnorm-tracking-off"
	for r in $(seq 1 "$rounds"); do
		for prog in $progs; do
			echo "bench.sh: end to end, $n subflows, round $r, $prog" >&2
			opts=$(eal_mem "$mem" "$memkind")
			case $prog in
			testpmd)
				[ -n "$TESTPMD" ] || continue
				res=$(rate_testpmd "$pcap" "$mbufs" "$opts") ;;
			mpnorm) res=$(rate_mpnorm "$out/tmp/e2e-on.conf" "$opts") ;;
			mpnorm-tracking-off) res=$(rate_mpnorm "$out/tmp/e2e-off.conf" "$opts") ;;
			esac
			IFS=, read -r rx tx drops oncpu <<<"$res"
			cyc=$(awk -v hz="$tsc_hz" -v tx="$tx" 'BEGIN { printf "%.1f", (tx > 0 ? hz / (tx * 1e6) : 0) }')
			echo "$n,$prog,$r,$rx,$tx,$cyc,$drops,$e2e_secs,$memkind,${oncpu:-0},$(cut -d' ' -f1 /proc/loadavg)" >>"$e2ecsv"
		done
	done
	rm -f "$pcap"
done
{
	echo
	echo "## End to end: net_pcap (infinite_rx) to net_null, 1 forwarding core, burst 32"
	echo
	echo "testpmd io and mpnorm alternated $rounds time(s) on the same vdevs and capture (1024 RX and"
	echo "TX descriptors, the same mbuf count). Each rate is over ${e2e_secs} s after a ${e2e_secs} s warm-up;"
	echo "cycles/packet = TSC rate / packets per second out. Medians (min-max) over the rounds;"
	echo "extra = mpnorm's cycles/packet minus testpmd's, per round. On-CPU cycles/packet: the"
	echo "forwarding thread's CPU time (schedstat) at the TSC rate over the packets it sent, which"
	echo "leaves out the time a shared host ran other processes (testpmd: over its whole run)."
	echo
	cat "$e2e_note"
	echo
	echo "| subflows | program | Mpps out | TSC cycles/pkt | extra over testpmd | drops/round | on-CPU cycles/pkt | extra on CPU |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|"
	python3 - "$e2ecsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def fmt(v, p):
    if not v:
        return "n/a"
    return "%.*f (%.*f-%.*f)" % (p, statistics.median(v), p, min(v), p, max(v))
sizes = []
for r in rows:
    if r["subflows"] not in sizes:
        sizes.append(r["subflows"])
for n in sizes:
    progs = []
    for r in rows:
        if r["subflows"] == n and r["program"] not in progs:
            progs.append(r["program"])
    tp = {r["round"]: float(r["tsc_cyc_pkt"]) for r in rows
          if r["subflows"] == n and r["program"] == "testpmd" and float(r["mpps_tx"]) > 0}
    for p in progs:
        rs = [r for r in rows if r["subflows"] == n and r["program"] == p and float(r["mpps_tx"]) > 0]
        mpps = [float(r["mpps_tx"]) for r in rs]
        cyc = [float(r["tsc_cyc_pkt"]) for r in rs]
        extra = [float(r["tsc_cyc_pkt"]) - tp[r["round"]] for r in rs if r["round"] in tp]
        drops = [int(r["drops"]) for r in rs]
        tpc = {r["round"]: float(r["oncpu_cyc_pkt"]) for r in rows
               if r["subflows"] == n and r["program"] == "testpmd" and float(r["oncpu_cyc_pkt"]) > 0}
        onc = [float(r["oncpu_cyc_pkt"]) for r in rs if float(r["oncpu_cyc_pkt"]) > 0]
        extc = [float(r["oncpu_cyc_pkt"]) - tpc[r["round"]] for r in rs
                if r["round"] in tpc and float(r["oncpu_cyc_pkt"]) > 0]
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (n, p, fmt(mpps, 2), fmt(cyc, 0),
              "-" if p == "testpmd" else fmt(extra, 0),
              "-" if p == "testpmd" else "%d" % statistics.median(drops),
              fmt(onc, 0), "-" if p == "testpmd" else fmt(extc, 0)))
PY
} >>"$md"
fi
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$md"

# --- plot ------------------------------------------------------------------
if command -v gnuplot >/dev/null && [ -s "$csv" ] && [ "$(wc -l <"$csv")" -gt 1 ]; then
	gp=$out/tmp/plot.gp
	{
		echo "set terminal png size 900,600"
		echo "set output '$out/mpps.png'"
		echo "set title 'mpnorm pipeline against a forwarder loop (wall clock on a shared host; same run, same packets)'"
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
			for rw in $rewrites; do
				printf "%s\"< awk -F, '\$3>0 && \$4==%d && \$5==%d' %s\" using 3:9 with linespoints lw 2 title 'pipeline, %d%% rewritten, %d worker(s)'" \
					"$sep" "$rw" "$w" "$csv" "$rw" "$w"
				sep=", "
			done
			printf "%s\"< awk -F, '\$3>0 && \$4==0 && \$5==%d' %s\" using 3:6 with linespoints dt 2 title 'baseline, %d worker(s)'" \
				"$sep" "$w" "$csv" "$w"
		done
		echo
	} >"$gp"
	gnuplot "$gp" && echo "plot: $out/mpps.png" >&2
fi
cat "$md"
