#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Abuse mpnorm's control socket the way the real world will.

usage: cli_client.py SOCKET

Sends an over-long line, binary garbage, a client that hangs up mid-reply
and 50 concurrent clients, and checks the server answers each correctly and
stays alive. Prints one line per check and "N passed, N failed".
"""
import socket
import sys
import threading

passed = failed = 0


def check(ok, what):
    global passed, failed
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(("ok - " if ok else "not ok - ") + what)


def talk(path, payload, timeout=10.0):
    """Send raw bytes; return the first reply (status byte + body) up to its NUL."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(payload)
    buf = b""
    while b"\0" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf.split(b"\0")[0]


def main():
    path = sys.argv[1]
    r = talk(path, b"show version\n")
    check(r.startswith(b"+") and b"mpnorm" in r, "a normal command is answered with '+'")

    r = talk(path, b"x" * 10000 + b"\nshow version\n")
    check(r.startswith(b"-"), "a 10,000-byte line gets an error reply")

    r = talk(path, bytes(range(256)) + b"\n")
    check(r.startswith(b"-") and b"unknown command" in r, "binary garbage gets 'unknown command'")

    r = talk(path, b"show stats extra args here\n")
    check(r.startswith(b"-") and b"usage" in r, "too many arguments get the usage")
    r = talk(path, b"set log-level\n")
    check(r.startswith(b"-") and b"usage" in r, "too few arguments get the usage")

    # Hang up without reading the reply, many times.
    for _ in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(b"help\nshow drops\nshow ports\n")
        s.close()
    r = talk(path, b"show version\n")
    check(r.startswith(b"+"), "the server survives 20 clients that hang up mid-reply")

    # 50 clients at once, all connected before any is answered.
    results = [None] * 50
    socks = []
    for i in range(50):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(path)
        socks.append(s)

    def run(i, s):
        try:
            s.sendall(b"-j show stats\n")
            buf = b""
            while b"\0" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            results[i] = buf
        except OSError as e:
            results[i] = repr(e).encode()
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    good = sum(1 for b in results if b and b.startswith(b"+") and b"packets_in" in b)
    check(good == 50, f"50 concurrent clients all answered ({good})")

    r = talk(path, b"show version\n")
    check(r.startswith(b"+"), "the server is alive at the end")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
