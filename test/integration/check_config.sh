#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mpnorm --check-config: a valid file gives measured figures that add up
# and grow with the tables; every kind of error exits 1 and names
# FILE:LINE; no port is opened; --check-hugepages fails with the number of
# pages when fewer are free.
. "$SRCDIR/test/lib.sh"

cc() { "$MPNORM" --check-config "$@"; }
policy() { sed -n '/^tcp-maps/,$p' "$SRCDIR/config/mpnorm.conf"; }

# A valid file whose af_packet ports name interfaces that do not exist:
# --check-config must not open them.
cat >"$TMP/good.conf" <<CONF
dataplane = { workers = 1; mbufs = 8192; };
tables = { subflows = 65536; connections = 32768; };
ports = ( { name = "net_af_packet0"; devargs = "iface=mpnnosuch0"; },
          { name = "net_af_packet1"; devargs = "iface=mpnnosuch1"; } );
links = ( { name = "l"; inside = "net_af_packet0"; outside = "net_af_packet1"; } );
CONF
policy >>"$TMP/good.conf"
rc=0; cc -c "$TMP/good.conf" >"$TMP/good.txt" 2>"$TMP/good.err" || rc=$?
check "valid file: exit 0" [ "$rc" -eq 0 ]
check "valid file: says so, and that ports are not opened" grep -q "configuration valid.*does not open ports" "$TMP/good.txt"
check "valid file: prints the hugepages needed" grep -qE "^hugepages: [0-9]+ x 2 MB" "$TMP/good.txt"
check "valid file: nothing on stderr" [ ! -s "$TMP/good.err" ]
rc=0; cc -c "$TMP/good.conf" --json - >"$TMP/good.json" || rc=$?
check "JSON: exit 0 and jq parses it" bash -c "[ $rc -eq 0 ] && jq -e .valid '$TMP/good.json' >/dev/null"
j() { jq -r "$1" "$2"; }
total=$(j .bytes.total "$TMP/good.json")
sum=$(jq '.bytes | .eal + .subflow_tables + .token_table + .mbuf_pool + .handoff_rings + .allowance' "$TMP/good.json")
check "JSON: the total is the sum of its parts ($total = $sum)" [ "$total" = "$sum" ]
pages=$(j .hugepages_2mb "$TMP/good.json")
check "JSON: hugepages = ceil(total / 2 MB) ($pages)" [ "$pages" -eq $(((total + 2097151) / 2097152)) ]
check "text and JSON give the same page count" grep -q "^hugepages: $pages x 2 MB" "$TMP/good.txt"
# Measured, not assumed: each table is at least as big as its entries' keys,
# and an mbuf at least its 2048-byte data room.
check "a subflow costs more than its 40-byte key" [ "$(j .bytes_per_subflow "$TMP/good.json")" -gt 40 ]
check "a connection costs more than a subflow slot" [ "$(j .bytes_per_connection "$TMP/good.json")" -gt 64 ]
check "an mbuf costs more than its 2048-byte data room" [ "$(j .bytes_per_mbuf "$TMP/good.json")" -gt 2048 ]
check "a --no-huge pool is bigger (one mbuf per 4 KB page)" \
	[ "$(j .bytes.mbuf_pool_nohuge "$TMP/good.json")" -gt "$(j .bytes.mbuf_pool "$TMP/good.json")" ]

# The figures follow the config: twice the workers, twice the subflow tables;
# four times the connections, about four times the token table.
sed -e 's/workers = 1;/workers = 2;/' -e 's/connections = 32768/connections = 131072/' \
	"$TMP/good.conf" >"$TMP/big.conf"
cc -c "$TMP/big.conf" --json - >"$TMP/big.json"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
r=$(ratio "$(j .bytes.subflow_tables "$TMP/big.json")" "$(j .bytes.subflow_tables "$TMP/good.json")")
check "2 workers: subflow tables x$r (2.00 expected)" [ "$r" = "2.00" ]
r=$(ratio "$(j .bytes.token_table "$TMP/big.json")" "$(j .bytes.token_table "$TMP/good.json")")
check "4x connections: token table x$r (3.9-4.1)" awk -v r="$r" 'BEGIN { exit !(r >= 3.9 && r <= 4.1) }'
check "2 workers: handoff rings measured" [ "$(j .bytes.handoff_rings "$TMP/big.json")" -gt 0 ]
check "2 workers: more pages" [ "$(j .hugepages_2mb "$TMP/big.json")" -gt "$pages" ]

# --check-hugepages: the kernel's free count against the need. Another
# process (a benchmark, DPDK elsewhere) may take or give back pages while
# this runs, so each run is judged against the count it read itself, and
# that count against the kernel's before and after.
hp_free() { cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0; }
between() { [ "$1" -ge "$(( $2 < $3 ? $2 : $3 ))" ] && [ "$1" -le "$(( $2 > $3 ? $2 : $3 ))" ]; }
f0=$(hp_free)
rc=0; cc -c "$TMP/good.conf" --check-hugepages --json - >"$TMP/hp.json" 2>"$TMP/hp.err" || rc=$?
f1=$(hp_free)
free=$(j .free_hugepages_2mb "$TMP/hp.json")
check "JSON reports the kernel's free 2 MB hugepages ($free, the kernel said $f0 then $f1)" \
	between "$free" "$f0" "$f1"
if [ "$free" -lt "$pages" ]; then
	check "--check-hugepages with $free free: exit 1" [ "$rc" -eq 1 ]
	check "--check-hugepages: says how many pages are needed ($pages)" \
		grep -q "needs $pages free 2 MB hugepages" "$TMP/hp.err"
	check "--check-hugepages: says what to set" grep -q "MPNORM_HUGEPAGES=$pages" "$TMP/hp.err"
else
	check "--check-hugepages with $free free (enough): exit 0" [ "$rc" -eq 0 ]
fi

# Errors: exit 1 and FILE:LINE, the line being the one at fault.
bad() { # NAME LINE CONTENT...: write the file, expect exit 1 and NAME.conf:LINE
	local name=$1 line=$2 rc=0
	shift 2
	printf '%s\n' "$@" >"$TMP/$name.conf"
	cc -c "$TMP/$name.conf" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
	check "$name: exit 1" [ "$rc" -eq 1 ]
	check "$name: names $name.conf:$line ($(head -c 160 "$TMP/$name.err"))" \
		grep -q "$name.conf:$line:" "$TMP/$name.err"
}
bad syntax 3 'dataplane = {' '  workers = 1;' '  mbufs = ;' '};'
bad unknown 2 'dataplane = {' '  worker = 1;' '};'
bad range 3 '# comment' 'tables = {' '  subflows = 10;' '};'
bad mbufs 2 'dataplane = {' '  mbufs = 100;' '};'
bad badlink 2 'ports = ( { name = "a"; } );' 'links = ( { name = "l"; inside = "a"; outside = "zz"; } );'
bad group 4 '# a group that does not exist' 'control = {' '  socket = "/tmp/x.sock";' "  group = \"mpnnosuchgroup$$\";" '};'
check "group: says how to fix it" grep -q "groupadd --system" "$TMP/group.err"

rc=0; cc -c "$TMP/nosuch.conf" >/dev/null 2>"$TMP/nofile.err" || rc=$?
check "missing file: exit 1 with its name" bash -c "[ $rc -eq 1 ] && grep -q nosuch.conf '$TMP/nofile.err'"
rc=0; "$MPNORM" --check-hugepages -c "$TMP/good.conf" >/dev/null 2>&1 || rc=$?
check "--check-hugepages alone: usage error, exit 2" [ "$rc" -eq 2 ]
rc=0; cc --offline a b -c "$TMP/good.conf" >/dev/null 2>&1 || rc=$?
check "--check-config with --offline: usage error, exit 2" [ "$rc" -eq 2 ]
# EAL options before -- are ignored: it measures in its own EAL.
rc=0; "$MPNORM" -l 0 --no-huge -m 64 -- --check-config -c "$TMP/good.conf" >/dev/null 2>&1 || rc=$?
check "EAL options before --: still measured (exit 0)" [ "$rc" -eq 0 ]
finish
