#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a crash of keyxchgd or sealroom-screen leaves (rootfs/crash-report.h).

The services are undumpable (no core: they hold keys), so their log is all a
crash leaves, and none may dump core (keys, decoded video): each must be
undumpable (/proc/PID owned by root, its core limit 0). Each is started as its own user (keyxchgd with the relay
fixture, the screen on the soft display), SIGSEGV is sent from outside to
stand for a crash, and its log must say it: "PROG: crashed: SIGSEGV in
thread "NAME"; its stack:" then the stack's frames naming the binary, and
the process must end by the signal. Under AddressSanitizer the report is
ASan's own (crash-report does nothing there): its SEGV report and a failed
exit. roomd's is checked in test_roomd_janus_closed.py.
TAP output.
"""
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402
import users  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
LOGS = os.path.join(BUILD, "test-logs")
ASAN = bool(os.environ.get("ASAN_OPTIONS"))


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def undumpable(name, pid):
    """/proc/PID's files belong to root when the process is not dumpable (it
    runs as its own user here); its core size limit is 0."""
    uid = os.stat(f"/proc/{pid}/environ").st_uid
    euid = int(read(f"/proc/{pid}/status").split("Uid:")[1].split()[1])
    core = [ln for ln in read(f"/proc/{pid}/limits").splitlines()
            if ln.startswith("Max core file size")]
    check(f"{name} runs as uid {euid} and is undumpable: /proc/PID owned by uid {uid}, "
          f"{core[0].split()[4:6] if core else '?'} core", euid != 0 and uid == 0 and
          core and core[0].split()[4:6] == ["0", "0"], core)


def crashed(name, proc, log):
    """SIGSEGV to proc; whether its log and status say the crash."""
    proc.send_signal(signal.SIGSEGV)
    tap.wait_until(lambda: proc.poll() is not None, 30, f"{name} ending on SIGSEGV")
    rc, text = proc.poll(), read(log)
    lines = [ln for ln in text.splitlines() if "crashed" in ln or "AddressSanitizer" in ln]
    if ASAN:
        ok = rc != 0 and "ERROR: AddressSanitizer: SEGV" in text
        what = "AddressSanitizer's report"
    else:
        ok = (rc == -signal.SIGSEGV and bool(lines) and
              lines[0].startswith(f'{name}: crashed: SIGSEGV in thread "') and
              lines[0].endswith('"; its stack:') and f"{name}(" in text)
        what = "its thread, then its stack"
    check(f"{name}: a crash names itself ({what}): {lines[:1]}; status {rc}", ok, text[-1500:])


def main():
    os.makedirs(LOGS, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        relay, port, certs = roomproc.start_relay(tmp)
        try:
            log = os.path.join(LOGS, "crash-keyxchgd.log")
            with open(log, "w") as err:
                kx, sock, codeword = roomproc.keyxchgd(
                    BIN, os.path.join(tmp, "kx"), f"wss://localhost:{port}",
                    os.path.join(certs, "ca.pem"), "room-1", err)
            check(f"keyxchgd runs (codeword {codeword})", kx.poll() is None)
            undumpable("keyxchgd", kx.pid)
            crashed("keyxchgd", kx, log)

            d = users.frames_dir(os.path.join(tmp, "screen"))
            log = os.path.join(LOGS, "crash-sealroom-screen.log")
            screen = roomproc.Screen(BIN, "sealroom-screen", os.path.join(d, "screen.png"),
                                     os.path.join(d, "frames.sock"), sock, log)
            check("sealroom-screen runs", screen.proc.poll() is None)
            undumpable("sealroom-screen", screen.proc.pid)
            crashed("sealroom-screen", screen.proc, log)
        finally:
            relay.terminate()
            relay.wait()
    return finish()


if __name__ == "__main__":
    tap.main(main)
