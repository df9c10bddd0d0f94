#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""kx_ws (keyxchgd's transport: mbedTLS + wslay) against the relay fixture.

Real TLS with a throwaway CA made here, real WebSocket, on loopback: routing
and presence, the certificate checks (untrusted chain, wrong host name), a
key substitution by the misbehaving relay, and the relay's raw-message log.
Then the transport against a relay that misbehaves below the messages: one
that accepts TCP and never answers TLS, a wrong Sec-WebSocket-Accept, an
extension that was not offered, one that goes silent (no pongs), and a
message above the client's limit; and the keepalive keeping a live relay.
Each failure is checked by its error and the order of events, never by time.
TAP output.
"""
import asyncio
import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import websockets

BUILD = os.environ.get("BUILD", "build")
KXWS = os.path.join(BUILD, "bin", "kxws")
HERE = os.path.dirname(os.path.abspath(__file__))
RELAY = os.path.join(HERE, "..", "fixtures", "relay.py")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import tap  # noqa: E402


def start_relay(tmp, certs, log, *flags):
    port_file = os.path.join(tmp, "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    p = subprocess.Popen([sys.executable, RELAY, "--certs", certs, "--port-file", port_file,
                          "--log", log, *flags], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    for _ in range(200):
        if os.path.exists(port_file):
            return p, int(open(port_file).read())
        if p.poll() is not None:
            break
        time.sleep(0.05)
    return p, 0


def kxws(ca, url, *args, timeout=20):
    return subprocess.run([KXWS, "--ca", ca, *args, url], capture_output=True, text=True,
                          timeout=timeout)


def kxws_merged(ca, url, *args, timeout=60):
    """kxws with stderr and stdout on one pipe: its lines in the order it wrote them."""
    r = subprocess.run([KXWS, "--ca", ca, *args, url], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return r.returncode, r.stdout.splitlines()


def events(log):
    return [json.loads(l)["raw"] for l in open(log).read().splitlines()
            if json.loads(l)["dir"] == "event"]


def order(lines, *needles):
    """Index of the first line holding each needle (-1 if none)."""
    return [next((i for i, l in enumerate(lines) if n in l), -1) for n in needles]


def messages(out):
    res = []
    for line in out.splitlines():
        try:
            res.append(json.loads(line))
        except ValueError:
            pass
    return res


async def control(port, ca, cmd):
    ctx = ssl.create_default_context(cafile=ca)
    async with websockets.connect(f"wss://localhost:{port}/control", ssl=ctx) as ws:
        await ws.send(json.dumps(cmd))
        return json.loads(await ws.recv())


def main():
    if not os.access(KXWS, os.X_OK):
        print(f"Bail out! {KXWS} not built")
        return 1
    tmp = tempfile.mkdtemp(prefix="kx-relay-")
    certs, other = os.path.join(tmp, "certs"), os.path.join(tmp, "other")
    for d in (certs, other):
        subprocess.run([sys.executable, RELAY, "--make-certs", d], check=True)
    log = os.path.join(tmp, "relay.jsonl")
    relay, port = start_relay(tmp, certs, log)
    check("relay listens with TLS", port > 0)
    ca = os.path.join(certs, "ca.pem")
    url = f"wss://localhost:{port}/v1/rooms/meeting-1"

    # A waits for B's message; B sends once welcomed.
    a = subprocess.Popen([KXWS, "--ca", ca, "--count", "3", "--seconds", "15", url],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    body = {"hello": "world", "n": 1}
    b = kxws(ca, url, "--count", "1", "--seconds", "10", "--send",
             json.dumps({"type": "send", "to": "*", "body": body}))
    aout, aerr = a.communicate(timeout=30)
    am, bm = messages(aout), messages(b.stdout)
    check("B is welcomed with A present",
          b.returncode == 0 and bm and bm[0].get("type") == "welcome"
          and bm[0].get("participants") == ["p1"], b.stdout + b.stderr)
    check("A sees B join", any(m.get("type") == "presence" and m.get("event") == "joined"
                               for m in am), aout + aerr)
    got = [m for m in am if m.get("type") == "message"]
    check("A receives B's message, from p2, as sent",
          got and got[0].get("from") == "p2" and got[0].get("body") == body, aout + aerr)

    r = kxws(os.path.join(other, "ca.pem"), url, "--count", "1", "--timeout-ms", "5000")
    check("a relay whose chain is not trusted is refused",
          r.returncode == 1 and "not trusted" in r.stderr, r.stdout + r.stderr)
    r = kxws(ca, f"wss://127.0.0.1:{port}/v1/rooms/meeting-1", "--count", "1",
             "--timeout-ms", "5000")
    check("a certificate for another host name is refused",
          r.returncode == 1 and "not for this host" in r.stderr, r.stdout + r.stderr)

    # The relay replaces a meeting key on its way: the receiver sees another one.
    res = asyncio.run(control(port, ca, {"cmd": "set", "name": "swap_field", "value": "ek"}))
    check("control: swap_field set", res.get("ok"), res)
    ek = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    a = subprocess.Popen([KXWS, "--ca", ca, "--count", "3", "--seconds", "15", url],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    kxws(ca, url, "--count", "1", "--seconds", "10", "--send",
         json.dumps({"type": "send", "to": "*", "body": {"ek": ek}}))
    aout, _ = a.communicate(timeout=30)
    got = [m for m in messages(aout) if m.get("type") == "message"]
    check("the misbehaving relay substituted the key (same length, other value)",
          got and got[0]["body"]["ek"] != ek and len(got[0]["body"]["ek"]) == len(ek), aout)

    asyncio.run(control(port, ca, {"cmd": "set", "name": "swap_field", "value": None}))

    # The keepalive keeps a live relay: pings every 100 ms, given up after 1 s
    # of silence, for 4 s (the relay's pongs are what keeps it).
    rc, out = kxws_merged(ca, url, "--ping-ms", "100", "--idle-ms", "1000", "--seconds", "4")
    check("pings answered by pongs keep the connection (4 s with a 1 s idle limit)",
          rc == 0 and out and out[0] == "kxws: connected"
          and not any("connection lost" in l for l in out), out)

    # Wrong Sec-WebSocket-Accept: refused before any message.
    asyncio.run(control(port, ca, {"cmd": "set", "name": "bad_accept", "value": True}))
    rc, out = kxws_merged(ca, url, "--timeout-ms", "5000", "--count", "1")
    check("a wrong Sec-WebSocket-Accept is refused, before any message",
          rc == 1 and any("Sec-WebSocket-Accept is wrong" in l for l in out)
          and not any("connected" in l or "welcome" in l for l in out)
          and any("instead of" in e for e in events(log)), out)
    asyncio.run(control(port, ca, {"cmd": "set", "name": "bad_accept", "value": False}))

    # An extension the client did not offer.
    asyncio.run(control(port, ca, {"cmd": "set", "name": "offer_extension", "value": True}))
    rc, out = kxws_merged(ca, url, "--timeout-ms", "5000", "--count", "1")
    check("an extension that was not offered is refused, before any message",
          rc == 1 and any("extension that was not offered" in l for l in out)
          and not any("connected" in l or "welcome" in l for l in out)
          and "upgrade answered with an extension" in events(log), out)
    asyncio.run(control(port, ca, {"cmd": "set", "name": "offer_extension", "value": False}))

    # A message above the client's limit ends the connection (1009).
    a = subprocess.Popen([KXWS, "--ca", ca, "--max-message", "300", "--count", "10",
                          "--seconds", "20", url], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    time.sleep(0.5)
    kxws(ca, url, "--count", "1", "--seconds", "10", "--send",
         json.dumps({"type": "send", "to": "*", "body": {"big": "x" * 1000}}))
    aout, _ = a.communicate(timeout=30)
    lines = aout.splitlines()
    i_conn, i_welcome, i_lost = order(lines, "kxws: connected", '"welcome"', "too large")
    check("a message above the limit ends the connection: connected, welcome, then lost",
          a.returncode == 1 and -1 < i_conn < i_welcome < i_lost
          and not any('"big"' in l for l in lines), aout)

    # The relay goes silent after its welcome: the keepalive gives up.
    asyncio.run(control(port, ca, {"cmd": "set", "name": "mute", "value": True}))
    rc, out = kxws_merged(ca, url, "--ping-ms", "100", "--idle-ms", "1000",
                          "--seconds", "40")
    i_conn, i_welcome, i_lost = order(out, "kxws: connected", '"welcome"',
                                      "connection lost: the relay went silent")
    check("a relay gone silent: connected, welcome, then given up (timed out)",
          rc == 1 and -1 < i_conn < i_welcome < i_lost and "timed out" in out[i_lost]
          and "muted" in events(log), out)
    asyncio.run(control(port, ca, {"cmd": "set", "name": "mute", "value": False}))

    relay.terminate()
    relay.communicate(timeout=10)
    lines = open(log).read().splitlines()
    raw = [json.loads(l)["raw"] for l in lines]
    check(f"the relay logged every raw message ({len(raw)})",
          any("hello" in x for x in raw) and any(ek in x for x in raw))

    # Nobody listening (a port just bound and closed again).
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed_port = s.getsockname()[1]
    s.close()
    rc, out = kxws_merged(ca, f"wss://localhost:{closed_port}/v1/rooms/meeting-1",
                          "--timeout-ms", "5000", "--count", "1")
    check("nobody listening: refused at once, said so",
          rc == 1 and any("cannot reach the relay" in l and "refused" in l for l in out), out)

    # A relay that accepts TCP and never answers TLS.
    mute_log = os.path.join(tmp, "mute-tls.jsonl")
    relay, port = start_relay(tmp, certs, mute_log, "--mute-tls")
    check("a TLS-mute relay listens", port > 0)
    rc, out = kxws_merged(ca, f"wss://localhost:{port}/v1/rooms/meeting-1",
                          "--timeout-ms", "1500", "--count", "1")
    relay.terminate()
    relay.communicate(timeout=10)
    check("a relay that never answers TLS: TCP accepted, then the handshake given up",
          rc == 1 and any("did not complete the TLS handshake in time" in l
                          and "timed out" in l for l in out)
          and not any("connected" in l for l in out)
          and any("TLS never answered" in e for e in events(mute_log)), out)

    # A client that pumps too late for the relay's own keepalive (a loaded
    # bench-keying with 1000 connections): the relay closes with 1011, and the
    # error is the relay's reason, not a failed ping of our own after it.
    ka_log = os.path.join(tmp, "keepalive.jsonl")
    relay, port = start_relay(tmp, certs, ka_log, "--ping-interval", "0.5",
                              "--ping-timeout", "1")
    a = subprocess.Popen([KXWS, "--ca", ca, "--ping-ms", "200", "--idle-ms", "60000",
                          "--seconds", "30", f"wss://localhost:{port}/v1/rooms/meeting-1"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in a.stdout:
        seen.append(line.rstrip("\n"))
        if '"welcome"' in line:
            break
    a.send_signal(signal.SIGSTOP)      # no pong for 3 s: more than the relay's 1.5 s
    time.sleep(3)
    a.send_signal(signal.SIGCONT)
    rest, _ = a.communicate(timeout=60)
    out = seen + rest.splitlines()
    relay.terminate()
    relay.communicate(timeout=10)
    check("a client stopped past the relay's keepalive: the relay's close (status 1011) is "
          "the error, not \"cannot queue a ping\"",
          a.returncode == 1 and any('"welcome"' in l for l in out) and
          any("connection lost: the relay closed the connection (status 1011)" in l
              for l in out) and not any("cannot queue a ping" in l for l in out), out)
    return finish()


if __name__ == "__main__":
    tap.main(main)
