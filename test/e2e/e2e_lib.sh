# SPDX-License-Identifier: BSD-3-Clause
# Helpers for the end-to-end cases: a two-path test bed (scripts/testbed.sh)
# with a live mpnorm between real Linux MPTCP peers.
#
# A case does:
#   . "$(dirname "$0")/e2e_lib.sh"
#   e2e_init ID DIGIT        # skip (77) unless root + netns + MPTCP; bed mpne2e-ID<pid>, net 10.9DIGIT
#   mpnorm_start POLICY      # a config file whose tcp-maps... sections are used, or "" for none
#   xfer_server PORT; xfer_client PORT ARGS...; xfer_wait
#   check ...; finish
# Everything it made (processes by pid, the bed, DPDK's runtime directory,
# $TMP) is removed on exit, pass or fail.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Run by hand: the defaults are the tree's own build.
: "${SRCDIR:=$(cd "$E2E_DIR/../.." && pwd)}"
: "${MPNORM:=$SRCDIR/build/app/mpnorm/mpnorm}"
: "${MPNORMCTL:=$SRCDIR/build/app/mpnormctl/mpnormctl}"
export SRCDIR MPNORM MPNORMCTL
. "$SRCDIR/test/lib.sh"

# Debian's interpreter: scapy is python3-scapy, and a python3 earlier on
# PATH (pyenv, a venv) may not have it.
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
XFER="$E2E_DIR/mptcp_xfer.py"
TESTBED="$SRCDIR/scripts/testbed.sh"

E2E_PIDS=()
MPNORM_PID=
BED_UP=0

e2e_cleanup() {
	local rc=$? p live
	trap - EXIT
	set +e
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$TMP/mpnorm.log" ]; then
		echo "--- mpnorm log (tail)"
		tail -25 "$TMP/mpnorm.log"
	fi
	# Only our background jobs not yet reaped: a pid already waited for
	# may belong to someone else by now.
	live=$(jobs -p)
	for p in "${E2E_PIDS[@]}"; do
		grep -qx "$p" <<<"$live" || continue
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	mpnorm_stop >/dev/null 2>&1
	if [ "$BED_UP" -eq 1 ]; then
		MPNBED_STATE=$TMP/bed "$TESTBED" down "$BED_NAME" >/dev/null 2>&1
	fi
	[ -n "${BED_FILE_PREFIX:-}" ] && rm -rf "/var/run/dpdk/$BED_FILE_PREFIX"
	rm -rf "$TMP"
	exit "$rc"
}

# e2e_init ID DIGIT: check the machine, then make the bed.
e2e_init() {
	local id=$1 digit=$2 t
	[ "$(id -u)" -eq 0 ] || skip_all "not root (the test bed needs network namespaces)"
	for t in ip ethtool ss nstat jq; do
		command -v "$t" >/dev/null || skip_all "$t not installed"
	done
	[ -x "$MPNORM" ] && [ -x "$MPNORMCTL" ] || skip_all "mpnorm or mpnormctl not built"
	[ -d /proc/sys/net/mptcp ] || skip_all "this kernel has no MPTCP"
	local probe=mpne2e-probe-$$
	ip netns add "$probe" 2>/dev/null || skip_all "network namespaces do not work here"
	ip netns del "$probe"
	BED_NAME=$id$(($$ % 100000))
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	BED_UP=1
	MPNBED_NET=10.9$digit MPNBED_STATE=$TMP/bed "$TESTBED" up "$BED_NAME" >"$TMP/testbed.out"
	. "$TMP/bed/testbed.env"
}

ctl() { "$MPNORMCTL" -s "$BED_SOCK" "$@"; }

# must DESC CMD...: like check, but the case cannot go on without it.
must() {
	local d=$1
	shift
	if "$@"; then
		ok "$d"
	else
		not_ok "$d"
		echo "# cannot go on"
		finish || true
		exit 1
	fi
}

# The policy part of a config file: everything from 'tcp-maps' on.
policy_of() { sed -n '/^tcp-maps/,$p' "$1"; }

# mpnorm_config POLICY: the bed's ports and links plus POLICY's policy into $TMP/mpnorm.conf.
mpnorm_config() {
	{
		cat "$BED_PORTS_CONF"
		[ -n "$1" ] && policy_of "$1"
		true
	} >"$TMP/mpnorm.conf.new"
	mv "$TMP/mpnorm.conf.new" "$TMP/mpnorm.conf"
}

# mpnorm_start POLICY: run mpnorm on the bed; wait for its socket and its 4
# ports up (bounded: 60 s, for a loaded machine), then note the root veths'
# RX counters, from which mpnorm_quiet counts what mpnorm has to take in.
mpnorm_start() {
	mpnorm_config "$1"
	"$MPNORM" --no-huge -m 1024 --no-pci -l 0-1 --file-prefix "$BED_FILE_PREFIX" \
		-- -c "$TMP/mpnorm.conf" </dev/null >"$TMP/mpnorm.log" 2>&1 &
	MPNORM_PID=$!
	mpnorm_wait_up
}

# mpnorm_wait_up [LOG]: the started mpnorm ($MPNORM_PID) has its socket and 4 ports up.
mpnorm_wait_up() {
	local end=$((SECONDS + 60)) log=${1:-$TMP/mpnorm.log}
	while [ "$SECONDS" -lt "$end" ]; do
		if ! kill -0 "$MPNORM_PID" 2>/dev/null; then
			echo "mpnorm exited at start:"; cat "$log"; MPNORM_PID=; return 1
		fi
		if [ -S "$BED_SOCK" ] && [ "$(ctl show ports 2>/dev/null | grep -cw up)" -eq 4 ]; then
			VETH_RX0=$(veth_rx)
			return 0
		fi
		sleep 0.1
	done
	echo "mpnorm did not come up in 60 s:"; cat "$log"
	return 1
}

# veth_rx: frames the kernel delivered to each root-side veth (mpnorm's
# ports 0-3), as "N N N N".
veth_rx() {
	local i
	for i in "$BED_ROOT_C1" "$BED_ROOT_S1" "$BED_ROOT_C2" "$BED_ROOT_S2"; do
		ip -s -j link show dev "$i" | jq -r '.[0].stats64.rx.packets'
	done | paste -sd' '
}
# mpnorm_quiet: every frame the kernel gave mpnorm's ports since it started
# has been taken in (port rx + imissed) and has left (out, or dropped): nothing
# is in flight inside mpnorm.
mpnorm_quiet() {
	local now have i ok=0
	now=($(veth_rx))
	local base=($VETH_RX0)
	have=($(ctl -j show ports 2>/dev/null | jq -r '.ports[] | .rx + .imissed')) || return 1
	[ "${#have[@]}" -eq 4 ] || return 1
	for i in 0 1 2 3; do
		[ "${have[i]}" -ge $((now[i] - base[i])) ] || ok=1
	done
	[ "$ok" -eq 0 ] && [ "$(show_stat '.packets_in == .packets_out + .packets_dropped')" = true ]
}

# mpnorm_counters: every port's rx and tx, once what came in has gone out
# (in = out + dropped); otherwise a value that never repeats.
mpnorm_counters() {
	if [ "$(show_stat '.packets_in == .packets_out + .packets_dropped')" = true ]; then
		ctl -j show ports | jq -c '[.ports[] | [.rx, .tx]]'
	else
		echo "busy $RANDOM$RANDOM"
	fi
}

# mpnorm_stop: SIGTERM, and report its exit status (0 = clean).
mpnorm_stop() {
	local rc=0 i
	[ -n "$MPNORM_PID" ] || return 0
	kill -TERM "$MPNORM_PID" 2>/dev/null
	for i in $(seq 1 200); do kill -0 "$MPNORM_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$MPNORM_PID" 2>/dev/null && kill -KILL "$MPNORM_PID" 2>/dev/null
	wait "$MPNORM_PID" || rc=$?
	MPNORM_PID=
	return "$rc"
}

# show_stat PATH: one value of 'show stats' (jq path, e.g. .mptcp_options.dss).
show_stat() { ctl -j show stats | jq -r "$1"; }
# reason_count REASON dropped|rewritten|alerted|monitored (0 when not listed)
reason_count() {
	ctl -j show drops | jq -r --arg r "$1" --arg c "$2" \
		'[.reasons[] | select(.reason == $r) | .[$c]] | add // 0'
}
# total_drops: packets mpnorm dropped, every reason.
total_drops() { show_stat .packets_dropped; }

# nst NS COUNTER: a kernel SNMP/netstat counter in a namespace (0 if absent).
# -a absolute, -s keep nstat's history file alone, -z zeros too.
nst() {
	ip netns exec "$1" nstat -asz "$2" 2>/dev/null | awk -v c="$2" '$1 == c { v = $2 } END { print v + 0 }'
}
# nst_sum NS REGEX: the sum of every counter whose name matches.
nst_sum() {
	ip netns exec "$1" nstat -asz 2>/dev/null | awk -v re="$2" '$1 ~ re { s += $2 } END { print s + 0 }'
}
# resets NS: what the kernel counts when it resets or aborts a connection
# or an MPTCP subflow: MP_TCPRST sent or received, TCP aborts, RSTs sent.
resets() {
	nst_sum "$1" '^(MPTcpExtMPRstTx|MPTcpExtMPRstRx|MPTcpExtMPFastcloseTx|MPTcpExtMPFastcloseRx|TcpExtTCPAbortOn.*|TcpOutRsts)$'
}

# xfer_server PORT [ARGS...]: start the MPTCP server in the server namespace.
xfer_server() {
	local port=$1 i
	shift
	rm -f "$TMP/ready-$port"
	ip netns exec "$BED_NS_SRV" "$PY" "$XFER" server --port "$port" --ready "$TMP/ready-$port" \
		"$@" >"$TMP/server-$port.json" 2>"$TMP/server-$port.err" &
	SRV_PID=$!
	E2E_PIDS+=("$SRV_PID")
	for i in $(seq 1 1200); do [ -e "$TMP/ready-$port" ] && return 0; sleep 0.05; done
	echo "server on port $port did not start in 60 s:"; cat "$TMP/server-$port.err"
	return 1
}
# xfer_client PORT [ARGS...]: start the client in the background, from 10.9X.1.1 to 10.9X.1.2.
xfer_client() {
	local port=$1
	shift
	ip netns exec "$BED_NS_CLI" "$PY" "$XFER" client --src "$BED_CLI1" --dst "$BED_SRV1" \
		--port "$port" "$@" >"$TMP/client-$port.json" 2>"$TMP/client-$port.err" &
	CLI_PID=$!
	E2E_PIDS+=("$CLI_PID")
}
# xfer_wait PORT: wait for both ends; 0 if both exited 0.
xfer_wait() {
	local rc=0
	wait "$CLI_PID" || { rc=1; echo "client failed:"; cat "$TMP/client-$1.err"; }
	wait "$SRV_PID" || { rc=1; echo "server failed:"; cat "$TMP/server-$1.err"; }
	return "$rc"
}
# xj ROLE PORT FIELD: a field of a side's JSON result.
xj() { jq -r ".$3" "$TMP/$1-$2.json" 2>/dev/null; }
# xfer_intact PORT BYTES: both ends saw BYTES bytes with the same SHA-256.
xfer_intact() {
	local c s
	c=$(xj client "$1" sha256)
	s=$(xj server "$1" sha256)
	[ -n "$c" ] && [ "$c" != null ] && [ "$c" = "$s" ] &&
		[ "$(xj client "$1" bytes)" = "$2" ] && [ "$(xj server "$1" bytes)" = "$2" ]
}
# wait_file FILE [SECONDS]
wait_file() {
	local i
	for i in $(seq 1 $((${2:-30} * 20))); do [ -e "$1" ] && return 0; sleep 0.05; done
	return 1
}

# ss_mptcp NS: the kernel's MPTCP sockets, with their subflows (ss -Mti).
ss_mptcp() { ip netns exec "$1" ss -Mtin state established | sed 's/ *$//'; }
# ss_subflows NS: the largest 'subflows:N' among NS's MPTCP sockets (extra subflows).
ss_subflows() {
	ip netns exec "$1" ss -Mni 2>/dev/null | grep -o 'subflows:[0-9]*' | cut -d: -f2 |
		sort -n | tail -1 | grep . || echo 0
}
# ss_tokens NS: the local tokens of NS's MPTCP sockets, as 8 hex digits.
ss_tokens() {
	# The MPTCP socket's line has 'token:HEX'; a subflow's has 'token:HEX(id:N)/...'.
	ip netns exec "$1" ss -Mni 2>/dev/null | grep -oE '(^|[ \t])token:[0-9a-f]+( |$)' | cut -d: -f2 |
		while read -r t; do printf '%08x\n' "0x$t"; done | sort -u
}

has_connections() { ctl help 2>/dev/null | grep -q '^show connections'; }

# check_tokens: mpnorm's 'show connections' lists the kernel's tokens (the
# client's and the server's) of the connections up now. Until mpnorm has
# connection tracking it has no such command: say so, and count nothing.
check_tokens() {
	local want have t missing=0
	if ! has_connections; then
		echo "# note: mpnormctl has no 'show connections' yet; token check not run"
		return 0
	fi
	want=$( { ss_tokens "$BED_NS_CLI"; ss_tokens "$BED_NS_SRV"; } | sort -u)
	# Any value under a key that names a token, in whatever shape the JSON takes.
	have=$(ctl -j show connections | jq -r '.. | objects | to_entries[] |
		select(.key | test("token")) | .value | select(type == "string" or type == "number") | tostring' |
		sed 's/^0x//' | while read -r t; do
			if [[ $t =~ ^[0-9]+$ ]] && [ ${#t} -ne 8 ]; then printf '%08x\n' "$t"; else printf '%08x\n' "0x$t"; fi
		done | sort -u)
	for t in $want; do grep -qx "$t" <<<"$have" || missing=1; done
	[ -n "$want" ] || missing=1
	check "mpnorm's connection tokens include the kernel's (${want//$'\n'/ })" [ "$missing" -eq 0 ]
}

# capture_start NAME NS|- IF FILTER: tcpdump into $TMP/NAME.pcap (in NS, or "-" for root).
capture_start() {
	local name=$1 ns=$2 ifc=$3 i
	shift 3
	local pre=()
	[ "$ns" != - ] && pre=(ip netns exec "$ns")
	"${pre[@]}" tcpdump -i "$ifc" -s 0 -U --immediate-mode -Z root -n -w "$TMP/$name.pcap" "$@" 2>"$TMP/$name.err" &
	E2E_PIDS+=($!)
	eval "CAP_PID_$name=$!"
	for i in $(seq 1 1200); do grep -q "listening on" "$TMP/$name.err" && return 0; sleep 0.05; done
	cat "$TMP/$name.err"
	return 1
}
# capture_stop NAME: stop it after the last packets are written: once
# mpnorm is quiet (everything it was given has left it) and the capture file
# has stopped growing. (Without --immediate-mode, libpcap holds packets up to
# a second in its ring, and tcpdump drops them when it is interrupted.)
capture_stop() {
	local v=CAP_PID_$1
	# Frames the kernel dropped at a full af_packet ring show up in neither
	# count on every PMD: then settle for counters that stopped moving.
	if [ -n "$MPNORM_PID" ] && ! wait_until 5 mpnorm_quiet; then
		wait_stable 30 mpnorm_counters || echo "# mpnorm's counters still moving after 30 s"
	fi
	wait_stable 10 stat -c %s "$TMP/$1.pcap" || echo "# $1.pcap still growing after 10 s"
	kill -INT "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null || true
}
# pcap_count FILE [FILTER]: packets in a capture (matching a tcpdump filter).
pcap_count() {
	local f=$1
	shift
	tcpdump -r "$f" -n "$@" 2>/dev/null | wc -l
}
# nstat_dump NS: the non-zero MPTCP, reset and abort counters, as comments.
nstat_dump() {
	ip netns exec "$1" nstat -as 2>/dev/null | awk -v ns="$1" \
		'$1 ~ /^MPTcpExt|Rst|Abort|Retrans/ && $2 > 0 { printf "# %s: %s %s\n", ns, $1, $2 }'
}
# jqt FILTER FILE: true when the jq filter is true on FILE.
jqt() { jq -e "$1" "$2" >/dev/null; }
