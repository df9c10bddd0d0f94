# SPDX-License-Identifier: MIT
# drivers/touch: libdrv_touch, the touch panel through evdev (libevdev): the
# device found by name, its axes mapped to the screen, a gesture recognizer
# (tap, long press, drag, cancel) timed by the events. touch-probe, the image
# test's uinput check, goes into the image (rootfs.mk's IMAGE_TEST_BINS).
MORE_DEB_PACKAGES += libevdev-dev

DRV_TOUCH_CFLAGS = -Idrivers/touch/include $(call pc,libevdev)
DRV_TOUCH_LIBS = $(call pl,libevdev)

# The device-free part is what the host unit test links.
DRV_TOUCH_PURE := drivers/touch/gesture.c
DRV_TOUCH_SRCS := $(DRV_TOUCH_PURE) drivers/touch/touch.c
DRV_TOUCH_OBJS := $(DRV_TOUCH_SRCS:%.c=$(O)/obj/%.o)
DRV_TOUCH_LIB := $(O)/lib/libdrv_touch.a

$(O)/obj/drivers/touch/%.o: drivers/touch/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(DRV_TOUCH_CFLAGS) -c $< -o $@

$(DRV_TOUCH_LIB): $(DRV_TOUCH_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

all: $(DRV_TOUCH_LIB)

# ------------------------------------------------------------------- tests

$(O)/obj/tests/unit/test_drv_touch.o: tests/unit/test_drv_touch.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(DRV_TOUCH_CFLAGS) $(call pc,cmocka) -c $< -o $@

$(O)/tests/test_drv_touch: $(O)/obj/tests/unit/test_drv_touch.o \
		$(DRV_TOUCH_PURE:%.c=$(O)/obj/%.o)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_drv_touch

# The image test's touch check: a uinput clone of the board's touch device,
# taps and a long press injected, read back through libdrv_touch by name.
$(O)/obj/tests/qemu/touch-probe.o: tests/qemu/touch-probe.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(DRV_TOUCH_CFLAGS) -c $< -o $@

$(O)/tests/qemu/touch-probe: $(O)/obj/tests/qemu/touch-probe.o $(DRV_TOUCH_LIB)
	$(call say,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(DRV_TOUCH_LIBS)

IMAGE_TEST_BINS += $(O)/tests/qemu/touch-probe

# The recognizer on arbitrary event streams and axis ranges.
FUZZ_TARGETS += fuzz_touch
$(O)/fuzz/fuzz_touch: tests/fuzz/fuzz_touch.c $(DRV_TOUCH_PURE) drivers/touch/include/drv/touch.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Idrivers/touch/include -o $@ $< $(DRV_TOUCH_PURE)
