# SPDX-License-Identifier: MIT
"""A room's media processes on the host, for make run and test_roomd.py:
sealroom-screen (--display soft) and roomd, each logging to a file that is
read while it runs, and the SFU fixture's routes between rooms.

Every wait is bounded (tap.wait_until) and names what it waited for. Each
process runs as its user (tests/lib/users.py: as root, keyxchgd and kxctl as
KX, roomd as MEDIA, the screen as SCREEN), with the trust options that go
with them.
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys

import tap
import users


def _read(path):
    with open(path, errors="replace") as f:
        return f.read()


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def start_relay(tmp, names=(), certs=None, name="relay"):
    """The signaling relay fixture on loopback, its throwaway CA in tmp/certs
    (its certificate for localhost and names), or another instance with the
    certs of one started before (a second meeting service the same --ca
    trusts); its log tmp/<name>.jsonl: (proc, port, certs)."""
    pf = os.path.join(tmp, f"{name}.port")
    relay = os.path.join(FIXTURES, "relay.py")
    if certs is None:
        certs = os.path.join(tmp, "certs")
        subprocess.run([sys.executable, relay, "--make-certs", certs,
                        *[x for n in names for x in ("--cert-name", n)]],
                       check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([sys.executable, relay, "--certs", certs, "--port", "0",
                             "--port-file", pf, "--log", os.path.join(tmp, f"{name}.jsonl")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tap.wait_until(lambda: os.path.exists(pf) and _read(pf).strip(), 15,
                   f"the {name} fixture's port file")
    return proc, int(_read(pf)), certs


def keyxchgd(bindir, kxdir, relay, ca, device, log, admin_pin=None, extra=()):
    """keyxchgd as its user in kxdir (users.kx_dir: its socket and state), the
    media and screen users its peers; (proc, socket path, codeword). admin_pin:
    provisioned first (<state>/admin-pin), else settings are locked. extra: more
    options (DAEMON.md), e.g. ("--takeover-after", "8")."""
    users.kx_dir(kxdir)
    if admin_pin is not None:
        state = os.path.join(kxdir, "state")
        if not os.path.isdir(state):
            os.mkdir(state, 0o700)
            users.own(state, users.KX, 0o700)
        provision_admin_pin(bindir, state, admin_pin)
    sock = os.path.join(kxdir, "keyxchgd.sock")
    proc = subprocess.Popen(users.kx([os.path.join(bindir, "keyxchgd"), "--state-dir",
                                      os.path.join(kxdir, "state"), "--socket", sock,
                                      "--relay", relay, "--ca", ca, "--device", device,
                                      *users.keyxchgd_peers(), *extra]),
                            stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()
    if "ready" not in line:
        raise RuntimeError(f"keyxchgd {device} did not start (status {proc.poll()}): {line!r}")
    return proc, sock, line.split("codeword=")[-1].strip()


def kxctl(bindir, sock, *args, pin=None):
    """One kxctl command; its JSON reply, or {"ok": False, "error": its output}. pin:
    the admin PIN the settings and check-pin read from stdin (CONTROL.md)."""
    r = subprocess.run(users.kx([os.path.join(bindir, "kxctl"), "--socket", sock, *args]),
                       input="" if pin is None else pin + "\n",
                       capture_output=True, text=True, timeout=30)
    try:
        return json.loads(r.stdout.splitlines()[0])
    except (IndexError, ValueError):
        return {"ok": False, "error": (r.stdout + r.stderr).strip()}


def hash_admin_pin(bindir, pin):
    """keyxchgd --hash-admin-pin with pin on stdin: (exit status, stdout, stderr)."""
    r = subprocess.run(users.kx([os.path.join(bindir, "keyxchgd"), "--hash-admin-pin"]),
                       input=pin + "\n", capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def provision_admin_pin(bindir, state, pin):
    """The admin PIN's verifier into <state>/admin-pin (keyxchgd's, 0600), as a
    flasher writes it (DAEMON.md "The admin PIN"); keyxchgd reads it at start."""
    rc, out, err = hash_admin_pin(bindir, pin)
    if rc:
        raise RuntimeError(f"keyxchgd --hash-admin-pin failed ({rc}): {err.strip()}")
    path = os.path.join(state, "admin-pin")

    def write():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        os.write(fd, out.encode())
        os.close(fd)
    with users.acting_as(users.KX):
        write()


def room(bindir, tmp, n, port, certs, log):
    """Room n's keyxchgd (as its user) on the relay fixture at port:
    {"n", "sock", "kx", "codeword"}."""
    r = {"n": n}
    r["kx"], r["sock"], r["codeword"] = keyxchgd(
        bindir, os.path.join(tmp, f"kx{n}"), f"wss://localhost:{port}",
        os.path.join(certs, "ca.pem"), f"room-{n}", open(log, "w"))
    return r


def admit(bindir, host, member, code, meeting):
    """member knocks with the meeting code (None: without, so nothing binds its host:
    PROTOCOL.md 6.5); the host admits it by its codeword."""
    rep = kxctl(bindir, member["sock"], "join", "--meeting", meeting, "--role", "member",
                "--name", f"Room {member['n']}", *(["--code", code] if code else []))
    if not rep.get("ok"):
        raise RuntimeError(f"room {member['n']} cannot join: {rep}")
    tap.wait_until(lambda: kxctl(bindir, host["sock"], "status").get("lobby"), 30,
                   f"room {member['n']}'s knock at the host")
    k = kxctl(bindir, host["sock"], "status")["lobby"][-1]
    rep = kxctl(bindir, host["sock"], "admit", str(k["participant"]), "--codeword",
                k["codeword"])
    if not rep.get("ok"):
        raise RuntimeError(f"admit of room {member['n']}: {rep}")
    tap.wait_until(lambda: kxctl(bindir, member["sock"], "status").get("state") ==
                   "in-meeting", 30, f"room {member['n']} in the meeting")


def meeting(bindir, rooms, name):
    """rooms[0] (room() dicts) hosts meeting name and admits the others by the meeting
    code; waits until every room holds the host's epoch and its secret, and sets each
    room's "pid" (participant id)."""
    rep = kxctl(bindir, rooms[0]["sock"], "join", "--meeting", name, "--role", "host",
                "--name", f"Room {rooms[0]['n']}")
    if not rep.get("ok"):
        raise RuntimeError(f"room {rooms[0]['n']} cannot host: {rep}")
    for m in rooms[1:]:
        admit(bindir, rooms[0], m, rep["meeting_code"], name)
    tap.wait_until(lambda: len(kxctl(bindir, rooms[0]["sock"], "status")
                               .get("participants", [])) == len(rooms), 30,
                   f"{len(rooms)} participants in the host's roster")
    epoch = kxctl(bindir, rooms[0]["sock"], "status")["epoch"]
    for r in rooms:
        tap.wait_until(lambda r=r: kxctl(bindir, r["sock"], "status").get("have_secret") and
                       kxctl(bindir, r["sock"], "status").get("epoch") == epoch, 30,
                       f"room {r['n']} at epoch {epoch}")
        r["pid"] = kxctl(bindir, r["sock"], "status")["participant"]


def start_media(bindir, tmp, rooms, env, logs, tag, size="640x360"):
    """Each room's screen (its "screen") and roomd (its "roomd", plain RTP to the SFU
    fixture: start_sfu first), logs in logs/<tag>-screen<n>.log and <tag>-roomd<n>.log;
    the list of them, to stop."""
    procs = []
    for r in rooms:
        n = r["n"]
        sd = users.frames_dir(os.path.join(tmp, f"screen{n}"))
        frames = os.path.join(sd, "frames.sock")
        r["screen"] = Screen(bindir, f"room {n}'s screen", os.path.join(sd, "screen.png"),
                             frames, r["sock"], os.path.join(logs, f"{tag}-screen{n}.log"),
                             size)
        procs.append(r["screen"])
        r["roomd"] = Roomd(bindir, f"room {n}'s roomd", r["sock"], frames, r["tx"],
                           r["rx_base"], r["pid"], os.path.join(logs, f"{tag}-roomd{n}.log"),
                           env, ["--codeword", r["codeword"]])
        procs.append(r["roomd"])
    return procs


def stop_all(procs, rooms, relay):
    """The end of a test: each of procs stopped (Proc.stop; an error is printed as a
    TAP comment, the others are stopped all the same), then each room's keyxchgd and
    the relay fixture (start_relay's Popen)."""
    for p in procs:
        try:
            p.stop()
        except Exception as e:  # noqa: BLE001 (said; the rest must still stop)
            print(f"# stopping {p.name}: {e}", flush=True)
    for r in rooms:
        if r["kx"].poll() is None:
            r["kx"].terminate()
        r["kx"].wait(timeout=20)
    relay.terminate()
    relay.wait(timeout=10)


class Proc:
    """A child whose stdout and stderr go to a log file."""

    def __init__(self, name, args, log, env=None):
        self.name, self.log = name, log
        with open(log, "w") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)

    def text(self):
        return _read(self.log)

    def lines(self, prefix):
        return [ln for ln in self.text().splitlines() if ln.startswith(prefix)]

    def wait_for(self, pred, what, seconds=30):
        tap.wait_until(lambda: pred(self.text()) or self.proc.poll() is not None, seconds,
                       f"{self.name}: {what}")
        if not pred(self.text()):
            raise RuntimeError(f"{self.name} ended (status {self.proc.poll()}) before "
                               f"{what}; its last lines: {self.text()[-1500:]}")

    def stop(self, seconds=30):
        """SIGTERM, then its exit status (bounded)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"{self.name} did not end within {seconds} s of SIGTERM")


class Screen(Proc):
    """sealroom-screen on the soft display, capturing to png, as the screen's
    user; png and frames in a users.frames_dir."""

    def __init__(self, bindir, name, png, frames, control, log, size="1280x720"):
        self.png = png
        super().__init__(name, users.screen([os.path.join(bindir, "sealroom-screen"),
                                             "--display", "soft", "--display-size", size,
                                             "--display-capture", png, "--frames", frames,
                                             "--roomd-uid", str(users.MEDIA),
                                             "--control", control]), log)
        self.wait_for(lambda t: "listening on" in t, "the frame socket")

    def stats(self):
        """SIGUSR1's stats line: {sender: shown} and the line."""
        n = self.text().count("screen stats:")
        self.proc.send_signal(signal.SIGUSR1)
        self.wait_for(lambda t: t.count("screen stats:") > n, "its stats line")
        line = self.lines("screen stats:")[-1]
        shown = {}
        for field in line.split():
            if field.startswith("sender="):
                kv = dict(x.split("=") for x in field.split(":"))
                shown[int(kv["sender"])] = int(kv["shown"])
        return shown, line

    def tiles(self):
        """The senders of the last "screen: tiles" line (the roster's remote rooms)."""
        last = self.lines("screen: tiles ")
        if not last:
            return []
        return [int(f.split("=")[0]) for f in last[-1].split()[3:] if "=" in f]

    def capture(self, dst):
        """The screen now (SIGUSR2), copied to dst."""
        n = self.text().count("screen: captured")
        self.proc.send_signal(signal.SIGUSR2)
        self.wait_for(lambda t: t.count("screen: captured") > n, "the capture")
        shutil.copyfile(self.png, dst)
        return dst


class Roomd(Proc):
    """roomd with plain RTP to the SFU fixture (tx: its send ports, rx_base), or,
    with tx None and janus (a tests/fixtures/janus.Janus), through Janus: ICE
    gathers on janus.JANUS_ADDR (docs/transport.md says why), with its pin when
    the room has one. Janus's ICE
    candidates are on its address (127.0.0.2 in the namespace), not on
    localhost's, where its WebSocket is: the URL's media= names it (roomd
    gives libnice no other candidate). pid None: no --sender-index (the
    image's way: roomd learns it from its first send key)."""

    def __init__(self, bindir, name, control, frames, tx, rx_base, pid, log, env,
                 extra=(), janus=None):
        if janus is not None:
            transport = ["--janus", f"{janus.url}?media={janus.address}", "--janus-ca", janus.ca, "--janus-room",
                         str(janus.room), "--rx-address", janus.address]
            if janus.pin:
                transport += ["--janus-pin-file", janus.pin_file]
        else:
            transport = ["--plain-rtp", "--video-port", str(tx[0]), "--audio-port", str(tx[1]),
                         "--rx-base", str(rx_base)]
        super().__init__(name, users.media([os.path.join(bindir, "roomd"), "--control",
                                            control, "--frames", frames, *transport,
                                            *(["--sender-index", str(pid)] if pid is not None
                                              else []), *users.roomd_trust(),
                                            *extra]), log,
                         users.gst_env(env, users.MEDIA, os.path.dirname(frames)))
        # A first run may scan the plugins (slow under ASan and load).
        self.wait_for(lambda t: "roomd ready" in t, "roomd ready", 120)

    def transport(self):
        """The "roomd transport:" line's counts (through Janus), {} before the end."""
        last = self.lines("roomd transport:")
        if not last:
            return {}
        return {k: int(v) for k, v in (f.split("=") for f in last[-1].split()[2:])}

    def results(self):
        """The per-sender lines at its end: {sender: {field: int}}."""
        out = {}
        for line in self.lines("roomd sender="):
            f = dict(x.split("=") for x in line.split()[1:])
            out[int(f["sender"])] = {k: int(v) for k, v in f.items()}
        return out


def rx_base(pids, tries=200):
    """A base port b such that b + 2 * pid and + 1 are free on 127.0.0.1 for each pid."""
    need = sorted({2 * p + k for p in pids for k in (0, 1)})
    for _ in range(tries):
        b = random.randrange(20000, 60000 - need[-1], 2)
        socks = []
        try:
            for off in need:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", b + off))
            return b
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free receive ports")


def sfu_routes(rooms):
    """udp_relay.py --route arguments: each room's tx ports to every other room's
    rx ports for that sender (rx_base + 2 * pid, + 1). rooms: dicts with tx, rx_base, pid."""
    routes = []
    for r in rooms:
        for k in (0, 1):
            dests = ",".join(str(s["rx_base"] + 2 * r["pid"] + k) for s in rooms if s is not r)
            routes += ["--route", f"{r['tx'][k]}:{dests}"]
    return routes


def start_sfu(tmp, rooms, seconds):
    """The SFU fixture (tests/fixtures/udp_relay.py) between rooms (dicts with pid):
    gives each its send ports (tx) and receive base (rx_base), captures to
    tmp/sfu.cap, stops by itself after seconds; the Popen."""
    for r in rooms:
        r["tx"] = tuple(tap.free_ports(2))
        r["rx_base"] = rx_base([s["pid"] for s in rooms])
    return subprocess.Popen([sys.executable, os.path.join(FIXTURES, "udp_relay.py"),
                             *sfu_routes(rooms), "--capture", os.path.join(tmp, "sfu.cap"),
                             "--seconds", str(seconds)], stdout=subprocess.DEVNULL)
