#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keyxchgd, keying v2 part 2 (issue #13: "a meeting the relay cannot split,
freeze or open later"), end to end on loopback through the misbehaving relay
fixture. Each finding of the review, which the part 1 daemon let through:

* the stale sender: the relay withholds everything from the host to member M
  while the host rotates X out; M must stop sending within the liveness bound
  (T/2) and say "out of sync", and come back once it holds the new epoch;
* the replayed heartbeat: the host is killed and the relay replays its last
  heartbeat to the others; they refuse it (its signed time does not grow) and
  the successor takes over as if nothing came;
* the silent divergence: the second implementation of PROTOCOL.md
  (test_kx_vectors.py) plays the host and confirms another epoch secret than
  the one it sealed; the real member refuses it, reports it and stops
  sending. And as a member it acks a real host with a confirmation of another
  secret: refused, reported, not counted as acked;
* the snapshot: the secrets a process holds at epoch e (every 32-byte string
  in its memory, read through /proc) and the relay's log must not open the
  media keys of the epochs before e, nor of the next fresh epoch (for a
  member: the next one after its next ack, which announces an EK drawn after
  the snapshot);
* the fork: a stale successor takes over with a member the host removed;
  after the network heals, every room that sees the other side's signed word
  is in state "split" and sends nothing.

And two findings of the review of the merged keying, which it let through:

* the replayed epoch key: the relay withholds the host's heartbeats and
  rosters from M and replays to it, every second, the epoch_key it recorded
  of M's held epoch; M acks each resend but does not count it as the host's
  word: it goes out of sync within the liveness bound all the same;
* the lost acks: the relay drops M's acks to the host for several heartbeat
  periods, so the host's next fresh roster lists an EK M announced several
  acks ago; M still holds it and opens the fresh epoch.

The helpers (rooms, relay, waits) are test_keying.py's. TAP output.
"""
import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_keying import (Room, admit, check, kxpy, memory_regions, relay_bodies,  # noqa: E402
                         run_sections, same_epoch_keys, three_rooms, wait_until, warnings)
import tap  # noqa: E402


def send_keys(room):
    return [k for k in room.status().get("keys", []) if k.get("usage") == "send"]


def syncs(room):
    room.pump()
    return [e for e in room.seen if e.get("event") == "sync"]


def stale_sender_tests(tmp, relay):
    """The relay withholds everything from the host to M; the host removes X. M stops
    sending within T/2 and says so; back once it holds the new epoch."""
    h, x, m, ok = three_rooms(tmp, relay, 200, "stale", 6)
    hid, xid, mid = (r.status().get("participant") for r in (h, x, m))
    e = h.status().get("epoch")
    had = send_keys(m)
    relay.control({"cmd": "set", "name": "drop_pairs", "value": [[f"p{hid}", f"p{mid}"]]})
    t0 = time.monotonic()
    rc, _ = h.ctl("remove", str(xid))
    stopped = wait_until(lambda: m.status().get("sync") == "out-of-sync" and not send_keys(m),
                         20, [m])
    took = time.monotonic() - t0
    ev = syncs(m)
    removed = [k for k in m.seen if k.get("event") == "media-key" and
               k.get("action") == "remove" and k.get("usage") == "send"]
    check(f"the host's word withheld from M while X is removed: M stops sending after "
          f"{took:.1f} s (bound T/2 = 3 s, checked each loop) and reports 'out of sync'; its "
          "send keys are announced removed", ok and rc == 0 and had and stopped and
          ev and ev[-1].get("sync") == "out-of-sync" and len(removed) >= len(had),
          (ok, rc, len(had), stopped, m.status().get("sync"), m.status().get("sync_reason"),
           ev[-1:], len(removed)))
    relay.control({"cmd": "set", "name": "drop_pairs", "value": None})
    back = wait_until(lambda: m.status().get("sync") == "in-sync" and
                      m.status().get("epoch") == e + 1 and
                      same_epoch_keys([h, m], e + 1)[0] and send_keys(m), 30, [h, m])
    check(f"the network heals: M accepts epoch {e + 1} (without X), holds its secret and "
          "sends again ('in-sync')", back and xid not in m.members(),
          (back, m.status().get("sync"), m.status().get("epoch"), m.members()))
    for r in (h, x, m):
        r.stop()


def heartbeat_replay_tests(tmp, relay):
    """The host is killed; the relay replays its last heartbeat to the others. Refused:
    the successor takes over all the same."""
    h, s, m, ok = three_rooms(tmp, relay, 210, "hbreplay", 4)
    hid, sid, mid = (r.status().get("participant") for r in (h, s, m))
    e = m.status().get("epoch")

    def beats_now():
        return [b for b, _ in relay_bodies(relay, "ack", f"p{hid}", "hbreplay")
                if b["to"] == "*" and b["body"]["epoch"] == e]
    # A heartbeat of the epoch the others hold (one every T/4 = 1 s).
    wait_until(beats_now, 10)
    beats = beats_now()
    h.proc.kill()
    h.proc.wait()
    h.err.close()
    last = [0.0]

    def replaying():
        if beats and time.monotonic() - last[0] > 0.5:
            last[0] = time.monotonic()
            relay.control({"cmd": "inject", "room": "hbreplay", "to": "*",
                           "items": [{"from": f"p{hid}", "body": beats[-1]["body"]}]})
        return s.status().get("host") is True and same_epoch_keys([s, m], e + 1)[0]
    took = wait_until(replaying, 30, [s, m])
    refused = [r.status().get("heartbeats_refused", 0) for r in (s, m)]
    check("the host killed, its last heartbeat replayed every 0.5 s: refused by both (its "
          "signed time does not grow), the successor takes over with a fresh secret, the "
          "member follows", ok and beats and took and refused[1] > 0 and
          hid not in m.members(), (ok, len(beats), took, refused, m.members()))
    for r in (s, m):
        r.stop()


def py_host(relay, room, me, meeting_name):
    """The second implementation as a host: hello, admission, a sealed secret."""
    from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt, crypto_scalarmult_base
    from nacl.signing import SigningKey
    hid, seed, ek_sk = 9, os.urandom(32), os.urandom(32)
    host = {"hid": hid, "seed": seed, "ik": bytes(SigningKey(seed).verify_key),
            "ek": crypto_scalarmult_base(ek_sk), "meeting": os.urandom(16)}
    policy = {"e2ee": True, "recording": False, "pstn": False, "lobby_locked": True}
    hentry = {"id": hid, "device": "py-host", "ik": kxpy.b64(host["ik"]),
              "ek": kxpy.b64(host["ek"]), "role": "host"}

    def roster(epoch, prev, members):
        return kxpy.sign({"v": 1, "type": "roster", "meeting": kxpy.b64(host["meeting"]),
                          "epoch": epoch, "prev": kxpy.b64(prev), "host": hid,
                          "successor": me if len(members) > 1 else None, "policy": policy,
                          "members": sorted(members, key=lambda x: x["id"])}, seed)
    r0 = roster(0, bytes(32), [hentry])
    relay.control({"cmd": "inject", "room": meeting_name, "to": f"p{me}", "from": f"p{hid}",
                   "body": r0})
    ok = wait_until(lambda: relay_bodies(relay, "announce", f"p{me}", meeting_name), 15)
    ann = relay_bodies(relay, "announce", f"p{me}", meeting_name)[-1][0]["body"] if ok else {}
    ek_m = kxpy.unb64(ann.get("ek", ""))
    mentry = {"id": me, "device": ann.get("device"), "ik": ann.get("ik"), "ek": ann.get("ek"),
              "role": "member"}
    r1 = roster(1, hashlib.sha256(kxpy.canon_msg(r0)).digest(), [hentry, mentry])
    h1 = hashlib.sha256(kxpy.canon_msg(r1)).digest()
    pair = kxpy.pair_key(host["meeting"], host["ik"], kxpy.unb64(ann.get("ik", "")),
                         host["ek"], ek_m, ek_sk, ek_m) if ok else bytes(32)
    secret, nonce = os.urandom(32), os.urandom(24)
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
        secret, kxpy.seal_ad(host["meeting"], 1, h1, hid, me), nonce, pair)
    key = kxpy.sign({"v": 1, "type": "epoch_key", "meeting": kxpy.b64(host["meeting"]),
                     "epoch": 1, "roster": kxpy.b64(h1), "from": hid, "to": me,
                     "nonce": kxpy.b64(nonce), "sealed": kxpy.b64(sealed)}, seed)
    relay.control({"cmd": "inject", "room": meeting_name, "to": f"p{me}",
                   "items": [{"from": f"p{hid}", "body": r1}, {"from": f"p{hid}", "body": key}]})
    host.update(ok=ok, h1=h1, secret=secret)
    return host


def heartbeat(host, epoch, rhash, secret, t_ms):
    return kxpy.sign({"v": 1, "type": "ack", "meeting": kxpy.b64(host["meeting"]),
                      "epoch": epoch, "roster": kxpy.b64(rhash), "from": host["hid"],
                      "time": t_ms, "ek": kxpy.b64(host["ek"]),
                      "confirm": kxpy.b64(kxpy.confirm(secret, host["meeting"], epoch, rhash))},
                     host["seed"])


def divergence_tests(tmp, relay):
    """Key confirmation: a host confirming another secret than it sealed, a member
    acking with another secret's confirmation."""
    m = Room(tmp, 220, relay)
    m.subscribe()
    m.ctl("join", "--meeting", "diverge", "--role", "member", "--name", "Room 220")
    me = m.status().get("participant")
    host = py_host(relay, m, me, "diverge")
    mid_ok = wait_until(lambda: m.status().get("have_secret") and
                        relay_bodies(relay, "ack", f"p{me}", "diverge"), 15, [m])
    ack = relay_bodies(relay, "ack", f"p{me}", "diverge")[-1][0]["body"] if mid_ok else {}
    proof = kxpy.unb64(ack.get("confirm", "")) == kxpy.confirm(host["secret"], host["meeting"],
                                                               1, host["h1"])
    check("the member's ack proves the secret the second implementation sealed (its "
          "confirmation is PROTOCOL.md 7.2's, signed)", host["ok"] and mid_ok and proof and
          kxpy.verify(ack, m.ik()), (host["ok"], mid_ok, ack))
    m.ctl("verify", str(host["hid"]))  # the people compared the host's codeword: media may go
    sending = wait_until(lambda: m.status().get("sending") and send_keys(m), 10, [m])
    good = heartbeat(host, 1, host["h1"], host["secret"], int(time.time() * 1000))
    relay.control({"cmd": "inject", "room": "diverge", "to": f"p{me}",
                   "from": f"p{host['hid']}", "body": good})
    time.sleep(0.5)
    still = m.status().get("sync") == "in-sync" and send_keys(m)
    bad = heartbeat(host, 1, host["h1"], os.urandom(32), int(time.time() * 1000) + 1)
    relay.control({"cmd": "inject", "room": "diverge", "to": f"p{me}",
                   "from": f"p{host['hid']}", "body": bad})
    refused = wait_until(lambda: warnings(m, "KEY CONFIRMATION FAILED") and
                         m.status().get("sync") == "out-of-sync" and not send_keys(m), 10, [m])
    check("a host heartbeat confirming another epoch secret than the member holds: refused, "
          "reported (KEY CONFIRMATION FAILED, 'out of sync'), its send keys withdrawn; the "
          "same host confirming the right secret kept it sending", sending and still and
          refused, (sending, still, refused, m.status().get("sync"), m.status().get("sync_reason")))
    m.stop()

    # A member (the second implementation) acks a real host with the confirmation of
    # another secret: refused and reported, not acked (its epoch key goes again).
    from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt, crypto_scalarmult_base
    from nacl.signing import SigningKey
    h = Room(tmp, 221, relay)
    h.subscribe()
    h.ctl("join", "--meeting", "diverge2", "--role", "host", "--name", "Room 221")
    hid = h.status().get("participant")
    hello = relay_bodies(relay, "roster", f"p{hid}", "diverge2")[-1][0]["body"] \
        if wait_until(lambda: relay_bodies(relay, "roster", f"p{hid}", "diverge2"), 10) else {}
    pid, seed, ek_sk = 700, os.urandom(32), os.urandom(32)
    ik, ek = bytes(SigningKey(seed).verify_key), crypto_scalarmult_base(ek_sk)
    knock = kxpy.sign({"v": 1, "type": "announce", "meeting": hello.get("meeting", ""),
                       "from": pid, "device": "py-member", "name": "Python", "ik": kxpy.b64(ik),
                       "ek": kxpy.b64(ek), "time": int(time.time() * 1000)}, seed)
    relay.control({"cmd": "inject", "room": "diverge2", "to": f"p{hid}", "from": f"p{pid}",
                   "body": knock})
    shown = wait_until(lambda: [k for k in h.seen if k.get("event") == "knock"], 15, [h])
    k = [k for k in h.seen if k.get("event") == "knock"][-1] if shown else {}
    rc, _ = h.ctl("admit", str(pid), "--knock", k.get("knock", "-"))

    def keys_to_py():
        return [b["body"] for b, _ in relay_bodies(relay, "epoch_key", f"p{hid}", "diverge2")
                if b["body"]["to"] == pid]
    sealed = wait_until(keys_to_py, 15)
    ekm = keys_to_py()[-1] if sealed else {}
    r1 = [b["body"] for b, _ in relay_bodies(relay, "roster", f"p{hid}", "diverge2")
          if b["body"]["epoch"] == ekm.get("epoch")][-1] if sealed else {}
    hentry = [x for x in r1.get("members", []) if x["role"] == "host"][:1]
    secret = b""
    if hentry:
        meeting = kxpy.unb64(r1["meeting"])
        pair = kxpy.pair_key(meeting, kxpy.unb64(hentry[0]["ik"]), ik,
                             kxpy.unb64(hentry[0]["ek"]), ek, ek_sk, kxpy.unb64(hentry[0]["ek"]))
        secret = crypto_aead_xchacha20poly1305_ietf_decrypt(
            kxpy.unb64(ekm["sealed"]), kxpy.seal_ad(meeting, ekm["epoch"],
                                                    kxpy.unb64(ekm["roster"]), hid, pid),
            kxpy.unb64(ekm["nonce"]), pair)
    n = len(keys_to_py())
    wrong = kxpy.sign({"v": 1, "type": "ack", "meeting": r1.get("meeting", ""),
                       "epoch": ekm.get("epoch", 0), "roster": ekm.get("roster", ""),
                       "from": pid, "time": int(time.time() * 1000), "ek": kxpy.b64(ek),
                       "confirm": kxpy.b64(os.urandom(32))}, seed)
    relay.control({"cmd": "inject", "room": "diverge2", "to": f"p{hid}", "from": f"p{pid}",
                   "body": wrong})
    reported = wait_until(lambda: warnings(h, "KEY CONFIRMATION FAILED") and
                          [e for e in h.seen if e.get("event") == "confirm-failed"] and
                          len(keys_to_py()) > n, 10, [h])
    check("a member acking with the confirmation of another secret: the host refuses it, "
          "reports it (warning and a confirm-failed event) and seals the secret to it again",
          rc == 0 and sealed and len(secret) == 32 and reported,
          (rc, sealed, len(secret), reported, len(keys_to_py()), n))
    h.stop()


def fork_tests(tmp, relay):
    """The review's stale takeover: the relay cuts the host off from its successor S and
    from X; the host removes X; S takes over from its stale roster, with X. Every room
    that sees the other side's signed word is 'split' and sends nothing."""
    h, s, m, ok = three_rooms(tmp, relay, 240, "fork", 4)
    x = Room(tmp, 243, relay, ["--takeover-after", "4"])
    x.subscribe()
    okx, _ = admit(h, x, "fork")
    e = 3
    rooms = [h, s, m, x]
    ok = ok and okx and wait_until(lambda: same_epoch_keys(rooms, e)[0], 20, rooms)
    hid, sid, mid, xid = (r.status().get("participant") for r in rooms)
    relay.control({"cmd": "set", "name": "drop_pairs",
                   "value": [[f"p{hid}", f"p{sid}"], [f"p{hid}", f"p{xid}"]]})
    rc, _ = h.ctl("remove", str(xid))
    took = wait_until(lambda: s.status().get("host") is True and x.status().get("epoch") == e + 1,
                      20, rooms)
    relay.control({"cmd": "set", "name": "drop_pairs", "value": None})
    split = wait_until(lambda: all(r.status().get("sync") == "split" for r in rooms) and
                       not any(send_keys(r) for r in rooms), 30, rooms)
    sts = [r.status() for r in rooms]
    fh, fs = h.fps(e + 1), s.fps(e + 1)
    both = set(fh) & set(fs)
    same = [k for k in both if fh[k] == fs[k]]
    check(f"a stale takeover (S from epoch {e} with X, which the host removed at {e + 1}): "
          f"host, member, S and X all report 'split' and hold no send key; epoch {e + 1}: "
          f"KIDs held by both H and S: {len(both)}, same key under them: {len(same)}",
          ok and rc == 0 and took and split and not same,
          (ok, rc, took, split, [(st.get("participant"), st.get("host"), st.get("epoch"),
                                  st.get("sync"), st.get("sync_reason")) for st in sts]))
    codes = [st.get("group_code") for st in sts]
    check("the group codes of the two sides differ at epoch " + str(e + 1),
          sts[0].get("epoch") == sts[1].get("epoch") == e + 1 and codes[0] != codes[1] and
          codes[0] == codes[2] and codes[1] == codes[3] and None not in codes,
          (codes, [st.get("epoch") for st in sts]))
    for r in rooms:
        r.stop()


def not_current_tests(tmp, relay):
    """The relay withholds the host's rosters from its successor S but lets S see the
    host's heartbeats of the later epoch: S knows it is not current; it neither takes
    over while the host lives nor after the host dies (PROTOCOL.md 6.3)."""
    h, s, m, ok = three_rooms(tmp, relay, 250, "behind", 6)
    hid, sid = (r.status().get("participant") for r in (h, s))
    e = m.status().get("epoch")
    sent = [0]

    def forward():
        # the host's newest heartbeat of epoch e+1, forged into S's stream
        beats = [b for b, _ in relay_bodies(relay, "ack", f"p{hid}", "behind")
                 if b["to"] == "*" and b["body"]["epoch"] == e + 1]
        if beats and beats[-1]["body"]["time"] > sent[0]:
            sent[0] = beats[-1]["body"]["time"]
            # (the envelope names another sender: the cut drops what comes "from"
            # the host; keyxchgd trusts only the signed fields anyway)
            relay.control({"cmd": "inject", "room": "behind", "to": f"p{sid}",
                           "from": "p999", "body": beats[-1]["body"]})
        return False
    relay.control({"cmd": "set", "name": "drop_pairs", "value": [[f"p{hid}", f"p{sid}"]]})
    rc, _ = h.ctl("rekey")
    wait_until(forward, 18, [s])  # three takeover periods
    moved = same_epoch_keys([h, m], e + 1)[0]
    alive = s.status()
    h.proc.kill()
    h.proc.wait()
    h.err.close()
    wait_until(lambda: False, 18, [s])
    dead = s.status()
    check(f"S cut off from the host's rosters but shown its heartbeats of epoch {e + 1}: it "
          f"reports out of sync and does not take over in 3 takeover periods; the host "
          "killed, S (holding only epoch " + str(e) + ") still does not take over and says "
          "it is not current", ok and rc == 0 and moved and sent[0] and
          alive.get("host") is False and alive.get("sync") == "out-of-sync" and
          dead.get("host") is False and dead.get("epoch") == e and
          warnings(s, "not current"), (ok, rc, moved, sent[0], alive.get("host"),
                                       alive.get("sync"), alive.get("sync_reason"),
                                       dead.get("host"), dead.get("epoch")))
    relay.control({"cmd": "set", "name": "drop_pairs", "value": None})
    for r in (s, m):
        r.stop()


def memory_candidates(pid):
    """Every distinct 32-byte string at an 8-byte step in pid's writable and
    inaccessible (sodium_malloc's PROT_NONE) private mappings of up to 64 MiB (not the
    sanitizers' reservations, which hold no data), with at least 20 distinct byte values
    (keys do; pointers, counters and text do not): the secrets a snapshot holds."""
    cands, regions = set(), 0
    for data in memory_regions(pid, lambda perm: perm[1] == "w" or perm[:3] == "---",
                               64 << 20):
        regions += 1
        for i in range(0, len(data) - 31, 8):
            w = data[i:i + 32]
            if w[0] | w[31] and len(set(w)) >= 20:
                cands.add(w)
    return cands, regions


def log_of(relay, meeting_name):
    """What the relay saw of a meeting: rosters by epoch and hash, epoch keys, every EK."""
    rosters, keys, eks = {}, [], set()
    for b, _ in relay_bodies(relay, "roster", None, meeting_name):
        r = b["body"]
        rosters[hashlib.sha256(kxpy.canon_msg(r)).digest()] = r
        eks.update(kxpy.unb64(x["ek"]) for x in r["members"])
    for t in ("announce", "ack"):
        eks.update(kxpy.unb64(b["body"]["ek"]) for b, _ in relay_bodies(relay, t, None,
                                                                        meeting_name)
                   if "ek" in b["body"])
    keys = [b["body"] for b, _ in relay_bodies(relay, "epoch_key", None, meeting_name)]
    return rosters, keys, eks


def attack(cands, rosters, keys, eks, truth, meeting):
    """The review's attacker: the snapshot's strings as X25519 secrets (open every
    sealed epoch key whose roster lists the matching EK) and as epoch secrets (and
    those ratcheted on through every later roster of the log), tried against the
    media keys the members installed (truth: epoch -> (sender, stream, key)).
    Returns the epochs whose media keys it recomputed."""
    from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_decrypt,
                               crypto_scalarmult_base)
    opened, secrets = set(), set(cands)
    mine = {}
    for c in cands:
        try:
            pub = crypto_scalarmult_base(c)
        except Exception:  # noqa: BLE001
            continue
        if pub in eks:
            mine[pub] = c
    for k in keys:
        r = rosters.get(kxpy.unb64(k["roster"]))
        if not r:
            continue
        ent = {x["id"]: x for x in r["members"]}
        h, m = ent.get(k["from"]), ent.get(k["to"])
        if not h or not m:
            continue
        ekh, ekm = kxpy.unb64(h["ek"]), kxpy.unb64(m["ek"])
        for own, peer in ((ekh, ekm), (ekm, ekh)):
            if own in mine:
                try:
                    pair = kxpy.pair_key(meeting, kxpy.unb64(h["ik"]), kxpy.unb64(m["ik"]),
                                         ekh, ekm, mine[own], peer)
                    secrets.add(crypto_aead_xchacha20poly1305_ietf_decrypt(
                        kxpy.unb64(k["sealed"]), kxpy.seal_ad(meeting, k["epoch"],
                                                              kxpy.unb64(k["roster"]),
                                                              k["from"], k["to"]),
                        kxpy.unb64(k["nonce"]), pair))
                except Exception:  # noqa: BLE001
                    pass
    opened |= {e for e, vs in truth.items() for _, _, key in vs if key in cands}
    by_epoch = {}
    for h, r in rosters.items():
        by_epoch.setdefault(r["epoch"], []).append(h)
    for s in secrets:
        chain = [(e, s) for e in truth]
        for e, sec in chain:
            sender, stream, key = truth[e][0]
            if kxpy.media_key(sec, meeting, sender, stream, e) == key:
                opened.add(e)
                # the join ratchet: E_{e+1} = HKDF(E_e, H(roster_{e+1}), "sealroom-v1 join")
                for h in by_epoch.get(e + 1, []):
                    nxt = kxpy.hkdf(sec, h, b"sealroom-v1 join")
                    for s2, st2, k2 in truth.get(e + 1, []):
                        if kxpy.media_key(nxt, meeting, s2, st2, e + 1) == k2:
                            opened.add(e + 1)
    return opened


def truth_of(room):
    """epoch -> [(sender, stream, key)]: the media keys this room was handed."""
    room.pump()
    out = {}
    for ev in room.seen:
        if ev.get("event") == "media-key" and ev.get("action") == "install":
            kid = ev["kid"]
            e_low, sender, stream = kid & 0xFF, (kid >> 8) & 0xFFFF, kid >> 24
            out.setdefault(e_low, set()).add((sender, stream, bytes.fromhex(ev["key"])))
    return {e: sorted(v) for e, v in out.items()}


def snapshot_tests(tmp, relay):
    """FS and PCS within a meeting: a snapshot of the host (and of a member) at epoch 3
    plus the relay's log opens no media key of the epochs before, nor of the next fresh
    epoch (PROTOCOL.md 7.3)."""
    h = Room(tmp, 230, relay, ["--join-batch-ms", "200"])
    a, b = Room(tmp, 231, relay), Room(tmp, 232, relay)
    for r in (h, a, b):
        r.subscribe()
    h.ctl("join", "--meeting", "snap", "--role", "host", "--name", "Room 230")
    ok1, _ = admit(h, a, "snap")                        # epoch 1: a joins (sealed to a)
    ok1 = ok1 and wait_until(lambda: same_epoch_keys([h, a], 1)[0], 15, [h, a])
    ok2, _ = admit(h, b, "snap")                        # epoch 2: b joins (join ratchet)
    ok2 = ok2 and wait_until(lambda: same_epoch_keys([h, a, b], 2)[0], 15, [h, a, b])
    h.ctl("rekey")                                      # epoch 3: fresh
    ok3 = wait_until(lambda: same_epoch_keys([h, a, b], 3)[0], 15, [h, a, b])
    # The snapshot at epoch 3 once the older keys' grace period is over (they are
    # "epochs whose keys it held" until then).
    only3 = wait_until(lambda: {k["epoch"] for k in h.status().get("keys", [])} == {3} and
                       {k["epoch"] for k in a.status().get("keys", [])} == {3}, 30, [h, a, b])
    hc, hreg = memory_candidates(h.proc.pid)
    ac, areg = memory_candidates(a.proc.pid)
    # a answers the host's next heartbeat (every T/4) with an ack announcing a new
    # next EK, drawn after its snapshot; the host takes it before its rekey.
    aid = a.status().get("participant")
    n_acks = len(relay_bodies(relay, "ack", f"p{aid}", "snap"))
    announced = wait_until(lambda: len(relay_bodies(relay, "ack", f"p{aid}", "snap")) > n_acks,
                           20)
    time.sleep(0.5)
    h.ctl("rekey")                                      # epoch 4: fresh, after the snapshots
    ok4 = wait_until(lambda: same_epoch_keys([h, a, b], 4)[0], 15, [h, a, b])
    h.ctl("rekey")                                      # epoch 5: fresh again
    ok5 = wait_until(lambda: same_epoch_keys([h, a, b], 5)[0], 15, [h, a, b])
    truth = truth_of(b)                                  # b holds 2..5; a holds 1..5
    for e, v in truth_of(a).items():
        truth.setdefault(e, v)
    rosters, keys, eks = log_of(relay, "snap")
    meeting = kxpy.unb64(next(iter(rosters.values()))["meeting"])
    cur = [r for r in rosters.values() if r["epoch"] == 3]
    host_ek3 = {kxpy.unb64(x["ek"]) for r in cur for x in r["members"] if x["role"] == "host"}
    from nacl.bindings import crypto_scalarmult_base
    holds_ek = any(crypto_scalarmult_base(c) in host_ek3 for c in hc)
    t0 = time.monotonic()
    got_h = attack(hc, rosters, keys, eks, truth, meeting)
    got_a = attack(ac, rosters, keys, eks, truth, meeting)
    spent = time.monotonic() - t0
    check(f"set-up: epochs 1 (join, sealed), 2 (join, ratchet), 3, 4, 5 (fresh) held by all; "
          f"the snapshots read {len(hc)} and {len(ac)} candidate strings from {hreg} and "
          f"{areg} mappings; a announced a new next EK after its snapshot", ok1 and ok2 and
          ok3 and only3 and announced and ok4 and ok5 and
          sorted(truth) == [1, 2, 3, 4, 5], (ok1, ok2, ok3, only3, ok4, ok5, sorted(truth)))
    check("control: the host's snapshot holds its epoch 3 secret and EK secret (the attack "
          "opens epoch 3)", 3 in got_h and holds_ek, (sorted(got_h), holds_ek))
    check(f"a snapshot of the host at epoch 3 and the relay's log open epochs {sorted(got_h)}: "
          "none before 3 (old EKs and secrets wiped), not the next fresh epoch 4 nor 5 "
          f"(fresh EKs; the attack took {spent:.1f} s)", not (got_h & {1, 2, 4, 5}),
          sorted(got_h))
    check(f"a snapshot of member a at epoch 3 and the relay's log open epochs {sorted(got_a)}: "
          "none before 3, not the next fresh epoch 4 (sealed to the EK its ack after the "
          "snapshot announced, PROTOCOL.md 7.3) nor 5", 3 in got_a and
          not (got_a & {1, 2, 4, 5}), sorted(got_a))
    for r in (h, a, b):
        r.stop()


def replayed_key_tests(tmp, relay):
    """The relay withholds everything from the host to M (its heartbeats and rosters) and
    replays to M, every second, the epoch_key of M's held epoch it recorded. A resend of
    the held secret is acked, not the host's word (PROTOCOL.md 6.3, 6.6): M goes out of
    sync within L = T/2 all the same; back once the host's word comes through again."""
    h, x, m, ok = three_rooms(tmp, relay, 260, "keyreplay", 6)
    hid, mid = (r.status().get("participant") for r in (h, m))
    e = m.status().get("epoch")
    ok = ok and wait_until(lambda: same_epoch_keys([h, x, m], e)[0] and
                           m.status().get("sync") == "in-sync" and send_keys(m), 15, [h, x, m])
    had = send_keys(m)
    keys = [b["body"] for b, _ in relay_bodies(relay, "epoch_key", f"p{hid}", "keyreplay")
            if b["body"]["to"] == mid and b["body"]["epoch"] == e]
    relay.control({"cmd": "set", "name": "drop_pairs", "value": [[f"p{hid}", f"p{mid}"]]})
    n_acks = len(relay_bodies(relay, "ack", f"p{mid}", "keyreplay"))
    t0 = time.monotonic()
    last = [0.0]

    def replaying():
        if keys and time.monotonic() - last[0] > 1.0:
            last[0] = time.monotonic()
            # (the envelope names another sender: the cut drops what comes "from" the
            # host; keyxchgd trusts only the signed fields anyway)
            relay.control({"cmd": "inject", "room": "keyreplay", "to": f"p{mid}",
                           "from": "p999", "body": keys[-1]})
        return m.status().get("sync") == "out-of-sync" and not send_keys(m)
    stopped = wait_until(replaying, 20, [m])
    took = time.monotonic() - t0
    acked = len(relay_bodies(relay, "ack", f"p{mid}", "keyreplay")) - n_acks
    opened = warnings(m, "does not open")
    check(f"the host's heartbeats and rosters withheld from M, its epoch {e} key replayed to "
          f"it every second: M acks the resends ({acked} acks) but goes out of sync within the "
          f"bound T/2 = 3 s (after {took:.1f} s; waited up to 20 s) and withdraws its send "
          "keys", ok and keys and had and
          acked > 0 and not opened and stopped,
          (ok, len(keys), len(had), acked, len(opened), stopped, m.status().get("sync"),
           m.status().get("sync_reason"), m.status().get("epoch")))
    relay.control({"cmd": "set", "name": "drop_pairs", "value": None})
    back = wait_until(lambda: m.status().get("sync") == "in-sync" and send_keys(m) and
                      same_epoch_keys([h, m], m.status().get("epoch"))[0], 30, [h, m])
    check("the network heals: M hears the host again, holds the host's epoch and sends "
          "again ('in-sync')", back, (back, m.status().get("sync"), m.status().get("epoch"),
                                      h.status().get("epoch")))
    for r in (h, x, m):
        r.stop()


def lost_acks_tests(tmp, relay):
    """The host takes an ack of M; then the relay drops M's acks to it for several
    heartbeat periods (T/4 = 1 s): M announces a new EK in each, the host keeps the one it
    took. The host starts a fresh epoch, sealed to that EK: M still holds it and opens
    the epoch (PROTOCOL.md 7.3: every EK announced since the last roster that listed one)."""
    h, x, m, ok = three_rooms(tmp, relay, 270, "lostacks", 4)
    hid, mid = (r.status().get("participant") for r in (h, m))
    e = h.status().get("epoch")
    ok = ok and wait_until(lambda: same_epoch_keys([h, x, m], e)[0] and
                           m.status().get("sync") == "in-sync", 15, [h, x, m])

    def sent():  # M's acks, as M sent them (taken or dropped)
        return [b["body"] for b, _ in relay_bodies(relay, "ack", f"p{mid}", "lostacks")]

    def delivered():  # M's acks the relay handed to the host
        return [b["body"] for b, _ in relay_bodies(relay, "ack", f"p{hid}", "lostacks", "out")
                if b["from"] == f"p{mid}"]
    # An ack answering a heartbeat (a new EK) reaches the host; then the cut.
    n0 = len(delivered())
    ok = ok and wait_until(lambda: len(delivered()) > n0, 10)
    relay.control({"cmd": "set", "name": "drop_pairs", "value": [[f"p{mid}", f"p{hid}"]]})
    taken = delivered()[-1].get("ek") if delivered() else None

    def announced_since():
        eks = [a.get("ek") for a in sent()]
        i = max((j for j, k in enumerate(eks) if k == taken), default=len(eks))
        return list(dict.fromkeys(k for k in eks[i + 1:] if k != taken))
    several = wait_until(lambda: len(announced_since()) >= 4, 20, [h, x, m])
    newer = announced_since()
    rc, _ = h.ctl("rekey")

    def listed():
        rs = [b["body"] for b, _ in relay_bodies(relay, "roster", f"p{hid}", "lostacks")
              if b["body"]["epoch"] == e + 1]
        return [p["ek"] for r in rs[-1:] for p in r["members"] if p["id"] == mid]
    fresh = wait_until(listed, 10)
    check(f"set-up: the host took an ack of M, then M announced {len(newer)} newer EKs in acks "
          f"the relay dropped; the host's fresh roster of epoch {e + 1} lists M with the EK "
          "of the ack it took", ok and taken and several and rc == 0 and fresh and
          listed() == [taken], (ok, bool(taken), several, len(newer), rc, fresh,
                                listed() == [taken]))
    opened = wait_until(lambda: m.status().get("epoch") == e + 1 and
                        m.status().get("have_secret") is True and
                        h.status().get("epoch") == e + 1 and
                        same_epoch_keys([h, m], e + 1)[0] and
                        m.status().get("sync") == "in-sync", 20, [h, x, m])
    st = m.status()
    check(f"its acks still dropped, M opens the fresh epoch {e + 1} sealed to the EK it "
          f"announced {len(newer)} acks ago: it holds its secret, the host's keys, and is in "
          "sync (no 'does not open')", opened and not warnings(m, "does not open"),
          (opened, st.get("epoch"), st.get("have_secret"), st.get("sync"),
           st.get("sync_reason"), h.status().get("epoch"), len(warnings(m, "does not open"))))
    relay.control({"cmd": "set", "name": "drop_pairs", "value": None})
    for r in (h, x, m):
        r.stop()


def main():
    return run_sections("kx-p2-", [("stale", stale_sender_tests),
                                   ("replay", heartbeat_replay_tests),
                                   ("diverge", divergence_tests), ("fork", fork_tests),
                                   ("behind", not_current_tests),
                                   ("snapshot", snapshot_tests),
                                   ("keyreplay", replayed_key_tests),
                                   ("lostacks", lost_acks_tests)])


if __name__ == "__main__":
    tap.main(main)
