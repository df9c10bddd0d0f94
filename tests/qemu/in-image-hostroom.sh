# SPDX-License-Identifier: MIT
# The image test's part for a meeting with a room on the host, driven from
# this room's touch panel by taps alone (issue #15): this room's configured
# services (10-keyxchgd, 20-sealroom-screen with the panel, 30-roomd); Home;
# a tap on Start meeting; the host's room (tests/qemu/host_room.py) knocks and
# the lobby dialog shows its codeword (the one the host room's keyxchgd has);
# a tap on Admit; both rooms at one epoch, its tile with the roster's label and
# its video; the bar, Microphone: roomd mutes and the screen says so;
# Participants, Remove: the keys rotate and the tile goes. Every screen is
# captured through writeback as $art/panel-NAME.png (home, lobby, meeting,
# bar, muted, participants, removed). keyxchgd's status is read here as the
# screen's user (reading is not acting for people); nothing but taps acts.
# Sourced by in-image.sh (uses in-image-lib.sh's ok / nok / check / waitfor,
# $here, $art, the board's variables and display-check).
#
# The host hands its side over on a second virtio disk (/dev/vdb: a tar of
# hostroom.conf, ca.pem, the relay's CA, and janus-ca.pem, Janus's) and is
# reached through QEMU user networking: the relay and Janus on the host's
# loopback are 10.0.2.2 from here (their names map to it in /etc/hosts).
# Media goes through Janus over WebRTC: Janus offers each of its host
# candidates also as 10.0.2.2 (its 1:1 NAT mapping), our checks to it arrive
# at Janus from 127.0.0.1 (QEMU's NAT: a peer-reflexive candidate), no port
# is forwarded. Lines "# hostroom: ..." on the results port tell the host
# what happened (meeting started, epoch E, removed, done); taps are asked of
# it on the console.
hr=$(mktemp -d)
chmod 0755 "$hr"
# The room's configuration as make qemu-meeting's boot makes it
# (/usr/lib/sealroom/hostroom-setup: the host room's disk, eth0, the relay's
# and Janus's names, meeting.conf with this room's name and meeting, room.conf
# through Janus with the host's marker), and an admin PIN provisioned as a
# flasher does (rootfs/README.md "The admin PIN"): its verifier from
# keyxchgd --hash-admin-pin (the PIN on stdin) in keyxchgd's state directory.
check "the host room's disk and network: hostroom-setup wrote meeting.conf and room.conf" \
	/usr/lib/sealroom/hostroom-setup "$hr" "$hr/screen/screen.png"
sed 's/^/# /' /tmp/check.out
check "room.conf: roomd through Janus with the host's marker (no plain RTP)" \
	sh -c "grep -q '^janus=wss://' '$hr/room.conf' && grep -q '^marker=.' '$hr/room.conf' && ! grep -q '^sfu=' '$hr/room.conf'"
hv() { board_value "$1" "$hr/hostroom.conf"; }
check "user networking: eth0 10.0.2.15, the host at 10.0.2.2" \
	sh -c "busybox ip addr show eth0 | grep -q 10.0.2.15"
check "the relay's name $(hv relay_name) is the host (10.0.2.2) for sealroom-kx" \
	sh -c "setpriv --reuid=sealroom-kx --regid=sealroom-kx --clear-groups getent hosts $(hv relay_name) | grep -q '^10.0.2.2 '"
check "Janus's name $(hv janus_name) is the host (10.0.2.2) for sealroom-media" \
	sh -c "setpriv --reuid=sealroom-media --regid=sealroom-media --clear-groups getent hosts $(hv janus_name) | grep -q '^10.0.2.2 '"
install -d -m 0700 -o sealroom-kx -g sealroom-kx "$hr/state/keyxchg"
printf '%06u\n' $(($(od -An -tu4 -N4 /dev/urandom) % 1000000)) | keyxchgd --hash-admin-pin \
	>"$hr/state/keyxchg/admin-pin" &&
	chown sealroom-kx:sealroom-kx "$hr/state/keyxchg/admin-pin" &&
	chmod 0600 "$hr/state/keyxchg/admin-pin"
export SEALROOM_ETC=$hr SEALROOM_STATE=$hr/state SEALROOM_RUN=$hr/run
/etc/sealroom/services.d/10-keyxchgd >"$hr/keyxchgd.log" 2>&1 &
kxpid=$!
waitfor "$hr/keyxchgd.log" "keyxchgd ready" 120 || sed 's/^/# /' "$hr/keyxchgd.log"
check "keyxchgd holds the provisioned admin PIN's verifier (Settings open with the PIN only)" \
	grep -q "admin PIN verifier $hr/state/keyxchg/admin-pin; 0 wrong PINs since the last right one" "$hr/keyxchgd.log"
/etc/sealroom/services.d/20-sealroom-screen >"$hr/screen.log" 2>&1 &
spid=$!
/etc/sealroom/services.d/30-roomd >"$hr/roomd.log" 2>&1 &
rpid=$!
unset SEALROOM_ETC SEALROOM_STATE SEALROOM_RUN
waitfor "$hr/roomd.log" "roomd: keyxchgd connected" 120 || tail -n 5 "$hr/roomd.log" | sed 's/^/# /'
sock=$hr/run/kx/keyxchgd.sock
status() { # keyxchgd's status, read as the screen's user: reading is not acting for people
	setpriv --reuid=sealroom-screen --regid=sealroom-screen --init-groups --no-new-privs -- \
		kxctl --socket "$sock" status 2>&1
}
jnum() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1; } # jnum KEY: the first KEY's number in stdin's JSON
slog=$hr/screen.log

# The panel, by taps alone. Where a widget is comes from the screen's own
# "panel: page NAME: id=x,y,w,h ..." lines (pixels); a tap is asked of the
# host on the console, "sealroom: tap N x=X y=Y" in the virtio tablet's axes
# (0..32767 over the screen), and the host clicks it through QMP's
# input-send-event (tests/qemu/test_qemu_boot.sh). Each wait names what it
# waited for.
taps=0
widget() { # widget ID: "X Y W H" of tap target ID on the panel's last page line, or nothing
	grep 'panel: page ' "$slog" | tail -n 1 | tr ' ' '\n' |
		sed -n "s/^$(echo "$1" | sed 's/\./\\./g')=\([0-9]*\),\([0-9]*\),\([0-9]*\),\([0-9]*\)$/\1 \2 \3 \4/p"
}
wait_widget() { # wait_widget ID SECONDS: until the panel shows tap target ID
	end=$(($(now) + $2))
	while [ -z "$(widget "$1")" ] && [ "$(now)" -lt "$end" ]; do sleep 0.2; done
	[ -n "$(widget "$1")" ] && return 0
	echo "# gave up after $2 s waiting for the panel to show $1; the screen's last lines:"
	grep -e '^panel: ' -e '^screen: panel' -e 'roomd' "$slog" | tail -n 12 | sed 's/^/#   /'
	return 1
}
tap_at() { # tap_at X Y: a tap at pixel X,Y through the host's QMP; until the screen's "panel: tap" line
	before=$(grep -c 'panel: tap ' "$slog")
	taps=$((taps + 1))
	echo "sealroom: tap $taps x=$(($1 * 32767 / (screen_width - 1))) y=$(($2 * 32767 / (screen_height - 1))) (pixel $1,$2)" >&2
	end=$(($(now) + 120))
	while [ "$(grep -c 'panel: tap ' "$slog")" -le "$before" ] && [ "$(now)" -lt "$end" ]; do sleep 0.2; done
	if [ "$(grep -c 'panel: tap ' "$slog")" -le "$before" ]; then
		echo "# gave up after 120 s waiting for the screen to take tap $taps at $1,$2"
		return 1
	fi
	echo "# tap $taps: $(grep 'panel: tap ' "$slog" | tail -n 1)"
}
pages() { grep -c 'panel: page ' "$slog"; }
bring_bar() { # bring_bar ID: until the bar shows (with its button ID). A tap on the
	# video brings a hidden bar, and a tap while it shows sends it away: so no
	# tap while the last page line shows it, and after each tap the page line
	# that tap brings is waited for (the screen prints its "panel: tap" line
	# before the page line: read between them, the old page line lies).
	for try in 1 2 3; do
		[ -n "$(widget "$1")" ] && return 0
		pg=$(pages) # not "before": tap_at's
		tap_at $((screen_width / 2)) $((screen_height / 3)) || return 1
		end=$(($(now) + 60))
		while [ "$(pages)" -le "$pg" ] && [ "$(now)" -lt "$end" ]; do sleep 0.2; done
	done
	wait_widget "$1" 60
}
tap() { # tap ID: taps the middle of widget ID; 0 when the panel says the tap hit ID
	for try in 1 2 3; do
		# A bar that hid before this wait saw it: a tap on the video brings it back.
		case $1 in bar.*) bring_bar "$1" || return 1 ;; esac
		wait_widget "$1" 60 || return 1
		set -- "$1" $(widget "$1")
		pg=$(pages)
		tap_at $(($2 + $4 / 2)) $(($3 + $5 / 2)) || return 1
		line=$(grep 'panel: tap ' "$slog" | tail -n 1)
		case $line in *"-> $1") return 0 ;; esac
		# A tap on the video after the bar hid brought it back: its page line
		# first, or bring_bar would read the old one and send the bar away.
		case $1:$line in bar.*:*"-> nothing")
			end=$(($(now) + 60))
			while [ "$(pages)" -le "$pg" ] && [ "$(now)" -lt "$end" ]; do sleep 0.2; done ;;
		esac
		# The in-meeting bar hides 60 s after the last tap (hostroom-setup's
		# bar_seconds): a tap that came later (a slow round trip through
		# the host) hit the video and brought the bar back; said, and
		# tapped again.
		case $1:$line in bar.*:*"-> nothing") echo "# the tap on $1 came after the bar hid: again (try $try)" ;; *) break ;; esac
	done
	echo "# the tap on $1 hit something else: $line"
	return 1
}
bar_hidden() { # bar_hidden SECONDS: until the bar has hidden (the meeting page with no tap target)
	end=$(($(now) + $1))
	while ! grep 'panel: page ' "$slog" | tail -n 1 | grep -q '^panel: page meeting:$' && [ "$(now)" -lt "$end" ]; do
		sleep 0.2
	done
	grep 'panel: page ' "$slog" | tail -n 1 | grep -q '^panel: page meeting:$' ||
		{ echo "# gave up after $1 s waiting for the bar to hide: $(grep 'panel: page ' "$slog" | tail -n 1)"; return 1; }
}
hide_bar() { # hide_bar: a tap on the video sends the bar away (docs/panel.md); until it has gone
	[ -z "$(widget bar.participants)" ] || tap_at $((screen_width / 2)) $((screen_height / 3)) || return 1
	bar_hidden 90
}
shot() { # shot NAME: the screen now (SIGUSR2, through writeback) as $art/panel-NAME.png
	before=$(grep -c 'screen: captured' "$slog")
	kill -USR2 "$spid"
	end2=$(($(now) + 60))
	while [ "$(grep -c 'screen: captured' "$slog")" -le "$before" ] && [ "$(now)" -lt "$end2" ]; do sleep 0.2; done
	if [ "$(grep -c 'screen: captured' "$slog")" -gt "$before" ]; then
		cp "$hr/screen/screen.png" "$art/panel-$1.png"
	else
		echo "# gave up after 60 s waiting for the screen's capture for panel-$1.png"
	fi
}

# Home: the room's name, its codeword, the meeting service; Settings behind
# keyxchgd's admin PIN.
if wait_widget home.start 120 && waitfor "$slog" "keyxchgd: connected" 60 &&
	grep -q "panel: ${screen_width_mm}x$screen_height_mm mm, Settings behind keyxchgd's admin PIN" "$slog"; then
	ok "the configured screen service shows Home with the panel (keyxchgd connected, Settings behind keyxchgd's admin PIN)"
else
	nok "the configured screen service shows no Home"
	sed 's/^/# /' "$slog"
fi
shot home
# The meeting by taps; a step the rest depends on that fails ends it (said,
# with the screen's last lines), so that one failure does not run every
# later wait to its bound.
meeting() {
	# Start meeting: join as host, sent by the panel.
	tap home.start && waitfor "$slog" 'panel: sent {"cmd":"join".*"meeting":"qemu-room","role":"host","name":"QEMU room"' 60
	end=$(($(now) + 120))
	while ! status | grep -q '"state":"in-meeting"' && [ "$(now)" -lt "$end" ]; do sleep 0.5; done
	if grep -q 'panel: sent {"cmd":"join".*"role":"host"' "$slog" && status | grep -q '"state":"in-meeting"'; then
		ok "a tap on Start meeting: the panel sent join as host (meeting qemu-room, \"QEMU room\") and keyxchgd hosts"
	else
		nok "a tap on Start meeting: no meeting hosted ($(status))"
		return 1
	fi
	echo "# hostroom: meeting started"

	# The lobby dialog: the host room's knock with its codeword, compared with
	# the one the host room's keyxchgd has (hostroom.conf's host_codeword: the
	# other room's people read theirs out).
	hcw=$(hv host_codeword)
	end=$(($(now) + 240))
	# The panel writes a codeword's words capitalized (Kuzom-Nidur-...);
	# "(being derived)" until keyxchgd has it.
	while ! grep 'panel: lobby dialog:' "$slog" | tail -n 1 | grep -q 'codeword [A-Za-z]' && [ "$(now)" -lt "$end" ]; do sleep 0.5; done
	dialog=$(grep 'panel: lobby dialog:' "$slog" | tail -n 1)
	if ! echo "$dialog" | grep -q 'codeword [A-Za-z]'; then
		nok "no lobby dialog with a codeword on the panel within 240 s (keyxchgd: $(grep -c 'knock from' "$hr/keyxchgd.log") knocks logged)"
		echo "# keyxchgd's status: $(status)"
		return 1
	fi
	echo "# $dialog"
	kp=$(echo "$dialog" | sed -n 's/.*participant \([0-9]*\) .*/\1/p')
	kcw=$(echo "$dialog" | sed -n 's/.* codeword \([A-Za-z-]*\) .*/\1/p' | tr 'A-Z' 'a-z')
	khash=$(echo "$dialog" | sed -n 's/.* knock \([0-9a-f]*\)$/\1/p')
	lobby=$(status | grep -o '"lobby":\[{[^]]*' | head -n 1)
	if [ -n "$kcw" ] && [ "$kcw" = "$hcw" ] && echo "$dialog" | grep -q '"Host room"' &&
		echo "$lobby" | grep -q "\"codeword\":\"$kcw\""; then
		ok "the lobby dialog shows \"Host room\" (participant $kp) with codeword $kcw: the host room's keyxchgd's, and this keyxchgd's lobby's"
	else
		nok "the lobby dialog's codeword '${kcw:-none}' is not the host room's '$hcw' (this keyxchgd's lobby: $lobby)"
	fi
	wait_widget lobby.admit 60
	shot lobby
	# Admit is not taken for 1 s after a knock appears (PANEL_KNOCK_SETTLE_US,
	# docs/panel.md): a tap before then is refused by design, so none is made.
	sleep 1
	tap lobby.admit && waitfor "$slog" 'panel: sent {"cmd":"admit"' 60
	sent=$(grep 'panel: sent {"cmd":"admit"' "$slog" | tail -n 1)
	echo "# $sent"
	check "a tap on Admit: the panel admits exactly the knock shown (participant $kp, its hash)" \
		sh -c "echo '$sent' | grep -q '\"participant\":$kp,' && echo '$sent' | grep -q '\"knock\":\"$khash\"'"

	# Both rooms at one epoch: this room's here, the host room compares its own.
	if waitfor "$slog" "screen: tiles 1 $kp=$kcw" 120; then
		ok "the screen's tile is the host room's participant $kp with the roster's codeword $kcw"
	else
		nok "the screen shows no tile for participant $kp labelled $kcw"
		return 1
	fi
	end=$(($(now) + 60))
	while ! status | grep -q '"group_code"' && [ "$(now)" -lt "$end" ]; do sleep 0.5; done
	st=$(status)
	epoch=$(echo "$st" | jnum epoch)
	echo "# hostroom: epoch $epoch"
	check "keyxchgd holds epoch $epoch with its group code, the host room in the roster" \
		sh -c "echo '$st' | grep -q '\"group_code\"' && echo '$st' | grep -q '\"participant\":$kp,'"
	shown() { # frames of sender $1 the screen showed (its SIGUSR1 stats line)
		before=$(grep -c 'screen stats:' "$slog")
		kill -USR1 "$spid"
		end2=$(($(now) + 30))
		while [ "$(grep -c 'screen stats:' "$slog")" -le "$before" ] && [ "$(now)" -lt "$end2" ]; do sleep 0.2; done
		v=$(grep 'screen stats:' "$slog" | tail -n 1 | grep -o "sender=$1:shown=[0-9]*" | cut -d= -f3)
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
	# A tap on the video sends the bar away: the screen is the video's.
	hide_bar
	shot meeting
	wrong=$(echo "${kcw:-mavoj-pubip-gubad-gamiv}" | tr 'bdfghjklmnprstvzaiou' 'dfghjklmnprstvzbioua')
	check "display-check: the host room's tile, its video (3070c0, its codeword burned in) and the roster's label $kcw 'Host room'" \
		"$here/display-check" --frame 640x360 --tile "$kcw:3070c0:Host room" --wrong "$wrong" \
		--screen "$art/panel-meeting.png"
	sed -n 's/^# /# /p' /tmp/check.out

	# The bar, the microphone: roomd mutes its own send chain and says so; only
	# then the panel shows MUTED.
	bring_bar bar.mic
	shot bar
	tap bar.mic
	if waitfor "$slog" "screen: roomd: microphone muted" 60 && waitfor "$hr/roomd.log" "roomd: microphone muted" 10; then
		ok "a tap on Microphone: roomd muted its microphone ($(grep 'roomd: microphone' "$hr/roomd.log" | tail -n 1)) and the screen shows it (MEDIA_STATE: $(grep 'screen: roomd: microphone' "$slog" | tail -n 1))"
	else
		nok "a tap on Microphone: no mute confirmed by roomd"
		grep -e 'microphone' "$slog" "$hr/roomd.log" | sed 's/^/# /'
	fi
	shot muted
	# Unmuted again (the bar is still up), so that the screen after the removal
	# is the bare video screen display-check knows.
	tap bar.mic && waitfor "$slog" "screen: roomd: microphone on" 60
	check "a second tap on Microphone: roomd's microphone on again" \
		sh -c "grep 'roomd: microphone' '$hr/roomd.log' | tail -n 1 | grep -q 'microphone on'"

	# Participants, Remove: the keys rotate without the host room, its tile goes.
	tap bar.participants
	wait_widget "remove.$kp" 60
	shot participants
	tap "remove.$kp" && waitfor "$slog" "panel: sent {\"cmd\":\"remove\",\"id\":\"panel-[0-9]*\",\"participant\":$kp}" 60
	echo "# $(grep 'panel: sent {"cmd":"remove"' "$slog" | tail -n 1)"
	end=$(($(now) + 120))
	while [ "$(status | jnum epoch)" -le "${epoch:-0}" ] && [ "$(now)" -lt "$end" ]; do sleep 0.5; done
	st=$(status)
	check "Participants -> Remove: the keys rotate (epoch $epoch -> $(echo "$st" | jnum epoch)) without the host room" \
		sh -c "[ '$(echo "$st" | jnum epoch)' -gt '${epoch:-0}' ] && ! echo '$st' | grep -q '\"participant\":$kp,'"
	echo "# hostroom: removed"
	if waitfor "$slog" "screen: tiles 0" 120; then
		ok "the host room's tile is gone from the screen"
	else
		nok "the host room's tile stays after its removal"
	fi
	tap people.close
	hide_bar
	shot removed
	check "display-check: no tile after the removal, the banner end-to-end encrypted" \
		"$here/display-check" --empty --e2ee on --screen "$art/panel-removed.png"
	sed -n 's/^# /# /p' /tmp/check.out
	if waitfor "$hr/roomd.log" "roomd: sender $kp gone" 120; then
		ok "roomd removed the host room's branch once its keys went (GONE to the screen)"
	else
		nok "roomd kept the host room's branch"
	fi
}
if ! meeting; then
	echo "# the meeting by taps stopped early; the screen's last lines:"
	tail -n 25 "$slog" | sed 's/^/#   /'
	grep -e 'knock' -e 'warn' "$hr/keyxchgd.log" | tail -n 5 | sed 's/^/#   keyxchgd: /'
fi
echo "# taps: $taps, each clicked by the host through QMP; screens: $(cd "$art" && ls panel-*.png | paste -sd' ' -)"
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
# Janus offers each host candidate twice (10.0.2.2, its NAT mapping, and
# 127.0.0.1, its own): roomd gives libnice only those at the address
# janus.sealroom.test resolves to (docs/transport.md, "What a hostile Janus
# can cost roomd"), so every connection refused the 127.0.0.1 one; and
# Janus sent nothing from an SSRC it had not announced.
check "roomd gave libnice only Janus's 10.0.2.2 candidates (candidates-refused $(tv candidates-refused)) and took only announced SSRCs, but for a stray few (dropped-ssrc $(tv dropped-ssrc); test_roomd_janus saw 2 once)" \
	sh -c "[ '$(tv candidates-refused)' -ge 1 ] && [ '$(tv dropped-ssrc)' -le 8 ]"
rm -rf "$hr"
