# SPDX-License-Identifier: MIT
# The image test's part for the room display and the firmware's services
# (issue "room device"). Sourced by in-image.sh: uses in-image-lib.sh's ok /
# nok / check / waitfor / rand, $here, $art (files for the host) and the board
# file's variables.
#
#   1. the services sealroom-init started from /etc/sealroom/services.d: the
#      image configures no meeting, so keyxchgd and roomd say so and exit 0
#      (the screen runs the panel's Home: in-image.sh 1b);
#   2. keyxchgd's service script against a meeting configuration (a relay
#      address where nothing listens: the image joins no meeting): the daemon
#      comes up and its control socket answers `kxctl status`; its codeword
#      is this room's. The screen's and roomd's services against it: each
#      service as its user with only its groups, what roomd's user cannot do
#      (admit, the identity key, input nodes, the screen), the camera its
#      alone, no libavcodec in the screen; its screen: no tile, "Waiting for
#      keys";
#   3. the room display: e2ee-media send (a flat colour, this room's codeword
#      burned in by codewordoverlay, the board's encoder, e2eeenc) to
#      e2ee-media receive on loopback (e2eedec, the board's decoder, the
#      room display on vkms with the codeword label on an overlay plane); the
#      screen captured through writeback and checked by display-check.

# 1. the services as booted.
part "display 1. the services as booted"
# (Their lines reach the logs through sealroom-log's writers.)
waitfor /run/sealroom/10-keyxchgd.log "no meeting service configured" 30
waitfor /run/sealroom/30-roomd.log "no room media configured" 30
check "service 10-keyxchgd ran: no meeting service configured, not started" \
	grep -q "no meeting service configured" /run/sealroom/10-keyxchgd.log
check "service 30-roomd ran: no room media configured, not started" \
	grep -q "no room media configured" /run/sealroom/30-roomd.log

# Values are data: the kernel command line's sealroom.modules= (the host puts
# a command substitution in it) ran nothing in sealroom-init, and board
# values with shell syntax in them come back from board_value as text.
check "sealroom-init ran nothing from the command line's $(grep -o 'sealroom.modules=[^ ]*' /proc/cmdline)" \
	sh -c 'grep -q "sealroom.modules=.*(touch" /proc/cmdline && [ ! -e /run/sealroom-injected ]'
. /usr/lib/sealroom/board.sh
hostile=$(mktemp)
cat >"$hostile" <<'BOARD'
kernel_modules="vkms;touch /tmp/board-injected"
module_vkms="enable_overlay=1 x=$(touch /tmp/board-injected)"
BOARD
v1=$(board_value kernel_modules "$hostile") v2=$(board_value module_vkms "$hostile")
# shellcheck disable=SC2016
if [ "$v1" = 'vkms;touch /tmp/board-injected' ] &&
	[ "$v2" = 'enable_overlay=1 x=$(touch /tmp/board-injected)' ] && [ ! -e /tmp/board-injected ]; then
	ok "board values with ';' and \$(...) read as text, nothing run"
else
	nok "board values with shell syntax: got '$v1' and '$v2'$([ -e /tmp/board-injected ] && echo ', and a command ran')"
fi
rm -f "$hostile"

# 2. keyxchgd's service with a meeting service configured. The scratch
# directory is readable by all: keyxchgd reads ca.pem there as sealroom-kx.
part "display 2. keyxchgd's service with a meeting configured, the users"
svc=$(mktemp -d)
chmod 0755 "$svc"
: >"$svc/ca.pem"
printf 'relay=wss://127.0.0.1:9\nca=%s\ndevice=room-image-test\n' "$svc/ca.pem" >"$svc/meeting.conf"
SEALROOM_ETC=$svc SEALROOM_STATE=$svc/state SEALROOM_RUN=$svc/run \
	/etc/sealroom/services.d/10-keyxchgd >"$svc/keyxchgd.log" 2>&1 &
kxpid=$!
if waitfor "$svc/keyxchgd.log" "keyxchgd ready codeword=" 120; then
	ok "keyxchgd service with a meeting configuration: $(grep -o 'keyxchgd ready.*' "$svc/keyxchgd.log")"
else
	nok "keyxchgd service with a meeting configuration did not get ready"
	sed 's/^/# /' "$svc/keyxchgd.log"
fi
sock=$svc/run/kx/keyxchgd.sock
as() { # as USER COMMAND...: COMMAND as one of the services' users, with its groups
	u=$1; shift
	setpriv --reuid="$u" --regid="$u" --init-groups --no-new-privs -- "$@"
}
status=$(as sealroom-kx kxctl --socket "$sock" status 2>&1)
echo "# kxctl status: $status"
check "kxctl status answers: ok, idle (no meeting joined: no relay in the image)" \
	sh -c "echo '$status' | grep -q '\"ok\":true' && echo '$status' | grep -q '\"state\":\"idle\"'"
cw=$(echo "$status" | sed -n 's/.*"codeword":"\([a-z-]*\)".*/\1/p')

# The room's media services against this keyxchgd (room.conf: Janus, ICE on
# loopback; the board's camera):
# sealroom-screen (20-sealroom-screen) and roomd (30-roomd). roomd connects to
# keyxchgd (keys only) and to the screen's frame socket; the screen to keyxchgd
# (roster and state only). No meeting: no tile, "Waiting for keys".
install -d -o sealroom-screen -m 0700 "$svc/screen"
# No meeting here: roomd waits for its first send key before it joins Janus,
# so janus= names no server and its CA file is empty. panel=off: the bare
# screen (banner, no tile) is what display-check checks.
install -m 0644 /dev/null "$svc/janus-ca.pem"
printf 'janus=wss://janus.invalid:443/\njanus_ca=%s\nrx_address=127.0.0.1\nsource=camera\npanel=off\ncapture=%s\n' \
	"$svc/janus-ca.pem" "$svc/screen/screen-waiting.png" >"$svc/room.conf"
SEALROOM_ETC=$svc SEALROOM_RUN=$svc/run /etc/sealroom/services.d/20-sealroom-screen >"$svc/screen.log" 2>&1 &
spid=$!
SEALROOM_ETC=$svc SEALROOM_RUN=$svc/run /etc/sealroom/services.d/30-roomd >"$svc/roomd.log" 2>&1 &
rpid=$!
for w in "screen.log:keyxchgd: connected:the screen connected to keyxchgd" \
	"roomd.log:roomd: keyxchgd connected:roomd subscribed to keyxchgd" \
	"roomd.log:roomd: screen connected:roomd connected to the screen's frame socket" \
	"screen.log:roomd: connected:the screen took roomd's connection"; do
	f=${w%%:*} rest=${w#*:} text=${rest%:*} what=${rest##*:}
	if waitfor "$svc/$f" "$text" 120; then
		ok "$what"
	else
		nok "$what (no '$text' in $f)"
		tail -n 15 "$svc/$f" | sed 's/^/# /'
	fi
done
sleep 1

# The process model (docs/processes.md): each service as its own user, and
# what roomd's user (which parses untrusted media) cannot do.
ps -o user:16=,comm= -p "$kxpid" -p "$spid" -p "$rpid" | sed 's/^/# ps -o user,comm: /'
runs_as() { # runs_as PID USER COMM
	[ "$(ps -o user= -p "$1")" = "$2" ] && [ "$(ps -o comm= -p "$1")" = "$3" ]
}
check "keyxchgd runs as sealroom-kx" runs_as "$kxpid" sealroom-kx keyxchgd
check "the screen runs as sealroom-screen" runs_as "$spid" sealroom-screen sealroom-screen
check "roomd runs as sealroom-media" runs_as "$rpid" sealroom-media roomd
check "the services have no capabilities and no new privileges" sh -c "
	for p in $kxpid $spid $rpid; do
		grep -q '^CapEff:[[:space:]]*0*$' /proc/\$p/status &&
		grep -q '^CapBnd:[[:space:]]*0*$' /proc/\$p/status &&
		grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/\$p/status || exit 1
	done"
groups_of() { # the names of PID's supplementary groups, sorted
	for g in $(sed -n 's/^Groups:[[:space:]]*//p' "/proc/$1/status"); do
		getent group "$g" | cut -d: -f1
	done | sort | paste -sd, -
}
echo "# groups: roomd $(groups_of "$rpid"); the screen $(groups_of "$spid")"
check "roomd's groups are sealroom-camera, sealroom-ctl, sealroom-speaker and its own (no video, render, input, audio)" \
	[ "$(groups_of "$rpid")" = "sealroom-camera,sealroom-ctl,sealroom-media,sealroom-speaker" ]
sink=$(board_value audio_sink)
argsink=$(tr '\0' '\n' <"/proc/$rpid/cmdline" | grep -A1 -x -e --audio-sink | tail -n 1)
echo "# roomd --audio-sink: $argsink"
check "roomd plays into the board's audio_sink ($sink)" [ -n "$sink" -a "$argsink" = "$sink" ]
check "the screen's groups are input, render, sealroom-ctl, video and its own" \
	[ "$(groups_of "$spid")" = "input,render,sealroom-ctl,sealroom-screen,video" ]
check "keyxchgd's state directory is sealroom-kx's alone (0700)" \
	sh -c "[ \"\$(stat -c '%U %a' $svc/state/keyxchg)\" = 'sealroom-kx 700' ]"
admit=$(as sealroom-media kxctl --socket "$sock" admit 1 --codeword "${cw:-mavoj-pubip-gubad-gamiv}" 2>&1)
echo "# kxctl admit as sealroom-media (roomd's user): $admit"
check "keyxchgd refuses admit to roomd's user (by its uid, not for the syntax)" \
	sh -c "echo '$admit' | grep -q '\"ok\":false' && echo '$admit' | grep -q 'may only subscribe'"
# Each "cannot" beside a "can" of the same file, so that a missing file or
# a broken setpriv cannot pass it.
key=$svc/state/keyxchg/identity.key
check "sealroom-kx reads the identity key, roomd's user cannot" \
	sh -c "setpriv --reuid=sealroom-kx --regid=sealroom-kx --clear-groups cat $key >/dev/null &&
		! setpriv --reuid=sealroom-media --regid=sealroom-media --init-groups cat $key >/dev/null 2>&1"
opens() { # opens USER FILE: USER (with its groups) can open FILE for reading
	setpriv --reuid="$1" --regid="$1" --init-groups dd if="$2" of=/dev/null bs=1 count=0 2>/dev/null
}
# Every input event node (the board's touch panel's and the others'), the
# screen and the camera, by user.
misfit=
for e in /dev/input/event*; do
	[ -c "$e" ] || continue
	for u in sealroom-media sealroom-kx; do
		! opens "$u" "$e" || misfit="$misfit $u:yes:$e"
	done
done
touchdevs=$(for n in /sys/class/input/event*; do
	[ "$(cat "$n/device/name" 2>/dev/null)" = "$touch_name" ] && echo "/dev/input/${n##*/}"
done)
for e in $touchdevs; do
	opens sealroom-screen "$e" || misfit="$misfit sealroom-screen:no:$e"
done
if [ -n "$touchdevs" ] && [ -z "$misfit" ]; then
	ok "the touch panel ($(echo $touchdevs)) opens for sealroom-screen; no /dev/input/event* opens for roomd's user or sealroom-kx"
else
	nok "input event nodes by user (user:opens:node), touch panel $(echo $touchdevs):$misfit"
fi
if opens sealroom-screen "$display_device" && ! opens sealroom-media "$display_device" &&
	! opens sealroom-kx "$display_device"; then
	ok "the screen ($display_device) opens for sealroom-screen, not for roomd's user or sealroom-kx"
else
	nok "the screen ($display_device) opens for sealroom-screen, not for roomd's user or sealroom-kx"
fi
cams=$(board_camera_nodes)
misfit=
for v in /dev/video*; do
	[ -c "$v" ] || continue
	case " $(echo $cams) " in
	*" $v "*) opens sealroom-media "$v" || misfit="$misfit sealroom-media:no:$v"
		for u in sealroom-screen sealroom-kx; do
			! opens "$u" "$v" || misfit="$misfit $u:yes:$v"
		done ;;
	*) ! opens sealroom-media "$v" || misfit="$misfit sealroom-media:yes:$v" ;;
	esac
done
if [ -n "$cams" ] && [ -z "$misfit" ]; then
	ok "the camera ($(echo $cams)) opens for roomd's user only; no other V4L2 node ($(ls /dev/video* | paste -sd' ' -)) opens for it"
else
	nok "V4L2 nodes by user (user:opens:node), camera ${cams:-none}:$misfit"
fi
# The screen parses no media: no FFmpeg in its address space; its maps are
# read (libdrm is there), so an unreadable file cannot pass this.
check "the screen process maps libdrm and no libavcodec (/proc/$spid/maps)" \
	sh -c "grep -q libdrm /proc/$spid/maps && ! grep -q libavcodec /proc/$spid/maps"

kill -TERM "$rpid" 2>/dev/null
waitpid_for "$rpid" 120 "roomd's service to stop after SIGTERM"
rrc=$?
kill -TERM "$spid" 2>/dev/null
waitpid_for "$spid" 120 "the screen's service to stop after SIGTERM"
rc=$?
grep -e '^screen' "$svc/screen.log" | tail -n 3 | sed 's/^/# /'
check "roomd and the screen stopped cleanly (exit $rrc and $rc); the screen refused no message" \
	sh -c "[ $rrc = 0 ] && [ $rc = 0 ] && grep -q 'bad-messages=0 ' $svc/screen.log"
check "display-check: the screen outside a meeting: no tile, 'Waiting for keys'" \
	"$here/display-check" --empty --e2ee waiting --screen "$svc/screen/screen-waiting.png"
cp "$svc/screen/screen-waiting.png" "$art/" 2>/dev/null
sed -n 's/^# /# /p' /tmp/check.out
kill "$kxpid" 2>/dev/null
waitpid_for "$kxpid" 60 "keyxchgd's service to stop after SIGTERM" >/dev/null

# 3. the room display. The room's codeword is keyxchgd's (a random key's if
# keyxchgd failed above); the wrong one differs from it in every letter
# (each consonant and vowel moved to the next), so that the comparison does
# not depend on how many letters two random codewords happen to share.
part "display 3. the room display"
[ -n "$cw" ] || cw=$(e2ee-sframe codeword "$(rand 32)")
wrong=$(echo "$cw" | tr 'bdfghjklmnprstvzaiou' 'dfghjklmnprstvzbioua')
colour=3070c0
d=$(mktemp -d)
echo "# a wrong codeword $wrong"
room_start "$cw" "$colour" 8 --display-capture "$art/screen-room.png" --snapshot-prefix "$d/tile-"
room_stop
if [ "$rc" = 0 ] && [ "${shown:-0}" -gt 0 ] && [ "$composited" = 0 ]; then
	ok "e2ee-media receive --display: $shown frames of sender 1 shown on $display_device, tile and overlay on overlay planes"
else
	nok "e2ee-media receive --display (exit $rc, frames shown: ${shown:-none}, layers composited in software: ${composited:-?})"
	tail -n 20 "$d/recv.log" | sed 's/^/# /'
	tail -n 10 "$d/send.log" 2>/dev/null | sed 's/^/# /'
fi
[ -f "$d/tile-1.png" ] && cp "$d/tile-1.png" "$art/tile-room.png"
dc() { "$here/display-check" --frame 640x360 "$@"; }
check "display-check: video in the tile, the label $cw on the overlay, burned in" \
	dc --tile "$cw:$colour:This room" --wrong "$wrong" --screen "$art/screen-room.png"
sed -n 's/^# /# /p' /tmp/check.out
check "display-check: the codeword burned into the tile's last frame" \
	dc --tile "$cw:$colour" --wrong "$wrong" --decoded "$art/tile-room.png"
sed -n 's/^# /# /p' /tmp/check.out
# The check can fail: the screen does not pass for the wrong codeword.
dc --tile "$wrong:$colour:This room" --wrong "$cw" --screen "$art/screen-room.png" >"$d/neg.out" 2>&1
rc=$?
failed=$(sed -n 's/^display-check: \([0-9]*\) check(s) failed$/\1/p' "$d/neg.out")
if [ "$rc" = 1 ] && [ "${failed:-0}" -ge 2 ]; then
	ok "display-check fails the same screen for the wrong codeword $wrong ($failed checks failed: label, burned in)"
else
	nok "display-check on the screen for a wrong codeword: exit $rc, ${failed:-no} checks failed"
	sed 's/^/# /' "$d/neg.out"
fi
rm -rf "$d" "$svc"
