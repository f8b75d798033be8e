#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Keys are secrets (RFC 7430 §3, issue 15). A live mpnorm tracks the MPTCP
# connection of the bundled capture (replayed without end, under the
# shipped MPTCP-aware policy, joins verified) and must show its keys
# nowhere an operator or a collector can read: no CLI command in text or
# JSON (show connections, show subflows, show conn, ...), no telemetry
# endpoint, no trace line, no log line, no IPFIX message. The tokens (the
# keys' fingerprints, RFC 8684 §3.1) are shown. Only the offline mode,
# when asked with --show-keys, prints the keys: that is where this test
# learns them, so it looks for the right ones.
. "$SRCDIR/test/lib.sh"

command -v editcap >/dev/null || skip_all "editcap is not installed (scripts/install-deps.sh)"
# The first 20 packets: the MP_CAPABLE handshake (3-5), the MP_JOIN
# handshake (10-12) and data. Replayed without end, so a trace of 256
# packets sees every one of them, the third ACK with both keys included.
in=$TMP/short.pcap
editcap -r "$SRCDIR/pcaps/mptcp-2subflows.pcap" "$in" 1-20
sock=$TMP/run/mpnorm.sock
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	cleanup_runtime
}
trap cleanup EXIT
ctl() { "$MPNORMCTL" -s "$sock" "$@"; }

# The keys, from the offline mode that was asked for them.
"$MPNORM" --offline "$in" "$TMP/off.pcap" -c "$SRCDIR/config/mpnorm.conf" --json "$TMP/off.json" \
	--show-keys >/dev/null 2>&1
keys=$(jq -r '[.. | objects | select(has("key_a")) | .key_a, .key_b] | .[]' "$TMP/off.json" | sed 's/^0x//')
check "the offline mode with --show-keys gives the connection's two keys" \
	[ "$(echo "$keys" | grep -cE '^[0-9a-f]{16}$')" -eq 2 ]
"$MPNORM" --offline "$in" "$TMP/off2.pcap" -c "$SRCDIR/config/mpnorm.conf" --json "$TMP/off2.json" \
	>/dev/null 2>&1
# Every form a key could take in text: hex (any case, with or without
# leading zeros), decimal, and the hex of each 32-bit half.
patterns=$TMP/patterns
: >"$patterns"
for k in $keys; do
	{
		echo "$k"
		echo "${k#"${k%%[!0]*}"}"
		python3 -c "print(int('$k', 16))"
		echo "${k:0:8}"
		echo "${k:8:8}"
	} >>"$patterns"
done
# secret_free FILE...: none of the patterns appears in any FILE (case-insensitive).
secret_free() { ! grep -qiFf "$patterns" "$@"; }
check "the offline mode without --show-keys prints no key" secret_free "$TMP/off2.json"

# An IPFIX collector: every UDP datagram, as it came, into one file.
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$port" "$TMP/ipfix.bin" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "wb", buffering=0) as f:
    while True:
        f.write(s.recv(65535))
PY
pids+=($!)
check "the collector listens" wait_until 10 bash -c "ss -Hlnu | grep -q '127.0.0.1:$port '"

mkdir -p "$TMP/run"
sed -n '/^tcp-maps/,$p' "$SRCDIR/config/mpnorm.conf" >"$TMP/live.conf"
cat >>"$TMP/live.conf" <<CONF
control = { socket = "$sock"; };
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=/dev/null,infinite_rx=1"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 4096; rx_desc = 256; tx_desc = 256; };
flow-export = { collector = "127.0.0.1"; port = $port; delay = 50; };
logging = { level = "debug"; rate = 0; };
CONF
"$MPNORM" --no-huge -m 512 --no-pci --file-prefix "mpn-keys-$$" -l 0-1 -- -c "$TMP/live.conf" \
	>"$TMP/log" 2>&1 &
pids+=($!)
check "the control socket appears" wait_until 60 test -S "$sock"
one_conn() { [ "$(ctl -j show connections 2>/dev/null | jq '.connection | length')" -ge 1 ]; }
check "the connection is tracked" wait_until 60 one_conn
check "trace 256 is armed" ctl trace 256
traced() { [ "$(ctl -j show trace 2>/dev/null | jq '.packets | length')" -ge 256 ]; }
check "256 packets are traced: every packet of the 20-packet loop, many times" wait_until 60 traced
check "the trace saw the SYNs of both handshakes" \
	bash -c "[ \$('$MPNORMCTL' -s '$sock' show trace | grep -c 'flags 0x02') -ge 2 ]"
check "IPFIX messages reached the collector" wait_until 30 test -s "$TMP/ipfix.bin"

# Every command, in text and in JSON.
for c in "show connections" "show connections token eff317c4" "show subflows" \
		"show subflows token 0xeff317c4" "show conn" "show conn token eff317c4" \
		"show tracking" "show rcu" "show stats" "show drops" "show trace" "show config" \
		"show running-config" "show flow-export" "show logging" "show workers" \
		"show service-policy" "show cluster" "show tcp-map"; do
	# shellcheck disable=SC2086
	ctl $c >>"$TMP/cli.txt" 2>&1 || true
	# shellcheck disable=SC2086
	ctl -j $c >>"$TMP/cli.json" 2>&1 || true
done
check "the CLI shows the tokens (the keys' fingerprints)" grep -q "0xeff317c4" "$TMP/cli.json"
check "no CLI command shows a key, in text" secret_free "$TMP/cli.txt"
check "no CLI command shows a key, in JSON" secret_free "$TMP/cli.json"

# Every telemetry endpoint.
eps=$(echo / | dpdk-telemetry.py -f "mpn-keys-$$" 2>/dev/null | grep -o '{"/".*}' | jq -r '."/"[]' | grep '^/mpnorm/')
check "telemetry lists the /mpnorm/ endpoints" [ -n "$eps" ]
for ep in $eps; do
	echo "$ep" | dpdk-telemetry.py -f "mpn-keys-$$" >>"$TMP/tel.txt" 2>&1 || true
done
check "telemetry answered" grep -q '"/mpnorm/tracking"' "$TMP/tel.txt"
check "no telemetry endpoint shows a key" secret_free "$TMP/tel.txt"

# IPFIX: the keys in either byte order, as binary.
no_key_in_ipfix() {
	# shellcheck disable=SC2086 # one argument per key
	python3 - "$TMP/ipfix.bin" $keys <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
for k in sys.argv[2:]:
    v = int(k, 16)
    for order in ("big", "little"):
        if v.to_bytes(8, order) in data:
            sys.exit(1)
sys.exit(0)
PY
}
check "no IPFIX message carries a key" no_key_in_ipfix
has_token() {
	python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(0 if bytes.fromhex("eff317c4") in d or bytes.fromhex("c417f3ef") in d else 1)' "$TMP/ipfix.bin"
}
check "... and they carry the token (the records are the connection's)" has_token

kill -TERM "${pids[1]}" 2>/dev/null
wait "${pids[1]}" 2>/dev/null || true
check "the log (debug level, no rate limit) holds no key" secret_free "$TMP/log"
finish
