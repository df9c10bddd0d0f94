#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The key provider against a keyxchgd that goes away or is not keyxchgd
(issue 11, finding 4). TAP output.

* keyxchgd gone for good: the screen says "Waiting for keys" at once, and
  the keys go after their grace (given short here with --key-grace-ms);
* a KID installed again: the same key is kept, another key is an error;
* a socket in a directory others may write is not used;
* a socket whose server end is another user (SO_PEERCRED) is not used
  (as root only: the server drops to uid 65534).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish, free_ports  # noqa: E402
from test_keyprovider import MEDIA, FakeKeyxchgd, Proc, kid  # noqa: E402


def receiver(path, *extra):
    v, a = free_ports(2)
    return Proc([MEDIA, "receive", "--control", path, "--peer", f"1:{v}:{a}", "--seconds", "8",
                 *extra])


def keys_outlive_keyxchgd(tmp):
    srv = FakeKeyxchgd(os.path.join(tmp, "kx.sock"))
    recv = receiver(srv.path, "--key-grace-ms", "300:900")
    try:
        ok = recv.wait_for("receiver ready") and srv.subscribed.wait(20)
        check("receiver subscribes", ok, recv.text())
        srv.push({"event": "state", "state": "in-meeting", "meeting": "t", "epoch": 0})
        key_a, key_b = os.urandom(16), os.urandom(16)
        for st in (0, 1):
            srv.install(kid(st, 1, 0), "receive", key_a)
        check("two receive keys installed", recv.wait_for(r"key install .* applied=1", 2, 10),
              recv.text())
        srv.install(kid(1, 1, 0), "receive", key_a)
        check("the same key again is kept", recv.wait_for(r"the same key again, kept", 1, 10),
              recv.text())
        srv.install(kid(1, 1, 0), "receive", key_b)
        check("another key under the KID is a loud error",
              recv.wait_for(r"ERROR: kid=%d usage=receive installed again with a DIFFERENT key"
                            % kid(1, 1, 0), 1, 10) and
              recv.wait_for(r"key install kid=%d usage=receive applied=0" % kid(1, 1, 0), 1, 5),
              recv.text())
        # keyxchgd goes away for good.
        t0 = time.monotonic()
        srv.go_away()
        check("the screen says Waiting for keys at once",
              recv.wait_for("display e2ee waiting-for-keys", 1, 5), recv.text())
        gone = recv.wait_for(r"keyprovider: remove kid=%d usage=receive: ok" % kid(0, 1, 0), 1, 10)
        took = time.monotonic() - t0
        check(f"the receive keys went after their grace ({took:.1f} s)",
              gone and recv.wait_for(r"keyprovider: remove kid=%d usage=receive: ok"
                                     % kid(1, 1, 0), 1, 5) and
              recv.wait_for(r"still away after 900 ms: removing the receive keys", 1, 1),
              recv.text())
        recv.finish(30)
        check("no key appears in the output",
              key_a.hex() not in recv.text() and key_b.hex() not in recv.text())
    finally:
        if recv.p.poll() is None:
            recv.p.kill()
        srv.close()


def untrusted_directory(tmp):
    d = os.path.join(tmp, "open")
    os.mkdir(d)
    os.chmod(d, 0o777)
    srv = FakeKeyxchgd(os.path.join(d, "kx.sock"))
    recv = receiver(srv.path)
    try:
        ok = recv.wait_for(r"ERROR: refusing keyxchgd at .*: its directory", 1, 10)
        check("a socket in a directory others may write is refused",
              ok and not srv.subscribed.wait(1), recv.text())
    finally:
        recv.p.kill()
        recv.finish(10)
        srv.close()


SERVER = """
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4)
print("listening", flush=True)
c, _ = s.accept()
time.sleep(20)
"""


def foreign_peer(tmp):
    if os.geteuid() != 0:
        check("# SKIP a server end of another user needs root", True)
        return
    spool = tempfile.mkdtemp(prefix="kx-foreign-")
    os.chmod(spool, 0o777)
    good = os.path.join(tmp, "good")
    os.mkdir(good, 0o700)
    path = os.path.join(good, "kx.sock")
    srv = subprocess.Popen(["/usr/bin/python3", "-c", SERVER, os.path.join(spool, "kx.sock")],
                           stdout=subprocess.PIPE, text=True, user=65534, group=65534)
    try:
        check("a server of uid 65534 listens", srv.stdout.readline().strip() == "listening")
        # Moved into a directory of ours: only its server end tells whose it is.
        os.rename(os.path.join(spool, "kx.sock"), path)
        recv = receiver(path)
        ok = recv.wait_for(r"ERROR: refusing keyxchgd at .*: the peer's uid 65534", 1, 10)
        recv.p.kill()
        recv.finish(10)
        check("a socket whose server end is another user is refused", ok, recv.text())
    finally:
        srv.kill()
        srv.wait()
        shutil.rmtree(spool, ignore_errors=True)


def main():
    if not os.access(MEDIA, os.X_OK):
        print(f"Bail out! {MEDIA} not built")
        return 1
    tmp = tempfile.mkdtemp(prefix="e2ee-kp-trust-")
    try:
        keys_outlive_keyxchgd(tmp)
        untrusted_directory(tmp)
        foreign_peer(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
