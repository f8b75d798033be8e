#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The live data path on net_pcap vdevs (no NIC, no hugepages): a pair link
# forwards port A's input out of port B unchanged and in order, a one-armed
# link sends it back out of the same port, SIGTERM stops the process cleanly
# with the per-port and per-worker report, and start-up errors name the port
# and the config line.
. "$SRCDIR/test/lib.sh"

in=$(ls "$SRCDIR"/pcaps/*.pcap | head -n 1)
n=$(count_records "$in")
eal=(--no-huge -m 512 --no-pci --no-telemetry --file-prefix "mpn-test-$$" -l 0-1)
# These cases test forwarding, not policy: pass MPTCP as the seed's ASA fix
# does, so that what comes out must equal what went in.
policy='tcp-maps = ( { name = "m"; tcp-options = { range = ( "30 30 allow" ); }; } );
class-maps = ( { name = "all"; match = "any"; } );
policy-maps = ( { name = "p"; class = ( { class = "all"; tcp-map = "m"; } ); } );
service-policy = { global = "p"; };'

# run_mpnorm CONF: start mpnorm, wait until it has drained its input (every
# packet of the capture counted in, and out or dropped), SIGTERM it. A
# control socket is appended to CONF (after its last line, so the line
# numbers of start-up errors do not move).
run_mpnorm() {
	local conf=$1 pid sock=$TMP/run.sock
	echo "control = { socket = \"$sock\"; };" >>"$conf"
	# The previous run's files go first: its "forwarding on" must not be
	# read as this one's before the shell truncates them.
	rm -f "$sock" "$TMP/stdout" "$TMP/stderr"
	"$MPNORM" "${eal[@]}" -- -c "$conf" >"$TMP/stdout" 2>"$TMP/stderr" &
	pid=$!
	up_or_gone() { grep -q "forwarding on" "$TMP/stdout" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; }
	drained() {
		! kill -0 "$pid" 2>/dev/null ||
			[ "$("$MPNORMCTL" -s "$sock" -j show stats 2>/dev/null |
				jq '[.packets_in, .packets_out + .packets_dropped] | join(" ")')" = "\"$n $n\"" ]
	}
	wait_until 60 up_or_gone || echo "# mpnorm neither up nor gone after 60 s"
	if grep -q "forwarding on" "$TMP/stdout" 2>/dev/null; then
		wait_until 60 drained || echo "# mpnorm did not drain its $n packets in 60 s"
	fi
	kill -TERM "$pid" 2>/dev/null || true
	RC=0
	wait "$pid" || RC=$?
}

cat >"$TMP/pair.conf" <<CONF
dataplane = { workers = 1; mbufs = 4096; rx_desc = 256; tx_desc = 256; };
ports = (
  { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/a-out.pcap"; },
  { name = "net_pcap1"; devargs = "rx_pcap=$TMP/empty.pcap,tx_pcap=$TMP/b-out.pcap"; }
);
links = ( { name = "wire"; inside = "net_pcap0"; outside = "net_pcap1"; } );
$policy
CONF
# An input with no packets for the outside port.
head -c 24 "$in" >"$TMP/empty.pcap"
run_mpnorm "$TMP/pair.conf"
check "pair link: clean exit on SIGTERM" [ "$RC" -eq 0 ]
check "pair link: outside port sent what inside received" "$PCAPDIFF" -q "$in" "$TMP/b-out.pcap"
check "pair link: nothing went back out of the inside port" [ "$(count_records "$TMP/a-out.pcap")" -eq 0 ]
check "pair link: exit report shows port net_pcap0 rx $n" \
	grep -qE "^0 +net_pcap0 +[0-9]+ +$n +0 " "$TMP/stdout"
check "pair link: exit report shows port net_pcap1 tx $n" \
	grep -qE "^1 +net_pcap1 +[0-9]+ +0 +$n " "$TMP/stdout"
check "pair link: exit report shows worker 0" grep -qE "^0 +1 +$n +$n +0 +0" "$TMP/stdout"

cat >"$TMP/stick.conf" <<CONF
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/s-out.pcap"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 4096; rx_desc = 256; tx_desc = 256; };
$policy
CONF
run_mpnorm "$TMP/stick.conf"
check "one-armed link: clean exit" [ "$RC" -eq 0 ]
check "one-armed link: packets go back out of the same port" "$PCAPDIFF" -q "$in" "$TMP/s-out.pcap"

# With no policy at all, mpnorm is an ASA with its default tcp-map: every
# kind-30 option leaves as NOPs, and every TCP checksum still verifies.
cat >"$TMP/asa.conf" <<CONF
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/asa-out.pcap"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 4096; rx_desc = 256; tx_desc = 256; };
CONF
run_mpnorm "$TMP/asa.conf"
check "ASA default: clean exit" [ "$RC" -eq 0 ]
check "ASA default: every packet forwarded" [ "$(count_records "$TMP/asa-out.pcap")" -eq "$n" ]
check "ASA default: no MPTCP option left" \
	[ "$(tshark -r "$TMP/asa-out.pcap" -Y mptcp 2>/dev/null | wc -l)" -eq 0 ]
check "ASA default: every TCP checksum verifies" \
	[ "$(tshark -r "$TMP/asa-out.pcap" -o tcp.check_checksum:TRUE -Y 'tcp.checksum.status != 1' 2>/dev/null | wc -l)" -eq 0 ]
n_opts=$(tshark -r "$in" -Y mptcp -T fields -e tcp.options.mptcp.subtype 2>/dev/null | tr ',' '\n' | grep -c .)
check "ASA default: exit report counts the $n_opts cleared options" \
	grep -qE "^mptcp-option-cleared +0 +$n_opts\$" "$TMP/stdout"

# Start-up errors.
cat >"$TMP/missing.conf" <<CONF
ports = (
  { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/x.pcap"; },
  { name = "0000:99:00.0"; }
);
links = ( { name = "wire"; inside = "net_pcap0"; outside = "0000:99:00.0"; } );
CONF
run_mpnorm "$TMP/missing.conf"
check "missing device: exits non-zero" [ "$RC" -ne 0 ]
check "missing device: names the port and its line" \
	grep -q "missing.conf:3: port '0000:99:00.0': no DPDK device by that name" "$TMP/stderr"

cat >"$TMP/workers.conf" <<CONF
dataplane = {
  workers = 4;
};
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/x.pcap"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
CONF
run_mpnorm "$TMP/workers.conf"
check "too few lcores: exits non-zero" [ "$RC" -ne 0 ]
check "too few lcores: says which line and what to do" \
	grep -q "workers.conf:2: dataplane.workers = 4, but the EAL gave 1 worker lcore(s). Start with -l 0-4" "$TMP/stderr"

cat >"$TMP/badargs.conf" <<CONF
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$TMP/none.pcap"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
CONF
run_mpnorm "$TMP/badargs.conf"
check "bad devargs: exits non-zero" [ "$RC" -ne 0 ]
check "bad devargs: names the port and its line" \
	grep -q "badargs.conf:1: port 'net_pcap0': probing" "$TMP/stderr"
finish
