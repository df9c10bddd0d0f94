#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""keyxchgd's sync on the panel (docs/panel.md "States people must see").

Two real keyxchgd rooms (--takeover-after 6: the liveness bound L = T/2 = 3 s,
PROTOCOL.md 6.6) on the relay fixture; the member's sealroom-screen with its
panel (soft 1280x720, qemu-x86_64's 344 x 194 mm) on its keyxchgd. The relay
withholds everything the host sends from the member (drop_pairs): the
member's keyxchgd goes out of sync and stops sending, and its panel shows the
card "Out of sync: this room stopped sending" with keyxchgd's reason (the
screen's "panel: card" line, the same words as keyxchgd's sync_reason), the
banner never "End-to-end encrypted", the bar's Security "NOT sending". The
relay lets the host through again: keyxchgd is in sync, and the card goes.
Screens in $BUILD/test-logs/panel-sync-*.png. TAP output.
"""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import tap  # noqa: E402
from tap import check  # noqa: E402
import panel_touch  # noqa: E402
import users  # noqa: E402
from test_keying import Relay, Room, admit, wait_until  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
LOGS = os.path.join(BUILD, "test-logs")
T = 6  # --takeover-after: L = T/2 = 3 s


def card(screen):
    lines = screen.lines("panel: card ")
    return lines[-1][len("panel: card "):] if lines else ""


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="panel-sync-")
    os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CA
    relay = Relay(tmp)
    args = ["--takeover-after", str(T), *users.keyxchgd_peers()]
    h, m = Room(tmp, 1, relay, args), Room(tmp, 2, relay, args)
    screen = None
    try:
        check("both keyxchgd start", h.codeword and m.codeword, (h.codeword, m.codeword))
        for r in (h, m):
            r.subscribe()
        sd = users.frames_dir(os.path.join(tmp, "screen2"))
        screen = panel_touch.PanelScreen(
            BIN, "room 2's screen", os.path.join(sd, "screen.png"),
            os.path.join(sd, "frames.sock"), m.sock,
            os.path.join(LOGS, "panel-sync-screen.log"), os.path.join(sd, "touch"),
            extra=["--room-name", "Room 2"])
        h.ctl("join", "--meeting", "panel-sync", "--role", "host", "--name", "Room 1")
        ok, rep = admit(h, m, "panel-sync")
        ok = ok and wait_until(lambda: m.status().get("state") == "in-meeting" and
                               m.status().get("group_code") and
                               m.status().get("sync") == "in-sync", 40, [h, m])
        check("room 2 is admitted, holds the epoch's secret and is in sync", ok,
              (rep, m.status().get("state"), m.status().get("sync")))
        screen.wait_for(lambda t: "banner end-to-end encrypted" in t,
                        "room 2's banner: end-to-end encrypted")
        check("in sync: no state card on room 2's panel", card(screen) == "none", card(screen))

        hid, mid = h.status().get("participant"), m.status().get("participant")
        relay.control({"cmd": "set", "name": "drop_pairs", "value": [[f"p{hid}", f"p{mid}"]]})
        t0 = time.monotonic()
        out = wait_until(lambda: m.status().get("sync") == "out-of-sync", 30, [h, m])
        took = time.monotonic() - t0
        reason = m.status().get("sync_reason", "")
        screen.wait_for(lambda t: card(screen).startswith("Out of sync"),
                        "the out-of-sync card on room 2's panel")
        shown = card(screen)
        check(f"the host's word withheld: room 2's keyxchgd is out of sync after {took:.1f} s "
              f"(L = {T / 2:g} s) and its panel shows the card with keyxchgd's reason",
              out and shown.startswith("Out of sync: this room stopped sending:") and
              reason and reason in shown, (out, reason, shown))
        screen.wait_for(lambda t: screen.lines("screen: banner")[-1:] ==
                        ["screen: banner waiting for keys"], "the banner's claim withdrawn")
        check("out of sync: the banner no longer says end-to-end encrypted",
              screen.lines("screen: banner")[-1] == "screen: banner waiting for keys",
              screen.lines("screen: banner")[-1:])
        screen.show_bar()
        screen.tap("bar.security")
        screen.capture(os.path.join(LOGS, "panel-sync-out-of-sync.png"))
        check("Security is shown while out of sync", screen.page()[0] == "security",
              str(screen.page()))
        screen.tap("sec.close")

        relay.control({"cmd": "set", "name": "drop_pairs", "value": None})
        # Back in sync, the member may ask for a fresh epoch (PROTOCOL.md 6.6):
        # its panel then says "Waiting for keys" until the sealed secret comes,
        # rightly. What must come is a moment where keyxchgd is in sync with the
        # epoch's secret held and the panel shows no card.
        def settled():
            st = m.status()
            return st.get("sync") == "in-sync" and bool(st.get("group_code")) and \
                card(screen) == "none"
        back = wait_until(settled, 40, [h, m])
        screen.capture(os.path.join(LOGS, "panel-sync-back.png"))
        check("the relay lets the host through: room 2 is in sync again, holds the epoch's "
              "secret, and the card is gone", back,
              (m.status().get("sync"), m.status().get("group_code"), card(screen)))
        screen.wait_for(lambda t: screen.lines("screen: banner")[-1:] ==
                        ["screen: banner end-to-end encrypted"], "the banner back", seconds=40)
        check("in sync again: the banner says end-to-end encrypted",
              screen.lines("screen: banner")[-1] == "screen: banner end-to-end encrypted",
              screen.lines("screen: banner")[-1:])
    finally:
        if screen:
            screen.stop()
        for r in (h, m):
            r.stop()
        relay.stop()
    return tap.finish()


if __name__ == "__main__":
    tap.main(main)
