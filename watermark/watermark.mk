# SPDX-License-Identifier: MIT
# watermark/: libwm (codeword labels, Cairo + Pango) and the GStreamer plugin
# "codeword" (codewordoverlay: the room's codeword burned into its video).
MORE_DEB_PACKAGES += libcairo2-dev libpango1.0-dev fonts-dejavu-core

WM_PKGS := pangocairo pangoft2 cairo fontconfig
WM_CFLAGS = -Iwatermark/include $(call pc,$(WM_PKGS))
WM_LIBS = $(call pl,$(WM_PKGS)) -lm
WM_GST_PKGS := gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0

WM_SRCS := watermark/label.c watermark/overlay.c
WM_OBJS := $(WM_SRCS:%.c=$(O)/obj/%.o)
WM_LIB := $(O)/lib/libwm.a

WM_PLUGIN_SRCS := watermark/gstcodeword.c watermark/gstcodewordoverlay.c
WM_PLUGIN_OBJS := $(WM_PLUGIN_SRCS:%.c=$(O)/obj/%.o)
WM_PLUGIN := $(O)/lib/gstreamer-1.0/libgstcodeword.so

# The per-frame blend is a byte loop that GCC vectorizes at -O3 only.
$(O)/obj/watermark/gstcodewordoverlay.o: WM_OPT := -O3

$(O)/obj/watermark/%.o: watermark/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(WM_OPT) $(WM_CFLAGS) $(call pc,$(WM_GST_PKGS)) \
	  -DPACKAGE_VERSION='"$(PACKAGE_VERSION)"' -DPACKAGE='"sealroom"' \
	  -Wno-missing-field-initializers -c $< -o $@

$(WM_LIB): $(WM_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(WM_PLUGIN): $(WM_PLUGIN_OBJS) $(WM_LIB) $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(BASE_LDFLAGS) $(LDFLAGS) -Wl,--no-undefined -o $@ $(WM_PLUGIN_OBJS) \
	  $(WM_LIB) $(E2EE_LIBS) $(WM_LIBS) $(call pl,$(WM_GST_PKGS))

all: $(WM_LIB) $(WM_PLUGIN)

install: install-watermark
.PHONY: install-watermark
install-watermark: $(WM_LIB) $(WM_PLUGIN)
	install -d $(DESTDIR)$(PREFIX)/lib/gstreamer-1.0 $(DESTDIR)$(PREFIX)/include/wm
	install -m 0644 $(WM_PLUGIN) $(DESTDIR)$(PREFIX)/lib/gstreamer-1.0/
	install -m 0644 $(WM_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 watermark/include/wm/label.h watermark/include/wm/overlay.h \
	  $(DESTDIR)$(PREFIX)/include/wm/

# ------------------------------------------------------------------- tests
# Golden images are read from (and, with WM_UPDATE_GOLDEN=1, written to) the
# source tree; on a mismatch the actual image and a diff land in $BUILD/test-logs.

WM_TEST_CFLAGS = $(WM_CFLAGS) -DWM_GOLDEN_DIR='"$(abspath tests/watermark/golden)"'
WM_TEST_CHECK_PKGS := gstreamer-check-1.0 gstreamer-video-1.0

$(O)/obj/tests/watermark/%.o: tests/watermark/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(WM_TEST_CFLAGS) $(call pc,cmocka $(WM_TEST_CHECK_PKGS)) \
	  $(EXTRA_WM_BENCH) -c $< -o $@

$(O)/tests/test_wm_render: $(O)/obj/tests/watermark/test_wm_render.o \
		$(O)/obj/tests/watermark/wm_golden.o $(WM_LIB) $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(WM_LIB) $(E2EE_LIBS) \
	  $(WM_LIBS) $(call pl,cmocka)

$(O)/tests/test_wm_overlay: $(O)/obj/tests/watermark/test_wm_overlay.o \
		$(O)/obj/tests/watermark/wm_golden.o $(WM_LIB) $(O)/lib/libe2ee.a | $(WM_PLUGIN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(WM_LIB) $(E2EE_LIBS) \
	  $(WM_LIBS) $(call pl,$(WM_TEST_CHECK_PKGS))

$(O)/tests/test_wm_screen: $(O)/obj/tests/watermark/test_wm_screen.o \
		$(O)/obj/tests/watermark/wm_golden.o $(WM_LIB) $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(WM_LIB) $(E2EE_LIBS) \
	  $(WM_LIBS) $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_wm_render $(O)/tests/test_wm_overlay $(O)/tests/test_wm_screen

# --------------------------------------------------------------- benchmark

# Loads the plugin from this build by its path; built with `all` since
# `make bench` only builds `all` and tests.mk's own programs.
$(O)/obj/tests/watermark/bench_watermark.o: EXTRA_WM_BENCH := \
	-DWM_PLUGIN_FILE='"$(abspath $(WM_PLUGIN))"'
$(O)/bin/bench-watermark: $(O)/obj/tests/watermark/bench_watermark.o | $(WM_PLUGIN)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(call pl,$(WM_TEST_CHECK_PKGS))

all: $(O)/bin/bench-watermark
MORE_BENCH += $(O)/bin/bench-watermark
