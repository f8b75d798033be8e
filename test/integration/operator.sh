#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The operator's interface against live mpnorms on net_pcap vdevs:
#  A: the bundled capture, once, under the shipped MPTCP-aware policy, with
#     flow export to nfdump's nfcapd over UDP: show conn and its filters,
#     every -j document against its schema, show service-policy, every
#     telemetry endpoint through dpdk-telemetry.py, clear conn, reloads in
#     the log, what nfdump reads back.
#  B: restarted on A's `show running-config`: the same effective config;
#     flow export over TCP to a sink whose stream libfixbuf's ipfixDump reads.
#  C: the capture replayed without end under a fallback policy, a tiny
#     event ring and a collector that refuses: trace with addresses, show
#     runtime, a log flood held by the rate limit, losses counted, the CLI
#     still answering.
. "$SRCDIR/test/lib.sh"

for t in nfcapd nfdump ipfixDump jq; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (scripts/install-deps.sh)"
done
python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema is not installed"

in=$SRCDIR/pcaps/mptcp-2subflows.pcap
schema=$SRCDIR/doc/schema
validate() { python3 "$SRCDIR/test/tools/json_schema_check.py" "$@"; }
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -n "${MPN_TEST_KEEP:-}" ] && cp -r "$TMP" "$MPN_TEST_KEEP"
	cleanup_runtime
}
trap cleanup EXIT

# A free port on 127.0.0.1 (UDP or TCP), chosen by the kernel.
free_port() {
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
# wait_for SECONDS COMMAND...: a bounded poll, never a bare sleep.
wait_for() {
	local t=$1 i; shift
	for i in $(seq 1 $((t * 20))); do "$@" && return 0; sleep 0.05; done
	return 1
}
start_mpnorm() {   # NAME CONFIG: start it, wait for its socket
	local name=$1 conf=$2
	"$MPNORM" --no-huge -m 512 --no-pci --file-prefix "mpn-op$name-$$" -l 0-1 -- -c "$conf" \
		>"$TMP/$name.log" 2>&1 &
	pids+=($!)
	eval "pid_$name=$!"
	wait_for 10 test -S "$TMP/run$name/mpnorm.sock"
}
stop_mpnorm() {    # NAME: SIGTERM and wait
	local p
	eval "p=\$pid_$1"
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

# --- A -------------------------------------------------------------------
nf_port=$(free_port udp)
mkdir -p "$TMP/flows" "$TMP/runA" "$TMP/runB" "$TMP/runC"
nfcapd -p "$nf_port" -b 127.0.0.1 -w "$TMP/flows" -t 3600 >"$TMP/nfcapd.log" 2>&1 &
nf_pid=$!
pids+=($nf_pid)
sed -n '/^tcp-maps/,$p' "$SRCDIR/config/mpnorm.conf" >"$TMP/A.conf"
cat >>"$TMP/A.conf" <<CONF
control = { socket = "$TMP/runA/mpnorm.sock"; };
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/outA.pcap"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 4096; rx_desc = 256; tx_desc = 256; };
# Closed connections stay until clear conn removes them.
tables = { closed-timeout = 3600; };
flow-export = { collector = "127.0.0.1"; port = $nf_port; delay = 50; };
logging = { rate = 1000; };
CONF
ctl() { "$MPNORMCTL" -s "$TMP/run$sock/mpnorm.sock" "$@"; }
sock=A
check "A starts" start_mpnorm A "$TMP/A.conf"
# All 551 frames processed: poll the counter, then the create events out.
check "A forwards the capture" wait_for 10 bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' -j show stats | jq .packets_out)\" = 551 ]"
check "A exported the two create events" wait_for 10 bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' -j show flow-export | jq .counters.records)\" = 2 ]"

# show conn: every tracked TCP connection, MPTCP marked, the kernel's token.
ctl -j show conn >"$TMP/conn.json"
check "show conn: two connections" jq_eq "$TMP/conn.json" .connections 2
check "show conn: both MPTCP, token eff317c4" jq_eq "$TMP/conn.json" '[.conn[] | select(.proto == "MPTCP" and .token == "0xeff317c4")] | length' 2
check "show conn: the initial subflow 10.99.1.1:40399 > 10.99.1.2:5000, 406 packets" \
	jq_eq "$TMP/conn.json" '.conn[] | select(.role == "initial") | "\(.initiator) \(.responder) \(.pkts)"' "10.99.1.1:40399 10.99.1.2:5000 406"
check "show conn: the join 10.99.2.1:56491 > 10.99.2.2:5000 verified, 141 packets" \
	jq_eq "$TMP/conn.json" '.conn[] | select(.role == "join") | "\(.initiator) \(.responder) \(.join) \(.pkts)"' "10.99.2.1:56491 10.99.2.2:5000 ok 141"
check "show conn: no key anywhere (RFC 7430)" bash -c "! grep -qi key '$TMP/conn.json'"
check "show conn address 10.99.2.1: the join only" bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' -j show conn address 10.99.2.1 | jq -r '.conn[].role')\" = join ]"
check "show conn port 40399: the initial subflow only" bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' -j show conn port 40399 | jq -r '.conn[].role')\" = initial ]"
check "show conn token b594cf97 (the client's): both" jq_eq <(ctl -j show conn token b594cf97) .connections 2
check "show conn address 10.99.2.1 port 40399: none" jq_eq <(ctl -j show conn address 10.99.2.1 port 40399) .connections 0
check "show conn limit 1: one shown of two" jq_eq <(ctl -j show conn limit 1) '"\(.connections) \(.shown)"' "2 1"
# (idle_ms moves between two calls: compare the rest.)
check "sh conn (abbreviated) equals show conn" bash -c "diff <('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' -j sh conn | jq 'del(.conn[].idle_ms)') <('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' -j show conn | jq 'del(.conn[].idle_ms)')"
check "sh asp dr equals show asp drop" bash -c "diff <('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' sh asp dr) <('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' show asp drop)"
check "show errors equals show drops" bash -c "diff <('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' show errors) <('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' show drops)"
rc=0; ctl sh co >"$TMP/amb.out" 2>&1 || rc=$?
check "sh co is ambiguous: exit 2, both named" bash -c "[ $rc -eq 2 ] && grep -q \"ambiguous command 'sh co'\" '$TMP/amb.out'"
for bad in "address bogus" "address 10.0.0.300" "port 70000" "port -1" "token zz" "token 123456789" \
		"limit 0" "colour red" "address" "port 80 address"; do
	rc=0
	# shellcheck disable=SC2086
	ctl show conn $bad >"$TMP/bad.out" 2>&1 || rc=$?
	check "show conn $bad: a clear error, exit 2" bash -c "[ $rc -eq 2 ] && grep -q '^error: ' '$TMP/bad.out'"
	rc=0
	# shellcheck disable=SC2086
	ctl clear conn $bad >/dev/null 2>&1 || rc=$?
	check "clear conn $bad: exit 2" [ "$rc" -eq 2 ]
done
check "the bad filters cleared nothing" jq_eq <(ctl -j show conn) .connections 2

# show service-policy: the shipped policy's one class saw every TCP packet.
ctl -j show stats >"$TMP/stats.json"
ctl -j show service-policy >"$TMP/sp.json"
tcp=$(( $(jq .packets_in "$TMP/stats.json") - $(jq .packets_non_tcp "$TMP/stats.json") ))
check "show service-policy: global_policy/all-tcp counted the $tcp TCP packets" \
	jq_eq "$TMP/sp.json" '.classes[] | select(.class == "all-tcp") | .packets' "$tcp"
check "show service-policy: class-default saw none" \
	jq_eq "$TMP/sp.json" '.classes[] | select(.class == "class-default") | .packets' 0

# show running-config: the same file in text and in JSON.
ctl -j show running-config | jq -j .running_config >"$TMP/running.conf"
ctl show running-config >"$TMP/running.txt"
check "show running-config: text and JSON carry the same file" diff "$TMP/running.conf" "$TMP/running.txt"

# Every -j document against its schema, and every command has one.
ctl -j help >"$TMP/help.json"
check "every command has a schema (doc/schema/cli/index.json)" \
	python3 -c "
import json,sys
idx=json.load(open('$schema/cli/index.json'))
cmds=[c['command'] for c in json.load(open('$TMP/help.json'))['commands']]
missing=[c for c in cmds if c not in idx]
print('missing:', missing) if missing else None
sys.exit(1 if missing else 0)"
n=0
while read -r cmd; do
	n=$((n + 1))
	f=$(jq -r --arg c "${cmd%% *}" --arg full "$cmd" 'to_entries | map(select(.key as $k | $full == $k or ($full | startswith($k + " ")))) | max_by(.key | length) | .value' "$schema/cli/index.json")
	# shellcheck disable=SC2086
	ctl -j $cmd >"$TMP/doc$n.json" 2>/dev/null || true
	check "-j $cmd is valid against $f" validate "$schema/$f" "$TMP/doc$n.json"
done <<CMDS
help
show version
show ports
show links
show workers
show stats
show drops
show asp drop
show errors
show connections
show subflows
show tracking
show tcp-map
show policy
show config
show trace
show conn
show conn address 10.99.2.1
show service-policy
show mptcp interference
show running-config
show runtime
show flow-export
show logging
show rcu
show cluster
trace 2
set log-level info
CMDS
rc=0; ctl -j show conn port 70000 >"$TMP/err.json" 2>&1 || rc=$?
check "an error in JSON is valid against defs.json's error" \
	python3 -c "
import json,sys; d=json.load(open('$TMP/err.json')); sys.exit(0 if list(d)==['error'] else 1)"

# Telemetry: every endpoint through dpdk-telemetry.py, against the CLI's numbers.
eps=$(echo / | dpdk-telemetry.py -f "mpn-opA-$$" 2>/dev/null | grep -o '{"/".*}' | jq -r '."/"[]' | grep '^/mpnorm/')
check "telemetry lists 14 /mpnorm/ endpoints" [ "$(echo "$eps" | wc -l)" -eq 14 ]
for ep in $eps; do
	echo "$ep" | dpdk-telemetry.py -f "mpn-opA-$$" >"$TMP/tel.out" 2>&1 || true
	grep -o "{\"$ep\".*}" "$TMP/tel.out" >"$TMP/tel.json" || true
	check "telemetry $ep answers a non-empty object" jq -e --arg e "$ep" '.[$e] | type == "object" and length > 0' "$TMP/tel.json"
	check "telemetry $ep: every name is one DPDK accepts" \
		jq -e --arg e "$ep" '[.[$e] | .. | objects | keys[] | test("^[A-Za-z0-9_/]+$")] | all' "$TMP/tel.json"
	cp "$TMP/tel.json" "$TMP/tel_$(basename "$ep").json"
done
check "telemetry /mpnorm/stats equals show stats" \
	jq_eq "$TMP/tel_stats.json" '."/mpnorm/stats".packets_in' "$(jq .packets_in "$TMP/stats.json")"
check "telemetry /mpnorm/mptcp_options: 539 DSS, as show stats" \
	jq_eq "$TMP/tel_mptcp_options.json" '."/mpnorm/mptcp_options".dss' "$(jq '.mptcp_options.dss' "$TMP/stats.json")"
check "telemetry /mpnorm/drops lists every reason, '-' mapped to '_'" \
	jq -e '."/mpnorm/drops" | has("tcp_bad_option_list") and has("mptcp_join_bad_hmac")' "$TMP/tel_drops.json"
check "telemetry /mpnorm/service_policy: the class's packets" \
	jq_eq "$TMP/tel_service_policy.json" '[."/mpnorm/service_policy"[] | objects | select(.class == "all-tcp") | .packets][0]' "$tcp"
# The capture's connection: one MP_CAPABLE SYN answered in kind, one join; no interference.
ctl -j show mptcp interference >"$TMP/intf.json"
check "show mptcp interference: the capture's MP_CAPABLE SYN and MP_JOIN SYN, nothing stripped or refused" \
	jq_eq "$TMP/intf.json" '[.counters[] | select(.total > 0) | "\(.counter)=\(.total)"] | join(" ")' "mpc_syn=1 join_syn=1"
check "telemetry /mpnorm/interference: the same totals" \
	jq_eq "$TMP/tel_interference.json" '."/mpnorm/interference".total | "\(.mpc_syn) \(.join_syn) \(.mpc_synack_plain)"' "1 1 0"
check "telemetry /mpnorm/ports: 551 received on port 0" \
	jq_eq "$TMP/tel_ports.json" '."/mpnorm/ports".port_0.rx' 551
check "telemetry /mpnorm/flow_export: 2 records" \
	jq_eq "$TMP/tel_flow_export.json" '."/mpnorm/flow_export".records' 2

check "-j clear counters is valid against its schema" validate "$schema/cli/clear_counters.json" <(ctl -j clear counters)

# Reloads in the log, by ID: accepted, then refused with file:line.
check "reload" ctl reload
check "the reload is logged as %MPN-5-419040" wait_for 5 grep -q '%MPN-5-419040: Configuration reloaded from' "$TMP/A.log"
check "show service-policy restarts at the reload (generation 1)" \
	jq_eq <(ctl -j show service-policy) '"\(.policy_generation) \([.classes[].packets] | add)"' "1 0"
cp "$TMP/A.conf" "$TMP/A.good"
printf 'tcp-maps = (\n  { name = "m"; syn-data = "sometimes"; }\n);\n' >>"$TMP/A.conf"
rc=0; ctl reload >/dev/null 2>&1 || rc=$?
check "a broken reload is refused: exit 2" [ "$rc" -eq 2 ]
check "and logged as %MPN-3-419041 with file:line" \
	wait_for 5 grep -q "%MPN-3-419041: Configuration reload rejected: $TMP/A.conf:[0-9]*:" "$TMP/A.log"
cp "$TMP/A.good" "$TMP/A.conf"

# clear conn: both leave the tables, each a teardown record.
check "clear conn port 40399 removes one" jq_eq <(ctl -j clear conn port 40399) .cleared 1
check "clear conn all removes the other" jq_eq <(ctl -j clear conn all) .cleared 1
check "show conn is empty" jq_eq <(ctl -j show conn) .connections 0
check "the teardowns are exported" wait_for 10 bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runA/mpnorm.sock' -j show flow-export | jq '.counters.records')\" = 4 ]"
check "nothing was lost on the way" jq_eq <(ctl -j show flow-export) '.counters.records_dropped + .counters.send_errors' 0
stop_mpnorm A
check "A stops cleanly" bash -c "! kill -0 $pid_A 2>/dev/null"
kill -TERM "$nf_pid"; wait "$nf_pid" 2>/dev/null || true

# What nfdump reads from nfcapd's file.
nfdump -R "$TMP/flows" -q -o "fmt:%sap %dap %pkt %opkt %byt %obyt" | sed 's/  */ /g; s/^ //' | sort >"$TMP/nf.txt"
cat "$TMP/nf.txt"
check "nfdump: four records" [ "$(wc -l <"$TMP/nf.txt")" -eq 4 ]
check "nfdump: the initial subflow created (no packets yet)" grep -qx "10.99.1.1:40399 10.99.1.2:5000 0 0 0 0" "$TMP/nf.txt"
check "nfdump: the join created" grep -qx "10.99.2.1:56491 10.99.2.2:5000 0 0 0 0" "$TMP/nf.txt"
check "nfdump: the initial subflow torn down with 203/203 packets" grep -qx "10.99.1.1:40399 10.99.1.2:5000 203 203 [0-9]* [0-9]*" "$TMP/nf.txt"
check "nfdump: the join torn down with 78/63 packets" grep -qx "10.99.2.1:56491 10.99.2.2:5000 78 63 [0-9]* [0-9]*" "$TMP/nf.txt"
# Both subflows had closed with FINs before clear conn removed them: the
# teardown reports how the flow ended (IANA flowEndReason 3), not the clear.
check "nfdump: the teardowns say why (end of flow detected: both FINs)" \
	[ "$(nfdump -R "$TMP/flows" -o raw | grep -c 'end reason   =              0x03')" -eq 2 ]

# --- B: restarted on A's running-config ---------------------------------
sink_port=$(free_port tcp)
python3 - "$sink_port" "$TMP/ipfix.bin" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60)
with open(sys.argv[2], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b); f.flush()
PY
sink_pid=$!
pids+=($sink_pid)
wait_for 5 bash -c "ss -ltn | grep -q ':$sink_port '"
sed -e "s|$TMP/runA/|$TMP/runB/|; s|outA.pcap|outB.pcap|" \
	-e "s|collector = \"127.0.0.1\";|collector = \"127.0.0.1\";|" "$TMP/running.conf" | \
	sed -e "/flow-export/,/};/{s|port = $nf_port;|port = $sink_port;|; s|transport = \"udp\";|transport = \"tcp\";|}" >"$TMP/B.conf"
sock=B
check "B starts on A's running-config" start_mpnorm B "$TMP/B.conf"
check "B forwards the capture" wait_for 10 bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runB/mpnorm.sock' -j show stats | jq .packets_out)\" = 551 ]"
ctl -j show running-config | jq -j .running_config >"$TMP/runningB.conf"
check "B's running-config is A's (paths and the collector aside)" \
	diff <(grep -v '^#' "$TMP/B.conf") <(grep -v '^#' "$TMP/runningB.conf")
check "B sees the same two connections" jq_eq <(ctl -j show conn) '[.conn[].token] | unique | join(",")' 0xeff317c4
check "B's TCP export is up" wait_for 10 bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runB/mpnorm.sock' -j show flow-export | jq -r .state)\" = up ]"
check "B exported the two creates" wait_for 10 bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runB/mpnorm.sock' -j show flow-export | jq '.counters.messages_sent >= 3 and .queued_messages == 0')\" = true ]"
stop_mpnorm B
wait "$sink_pid" 2>/dev/null || true
ipfixDump --rfc5610 -i "$TMP/ipfix.bin" >"$TMP/ipfix.txt" 2>&1
check "ipfixDump reads the stream" grep -q "Data Record" "$TMP/ipfix.txt"
check "ipfixDump names the MPTCP token, 0xeff317c4 = 4025685956" grep -q "mpnMptcpToken : 4025685956" "$TMP/ipfix.txt"
check "ipfixDump: the teardowns' close reason is FIN (mpnCloseReason 1)" grep -q "mpnCloseReason : 1$" "$TMP/ipfix.txt"
check "ipfixDump names the subflow role (1 initial, 2 join)" grep -q "mpnSubflowRole" "$TMP/ipfix.txt"
check "ipfixDump names the join verdict" grep -q "mpnJoinVerdict" "$TMP/ipfix.txt"
check "ipfixDump shows NSEL's firewallEvent (1 created, 2 deleted)" \
	bash -c "grep -q 'firewallEvent.*: 1' '$TMP/ipfix.txt' && grep -q 'firewallEvent.*: 2' '$TMP/ipfix.txt'"

# --- C: endless replay, fallback, a tiny event ring, a refusing collector -
dead_port=$(free_port tcp)
cat >"$TMP/C.conf" <<CONF
tcp-maps = ( { name = "fb"; tcp-options = { range = ( "30 30 allow" ); }; mptcp = { mode = "fallback"; }; } );
class-maps = ( { name = "all"; match = "any"; } );
policy-maps = ( { name = "p"; class = ( { class = "all"; tcp-map = "fb"; } ); } );
service-policy = { global = "p"; };
control = { socket = "$TMP/runC/mpnorm.sock"; };
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=/dev/null,infinite_rx=1"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 4096; rx_desc = 256; tx_desc = 256; event_ring = 64; };
tables = { subflows = 1024; connections = 1024; };
flow-export = { collector = "127.0.0.1"; port = $dead_port; transport = "tcp"; queue = 2; delay = 0; };
logging = { rate = 3; };
CONF
sock=C
check "C starts" start_mpnorm C "$TMP/C.conf"
check "C forwards" wait_for 10 bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runC/mpnorm.sock' -j show stats | jq '.packets_in > 5000')\" = true ]"
ctl trace 20 >/dev/null
check "trace records packets" wait_for 10 bash -c "[ \"\$('$MPNORMCTL' -s '$TMP/runC/mpnorm.sock' -j show trace | jq .captured)\" = 20 ]"
check "show trace names addresses and ports" \
	bash -c "'$MPNORMCTL' -s '$TMP/runC/mpnorm.sock' show trace | grep -Eq '10\.99\.[12]\.[12]\.[0-9]+ > 10\.99\.[12]\.[12]\.[0-9]+'"
ctl -j show runtime >"$TMP/rt.json"
check "show runtime: the worker was busy part of the time" jq -e '.workers[0].busy_cycles > 0 and .workers[0].idle_cycles >= 0' "$TMP/rt.json"
check "show runtime: cycles per packet measured" jq -e '.workers[0].cycles_per_pkt > 0 and .workers[0].packets > 0' "$TMP/rt.json"
check "refused MP_JOINs are logged as %MPN-4-419010" wait_for 10 grep -q '%MPN-4-419010: Refused MP_JOIN from stick:10.99.2.1/56491 to 10.99.2.2/5000 token 0xeff317c4, reason: mptcp-join-refused' "$TMP/C.log"
check "forced fallbacks are reported as %MPN-5-419020 (written or counted by the limit)" \
	wait_for 10 bash -c "'$MPNORMCTL' -s '$TMP/runC/mpnorm.sock' -j show logging | jq -e '[.ids[] | select(.id == \"MPN-5-419020\") | .written + .suppressed][0] > 0'"
check "the flood is held by the rate limit, which says so (419099)" \
	wait_for 10 grep -q '%MPN-4-419099: [0-9]* messages suppressed by the logging rate limit of 3 per second' "$TMP/C.log"
check "show logging counts what was suppressed" \
	wait_for 5 bash -c "'$MPNORMCTL' -s '$TMP/runC/mpnorm.sock' -j show logging | jq -e '.suppressed > 0'"
# At most 3 a second, plus one 419099 summary a second, over the uptime.
up=$(ctl -j show version | jq .uptime_s)
check "written messages stay within the rate: <= 4 per second of uptime" \
	jq -e --argjson up "$up" '.messages <= 4 * ($up + 2) and .messages > 0' <(ctl -j show logging)
check "a refusing collector: connection failures counted" \
	wait_for 10 bash -c "'$MPNORMCTL' -s '$TMP/runC/mpnorm.sock' -j show flow-export | jq -e '.counters.connect_failures > 0 and .state != \"up\"'"
check "a full export queue: drops counted" \
	wait_for 10 bash -c "'$MPNORMCTL' -s '$TMP/runC/mpnorm.sock' -j show flow-export | jq -e '.counters.messages_dropped_queue_full > 0 and .queued_messages <= 2'"
check "the export loss is reported as %MPN-4-419050 (written or counted by the limit)" \
	wait_for 10 bash -c "'$MPNORMCTL' -s '$TMP/runC/mpnorm.sock' -j show logging | jq -e '[.ids[] | select(.id == \"MPN-4-419050\") | .written + .suppressed][0] > 0'"
t0=$(date +%s%N)
check "the CLI answers while all this goes on" ctl show version
t1=$(date +%s%N)
echo "# show version took $(( (t1 - t0) / 1000000 )) ms"
check "the tables keep filling and clear conn empties them" jq -e '.cleared >= 0' <(ctl -j clear conn all)
check "C is still running" kill -0 "$pid_C"
stop_mpnorm C
check "C stops cleanly" bash -c "! kill -0 $pid_C 2>/dev/null"
finish
