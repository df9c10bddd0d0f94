#!/bin/sh
# SPDX-License-Identifier: MIT
# The image test's second, short boot (issue "room device"), run inside the
# image by /sbin/sealroom-init for sealroom.mode=test sealroom.test=virtio-gpu
# with sealroom.board=qemu-x86_64-virtio-gpu: QEMU's virtio-gpu as the screen,
# no vkms (tests/qemu/test_qemu_boot.sh --virtio-gpu). TAP on stdout (the
# results port), details on stderr (the console).
#
#   1. the board variant is in effect: virtio_gpu loaded, vkms not; the device
#      has what the board names (one primary plane, a cursor, no overlay, no
#      writeback); sealroom-probe passes the board and refuses copies of it
#      that ask for an overlay plane or writeback;
#   2. the room display: e2ee-media send (a flat colour, the codeword burned
#      in) to e2ee-media receive --display on virtio-gpu. With no overlay
#      plane, libdrv_display composites every layer (the video tile and
#      libwm's overlay) in software: the receiver must report all its layers
#      composited. There is no writeback to read the screen back, so the
#      host takes it: once the frames are shown this script asks on the
#      console ("sealroom: screendump ..." with the tile and codewords to
#      check), keeps the picture on screen, and waits for the host's click on
#      the tablet, which the host sends after QMP's screendump has returned;
#      the host then checks the picture with display-check.
. /usr/lib/sealroom/tests/in-image-lib.sh

# The room booted into the panel's Home (20-sealroom-screen, started by
# sealroom-init on the board's display): stopped here, as in in-image.sh 1b,
# so that the room display below can take the screen (one DRM master).
bootpid=$(cat /run/sealroom/20-sealroom-screen.pid 2>/dev/null)
if [ -n "$bootpid" ]; then
	kill -TERM "$bootpid" 2>/dev/null
	waitpid_for "$bootpid" 60 "the booted screen to stop after SIGTERM" >/dev/null
fi
check "the booted screen (pid ${bootpid:-none}) stopped: the display is free for the room display" \
	sh -c "[ -n '$bootpid' ] && ! kill -0 '$bootpid' 2>/dev/null"

# 1. the board variant and the device.
check "board variant qemu-x86_64-virtio-gpu in effect (sealroom.board)" \
	test "$board_name" = qemu-x86_64-virtio-gpu
check "module virtio_gpu loaded" test -d /sys/module/virtio_gpu
check "module vkms not loaded" test ! -d /sys/module/vkms
planes=$("$here/drm-planes" "$display_device" 2>&1)
echo "# drm-planes: $planes"
for kv in "driver=$display_driver" $display_planes "writeback=$display_writeback"; do
	check "display $display_device has $kv" sh -c "echo '$planes' | grep -qw '$kv'"
done
probe_out=$(sealroom-probe 2>&1)
probe_rc=$?
echo "$probe_out" | sed 's/^/# /'
check "sealroom-probe passes on board $board_name (exit $probe_rc)" test "$probe_rc" = 0
refused() { # refused DESCRIPTION SED_SCRIPT EXPECTED_LINE
	sed "$2" /etc/sealroom/board >/tmp/board-wrong
	out=$(sealroom-probe --board /tmp/board-wrong 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && [ "$(echo "$out" | grep -c FAIL)" = 1 ] && echo "$out" | grep -qxF "$3"; then
		ok "sealroom-probe refuses a virtio-gpu board with $1"
	else
		nok "sealroom-probe refuses a virtio-gpu board with $1 (exit $rc; want: $3)"
		echo "$out" | sed 's/^/# /'
	fi
}
refused "an overlay plane" 's|^display_planes=.*|display_planes="primary=1 overlay=1 cursor=1"|' \
	"sealroom-probe: FAIL display: planes primary=1 overlay=0 (ARGB8888: 0) cursor=1, the board names primary=1 overlay=1 cursor=1"
refused "writeback" 's|^display_writeback=.*|display_writeback=1|' \
	"sealroom-probe: FAIL display: no writeback connector (display_writeback=1)"
rm -f /tmp/board-wrong

# 2. the room display on virtio-gpu.
cw=$(e2ee-sframe codeword "$(rand 32)")
wrong=$(echo "$cw" | tr 'bdfghjklmnprstvzaiou' 'dfghjklmnprstvzbioua')
colour=c05030
d=$(mktemp -d)
echo "# a wrong codeword $wrong"
room_start "$cw" "$colour" 5
# The picture stays on screen while the receiver runs: the host takes it,
# then clicks on the tablet (any event on it ends the wait). The tablet is
# opened before the request, so that the click cannot come before the read.
ev=
for e in /sys/class/input/event*; do
	[ "$(cat "$e/device/name" 2>/dev/null)" = "$touch_name" ] && ev=/dev/input/${e##*/}
done
if [ -n "$ev" ] && exec 3<"$ev"; then
	echo "sealroom: screendump wrong=$wrong frame=640x360 tile=$cw:$colour:This room" >/dev/console
	if timeout 120 head -c 24 <&3 >/dev/null; then
		ok "the host took the screendump (its click on $ev came back)"
	else
		nok "no click from the host within 120 s of the screendump request"
	fi
	exec 3<&-
else
	nok "the tablet \"$touch_name\" to hear the host's click on: ${ev:-not found}"
fi
room_stop
if [ "$rc" = 0 ] && [ "${shown:-0}" -gt 0 ] && [ "${layers:-0}" -ge 2 ] && [ "$composited" = "$layers" ]; then
	ok "e2ee-media receive --display: $shown frames of sender 1 shown on $display_driver, all $layers layers composited in software (0 on overlay planes)"
else
	nok "e2ee-media receive --display on $display_driver (exit $rc, frames shown: ${shown:-none}, layers ${layers:-?}, composited in software: ${composited:-?})"
	tail -n 20 "$d/recv.log" | sed 's/^/# /'
	tail -n 10 "$d/send.log" 2>/dev/null | sed 's/^/# /'
fi
rm -rf "$d"
echo "1..$n"
