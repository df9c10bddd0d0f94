#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The room display on the host, composited in software (--display soft).

Two senders on loopback, each a flat colour with its own codeword burned in
by codewordoverlay, x264enc, e2eeenc, RTP; one receiver (e2eedec, avdec_h264,
the room display with each sender's codeword as its label). The screen it
composed is checked by display-check (tests/qemu/display-check.c, the same
program as in the image test, which runs it on vkms's writeback capture):
the colours in the tiles, the overlay equal to libwm's for these codewords,
each tile's burned-in codeword matching the label under it. The same screen
must fail the check with the labels swapped or a wrong codeword, and
e2ee-media must refuse a tile without a codeword. With keys to come from a
keyxchgd that is not there, the banner says "Waiting for keys". TAP output.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish, free_ports  # noqa: E402
import tap  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
MEDIA = os.path.join(BUILD, "bin", "e2ee-media")
CHECK = os.path.join(BUILD, "tests", "qemu", "display-check")
SENDERS = [  # sender index, codeword, colour, name
    (1, "mavoj-pubip-gubad-gamiv", "3070c0", "Room one"),
    (2, "lusab-babad-gutih-tugad", "c06030", "Room two"),
]
WRONG = "hidoz-vikag-sabom-lonus"
def display_check(tiles, screen):
    args = [CHECK, "--frame", "640x360", "--wrong", WRONG, "--screen", screen]
    for cw, colour, name in tiles:
        args += ["--tile", f"{cw}:{colour}:{name}"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def main():
    work = tempfile.mkdtemp(prefix="room-display-")
    key = os.path.join(work, "media.key")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, os.urandom(16).hex().encode())
    os.close(fd)
    screen = os.path.join(BUILD, "test-logs", "room-display-soft.png")
    os.makedirs(os.path.dirname(screen), exist_ok=True)
    ports = free_ports(4)

    # A tile is never shown without its codeword.
    p = subprocess.run([MEDIA, "receive", "--key-file", key, "--peer", f"1:{ports[0]}:{ports[1]}",
                        "--display", "soft", "--display-size", "1280x720"],
                       capture_output=True, text=True, timeout=60)
    check("--display refuses a peer without --peer-codeword",
          p.returncode != 0 and "never shown without its codeword" in p.stderr, p.stderr)
    p = subprocess.run([MEDIA, "receive", "--key-file", key, "--peer", f"1:{ports[0]}:{ports[1]}",
                        "--display", "soft", "--display-size", "1280x720",
                        "--peer-codeword", "1:mavoj-pubip-gubad-gamie"],
                       capture_output=True, text=True, timeout=60)
    check("--display refuses a junk codeword", p.returncode != 0, p.stderr)
    for size in ("1280x720junk", "-1280x720", "1280x", "0x0", "20000x720"):
        p = subprocess.run([MEDIA, "receive", "--key-file", key,
                            "--peer", f"1:{ports[0]}:{ports[1]}", "--display", "soft",
                            "--display-size", size,
                            "--peer-codeword", f"1:{SENDERS[0][1]}", "--seconds", "1"],
                           capture_output=True, text=True, timeout=60)
        check(f"--display-size {size} refused as usage", p.returncode == 2, p.stdout + p.stderr)
    p = subprocess.run([MEDIA, "receive", "--key-file", key, "--peer", f"1:{ports[0]}:{ports[1]}",
                        "--display", "soft", "--peer-codeword", f"1:{SENDERS[0][1]}",
                        "--seconds", "1"], capture_output=True, text=True, timeout=60)
    check("--display soft without a size says what size it needs",
          p.returncode != 0 and "64x64 to 16384x16384" in p.stderr, p.stderr)

    recv_args = [MEDIA, "receive", "--key-file", key, "--display", "soft",
                 "--display-size", "1280x720", "--display-capture", screen, "--seconds", "0"]
    for i, (idx, cw, _colour, name) in enumerate(SENDERS):
        recv_args += ["--peer", f"{idx}:{ports[2 * i]}:{ports[2 * i + 1]}",
                      "--peer-codeword", f"{idx}:{cw}:{name}"]
    recv = subprocess.Popen(recv_args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = recv.stdout.readline()
    header = []
    while line and "receiver ready" not in line:
        header.append(line)
        line = recv.stdout.readline()
    senders = []
    for i, (idx, cw, colour, _name) in enumerate(SENDERS):
        senders.append(subprocess.Popen(
            [MEDIA, "send", "--key-file", key, "--host", "127.0.0.1",
             "--video-port", str(ports[2 * i]), "--audio-port", str(ports[2 * i + 1]),
             "--sender-index", str(idx), "--codeword", cw, "--seconds", "5",
             "--source", f"videotestsrc is-live=true pattern=solid-color "
                         f"foreground-color=0xff{colour}",
             "--encoder", "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for s in senders:
        s.wait(timeout=120)
    time.sleep(0.5)
    recv.terminate()
    out = "".join(header) + line + recv.stdout.read()
    recv.wait(timeout=60)
    for ln in out.splitlines():
        if ln.startswith("display"):
            print("#", ln)
    shown = {}
    for ln in out.splitlines():
        if ln.startswith("display sender="):
            f = dict(kv.split("=") for kv in ln.split()[1:])
            shown[int(f["sender"])] = int(f["frames-shown"])
    check("the receiver ends cleanly and shows frames of both senders",
          recv.returncode == 0 and all(shown.get(s[0], 0) > 0 for s in SENDERS), out)
    check("every layer composited in software (soft)",
          "layers=3 composited=3" in out, out)
    check("the screen was saved", os.path.exists(screen), out)

    tiles = [(cw, colour, name) for _i, cw, colour, name in SENDERS]
    rc, text = display_check(tiles, screen)
    for ln in text.splitlines():
        if ln.startswith("# ok") or ln.startswith("# FAILED"):
            print(ln)
    check("display-check: both tiles' colours, labels and burned-in codewords", rc == 0, text)
    swapped = [(tiles[1][0], tiles[0][1], tiles[0][2]), (tiles[0][0], tiles[1][1], tiles[1][2])]
    rc, text = display_check(swapped, screen)
    check("display-check fails with the labels swapped (%s FAILED lines)" % text.count("FAILED"),
          rc == 1 and text.count("# FAILED") >= 2, text)
    rc, text = display_check([(WRONG, tiles[0][1], tiles[0][2]), tiles[1]], screen)
    check("display-check fails with a wrong codeword in the first tile", rc == 1, text)
    # Keys from keyxchgd that never come (no daemon at the socket): a black,
    # labelled tile under "Waiting for keys", and not the "on" banner.
    waiting = os.path.join(BUILD, "test-logs", "room-display-waiting.png")
    cw, name = SENDERS[0][1], SENDERS[0][3]
    p = subprocess.run([MEDIA, "receive", "--control", os.path.join(work, "none.sock"),
                        "--peer", f"1:{ports[0]}:{ports[1]}", "--peer-codeword", f"1:{cw}:{name}",
                        "--display", "soft", "--display-size", "1280x720",
                        "--display-capture", waiting, "--seconds", "1"],
                       capture_output=True, text=True, timeout=60)
    check("--control without keyxchgd: runs, shows no frame",
          p.returncode == 0 and "display sender=1 frames-shown=0" in p.stdout,
          p.stdout + p.stderr)
    base = [CHECK, "--frame", "640x360", "--wrong", WRONG, "--tile", f"{cw}:000000:{name}",
            "--no-video", "--screen", waiting]
    p = subprocess.run(base + ["--e2ee", "waiting"], capture_output=True, text=True, timeout=60)
    check("display-check: black labelled tile under 'Waiting for keys'", p.returncode == 0,
          p.stdout + p.stderr)
    p = subprocess.run(base, capture_output=True, text=True, timeout=60)
    check("display-check fails that screen for the 'End-to-end encrypted' banner",
          p.returncode == 1, p.stdout + p.stderr)
    return finish()


if __name__ == "__main__":
    tap.main(main)
