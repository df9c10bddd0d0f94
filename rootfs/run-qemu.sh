#!/bin/sh
# SPDX-License-Identifier: MIT
# Boots the room image in QEMU (TCG: no KVM on these machines).
#
#   rootfs/run-qemu.sh IMAGE_DIR        (make qemu; the image test)
#
# Serial console on stdio (-nographic), root on virtio-blk (snapshot: the
# image file is never written unless QEMU_PERSIST=1), virtio-tablet as the
# touch panel, a virtio-serial port org.sealroom.results to QEMU_RESULTS (a
# file; /dev/null by default) and a port org.sealroom.artifacts to
# QEMU_ARTIFACTS (files the image test hands out, as a tar stream). Display: vkms inside the guest (a kernel
# module; QEMU shows nothing), or QEMU_DISPLAY=virtio-gpu: QEMU's virtio-gpu
# at 1280x720 and the board's virtio-gpu variant (sealroom.board=
# qemu-x86_64-virtio-gpu: no vkms), shown in a window (QEMU_UI, default gtk;
# needs Debian's qemu-system-gui, which qemu-system-x86 alone lacks) or
# QEMU_UI=none (headless; the image test's second boot takes the picture
# with QMP's screendump), or QEMU_UI=vnc=:0.
# QEMU_APPEND adds to the kernel command line (sealroom.mode=test runs the
# image test); QEMU_MEM, QEMU_SMP; QEMU_QMP, a path for a QMP socket (the
# image test clicks on the tablet and takes screendumps through it).
# QEMU_NIC, QEMU's -nic (default none: no network; the image test's room on
# the host gives user networking, no port forwarded), QEMU_DISK2, a file the guest
# sees read-only as /dev/vdb (the host room's tar).
set -eu
img=$1
mem=${QEMU_MEM:-1024}
smp=${QEMU_SMP:-2}
snapshot=on
[ "${QEMU_PERSIST:-0}" = 1 ] && snapshot=off
case ${QEMU_DISPLAY:-vkms} in
vkms) display="-vga none -display none" extra= ;;
virtio-gpu) display="-vga none -device virtio-gpu-pci,xres=1280,yres=720 -display ${QEMU_UI:-gtk}"
	extra=sealroom.board=qemu-x86_64-virtio-gpu ;;
*) echo "QEMU_DISPLAY: vkms or virtio-gpu" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
exec qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp "$smp" -m "$mem" \
	-nographic -serial mon:stdio $display -no-reboot \
	-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
	-append "console=ttyS0 root=/dev/vda rw quiet loglevel=3 panic=-1 $extra ${QEMU_APPEND:-}" \
	-drive "file=$img/rootfs.ext4,if=virtio,format=raw,snapshot=$snapshot" \
	-device virtio-tablet-pci \
	-device virtio-serial-pci \
	-chardev "file,id=results,path=${QEMU_RESULTS:-/dev/null}" \
	-device virtserialport,chardev=results,name=org.sealroom.results \
	-chardev "file,id=artifacts,path=${QEMU_ARTIFACTS:-/dev/null}" \
	-device virtserialport,chardev=artifacts,name=org.sealroom.artifacts \
	${QEMU_QMP:+-qmp "unix:$QEMU_QMP,server=on,wait=off"} \
	${QEMU_DISK2:+-drive "file=$QEMU_DISK2,if=virtio,format=raw,readonly=on"} \
	-nic "${QEMU_NIC:-none}"
