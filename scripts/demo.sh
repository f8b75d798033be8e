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
