#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The daemon with a 'cluster' section (doc/cluster.md), on net_pcap vdevs and
# a real redis-server on a unix socket in $TMP: mpnorm replays the project's
# MPTCP capture, learns its connection, and its refresh walk publishes the
# record under both of the kernel's tokens (pcaps/README.md: client
# b594cf97, server eff317c4), with keys that hash to them (checked here with
# Python's hashlib, not with mpnorm's code). `show cluster` reports it, the
# store stopped is a counted state, not a crash, reload applies what it can,
# and SIGTERM still exits cleanly.
. "$SRCDIR/test/lib.sh"

for t in redis-server redis-cli jq; do
	command -v "$t" >/dev/null || skip_all "$t not installed (scripts/install-deps.sh)"
done
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi

in="$SRCDIR/pcaps/mptcp-2subflows.pcap"
sock="$TMP/redis.sock"
ctl_sock="$TMP/mpnorm.sock"
RPID=
MPID=
stop_all() {
	[ -n "$MPID" ] && kill -TERM "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null
	[ -n "$RPID" ] && kill -TERM "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	cleanup_runtime
}
trap stop_all EXIT

redis_start() {
	local i
	rm -f "$sock"
	redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save "" \
		--appendonly no --dir "$TMP" --logfile "$TMP/redis.log" </dev/null &
	RPID=$!
	for i in $(seq 1 100); do
		redis-cli -s "$sock" PING 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "redis-server did not start:"; cat "$TMP/redis.log"
	return 1
}
rcli() { redis-cli -s "$sock" --raw "$@"; }
ctl() { "$MPNORMCTL" -s "$ctl_sock" "$@"; }
# wait_for SECONDS CMD...: a bounded poll on a condition.
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for i in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}

redis_start || exit 1
policy=$(sed -n '/^tcp-maps/,$p' "$SRCDIR/config/mpnorm.conf")
head -c 24 "$in" >"$TMP/empty.pcap"
write_conf() { # UNREACHABLE REQUEST_RING
	cat >"$TMP/mpnorm.conf" <<CONF
dataplane = { workers = 1; mbufs = 4096; rx_desc = 256; tx_desc = 256; };
control = { socket = "$ctl_sock"; };
tables = { closed-timeout = 3600; };
ports = (
  { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/a-out.pcap"; },
  { name = "net_pcap1"; devargs = "rx_pcap=$TMP/empty.pcap,tx_pcap=$TMP/b-out.pcap"; }
);
links = ( { name = "wire"; inside = "net_pcap0"; outside = "net_pcap1"; } );
cluster = {
  store = "unix:$sock";
  node = "box-a";
  ttl = 600;
  fetch-timeout = 200;
  unreachable = "$1";
  request-ring = $2;
};
$policy
CONF
}
write_conf verify 256

"$MPNORM" --no-huge -m 512 --no-pci --no-telemetry --file-prefix "mpn-cl-$$" -l 0-1 \
	-- -c "$TMP/mpnorm.conf" >"$TMP/stdout" 2>"$TMP/stderr" </dev/null &
MPID=$!
up() { [ -S "$ctl_sock" ] && ctl show version >/dev/null 2>&1; }
check "mpnorm starts with a cluster section" wait_for 20 up
cl() { ctl -j show cluster | jq -r "$1"; }
jqt() { jq -e "$1" "$2" >/dev/null; }
connected() { [ "$(cl .state)" = connected ]; }
check "show cluster: connected to the store" wait_for 20 connected
check "show cluster: node and store as configured" \
	[ "$(cl .node)/$(cl .store)/$(cl .auth)" = "box-a/unix:$sock/false" ]

# The capture's connection, published by the refresh walk under both tokens.
has_key() { [ -n "$(rcli GET "mpn:t:$1")" ]; }
check "the store holds the connection under the server's token eff317c4" wait_for 20 has_key eff317c4
check "... and under the client's token b594cf97" wait_for 5 has_key b594cf97
rec=$(rcli GET mpn:t:eff317c4)
echo "# record: ${rec//k?=????????????????/k?=<key>}"
check "both entries hold the same record" [ "$rec" = "$(rcli GET mpn:t:b594cf97)" ]
check "record: v1, A = the client (ta=b594cf97 tb=eff317c4), node box-a, decision allow" \
	grep -qE '^mpn1 v=1 ta=b594cf97 tb=eff317c4 ka=[0-9a-f]{16} kb=[0-9a-f]{16} fa=[0-9a-f]{2} fb=[0-9a-f]{2} d=allow n=box-a t=[0-9]+$' <<<"$rec"
# RFC 8684 §3.1: token = the most significant 32 bits of SHA-256(key).
tokens_ok() {
	"$PY" - "$1" <<'PY'
import hashlib, re, sys
f = dict(kv.split("=", 1) for kv in sys.argv[1].split()[1:])
ok = all(hashlib.sha256(bytes.fromhex(f["k" + s])).hexdigest()[:8] == f["t" + s] for s in "ab")
sys.exit(0 if ok else 1)
PY
}
check "record: SHA-256 of each key gives its token (hashlib)" tokens_ok "$rec"
ttl=$(rcli TTL mpn:t:eff317c4)
check "entries expire: TTL $ttl in (0, 600]" test "$ttl" -gt 0 -a "$ttl" -le 600
ctl -j show cluster >"$TMP/cluster.json"
check "show cluster: published >= 1, no error" \
	jqt '.counters.published >= 1 and .counters.publish_errors == 0 and .counters.err_protocol == 0' "$TMP/cluster.json"
check "show cluster: a latency table of 14 buckets" jqt '(.latency | length) == 14' "$TMP/cluster.json"
check "show cluster (text): state line" grep -q "^state: *connected" <(ctl show cluster)
ctl -j show cluster >"$TMP/cluster2.json"
check "show cluster never shows a key" bash -c "! grep -qE '[0-9a-f]{16}' '$TMP/cluster2.json'"

# An operator's lookup goes through the directory like a worker's fetch.
lookup_is() { [ "$(cl .last_lookup.status)" = "$1" ]; }
check "cluster lookup eff317c4 is taken" ctl cluster lookup eff317c4
check "... and answered: found" wait_for 10 lookup_is found
check "... from node box-a, tokens of the capture, no key shown" \
	test "$(cl '.last_lookup | "\(.node) \(.token_a) \(.token_b) \(has("key_a"))"')" = "box-a 0xb594cf97 0xeff317c4 false"
check "cluster lookup 0x01020304 is answered: not-found" \
	bash -c "$MPNORMCTL -s $ctl_sock cluster lookup 0x01020304 >/dev/null"
check "... not-found" wait_for 10 lookup_is not-found
if python3 -c 'import jsonschema' 2>/dev/null; then
	ctl -j show cluster >"$TMP/cluster3.json"
	check "show cluster -j (with a lookup) is valid against its schema" python3 \
		"$SRCDIR/test/tools/json_schema_check.py" "$SRCDIR/doc/schema/cli/show_cluster.json" "$TMP/cluster3.json"
	ctl -j cluster lookup eff317c4 >"$TMP/lookup.json"
	check "cluster lookup -j is valid against its schema" python3 \
		"$SRCDIR/test/tools/json_schema_check.py" "$SRCDIR/doc/schema/cli/cluster_lookup.json" "$TMP/lookup.json"
fi
rc=0; ctl cluster lookup nothex >/dev/null 2>&1 || rc=$?
check "cluster lookup with a bad token: a server error (exit 2)" [ "$rc" -eq 2 ]

# Reload: 'unreachable' applies at once; the ring sizes wait for a restart.
write_conf drop 512
ctl reload >"$TMP/reload.txt" 2>&1
check "reload accepted" grep -q "policy reloaded" "$TMP/reload.txt"
check "reload says the request ring waits for a restart" grep -q "take effect at restart" "$TMP/reload.txt"
check "show cluster: unreachable = drop after reload" [ "$(cl .unreachable)" = drop ]
check "show cluster: still connected (same store)" connected

# The store goes away: a state and counters, not a crash.
kill -TERM "$RPID"; wait "$RPID" 2>/dev/null; RPID=
down() { [ "$(cl .state)" != connected ]; }
check "store stopped: show cluster leaves 'connected'" wait_for 10 down
check "store stopped: mpnorm still answers and runs" bash -c "kill -0 $MPID && $MPNORMCTL -s $ctl_sock show stats >/dev/null"
check "store stopped: the disconnect is counted" [ "$(cl .counters.disconnects)" -ge 1 ]
rc=0; ctl cluster lookup eff317c4 >"$TMP/lookup-down.txt" 2>&1 || rc=$?
check "store stopped: a lookup is refused at once (exit 2, not connected)" \
	test "$rc" -eq 2 -a -n "$(grep 'not connected' "$TMP/lookup-down.txt")"
redis_start || exit 1
check "store back: reconnected" wait_for 20 connected
check "store back (empty): the walk republishes the connection" wait_for 20 has_key eff317c4

kill -TERM "$MPID"
rc=0
wait "$MPID" || rc=$?
MPID=
check "mpnorm exits cleanly on SIGTERM with the directory running" [ "$rc" -eq 0 ]
check "nothing logged a key" bash -c "! grep -qiE 'k[ab]=[0-9a-f]{16}' '$TMP/stdout' '$TMP/stderr'"
finish
