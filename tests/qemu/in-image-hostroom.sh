# SPDX-License-Identifier: MIT
# The image test's part for a meeting with a room on the host (issue "The
# room's processes"): this room hosts, the host's room (tests/qemu/host_room.py)
# joins and is admitted through kxctl run as the screen's user (the panel
# comes later), this room's screen shows its tile with the roster's label and
# its video, and when it leaves the tile goes. Sourced by in-image.sh (uses
# in-image-lib.sh's ok / nok / check / waitfor, $here, $art, the board's
# variables and display-check).
#
# The host hands its side over on a second virtio disk (/dev/vdb: a tar of
# hostroom.conf, ca.pem, the relay's CA, and janus-ca.pem, Janus's) and is
# reached through QEMU user networking: the relay and Janus on the host's
# loopback are 10.0.2.2 from here (their names map to it in /etc/hosts).
# Media goes through Janus over WebRTC: Janus offers each of its host
# candidates also as 10.0.2.2 (its 1:1 NAT mapping), our checks to it arrive
# at Janus from 127.0.0.1 (QEMU's NAT: a peer-reflexive candidate), no port
# is forwarded. Lines "# hostroom: ..." on the results port tell the host
# when to join and leave.
hr=$(mktemp -d)
chmod 0755 "$hr"
if [ -b /dev/vdb ] && tar -C "$hr" -xf /dev/vdb hostroom.conf ca.pem janus-ca.pem 2>"$hr/tar.err"; then
	ok "the host room's disk: $(grep -c = "$hr/hostroom.conf") values, its relay's CA and Janus's"
else
	nok "no host room's disk (/dev/vdb: a tar of hostroom.conf, ca.pem and janus-ca.pem) $(cat "$hr/tar.err" 2>/dev/null)"
fi
hv() { board_value "$1" "$hr/hostroom.conf"; }
modprobe virtio_net 2>/dev/null
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
busybox ip link set eth0 up && busybox ip addr add 10.0.2.15/24 dev eth0 &&
	busybox ip route add default via 10.0.2.2
check "user networking: eth0 10.0.2.15, the host at 10.0.2.2" \
	sh -c "busybox ip addr show eth0 | grep -q 10.0.2.15"
# The relay's certificate names relay_name, Janus's janus_name; the host is
# 10.0.2.2 here. Readable by all: keyxchgd resolves the relay's as
# sealroom-kx, roomd Janus's as sealroom-media.
echo "10.0.2.2 $(hv relay_name) $(hv janus_name)" >>/etc/hosts
chmod 0644 /etc/hosts
check "the relay's name $(hv relay_name) is the host (10.0.2.2) for sealroom-kx" \
	sh -c "setpriv --reuid=sealroom-kx --regid=sealroom-kx --clear-groups getent hosts $(hv relay_name) | grep -q '^10.0.2.2 '"
check "Janus's name $(hv janus_name) is the host (10.0.2.2) for sealroom-media" \
	sh -c "setpriv --reuid=sealroom-media --regid=sealroom-media --clear-groups getent hosts $(hv janus_name) | grep -q '^10.0.2.2 '"

printf 'relay=wss://%s:%s\nca=%s\ndevice=room-qemu\n' "$(hv relay_name)" "$(hv relay_port)" \
	"$hr/ca.pem" >"$hr/meeting.conf"
install -d -o sealroom-screen -m 0700 "$hr/screen"
# roomd through Janus on the host, ICE on eth0's address; the marker in every
# access unit it sends, which the host's capture must never see.
printf 'janus=wss://%s:%s/\njanus_ca=%s\njanus_room=%s\nrx_address=10.0.2.15\nsource=pattern\nmarker=%s\ncapture=%s\n' \
	"$(hv janus_name)" "$(hv janus_port)" "$hr/janus-ca.pem" "$(hv janus_room)" "$(hv marker)" \
	"$hr/screen/screen.png" >"$hr/room.conf"
export SEALROOM_ETC=$hr SEALROOM_STATE=$hr/state SEALROOM_RUN=$hr/run
/etc/sealroom/services.d/10-keyxchgd >"$hr/keyxchgd.log" 2>&1 &
kxpid=$!
waitfor "$hr/keyxchgd.log" "keyxchgd ready" 120 || sed 's/^/# /' "$hr/keyxchgd.log"
/etc/sealroom/services.d/20-sealroom-screen >"$hr/screen.log" 2>&1 &
spid=$!
/etc/sealroom/services.d/30-roomd >"$hr/roomd.log" 2>&1 &
rpid=$!
unset SEALROOM_ETC SEALROOM_STATE SEALROOM_RUN
waitfor "$hr/roomd.log" "roomd: keyxchgd connected" 120 || tail -n 5 "$hr/roomd.log" | sed 's/^/# /'
sock=$hr/run/kx/keyxchgd.sock
ctl() { # kxctl as the screen's user: the trusted path between people and the keying
	setpriv --reuid=sealroom-screen --regid=sealroom-screen --init-groups --no-new-privs -- \
		kxctl --socket "$sock" "$@" 2>&1
}
rep=$(ctl join --meeting qemu-room --role host --name "QEMU room")
echo "# kxctl join (as sealroom-screen): $rep"
check "this room starts the meeting as host (kxctl as sealroom-screen)" \
	sh -c "echo '$rep' | grep -q '\"ok\":true'"
echo "# hostroom: meeting started"

# The knock of the host's room; admitted by the codeword it shows (as a
# person at the panel would, having compared it with the other room).
end=$(($(now) + 300))
knock=
while [ -z "$knock" ] && [ "$(now)" -lt "$end" ]; do
	knock=$(ctl status | grep -o '"lobby":\[{[^]]*' | head -n 1)
	[ -n "$knock" ] || sleep 1
done
kp=$(echo "$knock" | sed -n 's/.*"participant":\([0-9]*\).*/\1/p')
kcw=$(echo "$knock" | sed -n 's/.*"codeword":"\([a-z-]*\)".*/\1/p')
echo "# the host room's knock: participant ${kp:-?} codeword ${kcw:-?}"
rep=$(ctl admit "${kp:-0}" --codeword "${kcw:-none}")
echo "# kxctl admit (as sealroom-screen): $rep"
check "the host room knocks and is admitted by its codeword (kxctl as sealroom-screen)" \
	sh -c "[ -n '$kp' ] && echo '$rep' | grep -q '\"ok\":true'"

# The tile: the roster's participant with keyxchgd's codeword; then its video.
if waitfor "$hr/screen.log" "screen: tiles 1 $kp=$kcw" 120; then
	ok "the screen's tile is the host room's participant $kp with the roster's codeword $kcw"
else
	nok "the screen shows no tile for participant $kp labelled $kcw"
	grep 'screen: tiles' "$hr/screen.log" | tail -n 3 | sed 's/^/# /'
fi
shown() { # frames of sender $1 the screen showed (its SIGUSR1 stats line)
	before=$(grep -c 'screen stats:' "$hr/screen.log")
	kill -USR1 "$spid"
	end2=$(($(now) + 30))
	while [ "$(grep -c 'screen stats:' "$hr/screen.log")" -le "$before" ] && [ "$(now)" -lt "$end2" ]; do sleep 0.2; done
	v=$(grep 'screen stats:' "$hr/screen.log" | tail -n 1 | grep -o "sender=$1:shown=[0-9]*" | cut -d= -f3)
	echo "${v:-0}"
}
end=$(($(now) + 240))
while [ "$(shown "${kp:-0}")" -lt 30 ] && [ "$(now)" -lt "$end" ]; do sleep 2; done
got=$(shown "${kp:-0}")
check "the screen showed 30 frames of the host room's video, decrypted and decoded by roomd ($got shown)" \
	[ "$got" -ge 30 ]
# roomd here scales the host room's video to the tile's size (TILE); the
# codeword was burned in at the host room's sending size, roomd's default
# 640x360, which is what display-check places the burned-in label by.
scaled=$(sed -n "s/^roomd: sender $kp scaled to \([0-9]*x[0-9]*\)$/\1/p" "$hr/roomd.log" | tail -n 1)
echo "# roomd scales the host room's frames to ${scaled:-(not scaled)}"
capture() { # capture PNG: the screen now (SIGUSR2), through writeback
	before=$(grep -c 'screen: captured' "$hr/screen.log")
	kill -USR2 "$spid"
	end2=$(($(now) + 60))
	while [ "$(grep -c 'screen: captured' "$hr/screen.log")" -le "$before" ] && [ "$(now)" -lt "$end2" ]; do sleep 0.2; done
	cp "$hr/screen/screen.png" "$1"
}
capture "$art/screen-hostroom-joined.png"
wrong=$(echo "${kcw:-mavoj-pubip-gubad-gamiv}" | tr 'bdfghjklmnprstvzaiou' 'dfghjklmnprstvzbioua')
check "display-check: the host room's tile, its video (3070c0, its codeword burned in) and the roster's label $kcw 'Host room'" \
	"$here/display-check" --frame 640x360 --tile "$kcw:3070c0:Host room" --wrong "$wrong" \
	--screen "$art/screen-hostroom-joined.png"
sed -n 's/^# /# /p' /tmp/check.out

echo "# hostroom: leave now"
if waitfor "$hr/screen.log" "screen: tiles 0" 120; then
	ok "the host room left: its tile is gone from the screen"
else
	nok "the host room's tile stays after it left"
fi
capture "$art/screen-hostroom-left.png"
check "display-check: no tile after the host room left" \
	"$here/display-check" --empty --e2ee on --screen "$art/screen-hostroom-left.png"
sed -n 's/^# /# /p' /tmp/check.out
if waitfor "$hr/roomd.log" "roomd: sender $kp gone" 120; then
	ok "roomd removed the host room's branch once its keys went (GONE to the screen)"
else
	nok "roomd kept the host room's branch"
fi
echo "# hostroom: done"
for p in $rpid $spid $kxpid; do
	kill -TERM "$p" 2>/dev/null
	waitpid_for "$p" 60 "a service of the host-room part to stop" >/dev/null
done

# Our media went through Janus over ICE and DTLS-SRTP (roomd's lines; its
# transport line at its end): the selected pairs end at Janus's mapped
# candidate 10.0.2.2, SRTP packets came in and went out, and nothing but
# Janus's authenticated packets was taken.
# The pairs: our socket on 10.0.2.15, Janus's candidate 10.0.2.2 (the one
# its NAT mapping adds); Janus sees us as 127.0.0.1 (QEMU's NAT), which
# libnice learns as a peer-reflexive local candidate.
grep '^roomd: \(published\|publishing\|subscribing\|receiving\|unsubscribing\|sender\)\|^rtc: \|^roomd transport:' \
	"$hr/roomd.log" | tail -n 40 | sed 's/^/# /'
pair='10\.0\.2\.15:[0-9]* \(host\|prflx as 127\.0\.0\.1:[0-9]*\) -> 10\.0\.2\.2:[0-9]* host'
check "roomd published through Janus: ICE pair 10.0.2.15 -> Janus's 10.0.2.2 (its NAT mapping), DTLS done" \
	grep -q "^roomd: publishing through Janus (ICE and DTLS done, pair $pair)\$" "$hr/roomd.log"
check "roomd received the host room (sender ${kp:-?}) through Janus: ICE pair 10.0.2.15 -> 10.0.2.2, DTLS done" \
	grep -q "^roomd: receiving sender ${kp:-none} through Janus (ICE and DTLS done, pair $pair)\$" "$hr/roomd.log"
tl=$(grep '^roomd transport:' "$hr/roomd.log" | tail -n 1)
tv() { echo "$tl" | grep -o " $1=[0-9]*" | cut -d= -f2; }
check "roomd's SRTP: $(tv rtp-in) packets in (authenticated), $(tv rtp-out) out, $(tv janus-joins) join(s) of Janus" \
	sh -c "[ '$(tv rtp-in)' -gt 0 ] && [ '$(tv rtp-out)' -gt 0 ] && [ '$(tv janus-joins)' -ge 1 ]"
check "roomd took nothing but Janus's authenticated packets (dropped-auth $(tv dropped-auth), -other $(tv dropped-other), -foreign $(tv dropped-foreign))" \
	sh -c "[ '$(tv dropped-auth)' = 0 ] && [ '$(tv dropped-other)' = 0 ] && [ '$(tv dropped-foreign)' = 0 ]"
rm -rf "$hr"
