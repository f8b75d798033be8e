#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Make pcaps/mptcp-2subflows.pcap: real Linux MPTCP v1 traffic between two
# network namespaces joined by two veth pairs, so the test corpus holds what a
# real kernel sends (MP_CAPABLE, ADD_ADDR, MP_JOIN, DSS both ways, DATA_FIN)
# rather than what we think it sends.
#   sudo scripts/make-capture.sh [OUT.pcap]     default pcaps/mptcp-2subflows.pcap
#
# Topology (nothing else is addressed; no traffic leaves the two namespaces):
#   mpncap-cli  c1 10.99.1.1/24 <--veth--> s1 10.99.1.2/24  mpncap-srv   path 1
#               c2 10.99.2.1/24 <--veth--> s2 10.99.2.2/24               path 2
# The server announces 10.99.2.2 with a 'signal' endpoint, so the client's
# in-kernel path manager opens exactly one MP_JOIN subflow 10.99.2.1 ->
# 10.99.2.2. (A client 'subflow' endpoint as well would add a third, crossed
# subflow 10.99.2.1 -> 10.99.1.2; we want two.)
# The capture is taken on the server's two veth ends and merged by time.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${MPNCAP_PREFIX:-mpncap}
ns_cli=$prefix-cli
ns_srv=$prefix-srv
out=${1:-pcaps/mptcp-2subflows.pcap}
port=5000
send_bytes=307200   # client -> server bulk: large enough to spill past one cwnd
reply_bytes=102400  # server -> client: so DSS data flows both ways

if [ "$(id -u)" -ne 0 ]; then
	echo "make-capture.sh: must run as root (namespaces, veths, tcpdump)" >&2
	exit 1
fi
for tool in ip ethtool tcpdump mergecap ss; do
	command -v "$tool" >/dev/null || { echo "make-capture.sh: $tool not found" >&2; exit 1; }
done
# Debian's interpreter first: the programs need only the standard library,
# but a python3 earlier on PATH (a venv, a shim) could be anything.
if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=$(command -v python3); fi
if [ "$(sysctl -n net.mptcp.enabled 2>/dev/null || echo 0)" != 1 ]; then
	echo "make-capture.sh: this kernel has no MPTCP (net.mptcp.enabled != 1)" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/mpncap.XXXXXX)
pids=()
# Undo only what this run made: the processes we started (by pid) and our two
# namespaces (deleting a namespace deletes its veths too).
cleanup() {
	local rc=$? p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	ip netns del "$ns_cli" 2>/dev/null || true
	ip netns del "$ns_srv" 2>/dev/null || true
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Idempotent: a previous run that was killed hard may have left our
# namespaces behind; anything still running inside them is that run's.
for ns in "$ns_cli" "$ns_srv"; do
	if ip netns list | grep -qw "^$ns"; then
		for p in $(ip netns pids "$ns"); do kill "$p" 2>/dev/null || true; done
		ip netns del "$ns"
	fi
done

ip netns add "$ns_cli"
ip netns add "$ns_srv"
for ns in "$ns_cli" "$ns_srv"; do
	# No IPv6: router solicitations and MLD reports would only clutter the pcap.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1
	ip -n "$ns" link set lo up
	# Room for the one join and for the announced address.
	ip -n "$ns" mptcp limits set subflow 2 add_addr_accepted 2
done

# Create each pair with its ends already in the two namespaces, so nothing
# ever appears in the host's namespace.
ip link add c1 netns "$ns_cli" type veth peer name s1 netns "$ns_srv"
ip link add c2 netns "$ns_cli" type veth peer name s2 netns "$ns_srv"
ip -n "$ns_cli" addr add 10.99.1.1/24 dev c1
ip -n "$ns_cli" addr add 10.99.2.1/24 dev c2
ip -n "$ns_srv" addr add 10.99.1.2/24 dev s1
ip -n "$ns_srv" addr add 10.99.2.2/24 dev s2
for pair in "$ns_cli c1" "$ns_cli c2" "$ns_srv s1" "$ns_srv s2"; do
	read -r ns ifc <<<"$pair"
	# Offloads off: otherwise tcpdump sees 64 KB GSO frames with partial
	# (unfilled) checksums, which is not what a wire or a NIC would carry.
	ip netns exec "$ns" ethtool -K "$ifc" tx off rx off gso off tso off gro off >/dev/null
	ip -n "$ns" link set "$ifc" up
done
ip -n "$ns_srv" mptcp endpoint add 10.99.2.2 dev s2 signal

# The two programs. Deterministic payloads so the pcap is reproducible in
# content (not in timing, ports or keys, which the kernel picks).
cat >"$tmp/common.py" <<'EOF'
import socket, struct, sys, time
IPPROTO_MPTCP = 262
SOL_MPTCP, MPTCP_INFO = 284, 1

def pattern(n, seed):
    block = bytes((k * seed + 17) & 0xFF for k in range(251))  # prime period
    return (block * (n // 251 + 1))[:n]

def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(min(65536, n - len(buf)))
        if not d:
            sys.exit("peer closed after %d of %d bytes" % (len(buf), n))
        buf += d
    return bytes(buf)

def mptcp_info(s):
    # struct mptcp_info: u8 subflows, add_addr_signal, add_addr_accepted,
    # subflows_max, add_addr_signal_max, add_addr_accepted_max; (pad);
    # u32 flags at 8; u32 token at 12; ...
    raw = s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)
    subflows, = struct.unpack_from("B", raw, 0)
    token, = struct.unpack_from("I", raw, 12)
    return subflows, token

def wait_file(path, timeout):
    import os
    end = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > end:
            sys.exit("timed out waiting for " + path)
        time.sleep(0.05)
EOF

cat >"$tmp/server.py" <<'EOF'
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from common import *
tmp, port, reply_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# Bound to INADDR_ANY, not 10.99.1.2: the MP_JOIN SYN goes to the announced
# 10.99.2.2:PORT and is refused (RST, join error 111) unless a listener
# covers that address too. This namespace has no addresses but 10.99.1.2,
# 10.99.2.2 and loopback; the client still connects to 10.99.1.2.
ls.bind(("0.0.0.0", port))
ls.listen(1)
# Timeouts everywhere so a broken run fails instead of hanging the script.
ls.settimeout(30)
open(tmp + "/listening", "w").close()
c, peer = ls.accept()
c.settimeout(30)
n, = struct.unpack("!I", recv_exact(c, 4))
data = recv_exact(c, n)
if data != pattern(n, 31):
    sys.exit("server: payload mismatch")
sub, tok = mptcp_info(c)
print("server: got %d bytes from %s; extra subflows %d; token %08x" % (n, peer, sub, tok))
# Both ends are ESTABLISHED here: let the script take its ss -Mti snapshot.
open(tmp + "/snapshot", "w").close()
wait_file(tmp + "/go", 20)
c.sendall(pattern(reply_n, 97))
# Clean close: wait for the client's DATA_FIN (EOF), then send ours.
while c.recv(65536):
    pass
c.close()
ls.close()
print("server: closed")
EOF

cat >"$tmp/client.py" <<'EOF'
import socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from common import *
tmp, port, send_n, reply_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
s.settimeout(30)
s.bind(("10.99.1.1", 0))
s.connect(("10.99.1.2", port))
# The server announces 10.99.2.2 (ADD_ADDR) as soon as it has the MP_CAPABLE
# ACK and the client then joins. Send the 4-byte length header now, but hold
# the bulk until the second subflow is up (and a little longer), so that the
# scheduler has two subflows to spread it over and the join carries data.
s.sendall(struct.pack("!I", send_n))
end = time.time() + 5
while mptcp_info(s)[0] < 1 and time.time() < end:
    time.sleep(0.05)
time.sleep(1.0)
sub, tok = mptcp_info(s)
print("client: extra subflows %d before sending; token %08x" % (sub, tok))
if sub < 1:
    sys.exit("client: the MP_JOIN subflow never came up")
s.sendall(pattern(send_n, 31))
if recv_exact(s, reply_n) != pattern(reply_n, 97):
    sys.exit("client: reply mismatch")
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
print("client: sent %d, received %d, closed" % (send_n, reply_n))
EOF

# Capture on both server-side veths; -U so the files are complete when we
# stop tcpdump, -s 0 for whole frames, -Z root so it can write into $tmp.
for ifc in s1 s2; do
	ip netns exec "$ns_srv" tcpdump -i "$ifc" -s 0 -U -Z root -w "$tmp/$ifc.pcap" 2>"$tmp/$ifc.err" &
	pids+=($!)
done
for ifc in s1 s2; do
	for _ in $(seq 100); do grep -q "listening on" "$tmp/$ifc.err" && break; sleep 0.05; done
	grep -q "listening on" "$tmp/$ifc.err" || { cat "$tmp/$ifc.err" >&2; exit 1; }
done

ip netns exec "$ns_srv" "$py" "$tmp/server.py" "$tmp" "$port" "$reply_bytes" &
srv_pid=$!
pids+=("$srv_pid")
for _ in $(seq 100); do [ -e "$tmp/listening" ] && break; sleep 0.05; done
[ -e "$tmp/listening" ] || { echo "make-capture.sh: server did not start" >&2; exit 1; }

ip netns exec "$ns_cli" "$py" "$tmp/client.py" "$tmp" "$port" "$send_bytes" "$reply_bytes" &
cli_pid=$!
pids+=("$cli_pid")

# The kernel's own view while the connection is up: with -t as well as -M,
# ss lists the MPTCP socket (token, subflow counts) and the TCP subflows
# under it (tcp-ulp-mptcp: local/remote token and address ids).
for _ in $(seq 200); do [ -e "$tmp/snapshot" ] && break; sleep 0.05; done
[ -e "$tmp/snapshot" ] || { echo "make-capture.sh: transfer did not reach the snapshot point" >&2; exit 1; }
echo "== ip netns exec $ns_srv ss -Mti"
ip netns exec "$ns_srv" ss -Mti
echo "== ip netns exec $ns_cli ss -Mti"
ip netns exec "$ns_cli" ss -Mti
touch "$tmp/go"

wait "$cli_pid"
wait "$srv_pid"
# Let the last FIN/ACKs reach tcpdump before stopping it.
sleep 1
for i in 0 1; do kill -INT "${pids[$i]}"; wait "${pids[$i]}" || true; done
pids=()

mkdir -p "$(dirname "$out")"
# Both inputs are Ethernet; mergecap orders frames by timestamp by default.
mergecap -F pcap -w "$tmp/merged.pcap" "$tmp/s1.pcap" "$tmp/s2.pcap"
mv "$tmp/merged.pcap" "$out"
echo "== wrote $out ($(stat -c %s "$out") bytes, kernel $(uname -r))"
