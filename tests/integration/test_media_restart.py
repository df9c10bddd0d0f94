#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A room's media process (roomd) restarted mid-epoch, against a recording
SFU (issue 11, finding 3; PROTOCOL.md 6.8).

Two keyxchgd rooms on loopback through the signaling relay fixture (room 1
hosts, room 2 is admitted), each with roomd; the SFU fixture
(tests/fixtures/udp_relay.py) forwards and records each room's datagrams
(one SFU process per sending room, so the capture says who sent what).

* Room 2's roomd dies (SIGKILL) and starts again, on receive ports the SFU
  does not feed; the recorded datagrams of room 1 (epoch e) are replayed to
  it: it accepts none (its own video-frames counter), because keyxchgd hands
  it no key of epoch e again; it is keyed by the fresh epoch.
* Room 2's roomd started once more on its real ports: the fresh epoch
  arrives and media flows again (frames decrypted > 0).
* Room 1's roomd (the sender) dies and starts again: in the SFU's capture of
  room 1 no (KID, counter) pair of its audio SFrames appears twice and no KID
  it sent before the restart is sent after it (a key is never taken up again
  by a new process); room 2's screen shows room 1's frames after the restart.
TAP output.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402
from test_roomd import BIN, FIX, LOGS, admit, keyxchgd, kxctl  # noqa: E402
import users  # noqa: E402  (test_roomd put tests/lib on the path)

PT_VIDEO, PT_AUDIO = 96, 111


def records(path):
    """The SFU's capture: 4-byte big-endian length, then the datagram."""
    out, data = [], open(path, "rb").read()
    i = 0
    while i + 4 <= len(data):
        (n,) = struct.unpack_from(">I", data, i)
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def rtp_payload(d):
    """(payload type, payload) of an RTP datagram, or None."""
    if len(d) < 12 or d[0] >> 6 != 2:
        return None
    off = 12 + 4 * (d[0] & 0x0F)
    if d[0] & 0x10:
        if len(d) < off + 4:
            return None
        off += 4 + 4 * struct.unpack_from(">H", d, off + 2)[0]
    return d[1] & 0x7F, d[off:]


def sframe_kid_ctr(p):
    """KID and CTR of an SFrame header (RFC 9605 4.3), or None."""
    if not p:
        return None
    c = p[0]
    i = 1
    if c & 0x80:
        n = ((c >> 4) & 7) + 1
        kid, i = int.from_bytes(p[i:i + n], "big"), i + n
    else:
        kid = (c >> 4) & 7
    if c & 0x08:
        n = (c & 7) + 1
        ctr = int.from_bytes(p[i:i + n], "big")
    else:
        ctr = c & 7
    return kid, ctr


def ssrc(d):
    return struct.unpack_from(">I", d, 8)[0] if len(d) >= 12 else None


def audio_sframes(path, ssrcs=None):
    """(KID, CTR) of each audio packet of a capture (of the SSRCs given)."""
    out = []
    for d in records(path):
        r = rtp_payload(d)
        if r and r[0] == PT_AUDIO and (ssrcs is None or ssrc(d) in ssrcs):
            kc = sframe_kid_ctr(r[1])
            if kc:
                out.append(kc)
    return out


def sfu(tmp, room, rooms, name):
    """An SFU process for room's two send ports, recording to <name>.cap."""
    routes = []
    for k in (0, 1):
        dests = ",".join(str(s["rx_base"] + 2 * room["pid"] + k) for s in rooms if s is not room)
        routes += ["--route", f"{room['tx'][k]}:{dests}"]
    cap = os.path.join(tmp, f"{name}.cap")
    proc = subprocess.Popen([sys.executable, os.path.join(FIX, "udp_relay.py"), *routes,
                             "--capture", cap, "--seconds", "600"], stdout=subprocess.DEVNULL)
    return proc, cap


def roomd(room, name, rx_base, env, extra=()):
    return roomproc.Roomd(BIN, name, room["sock"], room["frames"], room["tx"], rx_base,
                          room["pid"], os.path.join(LOGS, f"media-restart-{name}.log"), env,
                          ["--codeword", room["codeword"], *extra])


def within(pred, seconds):
    """Whether pred() came true within seconds (checked, not raised: a check says what)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def receiving(rd, sender):
    return f"receiving sender {sender} " in rd.text()


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="media-restart-")
    os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CA
    env = dict(os.environ)
    relay, port, certs = roomproc.start_relay(tmp)
    one, two = rooms = [keyxchgd(tmp, n, port, certs) for n in (1, 2)]
    rep = kxctl(one, "join", "--meeting", "roomd", "--role", "host", "--name", "Room 1")
    if not rep.get("ok"):
        raise RuntimeError(f"the host cannot start: {rep}")
    admit(one, two, rep["meeting_code"])
    epoch = kxctl(one, "status")["epoch"]
    for r in rooms:
        tap.wait_until(lambda r=r: kxctl(r, "status").get("have_secret") and
                       kxctl(r, "status").get("epoch") == epoch, 30,
                       f"room {r['n']} at epoch {epoch}")
        r["pid"] = kxctl(r, "status")["participant"]
        r["tx"] = tuple(tap.free_ports(2))
        r["frames"] = os.path.join(users.frames_dir(os.path.join(tmp, f"screen{r['n']}")),
                                   "frames.sock")
    base = roomproc.rx_base([r["pid"] for r in rooms])
    for r in rooms:
        r["rx_base"] = base
    sfu1, cap1 = sfu(tmp, one, rooms, "from-room1")
    sfu2, cap2 = sfu(tmp, two, rooms, "from-room2")
    screen2 = roomproc.Screen(BIN, "room 2's screen",
                              os.path.join(os.path.dirname(two["frames"]), "screen.png"),
                              two["frames"], two["sock"], os.path.join(LOGS,
                                                                     "media-restart-screen2.log"),
                              "640x360")
    rd1 = roomd(one, "roomd1", base, env)
    rd2 = roomd(two, "roomd2", base, env)
    tap.wait_until(lambda: screen2.stats()[0].get(one["pid"], 0) > 10, 60,
                   "room 2's screen showing room 1")
    e = kxctl(two, "status")["epoch"]
    time.sleep(2)   # more of epoch e on record
    rd2.proc.kill()  # a crash: no goodbye to keyxchgd
    rd2.proc.wait()
    recorded = records(cap1)
    check(f"the SFU recorded {len(recorded)} datagrams of room 1 in epoch {e}",
          len(recorded) > 50, len(recorded))

    # Room 2's media process again, on ports only the replay reaches.
    alone = roomproc.rx_base([one["pid"]])
    rd2b = roomd(two, "roomd2-replayed", alone, env)
    keyed = within(lambda: receiving(rd2b, one["pid"]), 30)
    st2 = kxctl(two, "status")
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    for d in recorded:
        r = rtp_payload(d)
        if not r:
            continue
        k = 0 if r[0] == PT_VIDEO else 1
        out.sendto(d, ("127.0.0.1", alone + 2 * one["pid"] + k))
        sent += 1
        if sent % 20 == 0:
            time.sleep(0.01)
    out.close()
    time.sleep(2)
    rc = rd2b.stop()
    res = rd2b.results().get(one["pid"], {})
    check(f"restarted mid-epoch, room 2's roomd is keyed only by a fresh epoch "
          f"({st2.get('epoch')} > {e})", keyed and st2.get("epoch", 0) > e,
          (keyed, st2.get("epoch"), rd2b.text()[-800:]))
    check(f"{sent} recorded datagrams of epoch {e} replayed to it: 0 frames accepted "
          f"(video-frames={res.get('video-frames')}, auth-failed={res.get('auth-failed')})",
          rc == 0 and sent > 50 and res.get("video-frames", -1) == 0 and
          res.get("decoded-frames", -1) == 0, (rc, res, rd2b.lines("roomd ")))

    # Once more on its real ports: keyed by the next fresh epoch, media flows.
    before = screen2.stats()[0].get(one["pid"], 0)
    rd2c = roomd(two, "roomd2-again", base, env)
    flows = within(lambda: screen2.stats()[0].get(one["pid"], 0) > before + 10, 60)
    check("started again on its ports mid-epoch, room 2's roomd waits for the next fresh "
          "epoch, then shows room 1 again", flows and receiving(rd2c, one["pid"]),
          rd2c.text()[-800:])

    # The sender restarts mid-epoch. The capture is read whole once the SFU
    # stopped (it buffers); the old process's packets are told apart by their
    # SSRCs (a new process draws new ones).
    e1 = kxctl(one, "status")["epoch"]
    rd1.proc.kill()
    rd1.proc.wait()
    time.sleep(1)
    old_ssrcs = {ssrc(d) for d in records(cap1)}
    shown = screen2.stats()[0].get(one["pid"], 0)
    rd1b = roomd(one, "roomd1-again", base, env)
    again = within(lambda: screen2.stats()[0].get(one["pid"], 0) > shown + 10, 60)
    check(f"room 1's roomd restarted mid-epoch {e1}: room 2 shows its frames again "
          f"(epoch {kxctl(one, 'status')['epoch']})", again, screen2.stats()[1])
    time.sleep(2)
    for p in (sfu1, sfu2):
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
    pairs = audio_sframes(cap1)
    new_ssrcs = {ssrc(d) for d in records(cap1)} - old_ssrcs
    kids_before = {k for k, _ in audio_sframes(cap1, old_ssrcs)}
    after = audio_sframes(cap1, new_ssrcs)
    dup = len(pairs) - len(set(pairs))
    reused = {k for k, _ in after} & kids_before
    check(f"in the SFU's capture of room 1 ({len(pairs)} audio SFrames, {len(after)} after the "
          f"restart) no (KID, CTR) twice ({dup}) and no KID of before the restart after it",
          len(after) > 20 and dup == 0 and not reused,
          (len(after), dup, sorted(hex(k) for k in reused), sorted(hex(k) for k in kids_before)))

    for p in (rd1b, rd2c):
        p.stop()
    screen2.stop()
    for r in rooms:
        r["kx"].terminate()
        r["kx"].wait(timeout=20)
    relay.terminate()
    relay.wait(timeout=10)
    return finish()


if __name__ == "__main__":
    tap.main(main)
