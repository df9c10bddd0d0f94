# SPDX-License-Identifier: MIT
# The device layer's image checks (drivers/v4l2, drivers/touch, board/):
# sourced by in-image.sh, whose ok/nok/check, $here and the board's variables
# it uses. sealroom-probe against this board and against wrong copies of it,
# the V4L2 classification, and touches injected through uinput.

devices_t0=$(cut -d' ' -f1 /proc/uptime)

# d1. sealroom-probe: the kernel offers what the board names.
probe() { # probe ARGS...: sealroom-probe's output in $probe_out, its status in $probe_rc
	probe_out=$(sealroom-probe "$@" 2>&1)
	probe_rc=$?
	echo "$probe_out" | sed 's/^/# /'
}
probe
if [ "$probe_rc" = 0 ]; then ok "sealroom-probe passes on board $board_name"
else nok "sealroom-probe passes on board $board_name (exit $probe_rc)"; fi

# d2. wrong copies of the board: each fails with exit 1, the expected
# message, and nothing else failing.
wrong_board() { # wrong_board DESCRIPTION SED_SCRIPT EXPECTED_LINE
	sed "$2" /etc/sealroom/board >/tmp/board-wrong
	probe --board /tmp/board-wrong
	fails=$(echo "$probe_out" | grep -c 'FAIL')
	if [ "$probe_rc" = 1 ] && [ "$fails" = 1 ] && echo "$probe_out" | grep -qxF "$3"; then
		ok "sealroom-probe refuses a board with $1"
	else
		nok "sealroom-probe refuses a board with $1 (exit $probe_rc, $fails FAIL lines; want: $3)"
	fi
}
wrong_board "a camera size vivid does not offer" \
	's|^camera_caps=.*|camera_caps="video/x-raw,width=1234,height=567,framerate=30/1"|' \
	"sealroom-probe: FAIL camera: $camera_driver offers no raw format 1234x567 at 30/1 fps (camera_caps video/x-raw,width=1234,height=567,framerate=30/1)"
wrong_board "a rate vivid does not offer at that size" \
	's|^camera_caps=.*|camera_caps="video/x-raw,width=1280,height=720,framerate=30/1"|' \
	"sealroom-probe: FAIL camera: $camera_driver offers no raw format 1280x720 at 30/1 fps (camera_caps video/x-raw,width=1280,height=720,framerate=30/1)"
wrong_board "no touch_name" '/^touch_name=/d' \
	"sealroom-probe: FAIL touch: the board names no touch_name"
wrong_board "a touch panel that is not there" 's|^touch_name=.*|touch_name="No Such Panel"|' \
	"sealroom-probe: FAIL touch: \"No Such Panel\": no input device of that name"
wrong_board "a V4L2 encoder element without an m2m encoder" \
	's|^video_encoder=.*|video_encoder="v4l2h264enc extra-controls=foo"|' \
	"sealroom-probe: FAIL encoder: v4l2h264enc needs a V4L2 m2m encoder of H264: none found"
wrong_board "another display driver" 's|^display_driver=.*|display_driver=virtio_gpu|' \
	"sealroom-probe: FAIL display: $display_device is driven by $display_driver, the board names virtio_gpu"
wrong_board "more overlay planes than the device has" \
	's|^display_planes=.*|display_planes="primary=1 overlay=9 cursor=1"|' \
	"sealroom-probe: FAIL display: planes primary=1 overlay=8 (ARGB8888: 8) cursor=1, the board names primary=1 overlay=9 cursor=1"
printf 'board_name=x\nkernel_modules=$(reboot)\n' >/tmp/board-wrong
probe --board /tmp/board-wrong
if [ "$probe_rc" = 2 ] && echo "$probe_out" | grep -qF "line 2: not a key=value line"; then
	ok "sealroom-probe refuses a board file with shell syntax (exit 2, line 2)"
else nok "sealroom-probe refuses a board file with shell syntax (exit $probe_rc)"; fi
rm -f /tmp/board-wrong

# d3. the V4L2 nodes, classified: the camera is a capture node, every m2m
# node has a role.
list=$(sealroom-probe --list 2>&1)
echo "$list" | sed 's/^/# /'
check "V4L2: $camera_driver is a capture node with raw formats" \
	sh -c "echo '$list' | grep -q ' driver=$camera_driver .* kind=capture role=none capture=[A-Z0-9]'"
# vicodec (the kernel's virtual FWHT codec, built out of tree by
# drivers/vicodec) when the board loads it: its stateful nodes are an FWHT
# encoder and decoder, and a board naming the V4L2 FWHT elements passes.
case " $kernel_modules " in
*" vicodec "*)
	check "V4L2: vicodec has an FWHT encoder node" sh -c "echo '$list' | grep -q ' driver=vicodec .* kind=m2m role=encoder capture=FWHT\*'"
	check "V4L2: vicodec has an FWHT decoder node" sh -c "echo '$list' | grep -q ' driver=vicodec .* kind=m2m role=decoder .*output=FWHT\*'"
	sed -e 's|^video_encoder=.*|video_encoder=v4l2fwhtenc|' -e 's|^video_decoder=.*|video_decoder=v4l2fwhtdec|' \
		/etc/sealroom/board >/tmp/board-fwht
	probe --board /tmp/board-fwht
	if [ "$probe_rc" = 0 ] && echo "$probe_out" | grep -q '^sealroom-probe: ok encoder: v4l2fwhtenc: V4L2 m2m encoder FWHT (vicodec) at /dev/video' &&
		echo "$probe_out" | grep -q '^sealroom-probe: ok decoder: v4l2fwhtdec: V4L2 m2m decoder FWHT (vicodec) at /dev/video'; then
		ok "sealroom-probe finds vicodec's nodes for v4l2fwhtenc and v4l2fwhtdec"
	else nok "sealroom-probe finds vicodec's nodes for v4l2fwhtenc and v4l2fwhtdec (exit $probe_rc)"; fi
	rm -f /tmp/board-fwht
	;;
*) ok "V4L2: vicodec # SKIP board $board_name does not load it" ;;
esac

# d4. touch: the board's device opened by name, its ranges read; then a
# uinput copy of it, with taps, a long press and a drag injected and read
# back through libdrv_touch at the right screen positions.
shown() { # shown DESCRIPTION COMMAND...: a check that shows the command's lines either way
	desc=$1; shift
	if "$@" >/tmp/check.out 2>&1; then ok "$desc"; else nok "$desc"; fi
	sed 's/^/# /' /tmp/check.out
}
shown "touch-probe: \"$touch_name\" opened by name, ranges read" \
	"$here/touch-probe" info "$touch_name" "$screen_width" "$screen_height"
shown "touch-probe: uinput tap, long press, drag and corner tap at the right screen positions" \
	"$here/touch-probe" uinput "$touch_name" "$screen_width" "$screen_height"
# The real tablet: the host (test_qemu_boot.sh) reads the request on the
# console and clicks there through QMP's input-send-event.
shown "touch: a click the host sends through QMP into \"$touch_name\" is a tap at its screen position" \
	"$here/touch-probe" host-tap "$touch_name" "$screen_width" "$screen_height" /dev/console
echo "# device layer checks: $(awk -v a="$(cut -d' ' -f1 /proc/uptime)" -v b="$devices_t0" 'BEGIN { printf "%.1f", a - b }') s"
