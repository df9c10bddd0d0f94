#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A member that may not send yet sees and hears the meeting (PROTOCOL.md 6.5).

A member that joins without the meeting code has no binding to its host: it
is admitted, holds its receive keys and acks, but keyxchgd switches its media
daemon to no send KID until the room's people verify the host's codeword
(`send_held`), so e2eeenc passes nothing. On plain RTP that held roomd's
whole pipeline: udpsink waited for a first buffer to preroll, the pipeline
never reached PLAYING, and the board's sink held the mix's first buffer: the
room heard nothing of the meeting it was asked to check (the people compare
the codeword in silence). Now no send chain's sink is asynchronous.

For each transport, plain RTP through the SFU fixture and WebRTC through
Janus (tests/fixtures/janus.py, require_e2ee; roomd without --sender-index,
as the image runs it): two keyxchgd rooms on the signaling relay fixture,
each with sealroom-screen and roomd; room 1 hosts, room 2 joins without the
code and room 1 admits it by its codeword. Checked:

* room 2 is in the meeting, its host unconfirmed, its media held
  (keyxchgd's status);
* room 2's screen shows room 1's frames, and its audio output carries room
  1's tone (a level line above -40 dB; on plain RTP without the fix: no
  level line at all);
* room 1's screen shows no frame of room 2; through Janus, room 2 published
  (its send key came, its send KID did not), room 1 subscribed to that
  publisher, and not one RTP packet came of it (plaintext or not: Janus
  forwards what a publisher sends, and room 1's SRTP authenticates Janus's
  hop);
* once room 2 verifies its host, room 1's screen shows room 2's frames (and
  through Janus, RTP comes from its publisher).
TAP output.
"""
import os
import re
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import janus  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402
import users  # noqa: E402
from tap import check, finish  # noqa: E402

janus.enter_netns()

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
LOGS = os.path.join(BUILD, "test-logs")
ENCODER = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=300"
LEVEL = re.compile(r"^roomd audio-out: volume=\d+ rms-db=(-?[0-9.]+)", re.M)


def waited(pred, seconds, what):
    """tap.wait_until, false (said) when it gave up: the check after it fails."""
    try:
        tap.wait_until(pred, seconds, what)
        return True
    except TimeoutError as e:
        print(f"# {e}", flush=True)
        return False


def pushed(rd, sender):
    """RTP packets rd's subscriptions to sender's publishers brought so far (SRTP
    authenticated: whatever that publisher sent through Janus), from the
    "roomd candidate" lines SIGUSR1 prints; None while it has no subscription."""
    n = rd.text().count("roomd transport:")
    rd.proc.send_signal(signal.SIGUSR1)
    rd.wait_for(lambda t: t.count("roomd transport:") > n, "its transport line")
    batch = rd.text().split("roomd transport:")[n]
    counts = [int(f.split("=")[1]) for ln in batch.splitlines()
              if ln.startswith(f"roomd candidate sender={sender} ")
              for f in ln.split() if f.startswith("rtp-pushed=")]
    return sum(counts) if counts else None


def loudest(rd):
    """The loudest RMS level roomd's audio output said so far (dB), or None."""
    levels = [float(x) for x in LEVEL.findall(rd.text())]
    return max(levels) if levels else None


def held_meeting(transport, tmp, j):
    """Room 1 hosts, room 2 joins without the code and is admitted; each runs
    its screen and roomd over transport ("plain": the SFU fixture, or
    "janus"); the checks above."""
    t = os.path.join(tmp, transport)
    os.makedirs(t)
    os.chmod(t, 0o755)
    relay, port, certs = roomproc.start_relay(t)
    rooms = [roomproc.room(BIN, t, n, port, certs,
                           os.path.join(LOGS, f"roomd-held-{transport}-keyxchgd{n}.log"))
             for n in (1, 2)]
    one, two = rooms
    procs, sfu = [], None
    try:
        rep = roomproc.kxctl(BIN, one["sock"], "join", "--meeting", "held", "--role", "host",
                             "--name", "Room 1")
        if not rep.get("ok"):
            raise RuntimeError(f"the host cannot start: {rep}")
        # Room 2 knocks without the meeting code: nothing binds its host.
        roomproc.admit(BIN, one, two, None, "held")
        for r in rooms:
            tap.wait_until(lambda r=r: roomproc.kxctl(BIN, r["sock"], "status")
                           .get("have_secret"), 30, f"room {r['n']} holding the epoch's secret")
            r["pid"] = roomproc.kxctl(BIN, r["sock"], "status")["participant"]
        if transport == "plain":
            sfu = roomproc.start_sfu(t, rooms, 600)
        for r in rooms:
            n = r["n"]
            sd = users.frames_dir(os.path.join(t, f"screen{n}"))
            frames = os.path.join(sd, "frames.sock")
            r["screen"] = roomproc.Screen(BIN, f"room {n}'s screen",
                                          os.path.join(sd, "screen.png"), frames, r["sock"],
                                          os.path.join(LOGS, f"roomd-held-{transport}-screen{n}.log"),
                                          "640x360")
            procs.append(r["screen"])
            # Through Janus without --sender-index, as the image runs it.
            r["roomd"] = roomproc.Roomd(BIN, f"room {n}'s roomd", r["sock"], frames,
                                        r.get("tx"), r.get("rx_base"),
                                        r["pid"] if transport == "plain" else None,
                                        os.path.join(LOGS, f"roomd-held-{transport}-roomd{n}.log"),
                                        dict(os.environ),
                                        ["--codeword", r["codeword"], "--width", "320",
                                         "--height", "180", "--encoder", ENCODER],
                                        janus=j if transport == "janus" else None)
            procs.append(r["roomd"])
        waited(lambda: roomproc.kxctl(BIN, two["sock"], "status").get("send_held"), 30,
               "room 2's keyxchgd holding its media")
        st = roomproc.kxctl(BIN, two["sock"], "status")
        check(f"{transport}: room 2 is in the meeting, its host unconfirmed, its media held",
              st.get("state") == "in-meeting" and st.get("host_trust") == "unconfirmed"
              and st.get("send_held") and not st.get("sending"), st)

        def shown(r, of):
            return r["screen"].stats()[0].get(of["pid"], 0)

        if j:
            j.check_alive()
        waited(lambda: shown(two, one) >= 10 or two["roomd"].proc.poll() is not None,
               60, "room 2's screen showing 10 frames of room 1")
        check(f"{transport}: room 2, its media held, shows room 1's frames",
              shown(two, one) >= 10, two["roomd"].text()[-2000:])
        waited(lambda: (loudest(two["roomd"]) or -200) > -40, 30,
               "room 2's audio output carrying room 1's tone")
        check(f"{transport}: room 2's audio output plays room 1's tone (loudest level "
              f"{loudest(two['roomd'])} dB)", (loudest(two["roomd"]) or -200) > -40,
              two["roomd"].lines("roomd audio-out:")[-5:] or two["roomd"].text()[-1500:])
        # Held: room 1 shows nothing of room 2 (keyxchgd switched no send KID:
        # e2eeenc passes nothing); through Janus, room 2's transport sent no
        # RTP at all (SIGUSR1: its counts now).
        time.sleep(3)
        n1 = shown(one, two)
        check(f"{transport}: room 1 shows no frame of room 2 while its media is held",
              n1 == 0, f"{n1} frames shown")
        if transport == "janus":
            # Room 2 published (its send key came; no send KID): room 1 subscribes
            # to that publisher, and nothing comes of it.
            # Connected (ICE and DTLS done), or a zero would prove nothing.
            waited(lambda: f"roomd: receiving sender {two['pid']} through Janus"
                   in one["roomd"].text(), 30, "room 1 receiving room 2's publisher")
            time.sleep(2)
            got = pushed(one["roomd"], two["pid"])
            check(f"janus: room 2's publisher sent nothing while its media is held "
                  f"(RTP through room 1's subscription to it: {got})", got == 0,
                  one["roomd"].lines("roomd candidate")[-4:])

        rep = roomproc.kxctl(BIN, two["sock"], "verify", str(one["pid"]))
        check(f"{transport}: room 2's people verify the host's codeword", rep.get("ok"), rep)
        waited(lambda: shown(one, two) >= 10 or two["roomd"].proc.poll() is not None,
               60, "room 1's screen showing 10 frames of room 2")
        check(f"{transport}: once verified, room 1's screen shows room 2's frames",
              shown(one, two) >= 10, two["roomd"].text()[-2000:])
        if transport == "janus":
            got = pushed(one["roomd"], two["pid"])
            check(f"janus: once verified, room 2's publisher sends (RTP through room 1's "
                  f"subscription to it: {got})", (got or 0) > 0,
                  one["roomd"].lines("roomd candidate")[-4:])
    finally:
        roomproc.stop_all(reversed(procs), rooms, relay)
        if sfu:
            sfu.terminate()
            sfu.wait(timeout=10)


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="roomd-held-")
    os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CAs
    held_meeting("plain", tmp, None)
    j = janus.Janus(os.path.join(tmp, "sfu")).start()
    try:
        held_meeting("janus", tmp, j)
    finally:
        j.stop()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
