#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# af_packet ring overruns are counted (issue 18). net_af_packet in DPDK 22.11
# leaves imissed at 0; mpnorm reads the kernel's PACKET_STATISTICS of the
# PMD's sockets. Two veths into a namespace of our own; port 0 gets a
# 64-frame ring (devargs framecnt). mpnorm is stopped (SIGSTOP), a burst of
# 2000 frames is sent, mpnorm continues: the ring held at most 64, the
# kernel dropped the rest, and show ports, -j, the telemetry and the exit
# report must say so, with kernel-rx = rx + ring-drop = what the veth
# delivered. Root only (exit 77 otherwise).
. "$SRCDIR/test/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "not root: needs a network namespace and veths"
ns=mpnafp$$
ip netns add "$ns" 2>/dev/null || skip_all "cannot create a network namespace"
a=mafa$$ b=mafb$$
sock=$TMP/mpnorm.sock
prefix=mpn-afp-$$
pid=
cleanup() {
	[ -n "$pid" ] && { kill -CONT "$pid"; kill -TERM "$pid"; wait "$pid"; } 2>/dev/null
	ip link del "$a" 2>/dev/null
	ip link del "$b" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "/var/run/dpdk/$prefix"
	cleanup_runtime
}
trap cleanup EXIT
for i in "$a" "$b"; do
	ip link add "$i" type veth peer name "p$i" netns "$ns"
	# No IPv6: the kernel's own ND and MLD frames would add to the counts.
	sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.p$i.disable_ipv6=1"
	ip link set "$i" up
	ip -n "$ns" link set "p$i" up
	ethtool -K "$i" tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
done
ctl() { "$MPNORMCTL" -s "$sock" "$@"; }
rxp() { cat "/sys/class/net/$1/statistics/rx_packets"; }

cat >"$TMP/afp.conf" <<CONF
dataplane = { workers = 1; mbufs = 4096; rx_desc = 256; tx_desc = 256; };
control = { socket = "$sock"; };
ports = (
  { name = "net_af_packet0"; devargs = "iface=$a,framecnt=64,blocksz=4096,framesz=2048"; },
  { name = "net_af_packet1"; devargs = "iface=$b"; }
);
links = ( { name = "afp"; inside = "net_af_packet0"; outside = "net_af_packet1"; } );
CONF
"$MPNORM" --no-huge -m 512 --no-pci --file-prefix "$prefix" -l 0-1 -- -c "$TMP/afp.conf" \
	</dev/null >"$TMP/mpnorm.log" 2>&1 &
pid=$!
up() { ctl -j show ports 2>/dev/null | jq -e '[.ports[] | select(.link == "up")] | length == 2' >/dev/null; }
for _ in $(seq 1 100); do up && break; sleep 0.1; done
check "mpnorm is up on two af_packet ports" up
port0() { ctl -j show ports | jq -r ".$1[] | select(.name == \"net_af_packet0\") | .\"$2\""; }
wait_rx() { # TARGET: poll until mpnorm's rx on port 0 reaches it
	local i
	for i in $(seq 1 100); do
		[ "$(port0 ports rx)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. A few frames, slowly enough: no loss, and the kernel's count equals ours.
base=$(rxp "$a")
ip netns exec "$ns" "$SRCDIR/test/tools/afp_send.py" "p$a" 20 >/dev/null
delivered=$(($(rxp "$a") - base))
wait_rx "$delivered" || true
check "20 frames: mpnorm received what the veth delivered ($delivered)" [ "$(port0 ports rx)" -eq "$delivered" ]
check "20 frames: no ring drop" [ "$(port0 ports ring-drop)" -eq 0 ]
check "20 frames: kernel-rx = $delivered" [ "$(port0 af_packet_rings kernel-rx)" -eq "$delivered" ]
check "ring-drop is a number on af_packet ports" \
	bash -c "'$MPNORMCTL' -s '$sock' -j show ports | jq -e '.ports | all(.\"ring-drop\" | type == \"number\")' >/dev/null"

# 2. mpnorm stopped, 2000 frames into a 64-frame ring.
ctl clear counters >/dev/null
check "clear counters zeroes the ring counters" [ "$(port0 af_packet_rings kernel-rx)" -eq 0 ]
base=$(rxp "$a")
kill -STOP "$pid"
ip netns exec "$ns" "$SRCDIR/test/tools/afp_send.py" "p$a" 2000 >/dev/null
delivered=$(($(rxp "$a") - base))
kill -CONT "$pid"
wait_rx 1 || true
# Let the worker drain what the ring held, then read once more.
for _ in $(seq 1 50); do
	[ "$(($(port0 ports rx) + $(port0 ports ring-drop)))" -ge "$delivered" ] && break
	sleep 0.1
done
ctl -j show ports >"$TMP/ports.json"
rx=$(jq -r '.ports[] | select(.name == "net_af_packet0") | .rx' "$TMP/ports.json")
drop=$(jq -r '.ports[] | select(.name == "net_af_packet0") | ."ring-drop"' "$TMP/ports.json")
krx=$(jq -r '.af_packet_rings[] | select(.name == "net_af_packet0") | ."kernel-rx"' "$TMP/ports.json")
imissed=$(jq -r '.ports[] | select(.name == "net_af_packet0") | .imissed' "$TMP/ports.json")
echo "# veth delivered $delivered; mpnorm rx $rx, ring-drop $drop, kernel-rx $krx, imissed $imissed"
check "the veth delivered the burst ($delivered >= 1900)" [ "$delivered" -ge 1900 ]
check "the 64-frame ring held at most 64 ($rx)" [ "$rx" -le 64 ]
check "ring-drop counts the rest ($drop >= $delivered - 64)" [ "$drop" -ge $((delivered - 64)) ]
check "kernel-rx = what the veth delivered ($krx = $delivered)" [ "$krx" -eq "$delivered" ]
check "nothing unaccounted: rx + ring-drop = delivered ($rx + $drop = $delivered)" [ $((rx + drop)) -eq "$delivered" ]
check "DPDK's own imissed stays 0 (why this counter exists)" [ "$imissed" -eq 0 ]
check "port 1's ring dropped nothing" \
	[ "$(jq -r '.ports[] | select(.name == "net_af_packet1") | ."ring-drop"' "$TMP/ports.json")" -eq 0 ]
ctl show ports >"$TMP/ports.txt"
check "text: a ring-drop column and its label" \
	bash -c "grep -q 'ring-drop' '$TMP/ports.txt' && grep -q 'af_packet ring dropped before mpnorm saw them' '$TMP/ports.txt'"
check "text: the interface is named" grep -q "$a" "$TMP/ports.txt"
if command -v dpdk-telemetry.py >/dev/null; then
	echo /mpnorm/af_packet | dpdk-telemetry.py -f "$prefix" >"$TMP/tel.out" 2>&1 || true
	# The reply is a pretty-printed JSON document after a banner.
	tdrop=$(sed -n '/^{/,$p' "$TMP/tel.out" | sed '/^--> *$/d' | jq -r '."/mpnorm/af_packet".net_af_packet0.ring_drops' 2>/dev/null)
	check "telemetry /mpnorm/af_packet: ring_drops = $drop ($tdrop)" [ "$tdrop" = "$drop" ]
fi
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
check "SIGTERM: mpnorm exits 0" [ "$rc" -eq 0 ]
check "the exit report names the ring drops" \
	grep -q "net_af_packet0: af_packet ring (kernel, interface $a): .* $drop dropped before mpnorm saw them" "$TMP/mpnorm.log"
finish
