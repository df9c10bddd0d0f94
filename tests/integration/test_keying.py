#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keyxchgd end to end, on loopback, through the untrusted relay fixture.

Three rooms, then ten: the host admits through kxctl; every room derives the
same media keys per epoch (compared by fingerprint, never by key); a late
joiner holds no key of the epochs before it came; a room that left holds none
of the epochs after; the relay's misbehaviour (a substituted meeting key, a
forged and a replayed roster, dropped messages, a restart) ends in a
rejected message or a resend, never in a key it knows; and the relay's log of
every raw message holds no media key. Then a second meeting for the lobby:
the allow list (and a relay substituting the allow-listed key), the signed
deny (and forged ones), the announce window (an old knock replayed), a
flood of fake knocks, a leave replayed across a re-admission; periodic
rekeying; ten rooms admitted in one batch. Then the review's cases: a rekey
while an admission waits, a room rotated out, a departed room's knock
replayed, a room that reaches the relay before the host, the member side of
the KID guard against the second implementation as a host, verify of nobody,
kxctl's memory, a replayed host hello, the successor's successor, and a relay
that never answers TLS (the stepwise connect). TAP output.
"""
import base64
import hashlib
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
# The second implementation of PROTOCOL.md signs the fake knocks.
sys.path.insert(0, os.path.join(HERE, "..", "keyxchg"))
import test_kx_vectors as kxpy  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import tap  # noqa: E402
import users  # noqa: E402


class Relay:
    def __init__(self, tmp, port=0, extra=(), name="relay"):
        self.tmp, self.certs = tmp, os.path.join(tmp, "certs")
        if not os.path.exists(self.certs):
            subprocess.run([sys.executable, RELAY, "--make-certs", self.certs], check=True)
        self.log = os.path.join(tmp, f"{name}.jsonl")
        pf = os.path.join(tmp, f"{name}.port")
        if os.path.exists(pf):
            os.unlink(pf)
        self.proc = subprocess.Popen([sys.executable, RELAY, "--certs", self.certs, "--port",
                                      str(port), "--port-file", pf, "--log", self.log, *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tap.wait_until(lambda: os.path.exists(pf), 10, f"the relay fixture's port file {pf}")
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
    def __init__(self, tmp, n, relay, args=(), device=None):
        self.n, self.tmp = n, tmp
        # keyxchgd runs as its own user (tests/lib/users.py), in a directory of its own.
        kxd = users.kx_dir(os.path.join(tmp, f"kx{n}"))
        self.state_dir = os.path.join(kxd, "state")
        self.sock = os.path.join(kxd, "keyxchgd.sock")
        self.err = open(os.path.join(tmp, f"room{n}.log"), "w")
        self.proc = subprocess.Popen(users.kx(
            [os.path.join(BIN, "keyxchgd"), "--state-dir", self.state_dir,
             "--socket", self.sock, "--relay", f"wss://localhost:{relay.port}", "--ca",
             os.path.join(relay.certs, "ca.pem"), "--device", device or f"room-{n}", *args]),
            stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline()
        self.codeword = line.split("codeword=")[-1].strip() if "ready" in line else None
        self.events = None
        self.keys = {}           # kid -> hex, from the media-key events

    def ctl(self, *args, connected=True):
        r = subprocess.run(users.kx([os.path.join(BIN, "kxctl"), "--socket", self.sock, *args]),
                           capture_output=True, text=True, timeout=20)
        try:
            rep = r.returncode, json.loads(r.stdout.splitlines()[0])
        except (IndexError, ValueError):
            rep = r.returncode, {"raw": r.stdout + r.stderr}
        # join answers once the relay connection is under way (DAEMON.md): the
        # tests count on who reaches the relay first (the host is p1).
        if args[0] == "join" and rep[0] == 0 and connected:
            wait_until(lambda: self.status().get("relay") == "open" and
                       self.status().get("participant", -1) >= 0, 15)
        return rep

    def subscribe(self):
        """A media daemon's view: every key event (as keyxchgd's own uid)."""
        s = self.connect()
        s.sendall(b'{"cmd":"subscribe","events":["keys","roster","state"]}\n')
        s.setblocking(False)
        self.events, self.buf, self.seen = s, b"", []

    def connect(self):
        """A control connection of keyxchgd's own uid (SO_PEERCRED: at connect)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with users.acting_as(users.KX):
            s.connect(self.sock)
        return s

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

    def ik(self):
        """The identity key, from the seed this test's state folder holds."""
        from nacl.signing import SigningKey
        with open(os.path.join(self.state_dir, "identity.key"), "rb") as f:
            return bytes(SigningKey(f.read()).verify_key)

    def members(self):
        return {p["participant"] for p in self.status().get("participants", [])}

    def state(self):
        return self.status().get("state")

    def fps(self, epoch=None):
        st = self.status()
        return {k["kid"]: k["fp"] for k in st.get("keys", [])
                if epoch is None or k["epoch"] == epoch}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.err.close()


def state_dir(tmp, n):
    """Room n's state directory, made before its keyxchgd starts (keyxchgd's user's)."""
    d = os.path.join(users.kx_dir(os.path.join(tmp, f"kx{n}")), "state")
    os.makedirs(d, mode=0o700)
    return users.own(d, users.KX, 0o700)


def allow_list(tmp, host_n, room):
    """The host's state folder with an allow list naming room (made before the host starts)."""
    path = os.path.join(state_dir(tmp, host_n), "allow")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, f"room-{room.n} {room.ik().hex()}\n".encode())
    os.close(fd)
    users.own(path, users.KX, 0o600)


def vm_locked_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmLck:"):
            return int(line.split()[1])
    return 0


def guarded_kib(pid):
    """The largest read-write mapping with an inaccessible page right before and
    after it: sodium_malloc's guard pages (malloc'd memory has none)."""
    maps = []
    for line in open(f"/proc/{pid}/maps"):
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        maps.append((lo, hi, f[1]))
    best = 0
    for i in range(1, len(maps) - 1):
        (_, phi, pp), (lo, hi, p), (nlo, _, np_) = maps[i - 1], maps[i], maps[i + 1]
        if p.startswith("rw") and pp.startswith("---") and np_.startswith("---") and \
                phi == lo and hi == nlo:
            best = max(best, (hi - lo) // 1024)
    return best


def sanitized(pid):
    return "libasan" in open(f"/proc/{pid}/maps").read()


def memory_regions(pid, keep, largest=1 << 30):
    """The contents of the mappings of pid (our child) whose permissions (as /proc
    shows them, "rw-p") keep() takes, up to largest bytes each (not the sanitizers'
    shadow: terabytes reserved, zeros, no data)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if not keep(line.split()[1]) or "[vvar]" in line or "[vsyscall]" in line or \
                    hi - lo > largest:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            yield data


def memory_holds(pid, needles):
    """Which of needles (bytes) occur anywhere in the readable memory of pid (our child)."""
    found = set()
    for data in memory_regions(pid, lambda perm: perm[0] == "r"):
        found.update(n for n in needles if n in data)
    return found


def run_sections(prog, sections):
    """main() of a keying test file: a relay, then each section (all, or those named on
    the command line), TAP output."""
    if not built():
        return 1
    tmp = tempfile.mkdtemp(prefix=prog)
    os.chmod(tmp, 0o755)    # keyxchgd's user reaches its directory and the CA
    relay = Relay(tmp)
    only = set(sys.argv[1:])
    for name, fn in sections:
        if not only or name in only:
            fn(tmp, relay)
    relay.stop()
    return finish()


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
    # The knock as shown, named by its hash (CONTROL.md "admit").
    rc, rep = host.ctl("admit", str(k["participant"]), "--knock", k["knock"])
    return rc == 0, (k, rep)


def same_epoch_keys(rooms, epoch):
    sets = [r.fps(epoch) for r in rooms]
    return sets[0] and all(s == sets[0] for s in sets), sets


def relay_bodies(relay, btype, who=None, room=None, direction="in"):
    """Bodies of type btype the relay saw (sent by participant `who`, in `room`)."""
    out = []
    for line in open(relay.log):
        x = json.loads(line)
        if x["dir"] != direction or (who and x["who"] != who) or (room and x["room"] != room):
            continue
        try:
            msg = json.loads(x["raw"])
        except ValueError:
            continue
        body = msg.get("body")
        if isinstance(body, dict) and body.get("type") == btype:
            out.append((msg, x))
    return out


def warnings(room, text):
    room.pump()
    return [e for e in room.seen if e.get("event") == "warning" and text in e["text"]]


def states(room):
    room.pump()
    return [e["state"] for e in room.seen if e.get("event") == "state"]


def lobby_tests(tmp, relay):
    """The host's lobby: allow list, deny, announce window, flood, replayed leave."""
    allowed = Room(tmp, 31, relay)                    # its identity exists now
    allow_list(tmp, 30, allowed)
    host = Room(tmp, 30, relay, ["--announce-window", "3", "--lobby-max", "8",
                                 "--codewords-per-second", "2", "--join-batch-ms", "300"])
    host.subscribe()
    allowed.subscribe()
    rc, _ = host.ctl("join", "--meeting", "lobby", "--role", "host", "--name", "Host 30")
    wait_until(lambda: relay_bodies(relay, "roster", "p1", "lobby"), 10)
    hello = relay_bodies(relay, "roster", "p1", "lobby")[-1][0]["body"]
    meeting = kxpy.unb64(hello["meeting"])

    # 2. A relay that puts the allow-listed key into another device's knock
    # (under the allow-listed device id): the signature fails, nothing shown.
    relay.control({"cmd": "set", "name": "set_field",
                   "value": {"type": "announce", "field": "ik",
                             "value": kxpy.b64(allowed.ik())}})
    impostor = Room(tmp, 32, relay, device="room-31")
    impostor.ctl("join", "--meeting", "lobby", "--role", "member", "--name", "Room 31")
    wait_until(lambda: warnings(host, "rejected an announce"), 10)
    relay.control({"cmd": "set", "name": "set_field", "value": None})
    # The same device id with the impostor's own key: shown, never auto-admitted.
    impostor2 = Room(tmp, 33, relay, device="room-31")
    impostor2.ctl("join", "--meeting", "lobby", "--role", "member", "--name", "Room 31")
    wait_until(lambda: any(k["device"] == "room-31" for k in knocks(host)), 10)
    time.sleep(1)       # longer than the batch: an admission would have happened
    check("a knock carrying the allow-listed key under another key's signature is "
          "rejected, one with the allow-listed device id and another key is shown but "
          "not admitted", warnings(host, "rejected an announce") and
          [k["auto"] for k in knocks(host)] == [False] and host.status().get("epoch") == 0,
          (knocks(host), host.status()))
    # The allow-listed room itself: in, without kxctl admit.
    allowed.ctl("join", "--meeting", "lobby", "--role", "member", "--name", "Room 31")
    ok = wait_until(lambda: allowed.state() == "in-meeting" and allowed.fps(1), 15)
    me = allowed.status().get("participant")
    check("the allow-listed room is admitted without kxctl admit and keyed at epoch 1",
          ok and [k["auto"] for k in knocks(host) if k["participant"] == me] == [True] and
          same_epoch_keys([host, allowed], 1)[0], (knocks(host)[-1:], allowed.status()))
    impostor.stop()
    impostor2.stop()

    # 3. Deny: the knocker is told (signed, bound to its knock) and stops.
    r34, r35 = Room(tmp, 34, relay), Room(tmp, 35, relay)
    for r in (r34, r35):
        r.subscribe()
        before = len(knocks(host))
        r.ctl("join", "--meeting", "lobby", "--role", "member", "--name", f"Room {r.n}")
        wait_until(lambda: len(knocks(host)) > before, 15)
    k34, k35 = knocks(host)[-2:]
    rc, rep = host.ctl("deny", str(k34["participant"]))
    ok = wait_until(lambda: "denied" in states(r34), 10, [r34])
    check("deny: the knocker's daemon reports the state 'denied' and leaves the relay",
          rc == 0 and ok and r34.state() == "denied", (rep, r34.status()))
    deny = relay_bodies(relay, "deny", "p1", "lobby")[-1][0]["body"]
    check("the deny names the knock by its hash and comes from the host",
          deny["to"] == k34["participant"] and deny["from"] == 1 and
          kxpy.unb64(deny["knock"]) == hashlib.sha256(kxpy.canon_msg(
              relay_bodies(relay, "announce", f"p{k34['participant']}", "lobby")[-1][0]["body"]))
          .digest(), deny)
    p35 = f"p{k35['participant']}"
    relay.control({"cmd": "inject", "room": "lobby", "to": p35, "from": "p1", "body": deny})
    relay.control({"cmd": "inject", "room": "lobby", "to": p35, "from": "p1",
                   "body": dict(deny, to=k35["participant"])})
    wait_until(lambda: len(warnings(r35, "rejected a deny")) >= 2, 10)
    check("a deny redirected to another knocker, and one with its 'to' rewritten, are "
          "rejected; that knocker stays in the lobby",
          len(warnings(r35, "rejected a deny")) == 2 and r35.state() == "lobby" and
          "denied" not in states(r35), r35.seen[-4:])
    host.ctl("admit", str(k35["participant"]), "--codeword", k35["codeword"])
    check("and is admitted afterwards", wait_until(lambda: r35.state() == "in-meeting", 15))

    # 4. Announce window (3 s here): room 34's knock, replayed later, is refused.
    old = relay_bodies(relay, "announce", f"p{k34['participant']}", "lobby")[-1][0]["body"]
    time.sleep(max(0.0, old["time"] / 1000 + 4 - time.time()))
    stale = host.status().get("stale_refused", 0)
    n = len(knocks(host))
    relay.control({"cmd": "inject", "room": "lobby", "to": "p1",
                   "from": f"p{k34['participant']}", "body": old})
    wait_until(lambda: host.status().get("stale_refused", 0) >= stale + 1, 10)
    check("an old knock replayed outside the announce window is refused, not shown",
          host.status().get("stale_refused") == stale + 1 and len(knocks(host)) == n,
          (host.status().get("stale_refused"), knocks(host)[n:]))

    # 5. A flood of fake knocks (fresh, validly signed by keys of their own).
    before = host.status()
    shown = len(knocks(host))
    items = []
    for i in range(60):
        seed = os.urandom(32)
        from nacl.signing import SigningKey
        ik = bytes(SigningKey(seed).verify_key)
        body = {"v": 1, "type": "announce", "meeting": kxpy.b64(meeting), "from": 2000 + i,
                "device": f"fake-{i}", "name": f"Fake {i}", "ik": kxpy.b64(ik),
                "ek": kxpy.b64(os.urandom(32)), "time": int(time.time() * 1000)}
        items.append({"from": f"p{2000 + i}", "body": kxpy.sign(body, seed)})
    relay.control({"cmd": "inject", "room": "lobby", "to": "p1", "items": items})

    def taken(st):
        return (len([k for k in st.get("lobby", []) if k["participant"] >= 2000]) +
                st.get("knocks_refused", 0) - before.get("knocks_refused", 0))
    wait_until(lambda: taken(host.status()) >= 60, 20)
    rc, st = host.ctl("status")
    lobby = st.get("lobby", [])
    fake_held = [k for k in lobby if k["participant"] >= 2000]
    check("under a flood of 60 fake knocks the host answers status, holds at most "
          "the lobby's 8, refuses the rest",
          rc == 0 and len(lobby) <= 8 and
          st["knocks_refused"] - before.get("knocks_refused", 0) >= 60 - 8 and
          len(fake_held) + st["knocks_refused"] - before.get("knocks_refused", 0) == 60,
          (rc, len(lobby), st.get("knocks_refused")))
    # Codewords of unknown knockers come at 2 a second: count, never time.
    computed = st["codewords_computed"] - before["codewords_computed"]
    shown_now = len([k for k in knocks(host)[shown:] if k["participant"] >= 2000])
    check("their codewords are derived through the budget: no more Argon2id runs than "
          "knocks held, each shown only once derived",
          computed <= len(fake_held) and shown_now <= computed and
          all(k["codeword"] == "" for k in lobby if not k["shown"]),
          (computed, shown_now, len(fake_held)))
    # A known (pinned) room still gets in during the flood: room 35 leaves,
    # knocks again, is shown at once (no Argon2id budget, no lobby slot).
    r35.ctl("leave")
    wait_until(lambda: k35["participant"] not in host.members(), 10)
    n = len(knocks(host))
    r35.ctl("join", "--meeting", "lobby", "--role", "member", "--name", "Room 35")
    ok = wait_until(lambda: any(k["device"] == "room-35" and k["pinned"] == "same"
                                for k in knocks(host)[n:]), 15)
    check("a pinned room's knock is shown during the flood, the lobby full", ok,
          knocks(host)[n:][-3:])
    k = [k for k in knocks(host)[n:] if k["device"] == "room-35"][-1]
    host.ctl("admit", str(k["participant"]), "--codeword", k["codeword"])
    ok = wait_until(lambda: r35.state() == "in-meeting", 15)
    check("and is admitted", ok, r35.status())

    # 7. A leave replayed across a re-admission (the relay hands the room its
    # old participant id again) does not remove the re-admitted room.
    pid = k["participant"]
    e_admit = host.status().get("epoch")
    r35.ctl("leave")
    wait_until(lambda: pid not in host.members(), 10)
    relay.control({"cmd": "set", "name": "give_id", "value": pid})
    n = len(knocks(host))
    r35.ctl("join", "--meeting", "lobby", "--role", "member", "--name", "Room 35")

    def knock35():
        return [k for k in knocks(host)[n:] if k["device"] == "room-35"]
    wait_until(knock35, 15)
    k = (knock35() or [{}])[-1]
    host.ctl("admit", str(k["participant"]), "--codeword", k["codeword"])
    wait_until(lambda: r35.state() == "in-meeting" and pid in host.members(), 15)
    leave = [b for b, _ in relay_bodies(relay, "leave", f"p{pid}", "lobby")
             if b["body"]["epoch"] >= e_admit][-1]["body"]
    epoch = host.status().get("epoch")
    refused = host.status().get("leaves_refused", 0)
    relay.control({"cmd": "inject", "room": "lobby", "to": "p1", "from": f"p{pid}",
                   "body": leave})
    wait_until(lambda: host.status().get("leaves_refused", 0) > refused, 10)
    check(f"room 35, re-admitted as p{pid}, is not removed by its old leave replayed",
          k["participant"] == pid and pid in host.members() and
          host.status().get("epoch") == epoch and
          host.status().get("leaves_refused") == refused + 1,
          (k, host.status().get("epoch"), epoch, host.members()))
    for r in (host, allowed, r34, r35):
        r.stop()


def periodic_tests(tmp, relay):
    host = Room(tmp, 40, relay, ["--rekey-interval", "2"])
    r41 = Room(tmp, 41, relay)
    for r in (host, r41):
        r.subscribe()
    host.ctl("join", "--meeting", "periodic", "--role", "host", "--name", "Room 40")
    ok, _ = admit(host, r41, "periodic")
    ok = ok and wait_until(lambda: r41.state() == "in-meeting", 15)
    e = r41.status().get("epoch") or 0
    ok = ok and wait_until(lambda: (host.status().get("epoch") or 0) >= e + 2 and
                           same_epoch_keys([host, r41], e + 2)[0], 20, [host, r41])
    pid = [p for p in r41.members() if p != host.status().get("participant")]
    sealed = {b["body"]["epoch"] for b, _ in relay_bodies(relay, "epoch_key", "p1", "periodic")
              if b["body"]["to"] in pid}
    check("--rekey-interval 2: after the join the host moves on twice by itself, each a "
          "fresh secret sealed to the member, and both rooms agree", ok and
          {e + 1, e + 2} <= sealed,
          (host.status().get("epoch"), sealed))
    host.stop()
    r41.stop()

    # KIDs carry the epoch mod 256: 300 rekeys as fast as kxctl goes. No two
    # keys held may share a KID; the host waits rather than reuse one.
    host = Room(tmp, 42, relay)
    host.ctl("join", "--meeting", "kid", "--role", "host", "--name", "Room 42")
    wait_until(lambda: host.status().get("epoch") == 0, 10)
    refused = sum(host.ctl("rekey")[0] != 0 for _ in range(300))
    st = host.status()
    kids = [k["kid"] for k in st.get("keys", [])]
    epochs = {k["epoch"] for k in st.get("keys", [])}
    check(f"300 rekeys at once: epoch {st.get('epoch')}, {refused} refused, "
          f"{len(kids)} keys held over {len(epochs)} epochs, no KID twice",
          kids and len(kids) == len(set(kids)) and st.get("epoch") == 300 - refused and
          (refused == 0 or max(epochs) - min(epochs) == 255),
          (refused, st.get("epoch"), len(kids), len(set(kids))))
    host.stop()


def three_rooms(tmp, relay, n, meeting, after):
    """Rooms n (host), n+1 (admitted first: the successor), n+2, keyed alike."""
    h, s, m = (Room(tmp, n + i, relay, ["--takeover-after", str(after)]) for i in range(3))
    for r in (h, s, m):
        r.subscribe()
    h.ctl("join", "--meeting", meeting, "--role", "host", "--name", f"Room {n}")
    ok1, _ = admit(h, s, meeting)
    wait_until(lambda: s.state() == "in-meeting", 15)
    ok2, _ = admit(h, m, meeting)
    ok = ok1 and ok2 and wait_until(lambda: m.fps(m.status().get("epoch")) and
                                    s.fps(m.status().get("epoch")), 15, [h, s, m])
    return h, s, m, ok


def takeover_tests(tmp, relay):
    """The host vanishes without a signed leave: its successor takes over, under the rule."""
    # The relay cuts the successor off from everyone: it takes over after 4 s
    # of silence, but the member, which still hears the host's heartbeat,
    # refuses its roster and stays with the host; so does the host.
    h, s, m, ok = three_rooms(tmp, relay, 50, "cut", 4)
    e = m.status().get("epoch")
    relay.control({"cmd": "set", "name": "drop_to", "value": f"p{s.status()['participant']}"})
    took = wait_until(lambda: s.status().get("host") is True, 15, [s])
    refused = wait_until(lambda: warnings(m, "neither left nor gone silent"), 10, [m])
    relay.control({"cmd": "set", "name": "drop_to", "value": None})
    check("a successor cut off by the relay takes over; the member, which still hears the "
          "host's heartbeat, refuses its roster and stays with the host, as does the host",
          ok and took and refused and m.status().get("epoch") == e and
          m.status().get("participants", [{}])[0].get("role") == "host" and
          h.status().get("participant") in m.members() and h.status().get("host") is True,
          (ok, took, refused, e, m.status().get("epoch"), m.members(), s.status().get("epoch")))
    for r in (h, s, m):
        r.stop()

    # The host is killed (no leave): after 3 s of silence its successor hosts
    # the next epoch with a fresh secret, and the member follows.
    h, s, m, ok = three_rooms(tmp, relay, 53, "vanish", 3)
    e = m.status().get("epoch")
    hid = h.status().get("participant")
    h.proc.kill()
    h.proc.wait()
    took = wait_until(lambda: s.status().get("host") is True and
                      same_epoch_keys([s, m], e + 1)[0], 20, [s, m])
    check("the host killed without a leave: after 3 s of silence its successor hosts "
          f"epoch {e + 1} with a fresh secret, the member follows, the host is out",
          ok and took and hid not in m.members() and
          {p["participant"] for p in m.status()["participants"] if p["role"] == "host"} ==
          {s.status().get("participant")}, (e, s.status(), m.status()))
    h.err.close()
    for r in (s, m):
        r.stop()


def batch_tests(tmp, relay):
    rooms = [Room(tmp, 10 + n, relay, ["--join-batch-ms", "3000"] if n == 0 else [])
             for n in range(10)]
    for r in rooms:
        r.subscribe()
    host = rooms[0]
    host.ctl("join", "--meeting", "m10", "--role", "host", "--name", "Room 10")
    before = len(knocks(host))
    for r in rooms[1:]:
        r.ctl("join", "--meeting", "m10", "--role", "member", "--name", f"Room {r.n}")
    wait_until(lambda: len(knocks(host)) >= before + 9, 30, rooms)
    admitted = sum(host.ctl("admit", str(k["participant"]), "--codeword", k["codeword"])[0]
                   == 0 for k in knocks(host)[before:])
    agree = wait_until(lambda: same_epoch_keys(rooms, 1)[0], 30, rooms)
    # The rosters the host signed, as the relay saw them (hellos repeat epochs).
    epochs = sorted({b["body"]["epoch"] for b, _ in relay_bodies(relay, "roster", "p1", "m10")})
    check(f"ten rooms: {admitted} admitted within the batch, one epoch change: all hold "
          "the same keys at epoch 1, ten members, one roster after the first",
          admitted == 9 and agree and len(host.members()) == 10 and epochs == [0, 1],
          ([len(s) for s in same_epoch_keys(rooms, 1)[1]], epochs))
    for r in rooms:
        r.stop()


def rekey_admission_tests(tmp, relay):
    """A rekey while an admission waits in the batch: the rekey adds nobody."""
    host = Room(tmp, 70, relay, ["--join-batch-ms", "5000"])
    r71, r72 = Room(tmp, 71, relay), Room(tmp, 72, relay)
    rooms = [host, r71, r72]
    for r in rooms:
        r.subscribe()
    host.ctl("join", "--meeting", "rekeyadmit", "--role", "host", "--name", "Room 70")
    ok1, _ = admit(host, r71, "rekeyadmit")
    ok1 = ok1 and wait_until(lambda: same_epoch_keys([host, r71], 1)[0], 20, rooms)
    ok2, _ = admit(host, r72, "rekeyadmit")       # waits in the batch (5 s)
    rc, rep = host.ctl("rekey")                    # a fresh secret meanwhile
    agree = wait_until(lambda: same_epoch_keys(rooms, 3)[0], 30, rooms)
    r71.pump()
    installs = [e["kid"] for e in r71.seen
                if e.get("event") == "media-key" and e.get("action") == "install"]
    sizes = {b["body"]["epoch"]: len(b["body"]["members"])
             for b, _ in relay_bodies(relay, "roster", "p1", "rekeyadmit")}
    # A roster that only adds is a join to the members (PROTOCOL.md 7): had
    # the rekey taken the admission along, room 71 would have ratcheted a
    # secret the host never drew, installed and acked its keys, then installed
    # the sealed one under the same KIDs.
    check("a rekey while an admission waits in the batch: epoch 2 is the fresh secret for "
          "the two already in (nobody added), epoch 3 the join; room 71 installs every KID "
          "once and all three agree at epoch 3",
          ok1 and ok2 and rc == 0 and agree and sizes.get(2) == 2 and sizes.get(3) == 3 and
          installs and len(installs) == len(set(installs)),
          (ok1, ok2, rc, rep, sizes, len(installs), len(set(installs))))
    for r in rooms:
        r.stop()


def removal_tests(tmp, relay):
    """The relay's presence "left" is a hint (PROTOCOL.md 6.4): it removes nobody."""
    host, r76 = Room(tmp, 75, relay), Room(tmp, 76, relay)
    for r in (host, r76):
        r.subscribe()
    host.ctl("join", "--meeting", "removal", "--role", "host", "--name", "Room 75")
    ok, _ = admit(host, r76, "removal")
    ok = ok and wait_until(lambda: same_epoch_keys([host, r76], 1)[0], 20, [host, r76])
    me = r76.status().get("participant")

    def hints():
        host.pump()
        return [e for e in host.seen if e.get("event") == "presence" and
                e.get("participant") == me and e.get("presence") == "left"]
    rep = relay.control({"cmd": "presence", "room": "removal", "to": "p1", "event": "left",
                         "participant": f"p{me}"})
    # The hint event comes after the presence was handled: then nothing else changed.
    hinted = wait_until(hints, 15)
    check("a false presence 'left' for a member is only a hint: the host reports it, and "
          "the member stays, at the same epoch, keyed alike",
          ok and rep.get("ok") and hinted and me in host.members() and
          host.status().get("epoch") == 1 and r76.state() == "in-meeting" and
          same_epoch_keys([host, r76], 1)[0],
          (ok, rep, hinted, host.members(), host.status().get("epoch"), r76.state()))
    for r in (host, r76):
        r.stop()


def mute_tls_tests(tmp):
    """keyxchgd connects step by step: a relay that never answers the TLS
    handshake does not stall its loop (count and order, never time)."""
    mute = Relay(tmp, extra=["--mute-tls"], name="mute")
    room = Room(tmp, 60, mute)

    def accepted():
        return open(mute.log).read().count("tcp accepted")
    rc, rep = room.ctl("join", "--meeting", "mute", "--role", "host", "--name", "Room 60",
                       connected=False)
    held = wait_until(lambda: accepted() >= 1, 10)
    # While the mute relay holds the handshake the loop answers. A blocking
    # connect could answer nothing before the attempt ended, so it could never
    # report the relay as "connecting"; and its join would fail after 5 s.
    answers = [room.ctl("status") for _ in range(20)]
    check("a relay that never answers TLS: join returns, and 20 status requests in a row are "
          "answered during the handshake (the first one: relay 'connecting')",
          rc == 0 and held and answers[0][1].get("relay") == "connecting" and
          all(c == 0 and a.get("state") == "lobby" for c, a in answers),
          (rc, rep, held, answers[0], answers[-1]))
    log = os.path.join(tmp, "room60.log")
    failed = wait_until(lambda: "did not complete the TLS handshake in time" in open(log).read(),
                        30)
    again = wait_until(lambda: accepted() >= 2, 30)
    rc, st = room.ctl("status")
    check("the attempt still ends at its bound, named; the next one follows; status answers",
          failed and again and rc == 0 and st.get("state") == "lobby",
          (failed, again, accepted(), st))
    room.stop()
    mute.stop()


def ghost_tests(tmp, relay):
    """An allow-listed room leaves; its admitted knock, replayed inside the
    window, must not bring it back (a ghost the host never asked for)."""
    allowed = Room(tmp, 81, relay)
    allow_list(tmp, 80, allowed)
    host = Room(tmp, 80, relay)
    for r in (host, allowed):
        r.subscribe()
    host.ctl("join", "--meeting", "ghost", "--role", "host", "--name", "Room 80")
    allowed.ctl("join", "--meeting", "ghost", "--role", "member", "--name", "Room 81")
    ok = wait_until(lambda: allowed.state() == "in-meeting" and
                    same_epoch_keys([host, allowed], 1)[0], 20, [host, allowed])
    pid = allowed.status().get("participant")
    allowed.ctl("leave")
    ok = ok and wait_until(lambda: pid not in host.members(), 15, [host])
    knock = relay_bodies(relay, "announce", f"p{pid}", "ghost")[-1][0]["body"]
    epoch, stale, n = host.status().get("epoch"), host.status().get("stale_refused", 0), \
        len(knocks(host))
    relay.control({"cmd": "inject", "room": "ghost", "to": f"p{host.status()['participant']}",
                   "from": f"p{pid}", "body": knock})
    refused = wait_until(lambda: host.status().get("stale_refused", 0) > stale, 10)
    time.sleep(1.5)     # longer than the join batch: an admission would have happened
    st = host.status()
    check("an allow-listed room's admitted knock, replayed after its leave inside the "
          "window, is refused: no knock shown, no ghost admitted",
          ok and refused and len(knocks(host)) == n and st.get("epoch") == epoch and
          pid not in host.members(), (ok, refused, knocks(host)[n:], epoch, st.get("epoch")))
    for r in (host, allowed):
        r.stop()


def early_member_tests(tmp, relay):
    """A room that reaches the relay before the host still gets the host hello."""
    member, host = Room(tmp, 91, relay), Room(tmp, 90, relay)
    host.subscribe()
    rc1, _ = member.ctl("join", "--meeting", "early", "--role", "member", "--name", "Room 91")
    rc2, _ = host.ctl("join", "--meeting", "early", "--role", "host", "--name", "Room 90")
    shown = wait_until(lambda: knocks(host), 15, [host])
    check("a room waiting in the relay room before the host arrives gets the host hello "
          "(the welcome's participants) and knocks", rc1 == 0 and rc2 == 0 and shown and
          knocks(host)[0]["codeword"] == member.codeword, (rc1, rc2, knocks(host)))
    for r in (host, member):
        r.stop()


def member_kid_tests(tmp, relay):
    """The member side of the KID guard (KIDs carry the epoch mod 256): a host
    that moves faster than the member's grace period, here the second
    implementation of PROTOCOL.md (test_kx_vectors.py) injected through the
    relay, 300 fresh epochs at once. The member must remove the keys of epoch
    e-256 before it installs those of epoch e, never two under one KID."""
    from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_encrypt,
                               crypto_scalarmult_base)
    from nacl.signing import SigningKey
    member = Room(tmp, 95, relay)
    member.ctl("join", "--meeting", "py256", "--role", "member", "--name", "Room 95")
    me = member.status().get("participant")
    hid, seed, ek_sk = 7, os.urandom(32), os.urandom(32)
    ik, ek = bytes(SigningKey(seed).verify_key), crypto_scalarmult_base(ek_sk)
    meeting = os.urandom(16)
    policy = {"e2ee": True, "recording": False, "pstn": False, "lobby_locked": True}

    def roster(epoch, prev, members):
        # Two or more members name a successor (PROTOCOL.md 5): the member.
        return kxpy.sign({"v": 1, "type": "roster", "meeting": kxpy.b64(meeting),
                          "epoch": epoch, "prev": kxpy.b64(prev), "host": hid,
                          "successor": me if len(members) > 1 else None, "policy": policy,
                          "members": sorted(members, key=lambda m: m["id"])}, seed)
    host_entry = {"id": hid, "device": "py-host", "ik": kxpy.b64(ik), "ek": kxpy.b64(ek),
                  "role": "host"}
    r0 = roster(0, bytes(32), [host_entry])
    relay.control({"cmd": "inject", "room": "py256", "to": f"p{me}", "from": f"p{hid}",
                   "body": r0})
    ok = wait_until(lambda: relay_bodies(relay, "announce", f"p{me}", "py256"), 15)
    ann = relay_bodies(relay, "announce", f"p{me}", "py256")[-1][0]["body"] if ok else {}
    ik_m, ek_m = kxpy.unb64(ann.get("ik", "")), kxpy.unb64(ann.get("ek", ""))
    mem_entry = {"id": me, "device": ann.get("device"), "ik": ann.get("ik"),
                 "ek": ann.get("ek"), "role": "member"}
    pair = kxpy.pair_key(meeting, ik, ik_m, ek, ek_m, ek_sk, ek_m) if ok else bytes(32)
    items, prev, last = [], hashlib.sha256(kxpy.canon_msg(r0)).digest(), 300
    for e in range(1, last + 1):
        r = roster(e, prev, [host_entry, mem_entry])
        prev = hashlib.sha256(kxpy.canon_msg(r)).digest()
        nonce, secret = os.urandom(24), os.urandom(32)
        sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
            secret, kxpy.seal_ad(meeting, e, prev, hid, me), nonce, pair)
        key = kxpy.sign({"v": 1, "type": "epoch_key", "meeting": kxpy.b64(meeting),
                         "epoch": e, "roster": kxpy.b64(prev), "from": hid, "to": me,
                         "nonce": kxpy.b64(nonce), "sealed": kxpy.b64(sealed)}, seed)
        items += [{"from": f"p{hid}", "body": r}, {"from": f"p{hid}", "body": key}]
    relay.control({"cmd": "inject", "room": "py256", "to": f"p{me}", "items": items})
    done = wait_until(lambda: member.fps(last), 30, [member])
    st = member.status()
    host_kids = {(1 << 24) * t + (hid << 8) + (e % 256) for t in (0, 1) for e in range(256)}
    epochs = {k["epoch"] for k in st.get("keys", []) if k["kid"] in host_kids}
    kids = [k["kid"] for k in st.get("keys", [])]
    # 300 epochs arrive well within the 10 s grace period, so without the
    # guard the member would still hold epochs 1..300; with it, 256 exactly.
    check(f"a host 300 fresh epochs ahead at once: the member holds {len(epochs)} epochs of "
          "the host's keys (256: 45..300), the older ones removed before their KIDs came "
          "again, never two keys under one KID", ok and done and len(kids) == len(set(kids)) and
          len(epochs) == 256 and min(epochs) == last - 255,
          (ok, done, len(kids), len(set(kids)), len(epochs), min(epochs or [0]),
           st.get("epoch")))
    member.stop()


def verify_slot_tests(tmp, relay):
    """verify of ids that name nobody takes no participant slot: after 1100 of
    them (more than the 1024 slots) a knock is still held and shown."""
    host, r86 = Room(tmp, 85, relay), Room(tmp, 86, relay)
    host.subscribe()
    host.ctl("join", "--meeting", "slots", "--role", "host", "--name", "Room 85")
    s = host.connect()
    f = s.makefile("rwb")
    replies = []
    for i in range(1100):
        f.write(json.dumps({"cmd": "verify", "participant": 3000 + i}).encode() + b"\n")
        f.flush()
        replies.append(json.loads(f.readline()))
    s.close()
    rc, _ = r86.ctl("join", "--meeting", "slots", "--role", "member", "--name", "Room 86")
    shown = wait_until(lambda: knocks(host), 15, [host])
    check("1100 verify requests for ids of nobody are refused and take no slot: a knock "
          "afterwards is held and shown", all(not r.get("ok") for r in replies) and
          rc == 0 and shown, (replies[-1], rc, knocks(host)))
    for r in (host, r86):
        r.stop()


def kxctl_memory_tests(tmp, relay):
    """kxctl run as keyxchgd's user may subscribe to keys (CONTROL.md): once it
    printed them, it holds none of them in its memory (raw or hex)."""
    host = Room(tmp, 87, relay)
    host.ctl("join", "--meeting", "kxctlmem", "--role", "host", "--name", "Room 87")
    wait_until(lambda: host.fps(0), 10)
    proc = subprocess.Popen(users.kx([os.path.join(BIN, "kxctl"), "--socket", host.sock,
                                      "events", "keys", "--count", "1000", "--seconds", "60"]),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    keys = []
    while len(keys) < 2:       # its own two keys of epoch 0, then it waits for more
        line = proc.stdout.readline()
        if not line:
            break
        ev = json.loads(line)
        if ev.get("event") == "media-key" and ev.get("action") == "install":
            keys.append(ev["key"])
    # Once it waits in poll (syscall 7, or ppoll 271), every line it read is
    # printed and done with (it prints a line before it wipes it).
    def polling():
        return open(f"/proc/{proc.pid}/syscall").read().split()[0] in ("7", "271")
    stack = wait_until(polling, 10)
    needles = {f for k in keys for f in (k.encode(), k.upper().encode(), bytes.fromhex(k))}
    found = memory_holds(proc.pid, needles)
    check(f"kxctl printed {len(keys)} media keys and holds none of them in its memory (its "
          "line buffer wiped, jansson's copies through the wiping allocator)",
          len(keys) == 2 and not found, (len(keys), len(found), stack))
    proc.kill()
    proc.wait()
    host.stop()


def host_and_member(tmp, relay, n, meeting):
    """Rooms n (hosting meeting, started) and n+1 (not joined yet), both subscribed."""
    host, member = Room(tmp, n, relay), Room(tmp, n + 1, relay)
    for r in (host, member):
        r.subscribe()
    host.ctl("join", "--meeting", meeting, "--role", "host", "--name", f"Room {n}")
    return host, member, host.status().get("participant")


def hello_replay_tests(tmp, relay):
    """The relay replays the host hello to a knocker 20 times: it knocks once."""
    host, r89, hid = host_and_member(tmp, relay, 88, "hellos")
    r89.ctl("join", "--meeting", "hellos", "--role", "member", "--name", "Room 89")
    me = r89.status().get("participant")
    ok = wait_until(lambda: knocks(host), 15, [host])
    hello = relay_bodies(relay, "roster", f"p{hid}", "hellos")[-1][0]["body"]
    relay.control({"cmd": "inject", "room": "hellos", "to": f"p{me}",
                   "items": [{"from": f"p{hid}", "body": hello}] * 20})
    # Then a marker the room answers in order: a forged deny, refused with a
    # warning after the 20 hellos were handled.
    relay.control({"cmd": "inject", "room": "hellos", "to": f"p{me}", "from": f"p{hid}",
                   "body": {"v": 1, "type": "deny"}})
    wait_until(lambda: warnings(r89, "rejected a deny"), 10, [r89])
    sent = relay_bodies(relay, "announce", f"p{me}", "hellos")
    check("the host hello replayed 20 times to a knocker: it knocks once (a relay cannot "
          "make it sign knocks at will, nor void a deny in flight that way)",
          ok and warnings(r89, "rejected a deny") and len(sent) == 1, (ok, len(sent)))
    for r in (host, r89):
        r.stop()


def successor_tests(tmp, relay):
    """The successor leaves: the host names the next one (the lowest other
    member), which takes over when the host then vanishes."""
    h, s, m, ok = three_rooms(tmp, relay, 96, "succ", 3)
    hid, mid = h.status().get("participant"), m.status().get("participant")
    s.ctl("leave")
    ok = ok and wait_until(lambda: len(h.members()) == 2, 15, [h])
    last = relay_bodies(relay, "roster", f"p{hid}", "succ")[-1][0]["body"]
    e = h.status().get("epoch")
    h.proc.kill()
    h.proc.wait()
    took = wait_until(lambda: m.status().get("host") is True and
                      m.status().get("epoch") == e + 1, 20, [m])
    check("the successor leaves: the next roster names the remaining member successor, "
          "which takes over once the host vanishes", ok and last.get("successor") == mid and
          took, (ok, last.get("successor"), mid, took, m.status().get("epoch"), e))
    h.err.close()
    for r in (s, m):
        r.stop()


def built():
    """keyxchgd and kxctl are there to test (else a TAP bail-out line)."""
    for b in ("keyxchgd", "kxctl"):
        if not os.access(os.path.join(BIN, b), os.X_OK):
            print(f"Bail out! {b} not built")
            return False
    return True


def main():
    if not built():
        return 1
    tmp = tempfile.mkdtemp(prefix="kx-meeting-")
    os.chmod(tmp, 0o755)    # keyxchgd's user reaches its directory and the CA
    relay = Relay(tmp)
    rooms = [Room(tmp, n, relay) for n in (1, 2, 3)]
    check("three keyxchgd start, each with its codeword", all(r.codeword for r in rooms))
    # 16384 media keys of 32 bytes and the epoch secret, in sodium_malloc'd
    # memory: between guard pages, and locked (ASan makes mlock a no-op: there
    # only the guard pages can be seen).
    pid, keys_kib = rooms[0].proc.pid, 16384 * 32 // 1024
    check("the held keys live in guarded, locked memory (>= 512 KiB between guard pages; "
          "VmLck >= 512 KiB unless under ASan)", guarded_kib(pid) >= keys_kib and
          (sanitized(pid) or vm_locked_kib(pid) >= keys_kib),
          (guarded_kib(pid), vm_locked_kib(pid), sanitized(pid)))
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
    r3.pump()
    needles = {f for k in r3.keys.values()
               for f in (k.encode(), k.upper().encode(), bytes.fromhex(k))}
    found = memory_holds(r3.proc.pid, needles)
    check(f"the room that left holds none of its {len(r3.keys)} media keys anywhere in its "
          "memory (raw or hex: wiped, jansson's copies too)", r3.keys and not found,
          len(found))

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
    # Rosters only: acks (the host's heartbeat among them) have a "roster" field too.
    rosters = [json.loads(x["raw"]) for x in logged if x["dir"] == "in" and
               '"type":"roster"' in x["raw"].replace(" ", "")]
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

    lobby_tests(tmp, relay)
    periodic_tests(tmp, relay)
    takeover_tests(tmp, relay)
    batch_tests(tmp, relay)
    rekey_admission_tests(tmp, relay)
    removal_tests(tmp, relay)
    ghost_tests(tmp, relay)
    early_member_tests(tmp, relay)
    member_kid_tests(tmp, relay)
    verify_slot_tests(tmp, relay)
    kxctl_memory_tests(tmp, relay)
    hello_replay_tests(tmp, relay)
    successor_tests(tmp, relay)
    mute_tls_tests(tmp)
    relay.stop()
    return finish()


if __name__ == "__main__":
    tap.main(main)
