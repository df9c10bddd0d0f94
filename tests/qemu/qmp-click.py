#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A left click on QEMU's virtio tablet through QMP's input-send-event.

    qmp-click.py SOCKET X Y

X and Y are the tablet's absolute axis values (0..32767; QEMU passes them
through unscaled). Two commands, press then release: QEMU syncs after each,
so the guest sees two input frames (a press and a release in one frame
would be no contact at all). Prints one line; exit 1 when QEMU refuses.
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


def main():
    path, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(path)
    f = sock.makefile("r")
    json.loads(f.readline())  # the greeting
    command(f, sock, "qmp_capabilities")
    move = [{"type": "abs", "data": {"axis": "x", "value": x}},
            {"type": "abs", "data": {"axis": "y", "value": y}}]
    command(f, sock, "input-send-event",
            {"events": move + [{"type": "btn", "data": {"down": True, "button": "left"}}]})
    command(f, sock, "input-send-event",
            {"events": [{"type": "btn", "data": {"down": False, "button": "left"}}]})
    print(f"qmp: left click at tablet {x},{y}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, RuntimeError) as e:
        print(f"qmp: click failed: {e}")
        sys.exit(1)
