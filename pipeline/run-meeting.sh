#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make run`: an end-to-end encrypted meeting between two local processes.
#
# A sender room (moving test pattern with a clock, a 440 Hz tone; H.264 and
# Opus through e2eeenc) streams over RTP/UDP through the untrusted relay
# (tests/fixtures/udp_relay.py, which records what it forwards) to a
# receiver room (e2eedec, decoders). Both read one base key from a file made
# here with mode 0600. At the end: both sides' statistics, a PNG of what the
# receiver decoded, and what the relay could read (nothing).
set -euo pipefail
O=${O:-build}
SECONDS_RUN=${SECONDS_RUN:-8}
run="$O/run"
mkdir -p "$run"
export GST_PLUGIN_PATH="$(cd "$O/lib/gstreamer-1.0" && pwd)"
export GST_REGISTRY="$(cd "$O" && pwd)/gst-registry.bin"
key="$run/meeting.key"
rm -f "$key"
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$key" && echo >>"$key")
marker="sealroom-demo-$$"

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pv=$(port); pa=$(port); rv=$(port); ra=$(port)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

echo "== sealroom: an end-to-end encrypted meeting on loopback"
echo "   key file  $key (mode $(stat -c %a "$key"))"
echo "   sender -> relay :$pv/:$pa -> receiver :$rv/:$ra, ${SECONDS_RUN} s"
/usr/bin/python3 tests/fixtures/udp_relay.py --route "$pv:$rv" --route "$pa:$ra" \
	--capture "$run/relay.cap" --ready "$run/relay.ready" --seconds 120 >"$run/relay.log" &
pids+=($!)
rm -f "$run/receiver.log"
"$O/bin/e2ee-media" receive --key-file "$key" --video-port "$rv" --audio-port "$ra" \
	--seconds $((SECONDS_RUN + 3)) --marker "$marker" --snapshot "$run/received.png" \
	>"$run/receiver.log" 2>&1 &
recv=$!
pids+=($recv)
for _ in $(seq 100); do
	grep -q 'receiver ready' "$run/receiver.log" 2>/dev/null && [ -e "$run/relay.ready" ] && break
	sleep 0.1
done
"$O/bin/e2ee-media" send --key-file "$key" --video-port "$pv" --audio-port "$pa" \
	--seconds "$SECONDS_RUN" --marker "$marker" | grep -v ' ready$'
wait "$recv"
kill "${pids[0]}" 2>/dev/null || true
wait "${pids[0]}" 2>/dev/null || true
grep -v ' ready$' "$run/receiver.log"
cat "$run/relay.log"
if /usr/bin/python3 - "$run/relay.cap" "$marker" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
marker = sys.argv[2].encode()
i = found = n = 0
while i + 4 <= len(data):
    (k,) = struct.unpack_from(">I", data, i)
    n += 1
    found += marker in data[i + 4:i + 4 + k]
    i += 4 + k
print(f"relay: the plaintext marker is in {found} of {n} datagrams it relayed")
sys.exit(1 if found else 0)
PY
then :; else echo "plaintext leaked to the relay" >&2; exit 1; fi
grep -q 'auth-failed=(guint64)0' "$run/receiver.log"
echo "== done: the receiver's last decoded frame is $run/received.png"
