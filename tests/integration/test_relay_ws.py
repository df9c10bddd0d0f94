#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""kx_ws (keyxchgd's transport: mbedTLS + wslay) against the relay fixture.

Real TLS with a throwaway CA made here, real WebSocket, on loopback: routing
and presence, the certificate checks (untrusted chain, wrong host name), a
key substitution by the misbehaving relay, and the relay's raw-message log.
TAP output.
"""
import asyncio
import base64
import json
import os
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
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(("ok" if ok else "not ok"), len(results), "-", name, flush=True)
    if not ok and detail:
        for line in str(detail).splitlines()[-20:]:
            print("#", line)


def start_relay(tmp, certs, log):
    port_file = os.path.join(tmp, "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    p = subprocess.Popen([sys.executable, RELAY, "--certs", certs, "--port-file", port_file,
                          "--log", log], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
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

    relay.terminate()
    relay.communicate(timeout=10)
    lines = open(log).read().splitlines()
    raw = [json.loads(l)["raw"] for l in lines]
    check(f"the relay logged every raw message ({len(raw)})",
          any("hello" in x for x in raw) and any(ek in x for x in raw))
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
