#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Case 5, path failure: during a paced two-subflow transfer through mpnorm,
# path 1 fails (its root-side client veth, mpnorm's port 0, goes down). The
# kernel moves the data to the path-2 subflow, the transfer completes and
# the data is intact. mpnorm's view: after the failure only the join
# subflow carries the data.
#
# The case asserts outcomes, not the kernel's timing: when path 1 fails is
# decided by how much data mpnorm has carried on it, and whether the kernel
# marks the dead subflow stale (MPTcpExtSubflowStale) or reinjects data
# (MPTcpExtMPTCPRetrans) before the transfer ends depends on timers and on
# what was in flight at that instant; those counters are printed, not
# checked.
. "$(dirname "$0")/e2e_lib.sh"
e2e_init pf 5
port=5005
mb=40
rate=10   # MB/s: the transfer lasts about 4 s; path 1 fails after 2 MB on it

# sf_bytes ROLE: bytes mpnorm counted on the subflow of that role (initial|join).
sf_bytes() {
	ctl -j show subflows | jq -r --arg r "$1" '[.subflows[] | select(.role == $r) | .bytes] | add // 0'
}
initial_over() { [ "$(sf_bytes initial)" -gt "$1" ]; }

must "mpnorm starts with config/mpnorm.conf's policy" mpnorm_start "$SRCDIR/config/mpnorm.conf"
xfer_server "$port" --timeout 60
xfer_client "$port" --mb "$mb" --rate "$rate" --wait-subflows 1 --started "$TMP/started" \
	--pause "$TMP/go" --timeout 60
must "the bulk starts with 2 subflows" wait_file "$TMP/started" 30
check "ss -Mti on the server: 2 subflows" [ "$(ss_subflows "$BED_NS_SRV")" -ge 1 ]
must "mpnorm carries the bulk on the initial subflow (> 2 MB)" wait_until 60 initial_over $((2 << 20))
ip link set "$BED_ROOT_C1" down
echo "# $(date +%T.%N | cut -c1-12) path 1 down ($BED_ROOT_C1)"
# What was already in mpnorm's rings when the port went down drains first
# (up to a ring of full-sized segments, read as the CPU allows): the
# subflow's count must stand still for a whole second, not just 0.2 s,
# which a process starved of CPU on a loaded machine also does.
STABLE_READS=10 wait_stable 30 sf_bytes initial || echo "# the initial subflow's count still moved after 30 s"
init0=$(sf_bytes initial)
join0=$(sf_bytes join)
check "the client sends everything after the failure" wait_file "$TMP/go.paused" 60
init1=$(sf_bytes initial)
join1=$(sf_bytes join)
ctl show subflows | sed 's/^/# mpnorm: /'
echo "# mpnorm subflow bytes at the failure: initial $init0, join $join0; at the end: initial $init1, join $join1"
check "mpnorm: the initial subflow carried data before the failure" [ "$init0" -gt $((2 << 20)) ]
check "mpnorm: the join subflow carried the rest (> 4 MB after the failure: $((join1 - join0)))" \
	[ $((join1 - join0)) -gt $((4 << 20)) ]
check "mpnorm: nothing more crossed the initial subflow ($((init1 - init0)) bytes)" [ $((init1 - init0)) -lt 65536 ]
touch "$TMP/go"
check "the transfer completes" xfer_wait "$port"
check "SHA-256 equal at both ends, $mb MB" xfer_intact "$port" $((mb << 20))
echo "# transfer took $(xj client $port seconds) s (paced at $rate MB/s)"
echo "# kernel, for information: client MPTcpExtSubflowStale $(nst "$BED_NS_CLI" MPTcpExtSubflowStale)," \
	"MPTcpExtMPTCPRetrans $(nst "$BED_NS_CLI" MPTcpExtMPTCPRetrans)"
nstat_dump "$BED_NS_CLI"
nstat_dump "$BED_NS_SRV"
check "it stayed MPTCP (no fallback on either end)" \
	[ "$(xj client $port mptcp)/$(xj server $port mptcp)" = true/true ]
check "no MP_TCPRST, fastclose or abort" \
	[ "$(nst_sum "$BED_NS_CLI" '^(MPTcpExtMPRst(Tx|Rx)|MPTcpExtMPFastclose(Tx|Rx)|TcpExtTCPAbortOn.*)$')/$(nst_sum "$BED_NS_SRV" '^(MPTcpExtMPRst(Tx|Rx)|MPTcpExtMPFastclose(Tx|Rx)|TcpExtTCPAbortOn.*)$')" = 0/0 ]
check "mpnorm: dropped nothing but what the dead port refused" \
	[ "$(ctl -j show drops | jq '[.reasons[] | select(.reason != "tx-ring-full") | .dropped] | add // 0')" -eq 0 ]
ip link set "$BED_ROOT_C1" up
check "mpnorm exits cleanly" mpnorm_stop
finish
