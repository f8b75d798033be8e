# SPDX-License-Identifier: BSD-3-Clause
# Helpers shared by the shell tests. meson passes MPNORM, MPNORMCTL,
# PCAPDIFF, SRCDIR and SHARED in the environment.
set -euo pipefail

: "${MPNORM:?}" "${SRCDIR:?}"
SHARED=${SHARED:-$SRCDIR/../shared}
TMP=$(mktemp -d /tmp/mpn-test.XXXXXX)
# DPDK leaves a runtime directory per --file-prefix; every test names its
# prefixes mpn-*-$$, so it removes exactly its own.
cleanup_runtime() { rm -rf "$TMP" /var/run/dpdk/mpn-*-$$ 2>/dev/null || true; }
trap cleanup_runtime EXIT
FAILS=0
CHECKS=0

ok() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: run the command, record pass or fail.
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
skip_all() { echo "SKIP: $*"; exit 77; }
finish() {
	echo "$((CHECKS - FAILS)) passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}
# Number of records in a capture, counted by Wireshark's capinfos, not by us.
count_records() { capinfos -M -c -T -r "$1" | cut -f2; }
# jq_eq FILE FILTER VALUE
jq_eq() { [ "$(jq -r "$2" "$1")" = "$3" ]; }
