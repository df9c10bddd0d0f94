#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a screen that keeps every fd roomd passes it can make roomd's memory
hold (security review 7, findings 2 and 5; docs/frames.md "What a
compromised screen can still cost roomd").

roomd (plain RTP on loopback, the default --max-tile 1920x1080) is keyed by
the key provider directly (test_keyprovider's FakeKeyxchgd). Its screen is
this test, a compromised one: it keeps every fd roomd passes with BUFFERS,
releases every frame at once, and at the end maps every file it holds and
reads each of its pages (a read of a hole in shmem allocates the page: the
most a screen can make of what it holds). Checked:

* the review's attack: one real sender (e2ee-media at 320x180), its TILE
  alternating 1920x1080 / 1916x1080 once a second for 20 s, the connection
  hung up every 5 s (roomd connects again): the files behind the kept fds are
  one (roomd's pool), their pages after the read of every page at most the
  pool (3 x the screen's pixels x 4 bytes and 16 x 64 KiB of alignment:
  24.7 MiB), and the system's Shmem grew by at most the pool and a 100 MiB
  allowance for the machine's other tests (before: 63 memfds, +450 MiB in
  20 s; that fails both);
* the sender's frames still reach the screen at the last size after it;
* finding 5: 16 senders (two real, 14 keyed without media), each asked at
  the screen's full size: the tiles roomd applies cover at most the
  screen (the rings announced on the connection, summed), the 15 that do
  not fit wait (roomd's end line: tiles-waiting=15), nothing is refused;
  then a layout a real screen makes (16 tiles of 480x270) is applied whole
  and both real senders' frames come at 480x270; the screen still holds
  one file, at most the pool;
* roomd exits 0, no malformed message, no TILE refused.
TAP output.
"""
import mmap
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from tap import check, finish  # noqa: E402
from test_keyprovider import FakeKeyxchgd, kid  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402
from test_roomd_hostile import BIN, LOGS, MIB, TILE, Screen, msg, start_sender  # noqa: E402

SCREEN = (1920, 1080)                  # roomd's default --max-tile
POOL = 3 * SCREEN[0] * SCREEN[1] * 4 + 16 * 64 * 1024   # docs/frames.md
NOISE = 100 * MIB                      # the machine's other tests' shmem
A, B = 3, 4                            # the real senders
SILENT = list(range(5, 19))            # keyed, no media: 16 senders in all
ATTACK_S = 20


def shmem():
    for ln in open("/proc/meminfo"):
        if ln.startswith("Shmem:"):
            return int(ln.split()[1]) * 1024
    raise RuntimeError("no Shmem line in /proc/meminfo")


def files(screen):
    """The distinct files behind the screen's kept fds: {(dev, ino): (fd, size, bytes held)}."""
    out = {}
    with screen.lock:
        fds = list(screen.kept)
    for fd in fds:
        st = os.fstat(fd)
        out[(st.st_dev, st.st_ino)] = (fd, st.st_size, st.st_blocks * 512)
    return out


def fault_all(screen):
    """Every page of every file the screen holds read once: the most it can make them
    hold (a read of a hole in shmem allocates the page)."""
    for fd, size, _ in files(screen).values():
        if size:
            with mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ) as mm:
                for off in range(0, size, mmap.PAGESIZE):
                    mm[off]


def held(screen):
    f = files(screen)
    return len(f), sum(v[2] for v in f.values()), sum(v[1] for v in f.values())


def attack(rd, screen):
    """The review's attack: TILE changes once a second, hang-ups every 5 s."""
    base_shm = shmem()
    n0, b0, _ = held(screen)
    print(f"# before: system Shmem {base_shm / MIB:.0f} MiB, the screen holds {n0} file(s), "
             f"{b0 / MIB:.1f} MiB, roomd VmRSS {roomproc_rss(rd) / MIB:.0f} MiB")
    t0 = time.monotonic()
    peak = 0
    for i in range(ATTACK_S):
        size = (1920, 1080) if i % 2 == 0 else (1916, 1080)
        if i % 5 == 4:
            conns = screen.conns
            screen.hang_up()
            tap.wait_until(lambda c=conns: screen.conns > c and screen.conn is not None, 60,
                           "roomd connecting again after the screen hung up")
        screen.send(msg(TILE, A, *size))
        time.sleep(1.0)
        peak = max(peak, shmem() - base_shm)
        if i % 5 == 4:
            n, b, _ = held(screen)
            print(f"# {time.monotonic() - t0:4.1f} s: rings {len(screen.of('buffers', A))}, "
                     f"connections {screen.conns}, fds kept {len(screen.kept)}, files {n} "
                     f"({b / MIB:.1f} MiB), system Shmem {(shmem() - base_shm) / MIB:+.0f} MiB, "
                     f"roomd VmRSS {roomproc_rss(rd) / MIB:.0f} MiB")
    t_end = time.monotonic()
    tap.wait_until(lambda: len(screen.of("frame", A, t_end)) >= 10 or rd.proc.poll() is not None,
                   120, f"10 frames of sender {A} after the attack")
    last = screen.of("buffers", A)[-1]
    check(f"after {ATTACK_S} s of TILE changes and {screen.conns - 1} reconnections the "
          f"sender's frames reach the screen (its ring {last[3][0]}x{last[3][1]})",
          len(screen.of("frame", A, t_end)) >= 10 and last[3] in ((1920, 1080), (1916, 1080)),
          rd.text()[-1200:])
    fault_all(screen)
    n, b, size = held(screen)
    grown = max(peak, shmem() - base_shm)
    rings = screen.of("buffers", A)
    print(f"# after: {len(rings)} rings announced, {len(screen.kept)} fds kept, {n} file(s) "
             f"of {size / MIB:.1f} MiB, {b / MIB:.1f} MiB held with every page read; system "
             f"Shmem {grown / MIB:+.0f} MiB at most (the review: 63 fds, +450 MiB)")
    check(f"the screen's kept fds ({len(screen.kept)}) are of one file, roomd's pool "
          f"({n} file(s), {size / MIB:.1f} MiB; the pool {POOL / MIB:.1f} MiB)",
          n == 1 and size == POOL, files(screen))
    check(f"what the screen holds with every page read: {b / MIB:.1f} MiB, at most the pool "
          f"({POOL / MIB:.1f} MiB)", b <= POOL, (b, POOL))
    check(f"system Shmem grew {grown / MIB:+.1f} MiB during the attack: at most the pool and "
          f"{NOISE // MIB} MiB for the machine's other tests", grown <= POOL + NOISE,
          (grown, POOL))
    check("every ring of the sender is the same file; every one announced again on each "
          "connection", len({r[9] for r in rings}) == 1 and
          {r[4] for r in rings} >= set(range(2, screen.conns + 1)), rings[-8:])


def roomproc_rss(rd):
    for ln in open(f"/proc/{rd.proc.pid}/status"):
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1]) * 1024
    return 0


def current_rings(screen):
    """The last ring of each sender on the current connection: {sender: (w, h, offset, bytes)}."""
    out = {}
    for e in list(screen.events):
        if e[1] == "buffers" and e[4] == screen.conns:
            out[e[2]] = (e[3][0], e[3][1], e[8], e[6] * e[7])
    return out


def sixteen(rd, kx, screen, tmp, rx_base, keys):
    """Finding 5: 16 senders asked at the screen's size; then a real layout."""
    for s in [B] + SILENT:
        for st in (0, 1):
            kx.install(kid(st, s, 0), "receive", keys[s])
    sender_b, kxb = start_sender(tmp, rx_base, keys[B], B, f"roomd-rings-sender-{B}.log")
    for s in [B] + SILENT:
        rd.wait_for(lambda t, s=s: f"roomd: receiving sender {s} on" in t,
                    f"roomd's branch for sender {s}", 120)
    t = time.monotonic()
    for s in [A, B] + SILENT:
        screen.send(msg(TILE, s, *SCREEN))
    time.sleep(3)
    rings = current_rings(screen)
    area = sum(w * h for w, h, _, _ in rings.values())
    end = max((off + n for _, _, off, n in rings.values()), default=0)
    check(f"16 senders each asked at {SCREEN[0]}x{SCREEN[1]}: the rings announced cover "
          f"{area} pixels, at most the screen's {SCREEN[0] * SCREEN[1]}, and end within the "
          f"pool ({end} <= {POOL} bytes): {rings}",
          area <= SCREEN[0] * SCREEN[1] and end <= POOL and rd.proc.poll() is None, rings)
    check("no ring of sender B while sender A fills the screen (its TILE waits)",
          not screen.of("buffers", B, t), screen.of("buffers", B, t))
    t = time.monotonic()
    # A's shrink first, as a real screen sends a layout's (docs/frames.md, TILE):
    # the others then fit whichever batch of roomd's reads they come in.
    for s in [A, B] + SILENT:
        screen.send(msg(TILE, s, 480, 270))
    tap.wait_until(lambda: all((480, 270) in [e[3] for e in screen.of("buffers", s, t)]
                               for s in (A, B)) or rd.proc.poll() is not None, 120,
                   "rings of 480x270 for senders A and B after a layout of 16 tiles")
    tap.wait_until(lambda: len(screen.of("frame", B, t)) >= 10 or rd.proc.poll() is not None,
                   120, f"10 frames of sender {B} in its 480x270 tile")
    rings = current_rings(screen)
    check(f"a layout of 16 tiles of 480x270 (the screen's area) applied whole: both real "
          f"senders' rings at 480x270, sender {B}'s frames shown ({rings})",
          rings.get(A, (0, 0))[:2] == (480, 270) and rings.get(B, (0, 0))[:2] == (480, 270) and
          len(screen.of("frame", B, t)) >= 10, rd.text()[-1200:])
    fault_all(screen)
    n, b, size = held(screen)
    check(f"after both: the screen still holds {n} file(s), {b / MIB:.1f} MiB with every page "
          f"read (the pool {POOL / MIB:.1f} MiB)", n == 1 and b <= POOL, files(screen))
    return sender_b, kxb


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="roomd-rings-")
    os.chmod(tmp, 0o755)            # roomd's user reaches keyxchgd's socket
    env = dict(os.environ)
    keys = {s: os.urandom(16) for s in [A, B] + SILENT}
    kx = FakeKeyxchgd(os.path.join(tmp, "kx.sock"))
    os.chmod(kx.path, 0o666)
    d = tempfile.mkdtemp(prefix="roomd-rings-screen-")
    os.chmod(d, 0o1777)
    screen = Screen(os.path.join(d, "frames.sock"), keep=True)
    ports = tap.free_ports(2)
    rx_base = roomproc.rx_base([A, B] + SILENT)
    rd = roomproc.Roomd(BIN, "roomd (this test as a screen that keeps every fd)", kx.path,
                        os.path.join(d, "frames.sock"), ports, rx_base, 1,
                        os.path.join(LOGS, "roomd-rings-roomd.log"), env)
    if not kx.subscribed.wait(60):
        raise RuntimeError("roomd never subscribed to the test's keyxchgd")
    tap.wait_until(lambda: screen.conn is not None, 60, "roomd connecting to the test's screen")
    kx.push({"event": "state", "state": "in-meeting", "meeting": "rings", "epoch": 0})
    for st in (0, 1):
        kx.install(kid(st, A, 0), "receive", keys[A])
    sender_a, kxa = start_sender(tmp, rx_base, keys[A], A, f"roomd-rings-sender-{A}.log")
    tap.wait_until(lambda: len(screen.of("frame", A)) >= 30 or rd.proc.poll() is not None, 120,
                   f"30 frames of sender {A} on the screen")
    check(f"sender {A}'s frames reach the screen ({len(screen.of('frame', A))})",
          len(screen.of("frame", A)) >= 30, rd.text()[-1500:])

    attack(rd, screen)
    sender_b, kxb = sixteen(rd, kx, screen, tmp, rx_base, keys)

    rc = rd.stop()
    for p in (sender_a, sender_b):
        p.terminate()
        p.wait(timeout=60)
    scr = rd.lines("roomd screen:")
    f = dict(x.split("=") for x in scr[0].split()[2:]) if scr else {}
    check(f"roomd exits 0 ({rc}); its screen line: {scr}",
          rc == 0 and f.get("bad-messages") == "0" and f.get("tiles-refused") == "0" and
          f.get("pool-bytes") == str(POOL), scr)
    check(f"the 15 TILEs at the screen's size that did not fit waited, counted "
          f"(tiles-waiting={f.get('tiles-waiting')})", f.get("tiles-waiting") == "15", scr)
    screen.close()
    for k in (kx, kxa, kxb):
        k.close()
    return finish()


if __name__ == "__main__":
    tap.main(main)
