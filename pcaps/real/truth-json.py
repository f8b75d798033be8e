#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""GROUND_TRUTH.md as machine-readable JSON, for the tests.

    pcaps/real/truth-json.py pcaps/real/GROUND_TRUTH.md > pcaps/real/ground-truth.json

GROUND_TRUTH.md was computed independently of mpnorm (its own option
parser, hashlib and hmac) and checked against tshark 4.0, tcpdump's expected
output and the kernel's tokens; this script only changes its shape. Every
value of the Markdown is kept: the summary table per capture, each
connection's keys, tokens and IDSNs, each join (token, address ids, HMAC
verdicts), each ADD_ADDR HMAC form, each MP_FASTCLOSE key and MP_TCPRST.
The pcap suite's 'ground_truth_json' test checks that the committed JSON is
what this script makes from the committed Markdown.
"""
import json
import re
import sys


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def subtypes(text):
    out = {}
    for part in text.split(","):
        k, v = part.strip().split(":")
        out[k] = int(v)
    return out


def summary_row(c):
    """| pcap | pkts | subtypes | conns (both) | joins (resolved / synack / ack) | dss | tshark... |"""
    m = re.match(r"(\d+) \((\d+)\)", c[3])
    j = re.match(r"(\d+) \((\d+) / (\d+) / (\d+)\)", c[4])
    return {
        "packets": int(c[1]),
        "subtypes": subtypes(c[2]),
        "connection_count": int(m.group(1)),
        "connections_with_both_keys": int(m.group(2)),
        "join_counts": {"seen": int(j.group(1)), "resolved": int(j.group(2)),
                  "synack_hmac_ok": int(j.group(3)), "ack_hmac_ok": int(j.group(4))},
        "first_dss_mapping_is_idsn_plus_1": c[5],
        "tshark_token_idsn_agree": c[6],
        "tshark_join_grouping_agrees": c[7],
        "tcpdump_out_agrees": c[8],
    }


def join_cell(text):
    joins = []
    if text == "-":
        return joins
    for j in text.split("<br>"):
        m = re.match(r"(\S+) > (\S+) tok (0x[0-9a-f]+) ids (\d+)/(\d+) hmac (\w+)/(\w+)$", j.strip())
        if not m:
            sys.exit("cannot read join: %s" % j)
        joins.append({"initiator": m.group(1), "responder": m.group(2), "token": m.group(3),
                      "addr_id_a": int(m.group(4)), "addr_id_b": int(m.group(5)),
                      "synack_hmac": m.group(6), "ack_hmac": m.group(7)})
    return joins


def main():
    path = sys.argv[1]
    doc = {
        "about": "Ground truth of the captures in pcaps/real, from GROUND_TRUTH.md "
                 "(made by pcaps/real/truth-json.py). Token = most-significant 32 bits of "
                 "H(key), IDSN = least-significant 64 bits of H(key); H = SHA-1 for v0 "
                 "(RFC 6824), SHA-256 for v1 (RFC 8684). Join HMACs: SYN/ACK = leftmost 64 "
                 "bits of HMAC(KeyB||KeyA, R_B||R_A), third ACK = leftmost 160 bits of "
                 "HMAC(KeyA||KeyB, R_A||R_B), A = the subflow's initiator. Keys and tokens "
                 "are hex strings, IDSNs decimal integers.",
        "captures": {},
    }
    caps = doc["captures"]
    cur = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        c = cells(line) if line.startswith("|") else None
        if c and len(c) == 9 and re.match(r"^\w+/\S+\.pcap$", c[0]):
            caps.setdefault(c[0], {}).update(summary_row(c))
            continue
        m = re.match(r"^### (\S+\.pcap)", line)
        if m:
            cur = caps.setdefault(m.group(1), {})
            for k in ("connections", "add_addr", "fastclose", "tcprst"):
                cur.setdefault(k, [])
            continue
        if cur is None:
            continue
        if c and len(c) == 9 and re.match(r"^v[01]$", c[1]):
            client, server = [s.strip() for s in c[0].split(">")]
            cur["connections"].append({
                "client": client, "server": server, "version": int(c[1][1]),
                "key_a": c[2], "key_b": c[3], "token_a": c[4], "token_b": c[5],
                "idsn_a": int(c[6]), "idsn_b": int(c[7]), "joins": join_cell(c[8])})
            continue
        m = re.match(r"^- ADD_ADDR frame (\d+) from (\S+) addr (\S+) port (\S+): truncated HMAC "
                     r"([0-9a-f]+) -> (\w+)\((.*)\)$", line)
        if m:
            cur["add_addr"].append({
                "frame": int(m.group(1)), "from": m.group(2), "addr": m.group(3),
                "port": None if m.group(4) == "None" else int(m.group(4)),
                "hmac_truncated": m.group(5), "form": m.group(6), "form_note": m.group(7),
                # mpnorm-decode's names for the two forms.
                "hmac": {"rightmost64": "ok", "leftmost64": "ok-leftmost"}[m.group(6)]})
            continue
        m = re.match(r"^- MP_FASTCLOSE frame (\d+) \((\S+) > (\S+)\) carries key (0x[0-9a-f]+) = "
                     r"(\w+) key of (\S+) > (\S+)$", line)
        if m:
            cur["fastclose"].append({"frame": int(m.group(1)), "client": m.group(2),
                                     "server": m.group(3), "key": m.group(4),
                                     "key_of": m.group(5)})
            continue
        m = re.match(r"^- MP_TCPRST frame (\d+) \((\S+) > (\S+)\) flags (0x[0-9a-f]+) reason (\d+)$",
                     line)
        if m:
            cur["tcprst"].append({"frame": int(m.group(1)), "src": m.group(2), "dst": m.group(3),
                                  "flags": int(m.group(4), 16), "reason": int(m.group(5))})
            continue
        if line.startswith("- "):
            sys.exit("unread line: %s" % line)
    for cap in caps.values():
        for k in ("connections", "add_addr", "fastclose", "tcprst"):
            cap.setdefault(k, [])
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
