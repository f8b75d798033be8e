#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per packet of each parse_bench stage, counted by callgrind.
#
#   test/bench/callgrind.sh [BUILD_DIR [PACKETS]]      (default: build 4096)
#
# parse_bench sees that it runs under valgrind, runs each stage once and
# dumps one profile per stage (CALLGRIND_DUMP_STATS_AT); this script reads
# the total instruction count (Ir) of each dump and divides it by the
# number of packets. Instruction counts, unlike TSC ticks, do not depend on
# the neighbours of a shared host, so they are the numbers to compare
# between two commits.
set -eu
build=${1:-build}
packets=${2:-4096}
bench=$build/test/bench/parse_bench
if [ ! -x "$bench" ]; then
	echo "$bench not found: build first (ninja -C $build)" >&2
	exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bench" "$packets" 1 \
	>"$dir/stdout" 2>"$dir/stderr" || { cat "$dir/stderr" >&2; exit 1; }
head -n 1 "$dir/stdout"
echo "| stage | instructions/pkt | x baseline |"
echo "|---|---:|---:|"
# Dumps come out as cg.out.1, cg.out.2, ... in stage order; the last file,
# written at exit, holds the set-up and is skipped.
for f in $(ls "$dir"/cg.out.* | sort -t. -k3 -n); do
	awk -v n="$packets" '
		/^desc: Trigger: Client Request: / { stage = $NF }
		/^(summary|totals):/ { ir = $2 }
		END { if (stage != "") printf "%s %.1f\n", stage, ir / n }
	' "$f"
done | awk '
	NR == 1 { base = $2 }
	{ printf "| %s | %.1f | %.2f |\n", $1, $2, $2 / base }
'
