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
# dpdk-pdump, a secondary process, attaches net_pcap0 by re-parsing the
# primary's devargs from a 64-byte field (ETH_PCAP_ARG_MAXLEN in DPDK 22.11's
# pcap PMD): longer devargs are cut, the secondary's probe fails without a
# word, and pdump captures nothing. A clone under a long path did exactly
# that. So: a short path, no tx_pcap (the PMD then drops on TX), and a check.
cp "$SRCDIR/pcaps/mptcp-2subflows.pcap" "$TMP/in.pcap"
devargs="rx_pcap=$TMP/in.pcap,infinite_rx=1"
check "net_pcap0's devargs fit the PMD's 63 characters (${#devargs})" [ "${#devargs}" -le 63 ]
cat >"$TMP/p.conf" <<CONF
control = { socket = "$sock"; };
ports = ( { name = "net_pcap0"; devargs = "$devargs"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 8192; rx_desc = 256; tx_desc = 256; };
tables = { subflows = 4096; connections = 1024; };
CONF
"$MPNORM" -m 256 --no-pci --file-prefix "mpn-pdump-$$" -l 0-1 -- -c "$TMP/p.conf" >"$TMP/log" 2>&1 &
pid=$!
wait_until 60 test -S "$sock" || echo "# no control socket after 60 s"
check "mpnorm runs on hugepages" "$MPNORMCTL" -s "$sock" show version
check "pdump initialised (no warning at start-up)" bash -c "! grep -q 'pdump not available' '$TMP/log'"
# dpdk-pdump runs until it has written something (its pcap writer flushes
# in blocks), however long its own start-up takes, then stops on SIGINT
# and flushes the rest. Bounded: 60 s.
dpdk-pdump --file-prefix "mpn-pdump-$$" -- \
	--pdump "port=0,queue=*,rx-dev=$TMP/pdump.pcap" >"$TMP/pdump.log" 2>&1 &
pdump=$!
grown() { [ "$(stat -c %s "$TMP/pdump.pcap" 2>/dev/null || echo 0)" -gt 65536 ] || ! kill -0 "$pdump" 2>/dev/null; }
wait_until 60 grown || echo "# dpdk-pdump wrote nothing in 60 s: $(tail -3 "$TMP/pdump.log")"
gone() { ! kill -0 "$pdump" 2>/dev/null; }
kill -INT "$pdump" 2>/dev/null || true
wait_until 30 gone || kill -KILL "$pdump" 2>/dev/null || true
wait "$pdump" 2>/dev/null || true
sed 's/^/# dpdk-pdump: /' "$TMP/pdump.log" | tail -5
n=$(count_records "$TMP/pdump.pcap" 2>/dev/null || echo 0)
check "dpdk-pdump captured packets from the live port ($n)" [ "${n:-0}" -gt 100 ]
check "the captured packets are the capture's: MPTCP seen" \
	[ "$(tshark -r "$TMP/pdump.pcap" -c 2000 -Y mptcp 2>/dev/null | wc -l)" -gt 0 ]
finish
