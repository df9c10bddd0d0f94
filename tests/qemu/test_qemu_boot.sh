#!/bin/bash
# SPDX-License-Identifier: MIT
# The image test, host side: boots IMAGE_DIR under QEMU (TCG) with
# sealroom.mode=test, prints the time from QEMU's start to "sealroom: ready"
# on the console, and prints the TAP lines the image wrote to its
# virtio-serial port; clicks on the virtio tablet through QMP where the image
# asks for it (the touch check, and each tap on the panel: the meeting is
# driven by taps alone). Files the image hands out on its second port (the
# composed screen as PNG) land in IMAGE_DIR/../test-logs/qemu/. Fails loudly when the guest is not done within
# QEMU_TIMEOUT seconds (default 1200; generous: TCG on a loaded machine is
# slow, and the meeting by taps waits on the host for each tap).
#
# --virtio-gpu: the second, short boot. QEMU's virtio-gpu instead of vkms
# (rootfs/run-qemu.sh QEMU_DISPLAY=virtio-gpu, headless: QEMU_UI=none), the
# board's virtio-gpu variant, tests/qemu/in-image-virtio-gpu.sh in the image.
# When the image asks ("sealroom: screendump ..." on the console), QMP's
# screendump takes what virtio-gpu scans out (IMAGE_DIR/../test-logs/qemu/
# screen-virtio-gpu.png), a click on the tablet tells the image it is taken,
# and display-check (built for the host with the image's test programs)
# checks the picture here; its results follow the image's TAP lines.
#
#   tests/qemu/test_qemu_boot.sh [--virtio-gpu] IMAGE_DIR
set -u
vgpu=
[ "${1:-}" = --virtio-gpu ] && { vgpu=1; shift; }
img=$1
here=$(cd "$(dirname "$0")" && pwd)
# The boot with the room on the host runs in a network namespace of its own
# (root: unshare --net): QEMU's user networking and host_room.py's relay and
# Janus share its loopback (10.0.2.2 from the guest), host_room.py sets up
# its interfaces and captures every datagram of it, nothing else runs there.
if [ -z "$vgpu" ] && [ "${SEALROOM_IN_NETNS:-}" != 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "not ok 1 - the image test's room on the host needs root (a network namespace for QEMU and Janus)"
		exit 1
	fi
	exec env SEALROOM_IN_NETNS=1 unshare --net -- "$0" "$@"
	echo "not ok 1 - unshare --net failed: no network namespace for QEMU and Janus"
	exit 1
fi
# 1200 s: the sections before the meeting took 227 s of the guest's uptime
# at a load average of 6 and 427 s at 19 (2 cores shared); the meeting
# through Janus (ICE, DTLS and SRTP in the guest, under TCG) about 180 s;
# the meeting by taps waits on the host for each tap.
timeout=${QEMU_TIMEOUT:-1200}
work=$img/test-run${vgpu:+-virtio-gpu}
logs=$(cd "$img/.." && pwd)/test-logs/qemu
rm -rf "$work"
mkdir -p "$work"
: >"$work/results.tap"
: >"$work/host.tap"
qmp() { /usr/bin/python3 "$here/qmp.py" "$work/qmp.sock" "$@" | sed 's/^/# /'; }

# The virtio-gpu boot's picture, checked here against what the image asked
# for ("sealroom: screendump wrong=CW frame=WxH tile=CODEWORD:RRGGBB:NAME");
# the TAP lines continue the image's, under a new plan.
vgpu_screen() {
	k=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$work/results.tap")
	[ -n "$k" ] || return 0 # the image did not finish: reported below
	sed -i '/^1\.\./d' "$work/results.tap"
	tap() { k=$((k + 1)); echo "$1 $k - $2" >>"$work/results.tap"; }
	req=$(tr -d '\r' <"$work/console.log" | grep -m 1 -o 'sealroom: screendump .*')
	board=$here/../../board/qemu-x86_64-virtio-gpu.board
	size=$(sh -c '. "$1"; echo "${screen_width}x$screen_height"' sh "$board")
	dc=$(cd "$img/.." && pwd)/tests/qemu/display-check
	if [ -z "$req" ]; then
		tap "not ok" "the image never asked for a screendump"
	elif [ ! -s "$work/screen.png" ]; then
		tap "not ok" "QMP screendump wrote no picture of virtio-gpu's scanout"
	else
		mkdir -p "$logs"
		cp "$work/screen.png" "$logs/screen-virtio-gpu.png"
		echo "# saved $logs/screen-virtio-gpu.png"
		wrong=${req#*wrong=}; wrong=${wrong%% *}
		frame=${req#*frame=}; frame=${frame%% *}
		tile=${req#*tile=}
		"$dc" --frame "$frame" --tile "$tile" --wrong "$wrong" --screen "$work/screen.png" \
			>"$work/dc.out" 2>&1
		dcrc=$?
		if [ "$dcrc" = 0 ] && grep -q "^# screen $size, " "$work/dc.out"; then
			tap ok "display-check on the host, QMP screendump of virtio-gpu ($size): video in the tile, the label ${tile%%:*} composited in software, burned in"
		else
			tap "not ok" "display-check on the host, QMP screendump of virtio-gpu (exit $dcrc, want a $size screen)"
		fi
		sed 's/^\([^#]\)/# \1/' "$work/dc.out" >>"$work/results.tap"
		# The check can fail: not for the wrong codeword.
		"$dc" --frame "$frame" --tile "$wrong:${tile#*:}" --wrong "${tile%%:*}" \
			--screen "$work/screen.png" >"$work/dc-wrong.out" 2>&1
		dcrc=$?
		failed=$(sed -n 's/^display-check: \([0-9]*\) check(s) failed$/\1/p' "$work/dc-wrong.out")
		if [ "$dcrc" = 1 ] && [ "${failed:-0}" -ge 2 ]; then
			tap ok "display-check fails the same screendump for the wrong codeword $wrong ($failed checks failed: label, burned in)"
		else
			tap "not ok" "display-check on the screendump for a wrong codeword: exit $dcrc, ${failed:-no} checks failed"
			sed 's/^/# /' "$work/dc-wrong.out" >>"$work/results.tap"
		fi
	fi
	echo "1..$k" >>"$work/results.tap"
	echo "# virtio-gpu boot: ${total} s in all (the image test's extra time)"
}

# The host room's checks after the image's, under a new plan; its log as
# comments. It is given a bounded time to finish once QEMU is gone.
host_room_done() {
	i=0
	while kill -0 "$hostroom" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	kill -- -"$hostroom" 2>/dev/null
	wait "$hostroom"
	hrc=$?
	k=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$work/results.tap")
	[ -n "$k" ] || return 0 # the image did not finish: reported below
	sed -i '/^1\.\./d' "$work/results.tap"
	sed 's/^/# /' "$work/host-room.log" >>"$work/results.tap"
	while IFS= read -r line; do
		case $line in
		"ok - "* | "not ok - "*) k=$((k + 1)); echo "${line%% - *} $k - ${line#* - }" ;;
		*) echo "$line" ;;
		esac
	done <"$work/host-room.tap" >>"$work/results.tap"
	if [ "$hrc" != 0 ]; then
		k=$((k + 1))
		echo "not ok $k - the host room's driver exited $hrc" >>"$work/results.tap"
	fi
	echo "1..$k" >>"$work/results.tap"
}

start=$(date +%s.%N)
# An NMI from the host (the timeout's, below) panics the guest with its stack.
nmi_panic=unknown_nmi_panic
if [ -n "$vgpu" ]; then
	export QEMU_DISPLAY=virtio-gpu QEMU_UI=none QEMU_APPEND="sealroom.mode=test sealroom.test=virtio-gpu $nmi_panic"
else
	# A module name that would run a command if the init eval'd it (it did:
	# `eval "params=\${module_$m:-}"`); the image checks that nothing ran.
	export QEMU_APPEND='sealroom.mode=test sealroom.modules=x}$(touch${IFS}/run/sealroom-injected)${y'" $nmi_panic"
fi
# The room on the host that the QEMU room admits (tests/qemu/host_room.py):
# its relay, Janus, keyxchgd and roomd; it writes the guest's disk and QEMU's
# -nic first.
hostroom=
if [ -z "$vgpu" ]; then
	QEMU_TIMEOUT=$timeout setsid /usr/bin/python3 "$here/host_room.py" "$work" "$(cd "$img/.." && pwd)" \
		</dev/null >"$work/host-room.log" 2>&1 &
	hostroom=$!
	i=0
	while [ ! -e "$work/hostroom.ready" ] && kill -0 "$hostroom" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if [ ! -e "$work/hostroom.ready" ]; then
		echo "not ok 1 - the host room did not get ready (60 s): $(tail -n 3 "$work/host-room.log")"
		kill -- -"$hostroom" 2>/dev/null
		exit 1
	fi
	export QEMU_NIC="$(cat "$work/hostroom.nic")" QEMU_DISK2=$work/hostroom.tar
fi
QEMU_RESULTS=$work/results.tap QEMU_ARTIFACTS=$work/artifacts.tar QEMU_QMP=$work/qmp.sock \
	setsid "$here/../../rootfs/run-qemu.sh" "$img" </dev/null >"$work/console.log" 2>&1 &
qemu=$!
ready=
clicked=
dumped=
taps=0
while kill -0 "$qemu" 2>/dev/null; do
	now=$(date +%s.%N)
	# The image asks for a screendump (tests/qemu/in-image-virtio-gpu.sh):
	# QMP's returns once the file is written; then the click that says so.
	if [ -n "$vgpu" ] && [ -z "$dumped" ] &&
		req=$(tr -d '\r' <"$work/console.log" | grep -m 1 -o 'sealroom: screendump .*'); then
		dumped=1
		qmp screendump "$work/screen.png"
		qmp click 16384 16384
	fi
	# The image asks for a click on the tablet (tests/qemu/touch-probe.c
	# host-tap); QMP's input-send-event gives it.
	if [ -z "$clicked" ] && at=$(grep -o 'sealroom: touch-probe: host, click at x=[0-9]* y=[0-9]*' "$work/console.log"); then
		clicked=1
		x=${at##*x=}; x=${x%% *}; y=${at##*y=}
		qmp click "$x" "$y"
	fi
	# The image's panel asks for taps ("sealroom: tap N x=X y=Y", numbered
	# from 1, tests/qemu/in-image-hostroom.sh): each new one clicked once, in
	# order, through QMP's input-send-event on the virtio tablet.
	while req=$(tr -d '\r' <"$work/console.log" | grep -m 1 -o "sealroom: tap $((taps + 1)) x=[0-9]* y=[0-9]*"); do
		taps=$((taps + 1))
		x=${req#*x=}; x=${x%% *}; y=${req##*y=}
		qmp click "$x" "$y"
	done
	if [ -z "$ready" ] && grep -q 'sealroom: ready' "$work/console.log"; then
		ready=$(awk -v a="$now" -v b="$start" 'BEGIN { printf "%.1f", a - b }')
		echo "# boot-to-ready: ${ready} s from QEMU start ($(grep -o 'sealroom: ready.*' "$work/console.log"))"
	fi
	if awk -v a="$now" -v b="$start" -v t="$timeout" 'BEGIN { exit !(a - b > t) }'; then
		echo "not ok 1 - TIMEOUT: the image did not finish its test within ${timeout} s"
		echo "# console (last 40 lines):"
		tail -n 40 "$work/console.log" | sed 's/^/#   /'
		# Where the guest stands: each vCPU's registers, then an NMI, on
		# which the kernel (unknown_nmi_panic) prints the interrupted stack
		# by name and QEMU exits; 60 s for that under TCG.
		lines=$(wc -l <"$work/console.log")
		qmp nmi
		i=0
		while kill -0 "$qemu" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
		echo "# console after the NMI ($(kill -0 "$qemu" 2>/dev/null && echo "QEMU still running" || echo "QEMU exited")):"
		tail -n +$((lines + 1)) "$work/console.log" | tr -d '\r' | head -n 120 | sed 's/^/#   /'
		kill -- -"$qemu" 2>/dev/null || kill "$qemu" 2>/dev/null
		# The host room too (its relay and keyxchgd are in its group).
		[ -z "$hostroom" ] || kill -- -"$hostroom" 2>/dev/null
		cat "$work/results.tap"
		exit 1
	fi
	sleep 0.2
done
wait "$qemu"
rc=$?
total=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')
echo "# QEMU ran ${total} s (exit status $rc); $taps taps on the panel clicked through QMP"
[ -n "$ready" ] || { echo "not ok 1 - the image never said 'sealroom: ready'"; tail -n 40 "$work/console.log" | sed 's/^/#   /'; }
[ -z "$vgpu" ] || vgpu_screen
[ -z "$hostroom" ] || host_room_done
cat "$work/results.tap"
# The image's files (the composed screen's PNGs) next to the test logs.
if [ -s "$work/artifacts.tar" ]; then
	mkdir -p "$work/artifacts" "$logs"
	if tar -C "$work/artifacts" -xf "$work/artifacts.tar" 2>/dev/null; then
		for f in "$work"/artifacts/*.png; do
			[ -f "$f" ] && cp "$f" "$logs/" && echo "# saved $logs/${f##*/}"
		done
	else
		echo "# the image's artifacts.tar is truncated or not a tar"
	fi
fi
if ! grep -q '^1\.\.[0-9]' "$work/results.tap"; then
	echo "not ok 1 - the image test did not finish (no TAP plan on the results port)"
	tail -n 40 "$work/console.log" | sed 's/^/#   /'
	exit 1
fi
! grep -q '^not ok' "$work/results.tap"
