#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keyxchgd, PROTOCOL.md version 2 (issue "Keying v2, part 1"), end to end on
loopback through the misbehaving relay fixture: each attack of the review,
which the version 1 daemon let through, now refused.

* remove: the host removes a member; at once a fresh secret without it; the
  relay can undo none of it (replayed knock, replayed roster, forged
  presence), and the removed IK, even allow-listed, comes back only when a
  person admits it by its codeword;
* end: the host ends the meeting; members treat it as terminal (no keys, no
  takeover); ends forged by a member or the relay are refused;
* the knock swap: the relay replaces a knock just before the click; the
  admission names the knock shown (hash or codeword), so it is refused, and
  nothing is pinned until a person admitted or verified it (the host's key on
  the member's side included);
* first contact: the relay plays host (its own signed hello, its own roster
  and sealed secret): an unconfirmed host gets no media until the room
  verifies it; two different hellos for one meeting stop the room
  (equivocation); a meeting code typed names the real host's key, and the
  relay's hello is refused;
* one group security code per epoch: every room of an epoch shows the same;
  a meeting split by the relay (a successor cut off takes over, the host
  rekeys) shows different codes at the same epoch number;
* the lower findings: a deny spends the knocker's earlier knocks; a successor
  refuses knocks signed before it took over; display names with bidi or
  zero-width characters are refused; uid options are parsed strictly;
* the control socket's gaps: a knocker's status shows the host's codeword,
  status names participants by their display names (device ids beside them),
  `kxctl events --seconds S` prints what comes in S seconds.

The helpers (rooms, relay, waits) are test_keying.py's. TAP output.
"""
import hashlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_keying import (BIN, Room, admit, allow_list, host_and_member, check,  # noqa: E402
                         kxpy, knocks, relay_bodies, run_sections, same_epoch_keys, state_dir,
                         states, three_rooms, wait_until, warnings)
import tap  # noqa: E402  (test_keying put tests/lib on the path)
import users  # noqa: E402


def seed_of(room):
    with open(os.path.join(room.state_dir, "identity.key"), "rb") as f:
        return f.read()


def remove_tests(tmp, relay):
    """The host removes a member, allow-listed even: out at once, and the relay cannot
    bring it back; only a person admitting a new knock by its codeword can."""
    gone = Room(tmp, 101, relay)
    allow_list(tmp, 100, gone)
    host = Room(tmp, 100, relay, ["--join-batch-ms", "300"])
    other = Room(tmp, 102, relay)
    rooms = [host, gone, other]
    for r in rooms:
        r.subscribe()
    host.ctl("join", "--meeting", "remove", "--role", "host", "--name", "Room 100")
    gone.ctl("join", "--meeting", "remove", "--role", "member", "--name", "Room 101")
    ok = wait_until(lambda: gone.state() == "in-meeting", 15, rooms)
    ok2, _ = admit(host, other, "remove")
    e = 2
    ok = ok and ok2 and wait_until(lambda: same_epoch_keys(rooms, e)[0], 20, rooms)
    pid, hid = gone.status().get("participant"), host.status().get("participant")
    rc, rep = host.ctl("remove", str(pid))
    out = wait_until(lambda: gone.state() == "left" and
                     same_epoch_keys([host, other], e + 1)[0], 20, rooms)
    sealed_to = {b["body"]["to"] for b, _ in relay_bodies(relay, "epoch_key", f"p{hid}", "remove")
                 if b["body"]["epoch"] == e + 1}
    check("remove: at once a roster without the member and a fresh secret sealed to the "
          "others only; the removed room leaves and holds no key of the new epoch",
          ok and rc == 0 and out and pid not in host.members() and pid not in sealed_to and
          sealed_to and not (set(gone.fps()) & set(host.fps(e + 1))) and
          host.status().get("epoch") == e + 1,
          (ok, rc, rep, out, host.members(), sealed_to, gone.status()))

    # The relay tries to undo it: the removed room's admitted knock replayed to the
    # host, the roster that still listed it replayed to the other member, a forged
    # presence "joined".
    knock = relay_bodies(relay, "announce", f"p{pid}", "remove")[-1][0]["body"]
    old = [b["body"] for b, _ in relay_bodies(relay, "roster", f"p{hid}", "remove")
           if b["body"]["epoch"] == e][-1]
    stale = host.status().get("stale_refused", 0)
    relay.control({"cmd": "presence", "room": "remove", "to": f"p{hid}", "event": "joined",
                   "participant": f"p{pid}"})
    relay.control({"cmd": "inject", "room": "remove", "to": f"p{other.status()['participant']}",
                   "from": f"p{hid}", "body": old})
    relay.control({"cmd": "inject", "room": "remove", "to": f"p{hid}", "from": f"p{pid}",
                   "body": knock})
    refused = wait_until(lambda: host.status().get("stale_refused", 0) > stale, 10)
    check("the relay replays the removed room's admitted knock, the roster that listed it and "
          "a presence 'joined': refused, nobody comes back, the epoch stays",
          refused and pid not in host.members() and host.status().get("epoch") == e + 1 and
          other.status().get("epoch") == e + 1 and pid not in other.members(),
          (refused, host.members(), host.status().get("epoch"), other.status().get("epoch")))

    # The removed room knocks anew: allow-listed, yet shown and not admitted by itself.
    n = len(knocks(host))
    gone.ctl("join", "--meeting", "remove", "--role", "member", "--name", "Room 101")

    def again():
        return [k for k in knocks(host)[n:] if k["device"] == "room-101"]
    shown = wait_until(again, 15)
    k = (again() or [{}])[-1]
    # auto-admission happens when the knock is shown: the lobby says it now.
    lobby = {x["participant"]: x for x in host.status().get("lobby", [])}
    check("the removed room knocks again: shown as barred, not admitted automatically "
          "although allow-listed", shown and k.get("barred") is True and
          k.get("auto") is False and lobby.get(k.get("participant"), {}).get("admitted") is False,
          (k, lobby))
    rc1, rep1 = host.ctl("admit", str(k.get("participant")))
    rc2, rep2 = host.ctl("admit", str(k.get("participant")), "--codeword", k.get("codeword", "-"))
    back = wait_until(lambda: gone.state() == "in-meeting" and
                      same_epoch_keys(rooms, e + 2)[0], 20, rooms)
    check("it is admitted again only by its codeword (without: refused)",
          rc1 != 0 and rc2 == 0 and back, (rc1, rep1, rc2, rep2, back))
    for r in rooms:
        r.stop()


def end_tests(tmp, relay):
    """The host ends the meeting: terminal for every member, no takeover; forged ends
    are refused."""
    h, s, m, ok = three_rooms(tmp, relay, 110, "ending", 2)
    hid, sid, mid = (r.status().get("participant") for r in (h, s, m))
    e = h.status().get("epoch")
    hello = relay_bodies(relay, "roster", f"p{hid}", "ending")[-1][0]["body"]
    end = {"v": 1, "type": "end", "meeting": hello["meeting"], "epoch": e, "from": mid,
           "time": int(time.time() * 1000)}
    # A member's own signed end, and one naming the host but signed by the member.
    forged = [kxpy.sign(end, seed_of(m)), kxpy.sign(dict(end, **{"from": hid}), seed_of(m))]
    relay.control({"cmd": "inject", "room": "ending", "to": f"p{sid}",
                   "items": [{"from": f"p{mid}", "body": forged[0]},
                             {"from": f"p{hid}", "body": forged[1]}]})
    refused = wait_until(lambda: len(warnings(s, "rejected an end")) >= 2, 10, [s])
    check("an end signed by a member, or by a member in the host's name, is refused: the "
          "successor stays in the meeting", ok and refused and s.state() == "in-meeting",
          (ok, refused, s.state()))
    # A room still knocking when the meeting ends: the end counts for it too (its
    # hello's host signed it).
    x = Room(tmp, 113, relay)
    n = len(knocks(h))
    x.ctl("join", "--meeting", "ending", "--role", "member", "--name", "Room 113")
    knocking = wait_until(lambda: len(knocks(h)) > n, 15, [h])
    rc, rep = h.ctl("end")
    ended = wait_until(lambda: s.state() == "ended" and m.state() == "ended" and
                       x.state() == "ended", 15, [s, m])
    x.stop()
    sts = [r.status() for r in (h, s, m)]
    check("the host ends the meeting: every room is 'ended' (a knocker in the lobby too), "
          "holds no key, has closed the relay connection, and the successor did not take "
          "over",
          rc == 0 and ended and all(st.get("state") == "ended" and not st.get("keys") and
                                    st.get("relay") == "down" for st in sts) and
          sts[1].get("host") is False and "ended" in states(s) and knocking,
          (rc, rep, knocking, [(st.get("state"), len(st.get("keys", [])), st.get("relay"),
                                st.get("host")) for st in sts]))
    ends = relay_bodies(relay, "end", f"p{hid}", "ending")
    check("the end on the wire is the host's, signed over its canonical encoding, for the "
          "final epoch", ends and ends[-1][0]["body"]["epoch"] == e and
          ends[-1][0]["body"]["from"] == hid and ends[-1][0]["to"] == "*" and
          kxpy.verify(ends[-1][0]["body"], h.ik()),
          ends[-1:] if ends else None)
    for r in (h, s, m):
        r.stop()


def request(room, obj):
    """One raw control request (what kxctl would refuse to send), its reply."""
    s = room.connect()
    f = s.makefile("rwb")
    f.write(json.dumps(obj).encode() + b"\n")
    f.flush()
    rep = json.loads(f.readline())
    s.close()
    return rep


def pins(room):
    path = os.path.join(room.state_dir, "pins")
    return dict(line.split() for line in open(path)) if os.path.exists(path) else {}


def knock_swap_tests(tmp, relay):
    """Room V knocks; just before the click the relay replaces the knock with its own
    (V's device id and name, its own key). The admission names what was shown."""
    from nacl.signing import SigningKey
    host, v, hid = host_and_member(tmp, relay, 120, "swap")
    v.ctl("join", "--meeting", "swap", "--role", "member", "--name", "Room 121")
    ok = wait_until(lambda: knocks(host), 15, [host])
    kv = (knocks(host) or [{}])[-1]
    pid = kv.get("participant")
    hello = relay_bodies(relay, "roster", f"p{hid}", "swap")[-1][0]["body"]
    seed = os.urandom(32)
    fake = kxpy.sign({"v": 1, "type": "announce", "meeting": hello["meeting"], "from": pid,
                      "device": "room-121", "name": "Room 121",
                      "ik": kxpy.b64(bytes(SigningKey(seed).verify_key)),
                      "ek": kxpy.b64(os.urandom(32)), "time": int(time.time() * 1000) + 1},
                     seed)
    relay.control({"cmd": "inject", "room": "swap", "to": f"p{hid}", "from": f"p{pid}",
                   "body": fake})
    swapped = wait_until(lambda: warnings(host, "ANOTHER identity key"), 10, [host])
    bare = request(host, {"cmd": "admit", "participant": pid})
    rc1, rep1 = host.ctl("admit", str(pid), "--knock", kv.get("knock", "-"))
    rc2, rep2 = host.ctl("admit", str(pid), "--codeword", kv.get("codeword", "-"))
    st = host.status()
    check("the knock swapped by the relay before the click: a bare admit, the admit naming "
          "the knock shown (its hash) and the one naming its codeword are all refused; "
          "nobody admitted, nothing pinned",
          ok and swapped and not bare.get("ok") and rc1 == 1 and rc2 == 1 and
          st.get("epoch") == 0 and "room-121" not in pins(host) and
          not any(x["admitted"] for x in st.get("lobby", [])),
          (ok, swapped, bare, rc1, rep1, rc2, rep2, st.get("epoch"), pins(host)))

    # V knocks anew: admitted by that knock's hash; pinned now, with V's key.
    v.ctl("leave")
    n = len(knocks(host))
    v.ctl("join", "--meeting", "swap", "--role", "member", "--name", "Room 121")

    def real():
        return [k for k in knocks(host)[n:] if k["codeword"] == v.codeword]
    wait_until(real, 15, [host])
    k = (real() or [{}])[-1]
    rc, rep = host.ctl("admit", str(k.get("participant")), "--knock", k.get("knock", "-"))
    inside = wait_until(lambda: v.state() == "in-meeting", 15, [v])
    check("V's own new knock, admitted by its hash: V is in, pinned at the host with its "
          "own key", rc == 0 and inside and pins(host).get("room-121") == v.ik().hex(),
          (rc, rep, inside, pins(host)))
    # The member pinned nothing by being admitted; the person's verify pins the host.
    before = pins(v)
    rc, rep = v.ctl("verify", str(hid))
    check("the admitted member pinned nothing on admission (the host's key neither); its "
          "person's verify of the host pins it", "room-120" not in before and rc == 0 and
          pins(v).get("room-120") == host.ik().hex(), (before, rc, rep, pins(v)))
    for r in (host, v):
        r.stop()


class FakeHost:
    """The relay playing host, with the second implementation (test_kx_vectors.py):
    its own IK and EK, a signed epoch-0 hello, then an admission with a secret it
    draws and seals itself. meeting: the id to claim (default random)."""

    def __init__(self, relay, room, pid=900, meeting=None):
        from nacl.bindings import crypto_scalarmult_base
        from nacl.signing import SigningKey
        self.relay, self.room, self.pid = relay, room, pid
        self.seed, self.ek_sk = os.urandom(32), os.urandom(32)
        self.ik = bytes(SigningKey(self.seed).verify_key)
        self.ek = crypto_scalarmult_base(self.ek_sk)
        self.meeting = meeting or os.urandom(16)
        self.entry = {"id": pid, "device": "relay-host", "ik": kxpy.b64(self.ik),
                      "ek": kxpy.b64(self.ek), "role": "host"}
        self.r0 = self.roster(0, bytes(32), [self.entry], None)

    def roster(self, epoch, prev, members, successor):
        return kxpy.sign({"v": 1, "type": "roster", "meeting": kxpy.b64(self.meeting),
                          "epoch": epoch, "prev": kxpy.b64(prev), "host": self.pid,
                          "successor": successor,
                          "policy": {"e2ee": True, "recording": False, "pstn": False,
                                     "lobby_locked": True},
                          "members": sorted(members, key=lambda m: m["id"])}, self.seed)

    def send(self, to, *bodies):
        self.relay.control({"cmd": "inject", "room": self.room, "to": f"p{to}",
                            "items": [{"from": f"p{self.pid}", "body": b} for b in bodies]})

    def knocks(self, me):
        return [m["body"] for m, _ in relay_bodies(self.relay, "announce", f"p{me}", self.room)
                if m["to"] == f"p{self.pid}"]

    def admit(self, ann):
        """Roster 1 with the knocker, and E_1 of the relay's choosing sealed to it."""
        from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt
        me = ann["from"]
        r1 = self.roster(1, hashlib.sha256(kxpy.canon_msg(self.r0)).digest(),
                         [self.entry, {"id": me, "device": ann["device"], "ik": ann["ik"],
                                       "ek": ann["ek"], "role": "member"}], me)
        h1 = hashlib.sha256(kxpy.canon_msg(r1)).digest()
        ik_m, ek_m = kxpy.unb64(ann["ik"]), kxpy.unb64(ann["ek"])
        pair = kxpy.pair_key(self.meeting, self.ik, ik_m, self.ek, ek_m, self.ek_sk, ek_m)
        nonce = os.urandom(24)
        sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
            os.urandom(32), kxpy.seal_ad(self.meeting, 1, h1, self.pid, me), nonce, pair)
        key = kxpy.sign({"v": 1, "type": "epoch_key", "meeting": kxpy.b64(self.meeting),
                         "epoch": 1, "roster": kxpy.b64(h1), "from": self.pid, "to": me,
                         "nonce": kxpy.b64(nonce), "sealed": kxpy.b64(sealed)}, self.seed)
        self.send(me, r1, key)


def send_kids(room):
    room.pump()
    return [e for e in room.seen if e.get("event") == "send-kid"]


def fake_host_tests(tmp, relay):
    """The review's first-contact attack: the relay plays host to a room that joins
    without a meeting code (its own hello, roster and sealed secret)."""
    # This room pinned the real host of the board room in an earlier meeting; the
    # relay's host comes with another device id (the review's case).
    path = os.path.join(state_dir(tmp, 130), "pins")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, f"room-129 {os.urandom(32).hex()}\n".encode())
    os.close(fd)
    users.own(path, users.KX, 0o600)
    m = Room(tmp, 130, relay)
    m.subscribe()
    m.ctl("join", "--meeting", "board", "--role", "member", "--name", "Room 130")
    me = m.status().get("participant")
    fake = FakeHost(relay, "board")
    fake.send(me, fake.r0)
    knocked = wait_until(lambda: fake.knocks(me), 15)
    if knocked:
        fake.admit(fake.knocks(me)[-1])
    # The send switch comes 2 s after the keys; status says when it came and
    # whether it was held: no timing assumed.
    held = wait_until(lambda: m.status().get("send_held") is True, 20, [m])
    st = m.status()
    check("the relay plays host (own hello, roster, sealed secret, another device id than "
          "the host this room pinned before) to a room without a meeting code: it is "
          "admitted, but its host is 'unconfirmed', no send KID goes to the media daemon, "
          "nothing is pinned",
          knocked and held and st.get("host_trust") == "unconfirmed" and
          st.get("sending") is False and not send_kids(m) and "relay-host" not in pins(m) and
          warnings(m, "no media is sent until this room verifies it"),
          (knocked, held, st.get("host_trust"), st.get("sending"), send_kids(m), pins(m)))
    rc, _ = m.ctl("verify", str(fake.pid))
    released = wait_until(lambda: send_kids(m), 10, [m])
    check("media goes only once the room verifies that host (the policy: until the room "
          "confirms it)", rc == 0 and released and m.status().get("sending") is True and
          m.status().get("host_trust") == "verified", (rc, released, m.status()))
    m.stop()


def equivocation_tests(tmp, relay):
    """The relay's hello first, the real host's after: two different valid hellos for
    one meeting stop the room; the first does not win."""
    host, m, hid = host_and_member(tmp, relay, 132, "board2")
    relay.control({"cmd": "set", "name": "drop_pairs", "value": [[f"p{hid}", "p2"]]})
    m.ctl("join", "--meeting", "board2", "--role", "member", "--name", "Room 133")
    me = m.status().get("participant")
    fake = FakeHost(relay, "board2")
    fake.send(me, fake.r0)
    knocked = wait_until(lambda: fake.knocks(me), 15)
    relay.control({"cmd": "set", "name": "drop_pairs", "value": None})
    # The real host's hello, sent again on a presence "joined".
    relay.control({"cmd": "presence", "room": "board2", "to": f"p{hid}", "event": "joined",
                   "participant": f"p{me}"})
    stopped = wait_until(lambda: m.state() == "equivocation", 15, [m])
    to_host = [b for b, _ in relay_bodies(relay, "announce", f"p{me}", "board2")
               if b["to"] == f"p{hid}"]
    check("two different valid host hellos for one meeting (the relay's first): the room "
          "stops in state 'equivocation', says so, and knocks to neither host again",
          me == 2 and knocked and stopped and warnings(m, "EQUIVOCATION") and not to_host and
          not m.status().get("keys"), (me, knocked, m.state(), to_host))
    for r in (host, m):
        r.stop()


def meeting_code_tests(tmp, relay):
    """A meeting code typed names the host's IK: the relay's hello, even with the code's
    bytes as its meeting id, is refused; the real host's is bound and gets media at once."""
    host, m, hid = host_and_member(tmp, relay, 134, "board3")
    code = host.status().get("meeting_code", "")
    relay.control({"cmd": "set", "name": "drop_pairs", "value": [[f"p{hid}", "p2"]]})
    rc, rep = m.ctl("join", "--meeting", "board3", "--role", "member", "--name", "Room 135",
                    "--code", code)
    me = m.status().get("participant")
    # The relay knows the code (it relays the room): its hello claims the meeting id.
    claimed = kxpy.meeting_code_bytes(code) + os.urandom(6) if code else os.urandom(16)
    fake = FakeHost(relay, "board3", meeting=claimed)
    fake.send(me, fake.r0)
    refused = wait_until(lambda: warnings(m, "meeting code does not name"), 15, [m])
    relay.control({"cmd": "set", "name": "drop_pairs", "value": None})
    relay.control({"cmd": "presence", "room": "board3", "to": f"p{hid}", "event": "joined",
                   "participant": f"p{me}"})
    ok, _ = admit_knock(host, m)
    sending = wait_until(lambda: send_kids(m), 20, [m])
    st = m.status()
    check("with the meeting code typed, the relay's hello (claiming the code as its meeting "
          "id) is refused and never knocked to; the real host's is bound: admitted, media "
          "at once, no verify needed",
          me == 2 and rc == 0 and refused and not fake.knocks(me) and ok and sending and
          st.get("host_trust") == "bound" and st.get("sending") is True,
          (me, rc, rep, code, refused, fake.knocks(me), ok, st.get("host_trust")))
    rc, rep = m.ctl("join", "--meeting", "board3", "--role", "member", "--name", "Room 135",
                    "--code", "not-a-code")
    check("a malformed meeting code is refused", rc == 1, rep)
    for r in (host, m):
        r.stop()


def admit_knock(host, member):
    """The host admits member's next knock by its hash (it knocks on its own)."""
    ok = wait_until(lambda: [k for k in knocks(host) if k["codeword"] == member.codeword], 15,
                    [host])
    k = [k for k in knocks(host) if k["codeword"] == member.codeword][-1] if ok else {}
    rc, rep = host.ctl("admit", str(k.get("participant")), "--knock", k.get("knock", "-"))
    return ok and rc == 0 and wait_until(lambda: member.state() == "in-meeting", 15), rep


def lobby_takeover_tests(tmp, relay):
    """A room knocking while the host leaves: the successor's roster extends the hello it
    holds (no equivocation), and it knocks to the successor."""
    h, s, m, ok = three_rooms(tmp, relay, 136, "handover", 30)
    x = Room(tmp, 139, relay)
    x.subscribe()
    n = len(knocks(h))
    x.ctl("join", "--meeting", "handover", "--role", "member", "--name", "Room 139")
    shown = wait_until(lambda: len(knocks(h)) > n, 15, [h])
    h.ctl("leave")
    took = wait_until(lambda: s.status().get("host") is True, 15, [s])
    again = wait_until(lambda: [k for k in knocks(s) if k["codeword"] == x.codeword], 15, [s])
    check("a knocker sees the successor take over: not an equivocation, it knocks to the "
          "successor, which shows the knock", ok and shown and took and again and
          x.state() == "lobby" and not warnings(x, "EQUIVOCATION"),
          (ok, shown, took, again, x.state()))
    for r in (h, s, m, x):
        r.stop()


def group_code_tests(tmp, relay):
    """The relay splits a meeting: the successor, cut off, takes over (its own epoch
    e+1); the host rekeys (epoch e+1 for it and the member). The group codes differ
    across the split and agree within each side."""
    h, s, m, ok = three_rooms(tmp, relay, 140, "split", 2)
    e = m.status().get("epoch")

    def codes(epoch):
        return [r.status().get("group_code") if r.status().get("epoch") == epoch else None
                for r in (h, s, m)]
    same = wait_until(lambda: len(set(codes(e))) == 1 and None not in codes(e), 15)
    before = codes(e)
    h.pump()
    rc_ev = [ev for ev in h.seen if ev.get("event") == "group-code" and ev.get("epoch") == e]
    sid = s.status().get("participant")
    relay.control({"cmd": "set", "name": "drop_to", "value": f"p{sid}"})
    took = wait_until(lambda: s.status().get("host") is True, 15, [s])
    rc, _ = h.ctl("rekey")
    moved = wait_until(lambda: same_epoch_keys([h, m], e + 1)[0] and
                       None not in codes(e + 1), 20, [h, s, m])
    relay.control({"cmd": "set", "name": "drop_to", "value": None})
    after = codes(e + 1)
    check(f"one group code per epoch: the three rooms show {before[0]} at epoch {e} (also "
          "as a group-code event)", ok and same and rc_ev and rc_ev[-1]["code"] == before[0],
          (ok, before, rc_ev[-1:]))
    check("a split meeting (the successor cut off took over; the host rekeyed): at epoch "
          f"{e + 1} host and member show one code, the successor's fork another",
          took and rc == 0 and moved and after[0] == after[2] and after[1] != after[0] and
          None not in after, (took, rc, moved, after))
    for r in (h, s, m):
        r.stop()


def deny_spends_tests(tmp, relay):
    """The denied knocker's earlier knock, replayed by the relay: refused, not shown."""
    host, k, hid = host_and_member(tmp, relay, 150, "spent")
    k.ctl("join", "--meeting", "spent", "--role", "member", "--name", "Room 151")
    first = wait_until(lambda: knocks(host), 15, [host])
    pid = k.status().get("participant")
    k.ctl("leave")
    wait_until(lambda: not host.status().get("lobby"), 10)
    relay.control({"cmd": "set", "name": "give_id", "value": pid})
    n = len(knocks(host))
    k.ctl("join", "--meeting", "spent", "--role", "member", "--name", "Room 151")
    wait_until(lambda: len(knocks(host)) > n, 15, [host])
    kn = knocks(host)[-1]
    rc, _ = host.ctl("deny", str(kn["participant"]))
    denied = wait_until(lambda: k.state() == "denied", 10, [k])
    old = relay_bodies(relay, "announce", f"p{pid}", "spent")[0][0]["body"]
    stale, n = host.status().get("stale_refused", 0), len(knocks(host))
    relay.control({"cmd": "inject", "room": "spent", "to": f"p{hid}", "from": f"p{pid}",
                   "body": old})
    refused = wait_until(lambda: host.status().get("stale_refused", 0) > stale, 10)
    check("deny spends the knocker's knocks: its earlier knock, replayed inside the window, "
          "is refused and not shown again", first and kn["participant"] == pid and rc == 0 and
          denied and refused and len(knocks(host)) == n and not host.status().get("lobby"),
          (first, kn.get("participant"), pid, rc, denied, refused, knocks(host)[n:]))
    for r in (host, k):
        r.stop()


def successor_knock_tests(tmp, relay):
    """A knock to the old host, replayed to its successor after the takeover: refused."""
    h, s, m, ok = three_rooms(tmp, relay, 152, "succknock", 2)
    x = Room(tmp, 155, relay)
    n = len(knocks(h))
    x.ctl("join", "--meeting", "succknock", "--role", "member", "--name", "Room 155")
    shown = wait_until(lambda: len(knocks(h)) > n, 15, [h])
    xid = x.status().get("participant")
    x.stop()
    h.proc.kill()
    h.proc.wait()
    h.err.close()
    took = wait_until(lambda: s.status().get("host") is True, 20, [s])
    knock = relay_bodies(relay, "announce", f"p{xid}", "succknock")[-1][0]["body"]
    stale = s.status().get("stale_refused", 0)
    relay.control({"cmd": "inject", "room": "succknock", "to": f"p{s.status()['participant']}",
                   "from": f"p{xid}", "body": knock})
    refused = wait_until(lambda: s.status().get("stale_refused", 0) > stale, 10)
    check("the successor refuses a knock signed before it took over (the old host's lobby, "
          "replayed): not shown, not admitted", ok and shown and took and refused and
          not knocks(s) and not s.status().get("lobby"), (ok, shown, took, refused, knocks(s)))
    for r in (s, m):
        r.stop()


def name_tests(tmp, relay):
    """Display names with bidi overrides, isolates or zero-width characters are refused:
    in a knock (the lobby would show a spoofed name) and at join."""
    from nacl.signing import SigningKey
    host, r, hid = host_and_member(tmp, relay, 156, "names")
    hello = relay_bodies(relay, "roster", f"p{hid}", "names")[-1][0]["body"] \
        if wait_until(lambda: relay_bodies(relay, "roster", f"p{hid}", "names"), 10) else {}
    items = []
    names = ["Room \u202e1 mooR", "Room\u2066 7\u2069", "Room\u200b 9", "Room \u0085"]
    for i, name in enumerate(names):
        seed = os.urandom(32)
        items.append({"from": f"p{700 + i}", "body": kxpy.sign(
            {"v": 1, "type": "announce", "meeting": hello.get("meeting", ""), "from": 700 + i,
             "device": f"spoof-{i}", "name": name,
             "ik": kxpy.b64(bytes(SigningKey(seed).verify_key)), "ek": kxpy.b64(os.urandom(32)),
             "time": int(time.time() * 1000)}, seed)})
    relay.control({"cmd": "inject", "room": "names", "to": f"p{hid}", "items": items})
    refused = wait_until(lambda: len(warnings(host, "rejected an announce")) >= len(names), 10,
                         [host])
    check("knocks whose names carry U+202E, U+2066/2069, U+200B or U+0085 are refused, none "
          "shown", refused and not knocks(host) and not host.status().get("lobby"),
          (refused, knocks(host)))
    rc, rep = r.ctl("join", "--meeting", "names", "--role", "member", "--name",
                    "Room \u202e1 mooR", connected=False)
    check("join with a bidi override in the name is refused", rc == 1 and
          r.state() == "idle", (rc, rep))
    for x in (host, r):
        x.stop()


def uid_tests(tmp, relay):
    """keyxchgd refuses root; --allow-uid and --media-uid: strict decimal; 0 and
    keyxchgd's own uid refused."""
    d = users.kx_dir(os.path.join(tmp, "kx-uid"))
    base = [os.path.join(BIN, "keyxchgd"), "--state-dir", os.path.join(d, "state"),
            "--socket", os.path.join(d, "uid.sock"), "--relay", f"wss://localhost:{relay.port}",
            "--ca", os.path.join(relay.certs, "ca.pem"), "--device", "room-uid"]
    if users.ROOT:
        root = subprocess.run(base, capture_output=True, timeout=20)
        check("keyxchgd run as root refuses to start (exit 1), saying why",
              root.returncode == 1 and b"refusing to run as root" in root.stderr,
              (root.returncode, root.stderr[-200:]))
    bad = [["--media-uid", "0"], ["--allow-uid", "0"], ["--allow-uid", "12junk"],
           ["--allow-uid", ""], ["--allow-uid", "-5"], ["--media-uid", " 7"],
           ["--allow-uid", "+7"], ["--media-uid", "4294967295"], ["--allow-uid", "0x10"]]
    rcs = [subprocess.run(users.kx(base + b), capture_output=True, timeout=20).returncode
           for b in bad]
    own = [subprocess.run(users.kx(base + [opt, str(users.KX)]), capture_output=True,
                          timeout=20) for opt in ("--media-uid", "--allow-uid")]
    good = subprocess.Popen(users.kx(base + ["--allow-uid", "4242", "--media-uid", "4243"]),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = "ready" in good.stdout.readline()
    good.terminate()
    good.wait(timeout=10)
    check("uid options: 0, junk, empty, signs, hex, out of range and keyxchgd's own uid "
          "(as --media-uid and as --allow-uid) are refused (exit 2); plain decimal uids "
          "are taken", rcs == [2] * len(bad) and
          all(o.returncode == 2 and b"own uid" in o.stderr for o in own) and ready,
          (rcs, [(o.returncode, o.stderr[-200:]) for o in own], ready))


def control_tests(tmp, relay):
    """CONTROL.md item 10 of the review."""
    host, m, hid = host_and_member(tmp, relay, 160, "ctl")
    m.ctl("join", "--meeting", "ctl", "--role", "member", "--name", "Salle 161")
    shown = wait_until(lambda: knocks(host), 15, [host])
    st = m.status()
    check("a knocker's status shows the host it knocked to and its codeword",
          shown and st.get("state") == "lobby" and st.get("host_participant") == hid and
          st.get("host_codeword") == host.codeword, st)
    admit_knock(host, m)
    wait_until(lambda: len(host.members()) == 2, 15)
    names = {p["participant"]: (p.get("name"), p.get("device"))
             for p in host.status().get("participants", [])}
    check("status names participants by their display names, the device id beside",
          names.get(m.status().get("participant")) == ("Salle 161", "room-161") and
          names.get(hid) == ("Room 160", "room-160"), names)
    proc = subprocess.Popen(users.kx([os.path.join(BIN, "kxctl"), "--socket", host.sock,
                                      "events", "roster", "--seconds", "10"]),
                            stdout=subprocess.PIPE, text=True)
    reply = json.loads(proc.stdout.readline() or "{}")
    host.ctl("rekey")
    out, _ = proc.communicate(timeout=30)
    evs = [json.loads(x) for x in out.splitlines()]
    check("kxctl events roster --seconds S without --count prints the events of those S "
          "seconds (here the rekey's roster) and exits 0", reply.get("ok") and
          proc.returncode == 0 and any(e.get("event") == "roster" for e in evs),
          (reply, proc.returncode, [e.get("event") for e in evs]))
    for r in (host, m):
        r.stop()


def main():
    return run_sections("kx-v2-", [
        ("remove", remove_tests), ("end", end_tests), ("swap", knock_swap_tests),
        ("fake", fake_host_tests), ("equivocation", equivocation_tests),
        ("code", meeting_code_tests), ("handover", lobby_takeover_tests),
        ("group", group_code_tests), ("spent", deny_spends_tests),
        ("succknock", successor_knock_tests), ("names", name_tests), ("uid", uid_tests),
        ("control", control_tests)])


if __name__ == "__main__":
    tap.main(main)
