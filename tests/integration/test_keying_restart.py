#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keyxchgd hands each epoch's media keys to the key subscriber once
(PROTOCOL.md 6.8, issue 11 finding 3), end to end on loopback through the
misbehaving relay fixture:

* a member's media daemon that subscribes again mid-epoch (a restart) gets no
  key of that epoch (whose replay windows and send counters would start
  afresh), status says it waits, its room sends the host a signed
  rekey_request, and the host's fresh epoch keys it again;
* the host's own media daemon restarting: the host starts the fresh epoch;
* a member that floods rekey requests (signed with its own identity key,
  injected through the relay) gets no more fresh epochs than one per 10 s;
  a request the relay replays is refused.

The helpers (rooms, relay, waits) are test_keying.py's. TAP output.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_keying import (Room, admit, check, kxpy, relay_bodies, run_sections,  # noqa: E402
                         wait_until, warnings)
import tap  # noqa: E402  (test_keying put tests/lib on the path)

GAP_S = 10  # DAEMON.md: at most one fresh epoch on request per 10 s


class Subscriber:
    """A media daemon's key subscription (what roomd / e2ee-media open); read
    with Room.pump, which keeps its key installs in .keys."""

    def __init__(self, room):
        self.events = room.connect()    # keyxchgd's own uid (test_keying.Room)
        self.events.sendall(b'{"cmd":"subscribe","events":["keys","state"]}\n')
        self.events.setblocking(False)
        self.buf, self.seen, self.keys = b"", [], {}

    def installs(self):
        Room.pump(self)
        return self.keys

    def close(self):
        self.events.close()


def epoch_of(kid):
    return kid & 0xFF


def seed_of(room):
    with open(os.path.join(room.state_dir, "identity.key"), "rb") as f:
        return f.read()


def panel_subscribe(room):
    """The panel's view (roster and state, no keys): Room.pump reads it. Not
    Room.subscribe, which takes the keys a media daemon would."""
    s = room.connect()
    s.sendall(b'{"cmd":"subscribe","events":["roster","state"]}\n')
    s.setblocking(False)
    room.events, room.buf, room.seen = s, b"", []


def meeting(tmp, relay, n, name):
    """Host n and member n+1 in meeting `name`, at the member's admission epoch;
    no media daemon subscribed yet."""
    host, member = Room(tmp, n, relay), Room(tmp, n + 1, relay)
    for r in (host, member):
        panel_subscribe(r)
    host.ctl("join", "--meeting", name, "--role", "host", "--name", f"Room {n}")
    ok, _ = admit(host, member, name)
    ok = ok and wait_until(lambda: member.status().get("epoch", 0) >= 1 and
                           member.status().get("have_secret"), 20, [host, member])
    return ok, host, member


def member_restart_tests(tmp, relay):
    ok, host, member = meeting(tmp, relay, 200, "restart")
    # The media daemon of the member runs: its subscription got the epoch's keys.
    media = Subscriber(member)
    e = member.status().get("epoch")
    first = wait_until(lambda: any(epoch_of(k) == e % 256 for k in media.installs()), 10)
    kids_e = {k for k in media.installs() if epoch_of(k) == e % 256}
    check(f"a member's media daemon subscribing first gets the keys of epoch {e}",
          ok and first and len(kids_e) == 4, (ok, first, kids_e))
    before = host.status().get("rekeys_on_request")
    # It dies and starts again mid-epoch.
    media.close()
    again = Subscriber(member)
    waiting = wait_until(lambda: member.status().get("keys_waiting"), 5) or \
        member.status().get("epoch") > e
    fresh = wait_until(lambda: any(epoch_of(k) != e % 256 for k in again.installs()), 30,
                       [host, member])
    got = again.installs()
    stale = [k for k in got if epoch_of(k) == e % 256]
    st = member.status()
    check(f"restarted mid-epoch, it gets no key of epoch {e} again (handed once): "
          "its replay windows and send counters cannot start afresh",
          not stale, (stale, list(got)))
    check("its status says it waits for keys, a warning says why",
          waiting and warnings(member, "handed already"), (waiting, st.get("keys_waiting")))
    reqs = relay_bodies(relay, "rekey_request", None, "restart")
    hs = host.status()
    check("the member sent its host a signed rekey_request for the held epoch, which the "
          "host answered with a fresh epoch", fresh and reqs and
          kxpy.verify(reqs[0][0]["body"], member.ik()) and reqs[0][0]["body"]["epoch"] == e and
          hs.get("rekeys_on_request", 0) == (before or 0) + 1,
          (fresh, len(reqs), hs.get("rekeys_on_request"), before))
    # The fresh epoch's four keys are four events: the first one seen above may
    # have come alone (keyxchgd writes them one by one), so wait for the whole.
    def keyed():
        st = member.status()
        e2 = st.get("epoch", 0)
        return (e2 > e and not st.get("keys_waiting") and
                len([k for k in again.installs() if epoch_of(k) == e2 % 256]) == 4)
    keyed_ok = fresh and wait_until(keyed, 20, [host, member])
    st = member.status()
    e2 = st.get("epoch")
    check(f"the fresh epoch {e2} keys the restarted media daemon (send and receive keys, "
          "new KIDs) and it no longer waits", keyed_ok,
          (e2, st.get("keys_waiting"), st.get("sync"), sorted(again.installs()),
           warnings(member, "")))
    # A subscription that comes back once more, at the fresh epoch: nothing again.
    again.close()
    third = Subscriber(member)
    time.sleep(1)
    check("and a third subscription mid-epoch gets none of the fresh epoch's keys either",
          not [k for k in third.installs() if epoch_of(k) == e2 % 256], list(third.installs()))
    third.close()
    for r in (host, member):
        r.stop()


def host_restart_tests(tmp, relay):
    ok, host, member = meeting(tmp, relay, 210, "hostrestart")
    media = Subscriber(host)
    e = host.status().get("epoch")
    wait_until(lambda: media.installs(), 10)
    media.close()
    again = Subscriber(host)
    fresh = wait_until(lambda: any(epoch_of(k) != e % 256 for k in again.installs()), 20,
                       [host, member])
    got = again.installs()
    check("the host's own media daemon restarted mid-epoch: no key of that epoch again, "
          "the host starts a fresh epoch itself and keys it",
          ok and fresh and not [k for k in got if epoch_of(k) == e % 256] and
          host.status().get("epoch") > e and host.status().get("rekeys_on_request") == 1,
          (ok, fresh, list(got), host.status().get("epoch")))
    again.close()
    for r in (host, member):
        r.stop()


def flood_tests(tmp, relay):
    ok, host, member = meeting(tmp, relay, 220, "flood")
    hid, mid = host.status().get("participant"), member.status().get("participant")
    seed = seed_of(member)
    meeting_id = relay_bodies(relay, "roster", f"p{hid}", "flood")[-1][0]["body"]["meeting"]
    start_epoch = host.status().get("epoch")
    # A hostile member floods: each request signed with its own key, for the
    # epoch the host holds now, with a fresh time: all valid.
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < 2 * GAP_S + 2:
        epoch = host.status().get("epoch")
        items = []
        for _ in range(5):
            req = {"v": 1, "type": "rekey_request", "meeting": meeting_id, "epoch": epoch,
                   "from": mid, "time": int(time.time() * 1000) + sent, "sig": ""}
            items.append({"from": f"p{mid}", "body": kxpy.sign(req, seed)})
            sent += 1
        last = items[-1]
        relay.control({"cmd": "inject", "room": "flood", "to": f"p{hid}", "items": items})
        time.sleep(0.2)
    elapsed = time.monotonic() - t0
    wait_until(lambda: host.status().get("rekey_requests", 0) > 0, 5)
    hs = host.status()
    bound = 1 + int(elapsed // GAP_S)
    fresh = hs.get("epoch") - start_epoch
    check(f"{sent} valid rekey requests in {elapsed:.1f} s cause {fresh} fresh epochs, no more "
          f"than one per {GAP_S} s ({bound})", 1 <= fresh <= bound and
          hs.get("rekeys_on_request") == fresh, (sent, elapsed, hs.get("rekey_requests"),
                                                  hs.get("rekeys_on_request"), fresh))
    # The relay replays a request the host accepted: refused, no fresh epoch.
    wait_until(lambda: False, GAP_S + 1)   # past the gap: a replay would be granted
    before = host.status()
    body = last["body"]
    relay.control({"cmd": "inject", "room": "flood", "to": f"p{hid}", "items": [last] * 3})
    refused = wait_until(lambda: host.status().get("rekey_requests_refused", 0) >=
                         before.get("rekey_requests_refused", 0) + 3, 10)
    after = host.status()
    check("a rekey request replayed by the relay is refused (not later than the last), "
          "and starts no epoch", body and refused and after.get("epoch") == before.get("epoch"),
          (refused, before.get("epoch"), after.get("epoch"), after.get("rekey_requests_refused")))
    # Signed by the member for an epoch the host no longer holds: refused too.
    old = kxpy.sign({"v": 1, "type": "rekey_request", "meeting": meeting_id,
                     "epoch": start_epoch, "from": mid, "time": int(time.time() * 1000) + 10**6,
                     "sig": ""}, seed)
    relay.control({"cmd": "inject", "room": "flood", "to": f"p{hid}",
                   "items": [{"from": f"p{mid}", "body": old}]})
    n = after.get("rekey_requests_refused", 0)
    check("a rekey request for an earlier epoch is refused",
          wait_until(lambda: host.status().get("rekey_requests_refused", 0) > n, 10) and
          host.status().get("epoch") == after.get("epoch"), host.status().get("epoch"))
    for r in (host, member):
        r.stop()


def main():
    return run_sections("kx-restart-", [("member", member_restart_tests),
                                        ("host", host_restart_tests), ("flood", flood_tests)])


if __name__ == "__main__":
    tap.main(main)
