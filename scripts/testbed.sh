#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A two-path MPTCP test bed with mpnorm in the middle, on veths and network
# namespaces: no NIC, no hugepages.
#
#   sudo scripts/testbed.sh up     [NAME]   make the bed, write the mpnorm config fragment
#   sudo scripts/testbed.sh down   [NAME]   remove what 'up' made (and stop nothing else)
#   sudo scripts/testbed.sh status [NAME]   show the bed
#
# NAME (default "bed", at most 7 characters of [a-z0-9]) names everything
# (namespaces mpne2e-NAME-*, root-side veths mpe2-NAME-*):
#
#   ns mpne2e-NAME-cli                root namespace (mpnorm)                ns mpne2e-NAME-srv
#   c1 10.9X.1.1/24 <-veth-> mpe2-NAME-c1 [port0 | link path1 | port1] mpe2-NAME-s1 <-veth-> s1 10.9X.1.2/24
#   c2 10.9X.2.1/24 <-veth-> mpe2-NAME-c2 [port2 | link path2 | port3] mpe2-NAME-s2 <-veth-> s2 10.9X.2.2/24
#
# Two pair links, inside = client side, outside = server side. The root-side
# veth ends carry no address (IPv6 off too, so the host sends nothing into
# the bed); they are up and promiscuous, for mpnorm's net_af_packet ports.
# Both namespaces run MPTCP; the server announces 10.9X.2.2 with a 'signal'
# endpoint, so the client learns it by ADD_ADDR and opens one MP_JOIN
# subflow over path 2.
#
# Environment:
#   MPNBED_NET    the /16 to use, 10.90-10.99 (default 10.91)
#   MPNBED_STATE  the state directory (default /tmp/mpne2e-NAME)
#
# 'up' writes $MPNBED_STATE/ports.conf: the dataplane, control socket, ports
# and links of an mpnorm config. Append a policy (the tcp-maps... sections
# of any config/examples file) to make a full config. Nothing in this script
# ever addresses anything outside 10.9X.0.0/16.
set -euo pipefail

usage() {
	echo "usage: $0 up|down|status [NAME]" >&2
	exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
cmd=$1
name=${2:-bed}
[[ $name =~ ^[a-z0-9]{1,7}$ ]] || { echo "testbed.sh: NAME must be 1-7 characters of [a-z0-9]" >&2; exit 2; }
net=${MPNBED_NET:-10.91}
[[ $net =~ ^10\.9[0-9]$ ]] || { echo "testbed.sh: MPNBED_NET must be 10.90 ... 10.99" >&2; exit 2; }
state=${MPNBED_STATE:-/tmp/mpne2e-$name}

ns_cli=mpne2e-$name-cli
ns_srv=mpne2e-$name-srv
root_if=("mpe2-$name-c1" "mpe2-$name-s1" "mpe2-$name-c2" "mpe2-$name-s2")

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "testbed.sh: must run as root (namespaces, veths)" >&2
		exit 77
	fi
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

offloads_off() { # [NS] IF
	if [ $# -eq 2 ]; then
		ip netns exec "$1" ethtool -K "$2" tx off rx off gso off tso off gro off >/dev/null
	else
		ethtool -K "$1" tx off rx off gso off tso off gro off >/dev/null
	fi
}

do_down() {
	local ns p i
	# Anything still running in our namespaces was started for this bed.
	for ns in "$ns_cli" "$ns_srv"; do
		if ns_exists "$ns"; then
			for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	# Deleting a namespace deletes its veth ends, and so their root-side
	# peers; delete them by name in case a namespace was already gone.
	for i in "${root_if[@]}"; do
		ip link show "$i" >/dev/null 2>&1 && ip link del "$i" 2>/dev/null || true
	done
	if [ -f "$state/testbed.env" ]; then
		rm -f "$state/testbed.env" "$state/ports.conf"
		rmdir "$state" 2>/dev/null || true
	fi
}

do_up() {
	local ns path ifc i
	for ns in "$ns_cli" "$ns_srv"; do
		if ns_exists "$ns"; then
			echo "testbed.sh: $ns exists already; run '$0 down $name' first" >&2
			exit 1
		fi
	done
	for i in "${root_if[@]}"; do
		if ip link show "$i" >/dev/null 2>&1; then
			echo "testbed.sh: interface $i exists already; run '$0 down $name' first" >&2
			exit 1
		fi
	done
	# From here on, a failure removes whatever was made.
	trap 'rc=$?; [ $rc -ne 0 ] && { echo "testbed.sh: up failed, undoing" >&2; do_down; }; exit $rc' EXIT

	ip netns add "$ns_cli"
	ip netns add "$ns_srv"
	for ns in "$ns_cli" "$ns_srv"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1
		ip -n "$ns" link set lo up
		ip -n "$ns" mptcp limits set subflow 2 add_addr_accepted 2
	done
	for path in 1 2; do
		# Each veth is made with its namespaced end already in place, so
		# only the root-side end ever exists in the root namespace.
		ip link add "mpe2-$name-c$path" type veth peer name "c$path" netns "$ns_cli"
		ip link add "mpe2-$name-s$path" type veth peer name "s$path" netns "$ns_srv"
		ip -n "$ns_cli" addr add "$net.$path.1/24" dev "c$path"
		ip -n "$ns_srv" addr add "$net.$path.2/24" dev "s$path"
		offloads_off "$ns_cli" "c$path"
		offloads_off "$ns_srv" "s$path"
		ip -n "$ns_cli" link set "c$path" up
		ip -n "$ns_srv" link set "s$path" up
	done
	for ifc in "${root_if[@]}"; do
		sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" 2>/dev/null || true
		offloads_off "$ifc"
		ip link set "$ifc" promisc on
		ip link set "$ifc" up
	done
	ip -n "$ns_srv" mptcp endpoint add "$net.2.2" dev s2 signal

	mkdir -p "$state"
	cat >"$state/ports.conf" <<EOF
# Written by scripts/testbed.sh up $name: the test bed's ports and links.
# Append a policy (tcp-maps, class-maps, policy-maps, service-policy).
dataplane = { workers = 1; mbufs = 8192; rx_desc = 512; tx_desc = 512; };
control = { socket = "$state/mpnorm.sock"; };
ports = (
    { name = "net_af_packet0"; devargs = "iface=mpe2-$name-c1"; },
    { name = "net_af_packet1"; devargs = "iface=mpe2-$name-s1"; },
    { name = "net_af_packet2"; devargs = "iface=mpe2-$name-c2"; },
    { name = "net_af_packet3"; devargs = "iface=mpe2-$name-s2"; }
);
links = (
    { name = "path1"; inside = "net_af_packet0"; outside = "net_af_packet1"; },
    { name = "path2"; inside = "net_af_packet2"; outside = "net_af_packet3"; }
);
EOF
	cat >"$state/testbed.env" <<EOF
BED_NAME=$name
BED_NET=$net
BED_NS_CLI=$ns_cli
BED_NS_SRV=$ns_srv
BED_CLI1=$net.1.1
BED_CLI2=$net.2.1
BED_SRV1=$net.1.2
BED_SRV2=$net.2.2
BED_ROOT_C1=mpe2-$name-c1
BED_ROOT_S1=mpe2-$name-s1
BED_ROOT_C2=mpe2-$name-c2
BED_ROOT_S2=mpe2-$name-s2
BED_PORTS_CONF=$state/ports.conf
BED_SOCK=$state/mpnorm.sock
BED_FILE_PREFIX=mpne2e-$name
EOF
	trap - EXIT
	cat <<EOF
test bed '$name' is up: client $ns_cli ($net.1.1, $net.2.1), server $ns_srv ($net.1.2, $net.2.2)
mpnorm config fragment: $state/ports.conf (shell variables: $state/testbed.env)
Start mpnorm between them with a policy, for example:
  { cat $state/ports.conf; sed -n '/^tcp-maps/,\$p' config/mpnorm.conf; } >$state/mpnorm.conf
  build/app/mpnorm/mpnorm --no-huge -m 1024 --no-pci -l 0-1 --file-prefix mpne2e-$name -- -c $state/mpnorm.conf
  build/app/mpnormctl/mpnormctl -s $state/mpnorm.sock show stats
Then, for example:
  ip netns exec $ns_srv python3 test/e2e/mptcp_xfer.py server --port 5000 &
  ip netns exec $ns_cli python3 test/e2e/mptcp_xfer.py client --src $net.1.1 --dst $net.1.2 --port 5000 --mb 50
Remove it with: $0 down $name
EOF
}

do_status() {
	local ns ifc
	for ns in "$ns_cli" "$ns_srv"; do
		if ! ns_exists "$ns"; then
			echo "$ns: absent"
			continue
		fi
		echo "== $ns"
		ip -n "$ns" -br addr show | grep -v '^lo '
		ip -n "$ns" mptcp limits show
		ip -n "$ns" mptcp endpoint show
		ip netns exec "$ns" ss -Mtin state established 2>/dev/null | sed 's/^/  /' || true
	done
	echo "== root namespace"
	for ifc in "${root_if[@]}"; do
		ip -br link show "$ifc" 2>/dev/null || echo "$ifc: absent"
	done
	if [ -f "$state/ports.conf" ]; then
		echo "config fragment: $state/ports.conf"
	fi
	if [ -S "$state/mpnorm.sock" ]; then
		echo "mpnorm control socket: $state/mpnorm.sock"
	fi
	ns_exists "$ns_cli" && ns_exists "$ns_srv"
}

case $cmd in
up) need_root; do_up ;;
down) need_root; do_down ;;
status) need_root; do_status ;;
*) usage ;;
esac
