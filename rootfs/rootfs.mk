# SPDX-License-Identifier: MIT
# rootfs/: the QEMU room image and its boot.
#
#   make image      $(O)/image/{rootfs.ext4,vmlinuz,initrd.img} (as root): the
#                   development image, the one the tests boot
#   make image-product  $(O)/image-product/...: the product image (no console
#                   shell, no tests, the kernel command line's sealroom.* ignored)
#   make qemu-product  boot the product image (its console shows lines, takes nothing)
#   make qemu-meeting  boot it with the relay and a second room on the host: a meeting
#                   run from the panel (taps: make qemu-tap W=WIDGET in a second terminal)
#   make qemu       boot it: serial console here (Ctrl-a x quits); QEMU_DISPLAY=virtio-gpu for
#                   QEMU's virtio-gpu and the board's virtio-gpu variant (a window: QEMU_UI),
#                   QEMU_APPEND=... for the kernel command line
#   BOARD=name      board/<name>.board (default qemu-x86_64)
#
# The image test (tests/qemu: a boot on vkms, then a short one on virtio-gpu) is
# part of `make check`, except under SANITIZE
# (an ASan-built plugin cannot load in the image's GStreamer).

BOARD ?= qemu-x86_64
IMAGE_DIR := $(O)/image
IMAGE_PRODUCT_DIR := $(O)/image-product
# Host tools: mmdebstrap, QEMU, kmod (depmod, modprobe --show-depends), cpio;
# drivers/vkms/build-vkms.sh installs the exact linux-source and headers the
# image's kernel needs (these two pull the current ones in up front). The
# image test's room on the host: Janus, iproute2 (its network namespace's
# veth), util-linux (unshare; flock for the image cache both variants share),
# python3-cryptography and python3-websockets (the relay fixture). e2fsprogs'
# debugfs reads the product image's file system in its test.
MORE_DEB_PACKAGES += mmdebstrap qemu-system-x86 e2fsprogs kmod cpio gzip \
	linux-source linux-headers-amd64 libdrm-dev janus iproute2 util-linux \
	python3-cryptography python3-websockets

IMAGE_TEST_BINS += $(O)/tests/qemu/drm-planes
IMAGE_TEST_FILES = $(IMAGE_TEST_BINS) tests/qemu/in-image-lib.sh tests/qemu/in-image.sh tests/qemu/in-image-devices.sh \
	tests/qemu/in-image-display.sh tests/qemu/in-image-hostroom.sh tests/qemu/in-image-virtio-gpu.sh

$(O)/tests/qemu/drm-planes: tests/qemu/drm-planes.c
	$(call say,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) $(call pc,libdrm) -o $@ $< $(BASE_LDFLAGS) $(LDFLAGS) $(call pl,libdrm)

.PHONY: image qemu image-product qemu-product
image: deps
	@$(MAKE) --no-print-directory all $(IMAGE_TEST_BINS)
	@start=$$(date +%s); \
	MAKE="$(MAKE)" O="$(O)" IMAGE_TEST_FILES="$(IMAGE_TEST_FILES)" \
	  rootfs/mkimage.sh $(IMAGE_DIR) $(BOARD) && \
	echo "image: built in $$(( $$(date +%s) - start )) s"

# The product image: the same build (base, modules, registry, users, services)
# with IMAGE_VARIANT=product (rootfs/README.md "The product image"); its
# cache is the development image's.
image-product: deps
	@$(MAKE) --no-print-directory all
	@start=$$(date +%s); \
	MAKE="$(MAKE)" O="$(O)" IMAGE_VARIANT=product IMAGE_CACHE=$(IMAGE_DIR)/cache \
	  rootfs/mkimage.sh $(IMAGE_PRODUCT_DIR) $(BOARD) && \
	echo "image-product: built in $$(( $$(date +%s) - start )) s"

qemu: deps
	@test -f $(IMAGE_DIR)/rootfs.ext4 || $(MAKE) --no-print-directory image
	rootfs/run-qemu.sh $(IMAGE_DIR)

qemu-product: deps
	@test -f $(IMAGE_PRODUCT_DIR)/rootfs.ext4 || $(MAKE) --no-print-directory image-product
	rootfs/run-qemu.sh $(IMAGE_PRODUCT_DIR)

# sealroom-log: each service's output into a log of bounded size
# (sealroom-init starts every service through it: /run is RAM).
$(O)/bin/sealroom-log: $(O)/obj/rootfs/sealroom-log.o $(O)/obj/rootfs/log-writer.o
	$(call say,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^

all: $(O)/bin/sealroom-log

# What a service's crash leaves in its log (crash-report.c, linked into
# roomd, sealroom-screen and keyxchgd).
MORE_TESTS += tests/integration/test_crash_report.py

# The product initramfs's /init (initramfs-product.c): static, as nothing
# else is in that initramfs; never sanitized (a static ASan program does not
# link, and it runs before any log could say what ASan found).
$(O)/bin/sealroom-initramfs: rootfs/initramfs-product.c rootfs/initramfs-cmdline.c \
		rootfs/initramfs-cmdline.h
	$(call say,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(WARN) \
	  -static -o $@ $(filter %.c,$^)

all: $(O)/bin/sealroom-initramfs

# Its command-line rule on the host, as a table of named command lines.
$(O)/tests/test_initramfs_cmdline: tests/unit/test_initramfs_cmdline.c \
		rootfs/initramfs-cmdline.c rootfs/initramfs-cmdline.h
	$(call say,CCLD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -Irootfs $(BASE_LDFLAGS) -o $@ \
	  $(filter %.c,$^) $(TEST_LIBS)
MORE_TESTS += $(O)/tests/test_initramfs_cmdline
FUZZ_TARGETS += fuzz_initramfs_cmdline
$(O)/fuzz/fuzz_initramfs_cmdline: tests/fuzz/fuzz_initramfs_cmdline.c \
		rootfs/initramfs-cmdline.c rootfs/initramfs-cmdline.h
	$(call say,FUZZCC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Irootfs -o $@ $(filter %.c,$^)

install: install-sealroom-log
.PHONY: install-sealroom-log
install-sealroom-log: $(O)/bin/sealroom-log
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(O)/bin/sealroom-log $(DESTDIR)$(PREFIX)/sbin/

# Far more output than the bound through it, tail -F across its rotations.
MORE_TESTS += tests/integration/test_rootfs_log.py

# The writer on any output in any pieces: the bound, and the files the end of it.
FUZZ_TARGETS += fuzz_log_writer
$(O)/fuzz/fuzz_log_writer: tests/fuzz/fuzz_log_writer.c rootfs/log-writer.c rootfs/log-writer.h
	$(call say,FUZZCC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Irootfs -o $@ tests/fuzz/fuzz_log_writer.c rootfs/log-writer.c

# A meeting run from the QEMU room's panel (rootfs/run-meeting.sh): the relay
# and a second room on the host; taps from a second terminal with qemu-tap.
.PHONY: qemu-meeting qemu-tap
QEMU_TAP_COMMA := ,
qemu-meeting: deps
	@test -f $(IMAGE_DIR)/rootfs.ext4 || $(MAKE) --no-print-directory image
	@$(MAKE) --no-print-directory all
	rootfs/run-meeting.sh $(IMAGE_DIR) $(O)
qemu-tap:
	@tests/qemu/panel-tap.py $(O)/qemu-meeting $(subst $(QEMU_TAP_COMMA), ,$(W))

ifeq ($(SANITIZE),)
# The test wrapper depends on the image, so `make check` builds (or refreshes)
# it first.
MORE_TESTS += $(O)/tests/test_qemu_boot
$(O)/tests/test_qemu_boot: image tests/qemu/test_qemu_boot.sh
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec %s %s\n' $(abspath tests/qemu/test_qemu_boot.sh) $(abspath $(IMAGE_DIR)) >$@
	@chmod +x $@
# The second, short boot: QEMU's virtio-gpu as the screen (no vkms), checked
# from the host through QMP's screendump.
MORE_TESTS += $(O)/tests/test_qemu_virtio_gpu
$(O)/tests/test_qemu_virtio_gpu: image tests/qemu/test_qemu_boot.sh
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec %s --virtio-gpu %s\n' $(abspath tests/qemu/test_qemu_boot.sh) \
	  $(abspath $(IMAGE_DIR)) >$@
	@chmod +x $@
# The product image: its file system and initramfs inspected offline, then
# one boot with the test switches on the kernel command line (ignored), a
# line typed on the console (nothing answers), powered off over QMP.
MORE_TESTS += $(O)/tests/test_qemu_product
$(O)/tests/test_qemu_product: image-product tests/qemu/test_qemu_product.sh
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec %s %s\n' $(abspath tests/qemu/test_qemu_product.sh) \
	  $(abspath $(IMAGE_PRODUCT_DIR)) >$@
	@chmod +x $@
endif

# The image test with every host core busy (tests/qemu/test_qemu_loaded.sh):
# the load under which it once stopped in the room display part. Not in
# `make check`; CI runs it on the fresh machine after `make check`. A guest
# that stops answering fails it at the timeout with each vCPU's registers and
# the kernel's own stack, by name, from an NMI (tests/qemu/qmp.py nmi): that
# named the lock-up seen here before, vkms's vblank deadlock, now patched
# (drivers/vkms/build-vkms.sh).
.PHONY: check-image-loaded
check-image-loaded: image
	@mkdir -p $(O)/tests
	@printf '#!/bin/sh\nexec %s %s\n' $(abspath tests/qemu/test_qemu_loaded.sh) \
	  $(abspath $(IMAGE_DIR)) >$(O)/tests/test_qemu_loaded
	@chmod +x $(O)/tests/test_qemu_loaded
	@TEST_LOGS=$(O)/test-logs tests/run-tests.sh $(O)/tests/test_qemu_loaded
