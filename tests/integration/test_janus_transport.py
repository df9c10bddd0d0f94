#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The WebRTC transport of webrtc/ through a real Janus on loopback.

rtc-call (tests/integration/rtc_call.c) publishes H.264 (with a plaintext
marker in an SEI of every access unit, before e2eeenc) and Opus to Janus's
videoroom (require_e2ee) over libnice + DTLS-SRTP on mbedTLS + libsrtp2,
and subscribes to its own feed. Every datagram in the test's network
namespace is captured (an AF_PACKET socket, all interfaces).

* media: decoded frames, each carrying the marker after e2eedec; no
  authentication failure;
* the wire: the marker in 0 datagrams; every datagram STUN, DTLS or SRTP/
  SRTCP by its first byte (RFC 7983); the publisher's RTP payloads do not
  start with the clear NAL header bytes e2eeenc writes (plain RTP would in
  every packet; SRTP leaves about 7 in 256 by chance);
* injection: datagrams from another socket to the subscriber's ICE port
  are dropped and counted (libnice drops those from a non-candidate address
  and says so in its debug log; the transport's own pair check counts the
  rest) and never reach rtph264depay;
* a tampered a=fingerprint in Janus's answer aborts DTLS with a message
  naming the mismatch, and no media is keyed.
TAP output.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import janus  # noqa: E402
import tap  # noqa: E402
from tap import check, finish  # noqa: E402

janus.enter_netns()

BUILD = os.environ.get("BUILD", "build")
CALL = os.path.join(BUILD, "tests", "rtc-call")
MARKER = "SEALROOM-RTC-MARKER-%d" % os.getpid()
INJECT = 5


def fields(out, prefix):
    """The key=value pairs of rtc-call's first line that starts with prefix
    and holds them."""
    for line in out.splitlines():
        if line.startswith(prefix) and "=" in line:
            return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    return {}


def run_call(j, keys, *extra, timeout=150, env=None):
    p = subprocess.run([CALL, "--port", str(j.port), "--ca", j.ca, "--room", str(j.room),
                        "--keys", keys, "--marker", MARKER, "--timeout", "40",
                        "--local-addr", janus.JANUS_ADDR, *extra],
                       capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout + p.stderr


def main():
    with tempfile.TemporaryDirectory(prefix="rtc-") as tmp:
        keys = os.path.join(tmp, "keys")
        janus.make_keys(keys)
        j = janus.Janus(os.path.join(tmp, "janus")).start()
        cap = janus.Capture()
        cap.start()
        try:
            rc, out = run_call(j, keys, "--frames", "60")
            j.check_alive()
        finally:
            cap.stop = True
            cap.join()
        res = fields(out, "rtc-call: decoded=")
        sub = fields(out, "rtc-call: subscriber ")
        pub = fields(out, "rtc-call: publisher rtp_in")
        check("rtc-call published and subscribed through Janus", rc == 0 and res, out)
        decoded = int(res.get("decoded", 0))
        check(f"decoded frames through Janus: {decoded}", decoded >= 60, out)
        check(f"the marker in {res.get('marker_frames')} decrypted access units",
              int(res.get("marker_frames", 0)) > 0, out)
        # A packet lost inside a NAL fails that frame, as it must; keys that do
        # not fit fail every frame: no more failures than lost packets.
        check(f"no frame failed authentication beyond lost packets "
              f"({res.get('auth_failed')} failed, {res.get('lost')} lost)",
              int(res.get("auth_failed", 1)) <= int(res.get("lost", 0)), out)
        # What rtph264pay (its stored SPS and PPS in front of the keyframe
        # after the PLI's force-key-unit, ahead of the marker SEI) and
        # rtph264depay (its sprop-parameter-sets in front of its first access
        # unit) add stands where e2eedec's position rule allows it
        # (docs/media-path.md "Where NAL units stand"): no access unit refused.
        check(f"no access unit refused as malformed ({res.get('malformed')}) with "
              f"{res.get('force_key_units')} keyframes forced through the payloader",
              res.get("malformed") == "0", out)
        check("SRTP authenticated every packet from Janus", sub.get("dropped_auth") == "0", out)
        check("nothing from elsewhere was taken (dropped_foreign 0, dropped_other 0)",
              sub.get("dropped_foreign") == "0" and sub.get("dropped_other") == "0", out)
        check("the publisher sent SRTP", int(pub.get("rtp_out", 0)) > 0, out)
        # Janus keeps to the SSRCs it announced (docs/transport.md, "What a
        # hostile Janus can cost roomd"): its RTP and SRTCP on the subscription,
        # its SRTCP on the publisher's connection.
        # (At most a stray few: test_roomd_janus saw 2 once in six runs, source
        # not found yet; a Janus that strayed would send a stream's worth.)
        check(f"every packet from Janus but a stray few was of an SSRC it announced "
              f"(dropped_ssrc {sub.get('dropped_ssrc')} and {pub.get('dropped_ssrc')}; "
              f"SRTCP taken {sub.get('rtcp_in')} and {pub.get('rtcp_in')})",
              int(sub.get("dropped_ssrc", 99)) <= 8 and int(pub.get("dropped_ssrc", 99)) <= 8 and
              int(pub.get("rtcp_in", 0)) > 0, out)
        # Janus's own PLI when the subscriber joined, then the relayed one(s):
        # each became a GstForceKeyUnit at once or was refused by the 500 ms floor
        # (and one sent at the floor's end then; the publisher's count is read
        # after rtc-call's, so it may hold one more).
        fku, refused = int(res.get("force_key_units", 0)), int(res.get("keyframes_refused", -1))
        at_once = fku - int(res.get("keyframes_deferred", fku + 1))  # not deferred to a floor's end
        check(f"the subscriber's keyframe request left as a PLI ({res.get('plis_sent')}) and "
              f"reached the publisher's encoder ({fku} GstForceKeyUnit, {refused} refused "
              f"under the floor, {pub.get('keyframe_requests')} PLI/FIR received)",
              int(res.get("plis_sent", 0)) >= 1 and fku >= 2 and
              int(pub.get("keyframe_requests", 0)) >= 2 and 0 <= refused and 0 <= at_once and
              at_once + refused <= int(pub.get("keyframe_requests", 0)), out)
        print(f"# join to first decrypted frame: {res.get('join_to_first_frame_ms')} ms")

        dg = cap.datagrams
        kinds = {}
        for _, _, b in dg:
            kinds[janus.classify(b)] = kinds.get(janus.classify(b), 0) + 1
        check(f"captured {len(dg)} datagrams: {kinds}", kinds.get("rtp", 0) > 100, repr(kinds))
        marker = MARKER.encode()
        with_marker = sum(1 for _, _, b in dg if marker in b)
        check(f"the plaintext marker in {with_marker} datagrams", with_marker == 0)
        other = [b[:16].hex() for _, _, b in dg if janus.classify(b) in ("other", "empty")]
        injected = sum(1 for _, _, b in dg if b[8:12] == b"\xba\xdc\x0d\xe5")
        check("every datagram is STUN, DTLS or SRTP/SRTCP (RFC 7983)", not other, repr(other[:5]))
        # Plain RTP of our payloaders would carry SSRC 0x11111111 / 0x22222222
        # and the SFrame payload; SRTP adds a 10-byte tag: a packet whose
        # payload starts with the clear H.264 NAL header e2eeenc writes
        # (FU-A 0x7c/0x5c, or a single NAL 0x65/0x41/0x67/0x68/0x06) in
        # every packet of the stream would be plain. Count packets from the
        # publisher's SSRC whose payload shows those bytes: SRTP makes them
        # random, so about 7/256 of them, never all.
        rtp = [b for _, _, b in dg if janus.classify(b) == "rtp" and b[8:12] == b"\x11\x11\x11\x11"]
        clear = sum(1 for b in rtp if b[12] in janus.CLEAR_NAL_BYTES)
        check(f"publisher video packets on the wire: {len(rtp)}, {clear} with a clear "
              "NAL header byte (plain RTP would be all)", rtp and clear < len(rtp) / 4,
              f"{clear} of {len(rtp)}")
        print(f"# injected datagrams seen on the wire: {injected}")

        # Injection: datagrams from another socket to the subscriber's ICE
        # port. libnice's debug log counts what it drops itself.
        rc, out = run_call(j, keys, "--frames", "20", "--inject", str(INJECT),
                           env={"G_MESSAGES_DEBUG": "libnice", "NICE_DEBUG": "all"})
        res = fields(out, "rtc-call: decoded=")
        sub = fields(out, "rtc-call: subscriber ")
        dropped = out.count("DROPPING packet from unknown source")
        check("rtc-call ran with the injection", rc == 0 and res, out[-3000:])
        check(f"the {2 * INJECT} injected datagrams were dropped and counted: {dropped} by "
              f"libnice, {sub.get('dropped_foreign')} by the transport's own pair check",
              dropped + int(sub.get("dropped_foreign", 0)) >= 2 * INJECT, out[-3000:])
        check("no injected packet reached rtph264depay",
              res.get("injected_at_depay") == "0" and int(res.get("decoded", 0)) >= 20,
              out[-3000:])

        # A fingerprint mismatch: DTLS refuses Janus's certificate.
        rc, out = run_call(j, keys, "--frames", "1", "--tamper-fingerprint")
        check("a tampered a=fingerprint aborts DTLS (exit 3)", rc == 3, out)
        check("...naming the mismatch", "does not match the fingerprint" in out, out)
        pubf = fields(out, "rtc-call: publisher rtp_in")
        check("...and nothing was sent as media", pubf.get("rtp_out") == "0", out)
        j.check_alive()
        rc = j.stop()
        check("Janus stops cleanly", rc == 0, "\n".join(j.log_tail()))
    return finish()


tap.main(main)
