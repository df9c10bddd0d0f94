# SPDX-License-Identifier: MIT
# The image test's part for the room display and the firmware's services
# (issue "room device"). Sourced by in-image.sh: uses in-image-lib.sh's ok /
# nok / check / waitfor / rand, $here, $art (files for the host) and the board
# file's variables.
#
#   1. the services sealroom-init started from /etc/sealroom/services.d: the
#      image configures no meeting, so keyxchgd and the media display say so
#      and exit 0;
#   2. keyxchgd's service script against a meeting configuration (a relay
#      address where nothing listens: the image joins no meeting): the daemon
#      comes up and its control socket answers `kxctl status`; its codeword
#      is this room's. The media display's service against it: subscribed,
#      a labelled tile under "Waiting for keys", no video;
#   3. the room display: e2ee-media send (a flat colour, this room's codeword
#      burned in by codewordoverlay, the board's encoder, e2eeenc) to
#      e2ee-media receive on loopback (e2eedec, the board's decoder, the
#      room display on vkms with the codeword label on an overlay plane); the
#      screen captured through writeback and checked by display-check.

# 1. the services as booted.
part "display 1. the services as booted"
check "service 10-keyxchgd ran: no meeting service configured, not started" \
	grep -q "no meeting service configured" /run/sealroom/10-keyxchgd.log
check "service 20-media-display ran: no meeting media configured, not started" \
	grep -q "no meeting media configured" /run/sealroom/20-media-display.log

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

# The media display's service against this keyxchgd, configured with one
# remote sender: it subscribes on the control socket and shows the sender's
# tile, labelled, under a "Waiting for keys" banner; no meeting, so no keys
# and no video (nothing is sent to its ports). The far room's codeword
# differs from this room's in every letter (tr 'aiou' 'iuoa' kept every o:
# "fojif" against "fojuf" left too few label pixels differing for the
# wrong-codeword check).
far=$(echo "${cw:-mavoj-pubip-gubad-gamiv}" | tr 'bdfghjklmnprstvzaiou' 'dfghjklmnprstvzbioua')
install -d -o sealroom-media -m 0700 "$svc/media"
printf 'peer=7:5010:5012:%s:Far room\ncontrol=%s\ncapture=%s\n' "$far" \
	"$sock" "$svc/media/screen-waiting.png" >"$svc/media.conf"
SEALROOM_ETC=$svc /etc/sealroom/services.d/20-media-display >"$svc/media.log" 2>&1 &
mpid=$!
if waitfor "$svc/media.log" "keyxchgd connected" 120; then
	ok "media display service: subscribed to keyxchgd's control socket"
else
	nok "media display service did not connect to keyxchgd"
	sed 's/^/# /' "$svc/media.log"
fi
sleep 1

# The process model (docs/processes.md): each service as its own user, and
# what the media daemon's user (which parses untrusted media) cannot do.
echo "# $(ps -o user:16=,comm= -p "$kxpid" -p "$mpid" | tr -s ' ' | paste -sd, -) (user, command)"
check "keyxchgd runs as sealroom-kx" sh -c "[ \"\$(ps -o user= -p $kxpid)\" = sealroom-kx ] && [ \"\$(ps -o comm= -p $kxpid)\" = keyxchgd ]"
check "the media display runs as sealroom-media" sh -c "[ \"\$(ps -o user= -p $mpid)\" = sealroom-media ] && [ \"\$(ps -o comm= -p $mpid)\" = e2ee-media ]"
check "the services have no capabilities and no new privileges" sh -c "
	for p in $kxpid $mpid; do
		grep -q '^CapEff:[[:space:]]*0*$' /proc/\$p/status &&
		grep -q '^CapBnd:[[:space:]]*0*$' /proc/\$p/status &&
		grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/\$p/status || exit 1
	done"
check "keyxchgd's state directory is sealroom-kx's alone (0700)" \
	sh -c "[ \"\$(stat -c '%U %a' $svc/state/keyxchg)\" = 'sealroom-kx 700' ]"
admit=$(as sealroom-media kxctl --socket "$sock" admit 1 2>&1)
echo "# kxctl admit as sealroom-media: $admit"
check "keyxchgd refuses admit to the media daemon's user" \
	sh -c "echo '$admit' | grep -q '\"ok\":false' && ! echo '$admit' | grep -q '\"ok\":true'"
# Each "cannot" beside a "can" of the same file, so that a missing file or
# a broken setpriv cannot pass it.
key=$svc/state/keyxchg/identity.key
check "sealroom-kx reads the identity key, sealroom-media cannot" \
	sh -c "setpriv --reuid=sealroom-kx --regid=sealroom-kx --clear-groups cat $key >/dev/null &&
		! setpriv --reuid=sealroom-media --regid=sealroom-media --init-groups cat $key >/dev/null 2>&1"
opens() { # opens USER FILE: USER (with its groups) can open FILE for reading
	setpriv --reuid="$1" --regid="$1" --init-groups dd if="$2" of=/dev/null bs=1 count=0 2>/dev/null
}
# The board's touch panel's event nodes (the image test's uinput devices
# come and go as root's).
touchdevs=$(for n in /sys/class/input/event*; do
	[ "$(cat "$n/device/name" 2>/dev/null)" = "$touch_name" ] && echo "/dev/input/${n##*/}"
done)
misfit=
for e in $touchdevs; do
	opens sealroom-screen "$e" || misfit="$misfit sealroom-screen:no:$e"
	for u in sealroom-media sealroom-kx; do
		! opens "$u" "$e" || misfit="$misfit $u:yes:$e"
	done
done
if [ -n "$touchdevs" ] && [ -z "$misfit" ]; then
	ok "the touch panel ($(echo $touchdevs)) opens for sealroom-screen, not for sealroom-media or sealroom-kx"
else
	nok "the touch panel's nodes ($(echo $touchdevs)) by user (user:opens:node):$misfit"
fi
if opens sealroom-screen "$display_device" && ! opens sealroom-kx "$display_device"; then
	ok "the screen ($display_device) opens for sealroom-screen, not for sealroom-kx"
else
	nok "the screen ($display_device) opens for sealroom-screen, not for sealroom-kx"
fi

kill -TERM "$mpid" 2>/dev/null
waitpid_for "$mpid" 120 "the media display service to stop after SIGTERM"
rc=$?
grep -e '^display' -e '^media display' "$svc/media.log" | sed 's/^/# /'
check "media display service: stopped cleanly (exit $rc), one tile, no frames (no keys)" \
	sh -c "[ $rc = 0 ] && grep -q '^display sender=7 frames-shown=0' $svc/media.log"
check "display-check: the service's screen, labelled tile and 'Waiting for keys'" \
	"$here/display-check" --frame 640x360 --tile "$far:000000:Far room" --wrong "$cw" \
	--e2ee waiting --no-video --screen "$svc/media/screen-waiting.png"
cp "$svc/media/screen-waiting.png" "$art/" 2>/dev/null
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
