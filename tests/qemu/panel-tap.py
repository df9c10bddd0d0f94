#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A person's finger on the QEMU room's panel, headless (`make qemu-tap`,
rootfs/run-meeting.sh): vkms has no window, so the panel is read from the
screen's own lines and tapped through QMP, as the image test does.

    panel-tap.py WORK                 the panel's page now: its tap targets
    panel-tap.py WORK WIDGET          a tap in the middle of WIDGET
    panel-tap.py WORK X Y             a tap at pixel X,Y (e.g. on the video: the bar)

WORK is `make qemu-meeting`'s folder: WORK/screen.log is the QEMU room's
screen log (its "screen: display DEVICE WxH" and "panel: page NAME:
id=x,y,w,h ..." lines, forwarded by the image on its results port) and
WORK/qmp.sock QEMU's QMP socket. The click goes into the virtio tablet
(tests/qemu/qmp.py: axes 0..32767 over the screen). Prints what it did and
the screen's answer ("panel: tap X,Y -> WIDGET"); exit 1 with the reason when
the widget is not on the page or no answer comes within 30 s.
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def lines(work):
    try:
        return open(os.path.join(work, "screen.log"), errors="replace").read().splitlines()
    except OSError as e:
        raise SystemExit(f"panel-tap: no screen log in {work} ({e}): is make qemu-meeting running?")


def page(work):
    """(page line, {id: (x, y, w, h)}, (width, height))."""
    ls = lines(work)
    pages = [ln for ln in ls if "panel: page " in ln]
    sizes = [m for ln in ls for m in [re.search(r"screen: display \S+ (\d+)x(\d+)", ln)] if m]
    if not pages or not sizes:
        raise SystemExit("panel-tap: the screen has not drawn its panel yet")
    widgets = {}
    for f in pages[-1].split(":", 2)[-1].split():
        wid, _, rect = f.partition("=")
        widgets[wid] = tuple(int(v) for v in rect.split(","))
    return pages[-1][pages[-1].index("panel: page "):], widgets, tuple(int(v) for v in sizes[-1].groups())


def main():
    if len(sys.argv) not in (2, 3, 4):
        raise SystemExit(__doc__)
    work = sys.argv[1]
    line, widgets, (w, h) = page(work)
    if len(sys.argv) == 2:
        print(line)
        return
    if len(sys.argv) == 4:
        x, y = int(sys.argv[2]), int(sys.argv[3])
    else:
        if sys.argv[2] not in widgets:
            raise SystemExit(f"panel-tap: {sys.argv[2]} is not a tap target now: {line}")
        rx, ry, rw, rh = widgets[sys.argv[2]]
        x, y = rx + rw // 2, ry + rh // 2
    before = sum("panel: tap " in ln for ln in lines(work))
    subprocess.run([sys.executable, os.path.join(HERE, "qmp.py"), os.path.join(work, "qmp.sock"),
                    "click", str(x * 32767 // (w - 1)), str(y * 32767 // (h - 1))], check=True)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        taps = [ln for ln in lines(work) if "panel: tap " in ln]
        if len(taps) > before:
            print(taps[-1][taps[-1].index("panel: tap "):])
            return
        time.sleep(0.2)
    raise SystemExit(f"panel-tap: the screen did not take the tap at {x},{y} within 30 s")


if __name__ == "__main__":
    main()
