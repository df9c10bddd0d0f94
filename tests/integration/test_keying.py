#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keyxchgd end to end, on loopback, through the untrusted relay fixture.

Three rooms, then ten: the host admits through kxctl; every room derives the
same media keys per epoch (compared by fingerprint, never by key); a late
joiner holds no key of the epochs before it came; a room that left holds none
of the epochs after; the relay's misbehaviour (a substituted meeting key, a
forged and a replayed roster, dropped messages, a restart) ends in a
rejected message or a resend, never in a key it knows; and the relay's log of
every raw message holds no media key. TAP output.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
HERE = os.path.dirname(os.path.abspath(__file__))
RELAY = os.path.join(HERE, "..", "fixtures", "relay.py")
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(("ok" if ok else "not ok"), len(results), "-", name, flush=True)
    if not ok and detail:
        for line in str(detail).splitlines()[-25:]:
            print("#", line)


class Relay:
    def __init__(self, tmp, port=0):
        self.tmp, self.certs = tmp, os.path.join(tmp, "certs")
        if not os.path.exists(self.certs):
            subprocess.run([sys.executable, RELAY, "--make-certs", self.certs], check=True)
        self.log = os.path.join(tmp, "relay.jsonl")
        pf = os.path.join(tmp, "relay.port")
        if os.path.exists(pf):
            os.unlink(pf)
        self.proc = subprocess.Popen([sys.executable, RELAY, "--certs", self.certs, "--port",
                                      str(port), "--port-file", pf, "--log", self.log],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(pf):
                break
            time.sleep(0.05)
        self.port = int(open(pf).read())

    def control(self, cmd):
        import asyncio
        import ssl
        import websockets

        async def go():
            ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))
            async with websockets.connect(f"wss://localhost:{self.port}/control",
                                          ssl=ctx) as ws:
                await ws.send(json.dumps(cmd))
                return json.loads(await ws.recv())
        return asyncio.run(go())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Room:
    def __init__(self, tmp, n, relay):
        self.n, self.tmp = n, tmp
        self.sock = os.path.join(tmp, f"room{n}.sock")
        self.err = open(os.path.join(tmp, f"room{n}.log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "keyxchgd"), "--state-dir", os.path.join(tmp, f"state{n}"),
             "--socket", self.sock, "--relay", f"wss://localhost:{relay.port}", "--ca",
             os.path.join(relay.certs, "ca.pem"), "--device", f"room-{n}"],
            stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline()
        self.codeword = line.split("codeword=")[-1].strip() if "ready" in line else None
        self.events = None
        self.keys = {}           # kid -> hex, from the media-key events

    def ctl(self, *args):
        r = subprocess.run([os.path.join(BIN, "kxctl"), "--socket", self.sock, *args],
                           capture_output=True, text=True, timeout=20)
        try:
            return r.returncode, json.loads(r.stdout.splitlines()[0])
        except (IndexError, ValueError):
            return r.returncode, {"raw": r.stdout + r.stderr}

    def subscribe(self):
        """A media daemon's view: every key event (this test runs as our uid)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sock)
        s.sendall(b'{"cmd":"subscribe","events":["keys","roster","state"]}\n')
        s.setblocking(False)
        self.events, self.buf, self.seen = s, b"", []

    def pump(self):
        if not self.events:
            return
        try:
            while True:
                data = self.events.recv(65536)
                if not data:
                    break
                self.buf += data
        except BlockingIOError:
            pass
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            ev = json.loads(line)
            self.seen.append(ev)
            if ev.get("event") == "media-key" and ev.get("action") == "install":
                self.keys[ev["kid"]] = ev["key"]

    def status(self):
        return self.ctl("status")[1]

    def fps(self, epoch=None):
        st = self.status()
        return {k["kid"]: k["fp"] for k in st.get("keys", [])
                if epoch is None or k["epoch"] == epoch}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.err.close()


def wait_until(pred, seconds=15, rooms=()):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for r in rooms:
            r.pump()
        if pred():
            return True
        time.sleep(0.1)
    return False


def knocks(room):
    room.pump()
    return [e for e in room.seen if e.get("event") == "knock"]


def admit(host, member, meeting):
    before = len(knocks(host))
    rc, rep = member.ctl("join", "--meeting", meeting, "--role", "member", "--name",
                         f"Room {member.n}")
    ok = rc == 0 and wait_until(lambda: len(knocks(host)) > before, 15, [host])
    if not ok:
        return False, rep
    k = knocks(host)[-1]
    rc, rep = host.ctl("admit", str(k["participant"]), "--codeword", k["codeword"])
    return rc == 0, (k, rep)


def same_epoch_keys(rooms, epoch):
    sets = [r.fps(epoch) for r in rooms]
    return sets[0] and all(s == sets[0] for s in sets), sets


def main():
    for b in ("keyxchgd", "kxctl"):
        if not os.access(os.path.join(BIN, b), os.X_OK):
            print(f"Bail out! {b} not built")
            return 1
    tmp = tempfile.mkdtemp(prefix="kx-meeting-")
    relay = Relay(tmp)
    rooms = [Room(tmp, n, relay) for n in (1, 2, 3)]
    check("three keyxchgd start, each with its codeword", all(r.codeword for r in rooms))
    host, r2, r3 = rooms
    for r in rooms:
        r.subscribe()
    rc, rep = host.ctl("join", "--meeting", "m1", "--role", "host", "--name", "Room 1")
    check("the host starts the meeting", rc == 0, rep)
    ok, info = admit(host, r2, "m1")
    check("room 2 knocks, shows its codeword, is admitted", ok, info)
    if ok:
        check("the knock carries room 2's real codeword", info[0]["codeword"] == r2.codeword,
              info)
    check("host and room 2 agree on epoch 1",
          wait_until(lambda: same_epoch_keys([host, r2], 1)[0], 15, rooms))
    before = len(knocks(host))
    r3.ctl("join", "--meeting", "m1", "--role", "member", "--name", "Room 3")
    wait_until(lambda: len(knocks(host)) > before, 15, [host])
    k3 = knocks(host)[-1]
    rc, rep = host.ctl("admit", str(k3["participant"]), "--codeword", "babab-babab-babab-babab")
    check("admitting with a codeword other than the knock's is refused", rc == 1, rep)
    rc, rep = host.ctl("admit", str(k3["participant"]), "--codeword", k3["codeword"])
    ok, info = rc == 0, (k3, rep)
    check("room 3 knocks and is admitted", ok, info)
    agree = wait_until(lambda: same_epoch_keys(rooms, 2)[0], 15, rooms)
    check("three rooms derive the same media keys at epoch 2 (fingerprints)", agree,
          same_epoch_keys(rooms, 2)[1])
    e1 = host.fps(1)
    check("the late joiner holds no key of epoch 1", e1 and not (set(r3.fps()) & set(e1)),
          (e1, r3.fps()))
    st = r2.status()
    names = {p["participant"]: p for p in st.get("participants", [])}
    check("room 2's roster lists three, with the host's codeword",
          len(names) == 3 and any(p["codeword"] == host.codeword and p["role"] == "host"
                                  for p in names.values()), st)

    # Room 3 leaves: a fresh secret for the rest, nothing for it.
    rc, _ = r3.ctl("leave")
    check("room 3 leaves", rc == 0)
    agree = wait_until(lambda: same_epoch_keys([host, r2], 3)[0], 15, rooms)
    check("host and room 2 move to epoch 3 together", agree, same_epoch_keys([host, r2], 3)[1])
    check("the room that left holds no key of epoch 3",
          not (set(r3.fps()) & set(host.fps(3))), r3.status())

    # The relay substitutes meeting keys: the knock fails its signature.
    r4 = Room(tmp, 4, relay)
    r4.subscribe()
    relay.control({"cmd": "set", "name": "swap_field", "value": "ek"})
    before = len(knocks(host))
    r4.ctl("join", "--meeting", "m1", "--role", "member", "--name", "Room 4")
    time.sleep(2)
    relay.control({"cmd": "set", "name": "swap_field", "value": None})
    r4.pump()
    host.pump()
    # The relay rewrites every "ek": the host hello room 4 gets fails its
    # signature there, and any knock would fail it at the host.
    warned = [e for e in host.seen + r4.seen if e.get("event") == "warning"
              and ("announce" in e["text"] or "roster" in e["text"])]
    check("with the relay replacing meeting keys, no knock gets through (a warning instead)",
          len(knocks(host)) == before and warned, (host.seen[-3:], r4.seen[-3:]))

    # A forged roster (the relay cannot sign) and a replayed old one.
    logged = [json.loads(l) for l in open(relay.log)]
    rosters = [json.loads(x["raw"]) for x in logged if x["dir"] == "in" and '"roster"' in x["raw"]]
    old = next(json.loads(x["raw"])["body"] for x in logged
               if x["dir"] == "in" and '"type":"roster"' in x["raw"].replace(" ", ""))
    forged = dict(rosters[-1]["body"])
    forged["epoch"] = forged["epoch"] + 1
    e_before = r2.status().get("epoch")
    relay.control({"cmd": "inject", "room": "m1", "to": "p2", "from": "p1", "body": forged})
    relay.control({"cmd": "inject", "room": "m1", "to": "p2", "from": "p1", "body": old})
    time.sleep(1)
    r2.pump()
    check("a forged roster is rejected and a replayed one changes nothing",
          r2.status().get("epoch") == e_before and any(
              e.get("event") == "warning" and "roster" in e["text"] for e in r2.seen),
          r2.seen[-5:])

    # Dropped messages: epoch keys are resent until acked.
    relay.control({"cmd": "set", "name": "drop_every", "value": 3})
    rc, _ = host.ctl("rekey")
    agree = wait_until(lambda: same_epoch_keys([host, r2], 4)[0], 20, rooms)
    relay.control({"cmd": "set", "name": "drop_every", "value": 0})
    check("with every third message dropped, resends bring room 2 to epoch 4", rc == 0 and agree,
          same_epoch_keys([host, r2], 4)[1])

    # The relay restarts mid-meeting; the meeting goes on.
    port = relay.port
    relay.stop()
    time.sleep(0.5)
    relay = Relay(tmp, port)
    time.sleep(1.5)
    rc, _ = host.ctl("rekey")
    agree = wait_until(lambda: same_epoch_keys([host, r2], 5)[0], 20, rooms)
    check("after a relay restart the rooms reconnect and rekey to epoch 5", rc == 0 and agree,
          (same_epoch_keys([host, r2], 5)[1], open(os.path.join(tmp, "room2.log")).read()[-800:]))

    # The host leaves, signed: its successor takes over with a fresh secret.
    rc, _ = host.ctl("leave")
    took = wait_until(lambda: r2.status().get("host") is True and r2.status().get("epoch") == 6
                      and r2.fps(6), 20, rooms)
    check("the host leaves; room 2, its successor, hosts epoch 6 with a fresh secret",
          rc == 0 and took, r2.status())
    check("the host that left holds no key of epoch 6",
          not (set(host.fps()) & set(r2.fps(6))), host.status())

    # Nothing the relay saw is a media key.
    for r in rooms + [r4]:
        r.pump()
    keys = {}
    for r in rooms + [r4]:
        keys.update(r.keys)
    raw = open(relay.log).read() + open(os.path.join(tmp, "relay.jsonl")).read()
    found = []
    for kid, hexkey in keys.items():
        b = bytes.fromhex(hexkey)
        forms = [hexkey, hexkey.upper(), base64.b64encode(b).decode().rstrip("="),
                 base64.urlsafe_b64encode(b).decode().rstrip("=")]
        if any(f in raw for f in forms):
            found.append(kid)
    check(f"the relay's log holds none of the {len(keys)} media keys", keys and not found, found)

    for r in rooms + [r4]:
        r.stop()

    # Ten rooms.
    rooms = [Room(tmp, 10 + n, relay) for n in range(10)]
    for r in rooms:
        r.subscribe()
    host = rooms[0]
    rc, _ = host.ctl("join", "--meeting", "m10", "--role", "host", "--name", "Room 10")
    admitted = 0
    for r in rooms[1:]:
        ok, _ = admit(host, r, "m10")
        admitted += ok
    agree = wait_until(lambda: same_epoch_keys(rooms, 9)[0], 30, rooms)
    check(f"ten rooms: {admitted} admitted, all derive the same keys at epoch 9", admitted == 9
          and agree, [len(s) for s in same_epoch_keys(rooms, 9)[1]])
    for r in rooms:
        r.stop()
    relay.stop()
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
