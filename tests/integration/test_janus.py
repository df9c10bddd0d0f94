#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Janus fixture (tests/fixtures/janus.py) on its own: Janus starts on
loopback in the test's network namespace with the configuration the fixture
writes, answers its WebSocket API over TLS (checked against the fixture's
throwaway CA) with the janus-protocol subprotocol, has the videoroom with
require_e2ee and nothing else listening (no admin API, no HTTP), and
refuses an unencrypted publisher. TAP output.
"""
import asyncio
import json
import os
import ssl
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import janus  # noqa: E402
import tap  # noqa: E402
from tap import check, finish  # noqa: E402

import websockets  # noqa: E402

janus.enter_netns()


async def session(j):
    ctx = ssl.create_default_context(cafile=j.ca)
    out = {}
    async with websockets.connect(j.url, ssl=ctx, subprotocols=["janus-protocol"],
                                  open_timeout=10) as ws:
        n = [0]

        async def call(body, ack=False):
            n[0] += 1
            body = dict(body, transaction=f"t{n[0]}")
            await ws.send(json.dumps(body))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg.get("transaction") == body["transaction"] and \
                        (ack or msg.get("janus") != "ack"):
                    return msg

        r = await call({"janus": "create"})
        sid = r["data"]["id"]
        r = await call({"janus": "attach", "plugin": "janus.plugin.videoroom", "session_id": sid})
        hid = r["data"]["id"]
        r = await call({"janus": "message", "session_id": sid, "handle_id": hid,
                        "body": {"request": "list"}})
        out["rooms"] = r["plugindata"]["data"].get("list", [])
        r = await call({"janus": "keepalive", "session_id": sid}, ack=True)
        out["keepalive"] = r.get("janus")
        # A publisher without "e2ee": true in its jsep is refused.
        r = await call({"janus": "message", "session_id": sid, "handle_id": hid,
                        "body": {"request": "joinandconfigure", "ptype": "publisher",
                                 "room": j.room},
                        "jsep": {"type": "offer", "sdp": PLAIN_OFFER}})
        while r.get("janus") != "event":
            r = json.loads(await asyncio.wait_for(ws.recv(), 10))
        out["plain"] = r["plugindata"]["data"]
        await call({"janus": "destroy", "session_id": sid})
    return out


PLAIN_OFFER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 127.0.0.1", "a=mid:0", "a=sendonly",
    "a=rtcp-mux", "a=setup:actpass", "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " + ":".join(["00"] * 32),
    "a=rtpmap:96 H264/90000", ""])


def main():
    with tempfile.TemporaryDirectory(prefix="janus-") as tmp:
        j = janus.Janus(tmp).start()
        try:
            out = asyncio.run(session(j))
            rooms = {r["room"]: r for r in out["rooms"]}
            check("the videoroom exists", j.room in rooms, json.dumps(out["rooms"]))
            room = rooms.get(j.room, {})
            check("the room requires end-to-end encryption", room.get("require_e2ee") is True,
                  json.dumps(room))
            check("the room relays H.264 and Opus", room.get("videocodec") == "h264" and
                  room.get("audiocodec") == "opus", json.dumps(room))
            check("a keepalive is acknowledged", out["keepalive"] == "ack", out["keepalive"])
            check("a publisher without e2ee is refused",
                  "end-to-end" in out["plain"].get("error", ""), json.dumps(out["plain"]))
            socks = janus.listening_sockets()
            tcp = [s for s in socks if s[0].startswith("tcp")]
            check("only the wss port listens over TCP, on 127.0.0.1",
                  tcp == [("tcp", "127.0.0.1", j.port)], repr(socks))
            j.check_alive()
        finally:
            rc = j.stop()
        check("Janus stops cleanly on SIGTERM", rc == 0, "\n".join(j.log_tail()))
    return finish()


tap.main(main)
