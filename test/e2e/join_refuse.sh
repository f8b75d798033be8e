#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 16, active join refusal: the server announces its path-2 address
# (ADD_ADDR), the client's kernel tries to join it, and mpnorm's policy
# refuses joins toward that address (a class that falls back), with
# join-refuse-action = "reset". mpnorm answers the join SYN with a RST
# carrying MP_TCPRST reason 3: the client's kernel counts it
# (MPTcpExtMPRstRx) and gives the join up at once (no SYN-SENT subflow
# left, no SYN retransmitted), the server never sees the join, and the
# connection carries on over path 1.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init jr 0
port=5010

# The tree's MPTCP-aware tcp-map, answering refused joins; path 2's server address falls back.
cat >"$TMP/policy.conf" <<CONF
tcp-maps = (
    {
        name = "mptcp-refusing";
        tcp-options = { range = ( "30 30 allow" ); };
        mptcp = { mode = "allow"; join = "verify"; join-refuse-action = "reset"; };
    }
);
class-maps = (
    { name = "path2-server"; match = { dst = "$BED_SRV2/32"; }; },
    { name = "all-tcp"; match = "any"; }
);
policy-maps = (
    {
        name = "global_policy";
        class = (
            { class = "path2-server"; tcp-map = "mptcp-refusing"; inspect = true; },
            { class = "all-tcp"; tcp-map = "mptcp-refusing"; }
        );
    }
);
service-policy = { global = "global_policy"; };
CONF

must "mpnorm starts with join-refuse-action reset" mpnorm_start "$TMP/policy.conf"
check "show tcp-map shows join-refuse-action reset" \
	[ "$(ctl -j show tcp-map mptcp-refusing | jq -r '.mptcp["join-refuse-action"]')" = reset ]
rst_before=$(nst "$BED_NS_CLI" MPTcpExtMPRstRx)
synre_before=$(nst "$BED_NS_CLI" TcpExtTCPSynRetrans)

xfer_server "$port"
xfer_client "$port" --mb 10 --pause "$TMP/go"
must "the connection is up and has sent its data" wait_file "$TMP/go.paused" 60

# The kernel tries the announced address once the ADD_ADDR arrived.
rst_rx() { [ $(($(nst "$BED_NS_CLI" MPTcpExtMPRstRx) - rst_before)) -ge 1 ]; }
check "client: MPTcpExtMPRstRx counts mpnorm's RST (bounded wait, 30 s)" wait_until 30 rst_rx
syn_sent() { ip netns exec "$BED_NS_CLI" ss -Htn state syn-sent dst "$BED_SRV2" | grep -c . || true; }
no_syn_sent() { [ "$(syn_sent)" -eq 0 ]; }
check "client: no join left in SYN-SENT toward $BED_SRV2 (gave up)" wait_until 30 no_syn_sent

refused=$(reason_count mptcp-join-refused dropped)
sent=$(ctl -j show tracking | jq -r '.join_rst_sent // 0')
joins=$(nst "$BED_NS_CLI" MPTcpExtMPJoinSynTx)
echo "# mpnorm: mptcp-join-refused $refused, join_rst_sent $sent; client MPTcpExtMPJoinSynTx $joins," \
	"MPTcpExtMPRstRx $(nst "$BED_NS_CLI" MPTcpExtMPRstRx), TcpExtTCPSynRetrans $(nst "$BED_NS_CLI" TcpExtTCPSynRetrans)"
check "mpnorm: the join SYN was refused (mptcp-join-refused >= 1)" [ "$refused" -ge 1 ]
check "mpnorm: every refused join was answered (join_rst_sent = refused = $refused)" [ "$sent" -eq "$refused" ]
check "client: each join SYN it sent was refused once, none retransmitted" \
	[ "$joins" -eq "$refused" ] && [ "$(nst "$BED_NS_CLI" TcpExtTCPSynRetrans)" -eq "$synre_before" ]
check "server: never saw a join (MPTcpExtMPJoinSynRx = 0)" [ "$(nst "$BED_NS_SRV" MPTcpExtMPJoinSynRx)" -eq 0 ]

touch "$TMP/go"
check "the transfer completes over path 1" xfer_wait "$port"
check "SHA-256 equal at both ends, 10 MB" xfer_intact "$port" $((10 << 20))
check "mpnorm exits cleanly" mpnorm_stop
finish
