#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per packet of the whole pipeline (mpnorm-bench), counted by
# callgrind, and the functions they go to.
#
#   test/bench/callgrind_pipeline.sh [BUILD_DIR [SUBFLOWS [PACKETS [OUT_DIR]]]]
#        (default: build 65536 200000, a temporary directory)
#
# mpnorm-bench sees that it runs under valgrind, runs one repetition and
# dumps one profile per phase (handshake, join, baseline, pipeline:
# CALLGRIND_DUMP_STATS_AT). This script divides each dump's instruction
# count (Ir) by the packets of its phase, prints a markdown table, and then
# the top functions of the pipeline phase (exclusive and inclusive) and of
# the join phase (inclusive), from callgrind_annotate. Counts, unlike TSC ticks, do not depend on the
# neighbours of a shared host: they are the numbers to compare between
# commits. Valgrind hides SHA-NI and AVX-512 from the program, so OpenSSL
# runs its generic code here: joins count more instructions than they cost
# on the real CPU.
#
# With OUT_DIR the callgrind files stay there (cg.out.1 .. cg.out.4, full
# names: --compress-strings=no --compress-pos=no) for callgrind_annotate.
set -eu
build=${1:-build}
subflows=${2:-65536}
packets=${3:-200000}
keep=${4:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$build/app/mpnorm-bench/mpnorm-bench
if [ ! -x "$bench" ]; then
	echo "$bench not found: build first (ninja -C $build)" >&2
	exit 1
fi
if [ -n "$keep" ]; then
	mkdir -p "$keep"
	dir=$(cd "$keep" && pwd)
	rm -f "$dir"/cg.out*
else
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
	--callgrind-out-file="$dir/cg.out" "$bench" --no-huge -m 2048 --no-pci --no-telemetry \
	--file-prefix "mpn-cg-$$" -l 0 --log-level=warning -- -c "$root/config/mpnorm.conf" \
	--subflows "$subflows" --packets "$packets" \
	>"$dir/stdout" 2>"$dir/stderr" || { tail -n 20 "$dir/stderr" >&2; exit 1; }
data=$(sed -n 's/.* \([0-9]*\) data packets per pass.*/\1/p' "$dir/stderr")
setup=$(sed -n 's/.*generated [0-9]* packets (\([0-9]*\) setup).*/\1/p' "$dir/stderr")
joins=$(sed -n 's/.* \([0-9]*\) joins, .*/\1/p' "$dir/stderr" | head -n 1)
echo "Instructions per packet (valgrind --tool=callgrind), $subflows subflows, 1 worker, $data data packets"
echo
echo "| phase | instructions | packets | instructions/pkt |"
echo "|---|---:|---:|---:|"
for f in $(ls "$dir"/cg.out.* | sort -t. -k3 -n); do
	awk -v data="$data" -v setup="$setup" '
		/^desc: Trigger: Client Request: / { phase = $NF }
		/^summary:/ { ir = $2 }
		END {
			if (phase == "") exit
			n = (phase == "baseline" || phase == "pipeline") ? data : setup
			printf "%s %.0f %d\n", phase, ir, n
		}' "$f"
done | awk -v joins="$joins" '
	$1 == "handshake" || $1 == "join" { sir += $2; sn = $3; if ($1 == "join") jir = $2; next }
	{ printf "| %s | %.0f | %d | %.1f |\n", $1, $2, $3, $2 / $3; r[$1] = $2 / $3 }
	END {
		if (sn > 0) printf "| setup (handshakes + joins) | %.0f | %d | %.1f |\n", sir, sn, sir / sn
		if (joins > 0) printf "| join phase, per verified join | %.0f | %d joins | %.0f |\n", jir, joins, jir / joins
		if ("pipeline" in r) printf "| **pipeline minus baseline** | | | **%.1f** |\n", r["pipeline"] - r["baseline"]
	}'
# The function lines of callgrind_annotate, without the dump's callers
# (100%) and with short file names.
top_functions() {
	sed -n '/file:function/,$p' | grep '^ *[0-9,]* ([ 0-9.]*%) ' | grep -v '(100.0%)' |
		sed 's|[^ ]*/\.\./||; s|/usr/include/dpdk/||; s| \[[^]]*\]$||' | awk '!seen[$NF]++' | head -n "$1"
}
pipe=$(grep -l "Trigger: Client Request: pipeline" "$dir"/cg.out.* | head -n 1)
if command -v callgrind_annotate >/dev/null && [ -n "$pipe" ]; then
	echo
	echo "Top functions of the pipeline phase, exclusive instructions (callgrind_annotate):"
	echo
	echo '```'
	# --threshold=100: every function (the default stops at 99% and, with
	# the dump's call stack charged to main's callers, shows only those).
	callgrind_annotate --threshold=100 "$pipe" 2>/dev/null | top_functions 20
	echo '```'
	echo
	echo "Inclusive:"
	echo
	echo '```'
	callgrind_annotate --threshold=100 --inclusive=yes "$pipe" 2>/dev/null | top_functions 25
	echo '```'
fi
join=$(grep -l "Trigger: Client Request: join" "$dir"/cg.out.* | head -n 1)
if command -v callgrind_annotate >/dev/null && [ -n "$join" ]; then
	echo
	echo "Top functions of the join phase, inclusive ($joins joins; OpenSSL without SHA-NI here):"
	echo
	echo '```'
	callgrind_annotate --threshold=100 --inclusive=yes "$join" 2>/dev/null | top_functions 25
	echo '```'
fi
