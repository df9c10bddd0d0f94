#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Review 7 finding 1: the screen's uid floods keyxchgd with check-pin lines that
carry the RIGHT admin PIN (the screen sees every PIN typed on the panel), against a
host keyxchgd in a meeting with a member room (real keyxchgd processes as their
users, the relay fixture on loopback; CONTROL.md "The admin PIN", "Framing";
DAEMON.md "The admin PIN"):

* one request per client per loop pass: with the flood (N lines in one write) and a
  status request from keyxchgd's own uid both waiting before keyxchgd's loop runs
  (keyxchgd stopped with SIGSTOP while both are written, then SIGCONT), the status
  reply is made after at most one flood line (its own pin_checks and
  pin_checks_refused say how many were handled before it), not after all N;
* the PIN checks' rate limit (one a second per peer uid, 3 at once), before the
  Argon2id: every flood line is answered, the excess refused at once with -EAGAIN,
  "too many PIN checks: try again in <ms> ms" and retry_ms (at most 1 s), counted in
  status (pin_checks_refused equals the refusals seen); the right PINs taken are at
  most 3 plus one per second the flood lasted;
* a sustained flood (rounds of right-PIN check-pins, each answered, for three
  liveness bounds of the member): the member room never leaves in-sync (no sync
  event but in-sync on its event stream, status in-sync after), so the host's
  heartbeats went out throughout;
* writes: the screen's uid gave the right PIN once (the panel opening Settings)
  before the floods; after them <state>/admin-pin-tries does not exist and the state
  directory's mtime (any create, rename or remove in it) has not moved: right PINs
  with the count at 0 write nothing;
* the queue bound: a client that writes more than 64 KiB of requests at once is
  disconnected with an error line, keyxchgd's log says so in one line, status
  counts it (clients_dropped), and the member stays in sync;
* a wrong PIN from the screen's uid is on disk (admin-pin-tries 1) when its reply
  comes; the right one then removes the file; the next right one writes nothing.
Old code (every line of a read handled back to back, an Argon2id and two fsync'd
writes per right PIN): the status waits behind the whole flood, nothing is refused,
the member goes out of sync, the state directory changes with every check.
TAP output.
"""
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import tap  # noqa: E402
from tap import check  # noqa: E402
import roomproc  # noqa: E402
import users  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
PIN = "480613"
TAKEOVER_S = 8  # the member's liveness bound is half: 4 s; the host's heartbeat 2 s
LIVENESS_S = TAKEOVER_S / 2
FLOOD = 300  # lines per write: 15 KB, under the 64 KiB a client may queue
ROUND = 100  # lines per write of the sustained flood
BURST, RATE_MS = 3, 1000  # CONTROL.md "The admin PIN": the rate limit


def connect(sock, uid, groups=()):
    with users.acting_as(uid, groups):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
    s.settimeout(120)
    return s


class Lines:
    """A control connection's lines, read as they come by a thread that only
    receives (keyxchgd drops a client too slow to take its replies), parsed when
    asked for."""

    def __init__(self, s, name):
        self.s, self.name, self.buf, self.eof = s, name, bytearray(), False
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while True:
                b = self.s.recv(1 << 20)
                if not b:
                    break
                with self.lock:
                    self.buf += b
        except OSError:
            pass
        self.eof = True

    def count(self):
        with self.lock:
            return self.buf.count(b"\n")

    def take(self, n, what):
        """The next n lines (fewer when keyxchgd closed the connection), consumed."""
        tap.wait_until(lambda: self.count() >= n or self.eof, 120, f"{what} ({self.name})")
        with self.lock:
            raw = self.buf.split(b"\n", n)
            self.buf = bytearray(raw[n] if len(raw) > n else raw[-1])
        return [json.loads(x) for x in raw[:n] if x]

    def rest(self):
        """Every whole line received so far, consumed."""
        return self.take(self.count(), "the lines received")


def flood_lines(n, tag):
    return "".join(json.dumps({"cmd": "check-pin", "id": f"{tag}{i}", "pin": PIN}) + "\n"
                   for i in range(n)).encode()


def tally(replies, tag):
    """(right PINs taken, rate refusals well formed, anything else) of a flood's replies."""
    ok = refused = 0
    other = []
    for i, r in enumerate(replies):
        retry = r.get("retry_ms")
        if r.get("id") != f"{tag}{i}":
            other.append(r)
        elif r.get("ok") is True and set(r) == {"id", "ok"}:
            ok += 1
        elif (r.get("ok") is False and isinstance(retry, int) and
              0 < retry <= RATE_MS and
              r.get("error") == f"too many PIN checks: try again in {retry} ms"):
            refused += 1
        else:
            other.append(r)
    return ok, refused, other


def dir_state(path):
    """The state directory as a write would change it: its mtime and its names."""
    def look():
        return os.stat(path).st_mtime_ns, sorted(os.listdir(path))
    with users.acting_as(users.KX):
        return look()


def main():
    tmp = tempfile.mkdtemp(prefix="kx-pin-flood-")
    os.chmod(tmp, 0o755)
    relay, port, certs = roomproc.start_relay(tmp)
    ca = os.path.join(certs, "ca.pem")
    procs = [relay]
    host_log = os.path.join(tmp, "kx1.log")
    opts = ("--takeover-after", str(TAKEOVER_S))
    try:
        host = {"n": 1}
        host["kx"], host["sock"], _ = roomproc.keyxchgd(
            BIN, os.path.join(tmp, "kx1"), f"wss://localhost:{port}", ca, "room-1",
            open(host_log, "w"), admin_pin=PIN, extra=opts)
        procs.append(host["kx"])
        member = {"n": 2}
        member["kx"], member["sock"], _ = roomproc.keyxchgd(
            BIN, os.path.join(tmp, "kx2"), f"wss://localhost:{port}", ca, "room-2",
            open(os.path.join(tmp, "kx2.log"), "w"), extra=opts)
        procs.append(member["kx"])
        roomproc.meeting(BIN, [host, member], "pin-flood")
        st = roomproc.kxctl(BIN, member["sock"], "status")
        check("the meeting is up: the member is in sync", st.get("sync") == "in-sync", st)

        # The member's sync events for the whole test.
        ev = Lines(connect(member["sock"], users.KX), "the member's events")
        ev.s.sendall(b'{"cmd":"subscribe","id":"sub","events":["state","roster"]}\n')
        ev.take(1, "the member's subscribe reply")

        # The panel opens Settings: the screen's uid gives the right PIN once.
        state = os.path.join(tmp, "kx1", "state")
        tries = os.path.join(state, "admin-pin-tries")
        scr = Lines(connect(host["sock"], users.SCREEN, (users.CTL,)), "the screen")
        scr.s.sendall(flood_lines(1, "open"))
        rep = scr.take(1, "the screen's check-pin reply")[0]
        check("the screen's uid opens Settings: check-pin with the right PIN is taken",
              rep == {"id": "open0", "ok": True}, rep)
        before_dir = dir_state(state)
        check("after a right PIN there is no <state>/admin-pin-tries",
              "admin-pin-tries" not in before_dir[1], before_dir)

        # 1. One request per client per loop pass.
        kx = Lines(connect(host["sock"], users.KX), "keyxchgd's own uid")
        kx.s.sendall(b'{"cmd":"status","id":"st0"}\n')
        st0 = kx.take(1, "the host's status before the flood")[0]
        flood = Lines(connect(host["sock"], users.SCREEN, (users.CTL,)), "the flood")
        data = flood_lines(FLOOD, "a")
        os.kill(host["kx"].pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            flood.s.sendall(data)
            kx.s.sendall(b'{"cmd":"status","id":"st1"}\n')
        finally:
            os.kill(host["kx"].pid, signal.SIGCONT)
        st1 = kx.take(1, "the host's status with the flood waiting")[0]
        handled = (st1.get("pin_checks", -10**6) + st1.get("pin_checks_refused", -10**6) -
                   st0.get("pin_checks", 0) - st0.get("pin_checks_refused", 0))
        check(f"with {FLOOD} check-pins (one write, {len(data)} bytes) and a status waiting, "
              f"the status is answered after at most 1 flood line, not all of them "
              f"(handled before it: {handled})",
              st1.get("id") == "st1" and 0 <= handled <= 1,
              {k: st1.get(k) for k in ("id", "ok", "pin_checks", "pin_checks_refused")})
        replies = flood.take(FLOOD, f"the {FLOOD} flood replies")
        dt = time.monotonic() - t0
        ok, refused, other = tally(replies, "a")
        print(f"# flood 1: {ok} taken, {refused} refused in {dt:.2f} s", flush=True)
        check(f"every flood line is answered, in order: {ok} right PINs taken, {refused} "
              f"refused by the rate limit (-EAGAIN, retry_ms), nothing else",
              len(replies) == FLOOD and ok + refused == FLOOD and not other,
              (len(replies), other[:3]))
        bound = BURST + int(dt * 1000 / RATE_MS) + 1
        check(f"the rate limit: at most {BURST} at once and one a second ({ok} taken in "
              f"{dt:.2f} s, at most {bound})", 1 <= ok <= bound, ok)
        kx.s.sendall(b'{"cmd":"status","id":"st2"}\n')
        st2 = kx.take(1, "the host's status after the flood")[0]
        check("status counts the refusals (pin_checks_refused) and the checks made "
              "(pin_checks)",
              st2.get("pin_checks_refused", 0) - st0.get("pin_checks_refused", 0) == refused and
              st2.get("pin_checks", 0) - st0.get("pin_checks", 0) == ok,
              [{k: x.get(k) for k in ("id", "pin_checks", "pin_checks_refused")}
               for x in (st0, st2)])
        log = open(host_log).read()
        check("keyxchgd's log says the PIN checks are refused by the rate limit",
              "admin PIN checks refused by the rate limit" in log and PIN not in log,
              log[-600:])

        # 2. A sustained flood: rounds for three liveness bounds of the member.
        rounds = taken = refusals = 0
        t1 = time.monotonic()
        data = flood_lines(ROUND, "b")
        while time.monotonic() - t1 < 3 * LIVENESS_S or rounds < 2:
            flood.s.sendall(data)
            got = flood.take(ROUND, f"flood round {rounds + 1}'s replies")
            o, r, other = tally(got, "b")
            if other or len(got) != ROUND:
                check(f"flood round {rounds + 1}: every line answered, taken or refused",
                      False, (len(got), other[:3]))
                break
            rounds, taken, refusals = rounds + 1, taken + o, refusals + r
        dt = time.monotonic() - t1
        print(f"# sustained flood: {rounds} rounds of {ROUND} in {dt:.1f} s: {taken} taken, "
              f"{refusals} refused", flush=True)
        check(f"a sustained flood of {rounds * ROUND} right-PIN check-pins over {dt:.1f} s: "
              f"{taken} taken (at most {BURST} + 1 a second), the rest refused",
              taken <= BURST + int(dt * 1000 / RATE_MS) + 1 and
              taken + refusals == rounds * ROUND, (taken, refusals))
        st = roomproc.kxctl(BIN, member["sock"], "status")
        syncs = [e for e in ev.rest() if e.get("event") == "sync"]
        check(f"the member stayed in sync through the floods (liveness bound {LIVENESS_S:g} "
              f"s): no sync event but in-sync, status in-sync",
              all(e.get("sync") == "in-sync" for e in syncs) and st.get("sync") == "in-sync",
              (syncs, st.get("sync"), st.get("sync_reason")))

        # 3. Right PINs write nothing.
        after_dir = dir_state(state)
        check(f"{ok + taken} right PINs with the count at 0 wrote nothing: no "
              f"admin-pin-tries, the state directory's mtime and names as before",
              after_dir == before_dir and not os.path.exists(tries), (before_dir, after_dir))

        # 4. The queue bound: more than 64 KiB of requests at once.
        big = flood_lines(1400, "c")  # 68 KB
        hog = Lines(connect(host["sock"], users.SCREEN, (users.CTL,)), "the hog")
        os.kill(host["kx"].pid, signal.SIGSTOP)
        try:
            hog.s.sendall(big)
        finally:
            os.kill(host["kx"].pid, signal.SIGCONT)
        tap.wait_until(lambda: hog.eof, 60, "keyxchgd to disconnect the client that queued "
                       f"{len(big)} bytes")
        got = hog.rest()
        errs = [r for r in got if r.get("error")]
        check(f"a client that queues {len(big)} bytes of requests is disconnected, told why",
              hog.eof and errs and errs[-1] == {
                  "ok": False, "error": "more than 64 KiB of requests waiting for their replies"},
              got[-3:])
        log = open(host_log).read()
        check("keyxchgd's log says so in one line (the uid, what it queued)",
              f"control client (uid {users.SCREEN}) queued more than 64 KiB of requests" in log,
              log[-600:])
        kx.s.sendall(b'{"cmd":"status","id":"st3"}\n')
        st3 = kx.take(1, "the host's status after the hog")[0]
        check("status counts the dropped client (clients_dropped)",
              st3.get("clients_dropped", 0) - st2.get("clients_dropped", 0) == 1, st3)
        st = roomproc.kxctl(BIN, member["sock"], "status")
        check("the member is still in sync", st.get("sync") == "in-sync", st)

        # 5. When the count is written: a wrong PIN from the screen (which gave the
        # right one before) is on disk before its reply; then the screen is no longer
        # known to hold the PIN: its next right PIN writes (ahead, then the removal),
        # the one after writes nothing.
        def screen_check(pin, tag):
            box = {}

            def go():
                c = Lines(connect(host["sock"], users.SCREEN, (users.CTL,)), tag)
                c.s.sendall((json.dumps({"cmd": "check-pin", "id": tag, "pin": pin}) +
                             "\n").encode())
                box["rep"] = c.take(1, f"the reply to {tag}")[0]
                c.s.close()
                retry = box["rep"].get("retry_ms")
                if isinstance(retry, int):
                    time.sleep(retry / 1000)
                    return False
                return True
            tap.wait_until(go, 30, f"the PIN checks' rate limit to let {tag} through")
            return box["rep"]
        rep = screen_check("111111", "wrong1")
        on_disk = open(tries).read() if os.path.exists(tries) else None
        check("a wrong PIN from the screen's uid: refused (2 more), admin-pin-tries says 1 "
              "when the reply comes", rep.get("tries_left") == 2 and on_disk == "1\n",
              (rep, on_disk))
        d0 = dir_state(state)
        rep = screen_check(PIN, "right1")
        d1 = dir_state(state)
        check("the right PIN then clears the count (the file removed)",
              rep.get("ok") and not os.path.exists(tries) and d1 != d0, (rep, d0, d1))
        rep = screen_check(PIN, "right2")
        d2 = dir_state(state)
        check("and the next right PIN writes nothing (the count is 0, the screen gave it)",
              rep.get("ok") and d2 == d1, (rep, d1, d2))
        for c in (ev, scr, kx, flood, hog):
            c.s.close()
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
            p.wait(timeout=20)
    return tap.finish()


if __name__ == "__main__":
    tap.main(main)
