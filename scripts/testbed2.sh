#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The two-box test bed for the shared token directory (doc/cluster.md): the
# client's path 1 crosses mpnorm A, its path 2 crosses mpnorm B, and one
# redis-server runs in its own namespace, reachable from both boxes' control
# side. No NIC, no hugepages.
#
#   sudo scripts/testbed2.sh up     [NAME]   make the bed, start redis, write both boxes' configs
#   sudo scripts/testbed2.sh down   [NAME]   remove what 'up' made (and stop nothing else)
#   sudo scripts/testbed2.sh status [NAME]
#
# It is scripts/testbed.sh's bed (client and server namespaces, two paths,
# root-side veths mpe2-NAME-{c1,s1,c2,s2}) plus:
#
#   ns mpne2e-NAME-rds                                     root namespace
#   r0 10.9X.255.2/24 (redis-server :6379) <-veth-> mpe2-NAME-r 10.9X.255.1/24
#                                                          box A: ports c1,s1, link path1
#                                                          box B: ports c2,s2, link path2
#
# The boxes run in the root namespace, each with its own DPDK file prefix,
# control socket and node name, and reach the store over the management
# veth. Redis has the ACL user doc/cluster.md recommends (only SET, GETRANGE,
# DEL, PING on mpn:* keys), whose password is in a mode-0600 credentials
# file, and no other: the default user is off.
#
# 'up' writes, in $MPNBED_STATE (default /tmp/mpne2e-NAME):
#   boxA.conf, boxB.conf   ports, links, control socket and cluster section
#                          of each box: append a policy (tcp-maps ...)
#   redis.cred             the credentials file both boxes use
#   testbed.env            testbed.sh's variables plus BED_REDIS_*, BED_A_*, BED_B_*
# Nothing here addresses anything outside 10.9X.0.0/16.
set -euo pipefail

usage() {
	echo "usage: $0 up|down|status [NAME]" >&2
	exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
cmd=$1
name=${2:-bed}
[[ $name =~ ^[a-z0-9]{1,7}$ ]] || { echo "testbed2.sh: NAME must be 1-7 characters of [a-z0-9]" >&2; exit 2; }
net=${MPNBED_NET:-10.91}
[[ $net =~ ^10\.9[0-9]$ ]] || { echo "testbed2.sh: MPNBED_NET must be 10.90 ... 10.99" >&2; exit 2; }
state=${MPNBED_STATE:-/tmp/mpne2e-$name}
export MPNBED_NET=$net MPNBED_STATE=$state
here=$(cd "$(dirname "$0")" && pwd)

ns_rds=mpne2e-$name-rds
root_r=mpe2-$name-r
rds_addr=$net.255.2
mgmt_addr=$net.255.1
rds_port=6379

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "testbed2.sh: must run as root (namespaces, veths)" >&2
		exit 77
	fi
}
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

do_down() {
	local p
	if ns_exists "$ns_rds"; then
		# Only what runs in our own namespace: the bed's redis-server.
		for p in $(ip netns pids "$ns_rds" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
		for p in $(seq 1 50); do [ -z "$(ip netns pids "$ns_rds" 2>/dev/null)" ] && break; sleep 0.1; done
		ip netns del "$ns_rds" 2>/dev/null || true
	fi
	ip link show "$root_r" >/dev/null 2>&1 && ip link del "$root_r" 2>/dev/null || true
	rm -f "$state/boxA.conf" "$state/boxB.conf" "$state/redis.cred" "$state/redis.log" \
		"$state/redis.acl"
	"$here/testbed.sh" down "$name"
}

do_up() {
	local i pw
	if ns_exists "$ns_rds" || ip link show "$root_r" >/dev/null 2>&1; then
		echo "testbed2.sh: $ns_rds or $root_r exists already; run '$0 down $name' first" >&2
		exit 1
	fi
	command -v redis-server >/dev/null || { echo "testbed2.sh: redis-server not installed (scripts/install-deps.sh)" >&2; exit 1; }
	"$here/testbed.sh" up "$name" >/dev/null
	trap 'rc=$?; [ $rc -ne 0 ] && { echo "testbed2.sh: up failed, undoing" >&2; do_down; }; exit $rc' EXIT

	# The management network: one veth from the root namespace to the store's.
	ip netns add "$ns_rds"
	ip -n "$ns_rds" link set lo up
	ip link add "$root_r" type veth peer name r0 netns "$ns_rds"
	sysctl -qw "net.ipv6.conf.$root_r.disable_ipv6=1" 2>/dev/null || true
	ip addr add "$mgmt_addr/24" dev "$root_r"
	ip link set "$root_r" up
	ip -n "$ns_rds" addr add "$rds_addr/24" dev r0
	ip -n "$ns_rds" link set r0 up

	# A password nobody else knows, in a file only root can read.
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	umask 077
	printf 'mpnorm %s\n' "$pw" >"$state/redis.cred"
	umask 022
	# No anonymous access at all: the default user is off and has no password.
	ip netns exec "$ns_rds" redis-server --bind "$rds_addr" --port "$rds_port" \
		--protected-mode no --save "" --appendonly no --dir "$state" \
		--logfile "$state/redis.log" --daemonize no \
		--user default off resetpass resetkeys -@all \
		--user mpnorm on ">$pw" resetkeys "~mpn:*" resetchannels -@all +set +getrange +del +ping \
		</dev/null >/dev/null 2>&1 &
	for i in $(seq 1 100); do
		ip netns exec "$ns_rds" redis-cli -h "$rds_addr" -p "$rds_port" --no-auth-warning \
			--user mpnorm --pass "$pw" PING 2>/dev/null | grep -q PONG && break
		[ "$i" -eq 100 ] && { echo "testbed2.sh: redis-server did not start:" >&2; cat "$state/redis.log" >&2; exit 1; }
		sleep 0.1
	done

	for box in A B; do
		local p=1 prefix
		[ $box = B ] && p=2
		prefix=mpne2e-$name-$box
		cat >"$state/box$box.conf" <<EOF
# Written by scripts/testbed2.sh up $name: box $box, on path $p only.
# Append a policy (tcp-maps, class-maps, policy-maps, service-policy).
dataplane = { workers = 1; mbufs = 8192; rx_desc = 512; tx_desc = 512; };
control = { socket = "$state/box$box.sock"; };
ports = (
    { name = "net_af_packet0"; devargs = "iface=mpe2-$name-c$p"; },
    { name = "net_af_packet1"; devargs = "iface=mpe2-$name-s$p"; }
);
links = (
    { name = "path$p"; inside = "net_af_packet0"; outside = "net_af_packet1"; }
);
cluster = {
    store = "$rds_addr:$rds_port";
    credentials = "$state/redis.cred";
    node = "box-$(tr A-Z a-z <<<"$box")";
    ttl = 600;
    fetch-timeout = 500;
};
EOF
	done
	cat >>"$state/testbed.env" <<EOF
BED_NS_RDS=$ns_rds
BED_REDIS=$rds_addr:$rds_port
BED_REDIS_HOST=$rds_addr
BED_REDIS_PORT=$rds_port
BED_REDIS_CRED=$state/redis.cred
BED_A_CONF=$state/boxA.conf
BED_A_SOCK=$state/boxA.sock
BED_A_PREFIX=mpne2e-$name-A
BED_B_CONF=$state/boxB.conf
BED_B_SOCK=$state/boxB.sock
BED_B_PREFIX=mpne2e-$name-B
EOF
	trap - EXIT
	cat <<EOF
two-box bed '$name' is up: client mpne2e-$name-cli ($net.1.1, $net.2.1), server mpne2e-$name-srv ($net.1.2, $net.2.2)
redis-server in $ns_rds at $rds_addr:$rds_port (ACL user mpnorm, password in $state/redis.cred)
Start the boxes (A on lcore 1, B on lcore 0, so their workers do not share a core), for example:
  { cat $state/boxA.conf; sed -n '/^tcp-maps/,\$p' config/mpnorm.conf; } >$state/A.conf
  { cat $state/boxB.conf; sed -n '/^tcp-maps/,\$p' config/mpnorm.conf; } >$state/B.conf
  build/app/mpnorm/mpnorm --no-huge -m 512 --no-pci -l 0-1 --main-lcore 0 --file-prefix mpne2e-$name-A -- -c $state/A.conf &
  build/app/mpnorm/mpnorm --no-huge -m 512 --no-pci -l 0-1 --main-lcore 1 --file-prefix mpne2e-$name-B -- -c $state/B.conf &
  build/app/mpnormctl/mpnormctl -s $state/boxA.sock show cluster
  ip netns exec $ns_rds redis-cli -h $rds_addr --user mpnorm --pass \$(cut -d' ' -f2 $state/redis.cred) --scan --pattern 'mpn:*'
Remove it with: $0 down $name
EOF
}

do_status() {
	"$here/testbed.sh" status "$name" || true
	if ns_exists "$ns_rds"; then
		echo "== $ns_rds"
		ip -n "$ns_rds" -br addr show | grep -v '^lo '
		ip netns pids "$ns_rds" | xargs -r ps -o pid=,args= -p
	else
		echo "$ns_rds: absent"
	fi
	ip -br addr show "$root_r" 2>/dev/null || echo "$root_r: absent"
	ns_exists "$ns_rds"
}

case $cmd in
up) need_root; do_up ;;
down) need_root; do_down ;;
status) need_root; do_status ;;
*) usage ;;
esac
