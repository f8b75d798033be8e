#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two workers on a port whose placement is NOT symmetric: net_pcap gives one
# queue per rx_pcap file, and the bundled capture is split so that every
# client->server packet arrives on queue 0 and every reply on queue 1, the
# worst case for per-worker state. In handoff mode (chosen automatically:
# net_pcap has no RSS) every packet must be processed once, by the owner of
# its flow, with handoffs counted, nothing lost, no flow reordered, and the
# MPTCP connection seen whole with both tokens.
#
# net_pcap plays its two queue files independently, so a reply can reach the
# tracker before the packet it answers: there is no causality between the
# queues as real traffic has. The checks that depend on it (invalid-ack, a
# join's token known before its SYN) are relaxed here; the real multi-queue
# test on af_packet with Linux MPTCP (test/e2e) checks joins verified across
# workers.
. "$SRCDIR/test/lib.sh"

in=$SRCDIR/pcaps/mptcp-2subflows.pcap
n=$(count_records "$in")
tshark -r "$in" -Y 'ip.src == 10.99.1.1 || ip.src == 10.99.2.1' -F pcap -w "$TMP/q0.pcap" 2>/dev/null
tshark -r "$in" -Y '!(ip.src == 10.99.1.1 || ip.src == 10.99.2.1)' -F pcap -w "$TMP/q1.pcap" 2>/dev/null
sock=$TMP/mpnorm.sock
ctl() { "$MPNORMCTL" -s "$sock" "$@"; }

drained() { [ "$(ctl -j show stats 2>/dev/null | jq '[.packets_in, .packets_out + .packets_dropped] | join(" ")')" = "\"$n $n\"" ]; }

run() {   # run PLACEMENT
	{
		sed -n '/^tcp-maps/,$p' "$SRCDIR/config/mpnorm.conf" | sed \
			-e 's/join = "verify";/join = "allow-unknown";/' \
			-e 's/tcp-options = {/invalid-ack = "allow"; seq-past-window = "allow"; tcp-options = {/'
		cat <<CONF
control = { socket = "$sock"; };
dataplane = { workers = 2; placement = "$1"; mbufs = 8192; rx_desc = 512; tx_desc = 512; };
tables = { subflows = 4096; connections = 1024; };
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$TMP/q0.pcap,rx_pcap=$TMP/q1.pcap,tx_pcap=$TMP/o0.pcap,tx_pcap=$TMP/o1.pcap"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
CONF
	} >"$TMP/$1.conf"
	# Three lcores (main and two workers) on however many CPUs there are.
	"$MPNORM" --no-huge -m 1024 --no-pci --file-prefix "mpn-mq-$$" --lcores 0@0,1@1,2@0 -- -c "$TMP/$1.conf" \
		>"$TMP/$1.log" 2>&1 &
	pid=$!
	wait_until 60 test -S "$sock" || echo "# no control socket after 60 s"
	# Both queue files read to the end: every packet counted in and out.
	wait_until 60 drained || echo "# not drained after 60 s: $(ctl -j show stats | jq -c '[.packets_in, .packets_out, .packets_dropped]')"
	ctl -j show connections >"$TMP/$1-conns.json"
	ctl -j show subflows >"$TMP/$1-subs.json"
	ctl -j show workers >"$TMP/$1-workers.json"
	ctl -j show stats >"$TMP/$1-stats.json"
	kill -TERM "$pid"
	wait "$pid"
}

run auto
check "auto placement chose handoff (net_pcap has no RSS)" grep -q "placement: handoff: port 'net_pcap0' is not symmetric" "$TMP/auto.log"
check "both workers received packets" \
	jq_eq "$TMP/auto-workers.json" '[.workers[] | select(.rx > 0)] | length' 2
check "handoffs were counted" jq -e '[.workers[]."handoff-out"] | add > 0' "$TMP/auto-workers.json"
check "every packet received once: packets_in = $n" jq_eq "$TMP/auto-stats.json" .packets_in "$n"
check "nothing dropped" jq_eq "$TMP/auto-stats.json" .packets_dropped 0
check "every packet sent: packets_out = $n" jq_eq "$TMP/auto-stats.json" .packets_out "$n"
check "one connection with the kernel's tokens" \
	jq_eq "$TMP/auto-conns.json" '.connection | map("\(.token_a) \(.token_b)") | join(",")' "0xb594cf97 0xeff317c4"
# Whether the join is tied to the connection depends on which queue's file
# net_pcap happens to read first (see above): either is correct here.
check "the initial subflow is tracked (and the join, when its SYN came second)" \
	jq -e '[.subflows[] | .role] | join(",") | test("^initial(,join)?$")' "$TMP/auto-subs.json"
check "the outputs hold every packet" \
	[ "$(( $(count_records "$TMP/o0.pcap") + $(count_records "$TMP/o1.pcap") ))" -eq "$n" ]

# Order: for each direction of each subflow, the (seq, ack, len) sequence out
# equals the sequence in. A flow leaves by its owner's queue, so its packets
# are all in one output file.
order() {   # order PCAP...: one line per packet, grouped by flow direction
	for f in "$@"; do
		tshark -r "$f" -Y tcp -T fields -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport \
			-e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>/dev/null
	done | awk '{ k = $1 ":" $2 ">" $3 ":" $4; print k, NR_by[k]++, $5, $6, $7 }' | sort -k1,1 -k2,2n
}
order "$in" >"$TMP/order-in"
order "$TMP/o0.pcap" "$TMP/o1.pcap" >"$TMP/order-out"
check "no flow direction reordered" cmp -s "$TMP/order-in" "$TMP/order-out"
finish
