#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The Debian package (issue 18): build it from a copy of the tree with
# dpkg-buildpackage (nocheck, parallel), lintian it, install it, and check
# what an operator gets: the layout, the group, man pages that render, the
# unit (systemd-analyze verify), the prestart check (too few hugepages, a bad
# config), bash completion, the INSTALLED mpnorm --check-config and
# --offline on the bundled capture, and an edited /etc/mpnorm/mpnorm.conf
# kept across a reinstall and two upgrades. Everything is purged at the end.
# Root only; skipped (77) when mpnorm is already installed on this machine
# (the test would replace it).
. "$SRCDIR/test/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "not root: installing a package needs root"
for t in dpkg-buildpackage dh lintian systemd-analyze capinfos; do
	command -v "$t" >/dev/null || skip_all "$t not installed (scripts/install-deps.sh installs it)"
done
if dpkg-query -W -f='${Status}' mpnorm 2>/dev/null | grep -q "install ok installed"; then
	skip_all "the mpnorm package is installed on this machine; this test would replace and purge it"
fi
# One package test at a time on a machine (dpkg has one database).
exec 9>/tmp/mpnorm-package.lock
flock 9
group_before=$(getent group mpnorm || true)
installed=0
cleanup() {
	if [ "$installed" -eq 1 ]; then
		dpkg --purge mpnorm >/dev/null 2>&1 || true
	fi
	[ -z "$group_before" ] && getent group mpnorm >/dev/null && groupdel mpnorm
	cleanup_runtime
}
trap cleanup EXIT

# 1. Build from a copy (dpkg-buildpackage writes next to the tree and into it).
mkdir "$TMP/src"
tar -C "$SRCDIR" --exclude=./.git --exclude=./build --exclude='./build-*' \
	--exclude=./bench-out --exclude='./obj-*' --exclude=./debian/.debhelper \
	--exclude=./debian/tmp --exclude=./debian/mpnorm -cf - . | tar -C "$TMP/src" -xf -
version=$(dpkg-parsechangelog -l "$TMP/src/debian/changelog" -S Version)
start=$(date +%s)
rc=0
(cd "$TMP/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$TMP/build.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || tail -30 "$TMP/build.log"
deb=$TMP/mpnorm_${version}_$(dpkg --print-architecture).deb
check "dpkg-buildpackage -us -uc -b builds $(basename "$deb") ($(($(date +%s) - start)) s)" \
	test "$rc" -eq 0 -a -f "$deb"
[ -f "$deb" ] || { finish; exit 1; }
rc=0
lintian --fail-on error,warning --pedantic "$TMP"/mpnorm_*.changes >"$TMP/lintian.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || cat "$TMP/lintian.log"
check "lintian: no error or warning (the rest is explained in debian/mpnorm.lintian-overrides)" [ "$rc" -eq 0 ]

# 2. Install.
rc=0
dpkg -i "$deb" >"$TMP/install.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || cat "$TMP/install.log"
installed=1
check "dpkg -i installs it" [ "$rc" -eq 0 ]
for f in /usr/sbin/mpnorm /usr/bin/mpnormctl /usr/bin/mpnorm-decode /usr/bin/mpnorm-gen \
		/usr/libexec/mpnorm/mpnorm-prestart; do
	check "installed: $f" [ -x "$f" ]
done
check "no benchmark binary in the package" [ ! -e /usr/bin/mpnorm-bench ]
check "the system group 'mpnorm' exists" getent group mpnorm
check "the shipped config gives the socket to group mpnorm" \
	grep -Eq '^ *group = "mpnorm";' /etc/mpnorm/mpnorm.conf
conffiles=$(dpkg-query -W -f='${Conffiles}' mpnorm)
check "/etc/mpnorm/mpnorm.conf is a conffile" grep -q "/etc/mpnorm/mpnorm.conf" <<<"$conffiles"
check "/etc/default/mpnorm is a conffile" grep -q "/etc/default/mpnorm" <<<"$conffiles"
check "installed mpnorm --version is $version's" bash -c "/usr/sbin/mpnorm --version | grep -q '${version%-*}'"
for m in man8/mpnorm.8 man8/mpnormctl.8 man1/mpnorm-decode.1 man1/mpnorm-gen.1; do
	warn=$(MANWIDTH=80 man --warnings -l "/usr/share/man/$m.gz" 2>&1 >/dev/null)
	check "man page $m renders without a warning${warn:+: $warn}" [ -z "$warn" ]
done
check "docs: operations.md, README.md and config.md installed" test -f /usr/share/doc/mpnorm/operations.md.gz -a -f /usr/share/doc/mpnorm/config.md.gz -a -f /usr/share/doc/mpnorm/README.md.gz
check "examples: af-packet.conf installed" [ -f /usr/share/doc/mpnorm/examples/af-packet.conf ]

# 3. The unit.
rc=0
systemd-analyze verify /lib/systemd/system/mpnorm.service >"$TMP/verify.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || cat "$TMP/verify.log"
check "systemd-analyze verify mpnorm.service" [ "$rc" -eq 0 ]
check "the unit is not enabled by the install" bash -c "[ ! -e /etc/systemd/system/multi-user.target.wants/mpnorm.service ]"
check "the unit restarts on failure and stops on SIGTERM" \
	bash -c "grep -qx 'Restart=on-failure' /lib/systemd/system/mpnorm.service && grep -qx 'KillSignal=SIGTERM' /lib/systemd/system/mpnorm.service"

# 4. The prestart check, run as the unit runs it (its environment).
need=$(/usr/sbin/mpnorm --check-config -c /etc/mpnorm/mpnorm.conf --json - | jq -r .hugepages_2mb)
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
check "installed mpnorm --check-config: the shipped config needs $need pages" [ "$need" -gt 0 ]
prestart() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" /usr/libexec/mpnorm/mpnorm-prestart; }
rc=0
prestart MPNORM_HUGEPAGES=0 "MPNORM_EAL_ARGS=-l 0-1 --file-prefix mpnorm" >"$TMP/pre.out" 2>&1 || rc=$?
if [ "$free" -lt "$need" ]; then
	check "prestart with $free free pages: fails" [ "$rc" -ne 0 ]
	check "prestart: says $need pages are needed" grep -q "needs $need free 2 MB hugepages" "$TMP/pre.out"
else
	check "prestart with $free free pages (enough): succeeds" [ "$rc" -eq 0 ]
fi
rc=0
prestart "MPNORM_EAL_ARGS=--no-huge -m 512 -l 0-1" >"$TMP/pre2.out" 2>&1 || rc=$?
check "prestart with --no-huge: validates without hugepages (exit 0)" [ "$rc" -eq 0 ]
sed 's/workers = 1;/workers = 0;/' /etc/mpnorm/mpnorm.conf >"$TMP/bad.conf"
line=$(grep -n 'workers = 0;' "$TMP/bad.conf" | cut -d: -f1)
rc=0
prestart MPNORM_CONFIG="$TMP/bad.conf" "MPNORM_EAL_ARGS=--no-huge" >"$TMP/pre3.out" 2>&1 || rc=$?
check "prestart with a bad config: fails, naming bad.conf:$line" \
	bash -c "[ $rc -ne 0 ] && grep -q 'bad.conf:$line:' '$TMP/pre3.out'"
rc=0
prestart MPNORM_HUGEPAGES=lots >"$TMP/pre4.out" 2>&1 || rc=$?
check "prestart with MPNORM_HUGEPAGES=lots: fails with a message" \
	bash -c "[ $rc -ne 0 ] && grep -q 'not a number' '$TMP/pre4.out'"

# 5. bash completion.
comp() { bash -c 'source /usr/share/bash-completion/completions/mpnormctl; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mpnormctl; echo "${COMPREPLY[*]}"' _ "$@"; }
check "completion: 'mpnormctl show po' -> ports policy" [ "$(comp mpnormctl show po)" = "ports policy" ]
check "completion: 'mpnormctl -j cle' -> clear" [ "$(comp mpnormctl -j cle)" = "clear" ]
check "completion: 'mpnormctl cluster l' -> lookup" [ "$(comp mpnormctl cluster l)" = "lookup" ]
check "completion: 'mpnormctl set log-level d' -> debug" [ "$(comp mpnormctl set log-level d)" = "debug" ]

# 6. The installed binary on the bundled capture.
cap=$SRCDIR/pcaps/mptcp-2subflows.pcap
rc=0
/usr/sbin/mpnorm --offline "$cap" "$TMP/out.pcap" -c /etc/mpnorm/mpnorm.conf \
	--json "$TMP/sum.json" >"$TMP/offline.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || cat "$TMP/offline.log"
check "installed mpnorm --offline on pcaps/mptcp-2subflows.pcap: exit 0" [ "$rc" -eq 0 ]
n=$(count_records "$cap")
check "offline: packets_in = the capture's $n records" jq_eq "$TMP/sum.json" .packets_in "$n"
check "offline: out.pcap holds packets_out records" \
	[ "$(count_records "$TMP/out.pcap")" = "$(jq -r .packets_out "$TMP/sum.json")" ]
check "offline: every packet forwarded or dropped with a reason" \
	[ "$(jq -r '.packets_out + .packets_dropped' "$TMP/sum.json")" = "$n" ]

# 7. An edited config survives a reinstall and upgrades.
echo "# edited by the operator $$" >>/etc/mpnorm/mpnorm.conf
dpkg -i "$deb" >/dev/null 2>&1
check "reinstall: the edit is kept" grep -q "edited by the operator $$" /etc/mpnorm/mpnorm.conf
repack() { # VERSION [new conffile line]: the same package under another version
	local d=$TMP/repack-$1
	rm -rf "$d"
	dpkg-deb -R "$deb" "$d"
	sed -i "s/^Version: .*/Version: $1/" "$d/DEBIAN/control"
	[ -n "${2:-}" ] && echo "$2" >>"$d/etc/mpnorm/mpnorm.conf"
	dpkg-deb --root-owner-group -b "$d" "$TMP/mpnorm_$1.deb" >/dev/null
	echo "$TMP/mpnorm_$1.deb"
}
dpkg -i "$(repack "${version}+up1")" >/dev/null 2>&1
check "upgrade (conffile unchanged upstream): the edit is kept" grep -q "edited by the operator $$" /etc/mpnorm/mpnorm.conf
check "upgrade: the new version is installed" [ "$(dpkg-query -W -f='${Version}' mpnorm)" = "${version}+up1" ]
dpkg -i --force-confdef --force-confold "$(repack "${version}+up2" "# new upstream line")" >/dev/null 2>&1
check "upgrade (conffile changed upstream, confold): the edit is kept" grep -q "edited by the operator $$" /etc/mpnorm/mpnorm.conf
check "upgrade: upstream's new file is beside it as mpnorm.conf.dpkg-dist" \
	grep -q "# new upstream line" /etc/mpnorm/mpnorm.conf.dpkg-dist

# 8. Purge: the machine as found.
dpkg --purge mpnorm >/dev/null 2>&1
installed=0
check "purge: binaries and /etc/mpnorm gone" bash -c "[ ! -e /usr/sbin/mpnorm ] && [ ! -e /etc/mpnorm ]"
finish
