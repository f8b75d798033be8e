#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 16, interference telemetry: a box beyond mpnorm breaks MPTCP with
# nftables' `reset tcp option mptcp` (it NOP-fills the option, as
# middleboxes that strip options do), and `show mptcp interference` tells
# the two cases apart:
#  - port 5101: the server's MP_CAPABLE SYN/ACK is stripped on its way
#    back: mpnorm sees NOPs where the option was (mpc_synack_stripped);
#  - port 5102: the client's MP_CAPABLE SYN is stripped on its way in, so
#    the server answers as plain TCP with a clean option list
#    (mpc_synack_plain), as a server without MPTCP would.
# The box is the server namespace's own netfilter (postrouting for what
# leaves it, prerouting for what enters it): on the wire beyond mpnorm,
# where mpnorm plays no part in the stripping. Both transfers fall back to
# TCP and arrive intact; the kernel's fallback counters agree.
#  - port 5103: nothing stripped, but the server refuses the join the
#    client opens (subflow limit 0): counted as a refused join.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init if 0
p1=5101
p2=5102

command -v nft >/dev/null || skip_all "nft is not installed"
must "the server namespace takes an nft table that resets the mptcp option" \
	ip netns exec "$BED_NS_SRV" nft -f - <<NFT
table inet mpnstrip {
	chain out {
		type filter hook postrouting priority 0; policy accept;
		tcp sport $p1 tcp flags & (syn | ack) == (syn | ack) reset tcp option mptcp
	}
	chain in {
		type filter hook prerouting priority 0; policy accept;
		tcp dport $p2 tcp flags & (syn | ack) == syn reset tcp option mptcp
	}
}
NFT
must "mpnorm starts on the bed with config/mpnorm.conf's policy" mpnorm_start "$SRCDIR/config/mpnorm.conf"

# intf COUNTER: its total; intf_on LINK DIR COUNTER: its count on a link and direction.
intf() { ctl -j show mptcp interference | jq -r --arg c "$1" '.counters[] | select(.counter == $c) | .total'; }
intf_on() {
	ctl -j show mptcp interference | jq -r --arg l "$1" --arg d "$2" --arg c "$3" \
		'[.links[] | select(.link == $l and .direction == $d and .counter == $c) | .count] | add // 0'
}

xfer_server "$p1"
xfer_client "$p1" --mb 5
check "port $p1: the transfer completes" xfer_wait "$p1"
check "port $p1: SHA-256 equal at both ends, 5 MB" xfer_intact "$p1" $((5 << 20))
check "port $p1: the client fell back at the SYN/ACK (MPTcpExtMPCapableFallbackSYNACK = 1)" \
	[ "$(nst "$BED_NS_CLI" MPTcpExtMPCapableFallbackSYNACK)" -eq 1 ]
check "port $p1: the server did get the MP_CAPABLE SYN (MPTcpExtMPCapableSYNRX = 1)" \
	[ "$(nst "$BED_NS_SRV" MPTcpExtMPCapableSYNRX)" -eq 1 ]
ctl show mptcp interference | sed 's/^/# /'
check "mpnorm: mpc_syn = 1" [ "$(intf mpc_syn)" -eq 1 ]
check "mpnorm: mpc_synack_stripped = 1, on path1 out2in" \
	[ "$(intf mpc_synack_stripped)/$(intf_on path1 out2in mpc_synack_stripped)" = 1/1 ]
check "mpnorm: the SYN/ACK's NOP run counted (nop_run_synack = 1)" [ "$(intf nop_run_synack)" -eq 1 ]
check "mpnorm: mpc_synack_plain = 0" [ "$(intf mpc_synack_plain)" -eq 0 ]

xfer_server "$p2"
xfer_client "$p2" --mb 5
check "port $p2: the transfer completes" xfer_wait "$p2"
check "port $p2: SHA-256 equal at both ends, 5 MB" xfer_intact "$p2" $((5 << 20))
check "port $p2: the server saw no MP_CAPABLE SYN (MPTcpExtMPCapableSYNRX still 1)" \
	[ "$(nst "$BED_NS_SRV" MPTcpExtMPCapableSYNRX)" -eq 1 ]
check "port $p2: the client fell back at the SYN/ACK (MPTcpExtMPCapableFallbackSYNACK = 2)" \
	[ "$(nst "$BED_NS_CLI" MPTcpExtMPCapableFallbackSYNACK)" -eq 2 ]
ctl show mptcp interference | sed 's/^/# /'
check "mpnorm: mpc_syn = 2" [ "$(intf mpc_syn)" -eq 2 ]
check "mpnorm: mpc_synack_plain = 1, on path1 out2in" \
	[ "$(intf mpc_synack_plain)/$(intf_on path1 out2in mpc_synack_plain)" = 1/1 ]
check "mpnorm: mpc_synack_stripped still 1, nop_run_synack still 1" \
	[ "$(intf mpc_synack_stripped)/$(intf nop_run_synack)" = 1/1 ]
check "mpnorm: no join was tried, none refused" \
	[ "$(intf join_syn)/$(intf join_refused_rst)/$(intf join_refused_no_join)" = 0/0/0 ]
check "mpnorm: the per-class view has the same count" \
	[ "$(ctl -j show mptcp interference | jq '[.classes[] | select(.counter == "mpc_synack_stripped") | .count] | add')" -eq 1 ]
check "mpnorm: dropped nothing" [ "$(total_drops)" -eq 0 ]

# Part 3, port 5103, nothing stripped: the server takes no extra subflow
# (ip mptcp limits subflow 0), so it refuses the join the client opens to
# the address it announced. How a refusal looks is the kernel's business
# (a RST to the join SYN, or a reset with MP_TCPRST after the handshake):
# mpnorm counts what the segments show, and the kernel says which it was.
p3=5103
ip -n "$BED_NS_SRV" mptcp limits set subflow 0 add_addr_accepted 0
xfer_server "$p3"
xfer_client "$p3" --mb 1 --pause "$TMP/go3"
must "port $p3: the client sent everything and paused with the connection up" wait_file "$TMP/go3.paused" 60
refused() { [ $(( $(intf join_refused_rst) + $(intf join_refused_no_join) )) -ge 1 ]; }
check "port $p3: the client tried a join (MPTcpExtMPJoinSynTx >= 1 on the client)" \
	wait_until 20 [ "$(nst "$BED_NS_CLI" MPTcpExtMPJoinSynTx)" -ge 1 ]
check "mpnorm: the join was counted as refused (join_refused_rst + join_refused_no_join >= 1)" \
	wait_until 20 refused
ctl show mptcp interference | sed 's/^/# /'
check "the server did refuse it (MPTcpExtMPJoinRejected >= 1)" \
	[ "$(nst "$BED_NS_SRV" MPTcpExtMPJoinRejected)" -ge 1 ]
check "mpnorm: join_syn >= 1, on path2 in2out" \
	[ "$(intf join_syn)" -ge 1 -a "$(intf_on path2 in2out join_syn)" -ge 1 ]
# Linux 6.x accepts the join's SYN and resets it at the third ACK with
# MP_TCPRST 0x03 (its MPTcpExtMPRstTx does not count that reset); a kernel
# that answers the SYN with a plain RST shows no MP_TCPRST at all.
if [ "$(intf tcprst_prohibited)" -ge 1 ]; then
	check "mpnorm: the refusal carried MP_TCPRST 0x03 out2in on path2, counted as a refused join" \
		[ "$(intf_on path2 out2in tcprst_prohibited)/$(intf join_refused_rst)" = 1/1 ]
fi
touch "$TMP/go3"
check "port $p3: the transfer completes on the first subflow" xfer_wait "$p3"
check "port $p3: SHA-256 equal at both ends, 1 MB" xfer_intact "$p3" $((1 << 20))

check "clear counters" ctl clear counters
check "mpnorm: clear counters zeroes them" \
	[ "$(ctl -j show mptcp interference | jq '[.counters[].total] | add')/$(ctl -j show mptcp interference | jq '.links | length')" = 0/0 ]
check "mpnorm exits cleanly" mpnorm_stop
finish
