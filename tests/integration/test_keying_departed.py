#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keyxchgd: a participant the roster no longer lists is refused at once
(PROTOCOL.md 6.4; security review session 6, finding 1). End to end on
loopback through the relay fixture, with key subscribers as a media daemon.

When a roster drops a participant, every room that takes it (the host that
made it, the members that accept it) announces the removal of that
participant's receive keys of every epoch before any key of the new epoch and
before the roster event (CONTROL.md "media-key"); the remaining senders' keys
of the old epoch stay for the grace period (their frames in flight), then go.
The departed sender's keys are never handed to a key subscriber that comes
later either. The ways a roster drops someone:

* remove: the host removes X;
* leave: X leaves (signed), the host's next roster drops it;
* takeover: the host leaves, its successor takes over with a roster without it;
* late subscriber: the host removes X before any key subscriber connected.

The old daemon kept X's keys for the 10 s grace like everyone's: each check
below fails on it. The helpers (rooms, relay, waits) are test_keying.py's. TAP.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_keying import (Room, check, run_sections, three_rooms, wait_until)  # noqa: E402
import tap  # noqa: E402  (test_keying put tests/lib on the path)

GRACE_BOUND_S = 40   # a generous bound on the grace (2 s switch + 10 s), under load


def kid_sender(kid):
    """KID = stream << 24 | sender << 8 | epoch mod 256 (PROTOCOL.md 7)."""
    return (kid >> 8) & 0xffff


def kid_epoch8(kid):
    return kid & 0xff


class Watch:
    """A room's key subscription, with the time each event arrived."""

    def __init__(self, room):
        self.room, self.times = room, []

    def pump(self):
        self.room.pump()
        now = time.monotonic()
        self.times += [now] * (len(self.room.seen) - len(self.times))

    def held_before(self, idx):
        """The (kid, usage) installed and not removed among the events before idx."""
        held = set()
        for ev in self.room.seen[:idx]:
            if ev.get("event") != "media-key":
                continue
            k = (ev["kid"], ev["usage"])
            if ev["action"] == "install":
                held.add(k)
            else:
                held.discard(k)
        return held

    def roster_at(self, epoch):
        """The index of the first roster event of epoch, or None."""
        self.pump()
        for i, ev in enumerate(self.room.seen):
            if ev.get("event") == "roster" and ev.get("epoch") == epoch:
                return i
        return None

    def removed_at(self, kid, after=0):
        """The index of kid's remove event at or after index after, or None."""
        for i, ev in enumerate(self.room.seen[after:], after):
            if ev.get("event") == "media-key" and ev["action"] == "remove" and ev["kid"] == kid:
                return i
        return None

    def first_install_of(self, epoch, after):
        for i, ev in enumerate(self.room.seen[after:], after):
            if ev.get("event") == "media-key" and ev["action"] == "install" and \
                    kid_epoch8(ev["kid"]) == epoch % 256:
                return i
        return None


def receive_kids(room, epoch, sender):
    return sorted(k["kid"] for k in room.status().get("keys", [])
                  if k["epoch"] == epoch and k["usage"] == "receive" and
                  kid_sender(k["kid"]) == sender)


def dropped_at_once(what, watches, e, gone, t0):
    """For each watched room: at the roster event of epoch e+1, the departed sender's
    receive keys of epoch e are announced removed (before that event and before any
    key of e+1), and the remaining senders' keys of epoch e are still held; they go
    later, within the grace. watches: (Watch, (gone's KIDs, the stayers' KIDs of epoch e))."""
    for w, (gone_kids, stay_kids) in watches:
        name = f"room {w.room.n}"
        got = wait_until(lambda: w.roster_at(e + 1) is not None, 20)
        idx = w.roster_at(e + 1)
        held = w.held_before(idx) if idx is not None else set()
        rm = [w.removed_at(k) for k in gone_kids]
        inst = w.first_install_of(e + 1, 0) if idx is not None else None
        in_time = [w.times[i] - t0 for i in rm if i is not None]
        check(f"{what}: {name} announces p{gone}'s receive keys of epoch {e} removed "
              f"before roster {e + 1} (and before its keys), "
              f"{max(in_time) if in_time else -1:.2f} s after; the remaining senders' keys "
              f"of epoch {e} are still held then",
              got and gone_kids and stay_kids and None not in rm and
              all(i < idx for i in rm) and (inst is None or all(i < inst for i in rm)) and
              not any((k, "receive") in held for k in gone_kids) and
              all((k, "receive") in held for k in stay_kids),
              (got, idx, gone_kids, stay_kids, rm, inst, sorted(held)))
    for w, (gone_kids, stay_kids) in watches:
        name = f"room {w.room.n}"
        idx = w.roster_at(e + 1) or 0

        def all_gone():
            w.pump()
            return all(w.removed_at(k, idx) is not None for k in stay_kids)
        ok = wait_until(all_gone, GRACE_BOUND_S)
        ts = [w.times[w.removed_at(k, idx)] - w.times[idx] for k in stay_kids
              if w.removed_at(k, idx) is not None]
        check(f"{what}: {name} removes the remaining senders' keys of epoch {e} after "
              f"their grace ({min(ts) if ts else -1:.1f} to {max(ts) if ts else -1:.1f} s "
              f"after roster {e + 1}; bound {GRACE_BOUND_S} s)",
              ok and stay_kids and ts and min(ts) >= 1.5, (ok, stay_kids, ts))


def departure(tmp, relay, n, meeting, what, gone_at, act, said):
    """Three rooms (host, successor, member) at one epoch; act(rooms) makes
    rooms[gone_at] depart and returns kxctl's (rc, reply); the other two must refuse
    its media at once and keep each other's for the grace."""
    rooms = three_rooms(tmp, relay, n, meeting, 30)
    ok, rooms = rooms[3], rooms[:3]
    e = rooms[0].status().get("epoch")
    ok = ok and wait_until(lambda: all(r.status().get("epoch") == e for r in rooms), 15)
    ids = [r.status().get("participant") for r in rooms]
    gone = ids[gone_at]
    watches = []
    for i, r in enumerate(rooms):
        if i != gone_at:
            other = ids[3 - i - gone_at]
            watches.append((Watch(r), (receive_kids(r, e, gone), receive_kids(r, e, other))))
    for w, _ in watches:
        w.pump()
    t0 = time.monotonic()
    rc, rep = act(rooms)
    check(f"{what}: three rooms at epoch {e}, each holding the others' receive keys; "
          f"{said} p{gone}", ok and rc == 0 and all(g and k for _, (g, k) in watches),
          (ok, e, rc, rep, [k for _, k in watches]))
    dropped_at_once(what, watches, e, gone, t0)
    for r in rooms:
        r.stop()


def remove_tests(tmp, relay):
    """The host removes X: the host and the other member refuse X's media at once."""
    departure(tmp, relay, 200, "departed", "remove", 2,
              lambda rooms: rooms[0].ctl("remove", str(rooms[2].status().get("participant"))),
              "the host removes")


def leave_tests(tmp, relay):
    """X leaves (signed): the host's roster drops it, everyone drops its keys at once."""
    departure(tmp, relay, 210, "departing", "leave", 2, lambda rooms: rooms[2].ctl("leave"),
              "a signed leave of")


def takeover_tests(tmp, relay):
    """The host leaves: its successor's roster drops it; the member drops the old host's
    keys at once and keeps the successor's old ones for the grace."""
    departure(tmp, relay, 220, "handover", "takeover", 0, lambda rooms: rooms[0].ctl("leave"),
              "the successor takes over after a signed leave of the host")


def late_subscriber_tests(tmp, relay):
    """The host removes X while no key subscriber is connected (its media daemon starts
    later, or restarts): the subscriber that comes then gets no key of X's, of any
    epoch, but the remaining member's keys of both epochs."""
    h = Room(tmp, 230, relay)
    m, x = Room(tmp, 231, relay), Room(tmp, 232, relay)
    for r in (m, x):
        r.subscribe()
    h.ctl("join", "--meeting", "latesub", "--role", "host", "--name", "Room 230")
    ok1, _ = admit_unsubscribed(h, m, "latesub")
    wait_until(lambda: m.state() == "in-meeting", 15)
    ok2, _ = admit_unsubscribed(h, x, "latesub")
    ok = ok1 and ok2 and wait_until(lambda: x.state() == "in-meeting" and
                                    x.fps(x.status().get("epoch")), 15, [m, x])
    e = x.status().get("epoch")
    ok = ok and wait_until(lambda: m.fps(e) and h.status().get("epoch") == e, 15, [m, x])
    xid, mid = x.status().get("participant"), m.status().get("participant")
    before_x, before_m = receive_kids(h, e, xid), receive_kids(h, e, mid)
    rc, rep = h.ctl("remove", str(xid))
    # Subscribed right away: within the grace of epoch e (its switch alone is 2 s).
    wait_until(lambda: h.status().get("epoch") == e + 1, 10)
    h.subscribe()
    w = Watch(h)
    # The state event comes last in the answer to subscribe (after the keys held).
    wait_until(lambda: (w.pump(), any(ev.get("event") == "state" for ev in h.seen))[1], 10)
    got = {ev["kid"] for ev in h.seen
           if ev.get("event") == "media-key" and ev["action"] == "install"}
    mine = {k for k in got if kid_sender(k) == xid}
    check(f"late subscriber: the host removes p{xid} with no key subscriber; the one that "
          f"subscribes then gets none of p{xid}'s keys (epoch {e}: {before_x}) but p{mid}'s "
          f"of epoch {e} (in their grace) and {e + 1}",
          ok and rc == 0 and before_x and before_m and not mine and
          set(before_m) <= got and any(kid_sender(k) == mid and kid_epoch8(k) == (e + 1) % 256
                                       for k in got),
          (ok, rc, rep, before_x, before_m, sorted(got)))
    for r in (h, m, x):
        r.stop()


def admit_unsubscribed(host, member, meeting):
    """admit() for a host without a subscription: the knock from status's lobby."""
    rc, rep = member.ctl("join", "--meeting", meeting, "--role", "member", "--name",
                         f"Room {member.n}")
    me = member.status().get("participant")

    def knock():
        return [k for k in host.status().get("lobby", []) if k.get("participant") == me and
                k.get("knock") and k.get("shown")]
    if rc != 0 or not wait_until(knock, 15):
        return False, (rc, rep, host.status().get("lobby"))
    rc, rep = host.ctl("admit", str(me), "--knock", knock()[0]["knock"])
    return rc == 0, rep


def main():
    return run_sections("kx-departed-", [
        ("remove", remove_tests), ("leave", leave_tests), ("takeover", takeover_tests),
        ("latesub", late_subscriber_tests)])


if __name__ == "__main__":
    tap.main(main)
