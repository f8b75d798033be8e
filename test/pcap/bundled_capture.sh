#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The capture this project made (pcaps/mptcp-2subflows.pcap): the decoder
# finds the tokens the Linux kernel itself reported with `ss -Mti` while the
# connection was up (recorded in pcaps/README.md), ties the join to its
# connection, and verifies its HMACs and the ADD_ADDR HMAC.
. "$SRCDIR/test/lib.sh"

"$MPNORM_DECODE" --json "$SRCDIR/pcaps/mptcp-2subflows.pcap" >"$TMP/d.json"
check "one connection" jq_eq "$TMP/d.json" '.connections | length' 1
check "client token is the kernel's b594cf97" jq_eq "$TMP/d.json" '.connections[0].token_a' 0xb594cf97
check "server token is the kernel's eff317c4" jq_eq "$TMP/d.json" '.connections[0].token_b' 0xeff317c4
check "one join, carrying the server's token" jq_eq "$TMP/d.json" '[.connections[0].joins[].token] | join(",")' 0xeff317c4
check "join SYN/ACK HMAC verifies" jq_eq "$TMP/d.json" '.connections[0].joins[0].synack_hmac' ok
check "join ACK HMAC verifies" jq_eq "$TMP/d.json" '.connections[0].joins[0].ack_hmac' ok
check "ADD_ADDR 10.99.2.2 with an RFC 8684 HMAC" \
	jq_eq "$TMP/d.json" '[.connections[0].add_addr[] | select(.echo == false) | "\(.addr) \(.hmac)"] | join(",")' "10.99.2.2 ok"

# The line format, as an operator reads it.
"$MPNORM_DECODE" "$SRCDIR/pcaps/mptcp-2subflows.pcap" >"$TMP/d.txt"
check "text: the join SYN line names the connection" \
	grep -q "mp-join syn id 1 token 0xeff317c4 .*\[joins server's connection\]" "$TMP/d.txt"
check "text: one line per kind-30 option (547 TCP frames carry 547 options)" \
	[ "$(wc -l <"$TMP/d.txt")" -eq "$(tshark -r "$SRCDIR/pcaps/mptcp-2subflows.pcap" -Y mptcp -T fields -e tcp.options.mptcp.subtype 2>/dev/null | tr ',' '\n' | grep -c .)" ]
finish
