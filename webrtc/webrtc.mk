# SPDX-License-Identifier: MIT
# webrtc/: the WebRTC transport of roomd (ICE with libnice, DTLS-SRTP on
# mbedTLS, SRTP with libsrtp2, SDP with GstSDP) and its Janus videoroom
# client over kx_ws; see docs/transport.md.

# janus: the meeting service of the tests (tests/fixtures/janus.py), started
# on loopback with a configuration the fixture writes.
MORE_DEB_PACKAGES += janus

MORE_TESTS += tests/integration/test_janus.py
