# SPDX-License-Identifier: MIT
"""TAP output and loopback ports for the Python tests."""
import socket

results = []


def check(name, ok, detail=""):
    """One TAP line; on failure the last 40 lines of detail as comments."""
    results.append(bool(ok))
    print(("ok" if ok else "not ok"), len(results), "-", name, flush=True)
    if not ok and detail:
        for line in str(detail).splitlines()[-40:]:
            print("#", line)


def finish():
    """The plan line; the exit status."""
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


def free_ports(n):
    """n UDP ports on 127.0.0.1 that were free a moment ago."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports
