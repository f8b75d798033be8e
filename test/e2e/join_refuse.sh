#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 16, active join refusal: the server announces its path-2 address
# (ADD_ADDR), the client's kernel tries to join it, and mpnorm's policy
# refuses MPTCP on path 2 (the link's own policy-map, whose class falls
# back: a join takes its connection's class only within the policy-map
# that governs its link, doc/config.md), with
# join-refuse-action = "reset". mpnorm answers the join SYN with a RST
# carrying MP_TCPRST reason 3, which reaches the client (captured on its
# path-2 interface: flags, ports, the option's bytes, both checksums); the
# client's kernel gives the join up at once: its TcpAttemptFails counts the
# refused attempt, no SYN is retransmitted, no SYN-SENT subflow is left, and
# the server never sees the join. The connection carries on over path 1.
#
# The kernel's MPTcpExtMPRstRx does not count this RST, and cannot: a
# join subflow that is not fully established goes through
# check_fully_established() (net/mptcp/options.c), which resets it before
# the MP_TCPRST option is looked at (MPRstRx is counted only after that
# check passes). The value is printed, not asserted.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init jr 0
command -v tcpdump >/dev/null || skip_all "tcpdump not installed"
port=5010

# The tree's MPTCP-aware tcp-map, answering refused joins; path 2's own policy-map falls back.
cat >"$TMP/policy.conf" <<CONF
tcp-maps = (
    {
        name = "mptcp-refusing";
        tcp-options = { range = ( "30 30 allow" ); };
        mptcp = { mode = "allow"; join = "verify"; join-refuse-action = "reset"; };
    }
);
class-maps = (
    { name = "all-tcp"; match = "any"; },
    { name = "path2-tcp"; match = "any"; }
);
policy-maps = (
    {
        name = "global_policy";
        class = ( { class = "all-tcp"; tcp-map = "mptcp-refusing"; } );
    },
    {
        name = "path2_policy";
        class = ( { class = "path2-tcp"; tcp-map = "mptcp-refusing"; inspect = true; } );
    }
);
service-policy = {
    global = "global_policy";
    interface = ( { link = "path2"; policy-map = "path2_policy"; } );
};
CONF

must "mpnorm starts with join-refuse-action reset" mpnorm_start "$TMP/policy.conf"
check "show tcp-map shows join-refuse-action reset" \
	[ "$(ctl -j show tcp-map mptcp-refusing | jq -r '.["mptcp-refusing"].mptcp["join-refuse-action"]')" = reset ]
fails_before=$(nst "$BED_NS_CLI" TcpAttemptFails)
synre_before=$(nst "$BED_NS_CLI" TcpExtTCPSynRetrans)
capture_start rst_c2 "$BED_NS_CLI" c2 'tcp[tcpflags] & tcp-rst != 0'

xfer_server "$port" --timeout 120
xfer_client "$port" --mb 10 --pause "$TMP/go" --timeout 120
must "the connection is up and has sent its data" wait_file "$TMP/go.paused" 60

# The kernel tries the announced address once the ADD_ADDR arrived; mpnorm answers.
answered() { [ "$(ctl -j show tracking | jq -r '.join_rst_sent // 0')" -ge 1 ]; }
check "mpnorm answers the join with a RST (join_rst_sent >= 1; bounded wait, 30 s)" wait_until 30 answered
attempt_failed() { [ $(($(nst "$BED_NS_CLI" TcpAttemptFails) - fails_before)) -ge 1 ]; }
check "client: TcpAttemptFails counts the refused join (bounded wait, 30 s)" wait_until 30 attempt_failed
syn_sent() { ip netns exec "$BED_NS_CLI" ss -Htn state syn-sent dst "$BED_SRV2" | grep -c . || true; }
no_syn_sent() { [ "$(syn_sent)" -eq 0 ]; }
check "client: no join left in SYN-SENT toward $BED_SRV2 (gave up)" wait_until 30 no_syn_sent
capture_stop rst_c2

refused=$(reason_count mptcp-join-refused dropped)
sent=$(ctl -j show tracking | jq -r '.join_rst_sent // 0')
joins=$(nst "$BED_NS_CLI" MPTcpExtMPJoinSynTx)
fails=$(($(nst "$BED_NS_CLI" TcpAttemptFails) - fails_before))
echo "# mpnorm: mptcp-join-refused $refused, join_rst_sent $sent; client: MPTcpExtMPJoinSynTx $joins," \
	"TcpAttemptFails +$fails, TcpExtTCPSynRetrans +$(($(nst "$BED_NS_CLI" TcpExtTCPSynRetrans) - synre_before))," \
	"MPTcpExtMPRstRx $(nst "$BED_NS_CLI" MPTcpExtMPRstRx) (not counted in SYN-SENT, see the top)"
check "mpnorm: the join SYN was refused (mptcp-join-refused >= 1)" [ "$refused" -ge 1 ]
check "mpnorm: every refused join was answered (join_rst_sent = refused = $refused)" [ "$sent" -eq "$refused" ]
check "client: each join SYN it sent was refused once and failed at once ($joins SYN, $fails failed)" \
	[ "$joins" -eq "$refused" ] && [ "$fails" -eq "$joins" ]
check "client: no join SYN retransmitted" [ "$(nst "$BED_NS_CLI" TcpExtTCPSynRetrans)" -eq "$synre_before" ]
check "server: never saw a join (MPTcpExtMPJoinSynRx = 0)" [ "$(nst "$BED_NS_SRV" MPTcpExtMPJoinSynRx)" -eq 0 ]

# What reached the client's path-2 interface: the RST, byte by byte.
"$PY" - "$TMP/rst_c2.pcap" "$BED_SRV2" "$BED_CLI2" "$port" >"$TMP/rst.txt" <<'PY'
import socket, struct, sys

def fold(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

d = open(sys.argv[1], "rb").read()
off, n = 24, 0
while off + 16 <= len(d):
    _, _, caplen, _ = struct.unpack("<IIII", d[off:off + 16])
    f = d[off + 16:off + 16 + caplen]
    off += 16 + caplen
    if f[12:14] != b"\x08\x00":
        continue
    ip = f[14:14 + 20]
    tcp = f[34:34 + (struct.unpack("!H", ip[2:4])[0] - 20)]
    sport, dport, seq, ack, doff, flags = struct.unpack("!HHIIBB", tcp[:14])
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    ok = (src == sys.argv[2] and dst == sys.argv[3] and sport == int(sys.argv[4]) and
          flags == 0x14 and seq == 0 and tcp[20:24] == bytes([30, 4, 0x80, 3]) and
          fold(ip) == 0xffff and fold(ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp)) + tcp) == 0xffff)
    print("rst", src, sport, dst, dport, "flags", hex(flags), "seq", seq, "ack", ack,
          "opt", tcp[20:24].hex(), "ttl", ip[8], "ok" if ok else "bad")
PY
sed 's/^/# /' "$TMP/rst.txt"
check "client's c2 received the RST: from $BED_SRV2:$port, RST|ACK, SEQ 0, MP_TCPRST reason 3, checksums valid" \
	grep -q ' ok$' "$TMP/rst.txt"
check "every RST the client's c2 received is that one (no other reset on path 2)" \
	bash -c "! grep -q ' bad$' '$TMP/rst.txt'"

touch "$TMP/go"
check "the transfer completes over path 1" xfer_wait "$port"
check "SHA-256 equal at both ends, 10 MB" xfer_intact "$port" $((10 << 20))
check "mpnorm exits cleanly" mpnorm_stop
finish
