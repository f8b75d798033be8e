#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Case 4, forged join: while a real MPTCP connection runs through mpnorm
# (config/mpnorm.conf: join verify), MP_JOIN SYNs with a wrong token are
# sent toward the server over path 2. mpnorm must drop them and count them
# (mptcp-join-unknown-token); the server's kernel never sees them (no
# MPTcpExtMPJoinNoTokenFound, nothing captured on its path-2 veth); the real
# connection is unaffected.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init fj 4
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip_all "python3-scapy not installed"
command -v tcpdump >/dev/null || skip_all "tcpdump not installed"
port=5004
forged=3

mac() { ip -n "$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }

must "mpnorm starts with config/mpnorm.conf's policy (join verify)" mpnorm_start "$SRCDIR/config/mpnorm.conf"
xfer_server "$port"
xfer_client "$port" --mb 30 --wait-subflows 1 --pause "$TMP/go"
must "the real connection is up and has sent its data" wait_file "$TMP/go.paused" 60
check "it has 2 subflows (ss -Mti on the server)" [ "$(ss_subflows "$BED_NS_SRV")" -ge 1 ]

stok=$(ss_tokens "$BED_NS_SRV" | head -1)
ctok=$(ss_tokens "$BED_NS_CLI" | head -1)
# A token no connection has: the server's, every bit of the low half flipped.
bad=$(printf '%08x' $(((0x${stok:-0} ^ 0x0000ffff) & 0xffffffff)))
[ "$bad" = "$ctok" ] && bad=$(printf '%08x' $(((0x$bad ^ 0x00ff0000) & 0xffffffff)))
echo "# server token $stok, client token $ctok, forged token $bad"

before=$(reason_count mptcp-join-unknown-token dropped)
capture_start syn_s2 "$BED_NS_SRV" s2 "tcp dst port $port and tcp[tcpflags] & tcp-syn != 0"
"$PY" "$E2E_DIR/forge.py" join --ns "$BED_NS_CLI" --iface c2 --smac "$(mac "$BED_NS_CLI" c2)" \
	--dmac "$(mac "$BED_NS_SRV" s2)" --src "$BED_CLI2" --dst "$BED_SRV2" --dport "$port" \
	--token "$bad" --count "$forged"
# mpnorm has judged all of them (or 30 s passed: the checks below then say why).
grown() { [ $(($(reason_count mptcp-join-unknown-token dropped) - before)) -ge "$forged" ]; }
wait_until 30 grown || echo "# mptcp-join-unknown-token did not grow by $forged in 30 s"
capture_stop syn_s2
after=$(reason_count mptcp-join-unknown-token dropped)
reached=$(pcap_count "$TMP/syn_s2.pcap")
notoken=$(nst "$BED_NS_SRV" MPTcpExtMPJoinNoTokenFound)
ctl show drops | sed 's/^/# mpnorm: /'
echo "# mptcp-join-unknown-token dropped: $before -> $after; forged SYNs that reached the server: $reached;" \
	"server MPTcpExtMPJoinNoTokenFound $notoken"

touch "$TMP/go"
check "the real transfer completes" xfer_wait "$port"
check "SHA-256 equal at both ends, 30 MB" xfer_intact "$port" $((30 << 20))
check "the real connection kept MPTCP and its 2 subflows" \
	[ "$(xj server $port mptcp)/$(xj server $port max_subflows)" = true/1 ]
check "no MP_TCPRST or abort on the real connection" \
	[ "$(nst_sum "$BED_NS_CLI" '^(MPTcpExtMPRstRx|MPTcpExtMPRstTx|TcpExtTCPAbortOn.*)$')" -eq 0 ]

check "mpnorm: drops mptcp-join-unknown-token grew by $forged ($before -> $after)" [ $((after - before)) -eq "$forged" ]
check "tcpdump on the server's path-2 veth: no forged SYN got through ($reached)" [ "$reached" -eq 0 ]
check "server: MPTcpExtMPJoinNoTokenFound = 0 (the kernel never saw them)" [ "$notoken" -eq 0 ]
check "server: only the real join arrived (MPTcpExtMPJoinSynRx = 1)" [ "$(nst "$BED_NS_SRV" MPTcpExtMPJoinSynRx)" -eq 1 ]
check "mpnorm exits cleanly" mpnorm_stop
finish
