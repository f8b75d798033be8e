#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install, build, then run mpnorm's main job on a bundled capture of real
# Linux MPTCP traffic: the offline mode with the shipped policy. Needs no NIC
# and no hugepages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
in=pcaps/mptcp-2subflows.pcap
out=$(mktemp /tmp/mpnorm-demo.XXXXXX.pcap)
echo "== mpnorm --offline $in $out -c config/mpnorm.conf"
./build/app/mpnorm/mpnorm --offline "$in" "$out" -c config/mpnorm.conf --json - | tee /tmp/mpnorm-demo.json
echo "== output written to $out; summary in /tmp/mpnorm-demo.json"

# Where the machine allows it (root, network namespaces), the live demo: a
# two-path MPTCP transfer through mpnorm between two Linux namespaces, with
# path 1 taken down half-way, and a plot of each subflow's throughput.
if [ "$(id -u)" -eq 0 ]; then
	rc=0
	scripts/demo-live.sh || rc=$?
	[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"
else
	echo "== not root: the live two-path demo (scripts/demo-live.sh) is skipped"
fi
