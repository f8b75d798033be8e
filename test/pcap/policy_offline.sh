#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The shipped policies on real captures, offline:
#  - asa-default: every kind-30 option leaves as NOPs, nothing else changes,
#    and every TCP checksum that tshark can verify still verifies;
#  - asa-allow-mptcp: the output equals the input byte for byte;
#  - add-addr = "clear": only ADD_ADDR bytes and checksums change;
#  - mp-join = "drop": exactly the packets carrying MP_JOIN disappear;
#  - inspect (fallback): decided at the SYN: MP_CAPABLE goes from the SYN and
#    SYN/ACK, every later kind-30 option of that subflow is cleared (the
#    capture was made without mpnorm, so the hosts kept sending them), and
#    the join is refused;
#  - mpnorm.conf: the CVE-2017-13040 short DSS is dropped as malformed.
. "$SRCDIR/test/lib.sh"

captures=("$SRCDIR"/pcaps/*.pcap "$SRCDIR"/pcaps/real/*/*.pcap)
check "the project's captures are there (${#captures[@]}: pcaps/ and pcaps/real/)" [ "${#captures[@]}" -eq 11 ]

# Number of kind-30 options (of subtype $2, or all) in a capture, per tshark.
count_opts() {
	local filter=${2:+"tcp.options.mptcp.subtype == $2"}
	tshark -r "$1" -Y "${filter:-mptcp}" -T fields -e tcp.options.mptcp.subtype 2>/dev/null |
		tr ',' '\n' | grep -c "${2:-.}" || true
}
frames_with() {
	tshark -r "$1" -Y "tcp.options.mptcp.subtype == $2" -T fields -e frame.number 2>/dev/null
}
# Frame number and checksum status (good, bad, unverified) of every TCP
# frame. Some tcpdump captures were taken with checksum offload, so their
# checksums are "bad" on input already; what matters is that no frame's
# status changes.
checksum_status() {
	tshark -r "$1" -o tcp.check_checksum:TRUE -Y tcp -T fields -e frame.number \
		-e tcp.checksum.status 2>/dev/null
}
same_checksum_status() {
	checksum_status "$1" >"$TMP/ck-in"
	checksum_status "$2" >"$TMP/ck-out"
	cmp -s "$TMP/ck-in" "$TMP/ck-out"
}
offline() {   # offline CONF IN OUT JSON
	"$MPNORM" --offline "$2" "$3" -c "$1" --json "$4" >/dev/null 2>"$TMP/err"
}

allow=$SRCDIR/config/examples/asa-allow-mptcp.conf
variant() {   # variant NAME MPTCP-SETTINGS: asa-allow-mptcp with another mptcp section
	sed "s/mptcp = { join = \"allow\"; malformed = \"allow\"; };/mptcp = { join = \"allow\"; malformed = \"allow\"; $2 };/" \
		"$allow" >"$TMP/$1.conf"
	grep -q "$2" "$TMP/$1.conf" || { echo "variant $1 not applied"; exit 1; }
}
variant clear-aa 'add-addr = "clear";'
variant drop-join 'mp-join = "drop";'

for f in "${captures[@]}"; do
	name=$(basename "$f")
	# Its one record is longer than the file's own snap length, which
	# libpcap cuts to the snap length on read; it is tested on its own below.
	[ "$name" = mptcp-dss-oobr.pcap ] && continue
	n_opts=$(count_opts "$f")

	offline "$SRCDIR/config/examples/asa-default.conf" "$f" "$TMP/asa.pcap" "$TMP/asa.json"
	check "$name asa-default: only kind 30 changed, into NOPs" \
		python3 "$SRCDIR/test/pcap/optdiff.py" "$f" "$TMP/asa.pcap" 30
	check "$name asa-default: no MPTCP option left" [ "$(count_opts "$TMP/asa.pcap")" -eq 0 ]
	check "$name asa-default: every TCP checksum as valid as before" same_checksum_status "$f" "$TMP/asa.pcap"
	check "$name asa-default: $n_opts options counted as cleared" \
		jq_eq "$TMP/asa.json" '.rewrites["mptcp-option-cleared"]' "$n_opts"

	offline "$allow" "$f" "$TMP/allow.pcap" "$TMP/allow.json"
	check "$name asa-allow-mptcp: output is byte-identical" cmp -s "$f" "$TMP/allow.pcap"
	check "$name asa-allow-mptcp: nothing rewritten" jq_eq "$TMP/allow.json" .packets_rewritten 0

	n_aa=$(count_opts "$f" 3)
	offline "$TMP/clear-aa.conf" "$f" "$TMP/aa.pcap" "$TMP/aa.json"
	check "$name add-addr clear: only ADD_ADDR bytes changed, into NOPs" \
		python3 "$SRCDIR/test/pcap/optdiff.py" "$f" "$TMP/aa.pcap" 30/3
	check "$name add-addr clear: $n_aa ADD_ADDR cleared, none left" \
		[ "$(count_opts "$TMP/aa.pcap" 3)" -eq 0 ] && \
		jq_eq "$TMP/aa.json" '.rewrites["mptcp-option-cleared"]' "$n_aa"
	check "$name add-addr clear: every TCP checksum as valid as before" same_checksum_status "$f" "$TMP/aa.pcap"

	mapfile -t joins < <(frames_with "$f" 1)
	offline "$TMP/drop-join.conf" "$f" "$TMP/dj.pcap" "$TMP/dj.json"
	if [ ${#joins[@]} -gt 0 ]; then
		editcap -F pcap "$f" "$TMP/expect.pcap" "${joins[@]}" >/dev/null
	else
		cp "$f" "$TMP/expect.pcap"
	fi
	check "$name mp-join drop: exactly the ${#joins[@]} MP_JOIN packets are gone" \
		"$PCAPDIFF" -q "$TMP/expect.pcap" "$TMP/dj.pcap"
	check "$name mp-join drop: ${#joins[@]} counted as mptcp-option-denied" \
		jq_eq "$TMP/dj.json" '.drops["mptcp-option-denied"]' "${#joins[@]}"
done

# Fallback decided at the SYN, on the bundled two-subflow capture: an
# inspected class for the server's port.
bundled=$SRCDIR/pcaps/mptcp-2subflows.pcap
sed 's/dst-port = ( 80, 443, 8080 )/dst-port = 5000/' \
	"$SRCDIR/config/examples/inspect-fallback.conf" >"$TMP/fallback.conf"
offline "$TMP/fallback.conf" "$bundled" "$TMP/fb.pcap" "$TMP/fb.json"
# The join's SYN and its SYN/ACK both carry SYN: a refused join gets neither.
# Its third ACK (the capture was made without mpnorm; no host sends it after
# a refused SYN) belongs to a join whose SYN was never admitted, so it cannot
# be verified and is dropped too (mptcp-join-unverifiable).
join_frames=$(tshark -r "$bundled" -Y 'tcp.options.mptcp.subtype == 1' \
	-T fields -e frame.number 2>/dev/null)
editcap -F pcap "$bundled" "$TMP/fb-expect-frames.pcap" $join_frames >/dev/null
check "fallback: only the join's SYN, SYN/ACK and third ACK are dropped" \
	[ "$(count_records "$TMP/fb.pcap")" -eq $(( $(count_records "$bundled") - 3 )) ]
check "fallback: counted as mptcp-join-refused" jq_eq "$TMP/fb.json" '.drops["mptcp-join-refused"]' 2
check "fallback: the third ACK as mptcp-join-unverifiable" \
	jq_eq "$TMP/fb.json" '.drops["mptcp-join-unverifiable"]' 1
n_initial=$(tshark -r "$bundled" -Y 'mptcp && tcp.port == 40399' -T fields \
	-e tcp.options.mptcp.subtype 2>/dev/null | tr ',' '\n' | grep -c .)
check "fallback: all $n_initial kind-30 options of the initial subflow cleared as mptcp-fallback" \
	jq_eq "$TMP/fb.json" '.rewrites["mptcp-fallback"]' "$n_initial"
check "fallback: two at the SYN, the rest by the tracker after it" \
	jq_eq "$TMP/fb.json" '.tracking.fallback_cleared' "$((n_initial - 2))"
check "fallback: nothing but kind-30 options changed, into NOPs" \
	python3 "$SRCDIR/test/pcap/optdiff.py" "$TMP/fb-expect-frames.pcap" "$TMP/fb.pcap" 30
check "fallback: no MPTCP option left on the initial subflow" \
	[ "$(tshark -r "$TMP/fb.pcap" -Y 'mptcp && tcp.port == 40399' 2>/dev/null | wc -l)" -eq 0 ]
check "fallback: no connection was tracked as MPTCP" jq_eq "$TMP/fb.json" '.connections | length' 0

# The CVE-2017-13040 regression, a 3-byte DSS. libpcap hands us the record
# cut to the file's 73-byte snap length, one byte short of its TCP header, so
# the packet is dropped before its options are read; the whole packet, as
# the fuzz corpus holds it, is dropped as mptcp-bad-option (test/fuzz and the
# normalize unit tests).
offline "$SRCDIR/config/mpnorm.conf" "$SRCDIR/pcaps/real/tcpdump/mptcp-dss-oobr.pcap" \
	"$TMP/oobr.pcap" "$TMP/oobr.json"
check "short DSS: dropped, header cut (ip-truncated)" jq_eq "$TMP/oobr.json" '.drops["ip-truncated"]' 1
check "short DSS: nothing written" [ "$(count_records "$TMP/oobr.pcap")" -eq 0 ]
finish
