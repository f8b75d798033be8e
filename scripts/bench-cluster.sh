#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The token directory's figures (doc/cluster.md §9): publications per second
# per box, and fetch latency (median, p90, p99) as a worker sees it, with
# the store local and behind added delay.
#
#   sudo scripts/bench-cluster.sh [--connections N] [--fetches N] [--delays "0.1 1"]
#
# Rows:
#   local unix socket     redis-server in a temporary directory
#   veth, +0 ms           redis-server in its own namespace (mpnbc-PID), over a veth
#   veth, netem +D ms     the same, with tc netem delay D ms on both veth ends;
#                         or, on a kernel without sch_netem, through
#   relay, +D ms          test/bench/delay_proxy.py, which holds every byte D ms
#                         each way (its own cost: the "+0 ms" relay row)
# The namespace, the veth and the redis-servers are this script's own
# (named with its pid) and removed on exit. Addresses: 10.89.255.0/24 only.
# Run it under the project's shared lock when others use the machine:
#   flock /tmp/mpnorm-live.lock scripts/bench-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."

conns=100000
fetches=20000
delays="0.1 1"
while [ $# -gt 0 ]; do
	case $1 in
	--connections) conns=$2; shift 2 ;;
	--fetches) fetches=$2; shift 2 ;;
	--delays) delays=$2; shift 2 ;;
	*) echo "usage: $0 [--connections N] [--fetches N] [--delays \"D1 D2\"]" >&2; exit 2 ;;
	esac
done
bench=build/test/bench/cluster_bench
[ -x "$bench" ] || scripts/build.sh >/dev/null
command -v redis-server >/dev/null || { echo "bench-cluster: redis-server not installed (scripts/install-deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/mpn-bench-cluster.XXXXXX)
ns=mpnbc-$$
veth=mpnbc$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$veth" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_pong() { # redis-cli args...
	local i
	for i in $(seq 1 100); do "$@" PING 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
	echo "bench-cluster: redis-server did not answer" >&2
	return 1
}

results=()
run() { # LABEL STORE [FETCHES]
	local out
	out=$("$bench" "$2" "$conns" "${3:-$fetches}" 2>/dev/null)
	echo "$out" | sed "s/^/[$1] /"
	results+=("$1|$(sed -nE 's/.*: ([0-9]+) publications\/s.*/\1/p' <<<"$out")|$(sed -nE \
		's/.*median ([0-9.]+) us, p90 ([0-9.]+) us, p99 ([0-9.]+) us.*/\1|\2|\3/p' <<<"$out")")
}

# 1. Local, unix socket.
redis-server --port 0 --unixsocket "$tmp/redis.sock" --save "" --appendonly no --dir "$tmp" \
	--logfile "$tmp/redis-local.log" </dev/null &
pids+=($!)
wait_pong redis-cli -s "$tmp/redis.sock"
run "local unix socket" "unix:$tmp/redis.sock"

# 2. Over a veth, into the store's own namespace, with and without delay.
if [ "$(id -u)" -ne 0 ]; then
	echo "bench-cluster: not root: the veth and netem rows need a network namespace" >&2
else
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "$veth" type veth peer name r0 netns "$ns"
	sysctl -qw "net.ipv6.conf.$veth.disable_ipv6=1" 2>/dev/null || true
	ip addr add 10.89.255.1/24 dev "$veth"
	ip link set "$veth" up
	ip -n "$ns" addr add 10.89.255.2/24 dev r0
	ip -n "$ns" link set r0 up
	ip netns exec "$ns" redis-server --bind 10.89.255.2 --port 6379 --protected-mode no \
		--save "" --appendonly no --dir "$tmp" --logfile "$tmp/redis-ns.log" </dev/null &
	pids+=($!)
	wait_pong redis-cli -h 10.89.255.2 -p 6379
	run "veth, +0 ms" 10.89.255.2:6379
	few=$((fetches < 2000 ? fetches : 2000))
	if tc qdisc replace dev "$veth" root netem delay 0ms 2>/dev/null; then
		tc qdisc del dev "$veth" root
		for d in $delays; do
			tc qdisc replace dev "$veth" root netem delay "${d}ms"
			ip netns exec "$ns" tc qdisc replace dev r0 root netem delay "${d}ms"
			redis-cli -h 10.89.255.2 -p 6379 FLUSHALL >/dev/null
			# One at a time, each fetch waits a round trip: fewer of them.
			run "veth, netem +$d ms each way" 10.89.255.2:6379 "$few"
		done
	else
		# This kernel has no sch_netem: a relay in the store's namespace
		# holds every byte D ms in each direction instead. Its own cost is
		# the "+0 ms" relay row.
		echo "bench-cluster: no netem in this kernel; delaying with test/bench/delay_proxy.py" >&2
		lport=7000
		for d in 0 $delays; do
			lport=$((lport + 1))
			ip netns exec "$ns" python3 test/bench/delay_proxy.py 10.89.255.2 "$lport" \
				10.89.255.2 6379 "$d" >"$tmp/proxy-$lport.out" 2>&1 &
			pids+=($!)
			for i in $(seq 1 50); do grep -q ready "$tmp/proxy-$lport.out" && break; sleep 0.1; done
			redis-cli -h 10.89.255.2 -p 6379 FLUSHALL >/dev/null
			run "relay, +$d ms each way" "10.89.255.2:$lport" "$few"
			kill "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}" 2>/dev/null || true
		done
	fi
fi

echo
printf '%-24s %16s %12s %10s %10s\n' "store" "publications/s" "median us" "p90 us" "p99 us"
for r in "${results[@]}"; do
	IFS='|' read -r label pub med p90 p99 <<<"$r"
	printf '%-24s %16s %12s %10s %10s\n' "$label" "$pub" "$med" "$p90" "$p99"
done
echo "(publications: $conns records, 2 SETs each, through one worker's ring; fetches: one at a time,"
echo " $fetches local, at most 2000 behind netem or the relay)"
