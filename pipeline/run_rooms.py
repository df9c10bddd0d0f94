#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make run`: a three-room end-to-end encrypted meeting on loopback.

The untrusted meeting service is played by two fixtures: the signaling relay
(tests/fixtures/relay.py, WebSocket over TLS with a throwaway CA) and an SFU
that fans each room's RTP out to the others (tests/fixtures/udp_relay.py,
which records every datagram). Each room runs keyxchgd and its media
(e2ee-media with encrypted H.264 and Opus, keyed by keyxchgd through the
control socket). Room 1 hosts; rooms 2 and 3 knock and room 1 admits them;
room 3 leaves and the keys rotate. Each room prints its roster with
codewords and its per-sender decrypted-frame counts, and saves a PNG of what
it received from each sender under build/run/rooms/: each sender's codeword
is burned into its video (codewordoverlay), for people to compare with the
one their room shows: each room's screen (the room display composited in
memory, --display soft) is saved as roomN-screen.png, each tile labelled
with the codeword keyxchgd's roster gave that sender.
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

O = os.environ.get("O", "build")
BIN = os.path.abspath(os.path.join(O, "bin"))
OUT = os.path.abspath(os.path.join(O, "run", "rooms"))
FIX = os.path.join(HERE, "..", "tests", "fixtures")
MEDIA_SECONDS = int(os.environ.get("MEDIA_SECONDS", "14"))
LEAVE_AFTER = int(os.environ.get("LEAVE_AFTER", "6"))
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
    r = subprocess.run([os.path.join(BIN, "kxctl"), "--socket", room["sock"], *args],
                       capture_output=True, text=True, timeout=30)
    try:
        return json.loads(r.stdout.splitlines()[0])
    except (IndexError, ValueError):
        return {"ok": False, "error": (r.stdout + r.stderr).strip()}


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
        r = {"n": n, "name": f"Room {n}", "sock": os.path.join(OUT, f"room{n}.sock"),
             "knocks": [], "buf": b""}
        log = open(os.path.join(OUT, f"room{n}-keyxchgd.log"), "w")
        p = spawn([os.path.join(BIN, "keyxchgd"), "--state-dir",
                   os.path.join(OUT, f"room{n}-state"), "--socket", r["sock"], "--relay", relay,
                   "--ca", os.path.join(certs, "ca.pem"), "--device", f"room-{n}"],
                  stdout=subprocess.PIPE, stderr=log, text=True)
        line = p.stdout.readline()
        r["codeword"] = line.split("codeword=")[-1].strip()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
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

    # The SFU: each room sends to its own ports; they fan out to the others.
    for r in rooms:
        r["tx"] = (port(), port())
        r["rx"] = {s["pid"]: (port(), port()) for s in rooms if s is not r}
    routes = []
    for r in rooms:
        for k in (0, 1):
            dests = ",".join(str(s["rx"][r["pid"]][k]) for s in rooms if s is not r)
            routes += ["--route", f"{r['tx'][k]}:{dests}"]
    cap = os.path.join(OUT, "sfu.cap")
    spawn([sys.executable, os.path.join(FIX, "udp_relay.py"), *routes, "--capture", cap,
           "--seconds", str(MEDIA_SECONDS + 20)], stdout=open(os.path.join(OUT, "sfu.log"), "w"))

    for r in rooms:
        peers = []
        for pid, (v, a) in r["rx"].items():
            sender = next(x for x in rooms if x["pid"] == pid)
            peers += ["--peer", f"{pid}:{v}:{a}",
                      "--peer-codeword", f"{pid}:{sender['codeword']}:{sender['name']}"]
        # The room's screen, composited in memory (no KMS here): each sender's
        # tile labelled with the codeword keyxchgd's roster gave it.
        r["recv"] = spawn([os.path.join(BIN, "e2ee-media"), "receive", "--control", r["sock"],
                           *peers, "--seconds", str(MEDIA_SECONDS + 3), "--marker", MARKER,
                           "--snapshot-prefix", os.path.join(OUT, f"room{r['n']}-from-"),
                           "--display", "soft", "--display-size", "1280x720",
                           "--display-capture", os.path.join(OUT, f"room{r['n']}-screen.png")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    time.sleep(1)
    for r in rooms:
        r["send"] = spawn([os.path.join(BIN, "e2ee-media"), "send", "--control", r["sock"],
                           "--video-port", str(r["tx"][0]), "--audio-port", str(r["tx"][1]),
                           "--sender-index", str(r["pid"]), "--seconds", str(MEDIA_SECONDS),
                           "--marker", MARKER, "--codeword", r["codeword"]],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    print(f"== media flowing: each room sends encrypted H.264 and Opus through the SFU")
    time.sleep(LEAVE_AFTER)
    for r in rooms:
        for role in ("send", "recv"):
            rc = r[role].poll()
            if rc is not None:
                raise SystemExit(f"run: {r['name']}'s media {role}er exited early "
                                 f"(status {rc})")
    rep = kxctl(rooms[2], "leave")
    print(f"== Room 3 leaves ({'ok' if rep.get('ok') else rep}); the host rotates to a fresh secret")
    wait(lambda: kxctl(host, "status").get("epoch") == epoch + 1, 20, f"epoch {epoch + 1}")

    for r in rooms:
        out, _ = r["send"].communicate(timeout=MEDIA_SECONDS + 60)
        r["send_out"] = out
    for r in rooms:
        out, _ = r["recv"].communicate(timeout=MEDIA_SECONDS + 60)
        r["recv_out"] = out

    failures = []
    for r in rooms:
        roster(r)
        for line in r["recv_out"].splitlines():
            if line.startswith("receiver sender=") or "snapshot" in line or \
                    line.startswith("display capture"):
                print("   " + line)
    # Rooms 1 and 2 decrypted each other after the rotation; the SFU read nothing.
    for r in rooms[:2]:
        other = rooms[1] if r is rooms[0] else rooms[0]
        line = [l for l in r["recv_out"].splitlines()
                if l.startswith(f"receiver sender={other['pid']} ")]
        frames = int(line[0].split("video-frames=")[1].split()[0]) if line else 0
        if frames == 0 or "auth-failed=0" not in (line[0] if line else ""):
            failures.append(f"{r['name']} did not decrypt {other['name']}")
            for what, text in ((f"{other['name']}'s sender", other["send_out"]),
                               (f"{r['name']}'s receiver", r["recv_out"])):
                tail = text.splitlines()[-12:]
                print(f"run: {what} printed {'its last lines:' if tail else 'nothing'}",
                      file=sys.stderr)
                for t in tail:
                    print(f"run:   {t}", file=sys.stderr)
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
    print(f"== snapshots: {OUT}/room*-from-*.png; each room's screen: {OUT}/room*-screen.png")
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
