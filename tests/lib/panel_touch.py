# SPDX-License-Identifier: MIT
"""sealroom-screen with its touch panel, driven by taps, for make run and
tests/integration/test_panel.py.

Taps go in as evdev records (struct input_event: EV_ABS ABS_X/ABS_Y on the
axes 0..32767, EV_KEY BTN_TOUCH 1, EV_SYN, then BTN_TOUCH 0, EV_SYN) written
to a FIFO that sealroom-screen reads with --touch-events, a TEST INPUT fed to
the same libdrv_touch recognizer as the board's touch device. Where to tap
comes from the screen's own "panel: page NAME: id=x,y,w,h ..." lines: a tap
lands in the middle of the widget as it is drawn now.
"""
import math
import os
import re
import struct
import time

import roomproc
import tap
import users

EV_SYN, EV_KEY, EV_ABS = 0, 1, 3
SYN_REPORT, BTN_TOUCH, ABS_X, ABS_Y = 0, 0x14a, 0, 1
AXIS_MAX = 32767
# The board's screen for the soft 1280x720 display: qemu-x86_64's 344 x 194 mm.
SCREEN_MM = "344x194"


def digits_of(code):
    """The meeting code as the panel's keypad takes it: each proquint as 5 digits."""
    c, v, out = "bdfghjklmnprstvz", "aiou", ""
    for q in code.split("-"):
        n = ((c.index(q[0]) << 12) | (v.index(q[1]) << 10) | (c.index(q[2]) << 6) |
             (v.index(q[3]) << 4) | c.index(q[4]))
        out += f"{n:05d}"
    return out


def _ev(t, etype, code, value):
    sec = int(t)
    return struct.pack("llHHi", sec, int((t - sec) * 1e6), etype, code, value)


def tap_records(x, y, width, height, t=None):
    """A tap at pixel (x, y) of a width x height screen, as evdev records."""
    t = time.monotonic() if t is None else t
    ax = round(x * AXIS_MAX / (width - 1))
    ay = round(y * AXIS_MAX / (height - 1))
    down = (_ev(t, EV_ABS, ABS_X, ax) + _ev(t, EV_ABS, ABS_Y, ay) +
            _ev(t, EV_KEY, BTN_TOUCH, 1) + _ev(t, EV_SYN, SYN_REPORT, 0))
    up = _ev(t + 0.08, EV_KEY, BTN_TOUCH, 0) + _ev(t + 0.08, EV_SYN, SYN_REPORT, 0)
    return down + up


class PanelScreen(roomproc.Proc):
    """sealroom-screen on the soft display with its panel and a FIFO of taps, as
    the screen's user (tests/lib/users.py); png, frames and fifo in a
    users.frames_dir."""

    def __init__(self, bindir, name, png, frames, control, log, fifo, size="1280x720",
                 extra=()):
        self.png, self.fifo = png, fifo
        self.width, self.height = (int(v) for v in size.split("x"))
        if os.path.exists(fifo):
            os.unlink(fifo)
        os.mkfifo(fifo, 0o600)
        users.own(fifo, users.SCREEN, 0o600)    # the screen's user reads the taps
        super().__init__(name, users.screen([os.path.join(bindir, "sealroom-screen"),
                                             "--display", "soft", "--display-size", size,
                                             "--display-capture", png, "--frames", frames,
                                             "--roomd-uid", str(users.MEDIA),
                                             "--control", control, "--screen-mm", SCREEN_MM,
                                             "--touch-events", fifo,
                                             # The bar stays 60 s after a tap, not 5:
                                             # on a loaded machine (CI) the next tap may
                                             # be taken more than 5 s later.
                                             "--bar-seconds", "60", *extra]), log)
        self.wait_for(lambda t: "listening on" in t and "panel: page" in t,
                      "the frame socket and the panel's first page")
        # Opened for writing once the screen holds it open (O_RDWR on its side).
        self.out = open(fifo, "wb", buffering=0)

    def page(self):
        """(page name, {widget id: (x, y, w, h)}) of the last page line."""
        lines = self.lines("panel: page ")
        if not lines:
            return None, {}
        m = re.match(r"panel: page (\S+)[^:]*:(.*)", lines[-1])
        widgets = {}
        for f in m.group(2).split():
            wid, rect = f.split("=")
            widgets[wid] = tuple(int(v) for v in rect.split(","))
        return m.group(1), widgets

    def wait_widget(self, wid, seconds=30):
        """Waits until widget wid is a tap target on the page; returns its rectangle."""
        tap.wait_until(lambda: wid in self.page()[1] or self.proc.poll() is not None, seconds,
                       f"{self.name}: the panel showing {wid}")
        if wid not in self.page()[1]:
            raise RuntimeError(f"{self.name} ended (status {self.proc.poll()}) before showing "
                               f"{wid}; its last lines: {self.text()[-1500:]}")
        return self.page()[1][wid]

    def tap_at(self, x, y):
        """A tap; returns its line once the screen printed the page the tap left."""
        n = self.text().count("panel: tap ")
        self.out.write(tap_records(x, y, self.width, self.height))

        def done(t):
            taps = t.count("panel: tap ")
            return taps > n and "panel: page " in t[t.rfind("panel: tap "):]
        self.wait_for(done, f"the tap at {x},{y} recognized and its page drawn")
        return self.lines("panel: tap ")[-1]

    def show_bar(self, seconds=30):
        """The in-meeting bar: when the page shows none of its buttons, a tap on the
        video brings it (a tap there while it shows would send it away)."""
        page, widgets = self.page()
        if page == "meeting" and not any(w.startswith("bar.") for w in widgets):
            self.tap_at(self.width // 2, self.height // 3)
            self.wait_widget("bar.participants", seconds)

    def tap(self, wid, seconds=30, tries=3):
        """Taps the middle of widget wid as drawn now; returns the screen's tap line.

        The in-meeting bar hides 5 s after the last tap; on a loaded machine the
        screen may take the next tap after that, and it then hits nothing (and
        brings the bar back): such a miss is said and the tap made again, at most
        tries times in all."""
        for attempt in range(tries):
            if wid.startswith("bar."):
                self.show_bar(seconds)
            x, y, w, h = self.wait_widget(wid, seconds)
            line = self.tap_at(x + w // 2, y + h // 2)
            if line.endswith(f"-> {wid}"):
                return line
            if not (line.endswith("-> nothing") and wid.startswith("bar.")):
                break
            print(f"   ({self.name}: the tap on {wid} came after the bar hid: again)")
        raise RuntimeError(f"{self.name}: a tap in the middle of {wid} hit something "
                           f"else: {line}")

    def _keys_area(self, wid):
        """Keypad or keyboard wid: its rectangle, the 2 mm gap and the top of its keys
        (under the 16 mm entry), in pixels rounded up as panel_mm does."""
        x, y, w, h = self.wait_widget(wid)
        mw, mh = (int(v) for v in SCREEN_MM.split("x"))
        ppm = min(self.width / mw, self.height / mh)
        gap = math.ceil(2 * ppm - 1e-6)
        return x, y, w, h, gap, y + math.ceil(16 * ppm - 1e-6) + gap

    def tap_key(self, wid, key):
        """Taps key ('0'..'9', '<' erase, '>' OK) of keypad wid, where
        panel_keypad_layout puts it: a 16 mm entry, then 3 x 4 keys with 2 mm gaps
        (millimetres rounded up to pixels, as panel_mm does)."""
        x, y, w, h, gap, top = self._keys_area(wid)
        kw, kh = (w - 2 * gap) // 3, (y + h - top - 3 * gap) // 4
        i = "123456789<0>".index(key)
        line = self.tap_at(x + (i % 3) * (kw + gap) + kw // 2,
                           top + (i // 3) * (kh + gap) + kh // 2)
        if not line.endswith(f"-> {wid} key {key}"):
            raise RuntimeError(f"{self.name}: the tap on key {key} of {wid} hit {line}")
        return line

    # panel_keyboard_layout's keys (panel/keyboard.c): 5 rows of 10 units.
    BOARD = "1234567890qwertyuiopasdfghjkl:^zxcvbnm./!-_ <>"

    def tap_board(self, wid, key):
        """Taps key of keyboard wid ('^' shift, '<' erase, '>' Done, '!' Cancel), where
        panel_keyboard_layout puts it: a 16 mm entry, then 5 rows of 10 units with
        2 mm gaps (Cancel and Done 2 units, space 3)."""
        x, y, w, h, gap, top = self._keys_area(wid)
        uw, kh = (w - 9 * gap) // 10, (y + h - top - 4 * gap) // 5
        row = unit = 0
        for k in self.BOARD:
            span = 3 if k == " " else 2 if k in "!>" else 1
            if unit + span > 10:
                row, unit = row + 1, 0
            if k == key:
                break
            unit += span
        kw = span * uw + (span - 1) * gap
        line = self.tap_at(x + unit * (uw + gap) + kw // 2, top + row * (kh + gap) + kh // 2)
        if not line.endswith(f"-> {wid} key {key}"):
            raise RuntimeError(f"{self.name}: the tap on key {key!r} of {wid} hit {line}")
        return line

    def type_board(self, wid, text):
        """Types text on keyboard wid: shift before each capital."""
        for c in text:
            if c.isupper():
                self.tap_board(wid, "^")
            self.tap_board(wid, c.lower())

    def capture(self, dst):
        return roomproc.Screen.capture(self, dst)

    def stats(self):
        return roomproc.Screen.stats(self)

    def tiles(self):
        return roomproc.Screen.tiles(self)


def screen_in(bindir, path, name, control, log, extra=()):
    """A PanelScreen whose capture (screen.png), frame socket (frames.sock) and
    touch FIFO (touch) are in path, made a users.frames_dir."""
    sd = users.frames_dir(path)
    return PanelScreen(bindir, name, os.path.join(sd, "screen.png"),
                       os.path.join(sd, "frames.sock"), control, log,
                       os.path.join(sd, "touch"), extra=extra)
