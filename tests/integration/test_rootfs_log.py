#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""sealroom-log (rootfs/sealroom-log.c), the bound on every service's log in
the image's /run: a service run through it writes far more than the bound,
and the log holds at most N bytes in LOG and N in LOG.1, nothing else, the
last lines whole and in order; a line longer than N is cut; the pid file
names the service (a signal sent by it reaches the service); `tail -F LOG`
(sealroom-init's hostroom path follows the screen's log so) sees every line
across the rotations.

The services here are small Python programs; sealroom-log is the real one
from the build ($BUILD/bin/sealroom-log). Its writer is orphaned on purpose
(PID 1 reaps it in the image): this test makes itself a subreaper to wait
for it.
"""
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tap  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
LOG_BIN = os.path.join(BUILD, "bin", "sealroom-log")
N = 65536
PR_SET_CHILD_SUBREAPER = 36

# A service: numbered lines of varying length (20 to 250 bytes), TOTAL
# bytes or more, then "last line NNNNNNNN"; its own pid in argv[2].
BULK = r"""
import os, sys
total, pidfile = int(sys.argv[1]), sys.argv[2]
open(pidfile, "w").write(f"{os.getpid()}\n")
out, i, n = sys.stdout, 0, 0
while n < total:
    line = f"line {i:08d} " + "abcdefghij" * (i % 24) + "\n"
    out.write(line)
    n += len(line)
    i += 1
out.write(f"last line {i:08d}\n")
"""

# A service in steps: STEPS times about 0.7 N bytes of numbered lines, then
# "step K done", then it waits for GO.K (made by the test once tail -F has
# shown that line); at the end it waits for SIGUSR1 and says it got it.
STEPPED = r"""
import os, signal, sys, time
steps, godir = int(sys.argv[1]), sys.argv[2]
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
i = 0
for k in range(steps):
    n = 0
    while n < 0.7 * %d:
        line = f"line {i:08d} " + "0123456789" * (i %% 17) + "\n"
        sys.stdout.write(line)
        n += len(line)
        i += 1
    print(f"step {k} done", flush=True)
    end = time.monotonic() + 120
    while not os.path.exists(os.path.join(godir, f"go.{k}")):
        if time.monotonic() > end:
            print(f"no go.{k} within 120 s", flush=True)
            sys.exit(3)
        time.sleep(0.05)
print("waiting for SIGUSR1", flush=True)
signal.sigtimedwait({signal.SIGUSR1}, 120) or sys.exit(4)
print(f"got SIGUSR1 after {i} lines", flush=True)
""" % N

LINE = re.compile(rb"^line (\d{8}) (?:abcdefghij|0123456789)*$")


def subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def writer_pid(exclude):
    """The orphaned writer: a child of this process named sealroom-log."""
    me = os.getpid()
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) in exclude:
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == me and comm == "sealroom-log":
            return int(p)
    return None


def wait_writer(pid, what):
    """The writer's exit status once it has written everything."""
    status = []

    def done():
        got, st = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            status.append(st)
        return bool(status)
    tap.wait_until(done, 120, f"sealroom-log's writer of {what} (pid {pid}) to finish")
    return os.waitstatus_to_exitcode(status[0])


def start(d, max_bytes, args):
    """sealroom-log on d/svc.log with the service args; (popen, writer pid)."""
    pidf = os.path.join(d, "svc.pid")
    p = tap.TrackedPopen([LOG_BIN, "--max-bytes", str(max_bytes), "--pid-file", pidf,
                          os.path.join(d, "svc.log")] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tap.wait_until(lambda: os.path.exists(pidf) or p.poll() is not None, 60,
                   "sealroom-log's pid file")
    w = None

    def found():
        nonlocal w
        w = writer_pid({p.pid})
        return w is not None
    tap.wait_until(found, 30, "sealroom-log's writer (an orphaned child of this test)")
    return p, w


def read(path):
    with open(path, "rb") as f:
        return f.read()


def bulk(d):
    """Forty times the bound through it; a stale log and LOG.1 before."""
    log = os.path.join(d, "svc.log")
    for name in ("svc.log", "svc.log.1"):
        with open(os.path.join(d, name), "w") as f:
            f.write("stale line from before\n" * 10)
    own = os.path.join(d, "own.pid")
    p, w = start(d, N, [sys.executable, "-c", BULK, str(40 * N), own])
    pidfile = int(read(os.path.join(d, "svc.pid")))
    out, _ = p.communicate(timeout=300)
    wrc = wait_writer(w, "the bulk service")
    tap.check(f"the service exited 0 and sealroom-log said nothing itself (exit {p.returncode}, "
              f"{len(out)} bytes on its own stdout), the writer exited {wrc}",
              p.returncode == 0 and out == b"" and wrc == 0, out.decode(errors="replace"))
    service = int(read(own))
    tap.check(f"the pid file names the service itself: {pidfile} (sealroom-log's pid {p.pid}, "
              f"the service's own getpid() {service})", pidfile == p.pid == service)
    files = sorted(os.listdir(d))
    tap.check(f"only LOG and LOG.1 are kept: {files}",
              files == ["own.pid", "svc.log", "svc.log.1", "svc.pid"])
    cur, old = read(log), read(log + ".1")
    tap.check(f"LOG {len(cur)} bytes and LOG.1 {len(old)} bytes, each at most N={N}, "
              f"after {40 * N} bytes written", 0 < len(cur) <= N and 0 < len(old) <= N)
    tap.check("the stale LOG and LOG.1 from before are gone",
              b"stale" not in cur and b"stale" not in old)
    lines_old, lines_cur = old.split(b"\n"), cur.split(b"\n")
    whole = (old.endswith(b"\n") and cur.endswith(b"\n") and
             all(LINE.match(x) for x in lines_old[:-1]) and
             all(LINE.match(x) for x in lines_cur[:-2]))
    tap.check("both files hold whole lines only (no line split at a rotation)", whole,
              f"LOG.1 starts {old[:80]!r}, ends {old[-80:]!r}; LOG starts {cur[:80]!r}")
    last = lines_cur[-2]
    m = re.match(rb"^last line (\d{8})$", last)
    nums = [int(LINE.match(x).group(1)) for x in lines_old[:-1] + lines_cur[:-2] if LINE.match(x)]
    consecutive = bool(nums) and nums == list(range(nums[0], nums[0] + len(nums)))
    tap.check(f"the last lines survive: LOG ends with {last!r}, and LOG.1 then LOG hold lines "
              f"{nums[0] if nums else '?'}..{nums[-1] if nums else '?'} with none missing",
              bool(m) and consecutive and int(m.group(1)) == nums[-1] + 1)


def long_line(d):
    """A line of 3N bytes: cut at N bytes, the bound kept."""
    log = os.path.join(d, "svc.log")
    script = f"import sys; sys.stdout.write('first\\n' + 'x' * {3 * N} + '\\nlast\\n')"
    p, w = start(d, N, [sys.executable, "-c", script])
    p.communicate(timeout=120)
    wait_writer(w, "the long-line service")
    cur, old = read(log), read(log + ".1")
    # Where the first piece ends depends on how the pipe's reads fell; the
    # pieces are N bytes (the one before the last), and the last with the end.
    tap.check(f"a line of {3 * N} bytes is cut at N: LOG.1 is {len(old)} bytes of it, LOG "
              f"{len(cur)} bytes ending {cur[-12:]!r}",
              old == b"x" * N and len(cur) <= N and cur.endswith(b"\nlast\n")
              and set(cur[:-6]) <= {ord("x")})


def follow(d):
    """tail -F across rotations, and a signal by the pid file."""
    log = os.path.join(d, "svc.log")
    steps = 4
    p, w = start(d, N, [sys.executable, "-c", STEPPED, str(steps), d])
    tail_out = open(os.path.join(d, "tail.out"), "wb")
    t = tap.TrackedPopen(["tail", "-n", "+1", "-F", log], stdout=tail_out,
                         stderr=subprocess.DEVNULL)
    seen = lambda: read(os.path.join(d, "tail.out"))  # noqa: E731
    for k in range(steps):
        tap.wait_until(lambda: f"step {k} done\n".encode() in seen(), 120,
                       f"tail -F to show the service's 'step {k} done'")
        open(os.path.join(d, f"go.{k}"), "w").close()
    tap.wait_until(lambda: b"waiting for SIGUSR1\n" in seen(), 120,
                   "tail -F to show 'waiting for SIGUSR1'")
    os.kill(int(read(os.path.join(d, "svc.pid"))), signal.SIGUSR1)
    tap.wait_until(lambda: b"got SIGUSR1" in seen(), 120, "tail -F to show 'got SIGUSR1'")
    p.communicate(timeout=120)
    wait_writer(w, "the stepped service")
    t.terminate()
    t.wait(timeout=30)
    tail_out.close()
    got = seen().split(b"\n")[:-1]
    nums = [int(LINE.match(x).group(1)) for x in got if LINE.match(x)]
    total = int(re.search(rb"got SIGUSR1 after (\d+) lines", seen()).group(1))
    others = [x for x in got if not LINE.match(x)]
    tap.check(f"a SIGUSR1 to the pid in the pid file reached the service (exit {p.returncode})",
              p.returncode == 0)
    written = sum(len(x) + 1 for x in got if LINE.match(x))
    tap.check(f"tail -F followed LOG across its rotations ({written} bytes, {written / N:.1f} times N): "
              f"all {total} lines in order, each once ({len(nums)} seen)",
              nums == list(range(total)) and written > 2 * N,
              f"first gap near {next((i for i, n in enumerate(nums) if n != i), None)}")
    want = [f"step {k} done".encode() for k in range(steps)] + [
        b"waiting for SIGUSR1", f"got SIGUSR1 after {total} lines".encode()]
    tap.check("and the service's other lines, in order", others == want, repr(others))
    tap.check(f"the bound held meanwhile: LOG {len(read(log))}, LOG.1 {len(read(log + '.1'))} bytes",
              len(read(log)) <= N and len(read(log + ".1")) <= N)


def refusals(d):
    """What it cannot do, said in one line, and the service not run."""
    marker = os.path.join(d, "ran")
    r = subprocess.run([LOG_BIN, os.path.join(d, "no", "such", "dir.log"), "touch", marker],
                       capture_output=True, timeout=60)
    err = r.stderr.decode(errors="replace").strip()
    tap.check(f"a log it cannot open: exit {r.returncode}, the service not run, said: {err}",
              r.returncode == 1 and not os.path.exists(marker) and "not started" in err
              and len(err.splitlines()) == 1)
    r = subprocess.run([LOG_BIN, "--max-bytes", "12x", os.path.join(d, "a.log"), "true"],
                       capture_output=True, timeout=60)
    tap.check(f"--max-bytes 12x refused: exit {r.returncode}, {r.stderr.decode().strip()}",
                r.returncode == 2 and not os.path.exists(os.path.join(d, "a.log")))
    p, w = start(d, N, [os.path.join(d, "no-such-service")])
    p.communicate(timeout=60)
    wait_writer(w, "a service that is not there")
    said = read(os.path.join(d, "svc.log")).decode(errors="replace").strip()
    tap.check(f"a service that cannot be executed: exit {p.returncode}, in its log: {said}",
              p.returncode == 127 and "cannot run" in said)


def main():
    if not os.access(LOG_BIN, os.X_OK):
        raise FileNotFoundError(f"{LOG_BIN} is not built (make)")
    subreaper()
    for part in (bulk, long_line, follow, refusals):
        with tempfile.TemporaryDirectory(prefix=f"sealroom-log-{part.__name__}-") as d:
            t0 = time.monotonic()
            part(d)
            print(f"# {part.__name__}: {time.monotonic() - t0:.1f} s")
    return tap.finish()


tap.main(main)
