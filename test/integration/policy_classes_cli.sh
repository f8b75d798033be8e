#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Class-map criteria on MPTCP attributes (issue 16), live: the example
# config/examples/mptcp-classes.conf loads, `show policy` lists each
# class's MPTCP criteria in text and in JSON valid against its schema, and
# `show running-config` writes them back in a form that loads again.
. "$SRCDIR/test/lib.sh"

in=$SRCDIR/pcaps/mptcp-2subflows.pcap
sock=$TMP/run/mpnorm.sock
ctl() { "$MPNORMCTL" -s "$sock" "$@"; }
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	cleanup_runtime
}
trap cleanup EXIT

cp "$SRCDIR/config/examples/mptcp-classes.conf" "$TMP/live.conf"
cat >>"$TMP/live.conf" <<CONF
control = { socket = "$sock"; };
ports = ( { name = "net_pcap0"; devargs = "rx_pcap=$in,tx_pcap=$TMP/out.pcap"; } );
links = ( { name = "stick"; port = "net_pcap0"; } );
dataplane = { mbufs = 4096; rx_desc = 256; tx_desc = 256; };
CONF
"$MPNORM" --no-huge -m 512 --no-pci --file-prefix "mpn-cls-$$" -l 0-1 -- -c "$TMP/live.conf" \
	>"$TMP/log" 2>&1 &
pid=$!
check "the control socket appears" wait_until 60 test -S "$sock"

ctl -j show policy >"$TMP/policy.json"
row() { jq -c --arg n "$1" '.classes[] | select(.class == $n) | [.mptcp, ."mptcp-version", ."mptcp-c-flag", ."mptcp-subtype", .scope]' "$TMP/policy.json"; }
check "show policy: five classes" jq_eq "$TMP/policy.json" '.classes | length' 5
check "show policy: the subtype class takes segments" \
	[ "$(row mptcp-signals)" = '["any","any","any","mp-fail,mp-tcprst","segment"]' ]
check "show policy: mptcp present, per connection" \
	[ "$(row inspected-web)" = '["present","any","any","any","connection"]' ]
check "show policy: version 0" [ "$(row mptcp-v0)" = '["any","0","any","any","connection"]' ]
check "show policy: version 1 with the C flag set" \
	[ "$(row lb-servers)" = '["any","1","set","any","connection"]' ]
check "show policy: match any" [ "$(row all-tcp)" = '["any","any","any","any","connection"]' ]
if python3 -c 'import jsonschema' 2>/dev/null; then
	check "show policy -j is valid against its schema" python3 \
		"$SRCDIR/test/tools/json_schema_check.py" "$SRCDIR/doc/schema/cli/show_policy.json" \
		"$TMP/policy.json"
fi
check "show policy (text) lists the classes' criteria" \
	bash -c "'$MPNORMCTL' -s '$sock' show policy | grep -E 'lb-servers +any +1 +set +any +connection'"

ctl show running-config >"$TMP/running.conf"
check "running-config writes mptcp-version" grep -qE 'mptcp-version = \[ *1 *\]' "$TMP/running.conf"
check "running-config writes mptcp-c-flag" grep -q 'mptcp-c-flag = true' "$TMP/running.conf"
check "running-config writes mptcp-subtype" \
	grep -qE 'mptcp-subtype = \[ *"mp-fail", *"mp-tcprst" *\]' "$TMP/running.conf"
check "running-config loads back" "$MPNORM" --check-config -c "$TMP/running.conf"
finish
