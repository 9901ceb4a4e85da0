#!/usr/bin/env python3
"""Wake-ups per second of the LM3S6965 line server in QEMU with 2 idle sessions.

    scripts/firmware-wakeups.py [SECONDS]

Builds the blocking line server with the features `wakeup-report` (once a
second of SysTick, `wakeups/s: stack N, wfi M` on QEMU's stderr through
semihosting) and `two-sessions` (2 connections served at once), boots it
with scripts/qemu-line-server.sh on a free 127.0.0.1 port, opens two
sessions that each send one line and then stay silent, reads SECONDS
(default 3; the idle timeout is 5 s) of whole-second reports, ends the
firmware with `stop` and prints the figures:

    stack: passes of the stack's wait loop (Clock::idle returning to it)
    wfi:   returns from WFI (every 1 ms SysTick tick ends one, and each frame)

Exits 1 if the firmware does not come up, a report is missing, or QEMU
does not exit 0 after `stop`. Only 127.0.0.1 is used (QEMU's user network).
"""
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = re.compile(rb"wakeups/s: stack (\d+), wfi (\d+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Qemu:
    def __init__(self, port):
        env = dict(os.environ, BOARD="lm3s6965", FIRMWARE_FEATURES="wakeup-report,two-sessions")
        self.p = subprocess.Popen([os.path.join(HERE, "qemu-line-server.sh"), str(port)], env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, start_new_session=True)
        self.out, self.err = b"", b""

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.p.stdout, self.p.stderr], [], [], left)
            for f in ready:
                chunk = os.read(f.fileno(), 4096)
                if f is self.p.stdout:
                    self.out += chunk
                else:
                    self.err += chunk
            if not ready and self.p.poll() is not None:
                return

    def wait_out(self, text, seconds):
        end = time.monotonic() + seconds
        while text not in self.out and time.monotonic() < end:
            self.pump(0.05)
        return text in self.out

    def reports(self):
        return [(int(a), int(b)) for a, b in REPORT.findall(self.err)]

    def kill(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, 9)
            self.p.wait()


def session(q, port, line):
    """Connect until the guest prints `line` (QEMU's forward accepts before the guest listens)."""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(line + b"\n")
        except OSError:
            time.sleep(0.2)
            continue
        if q.wait_out(line + b"\n", 5):
            return c
        c.close()
    raise SystemExit(f"the line server never printed {line!r}")


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    port = free_port()
    q = Qemu(port)
    try:
        a = session(q, port, b"first")
        q.pump(1.2)
        idle_none = q.reports()[-1:] if q.reports() else []
        b = session(q, port, b"second")
        # Skip the second in which the sessions opened, then whole seconds.
        before = len(q.reports())
        end = time.monotonic() + seconds + 2.5
        while len(q.reports()) < before + 1 + seconds and time.monotonic() < end:
            q.pump(0.1)
        window = q.reports()[before + 1:before + 1 + seconds]
        if len(window) < seconds:
            raise SystemExit(f"only {len(window)} whole-second reports: {q.err.decode(errors='replace')}")
        a.sendall(b"stop\n")
        deadline = time.monotonic() + 15
        while q.p.poll() is None and time.monotonic() < deadline:
            q.pump(0.1)
        status = q.p.poll()
        b.close()
        a.close()
    finally:
        q.kill()
    stack = [s for s, _ in window]
    wfi = [w for _, w in window]
    print(f"LM3S6965 blocking line server in QEMU, 2 idle sessions, {seconds} whole seconds:")
    print(f"  stack wake-ups/s: {stack} (median {statistics.median(stack):g})")
    print(f"  WFI returns/s:    {wfi} (median {statistics.median(wfi):g})")
    if idle_none:
        print(f"  (one session open, one second before the second: stack {idle_none[0][0]}, wfi {idle_none[0][1]})")
    if status != 0:
        raise SystemExit(f"QEMU exited {status} after stop, not 0")


if __name__ == "__main__":
    main()
