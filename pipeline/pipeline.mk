# SPDX-License-Identifier: MIT
# pipeline/: the GStreamer plugin "e2ee" (e2eeenc, e2eedec, and the
# non-parsing payloaders rtpvp8e2eepay / rtpvp9e2eepay), the key provider
# (keyxchgd's key events into the elements), roomd (the room's media daemon)
# and e2ee-media (a sender or receiver, as a tool).

# GStreamer and every plugin package whose elements e2ee-media, run_rooms.py and
# the element tests name: x264enc (ugly), avdec_h264 (libav), opusenc and
# videotestsrc (base), rtph264pay and udpsink (good), h264parse and srtpenc
# (bad), timeoverlay (gstreamer1.0-x: base's pango plugin), gst-launch-1.0
# and gst-inspect-1.0 (tools).
MORE_DEB_PACKAGES += libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev \
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
	gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x

GST_PKGS := gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0 gstreamer-rtp-1.0
GST_CFLAGS = $(call pc,$(GST_PKGS))
GST_LIBS = $(call pl,$(GST_PKGS))

PLUGIN_SRCS := pipeline/gste2ee.c pipeline/gste2eeenc.c pipeline/gste2eedec.c \
	pipeline/gste2eedecframe.c \
	pipeline/gste2eecommon.c pipeline/gste2eenal.c \
	pipeline/gstrtpvp8e2eepay.c pipeline/gstrtpvp9e2eepay.c
PLUGIN_OBJS := $(PLUGIN_SRCS:%.c=$(O)/obj/%.o)
PLUGIN_DIR := $(O)/lib/gstreamer-1.0
PLUGIN := $(PLUGIN_DIR)/libgste2ee.so
PACKAGE_VERSION := 0.1.0

# The key provider: keyxchgd's control socket (keyxchg/CONTROL.md) read with
# jansson, with the rate limit of peer-driven log lines (gste2eeloglimit.c,
# roomd's too); linked into e2ee-media and roomd, not into the plugin.
KP_SRCS := pipeline/gste2eekeyevent.c pipeline/gste2eekeyprovider.c \
	pipeline/gste2eeloglimit.c
KP_OBJS := $(KP_SRCS:%.c=$(O)/obj/%.o)
# Strict pipeline descriptions (gste2eeparse.h), for e2ee-media and the
# test programs that build pipelines from descriptions.
PARSE_OBJS := $(O)/obj/pipeline/gste2eeparse.o
KP_CFLAGS = $(call pc,jansson)
KP_LIBS = $(call pl,jansson)

$(O)/obj/pipeline/%.o: pipeline/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(GST_CFLAGS) $(KP_CFLAGS) $(EXTRA_GST_CFLAGS) -DPACKAGE_VERSION='"$(PACKAGE_VERSION)"' -DPACKAGE='"sealroom"' -Wno-missing-field-initializers \
	  -DGST_USE_UNSTABLE_API -c $< -o $@

$(PLUGIN): $(PLUGIN_OBJS) $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(BASE_LDFLAGS) $(LDFLAGS) -Wl,--no-undefined -o $@ $(PLUGIN_OBJS) \
	  $(E2EE_LIBS) $(GST_LIBS)

# The room display (decoded video and the codeword overlay on KMS planes): an
# appsink adapter over panel_screen (libpanel), with libdrv_display and libwm,
# by path (their fragments come later).
RD_OBJS := $(O)/obj/pipeline/gste2eeroomdisplay.o
# The e2ee-media tool's own parts (e2ee-media-tool.h): the run, the command
# line, the keys, the receiver.
MEDIA_TOOL_OBJS := $(O)/obj/pipeline/e2ee-media.o $(O)/obj/pipeline/e2ee-media-args.o \
	$(O)/obj/pipeline/e2ee-media-keys.o $(O)/obj/pipeline/e2ee-media-receiver.o
$(O)/obj/pipeline/gste2eeroomdisplay.o $(MEDIA_TOOL_OBJS): EXTRA_GST_CFLAGS = \
	$(PANEL_CFLAGS) $(call pc,gstreamer-app-1.0)

# What e2ee-media shares with roomd (e2ee-media.h): the sender's pipeline from
# elements, its hygiene, what it shares with roomd about running.
MEDIA_OBJS := $(O)/obj/pipeline/e2ee-media-pipeline.o $(O)/obj/pipeline/e2ee-media-secure.o \
	$(O)/obj/pipeline/e2ee-media-run.o $(O)/obj/pipeline/gste2eemarker.o

$(O)/bin/e2ee-media: $(MEDIA_TOOL_OBJS) $(MEDIA_OBJS) $(KP_OBJS) $(RD_OBJS) \
		$(PARSE_OBJS) $(O)/lib/libe2ee.a $(O)/lib/libpanel.a $(O)/lib/libdrv_display.a \
		$(O)/lib/libwm.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(MEDIA_TOOL_OBJS) $(MEDIA_OBJS) $(KP_OBJS) \
	  $(RD_OBJS) $(PARSE_OBJS) $(PANEL_LIBS) $(GST_LIBS) $(call pl,gstreamer-app-1.0) $(KP_LIBS)

# roomd: the room's media daemon (send chains, a receive branch per remote
# sender, decoded frames to the screen process over panel_frames: only
# libpanel's frames.o, no display). Its parts (roomd.h): the daemon (roomd.c),
# the receive branches (roomd-branch.c), the key subscription (roomd-keys.c),
# the screen's requests (roomd-screen.c), the audio output (roomd-audio.c);
# its transport through Janus (roomd-rtc.c, and roomd-rtc-match.c: which
# publishers a sender's branch subscribes to) is webrtc/'s librtc.
ROOMD_PART_OBJS := $(O)/obj/pipeline/roomd.o $(O)/obj/pipeline/roomd-branch.o \
	$(O)/obj/pipeline/roomd-keys.o $(O)/obj/pipeline/roomd-screen.o
ROOMD_RTC_OBJS := $(O)/obj/pipeline/roomd-rtc.o $(O)/obj/pipeline/roomd-rtc-match.o
ROOMD_OBJS := $(ROOMD_PART_OBJS) $(ROOMD_RTC_OBJS) \
	$(O)/obj/pipeline/roomd-audio.o \
	$(O)/obj/pipeline/gste2eeroomframes.o $(MEDIA_OBJS) \
	$(KP_OBJS) $(PARSE_OBJS) $(O)/obj/panel/frames.o $(O)/obj/rootfs/crash-report.o
$(ROOMD_PART_OBJS) $(O)/obj/pipeline/gste2eeroomframes.o: EXTRA_GST_CFLAGS = \
	-Ipanel/include $(call pc,gstreamer-app-1.0 gio-2.0)
$(ROOMD_RTC_OBJS): EXTRA_GST_CFLAGS = $(RTC_CFLAGS)
$(O)/obj/pipeline/roomd.o: EXTRA_GST_CFLAGS += -Irootfs
$(O)/bin/roomd: $(ROOMD_OBJS) $(O)/lib/libe2ee.a $(O)/lib/librtc.a $(O)/lib/libkxnet.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(ROOMD_OBJS) $(RTC_LIBS) $(E2EE_LIBS) \
	  $(GST_LIBS) $(call pl,gstreamer-app-1.0 gio-2.0) $(KP_LIBS)

all: $(PLUGIN) $(O)/bin/e2ee-media $(O)/bin/roomd
# roomd with keyxchgd rooms, the SFU fixture and sealroom-screen.
MORE_TESTS += tests/integration/test_roomd.py
# roomd against a hostile screen (TILE, a MEDIA flood) and 65 senders in a run.
MORE_TESTS += tests/integration/test_roomd_hostile.py
# e2ee-media send's end before its pipeline is PLAYING (the video sink not
# prerolled yet): EOS deferred, never a hang.
MORE_TESTS += tests/integration/test_e2ee_media_end.py
# roomd says when its audio output stalls (roomd-audio.h's watchdog).
MORE_TESTS += tests/integration/test_roomd_audio_watch.py
# roomd's audio output alone: inputs slow to start or silent do not stop it.
$(O)/obj/tests/integration/test_roomd_audio.o: tests/integration/test_roomd_audio.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(GST_CFLAGS) -Ipipeline -c $< -o $@
$(O)/tests/test_roomd_audio: $(O)/obj/tests/integration/test_roomd_audio.o \
		$(O)/obj/pipeline/roomd-audio.o $(MEDIA_OBJS) $(KP_OBJS) $(PARSE_OBJS) \
		$(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(E2EE_LIBS) \
	  $(GST_LIBS) $(KP_LIBS) $(TEST_LIBS)
MORE_TESTS += $(O)/tests/test_roomd_audio
# roomd against a screen that keeps every fd it is passed (its memory: the pool).
MORE_TESTS += tests/integration/test_roomd_rings.py
test-programs: $(O)/bin/roomd $(O)/bin/sealroom-screen

install: install-plugin
.PHONY: install-plugin
install-plugin: $(PLUGIN) $(O)/bin/e2ee-media $(O)/bin/roomd
	install -d $(DESTDIR)$(PREFIX)/lib/gstreamer-1.0 $(DESTDIR)$(PREFIX)/bin
	install -m 0644 $(PLUGIN) $(DESTDIR)$(PREFIX)/lib/gstreamer-1.0/
	install -m 0755 $(O)/bin/e2ee-media $(O)/bin/roomd $(DESTDIR)$(PREFIX)/bin/

# ------------------------------------------------ key provider: tests, fuzzing

$(O)/obj/tests/integration/test_key_event.o: tests/integration/test_key_event.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) $(GST_CFLAGS) $(KP_CFLAGS) -Ipipeline \
	  -Wno-missing-field-initializers \
	  -c $< -o $@

$(O)/tests/test_key_event: $(O)/obj/tests/integration/test_key_event.o $(KP_OBJS) \
		$(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(KP_OBJS) $(E2EE_LIBS) $(GST_LIBS) \
	  $(KP_LIBS) $(TEST_LIBS)

MORE_TESTS += $(O)/tests/test_key_event tests/integration/test_keyprovider.py \
	tests/integration/test_keyprovider_trust.py
FUZZ_TARGETS += fuzz_keyprovider
$(O)/fuzz/fuzz_keyprovider: tests/fuzz/fuzz_keyprovider.c pipeline/gste2eekeyevent.c \
		pipeline/gste2eekeyevent.h crypto/secret.c
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(KP_CFLAGS) -Ipipeline -o $@ $< \
	  pipeline/gste2eekeyevent.c crypto/secret.c $(MBEDTLS_LIBS) $(call pl,libsodium) $(KP_LIBS)

# e2eeenc and e2eedec whole, built into the fuzzers (with coverage) and
# driven through GstHarness: e2eeenc's input path with the oracle "no slice
# plaintext in the output", e2eedec's decrypt path (splitting, buffer
# sizing, hold) against what e2eeenc was given.
FUZZ_TARGETS += fuzz_e2eeenc fuzz_e2eedec
FUZZ_ELEMENT_SRCS := pipeline/gste2eeenc.c pipeline/gste2eedec.c pipeline/gste2eedecframe.c \
	pipeline/gste2eecommon.c pipeline/gste2eenal.c
$(O)/fuzz/fuzz_e2eeenc $(O)/fuzz/fuzz_e2eedec: $(O)/fuzz/%: tests/fuzz/%.c \
		tests/fuzz/fuzz_e2ee_elements.h $(FUZZ_ELEMENT_SRCS) $(wildcard pipeline/gste2ee*.h) \
		$(CRYPTO_SRCS) $(CRYPTO_HEADERS)
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(GST_CFLAGS) $(call pc,gstreamer-check-1.0) -Ipipeline \
	  -DGST_USE_UNSTABLE_API -o $@ $< $(FUZZ_ELEMENT_SRCS) $(CRYPTO_SRCS) $(MBEDTLS_LIBS) \
	  $(call pl,libsodium) $(GST_LIBS) $(call pl,gstreamer-check-1.0)

# The room display on the host (--display soft), checked by the image test's
# display-check.
MORE_TESTS += tests/integration/test_room_display.py
test-programs: $(O)/tests/qemu/display-check

# Programs on the room display's soft screen: bench-room-display (its
# allocations and CPU per frame against a fakesink) and test_room_tearing.
RD_PROG_LIBS = $(RD_OBJS) $(PANEL_LIBS) $(GST_LIBS) $(call pl,gstreamer-app-1.0)

$(O)/obj/tests/bench/bench_room_display.o $(O)/obj/tests/integration/test_room_tearing.o: \
		$(O)/obj/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(GST_CFLAGS) $(call pc,gstreamer-app-1.0) $(PANEL_CFLAGS) \
	  -Ipipeline -Itests/lib -c $< -o $@

$(O)/bin/bench-room-display: $(O)/obj/tests/bench/bench_room_display.o \
	$(O)/obj/tests/lib/alloc_count.o
$(O)/tests/test_room_tearing: $(O)/obj/tests/integration/test_room_tearing.o
$(O)/bin/bench-room-display $(O)/tests/test_room_tearing: $(RD_OBJS) $(O)/lib/libpanel.a \
		$(O)/lib/libdrv_display.a $(O)/lib/libwm.a $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$(filter-out $(RD_OBJS),$^)) \
	  $(RD_PROG_LIBS)

MORE_TESTS += $(O)/tests/test_room_tearing
ifeq ($(SANITIZE),)
all: $(O)/bin/bench-room-display
MORE_BENCH += $(O)/bin/bench-room-display
endif
