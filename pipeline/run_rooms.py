#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make run`: a three-room end-to-end encrypted meeting on loopback.

The untrusted meeting service is played by two fixtures: the signaling relay
(tests/fixtures/relay.py, WebSocket over TLS with a throwaway CA) and an SFU
that fans each room's RTP out to the others (tests/fixtures/udp_relay.py,
which records every datagram): room R's send ports go to every other room's
receive ports for R (rx_base + 2 * R's participant id, + 1 for audio).

Each room is what the room runs: keyxchgd (identity, keying, the roster),
roomd (the media daemon: encrypted H.264 and Opus out, a receive branch per
remote sender keyed by keyxchgd through the control socket, decoded frames
to the screen over the frame socket) and sealroom-screen (on a soft display
of 1280x720: a tile per remote participant of keyxchgd's roster, labelled
with the codeword the roster gives, never roomd). Room 1 hosts; rooms 2 and
3 knock and room 1 admits them; room 3 leaves and the keys rotate. Each
room's screen is saved before and after the leave as
build/run/rooms/roomN-screen-before.png and -after.png: room 3's tile is gone
from rooms 1 and 2's screens, each sender's codeword burned into its video
(codewordoverlay) for people to compare with the label under the tile.
Checked: rooms 1 and 2 decrypt each other, every screen showed frames of the
other rooms, room 3's tile and receive branch go after its leave, and the
SFU never saw the plaintext marker roomd puts in every access unit.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
# tap tracks every child, to name the ones that failed with their last lines.
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import tap  # noqa: E402
import roomproc  # noqa: E402
import users  # noqa: E402

O = os.environ.get("O", "build")
BIN = os.path.abspath(os.path.join(O, "bin"))
OUT = os.path.abspath(os.path.join(O, "run", "rooms"))
FIX = os.path.join(HERE, "..", "tests", "fixtures")
MEDIA_SECONDS = int(os.environ.get("MEDIA_SECONDS", "14"))
LEAVE_AFTER = int(os.environ.get("LEAVE_AFTER", "3"))
MARKER = f"sealroom-rooms-{os.getpid()}"
procs = []


def port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    procs.append(p)
    return p


def kxctl(room, *args):
    return roomproc.kxctl(BIN, room["sock"], *args)


def wait(pred, seconds, what):
    try:
        tap.wait_until(pred, seconds, what)
    except TimeoutError as e:
        raise SystemExit(f"run: {e}")


def events(room):
    """Knocks seen by a subscribed control connection (like the panel's)."""
    try:
        while True:
            data = room["ev"].recv(65536)
            if not data:
                break
            room["buf"] += data
    except BlockingIOError:
        pass
    while b"\n" in room["buf"]:
        line, room["buf"] = room["buf"].split(b"\n", 1)
        ev = json.loads(line)
        if ev.get("event") == "knock":
            room["knocks"].append(ev)


def admit_next(host, member, code):
    n = len(host["knocks"])
    # The meeting code names the host's key (keyxchg/PROTOCOL.md 2.1): with it the
    # member sends media to the host without a codeword check first (6.5).
    rep = kxctl(member, "join", "--meeting", "board-room", "--role", "member", "--name",
                member["name"], "--code", code)
    if not rep.get("ok"):
        raise SystemExit(f"run: {member['name']} cannot join: {rep}")

    def knocked():
        events(host)
        return len(host["knocks"]) > n
    wait(knocked, 20, f"{member['name']}'s knock")
    k = host["knocks"][-1]
    print(f"   {host['name']} sees a knock: participant {k['participant']} \"{k['name']}\" "
          f"codeword {k['codeword']} ({k['pinned']}) -> admit")
    rep = kxctl(host, "admit", str(k["participant"]), "--knock", k["knock"])
    if not rep.get("ok"):
        raise SystemExit(f"run: admit failed: {rep}")


def roster(room):
    st = kxctl(room, "status")
    print(f"== {room['name']}: {st.get('state')}, epoch {st.get('epoch')}, "
          f"participant {st.get('participant')}, own codeword {st.get('codeword')}")
    for p in st.get("participants", []):
        who = "this room" if p.get("self") else p.get("pinned")
        print(f"   {p['participant']:>3} {p['role']:<6} {p['codeword']}  ({who})")
    return st


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    os.chmod(OUT, 0o755)    # each room's users reach their directories and the CA
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.abspath(os.path.join(O, "lib", "gstreamer-1.0")),
               GST_REGISTRY=os.path.abspath(os.path.join(O, "gst-registry.bin")))
    certs = os.path.join(OUT, "certs")
    subprocess.run([sys.executable, os.path.join(FIX, "relay.py"), "--make-certs", certs],
                   check=True)
    pf = os.path.join(OUT, "relay.port")
    spawn([sys.executable, os.path.join(FIX, "relay.py"), "--certs", certs, "--port-file", pf,
           "--log", os.path.join(OUT, "signaling.jsonl")], stdout=subprocess.DEVNULL)
    wait(lambda: os.path.exists(pf), 20, "the signaling relay")
    relay = f"wss://localhost:{open(pf).read().strip()}"
    print(f"== the untrusted service: signaling relay {relay}, SFU on loopback")

    rooms = []
    for n in (1, 2, 3):
        r = {"n": n, "name": f"Room {n}", "knocks": [], "buf": b""}
        log = open(os.path.join(OUT, f"room{n}-keyxchgd.log"), "w")
        # keyxchgd as its own user (as root: tests/lib/users.py's), roomd and
        # the screen as theirs, each trusting the others' uids only.
        p, r["sock"], r["codeword"] = roomproc.keyxchgd(
            BIN, os.path.join(OUT, f"room{n}-kx"), relay, os.path.join(certs, "ca.pem"),
            f"room-{n}", log)
        procs.append(p)
        # The panel's view of the lobby: a connection of keyxchgd's own uid.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with users.acting_as(users.KX):
            s.connect(r["sock"])
        s.sendall(b'{"cmd":"subscribe","events":["roster"]}\n')
        s.setblocking(False)
        r["ev"] = s
        rooms.append(r)
        print(f"   {r['name']}: keyxchgd up, codeword {r['codeword']}")

    host = rooms[0]
    rep = kxctl(host, "join", "--meeting", "board-room", "--role", "host", "--name", "Room 1")
    if not rep.get("ok"):
        raise SystemExit(f"run: the host cannot start: {rep}")
    print(f"== Room 1 hosts the meeting \"board-room\", meeting code {rep['meeting_code']}")
    admit_next(host, rooms[1], rep["meeting_code"])
    admit_next(host, rooms[2], rep["meeting_code"])
    # Admissions within a second share one epoch (keyxchg/DAEMON.md): 1 or 2.
    wait(lambda: len(kxctl(host, "status").get("participants", [])) == 3, 20,
         "both admissions")
    epoch = kxctl(host, "status").get("epoch")
    for r in rooms:
        wait(lambda r=r: kxctl(r, "status").get("have_secret") and
             kxctl(r, "status").get("epoch") == epoch, 20, f"{r['name']} at epoch {epoch}")
        r["pid"] = kxctl(r, "status")["participant"]
    print(f"== all three rooms hold epoch {epoch}")

    # The SFU: each room sends to its own ports; they fan out to the others,
    # to rx_base + 2 * sender (video) and + 1 (audio) of each other room.
    for r in rooms:
        r["tx"] = (port(), port())
        r["rx_base"] = roomproc.rx_base([s["pid"] for s in rooms])
    cap = os.path.join(OUT, "sfu.cap")
    spawn([sys.executable, os.path.join(FIX, "udp_relay.py"), *roomproc.sfu_routes(rooms),
           "--capture", cap, "--seconds", str(MEDIA_SECONDS + 60)],
          stdout=open(os.path.join(OUT, "sfu.log"), "w"))

    for r in rooms:
        n = r["n"]
        # The room's screen, composited in memory (no KMS here): a tile per remote
        # participant of keyxchgd's roster, labelled with the codeword it gives.
        sd = users.frames_dir(os.path.join(OUT, f"room{n}-screen"))
        r["screen"] = roomproc.Screen(BIN, f"{r['name']}'s screen",
                                      os.path.join(sd, "screen.png"),
                                      os.path.join(sd, "frames.sock"), r["sock"],
                                      os.path.join(OUT, f"room{n}-screen.log"))
        procs.append(r["screen"].proc)
        r["roomd"] = roomproc.Roomd(BIN, f"{r['name']}'s roomd", r["sock"],
                                    os.path.join(sd, "frames.sock"), r["tx"],
                                    r["rx_base"], r["pid"], os.path.join(OUT, f"room{n}-roomd.log"),
                                    env, ["--marker", MARKER, "--codeword", r["codeword"]])
        procs.append(r["roomd"].proc)
    print("== media flowing: each room's roomd sends encrypted H.264 and Opus through the "
          "SFU and hands what it decrypts to its screen")

    def alive():
        for r in rooms:
            for role in ("screen", "roomd"):
                rc = r[role].proc.poll()
                if rc is not None:
                    raise SystemExit(f"run: {r['name']}'s {role} exited early (status {rc})")

    def screens_show(watchers, senders):
        alive()
        for r in watchers:
            shown, _ = r["screen"].stats()
            if any(shown.get(s["pid"], 0) == 0 for s in senders if s is not r):
                return False
        return True
    wait(lambda: screens_show(rooms, rooms), 60, "every screen showing frames of both other rooms")
    for r in rooms:
        r["screen"].capture(os.path.join(OUT, f"room{r['n']}-screen-before.png"))
    time.sleep(LEAVE_AFTER)    # media for people to watch; no check depends on it
    alive()
    leaver = rooms[2]
    rep = kxctl(leaver, "leave")
    print(f"== Room 3 leaves ({'ok' if rep.get('ok') else rep}); the host rotates to a fresh secret")
    wait(lambda: kxctl(host, "status").get("epoch") == epoch + 1, 20, f"epoch {epoch + 1}")
    for r in rooms[:2]:
        wait(lambda r=r: leaver["pid"] not in r["screen"].tiles(), 20,
             f"Room 3's tile gone from {r['name']}'s screen")
        wait(lambda r=r: f"sender {leaver['pid']} gone" in r["roomd"].text(), 30,
             f"{r['name']}'s roomd removing Room 3's branch")
    # Frames after the leave: the remaining rooms still see each other.
    before = {r["n"]: r["screen"].stats()[0] for r in rooms[:2]}
    for r in rooms[:2]:
        other = rooms[1] if r is rooms[0] else rooms[0]
        wait(lambda r=r, o=other: r["screen"].stats()[0].get(o["pid"], 0) >
             before[r["n"]].get(o["pid"], 0), 30, f"{r['name']}'s screen showing "
             f"{other['name']} after the leave")
    for r in rooms:
        r["screen"].capture(os.path.join(OUT, f"room{r['n']}-screen-after.png"))

    for r in rooms:
        r["roomd_rc"] = r["roomd"].stop()
    for r in rooms:
        r["screen_rc"] = r["screen"].stop()
        r["screen_stats"] = r["screen"].lines("screen stats:")[-1]

    failures = []
    for r in rooms:
        roster(r)
        for line in r["roomd"].lines("roomd sender="):
            print("   " + line)
        print("   " + r["screen_stats"])
        for role in ("roomd", "screen"):
            if r[f"{role}_rc"]:
                failures.append(f"{r['name']}'s {role} exited with status {r[role + '_rc']}")
    # Rooms 1 and 2 decrypted each other after the rotation; the SFU read nothing.
    for r in rooms[:2]:
        other = rooms[1] if r is rooms[0] else rooms[0]
        res = r["roomd"].results().get(other["pid"], {})
        # A packet lost inside a NAL fails that frame; keys that do not fit
        # fail every frame: no more failures than lost packets.
        if not res.get("video-frames") or res.get("auth-failed", 1) > res.get("lost", 0):
            failures.append(f"{r['name']} did not decrypt {other['name']}")
            for t in r["roomd"].text().splitlines()[-12:]:
                print(f"run:   {t}", file=sys.stderr)
    # Each screen showed frames of the other rooms (checked above while running,
    # and here from the stats line at its end).
    for r in rooms:
        shown = {int(f.split(":")[0][7:]): int(f.split(":")[1][6:])
                 for f in r["screen_stats"].split() if f.startswith("sender=")}
        missing = [s["name"] for s in rooms if s is not r and not shown.get(s["pid"])]
        print(f"== {r['name']}'s screen showed frames of "
              f"{', '.join(s['name'] for s in rooms if s is not r and shown.get(s['pid']))}")
        if missing:
            failures.append(f"{r['name']}'s screen showed nothing of {', '.join(missing)}")
    for r in rooms[:2]:
        print(f"== {r['name']}'s screen after Room 3 left: tiles of participants "
              f"{r['screen'].tiles()} (Room 3 was {leaver['pid']})")
    data = open(cap, "rb").read()
    i = n = found = 0
    while i + 4 <= len(data):
        (k,) = struct.unpack_from(">I", data, i)
        n += 1
        found += MARKER.encode() in data[i + 4:i + 4 + k]
        i += 4 + k
    print(f"== the SFU relayed {n} datagrams; the plaintext marker is in {found} of them")
    if n == 0:
        failures.append("the SFU relayed no datagram")
    if found:
        failures.append(f"the plaintext marker crossed the SFU in {found} datagrams")
    print(f"== each room's screen before and after Room 3 left: "
          f"{OUT}/room*-screen-before.png, {OUT}/room*-screen-after.png")
    return "; ".join(failures) or None


if __name__ == "__main__":
    # The last line of a failed run is its reason (make run exits non-zero).
    try:
        reason = main()
    except SystemExit as e:
        reason = str(e.code)
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        reason = f"{type(e).__name__}: {e}"
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    if reason:
        sys.stdout.flush()
        tap.describe_children(out=sys.stderr, prefix="run: ")
        reason = reason[len("run: "):] if reason.startswith("run: ") else reason
        print(f"run: FAILED: {reason}", file=sys.stderr)
        sys.exit(1)
