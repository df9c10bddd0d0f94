# SPDX-License-Identifier: MIT
"""TAP output, loopback ports and children that say why they failed, for the
Python tests and make run.

A script imports this module first and ends with `tap.main(main)`:

* check() prints one TAP line; finish() the plan and the exit status;
* an exception out of main() is a failed test ("not ok N - SCRIPT raised
  ..."), with its traceback as comments, never a pass count;
* every child process (subprocess.Popen and run, wherever they are called
  from) is tracked: output a script sent to /dev/null goes to a log file under
  $TEST_LOGS/children instead, a log file the script passed as stdout or
  stderr is remembered, and output read through communicate() is kept.
  When the script fails, each child that exited non-zero (not from our own
  SIGTERM/SIGKILL), or a service whose output went to a log and that printed
  nothing, is named with the last lines of its output.
* whatever way the script ends (a pass, a failure, an exception, SIGTERM,
  Ctrl-C), every child still running is stopped (SIGTERM, then SIGKILL after
  a bounded wait), newest first, and named: a test that ends early leaves no
  keyxchgd, roomd, screen, relay or Janus behind.
"""
import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import traceback

results = []
TAIL = 20
_children = []
_all_children = []     # stop_children()'s: every child, described or not
_RealPopen = subprocess.Popen
_logdir = os.path.join(os.environ.get("TEST_LOGS", os.path.join("build", "test-logs")),
                       "children",
                       os.path.splitext(os.path.basename(sys.argv[0] or "python"))[0])


class TrackedPopen(_RealPopen):
    """subprocess.Popen that keeps what it needs to explain a failure."""

    def __init__(self, args, *a, **kw):
        self.log_path = None
        self.kept = b""
        argv = [args] if isinstance(args, (str, bytes)) else list(args)
        self.what = " ".join(os.path.basename(str(x)) if i == 0 else str(x)
                             for i, x in enumerate(argv[:4]))
        logf = None
        if kw.get("stdout") == subprocess.DEVNULL:
            os.makedirs(_logdir, exist_ok=True)
            self.log_path = os.path.join(
                _logdir, f"{len(_children) + 1}-{os.path.basename(str(argv[0]))}.log")
            logf = open(self.log_path, "wb")
            kw["stdout"] = logf
            if kw.get("stderr") == subprocess.DEVNULL:
                kw["stderr"] = subprocess.STDOUT
        for stream in (kw.get("stdout"), kw.get("stderr")):
            if self.log_path is None and isinstance(getattr(stream, "name", None), str):
                self.log_path = stream.name   # a log file the caller opened
        try:
            super().__init__(args, *a, **kw)
        finally:
            if logf:
                logf.close()
        _children.append(self)
        _all_children.append(self)

    def communicate(self, *a, **kw):
        out, err = super().communicate(*a, **kw)
        for part in (out, err):
            if part:
                b = part.encode(errors="replace") if isinstance(part, str) else part
                self.kept = (self.kept + b)[-16384:]
        return out, err

    def output_tail(self, n=TAIL):
        if self.poll() is not None and ((self.stdout and not self.stdout.closed) or
                                        (self.stderr and not self.stderr.closed)):
            try:    # an exited child's pipe nobody read yet
                self.communicate(timeout=2)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                pass
        data = self.kept
        if self.log_path and os.path.exists(self.log_path):
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 16384))
                data = f.read()
        return data.decode(errors="replace").splitlines()[-n:]


subprocess.Popen = TrackedPopen


def describe_children(out=sys.stdout, prefix="# "):
    """Names every child that failed or printed nothing, with its last lines."""
    ours = (-signal.SIGTERM, -signal.SIGKILL)
    for c in _children:
        rc = c.poll()
        lines = c.output_tail()
        if rc is None or rc in ours:
            continue
        if rc == 0 and (lines or not c.log_path):
            continue
        why = f"exited with status {rc}" if rc else "exited 0 but printed nothing"
        print(f"{prefix}child {c.what} {why}" +
              (f"; its last {len(lines)} lines:" if lines else "; no output"),
              file=out, flush=True)
        for line in lines:
            print(f"{prefix}  {line}", file=out, flush=True)
    del _children[:]


def stop_children(seconds=10, out=sys.stdout, prefix="# "):
    """Every tracked child still running: SIGTERM, a bounded wait, SIGKILL."""
    left = [c for c in reversed(_all_children) if c.poll() is None]
    for c in left:
        print(f"{prefix}still running at the end: {c.what} (pid {c.pid}); stopping it",
              file=out, flush=True)
        try:
            c.terminate()
        except OSError:
            pass
    end = time.monotonic() + seconds
    for c in left:
        try:
            c.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{prefix}{c.what} (pid {c.pid}) ignored SIGTERM for {seconds} s; killing it",
                  file=out, flush=True)
            c.kill()
            c.wait()
    del _all_children[:]


atexit.register(stop_children)


def _sigterm(signum, frame):
    raise SystemExit(f"killed by signal {signum}")


def check(name, ok, detail=""):
    """One TAP line; on failure the last 40 lines of detail as comments."""
    results.append(bool(ok))
    print(("ok" if ok else "not ok"), len(results), "-", name, flush=True)
    if not ok and detail:
        for line in str(detail).splitlines()[-40:]:
            print("#", line)
    return bool(ok)


def finish():
    """The plan line; the exit status."""
    if not all(results):
        describe_children()
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


def main(fn):
    """Runs fn() (which returns finish()); an exception is a failed test.
    Whatever way it ends, the children still running are stopped."""
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        rc = fn()
    except BaseException as e:  # noqa: BLE001 (SystemExit and Ctrl-C included)
        if isinstance(e, SystemExit) and e.code in (0, None) and all(results):
            stop_children()
            sys.exit(0)
        name = os.path.basename(sys.argv[0])
        what = str(e.code) if isinstance(e, SystemExit) else f"{type(e).__name__}: {e}"
        check(f"{name} ended early: {what}", False, traceback.format_exc())
        stop_children()
        rc = finish()
    stop_children()
    sys.exit(rc if isinstance(rc, int) else 1)


def wait_until(pred, seconds, what):
    """Polls pred() until it is true; gives up after seconds, naming what."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    if not pred():
        raise TimeoutError(f"gave up after {seconds} s waiting for {what}")


def free_ports(n, kind=socket.SOCK_DGRAM):
    """n UDP (or kind) ports on 127.0.0.1 that were free a moment ago."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, kind)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports
