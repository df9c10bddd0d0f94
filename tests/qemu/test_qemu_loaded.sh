#!/bin/bash
# SPDX-License-Identifier: MIT
# The image test with every core of the host busy: one shell busy loop per
# core (nproc; LOAD_LOOPS=N for another count) runs beside QEMU for the whole
# boot, as the machine's other work would. The image's own waits are bounded and name what they waited for
# (tests/qemu/in-image-lib.sh), so a hang under load is a failed check with
# a reason. `make check-image-loaded`; not part of `make check`.
#
#   tests/qemu/test_qemu_loaded.sh IMAGE_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
loops=()
stop() {
	for p in "${loops[@]}"; do kill "$p" 2>/dev/null; done
	wait "${loops[@]}" 2>/dev/null
}
trap stop EXIT
for _ in $(seq "${LOAD_LOOPS:-$(nproc)}"); do
	sh -c 'while :; do :; done' &
	loops+=($!)
done
echo "# ${#loops[@]} busy loops beside the image test (pids ${loops[*]})"
"$here/test_qemu_boot.sh" "$1"
rc=$?
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
