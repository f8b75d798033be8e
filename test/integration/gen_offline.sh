#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mpnorm-gen's traffic through the offline mode: a few hundred connections,
# v1 and v0, some over IPv6, some plain TCP, 30% of the data segments
# carrying an option the ASA default tcp-map clears. mpnorm must drop
# nothing, rewrite exactly the segments the generator marked, learn every
# connection with the keys and tokens the generator chose, and (with a
# config that verifies joins) verify every join.
#
# Two configs: the brief's ASA fix (config/examples/asa-allow-mptcp.conf,
# which passes joins without verifying them: mptcp.join = "allow") and
# config/mpnorm.conf (join = "verify"), where joins_verified must equal the
# number of joins. Both clear kind 254, as the ASA default does.
. "$SRCDIR/test/lib.sh"

: "${MPNORM_GEN:?}"

# summary_field FILE WORD: the number before WORD in mpnorm-gen's summary line.
summary_field() { grep -oE "[0-9]+ $2" "$1" | head -n 1 | cut -d' ' -f1; }

# check_json JSON TOKENS PACKETS REWRITES JOINS VERIFY: the offline JSON
# against what the generator said. Prints one line per failed assertion.
check_json() {
	python3 - "$@" <<'EOF'
import json
import sys

path, tokens, packets, rewrites, joins, verify = sys.argv[1:7]
packets, rewrites, joins = int(packets), int(rewrites), int(joins)
j = json.load(open(path))
bad = []


def expect(what, got, want):
    if got != want:
        bad.append(f"{what}: {got!r}, expected {want!r}")


expect("packets_in", j["packets_in"], packets)
expect("packets_out", j["packets_out"], j["packets_in"])
expect("packets_dropped", j["packets_dropped"], 0)
expect("packets_rewritten", j["packets_rewritten"], rewrites)
dropped = {k: v for k, v in j["drops"].items() if v}
expect("drop reasons", dropped, {})

gen = {}
for line in open(tokens):
    ta, tb, ka, kb, ver, nsf = line.split()
    gen[(ta, tb)] = (ka, kb, int(ver, 16), int(nsf, 16))
seen = {}
for c in j["connections"]:
    seen[(c["token_a"], c["token_b"])] = (c["key_a"], c["key_b"], c["version"],
                                          len(c["subflows"]))
expect("connections in the JSON", len(j["connections"]), len(gen))
missing = set(gen) - set(seen)
extra = set(seen) - set(gen)
if missing:
    bad.append(f"{len(missing)} generated connections missing, e.g. {sorted(missing)[0]}")
if extra:
    bad.append(f"{len(extra)} connections the generator never made, e.g. {sorted(extra)[0]}")
for k in set(gen) & set(seen):
    expect(f"connection {k}: key_a, key_b, version, subflows", seen[k], gen[k])
    if len(bad) > 20:
        break

t = j["tracking"]
expect("tracking.joins_seen", t.get("joins_seen", 0), joins)
expect("tracking.joins_bad_hmac", t.get("joins_bad_hmac", 0), 0)
expect("tracking.token_collisions", t.get("token_collisions", 0), 0)
# The traffic is clean: none of the ASA's stateful checks fires, even as a count.
for k in ("invalid_ack", "seq_past_win", "window_variation", "exceed_mss", "ttl_evasion",
          "joins_unknown", "key_mismatch", "not_syn_dropped", "table_full"):
    expect(f"tracking.{k}", t.get(k, 0), 0)
if verify == "verify":
    expect("tracking.joins_verified", t.get("joins_verified", 0), joins)
for line in bad:
    print(line)
sys.exit(1 if bad else 0)
EOF
}

configs=("$SRCDIR/config/examples/asa-allow-mptcp.conf:allow" "$SRCDIR/config/mpnorm.conf:verify")

for version in 1 0; do
	name=v$version
	pcap=$TMP/$name.pcap
	"$MPNORM_GEN" --seed $((41 + version)) --connections 300 --subflows 3 --data 6 \
		--payload 200 --version "$version" --ipv6 30 --plain 15 --rewrite 30 \
		-o "$pcap" --tokens >"$TMP/$name.tokens" 2>"$TMP/$name.summary"
	packets=$(summary_field "$TMP/$name.summary" packets)
	rewrites=$(summary_field "$TMP/$name.summary" rewrites)
	joins=$(summary_field "$TMP/$name.summary" joins)
	echo "# $name: $(cat "$TMP/$name.summary")"
	check "$name: the capture holds $packets records" [ "$(count_records "$pcap")" = "$packets" ]
	check "$name: some rewrites and joins" [ "$rewrites" -gt 0 -a "$joins" -gt 0 ]
	check "$name: one token line per MPTCP connection" \
		[ "$(wc -l <"$TMP/$name.tokens")" -gt 200 ]
	check "$name: every token line has version $version" \
		bash -c "awk '\$5 != \"$version\" { exit 1 }' '$TMP/$name.tokens'"

	"$MPNORM_GEN" --seed $((41 + version)) --connections 300 --subflows 3 --data 6 \
		--payload 200 --version "$version" --ipv6 30 --plain 15 --rewrite 30 \
		-o "$TMP/again.pcap" 2>/dev/null
	check "$name: same options, byte-identical capture" cmp -s "$pcap" "$TMP/again.pcap"

	for entry in "${configs[@]}"; do
		conf=${entry%:*}
		mode=${entry##*:}
		cname=$(basename "$conf" .conf)
		rm -f "$TMP/out.pcap" "$TMP/out.json"
		if "$MPNORM" --offline "$pcap" "$TMP/out.pcap" -c "$conf" --json "$TMP/out.json" --show-keys \
				>"$TMP/mpnorm.log" 2>&1; then
			ok "$name, $cname: offline run"
		else
			not_ok "$name, $cname: offline run: $(tail -n 5 "$TMP/mpnorm.log")"
			continue
		fi
		if check_json "$TMP/out.json" "$TMP/$name.tokens" "$packets" "$rewrites" "$joins" \
				"$mode" >"$TMP/why"; then
			ok "$name, $cname: no drop, $rewrites rewrites, every key and token, $joins joins"
		else
			not_ok "$name, $cname: $(tr '\n' ';' <"$TMP/why")"
		fi
		check "$name, $cname: every packet out" \
			[ "$(count_records "$TMP/out.pcap")" = "$packets" ]
	done
done

# Bad arguments: a message and exit 2.
for args in "--subflows 9 -o x.pcap" "--version 2 -o x.pcap" "--rewrite 101 -o x.pcap" \
		"--payload 1201 -o x.pcap" "--connections 0 -o x.pcap" "--connections abc -o x.pcap" \
		"--bogus" "--seed 1"; do
	rc=0
	# shellcheck disable=SC2086
	(cd "$TMP" && "$MPNORM_GEN" $args) >/dev/null 2>"$TMP/err" || rc=$?
	check "mpnorm-gen $args: exit 2 with a message" [ "$rc" -eq 2 -a -s "$TMP/err" ]
	check "mpnorm-gen $args: writes nothing" [ ! -e "$TMP/x.pcap" ]
done
finish
