#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The offline summary and mpnorm-decode's JSON against their schemas
# (doc/schema/), with and without keys; 64-bit identifiers are hex strings.
# (The live -j documents are validated by operator.sh.)
. "$SRCDIR/test/lib.sh"

python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema is not installed"
schema=$SRCDIR/doc/schema
validate() { python3 "$SRCDIR/test/tools/json_schema_check.py" "$@"; }
in=$SRCDIR/pcaps/mptcp-2subflows.pcap

for conf in "$SRCDIR/config/mpnorm.conf" "$SRCDIR/config/examples/asa-default.conf" \
		"$SRCDIR/config/examples/inspect-fallback.conf"; do
	name=$(basename "$conf" .conf)
	"$MPNORM" --offline "$in" "$TMP/$name.pcap" -c "$conf" --json "$TMP/$name.json" >/dev/null
	check "offline summary under $name is valid" validate "$schema/offline-summary.json" "$TMP/$name.json"
	"$MPNORM" --offline "$in" "$TMP/$name-k.pcap" -c "$conf" --json "$TMP/$name-k.json" --show-keys >/dev/null
	check "offline summary under $name with --show-keys is valid" validate "$schema/offline-summary.json" "$TMP/$name-k.json"
done
check "offline: IDSNs are hex strings, as the kernel's (pcaps/README.md)" \
	jq_eq "$TMP/mpnorm.json" '.connections[0] | "\(.idsn_a|type) \(.idsn_a|test("^0x[0-9a-f]{16}$"))"' "string true"
check "offline: no number in the summary is past 2^53" \
	jq -e '[.. | numbers | select(. > 9007199254740991)] | length == 0' "$TMP/mpnorm.json"
"$MPNORM_DECODE" --json "$in" >"$TMP/decode.json"
check "mpnorm-decode --json is valid" validate "$schema/decode.json" "$TMP/decode.json"
check "mpnorm-decode: IDSNs are hex strings" \
	jq_eq "$TMP/decode.json" '[.connections[] | .idsn_a, .idsn_b | test("^0x[0-9a-f]{16}$")] | all' true

# A real capture (pcaps/real/GROUND_TRUTH.md: 2 connections, one MP_TCPRST
# with reason 0x00) offline: its interference counters, and none that would
# mean a box broke MPTCP. Under asa-default.conf mpnorm clears kind 30
# itself: that is its own policy, not interference, and is not counted.
real=$SRCDIR/pcaps/real/linux/capture-fail-fastclose.pcap
"$MPNORM" --offline "$real" "$TMP/real.pcap" -c "$SRCDIR/config/mpnorm.conf" --json "$TMP/real.json" >/dev/null
check "offline summary of a real capture is valid" validate "$schema/offline-summary.json" "$TMP/real.json"
check "offline, real capture: mpc_syn 2, tcprst_unspecified 1, nothing else moved" \
	jq_eq "$TMP/real.json" '[.interference | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"] | join(" ")' \
	"mpc_syn=2 tcprst_unspecified=1"
"$MPNORM" --offline "$real" "$TMP/real-asa.pcap" -c "$SRCDIR/config/examples/asa-default.conf" --json "$TMP/real-asa.json" >/dev/null
check "offline under asa-default.conf: mpnorm's own clearing is not counted (mpc_syn 0, no stripped SYN/ACK)" \
	jq_eq "$TMP/real-asa.json" '"\(.interference.mpc_syn) \(.interference.mpc_synack_stripped) \(.interference.mpc_synack_plain)"' "0 0 0"

# The schemas are strict: a document with a number where a hex string
# belongs, or an unknown member, is refused.
jq '.connections[0].idsn_a = 1628' "$TMP/mpnorm.json" >"$TMP/bad1.json"
check "a numeric IDSN is refused" bash -c "! python3 '$SRCDIR/test/tools/json_schema_check.py' '$schema/offline-summary.json' '$TMP/bad1.json' >/dev/null"
jq '.surprise = 1' "$TMP/mpnorm.json" >"$TMP/bad2.json"
check "an unknown member is refused" bash -c "! python3 '$SRCDIR/test/tools/json_schema_check.py' '$schema/offline-summary.json' '$TMP/bad2.json' >/dev/null"
jq '.packets_in = 9007199254740993' "$TMP/mpnorm.json" >"$TMP/bad3.json"
check "a counter past 2^53 as a JSON number is refused" bash -c "! python3 '$SRCDIR/test/tools/json_schema_check.py' '$schema/offline-summary.json' '$TMP/bad3.json' >/dev/null"
jq '.packets_in = "9007199254740993"' "$TMP/mpnorm.json" >"$TMP/ok3.json"
check "the same counter as a decimal string is valid" validate "$schema/offline-summary.json" "$TMP/ok3.json"
finish
