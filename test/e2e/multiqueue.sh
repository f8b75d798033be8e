#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Multi-core (issue 6, issue 20): two workers, each port opened by
# net_af_packet with qpairs=2, so the kernel's fanout spreads flows over two
# queues, and a real Linux MPTCP transfer over two subflows.
#  - placement symmetric (forced): the kernel's fanout hash is symmetric
#    while no ring is full; the connection shows both subflows, the join is
#    verified, and there are zero handoffs (af_packet defragments before
#    fanout, so not even IP fragments move);
#  - placement auto: DPDK 22.11's af_packet PMD joins the fanout with
#    PACKET_FANOUT_FLAG_ROLLOVER, so under load a packet can reach another
#    queue; mpnorm says so and hands off. Handoffs are counted, the
#    verdicts are the same, and the data arrives intact with no reset.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init mq 8
port=5008

# The bed's ports with two queue pairs each, two workers, the shipped policy.
mq_start() {   # mq_start PLACEMENT
	{
		sed -e 's/devargs = "iface=\([^"]*\)"/devargs = "iface=\1,qpairs=2"/' \
			-e "s/dataplane = {[^}]*};/dataplane = { workers = 2; placement = \"$1\"; mbufs = 16384; rx_desc = 512; tx_desc = 512; };/" \
			"$BED_PORTS_CONF"
		policy_of "$SRCDIR/config/mpnorm.conf"
	} >"$TMP/mq-$1.conf"
	# Three lcores (main and two workers) on however many CPUs there are.
	"$MPNORM" --no-huge -m 1024 --no-pci --lcores 0@0,1@1,2@0 --file-prefix "$BED_FILE_PREFIX" \
		-- -c "$TMP/mq-$1.conf" </dev/null >"$TMP/mpnorm-$1.log" 2>&1 &
	MPNORM_PID=$!
	mpnorm_wait_up "$TMP/mpnorm-$1.log"
}

# mq_case PLACEMENT MB CONNS BASE [RATE]: CONNS concurrent MPTCP transfers
# of MB each, on ports BASE.., every one paused until its join is up; paced
# at RATE MB/s if given.
mq_case() {
	local mode=$1 mb=$2 conns=$3 base=$4 rate=${5:-} i p
	must "mpnorm starts with 2 workers, qpairs=2, placement $mode" mq_start "$mode"
	grep "placement" "$TMP/mpnorm-$mode.log" | sed 's/^/# /'
	for i in $(seq 0 $((conns - 1))); do
		p=$((base + i))
		xfer_server "$p"
		xfer_client "$p" --mb "$mb" ${rate:+--rate "$rate"} --wait-subflows 1 --pause "$TMP/go-$mode-$p"
	done
	for i in $(seq 0 $((conns - 1))); do
		p=$((base + i))
		must "$mode: client $p paused with its connection up" wait_file "$TMP/go-$mode-$p.paused" 60
	done
	# mpnorm has seen every join complete (or 30 s passed: the checks say what).
	joined() { [ "$(ctl -j show connections | jq '[.connection[] | select(.subflows == 2)] | length')" -ge "$conns" ]; }
	wait_until 30 joined || echo "# $mode: not every connection shows 2 subflows after 30 s"
	ctl -j show subflows >"$TMP/subs-$mode.json"
	ctl -j show connections >"$TMP/conns-$mode.json"
	check_tokens
	for i in $(seq 0 $((conns - 1))); do touch "$TMP/go-$mode-$((base + i))"; done
	for i in $(seq 0 $((conns - 1))); do
		p=$((base + i))
		check "$mode: transfer $p completes" done_both "$p"
		check "$mode: transfer $p: SHA-256 equal at both ends, $mb MB" xfer_intact "$p" $((mb << 20))
	done
	check "$mode: nothing reset or aborted" [ "$(resets "$BED_NS_CLI")/$(resets "$BED_NS_SRV")" = 0/0 ]
	ctl -j show workers >"$TMP/workers-$mode.json"
	jq -c '.workers[] | {worker, rx, tx, "handoff-out", "handoff-in"}' "$TMP/workers-$mode.json" | sed 's/^/# /'
	check "$mode: $conns connections, each with two subflows" \
		jq_eq "$TMP/conns-$mode.json" '[.connection[] | select(.subflows == 2)] | length' "$conns"
	check "$mode: every join verified" \
		jq_eq "$TMP/subs-$mode.json" '[.subflows[] | select(.role == "join") | .join] | unique | join(",")' ok
	check "$mode: nothing dropped" [ "$(total_drops)" -eq 0 ]
	mpnorm_stop
}

jq_eq() { [ "$(jq -r "$2" "$1")" = "$3" ]; }

# done_both PORT: both ends of transfer PORT have written their result
# (xfer_wait follows only the last client started; here several run at once).
done_both() {
	local i
	for i in $(seq 1 1200); do
		[ -n "$(xj client "$1" sha256)" ] && [ "$(xj client "$1" sha256)" != null ] &&
			[ -n "$(xj server "$1" sha256)" ] && [ "$(xj server "$1" sha256)" != null ] && return 0
		sleep 0.05
	done
	return 1
}

# Paced: forced symmetric placement holds only while no af_packet ring is
# full (rollover moves a packet to the other worker, which drops what it
# does not own). At 5 MB/s a worker starved of CPU for a while on a loaded
# machine still keeps its 512-frame ring from filling.
mq_case symmetric 10 1 "$port" 5
check "symmetric: forced, and the log says it is unverified" \
	grep -q "placement: symmetric (forced by dataplane.placement; unverified on" "$TMP/mpnorm-symmetric.log"
check "symmetric: zero handoffs" \
	jq_eq "$TMP/workers-symmetric.json" '[.workers[] | ."handoff-out" + ."handoff-in"] | add' 0

# Six connections, twelve subflows: the chance that the kernel's fanout and
# the software owner agree on every one of them, so that nothing needs
# handing off, is 1 in 4096.
mq_case auto 3 6 $((port + 1))
check "auto: af_packet's fanout rollover is named, and mpnorm hands off" \
	grep -q "placement: handoff: port .* (af_packet fanout rolls packets over to another queue" "$TMP/mpnorm-auto.log"
check "auto: handoffs counted" \
	jq -e '[.workers[] | ."handoff-out"] | add > 0' "$TMP/workers-auto.json"
check "auto: every handoff arrived (out = in)" \
	jq -e '([.workers[] | ."handoff-out"] | add) == ([.workers[] | ."handoff-in"] | add)' "$TMP/workers-auto.json"
check "auto: show workers has the software owner's expected share, about half each" \
	jq -e '[.workers[]."expected-random-%"] | all(. >= 40 and . <= 60)' "$TMP/workers-auto.json"
check "auto: and the live share of packets per worker, adding up to 100" \
	jq -e '[.workers[]."live-%"] | add | . > 99.8 and . < 100.2' "$TMP/workers-auto.json"
finish
