# SPDX-License-Identifier: MIT
# webrtc/: the WebRTC transport of roomd (ICE with libnice, DTLS-SRTP on
# mbedTLS, SRTP with libsrtp2, SDP with GstSDP) and its Janus videoroom
# client over kx_ws; see docs/transport.md.

# libnice-dev and libsrtp2-dev: the transport; janus: the meeting service of
# the tests (tests/fixtures/janus.py), started on loopback with a
# configuration the fixture writes; iproute2: its network namespace.
MORE_DEB_PACKAGES += janus libnice-dev libsrtp2-dev libjansson-dev iproute2
# The interop test's peer, a stack we did not write: webrtcbin (plugins-bad,
# from pipeline.mk) with libnice's GStreamer elements, driven from Python.
MORE_DEB_PACKAGES += gstreamer1.0-nice python3-gi gir1.2-gst-plugins-bad-1.0 \
	gir1.2-gst-plugins-base-1.0 gir1.2-nice-0.1

RTC_PKGS := nice gstreamer-sdp-1.0 gstreamer-app-1.0 gstreamer-video-1.0 gstreamer-rtp-1.0 \
	jansson libsrtp2
RTC_CFLAGS = $(call pc,$(RTC_PKGS)) -Iwebrtc -Ikeyxchg/net
RTC_LIBS = $(O)/lib/librtc.a $(O)/lib/libkxnet.a $(KXNET_LIBS) $(call pl,$(RTC_PKGS))
RTC_SRCS := webrtc/rtc_demux.c webrtc/rtc_fingerprint.c webrtc/rtc_sdp.c webrtc/rtc_dtls.c \
	webrtc/rtc_peer.c webrtc/rtc_peer_ice.c webrtc/rtc_srtp.c webrtc/rtc_janus.c webrtc/rtc_gst.c
RTC_OBJS := $(RTC_SRCS:%.c=$(O)/obj/%.o)

$(RTC_OBJS) $(O)/obj/tests/integration/rtc_call.o $(O)/obj/tests/unit/test_rtc.o: \
	EXTRA_RTC_CFLAGS = $(RTC_CFLAGS)
$(O)/obj/webrtc/%.o: webrtc/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(RTC_CFLAGS) -c $< -o $@

$(O)/lib/librtc.a: $(RTC_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/obj/tests/integration/rtc_call.o: tests/integration/rtc_call.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(RTC_CFLAGS) -c $< -o $@

$(O)/tests/rtc-call: $(O)/obj/tests/integration/rtc_call.o $(O)/lib/librtc.a $(O)/lib/libkxnet.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(RTC_LIBS)

all: $(O)/lib/librtc.a
test-programs: $(O)/tests/rtc-call $(PLUGIN)

MORE_TESTS += tests/integration/test_janus.py tests/integration/test_janus_transport.py \
	tests/integration/test_webrtcbin_interop.py
# roomd through Janus: injection, loss (netem, or nftables where the kernel
# has no sch_netem) and Janus restarted mid-meeting.
MORE_TESTS += tests/integration/test_roomd_janus.py
# roomd against publishers that claim another's name (a squatter first, a
# replaying squatter) and the room's pin.
MORE_TESTS += tests/integration/test_roomd_janus_squat.py
# roomd against a service that closes the WebSocket at each first request.
MORE_TESTS += tests/integration/test_roomd_janus_closed.py
# A member whose send is held (its host not confirmed) sees and hears the meeting.
MORE_TESTS += tests/integration/test_roomd_held.py
MORE_DEB_PACKAGES += nftables

# Unit tests of the parsers and the demux (cmocka).
$(O)/obj/tests/unit/test_rtc.o: tests/unit/test_rtc.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(RTC_CFLAGS) -c $< -o $@

$(O)/tests/test_rtc: $(O)/obj/tests/unit/test_rtc.o $(O)/lib/librtc.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(RTC_LIBS) $(TEST_LIBS)

MORE_TESTS += $(O)/tests/test_rtc

# A hostile SFU against a real rtc_peer pair (itself as a child process):
# SSRC floods, SRTCP sources learnt, a PLI flood into a real encoder.
$(O)/obj/tests/integration/test_rtc_hostile.o: tests/integration/test_rtc_hostile.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(RTC_CFLAGS) -c $< -o $@

$(O)/tests/test_rtc_hostile: $(O)/obj/tests/integration/test_rtc_hostile.o $(O)/lib/librtc.a \
		$(O)/lib/libkxnet.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(RTC_LIBS) $(TEST_LIBS)

MORE_TESTS += $(O)/tests/test_rtc_hostile

# What parses the SFU's bytes: the demux, RTCP feedback, SDP, Janus's JSON.
FUZZ_TARGETS += fuzz_rtc_parse
RTC_FUZZ_SRCS := webrtc/rtc_demux.c webrtc/rtc_sdp.c webrtc/rtc_fingerprint.c \
	webrtc/rtc_janus.c $(KXNET_SRCS)
$(O)/fuzz/fuzz_rtc_parse: tests/fuzz/fuzz_rtc_parse.c $(RTC_FUZZ_SRCS)
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(RTC_CFLAGS) -o $@ $< $(RTC_FUZZ_SRCS) $(KXNET_LIBS) \
	  $(call pl,$(RTC_PKGS))

# bench-transport: SRTP's CPU per frame against SFrame's, same run.
$(O)/obj/tests/bench/bench_transport.o: tests/bench/bench_transport.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(RTC_CFLAGS) -c $< -o $@

$(O)/bin/bench-transport: $(O)/obj/tests/bench/bench_transport.o $(O)/lib/librtc.a \
		$(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(RTC_LIBS) $(E2EE_LIBS)

ifeq ($(SANITIZE),)
all: $(O)/bin/bench-transport
MORE_BENCH += $(O)/bin/bench-transport
endif
# bench-join: join to first decrypted frame for 2, 5 and 10 rooms, each a
# roomd through Janus (keyxchgd rooms keyed first); rtc-call's baseline.
MORE_BENCH += tests/bench/bench_join.py
bench: $(O)/tests/rtc-call $(O)/bin/roomd
