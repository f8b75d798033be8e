#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Case 7, reload mid-transfer: mpnorm's policy is reloaded 20 times during
# a 50 MB two-subflow transfer, alternating between two policies that both
# allow MPTCP (config/mpnorm.conf and config/examples/asa-allow-mptcp.conf).
# The transfer completes, the data is intact, and nothing is reset.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init rl 7
port=5007
reloads=20

mpnorm_config "$SRCDIR/config/mpnorm.conf"
cp "$TMP/mpnorm.conf" "$TMP/a.conf"
mpnorm_config "$SRCDIR/config/examples/asa-allow-mptcp.conf"
cp "$TMP/mpnorm.conf" "$TMP/b.conf"
must "mpnorm starts with config/mpnorm.conf's policy" mpnorm_start "$SRCDIR/config/mpnorm.conf"
xfer_server "$port" --timeout 60
# Paced (8 MB/s, about 6 s) so that every reload lands inside the transfer.
xfer_client "$port" --mb 50 --rate 8 --wait-subflows 1 --started "$TMP/started" --timeout 60
must "the bulk starts with 2 subflows" wait_file "$TMP/started" 30

ok_reloads=0
during=0
for i in $(seq 1 "$reloads"); do
	if [ $((i % 2)) -eq 1 ]; then cp "$TMP/b.conf" "$TMP/mpnorm.conf"; else cp "$TMP/a.conf" "$TMP/mpnorm.conf"; fi
	ctl reload >/dev/null && ok_reloads=$((ok_reloads + 1))
	# Still mid-transfer: the client has not exited.
	kill -0 "$CLI_PID" 2>/dev/null && during=$((during + 1))
done
check "$reloads reloads accepted" [ "$ok_reloads" -eq "$reloads" ]
check "all $reloads happened while the transfer ran ($during)" [ "$during" -eq "$reloads" ]
check "mpnorm: policy generation $reloads" jqt ".generation == $reloads" <(ctl -j show policy)
check "mpnorm: show stats counts $reloads reloads, none failed" \
	[ "$(show_stat .reloads)/$(show_stat .reloads_failed)" = "$reloads/0" ]

check "the transfer completes" xfer_wait "$port"
check "SHA-256 equal at both ends, 50 MB" xfer_intact "$port" $((50 << 20))
check "it stayed MPTCP with 2 subflows" [ "$(xj server $port mptcp)/$(xj server $port max_subflows)" = true/1 ]
check "server: MPTcpExtMPJoinSynRx = 1" [ "$(nst "$BED_NS_SRV" MPTcpExtMPJoinSynRx)" -eq 1 ]
nstat_dump "$BED_NS_CLI" | grep -v 'Retrans\|OFO\|WndShared' || true
check "nothing reset or aborted (client $(resets "$BED_NS_CLI"), server $(resets "$BED_NS_SRV"))" \
	[ "$(resets "$BED_NS_CLI")/$(resets "$BED_NS_SRV")" = 0/0 ]
check "no mid-connection fallback" \
	[ "$(nst_sum "$BED_NS_CLI" '^MPTcpExt(DssFallback|DSSCorruptionFallback|MPCapableFallbackACK|InfiniteMapTx|InfiniteMapRx)$')" -eq 0 ]
check "mpnorm: dropped nothing" [ "$(total_drops)" -eq 0 ]
check "mpnorm: rewrote nothing" [ "$(show_stat .packets_rewritten)" -eq 0 ]
check "mpnorm exits cleanly" mpnorm_stop
finish
