#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad input to the offline mode: each case exits non-zero with a message that
# says what is wrong, and leaves no output file behind, not even a partial one.
. "$SRCDIR/test/lib.sh"

good=$(ls "$SRCDIR"/pcaps/*.pcap | head -n 1)
conf=$SRCDIR/config/mpnorm.conf

# expect_fail DESC PATTERN MPNORM-ARGS...: non-zero exit, stderr matches, no output.
expect_fail() {
	local desc=$1 pattern=$2 rc=0
	shift 2
	rm -f "$TMP"/out.pcap* "$TMP"/out.json*
	"$MPNORM" "$@" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
	check "$desc: exits non-zero" [ "$rc" -ne 0 ]
	if grep -qE -- "$pattern" "$TMP/stderr"; then ok "$desc: says '$pattern'"
	else not_ok "$desc: stderr lacks '$pattern': $(cat "$TMP/stderr")"; fi
	check "$desc: no output left behind" \
		bash -c "! ls '$TMP'/out.pcap* '$TMP'/out.json* 2>/dev/null"
}

# Output to a device node: written to as it is, never renamed over or
# removed, even when the run fails. (A node of our own pointing at the null
# device, so a regression cannot take the machine's /dev/null with it.)
if [ "$(id -u)" -eq 0 ]; then
	mknod "$TMP/null" c 1 3
	"$MPNORM" --offline "$good" "$TMP/null" -c "$conf" --json "$TMP/null" >/dev/null 2>&1
	check "a device as output stays a device" [ -c "$TMP/null" ]
	"$MPNORM" --offline "$TMP/missing.pcap" "$TMP/null" -c "$conf" >/dev/null 2>&1 || true
	check "a failed run leaves the device in place" [ -c "$TMP/null" ]
	check "no temp file left beside it" bash -c "! ls '$TMP'/null.* 2>/dev/null"
fi

# A capture cut off in the middle of its last record.
size=$(stat -c %s "$good")
head -c $((size - 7)) "$good" >"$TMP/cut.pcap"
expect_fail "capture cut mid-record" "truncated" \
	--offline "$TMP/cut.pcap" "$TMP/out.pcap" -c "$conf" --json "$TMP/out.json"

# A capture whose global header is cut short.
head -c 10 "$good" >"$TMP/hdr.pcap"
expect_fail "capture with a cut header" "cannot read capture" \
	--offline "$TMP/hdr.pcap" "$TMP/out.pcap" -c "$conf"

# Not a capture at all.
echo "hello, I am not a pcap" >"$TMP/text.pcap"
expect_fail "a text file" "cannot read capture" \
	--offline "$TMP/text.pcap" "$TMP/out.pcap" -c "$conf"

expect_fail "a missing capture" "No such file" \
	--offline "$TMP/missing.pcap" "$TMP/out.pcap" -c "$conf"

# An unreadable capture (a directory stands in for a file without read access,
# since the tests run as root and root reads any file).
expect_fail "an unreadable capture" "cannot read capture" \
	--offline "$TMP" "$TMP/out.pcap" -c "$conf"

# IEEE 802.11 (DLT 105): a link type the parser does not read.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x69\x00\x00\x00' >"$TMP/wifi.pcap"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x04\x00\x00\x00abcd' >>"$TMP/wifi.pcap"
expect_fail "link type 802.11" "link type IEEE802_11 \\(105\\) is not supported" \
	--offline "$TMP/wifi.pcap" "$TMP/out.pcap" -c "$conf"

# An output path that cannot be created.
expect_fail "an output in a missing directory" "cannot create output" \
	--offline "$good" "$TMP/nodir/out.pcap" -c "$conf"

# Config errors stop the offline mode too, with file and line.
printf 'dataplane = {\n  workers = 1;\n  bogus = 2;\n};\n' >"$TMP/unknown.conf"
expect_fail "unknown knob" "unknown.conf:3: unknown setting 'bogus'" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/unknown.conf"
printf 'dataplane = {\n  workers = 0;\n};\n' >"$TMP/zero.conf"
expect_fail "zero workers" "zero.conf:2: .*at least 1" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/zero.conf"
printf 'ports = ( { name = "a"; } );\nlinks = (\n  { name = "l"; inside = "a"; outside = "b"; }\n);\n' >"$TMP/noport.conf"
expect_fail "a link naming an unknown port" "noport.conf:3: .*port 'b', which is not in 'ports'" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/noport.conf"
printf 'ports = ( { name = "a"; }, { name = "b"; }, { name = "c"; } );\nlinks = (\n  { name = "l1"; inside = "a"; outside = "b"; },\n  { name = "l2"; inside = "a"; outside = "c"; }\n);\n' >"$TMP/twice.conf"
expect_fail "a port in two links" "twice.conf:4: .*already used by the link at line 3" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/twice.conf"
printf 'dataplane = {\n  workers = 1;\n  burst = = 32;\n};\n' >"$TMP/syntax.conf"
expect_fail "a syntax error" "syntax.conf:3: syntax error" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/syntax.conf"
# Policy errors, through the binary: file, line, and a non-zero exit.
printf 'tcp-maps = (\n  { name = "m";\n    tcp-optoins = { };\n  }\n);\n' >"$TMP/knob.conf"
expect_fail "unknown tcp-map knob" "knob.conf:3: unknown setting 'tcp-optoins' in a tcp-map" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/knob.conf"
printf 'tcp-maps = (\n  { name = "m";\n    tcp-options = { range = ( "40 30 allow" ); };\n  }\n);\n' >"$TMP/range.conf"
expect_fail "a bad range" "range.conf:3: bad range 40-30" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/range.conf"
printf 'class-maps = ( { name = "c"; match = "any"; } );\npolicy-maps = (\n  { name = "p";\n    class = ( { class = "nope"; } ); }\n);\n' >"$TMP/class.conf"
expect_fail "a policy-map naming an unknown class" "class.conf:4: .*names class 'nope'" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/class.conf"
printf 'class-maps = ( { name = "c"; match = "any"; } );\npolicy-maps = (\n  { name = "p";\n    class = ( { class = "c"; tcp-map = "nope"; } ); }\n);\n' >"$TMP/map.conf"
expect_fail "a policy-map naming an unknown tcp-map" "map.conf:4: .*names tcp-map 'nope'" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/map.conf"
printf 'tcp-maps = (\n  { name = "m";\n    synack-data = "permit";\n  }\n);\n' >"$TMP/action.conf"
expect_fail "an action that does not exist" "action.conf:3: 'synack-data' cannot be \"permit\"" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/action.conf"
expect_fail "a missing config" "nothere.conf: cannot read the configuration file" \
	--offline "$good" "$TMP/out.pcap" -c "$TMP/nothere.conf"
expect_fail "an unknown option" "unknown or incomplete option '--bogus'" \
	--offline "$good" "$TMP/out.pcap" --bogus
finish
