#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Case 9, the stateful half of cTCP (Cisco's note 113578, IPsec over TCP
# through an ASA). A cTCP-like sender (test/e2e/ctcp.py: new data only,
# never a retransmission) talks to a head-end that acknowledges in order,
# across path 2, where an nftables rule in the client namespace loses one
# data segment before mpnorm. The head-end then repeats its ACK, its window
# stops moving, and the sender runs on past it.
#
#  A. Shipped policy (config/mpnorm.conf): mpnorm passes the segments
#     inside the receiver's window byte for byte and drops every one past
#     it as tcp-seq-past-win, exactly as many as the window arithmetic says
#     (RFC 9293 §3.10.7.4: acceptable data lies below RCV.NXT + RCV.WND), and
#     nothing for any other reason: the ACKs never cover data mpnorm did
#     not see, so there is no tcp-invalid-ack.
#  B. config/examples/ctcp-bypass.conf (port 10000 is tcp-state-bypass):
#     on port 10000 every segment the loss left arrives byte for byte, while
#     on the same box the same cTCP stream on port 10001 is still dropped
#     past the window, and a real MPTCP transfer (path 1, joining path 2) is
#     tracked, its tokens equal the kernel's, and arrives intact.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init ct 9
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip_all "python3-scapy not installed"
for t in tcpdump nft; do command -v "$t" >/dev/null || skip_all "$t not installed"; done
CTCP=$E2E_DIR/ctcp.py
FORGE=$E2E_DIR/forge.py

segs=60      # data segments each sender sends
size=1000    # bytes each
isn=100000   # the senders' initial sequence number
lost=10      # the segment lost on the way (0-based)
window=8192  # the head-end's receive window, unscaled
# RFC 9293 §3.10.7.4: after the hole the head-end's ACK stays at the hole,
# so its window's right edge stays at hole + window: the segments ending
# at or before it pass, the rest lie past the window.
inwin=$(((window / size) - 1))                # after the hole, still inside: 7
past=$((segs - lost - 1 - inwin))             # past the window: 42
arrive=$((segs - 1 - past))                   # through mpnorm: 17

mac() { ip -n "$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
cmac=$(mac "$BED_NS_CLI" c2)
smac=$(mac "$BED_NS_SRV" s2)
# Two addresses no namespace owns, on path 2.
pcli=$BED_NET.2.3
psrv=$BED_NET.2.4

# The induced loss, inside the client namespace, before mpnorm: on c2's
# way out (the netdev egress hook, which raw sockets pass too), data
# segment $lost of every cTCP flow, matched by its sequence number, is
# lost; all other traffic on c2 (the MPTCP join of phase B too) passes.
# A rule and not netem: the loss must hit that one segment on every run
# (netem's is random), and not every kernel has sch_netem.
lost_seq=$((isn + 1 + lost * size))
ip netns exec "$BED_NS_CLI" nft -f - <<EOF
table netdev ctcp_loss {
	chain egress {
		type filter hook egress device "c2" priority 0; policy accept;
		ip daddr $psrv tcp sequence $lost_seq counter drop
	}
}
EOF
lost_count() {
	ip netns exec "$BED_NS_CLI" nft -j list table netdev ctcp_loss |
		jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add'
}

# ctcp_recv TAG PORT: the head-end on PORT, in the server namespace.
ctcp_recv() {
	rm -f "$TMP/ready-$1"
	"$PY" "$CTCP" recv --ns "$BED_NS_SRV" --iface s2 --mac "$smac" --peer-mac "$cmac" \
		--ip "$psrv" --peer-ip "$pcli" --port "$2" --window "$window" --size-hint "$size" \
		--ready "$TMP/ready-$1" --out "$TMP/recv-$1.json" 2>"$TMP/recv-$1.err" &
	eval "RECV_$1=$!"
	E2E_PIDS+=($!)
	wait_file "$TMP/ready-$1" 30
}
# ctcp_send TAG PORT SPORT: the sender, in the client namespace (background).
ctcp_send() {
	"$PY" "$CTCP" send --ns "$BED_NS_CLI" --iface c2 --mac "$cmac" --peer-mac "$smac" \
		--ip "$pcli" --peer-ip "$psrv" --port "$2" --sport "$3" --segments "$segs" \
		--size "$size" --isn "$isn" --out "$TMP/sent-$1.hex" \
		>"$TMP/send-$1.json" 2>"$TMP/send-$1.err" &
	eval "SEND_$1=$!"
	E2E_PIDS+=($!)
}
# ctcp_done TAG: wait for the sender; stop the head-end (it writes its summary).
ctcp_done() {
	local s=SEND_$1 r=RECV_$1 rc=0
	wait "${!s}" || { rc=1; echo "sender $1 failed:"; cat "$TMP/send-$1.err"; }
	kill -TERM "${!r}" 2>/dev/null
	wait "${!r}" || { rc=1; echo "head-end $1 failed:"; cat "$TMP/recv-$1.err"; }
	if [ "$rc" -ne 0 ]; then
		echo "# head-end $1: $(cat "$TMP/recv-$1.json" 2>/dev/null)"
		ctl show drops | sed 's/^/# mpnorm: /'
	fi
	return "$rc"
}
# arrived TAG CAPTURE: what arrived of each segment sent (forge.py compare).
arrived() {
	"$PY" "$FORGE" compare --sent "$TMP/sent-$1.hex" --pcap "$TMP/$2.pcap" >"$TMP/cmp-$1.json"
	jq -c 'select(.verdict == "changed")' "$TMP/cmp-$1.json" | sed "s/^/# $1 changed: /"
}
# verdicts TAG FIRST LAST: the verdicts of segments FIRST..LAST, "same" x N etc.
verdicts() {
	jq -rs --argjson a "$2" --argjson b "$3" \
		'[.[$a:$b + 1][] | .verdict] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' "$TMP/cmp-$1.json"
}
sent_ok() {   # the sender sent SEGS new segments, each sequence number once, in order
	local seqs
	seqs=$(jq -rs '[.[].seq] | (. == (sort | unique)) and (length == '"$segs"')' "$TMP/cmp-$1.json")
	[ "$seqs" = true ] && [ "$(wc -l <"$TMP/sent-$1.hex")" -eq "$segs" ]
}
rj() { jq -r ".$2" "$TMP/recv-$1.json"; }

echo "# $segs segments of $size bytes, segment $lost lost on the way, window $window:" \
	"$arrive should pass, $past lie past the window"

# Phase A: the shipped policy.
must "mpnorm starts with config/mpnorm.conf's policy" mpnorm_start "$SRCDIR/config/mpnorm.conf"
capture_start rx_a "$BED_NS_SRV" s2 "tcp and src host $pcli"
must "the head-end listens on port 10000" ctcp_recv a 10000
ctcp_send a 10000 41000
must "phase A: the sender and the head-end finish" ctcp_done a
capture_stop rx_a
arrived a rx_a
ctl show drops | sed 's/^/# mpnorm: /'
echo "# sender: $(cat "$TMP/send-a.json"); head-end: $(cat "$TMP/recv-a.json")"
check "A: $segs new segments sent, no retransmission" sent_ok a
check "A: segment $lost was lost before mpnorm (nft counter $(lost_count); $(verdicts a $lost $lost))" \
	[ "$(lost_count)/$(verdicts a $lost $lost)" = "1/missing 1" ]
check "A: segments 0-$((lost - 1)) arrive byte for byte ($(verdicts a 0 $((lost - 1))))" \
	[ "$(verdicts a 0 $((lost - 1)))" = "same $lost" ]
check "A: the $inwin after the hole, inside the window, arrive byte for byte ($(verdicts a $((lost + 1)) $((lost + inwin))))" \
	[ "$(verdicts a $((lost + 1)) $((lost + inwin)))" = "same $inwin" ]
check "A: the $past past the window are dropped ($(verdicts a $((lost + inwin + 1)) $((segs - 1))))" \
	[ "$(verdicts a $((lost + inwin + 1)) $((segs - 1)))" = "missing $past" ]
check "A: the head-end's ACK stayed at the hole ($(rj a in_order_bytes) bytes in order)" \
	[ "$(rj a in_order_bytes)" -eq $((lost * size)) ]
check "A: it repeated it for each segment after the hole ($(rj a dup_acks) duplicate ACKs)" \
	[ "$(rj a dup_acks)" -eq "$inwin" ]
check "mpnorm: drops tcp-seq-past-win = $past" [ "$(reason_count tcp-seq-past-win dropped)" -eq "$past" ]
check "mpnorm: no tcp-invalid-ack (the ACKs never cover unseen data)" \
	[ "$(reason_count tcp-invalid-ack dropped)" -eq 0 ]
check "mpnorm: nothing else dropped ($(total_drops) in all)" [ "$(total_drops)" -eq "$past" ]
check "mpnorm exits cleanly" mpnorm_stop

# Phase B: ctcp-bypass.conf, with other traffic on the same box.
port=5009
must "mpnorm starts with ctcp-bypass.conf" mpnorm_start "$SRCDIR/config/examples/ctcp-bypass.conf"
capture_start rx_b "$BED_NS_SRV" s2 "tcp and src host $pcli"
must "the head-end listens on port 10000" ctcp_recv byp 10000
must "a second head-end listens on port 10001" ctcp_recv nrm 10001
xfer_server "$port" --timeout 120
xfer_client "$port" --mb 20 --wait-subflows 1 --pause "$TMP/go" --timeout 120
ctcp_send byp 10000 43000
ctcp_send nrm 10001 44000
must "B: the cTCP sender and head-end on port 10000 finish" ctcp_done byp
must "B: and on port 10001" ctcp_done nrm
must "B: the MPTCP client sent everything, its connection up" wait_file "$TMP/go.paused" 60
check_tokens
ctl -j show stats >"$TMP/stats-b.json"
capture_stop rx_b
touch "$TMP/go"
check "B: the MPTCP transfer completes" xfer_wait "$port"
arrived byp rx_b
arrived nrm rx_b
ctl show drops | sed 's/^/# mpnorm: /'
echo "# port 10000: $(cat "$TMP/recv-byp.json"); port 10001: $(cat "$TMP/recv-nrm.json")"
check "B: $segs new segments sent on each port" sent_ok byp
check "B: port 10000 (bypass): all but the lost segment arrive byte for byte ($(verdicts byp 0 $((segs - 1))))" \
	[ "$(verdicts byp 0 $((segs - 1)))" = "missing 1, same $((segs - 1))" ]
check "B: port 10000: the lost one is segment $lost (nft counter $(lost_count) in all)" \
	[ "$(lost_count)/$(verdicts byp $lost $lost)" = "3/missing 1" ]
check "B: port 10000: the head-end got every one of them ($(rj byp bytes) bytes)" \
	[ "$(rj byp bytes)" -eq $(((segs - 1) * size)) ]
check "B: port 10001 (normalized): $arrive arrive, $past dropped past the window ($(verdicts nrm 0 $((segs - 1))))" \
	[ "$(verdicts nrm 0 $((segs - 1)))" = "missing $((past + 1)), same $arrive" ]
check "B: mpnorm: drops tcp-seq-past-win = $past (port 10001 only)" \
	[ "$(reason_count tcp-seq-past-win dropped)" -eq "$past" ]
check "B: mpnorm: nothing else dropped ($(total_drops) in all)" [ "$(total_drops)" -eq "$past" ]
check "B: the MPTCP transfer: SHA-256 equal at both ends, 20 MB" xfer_intact "$port" $((20 << 20))
check "B: it kept MPTCP and its 2 subflows" \
	[ "$(xj server $port mptcp)/$(xj server $port max_subflows)" = true/1 ]
check "B: mpnorm tracked it: DSS options counted ($(jq .mptcp_options.dss "$TMP/stats-b.json"))" \
	[ "$(jq .mptcp_options.dss "$TMP/stats-b.json")" -gt 0 ]
check "B: mpnorm verified its join (show subflows)" \
	[ "$(ctl -j show subflows | jq '[.subflows[] | select(.role == "join") | .join] | unique | join(",")')" = '"ok"' ]
check "mpnorm exits cleanly" mpnorm_stop
finish
