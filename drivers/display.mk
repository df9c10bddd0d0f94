# SPDX-License-Identifier: MIT
# drivers/display: libdrv_display, DRM/KMS atomic modesetting with overlay
# planes, software composition where planes run out, writeback capture to PNG.
# drm-scene, the image test's scene on vkms, is installed in the image with
# the other image test programs (rootfs.mk's IMAGE_TEST_BINS).
MORE_DEB_PACKAGES += libdrm-dev libpng-dev

DRV_DISPLAY_PKGS := libdrm libpng
DRV_DISPLAY_CFLAGS = -Idrivers/display/include $(call pc,$(DRV_DISPLAY_PKGS))
DRV_DISPLAY_LIBS = $(call pl,$(DRV_DISPLAY_PKGS))

# The device-free part (compositor, allocator) is what the host unit test links.
DRV_DISPLAY_PURE := drivers/display/compose.c drivers/display/plan.c
DRV_DISPLAY_SRCS := $(DRV_DISPLAY_PURE) drivers/display/display.c drivers/display/png.c
DRV_DISPLAY_OBJS := $(DRV_DISPLAY_SRCS:%.c=$(O)/obj/%.o)
DRV_DISPLAY_LIB := $(O)/lib/libdrv_display.a

$(O)/obj/drivers/display/%.o: drivers/display/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(DRV_DISPLAY_CFLAGS) -c $< -o $@

$(DRV_DISPLAY_LIB): $(DRV_DISPLAY_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

all: $(DRV_DISPLAY_LIB)

# ------------------------------------------------------------------- tests

$(O)/obj/tests/unit/test_drv_display.o: tests/unit/test_drv_display.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(DRV_DISPLAY_CFLAGS) $(call pc,cmocka) -c $< -o $@

$(O)/tests/test_drv_display: $(O)/obj/tests/unit/test_drv_display.o \
		$(DRV_DISPLAY_PURE:%.c=$(O)/obj/%.o)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_drv_display

# The image test's screen checkers (tests/qemu): drm-scene, libwm's codeword
# label on an overlay plane above a video tile, captured through vkms's
# writeback connector; display-check, the screen that e2ee-media --display
# captured (tests/qemu/in-image-display.sh) against libwm's layout and
# overlay, and the burned-in codeword in the video. libwm and libe2ee by
# path: their fragments are included after this one.
$(O)/obj/tests/qemu/%.o: tests/qemu/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(DRV_DISPLAY_CFLAGS) $(WM_CFLAGS) -c $< -o $@

$(O)/tests/qemu/drm-scene $(O)/tests/qemu/display-check: $(O)/tests/qemu/%: \
		$(O)/obj/tests/qemu/%.o $(O)/obj/tests/qemu/screen-check.o $(DRV_DISPLAY_LIB) \
		$(O)/lib/libwm.a $(O)/lib/libe2ee.a
	$(call say,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(DRV_DISPLAY_LIB) \
	  $(O)/lib/libwm.a $(E2EE_LIBS) $(WM_LIBS) $(DRV_DISPLAY_LIBS)

IMAGE_TEST_BINS += $(O)/tests/qemu/drm-scene $(O)/tests/qemu/display-check
