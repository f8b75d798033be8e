#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install the dependencies, build, and run every test suite.
#   scripts/test.sh                 all suites
#   scripts/test.sh --suite unit    extra arguments go to 'meson test'
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
rc=0
meson test -C build --print-errorlogs --num-processes 2 "$@" || rc=$?
# The unit tests and the fuzz corpus once more under AddressSanitizer and
# UndefinedBehaviorSanitizer (a separate build, unless a suite was chosen).
if [ $# -eq 0 ]; then
	if [ ! -f build-asan/build.ninja ]; then
		meson setup build-asan -Dtests=enabled -Db_sanitize=address,undefined \
			-Db_lundef=false >/dev/null
	fi
	ninja -C build-asan >/dev/null
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 \
		--suite unit --suite fuzz || rc=$?
	asan_log=build-asan/meson-logs/testlog.json
	# The concurrency tests (suite tsan: the token table's racing
	# creators and stress run, the counters, the flow tables) under
	# ThreadSanitizer. Only those binaries are built. DPDK's own
	# uninstrumented pieces are annotated in lib/flow/conn.c or
	# suppressed in test/tsan/suppressions.txt; any other report fails.
	if [ ! -f build-tsan/build.ninja ]; then
		meson setup build-tsan -Dtests=enabled -Db_sanitize=thread -Db_lundef=false >/dev/null
	fi
	ninja -C build-tsan lib/flow/conn_test lib/flow/flow_test lib/stats/stats_test >/dev/null
	TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/test/tsan/suppressions.txt" \
		meson test -C build-tsan --no-rebuild --print-errorlogs --suite tsan || rc=$?
	tsan_log=build-tsan/meson-logs/testlog.json
fi
# One closing line a CI reader understands, counted from meson's own log.
logs=(build/meson-logs/testlog.json ${asan_log:-} ${tsan_log:-})
if [ -f "${logs[0]}" ]; then
	passed=$(cat "${logs[@]}" | jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length')
	failed=$(cat "${logs[@]}" | jq -s '[.[] | select(.result == "FAIL" or .result == "ERROR" or .result == "TIMEOUT" or .result == "UNEXPECTEDPASS")] | length')
	skipped=$(cat "${logs[@]}" | jq -s '[.[] | select(.result == "SKIP")] | length')
	echo "tests: $passed passed, $failed failed, $skipped skipped"
fi
exit "$rc"
