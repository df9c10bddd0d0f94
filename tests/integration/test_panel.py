#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The touch panel end to end on the host, by taps alone.

Two rooms, each a real keyxchgd and sealroom-screen with its panel (soft
1280x720 display, qemu-x86_64's 344 x 194 mm), against the relay fixture on
loopback. Taps are evdev records on each screen's --touch-events FIFO (a test
input through libdrv_touch's recognizer), each in the middle of a button
where the screen says it drew it. Checked, with every screen saved as
$BUILD/test-logs/panel-*.png:

* Home on both, each showing its own codeword;
* room 1 taps Start meeting: keyxchgd hosts;
* room 2 taps Join and the meeting code's 25 digits on the keypad, OK:
  keyxchgd knocks with that code;
* room 1's lobby dialog shows room 2's name and codeword (keyxchgd's),
  Admit sends exactly the knock shown (its hash, as keyxchgd's lobby holds
  it), room 2 is admitted: both rooms hold the same epoch and group code,
  room 1's screen has room 2's tile with room 2's codeword;
* room 1 taps the screen (the bar), Participants, Remove on room 2: the keys
  rotate (a new epoch without room 2), room 2's tile goes;
* Security shows; keyxchgd killed: the panel says the service is
  unreachable and the banner never "End-to-end encrypted";
* Settings: keyxchgd checks the admin PIN (room 2's is provisioned in its
  state directory): a wrong PIN keeps Settings shut and the PIN page says
  keyxchgd's refusal; the right one opens them (the screen's log shows the
  check-pin with the PIN as '*'), and the identity reset asks first.
TAP output.
"""
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import tap  # noqa: E402
from tap import check  # noqa: E402
import panel_touch  # noqa: E402
from panel_touch import digits_of  # noqa: E402
from test_screen import Keyxchgd  # noqa: E402
import roomproc  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
PIN = "246813"
LOGS = os.path.join(BUILD, "test-logs")


def save(screen, name):
    return screen.capture(os.path.join(LOGS, f"panel-{name}.png"))


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="panel-")
    os.chmod(tmp, 0o755)    # the rooms' users reach their directories and the CA
    relay, port, certs = roomproc.start_relay(tmp)
    rooms = [Keyxchgd(tmp, n, port, certs, admin_pin=None if n == 1 else PIN) for n in (1, 2)]
    screens = []
    try:
        for n, k in enumerate(rooms, 1):
            screens.append(panel_touch.screen_in(
                BIN, os.path.join(tmp, f"screen{n}"), f"room {n}'s screen", k.sock,
                os.path.join(LOGS, f"panel-screen{n}.log"),
                extra=["--room-name", f"Room {n}", "--meeting", "panel-test"]))
        host, member = screens
        for s, k in zip(screens, rooms):
            s.wait_widget("home.start")
            s.wait_for(lambda t, k=k: k.codeword and "home.start" in t, "Home")
        check("both panels start on Home with Start meeting and Join",
              all(s.page()[0] == "home" and "home.join" in s.page()[1] for s in screens),
              str([s.page() for s in screens]))
        save(host, "home")

        host.tap("home.start")
        tap.wait_until(lambda: rooms[0].status().get("state") == "in-meeting" and
                       rooms[0].status().get("meeting_code"), 30, "room 1 hosting")
        st = rooms[0].status()
        check("a tap on Start meeting: room 1's keyxchgd hosts (join as host sent by the panel)",
              st.get("host") is True and '"cmd":"join"' in host.text() and
              '"role":"host"' in host.text(), str(st)[:300])
        code = st["meeting_code"]

        member.tap("home.join")
        for d in digits_of(code):
            member.tap_key("join.keys", d)
        save(member, "join")
        member.tap_key("join.keys", ">")
        member.wait_for(lambda t: '"role":"member"' in t, "the join request")
        check("room 2 typed the meeting code on its keypad: the panel sent a join with "
              "that code", f'"code":"{code}"' in member.text(),
              [ln for ln in member.text().splitlines() if "sent" in ln][-1:])

        host.wait_widget("lobby.admit")
        host.wait_for(lambda t: "panel: lobby dialog:" in t and "(being derived)" not in
                      host.lines("panel: lobby dialog:")[-1], "the lobby dialog with a codeword")
        shown = host.lines("panel: lobby dialog:")[-1]
        lobby = rooms[0].status().get("lobby", [])
        knock = [k for k in lobby if not k.get("admitted")][-1] if lobby else {}
        check("room 1's lobby dialog shows room 2's name and codeword, as keyxchgd holds "
              "the knock", '"Room 2"' in shown and rooms[1].codeword and
              rooms[1].codeword.lower() in shown.lower() and
              f"knock {knock.get('knock')}" in shown, shown + " / " + str(knock))
        save(host, "lobby")
        time.sleep(1.2)  # no Admit within 1 s of the knock appearing (PANEL_KNOCK_SETTLE_US)
        host.tap("lobby.admit")
        host.wait_for(lambda t: '"cmd":"admit"' in t, "the admit request")
        sent = [ln for ln in host.text().splitlines() if '"cmd":"admit"' in ln][-1]
        check("Admit sends exactly the knock shown (participant and hash)",
              f'"knock":"{knock.get("knock")}"' in sent and
              f'"participant":{knock.get("participant")}' in sent, sent)
        tap.wait_until(lambda: rooms[1].status().get("state") == "in-meeting" and
                       rooms[1].status().get("group_code") and
                       rooms[1].status().get("epoch") == rooms[0].status().get("epoch"), 40,
                       "room 2 admitted and at the host's epoch")
        s1, s2 = rooms[0].status(), rooms[1].status()
        pid = s2["participant"]
        check("room 2 is in the meeting: both rooms hold epoch %s and show the same group "
              "code" % s1.get("epoch"), s1.get("group_code") == s2.get("group_code") and
              s1.get("group_code"), f"{s1.get('group_code')} {s2.get('group_code')}")
        host.wait_for(lambda t: pid in host.tiles(), "room 2's tile on room 1's screen")
        tiles = host.lines("screen: tiles ")[-1]
        check("room 1's screen has room 2's tile labelled with room 2's codeword",
              f"{pid}={rooms[1].codeword.lower()}" in tiles.lower(), tiles)
        save(host, "meeting")
        save(member, "meeting-member")
        member.show_bar()  # the member's bar: Security
        member.tap("bar.security")
        save(member, "security-member")
        check("room 2's Security shows the same group code as room 1's keyxchgd",
              member.page()[0] == "security", str(member.page()))
        member.tap("sec.close")

        epoch = s1["epoch"]
        host.show_bar()  # a tap on the video: the bar
        host.tap("bar.participants")
        save(host, "participants")
        host.tap(f"remove.{pid}")
        tap.wait_until(lambda: rooms[0].status().get("epoch", epoch) > epoch and
                       all(p["participant"] != pid
                           for p in rooms[0].status().get("participants", [])), 40,
                       "the keys rotated without room 2")
        host.wait_for(lambda t: pid not in host.tiles(), "room 2's tile gone")
        check("Participants -> Remove: a new epoch (%s) without room 2, and its tile gone"
              % rooms[0].status().get("epoch"), pid not in host.tiles(),
              host.lines("screen: tiles ")[-1])
        save(host, "after-removal")
        host.tap("people.close")
        host.tap("bar.security")
        save(host, "security")
        check("Security is shown", host.page()[0] == "security", str(host.page()))

        rooms[0].stop()
        host.wait_for(lambda t: "keyxchgd: connection lost" in t, "keyxchgd's loss seen")
        host.wait_widget("home.settings")
        path = save(host, "unreachable")
        check("keyxchgd gone: the panel is back on Home, the banner waits for keys",
              host.page()[0] == "home" and
              host.lines("screen: banner")[-1] == "screen: banner waiting for keys",
              f"{host.page()[0]} {host.lines('screen: banner')[-1:]} {path}")
        # Settings behind the admin PIN, which room 2's keyxchgd checks.
        admin = panel_touch.screen_in(
            BIN, os.path.join(tmp, "screen-admin"), "the admin's screen", rooms[1].sock,
            os.path.join(LOGS, "panel-screen-admin.log"))
        screens.append(admin)

        def type_pin(digits):
            for d in digits:
                admin.tap_key("pin.keys", d)
        admin.tap("home.settings")
        type_pin("135791>")
        admin.wait_for(lambda t: "refused: wrong PIN: 2 more before a lockout" in t,
                       "keyxchgd's answer to the wrong PIN")
        check("a wrong PIN keeps Settings shut; keyxchgd's refusal came back",
              admin.page()[0] == "pin" and "pin.keys" in admin.page()[1], str(admin.page()))
        type_pin(PIN + ">")
        admin.wait_widget("set.reset")
        admin.tap("set.reset")
        admin.wait_widget("reset.confirm")
        save(admin, "settings-reset")
        admin.tap("reset.cancel")
        check("the right PIN opens Settings; the identity reset asks first and Cancel keeps "
              "the identity", admin.page()[0] == "settings" and
              "reset.confirm" not in admin.page()[1] and
              rooms[1].status().get("codeword") == rooms[1].codeword, str(admin.page()))
        sent = [ln for ln in admin.lines("screen: panel: sent ") if "check-pin" in ln]
        check("the screen's log has check-pin with the PIN as '*', never its digits",
              sent and '"pin":"******"' in sent[-1] and PIN not in admin.text() and
              "135791" not in admin.text(), sent)
    finally:
        for s in screens:
            s.stop()
        for k in rooms:
            if k.proc.poll() is None:
                k.stop()
        relay.terminate()
        relay.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.finish()


tap.main(main)
