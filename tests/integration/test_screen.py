#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""sealroom-screen on the host (--display soft), its tiles following keyxchgd's roster.

Two keyxchgd rooms on loopback through the relay fixture: room 1 hosts, room 2
knocks and is admitted. sealroom-screen runs as room 1's screen (subscribed to
room 1's keyxchgd for roster and state); frame-sender plays roomd through the
sending half of panel_frames. Each as its user (tests/lib/users.py). Checked, with the screen captured to
$BUILD/test-logs/screen-*.png and display-check (tests/qemu/display-check.c:
the screen against libwm's layout and overlay computed on its own):

* the screen process links neither libavcodec nor GStreamer (ldd);
* a peer whose uid is not roomd's is refused (SO_PEERCRED) and shows nothing;
* before the meeting: no tile, "Waiting for keys";
* room 2 admitted: its frames shown in a tile labelled with the codeword and
  name keyxchgd's roster gives (the sender says only a sender number), under
  "End-to-end encrypted"; frame-sender scales to the size the screen asks
  for (TILE); frames of a sender not in the roster are dropped and counted;
  the same screen fails display-check for a wrong codeword;
* hostile roomd messages (unsealed or truncated memfds, buffers shorter than
  announced, bad strides and sizes, noise, too many fds, a frame of no ring)
  are refused, the connection closed, each counted, and the screen lives on
  and shows frames again;
* room 2 leaves: its tile goes, its frames are dropped;
* keyxchgd goes away: "Waiting for keys", never "End-to-end encrypted";
* SIGTERM: exit 0 with the stats line.
TAP output.
"""
import os
import re
import shutil
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
SCREEN = os.path.join(BIN, "sealroom-screen")
SENDER = os.path.join(BUILD, "tests", "frame-sender")
CHECK = os.path.join(BUILD, "tests", "qemu", "display-check")
LOGS = os.path.join(BUILD, "test-logs")
SIZE = "960x540"
COLOUR, OTHER = "3070c0", "c06030"
STRANGER = 4242               # a sender number no roster has
WRONG = "hidoz-vikag-sabom-lonus"
HOSTILE = ["unsealed", "truncate", "short", "stride", "huge", "garbage", "fds", "noring"]
BAD_BUFFERS = {"unsealed", "truncate", "short"}


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


class Screen:
    def __init__(self, tmp, name, roomd_uid, control):
        self.name = name
        d = users.frames_dir(os.path.join(tmp, f"screen-{name}"))
        self.png = os.path.join(d, "screen.png")
        self.frames = os.path.join(d, "frames.sock")
        self.log = os.path.join(LOGS, f"screen-{name}.log")
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(users.screen(
                [SCREEN, "--display", "soft", "--display-size", SIZE, "--display-capture",
                 self.png, "--frames", self.frames, "--roomd-uid", str(roomd_uid),
                 "--control", control]), stdout=out, stderr=subprocess.STDOUT)
        self.wait_for(lambda t: "listening on" in t, "the frame socket")

    def text(self):
        return read(self.log)

    def wait_for(self, pred, what, seconds=30):
        tap.wait_until(lambda: pred(self.text()) or self.proc.poll() is not None, seconds,
                       f"sealroom-screen ({self.name}): {what}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"sealroom-screen ({self.name}) ended: {self.text()[-2000:]}")

    def stats(self):
        """The stats line (SIGUSR1) as a dict; per sender under 'senders'."""
        n = self.text().count("screen stats:")
        self.proc.send_signal(signal.SIGUSR1)
        self.wait_for(lambda t: t.count("screen stats:") > n, "the stats line")
        line = [ln for ln in self.text().splitlines() if ln.startswith("screen stats:")][-1]
        st = {"senders": {}, "line": line}
        for kv in line.split()[2:]:
            if kv.startswith("sender="):
                f = dict(x.split("=") for x in kv.split(":"))
                st["senders"][int(f["sender"])] = {"shown": int(f["shown"]),
                                                   "dropped": int(f["dropped"])}
            else:
                k, v = kv.split("=")
                st[k] = int(v)
        return st

    def shown(self, sender):
        return self.stats()["senders"].get(sender, {}).get("shown", 0)

    def dropped(self, sender):
        return self.stats()["senders"].get(sender, {}).get("dropped", 0)

    def capture(self, name):
        """The screen now (SIGUSR2) as $BUILD/test-logs/screen-NAME.png."""
        n = self.text().count("screen: captured")
        self.proc.send_signal(signal.SIGUSR2)
        self.wait_for(lambda t: t.count("screen: captured") > n, "the capture")
        dst = os.path.join(LOGS, f"screen-{name}.png")
        shutil.copyfile(self.png, dst)
        return dst

    def tiles_lines(self):
        return [ln for ln in self.text().splitlines() if ln.startswith("screen: tiles ")]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        return self.proc.returncode


def display_check(*args):
    p = subprocess.run([CHECK, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def sender(frames, *args, log=None):
    out = open(log, "w") if log else subprocess.PIPE
    return subprocess.Popen(users.media([SENDER, "--frames", frames, *args]), stdout=out,
                            stderr=subprocess.STDOUT, text=True)


def kxctl(sock, *args):
    return roomproc.kxctl(BIN, sock, *args)


class Keyxchgd:
    def __init__(self, tmp, n, port, certs, admin_pin=None):
        self.err = open(os.path.join(LOGS, f"screen-keyxchgd{n}.log"), "w")
        self.proc, self.sock, self.codeword = roomproc.keyxchgd(
            BIN, os.path.join(tmp, f"kx{n}"), f"wss://localhost:{port}",
            os.path.join(certs, "ca.pem"), f"room-{n}", self.err, admin_pin=admin_pin)

    def status(self):
        return kxctl(self.sock, "status")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.err.close()


def admit(host, member):
    """Room 1 hosts, room 2 knocks and is admitted by its codeword (as run_rooms.py)."""
    rep = kxctl(host.sock, "join", "--meeting", "screen", "--role", "host", "--name", "Room 1")
    if not rep.get("ok"):
        return False, rep
    tap.wait_until(lambda: host.status().get("participant", -1) >= 0, 20, "the host's id")
    code = ["--code", rep["meeting_code"]] if "meeting_code" in rep else []
    rep = kxctl(member.sock, "join", "--meeting", "screen", "--role", "member", "--name",
                "Room 2", *code)
    if not rep.get("ok"):
        return False, rep
    tap.wait_until(lambda: host.status().get("lobby"), 30, "room 2's knock at the host")
    k = host.status()["lobby"][-1]
    rep = kxctl(host.sock, "admit", str(k["participant"]), "--codeword", k["codeword"])
    if not rep.get("ok"):
        return False, rep
    tap.wait_until(lambda: member.status().get("state") == "in-meeting", 30,
                   "room 2 in the meeting")
    return True, k


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="screen-")
    os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CA
    uid = users.MEDIA       # frame-sender plays roomd as roomd's user

    ldd = subprocess.run(["ldd", SCREEN], capture_output=True, text=True).stdout
    libs = re.findall(r"^\s*(\S+)", ldd, re.M)
    check("sealroom-screen links neither libavcodec nor GStreamer (ldd: %d libraries)" %
          len(libs), "libc.so.6" in libs and
          not [x for x in libs if "avcodec" in x or "gst" in x], ldd)

    # A peer of another uid than roomd's: refused at accept, nothing shown.
    other = Screen(tmp, "wrong-uid", uid + 1, os.path.join(tmp, "none.sock"))
    s = sender(other.frames, "--sender", f"1:{COLOUR}", "--count", "20")
    s.communicate(timeout=60)
    st = other.stats()
    check("a peer whose uid is not --roomd-uid is refused (SO_PEERCRED) and shows nothing",
          st["refused-peers"] == 1 and st["connections"] == 0 and st["frames"] == 0 and
          other.proc.poll() is None, st["line"])
    other.stop()

    relay, port, certs = roomproc.start_relay(tmp)
    host, member = Keyxchgd(tmp, 1, port, certs), Keyxchgd(tmp, 2, port, certs)
    check("two keyxchgd start with their codewords", host.codeword and member.codeword,
          (host.codeword, member.codeword))
    screen = Screen(tmp, "room", uid, host.sock)
    screen.wait_for(lambda t: "subscribed to roster and state" in t and "state idle" in t,
                    "keyxchgd's subscription")
    rc, out = display_check("--empty", "--e2ee", "waiting", "--screen", screen.capture("idle"))
    check("before any meeting: no tile, 'Waiting for keys'", rc == 0, out)

    ok, knock = admit(host, member)
    check("room 1 hosts, room 2 knocks and is admitted by its codeword", ok, knock)
    pid = knock["participant"] if ok else -1
    screen.wait_for(lambda t: f"tiles 1 {pid}=" in t, "room 2's tile")
    line = screen.tiles_lines()[-1]
    check("the screen's one tile is room 2's participant with keyxchgd's codeword for it",
          line == f"screen: tiles 1 {pid}={member.codeword}", (line, member.codeword))
    # The label's second line: the name keyxchgd's roster gives room 2.
    name = next((p["name"] for p in host.status().get("participants", [])
                 if p["participant"] == pid), None)

    # roomd's part: room 2's frames, and a sender the roster does not have.
    slog = os.path.join(LOGS, "screen-sender-1.log")
    s = sender(screen.frames, "--sender", f"{pid}:{COLOUR}", "--sender", f"{STRANGER}:{OTHER}",
               "--size", "320x180", log=slog)
    tap.wait_until(lambda: f"sender {pid} ring 2 " in read(slog), 30,
                   "frame-sender's ring at the tile's size (TILE)")
    after = screen.shown(pid)
    tap.wait_until(lambda: screen.shown(pid) > after + 3, 30, "frames at the tile's size")
    tile = re.search(rf"sender {pid} ring 2 (\d+)x(\d+)", read(slog)).groups()
    png = screen.capture("admitted")
    rc, out = display_check("--tile", f"{member.codeword}:{COLOUR}:{name}", "--wrong", WRONG,
                            "--frame", "x".join(tile), "--no-burn", "--screen", png)
    for ln in out.splitlines():
        if ln.startswith("# ok") or ln.startswith("# FAILED"):
            print(ln)
    check("room 2's frames in its tile, labelled with keyxchgd's codeword and name, under "
          "'End-to-end encrypted' (display-check)", rc == 0, out)
    rc, out = display_check("--tile", f"{WRONG}:{COLOUR}:{name}", "--wrong", member.codeword,
                            "--frame", "x".join(tile), "--no-burn", "--screen", png)
    check("the same screen fails display-check for a wrong codeword", rc == 1, out)
    tap.wait_until(lambda: screen.dropped(STRANGER) > 0, 30, "the stranger's frames")
    s.terminate()
    out = s.communicate(timeout=30)[0]
    st = screen.stats()
    check("frames of a sender not in the roster are dropped and counted, none shown "
          f"({st['senders'].get(STRANGER)})",
          st["senders"].get(STRANGER, {}).get("shown") == 0 and
          st["senders"][STRANGER]["dropped"] > 0 and st["dropped"] >= st["senders"][STRANGER]
          ["dropped"], st["line"])
    m = re.search(rf"sender {pid} sent=(\d+) busy=\d+ released=(\d+) ", read(slog))
    check("frame-sender: the screen released the frames it took (all but the last ring's "
          "at most)", s.returncode == 0 and m and
          0 <= int(m.group(1)) - int(m.group(2)) <= 3 and int(m.group(1)) > 0, read(slog))

    # A compromised roomd: each message refused, counted, the screen lives on.
    for mode in HOSTILE:
        before = screen.stats()
        p = sender(screen.frames, "--hostile", mode)
        out = p.communicate(timeout=60)[0]
        st = screen.stats()
        check(f"hostile roomd '{mode}': refused, the connection closed, counted, the screen "
              "lives on", f"hostile {mode}: closed" in out and screen.proc.poll() is None and
              st["bad-messages"] == before["bad-messages"] + 1 and
              st["bad-buffers"] == before["bad-buffers"] + (mode in BAD_BUFFERS) and
              st["frames"] == before["frames"], (out, before["line"], st["line"]))

    slog = os.path.join(LOGS, "screen-sender-2.log")
    s = sender(screen.frames, "--sender", f"{pid}:{OTHER}", "--size", "320x180", log=slog)
    after = screen.shown(pid)
    tap.wait_until(lambda: screen.shown(pid) > after + 3, 30, "frames after the hostile ones")
    check("a well-behaved roomd connects again after them and its frames are shown", True)

    # Room 2 leaves: its tile goes, its frames are dropped.
    n = len(screen.tiles_lines())
    rep = kxctl(member.sock, "leave")
    screen.wait_for(lambda t: "screen: tiles 0" in screen.tiles_lines()[n:],
                    "room 2's tile to go")
    dropped = screen.dropped(pid)
    tap.wait_until(lambda: screen.dropped(pid) > dropped, 30, "room 2's frames after it left")
    rc, out = display_check("--empty", "--e2ee", "on", "--screen", screen.capture("left"))
    check("room 2 left: its tile is gone, the banner stays (display-check)", rep.get("ok") and
          rc == 0, (rep, out))

    # keyxchgd goes away: nothing it does not vouch for stays on screen.
    host.stop()
    screen.wait_for(lambda t: "keyxchgd: connection lost" in t, "the lost connection")
    png = screen.capture("keyxchgd-gone")
    rc, out = display_check("--empty", "--e2ee", "waiting", "--screen", png)
    rc_on, out_on = display_check("--empty", "--e2ee", "on", "--screen", png)
    check("keyxchgd gone: 'Waiting for keys', not 'End-to-end encrypted'", rc == 0 and rc_on == 1,
          out + out_on)

    s.terminate()
    s.communicate(timeout=30)
    rc = screen.stop()
    text = screen.text()
    last = [ln for ln in text.splitlines() if ln.startswith("screen stats:")][-1:]
    print("#", last[0] if last else "no stats line")
    check("SIGTERM: exit 0 and the stats line with frames shown per sender",
          rc == 0 and last and re.search(rf"sender={pid}:shown=[1-9]", last[0]), text[-3000:])
    member.stop()
    relay.terminate()
    relay.wait(timeout=10)
    return finish()


if __name__ == "__main__":
    tap.main(main)
