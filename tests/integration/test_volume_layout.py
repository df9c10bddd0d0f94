#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The in-meeting bar's volume and layout, end to end (docs/panel.md).

First roomd alone, with this test playing the screen on its frame socket
(the listener is root: roomd accepts it): MEDIA with a volume of 40 % is
applied and confirmed by MEDIA_STATE, byte for byte; a volume of 101 % and
a MEDIA with a reserved byte set are refused, counted (roomd screen:
bad-messages=2) and close the connection, and roomd connects again. A board
audio sink that cannot be made (no such element, not a sink, a chain) stops
roomd at its start with one line naming it.

Then three keyxchgd rooms through the signaling relay fixture, each with
roomd (plain RTP through tests/fixtures/udp_relay.py) and sealroom-screen;
room 1's screen has its touch panel, driven by taps. Measured on room 1's
roomd: the level of the mixed remote audio after the volume (its
"roomd audio-out" lines, a level element after the volume element, and the
mix before the volume over the same windows) at 100 %, after five taps on −
(50 %: the panel shows what roomd confirmed) and after a tap on the level
(speakers off); the output lies the cubic curve's 18.1 dB below the mix
(within 1 dB) and then goes silent. Layout: a tap on
Layout lays the tiles out as the speaker layout (one large, one small, each
label under its tile) and roomd is told the new sizes (TILE); a tap on the
small tile makes it the large one. Screens saved in
build/test-logs/volume-*.png. TAP output.
"""
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check  # noqa: E402
import panel_touch  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402
import users  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
LOGS = os.path.join(BUILD, "test-logs")

MEDIA, MEDIA_STATE = 18, 4


def media(msg_type, flags, volume, reserved=0):
    """MEDIA or MEDIA_STATE as docs/frames.md writes it: 24 bytes."""
    return b"SFRM" + struct.pack("<HHIIII", 2, msg_type, 0, flags, volume, reserved)


def hostile_screen(env):
    d = tempfile.mkdtemp(prefix="volume-screen-")
    os.chmod(d, 0o1777)
    path = os.path.join(d, "frames.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lsock.bind(path)
    os.chmod(path, 0o666)
    lsock.listen(2)
    lsock.settimeout(120)
    ports = tap.free_ports(3)
    rd = roomproc.Roomd(BIN, "roomd (this test as its screen)", os.path.join(d, "no-kx.sock"),
                        path, ports[:2], ports[2], 1, os.path.join(LOGS, "volume-roomd-alone.log"),
                        env)
    conn, _ = lsock.accept()
    conn.settimeout(60)
    conn.send(media(MEDIA, 0, 40))
    reply = conn.recv(64)
    check("MEDIA with volume 40 %: roomd applies it and answers MEDIA_STATE with 40 %",
          reply == media(MEDIA_STATE, 0, 40), reply.hex())
    bad = 0
    for what, msg in (("a volume of 101 %", media(MEDIA, 0, 101)),
                      ("a reserved byte set", media(MEDIA, 0, 40, 1 << 24))):
        conn.send(msg)
        gone = conn.recv(64)
        bad += 1
        check(f"MEDIA with {what}: refused, the connection closed", gone == b"",
              gone.hex())
        conn.close()
        conn, _ = lsock.accept()    # roomd connects again (every 500 ms)
        conn.settimeout(60)
    rc = rd.stop()
    conn.close()
    lsock.close()
    bad_sinks(env, d)
    end = rd.lines("roomd screen:") + rd.lines("roomd microphone=")
    check("roomd counted both refusals and kept the volume it applied (40 %)",
          rc == 0 and any(ln.startswith(f"roomd screen: bad-messages={bad} tiles-refused=0 "
                                        "ring-waits=0 ") for ln in end) and
          "roomd microphone=on camera=on volume=40" in end, end)


def bad_sinks(env, d):
    """--audio-sink descriptions roomd must refuse, loudly, before it plays."""
    ports = tap.free_ports(3)
    for desc, why in (("nosuchsink", "cannot be made"), ("audioconvert", "must be one sink"),
                      ("fakesink ! fakesink", "cannot be made")):
        r = subprocess.run(users.media([os.path.join(BIN, "roomd"), "--control",
                                        os.path.join(d, "no-kx.sock"), "--frames",
                                        os.path.join(d, "none.sock"), "--plain-rtp",
                                        "--video-port", str(ports[0]), "--audio-port",
                                        str(ports[1]), "--rx-base", str(ports[2]),
                                        "--sender-index", "1", "--audio-sink", desc]),
                           env=users.gst_env(env, users.MEDIA, d), capture_output=True,
                           text=True, timeout=180)
        line = [ln for ln in r.stderr.splitlines() if "audio sink" in ln]
        check(f"--audio-sink \"{desc}\": roomd does not start, and says why in one line",
              r.returncode == 1 and "roomd ready" not in r.stdout and len(line) == 1 and
              f'"{desc}"' in line[0] and why in line[0], r.stderr[-600:])


def levels(rd, volume):
    """The RMS (dB) of roomd's audio-out lines at that volume."""
    out = []
    for ln in rd.lines("roomd audio-out:"):
        m = re.search(r"volume=(\d+) rms-db=(\S+)", ln)
        if m and int(m.group(1)) == volume:
            out.append(float(m.group(2)))
    return out


def gains(rd, volume):
    """The volume's gain (dB) at that volume: the mix before it minus the
    output, over the same one-second windows (roomd's in-rms-db), so that a
    remote tone that drops out under load changes both sides alike."""
    out = []
    for ln in rd.lines("roomd audio-out:"):
        m = re.search(r"volume=(\d+) rms-db=(\S+) peak-db=\S+ in-rms-db=(\S+)", ln)
        if m and int(m.group(1)) == volume and float(m.group(3)) > -60:
            out.append(float(m.group(3)) - float(m.group(2)))
    return out


def settled(rd, volume, n=4):
    """The median of n level lines at volume after the first one (the mixer's
    latency: the first may still hold audio from before the change)."""
    tap.wait_until(lambda: len(levels(rd, volume)) > n or rd.proc.poll() is not None, 60,
                   f"{n + 1} level lines of roomd's audio output at volume {volume}")
    got = levels(rd, volume)
    if len(got) <= n:
        raise RuntimeError(f"roomd ended before its level at volume {volume}: {rd.text()[-800:]}")
    return statistics.median(got[1:n + 1])


def layout_of(screen):
    """The last "screen: layout:" line: {id: (video rect, label rect)}."""
    lines = screen.lines("screen: layout:")
    out = {}
    for f in lines[-1].split()[2:] if lines else []:
        tid, rects = f.split("=")
        v, lab = (tuple(int(x) for x in r.split(",")) for r in rects.split("/"))
        out[int(tid)] = (v, lab)
    return out


def labels_under(lay):
    """Every label right under its video and centred on it."""
    for v, lab in lay.values():
        if not (v[1] + v[3] <= lab[1] <= v[1] + v[3] + 16 and
                abs((v[0] + v[2] // 2) - (lab[0] + lab[2] // 2)) <= 2):
            return False
    return bool(lay)


def main():
    os.makedirs(LOGS, exist_ok=True)
    env = dict(os.environ)
    hostile_screen(env)

    tmp = tempfile.mkdtemp(prefix="volume-")
    os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CA
    relay, port, certs = roomproc.start_relay(tmp)
    rooms = [roomproc.room(BIN, tmp, n, port, certs,
                           os.path.join(LOGS, f"volume-keyxchgd{n}.log")) for n in (1, 2, 3)]
    host = rooms[0]
    procs = []
    try:
        rep = roomproc.kxctl(BIN, host["sock"], "join", "--meeting", "volume", "--role", "host",
                             "--name", "Room 1")
        if not rep.get("ok"):
            raise RuntimeError(f"the host cannot start: {rep}")
        for m in rooms[1:]:
            roomproc.admit(BIN, host, m, rep["meeting_code"], "volume")
        epoch = roomproc.kxctl(BIN, host["sock"], "status")["epoch"]
        for r in rooms:
            tap.wait_until(lambda r=r: roomproc.kxctl(BIN, r["sock"], "status").get("epoch") ==
                           epoch and roomproc.kxctl(BIN, r["sock"], "status").get("have_secret"),
                           30, f"room {r['n']} at epoch {epoch}")
            r["pid"] = roomproc.kxctl(BIN, r["sock"], "status")["participant"]
        sfu = roomproc.start_sfu(tmp, rooms, 400)
        for r in rooms:
            n = r["n"]
            sd = users.frames_dir(os.path.join(tmp, f"screen{n}"))
            frames = os.path.join(sd, "frames.sock")
            log = os.path.join(LOGS, f"volume-screen{n}.log")
            if n == 1:
                r["screen"] = panel_touch.PanelScreen(
                    BIN, "room 1's screen", os.path.join(sd, "screen.png"), frames, r["sock"],
                    log, os.path.join(sd, "touch"), extra=["--room-name", "Room 1"])
            else:
                r["screen"] = roomproc.Screen(BIN, f"room {n}'s screen",
                                              os.path.join(sd, "screen.png"), frames,
                                              r["sock"], log, "640x360")
            procs.append(r["screen"])
            r["roomd"] = roomproc.Roomd(BIN, f"room {n}'s roomd", r["sock"], frames, r["tx"],
                                        r["rx_base"], r["pid"],
                                        os.path.join(LOGS, f"volume-roomd{n}.log"), env,
                                        ["--codeword", r["codeword"]])
            procs.append(r["roomd"])
        screen, rd = host["screen"], host["roomd"]
        others = [r["pid"] for r in rooms[1:]]

        # Both other rooms' tones in room 1's mix, at full volume.
        # Steady: six seconds of both tones (the second sender joins the mix later).
        tap.wait_until(lambda: len([v for v in levels(rd, 100) if v > -60]) >= 6, 120,
                       "room 1's roomd playing the other rooms' audio for 6 s (above -60 dB)")
        full = statistics.median(levels(rd, 100)[-4:])
        check("room 1's roomd plays the remote rooms' audio: %.1f dB RMS at 100 %%" % full,
              full > -40, levels(rd, 100)[-5:])

        screen.wait_for(lambda t: all(p in screen.tiles() for p in others),
                        "both remote tiles on room 1's screen")
        screen.show_bar()    # a tap on the video: the bar
        # Each tap steps from what roomd confirmed: wait for each answer.
        for want in (90, 80, 70, 60, 50):
            screen.tap("bar.vol-")
            screen.wait_for(lambda t, w=want: f"screen: roomd: microphone on, camera on, "
                            f"volume {w}%" in t, f"roomd confirming {want} %")
        half = settled(rd, 50)
        # The windows that straddle the change hold both volumes: after the first.
        tap.wait_until(lambda: len(gains(rd, 50)) >= 4, 60,
                       "4 level lines at 50 % with the remote rooms' audio in the mix")
        g = statistics.median(gains(rd, 50)[1:])
        check("five taps on −: roomd at 50 %% (confirmed), its output %.1f dB below the mix "
              "over the same windows (the cubic curve says 18.1; %.1f dB against the level "
              "at 100 %% measured earlier)" % (g, full - half),
              abs(g - 18.1) <= 1.0, (gains(rd, 50), full, half))
        screen.capture(os.path.join(LOGS, "volume-50.png"))

        screen.tap("bar.volume")
        screen.wait_for(lambda t: "roomd: microphone on, camera on, volume 0%" in t,
                        "roomd confirming the speakers off")
        off = settled(rd, 0)
        check("a tap on the level: speakers off (0 %% confirmed), the output silent "
              "(%.1f dB)" % off, off <= -90, levels(rd, 0)[-5:])
        screen.capture(os.path.join(LOGS, "volume-speakers-off.png"))
        last = screen.lines("screen: roomd: microphone")[-1]
        check("the microphone stays on while the speakers are off (what roomd applied)",
              last == "screen: roomd: microphone on, camera on, volume 0%", last)

        # Layout: speaker, the first tile large; then a tap on the small one.
        screen.tap("bar.layout")
        screen.wait_for(lambda t: "panel: layout speaker" in t and "screen: layout:" in t,
                        "the speaker layout")
        lay = layout_of(screen)
        big, small = sorted(lay, key=lambda k: -lay[k][0][2])
        # The bar's buttons start 2 mm under its top edge (8 px here).
        bar_top = screen.wait_widget("bar.mic")[1] - 8
        check("Layout: the speaker layout, one tile large (%dx%d) and one small (%dx%d), "
              "each label under its tile and above the bar (row %d)"
              % (lay[big][0][2], lay[big][0][3], lay[small][0][2], lay[small][0][3], bar_top),
              set(lay) == set(others) and lay[big][0][2] > 2 * lay[small][0][2] and
              labels_under(lay) and
              all(lab[1] + lab[3] <= bar_top for _, lab in lay.values()), lay)
        rd.wait_for(lambda t: f"sender {big} scaled to {lay[big][0][2]}x{lay[big][0][3]}" in t,
                    "roomd scaling the large tile's sender to its new size")
        check("roomd was told the large tile's size (TILE) and scales to it", True)
        screen.capture(os.path.join(LOGS, "volume-layout-speaker.png"))
        v = lay[small][0]
        n = len(screen.lines("screen: layout:"))
        screen.tap_at(v[0] + v[2] // 2, v[1] + v[3] // 4)
        screen.wait_for(lambda t: len(screen.lines("screen: layout:")) > n,
                        "the layout after the tap on the small tile")
        lay2 = layout_of(screen)
        check("a tap on the small tile makes it the large one",
              lay2[small][0] == lay[big][0] and lay2[big][0][2] < lay2[small][0][2] and
              labels_under(lay2), lay2)
        rd.wait_for(lambda t: f"sender {small} scaled to {lay2[small][0][2]}x"
                    f"{lay2[small][0][3]}" in t, "roomd scaling the new large tile")
        screen.capture(os.path.join(LOGS, "volume-layout-speaker-2.png"))
        screen.show_bar()
        n = len(screen.lines("screen: layout:"))
        screen.tap("bar.layout")
        # The screen prints where the tiles are after the panel's line: wait for that.
        screen.wait_for(lambda t: "panel: layout grid" in t and
                        len(screen.lines("screen: layout:")) > n, "the grid again")
        lay3 = layout_of(screen)
        check("Layout again: the grid, both tiles the same size, labels under them",
              lay3[big][0][2:] == lay3[small][0][2:] and labels_under(lay3), lay3)

        rcs = [r["roomd"].stop() for r in rooms]
        end = rd.lines("roomd microphone=")
        check("every roomd exits 0; room 1's ends with its speakers at 0 %",
              rcs == [0, 0, 0] and end == ["roomd microphone=on camera=on volume=0"],
              f"{rcs} {end}")
        sfu.kill()
        sfu.wait()
        return tap.finish()
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait()
        for r in rooms:
            r["kx"].kill()
            r["kx"].wait()
        relay.kill()
        relay.wait()


if __name__ == "__main__":
    tap.main(main)
