#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Over real UDP on loopback: no plaintext on the wire.

A sender streams H.264 whose every access unit carries a known marker (an
SEI NAL) through e2eeenc and rtph264pay to udpsink; the untrusted relay
(tests/fixtures/udp_relay.py) records every datagram on its way to the
receiver. The receiver must recover the marker and decode video; the wire
must hold neither the marker nor any window of the plaintext slices, while
an SFU can still see the IDR NAL type. Issue 11: every Opus packet has one
size (CBR, no DTX), the media process has no core file size, what it writes
of decrypted media is 0600 and never written through a symlink, and an
--encoder description that copies the stream to the network is refused.
TAP output.
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish, free_ports  # noqa: E402
import tap  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
MEDIA = os.path.join(BUILD, "bin", "e2ee-media")
RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                     "udp_relay.py")
MARKER = "SEALROOM-PLAINTEXT-MARKER-7f3a"


def read_records(path, fmt):
    """Length-prefixed records: ">I" for the relay's capture, "=I" for the dump."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i + 4 <= len(data):
        (n,) = struct.unpack_from(fmt, data, i)
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def wait_for_line(proc, text, timeout=30):
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return True, lines
    return False, lines


def windows(slices, size=12, per_slice=3):
    """A few plaintext windows of every slice, past its clear first bytes."""
    out = []
    for s in slices:
        body = s[2:]
        if len(body) < size:
            continue
        for k in range(per_slice):
            off = (len(body) - size) * k // max(1, per_slice - 1)
            out.append(body[off:off + size])
    return out


def main():
    if not os.access(MEDIA, os.X_OK):
        print(f"Bail out! {MEDIA} not built")
        return 1
    tmp = tempfile.mkdtemp(prefix="e2ee-wire-")
    key = os.path.join(tmp, "meeting.key")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, os.urandom(16).hex().encode() + b"\n")
    os.close(fd)
    cap = os.path.join(tmp, "wire.cap")
    dump = os.path.join(tmp, "slices.bin")
    ready = os.path.join(tmp, "relay.ready")
    pv, pa, rv, ra = free_ports(4)

    relay = subprocess.Popen([sys.executable, RELAY, "--route", f"{pv}:{rv}", "--route",
                              f"{pa}:{ra}", "--capture", cap, "--ready", ready,
                              "--seconds", "60"], stdout=subprocess.PIPE, text=True)
    # A symlink where the snapshot goes: replaced, never written through.
    snap = os.path.join(tmp, "snap.png")
    victim = os.path.join(tmp, "victim")
    with open(victim, "w") as f:
        f.write("untouched")
    os.symlink(victim, snap)
    recv = subprocess.Popen([MEDIA, "receive", "--key-file", key, "--video-port", str(rv),
                             "--audio-port", str(ra), "--seconds", "9", "--marker", MARKER,
                             "--snapshot", snap],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok, lines = wait_for_line(recv, "receiver ready")
    check("receiver starts", ok, "".join(lines))
    try:
        with open(f"/proc/{recv.pid}/limits") as f:
            core = [l for l in f if l.startswith("Max core file size")]
    except OSError:
        core = []
    check("the media process has no core file size", core and core[0].split()[4:6] == ["0", "0"],
          "".join(core))
    tap.wait_until(lambda: os.path.exists(ready), 15, f"the UDP relay's ready file {ready}")
    send = subprocess.run([MEDIA, "send", "--key-file", key, "--video-port", str(pv),
                           "--audio-port", str(pa), "--seconds", "4", "--marker", MARKER,
                           "--dump-slices", dump], capture_output=True, text=True, timeout=60)
    check("sender runs", send.returncode == 0, send.stdout + send.stderr)
    rest, _ = recv.communicate(timeout=60)
    rlog = "".join(lines) + rest
    check("receiver runs", recv.returncode == 0, rlog)
    relay.terminate()
    relay.communicate(timeout=30)

    sent = [l for l in send.stdout.splitlines() if l.startswith("sender video:")]
    sent_frames = int(sent[0].split("frames=(guint64)")[1].split(",")[0]) if sent else 0
    marker_line = [l for l in rlog.splitlines() if "marker-frames=" in l]
    mf = int(marker_line[0].split("marker-frames=")[1].split()[0]) if marker_line else 0
    decoded = int(marker_line[0].split("decoded-frames=")[1].split()[0]) if marker_line else 0
    vstats = [l for l in rlog.splitlines() if l.startswith("receiver video:")]
    check(f"sender encrypted frames ({sent_frames})", sent_frames > 30, send.stdout)
    # Loopback may drop a datagram now and then; most frames must make it.
    check(f"receiver recovered the marker in {mf} of {sent_frames} frames",
          sent_frames and mf >= 0.9 * sent_frames, rlog)
    check(f"receiver decoded {decoded} frames", decoded >= 0.9 * sent_frames, rlog)
    # A datagram lost inside a NAL fails that frame, as it must; keys that do
    # not fit fail every frame: no more failures than lost packets.
    peer = [l for l in rlog.splitlines() if l.startswith("receiver sender=")]
    pf = dict(x.split("=") for x in peer[0].split()[1:]) if peer else {}
    check(f"no authentication failures beyond lost packets ({pf.get('auth-failed')} failed, "
          f"{pf.get('lost')} lost)", vstats and peer and
          int(pf.get("auth-failed", 1)) <= int(pf.get("lost", 0)), rlog)
    st = os.lstat(snap)
    check("the snapshot replaced the symlink, mode 0600",
          not os.path.islink(snap) and (st.st_mode & 0o777) == 0o600, oct(st.st_mode))
    with open(victim) as f:
        check("nothing written through the symlink", f.read() == "untouched")
    check("the dumped slices are 0600", (os.stat(dump).st_mode & 0o777) == 0o600)

    wire = read_records(cap, ">I")
    slices = read_records(dump, "=I")
    check(f"relay saw traffic ({len(wire)} datagrams)", len(wire) > 100)
    check(f"sender dumped plaintext slices ({len(slices)})", len(slices) > 30)
    hay = b"\xff".join(wire)
    marker = MARKER.encode()
    check("the marker never appears on the wire", marker not in hay)
    probes = windows(slices)
    # The search works: every probe is found in the plaintext itself.
    plain = b"\xff".join(slices)
    check(f"control: {len(probes)} probes found in the plaintext",
          probes and all(p in plain for p in probes))
    leaked = sum(1 for p in probes if p in hay)
    check(f"no plaintext slice bytes on the wire ({leaked} of {len(probes)} probes found)",
          leaked == 0)
    # What an SFU needs is still there: IDR slices are visible by NAL type.
    idr = 0
    for d in wire:
        if len(d) > 14 and (d[1] & 0x7f) == 96:
            nal = d[12]
            t = nal & 0x1f
            if t == 5 or (t == 28 and (d[13] & 0x1f) == 5):
                idr += 1
    check(f"IDR NAL types visible to the relay ({idr} packets)", idr > 0)
    # Opus at CBR, no DTX: the size of an audio packet says nothing.
    audio = sorted({len(d) for d in wire if len(d) > 12 and (d[1] & 0x7f) == 111})
    check(f"every audio packet has one size ({audio[:6]})", len(audio) == 1)

    # An --encoder that copies the plaintext stream to the network.
    tee = subprocess.run([MEDIA, "send", "--key-file", key, "--video-port", str(pv),
                          "--audio-port", str(pa), "--seconds", "1", "--encoder",
                          "x264enc ! tee name=t ! queue ! udpsink host=127.0.0.1 port=9 "
                          "t. ! queue"], capture_output=True, text=True, timeout=60)
    check("an --encoder with a tee to the network is refused",
          tee.returncode != 0 and "no sink, tee or network" in tee.stderr, tee.stderr)

    # Numbers of options are parsed strictly (atoi took "5000x" as 5000, "x" as 0).
    bad = []
    for opt, arg in [("--video-port", "5000x"), ("--video-port", "70000"),
                     ("--audio-port", "-1"), ("--seconds", "1e3"), ("--seconds", " 5"),
                     ("--sender-index", "65535"), ("--width", "99999999999"),
                     ("--height", "")]:
        # Good values first, the bad one last: it is refused wherever it comes.
        r = subprocess.run([MEDIA, "send", "--key-file", key, "--video-port", str(pv),
                            "--audio-port", str(pa), "--seconds", "1", opt, arg],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 2 or f"e2ee-media: {opt} must be a number from" not in r.stderr:
            bad.append((opt, arg, r.returncode, r.stderr[-200:]))
    check("e2ee-media refuses a number option with junk, a sign, a space or out of range, "
          "naming the option (exit 2)", not bad, bad)
    return finish()


if __name__ == "__main__":
    tap.main(main)
