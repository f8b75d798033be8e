#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Case 6, bypass (cTCP, config/examples/ctcp-bypass.conf, class dst-port
# 10000 with tcp-state-bypass): segments the normalizer would drop or change
# (a SYN/ACK with data, urgent data, an unknown option kind) pass through
# byte for byte on port 10000, and are dropped or rewritten with the right
# reason on another port, and on port 10000 too once a policy without the
# bypass class is loaded. The connections are crafted with scapy (forge.py
# stateless, with their handshakes, between two addresses no namespace owns
# so that no kernel answers); what arrives is captured in the client namespace.
#
# The stateful half of cTCP (a lossy path, a sender that never retransmits,
# data past the window) is case 9, ctcp_loss.sh.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init bp 6
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip_all "python3-scapy not installed"
command -v tcpdump >/dev/null || skip_all "tcpdump not installed"
FORGE=$E2E_DIR/forge.py

mac() { ip -n "$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
cmac=$(mac "$BED_NS_CLI" c1)
smac=$(mac "$BED_NS_SRV" s1)
# Two addresses no namespace owns, on path 1: frames to them reach the
# peer's MAC and are captured there, and its kernel drops them silently.
pcli=$BED_NET.1.3
psrv=$BED_NET.1.4

# send TAG SERVER-PORT CLIENT-PORT: the crafted connections (forge.py stateless).
send() {
	"$PY" "$FORGE" stateless --cli-ns "$BED_NS_CLI" --cli-if c1 --cli-mac "$cmac" \
		--srv-ns "$BED_NS_SRV" --srv-if s1 --srv-mac "$smac" --cli-ip "$pcli" --srv-ip "$psrv" \
		--sport "$2" --cport "$3" --out "$TMP/sent-$1.hex"
}
# arrived TAG CAPTURE: compare what was sent with what the client side captured.
arrived() {
	"$PY" "$FORGE" compare --sent "$TMP/sent-$1.hex" --pcap "$TMP/$2.pcap" |
		tee "$TMP/cmp-$1.json" | sed "s/^/# $1: /"
}
# verdict TAG N: the verdict for the N-th test segment (0 SYN/ACK+data, 1 URG, 2 kind 99).
verdict() { jq -rs ".[$2].verdict" "$TMP/cmp-$1.json"; }
diffs() { jq -rs ".[$2].diff // [] | join(\", \")" "$TMP/cmp-$1.json"; }
# kinds TAG N: option kinds other than EOL and NOP that arrived.
kinds() { jq -rsc ".[$2].opt_kinds // [] | map(select(. > 1))" "$TMP/cmp-$1.json"; }

must "mpnorm starts with ctcp-bypass.conf" mpnorm_start "$SRCDIR/config/examples/ctcp-bypass.conf"

# Phase A: the bypass class (port 10000) and the normalized rest (port 10001).
capture_start rx_a "$BED_NS_CLI" c1 "tcp and src host $psrv"
send bypass 10000 41000
send normal 10001 42000
capture_stop rx_a
arrived bypass rx_a
arrived normal rx_a
ctl show drops | sed 's/^/# mpnorm: /'
check "port 10000 (bypass): the SYN/ACK with data arrives untouched" [ "$(verdict bypass 0)" = same ]
check "port 10000 (bypass): the urgent segment arrives untouched" [ "$(verdict bypass 1)" = same ]
check "port 10000 (bypass): the kind-99 option arrives untouched" [ "$(verdict bypass 2)" = same ]
check "port 10001: the SYN/ACK with data is dropped" [ "$(verdict normal 0)" = missing ]
check "port 10001: URG and the urgent pointer are cleared ($(diffs normal 1))" \
	[ "$(verdict normal 1)/$(diffs normal 1)" = "changed/flags PAU -> PA, urgptr 3 -> 0" ]
check "port 10001: option kind 99 is replaced by NOPs ($(diffs normal 2))" \
	[ "$(verdict normal 2)/$(diffs normal 2)/$(kinds normal 2)" = "changed/options/[]" ]
check "mpnorm: drops tcp-synack-data = 1" [ "$(reason_count tcp-synack-data dropped)" -eq 1 ]
check "mpnorm: rewrites tcp-urgent-cleared = 1" [ "$(reason_count tcp-urgent-cleared rewritten)" -eq 1 ]
check "mpnorm: rewrites tcp-option-cleared = 1" [ "$(reason_count tcp-option-cleared rewritten)" -eq 1 ]
check "mpnorm: one packet dropped in all" [ "$(total_drops)" -eq 1 ]

# Phase B: the same segments on port 10000, in new connections, under a
# policy with no bypass class.
mpnorm_config "$SRCDIR/config/mpnorm.conf"
check "reload to config/mpnorm.conf's policy (no bypass class)" ctl reload
ctl clear counters >/dev/null
capture_start rx_b "$BED_NS_CLI" c1 "tcp and src host $psrv"
send nobypass 10000 43000
capture_stop rx_b
arrived nobypass rx_b
check "port 10000 without bypass: the SYN/ACK with data is dropped" [ "$(verdict nobypass 0)" = missing ]
check "port 10000 without bypass: URG is cleared" [ "$(verdict nobypass 1)/$(diffs nobypass 1)" = "changed/flags PAU -> PA, urgptr 3 -> 0" ]
check "port 10000 without bypass: option kind 99 is cleared" \
	[ "$(verdict nobypass 2)/$(diffs nobypass 2)/$(kinds nobypass 2)" = "changed/options/[]" ]
check "mpnorm: drops tcp-synack-data = 1" [ "$(reason_count tcp-synack-data dropped)" -eq 1 ]
check "mpnorm: rewrites tcp-urgent-cleared = 1, tcp-option-cleared = 1" \
	[ "$(reason_count tcp-urgent-cleared rewritten)/$(reason_count tcp-option-cleared rewritten)" = 1/1 ]
check "mpnorm exits cleanly" mpnorm_stop
finish
