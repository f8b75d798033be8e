# SPDX-License-Identifier: BSD-3-Clause
# Helpers shared by the shell tests. meson passes MPNORM, MPNORMCTL,
# PCAPDIFF and SRCDIR in the environment. Everything a test reads is in the
# repository (real captures: pcaps/real).
set -euo pipefail

: "${MPNORM:?}" "${SRCDIR:?}"
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
# wait_until SECONDS COMMAND...: poll COMMAND every 0.05 s until it
# succeeds (0) or SECONDS pass (1). Tests wait on conditions, never on a
# fixed sleep: a loaded machine only makes them slower, not wrong.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}
# wait_stable SECONDS COMMAND...: poll until COMMAND prints the same output
# three times in a row, 0.1 s apart (a counter that stopped moving).
# STABLE_READS=N asks for N reads in a row instead: on a loaded machine a
# process starved of CPU for 0.2 s looks stopped.
wait_stable() {
	local end=$((SECONDS + $1)) prev="" cur same=0 need=$((${STABLE_READS:-3} - 1))
	shift
	while [ "$SECONDS" -lt "$end" ]; do
		cur=$("$@" 2>/dev/null) || cur="error $RANDOM"
		if [ "$cur" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -ge "$need" ] && return 0
		else
			same=0
		fi
		prev=$cur
		sleep 0.1
	done
	return 1
}
# Number of records in a capture, counted by Wireshark's capinfos, not by us.
count_records() { capinfos -M -c -T -r "$1" | cut -f2; }
# jq_eq FILE FILTER VALUE
jq_eq() { [ "$(jq -r "$2" "$1")" = "$3" ]; }
