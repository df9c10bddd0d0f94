# SPDX-License-Identifier: MIT
# watermark/: libwm, codeword labels rendered with Cairo and Pango.
MORE_DEB_PACKAGES += libcairo2-dev libpango1.0-dev fonts-dejavu-core

WM_PKGS := pangocairo pangoft2 cairo fontconfig
WM_CFLAGS = -Iwatermark/include $(call pc,$(WM_PKGS))
WM_LIBS = $(call pl,$(WM_PKGS)) -lm

WM_SRCS := watermark/label.c
WM_OBJS := $(WM_SRCS:%.c=$(O)/obj/%.o)
WM_LIB := $(O)/lib/libwm.a

$(O)/obj/watermark/%.o: watermark/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(WM_CFLAGS) -c $< -o $@

$(WM_LIB): $(WM_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

all: $(WM_LIB)

install: install-watermark
.PHONY: install-watermark
install-watermark: $(WM_LIB)
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/wm
	install -m 0644 $(WM_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 watermark/include/wm/label.h $(DESTDIR)$(PREFIX)/include/wm/

# ------------------------------------------------------------------- tests
# Golden images are read from (and, with WM_UPDATE_GOLDEN=1, written to) the
# source tree; on a mismatch the actual image and a diff land in $BUILD/test-logs.

WM_TEST_CFLAGS = $(WM_CFLAGS) -DWM_GOLDEN_DIR='"$(abspath tests/watermark/golden)"'

$(O)/obj/tests/watermark/%.o: tests/watermark/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(WM_TEST_CFLAGS) $(call pc,cmocka) -c $< -o $@

$(O)/tests/test_wm_render: $(O)/obj/tests/watermark/test_wm_render.o \
		$(O)/obj/tests/watermark/wm_golden.o $(WM_LIB) $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(WM_LIB) $(E2EE_LIBS) \
	  $(WM_LIBS) $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_wm_render
