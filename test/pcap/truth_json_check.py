#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The vendored captures and their ground truth are what they say they are:
  - every file matches its folder's SHA256SUMS (unchanged copies);
  - ground-truth.json is exactly what truth-json.py makes of GROUND_TRUTH.md;
  - every capture it lists exists, and Wireshark's capinfos counts the
    packets it lists.
usage: truth_json_check.py PCAPS_REAL_DIR"""
import hashlib
import json
import os
import subprocess
import sys

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)


def main():
    d = sys.argv[1]
    for sub in ("tcpdump", "ptcpdump", "linux"):
        sums = os.path.join(d, sub, "SHA256SUMS")
        with open(sums) as f:
            for line in f:
                want, name = line.split()
                with open(os.path.join(d, sub, name), "rb") as g:
                    got = hashlib.sha256(g.read()).hexdigest()
                check(got == want, "%s/%s: sha256 %s" % (sub, name, want[:16]))
    made = subprocess.run([sys.executable, os.path.join(d, "truth-json.py"),
                           os.path.join(d, "GROUND_TRUTH.md")],
                          capture_output=True, text=True, check=True).stdout
    with open(os.path.join(d, "ground-truth.json")) as f:
        committed = f.read()
    check(made == committed, "ground-truth.json is truth-json.py's output of GROUND_TRUTH.md")
    caps = json.loads(committed)["captures"]
    check(len(caps) == 10, "ground-truth.json lists 10 captures (%d)" % len(caps))
    for name, c in sorted(caps.items()):
        path = os.path.join(d, name)
        out = subprocess.run(["capinfos", "-M", "-c", "-T", "-r", path],
                             capture_output=True, text=True)
        n = out.stdout.split("\t")[1].strip() if out.returncode == 0 else "?"
        check(n == str(c["packets"]), "%s: %s packets (capinfos: %s)" % (name, c["packets"], n))
        conns = c["connections"]
        check(len(conns) == c["connection_count"],
              "%s: %d connection record(s), as counted" % (name, len(conns)))
        check(sum(len(x["joins"]) for x in conns) == c["join_counts"]["seen"],
              "%s: %d join record(s), as counted" % (name, c["join_counts"]["seen"]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
