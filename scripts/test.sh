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
# One closing line a CI reader understands, counted from meson's own log.
log=build/meson-logs/testlog.json
if [ -f "$log" ]; then
	passed=$(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$log")
	failed=$(jq -s '[.[] | select(.result == "FAIL" or .result == "ERROR" or .result == "TIMEOUT" or .result == "UNEXPECTEDPASS")] | length' "$log")
	skipped=$(jq -s '[.[] | select(.result == "SKIP")] | length' "$log")
	echo "tests: $passed passed, $failed failed, $skipped skipped"
fi
exit "$rc"
