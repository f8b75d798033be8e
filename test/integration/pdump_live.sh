#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# dpdk-pdump captures from a running mpnorm. pdump attaches as a DPDK
# secondary process, which needs the primary's memory in hugepages: the test
# reserves 256 of them (512 MB) for its run and gives back what it took.
# It skips where hugepages cannot be had (not root, no hugetlbfs).
. "$SRCDIR/test/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root to reserve hugepages"
command -v dpdk-pdump >/dev/null || skip_all "dpdk-pdump is not installed"
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ -w "$nr" ] || skip_all "no 2 MB hugepages on this kernel"
before=$(cat "$nr")
mounted=0
if ! mountpoint -q /dev/hugepages; then
	mkdir -p /dev/hugepages && mount -t hugetlbfs none /dev/hugepages && mounted=1
fi
echo $((before + 256)) >"$nr"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -f /dev/hugepages/mpn-pdump-$$*
	# The pages come back as the process's mappings go: retry until they have.
	for _ in $(seq 1 20); do
		echo "$before" >"$nr"
		[ "$(cat "$nr")" -eq "$before" ] && break
		sleep 0.25
	done
	[ "$mounted" -eq 1 ] && umount /dev/hugepages
	cleanup_runtime
}
trap cleanup EXIT
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
[ "$free" -ge 256 ] || skip_all "only $free hugepages could be reserved"

sock=$TMP/mpnorm.sock
cat >"$TMP/p.conf" <<CONF
control = { socket = "$sock"; };
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$SRCDIR/pcaps/mptcp-2subflows.pcap,tx_pcap=/dev/null,infinite_rx=1"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 8192; rx_desc = 256; tx_desc = 256; };
tables = { subflows = 4096; connections = 1024; };
CONF
"$MPNORM" -m 256 --no-pci --file-prefix "mpn-pdump-$$" -l 0-1 -- -c "$TMP/p.conf" >"$TMP/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
check "mpnorm runs on hugepages" "$MPNORMCTL" -s "$sock" show version
check "pdump initialised (no warning at start-up)" bash -c "! grep -q 'pdump not available' '$TMP/log'"
timeout -s INT 5 dpdk-pdump --file-prefix "mpn-pdump-$$" -- \
	--pdump "port=0,queue=*,rx-dev=$TMP/pdump.pcap" >"$TMP/pdump.log" 2>&1 || true
n=$(count_records "$TMP/pdump.pcap" 2>/dev/null || echo 0)
check "dpdk-pdump captured packets from the live port ($n)" [ "${n:-0}" -gt 100 ]
check "the captured packets are the capture's: MPTCP seen" \
	[ "$(tshark -r "$TMP/pdump.pcap" -c 2000 -Y mptcp 2>/dev/null | wc -l)" -gt 0 ]
finish
