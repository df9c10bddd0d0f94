#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""roomd with keyxchgd rooms, the SFU fixture and sealroom-screen.

Three keyxchgd rooms on loopback through the signaling relay fixture: room 1
hosts, rooms 2 and 3 are admitted. Each room runs roomd (its media through
tests/fixtures/udp_relay.py) and sealroom-screen (--display soft). Checked:

* roomd refuses a frame socket whose listener is of another uid than its
  own, root's or --screen-uid's (as root only: it takes another uid);
* roomd's receive sockets are bound to 127.0.0.1 (its --rx-address), not to
  the wildcard (/proc/net/udp);
* every screen shows frames of both other rooms (the screen's stats);
* datagrams from another socket (not RTP, and RTP with junk in it) into a
  receive port crash nothing: roomd and the screen go on showing frames;
* room 2's screen restarts: its roomd connects to the new one, which shows
  both other rooms again;
* room 3 leaves: its tile goes from rooms 1 and 2's screens, their roomd
  removes its branch and tells the screen GONE; rooms 1 and 2 go on;
* room 1's keyxchgd is killed: after the key provider's grace room 1's roomd
  removes room 2's keys and branch (GONE to the screen);
* at SIGTERM roomd exits 0 and rooms 1 and 2 decrypted and decoded each
  other's video, handed frames to their screens, with 0 failed
  authentications; the screens refused no message.
TAP output.
"""
import os
import socket
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
FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")  # test_media_restart


def kxctl(room, *args):
    return roomproc.kxctl(BIN, room["sock"], *args)


def keyxchgd(tmp, n, port, certs):
    r = {"n": n}
    err = open(os.path.join(LOGS, f"roomd-keyxchgd{n}.log"), "w")
    r["kx"], r["sock"], r["codeword"] = roomproc.keyxchgd(
        BIN, os.path.join(tmp, f"kx{n}"), f"wss://localhost:{port}",
        os.path.join(certs, "ca.pem"), f"room-{n}", err)
    return r


def admit(host, member, code):
    roomproc.admit(BIN, host, member, code, "roomd")


def udp_bound(port):
    """Local addresses (hex, as /proc/net/udp writes them) bound to port."""
    out = []
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        if not os.path.exists(path):
            continue
        for line in open(path).read().splitlines()[1:]:
            addr, p = line.split()[1].split(":")
            if int(p, 16) == port:
                out.append(addr)
    return out


# A listener on the frame socket of another user than roomd's (and root).
STRANGER = """
import os, socket, sys, time
os.setresgid(4242, 4242, 4242)
os.setresuid(4242, 4242, 4242)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)    # reachable by roomd's user: its uid is what is refused
s.listen(4)
while True:
    s.accept()
"""


def stranger_screen(env):
    """roomd refuses a frame socket whose listener is of another uid (SO_PEERCRED)."""
    name = "roomd refuses a screen of another uid than its own, root's or --screen-uid's"
    if os.getuid() != 0:
        check(f"{name} # SKIP not root: cannot listen as another uid", True)
        return
    d = tempfile.mkdtemp(prefix="roomd-stranger-")
    os.chmod(d, 0o1777)
    path = os.path.join(d, "frames.sock")
    listener = subprocess.Popen([sys.executable, "-c", STRANGER, path])
    tap.wait_until(lambda: os.path.exists(path) or listener.poll() is not None, 15,
                   "the stranger's frame socket")
    ports = tap.free_ports(3)
    rd = roomproc.Roomd(BIN, "roomd (a stranger's screen)", os.path.join(d, "no-kx.sock"),
                        path, ports[:2], ports[2], 1, os.path.join(LOGS, "roomd-stranger.log"),
                        env)
    rd.wait_for(lambda t: "refusing the screen" in t, "refusing the stranger's screen")
    rc = rd.stop()
    listener.kill()
    listener.wait()
    check(name, rc == 0 and "screen connected" not in rd.text(), rd.text()[-1000:])


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="roomd-")
    os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CA
    env = dict(os.environ)
    stranger_screen(env)
    relay, port, certs = roomproc.start_relay(tmp)
    rooms = [keyxchgd(tmp, n, port, certs) for n in (1, 2, 3)]
    host = rooms[0]
    rep = kxctl(host, "join", "--meeting", "roomd", "--role", "host", "--name", "Room 1")
    if not rep.get("ok"):
        raise RuntimeError(f"the host cannot start: {rep}")
    for m in rooms[1:]:
        admit(host, m, rep["meeting_code"])
    tap.wait_until(lambda: len(kxctl(host, "status").get("participants", [])) == 3, 30,
                   "three participants in the host's roster")
    epoch = kxctl(host, "status")["epoch"]
    for r in rooms:
        tap.wait_until(lambda r=r: kxctl(r, "status").get("have_secret") and
                       kxctl(r, "status").get("epoch") == epoch, 30,
                       f"room {r['n']} at epoch {epoch}")
        r["pid"] = kxctl(r, "status")["participant"]
    check("three rooms in one meeting (keyxchgd)", True)

    sfu = roomproc.start_sfu(tmp, rooms, 300)
    for r in rooms:
        n = r["n"]
        sd = r["screen_dir"] = users.frames_dir(os.path.join(tmp, f"screen{n}"))
        frames = r["screen_frames"] = os.path.join(sd, "frames.sock")
        r["screen"] = roomproc.Screen(BIN, f"room {n}'s screen",
                                      os.path.join(sd, "screen.png"), frames, r["sock"],
                                      os.path.join(LOGS, f"roomd-screen{n}.log"), "960x540")
        r["roomd"] = roomproc.Roomd(BIN, f"room {n}'s roomd", r["sock"], frames, r["tx"],
                                    r["rx_base"], r["pid"],
                                    os.path.join(LOGS, f"roomd-roomd{n}.log"), env,
                                    ["--codeword", r["codeword"]])
    one, two, three = rooms

    def shows_others(r):
        shown, _ = r["screen"].stats()
        return all(shown.get(s["pid"], 0) > 0 for s in rooms if s is not r)
    for r in rooms:
        tap.wait_until(lambda r=r: shows_others(r), 40,
                       f"room {r['n']}'s screen showing frames of both other rooms")
    check("each screen shows frames of both other rooms (frames from roomd)", True,
          [r["screen"].stats()[1] for r in rooms])

    bound = {s["pid"]: udp_bound(one["rx_base"] + 2 * s["pid"]) for s in (two, three)}
    check("room 1's roomd receives on 127.0.0.1 only, not on the wildcard",
          all(v == ["0100007F"] for v in bound.values()), bound)

    # Datagrams of someone else into room 1's receive ports for room 3: not RTP,
    # and an RTP header (version 2, pt 96, another SSRC) with junk after it.
    junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp = bytes([0x80, 96, 0, 1, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]) + os.urandom(300)
    for k in (0, 1):
        for _ in range(20):
            junk.sendto(os.urandom(200), ("127.0.0.1", one["rx_base"] + 2 * three["pid"] + k))
            junk.sendto(rtp, ("127.0.0.1", one["rx_base"] + 2 * three["pid"] + k))
    junk.close()
    before = one["screen"].stats()[0].get(two["pid"], 0)
    tap.wait_until(lambda: one["screen"].stats()[0].get(two["pid"], 0) > before + 10, 30,
                   "room 1's screen showing room 2 after the stray datagrams")
    check("datagrams from another socket crash nothing: room 1's roomd and screen go on",
          one["roomd"].proc.poll() is None and one["screen"].proc.poll() is None)

    # Room 2's screen restarts: roomd connects again and announces its rings again.
    rc = two["screen"].stop()
    two["screen"] = roomproc.Screen(BIN, "room 2's screen (again)",
                                    os.path.join(two["screen_dir"], "screen.png"),
                                    two["screen_frames"],
                                    two["sock"], os.path.join(LOGS, "roomd-screen2b.log"),
                                    "960x540")
    tap.wait_until(lambda: shows_others(two), 40,
                   "room 2's restarted screen showing frames of both other rooms")
    check("the screen restarts: roomd connects again and room 2's new screen shows both "
          "other rooms", rc == 0 and two["roomd"].text().count("screen connected") == 2,
          two["roomd"].lines("roomd: screen"))

    rep = kxctl(three, "leave")
    check("room 3 leaves", rep.get("ok"), rep)
    for r in (one, two):
        tap.wait_until(lambda r=r: three["pid"] not in r["screen"].tiles(), 30,
                       f"room 3's tile gone from room {r['n']}'s screen")
        tap.wait_until(lambda r=r: f"sender {three['pid']} gone" in r["roomd"].text(), 30,
                       f"room {r['n']}'s roomd removing room 3's branch")
        tap.wait_until(lambda r=r: f"roomd: sender {three['pid']} gone" in r["screen"].text(),
                       30, f"room {r['n']}'s screen hearing GONE for room 3")
    check("room 3's tile goes from rooms 1 and 2's screens; their roomd removes its branch "
          "and sends GONE", True, [r["screen"].tiles() for r in (one, two)])
    for r in (one, two):
        other = two if r is one else one
        before = r["screen"].stats()[0].get(other["pid"], 0)
        tap.wait_until(lambda r=r, o=other, b=before: r["screen"].stats()[0].get(o["pid"], 0)
                       > b + 5, 30, f"room {r['n']}'s screen showing room {other['n']} "
                       "after room 3 left")
    check("rooms 1 and 2 go on showing each other after room 3 left", True)

    # Room 1's keyxchgd dies (SIGKILL: it says nothing on the way out). Its
    # roomd keeps room 2's keys for the key provider's grace, then the
    # provider removes them and roomd drops room 2's branch (GONE to the screen).
    one["kx"].kill()
    one["kx"].wait(timeout=20)
    gone = f"roomd: sender {two['pid']} gone"
    one["roomd"].wait_for(lambda t: gone in t, "dropping room 2's branch after the key "
                          "provider's grace", 60)
    t = one["roomd"].text()
    tap.wait_until(lambda: gone in one["screen"].text(), 30,
                   "room 1's screen hearing GONE for room 2")
    check("keyxchgd killed: at the end of the key provider's grace room 1's roomd removes "
          "room 2's receive keys and drops its branch; the screen hears GONE",
          "still away after" in t and t.index("still away after") < t.index(gone) and
          "roomd: keyxchgd disconnected" in t, [ln for ln in t.splitlines()
                                                if "still away" in ln or gone in ln])

    rcs = [r["roomd"].stop() for r in rooms]
    check("roomd exits 0 at SIGTERM", rcs == [0, 0, 0], rcs)
    for r in (one, two):
        other = two if r is one else one
        res = r["roomd"].results().get(other["pid"], {})
        # A packet lost inside a NAL fails that frame, as it must; keys that do
        # not fit fail every frame: no more failures than lost packets.
        check(f"room {r['n']} decrypted, decoded and handed to its screen room "
              f"{other['n']}'s video, no failed authentication beyond lost packets "
              f"({res.get('auth-failed')} failed, {res.get('lost')} lost)",
              res.get("video-frames", 0) > 0 and res.get("decoded-frames", 0) > 0 and
              res.get("frames-sent", 0) > 0 and
              res.get("auth-failed", 1) <= res.get("lost", 0),
              r["roomd"].lines("roomd sender="))
    for r in rooms:
        rc = r["screen"].stop()
        line = r["screen"].lines("screen stats:")[-1]
        check(f"room {r['n']}'s screen exits 0 and refused no message from roomd",
              rc == 0 and " bad-messages=0 " in line, line)
    sfu.terminate()
    sfu.wait(timeout=10)
    for r in rooms:
        if r["kx"].poll() is None:
            r["kx"].terminate()
        r["kx"].wait(timeout=20)
    relay.terminate()
    relay.wait(timeout=10)
    return finish()


if __name__ == "__main__":
    tap.main(main)
