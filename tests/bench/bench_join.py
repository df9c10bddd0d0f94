#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench-join: time from join to the first decrypted frame through Janus.

Janus on loopback in a network namespace (tests/fixtures/janus.py). N rooms
(rtc-call each: WebSocket TLS to Janus, session, publish H.264 and Opus
through libnice + DTLS-SRTP, then subscribe to the next room's feed once it
is listed, ICE and DTLS again, the first keyframe decrypted and decoded)
started together; each prints join_to_first_frame_ms, from its start to its
first decoded frame. The baseline in the same run: one room subscribing to
itself. Prints figures; never fails on speed.

    bench_join.py [N ...]      (default: 2 5; root, for the namespace)
"""
import os
import subprocess
import sys
import tempfile

BUILD = os.environ.get("BUILD", "build")
os.environ.setdefault("GST_PLUGIN_PATH", os.path.abspath(os.path.join(BUILD, "lib", "gstreamer-1.0")))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import janus  # noqa: E402  (it finds tests/lib itself)

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


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [2, 5]
    with tempfile.TemporaryDirectory(prefix="bench-join-") as tmp:
        keys = os.path.join(tmp, "keys")
        janus.make_keys(keys)
        j = janus.Janus(os.path.join(tmp, "janus"), publishers=max(sizes) + 1).start()
        try:
            base = rooms(j, keys, 1)
            print(f"bench-join: rooms=1 (baseline, subscribing to itself) "
                  f"join_to_first_frame_ms={base[0] if base else 'failed'}")
            for n in sizes:
                t = rooms(j, keys, n)
                if not t:
                    continue
                print(f"bench-join: rooms={n} join_to_first_frame_ms="
                      f"{','.join(map(str, t))} max={max(t)} mean={sum(t) / len(t):.0f}"
                      + (f" max_over_baseline={max(t) / base[0]:.2f}" if base else ""))
        finally:
            j.stop()
    return 0


sys.exit(main())
