#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The panel's Settings end to end on the host, by taps alone (docs/panel.md
"Settings"): room 1 is a real keyxchgd with sealroom-screen and its panel
(soft 1280x720 display, qemu-x86_64's 344 x 194 mm), room 2 a real keyxchgd
driven by kxctl on the second one; two relay fixtures on loopback (two
meeting services with one CA). Checked, screens in $BUILD/test-logs/panel-settings-*.png:

* Settings behind the admin PIN, which keyxchgd checks (check-pin; room 1's
  verifier provisioned in its state directory); Room name -> Change: the keyboard starts
  from the name shown, erase and type, Done: keyxchgd's status has the new
  name and so does the panel;
* Meeting service -> Change, a bad address: keyxchgd's refusal is on the
  panel, nothing changed (status, no state file); a good one (the second
  relay): keyxchgd's status and the panel have it;
* room 1 joins room 2's meeting by taps on the second service: room 2 sees
  room 1's new name (from its knock) and pins its key on admission;
* Reset identity -> the confirmation -> Reset: Home shows the new codeword,
  which is keyxchgd's (status); room 2, which had pinned the old key, says
  room 1 knocks with a CHANGED identity key at the next knock;
* every settings command the panel sent carried the PIN, which the screen's
  log shows as '*' only (no PIN digits in the screen's or keyxchgd's log);
* the PIN changed with kxctl set-admin-pin while Settings are open: the next
  setting is refused and Settings close; the new PIN opens them;
* wrong PINs: keyxchgd's refusals on the panel, the fourth locks 30 s; the
  right PIN during the lockout is not even sent (the panel knows the
  lockout from keyxchgd's answer); a screen on room 2, whose keyxchgd has
  no admin PIN, shows keyxchgd's "settings are locked".
TAP output.
"""
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import tap  # noqa: E402
from tap import check  # noqa: E402
import panel_touch  # noqa: E402
import roomproc  # noqa: E402
from panel_touch import digits_of  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = os.path.join(BUILD, "bin")
LOGS = os.path.join(BUILD, "test-logs")
MEETING = "settings-test"
PIN = "246813"
PIN2 = "8642097"  # set-admin-pin's new one


def save(screen, name):
    return screen.capture(os.path.join(LOGS, f"panel-settings-{name}.png"))


def shown(screen):
    """(room name, codeword, service) of the panel's last "panel: room" line; the
    codeword in keyxchgd's lower case (the panel capitalises it for reading)."""
    lines = screen.lines("panel: room ")
    m = re.match(r'panel: room "(.*)" codeword (\S+) service (\S+)$', lines[-1]) if lines else None
    return (m.group(1), m.group(2).lower(), m.group(3)) if m else (None, None, None)


def main():
    os.makedirs(LOGS, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="panelset-")
    os.chmod(tmp, 0o755)
    relay, port, certs = roomproc.start_relay(tmp)
    relay2, port2, _ = roomproc.start_relay(tmp, certs=certs, name="relay2")
    url2 = f"wss://localhost:{port2}"
    ca = os.path.join(certs, "ca.pem")
    logs = [open(os.path.join(LOGS, f"panel-settings-kx{n}.log"), "w") for n in (1, 2)]
    kx1, sock1, cw1 = roomproc.keyxchgd(BIN, os.path.join(tmp, "kx1"), f"wss://localhost:{port}",
                                        ca, "room-1", logs[0], admin_pin=PIN)
    # Room 2 on the second service from the start (--relay): its keyxchgd has no
    # admin PIN, so its settings are locked.
    kx2, sock2, cw2 = roomproc.keyxchgd(BIN, os.path.join(tmp, "kx2"), url2, ca, "room-2",
                                        logs[1])
    state1 = os.path.join(tmp, "kx1", "state")

    def st1():
        return roomproc.kxctl(BIN, sock1, "status")

    def kx2ctl(*args):
        return roomproc.kxctl(BIN, sock2, *args)

    screen = None
    try:
        screen = panel_touch.screen_in(
            BIN, os.path.join(tmp, "screen1"), "room 1's screen", sock1,
            os.path.join(LOGS, "panel-settings-screen.log"),
            extra=["--room-name", "Room 1", "--meeting", MEETING])
        screen.wait_widget("home.settings")
        screen.wait_for(lambda t: shown(screen)[1] == cw1, "Home with keyxchgd's codeword")

        def type_pin(digits):
            n = screen.text().count("screen: panel: panel-pin-")
            if screen.page()[0] != "pin":   # after a refusal the keypad stays, emptied
                screen.tap("home.settings")
            for d in digits + ">":
                screen.tap_key("pin.keys", d)
            return n

        def limited(answer):
            """Whether keyxchgd's answer is a rate limit's (one settings write per
            5 s; PIN checks one a second, 3 at once: test_kx_pin_flood.py); if so,
            after waiting its "try again in N ms"."""
            if "at most one settings change" not in answer and \
                    "too many PIN checks" not in answer:
                return False
            wait = re.search(r"try again in (\d+) ms", answer)
            time.sleep(min(int(wait.group(1)), 5000) / 1000 if wait else 0.2)
            return True

        def pin_answer(digits):
            """The PIN typed on the page; keyxchgd's answer as the screen logged it.
            Refused by the PIN checks' rate limit (one a second, 3 at once:
            test_kx_pin_flood.py tests it), typed again once its wait is over,
            as a person reading the panel's message would."""
            for _ in range(10):
                n = type_pin(digits)
                screen.wait_for(lambda t: t.count("screen: panel: panel-pin-") > n,
                                "keyxchgd's answer to check-pin")
                answer = screen.lines("screen: panel: panel-pin-")[-1]
                if not limited(answer):
                    return answer
            return answer

        def settings():
            pin_answer(PIN)
            screen.wait_widget("set.room.edit")

        def edit(which, text):
            """Change -> the keyboard: erase what is there, type text, Done."""
            screen.tap(f"set.{which}.edit")
            screen.wait_widget("edit.keys")
            was = {"room": shown(screen)[0], "service": shown(screen)[2]}[which]
            for _ in range(len(was)):
                screen.tap_board("edit.keys", "<")
            screen.type_board("edit.keys", text)
            n = screen.text().count("screen: panel: sent ")
            screen.tap_board("edit.keys", ">")
            screen.wait_for(lambda t: t.count("screen: panel: sent ") > n, f"the {which} request")
            sent = screen.lines("screen: panel: sent ")[-1]
            rid = re.search(r'"id":"(panel-\d+)"', sent).group(1)
            screen.wait_for(lambda t: f"screen: panel: {rid} " in t, f"keyxchgd's answer to {rid}")
            return screen.lines(f"screen: panel: {rid} ")[-1], sent

        def edit_accepted(which, text):
            """edit(), again while a keyxchgd rate limit refuses it."""
            box = {}

            def go():
                box["r"] = edit(which, text)
                return not limited(box["r"][0])
            tap.wait_until(go, 120, f"keyxchgd's rate limit to let the {which} through")
            return box["r"]

        settings()
        save(screen, "settings")
        answer, sent = edit("room", "Board One")
        tap.wait_until(lambda: shown(screen)[0] == "Board One", 20,
                       "the panel showing keyxchgd's new room name")
        check("Room name -> Change: typed on the keyboard, Done sends set-room-name; "
              "keyxchgd and the panel have 'Board One'",
              '"cmd":"set-room-name"' in sent and answer.endswith("done") and
              st1().get("room_name") == "Board One", (sent, answer, st1().get("room_name")))
        answer, sent = edit("service", "wss://local_host")
        screen.wait_widget("set.done")
        save(screen, "service-refused")
        check("a bad service address: keyxchgd's refusal is what the panel says",
              "keyxchgd refused it: not a meeting service address" in answer, answer)
        check("nothing changed: keyxchgd's service, the panel's, no state file",
              st1().get("service") == f"wss://localhost:{port}" and
              shown(screen)[2] == f"wss://localhost:{port}" and
              not os.path.exists(os.path.join(state1, "service-url")),
              (st1().get("service"), shown(screen)))
        answer, sent = edit_accepted("service", url2)
        tap.wait_until(lambda: shown(screen)[2] == url2, 20, "the panel showing the new service")
        check("a good address (the second relay): keyxchgd's status and the panel have it",
              answer.endswith("done") and st1().get("service") == url2, answer)
        screen.tap("set.done")
        screen.wait_widget("home.join")

        # Room 2 hosts on the second service; room 1 joins by taps.
        check("room 2 is on the second service", kx2ctl("status").get("service") == url2)
        rep = kx2ctl("join", "--meeting", MEETING, "--role", "host", "--name", "Room 2")
        code = rep.get("meeting_code", "")

        def join_by_taps():
            screen.tap("home.join")
            for d in digits_of(code):
                screen.tap_key("join.keys", d)
            screen.tap_key("join.keys", ">")
            tap.wait_until(lambda: kx2ctl("status").get("lobby") and
                           kx2ctl("status")["lobby"][-1].get("shown"), 40,
                           "room 1's knock shown at room 2")
            return kx2ctl("status")["lobby"][-1]

        k = join_by_taps()
        kx2ctl("admit", str(k["participant"]), "--codeword", k["codeword"])
        tap.wait_until(lambda: st1().get("state") == "in-meeting", 40, "room 1 admitted")
        people = {p["participant"]: p for p in kx2ctl("status").get("participants", [])}
        check("room 2 sees room 1 as 'Board One' (its knock), on the second service",
              people.get(k["participant"], {}).get("name") == "Board One" and
              f'"room": "{MEETING}"' in open(os.path.join(tmp, "relay2.jsonl")).read() and
              f'"room": "{MEETING}"' not in open(os.path.join(tmp, "relay.jsonl")).read(),
              people)
        screen.wait_for(lambda t: screen.page()[0] == "meeting", "the meeting page")
        screen.show_bar()
        screen.tap("bar.leave")
        tap.wait_until(lambda: st1().get("state") not in ("in-meeting", "lobby"), 30,
                       "room 1 out of the meeting")
        kx2ctl("end")

        # Identity reset.
        screen.wait_widget("home.settings")

        def reset_by_taps():
            """Settings -> Reset identity -> confirm; keyxchgd's answer."""
            settings()
            screen.tap("set.reset")
            screen.wait_widget("reset.confirm")
            save(screen, "reset-confirm")
            n = screen.text().count('"cmd":"reset-identity"')
            screen.tap("reset.confirm")
            screen.wait_for(lambda t: t.count('"cmd":"reset-identity"') > n, "the reset request")
            sent = [ln for ln in screen.lines("screen: panel: sent ") if "reset-identity" in ln][-1]
            rid = re.search(r'"id":"(panel-\d+)"', sent).group(1)
            screen.wait_for(lambda t: f"screen: panel: {rid} " in t, f"keyxchgd's answer to {rid}")
            screen.wait_widget("home.settings")
            return screen.lines(f"screen: panel: {rid} ")[-1]
        # Again while keyxchgd's rate limit (one settings write per 5 s) refuses it.
        tap.wait_until(lambda: not limited(reset_by_taps()), 120,
                       "keyxchgd's rate limits to let the reset through")
        tap.wait_until(lambda: st1().get("codeword") not in (None, cw1), 30,
                       "keyxchgd's new codeword")
        new = st1().get("codeword")
        tap.wait_until(lambda: shown(screen)[1] == new, 30, "Home with the new codeword")
        save(screen, "home-new-codeword")
        check("Reset identity -> confirm: Home shows the new codeword, keyxchgd's "
              f"({cw1} -> {new})", screen.page()[0] == "home" and shown(screen)[1] == new and
              new != cw1 and '"cmd":"reset-identity"' in screen.text(),
              (screen.page()[0], shown(screen), new))
        rep = kx2ctl("join", "--meeting", MEETING, "--role", "host", "--name", "Room 2")
        code = rep.get("meeting_code", "")
        k = join_by_taps()
        log2 = open(os.path.join(LOGS, "panel-settings-kx2.log")).read()
        check("room 2, which pinned room 1's old key, says it knocks with a CHANGED key "
              "(the new codeword)", k.get("codeword") == new and
              f"device room-1 knocks with a CHANGED identity key (codeword {new}" in log2,
              (k, log2[-1500:]))
        kx2ctl("end")

        # The PIN rode on every settings command, as '*' in the log.
        sent = [ln for ln in screen.lines("screen: panel: sent ") if '"cmd":"check-pin"' in ln or
                '"cmd":"set-' in ln or '"cmd":"reset-identity"' in ln]
        check("check-pin and every setting the panel sent carried the PIN, logged as '*'",
              sent and all('"pin":"******"' in ln for ln in sent), sent)
        check("no PIN digits in the screen's log or keyxchgd's",
              PIN not in screen.text() and
              PIN not in open(os.path.join(LOGS, "panel-settings-kx1.log")).read())

        # The PIN changed elsewhere (kxctl set-admin-pin) while Settings are open: the
        # next setting is refused and Settings close, the stale PIN forgotten.
        settings()
        box = {}

        def change_pin():
            # Refused by a rate limit (one settings change every 5 s; the PIN
            # checks', one a second): again once its "try again in N ms" is over.
            box["r"] = roomproc.kxctl(BIN, sock1, "set-admin-pin", pin=f"{PIN}\n{PIN2}")
            return not limited(box["r"].get("error", ""))
        tap.wait_until(change_pin, 60, "keyxchgd's rate limits to let set-admin-pin through")
        check("kxctl set-admin-pin (the current PIN, the new one on stdin) is taken",
              box["r"].get("ok"), box["r"])
        answer, sent = edit("room", "Stale")
        screen.wait_widget("home.settings")
        check("a setting with the PIN keyxchgd no longer takes: refused, Settings close "
              "(Home), the name unchanged", "keyxchgd refused it: wrong PIN" in answer and
              screen.page()[0] == "home" and st1().get("room_name") == "Board One",
              (answer, screen.page()[0], st1().get("room_name")))
        check("the new PIN opens Settings (and clears the count)",
              "admin PIN taken" in pin_answer(PIN2))
        screen.tap("set.done")

        # Wrong PINs: keyxchgd's words on the panel, then its lockout.
        for i, wrong in enumerate(("111111", "222222", "333333")):
            answer = pin_answer(wrong)
            check(f"wrong PIN {i + 1}: keyxchgd's refusal on the panel, the PIN page stays",
                  f"refused: wrong PIN: {2 - i} more before a lockout" in answer and
                  screen.page()[0] == "pin", (answer, screen.page()[0]))
        answer = pin_answer("444444")
        save(screen, "pin-locked")
        check("wrong PIN 4: keyxchgd locks 30 s, the panel says so",
              "refused: wrong PIN: locked for 30000 ms" in answer, answer)
        n = screen.text().count('"cmd":"check-pin"')
        type_pin(PIN2)  # each tap waited for until the screen drew what it left
        check("the right PIN during the lockout is not sent (the panel holds keyxchgd's "
              "lockout), Settings stay shut",
              screen.text().count('"cmd":"check-pin"') == n and screen.page()[0] == "pin",
              screen.page())
        screen.stop()

        # Room 2's keyxchgd has no admin PIN: the panel shows its refusal.
        screen = panel_touch.screen_in(
            BIN, os.path.join(tmp, "screen2"), "room 2's screen", sock2,
            os.path.join(LOGS, "panel-settings-screen2.log"))
        screen.wait_widget("home.settings")
        answer = pin_answer(PIN)
        check("no admin PIN on keyxchgd: the panel shows its 'settings are locked', the PIN "
              "page stays", "refused: no admin PIN is set: settings are locked" in answer and
              screen.page()[0] == "pin", (answer, screen.page()))
    finally:
        if screen:
            screen.stop()
        for p in (kx1, kx2, relay, relay2):
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
        for f in logs:
            f.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.finish()


tap.main(main)
