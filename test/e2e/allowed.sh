#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Case 1, allowed: with the shipped policy (config/mpnorm.conf, kind 30
# allowed and understood), a 50 MB transfer between real Linux MPTCP peers
# uses two subflows through mpnorm, arrives intact, and mpnorm counts the
# MPTCP options it saw and drops nothing.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init al 1
port=5001

must "mpnorm starts on the bed with config/mpnorm.conf's policy" mpnorm_start "$SRCDIR/config/mpnorm.conf"
xfer_server "$port"
xfer_client "$port" --mb 50 --wait-subflows 1 --pause "$TMP/go"
must "the client sent everything and paused with the connection up" wait_file "$TMP/go.paused" 60

# The kernel's view while the connection is up.
ss_mptcp "$BED_NS_SRV" >"$TMP/ss-srv.txt"
ss_mptcp "$BED_NS_CLI" >"$TMP/ss-cli.txt"
sed 's/^/# server: /' "$TMP/ss-srv.txt"
check "ss -Mti on the server: the connection has 2 subflows" [ "$(ss_subflows "$BED_NS_SRV")" -ge 1 ]
check "ss -Mti on the server: a subflow on path 2 ($BED_SRV2)" grep -q "$BED_SRV2:$port" "$TMP/ss-srv.txt"
check_tokens
touch "$TMP/go"
check "the transfer completes" xfer_wait "$port"

check "SHA-256 equal at both ends, 50 MB" xfer_intact "$port" $((50 << 20))
check "both ends stayed MPTCP" [ "$(xj client $port mptcp)/$(xj server $port mptcp)" = true/true ]
check "MPTCP_INFO on the server counted 1 extra subflow" [ "$(xj server $port max_subflows)" -ge 1 ]
check "server: MPTcpExtMPCapableSYNRX = 1" [ "$(nst "$BED_NS_SRV" MPTcpExtMPCapableSYNRX)" -eq 1 ]
check "server: MPTcpExtMPJoinSynRx >= 1" [ "$(nst "$BED_NS_SRV" MPTcpExtMPJoinSynRx)" -ge 1 ]
check "client: MPTcpExtAddAddr >= 1 (the ADD_ADDR arrived)" [ "$(nst "$BED_NS_CLI" MPTcpExtAddAddr)" -ge 1 ]
check "client: no fallback (MPTcpExtMPCapableFallbackSYNACK = 0)" [ "$(nst "$BED_NS_CLI" MPTcpExtMPCapableFallbackSYNACK)" -eq 0 ]
check "nothing reset or aborted (client $(resets "$BED_NS_CLI"), server $(resets "$BED_NS_SRV"))" \
	[ "$(resets "$BED_NS_CLI")/$(resets "$BED_NS_SRV")" = 0/0 ]

ctl -j show stats >"$TMP/stats.json"
jq -c .mptcp_options "$TMP/stats.json" | sed 's/^/# mpnorm: /'
check "mpnorm: show stats dss > 0" [ "$(jq .mptcp_options.dss "$TMP/stats.json")" -gt 0 ]
check "mpnorm: show stats mp-capable >= 3" [ "$(jq '.mptcp_options["mp-capable"]' "$TMP/stats.json")" -ge 3 ]
check "mpnorm: show stats mp-join >= 3" [ "$(jq '.mptcp_options["mp-join"]' "$TMP/stats.json")" -ge 3 ]
check "mpnorm: show stats add-addr >= 1" [ "$(jq '.mptcp_options["add-addr"]' "$TMP/stats.json")" -ge 1 ]
check "mpnorm: dropped nothing" [ "$(jq .packets_dropped "$TMP/stats.json")" -eq 0 ]
check "mpnorm: show drops lists no drop reason" \
	[ "$(ctl -j show drops | jq '[.reasons[].dropped] | add // 0')" -eq 0 ]
check "mpnorm: rewrote nothing" [ "$(jq .packets_rewritten "$TMP/stats.json")" -eq 0 ]
check "mpnorm: forwarded every packet (in = out)" jqt '.packets_in == .packets_out' "$TMP/stats.json"
check "mpnorm: both links carried traffic" \
	[ "$(ctl -j show ports | jq '[.. | objects | select(has("rx")) | .rx | select(. > 100)] | length')" -eq 4 ]
check "mpnorm exits cleanly" mpnorm_stop
finish
