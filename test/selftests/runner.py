#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runs the kernel's MPTCP selftests (already built in --dir) with the `ip`
wrapper (ip-splice.sh) first on PATH, one line per test, and a closing
'N passed, N failed' line per mode. Called by scripts/selftests.sh, which
checks the machine, builds the helpers, sets up the wrapper and cleans up;
see doc/selftests.md.

Tests:
  join      mptcp_join.sh, one invocation per test (-FLAG ID), so that each
            has its own timeout and its own mpnorm session, whose drop
            counters are the test's
  connect   mptcp_connect.sh ARGS, one invocation; a test is a transfer line
  sockopt   mptcp_sockopt.sh, one invocation; a test is a PASS:/FAIL: line
For connect and sockopt, the drops shown beside a test are those mpnorm
counted since the previous test line.
"""
import argparse
import fnmatch
import json
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import time

TITLE = re.compile(r'^(\d{3}) (.*)$')
XFER = re.compile(r'^(ns\d) (MPTCP|TCP)\s*-> (ns\d) \(\s*([^)]*?)\s*\) (MPTCP|TCP)\b')
FAIL_MARK = re.compile(r'\[ ?fail ?\]|\[ FAIL \]', re.I)


def reasons_of(doc):
    """{reason: (dropped, rewritten)} of a 'show drops' JSON document."""
    out = {}
    for r in (doc or {}).get('reasons', []):
        d, w = int(r.get('dropped', 0)), int(r.get('rewritten', 0))
        if d or w:
            out[r['reason']] = (d, w)
    return out


def add(a, b, sign=1):
    out = dict(a)
    for k, (d, w) in b.items():
        d0, w0 = out.get(k, (0, 0))
        out[k] = (d0 + sign * d, w0 + sign * w)
    return {k: v for k, v in out.items() if v != (0, 0)}


def fmt_reasons(r):
    if not r:
        return 'mpnorm dropped and rewrote nothing'
    drops = ', '.join('%s %d' % (k, d) for k, (d, w) in sorted(r.items()) if d)
    rew = ', '.join('%s %d' % (k, w) for k, (d, w) in sorted(r.items()) if w)
    parts = []
    if drops:
        parts.append('drops: ' + drops)
    if rew:
        parts.append('rewrites: ' + rew)
    return '; '.join(parts)


class Mpnorm:
    """The live mpnorm of the wrapper's current session, seen from outside."""

    def __init__(self, state, ctl):
        self.state, self.ctl = state, ctl
        self.last = {}     # session -> cumulative reasons at the last look

    def session(self):
        try:
            with open(os.path.join(self.state, 'session')) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def final(self, s):
        try:
            with open(os.path.join(self.state, 'drops-%d.json' % s)) as f:
                return reasons_of(json.load(f))
        except (OSError, ValueError):
            return None

    def live(self):
        try:
            out = subprocess.run([self.ctl, '-s', os.path.join(self.state, 'mpnorm.sock'),
                                  '-t', '3', '-j', 'show', 'drops'],
                                 capture_output=True, timeout=10, text=True)
            if out.returncode == 0:
                return reasons_of(json.loads(out.stdout))
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        return None

    def delta(self):
        """What mpnorm counted since the previous call, over every session."""
        s = self.session()
        total = {}
        for k in sorted(set(self.last) | {s}):
            if k == 0:
                continue
            cur = self.final(k)
            if cur is None and k == s:
                cur = self.live()
            if cur is None:
                continue
            total = add(total, add(cur, self.last.get(k, {}), -1))
            self.last[k] = cur
        # Sessions that ended since the last call and were never seen live.
        for k in range(max(self.last, default=0) + 1, s):
            cur = self.final(k)
            if cur is not None:
                total = add(total, cur)
                self.last[k] = cur
        return total

    def sessions_between(self, s0, s1):
        total = {}
        for k in range(s0 + 1, s1 + 1):
            total = add(total, self.final(k) or {})
        return total


class Runner:
    def __init__(self, a):
        self.a = a
        self.results = []        # dicts: mode, suite, id, name, status, reasons, note
        self.expected = load_expected(a.expected) if a.expected else []
        self.log = open(a.log, 'a') if a.log else None
        self.mp = Mpnorm(a.state, a.mpnormctl) if a.mode == 'mpnorm' else None
        self.names = {}
        if a.names and os.path.exists(a.names):
            with open(a.names) as f:
                self.names = json.load(f)

    def out(self, line):
        print(line, flush=True)
        if self.log:
            self.log.write(line + '\n')
            self.log.flush()

    def record(self, suite, tid, name, status, reasons=None, note=''):
        r = {'mode': self.a.mode, 'suite': suite, 'id': tid, 'name': name,
             'status': status, 'reasons': reasons or {}, 'note': note}
        if status == 'FAIL' and self.mp is not None:
            why = match_expected(self.expected, suite, name, reasons or {})
            if why:
                r['status'], r['note'] = 'EXPECTED', why
        self.results.append(r)
        text = '%-7s %-8s %-6s %-50s %-8s' % (self.a.mode, suite, tid, name[:50], r['status'])
        if self.mp is not None and r['status'] in ('FAIL', 'EXPECTED', 'TIMEOUT'):
            text += ' ' + fmt_reasons(r['reasons'])
        if r['note']:
            text += ' [%s]' % r['note']
        self.out(text.rstrip())

    def run(self, argv, timeout, on_line=None):
        """Run a selftest in its own process group; stream its lines.
        Returns (rc, lines, timed_out, partial): partial is the unfinished
        last line (what a hung test printed before its result)."""
        env = dict(os.environ)
        if self.log:
            self.log.write('$ %s\n' % ' '.join(argv))
        p = subprocess.Popen(argv, cwd=self.a.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True, env=env)
        CURRENT[0] = p
        lines, buf = [], b''
        deadline = time.monotonic() + timeout
        timed_out = False
        fd = p.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            r, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not r:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            while b'\n' in buf:
                raw, buf = buf.split(b'\n', 1)
                line = raw.decode('utf-8', 'replace').rstrip()
                lines.append(line)
                if self.log:
                    self.log.write('  | ' + line + '\n')
                if on_line:
                    on_line(line)
        if timed_out:
            kill_group(p)
        else:
            try:
                p.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
                kill_group(p)
        CURRENT[0] = None
        p.stdout.close()
        partial = buf.decode('utf-8', 'replace').rstrip()
        if partial and self.log:
            self.log.write('  | ' + partial + '\n')
        if self.log:
            self.log.write('  rc %s%s\n' % (p.returncode, ' (timed out)' if timed_out else ''))
        if timed_out:
            # Namespaces and processes the killed test left: the caller's
            # cleanup removes them (it knows every namespace it made).
            subprocess.run(shlex.split(self.a.cleanup), check=False)
        return p.returncode, lines, timed_out, partial

    # mptcp_join.sh, one test per invocation.
    def join(self):
        for flag, ids in self.a.join:
            i = 1
            while True:
                if ids is not None:
                    if not ids:
                        break
                    i = ids.pop(0)
                elif i > 300:
                    break
                s0 = self.mp.session() if self.mp else 0
                rc, lines, to, partial = self.run(['./mptcp_join.sh', '-' + flag, str(i)],
                                                  self.a.timeout_join)
                s1 = self.mp.session() if self.mp else 0
                titles = [TITLE.match(x) for x in lines if TITLE.match(x)]
                tid = '%s/%02d' % (flag, i)
                if not titles and not to and rc == 0:
                    if ids is None:
                        break          # past the last test of this flag
                    self.record('join', tid, '(no such test)', 'FAIL')
                    i += 1
                    continue
                name = name_of(titles[0].group(2)) if titles else \
                    self.names.get('join ' + tid, '(name not printed)')
                self.names['join ' + tid] = name
                reasons = self.mp.sessions_between(s0, s1) if self.mp else {}
                text = '\n'.join(lines + [partial])
                if to:
                    self.record('join', tid, name, 'TIMEOUT', reasons,
                                'hung: killed after %d s' % self.a.timeout_join)
                elif rc != 0 or FAIL_MARK.search(text):
                    self.record('join', tid, name, 'FAIL', reasons, first_fail(lines))
                elif '[ skip ]' in text:
                    self.record('join', tid, name, 'skip', reasons)
                else:
                    self.record('join', tid, name, 'ok', reasons)
                i += 1

    def connect(self):
        argv = ['./mptcp_connect.sh'] + self.a.connect_args
        self.line_based('connect', argv, self.a.timeout_connect, connect_result)

    def sockopt(self):
        self.line_based('sockopt', ['./mptcp_sockopt.sh'], self.a.timeout_sockopt, sockopt_result)

    def line_based(self, suite, argv, timeout, parse):
        n = [0]
        if self.mp:
            self.mp.delta()

        def on_line(line):
            res = parse(line)
            if res is None:
                return
            name, status = res
            n[0] += 1
            reasons = self.mp.delta() if self.mp else {}
            self.names['%s %03d' % (suite, n[0])] = name
            self.record(suite, '%03d' % n[0], name, status, reasons,
                        '' if status != 'FAIL' else line.strip()[-60:])

        rc, lines, to, partial = self.run(argv, timeout, on_line)
        expect = sum(1 for k in self.names if k.startswith(suite + ' '))
        if to:
            hung = partial or (lines[-1] if lines else '')
            self.record(suite, '%03d' % (n[0] + 1), 'hung: ' + hung.strip(), 'TIMEOUT',
                        self.mp.delta() if self.mp else {},
                        'killed after %d s' % timeout)
        elif rc != 0 and not any(r['suite'] == suite and r['mode'] == self.a.mode and
                                 r['status'] == 'FAIL' for r in self.results):
            self.record(suite, 'exit', '%s exit status %d' % (argv[0], rc), 'FAIL',
                        self.mp.delta() if self.mp else {}, first_fail(lines))
        if expect > n[0] and (to or rc != 0):
            self.out('%-7s %-8s %-6s %d test(s) not run: the script stops at its first failure'
                     % (self.a.mode, suite, '...', expect - n[0]))
            for k in range(n[0] + 1 + (1 if to else 0), expect + 1):
                self.results.append({'mode': self.a.mode, 'suite': suite, 'id': '%03d' % k,
                                     'name': self.names.get('%s %03d' % (suite, k), ''),
                                     'status': 'not run', 'reasons': {}, 'note': ''})

    def summary(self):
        mine = [r for r in self.results if r['mode'] == self.a.mode]
        c = {}
        for r in mine:
            c[r['status']] = c.get(r['status'], 0) + 1
        passed = c.get('ok', 0)
        failed = c.get('FAIL', 0) + c.get('TIMEOUT', 0)
        extra = []
        if c.get('EXPECTED'):
            extra.append('%d expected differences' % c['EXPECTED'])
        if c.get('skip'):
            extra.append('%d skipped by the test itself' % c['skip'])
        if c.get('not run'):
            extra.append('%d not run' % c['not run'])
        self.out('%s: %d passed, %d failed%s' % (self.a.mode, passed, failed,
                                                 ' (' + ', '.join(extra) + ')' if extra else ''))
        return failed


CURRENT = [None]


def on_signal(signum, frame):
    """Interrupted: the running test's whole process group goes too."""
    if CURRENT[0] is not None:
        kill_group(CURRENT[0])
    sys.exit(128 + signum)


def kill_group(p):
    """SIGTERM to the test's process group (its trap may still clean up),
    then SIGKILL to whatever of the group is left."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


def name_of(rest):
    # print_title: "%03u %-36s %s"; a longer name pushes the first check.
    if len(rest) > 36 and rest[36] == ' ':
        return rest[:36].rstrip()
    m = re.match(r'^(.*?)\s+\S*\s*\[', rest)
    return (m.group(1) if m else rest).strip()


def first_fail(lines):
    for x in lines:
        if FAIL_MARK.search(x) or x.startswith('FAIL:'):
            return re.sub(r'\s+', ' ', x.strip())[:90]
    return ''


def connect_result(line):
    m = XFER.match(line)
    if m:
        name = '%s %s -> %s (%s) %s' % m.groups()
        if '[ FAIL ]' in line:
            return name, 'FAIL'
        if '[ OK ]' in line:
            return name, 'ok'
        return name, 'FAIL'
    if line.startswith('PASS: '):
        return line[len('PASS: '):].strip(), 'ok'
    # 'FAIL: MSG' is also stop_if_error's closing line, about a transfer
    # already counted; only the tproxy cases' own failures are tests.
    if line.startswith('FAIL: ') and line.endswith(', mptcp connection error'):
        return line[len('FAIL: '):-len(', mptcp connection error')].strip(), 'FAIL'
    m = re.match(r'^(.*\S)\s+\[ (OK|FAIL) \]$', line)
    if m and 'connectivity' not in line:
        return m.group(1).strip(), 'ok' if m.group(2) == 'OK' else 'FAIL'
    if line.endswith('connectivity [ FAIL ]'):
        return line[:-len(' [ FAIL ]')], 'FAIL'
    return None


def sockopt_result(line):
    for pat, st in (('PASS: ', 'ok'), ('FAIL: ', 'FAIL')):
        if line.startswith(pat):
            return line[len(pat):].strip(), st
    if line.startswith('[ FAIL ]'):
        return line[len('[ FAIL ]'):].strip(), 'FAIL'
    return None


def load_expected(path):
    """Lines 'SUITE | NAME-GLOB | REASON | why': a failure of that test that
    comes with a drop or rewrite of REASON is a deliberate policy difference."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            parts = [p.strip() for p in line.split('|')]
            if len(parts) != 4:
                sys.exit('%s: bad line: %s' % (path, line))
            out.append(parts)
    return out


def match_expected(exp, suite, name, reasons):
    for s, glob, reason, why in exp:
        if s == suite and fnmatch.fnmatch(name, glob) and reason in reasons:
            return 'expected: %s (%s)' % (why, reason)
    return None


def parse_join(spec):
    """'f s 6' or 'f:1,3 s:2': flags, each with all its tests or a list."""
    out = []
    for tok in spec.split():
        if ':' in tok:
            flag, ids = tok.split(':', 1)
            out.append((flag, [int(x) for x in ids.split(',') if x]))
        else:
            for flag in tok:
                out.append((flag, None))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True, help='built selftests (net/mptcp)')
    ap.add_argument('--mode', choices=('mpnorm', 'direct'), required=True)
    ap.add_argument('--state', required=True)
    ap.add_argument('--mpnormctl', default='mpnormctl')
    ap.add_argument('--cleanup', required=True, help='command that removes what tests left')
    ap.add_argument('--suites', default='connect join sockopt')
    ap.add_argument('--join', default='fesltra64bpkSdmzFuI', type=str)
    ap.add_argument('--connect-args', default='')
    ap.add_argument('--timeout-join', type=int, default=180)
    ap.add_argument('--timeout-connect', type=int, default=1800)
    ap.add_argument('--timeout-sockopt', type=int, default=300)
    ap.add_argument('--expected')
    ap.add_argument('--names', help='JSON cache of test names by id (for tests that hang)')
    ap.add_argument('--results', help='write the results as JSON here')
    ap.add_argument('--log')
    a = ap.parse_args()
    a.join = parse_join(a.join)
    a.connect_args = shlex.split(a.connect_args)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    r = Runner(a)
    for s in a.suites.split():
        getattr(r, s)()
    failed = r.summary()
    if a.names:
        with open(a.names, 'w') as f:
            json.dump(r.names, f, indent=1, sort_keys=True)
    if a.results:
        with open(a.results, 'w') as f:
            json.dump(r.results, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
