#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Case 2, ASA default: with no policy mpnorm behaves like an ASA with its
# default tcp-map, which clears option kind 30. The same transfer silently
# falls back to plain TCP: the server never sees MP_CAPABLE, the client
# counts the fallback, the data still arrives intact, and mpnorm counts
# the options it cleared.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init as 2
port=5002

must "mpnorm starts on the bed with no policy (the ASA's default tcp-map)" mpnorm_start ""
xfer_server "$port"
xfer_client "$port" --mb 50
check "the transfer completes" xfer_wait "$port"
check "SHA-256 equal at both ends, 50 MB" xfer_intact "$port" $((50 << 20))

# The kernel's view: the client offered MPTCP, the server never saw it.
check "client: MPTcpExtMPCapableSYNTX >= 1 (MPTCP was offered)" [ "$(nst "$BED_NS_CLI" MPTcpExtMPCapableSYNTX)" -ge 1 ]
check "server: MPTcpExtMPCapableSYNRX = 0 (the option was cleared on the way)" [ "$(nst "$BED_NS_SRV" MPTcpExtMPCapableSYNRX)" -eq 0 ]
check "client: MPTcpExtMPCapableFallbackSYNACK = 1 (fell back at the SYN/ACK)" [ "$(nst "$BED_NS_CLI" MPTcpExtMPCapableFallbackSYNACK)" -eq 1 ]
check "server: no join (MPTcpExtMPJoinSynRx = 0)" [ "$(nst "$BED_NS_SRV" MPTcpExtMPJoinSynRx)" -eq 0 ]
check "both sockets report plain TCP (MPTCP_INFO refused)" \
	[ "$(xj client $port mptcp)/$(xj server $port mptcp)" = false/false ]
nstat_dump "$BED_NS_CLI"; nstat_dump "$BED_NS_SRV"
check "nothing reset or aborted (client $(resets "$BED_NS_CLI"), server $(resets "$BED_NS_SRV"))" \
	[ "$(resets "$BED_NS_CLI")/$(resets "$BED_NS_SRV")" = 0/0 ]

ctl show drops | sed 's/^/# mpnorm: /'
check "mpnorm: rewrites mptcp-option-cleared > 0" [ "$(reason_count mptcp-option-cleared rewritten)" -gt 0 ]
check "mpnorm: show stats saw the MP_CAPABLE SYN (mp-capable >= 1)" [ "$(show_stat '.mptcp_options["mp-capable"]')" -ge 1 ]
check "mpnorm: no DSS ever crossed (dss = 0)" [ "$(show_stat .mptcp_options.dss)" -eq 0 ]
check "mpnorm: dropped nothing" [ "$(total_drops)" -eq 0 ]
check "mpnorm exits cleanly" mpnorm_stop
finish
