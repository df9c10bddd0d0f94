#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make run`: a three-room end-to-end encrypted meeting on loopback.

The untrusted meeting service: the signaling relay for keying
(tests/fixtures/relay.py, WebSocket over TLS with a throwaway CA) and Janus
(Debian's 1.1.2, tests/fixtures/janus.py: a configuration this run generates,
its videoroom with require_e2ee = true and no simulcast, its WebSocket API
over TLS). Each room's roomd publishes to Janus over WebRTC (ICE, DTLS-SRTP)
and subscribes to the other rooms the roster lists. The run re-runs itself in
a network namespace of its own (root: make run is for a fresh machine), where
Janus gathers on 127.0.0.2 (docs/transport.md says why), and every datagram
in it is captured (an AF_PACKET socket): the plaintext marker roomd puts in
every access unit must be in none, and every datagram must be STUN, DTLS or
SRTP/SRTCP.

Each room is what the room runs: keyxchgd (identity, keying, the roster),
roomd (the media daemon: encrypted H.264 and Opus out, a receive branch per
remote sender keyed by keyxchgd through the control socket, decoded frames
to the screen over the frame socket) and sealroom-screen (on a soft display
of 1280x720: a tile per remote participant of keyxchgd's roster, labelled
with the codeword the roster gives, never roomd, and its touch panel).
Room 1 hosts, started on its panel; rooms 2 and 3 knock and room 1's people
admit them on its panel: simulated taps (evdev records on the screen's
--touch-events FIFO, through libdrv_touch's recognizer) where the lobby
dialog draws Admit. Room 1 removes room 3 on its panel (Participants ->
Remove) and the keys rotate. Each room's screens are saved in
build/run/rooms/: roomN-home.png, room1-lobby-room2.png and -room3.png (the
dialog), roomN-screen-before.png (in the meeting, labelled tiles),
roomN-participants.png, roomN-security.png and roomN-screen-after.png (after
the removal) room1-muted.png (its microphone muted on the panel, roomd
told over the frame socket) and room2-room1-camera-off.png (room 1's camera
turned off on its panel: black frames, its codeword still burned in): room 3's tile is gone from rooms 1 and 2's screens, each
sender's codeword burned into its video (codewordoverlay) for people to
compare with the label under the tile.
Checked: rooms 1 and 2 decrypt each other, every screen showed frames of the
other rooms, room 3's tile and receive branch go after its removal, rooms 1
and 2 still see each other then and once each holds only the new epoch's
keys of the other, and
Janus never saw the plaintext marker roomd puts in every access unit nor a
datagram other than STUN, DTLS or SRTP/SRTCP.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
# tap tracks every child, to name the ones that failed with their last lines.
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import tap  # noqa: E402
import roomproc  # noqa: E402
import panel_touch  # noqa: E402
import users  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
import janus  # noqa: E402

O = os.environ.get("O", "build")
BIN = os.path.abspath(os.path.join(O, "bin"))
OUT = os.path.abspath(os.path.join(O, "run", "rooms"))
FIX = os.path.join(HERE, "..", "tests", "fixtures")
MEDIA_SECONDS = int(os.environ.get("MEDIA_SECONDS", "14"))
LEAVE_AFTER = int(os.environ.get("LEAVE_AFTER", "3"))
MARKER = f"sealroom-rooms-{os.getpid()}"
procs = []


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
    """member knocks (kxctl); room 1's people admit it on the panel by a tap on Admit."""
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
    screen = host["screen"]
    wait(lambda: any(f"knock {k['knock']}" in ln and k["codeword"].lower() in ln.lower()
                     for ln in screen.lines("panel: lobby dialog:")), 20,
         f"{host['name']}'s lobby dialog showing {member['name']}'s knock")
    screen.wait_widget("lobby.admit")
    screen.capture(os.path.join(OUT, f"room1-lobby-room{member['n']}.png"))
    print(f"   {host['name']}'s panel shows a knock: participant {k['participant']} "
          f"\"{k['name']}\" codeword {k['codeword']} ({k['pinned']}) -> a tap on Admit")
    n_sent = screen.text().count('"cmd":"admit"')
    # People read the codeword first: the panel takes no Admit within 1 s of the
    # dialog's knock appearing or changing (PANEL_KNOCK_SETTLE_US).
    time.sleep(1.2)
    screen.tap("lobby.admit")
    screen.wait_for(lambda t: t.count('"cmd":"admit"') > n_sent, "the panel's admit request")
    sent = [ln for ln in screen.lines("screen: panel: sent") if '"cmd":"admit"' in ln][-1]
    if f'"knock":"{k["knock"]}"' not in sent:
        raise SystemExit(f"run: the panel's admit names another knock than shown: {sent}")
    rid = json.loads(sent.split("sent ", 1)[1])["id"]
    screen.wait_for(lambda t: f"panel: {rid} " in t, f"keyxchgd's answer to {rid}")
    if f"panel: {rid} done" not in screen.text():
        raise SystemExit(f"run: keyxchgd refused the panel's admit: "
                         f"{screen.lines(f'screen: panel: {rid}')}")


def log_tails(lines=14):
    """A failed run's evidence on stderr (CI keeps only the output): each room's
    logs' last lines, the once-a-second audio levels and panel layouts left out."""
    noise = ("roomd audio-out:", "panel: page ")
    for n in (1, 2, 3):
        for role in ("keyxchgd", "roomd", "screen"):
            path = os.path.join(OUT, f"room{n}-{role}.log")
            try:
                with open(path, errors="replace") as f:
                    text = [ln.rstrip() for ln in f if not ln.startswith(noise)]
            except OSError as e:
                print(f"run: Room {n}'s {role} log: {e.strerror}", file=sys.stderr)
                continue
            print(f"run: Room {n}'s {role} log ({path}), its last {min(lines, len(text))} "
                  "lines:", file=sys.stderr)
            for ln in text[-lines:]:
                print(f"run:   {ln[:300]}", file=sys.stderr)


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
    # The meeting's videoroom is closed to publishers not invited: a pin
    # (docs/transport.md "Names"), which each roomd sends with its joins.
    sfu = janus.Janus(os.path.join(OUT, "janus"), pin=os.urandom(8).hex())
    sfu.start()
    procs.append(sfu.proc)
    print(f"== the untrusted service: signaling relay {relay}, Janus {sfu.url} "
          f"(videoroom {sfu.room}, require_e2ee, a pin, gathering on {sfu.address})")

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

    # Each room's screen with its touch panel, composited in memory (no KMS here): a
    # tile per remote participant of keyxchgd's roster, labelled with the codeword it
    # gives; taps come on a FIFO of evdev records (tests/lib/panel_touch.py).
    for r in rooms:
        n = r["n"]
        # Its directory: the screen's, roomd reaches the frame socket (group).
        sd = r["screen_dir"] = users.frames_dir(os.path.join(OUT, f"room{n}-screen"))
        r["screen"] = panel_touch.PanelScreen(
            BIN, f"{r['name']}'s screen", os.path.join(sd, "screen.png"),
            os.path.join(sd, "frames.sock"), r["sock"],
            os.path.join(OUT, f"room{n}-screen.log"), os.path.join(sd, "touch"),
            extra=["--room-name", r["name"], "--meeting", "board-room",
                   "--service", relay])
        procs.append(r["screen"].proc)
        r["screen"].wait_widget("home.start")
        r["screen"].capture(os.path.join(OUT, f"room{n}-home.png"))

    host = rooms[0]
    host["screen"].tap("home.start")
    wait(lambda: kxctl(host, "status").get("meeting_code"), 20, "Room 1 hosting")
    code = kxctl(host, "status")["meeting_code"]
    print(f"== Room 1 hosts the meeting \"board-room\" (a tap on Start meeting), "
          f"meeting code {code}")
    admit_next(host, rooms[1], code)
    admit_next(host, rooms[2], code)
    # Admissions within a second share one epoch (keyxchg/DAEMON.md): 1 or 2.
    wait(lambda: len(kxctl(host, "status").get("participants", [])) == 3, 20,
         "both admissions")
    epoch = kxctl(host, "status").get("epoch")
    for r in rooms:
        wait(lambda r=r: kxctl(r, "status").get("have_secret") and
             kxctl(r, "status").get("epoch") == epoch, 20, f"{r['name']} at epoch {epoch}")
        r["pid"] = kxctl(r, "status")["participant"]
    print(f"== all three rooms hold epoch {epoch}")

    # Every datagram of the namespace, from before the first roomd.
    cap = janus.Capture()
    cap.start()

    for r in rooms:
        n = r["n"]
        r["roomd"] = roomproc.Roomd(BIN, f"{r['name']}'s roomd", r["sock"],
                                    os.path.join(r["screen_dir"], "frames.sock"), None, None,
                                    r["pid"], os.path.join(OUT, f"room{n}-roomd.log"), env,
                                    ["--marker", MARKER, "--codeword", r["codeword"]], janus=sfu)
        procs.append(r["roomd"].proc)
    print("== media flowing: each room's roomd publishes encrypted H.264 and Opus to Janus "
          "(WebRTC: ICE, DTLS-SRTP), subscribes to the others and hands what it decrypts to "
          "its screen")

    def alive():
        sfu.check_alive()
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
        s = r["screen"]
        s.capture(os.path.join(OUT, f"room{r['n']}-screen-before.png"))
        # The panel's pages by taps: a tap on the video brings the bar.
        s.show_bar()
        s.tap("bar.participants")
        s.capture(os.path.join(OUT, f"room{r['n']}-participants.png"))
        s.tap("people.close")
        s.tap("bar.security")
        s.capture(os.path.join(OUT, f"room{r['n']}-security.png"))
        s.tap("sec.close")
    # Room 1 mutes its microphone on the panel: roomd is told over the frame socket
    # (MEDIA), silences its own audio chain before the encoder, and says so.
    hs = host["screen"]
    hs.show_bar()
    hs.tap("bar.mic")
    host["roomd"].wait_for(lambda t: "roomd: microphone muted" in t, "roomd muting the microphone")
    hs.wait_for(lambda t: "screen: roomd: microphone muted" in t, "roomd's word on the screen")
    hs.capture(os.path.join(OUT, "room1-muted.png"))
    # Its camera off and on again: the others see black frames with room 1's
    # codeword still burned in (the frames go on, still encrypted).
    hs.tap("bar.camera")
    host["roomd"].wait_for(lambda t: ", camera off, " in t, "roomd turning the camera off")
    time.sleep(1)  # black frames reach the other screens
    rooms[1]["screen"].capture(os.path.join(OUT, "room2-room1-camera-off.png"))
    hs.tap("bar.camera")
    host["roomd"].wait_for(lambda t: t.rfind(", camera on, ") > t.rfind(", camera off, ") >= 0,
                           "roomd turning the camera on again")
    print("== Room 1 muted its microphone on the panel: roomd applied it (MEDIA_STATE) and the "
          "panel says so (MUTED on the bar, then a corner chip that covers no label)")
    time.sleep(LEAVE_AFTER)    # media for people to watch; no check depends on it
    alive()
    leaver = rooms[2]
    hs.show_bar()
    hs.tap("bar.participants")
    hs.tap(f"remove.{leaver['pid']}")
    print("== Room 1's panel removes Room 3 (Participants -> Remove); the host rotates to a "
          "fresh secret without it")
    wait(lambda: kxctl(host, "status").get("epoch") == epoch + 1, 20, f"epoch {epoch + 1}")
    # Each wait from here on also asks whether every process still runs: a
    # roomd that ended shows up as itself, not as a screen without frames.
    for r in rooms[:2]:
        other = rooms[1] if r is rooms[0] else rooms[0]
        # Exactly the other room's tile: no tile at all would pass "Room 3's gone".
        wait(lambda r=r, o=other: alive() or r["screen"].tiles() == [o["pid"]], 20,
             f"{r['name']}'s screen with the tile of {other['name']} only")
        wait(lambda r=r: alive() or f"sender {leaver['pid']} gone" in r["roomd"].text(), 30,
             f"{r['name']}'s roomd removing Room 3's branch")
    # Frames after the removal: the remaining rooms still see each other, and
    # again once each holds only the new epoch's keys of the other: a member
    # switches 2 s after it holds them, the old epoch's keys go 10 s after the
    # switch (keyxchg/DAEMON.md "Everyone"); from then on no frame under the
    # old keys can be shown. A KID's epoch field is the epoch mod 256
    # (keyxchg/PROTOCOL.md); its sender field the sender index.
    for when in ("after the removal", f"with only epoch {epoch + 1}'s keys"):
        if when != "after the removal":
            for r in rooms[:2]:
                other = rooms[1] if r is rooms[0] else rooms[0]
                old = f"remove kid={other['pid'] * 256 + epoch % 256} usage=receive: ok"
                wait(lambda r=r, old=old: alive() or any(old in ln for ln in r["roomd"].lines(
                    "keyprovider: remove")), 30,
                    f"{r['name']}'s roomd removing {other['name']}'s epoch {epoch} keys")
        before = {r["n"]: r["screen"].stats()[0] for r in rooms[:2]}
        for r in rooms[:2]:
            other = rooms[1] if r is rooms[0] else rooms[0]
            wait(lambda r=r, o=other: alive() or r["screen"].stats()[0].get(o["pid"], 0) >
                 before[r["n"]].get(o["pid"], 0), 30, f"{r['name']}'s screen showing "
                 f"{other['name']} {when}")
    print(f"== Rooms 1 and 2 see each other after the removal, and with only epoch "
          f"{epoch + 1}'s keys of each other (epoch {epoch}'s removed 10 s after the switch)")
    hs.tap("people.close")  # room 1's tiles again
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
        for line in r["roomd"].lines("roomd sender=") + r["roomd"].lines("roomd transport:"):
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
    if "roomd microphone=muted camera=on" not in host["roomd"].text():
        failures.append("Room 1's roomd does not report its microphone muted at the end")
    for r in rooms[:2]:
        print(f"== {r['name']}'s screen after Room 3's removal: tiles of participants "
              f"{r['screen'].tiles()} (Room 3 was {leaver['pid']})")
    for r in rooms:
        t = r["roomd"].transport()
        # Nothing but the negotiated peer's authenticated SRTP was taken.
        if not t or t.get("dropped-auth") or t.get("dropped-other") or t.get("dropped-foreign"):
            failures.append(f"{r['name']}'s transport: {t or 'no transport line'}")
    sfu.check_alive()
    cap.stop = True
    cap.join()
    dg = cap.datagrams
    n = len(dg)
    found = sum(1 for _, _, b in dg if MARKER.encode() in b)
    kinds = {}
    for _, _, b in dg:
        kinds[janus.classify(b)] = kinds.get(janus.classify(b), 0) + 1
    other = kinds.get("other", 0) + kinds.get("empty", 0)
    # SRTP makes the first payload byte random; plain RTP of e2eeenc's video
    # would start with its clear NAL header in every packet.
    rtp = [b for _, _, b in dg if janus.classify(b) == "rtp" and len(b) > 12]
    clear = sum(1 for b in rtp if b[12] in janus.CLEAR_NAL_BYTES)
    print(f"== on the wire around Janus: {kinds}; {other} datagrams neither STUN, DTLS nor "
          f"SRTP/SRTCP; {clear} of {len(rtp)} RTP payloads start like clear H.264 "
          "(SRTP: about 7 in 256 by chance; plain RTP: nearly all)")
    if clear >= len(rtp) / 4:
        failures.append(f"{clear} of {len(rtp)} RTP payloads look like plain RTP")
    # The line CI checks (.ci/run): the SFU is Janus, the datagrams every one
    # seen in the namespace.
    print(f"== the SFU relayed {n} datagrams; the plaintext marker is in {found} of them")
    if kinds.get("rtp", 0) == 0:
        failures.append("no SRTP crossed Janus")
    if found:
        failures.append(f"the plaintext marker crossed the SFU in {found} datagrams")
    if other:
        failures.append(f"{other} datagrams were neither STUN, DTLS nor SRTP/SRTCP")
    print(f"== each room's screens: {OUT}/room*-home.png, room1-lobby-room*.png, "
          f"room*-screen-before.png (in the meeting), room*-participants.png, "
          f"room*-security.png, room*-screen-after.png (after Room 3's removal)")
    return "; ".join(failures) or None


def stopped(signum, _frame):
    # Through the finally below: the rooms' processes stopped, none left
    # behind (a leftover roomd would reconnect to the next run's sockets).
    raise SystemExit(f"run: stopped by signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGHUP, stopped)
    # Janus and the rooms in a network namespace of their own (root).
    try:
        janus.enter_netns()
    except RuntimeError as e:
        print(f"run: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
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
        log_tails()
        reason = reason[len("run: "):] if reason.startswith("run: ") else reason
        print(f"run: FAILED: {reason}", file=sys.stderr)
        sys.exit(1)
