#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The image test's QMP commands to QEMU (tests/qemu/test_qemu_boot.sh).

    qmp.py SOCKET click X Y
    qmp.py SOCKET screendump FILE.png
    qmp.py SOCKET quit
    qmp.py SOCKET nmi

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

nmi: for a guest that stopped answering (the image test's timeout): each
vCPU's instruction pointer, flags and halt state (HMP's `info registers -a`,
one line a vCPU), then an NMI to every vCPU (inject-nmi). A guest booted
with unknown_nmi_panic panics on it and prints the interrupted CPU's stack
with symbol names on its console; with panic=-1 and -no-reboot, QEMU then
exits.

Prints one line (nmi: one a vCPU, then one); exit 1 when QEMU refuses.
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
            return reply["return"]
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


def nmi(f, sock):
    regs = command(f, sock, "human-monitor-command", {"command-line": "info registers -a"})
    cpu = None
    for line in regs.splitlines():
        if line.startswith("CPU#"):
            cpu = line.strip()
        elif line.startswith("RIP=") and cpu:
            rfl = int(line.split("RFL=")[1].split()[0], 16)
            print(f"qmp: {cpu} {line.strip()} interrupts {'on' if rfl & 0x200 else 'off'}")
    command(f, sock, "inject-nmi")
    return "qmp: an NMI sent to every vCPU"


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
    elif what == "nmi" and len(sys.argv) == 3:
        print(nmi(f, sock))
    else:
        raise ValueError("usage: qmp.py SOCKET click X Y | screendump FILE.png | quit | nmi")


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, RuntimeError, IndexError) as e:
        print(f"qmp: {' '.join(sys.argv[2:3])} failed: {e}")
        sys.exit(1)
