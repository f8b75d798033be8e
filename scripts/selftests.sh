#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The Linux kernel's own MPTCP selftests (Debian's linux-source-6.1:
# tools/testing/selftests/net/mptcp) with mpnorm spliced into every veth
# link they create, and the same tests without mpnorm for comparison.
#
#   sudo scripts/selftests.sh                 everything, without then with mpnorm
#   sudo scripts/selftests.sh --ci            the CI subset (about five minutes), with mpnorm only
#   sudo scripts/selftests.sh --mode mpnorm --suites join --join "s r:3,4"
#
# Options:
#   --mode both|mpnorm|direct   both (default): direct first, then through mpnorm
#   --config FILE               mpnorm's policy: FILE's tcp-maps... sections
#                               (default config/mpnorm.conf, the shipped one)
#   --suites "S..."             of connect join sockopt (default: all three)
#   --join "SPEC"               mptcp_join.sh flags, each with all its tests or
#                               FLAG:ID,ID (default: every flag, fesltra64bpkSdmzFuI)
#   --connect-args "ARGS"       mptcp_connect.sh options (default pins its random
#                               choices: -d 5 -l 0.5% -r "25% 50%" -e tso -e gso -e gro -f 1048576)
#   --timeout-join S            per mptcp_join.sh test (default 180)
#   --timeout-connect S, --timeout-sockopt S   per script run (1800, 300)
#   --out DIR                   logs and results (default build/selftests-out)
#   --ci                        the CI subset (see CI_JOIN below), mode mpnorm
#
# The tests run unmodified. A wrapper named `ip` first on PATH
# (test/selftests/ip-splice.sh) replaces each 'ip link add ... type veth peer
# ...' with veth - mpnorm (net_af_packet) - veth, offloads off, and starts
# mpnorm once the topology is made; doc/selftests.md explains how.
#
# Prints one line per test, then 'N passed, N failed' per mode. Failures
# through mpnorm show the drop and rewrite reasons mpnorm counted during the
# test. Failures the shipped policy causes on purpose are listed in
# test/selftests/expected-differences.txt and counted apart.
#
# Exit: 0 every test passed, 1 a test failed, 77 skipped (not root, no
# network namespaces, no MPTCP, linux-source-6.1 not installed, a tool
# missing). Whatever the tests made (namespaces, veths, processes, mpnorm,
# temporary files) is removed on every exit path, and nothing else.
set -euo pipefail

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
MPNORM=${MPNORM:-$SRCDIR/build/app/mpnorm/mpnorm}
MPNORMCTL=${MPNORMCTL:-$SRCDIR/build/app/mpnormctl/mpnormctl}
TARBALL=${MPNST_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
SUBDIR=linux-source-6.1/tools/testing/selftests/net/mptcp
CACHE=${MPNST_CACHE:-$SRCDIR/build/selftests-6.1}
# The CI subset (about five minutes once it passes): mptcp_join.sh tests of
# each kind (subflows, ADD_ADDR, REMOVE_ADDR and the multicast one the
# policy refuses, IPv6, IPv4-mapped, backup, link failure, checksums,
# fastclose, endpoints), all of mptcp_sockopt.sh, and mptcp_connect.sh over
# IPv4 with small files: its routed chain puts one subflow on three mpnorm
# links. (mptcp_join.sh -F, MP_FAIL, needs tc's pedit, csum and fw, which
# not every kernel has; the full run has it.)
CI_JOIN="f:1,4,5 s:2,3 r:1,3,8 a:2 6:1,3 4:1,2 b:2 l:3 S:2 z:1 I:2"
CI_CONNECT='-4 -d 5 -l 0.5% -r "25% 50%" -e tso -e gso -e gro -f 262144'

mode=both
config=$SRCDIR/config/mpnorm.conf
suites="connect join sockopt"
join=fesltra64bpkSdmzFuI
connect_args='-d 5 -l 0.5% -r "25% 50%" -e tso -e gso -e gro -f 1048576'
t_join=180
t_connect=1800
t_sockopt=300
out=$SRCDIR/build/selftests-out

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--mode) mode=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	--suites) suites=$2; shift 2 ;;
	--join) join=$2; shift 2 ;;
	--connect-args) connect_args=$2; shift 2 ;;
	--timeout-join) t_join=$2; shift 2 ;;
	--timeout-connect) t_connect=$2; shift 2 ;;
	--timeout-sockopt) t_sockopt=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--ci) mode=mpnorm; suites="connect join sockopt"; join=$CI_JOIN; connect_args=$CI_CONNECT; shift ;;
	-h | --help) usage ;;
	*) echo "selftests.sh: unknown option $1" >&2; usage ;;
	esac
done
case $mode in both | mpnorm | direct) ;; *) echo "selftests.sh: --mode both|mpnorm|direct" >&2; exit 2 ;; esac
for s in $suites; do
	case $s in connect | join | sockopt) ;; *) echo "selftests.sh: no suite '$s'" >&2; exit 2 ;; esac
done

skip() { echo "SKIP: $*"; exit 77; }

# The machine: checked before anything is made, so a skip leaves nothing.
[ "$(id -u)" -eq 0 ] || skip "not root (the selftests make network namespaces and veths)"
[ -f "$TARBALL" ] || skip "$TARBALL not found: install Debian's linux-source-6.1 (scripts/install-deps.sh)"
[ -d /proc/sys/net/mptcp ] || skip "this kernel has no MPTCP"
for t in gcc iptables ip6tables nft tc ss nstat ping ethtool timeout flock setsid python3 ip; do
	command -v "$t" >/dev/null || skip "$t not installed (scripts/install-deps.sh)"
done
REAL_IP=$(command -v ip)
probe=mpnst-probe-$$
"$REAL_IP" netns add "$probe" 2>/dev/null || skip "network namespaces do not work here"
"$REAL_IP" netns del "$probe"
if [ "$mode" != direct ]; then
	[ -x "$MPNORM" ] && [ -x "$MPNORMCTL" ] || skip "mpnorm is not built (scripts/build.sh)"
	[ -f "$config" ] || { echo "selftests.sh: $config: no such file" >&2; exit 2; }
fi

STATE=
RUNNER_PID=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	if [ -n "$RUNNER_PID" ]; then
		kill -TERM "$RUNNER_PID" 2>/dev/null
		wait "$RUNNER_PID" 2>/dev/null
	fi
	if [ -n "$STATE" ]; then
		"$SRCDIR/test/selftests/cleanup.sh" "$STATE"
		rm -rf "$STATE"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The tests and their helpers, extracted and built once per tarball.
mkdir -p "$CACHE"
(
	flock 9
	stamp="$(stat -c '%s %Y' "$TARBALL")"
	if [ "$(cat "$CACHE/stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$CACHE/$SUBDIR/mptcp_inq" ]; then
		echo "selftests: extracting $SUBDIR from $TARBALL"
		rm -rf "${CACHE:?}/linux-source-6.1"
		tar -xJf "$TARBALL" -C "$CACHE" "$SUBDIR"
		for p in mptcp_connect pm_nl_ctl mptcp_sockopt mptcp_inq; do
			# The flags of the selftests' Makefile; the uapi headers are
			# linux-libc-dev's (6.1 as well).
			gcc -Wall -Wl,--no-as-needed -O2 -g -o "$CACHE/$SUBDIR/$p" "$CACHE/$SUBDIR/$p.c"
		done
		echo "$stamp" >"$CACHE/stamp"
	fi
) 9>"$CACHE/.lock"
DIR=$CACHE/$SUBDIR

STATE=$(mktemp -d /tmp/mpnst.XXXXXX)
mkdir -p "$STATE/bin" "$STATE/tmp" "$out"
ln -s "$SRCDIR/test/selftests/ip-splice.sh" "$STATE/bin/ip"
sed -n '/^tcp-maps/,$p' "$config" >"$STATE/policy.conf"
export MPNST_STATE=$STATE MPNST_REAL_IP=$REAL_IP MPNST_ID=$(($$ % 100000))
export MPNST_MPNORM=$MPNORM MPNST_MPNORMCTL=$MPNORMCTL MPNST_POLICY=$STATE/policy.conf
export PATH=$STATE/bin:$PATH
# The tests' mktemp files land in the state directory, removed on exit.
export TMPDIR=$STATE/tmp

echo "selftests: $(uname -r), tests from $(basename "$TARBALL"), policy of $config"
echo "selftests: logs in $out"
modes=$mode
[ "$mode" = both ] && modes="direct mpnorm"
rc=0
for m in $modes; do
	export MPNST_MODE=$m
	echo "== $m: ${suites}$([ "$m" = mpnorm ] && echo ", mpnorm on every veth link" || echo ", no mpnorm")"
	: >"$out/$m.log"
	python3 "$SRCDIR/test/selftests/runner.py" --dir "$DIR" --mode "$m" --state "$STATE" \
		--mpnormctl "$MPNORMCTL" --cleanup "$SRCDIR/test/selftests/cleanup.sh $STATE" \
		--suites "$suites" --join "$join" --connect-args "$connect_args" \
		--timeout-join "$t_join" --timeout-connect "$t_connect" --timeout-sockopt "$t_sockopt" \
		--expected "$SRCDIR/test/selftests/expected-differences.txt" \
		--names "$out/names.json" --results "$out/$m.json" --log "$out/$m.log" &
	RUNNER_PID=$!
	wait "$RUNNER_PID" || rc=1
	RUNNER_PID=
	# Keep mpnorm's logs and counters of the run beside its results.
	if [ "$m" = mpnorm ]; then
		mkdir -p "$out/mpnorm-sessions"
		rm -f "$out"/mpnorm-sessions/*
		cp "$STATE"/sessions.log "$STATE"/mpnorm-*.conf "$STATE"/mpnorm-*.log "$STATE"/drops-*.json \
			"$out/mpnorm-sessions/" 2>/dev/null || true
	fi
	"$SRCDIR/test/selftests/cleanup.sh" "$STATE"
done
if [ "$mode" = both ]; then
	python3 - "$out/direct.json" "$out/mpnorm.json" <<'EOF'
import json, sys
d = {(r['suite'], r['id']): r for r in json.load(open(sys.argv[1]))}
m = json.load(open(sys.argv[2]))
def ok_direct(r):
    return d.get((r['suite'], r['id']), {}).get('status') == 'ok'
worse = [r for r in m if r['status'] in ('FAIL', 'TIMEOUT', 'EXPECTED') and ok_direct(r)]
notrun = [r for r in m if r['status'] == 'not run' and ok_direct(r)]
both = [r for r in m if r['status'] in ('FAIL', 'TIMEOUT') and not ok_direct(r)]
print('== pass without mpnorm, not through it: %d (and %d not run after them)'
      % (len(worse), len(notrun)))
for r in worse:
    rs = r['reasons']
    why = '; '.join('%s %s' % (k, '/'.join(map(str, v))) for k, v in sorted(rs.items()))
    print('%-8s %-6s %-50s %-8s %s' % (r['suite'], r['id'], r['name'][:50], r['status'],
                                       ('dropped/rewritten: ' + why) if why else ''))
if both:
    print('== fail without mpnorm too (the kernel or the machine, not mpnorm): %d' % len(both))
    for r in both:
        print('%-8s %-6s %s' % (r['suite'], r['id'], r['name']))
EOF
fi
exit "$rc"
