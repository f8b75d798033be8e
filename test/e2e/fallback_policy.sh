#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Case 3, fallback policy: config/examples/inspect-fallback.conf forces
# connections to port 8080 to fall back to plain TCP. The fallback is clean
# and decided at the SYN: the data arrives intact, no host sends MP_TCPRST
# (reason 6, middlebox interference) or any RST, nothing is aborted, and
# mpnorm counts the fallback. A connection to another port keeps MPTCP.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init fb 3
port=8080    # in the policy's class inspected-web
other=5003   # in all-tcp: MPTCP allowed

must "mpnorm starts with inspect-fallback.conf" mpnorm_start "$SRCDIR/config/examples/inspect-fallback.conf"
# Every RST either host sends or receives, on both paths. (Captured on the
# hosts' veths: what mpnorm's af_packet ports send bypasses capture taps.)
for i in c1 c2; do capture_start "rst_$i" "$BED_NS_CLI" "$i" 'tcp[tcpflags] & tcp-rst != 0'; done
for i in s1 s2; do capture_start "rst_$i" "$BED_NS_SRV" "$i" 'tcp[tcpflags] & tcp-rst != 0'; done

xfer_server "$port"
xfer_client "$port" --mb 30
check "the transfer to port $port completes" xfer_wait "$port"
check "SHA-256 equal at both ends, 30 MB" xfer_intact "$port" $((30 << 20))
check "client: MPTcpExtMPCapableSYNTX = 1 (the client offered MPTCP)" [ "$(nst "$BED_NS_CLI" MPTcpExtMPCapableSYNTX)" -eq 1 ]
check "server: MPTcpExtMPCapableSYNRX = 0 (decided at the SYN)" [ "$(nst "$BED_NS_SRV" MPTcpExtMPCapableSYNRX)" -eq 0 ]
check "client: MPTcpExtMPCapableFallbackSYNACK = 1" [ "$(nst "$BED_NS_CLI" MPTcpExtMPCapableFallbackSYNACK)" -eq 1 ]
midfb='^MPTcpExt(DssFallback|DSSCorruptionFallback|MPCapableFallbackACK|InfiniteMapTx|InfiniteMapRx)$'
check "no mid-connection fallback (MPTcpExtDssFallback, MPTcpExtMPCapableFallbackACK = 0)" \
	[ "$(nst_sum "$BED_NS_CLI" "$midfb")/$(nst_sum "$BED_NS_SRV" "$midfb")" = 0/0 ]
check "no join was tried (server MPTcpExtMPJoinSynRx = 0)" [ "$(nst "$BED_NS_SRV" MPTcpExtMPJoinSynRx)" -eq 0 ]
check "no MP_TCPRST: MPTcpExtMPRstTx = 0 on both ends" \
	[ "$(nst "$BED_NS_CLI" MPTcpExtMPRstTx)/$(nst "$BED_NS_SRV" MPTcpExtMPRstTx)" = 0/0 ]
check "nothing reset or aborted (TcpExtTCPAbortOn*, TcpOutRsts: client $(resets "$BED_NS_CLI"), server $(resets "$BED_NS_SRV"))" \
	[ "$(resets "$BED_NS_CLI")/$(resets "$BED_NS_SRV")" = 0/0 ]
fb=$(reason_count mptcp-fallback rewritten)
check "mpnorm: rewrites mptcp-fallback >= 1 ($fb)" [ "$fb" -ge 1 ]
check "mpnorm: dropped nothing" [ "$(total_drops)" -eq 0 ]

# Another port is not inspected: MPTCP, two subflows, no fallback.
xfer_server "$other"
xfer_client "$other" --mb 10 --wait-subflows 1
check "a transfer to port $other completes" xfer_wait "$other"
check "SHA-256 equal, 10 MB" xfer_intact "$other" $((10 << 20))
check "port $other kept MPTCP with 2 subflows (MPTCP_INFO)" [ "$(xj server $other mptcp)$(xj server $other max_subflows)" = true1 ]
check "mpnorm: still one fallback only" [ "$(reason_count mptcp-fallback rewritten)" -eq "$fb" ]

for i in c1 s1 c2 s2; do capture_stop "rst_$i"; done
n=0
for i in c1 s1 c2 s2; do n=$((n + $(pcap_count "$TMP/rst_$i.pcap"))); done
check "tcpdump on the hosts' four veths: no RST at all ($n)" [ "$n" -eq 0 ]
check "mpnorm exits cleanly" mpnorm_stop
finish
