#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The image test's room on the host: the room in QEMU hosts a meeting and
admits this one (tests/qemu/in-image-hostroom.sh is the guest's half).

  host_room.py [--interactive] WORK BUILD

On the host, on loopback: the signaling relay fixture (tests/fixtures/relay.py,
its certificate also for the name relay.sealroom.test, which the guest maps to
10.0.2.2, QEMU user networking's address of the host), the SFU fixture
(tests/fixtures/udp_relay.py) and this room: keyxchgd and roomd (no screen:
nothing listens on its frame socket), each as its user (tests/lib/users.py).

Before QEMU starts it writes WORK/hostroom.tar (ca.pem and hostroom.conf: the
relay's port, the SFU's ports for the guest's media, the guest's receive base,
this room's codeword;
the guest reads it from a second virtio disk) and WORK/hostroom.nic (QEMU's
-nic: user networking with a UDP hostfwd for each port the SFU sends the
guest's receive branches to), then WORK/hostroom.ready. Then it follows the
guest's results port (WORK/results.tap):

  "# hostroom: meeting started"  it joins the meeting as member "Host room"
                                 (the guest's people admit it on their panel
                                 by its codeword, hostroom.conf's
                                 host_codeword), verifies the guest's room
                                 (the people compared its codeword: this
                                 room's media may go), starts the SFU and
                                 roomd (a flat colour, its codeword burned in)
  "# hostroom: epoch E"          it checks it holds epoch E too
then it waits to be removed (the guest's people tap Participants, Remove):
its keyxchgd says so and its roomd drops the guest's branch.

Its own checks, as TAP lines without a plan, go to WORK/host-room.tap; what it
did, to stdout. Every wait is bounded and names what it waited for.

--interactive (make qemu-meeting, rootfs/run-meeting.sh): the same room for a
person at the QEMU room's panel. It joins once WORK/screen.log (the QEMU room's
screen log, forwarded by the image booted with sealroom.hostroom=1) shows the
panel's join as host, says on stdout which codeword the lobby dialog should
show and its epoch once admitted, waits to be removed, and stays (the relay
up) until it is killed.
"""
import io
import os
import signal
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


def guest_started(work):
    """--interactive: the QEMU room's screen log (WORK/screen.log, forwarded by
    the image) says its panel sent join as host: a person tapped Start meeting."""
    try:
        text = open(os.path.join(work, "screen.log"), errors="replace").read()
    except OSError:
        return False
    return any('panel: sent {"cmd":"join"' in ln and '"role":"host"' in ln
               for ln in text.splitlines())


def main():
    interactive = sys.argv[1:2] == ["--interactive"]
    if interactive:
        del sys.argv[1]
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
        if interactive:
            log(f"{'' if ok else 'NOT: '}{name}{f' ({why})' if not ok and why else ''}")
        return ok

    relay, port, certs = roomproc.start_relay(d, [NAME])
    gv, ga, hv, ha = tap.free_ports(4)
    fwd = roomproc.rx_base(range(1, MAX_PID + 1))     # host ports into the guest
    hb = roomproc.rx_base(range(1, MAX_PID + 1))      # this room's roomd receives here
    kxlog = open(os.path.join(d, "keyxchgd.log"), "w")
    kx, sock, cw = roomproc.keyxchgd(binp, os.path.join(d, "kx"), f"wss://localhost:{port}",
                                     os.path.join(certs, "ca.pem"), "room-host", kxlog)
    log(f"keyxchgd up, codeword {cw}")
    # host_codeword: what this room's people would read out to the QEMU
    # room's, who compare it with the lobby dialog's before they tap Admit.
    conf = (f"relay_port={port}\nrelay_name={NAME}\nsfu_video_port={gv}\n"
            f"sfu_audio_port={ga}\nrx_base={GUEST_RX_BASE}\nhost_codeword={cw}\n").encode()
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


    def kxctl(*args):
        return roomproc.kxctl(binp, sock, *args)

    if interactive:
        log(f"waiting for a person to tap Start meeting on the QEMU room's panel; "
            f"then this room knocks: admit it when the lobby dialog shows {cw}")
        tap.wait_until(lambda: time.sleep(0.5) or guest_started(work), 24 * 3600,
                       "a tap on Start meeting in the QEMU room")
    else:
        # The whole boot comes first (the host's QEMU_TIMEOUT bounds it too).
        guest_said(work, "# hostroom: meeting started", 1500)
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

    if interactive:
        tap.wait_until(lambda: time.sleep(0.5) or "group_code" in kxctl("status"), 600,
                       "the epoch's secret")
        st = kxctl("status")
        log(f"in the meeting at epoch {st.get('epoch')}, group code {st.get('group_code')}: "
            f"the QEMU room's Security page shows the same; remove this room on its panel "
            f"(Participants, Remove)")
    else:
        guest_said(work, "# hostroom: epoch ", 600)
        said = [ln for ln in open(os.path.join(work, "results.tap"), errors="replace")
                if ln.startswith("# hostroom: epoch ")][-1].split()[-1]
        st = kxctl("status")
        check(f"holds the QEMU room's epoch ({st.get('epoch')}, the QEMU room's {said}) with "
              f"a group code", str(st.get("epoch")) == said and "group_code" in st, st)
    # It does not leave: the QEMU room's people remove it on their panel.
    # Asked every 0.5 s: kxctl is a process (as this room's user) per question.
    tap.wait_until(lambda: time.sleep(0.5) or kxctl("status").get("state") == "left", 600,
                   "the QEMU room removing this room (Participants, Remove)")
    removed = [ln for ln in open(os.path.join(d, "keyxchgd.log"), errors="replace")
               if "removed from the meeting at epoch" in ln]
    check(f"removed by the QEMU room: its keyxchgd says {removed[-1].strip() if removed else '?'}"
          , bool(removed), "no 'removed from the meeting' in its keyxchgd's log")
    tap.wait_until(lambda: roomd.lines(f"roomd: sender {guest} gone"), 120,
                   "this room's roomd dropping the QEMU room's branch (its keys gone)")
    check("its roomd drops the QEMU room's branch: no key left once removed", True)
    if interactive:
        log("removed by the QEMU room, its branch gone from this room's roomd; "
            "Ctrl-a x quits QEMU")
        signal.pause()
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
