#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The control socket against a running mpnorm on net_pcap vdevs: every
# command in text and JSON (the two must agree), bad input of every kind,
# 50 concurrent clients, and socket permissions for a non-root user.
. "$SRCDIR/test/lib.sh"

in=$SRCDIR/pcaps/mptcp-2subflows.pcap
sock=$TMP/run/mpnorm.sock
user=mpntest$$
group=mpntestg$$
ctl() { "$MPNORMCTL" -s "$sock" "$@"; }
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	userdel "$user" 2>/dev/null || true
	groupdel "$group" 2>/dev/null || true
	cleanup_runtime
}
trap cleanup EXIT

groupadd "$group"
# The shipped MPTCP-aware policy, so joins are verified live.
sed -n '/^tcp-maps/,$p' "$SRCDIR/config/mpnorm.conf" >"$TMP/live.conf"
cat >>"$TMP/live.conf" <<CONF
control = { socket = "$sock"; mode = "0660"; group = "$group"; };
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/out.pcap"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 4096; rx_desc = 256; tx_desc = 256; };
CONF
"$MPNORM" --no-huge -m 512 --no-pci --file-prefix "mpn-cli-$$" -l 0-1 -- -c "$TMP/live.conf" \
	>"$TMP/log" 2>&1 &
pid=$!
n=$(count_records "$in")
check "the control socket appears" wait_until 60 test -S "$sock"
# The worker has read the whole capture: every packet counted in and out.
drained() { [ "$(ctl -j show stats 2>/dev/null | jq '[.packets_in, .packets_out + .packets_dropped] | join(" ")')" = "\"$n $n\"" ]; }
check "the worker drains the capture ($n packets)" wait_until 60 drained

check "help lists every command" bash -c "[ \$('$MPNORMCTL' -s '$sock' help | grep -cE '^ *(show|clear|reload|set|trace|help)') -ge 15 ]"
for c in "show version" "show ports" "show links" "show workers" "show stats" "show drops" \
		"show connections" "show connections token eff317c4 limit 1" "show subflows" \
		"show subflows token 0xeff317c4" "show tracking" "show rcu" \
		"show tcp-map" "show tcp-map default" "show policy" "show config" "show trace" \
		"trace 5" "set log-level info" "clear counters" "reload"; do
	# shellcheck disable=SC2086
	check "'$c' answers in text" ctl $c
	# shellcheck disable=SC2086
	check "'$c' answers in JSON that jq parses" bash -c "'$MPNORMCTL' -s '$sock' -j $c | jq -e . >/dev/null"
done

# The connection view carries the tokens the kernel itself reported for
# this capture (pcaps/README.md, from ss -Mti), in text and in JSON.
ctl -j show connections >"$TMP/conns.json"
check "show connections: one connection" jq_eq "$TMP/conns.json" '.connection | length' 1
check "show connections: client token is the kernel's b594cf97" jq_eq "$TMP/conns.json" '.connection[0].token_a' 0xb594cf97
check "show connections: server token is the kernel's eff317c4" jq_eq "$TMP/conns.json" '.connection[0].token_b' 0xeff317c4
check "show connections: two subflows" jq_eq "$TMP/conns.json" '.connection[0].subflows' 2
check "show connections (text): same tokens" bash -c "'$MPNORMCTL' -s '$sock' show connections | grep -q '0xb594cf97  0xeff317c4'"
ctl -j show subflows token eff317c4 >"$TMP/subs.json"
check "show subflows: the join is verified" jq_eq "$TMP/subs.json" '[.subflows[] | select(.role == "join") | .join] | join(",")' ok
# RCU: after those scans, the control thread is back offline, so its wait
# in poll() never holds a grace period (lib/flow/conn.h, "RCU and pool
# policy"); the worker is an online reader.
ctl -j show rcu >"$TMP/rcu.json"
check "show rcu: the control thread is offline while it waits for commands" \
	jq_eq "$TMP/rcu.json" '.readers[] | select(.role == "control") | .state' offline
check "show rcu: the worker is an online reader" jq_eq "$TMP/rcu.json" '.readers[0].state' online
check "show rcu: one live connection record, the rest free or deferred" \
	jq -e '.live == 1 and .live + .free + .deferred == .capacity' "$TMP/rcu.json"
rc=0; ctl show connections token zz >/dev/null 2>&1 || rc=$?
check "show connections token zz: exit 2" [ "$rc" -eq 2 ]

# Text and JSON come from the same data. (clear counters ran above: look at
# the workers table, which shows the counters since then: zero.)
ctl clear counters >/dev/null
ctl -j show ports >"$TMP/ports.json"
ctl show ports >"$TMP/ports.txt"
check "show ports: text and JSON name the same port" \
	grep -q "$(jq -r '.ports[0].name' "$TMP/ports.json")" "$TMP/ports.txt"
ctl -j show tcp-map default >"$TMP/map.json"
ctl show tcp-map default >"$TMP/map.txt"
check "show tcp-map: the default map clears 9-255 but 30 (JSON)" \
	bash -c "jq -r '.default[\"tcp-options range\"]' '$TMP/map.json' | grep -q '9-255 clear'"
check "show tcp-map: same in text" grep -q "9-255 clear" "$TMP/map.txt"
ctl -j show config >"$TMP/config.json"
check "show config: JSON names the config file" jq_eq "$TMP/config.json" .file "$TMP/live.conf"
check "show ports: JSON has the one port" jq_eq "$TMP/ports.json" '.ports | length' 1
check "show ports: ring-drop is null on net_pcap (no kernel ring)" jq_eq "$TMP/ports.json" '.ports[0]."ring-drop"' null
check "show ports: no af_packet table without af_packet ports" jq_eq "$TMP/ports.json" '.af_packet_rings' null

# Exit codes: 0 ok, 1 local error, 2 server error.
rc=0; ctl bogus command >/dev/null 2>&1 || rc=$?
check "unknown command: exit 2" [ "$rc" -eq 2 ]
rc=0; ctl show stats too many >/dev/null 2>&1 || rc=$?
check "too many arguments: exit 2" [ "$rc" -eq 2 ]
rc=0; ctl set log-level >/dev/null 2>&1 || rc=$?
check "too few arguments: exit 2" [ "$rc" -eq 2 ]
rc=0; "$MPNORMCTL" -s "$TMP/nope.sock" show version >/dev/null 2>&1 || rc=$?
check "no socket: exit 1" [ "$rc" -eq 1 ]
rc=0; ctl -j show tcp-map nope >"$TMP/err.json" 2>&1 || rc=$?
check "server error in JSON: exit 2 with an error object" \
	bash -c "[ $rc -eq 2 ] && jq -e .error '$TMP/err.json' >/dev/null"

check "over-long lines, garbage, hang-ups and 50 concurrent clients" \
	python3 "$SRCDIR/test/integration/cli_client.py" "$sock"
check "mpnorm is still running" kill -0 "$pid"

# Permissions: the socket is 0660, owned by root and the configured group.
check "socket mode is 0660" [ "$(stat -c %a "$sock")" = 660 ]
check "socket group is the configured one" [ "$(stat -c %G "$sock")" = "$group" ]
useradd -M -N -s /usr/sbin/nologin "$user"
chmod 755 "$TMP" "$TMP/run"
# The user runs its own copy of mpnormctl: the build tree may sit under a
# folder it cannot enter (a home directory of mode 0700).
install -m 0755 "$MPNORMCTL" "$TMP/mpnormctl"
rc=0; runuser -u "$user" -- "$TMP/mpnormctl" -s "$sock" show version >/dev/null 2>"$TMP/perm" || rc=$?
check "a user outside the group cannot connect (exit 1)" [ "$rc" -eq 1 ]
check "and is told why" grep -qi "permission denied" "$TMP/perm"
usermod -a -G "$group" "$user"
check "the same user, once in the group, can" runuser -u "$user" -- "$TMP/mpnormctl" -s "$sock" show version

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=
check "clean exit on SIGTERM" [ "$rc" -eq 0 ]
check "the socket file is gone after exit" [ ! -e "$sock" ]
finish
