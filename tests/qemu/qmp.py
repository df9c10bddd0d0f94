#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The image test's QMP commands to QEMU (tests/qemu/test_qemu_boot.sh).

    qmp.py SOCKET click X Y
    qmp.py SOCKET screendump FILE.png
    qmp.py SOCKET quit

click: a left click on QEMU's virtio tablet through input-send-event. X and
Y are the tablet's absolute axis values (0..32767; QEMU passes them through
unscaled). Two commands, press then release: QEMU syncs after each, so the
guest sees two input frames (a press and a release in one frame would be no
contact at all).

screendump: what the guest's display device scans out (virtio-gpu's scanout
surface), written by QEMU as a PNG; the command returns once the file is
written.

quit: QEMU powers the machine off at once (the product image's test: the
product has nothing that powers it off, and ACPI's power button would need
a daemon it does not run). QEMU may close the socket before its reply.

Prints one line; exit 1 when QEMU refuses.
"""
import json
import socket
import sys


def command(f, sock, cmd, args=None):
    msg = {"execute": cmd}
    if args is not None:
        msg["arguments"] = args
    sock.sendall(json.dumps(msg).encode() + b"\n")
    while True:  # asynchronous events may come first
        reply = json.loads(f.readline())
        if "return" in reply:
            return
        if "error" in reply:
            raise RuntimeError(f"{cmd}: {reply['error']}")


def click(f, sock, x, y):
    move = [{"type": "abs", "data": {"axis": "x", "value": x}},
            {"type": "abs", "data": {"axis": "y", "value": y}}]
    command(f, sock, "input-send-event",
            {"events": move + [{"type": "btn", "data": {"down": True, "button": "left"}}]})
    command(f, sock, "input-send-event",
            {"events": [{"type": "btn", "data": {"down": False, "button": "left"}}]})
    return f"qmp: left click at tablet {x},{y}"


def screendump(f, sock, path):
    command(f, sock, "screendump", {"filename": path, "format": "png"})
    return f"qmp: screendump {path}"


def quit_(f, sock):
    try:
        command(f, sock, "quit")
    except (OSError, ValueError):  # the reply lost with the socket: QEMU is gone
        pass
    return "qmp: quit"


def main():
    path, what = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(path)
    f = sock.makefile("r")
    json.loads(f.readline())  # the greeting
    command(f, sock, "qmp_capabilities")
    if what == "click" and len(sys.argv) == 5:
        print(click(f, sock, int(sys.argv[3]), int(sys.argv[4])))
    elif what == "screendump" and len(sys.argv) == 4:
        print(screendump(f, sock, sys.argv[3]))
    elif what == "quit" and len(sys.argv) == 3:
        print(quit_(f, sock))
    else:
        raise ValueError("usage: qmp.py SOCKET click X Y | screendump FILE.png | quit")


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, RuntimeError, IndexError) as e:
        print(f"qmp: {' '.join(sys.argv[2:3])} failed: {e}")
        sys.exit(1)
