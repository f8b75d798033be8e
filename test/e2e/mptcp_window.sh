#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 16: the window checks on MPTCP subflows cause no false drop between
# real Linux MPTCP hosts. The shipped policy with both window knobs at "drop"
# (seq-past-window already is; window-variation too here): a 50 MB transfer
# over two subflows arrives intact, and mpnorm judged it without dropping
# anything, while the kernel shared its window across the subflows
# (MPTcpExtRcvWndShared on the receiver; MPTcpExtSndWndShared counts a
# sender that used the connection's window on a subflow). On such traffic a
# subflow's own right edge moves back each time data arrives on the other
# subflow: the single-path checks would judge it wrongly.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init mw 1
port=5011

sed 's/name = "mptcp-aware";/name = "mptcp-aware";\n        window-variation = "drop";/' \
	"$SRCDIR/config/mpnorm.conf" >"$TMP/strict.conf"
must "the strict policy sets window-variation = drop" grep -q 'window-variation = "drop"' "$TMP/strict.conf"
must "mpnorm starts on the bed with it" mpnorm_start "$TMP/strict.conf"
ctl show tcp-map mptcp-aware >"$TMP/tcpmap.txt"
must "the running tcp-map drops on window variation" grep -qE 'window-variation[: ]+drop' "$TMP/tcpmap.txt"
must "the running tcp-map drops past the window" grep -qE 'seq-past-window[: ]+drop' "$TMP/tcpmap.txt"
xfer_server "$port"
xfer_client "$port" --mb 50 --wait-subflows 1
check "the transfer completes" xfer_wait "$port"
check "SHA-256 equal at both ends, 50 MB" xfer_intact "$port" $((50 << 20))
check "both ends stayed MPTCP" [ "$(xj client $port mptcp)/$(xj server $port mptcp)" = true/true ]
check "MPTCP_INFO on the server counted 1 extra subflow" [ "$(xj server $port max_subflows)" -ge 1 ]
rws=$(nst "$BED_NS_SRV" MPTcpExtRcvWndShared)
sws=$(nst "$BED_NS_CLI" MPTcpExtSndWndShared)
echo "# kernel: server MPTcpExtRcvWndShared=$rws, client MPTcpExtSndWndShared=$sws"
check "the receiver shared its window across subflows (MPTcpExtRcvWndShared $rws > 0)" [ "$rws" -gt 0 ]
check "nothing reset or aborted (client $(resets "$BED_NS_CLI"), server $(resets "$BED_NS_SRV"))" \
	[ "$(resets "$BED_NS_CLI")/$(resets "$BED_NS_SRV")" = 0/0 ]

ctl -j show tracking >"$TMP/tracking.json"
ctl -j show stats >"$TMP/stats.json"
jq -c '{mptcp_seq_past_win, mptcp_window_variation, seq_past_win, window_variation, joins_verified}' \
	"$TMP/tracking.json" | sed 's/^/# mpnorm tracking: /'
check "mpnorm: the join was verified (its subflow is judged with the connection)" \
	[ "$(jq .joins_verified "$TMP/tracking.json")" -ge 1 ]
check "mpnorm: no MPTCP segment past the connection's window" jq_eq "$TMP/tracking.json" .mptcp_seq_past_win 0
check "mpnorm: no data-level right edge moved back" jq_eq "$TMP/tracking.json" .mptcp_window_variation 0
check "mpnorm: dropped nothing" [ "$(jq .packets_dropped "$TMP/stats.json")" -eq 0 ]
check "mpnorm: show drops lists no drop reason" \
	[ "$(ctl -j show drops | jq '[.reasons[].dropped] | add // 0')" -eq 0 ]
check "mpnorm exits cleanly" mpnorm_stop
finish
