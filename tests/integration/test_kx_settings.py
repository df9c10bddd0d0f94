#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keyxchgd's settings (keyxchg/CONTROL.md set-room-name, set-service,
reset-identity; DAEMON.md "State files") against real keyxchgd processes and
the relay fixture on loopback, driven by kxctl:

* the admin PIN (CONTROL.md "The admin PIN"): without <state>/admin-pin
  every setting and check-pin is refused ("settings are locked"); a bad
  verifier file (too costly, not Argon2id, group-readable) leaves them
  locked; keyxchgd --hash-admin-pin refuses a PIN of 5 digits or letters;
  wrong PINs are refused and counted (3 free, then 30 s), the lockout's
  reply says the ms left, the right PIN during it is refused and nothing
  changes, a restart keeps the count and starts the lockout again, the right
  PIN after it works and clears the count; a settings command without a PIN
  or with a wrong one changes nothing; the media daemon's uid is refused
  check-pin; set-admin-pin takes the right PIN and a new one of 6 to 12
  digits, and the new one (alone) works, after a restart too; no PIN ever
  appears in keyxchgd's log;
* the room name: refused when not a display name (a format character, too
  long, a control character), kept as it was; set: in status, in the state
  file (0600, exactly the name), and in the knock the host sees (a join
  without --name uses it);
* the meeting service: refused when not wss://host[:port][/path] (nothing
  changes, on disk either); set to a second relay fixture: the next meeting
  goes there, not to the first;
* in a meeting every setting is refused (host and member), and the media
  daemon's uid is refused every setting outside one;
* identity reset: a failed one (0400 and 0600 keys) changes nothing, the
  key's mode included; a new codeword (status and the reply agree), the key file
  replaced (0600, other bytes), pins of others kept; the host that pinned
  this room sees its key "changed" at the next knock and in the roster;
* settings writes: at most one every 5 s (refused, saying so); set-service ""
  goes back to --relay; status names no meeting code after a leave;
* a restart keeps the name, the service and the new identity; a bad
  room-name (bad bytes, empty, group-readable, a symlink, oversized) does not
  stop keyxchgd: it says so, moves the file to room-name.bad and has no
  name; a bad service-url (an http address, a NUL, empty, oversized, a
  symlink, a DNS name) stops keyxchgd with a line naming the file and the
  way out (remove it).
TAP output.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import tap  # noqa: E402
from tap import check  # noqa: E402
import roomproc  # noqa: E402
import users  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
# Each room's admin PIN; WRONG ones never match it.
PIN = "480613"
WRONG = ("111111", "222222", "3333333", "44444444", "555555")
SETTINGS = ("set-room-name", "set-service", "reset-identity", "check-pin", "set-admin-pin")


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


class Room:
    def __init__(self, tmp, n, port, certs):
        self.n, self.tmp, self.port, self.certs = n, tmp, port, certs
        self.pin = PIN
        self.dir = os.path.join(tmp, f"kx{n}")
        self.state = os.path.join(self.dir, "state")
        self.log = os.path.join(tmp, f"kx{n}.log")
        self.start()

    def start(self):
        self.kx, self.sock, self.codeword = roomproc.keyxchgd(
            BIN, self.dir, f"wss://localhost:{self.port}", os.path.join(self.certs, "ca.pem"),
            f"room-{self.n}", open(self.log, "a"))

    def stop(self):
        self.kx.terminate()
        self.kx.wait(timeout=30)

    def ctl(self, *args, pin=None):
        """kxctl; the settings and check-pin get this room's PIN unless pin says another.
        A command refused by the PIN checks' rate limit (one a second per peer, 3 at
        once: test_kx_pin_flood.py tests it) goes again once its retry_ms are over."""
        if pin is None and args[0] in SETTINGS:
            pin = self.pin
        box = {}

        def go():
            box["rep"] = roomproc.kxctl(BIN, self.sock, *args, pin=pin)
            retry = box["rep"].get("retry_ms")
            if not box["rep"].get("error", "").startswith("too many PIN checks"):
                return True
            time.sleep(retry / 1000 if isinstance(retry, int) and 0 < retry <= 3000 else 0.2)
            return False
        tap.wait_until(go, 60, f"keyxchgd's PIN rate limit to let {args[0]} through")
        return box["rep"]

    def provision(self):
        """The room's admin PIN provisioned (<state>/admin-pin); keyxchgd restarted."""
        self.stop()
        roomproc.provision_admin_pin(BIN, self.state, self.pin)
        self.start()

    def status(self):
        return self.ctl("status")


def try_start(room):
    """keyxchgd on room's state: (exit status or None while running, its stderr)."""
    err = os.path.join(room.tmp, f"kx{room.n}-try.log")
    with open(err, "w") as e:
        p = subprocess.Popen(users.kx([os.path.join(BIN, "keyxchgd"), "--state-dir", room.state,
                                       "--socket", room.sock, "--relay",
                                       f"wss://localhost:{room.port}", "--ca",
                                       os.path.join(room.certs, "ca.pem"), "--device",
                                       f"room-{room.n}", *users.keyxchgd_peers()]),
                             stdout=subprocess.PIPE, stderr=e, text=True)
        line = p.stdout.readline()
    if "ready" in line:
        p.terminate()
        p.wait(timeout=30)
        return None, read(err)
    return p.wait(timeout=30), read(err)


def ctl_write(r, *args, **kw):
    """A settings command, retried while keyxchgd's rate limit (one write per 5 s) refuses it."""
    box = {}

    def go():
        box["rep"] = r.ctl(*args, **kw)
        return "at most one settings change" not in box["rep"].get("error", "")
    tap.wait_until(go, 60, f"keyxchgd's settings rate limit to let {args[0]} through")
    return box["rep"]


def as_kx(fn):
    """fn() with keyxchgd's ids (its state files are its own, 0600)."""
    with users.acting_as(users.KX):
        return fn()


def write_setting(path, data):
    def w():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, data)
        os.close(fd)
    as_kx(w)


def locked_ms(rep):
    return rep.get("locked_ms") if isinstance(rep.get("locked_ms"), int) else -1


def admin_pin(tmp, port, certs):
    """The admin PIN's checks on a room of its own (room 3): its lockout must
    not hold up the other rooms' settings."""
    c = Room(tmp, 3, port, certs)
    try:
        # No verifier: settings locked, fail closed.
        for args in (("check-pin",), ("set-room-name", "Nope"), ("reset-identity",)):
            rep = c.ctl(*args)
            check(f"no <state>/admin-pin: {args[0]} is refused, settings are locked",
                  not rep.get("ok") and rep.get("error") ==
                  "no admin PIN is set: settings are locked", rep)
        check("no PIN: nothing was set", "room_name" not in c.status() and
              c.status().get("codeword") == c.codeword, c.status())
        check("keyxchgd's log says settings are locked (no admin PIN)",
              "no admin PIN is set" in read(c.log), read(c.log)[-600:])

        # Provisioning: 6 to 12 digits, on stdin.
        for bad in ("12345", "12ab56", "1234567890123", ""):
            rc, out, err = roomproc.hash_admin_pin(BIN, bad)
            check(f"keyxchgd --hash-admin-pin refuses {bad!r} (not 6 to 12 digits)",
                  rc == 2 and not out and "6 to 12 digits" in err, (rc, out, err))
        rc, out, err = roomproc.hash_admin_pin(BIN, PIN)
        check("keyxchgd --hash-admin-pin prints one Argon2id verifier line at the chosen cost",
              rc == 0 and re.fullmatch(r"\$argon2id\$v=19\$m=16384,t=3,p=1\$[A-Za-z0-9+/]{22}"
                                       r"\$[A-Za-z0-9+/]{43}\n", out) is not None, (rc, out, err))
        rc2, out2, _ = roomproc.hash_admin_pin(BIN, PIN)
        check("two verifiers of one PIN differ (a fresh salt each)", rc2 == 0 and out2 != out)

        # Bad verifier files: keyxchgd runs, settings stay locked, its log says why.
        f = os.path.join(c.state, "admin-pin")
        salt_hash = out.strip().split("$", 4)[4]
        for what, data, mode in (
                ("too costly (m=1 GiB)", f"$argon2id$v=19$m=1048576,t=3,p=1${salt_hash}\n",
                 0o600),
                ("Argon2i, not Argon2id", f"$argon2i$v=19$m=16384,t=3,p=1${salt_hash}\n", 0o600),
                ("the PIN itself", PIN + "\n", 0o600),
                ("group-readable", out, 0o640)):
            c.stop()
            write_setting(f, data.encode())
            os.chmod(f, mode)
            before = len(read(c.log))
            c.start()
            rep = c.ctl("check-pin")
            log = read(c.log)[before:]
            check(f"admin-pin {what}: keyxchgd runs, says REFUSED, settings stay locked",
                  not rep.get("ok") and "settings are locked" in rep.get("error", "") and
                  "REFUSED" in log and "admin-pin" in log, (rep, log[-600:]))
        c.stop()
        os.unlink(f)
        roomproc.provision_admin_pin(BIN, c.state, PIN)
        c.start()

        # Malformed PINs are refused by the parser, not counted.
        for bad in ("12345", "12a456", "1234567890123"):
            rep = c.ctl("check-pin", pin=bad)
            check(f"check-pin with {bad!r}: refused as not 6 to 12 digits",
                  not rep.get("ok") and "6 to 12 digits" in rep.get("error", ""), rep)
        rep = c.ctl("set-room-name", "No PIN", pin="")
        check("a settings command without a PIN is refused",
              not rep.get("ok") and "admin PIN" in rep.get("error", ""), rep)

        # Three free wrong PINs, then 30 s.
        for i, wrong in enumerate(WRONG[:3]):
            rep = c.ctl("check-pin", pin=wrong)
            check(f"wrong PIN {i + 1}: refused, {2 - i} more before a lockout",
                  not rep.get("ok") and rep.get("error") ==
                  f"wrong PIN: {2 - i} more before a lockout" and rep.get("tries_left") == 2 - i,
                  rep)
        rep = c.ctl("set-room-name", "Guessed", pin=WRONG[3])
        check("wrong PIN 4 (with set-room-name): refused, locked for 30000 ms",
              not rep.get("ok") and rep.get("error") == "wrong PIN: locked for 30000 ms" and
              locked_ms(rep) == 30000, rep)
        for args in (("check-pin",), ("set-room-name", "Guessed"), ("reset-identity",)):
            rep = c.ctl(*args)
            left = locked_ms(rep)
            check(f"the right PIN during the lockout ({args[0]}): refused, the ms left said",
                  not rep.get("ok") and 0 < left <= 30000 and
                  rep.get("error") == f"too many wrong PINs: try again in {left} ms", rep)
        check("during the lockout nothing changed (name, codeword)",
              "room_name" not in c.status() and c.status().get("codeword") == c.codeword,
              c.status())
        tries = os.path.join(c.state, "admin-pin-tries")
        check("the count is on disk: <state>/admin-pin-tries says 4 (0600)",
              read(tries) == "4\n" and os.stat(tries).st_mode & 0o777 == 0o600,
              (read(tries), oct(os.stat(tries).st_mode)))
        r = subprocess.run(users.media([os.path.join(BIN, "kxctl"), "--socket", c.sock,
                                        "check-pin"]), input=PIN + "\n",
                           capture_output=True, text=True, timeout=30)
        check("check-pin as the media daemon's uid is refused", users.ROOT and
              r.returncode == 1 and "only subscribe and ask status" in r.stdout,
              (r.returncode, r.stdout, r.stderr))

        # A restart keeps the count and starts the lockout again.
        c.stop()
        before = len(read(c.log))
        c.start()
        rep = c.ctl("check-pin")
        check("after a restart the lockout holds (the right PIN refused, about 30 s left)",
              not rep.get("ok") and 20000 < locked_ms(rep) <= 30000, rep)
        check("the restarted keyxchgd says 4 wrong PINs, locked again",
              "4 wrong PINs since the last right one: locked again" in read(c.log)[before:],
              read(c.log)[before:][-600:])
        rep = c.ctl("check-pin", pin=WRONG[4])
        check("a wrong PIN during the lockout is not checked either (no longer lockout)",
              not rep.get("ok") and 0 < locked_ms(rep) <= 30000 and read(tries) == "4\n", rep)

        # After the lockout: the right PIN works and clears the count.
        time.sleep(max(locked_ms(rep), 0) / 1000)
        box = {}

        def unlocked():
            box["rep"] = c.ctl("check-pin")
            if box["rep"].get("ok"):
                return True
            time.sleep(0.5)
            return False
        tap.wait_until(unlocked, 60, "the 30 s lockout to end (check-pin with the right PIN)")
        check("after the lockout the right PIN is taken; the count is gone",
              box["rep"].get("ok") and not os.path.exists(tries), box["rep"])
        rep = ctl_write(c, "set-room-name", "Room Sea")
        check("set-room-name with the right PIN works", rep.get("ok") and
              c.status().get("room_name") == "Room Sea", rep)
        rep = c.ctl("check-pin", pin=WRONG[0])
        check("after a right PIN the wrong ones count from 0 again (2 more)",
              rep.get("tries_left") == 2, rep)
        rep = c.ctl("check-pin")
        check("and a right one clears it", rep.get("ok"), rep)

        # set-admin-pin: the current PIN and the new one, two lines on stdin.
        f = os.path.join(c.state, "admin-pin")
        old_verifier = read(f)
        new = "97531086"
        for pins, why in (((WRONG[1], new), "wrong PIN: 2 more before a lockout"),
                          ((PIN, "12345"), "new_pin: the new admin PIN, 6 to 12 digits"),
                          ((PIN, "12a456"), "new_pin: the new admin PIN, 6 to 12 digits")):
            rep = c.ctl("set-admin-pin", pin="\n".join(pins))
            check(f"set-admin-pin refused: {why}; the verifier file unchanged",
                  not rep.get("ok") and why in rep.get("error", "") and
                  read(f) == old_verifier, rep)
        rep = ctl_write(c, "set-admin-pin", pin=f"{PIN}\n{new}")
        st = os.stat(f)
        check("set-admin-pin with the right PIN: a new verifier (0600, keyxchgd's) for the new PIN",
              rep.get("ok") and read(f) != old_verifier and read(f).startswith("$argon2id$") and
              st.st_mode & 0o777 == 0o600 and st.st_uid == users.KX, (rep, read(f)))
        rep = c.ctl("check-pin", pin=PIN)
        check("the old PIN is now wrong", rep.get("tries_left") == 2, rep)
        rep = c.ctl("check-pin", pin=new)
        check("the new PIN is right", rep.get("ok"), rep)
        c.stop()
        c.start()
        rep = c.ctl("check-pin", pin=new)
        check("after a restart the new PIN is the one (read from the file)", rep.get("ok"), rep)
        WRONG_ALL = (PIN, new) + WRONG
        log = read(c.log)
        check("no PIN, right or wrong, old or new, appears in keyxchgd's log",
              all(p not in log for p in WRONG_ALL), log[-800:])
        check("keyxchgd's log says each check's time (Argon2id in its event loop)",
              re.search(r"admin PIN right for check-pin \(checked in \d+ ms\)", log), log[-800:])
    finally:
        if c.kx.poll() is None:
            c.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="kxsettings-")
    os.chmod(tmp, 0o755)
    relay, port, certs = roomproc.start_relay(tmp)
    relay2 = None
    a = b = None
    try:
        admin_pin(tmp, port, certs)
        a, b = Room(tmp, 1, port, certs), Room(tmp, 2, port, certs)
        for r in (a, b):
            r.provision()
        st = a.status()
        check("status names the meeting service (--relay) and no room name before one is set",
              st.get("service") == f"wss://localhost:{port}" and "room_name" not in st, st)
        rep = a.ctl("join", "--meeting", "settings", "--role", "host")
        check("a join without a name while no room name is set is refused",
              not rep.get("ok") and "set-room-name" in rep.get("error", ""), rep)

        # The room name.
        rule = "a room name is 1 to 64 bytes of UTF-8"
        bad = {"a zero-width space": "Board\u200broom", "65 bytes": "x" * 65,
               "a right-to-left override": "Board\u202emoor",
               "a first-strong isolate": "\u2068Board room", "only spaces": "   ",
               "a leading space": " Board", "a trailing space": "Board ",
               "a Hangul filler": "\u3164", "a variation selector": "Board\ufe0f",
               "a noncharacter": "Board\uffff"}
        for what, name in bad.items():
            rep = a.ctl("set-room-name", name)
            check(f"set-room-name with {what} is refused by keyxchgd's name rule",
                  not rep.get("ok") and rule in rep.get("error", ""), rep)
        for what, name, why in (("a control character", "Board\x01room", "without control"),
                                ("an empty name", "", "1 to 128 bytes")):
            rep = a.ctl("set-room-name", name)
            check(f"set-room-name with {what} is refused by the control parser",
                  not rep.get("ok") and why in rep.get("error", ""), rep)
        check("nothing was set", "room_name" not in a.status() and
              not os.path.exists(os.path.join(a.state, "room-name")), a.status())
        for r, name in ((a, "Board room \u00e9t\u00e9"), (b, "Room Bee")):
            rep = r.ctl("set-room-name", name)
            check(f"room {r.n}: set-room-name {name!r} answers it", rep.get("ok") and
                  rep.get("room_name") == name, rep)
        rep = a.ctl("set-room-name", "Too soon")
        check("a second settings write within 5 s is refused, saying so",
              not rep.get("ok") and "at most one settings change every 5 s" in
              rep.get("error", ""), rep)
        f = os.path.join(a.state, "room-name")
        fst = os.stat(f)
        check("the name is in status and in <state>/room-name (0600, exactly the name)",
              a.status().get("room_name") == "Board room \u00e9t\u00e9" and
              read(f, "rb") == "Board room \u00e9t\u00e9".encode() and
              fst.st_mode & 0o777 == 0o600 and fst.st_uid == users.KX,
              (a.status().get("room_name"), oct(fst.st_mode), fst.st_uid))

        # The media daemon's uid: only subscribe and status.
        for args in (("set-room-name", "Evil"), ("set-service", "wss://evil.example"),
                     ("reset-identity",)):
            r = subprocess.run(users.media([os.path.join(BIN, "kxctl"), "--socket", a.sock,
                                            *args]), input=PIN + "\n", capture_output=True,
                               text=True, timeout=30)
            check(f"{args[0]} as the media daemon's uid is refused (run as root: uid "
                  f"{users.MEDIA} is not keyxchgd's)", users.ROOT and r.returncode == 1 and
                  "only subscribe and ask status" in r.stdout, (users.ROOT, r.returncode,
                                                               r.stdout, r.stderr))
        check("the media daemon changed nothing (name, codeword, service)",
              a.status().get("room_name") == "Board room \u00e9t\u00e9" and
              a.status().get("codeword") == a.codeword and
              a.status().get("service") == f"wss://localhost:{port}", a.status())

        # The meeting service.
        f = os.path.join(a.state, "service-url")
        for url, why in (("http://localhost:1", "wss://"), ("wss://localhost:0", "1..65535"),
                         ("wss://local host", "letters"), ("wss://a/../b", "'..'"),
                         ("wss://a/b?c", "no query"), ("wss://u@a", "no user"),
                         ("wss://meet.example.net", "no DNS lookup")):
            rep = a.ctl("set-service", url)
            check(f"set-service {url!r} is refused: {why}", not rep.get("ok") and
                  why in rep.get("error", ""), rep)
        check("nothing changed: status, no <state>/service-url",
              a.status().get("service") == f"wss://localhost:{port}" and not os.path.exists(f))
        relay2, port2, _ = roomproc.start_relay(tmp, certs=certs, name="relay2")
        log2 = os.path.join(tmp, "relay2.jsonl")
        url2 = f"wss://localhost:{port2}"
        rep = ctl_write(a, "set-service", url2)
        check("set-service to a second relay answers it, status and the file say it",
              rep.get("ok") and rep.get("service") == url2 and
              a.status().get("service") == url2 and read(f) == url2 and
              os.stat(f).st_mode & 0o777 == 0o600, (rep, a.status().get("service")))
        rep = a.ctl("join", "--meeting", "settings", "--role", "host")
        tap.wait_until(lambda: a.status().get("relay") == "open", 30,
                       "room 1 connected to the meeting service it was given")
        code = rep.get("meeting_code")
        check("the next meeting goes to the new service (its log has the room), not the old",
              rep.get("ok") and '"room": "settings"' in read(log2) and
              '"room": "settings"' not in read(os.path.join(tmp, "relay.jsonl")), rep)
        # Room 2 joins there too, without --name: its room name goes in the knock.
        check("room 2 moves to the same service", ctl_write(b, "set-service", url2).get("ok"))
        rep = b.ctl("join", "--meeting", "settings", "--role", "member", "--code", code)
        tap.wait_until(lambda: a.status().get("lobby"), 30, "room 2's knock at room 1")
        check("room 2 is in the lobby", b.status().get("state") == "lobby", b.status())
        for args in (("set-room-name", "Later"), ("set-service", f"wss://localhost:{port}"),
                     ("reset-identity",)):
            r2 = b.ctl(*args)
            check(f"room 2 in the lobby: {args[0]} refused, saying why", not r2.get("ok") and
                  "not during a meeting: leave it first" in r2.get("error", ""), r2)
        k = a.status()["lobby"][-1]
        check("room 2 joined without --name", rep.get("ok"), rep)
        rep = a.ctl("admit", str(k["participant"]), "--codeword", k["codeword"])
        tap.wait_until(lambda: b.status().get("state") == "in-meeting", 30,
                       "room 2 in the meeting")
        people = {p["participant"]: p for p in a.status().get("participants", [])}
        check("room 1 shows room 2 under the name room 2 set (from its knock)",
              people.get(k["participant"], {}).get("name") == "Room Bee", people)
        me = [p for p in b.status().get("participants", []) if p.get("self")]
        check("room 2's own entry carries its room name", me and me[0].get("name") ==
              "Room Bee", me)

        # In a meeting: every setting refused, on either side.
        for r in (a, b):
            for args in (("set-room-name", "Later"), ("set-service", f"wss://localhost:{port}"),
                         ("reset-identity",)):
                rep = r.ctl(*args)
                check(f"room {r.n} in the meeting: {args[0]} refused",
                      not rep.get("ok") and "not during a meeting" in rep.get("error", ""), rep)
        check("room 1 kept its name, service and codeword",
              a.status().get("room_name") == "Board room \u00e9t\u00e9" and
              a.status().get("service") == url2 and a.status().get("codeword") == a.codeword)

        # Room 1 (the host) pinned room 2 by the admission; both leave.
        pins_before = read(os.path.join(a.state, "pins"))
        for r in (b, a):
            r.ctl("leave")
        tap.wait_until(lambda: a.status().get("state") != "in-meeting" and
                       b.status().get("state") != "in-meeting", 30, "both rooms out")
        key = os.path.join(b.state, "identity.key")
        old_key, old_cw = read(key, "rb"), b.codeword
        # A reset that fails (its temporary name taken by a directory: the
        # replace cannot start) leaves the key, its codeword and its mode as they were.
        blocker = key + ".tmp"
        as_kx(lambda: os.mkdir(blocker, 0o700))
        for mode in (0o400, 0o600):
            os.chmod(key, mode)
            rep = ctl_write(b, "reset-identity")
            check(f"a failed reset of a {oct(mode)} key: refused, the key, its mode and the "
                  "codeword unchanged", not rep.get("ok") and
                  rep.get("error") == "cannot make a new identity key" and
                  read(key, "rb") == old_key and os.stat(key).st_mode & 0o777 == mode and
                  b.status().get("codeword") == old_cw,
                  (rep, oct(os.stat(key).st_mode)))
        os.rmdir(blocker)
        os.chmod(key, 0o400)    # kx_identity_open accepts it; the reset overwrites it too
        rep = ctl_write(b, "reset-identity")
        st = b.status()
        check("reset-identity: a new codeword, the reply and status agree",
              rep.get("ok") and rep.get("codeword") and rep["codeword"] != old_cw and
              st.get("codeword") == rep["codeword"], (rep, st.get("codeword"), old_cw))
        new_cw = rep.get("codeword")
        kst = os.stat(key)
        check("the key file holds other bytes (32, 0600, keyxchgd's); no temporary file left",
              read(key, "rb") != old_key and kst.st_size == 32 and
              kst.st_mode & 0o777 == 0o600 and kst.st_uid == users.KX and
              not os.path.exists(key + ".tmp"), (kst.st_size, oct(kst.st_mode)))
        check("room 1's pins are untouched by room 2's reset",
              read(os.path.join(a.state, "pins")) == pins_before)
        # Room 1 pinned room 2's old key: the new one is "changed" there.
        rep = a.ctl("join", "--meeting", "settings2", "--role", "host")
        code = rep.get("meeting_code")
        b.ctl("join", "--meeting", "settings2", "--role", "member", "--code", code)
        tap.wait_until(lambda: a.status().get("lobby") and
                       a.status()["lobby"][-1].get("shown"), 30, "room 2's new knock")
        k = a.status()["lobby"][-1]
        check("room 1 sees room 2's new codeword in the knock", k.get("codeword") == new_cw, k)
        a.ctl("admit", str(k["participant"]), "--codeword", k["codeword"])
        tap.wait_until(lambda: b.status().get("state") == "in-meeting", 30,
                       "room 2 in the second meeting")
        # The admission re-pins knowingly; before it, the knock said changed.
        warn = read(a.log)
        check("room 1 said room 2's identity key changed (a loud warning)",
              "device room-2 knocks with a CHANGED identity key (codeword " + new_cw in warn,
              warn[-2000:])
        for r in (b, a):
            r.ctl("leave")
        tap.wait_until(lambda: a.status().get("state") != "in-meeting" and
                       b.status().get("state") != "in-meeting", 30, "both rooms out again")

        check("after the leave status names no meeting code",
              "meeting_code" not in a.status() and "meeting_code" not in b.status(),
              (a.status().get("meeting_code"), b.status().get("meeting_code")))
        # set-service "" goes back to --relay, and the file goes.
        rep = ctl_write(a, "set-service", "")
        check("set-service \"\" goes back to --relay: the reply, status, no file",
              rep.get("ok") and rep.get("service") == f"wss://localhost:{port}" and
              a.status().get("service") == f"wss://localhost:{port}" and
              not os.path.exists(os.path.join(a.state, "service-url")), rep)

        # Restart keeps everything.
        b.stop()
        b.start()
        st = b.status()
        check("after a restart: the new codeword, the room name, the service",
              b.codeword == new_cw and st.get("room_name") == "Room Bee" and
              st.get("service") == url2, (b.codeword, new_cw, st.get("room_name"),
                                          st.get("service")))
        b.stop()
        name_f, svc_f = os.path.join(b.state, "room-name"), os.path.join(b.state, "service-url")
        good_name, good_svc = read(name_f, "rb"), read(svc_f, "rb")
        aside = name_f + ".bad"

        other = os.path.join(b.state, "elsewhere")

        def put_setting(path, data, link):
            """data into path; with link, into another file and path a symlink to it."""
            if link:
                write_setting(other, data)
                as_kx(lambda: os.symlink(other, path))
            else:
                write_setting(path, data)
        # A bad room-name: keyxchgd starts without a name, the file moved aside.
        for what, data, mode, link in (
                ("a control byte", b"Room\nBee", 0o600, False),
                ("invalid UTF-8", b"Room \xc3(", 0o600, False),
                ("an empty file", b"", 0o600, False),
                ("65 bytes", b"x" * 65, 0o600, False),
                ("group-readable", good_name, 0o640, False),
                ("a symlink", good_name, 0o600, True)):
            put_setting(name_f, data, link)
            if not link:
                os.chmod(name_f, mode)
            before = len(read(b.log))
            b.start()
            st = b.status()
            log = read(b.log)[before:]
            check(f"room-name {what}: keyxchgd runs, unnamed, the file moved to room-name.bad, "
                  "its log says so", "room_name" not in st and st.get("service") == url2 and
                  os.path.lexists(aside) and not os.path.lexists(name_f) and
                  "REFUSED" in log and "moved to room-name.bad" in log,
                  (st.get("room_name"), os.listdir(b.state), log[-600:]))
            b.stop()
            os.unlink(aside)
            if link:
                os.unlink(other)
        write_setting(name_f, good_name)
        os.chmod(name_f, 0o600)
        # A bad service-url: keyxchgd does not start, naming the file and the way out.
        for what, data, link in (
                ("an http address", b"http://localhost:1", False),
                ("a NUL inside", url2.encode() + b"\0/x", False),
                ("an empty file", b"", False),
                ("129 bytes", b"wss://a/" + b"x" * 121, False),
                ("a DNS name", b"wss://meet.example.net", False),
                ("a symlink", good_svc, True)):
            if os.path.lexists(svc_f):
                os.unlink(svc_f)
            put_setting(svc_f, data, link)
            rc, err = try_start(b)
            check(f"service-url {what}: keyxchgd refuses to start, naming the file and "
                  "saying to remove it", rc not in (None, 0) and "REFUSED" in err and
                  "service-url" in err and "remove the file" in err, (rc, err[-800:]))
            os.unlink(svc_f)
            if link:
                os.unlink(other)
        write_setting(svc_f, good_svc)
        rc, err = try_start(b)
        check("with the files repaired it starts again", rc is None, err[-800:])
    finally:
        for r in (a, b):
            if r and r.kx.poll() is None:
                r.stop()
        for p in (relay, relay2):
            if p:
                p.terminate()
                p.wait(timeout=30)
    return tap.finish()


if __name__ == "__main__":
    tap.main(main)
