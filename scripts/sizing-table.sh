#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The sizing table of doc/operations.md, from `mpnorm --check-config` run on
# this machine over a grid of sizes (workers, subflows per worker,
# connections, mbufs; two ports in one link). Markdown on stdout.
#   scripts/sizing-table.sh [MPNORM]
set -euo pipefail
cd "$(dirname "$0")/.."
mpnorm=${1:-build/app/mpnorm/mpnorm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| workers | subflows per worker | connections | mbufs | subflow tables MB | token table MB | mbufs MB | total MB (with allowance) | 2 MB hugepages | --no-huge -m |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
while read -r w s c m; do
	cat >"$tmp/c.conf" <<CONF
dataplane = { workers = $w; mbufs = $m; };
tables = { subflows = $s; connections = $c; };
ports = ( { name = "0000:01:00.0"; }, { name = "0000:01:00.1"; } );
links = ( { name = "wire0"; inside = "0000:01:00.0"; outside = "0000:01:00.1"; } );
CONF
	"$mpnorm" --check-config -c "$tmp/c.conf" --json - | jq -r --arg w "$w" '
		def mb: . / 1048576 | . * 10 | round / 10;
		"| \($w) | \(.subflows_per_worker) | \(.connections) | \(.mbufs) | \(.bytes.subflow_tables | mb) | \(.bytes.token_table | mb) | \(.bytes.mbuf_pool | mb) | \(.bytes.total | mb) | \(.hugepages_2mb) | \(.nohuge_mb) |"'
done <<'GRID'
1 65536 65536 16384
1 262144 131072 32768
1 1048576 524288 65536
2 65536 65536 32768
2 262144 262144 65536
2 1048576 1048576 131072
4 1048576 2097152 262144
GRID
