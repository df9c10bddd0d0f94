#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tap.py's promises, checked on small scripts run as children: an exception
out of main() is a failed test with a plan, never a pass count; a failed
child is named with its last lines; a wait that gives up names what it
waited for."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, finish  # noqa: E402

PRELUDE = f"""
import os, subprocess, sys
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
import tap
from tap import check, finish
"""


def script(body, tmp):
    path = os.path.join(tmp, f"child{len(os.listdir(tmp))}.py")
    with open(path, "w") as f:
        f.write(PRELUDE + body)
    r = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, TEST_LOGS=os.path.join(tmp, "logs")))
    return r.returncode, r.stdout + r.stderr


def main():
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = script("""
def main():
    check("first", True)
    raise BrokenPipeError("the pipe broke")
tap.main(main)
""", tmp)
        check("an exception out of main() is a failed test, with the exception and a plan",
              rc == 1 and "ok 1 - first" in out and
              "not ok 2 - " in out and "BrokenPipeError: the pipe broke" in out and
              out.rstrip().endswith("1..2"), out)

        rc, out = script("""
def main():
    subprocess.Popen(["sh", "-c", "echo the last words of a child; exit 3"],
                     stdout=subprocess.DEVNULL).wait()
    subprocess.run(["sh", "-c", "echo quiet >&2; exit 0"], capture_output=True)
    check("fails", False)
    return finish()
tap.main(main)
""", tmp)
        check("a failed test names the child that exited non-zero with its last lines "
              "(its output sent to /dev/null went to a log), not the one that exited 0",
              rc == 1 and "exited with status 3" in out and "the last words of a child" in out
              and "quiet" not in out, out)

        rc, out = script("""
def main():
    tap.wait_until(lambda: False, 0.2, "a file that never comes")
tap.main(main)
""", tmp)
        check("a wait that gives up names what it waited for",
              rc == 1 and "gave up after 0.2 s waiting for a file that never comes" in out, out)

        rc, out = script("""
def main():
    check("one", True)
    return finish()
tap.main(main)
""", tmp)
        check("a passing script exits 0 with its plan", rc == 0 and out.rstrip().endswith("1..1"),
              out)

        # A script that ends early (an exception; SIGTERM) leaves no child
        # running: one that ignores SIGTERM is killed after the bounded wait.
        for how, end in (("an exception", 'raise RuntimeError("early")'),
                         ("SIGTERM", "os.kill(os.getpid(), 15); time.sleep(30)")):
            rc, out = script(f"""
import signal, time
def main():
    a = subprocess.Popen(["sleep", "300"])
    # SIGTERM ignored from before the exec (an ignored signal stays so).
    b = subprocess.Popen(["sleep", "301"],
                         preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN))
    print("# pids", a.pid, b.pid, flush=True)
    {end}
tap.main(main)
""", tmp)
            pids = [int(x) for ln in out.splitlines() if ln.startswith("# pids")
                    for x in ln.split()[2:]]
            alive = [p for p in pids if os.path.exists(f"/proc/{p}") and
                     open(f"/proc/{p}/stat").read().split()[2] != "Z"]
            check(f"a script that ends early ({how}) stops the children it started, "
                  "naming them, and kills one that ignores SIGTERM",
                  rc == 1 and len(pids) == 2 and not alive and
                  out.count("still running at the end") == 2 and "killing it" in out,
                  out)
    return finish()


if __name__ == "__main__":
    tap.main(main)
