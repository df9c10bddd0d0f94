#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench-join: time from join to the first decrypted frame through Janus.

Janus on loopback in a network namespace (tests/fixtures/janus.py).

Through roomd (the room's media daemon, the default): N keyxchgd rooms in
one meeting on the signaling relay fixture (keyed before the clock starts),
then N roomds started together, each joining Janus (WebSocket TLS, session),
publishing H.264 and Opus (320x180) over libnice + DTLS-SRTP and subscribing
to each of the N - 1 others once Janus lists it (ICE and DTLS each), the
first keyframe of each decrypted and decoded. Each roomd prints when its
first picture of each sender was decoded, from its own start: per room, the
first sender and the last (the whole mesh) are reported.

With --rtc-call: N rtc-call rooms (publish, subscribe to the next room's
feed) instead, as before roomd existed.

The baseline in the same run: one rtc-call room subscribing to itself.
Prints figures; never fails on speed.

    bench_join.py [--rtc-call] [N ...]   (default: 2 5 10; root, for the namespace)
"""
import os
import re
import subprocess
import sys
import tempfile

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
os.environ.setdefault("GST_PLUGIN_PATH", os.path.abspath(os.path.join(BUILD, "lib", "gstreamer-1.0")))
HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
sys.path.insert(0, FIX)
import janus  # noqa: E402  (it finds tests/lib itself)
import roomproc  # noqa: E402
import tap  # noqa: E402

janus.enter_netns()


def rooms(j, keys, n):
    procs = []
    for i in range(n):
        args = [os.path.join(BUILD, "tests", "rtc-call"), "--port", str(j.port), "--ca", j.ca, "--room", str(j.room), "--keys", keys,
                "--local-addr", janus.JANUS_ADDR, "--frames", "1", "--timeout", "60",
                "--name", f"room{i}", "--hold"]
        if n > 1:
            args += ["--subscribe-to", f"room{(i + 1) % n}"]
        procs.append(subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True))
    times = []
    # Each room's count line, in turn (a room that fails ends its output).
    for p in procs:
        ms = None
        for line in p.stdout:
            if "join_to_first_frame_ms=" in line:
                ms = int(line.split("join_to_first_frame_ms=")[1].split()[0])
                break
            if "FAILED" in line:
                print(f"bench-join: a room failed: {line.strip()}")
                break
        times.append(ms)
    for p in procs:
        p.stdin.close()
        p.wait(timeout=60)
    return None if None in times else times


FIRST = re.compile(r"roomd: first picture of sender (\d+) decoded (\d+) ms after the start")


def meeting(tmp, n, port, certs):
    """n keyxchgd rooms in one meeting, each holding the epoch's secret."""
    rs = [roomproc.room(BIN, tmp, i, port, certs, os.path.join(tmp, f"kx{i}.log"))
          for i in range(1, n + 1)]
    rep = roomproc.kxctl(BIN, rs[0]["sock"], "join", "--meeting", "bench", "--role", "host",
                         "--name", "Room 1")
    if not rep.get("ok"):
        raise RuntimeError(f"the host cannot start: {rep}")
    for m in rs[1:]:
        roomproc.admit(BIN, rs[0], m, rep["meeting_code"], "bench")
    epoch = None
    tap.wait_until(lambda: len(roomproc.kxctl(BIN, rs[0]["sock"], "status")
                               .get("participants", [])) == n, 60, f"{n} participants")
    epoch = roomproc.kxctl(BIN, rs[0]["sock"], "status")["epoch"]
    for r in rs:
        tap.wait_until(lambda r=r: roomproc.kxctl(BIN, r["sock"], "status").get("epoch") == epoch
                       and roomproc.kxctl(BIN, r["sock"], "status").get("have_secret"), 60,
                       f"room {r['n']} at epoch {epoch}")
        r["pid"] = roomproc.kxctl(BIN, r["sock"], "status")["participant"]
    return rs


def roomd_rooms(j, tmp, n, port, certs):
    """Per room: (ms to its first sender's first picture, ms to the last's)."""
    folder = os.path.join(tmp, f"rooms{n}")
    os.makedirs(folder)
    os.chmod(folder, 0o755)
    rs = meeting(folder, n, port, certs)
    try:
        for r in rs:
            r["roomd"] = roomproc.Roomd(BIN, f"room {r['n']}'s roomd", r["sock"],
                                        os.path.join(folder, f"frames{r['n']}.sock"), None, None,
                                        r["pid"], os.path.join(folder, f"roomd{r['n']}.log"),
                                        dict(os.environ), ["--width", "320", "--height", "180"],
                                        janus=j)

        def firsts(r):
            return {int(m.group(1)): int(m.group(2)) for m in FIRST.finditer(r["roomd"].text())}
        try:
            tap.wait_until(lambda: all(len(firsts(r)) == n - 1 for r in rs), 180,
                           f"every one of {n} roomds decoding each of the {n - 1} others")
        except TimeoutError as e:
            print(f"bench-join: {e}: " + " ".join(f"room{r['n']}={len(firsts(r))}" for r in rs))
            return None
        return [(min(firsts(r).values()), max(firsts(r).values())) for r in rs]
    finally:
        for r in rs:
            if "roomd" in r:
                r["roomd"].stop()
            r["kx"].terminate()
            r["kx"].wait(timeout=20)


def main():
    args = sys.argv[1:]
    use_rtc_call = "--rtc-call" in args
    sizes = [int(a) for a in args if a != "--rtc-call"] or [2, 5, 10]
    with tempfile.TemporaryDirectory(prefix="bench-join-") as tmp:
        os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CA
        keys = os.path.join(tmp, "keys")
        janus.make_keys(keys)
        j = janus.Janus(os.path.join(tmp, "janus"), publishers=max(sizes) + 1).start()
        relay = None
        try:
            base = rooms(j, keys, 1)
            print(f"bench-join: rooms=1 (baseline: rtc-call subscribing to itself) "
                  f"join_to_first_frame_ms={base[0] if base else 'failed'}")
            if not use_rtc_call:
                relay, port, certs = roomproc.start_relay(tmp)
            for n in sizes:
                if use_rtc_call:
                    t = rooms(j, keys, n)
                    if t:
                        print(f"bench-join: rtc-call rooms={n} join_to_first_frame_ms="
                              f"{','.join(map(str, t))} max={max(t)} mean={sum(t) / len(t):.0f}"
                              + (f" max_over_baseline={max(t) / base[0]:.2f}" if base else ""))
                    continue
                t = roomd_rooms(j, tmp, n, port, certs)
                if not t:
                    continue
                first = [a for a, _ in t]
                last = [b for _, b in t]
                print(f"bench-join: roomd rooms={n} first_sender_ms={','.join(map(str, first))} "
                      f"all_senders_ms={','.join(map(str, last))} max_first={max(first)} "
                      f"max_all={max(last)} mean_all={sum(last) / len(last):.0f}"
                      + (f" max_all_over_baseline={max(last) / base[0]:.2f}" if base else ""))
        finally:
            j.stop()
            if relay:
                relay.terminate()
                relay.wait(timeout=10)
    return 0


sys.exit(main())
