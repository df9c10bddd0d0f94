#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""e2ee-media keyed through the control socket, without keyxchgd.

A fake keyxchgd (a Unix socket speaking keyxchg/CONTROL.md: it answers the
subscribe request, then pushes media-key and send-kid events) keys two
senders (sender 1 learns its index from its keys, sender 2 is told) and one
receiver with a receive branch per sender, over loopback UDP. Mid-stream:
malformed lines (refused, nothing crashes), a restart of the receiver's
keyxchgd (the provider reconnects), then a key rotation of sender 1 (new
epoch installed, send KID switched, old keys removed): decoding must go on
under the new keys with no authentication failure. TAP output.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish, free_ports  # noqa: E402
import tap  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
MEDIA = os.path.join(BUILD, "bin", "e2ee-media")


def kid(stream, sender, epoch):
    return stream << 24 | sender << 8 | epoch


class FakeKeyxchgd:
    """One client at a time; answers subscribe, sends what push() is given."""

    def __init__(self, path):
        self.path = path
        self.conn = None
        self.subscribed = threading.Event()
        self.requests = []
        self.lock = threading.Lock()
        self.listen()

    def listen(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.subscribed.clear()
        threading.Thread(target=self.serve, args=(self.sock,), daemon=True).start()

    def serve(self, sock):
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with self.lock:
            self.conn = conn
        buf = b""
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                req = json.loads(line)
                self.requests.append(req)
                if req.get("cmd") == "subscribe":
                    self.send_raw(json.dumps({"id": req["id"], "ok": True}).encode())
                    self.subscribed.set()

    def send_raw(self, data):
        with self.lock:
            self.conn.sendall(data + b"\n")

    def push(self, obj):
        self.send_raw(json.dumps(obj).encode())

    def install(self, k, usage, key):
        self.push({"event": "media-key", "action": "install", "kid": k, "usage": usage,
                   "key": key.hex()})

    def remove(self, k, usage):
        self.push({"event": "media-key", "action": "remove", "kid": k, "usage": usage})

    def go_away(self):
        """keyxchgd goes away: connection and socket."""
        with self.lock:
            # shutdown first: close alone does not end a recv() in progress
            self.conn.shutdown(socket.SHUT_RDWR)
            self.conn.close()
            self.conn = None
        self.sock.close()
        os.unlink(self.path)

    def restart(self, downtime):
        """keyxchgd goes away and comes back."""
        self.go_away()
        time.sleep(downtime)
        self.listen()

    def close(self):
        self.sock.close()
        if self.conn:
            self.conn.close()


class Proc:
    """A process whose output lines are collected as they come."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        self.lines = []
        self.t = threading.Thread(target=self.read, daemon=True)
        self.t.start()

    def read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern, count=1, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [l for l in list(self.lines) if re.search(pattern, l)]
            if len(found) >= count:
                return found[count - 1]
            if self.p.poll() is not None:
                self.t.join(timeout=2)
                found = [l for l in self.lines if re.search(pattern, l)]
                return found[count - 1] if len(found) >= count else None
            time.sleep(0.05)
        return None

    def finish(self, timeout=60):
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.t.join(timeout=5)
        return self.p.returncode

    def text(self):
        return "\n".join(self.lines)


def counts(line, sender):
    m = re.search(r"sender=%d video-frames=(\d+) audio-frames=(\d+) decoded-frames=(\d+) "
                  r"auth-failed=(\d+)(?: lost=(\d+))?" % sender, line or "")
    # (video, audio, decoded, auth-failed, RTP packets lost or late: 0 when not said)
    return tuple(int(x or 0) for x in m.groups()) if m else None


MALFORMED = [
    b"not json at all",
    b'{"event":"media-key","action":"install","kid":16777472,"usage":"receive","key":"abc"}',
    b'{"event":"media-key","action":"install","kid":16777472,"usage":"receive",'
    b'"key":"' + b"zz" * 16 + b'"}',
    b'{"event":"media-key","action":"install","kid":16777472,"usage":"receive",'
    b'"key":"' + b"11" * 16 + b'","extra":1}',
    b'{"event":"media-key","action":"remove","kid":4294967296,"usage":"receive"}',
    b'{"event":"media-key","action":"remove","kid":16777472,"usage":"both"}',
    b'{"event":"media-key","action":"remove","kid":16777472,"kid":1,"usage":"receive"}',
    b'{"event":"send-kid","kid":-1}',
    b'{"event":"roster","epoch":1,"participants":[]}',
    b"[1,2,3]",
    b'{"event":"media-key","action":"install","kid":16777472,"usage":"receive","key":"'
    + b"00" * 6000 + b'"}',
]


def main():
    if not os.access(MEDIA, os.X_OK):
        print(f"Bail out! {MEDIA} not built")
        return 1
    tmp = tempfile.mkdtemp(prefix="e2ee-kp-")
    v1, a1, v2, a2 = free_ports(4)
    k = {(e, s, st): os.urandom(16) for e in (0, 1) for s in (1, 2) for st in (0, 1)}
    srv = {n: FakeKeyxchgd(os.path.join(tmp, n + ".sock")) for n in ("recv", "s1", "s2")}
    procs = []
    try:
        recv = Proc([MEDIA, "receive", "--control", srv["recv"].path, "--peer", f"1:{v1}:{a1}",
                     "--peer", f"2:{v2}:{a2}", "--seconds", "16",
                     "--snapshot-prefix", os.path.join(tmp, "peer-")])
        procs.append(recv)
        ok = recv.wait_for("receiver ready") and srv["recv"].subscribed.wait(30)
        check("receiver subscribes to keys and state", ok and
              srv["recv"].requests[0] == {"id": "media-keys", "cmd": "subscribe",
                                          "events": ["keys", "state"]}, recv.text())
        r = srv["recv"]
        r.push({"event": "state", "state": "in-meeting", "meeting": "kp-test", "epoch": 0})
        for s in (1, 2):
            for st in (0, 1):
                r.install(kid(st, s, 0), "receive", k[(0, s, st)])
        check("receiver installs four receive keys",
              recv.wait_for(r"key install .* applied=1", 4, 20), recv.text())

        s1 = Proc([MEDIA, "send", "--control", srv["s1"].path, "--video-port", str(v1),
                   "--audio-port", str(a1), "--seconds", "11"])
        s2 = Proc([MEDIA, "send", "--control", srv["s2"].path, "--sender-index", "2",
                   "--video-port", str(v2), "--audio-port", str(a2), "--seconds", "11",
                   "--width", "320", "--height", "180"])
        procs += [s1, s2]
        for n, s, p in (("s1", 1, s1), ("s2", 2, s2)):
            ok = p.wait_for("sender ready") and srv[n].subscribed.wait(30)
            check(f"sender {s} subscribes", ok, p.text())
            srv[n].push({"event": "state", "state": "in-meeting", "meeting": "kp-test",
                         "epoch": 0})
            for st in (0, 1):
                srv[n].install(kid(st, s, 0), "send", k[(0, s, st)])
            for st in (0, 1):
                srv[n].push({"event": "send-kid", "kid": kid(st, s, 0)})
            check(f"sender {s} installs its send keys and switches",
                  p.wait_for(r"key send-kid .* applied=1", 2, 20), p.text())
        check("sender 1 learned its sender index from its keys",
              s1.wait_for(r"sender index 1 \(from the first send key\)", 1, 1), s1.text())
        # A send key of another sender is not ours: refused by the provider.
        srv["s2"].install(kid(1, 3, 0), "send", os.urandom(16))
        check("a send key of another sender is not applied",
              s2.wait_for(r"key install kid=%d usage=send applied=0" % kid(1, 3, 0), 1, 10),
              s2.text())

        time.sleep(2.5)
        for line in MALFORMED:
            r.send_raw(line)
        for line in MALFORMED[:3]:
            srv["s1"].send_raw(line)
        got = recv.wait_for(r"refused a line", len(MALFORMED), 10)
        check(f"receiver refuses {len(MALFORMED)} malformed lines", got, recv.text())
        check("the refusals do not quote the lines",
              not any("zzzz" in l or "0000000000" in l for l in recv.lines), recv.text())

        # keyxchgd restarts: the provider reconnects with backoff.
        r.restart(0.7)
        ok = r.subscribed.wait(20) and recv.wait_for("keyxchgd connected", 2, 10)
        check("receiver reconnects after keyxchgd restarts", ok, recv.text())

        # Rotation of sender 1: receive keys of epoch 1 first, then the
        # sender's new send keys and KID, then the old keys go.
        for st in (0, 1):
            r.install(kid(st, 1, 1), "receive", k[(1, 1, st)])
        before = counts(recv.wait_for(
            r"key install kid=%d .* applied=1" % kid(0, 1, 1), 1, 10), 1)
        for st in (0, 1):
            srv["s1"].install(kid(st, 1, 1), "send", k[(1, 1, st)])
        for st in (0, 1):
            srv["s1"].push({"event": "send-kid", "kid": kid(st, 1, 1)})
        check("sender 1 switches to epoch 1",
              s1.wait_for(r"key send-kid kid=%d .* applied=1" % kid(1, 1, 1), 1, 10),
              s1.text())
        time.sleep(1.5)
        for st in (0, 1):
            srv["s1"].remove(kid(st, 1, 0), "send")
            r.remove(kid(st, 1, 0), "receive")
        removed = recv.wait_for(r"key remove kid=%d .* applied=1" % kid(0, 1, 0), 1, 10)
        at_removal = counts(removed, 1)
        check("old keys of sender 1 removed on both sides", removed and
              s1.wait_for(r"key remove kid=%d .* applied=1" % kid(1, 1, 0), 1, 10),
              recv.text() + s1.text())

        rc = {n: p.finish(60) for n, p in (("s1", s1), ("s2", s2), ("recv", recv))}
        check("senders exit 0", rc["s1"] == 0 and rc["s2"] == 0, s1.text() + s2.text())
        check("receiver exits 0", rc["recv"] == 0, recv.text())
        final1 = counts(recv.wait_for(r"^receiver sender=1 ", 1, 1), 1)
        final2 = counts(recv.wait_for(r"^receiver sender=2 ", 1, 1), 2)
        detail = f"before={before} at_removal={at_removal} final1={final1} final2={final2}\n"
        check(f"sender 1 decoded under epoch 0 before the rotation ({before})",
              before and before[0] > 30 and before[3] <= before[4], detail)
        check("sender 1 frames keep growing after the old keys went "
              f"({at_removal} -> {final1})", at_removal and final1 and
              final1[0] >= at_removal[0] + 45 and final1[1] >= at_removal[1] + 75 and
              final1[2] >= at_removal[2] + 45, detail + recv.text())
        check(f"sender 2 decoded all along ({final2})", final2 and final2[0] > 150 and
              final2[2] > 150, detail + recv.text())
        # A packet lost inside a NAL makes that frame fail authentication, as
        # it must; keys that do not fit would fail every frame. So: no more
        # failures than packets the jitterbuffers lost (0 on a quiet machine).
        check("no authentication failures beyond lost packets "
              f"(sender 1: {final1 and final1[3]} failed, {final1 and final1[4]} lost; "
              f"sender 2: {final2 and final2[3]} failed, {final2 and final2[4]} lost)",
              final1 and final2 and final1[3] <= final1[4] and final2[3] <= final2[4],
              recv.text())
        st = recv.wait_for(r"^receiver keyprovider:", 1, 1) or ""
        check("receiver provider stats: 2 connects, every malformed line refused",
              "connects=2 " in st and f"refused={len(MALFORMED)} " in st, st)
        for s in (1, 2):
            png = os.path.join(tmp, f"peer-{s}.png")
            ok = os.path.exists(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
            check(f"snapshot of sender {s}", ok, recv.text())
        everything = "\n".join(p.text() for p in procs)
        leaked = [key.hex() for key in k.values() if key.hex() in everything]
        check("no key appears in any output", not leaked, ", ".join(leaked))
    finally:
        for p in procs:
            if p.p.poll() is None:
                p.p.kill()
        for s in srv.values():
            s.close()
    return finish()


if __name__ == "__main__":
    tap.main(main)
