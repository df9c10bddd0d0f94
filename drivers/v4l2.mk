# SPDX-License-Identifier: MIT
# drivers/v4l2: libdrv_v4l2, what the kernel's V4L2 nodes offer (capture and
# m2m codec nodes, formats, frame sizes and intervals); and sealroom-probe
# (drivers/probe/), which checks the board file against the kernel through
# libdrv_v4l2, libdrv_display, libdrv_touch and libboard. This fragment comes
# after board.mk, display.mk and touch.mk (sorted), whose libraries it links.
DRV_V4L2_CFLAGS := -Idrivers/v4l2/include
DRV_V4L2_PURE := drivers/v4l2/classify.c
DRV_V4L2_SRCS := $(DRV_V4L2_PURE) drivers/v4l2/device.c
DRV_V4L2_OBJS := $(DRV_V4L2_SRCS:%.c=$(O)/obj/%.o)
DRV_V4L2_LIB := $(O)/lib/libdrv_v4l2.a

$(O)/obj/drivers/v4l2/%.o: drivers/v4l2/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(DRV_V4L2_CFLAGS) -c $< -o $@

$(DRV_V4L2_LIB): $(DRV_V4L2_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/obj/drivers/probe/%.o: drivers/probe/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(BOARD_CFLAGS) $(DRV_V4L2_CFLAGS) $(DRV_DISPLAY_CFLAGS) \
	  $(DRV_TOUCH_CFLAGS) -c $< -o $@

$(O)/bin/sealroom-probe: $(O)/obj/drivers/probe/sealroom-probe.o $(DRV_V4L2_LIB) \
		$(DRV_DISPLAY_LIB) $(DRV_TOUCH_LIB) $(BOARD_LIB)
	$(call say,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(DRV_DISPLAY_LIBS) $(DRV_TOUCH_LIBS)

all: $(DRV_V4L2_LIB) $(O)/bin/sealroom-probe

install: install-probe
.PHONY: install-probe
install-probe: $(O)/bin/sealroom-probe
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(O)/bin/sealroom-probe $(DESTDIR)$(PREFIX)/bin/

# ------------------------------------------------------------------- tests

$(O)/obj/tests/unit/test_drv_v4l2.o: tests/unit/test_drv_v4l2.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(DRV_V4L2_CFLAGS) $(call pc,cmocka) -c $< -o $@

$(O)/tests/test_drv_v4l2: $(O)/obj/tests/unit/test_drv_v4l2.o $(DRV_V4L2_PURE:%.c=$(O)/obj/%.o)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_drv_v4l2
