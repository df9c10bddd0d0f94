#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""roomd through Janus against publishers that take another's name
(security review 6, finding 7; docs/transport.md "Names").

Two keyxchgd rooms in one meeting on the signaling relay fixture, each with
roomd through a real Janus (tests/fixtures/janus.py) and sealroom-screen, in a
network namespace of the test's own. Checked:

* a squatter: a real WebRTC publisher (rtc-call) with SFrame keys of its own,
  no member of the meeting, publishing as "participant-N" (N: room 2's
  participant id) BEFORE either roomd starts, so that Janus lists it first.
  Room 1's screen shows room 2's frames and their count rises while the
  squatter publishes; room 1's roomd subscribed to both claimants (SIGUSR1's
  "roomd candidate" lines: room 2's feed authenticates, the squatter's
  brings 0 frames that authenticate) and unsubscribes the squatter once it
  has brought none for the probation while room 2's did (candidates-pruned).
  On the old code (the first listed taken) room 1 showed 0 frames of room 2.
* a replaying squatter: rtc-call --replay subscribes to room 2's publisher
  and republishes its RTP (room 2's genuine SFrame frames) as
  "participant-N", leaving out half of the frames. Room 1's roomd subscribes
  to it too; its copies reach e2eedec and are dropped as replays (the
  per-sender replayed count rises), room 1 goes on showing room 2, and room
  2's own publisher stays subscribed (the replayer's slot is unsubscribed
  once it brought no frame first for 10 s: said, not checked, as on a
  loaded machine its copies may win some frames). The figures
  (frames shown in the same span before and while it replays) are printed.
* more claimants than slots: 4 more replayers (6 publishers claim the name,
  4 slots): the ones left out are counted (candidates-over) and named in
  roomd's line, at most 4 subscriptions, room 1 goes on showing room 2;
* the pin: Janus's room with a pin; both roomds join with --janus-pin-file
  and show each other; a squatter without the pin is refused by Janus
  (rtc-call's publish fails), so it is never listed.
TAP output.
"""
import os
import subprocess
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
RTC_CALL = os.path.join(BUILD, "tests", "rtc-call")
LOGS = os.path.join(BUILD, "test-logs")
ENCODER = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=300"
PROBATION = 10   # s, roomd-rtc-match.c's PROBATION_US


class Squatter:
    """rtc-call publishing as name (its own keys), or replaying the other
    publisher of that name; holds until stopped."""

    def __init__(self, tag, j, keys, name, log, replay=False, drop=0):
        self.name, self.log = tag, log
        args = [RTC_CALL, "--port", str(j.port), "--ca", j.ca, "--room", str(j.room),
                "--keys", keys, "--timeout", "600", "--frames", "1000000",
                "--local-addr", janus.JANUS_ADDR, "--name", name, "--hold"]
        if replay:
            args += ["--replay", name, "--replay-drop", str(drop)]
        self.out = open(log, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=self.out,
                                     stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def feed(self, seconds=120):
        """Its feed id, once it published (its "publisher connected" line)."""
        tap.wait_until(lambda: "publisher connected feed=" in self.text() or
                       self.proc.poll() is not None, seconds, f"{self.name} publishing")
        for ln in self.text().splitlines():
            if ln.startswith("rtc-call: publisher connected feed="):
                return int(ln.split("=")[1])
        raise RuntimeError(f"{self.name} did not publish (status {self.proc.poll()}): "
                           f"{self.text()[-1000:]}")

    def replayed(self):
        last = [ln for ln in self.text().splitlines() if ln.startswith("rtc-call: replayed=")]
        if not last:
            return 0, 0
        f = dict(x.split("=") for x in last[-1].split()[1:])
        return int(f["replayed"]), int(f["replay-dropped"])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


def candidates(rd):
    """SIGUSR1's "roomd candidate" lines: {feed: (sender, authenticated)} of the
    last report (printed before its transport line, after its keyprovider line;
    other threads' lines may come between)."""
    n = rd.text().count("roomd transport:")
    rd.proc.send_signal(10)   # SIGUSR1
    rd.wait_for(lambda t: t.count("roomd transport:") > n, "its transport line")
    lines = rd.text().splitlines()
    last = max(i for i, ln in enumerate(lines) if ln.startswith("roomd transport:"))
    out = {}
    for ln in reversed(lines[:last]):
        if ln.startswith("roomd keyprovider:"):
            break
        if ln.startswith("roomd candidate "):
            f = dict(x.split("=") for x in ln.split()[2:])
            out[int(f["feed"])] = (int(f["sender"]), int(f["authenticated"]))
    return out, lines[last]


def start_rooms(tmp, rooms, j, tag, extra=()):
    procs = []
    for r in rooms:
        n = r["n"]
        sd = users.frames_dir(os.path.join(tmp, f"{tag}-screen{n}"))
        frames = os.path.join(sd, "frames.sock")
        r["screen"] = roomproc.Screen(BIN, f"room {n}'s screen", os.path.join(sd, "screen.png"),
                                      frames, r["sock"],
                                      os.path.join(LOGS, f"janus-squat-{tag}-screen{n}.log"),
                                      "640x360")
        procs.append(r["screen"])
        r["roomd"] = roomproc.Roomd(BIN, f"room {n}'s roomd ({tag})", r["sock"], frames, None,
                                    None, r["pid"],
                                    os.path.join(LOGS, f"janus-squat-{tag}-roomd{n}.log"),
                                    dict(os.environ),
                                    ["--codeword", r["codeword"], "--width", "320", "--height",
                                     "180", "--encoder", ENCODER, *extra], janus=j)
        procs.append(r["roomd"])
    return procs


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="roomd-janus-squat-")
    os.chmod(tmp, 0o755)
    j = janus.Janus(os.path.join(tmp, "janus")).start()
    relay, port, certs = roomproc.start_relay(tmp)
    rooms = [roomproc.room(BIN, tmp, n, port, certs,
                           os.path.join(LOGS, f"janus-squat-keyxchgd{n}.log")) for n in (1, 2)]
    one, two = rooms
    procs, squatters = [], []
    try:
        roomproc.meeting(BIN, rooms, "squat")
        name = f"participant-{two['pid']}"
        keys = os.path.join(tmp, "squatter-keys")
        janus.make_keys(keys)

        # 1. The squatter publishes first.
        sq = Squatter("the squatter", j, keys, name, os.path.join(LOGS, "janus-squat-squatter.log"))
        squatters.append(sq)
        sq_feed = sq.feed()
        print(f"# the squatter publishes as {name} (feed {sq_feed}) before any roomd starts",
              flush=True)
        procs += start_rooms(tmp, rooms, j, "open")
        rd1 = one["roomd"]

        def shown():
            return one["screen"].stats()[0].get(two["pid"], 0)

        def shows(n, what, seconds=90):
            """Whether room 1's screen shows n frames of room 2 within seconds
            (a wait that gives up is said, and is a failed check)."""
            j.check_alive()
            try:
                tap.wait_until(lambda: shown() >= n or rd1.proc.poll() is not None, seconds,
                               f"room 1's screen showing {n} frames of room 2 {what}")
            except TimeoutError as e:
                print(f"# {e} (shown {shown()})", flush=True)
            return shown() >= n

        ok = shows(10, "while the squatter publishes")
        check(f"room 1 shows room 2 while a squatter published first as {name} "
              f"(shown {shown()}, squatter running: {sq.proc.poll() is None})",
              ok and sq.proc.poll() is None, rd1.text()[-2000:])
        first = shown()
        dec0 = rd1_decoded(rd1, two["pid"])
        ok = shows(first + 20, "20 more, the squatter still there")
        dec1 = rd1_decoded(rd1, two["pid"])
        check(f"room 2's frames keep coming at room 1 with the squatter there (shown {first} -> "
              f"{shown()}, decoded {dec0} -> {dec1})",
              ok and dec1 > dec0 and sq.proc.poll() is None)
        cands, line = candidates(rd1)
        genuine = [f for f, (s, a) in cands.items() if s == two["pid"] and f != sq_feed]
        check(f"room 1's roomd subscribed to both claimants of {name}; room 2's "
              f"authenticates (candidates {cands})",
              len(genuine) == 1 and cands[genuine[0]][1] > 0 and
              cands.get(sq_feed, (0, 0))[1] == 0 and
              (sq_feed in cands or f"feed {sq_feed} (slot" in rd1.text()), line)
        pruned = f"Janus feed {sq_feed} (slot"
        tap.wait_until(lambda: any(pruned in ln and "no frame that authenticates" in ln
                                   for ln in rd1.text().splitlines()), 3 * PROBATION + 30,
                       "room 1's roomd setting the squatter aside")
        said = [ln for ln in rd1.text().splitlines()
                if pruned in ln and "no frame that authenticates" in ln]
        check("the squatter, which brought no frame that authenticates, is unsubscribed",
              len(said) >= 1, said)
        print(f"# {said[:1]}", flush=True)

        # 2. A replaying squatter, half of room 2's frames left out (the first
        # squatter gone, so that room 2's publisher is the other one it finds).
        sq.stop()
        before = shown()
        t0 = time.monotonic()
        rep = Squatter("the replayer", j, keys, name, os.path.join(LOGS, "janus-squat-replayer.log"),
                       replay=True, drop=50)
        squatters.append(rep)
        rep_feed = rep.feed()
        tap.wait_until(lambda: f"Janus feed {rep_feed}, slot" in rd1.text() or
                       rd1.proc.poll() is not None, 60, "room 1's roomd subscribing to the replayer")
        tap.wait_until(lambda: rep.replayed()[0] >= 200 or rep.proc.poll() is not None, 90,
                       "the replayer forwarding 200 of room 2's packets")
        rp0 = rd1_counts(rd1, two["pid"])
        during0, t1 = shown(), time.monotonic()
        ok = shows(during0 + 30, "while the replayer replays")
        t2 = time.monotonic()
        rp1 = rd1_counts(rd1, two["pid"])
        fwd, dropped = rep.replayed()
        rate_before = (during0 - before) / max(t1 - t0, 0.1)
        rate_during = (shown() - during0) / max(t2 - t1, 0.1)
        print(f"# replayer: forwarded {fwd} packets, left out {dropped}; room 1 showed room 2 at "
              f"{rate_before:.1f}/s before it replayed and {rate_during:.1f}/s while it did; "
              f"replays dropped by e2eedec {rp0.get('replayed')} -> {rp1.get('replayed')}, "
              f"auth-failed {rp1.get('auth-failed')}, lost {rp1.get('lost')}", flush=True)
        check("room 1 goes on showing room 2 while a squatter replays room 2's frames "
              "selectively", ok and rep.proc.poll() is None and fwd > 0)
        check("the replayed copies reach e2eedec and are dropped as replays",
              rp1.get("replayed", 0) > rp0.get("replayed", 0), (rp0, rp1))
        cands, line = candidates(rd1)
        check(f"room 2's own publisher stays subscribed while the replayer is there "
              f"(feed {genuine[0]}; candidates {cands})", genuine[0] in cands, line)
        aside = any(f"Janus feed {rep_feed} (slot" in ln and "no frame that authenticates" in ln
                    for ln in rd1.text().splitlines())
        print(f"# the replayer {'was' if aside else 'was not (yet)'} set aside", flush=True)
        # 3. More claimants than a sender's slots: the replayer and 4 more
        # (room 2's publisher and 5 others claim the name; 4 slots).
        more = [Squatter(f"replayer {i}", j, keys, name,
                         os.path.join(LOGS, f"janus-squat-replayer{i}.log"), replay=True)
                for i in range(2, 6)]
        squatters += more
        feeds = [m.feed() for m in more]
        over = "more publishers claim participant-"
        tap.wait_until(lambda: over in rd1.text() or rd1.proc.poll() is not None, 90,
                       "room 1's roomd naming the claimants it leaves out")
        said = [ln for ln in rd1.text().splitlines() if over in ln]
        check(f"claimants beyond the 4 slots are counted and named ({said[:1]})",
              said and any(str(f) in said[0] for f in feeds + [rep_feed]), rd1.text()[-1500:])
        now = shown()
        check(f"room 1 goes on showing room 2 with 6 publishers claiming {name} (shown {now})",
              shows(now + 30, "with 6 claimants") and all(m.proc.poll() is None for m in more))
        cands, line = candidates(rd1)
        check(f"at most 4 subscriptions for the name, room 2's among them ({cands})",
              len(cands) <= 4 and genuine[0] in cands, line)
        for s in squatters:
            s.stop()
        for p in procs:
            p.stop()
        tr = rd1.transport()
        check(f"room 1's transport line counts the candidates (candidates={tr.get('candidates')} "
              f"candidates-pruned={tr.get('candidates-pruned')} "
              f"candidates-over={tr.get('candidates-over')})",
              tr.get("candidates", 0) >= 2 and tr.get("candidates-pruned", 0) >= 1 and
              tr.get("candidates-over", 0) >= 1,
              rd1.lines("roomd transport:"))
        procs = []
        j.stop()

        # 4. The room with a pin.
        pin = "squat-" + os.urandom(6).hex()
        j = janus.Janus(os.path.join(tmp, "janus-pin"), pin=pin).start()
        bad = Squatter("the squatter without the pin", j, keys, name,
                       os.path.join(LOGS, "janus-squat-nopin.log"))
        squatters.append(bad)
        tap.wait_until(lambda: bad.proc.poll() is not None, 60, "Janus refusing the squatter")
        check("Janus refuses a publisher without the room's pin",
              bad.proc.returncode == 1 and "FAILED publish" in bad.text(), bad.text()[-500:])
        procs += start_rooms(tmp, rooms, j, "pin")   # roomproc: --janus-pin-file
        rd1 = one["roomd"]
        ok = shows(10, "in the room with a pin")
        check("both roomds join the room with its pin and room 1 shows room 2", ok,
              rd1.text()[-1500:])
    finally:
        for s in squatters:
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001
                print(f"# stopping {s.name}: {e}")
        roomproc.stop_all(procs, rooms, relay)
        j.stop()
    return finish()


def rd1_counts(rd, sender):
    """roomd's per-sender counts now (SIGUSR1)."""
    n = rd.text().count("roomd senders:")
    rd.proc.send_signal(10)
    rd.wait_for(lambda t: t.count("roomd senders:") > n, "its counts")
    return rd.results().get(sender, {})


def rd1_decoded(rd, sender):
    return rd1_counts(rd, sender).get("decoded-frames", 0)


if __name__ == "__main__":
    tap.main(main)
