#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""roomd says when its audio output stalls (roomd-audio.h, the watchdog).

room 1's audio output once stopped for good at the start of a meeting with
nothing said (test_roomd_removed, 2 runs of ~10 under load; not reproduced
since). A stall must not be silent: once the pipeline is PLAYING and no level
has come for 10 s, roomd prints one line saying where the audio stands.

One keyxchgd room hosts a meeting alone through the signaling relay fixture
and roomd runs (its audio output mixing the silence alone):

* with the default sink (fakesink sync=true): level lines once a second, no
  stall line in 15 s;
* with a sink whose every buffer waits an hour (fakesink ts-offset=1 h): the
  output stalls at its first buffer, and roomd says so in one line, naming the
  mixer's output flow and the sink's last buffer against the running time.

TAP output.
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import roomproc  # noqa: E402
import tap  # noqa: E402
import users  # noqa: E402
from test_roomd import BIN, LOGS, keyxchgd  # noqa: E402

STALLED = "roomd: the audio output stalled:"
HOUR_NS = 3600 * 10**9


def run_roomd(tmp, room, env, tag, sink, seconds):
    """roomd of room with --audio-sink sink for seconds (after "roomd ready"),
    stopped; its Proc."""
    sd = users.frames_dir(os.path.join(tmp, f"screen-{tag}"))
    rd = roomproc.Roomd(BIN, f"roomd ({tag})", room["sock"], os.path.join(sd, "frames.sock"),
                        tuple(tap.free_ports(2)), roomproc.rx_base([room["pid"]]), room["pid"],
                        os.path.join(LOGS, f"audio-watch-{tag}.log"), env,
                        ["--codeword", room["codeword"], "--audio-sink", sink])
    end = time.monotonic() + seconds
    tap.wait_until(lambda: time.monotonic() > end or STALLED in rd.text() or
                   rd.proc.poll() is not None, seconds + 5, f"roomd ({tag}) for {seconds} s")
    rc = rd.stop()
    return rd, rc


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="roomd-audio-watch-")
    os.chmod(tmp, 0o755)
    env = dict(os.environ)
    relay, port, certs = roomproc.start_relay(tmp)
    one = keyxchgd(tmp, 1, port, certs)
    try:
        roomproc.meeting(BIN, [one], "audio-watch")

        rd, rc = run_roomd(tmp, one, env, "default", "fakesink sync=true", 15)
        levels = rd.lines("roomd audio-out:")
        said = STALLED in rd.text()
        check(f"the default sink: {len(levels)} level lines in 15 s (5 or more), stall "
              f"{'said' if said else 'not said'}, exit {rc}",
              len(levels) >= 5 and not said and rc == 0, rd.text()[-1500:])

        rd, rc = run_roomd(tmp, one, env, "hour-late",
                           f"fakesink sync=true ts-offset={HOUR_NS}", 60)
        lines = rd.text().splitlines()
        said = [ln for ln in lines if ln.startswith(STALLED)]
        # A level line or two may come before the sink holds the first buffer
        # (a second of audio through level while the pipeline prerolls, seen on
        # a fresh machine); none may come after the stall was said.
        after = lines[lines.index(said[0]) + 1:] if said else []
        check(f"a sink that waits an hour: the stall said in one line within 60 s, with "
              f"the mixer's output flow and the sink's last buffer, and no level after it "
              f"({said[:1]})",
              len(said) == 1 and "no level for" in said[0] and
              "mixer output flow" in said[0] and "sink's last buffer" in said[0] and
              not [ln for ln in after if ln.startswith("roomd audio-out:")],
              rd.text()[-1500:])
        check(f"roomd with the stalled output still exits 0 at SIGTERM ({rc})", rc == 0)
    finally:
        roomproc.stop_all([], [one], relay)
    return finish()


if __name__ == "__main__":
    tap.main(main)
