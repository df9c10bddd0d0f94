#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Interop: a stack we did not write subscribes to our transport's stream.

rtc-call publishes (webrtc/: libnice, DTLS-SRTP on mbedTLS, libsrtp2) to
Janus's videoroom on loopback; a GStreamer webrtcbin peer (OpenSSL DTLS,
libsrtp through srtpdec, libnice through nicesrc/nicesink) subscribes to that
feed through Janus's WebSocket API, answers, trickles its candidates, and
decrypts the video with e2eedec from the epoch key in a test key file. The
host only: webrtcbin is in gstreamer1.0-plugins-bad, which the image has not.
TAP output.
"""
import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import janus  # noqa: E402  (it finds tests/lib itself)
import tap  # noqa: E402
from tap import check, finish  # noqa: E402

janus.enter_netns()


def preload_asan():
    """Under `make check SANITIZE=...` the e2ee plugin this process loads is
    built with ASan, whose runtime must come first: re-run with it preloaded
    (leak checking off for the interpreter; rtc-call keeps its own)."""
    plugin = os.path.join(os.environ.get("GST_PLUGIN_PATH", ""), "libgste2ee.so")
    if "SEALROOM_ASAN_PRELOADED" in os.environ or not os.path.exists(plugin):
        return
    libs = subprocess.run(["ldd", plugin], capture_output=True, text=True).stdout
    asan = [line.split("=>")[1].split()[0] for line in libs.splitlines()
            if "libasan" in line and "=>" in line]
    if asan:
        env = dict(os.environ, LD_PRELOAD=asan[0], SEALROOM_ASAN_PRELOADED="1",
                   SEALROOM_CHILD_ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", ""),
                   ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
        sys.stdout.flush()
        os.execvpe(sys.executable, [sys.executable] + sys.argv, env)


preload_asan()

import gi  # noqa: E402
gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("Nice", "0.1")
gi.require_version("GstRtp", "1.0")
from gi.repository import GLib, Gst, GstRtp, GstSdp, GstWebRTC, Nice  # noqa: E402
import websockets  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
FRAMES = 30


class Subscriber:
    """webrtcbin ! rtph264depay ! e2eedec ! avdec_h264 ! fakesink."""

    def __init__(self, keyfile, loop):
        self.loop = loop           # asyncio loop, for what goes to Janus
        self.out = asyncio.Queue()
        self.frames = 0
        self.done = threading.Event()
        self.auth_failed = None
        # RTP sequence numbers the depayloader never saw: a packet lost inside
        # a NAL fails that frame's authentication, as it must.
        self.lost, self.next_seq = 0, None
        self.pipe = Gst.Pipeline.new("interop")
        self.w = Gst.ElementFactory.make("webrtcbin", "w")
        self.w.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        # Loopback only: its libnice agent gathers on Janus's 127.0.0.2
        # alone, without UPnP (SSDP multicast) or ICE-TCP.
        # (Kept referenced: pygobject's wrappers of these properties drop
        # a reference webrtcbin still needs when they are collected.)
        self.ice = self.w.get_property("ice-agent")
        self.ice.set_property("ice-tcp", False)
        self.agent = self.ice.get_property("agent")
        self.agent.set_property("upnp", False)
        addr = Nice.Address.new()
        addr.set_from_string(janus.JANUS_ADDR)
        self.agent.add_local_address(addr)
        self.pipe.add(self.w)
        self.keyfile = keyfile
        self.w.connect("pad-added", self.on_pad)
        self.w.connect("on-ice-candidate", self.on_candidate)
        self.w.connect("notify::ice-gathering-state", self.on_gathering)
        self.pipe.set_state(Gst.State.PLAYING)

    def send(self, msg):
        self.loop.call_soon_threadsafe(self.out.put_nowait, msg)

    def on_candidate(self, w, mline, cand):
        self.send({"janus": "trickle", "candidate": {"candidate": cand, "sdpMLineIndex": mline}})

    def on_gathering(self, w, pspec):
        if w.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            self.send({"janus": "trickle", "candidate": {"completed": True}})

    def on_pad(self, w, pad):
        caps = pad.get_current_caps()
        if not caps or caps.get_structure(0).get_string("media") != "video":
            sink = Gst.ElementFactory.make("fakesink")
            self.pipe.add(sink)
            sink.sync_state_with_parent()
            pad.link(sink.get_static_pad("sink"))
            return
        branch = Gst.parse_bin_from_description(
            f"rtph264depay ! e2eedec name=dec key-file={self.keyfile} ! avdec_h264 ! "
            "fakesink name=frames signal-handoffs=true sync=false", True)
        self.pipe.add(branch)
        branch.get_by_name("frames").connect("handoff", self.on_frame)
        self.dec = branch.get_by_name("dec")
        branch.sync_state_with_parent()
        branch.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self.on_rtp)
        pad.link(branch.get_static_pad("sink"))

    def on_rtp(self, pad, info):
        ok, rtp = GstRtp.RTPBuffer.map(info.get_buffer(), Gst.MapFlags.READ)
        if ok:
            seq = rtp.get_seq()
            rtp.unmap()
            if self.next_seq is not None and (seq - self.next_seq) & 0xffff < 1000:
                self.lost += (seq - self.next_seq) & 0xffff
            self.next_seq = (seq + 1) & 0xffff
        return Gst.PadProbeReturn.OK

    def on_frame(self, *args):
        self.frames += 1
        if self.frames == FRAMES:
            self.auth_failed = self.dec.get_property("stats").get_value("auth-failed")
            self.done.set()

    def answer(self, sdp_text):
        """Sets Janus's offer; the answer (SDP text) through a queue."""
        result = asyncio.Queue()
        _, sdp = GstSdp.SDPMessage.new_from_text(sdp_text)
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)

        def failed(reply, field, what):
            """Whether webrtcbin's reply lacks field (or has it, for "error")."""
            bad = reply is None or reply.has_field(field) == (field == "error")
            if bad:
                self.loop.call_soon_threadsafe(result.put_nowait,
                                               RuntimeError(f"webrtcbin {what}: {reply}"))
            return bad

        def answered(promise, _):
            reply = promise.get_reply()
            if failed(reply, "answer", "made no answer"):
                return
            ans = reply.get_value("answer")
            self.w.emit("set-local-description", ans, Gst.Promise.new())
            self.loop.call_soon_threadsafe(result.put_nowait, ans.sdp.as_text())

        def remote_set(promise, _):
            reply = promise.get_reply()
            if reply is not None and failed(reply, "error", "refused the offer"):
                return
            self.w.emit("create-answer", None, Gst.Promise.new_with_change_func(answered, None))

        self.w.emit("set-remote-description", offer,
                    Gst.Promise.new_with_change_func(remote_set, None))
        return result


async def subscribe(j, feed_name, keyfile, seconds=60):
    ctx = ssl.create_default_context(cafile=j.ca)
    async with websockets.connect(j.url, ssl=ctx, subprotocols=["janus-protocol"]) as ws:
        n = [0]
        pending = {}

        async def call(body):
            n[0] += 1
            tx = f"w{n[0]}"
            await ws.send(json.dumps(dict(body, transaction=tx)))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 20))
                if msg.get("transaction") == tx and msg.get("janus") != "ack":
                    return msg
                pending.setdefault("other", []).append(msg)

        sid = (await call({"janus": "create"}))["data"]["id"]
        hid = (await call({"janus": "attach", "plugin": "janus.plugin.videoroom",
                           "session_id": sid}))["data"]["id"]
        feed = None
        for _ in range(100):
            r = await call({"janus": "message", "session_id": sid, "handle_id": hid,
                            "body": {"request": "listparticipants", "room": j.room}})
            for p in r["plugindata"]["data"].get("participants", []):
                if p.get("display") == feed_name and p.get("publisher"):
                    feed = p["id"]
            if feed:
                break
            await asyncio.sleep(0.2)
        if not feed:
            raise RuntimeError(f"gave up waiting for publisher {feed_name} in the room")
        r = await call({"janus": "message", "session_id": sid, "handle_id": hid,
                        "body": {"request": "join", "ptype": "subscriber", "room": j.room,
                                 "streams": [{"feed": feed}]}})
        offer = r["jsep"]["sdp"]
        sub = Subscriber(keyfile, asyncio.get_running_loop())
        answer = await asyncio.wait_for(sub.answer(offer).get(), 20)
        if isinstance(answer, Exception):
            raise answer
        await call({"janus": "message", "session_id": sid, "handle_id": hid,
                    "body": {"request": "start"},
                    "jsep": {"type": "answer", "sdp": answer, "e2ee": True}})
        end = asyncio.get_running_loop().time() + seconds
        while not sub.done.is_set():
            if asyncio.get_running_loop().time() > end:
                break
            try:
                msg = await asyncio.wait_for(sub.out.get(), 0.1)
                await ws.send(json.dumps(dict(msg, session_id=sid, handle_id=hid,
                                              transaction=f"t{msg['janus']}")))
            except asyncio.TimeoutError:
                pass
        sub.pipe.set_state(Gst.State.NULL)
        return sub.frames, sub.auth_failed, sub.lost


def main():
    Gst.init(None)
    ml = GLib.MainLoop()
    threading.Thread(target=ml.run, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="interop-") as tmp:
        keys = os.path.join(tmp, "keys")
        janus.make_keys(keys)
        j = janus.Janus(os.path.join(tmp, "janus")).start()
        pub = subprocess.Popen(
            [os.path.join(BUILD, "tests", "rtc-call"), "--port", str(j.port), "--ca", j.ca,
             "--room", str(j.room), "--keys", keys, "--local-addr", janus.JANUS_ADDR,
             "--frames", "1", "--timeout", "60", "--name", "ours", "--hold"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, ASAN_OPTIONS=os.environ.get("SEALROOM_CHILD_ASAN_OPTIONS",
                                                             os.environ.get("ASAN_OPTIONS", ""))))
        try:
            frames, auth_failed, lost = asyncio.run(
                subscribe(j, "ours", os.path.join(keys, "video-recv.keys")))
        finally:
            pub.stdin.close()
            pub.wait(timeout=60)
            j.stop()
        check(f"webrtcbin decoded {frames} frames of our transport's stream through Janus",
              frames >= FRAMES)
        # Keys that do not fit fail every frame; a lost packet, one frame; and
        # the access unit in flight when the subscription began may come
        # without its first packets (sent before it, not a gap this probe sees:
        # an ASan run under load failed exactly that one).
        check(f"no frame failed authentication beyond lost packets and the access unit in "
              f"flight at the subscription's start ({auth_failed} failed, {lost} lost)",
              auth_failed is not None and auth_failed <= lost + 1,
              f"auth-failed {auth_failed}, lost {lost}")
        check("our publisher ended cleanly", pub.returncode == 0, f"status {pub.returncode}")
    ml.quit()
    return finish()


tap.main(main)
