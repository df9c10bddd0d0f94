#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The image test's room on the host: the room in QEMU hosts a meeting and
admits this one (tests/qemu/in-image-hostroom.sh is the guest's half).

  host_room.py WORK BUILD

On the host, on loopback: the signaling relay fixture (tests/fixtures/relay.py,
its certificate also for the name relay.sealroom.test, which the guest maps to
10.0.2.2, QEMU user networking's address of the host), the SFU fixture
(tests/fixtures/udp_relay.py) and this room: keyxchgd and roomd (no screen:
nothing listens on its frame socket), each as its user (tests/lib/users.py).

Before QEMU starts it writes WORK/hostroom.tar (ca.pem and hostroom.conf: the
relay's port, the SFU's ports for the guest's media, the guest's receive base;
the guest reads it from a second virtio disk) and WORK/hostroom.nic (QEMU's
-nic: user networking with a UDP hostfwd for each port the SFU sends the
guest's receive branches to), then WORK/hostroom.ready. Then it follows the
guest's results port (WORK/results.tap):

  "# hostroom: meeting started"  it joins the meeting as member "Host room"
                                 (the guest admits it by its codeword), verifies
                                 the guest's room (the people compared its
                                 codeword: this room's media may go), starts
                                 the SFU and roomd (a flat colour, its
                                 codeword burned in)
  "# hostroom: leave now"        it leaves

Its own checks, as TAP lines without a plan, go to WORK/host-room.tap; what it
did, to stdout. Every wait is bounded and names what it waited for.
"""
import io
import os
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import roomproc  # noqa: E402
import tap  # noqa: E402
import users  # noqa: E402

FIX = roomproc.FIXTURES
NAME = "relay.sealroom.test"
GUEST_RX_BASE = 30000      # the guest's roomd receives sender N at + 2N, + 2N + 1
MAX_PID = 7                # senders 1..MAX_PID forwarded into the guest
COLOUR = "3070c0"
MEETING = "qemu-room"


def log(msg):
    print(f"host room: {msg}", flush=True)


def guest_said(work, text, seconds):
    path = os.path.join(work, "results.tap")
    tap.wait_until(lambda: text in open(path, errors="replace").read(), seconds,
                   f"the guest's line '{text}' on its results port")


def main():
    work, build = sys.argv[1], os.path.abspath(sys.argv[2])
    binp = os.path.join(build, "bin")
    d = os.path.join(work, "hostroom")
    os.makedirs(d)
    os.chmod(d, 0o755)
    checks = open(os.path.join(work, "host-room.tap"), "w", buffering=1)

    def check(name, ok, why=""):
        checks.write(f"{'ok' if ok else 'not ok'} - host room: {name}\n")
        if not ok and why:
            checks.write(f"# {why}\n")
        return ok

    relay, port, certs = roomproc.start_relay(d, [NAME])
    gv, ga, hv, ha = tap.free_ports(4)
    fwd = roomproc.rx_base(range(1, MAX_PID + 1))     # host ports into the guest
    hb = roomproc.rx_base(range(1, MAX_PID + 1))      # this room's roomd receives here
    conf = (f"relay_port={port}\nrelay_name={NAME}\nsfu_video_port={gv}\n"
            f"sfu_audio_port={ga}\nrx_base={GUEST_RX_BASE}\n").encode()
    with tarfile.open(os.path.join(work, "hostroom.tar"), "w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in (("hostroom.conf", conf),
                           ("ca.pem", open(os.path.join(certs, "ca.pem"), "rb").read())):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            t.addfile(info, io.BytesIO(data))
    nic = ["user", "model=virtio-net-pci"]
    for pid in range(1, MAX_PID + 1):
        for k in (0, 1):
            nic.append(f"hostfwd=udp:127.0.0.1:{fwd + 2 * pid + k}-10.0.2.15:"
                       f"{GUEST_RX_BASE + 2 * pid + k}")
    open(os.path.join(work, "hostroom.nic"), "w").write(",".join(nic))
    open(os.path.join(work, "hostroom.ready"), "w").close()
    log(f"relay on 127.0.0.1:{port} (as {NAME} from the guest), SFU ports {gv}/{ga} for the "
        f"guest's media, {hv}/{ha} for ours")

    kxlog = open(os.path.join(d, "keyxchgd.log"), "w")
    kx, sock, cw = roomproc.keyxchgd(binp, os.path.join(d, "kx"), f"wss://localhost:{port}",
                                     os.path.join(certs, "ca.pem"), "room-host", kxlog)
    log(f"keyxchgd up, codeword {cw}")

    def kxctl(*args):
        return roomproc.kxctl(binp, sock, *args)

    guest_said(work, "# hostroom: meeting started", 500)
    rep = kxctl("join", "--meeting", MEETING, "--role", "member", "--name", "Host room")
    if not check("joins the QEMU room's meeting as a member", rep.get("ok"), rep):
        return 1
    tap.wait_until(lambda: kxctl("status").get("state") == "in-meeting", 300,
                   "the QEMU room admitting this room")
    st = kxctl("status")
    me = st["participant"]
    guest = next(p["participant"] for p in st["participants"] if not p.get("self"))
    check(f"admitted by the QEMU room (participant {me}; the QEMU room is {guest})", True)
    rep = kxctl("verify", str(guest))
    check("verifies the QEMU room's codeword (this room's media may go)", rep.get("ok"), rep)
    if max(me, guest) > MAX_PID:
        check(f"participant ids within the {MAX_PID} forwarded senders", False, (me, guest))
        return 1
    sfu = tap.TrackedPopen([sys.executable, os.path.join(FIX, "udp_relay.py"),
                            "--route", f"{gv}:{hb + 2 * guest}",
                            "--route", f"{ga}:{hb + 2 * guest + 1}",
                            "--route", f"{hv}:{fwd + 2 * me}",
                            "--route", f"{ha}:{fwd + 2 * me + 1}",
                            "--capture", os.path.join(d, "sfu.cap"), "--seconds", "900"],
                           stdout=open(os.path.join(d, "sfu.log"), "w"),
                           stderr=subprocess.STDOUT)
    sd = users.frames_dir(os.path.join(d, "screen"))
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "lib", "gstreamer-1.0"),
               GST_REGISTRY=os.path.join(build, "gst-registry.bin"))
    roomd = roomproc.Roomd(binp, "the host room's roomd", sock, os.path.join(sd, "frames.sock"),
                           (hv, ha), hb, me, os.path.join(d, "roomd.log"), env,
                           ["--codeword", cw, "--source",
                            "videotestsrc is-live=true pattern=solid-color "
                            f"foreground-color=0xff{COLOUR}"])
    log(f"participant {me}, sending {COLOUR} with {cw} burned in; the QEMU room is {guest}")

    guest_said(work, "# hostroom: leave now", 500)
    rep = kxctl("leave")
    check("leaves the meeting when the guest has seen its tile", rep.get("ok"), rep)
    guest_said(work, "# hostroom: done", 300)
    rc = roomd.stop()
    res = roomd.results().get(guest, {})
    check(f"its roomd exits 0 and decrypted the QEMU room's video "
          f"({res.get('video-frames', 0)} frames, {res.get('auth-failed')} failed, "
          f"{res.get('lost')} lost)", rc == 0 and res.get("video-frames", 0) > 0 and
          res.get("auth-failed", 1) <= res.get("lost", 0), roomd.lines("roomd sender="))
    for p in (sfu, kx, relay):
        if p.poll() is None:
            p.terminate()
        p.wait(timeout=20)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:       # one line, why: the guest's checks say the rest
        print(f"host room: FAILED: {type(e).__name__}: {e}", flush=True)
        sys.exit(1)
