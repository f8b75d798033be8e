#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The `ip` the kernel's MPTCP selftests run under scripts/selftests.sh. It is
# installed as `ip` first on PATH and hands every command to the real ip,
# except these, which it watches or rewrites:
#
#   ip [-n NS] link add A [netns NSA] ... type veth peer [name] B [netns NSB] ...
#       mode mpnorm: two veth pairs instead of one, A <-> rootA and
#       B <-> rootB, with rootA and rootB (in the root namespace) the inside
#       and outside ports of one mpnorm link (a "slot"). Offloads go off on
#       all four ends, as mpnorm on net_af_packet needs (README: On
#       af_packet between veths). A and B keep their names, namespaces and
#       options, so the test sees the veth it asked for.
#       mode direct: run as given.
#   ip netns add NS      recorded, so that the runner removes only what the
#                        tests made, even when a test is killed
#   ip netns del NS      mode mpnorm: if NS holds an end of a slot, mpnorm is
#                        stopped first (its drop counters saved), and the
#                        other end of that slot is removed with it, as the
#                        kernel removes both ends of a veth pair
#   ip netns exec NS ... mode mpnorm: if the slots changed since mpnorm
#                        started, (re)start it on every live slot before the
#                        command runs. Tests send nothing before their first
#                        `ip netns exec`, so mpnorm is up before any traffic.
#
# Environment (set by scripts/selftests.sh):
#   MPNST_STATE     the run's state directory      MPNST_MODE    mpnorm | direct
#   MPNST_REAL_IP   the real ip binary             MPNST_ID      unique id for names
#   MPNST_MPNORM, MPNST_MPNORMCTL, MPNST_POLICY (the policy part of a config)
#   MPNST_LCORES    EAL lcores for mpnorm (default 0-1)
#
# State ($MPNST_STATE): lock, namespaces (one a line), slots/K ("NSA A ROOTA NSB
# B ROOTB"), dirty, session (last session number), sessions.log, and per
# session S: mpnorm-S.conf, mpnorm-S.log, drops-S.json, stats-S.json.

real=${MPNST_REAL_IP:-/usr/sbin/ip}
st=${MPNST_STATE:-}
[ -n "$st" ] && [ -d "$st" ] || exec "$real" "$@"
mode=${MPNST_MODE:-direct}

# The global options before the object; those that take an argument.
args=("$@")
i=0
gns=
while [ "$i" -lt "${#args[@]}" ]; do
	case ${args[i]} in
	-n | -net | -netns) gns=${args[i + 1]:-}; i=$((i + 2)) ;;
	-b | -batch | -l | -loops | -f | -family | -rc | -rcvbuf) i=$((i + 2)) ;;
	-*) i=$((i + 1)) ;;
	*) break ;;
	esac
done
obj=${args[i]:-}
verb=${args[i + 1]:-}

lock() { exec 8>"$st/lock"; flock 8; }
unlock() { flock -u 8; exec 8>&-; }
log() { echo "$(date +%s.%N) $*" >>"$st/sessions.log"; }
ctl() { "$MPNST_MPNORMCTL" -s "$st/mpnorm.sock" -t 5 "$@"; }

# mpnorm_stop: save the session's counters, SIGTERM, wait (bounded).
mpnorm_stop() {
	local pid s k
	[ -f "$st/mpnorm.pid" ] || return 0
	pid=$(cat "$st/mpnorm.pid")
	s=$(cat "$st/session")
	if kill -0 "$pid" 2>/dev/null; then
		ctl -j show drops >"$st/drops-$s.json.new" 2>/dev/null && mv "$st/drops-$s.json.new" "$st/drops-$s.json"
		ctl -j show stats >"$st/stats-$s.json.new" 2>/dev/null && mv "$st/stats-$s.json.new" "$st/stats-$s.json"
		kill -TERM "$pid" 2>/dev/null
		for k in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
			log "session $s: mpnorm did not stop on SIGTERM, killed"
		fi
	else
		log "session $s: mpnorm had exited before its stop (see mpnorm-$s.log)"
	fi
	rm -f "$st/mpnorm.pid" "$st/mpnorm.sock"
	rm -rf "/var/run/dpdk/mpnst-$MPNST_ID"
	log "session $s stop"
}

# mpnorm_start: one mpnorm on every live slot.
mpnorm_start() {
	local s f k n=0 ports="" links="" pid ra rb
	s=$(($(cat "$st/session" 2>/dev/null || echo 0) + 1))
	echo "$s" >"$st/session"
	for f in "$st"/slots/*; do
		[ -f "$f" ] || continue
		k=${f##*/}
		read -r _ _ ra _ _ rb <"$f"
		ports+="    { name = \"net_af_packet$((2 * n))\"; devargs = \"iface=$ra\"; },"$'\n'
		ports+="    { name = \"net_af_packet$((2 * n + 1))\"; devargs = \"iface=$rb\"; },"$'\n'
		links+="    { name = \"slot$k\"; inside = \"net_af_packet$((2 * n))\"; outside = \"net_af_packet$((2 * n + 1))\"; },"$'\n'
		n=$((n + 1))
	done
	rm -f "$st/dirty"
	[ "$n" -gt 0 ] || return 0
	{
		echo "# scripts/selftests.sh session $s: mpnorm on every veth link of the test"
		echo "dataplane = { workers = 1; mbufs = 8192; rx_desc = 256; tx_desc = 256; };"
		echo "control = { socket = \"$st/mpnorm.sock\"; };"
		echo "ports = ("
		printf '%s' "${ports%,$'\n'}"
		echo; echo ");"
		echo "links = ("
		printf '%s' "${links%,$'\n'}"
		echo; echo ");"
		cat "$MPNST_POLICY"
	} >"$st/mpnorm-$s.conf"
	setsid "$MPNST_MPNORM" --no-huge -m 512 --no-pci -l "${MPNST_LCORES:-0-1}" \
		--file-prefix "mpnst-$MPNST_ID" -- -c "$st/mpnorm-$s.conf" \
		</dev/null >"$st/mpnorm-$s.log" 2>&1 8>&- &
	pid=$!
	echo "$pid" >"$st/mpnorm.pid"
	for k in $(seq 1 200); do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "session $s FAILED: mpnorm exited at start (mpnorm-$s.log)"
			echo "selftests: mpnorm did not start, see $st/mpnorm-$s.log" >&2
			rm -f "$st/mpnorm.pid"
			return 1
		fi
		if [ -S "$st/mpnorm.sock" ] &&
			[ "$(ctl show ports 2>/dev/null | grep -cw up)" -eq $((2 * n)) ]; then
			log "session $s start: $n links"
			return 0
		fi
		sleep 0.05
	done
	log "session $s FAILED: mpnorm not up after 10 s"
	echo "selftests: mpnorm did not come up, see $st/mpnorm-$s.log" >&2
	return 1
}

offloads_off() { # NS|"" IF
	if [ -n "$1" ]; then
		"$real" netns exec "$1" ethtool -K "$2" tx off rx off gso off tso off gro off >/dev/null 2>&1
	else
		ethtool -K "$2" tx off rx off gso off tso off gro off >/dev/null 2>&1
	fi
}

# veth_add: the spliced form of 'ip link add ... type veth peer ...'.
veth_add() {
	local toks=("${args[@]:i+2}") j=0 a="" nsa="$gns" b="" nsb="$gns" k ra rb
	local lopts=() ropts=()
	# Side A: up to 'type'.
	while [ "$j" -lt "${#toks[@]}" ] && [ "${toks[j]}" != type ]; do
		case ${toks[j]} in
		name | dev) a=${toks[j + 1]}; j=$((j + 2)) ;;
		netns) nsa=${toks[j + 1]}; j=$((j + 2)) ;;
		address | mtu | txqueuelen | numtxqueues | numrxqueues | group | index)
			lopts+=("${toks[j]}" "${toks[j + 1]}"); j=$((j + 2)) ;;
		*) if [ -z "$a" ]; then a=${toks[j]}; else lopts+=("${toks[j]}"); fi; j=$((j + 1)) ;;
		esac
	done
	[ "${toks[j + 1]:-}" = veth ] && [ "${toks[j + 2]:-}" = peer ] || return 2
	j=$((j + 3))
	while [ "$j" -lt "${#toks[@]}" ]; do
		case ${toks[j]} in
		name) b=${toks[j + 1]}; j=$((j + 2)) ;;
		netns) nsb=${toks[j + 1]}; j=$((j + 2)) ;;
		address | mtu | txqueuelen | numtxqueues | numrxqueues | group | index)
			ropts+=("${toks[j]}" "${toks[j + 1]}"); j=$((j + 2)) ;;
		*) if [ -z "$b" ]; then b=${toks[j]}; else ropts+=("${toks[j]}"); fi; j=$((j + 1)) ;;
		esac
	done
	[ -n "$a" ] && [ -n "$b" ] || return 2
	mkdir -p "$st/slots"
	k=1
	while [ -e "$st/slots/$k" ]; do k=$((k + 1)); done
	ra=mst${MPNST_ID}s${k}a
	rb=mst${MPNST_ID}s${k}b
	"$real" link add "$a" ${nsa:+netns "$nsa"} "${lopts[@]}" type veth peer name "$ra" || return 2
	if ! "$real" link add "$b" ${nsb:+netns "$nsb"} "${ropts[@]}" type veth peer name "$rb"; then
		"$real" link del "$ra" 2>/dev/null
		return 2
	fi
	echo "$ra $rb" >>"$st/rootlinks"
	for r in "$ra" "$rb"; do
		# The root ends carry no address and send nothing: they are
		# mpnorm's ports. They are up at once, as the test's veth would be.
		sysctl -qw "net.ipv6.conf.$r.disable_ipv6=1" 2>/dev/null
		offloads_off "" "$r"
		"$real" link set "$r" promisc on
		"$real" link set "$r" up
	done
	offloads_off "$nsa" "$a"
	offloads_off "$nsb" "$b"
	echo "${nsa:--} $a $ra ${nsb:--} $b $rb" >"$st/slots/$k"
	touch "$st/dirty"
	log "slot $k: ${nsa:-root}/$a <-> $ra | mpnorm | $rb <-> ${nsb:-root}/$b"
	return 0
}

case $obj/$verb in
link/add)
	if [ "$mode" = mpnorm ] && [[ " ${args[*]:i+2} " == *" type veth "* ]]; then
		lock
		veth_add
		rc=$?
		unlock
		exit "$rc"
	fi
	;;
netns/add)
	"$real" "$@"
	rc=$?
	[ "$rc" -eq 0 ] && echo "${args[i + 2]}" >>"$st/namespaces"
	exit "$rc"
	;;
netns/del | netns/delete)
	ns=${args[i + 2]:-}
	if [ "$mode" = mpnorm ] && [ -n "$ns" ] && [ -d "$st/slots" ]; then
		lock
		hit=()
		for f in "$st"/slots/*; do
			[ -f "$f" ] || continue
			read -r nsa _ ra nsb _ rb <"$f"
			[ "$nsa" = "$ns" ] || [ "$nsb" = "$ns" ] && hit+=("$f")
		done
		if [ "${#hit[@]}" -gt 0 ]; then
			mpnorm_stop
			"$real" "$@"
			rc=$?
			for f in "${hit[@]}"; do
				read -r _ _ ra _ _ rb <"$f"
				"$real" link del "$ra" 2>/dev/null
				"$real" link del "$rb" 2>/dev/null
				rm -f "$f"
				log "slot ${f##*/} removed with netns $ns"
			done
			ls "$st"/slots/* >/dev/null 2>&1 && touch "$st/dirty"
			unlock
			exit "$rc"
		fi
		unlock
	fi
	;;
netns/exec)
	if [ "$mode" = mpnorm ] && [ -e "$st/dirty" ]; then
		lock
		if [ -e "$st/dirty" ]; then
			mpnorm_stop
			mpnorm_start
		fi
		unlock
	fi
	;;
esac
exec "$real" "$@"
