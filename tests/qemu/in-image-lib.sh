# SPDX-License-Identifier: MIT
# What the image test's scripts share, sourced first by in-image.sh (and the
# scripts it sources) and in-image-virtio-gpu.sh: the environment and the
# board file, the TAP helpers (ok, nok, check), the bounded waits (waitfor,
# waitpid_for), rand.
. /etc/sealroom/environment
. /etc/sealroom/board
here=/usr/lib/sealroom/tests
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
# Every wait here is bounded and, when it gives up, says what it waited for
# and where the waiting process's threads were (their kernel stacks: a
# blocked ioctl, a futex, a pipe), so that a hang is a failed check with a
# reason, not the host's timeout of the whole boot.
stacks() { # stacks PID: each thread's name, state, wait channel and kernel stack
	for t in /proc/"$1"/task/*; do
		[ -d "$t" ] || continue
		echo "#   thread $(cat "$t/comm" 2>/dev/null) $(sed -n 's/^State:[[:space:]]*//p' "$t/status" 2>/dev/null)," \
			"waiting in $(cat "$t/wchan" 2>/dev/null)"
		sed -n '1,6s/^/#     /p' "$t/stack" 2>/dev/null
	done
}
waitpid_for() { # waitpid_for PID SECONDS WHAT: a background child's exit status, at most SECONDS
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 5)) ]; do
		sleep 0.2
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "# gave up after $2 s waiting for $3 (pid $1); where it waits:"
		stacks "$1"
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}
check() { # check DESCRIPTION COMMAND...: at most CHECK_SECONDS (300)
	desc=$1; shift
	"$@" >/tmp/check.out 2>&1 &
	if waitpid_for $! "${CHECK_SECONDS:-300}" "$1" >/tmp/check.why; then
		ok "$desc"
	else
		nok "$desc"; sed 's/^/# /' /tmp/check.out; cat /tmp/check.why
	fi
}
waitfor() { # waitfor FILE PATTERN SECONDS
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt $(($3 * 5)) ]; do
		sleep 0.2
		i=$((i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null || { echo "# gave up after $3 s waiting for \"$2\" in $1"; return 1; }
}
rand() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; } # rand BYTES: hex
# part NAME: a comment line with the guest's uptime, so that a slow or stuck
# run shows which part took the time.
part() { echo "# -- $* (uptime $(cut -d' ' -f1 /proc/uptime) s)"; }

# The room display on the board's display, fed on loopback. room_start
# CODEWORD COLOUR SECONDS [RECEIVE_ARGS...]: a media key in $d (a directory
# the caller made), e2ee-media receive --display in the background ($recv;
# sender 1 labelled CODEWORD, "This room"), then e2ee-media send of a flat
# COLOUR with CODEWORD burned in for SECONDS. room_stop: the receiver
# stopped; $rc its exit status, $shown, $layers, $composited its report.
room_start() {
	room_cw=$1 room_colour=$2 room_secs=$3
	shift 3
	(umask 077 && rand 16 >"$d/media.key")
	echo "# the room's codeword $room_cw, the source's colour $room_colour"
	e2ee-media receive --key-file "$d/media.key" --peer 1:5000:5002 \
		--peer-codeword "1:$room_cw:This room" --display "$display_device" \
		--decoder "$video_decoder" --display-size "${screen_width}x$screen_height" \
		"$@" --seconds 0 >"$d/recv.log" 2>&1 &
	recv=$!
	if waitfor "$d/recv.log" "receiver ready" 120; then
		e2ee-media send --key-file "$d/media.key" --host 127.0.0.1 --video-port 5000 \
			--audio-port 5002 --sender-index 1 --codeword "$room_cw" --seconds "$room_secs" \
			--source "videotestsrc is-live=true pattern=solid-color foreground-color=0xff$room_colour" \
			--encoder "$video_encoder" >"$d/send.log" 2>&1 &
		waitpid_for $! $((room_secs + 120)) "e2ee-media send to end its $room_secs s"
		sleep 1
	fi
}
room_stop() {
	kill -TERM "$recv" 2>/dev/null
	waitpid_for "$recv" 120 "e2ee-media receive to stop after SIGTERM"
	rc=$?
	grep '^display' "$d/recv.log" | sed 's/^/# /'
	shown=$(sed -n 's/^display sender=1 frames-shown=//p' "$d/recv.log")
	layers=$(sed -n 's/^display commits=.* layers=\([0-9]*\) .*/\1/p' "$d/recv.log")
	composited=$(sed -n 's/^display commits=.* composited=//p' "$d/recv.log")
}
echo "# board $board_name, kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime) s"
