#!/bin/sh
# SPDX-License-Identifier: MIT
# make qemu-meeting: a meeting that a person runs from the QEMU room's panel.
#
#   rootfs/run-meeting.sh IMAGE_DIR BUILD_DIR
#
# On the host, tests/qemu/host_room.py --interactive: the signaling relay
# fixture, Janus (tests/fixtures/janus.py; its candidates also as 10.0.2.2)
# and a second room (keyxchgd and roomd, "Host room"); QEMU boots the image
# with its disk and network (sealroom.hostroom=1: the QEMU room's services
# configured for that relay and Janus, its screen's log forwarded to BUILD_DIR/qemu-meeting/screen.log).
# The room boots into Home. The person taps Start meeting; the host room
# joins and knocks; the lobby dialog shows its codeword (host-room.log says
# which it should be); the person taps Admit, sees its tile, taps the video
# for the bar, Microphone, Participants, Remove. The host room says in
# BUILD_DIR/qemu-meeting/host-room.log what it saw (admitted, its epoch,
# removed).
#
# vkms has no window: taps go in through QMP from a second terminal,
#   make qemu-tap                 the panel's page now (its tap targets)
#   make qemu-tap W=home.start    a tap on a widget (W=X,Y: a pixel, e.g. the video)
# and the screen is captured with `kill -USR2 $(cat /run/sealroom/20-sealroom-screen.pid)`
# on the room's console (/run/sealroom/screen/screen.png). Ctrl-a x quits QEMU
# and ends the host room.
#
# As the image test: in a network namespace of its own (root: unshare --net),
# where QEMU's user networking and the host room's relay and Janus share a
# loopback (10.0.2.2 from the guest); no port is forwarded. QMP's socket is a
# file: make qemu-tap reaches it from outside.
set -eu
if [ "${SEALROOM_IN_NETNS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "qemu-meeting: needs root (a network namespace for QEMU and Janus)" >&2; exit 1; }
	exec env SEALROOM_IN_NETNS=1 unshare --net -- "$0" "$@"
fi
img=$1
build=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$build/qemu-meeting
rm -rf "$work"
mkdir -p "$work"
: >"$work/screen.log"
setsid /usr/bin/python3 "$here/../tests/qemu/host_room.py" --interactive "$work" "$build" \
	</dev/null >"$work/host-room.log" 2>&1 &
hostroom=$!
trap 'kill -- -"$hostroom" 2>/dev/null' EXIT INT TERM
i=0
while [ ! -e "$work/hostroom.ready" ] && kill -0 "$hostroom" 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1))
done
if [ ! -e "$work/hostroom.ready" ]; then
	echo "qemu-meeting: the host room did not get ready within 60 s: $(tail -n 3 "$work/host-room.log")" >&2
	exit 1
fi
cat <<EOF
qemu-meeting: the host room (relay, Janus, "Host room") is up; its log: $work/host-room.log
qemu-meeting: the QEMU room's screen log: $work/screen.log
qemu-meeting: tap from a second terminal: make qemu-tap [W=WIDGET | W=X,Y]
EOF
QEMU_NIC=$(cat "$work/hostroom.nic") QEMU_DISK2=$work/hostroom.tar QEMU_QMP=$work/qmp.sock \
	QEMU_RESULTS=$work/screen.log QEMU_APPEND="sealroom.hostroom=1 ${QEMU_APPEND:-}" \
	"$here/run-qemu.sh" "$img"
