#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The image test's room on the host: the room in QEMU hosts a meeting and
admits this one (tests/qemu/in-image-hostroom.sh is the guest's half).

  host_room.py [--interactive] WORK BUILD

It runs in the network namespace test_qemu_boot.sh made for it and QEMU
(SEALROOM_IN_NETNS=1; it refuses to run elsewhere), where it gives the veth
end jn0 127.0.0.1/32 (tests/fixtures/janus.py: Janus gathers there and can
answer 127.0.0.1). On its loopback: the signaling relay fixture
(tests/fixtures/relay.py, its certificate also for relay.sealroom.test),
Janus (tests/fixtures/janus.py, as make run's and test_roomd_janus's, its
certificate also for janus.sealroom.test; nat_1_1_mapping "10.0.2.2" with
keep_private_host: each host candidate offered as 127.0.0.1 and as
10.0.2.2, QEMU user networking's address of the host, to which the guest
maps both names) and this room: keyxchgd and roomd through Janus (no
screen: nothing listens on its frame socket), each as its user
(tests/lib/users.py). Every UDP datagram of the namespace is captured (an
AF_PACKET socket): the guest's, through QEMU's NAT, arrive at Janus from
127.0.0.1.

Before QEMU starts it writes WORK/hostroom.tar (hostroom.conf: the relay's
port and name, Janus's port, name and room, the marker both roomds put in
every access unit, this room's codeword; ca.pem, the relay's CA;
janus-ca.pem, Janus's;
the guest reads it from a second virtio disk) and WORK/hostroom.nic (QEMU's
-nic: user networking, no port forwarded), then WORK/hostroom.ready. Then
it follows the guest's results port (WORK/results.tap):

  "# hostroom: meeting started"  it joins the meeting as member "Host room"
                                 (the guest's people admit it on their panel
                                 by its codeword, hostroom.conf's
                                 host_codeword), verifies the guest's room
                                 (the people compared its codeword: this
                                 room's media may go), starts roomd (a flat
                                 colour, its codeword burned in)
  "# hostroom: epoch E"          it checks it holds epoch E too
then it waits to be removed (the guest's people tap Participants, Remove):
its keyxchgd says so and its roomd drops the guest's branch.
  "# hostroom: done"             it stops roomd; its results, and the capture:
                                 the guest's datagrams with Janus (those not of
                                 this roomd's ICE ports) STUN, DTLS and
                                 SRTP/SRTCP only, the plaintext marker (both
                                 rooms send it, this roomd finds it in the
                                 guest's decrypted frames) in no datagram

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
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import janus  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402
import users  # noqa: E402

NAME = "relay.sealroom.test"
JANUS_NAME = "janus.sealroom.test"
HOST = "10.0.2.2"          # QEMU user networking's address of the host
LOOPBACK = "127.0.0.1"     # where the guest's datagrams to HOST arrive
COLOUR = "3070c0"
MEETING = "qemu-room"
# Both roomds put it into every access unit they send, before e2eeenc; this
# room's roomd counts it in the guest's frames it decrypts.
MARKER = f"sealroom-qemu-meeting-{os.getpid()}"


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


def ice_ports(rd):
    """The UDP ports this room's roomd gathered (its log lines)."""
    return {int(ln.rsplit("port ", 1)[1]) for ln in rd.text().splitlines()
            if ln.startswith(("roomd: published to Janus", "roomd: subscribing to sender"))}


def main():
    interactive = sys.argv[1:2] == ["--interactive"]
    if interactive:
        del sys.argv[1]
    work, build = sys.argv[1], os.path.abspath(sys.argv[2])
    if os.environ.get(janus.NETNS_ENV) != "1":
        raise RuntimeError("host_room.py runs in the network namespace test_qemu_boot.sh "
                           "makes for it and QEMU")
    janus.enter_netns(LOOPBACK)
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

    cap = janus.Capture()
    cap.start()
    relay, port, certs = roomproc.start_relay(d, [NAME])
    # The videoroom has a pin (docs/transport.md "Names"): both roomds send it.
    j = janus.Janus(os.path.join(d, "janus"), address=LOOPBACK, nat_1_1=HOST,
                    names=[JANUS_NAME], pin=os.urandom(8).hex()).start()
    kxlog = open(os.path.join(d, "keyxchgd.log"), "w")
    kx, sock, cw = roomproc.keyxchgd(binp, os.path.join(d, "kx"), f"wss://localhost:{port}",
                                     os.path.join(certs, "ca.pem"), "room-host", kxlog)
    log(f"keyxchgd up, codeword {cw}")
    # host_codeword: what this room's people would read out to the QEMU
    # room's, who compare it with the lobby dialog's before they tap Admit.
    conf = (f"relay_port={port}\nrelay_name={NAME}\njanus_port={j.port}\n"
            f"janus_name={JANUS_NAME}\njanus_room={j.room}\njanus_pin={j.pin}\n"
            f"marker={MARKER}\n"
            f"host_codeword={cw}\n").encode()
    with tarfile.open(os.path.join(work, "hostroom.tar"), "w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in (("hostroom.conf", conf),
                           ("ca.pem", open(os.path.join(certs, "ca.pem"), "rb").read()),
                           ("janus-ca.pem", open(j.ca, "rb").read())):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            t.addfile(info, io.BytesIO(data))
    open(os.path.join(work, "hostroom.nic"), "w").write("user,model=virtio-net-pci")
    open(os.path.join(work, "hostroom.ready"), "w").close()
    log(f"relay on {LOOPBACK}:{port} (as {NAME} from the guest), Janus on {LOOPBACK}:{j.port} "
        f"(as {JANUS_NAME}; its candidates also as {HOST})")

    def kxctl(*args):
        return roomproc.kxctl(binp, sock, *args)

    if interactive:
        log(f"waiting for a person to tap Start meeting on the QEMU room's panel; "
            f"then this room knocks: admit it when the lobby dialog shows {cw}")
        tap.wait_until(lambda: time.sleep(0.5) or guest_started(work), 24 * 3600,
                       "a tap on Start meeting in the QEMU room")
    else:
        # The whole boot comes first: as long as QEMU may run.
        guest_said(work, "# hostroom: meeting started", int(os.environ.get("QEMU_TIMEOUT", "1200")))
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
    sd = users.frames_dir(os.path.join(d, "screen"))
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "lib", "gstreamer-1.0"),
               GST_REGISTRY=os.path.join(build, "gst-registry.bin"))
    roomd = roomproc.Roomd(binp, "the host room's roomd", sock, os.path.join(sd, "frames.sock"),
                           None, None, me, os.path.join(d, "roomd.log"), env,
                           ["--codeword", cw, "--marker", MARKER, "--source",
                            "videotestsrc is-live=true pattern=solid-color "
                            f"foreground-color=0xff{COLOUR}"], janus=j)
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
    t = roomd.transport()
    log(" ".join(roomd.lines("roomd transport:") + roomd.lines("roomd: receiving") +
                 roomd.lines("roomd: publishing")))
    check(f"its roomd took nothing but Janus's authenticated packets (rtp-in "
          f"{t.get('rtp-in')}, dropped-auth {t.get('dropped-auth')}, -other "
          f"{t.get('dropped-other')}, -foreign {t.get('dropped-foreign')})",
          t.get("rtp-in", 0) > 0 and t.get("dropped-auth") == 0 and
          t.get("dropped-other") == 0 and t.get("dropped-foreign") == 0, t)
    j.check_alive()
    ours = ice_ports(roomd)
    cap.stop = True
    cap.join()
    guest_dg = [b for s, dp, b in cap.datagrams if s not in ours and dp not in ours]
    kinds = {}
    for b in guest_dg:
        kinds[janus.classify(b)] = kinds.get(janus.classify(b), 0) + 1
    log(f"captured {len(cap.datagrams)} datagrams, {len(guest_dg)} between Janus and the "
        f"guest (not this roomd's ports {sorted(ours)}): {kinds}")
    mf = roomd.lines("roomd marker-frames=")
    mf = int(mf[-1].split("=")[1]) if mf else 0
    found = sum(1 for b in guest_dg if MARKER.encode() in b)
    check(f"the plaintext marker, in {mf} of the QEMU room's frames this roomd decrypted, in "
          f"{found} of the {len(guest_dg)} datagrams between Janus and the guest",
          mf > 0 and found == 0 and kinds.get("rtp", 0) > 0, kinds)
    found = sum(1 for _, _, b in cap.datagrams if MARKER.encode() in b)
    check(f"the plaintext marker in {found} of all {len(cap.datagrams)} datagrams",
          found == 0 and cap.datagrams)
    other = len(guest_dg) - sum(kinds.get(k, 0) for k in ("stun", "dtls", "rtp", "rtcp"))
    check(f"every datagram between Janus and the guest STUN, DTLS or SRTP/SRTCP ({other} "
          f"others; {kinds})", other == 0 and kinds.get("stun", 0) > 0 and
          kinds.get("dtls", 0) > 0)
    j.stop()
    for p in (kx, relay):
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
