#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Offline mode with the pass-through pipeline: every record comes out
# byte-identical and in order, the JSON counts equal capinfos' counts, and
# two runs give byte-identical output (determinism).
. "$SRCDIR/test/lib.sh"

captures=("$SRCDIR"/pcaps/*.pcap)
# mptcp-dss-oobr.pcap holds a record longer than the file's own snap
# length; libpcap cuts it to the snap length on read, so it cannot
# round-trip byte for byte. test/pcap covers it as parser input.
for f in "$SRCDIR"/pcaps/real/*/*.pcap; do
	[ "$(basename "$f")" = mptcp-dss-oobr.pcap ] || captures+=("$f")
done
check "the project's captures are there (${#captures[@]}: pcaps/ and pcaps/real/)" [ "${#captures[@]}" -eq 10 ]

for f in "${captures[@]}"; do
	name=$(basename "$f")
	n=$(count_records "$f")
	"$MPNORM" --offline "$f" "$TMP/out.pcap" -c "$SRCDIR/config/mpnorm.conf" \
		--json "$TMP/a.json" >/dev/null
	check "$name: output equals input, packet for packet" "$PCAPDIFF" -q "$f" "$TMP/out.pcap"
	check "$name: output file is byte-identical" cmp -s "$f" "$TMP/out.pcap"
	check "$name: packets_in = $n" jq_eq "$TMP/a.json" .packets_in "$n"
	check "$name: packets_out = $n" jq_eq "$TMP/a.json" .packets_out "$n"
	check "$name: packets_dropped = 0" jq_eq "$TMP/a.json" .packets_dropped 0
	check "$name: drops has every reason" jq_eq "$TMP/a.json" '.drops | has("tx-ring-full")' true
	cp "$TMP/out.pcap" "$TMP/first.pcap"
	"$MPNORM" --offline "$f" "$TMP/out.pcap" -c "$SRCDIR/config/mpnorm.conf" \
		--json "$TMP/b.json" >/dev/null
	check "$name: second run gives the same capture" cmp -s "$TMP/first.pcap" "$TMP/out.pcap"
	check "$name: second run gives the same JSON" cmp -s "$TMP/a.json" "$TMP/b.json"
done
finish
