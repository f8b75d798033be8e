#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Remove what the selftests of one scripts/selftests.sh run left behind, and
# only that: the namespaces the `ip` wrapper saw them make (with the
# processes still inside), the root-side veths it made, the mpnorm it
# started and DPDK's runtime directory of its file prefix.
#   cleanup.sh STATE_DIR
# Run after a test was killed, and on every exit of scripts/selftests.sh.
st=${1:?usage: cleanup.sh STATE_DIR}
[ -d "$st" ] || exit 0
real=${MPNST_REAL_IP:-/usr/sbin/ip}
exec 8>"$st/lock"
flock -w 30 8 || echo "selftests cleanup: $st/lock still held after 30 s; cleaning anyway" >&2

if [ -f "$st/mpnorm.pid" ]; then
	pid=$(cat "$st/mpnorm.pid")
	s=$(cat "$st/session" 2>/dev/null)
	if [ -n "$s" ] && [ -n "${MPNST_MPNORMCTL:-}" ] && [ ! -e "$st/drops-$s.json" ]; then
		"$MPNST_MPNORMCTL" -s "$st/mpnorm.sock" -t 5 -j show drops >"$st/drops-$s.json.new" 2>/dev/null &&
			mv "$st/drops-$s.json.new" "$st/drops-$s.json"
	fi
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null
	rm -f "$st/mpnorm.pid" "$st/mpnorm.sock"
fi
if [ -f "$st/namespaces" ]; then
	existing=$("$real" netns list 2>/dev/null | awk '{print $1}')
	while read -r ns; do
		[ -n "$ns" ] || continue
		rm -f "/tmp/$ns.nstat" "/tmp/$ns.out"
		grep -qxF "$ns" <<<"$existing" || continue
		for p in $("$real" netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		"$real" netns del "$ns" 2>/dev/null
	done <"$st/namespaces"
	: >"$st/namespaces"
fi
if [ -f "$st/rootlinks" ]; then
	for ifc in $(cat "$st/rootlinks"); do
		"$real" link show "$ifc" >/dev/null 2>&1 && "$real" link del "$ifc" 2>/dev/null
	done
	: >"$st/rootlinks"
fi
rm -rf "$st/slots" "$st/dirty"
[ -n "${MPNST_ID:-}" ] && rm -rf "/var/run/dpdk/mpnst-$MPNST_ID"
exit 0
