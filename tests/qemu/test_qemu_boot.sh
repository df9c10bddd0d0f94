#!/bin/bash
# SPDX-License-Identifier: MIT
# The image test, host side: boots IMAGE_DIR under QEMU (TCG) with
# sealroom.mode=test, prints the time from QEMU's start to "sealroom: ready"
# on the console, and prints the TAP lines the image wrote to its
# virtio-serial port; clicks on the virtio tablet through QMP where the image
# asks for it (the touch check). Files the image hands out on its second port (the
# composed screen as PNG) land in IMAGE_DIR/../test-logs/qemu/. Fails loudly when the guest is not done within
# QEMU_TIMEOUT seconds (generous: TCG on a loaded machine is slow).
#
#   tests/qemu/test_qemu_boot.sh IMAGE_DIR
set -u
img=$1
here=$(cd "$(dirname "$0")" && pwd)
timeout=${QEMU_TIMEOUT:-600}
work=$img/test-run
rm -rf "$work"
mkdir -p "$work"
: >"$work/results.tap"

start=$(date +%s.%N)
QEMU_RESULTS=$work/results.tap QEMU_ARTIFACTS=$work/artifacts.tar QEMU_APPEND="sealroom.mode=test" \
	QEMU_QMP=$work/qmp.sock \
	setsid "$here/../../rootfs/run-qemu.sh" "$img" </dev/null >"$work/console.log" 2>&1 &
qemu=$!
ready=
clicked=
while kill -0 "$qemu" 2>/dev/null; do
	now=$(date +%s.%N)
	# The image asks for a click on the tablet (tests/qemu/touch-probe.c
	# host-tap); QMP's input-send-event gives it.
	if [ -z "$clicked" ] && at=$(grep -o 'sealroom: touch-probe: host, click at x=[0-9]* y=[0-9]*' "$work/console.log"); then
		clicked=1
		x=${at##*x=}; x=${x%% *}; y=${at##*y=}
		/usr/bin/python3 "$here/qmp-click.py" "$work/qmp.sock" "$x" "$y" | sed 's/^/# /'
	fi
	if [ -z "$ready" ] && grep -q 'sealroom: ready' "$work/console.log"; then
		ready=$(awk -v a="$now" -v b="$start" 'BEGIN { printf "%.1f", a - b }')
		echo "# boot-to-ready: ${ready} s from QEMU start ($(grep -o 'sealroom: ready.*' "$work/console.log"))"
	fi
	if awk -v a="$now" -v b="$start" -v t="$timeout" 'BEGIN { exit !(a - b > t) }'; then
		kill -- -"$qemu" 2>/dev/null || kill "$qemu"
		echo "not ok 1 - TIMEOUT: the image did not finish its test within ${timeout} s"
		echo "# console (last 40 lines):"
		tail -n 40 "$work/console.log" | sed 's/^/#   /'
		cat "$work/results.tap"
		exit 1
	fi
	sleep 0.2
done
wait "$qemu"
rc=$?
total=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')
echo "# QEMU ran ${total} s (exit status $rc)"
[ -n "$ready" ] || { echo "not ok 1 - the image never said 'sealroom: ready'"; tail -n 40 "$work/console.log" | sed 's/^/#   /'; }
cat "$work/results.tap"
# The image's files (the composed screen's PNGs) next to the test logs.
if [ -s "$work/artifacts.tar" ]; then
	logs=$(cd "$img/.." && pwd)/test-logs/qemu
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
