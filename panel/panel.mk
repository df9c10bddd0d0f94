# SPDX-License-Identifier: MIT
# panel/: the screen and panel process and what it is made of.
#   libpanel: panel_screen (panel/screen.c: tiles of video and libwm's overlay
#   on KMS planes, without GStreamer; the GStreamer room display is an appsink
#   adapter over it) and panel_frames (panel/frames.c: decoded frames from
#   roomd over a Unix socket, docs/frames.md; both halves).
#   panel_ui (panel/ui.c: the touch panel's retained widgets on Cairo and
#   Pango, laid out in millimetres, damage-tracked), panel_view (panel/view.c,
#   view-tap.c, settings.c: its screens from keyxchgd's state, taps into
#   commands) and panel_model
#   (panel/model.c: keyxchgd's status and events into that state); docs/panel.md.
#   sealroom-screen: the screen process (docs/frames.md, docs/processes.md).
# fonts-dejavu-core: the panel's pinned fonts (its golden images depend on them).
MORE_DEB_PACKAGES += libjansson-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core

PANEL_CFLAGS = -Ipanel/include $(DRV_DISPLAY_CFLAGS) $(WM_CFLAGS) $(DRV_TOUCH_CFLAGS)
PANEL_SRCS := panel/screen.c panel/frames.c panel/ui.c panel/keyboard.c panel/view.c panel/view-tap.c panel/settings.c panel/model.c \
	panel/host.c panel/input.c
PANEL_OBJS := $(PANEL_SRCS:%.c=$(O)/obj/%.o)
PANEL_LIB := $(O)/lib/libpanel.a
# What links libpanel links these after it (by path: libwm's and libdrv_display's).
PANEL_LIBS = $(PANEL_LIB) $(O)/lib/libdrv_display.a $(O)/lib/libwm.a $(E2EE_LIBS) $(WM_LIBS) \
	$(DRV_DISPLAY_LIBS) -pthread

$(O)/obj/panel/%.o: panel/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(PANEL_CFLAGS) $(call pc,jansson) -pthread -c $< -o $@

$(PANEL_LIB): $(PANEL_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

SCREEN_OBJS := $(addprefix $(O)/obj/panel/,sealroom-screen.o sealroom-screen-frames.o \
	sealroom-screen-control.o) $(O)/obj/rootfs/crash-report.o
$(O)/obj/panel/sealroom-screen.o: PANEL_CFLAGS += -Irootfs
$(O)/bin/sealroom-screen: $(SCREEN_OBJS) $(PANEL_LIB) $(O)/lib/libdrv_display.a \
		$(O)/lib/libwm.a $(O)/lib/libe2ee.a $(DRV_TOUCH_LIB)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(SCREEN_OBJS) $(PANEL_LIBS) $(DRV_TOUCH_LIB) $(DRV_TOUCH_LIBS) \
	  $(call pl,jansson)

all: $(PANEL_LIB) $(O)/bin/sealroom-screen

install: install-panel
.PHONY: install-panel
install-panel: $(O)/bin/sealroom-screen
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(O)/bin/sealroom-screen $(DESTDIR)$(PREFIX)/bin/

# ------------------------------------------------------------------- tests

$(O)/obj/tests/unit/test_panel_frames.o: tests/unit/test_panel_frames.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Ipanel/include $(call pc,cmocka) -c $< -o $@

# The frame protocol alone: what roomd links too (no display, no libwm).
$(O)/tests/test_panel_frames: $(O)/obj/tests/unit/test_panel_frames.o $(O)/obj/panel/frames.o
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_panel_frames

# The room screen on the soft display: tiles that come and go.
$(O)/obj/tests/unit/test_panel_screen.o: tests/unit/test_panel_screen.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(PANEL_CFLAGS) $(call pc,cmocka) -c $< -o $@

$(O)/tests/test_panel_screen: $(O)/obj/tests/unit/test_panel_screen.o $(PANEL_LIB) \
		$(O)/lib/libdrv_display.a $(O)/lib/libwm.a $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(PANEL_LIBS) $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_panel_screen

# The widget set: millimetres, tap targets, hit testing, damage.
$(O)/obj/tests/unit/test_panel_ui.o: tests/unit/test_panel_ui.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(PANEL_CFLAGS) $(call pc,cmocka) -c $< -o $@

$(O)/tests/test_panel_ui: $(O)/obj/tests/unit/test_panel_ui.o $(O)/obj/panel/ui.o \
		$(O)/obj/panel/keyboard.o
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(WM_LIBS) $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_panel_ui

# Every screen against its golden image (panel/golden/); PANEL_UPDATE_GOLDEN=1
# rewrites them on purpose (docs/panel.md).
export PANEL_UPDATE_GOLDEN
# test_panel_bar: the bar never over a codeword label, every board, layout and tile count,
# and the grid's screen with the bar as a golden.
$(O)/obj/tests/unit/test_panel_screens.o $(O)/obj/tests/unit/test_panel_bar.o \
$(O)/obj/tests/unit/panel_golden.o: $(O)/obj/tests/unit/%.o: tests/unit/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(PANEL_CFLAGS) $(call pc,cmocka) \
	  -DPANEL_GOLDEN_DIR='"$(abspath panel/golden)"' -c $< -o $@

$(O)/tests/test_panel_screens $(O)/tests/test_panel_bar: $(O)/tests/%: \
		$(O)/obj/tests/unit/%.o $(O)/obj/tests/unit/panel_golden.o $(PANEL_LIB) \
		$(O)/lib/libdrv_display.a $(O)/lib/libwm.a $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(O)/obj/tests/unit/panel_golden.o \
	  $(PANEL_LIBS) $(call pl,cmocka jansson)

MORE_TESTS += $(O)/tests/test_panel_screens $(O)/tests/test_panel_bar

# frame-sender plays roomd (the sending half) for test_screen.py, which runs
# keyxchgd rooms, sealroom-screen on the soft display and display-check.
$(O)/obj/tests/integration/frame-sender.o: tests/integration/frame-sender.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Ipanel/include -c $< -o $@

$(O)/tests/frame-sender: $(O)/obj/tests/integration/frame-sender.o $(O)/obj/panel/frames.o
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^

MORE_TESTS += tests/integration/test_screen.py
# The panel by taps against real keyxchgd rooms and the relay fixture.
MORE_TESTS += tests/integration/test_panel.py tests/integration/test_panel_settings.py \
	tests/integration/test_panel_sync.py
# The bar's volume (roomd's audio output level through taps) and layout, real rooms.
MORE_TESTS += tests/integration/test_volume_layout.py
test-programs: $(O)/tests/frame-sender $(O)/tests/qemu/display-check $(O)/bin/sealroom-screen

# Whatever parses roomd's frame messages in the screen process, and the screen's in roomd.
FUZZ_TARGETS += fuzz_panel_frames
$(O)/fuzz/fuzz_panel_frames: tests/fuzz/fuzz_panel_frames.c panel/frames.c \
		panel/include/panel/frames.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Ipanel/include -o $@ $< panel/frames.c

# What the panel parses of keyxchgd's messages, and the taps after them.
FUZZ_TARGETS += fuzz_panel_model
FUZZ_PANEL_SRCS := panel/model.c panel/view.c panel/view-tap.c panel/settings.c panel/ui.c panel/keyboard.c watermark/label.c crypto/codeword.c \
	crypto/secret.c
$(O)/fuzz/fuzz_panel_model: tests/fuzz/fuzz_panel_model.c $(FUZZ_PANEL_SRCS) \
		panel/include/panel/model.h panel/include/panel/view.h panel/include/panel/ui.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Ipanel/include -Iwatermark/include -Icrypto/include \
	  $(call pc,jansson libsodium $(WM_PKGS)) -o $@ $< $(FUZZ_PANEL_SRCS) \
	  $(call pl,jansson libsodium $(WM_PKGS)) $(MBEDTLS_LIBS) -lm

# --------------------------------------------------------------- benchmark
# bench-frame-handover: CPU and allocations per displayed frame of the hand-over
# from roomd to the screen process against the room display inside one process.
# It counts allocations by wrapping malloc: not under SANITIZE.
$(O)/obj/tests/bench/bench_frame_handover.o: tests/bench/bench_frame_handover.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(PANEL_CFLAGS) -Itests/lib -c $< -o $@

$(O)/bin/bench-frame-handover: $(O)/obj/tests/bench/bench_frame_handover.o \
		$(O)/obj/tests/lib/alloc_count.o $(PANEL_LIB) $(O)/lib/libdrv_display.a \
		$(O)/lib/libwm.a $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PANEL_LIBS)

ifeq ($(SANITIZE),)
all: $(O)/bin/bench-frame-handover
MORE_BENCH += $(O)/bin/bench-frame-handover
endif
