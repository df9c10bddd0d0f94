#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a hostile screen, and a long-lived room, can cost roomd (security
review 6, findings 3, 10 and 14).

roomd (plain RTP on loopback) is keyed by the key provider directly: a
keyxchgd that speaks keyxchg/CONTROL.md (test_keyprovider's FakeKeyxchgd,
root: roomd trusts it). Its screen is this test: a root listener on the
frame socket that takes BUFFERS and FRAME (releasing every frame at once)
and sends what a compromised screen would. Checked:

* peer table: 64 distinct senders come and go one after another (receive
  keys installed, then removed: roomd makes the branch, removes it, and the
  screen hears GONE), then a 65th, a real e2ee-media sender at 320x180 keyed
  the same way: its frames reach the screen (roomd kept every sender it had
  ever seen and refused the 65th);
* log flood: MEDIA back to back (the review's flood_screen.c) at one volume
  gives one "microphone" line; at alternating volumes the screen's lines
  stay within their rate limit (20 in 10 s) and a "suppressed" line says
  how many more there were;
* TILE: 8192x8192 (the review's 1.3 GiB) and 1921x1080 (one pixel beyond
  the default --max-tile, 1920x1080) are refused and close the connection;
  1920x1080 (the screen's size) is taken: the sender's ring at it, roomd's
  VmRSS and RssShmem under a bound computed from that ring (the most a
  TILE can cost a sender); 160x90 scales down; a TILE changing at 10 Hz
  moves the sender's ring no more than once a second after a burst of 4,
  and roomd survives it (it stopped with not-negotiated before);
* the end lines: the 65 branches counted, the refusals counted, roomd
  exits 0.
TAP output.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from tap import check, finish  # noqa: E402
from test_keyprovider import FakeKeyxchgd, kid  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
LOGS = os.path.join(BUILD, "test-logs")

BUFFERS, FRAME, GONE, MEDIA_STATE, RELEASE, TILE, MEDIA = 1, 2, 3, 4, 16, 17, 18
MAX_TILE = (1920, 1080)            # roomd's default --max-tile
FIRST, LAST = 2, 66                # senders 2..65 come and go; 66 is the 65th
MIB = 1 << 20


def msg(typ, a=0, b=0, c=0, d=0):
    """A screen -> roomd message as docs/frames.md writes it (24 bytes)."""
    return b"SFRM" + struct.pack("<HHIIII", 2, typ, a, b, c, d)


def mem(pid):
    out = {}
    for ln in open(f"/proc/{pid}/status"):
        k, _, v = ln.partition(":")
        if k in ("VmRSS", "RssShmem"):
            out[k] = int(v.split()[0]) * 1024
    return out


class Screen:
    """This test as roomd's screen: every message roomd sends is recorded
    (with the connection it came on), every FRAME released at once, every
    fd closed (keep: kept open, in kept, as a compromised screen may); a
    connection roomd loses is accepted again. A BUFFERS event is (time,
    "buffers", sender, (width, height), connection, ring, count, size,
    offset, (st_dev, st_ino) of its fd)."""

    def __init__(self, path, keep=False):
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.ls.bind(path)
        os.chmod(path, 0o666)
        self.ls.listen(2)
        self.ls.settimeout(1)
        self.lock = threading.Lock()
        self.conn, self.conns, self.events, self.keep, self.kept = None, 0, [], keep, []
        self.stopping = False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.ls.accept()
            except (socket.timeout, OSError):
                continue
            c.settimeout(0.5)
            with self.lock:
                self.conn = c
                self.conns += 1
                conn = self.conns
            while not self.stopping:
                try:
                    m, fds, _, _ = socket.recv_fds(c, 64, 8)
                except socket.timeout:
                    continue
                except OSError:
                    m, fds = b"", []
                st = os.fstat(fds[0]) if fds else None
                with self.lock:
                    if self.keep:
                        self.kept.extend(fds)
                    else:
                        for fd in fds:
                            os.close(fd)
                if not m:
                    break
                typ = struct.unpack_from("<H", m, 6)[0]
                now = time.monotonic()
                if typ == BUFFERS:
                    s, ring, count, w, h = struct.unpack_from("<IIIII", m, 8)
                    size, offset = struct.unpack_from("<QQ", m, 36)
                    self.events.append((now, "buffers", s, (w, h), conn, ring, count, size,
                                        offset, (st.st_dev, st.st_ino) if st else None))
                elif typ == FRAME:
                    s, ring, idx = struct.unpack_from("<III", m, 8)
                    self.events.append((now, "frame", s, None))
                    try:
                        c.send(msg(RELEASE, s, ring, idx))
                    except OSError:
                        pass
                elif typ == GONE:
                    self.events.append((now, "gone", struct.unpack_from("<I", m, 8)[0], None))
            with self.lock:
                if self.conn is c:
                    self.conn = None
            c.close()

    def send(self, data, flags=0):
        with self.lock:
            c = self.conn
        if c is None:
            raise RuntimeError("roomd is not connected to the test's screen")
        return c.send(data, flags)

    def of(self, kind, sender, since=0.0):
        return [e for e in list(self.events) if e[1] == kind and e[2] == sender and e[0] >= since]

    def hang_up(self):
        with self.lock:
            c = self.conn
        if c is not None:
            c.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.stopping = True
        self.ls.close()
        with self.lock:
            for fd in self.kept:
                os.close(fd)
            self.kept = []


def peer_table(rd, kx, screen, keys):
    """64 distinct senders one after another, then the 65th."""
    for s in range(FIRST, LAST):
        for st in (0, 1):
            kx.install(kid(st, s, 0), "receive", keys[s])
        for st in (0, 1):
            kx.remove(kid(st, s, 0), "receive")
        tap.wait_until(lambda s=s: screen.of("gone", s) or rd.proc.poll() is not None, 60,
                       f"GONE of sender {s} on the screen (its branch made and removed)")
    gone = [s for s in range(FIRST, LAST) if screen.of("gone", s)]
    check(f"{len(gone)} distinct senders came and went (a branch each, GONE to the screen)",
          len(gone) == LAST - FIRST and rd.proc.poll() is None, rd.text()[-1500:])


def start_sender(tmp, rx_base, key, sender=LAST, log="roomd-hostile-sender.log"):
    """e2ee-media as sender at 320x180, keyed through its own fake keyxchgd."""
    kx = FakeKeyxchgd(os.path.join(tmp, f"sender-{sender}-kx.sock"))
    log = open(os.path.join(LOGS, log), "w")
    p = subprocess.Popen([os.path.join(BIN, "e2ee-media"), "send", "--control", kx.path,
                          "--sender-index", str(sender), "--video-port",
                          str(rx_base + 2 * sender), "--audio-port",
                          str(rx_base + 2 * sender + 1), "--width", "320",
                          "--height", "180", "--seconds", "900"], stdout=log, stderr=subprocess.STDOUT)
    if not kx.subscribed.wait(120):
        raise RuntimeError(f"the e2ee-media sender {sender} never subscribed "
                           f"(status {p.poll()})")
    kx.push({"event": "state", "state": "in-meeting", "meeting": "hostile", "epoch": 0})
    for st in (0, 1):
        kx.install(kid(st, sender, 0), "send", key)
    for st in (0, 1):
        kx.push({"event": "send-kid", "kid": kid(st, sender, 0)})
    return p, kx


def lines(rd):
    return rd.text().splitlines()


def log_flood(rd, screen):
    """MEDIA back to back: at one volume, then alternating."""
    def flood(seconds, volumes):
        sent, end, i = 0, time.monotonic() + seconds, 0
        while time.monotonic() < end:
            try:
                screen.send(msg(MEDIA, 0, 0, volumes[i % len(volumes)]), socket.MSG_DONTWAIT)
                sent += 1
                i += 1
            except (BlockingIOError, TimeoutError):    # roomd's queue full: it is behind
                time.sleep(0.001)
        return sent

    n0 = len(lines(rd))
    mic0 = len(rd.lines("roomd: microphone"))
    sent = flood(2, [50])
    time.sleep(1)
    got = rd.lines("roomd: microphone")[mic0:]
    check(f"{sent} MEDIA at one volume back to back: {len(got)} microphone line "
          f"({len(lines(rd)) - n0} lines in all; the review counted 35 219 in 3.5 s)",
          len(got) == 1 and got[0].startswith("roomd: microphone on, camera on, volume 50%"),
          got[-5:])
    n1 = len(lines(rd))
    sent = flood(3, [60, 70])
    time.sleep(1)
    new = lines(rd)[n1:]
    mic = [ln for ln in new if ln.startswith("roomd: microphone")]
    # The screen's budget: 20 lines in 10 s (the flood fits in one or two
    # intervals), one "suppressed" line an interval, nothing else of roomd's.
    check(f"{sent} MEDIA at alternating volumes: {len(new)} lines of roomd "
          f"({len(mic)} microphone lines), within the screen's 2 x 20 and 2 notices",
          len(mic) <= 40 and len(new) <= 44, new[-10:])
    return n1


def tile_bound(rd, screen):
    """TILEs beyond the screen refused; the screen's size taken, its cost bounded."""
    pid = rd.proc.pid
    before = mem(pid)
    for w, h in ((8192, 8192), (MAX_TILE[0] + 1, MAX_TILE[1])):
        conns = screen.conns
        screen.send(msg(TILE, LAST, w, h))
        tap.wait_until(lambda c=conns: screen.conns > c and screen.conn is not None, 60,
                       f"roomd closing the connection after a TILE of {w}x{h} and connecting "
                       "again")
    check("a TILE of 8192x8192 and one of 1921x1080 (beyond the default --max-tile "
          "1920x1080): each refused, the connection closed and made again", True)
    t = time.monotonic()
    screen.send(msg(TILE, LAST, *MAX_TILE))
    peak = dict(before)
    n = len(screen.of("frame", LAST, t))
    end = time.monotonic() + 6
    while time.monotonic() < end or len(screen.of("frame", LAST, t)) < n + 30:
        m = mem(pid)
        peak = {k: max(peak[k], m[k]) for k in m}
        if time.monotonic() > end + 60:
            raise RuntimeError("no 30 frames of the sender in 60 s after the TILE of 1920x1080")
        time.sleep(0.05)
    rings = [e[3] for e in screen.of("buffers", LAST)]
    check(f"a TILE of 1920x1080 (the screen's size) is taken: a ring at it; no ring ever "
          f"beyond it (rings: {sorted(set(rings))})",
          MAX_TILE in [e[3] for e in screen.of("buffers", LAST, t)] and
          all(w <= MAX_TILE[0] and h <= MAX_TILE[1] for w, h in rings), rings)
    ring_max = 3 * MAX_TILE[0] * MAX_TILE[1] * 4
    shm_bound = before["RssShmem"] + ring_max
    # The ring, and videoscale's and the appsink's buffers of that size;
    # under ASan the frames freed also wait in its quarantine (256 MiB by
    # default) before their memory is reused.
    asan = 256 * MIB if "libasan" in open(f"/proc/{pid}/maps").read() else 0
    rss_bound = before["VmRSS"] + 4 * ring_max + asan
    check("roomd's memory after the TILEs: RssShmem %.1f MiB (before %.1f, bound %.1f: "
          "one ring of 3 x 1920x1080 BGRx), VmRSS %.1f MiB (before %.1f, bound %.1f: "
          "four such rings%s)" % (peak["RssShmem"] / MIB, before["RssShmem"] / MIB,
                                  shm_bound / MIB, peak["VmRSS"] / MIB, before["VmRSS"] / MIB,
                                  rss_bound / MIB, " and ASan's quarantine" if asan else ""),
          peak["RssShmem"] <= shm_bound and peak["VmRSS"] <= rss_bound, (before, peak))

    t = time.monotonic()
    screen.send(msg(TILE, LAST, 160, 90))
    tap.wait_until(lambda: (160, 90) in [e[3] for e in screen.of("buffers", LAST, t)], 30,
                   "a ring of 160x90 for the sender after a TILE of 160x90")
    check("a TILE of 160x90: the sender scaled down to it (a ring of 160x90)", True)

    time.sleep(4.5)                 # the rate limit's burst back
    t = time.monotonic()
    for i in range(41):             # 4 s at 10 Hz, ending at 240x136 (not the ring before)
        screen.send(msg(TILE, LAST, *((240, 136) if i % 2 == 0 else (160, 90))))
        time.sleep(0.1)
    time.sleep(1)
    # A loaded machine (ASan) may take a while to decode the next frames:
    # the first new ring bounded in time, the count over the whole window.
    tap.wait_until(lambda: screen.of("buffers", LAST, t) or rd.proc.poll() is not None, 60,
                   "a new ring of the sender after the TILEs at 10 Hz")
    window = time.monotonic() - t
    check("roomd survives a TILE changing at 10 Hz (its pipeline renegotiates, no "
          "not-negotiated error)", rd.proc.poll() is None and "not-negotiated" not in rd.text(),
          rd.text()[-800:])
    rings = screen.of("buffers", LAST, t)
    bound = 4 + int(window) + 1     # after the flood, at most one more (its last size)
    check(f"a TILE changing at 10 Hz for 4 s: {len(rings)} new rings in {window:.1f} s "
          f"(the limit: a burst of 4, then one a second: at most {bound})",
          1 <= len(rings) <= bound, [e[3] for e in rings])


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="roomd-hostile-")
    os.chmod(tmp, 0o755)            # roomd's user reaches keyxchgd's socket
    env = dict(os.environ)
    keys = {s: os.urandom(16) for s in range(FIRST, LAST + 1)}
    kx = FakeKeyxchgd(os.path.join(tmp, "kx.sock"))
    os.chmod(kx.path, 0o666)
    d = tempfile.mkdtemp(prefix="roomd-hostile-screen-")
    os.chmod(d, 0o1777)
    screen = Screen(os.path.join(d, "frames.sock"))
    ports = tap.free_ports(2)
    rx_base = roomproc.rx_base(list(range(FIRST, LAST + 1)))
    rd = roomproc.Roomd(BIN, "roomd (this test as its screen)", kx.path,
                        os.path.join(d, "frames.sock"), ports, rx_base, 1,
                        os.path.join(LOGS, "roomd-hostile-roomd.log"), env)
    if not kx.subscribed.wait(60):
        raise RuntimeError("roomd never subscribed to the test's keyxchgd")
    tap.wait_until(lambda: screen.conn is not None, 60, "roomd connecting to the test's screen")
    kx.push({"event": "state", "state": "in-meeting", "meeting": "hostile", "epoch": 0})

    peer_table(rd, kx, screen, keys)
    for st in (0, 1):
        kx.install(kid(st, LAST, 0), "receive", keys[LAST])
    sender, skx = start_sender(tmp, rx_base, keys[LAST])
    tap.wait_until(lambda: len(screen.of("frame", LAST)) >= 30 or rd.proc.poll() is not None,
                   120, f"30 frames of sender {LAST}, the 65th distinct sender, on the screen")
    check(f"the 65th distinct sender ({LAST}) is received: its frames reach the screen "
          f"({len(screen.of('frame', LAST))} so far)", len(screen.of("frame", LAST)) >= 30,
          rd.text()[-1500:])

    log_flood(rd, screen)
    tile_bound(rd, screen)

    rc = rd.stop()
    sender.terminate()
    sender.wait(timeout=60)
    res = rd.results().get(LAST, {})
    total = rd.lines("roomd senders:")
    scr = rd.lines("roomd screen:")
    check(f"roomd exits 0; sender {LAST} decrypted and decoded "
          f"({res.get('video-frames')} frames, {res.get('auth-failed')} failed), "
          f"the 65 branches counted ({total})",
          rc == 0 and res.get("video-frames", 0) > 0 and res.get("decoded-frames", 0) > 0 and
          total and total[0].startswith("roomd senders: branches=65 ") and
          len(rd.results()) == LAST - FIRST + 1, rd.lines("roomd sender"))
    check(f"roomd counted the two TILEs refused and no malformed message ({scr})",
          scr and scr[0].startswith("roomd screen: bad-messages=0 tiles-refused=2 "), scr)
    sup = [ln for ln in lines(rd) if "more lines about the screen suppressed" in ln]
    check(f"the screen's suppressed lines were said ({sup[:2]})", sup, rd.text()[-1500:])
    screen.close()
    kx.close()
    skx.close()
    return finish()


if __name__ == "__main__":
    tap.main(main)
