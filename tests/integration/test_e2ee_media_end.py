#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""e2ee-media send ends when it is told to, even before it is PLAYING.

The sender's pipeline goes to PLAYING asynchronously: each udpsink prerolls
its first buffer and waits there for PLAYING, in the streaming thread that
holds its source's stream lock. The old end sent EOS from the main loop then
(gst_element_send_event holds the pipeline's state lock while a source takes
its stream lock to queue EOS); the bin's continuation to PLAYING needs that
state lock: e2ee-media hung for good, every thread in a futex wait, SIGTERM
unheard (the image test under load, where x264enc's first frame came seconds
after the audio's). Here the video's first frame is held back past --seconds
on purpose (identity sleep-time in --source), so the audio sink has prerolled
and the video sink has not when the end comes:

* --seconds 1, the video's first frame 3 s late: it ends by itself, exit 0,
  both streams' statistics printed, encrypted RTP of both on its ports;
* --seconds 0 (a service), SIGTERM at "sender ready": it ends by itself,
  exit 0, both statistics printed, every datagram RTP of its stream, at
  least as many as the frames its e2eeenc counted (which may be none: the
  end comes at once, and a stream's first frame may not have been made yet;
  AddressSanitizer's CI run saw the video send nothing);
* the video's first frame 25 s late: the end waits for the video's EOS at
  most EOS_GRACE_S (20 s), then says so in one line, naming the video's
  sink, and exits 1.

The udpsinks are no longer asynchronous (a room whose e2eeenc passes nothing
must still play what it receives: test_roomd_held), so the pipeline is
PLAYING at once and the hang above cannot come from them any more; the
ends are checked all the same.

The old e2ee-media hangs in the first two (each wait below is bounded, and
then the process is named as hung and killed). TAP output.
"""
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import tap  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
MEDIA = os.path.join(BUILD, "bin", "e2ee-media")
PT_VIDEO, PT_AUDIO = 96, 111
LIBC = ("_", "futex_", "lll_", "start_thread", "clone", "syscall")
BOUND_S = 120          # any of these runs, however loaded the machine: far more


def slow_source(seconds):
    """A live test pattern whose every frame waits SECONDS before the encoder."""
    return f"videotestsrc is-live=true ! identity sleep-time={int(seconds * 1e6)}"


def receivers():
    """Two bound UDP sockets on loopback (video, audio) and their ports."""
    socks = []
    for _ in range(2):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        socks.append(s)
    return socks, [s.getsockname()[1] for s in socks]


def drain(sock):
    """The RTP payload types of every datagram waiting in sock."""
    pts = []
    while select.select([sock], [], [], 0)[0]:
        d = sock.recv(65536)
        if len(d) >= 12 and d[0] >> 6 == 2:
            pts.append(d[1] & 0x7F)
    return pts


def run(tmp, key, seconds, source, term_at_ready=False):
    """e2ee-media send to two sockets of ours; (exit status or None when it
    hung, seconds it took, stdout, stderr, video PTs, audio PTs)."""
    socks, ports = receivers()
    out = open(os.path.join(tmp, "send.out"), "w+")
    err = open(os.path.join(tmp, "send.err"), "w+")
    t0 = time.monotonic()
    p = subprocess.Popen([MEDIA, "send", "--key-file", key, "--host", "127.0.0.1",
                          "--video-port", str(ports[0]), "--audio-port", str(ports[1]),
                          "--sender-index", "1", "--seconds", str(seconds),
                          "--source", source], stdout=out, stderr=err)
    if term_at_ready:
        tap.wait_until(lambda: "sender ready" in open(out.name).read() or
                       p.poll() is not None, BOUND_S, "e2ee-media's \"sender ready\"")
        p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=BOUND_S)
    except subprocess.TimeoutExpired:
        rc = None
        where = subprocess.run(["gdb", "-p", str(p.pid), "-batch", "-ex",
                                "thread apply all bt"], capture_output=True, text=True,
                               timeout=60).stdout if _have("gdb") else ""
        p.kill()
        p.wait()
        print(f"# e2ee-media hung: still running {BOUND_S} s after it was started "
              f"(--seconds {seconds}); killed. Its threads, innermost call first:")
        for line in threads(where):
            print("#", line)
    took = time.monotonic() - t0
    video, audio = (drain(s) for s in socks)
    for s in socks:
        s.close()
    out.seek(0)
    err.seek(0)
    return rc, took, out.read(), err.read(), video, audio


def threads(bt):
    """gdb's "thread apply all bt", one line a thread: its name, where it waits
    and the named functions of its stack outside libc, innermost first."""
    out = []
    for line in bt.splitlines():
        m = re.match(r'Thread \d+ .*"(.*)"', line)
        if m:
            out.append([m.group(1)])
            continue
        m = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?([A-Za-z_]\w*) \(", line)
        if m and out and (len(out[-1]) == 1 or
                          (len(out[-1]) < 6 and not m.group(1).startswith(LIBC))):
            out[-1].append(m.group(1))
    return [f"{t[0]}: {' < '.join(t[1:])}" for t in out]


def _have(prog):
    return any(os.access(os.path.join(d, prog), os.X_OK)
               for d in os.environ.get("PATH", "").split(os.pathsep))


def frames(stdout, stream):
    """frames= of "sender video|audio: e2eeenc-stats, ..." or None."""
    for line in stdout.splitlines():
        if line.startswith(f"sender {stream}:"):
            for f in line.replace(";", "").split(", "):
                if f.startswith("frames="):
                    return int(f.split(")")[-1])
    return None


def ended_well(what, r, sent_both=True):
    """sent_both: the end came while the video's first frame was already on its
    way (queued before the EOS), so both streams sent; else (the end at "sender
    ready", which is at once now that no sink prerolls) each sent what its
    e2eeenc counted, perhaps nothing."""
    rc, took, out, err, video, audio = r
    detail = f"exit {rc}, {took:.1f} s\nstdout:\n{out}\nstderr:\n{err}"
    nv, na = frames(out, "video"), frames(out, "audio")
    least = 1 if sent_both else 0
    check(f"{what}: it ends by itself, exit 0 ({took:.1f} s, status {rc})",
          rc == 0, detail)
    check(f"{what}: both streams' statistics printed (video frames {nv}, audio frames {na})",
          nv is not None and na is not None and nv >= least and na >= least, detail)
    check(f"{what}: encrypted RTP of {'both streams' if sent_both else 'what was sent'} "
          f"on its ports ({len(video)} video datagrams with PT {PT_VIDEO} for {nv} frames, "
          f"{len(audio)} audio with PT {PT_AUDIO} for {na})",
          set(video) <= {PT_VIDEO} and set(audio) <= {PT_AUDIO} and
          len(video) >= (nv or 0) >= least and len(audio) >= (na or 0) >= least, detail)


def main():
    tmp = tempfile.mkdtemp(prefix="e2ee-media-end-")
    key = os.path.join(tmp, "media.key")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, os.urandom(16).hex().encode())
    os.close(fd)

    ended_well("--seconds 1, the video's first frame 3 s late",
               run(tmp, key, 1, slow_source(3)))
    ended_well("--seconds 0 and SIGTERM at \"sender ready\", the video's first frame "
               "3 s late", run(tmp, key, 0, slow_source(3), term_at_ready=True),
               sent_both=False)

    rc, took, out, err, _, _ = run(tmp, key, 1, slow_source(25))
    said = [ln for ln in err.splitlines()
            if "did not drain EOS within 20 s (sinks without EOS: video-udpsink)" in ln]
    check(f"--seconds 1, the video's first frame 25 s late: the end waits for the video's "
          f"EOS 20 s, then says so in one line, naming its sink, and exits 1 (status {rc}, "
          f"{took:.1f} s: {said[:1]})", rc == 1 and len(said) == 1,
          f"exit {rc}\nstdout:\n{out}\nstderr:\n{err}")
    return finish()


if __name__ == "__main__":
    tap.main(main)
