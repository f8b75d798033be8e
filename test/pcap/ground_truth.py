#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compare what mpnorm sees in real captures with their ground truth.

pcaps/real/ground-truth.json (GROUND_TRUTH.md beside it, as data) lists
every MPTCP connection of every capture with its keys, tokens and IDSNs,
every join with its token, address ids and HMAC verdicts, and every ADD_ADDR
HMAC form. It was computed independently of this project and checked
against tshark, tcpdump's expected output and, for the Linux captures, the
kernel's own tokens.

usage: ground_truth.py ground-truth.json PCAP_DIR COMMAND...

COMMAND is run once per capture, with "{}" replaced by the capture's path,
and must print a JSON document with a "connections" array on stdout
(`mpnorm-decode --json {}` and `mpnorm --offline {} OUT --json -` both do).
Prints one line per check and "N passed, N failed" at the end.
"""
import json
import subprocess
import sys

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}")


def load_truth(path):
    """Each capture's connections, ADD_ADDR HMAC forms and MP_FASTCLOSE keys."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return {name: {"conns": c["connections"], "add_addr": c["add_addr"],
                   "fastclose": c["fastclose"]}
            for name, c in doc["captures"].items()}


def from_tracker(conns):
    """Recast mpnorm's offline `connections` (one record per MPTCP connection
    with its subflows) into the decoder's shape: client, server, joins.
    Fields the tracker does not report (addresses ids, frame numbers) are
    left out and so not compared."""
    out = []
    for c in conns:
        subs = c.get("subflows", [])
        init = next((s for s in subs if s["role"] == "initial"), None)
        if init is None:
            continue
        client, server = [x.strip() for x in init["tuple"].split(">")]
        d = {k: c[k] for k in ("version", "key_a", "key_b", "token_a", "token_b",
                               "idsn_a", "idsn_b") if k in c}
        # IDSNs exceed 2^53: the JSON carries them as hex strings.
        for k in ("idsn_a", "idsn_b"):
            if isinstance(d.get(k), str):
                d[k] = int(d[k], 16)
        d.update(client=client, server=server, joins=[], add_addr=[])
        for s in subs:
            if s["role"] != "join":
                continue
            a, b = [x.strip() for x in s["tuple"].split(">")]
            verdict = {"ok": "ok"}.get(s.get("join"), s.get("join"))
            d["joins"].append({
                "initiator": a, "responder": b,
                # A join's SYN carries the token of its responder's key.
                "token": c["token_b"] if s.get("initiator") == "a" else c["token_a"],
                "synack_hmac": verdict, "ack_hmac": verdict})
        for a in c.get("add_addr", []):
            d["add_addr"].append({"addr": a["addr"], "hmac": a["hmac"]})
        if c.get("state") == "fastclosed":
            d["fastclose_key"] = c["key_b"]
        out.append(d)
    return out


def main():
    truth_path, pcap_dir = sys.argv[1:3]
    command = sys.argv[3:]
    truth = load_truth(truth_path)
    check(len(truth) >= 10, f"ground-truth.json lists {len(truth)} captures")
    for name, want in sorted(truth.items()):
        argv = [a.replace("{}", f"{pcap_dir}/{name}") for a in command]
        out = subprocess.run(argv, capture_output=True, text=True)
        if out.returncode != 0:
            check(False, f"{name}: {' '.join(argv)} failed: {out.stderr.strip()}")
            continue
        got = json.loads(out.stdout)["connections"]
        if any("subflows" in c for c in got):
            got = from_tracker(got)
        # The decoder too writes IDSNs as hex strings (they exceed 2^53).
        for c in got:
            for k in ("idsn_a", "idsn_b"):
                if isinstance(c.get(k), str):
                    c[k] = int(c[k], 16)
        got_by_client = {c["client"]: c for c in got}
        complete = [c for c in got if "key_a" in c and "key_b" in c]
        check(len(complete) == len(want["conns"]),
              f"{name}: {len(want['conns'])} connection(s) with both keys (got {len(complete)})")
        for w in want["conns"]:
            g = got_by_client.get(w["client"])
            label = f"{name}: {w['client']} > {w['server']}"
            if g is None:
                check(False, f"{label}: connection not found")
                continue
            for k in ("server", "version", "key_a", "key_b", "token_a", "token_b", "idsn_a", "idsn_b"):
                check(g.get(k) == w[k], f"{label}: {k} {w[k]} (got {g.get(k)})")
            gj = {(j["initiator"], j["responder"]): j for j in g.get("joins", [])}
            check(len(gj) == len(w["joins"]), f"{label}: {len(w['joins'])} join(s) (got {len(gj)})")
            for j in w["joins"]:
                x = gj.get((j["initiator"], j["responder"]))
                jl = f"{label}: join {j['initiator']} > {j['responder']}"
                if x is None:
                    check(False, f"{jl}: not tied to its connection")
                    continue
                for k in ("token", "addr_id_a", "addr_id_b", "synack_hmac", "ack_hmac"):
                    if k in x:
                        check(x.get(k) == j[k], f"{jl}: {k} {j[k]} (got {x.get(k)})")
        all_adds = [a for c in got for a in c.get("add_addr", [])]
        adds = {a.get("frame"): a for a in all_adds}
        for a in want["add_addr"]:
            x = adds.get(a["frame"])
            if x is None and all("frame" not in y for y in all_adds):
                x = next((y for y in all_adds if y["addr"] == a["addr"]), None)
            check(x is not None and x["addr"] == a["addr"] and x["hmac"] == a["hmac"],
                  f"{name}: ADD_ADDR frame {a['frame']} {a['addr']} hmac {a['hmac']} (got {x})")
        for fc in want["fastclose"]:
            g = got_by_client.get(fc["client"])
            check(g is not None and g.get("fastclose_key") == fc["key"],
                  f"{name}: MP_FASTCLOSE on {fc['client']} carries {fc['key']}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
