#!/bin/sh
# SPDX-License-Identifier: MIT
# The image test, run inside the booted image by /sbin/sealroom-init when the
# kernel command line says sealroom.mode=test. TAP on stdout (the host reads
# it from the virtio-serial port), details on stderr (the console). Checks
# what the board file (/etc/sealroom/board) names.
. /usr/lib/sealroom/tests/in-image-lib.sh

# 1. the board's kernel modules are loaded (vivid only if Debian ships it).
part "1. the board's kernel modules are loaded"
for m in $kernel_modules; do
	if ! modinfo -n "$m" >/dev/null 2>&1; then
		ok "module $m # SKIP not in this kernel"
	elif grep -q "^$m " /proc/modules || [ -d "/sys/module/$m" ]; then
		ok "module $m loaded"
	else
		nok "module $m loaded"
	fi
done

# 1b. the room boots into the panel's Home: 20-sealroom-screen, started by
# sealroom-init without a meeting configured, runs the panel on the board's
# display with the board's millimetres and touch panel. It is stopped here:
# the checks below take the display (and the tablet) themselves; the meeting
# part (in-image-hostroom.sh) runs the service again, configured.
part "1b. the room boots into the panel's Home"
boot=/run/sealroom/20-sealroom-screen
bootpid=$(cat "$boot.pid" 2>/dev/null)
# No meeting service here: Home without Start and Join (nothing keyxchgd
# vouches for), Settings its one tap target.
if waitfor "$boot.log" "panel: page home: home.settings=" 120 &&
	grep -q "touch: the device \"$touch_name\"" "$boot.log" &&
	grep -q "panel: ${screen_width_mm}x$screen_height_mm mm, Settings behind keyxchgd's admin PIN" "$boot.log"; then
	ok "sealroom-init's 20-sealroom-screen shows Home (Settings at $(sed -n 's/.*home.settings=\([0-9,]*\).*/\1/p' "$boot.log" | tail -n 1); no meeting service: no Start), touch \"$touch_name\", ${screen_width_mm}x$screen_height_mm mm, Settings behind keyxchgd's admin PIN"
else
	nok "the booted screen service shows no Home with the board's touch panel and millimetres"
	sed 's/^/# /' "$boot.log"
fi
check "the booted screen's output goes to sealroom-log's writer (a pipe, not the file), its log bounded" \
	sh -c "readlink /proc/'$bootpid'/fd/1 | grep -q '^pipe:' && [ \"\$(wc -c <'$boot.log')\" -le 1048576 ]"
check "the booted screen runs as sealroom-screen (pid $bootpid)" \
	sh -c "[ \"\$(ps -o user= -p '$bootpid')\" = sealroom-screen ] && [ \"\$(ps -o comm= -p '$bootpid')\" = sealroom-screen ]"
kill -TERM "$bootpid" 2>/dev/null
waitpid_for "$bootpid" 60 "the booted screen to stop after SIGTERM" >/dev/null
# Its last lines reach the log through sealroom-log's writer, a moment
# after the screen is gone.
waitfor "$boot.log" "screen stats:" 60
check "the booted screen stops on SIGTERM: the display is free for the checks below" \
	sh -c "! kill -0 '$bootpid' 2>/dev/null && grep -q 'screen stats:' '$boot.log'"

# 2. the display: the device node, its driver, planes and writeback connector.
part "2. the display"
card=$(ls /dev/dri/card* 2>/dev/null | head -n 1)
check "display device $display_device exists ($card)" test -c "$display_device"
planes=$("$here/drm-planes" "$display_device" 2>&1)
echo "# drm-planes: $planes"
check "display driver is $display_driver" sh -c "echo '$planes' | grep -q 'driver=$display_driver '"
for kv in $display_planes "writeback=$display_writeback"; do
	check "display has $kv" sh -c "echo '$planes' | grep -qw '$kv'"
done
overlays=$(echo "$display_planes" | tr ' ' '\n' | sed -n 's/^overlay=//p')
check "every overlay plane takes $display_overlay_format" \
	sh -c "echo '$planes' | grep -qw 'overlay_argb8888=$overlays'"

# 2b. the display layer (drivers/display): a video tile and a codeword label
# on two overlay planes, captured through writeback and checked pixel by
# pixel; then the same scene composited in software, which must capture the
# same. The PNGs go to the host on the org.sealroom.artifacts port.
part "2b. the display layer"
art=/tmp/artifacts
mkdir -p "$art"
scene() { # scene DESCRIPTION ARGS...: a check that also shows drm-scene's lines
	desc=$1; shift
	check "$desc" "$here/drm-scene" --size "${screen_width}x$screen_height" "$@" "$display_device"
	grep -e '^#' -e '^drm-scene:' /tmp/check.out | sed 's/^#* */# /'
}
scene "drm-scene: tile and libwm label on overlay planes, writeback capture checked" \
	--png "$art/screen-planes.png"
scene "drm-scene --compose: software composition captures the same screen" \
	--compose --png "$art/screen-composed.png" --reference "$art/screen-planes.png"

# 3. the camera and the touch panel the board names.
part "3. the camera and the touch panel the board names"
if [ -d "/sys/module/$camera_driver" ]; then
	dev=$(grep -l . /sys/class/video4linux/video*/name 2>/dev/null | head -n 1)
	dev=/dev/$(basename "$(dirname "$dev")")
	check "camera $camera_driver captures 5 frames ($camera_caps) from $dev" \
		gst-launch-1.0 -q $camera_element device="$dev" num-buffers=5 ! "$camera_caps" ! fakesink
else
	ok "camera $camera_driver # SKIP module not loaded"
fi
check "touch device \"$touch_name\" present" grep -q "Name=\"$touch_name\"" /proc/bus/input/devices

# 3b. the device layer: sealroom-probe, V4L2 classes, touches (in-image-devices.sh).
part "3b. the device layer"
. "$here/in-image-devices.sh"

# 4. our GStreamer plugin, from the prebuilt registry (which stays as built).
part "4. our GStreamer plugin, from the prebuilt registry"
reg_before=$(stat -c %Y.%s "$GST_REGISTRY" 2>/dev/null)
check "gst-inspect-1.0 e2eeenc finds the e2ee plugin" sh -c 'gst-inspect-1.0 e2eeenc | grep -q "Plugin Details" && gst-inspect-1.0 e2eeenc | grep -q "Name *e2ee"'
check "gst-inspect-1.0 e2eedec" gst-inspect-1.0 e2eedec
check "board encoder ${video_encoder%% *} and decoder $video_decoder exist" \
	sh -c "gst-inspect-1.0 ${video_encoder%% *} >/dev/null && gst-inspect-1.0 $video_decoder >/dev/null"
check "the prebuilt registry is used, not rewritten" sh -c "[ -n '$reg_before' ] && [ \$(stat -c %Y.%s $GST_REGISTRY) = '$reg_before' ]"

# 5. the firmware's tool runs in the image: SFrame protect, then unprotect.
part "5. the firmware's tool runs in the image"
k=000102030405060708090a0b0c0d0e0f
check "e2ee-sframe protect and unprotect" sh -c \
	"umask 077; echo $k >/tmp/sframe.key; [ \$(e2ee-sframe unprotect --base-key-file /tmp/sframe.key \$(e2ee-sframe protect --kid 1 --ctr 0 --base-key-file /tmp/sframe.key 68656c6c6f)) = 68656c6c6f ]"

# 6. an encrypted round trip, keys from 0600 key files.
part "6. an encrypted round trip, keys from 0600 key files"
umask 077
d=$(mktemp -d)
key=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
other=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
echo "16777216 send $key" >"$d/send.keys"
echo "16777216 recv $key" >"$d/recv.keys"
echo "16777216 recv $other" >"$d/wrong.keys"
check "key files are mode 0600" sh -c "[ \$(stat -c %a $d/send.keys) = 600 ] && [ \$(stat -c %a $d/recv.keys) = 600 ]"
frames=60
roundtrip() { # roundtrip RECV_KEYFILE: prints the number of decoded frames
	gst-launch-1.0 -v videotestsrc num-buffers=$frames pattern=ball ! \
		video/x-raw,width=320,height=240,framerate=30/1 ! $video_encoder ! \
		e2eeenc key-file="$d/send.keys" ! e2eedec key-file="$1" ! $video_decoder ! \
		fakesink name=sink silent=false 2>&1 | tee "$d/log" | grep -c 'sink: last-message = chain'
}
got=$(roundtrip "$d/recv.keys")
if [ "$got" = $frames ]; then ok "videotestsrc ! ${video_encoder%% *} ! e2eeenc ! e2eedec ! $video_decoder: $got of $frames frames"
else nok "round trip: $got of $frames frames"; grep -v last-message "$d/log" | tail -n 8 | sed 's/^/# /'; fi
got=$(roundtrip "$d/wrong.keys")
if [ "$got" = 0 ]; then ok "with the wrong key e2eedec passes no frame"
else nok "wrong key: $got frames decoded"; fi
if [ -n "${dev:-}" ]; then
	got=$(gst-launch-1.0 -v $camera_element device="$dev" num-buffers=30 ! "$camera_caps" ! videoconvert ! \
		$video_encoder ! e2eeenc key-file="$d/send.keys" ! e2eedec key-file="$d/recv.keys" ! \
		$video_decoder ! fakesink name=sink silent=false 2>&1 | tee "$d/log" | grep -c 'sink: last-message = chain')
	if [ "$got" = 30 ]; then ok "camera ! ${video_encoder%% *} ! e2eeenc ! e2eedec ! $video_decoder: 30 of 30 frames"
	else nok "camera round trip: $got of 30 frames"; grep -v last-message "$d/log" | tail -n 8 | sed 's/^/# /'; fi
fi
chmod 0644 "$d/recv.keys"
if gst-launch-1.0 -q videotestsrc num-buffers=1 ! $video_encoder ! e2eeenc key-file="$d/send.keys" ! \
	e2eedec key-file="$d/recv.keys" ! fakesink >"$d/log" 2>&1; then
	nok "a key file readable by others is refused"
else ok "a key file readable by others is refused"; fi
rm -rf "$d"

# 7. the room display and the services: tests/qemu/in-image-display.sh.
part "7. the room display and the services"
. "$here/in-image-display.sh"

# 8. a meeting with a room on the host: tests/qemu/in-image-hostroom.sh.
part "8. the QEMU room hosts and admits a room on the host"
. "$here/in-image-hostroom.sh"

# Files for the host (the composed screen's PNGs), as a tar stream.
for p in /sys/class/virtio-ports/*; do
	[ "$(cat "$p/name" 2>/dev/null)" = org.sealroom.artifacts ] &&
		tar -C "$art" -cf - . >"/dev/${p##*/}" 2>/dev/null
done

part "end"
echo "1..$n"
