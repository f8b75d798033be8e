#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what mpnorm needs to build, test and demo on Debian 12, using
# apt-get only. Idempotent: it installs only the packages that are missing
# and does nothing (not even apt-get update) when all are present.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config
	libdpdk-dev dpdk dpdk-dev libconfig-dev libssl-dev libpcap-dev libedit-dev libhiredis-dev
	# tests
	libcmocka-dev jq tshark wireshark-common tcpdump python3 python3-scapy
	iproute2 ethtool mptcpize clang llvm valgrind
	# the shared token directory (issue 19): the store and its CLI
	redis-server redis-tools
	# IPFIX flow export (NSEL-style) and its collector-side tools for the tests
	libfixbuf-dev libfixbuf-tools nfdump
	# JSON Schema validation of every -j document and the offline summary
	python3-jsonschema
	# the kernel's own MPTCP selftests (scripts/selftests.sh): their
	# sources, and what they run (iptables, nft, ping)
	linux-source-6.1 iptables nftables iputils-ping
	# plots in the demo and the benchmarks
	gnuplot-nox
	# the Debian package and its test (debian/, test/package/)
	debhelper dpkg-dev lintian man-db groff-base systemd
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: everything is installed"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing: ${missing[*]}" >&2
	echo "install-deps: run as root (or with sudo) to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# tshark asks whether non-root users may capture; the default (no) is fine.
apt-get install -y -qq --no-install-recommends "${missing[@]}"
