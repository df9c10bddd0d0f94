#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A removed participant is not heard, nor decoded, once the host removes it
(security review session 6, finding 1; PROTOCOL.md 6.4).

Three keyxchgd rooms on loopback through the signaling relay fixture (room 1
hosts, rooms 2 and 3 admitted), each with roomd (media through the SFU
fixture, tests/fixtures/udp_relay.py) and sealroom-screen (--display soft).
Room 2's roomd stops, so that room 1 hears room 3 alone. Room 3 then plays a
removed room that keeps sending: its keyxchgd is stopped (SIGSTOP), so its
roomd never hears of the removal and sends on under the epoch's keys (as a
hostile removed room would, or an honest one whose removal the relay
withholds). Room 1 removes room 3 (`kxctl remove`). Measured for 13 s after
the remove (longer than the old 10 s grace), and printed:

* room 3's tile leaves room 1's screen (the roster);
* room 1's audio output (roomd's once-a-second "audio-out" lines, after the
  mixer) reads at or below -90 dB in every line that comes more than 2 s
  after the remove;
* room 1's roomd decodes no picture of room 3 after 2 s (its per-sender
  counts, which SIGUSR1 prints, stop), and drops room 3's branch ("sender 3
  gone").

The old keyxchgd kept room 3's keys for the grace: -13.5 dB for 11 s.
TAP output.
"""
import os
import re
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402
from test_roomd import BIN, LOGS, keyxchgd, kxctl  # noqa: E402

SILENT_DB = -90.0    # at or below: silence (the level reads -200 for digital silence)
LOUD_DB = -60.0      # above: someone is heard
BOUND_S = 2.0        # the requirement: silent and no frame of the removed room after this
WATCH_S = 13.0       # how long after the remove room 1 is watched (the old grace was 10 s)


def levels(rd):
    return [float(m.group(1)) for ln in rd.lines("roomd audio-out:")
            for m in [re.search(r"rms-db=(\S+)", ln)] if m]


def decoded(rd, sender):
    """roomd's count of pictures of sender out of its decoder, now (SIGUSR1 prints the
    counts of the end at once)."""
    n = len(rd.lines("roomd microphone="))
    rd.proc.send_signal(signal.SIGUSR1)
    rd.wait_for(lambda t: len([ln for ln in t.splitlines()
                               if ln.startswith("roomd microphone=")]) > n,
                "its counts (SIGUSR1)")
    got = [ln for ln in rd.lines("roomd sender=") if ln.split()[1] == f"sender={sender}"]
    return int(dict(f.split("=") for f in got[-1].split()[1:])["decoded-frames"]) if got else 0


def stopped(pid):
    """The process is stopped (SIGSTOP): state T in /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="roomd-removed-")
    os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CA
    env = dict(os.environ)
    relay, port, certs = roomproc.start_relay(tmp)
    rooms = [keyxchgd(tmp, n, port, certs) for n in (1, 2, 3)]
    one, two, three = rooms
    procs, sfu = [], None
    try:
        roomproc.meeting(BIN, rooms, "removed")
        sfu = roomproc.start_sfu(tmp, rooms, 600)
        procs = roomproc.start_media(BIN, tmp, rooms, env, LOGS, "removed")
        rd, screen, p3 = one["roomd"], one["screen"], three["pid"]
        # roomd's own line, not its counts: SIGUSR1 at every poll while its branches
        # start was seen with room 1's audio output stalled for good (2 runs in ~10;
        # not understood yet: a signal's EINTR in a streaming thread is suspected).
        tap.wait_until(lambda: p3 in screen.tiles() and
                       f"first picture of sender {p3} decoded" in rd.text(), 60,
                       "room 3's tile on room 1's screen, room 1's roomd decoding room 3")
        # Room 1 hears room 3 alone: room 2's roomd stops (its keyxchgd stays).
        two["roomd"].stop()
        n0 = len(levels(rd))
        tap.wait_until(lambda: len(levels(rd)) >= n0 + 3, 30,
                       "three audio-out lines of room 1 after room 2's roomd stopped")
        alone = levels(rd)[-2:]
        d0 = decoded(rd, p3)
        tap.wait_until(lambda: decoded(rd, p3) > d0, 30, "room 1's roomd decoding room 3")
        check(f"room 1 hears room 3 alone ({alone} dB) and decodes its video",
              all(v > LOUD_DB for v in alone), rd.lines("roomd audio-out:")[-5:])

        # Room 3 keeps sending: its keyxchgd never hears of the removal.
        os.kill(three["kx"].pid, signal.SIGSTOP)
        tap.wait_until(lambda: stopped(three["kx"].pid), 10, "room 3's keyxchgd stopped")
        seen = len(levels(rd))
        t0 = time.monotonic()
        rep = kxctl(one, "remove", str(p3))
        check(f"room 1 removes room 3 (p{p3}) while room 3's roomd keeps sending",
              rep.get("ok"), rep)
        tile_gone = branch_gone = None      # seconds after the remove, rounded
        lines = []              # (seconds after the remove it was read, dB)
        counts = []             # (seconds after the remove, pictures of room 3 decoded)
        while time.monotonic() - t0 < WATCH_S:
            now = time.monotonic() - t0
            if tile_gone is None and p3 not in screen.tiles():
                tile_gone = round(now, 2)
            if branch_gone is None and f"sender {p3} gone" in rd.text():
                branch_gone = round(now, 2)
            lv = levels(rd)
            lines += [(now, v) for v in lv[seen:]]
            seen = len(lv)
            # Its counts once a second (SIGUSR1), not at every look.
            if not counts or now - counts[-1][0] >= 1.0:
                counts.append((now, decoded(rd, p3)))
            time.sleep(0.2)
        print(f"# room 1's audio-out after the remove (s, dB): "
              f"{[(round(t, 1), v) for t, v in lines]}")
        print(f"# pictures of room 3 decoded by room 1's roomd (s, count): "
              f"{[(round(t, 1), c) for t, c in counts[::5]]}")
        last_grew = max((t for (t, c), (_, c0) in zip(counts[1:], counts) if c > c0),
                        default=0.0)
        loud_after = [(round(t, 1), v) for t, v in lines if t > BOUND_S and v > SILENT_DB]
        last_loud = max((t for t, v in lines if v > SILENT_DB), default=0.0)
        check(f"room 3's tile leaves room 1's screen ({tile_gone} s after the remove)",
              tile_gone is not None, screen.lines("screen: tiles")[-3:])
        check(f"room 1's audio output is silent (<= {SILENT_DB} dB) in every line read more "
              f"than {BOUND_S} s after the remove: last line above it read "
              f"{last_loud:.1f} s after; {len(lines)} lines in {WATCH_S} s",
              len(lines) >= 5 and not loud_after, loud_after)
        check(f"room 1's roomd decodes no picture of room 3 after {BOUND_S} s: the last "
              f"new one counted {last_grew:.1f} s after the remove; its branch gone "
              f"{branch_gone} s after",
              last_grew <= BOUND_S and branch_gone is not None,
              [(round(t, 1), c) for t, c in counts[-10:]])
        check("room 3 kept sending all along: its roomd runs, its keyxchgd is still stopped",
              three["roomd"].proc.poll() is None and stopped(three["kx"].pid))
        os.kill(three["kx"].pid, signal.SIGCONT)
        rcs = [r["roomd"].stop() for r in (one, three)]
        check("room 1's and room 3's roomd exit 0 at SIGTERM", rcs == [0, 0], rcs)
    finally:
        if sfu is not None:
            sfu.terminate()
            sfu.wait(timeout=10)
        for r in rooms:
            if r["kx"].poll() is None:
                os.kill(r["kx"].pid, signal.SIGCONT)
        roomproc.stop_all(procs, rooms, relay)
    return finish()


if __name__ == "__main__":
    tap.main(main)
