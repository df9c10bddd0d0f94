#!/bin/bash
# SPDX-License-Identifier: MIT
# The product image's test (make check's test_qemu_product; rootfs/README.md
# "The product image"), from the host alone: the product has no test inside.
#
# 1. Offline, on the image files (debugfs from e2fsprogs: no mount, no root):
#    no /usr/lib/sealroom/tests, no test tool or in-image script anywhere, no
#    hostroom-setup, no bash, none of the tools the services do not run; the
#    variant file says product (the initramfs's too); and, when the
#    development image is there (DEV_IMAGE_DIR, default IMAGE_DIR/../image),
#    every other path of it is in the product too, with the same users,
#    groups, services and init.
# 2. One boot under QEMU (TCG) with the development image's switches on the
#    kernel command line (sealroom.mode=test sealroom.test=x
#    sealroom.hostroom=1 sealroom.modules=... sealroom.board=..., and init=
#    for the initramfs): the console says they were ignored, once, naming
#    them; the services start ("ready", each service's pid, keyxchgd's and
#    roomd's unconfigured runs end with exit 0, the screen stays up); no
#    image test runs (nothing on the results port); a line typed on the
#    serial console (echo of a sum) gets no answer and no prompt; then QMP's
#    quit powers it off. Prints the time to "sealroom: ready". root=/dev/vdb
#    is among the switches: the product's initramfs mounts its own root.
#    The initramfs, offline: no busybox, no shell, a static /init, the root
#    device fixed in it.
# 3. Boots that must not come up, each ending by itself: rdinit=/bin/busybox
#    sh (a review's root shell: the kernel panics, finding neither that
#    program nor a root it can mount itself); sysctl.kernel.core_pattern=
#    and SEALROOM_ETC= on the command line (/init refuses it and restarts);
#    the development image's disk as the root (/init refuses its UUID).
#
#   tests/qemu/test_qemu_product.sh IMAGE_DIR
# PRODUCT_SWITCHES replaces the switches (PRODUCT_SWITCHES= with the
# development image shows the checks fail: its shell answers).
set -u
img=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
dev=${DEV_IMAGE_DIR:-$img/../image}
timeout=${QEMU_TIMEOUT:-900}
switches=${PRODUCT_SWITCHES-sealroom.mode=test sealroom.test=x sealroom.hostroom=1 sealroom.modules=vivid sealroom.board=qemu-x86_64-virtio-gpu init=/bin/sh root=/dev/vdb}
work=$img/test-run
rm -rf "$work"
mkdir -p "$work"
k=0
failed=0
ok() { k=$((k + 1)); echo "ok $k - $*"; }
nok() { k=$((k + 1)); failed=$((failed + 1)); echo "not ok $k - $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
start=$(date +%s.%N)
not() { ! "$@"; }
since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }

# ------------------------------------------------------------ 1. offline
fs=$img/rootfs.ext4
if ! "$here/ext4_files.py" "$fs" >"$work/product.files" 2>"$work/files.err"; then
	nok "the product image's files listed with debugfs: $(cat "$work/files.err")"
	echo "1..$k"
	exit 1
fi
echo "# product image: $(wc -l <"$work/product.files") paths, rootfs.ext4 $(($(stat -c %s "$fs") / 1048576)) MiB"
has() { grep -qx "[dflo] $1" "$work/product.files"; }
# Whatever their folder: the tests' programs and scripts, hostroom-setup, bash.
left=$(grep -E '/(in-image[^/]*\.sh|touch-probe|drm-scene|drm-planes|display-check|hostroom-setup|bash|e2ee-media|e2ee-sframe|kxws|kxctl|sealroom-probe)$|^d /usr/lib/sealroom/tests$' \
	"$work/product.files")
check "no tests directory, test tool, in-image script, hostroom-setup, bash or tool the services do not run, anywhere${left:+ (found: $(echo $left))}" \
	test -z "$left"
for f in /usr/sbin/sealroom-init /usr/sbin/sealroom-log /usr/sbin/keyxchgd /usr/bin/roomd \
	/usr/bin/sealroom-screen /usr/lib/gstreamer-1.0/libgste2ee.so /usr/bin/dash /usr/bin/setpriv \
	/etc/sealroom/services.d/10-keyxchgd /etc/sealroom/services.d/20-sealroom-screen \
	/etc/sealroom/services.d/30-roomd /etc/sealroom/board /usr/lib/sealroom/board.sh; do
	has "$f" || missing="${missing:-} $f"
done
check "what the services need is there (init, sealroom-log, the three daemons and their services, the plugin, dash, setpriv, the board)${missing:+; missing:$missing}" \
	test -z "${missing:-}"
variant=$(debugfs -R "cat /usr/lib/sealroom/variant" "$fs" 2>/dev/null)
check "/usr/lib/sealroom/variant says product ($variant)" test "$variant" = product
(cd "$work" && mkdir -p initrd && cd initrd && zcat "$img/initrd.img" | cpio -i --quiet variant init 2>/dev/null)
check "the initramfs's /variant says product ($(cat "$work/initrd/variant" 2>/dev/null))" \
	test "$(cat "$work/initrd/variant" 2>/dev/null)" = product
# The initramfs: no program but its /init, which is static (no loader in
# there to run anything else), and the root device fixed in it.
zcat "$img/initrd.img" | cpio -t --quiet 2>/dev/null >"$work/initrd.files"
(cd "$work/initrd" && zcat "$img/initrd.img" | cpio -i --quiet root-device 2>/dev/null)
shells=$(grep -E '(^|/)(busybox|sh|dash|bash|ash)$|^bin(/|$)|^usr(/|$)|^sbin(/|$)' "$work/initrd.files")
check "the initramfs has no busybox, no shell and no bin/, sbin/ or usr/${shells:+ (found: $(echo $shells))}" \
	test -z "$shells"
interp=$(readelf -l "$work/initrd/init" 2>&1 | grep -c 'program interpreter')
check "its /init is a static program, not a script: ELF, no program interpreter ($(head -c 4 "$work/initrd/init" | tr -dc 'A-Z'), $interp)" \
	test "$(head -c 4 "$work/initrd/init" | tail -c 3)" = ELF -a "$interp" = 0
check "its /root-device fixes the root: $(cat "$work/initrd/root-device" 2>/dev/null)" \
	test "$(cat "$work/initrd/root-device" 2>/dev/null)" = /dev/vda
(cd "$work/initrd" && zcat "$img/initrd.img" | cpio -i --quiet root-uuid 2>/dev/null)
fs_uuid=$(dumpe2fs -h "$fs" 2>/dev/null | awk '/^Filesystem UUID:/ { gsub("-", "", $3); print $3 }')
check "its /root-uuid is rootfs.ext4's ext4 UUID ($(cat "$work/initrd/root-uuid" 2>/dev/null), $fs_uuid)" \
	test -n "$fs_uuid" -a "$(cat "$work/initrd/root-uuid" 2>/dev/null)" = "$fs_uuid"
if [ -f "$dev/rootfs.ext4" ]; then
	dev=$(cd "$dev" && pwd)
	if "$here/ext4_files.py" "$dev/rootfs.ext4" >"$work/dev.files" 2>"$work/files.err"; then
		# Development minus product: the tests, the host room's setup,
		# bash's files (dpkg's list), the tools the services do not run.
		comm -23 "$work/dev.files" "$work/product.files" >"$work/dev-only"
		comm -13 "$work/dev.files" "$work/product.files" >"$work/product-only"
		debugfs -R "cat /var/lib/dpkg/info/bash.list" "$dev/rootfs.ext4" 2>/dev/null >"$work/bash.list"
		unexpected=$(while read -r kind path; do
			case $path in
			/usr/lib/sealroom/tests | /usr/lib/sealroom/tests/* | /usr/lib/sealroom/hostroom-setup) ;;
			/usr/bin/e2ee-media | /usr/bin/e2ee-sframe | /usr/bin/kxws | /usr/bin/kxctl | /usr/bin/sealroom-probe) ;;
			/var/lib/dpkg/info/bash.*) ;;
			*) grep -qxF "$path" "$work/bash.list" || grep -qxF "${path#/usr}" "$work/bash.list" ||
				echo "$kind $path" ;;
			esac
		done <"$work/dev-only")
		echo "# development image: $(wc -l <"$work/dev.files") paths; $(wc -l <"$work/dev-only") of them not in the product"
		if [ -z "$unexpected" ] && [ ! -s "$work/product-only" ]; then
			ok "every other path of the development image is in the product, and the product has none of its own"
		else
			nok "the product differs from the development image beyond what it leaves out"
			[ -z "$unexpected" ] || echo "$unexpected" | head -n 20 | sed 's/^/# development only: /'
			head -n 20 "$work/product-only" | sed 's/^/# product only: /'
		fi
		same=
		for f in /etc/passwd /etc/group /etc/sealroom/services.d/10-keyxchgd \
			/etc/sealroom/services.d/20-sealroom-screen /etc/sealroom/services.d/30-roomd \
			/etc/sealroom/board /usr/sbin/sealroom-init /usr/lib/sealroom/board.sh; do
			[ "$(debugfs -R "cat $f" "$dev/rootfs.ext4" 2>/dev/null | sha256sum)" = \
				"$(debugfs -R "cat $f" "$fs" 2>/dev/null | sha256sum)" ] || same="$same $f"
		done
		check "the same users, groups, services, board and init as the development image${same:+ (differ:$same)}" \
			test -z "$same"
	else
		nok "the development image's files listed with debugfs: $(cat "$work/files.err")"
	fi
else
	echo "# no development image at $dev: the comparison with it is left out"
fi
echo "# offline checks: $(since "$start") s"

# ------------------------------------------------------------ 2. one boot
# The serial console's input is a FIFO this script holds open (QEMU's
# -serial mon:stdio reads it); the results port goes to a file that must
# stay empty (no image test runs).
mkfifo "$work/console.in"
exec 3<>"$work/console.in"
: >"$work/results.tap"
boot=$(date +%s.%N)
# The development image as a second disk (/dev/vdb, read-only), when it is
# there: root=/dev/vdb among the switches then names a disk that exists.
disk2=
[ -f "$dev/rootfs.ext4" ] && disk2=$dev/rootfs.ext4
QEMU_APPEND=$switches QEMU_RESULTS=$work/results.tap QEMU_ARTIFACTS=$work/artifacts.tar \
	QEMU_DISK2=$disk2 QEMU_QMP=$work/qmp.sock setsid "$here/../../rootfs/run-qemu.sh" "$img" \
	<"$work/console.in" >"$work/console.log" 2>&1 &
qemu=$!
# The console's text: no carriage returns, no terminal escapes (the
# firmware's screen clearing shares the first line; a shell's prompt has
# its own).
console() { tr -d '\r' <"$work/console.log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[c()][0-9A-Z]\{0,1\}//g'; }
congrep() { console | grep "$@"; }
# waitcon PATTERN SECONDS WHAT: the console shows PATTERN (grep -E) while
# QEMU runs; else says what it waited for and returns 1.
waitcon() {
	end=$(($(date +%s) + $2))
	while ! console | grep -qE "$1"; do
		if ! kill -0 "$qemu" 2>/dev/null; then
			echo "# QEMU ended while waiting for $3"
			return 1
		fi
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "# gave up after $2 s waiting for $3"
			return 1
		fi
		sleep 0.2
	done
}
stop_qemu() {
	/usr/bin/python3 "$here/qmp.py" "$work/qmp.sock" quit | sed 's/^/# /'
	i=0
	while kill -0 "$qemu" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$qemu" 2>/dev/null; then
		echo "# QEMU still ran 30 s after QMP's quit: killed"
		kill -- -"$qemu" 2>/dev/null
	fi
	wait "$qemu" 2>/dev/null
}
fail_boot() {
	nok "$1"
	echo "# console (last 40 lines):"
	console | tail -n 40 | sed 's/^/#   /'
	stop_qemu
	echo "1..$k"
	exit 1
}

waitcon '^sealroom: ready' "$timeout" '"sealroom: ready" on the console' ||
	fail_boot "the product image never said 'sealroom: ready' (${timeout} s)"
ready=$(since "$boot")
ok "the product image booted to ready in ${ready} s from QEMU's start ($(console | grep -o 'sealroom: ready.*'))"
if [ -n "$switches" ]; then
	said=$(console | grep -c '^sealroom: product image: ignored the kernel command line'"'"'s sealroom.mode sealroom.test sealroom.hostroom sealroom.modules sealroom.board ')
	check "sealroom-init said once that it ignored sealroom.mode, sealroom.test, sealroom.hostroom, sealroom.modules and sealroom.board ($said times)" \
		test "$said" = 1
	check "the initramfs said it ignored init= (and booted sealroom-init)" \
		congrep -q 'initramfs: product image: init= ignored; /sbin/sealroom-init$'
	check "the initramfs said it ignored root= (/dev/vdb: ${disk2:-none here}) and mounted its own root" \
		congrep -q "initramfs: product image: root= ignored; the image's root device\$"
	check "the board stayed the image's (qemu-x86_64): sealroom.board ignored" \
		congrep -q '^sealroom: ready (board qemu-x86_64,'
fi
for s in 10-keyxchgd 20-sealroom-screen 30-roomd; do
	check "service $s started: $(console | grep -o "^sealroom: service $s started.*")" \
		congrep -qE "^sealroom: service $s started \\(pid [0-9]+\\)\$"
done
# keyxchgd's and roomd's services run, find no configuration in the image,
# say so and end with 0 (the product ships none either).
for s in 10-keyxchgd 30-roomd; do
	waitcon "^sealroom: service $s ended" 300 "service $s to end (no configuration)" >/dev/null
	check "service $s ran and ended unconfigured: $(console | grep -o "^sealroom: service $s ended.*")" \
		congrep -qx "sealroom: service $s ended (exit 0)"
done
check "the product says its console has no shell" \
	congrep -q '^sealroom: product image: no shell on this console'

# A line typed on the serial console: a shell would print 42 in the answer.
# The terminal echoes what is typed (the kernel's line discipline), so the
# answer is told from the echo by the sum: the echo has "$((6*7))".
probe='echo sealroom-probe-$((6*7))-answered'
printf '\r%s\r' "$probe" >&3
if waitcon 'sealroom-probe-\$\(\(6\*7\)\)' 60 "the console's echo of the typed line" >/dev/null; then
	echo "# the typed line reached the guest: the console echoed it"
else
	echo "# the console did not echo the typed line within 60 s (its terminal has no echo)"
fi
# Nothing to wait for but time: a shell answers within a second; 20 s here.
waitcon 'sealroom-probe-42-answered' 20 "an answer to the typed line (none is right)" >/dev/null
answered=$(console | grep -c 'sealroom-probe-42-answered')
prompt=$(console | grep -cE '[#$] $|@[^ ]+:[^ ]*[#$]')
check "nothing answered the typed line: no 'sealroom-probe-42-answered' ($answered), no shell prompt ($prompt)" \
	test "$answered" = 0 -a "$prompt" = 0
if console | grep -q '^sealroom: service 20-sealroom-screen ended'; then
	nok "the screen service stayed up: $(console | grep -o '^sealroom: service 20-sealroom-screen ended.*')"
else
	ok "the screen service stayed up through the boot ($(since "$boot") s; no 'ended' line)"
fi
check "no image test ran: nothing on the results port ($(wc -c <"$work/results.tap") bytes)" \
	test ! -s "$work/results.tap"
check "no 'test done' nor module or board words from the switches on the console" \
	not congrep -qE '^sealroom: (test done|module name|modprobe |sealroom.board=)'
stop_qemu
check "QMP's quit powered it off (QEMU gone)" sh -c "! kill -0 $qemu 2>/dev/null"
echo "# console:"
console | sed 's/^/#   /'
echo "# product boot: ${ready} s to ready, $(since "$boot") s in QEMU"

# ------------------------------------------------------------ 3. refusals
# Boots that must not come up, each ending by itself (a panic, or /init's
# restart: QEMU runs with -no-reboot): the kernel command line or the disk
# is one the product does not boot with. Lines typed meanwhile get no answer.
# refused WHAT IMAGE_DIR APPEND PATTERN: one such boot; PATTERN (grep -E) on
# the console says why.
refused() {
	rm -f "$work/console.log"
	boot=$(date +%s.%N)
	QEMU_APPEND=$3 QEMU_RESULTS=$work/results.tap QEMU_QMP=$work/qmp.sock \
		setsid "$here/../../rootfs/run-qemu.sh" "$2" \
		<"$work/console.in" >"$work/console.log" 2>&1 &
	qemu=$!
	i=0
	while kill -0 "$qemu" 2>/dev/null && [ $i -lt 3000 ]; do
		sleep 0.1
		i=$((i + 1))
		[ $((i % 50)) = 0 ] && printf '\r%s\r' "$probe" >&3
	done
	if kill -0 "$qemu" 2>/dev/null; then
		nok "$1: QEMU still ran after 300 s"
		stop_qemu
	else
		wait "$qemu" 2>/dev/null
		ok "$1: QEMU ended by itself in $(since "$boot") s"
	fi
	check "$1: the console says why: $(console | grep -oE "$4" | head -n 1)" congrep -qE "$4"
	answered=$(console | grep -c 'sealroom-probe-42-answered')
	prompt=$(console | grep -cE '[#$] $|@[^ ]+:[^ ]*[#$]')
	check "$1: nothing ran, nothing answered ($answered), no prompt ($prompt), no 'sealroom: ready'" \
		test "$answered" = 0 -a "$prompt" = 0 -a "$(console | grep -c '^sealroom: ready')" = 0
	echo "# console of '$1' (last 4 lines):"
	console | tail -n 4 | sed 's/^/#   /'
}
if [ -z "${PRODUCT_SWITCHES+set}" ]; then
	mv "$work/console.log" "$work/console-boot.log"
	# A review's root shell: rdinit=/bin/busybox sh. No such program now:
	# the kernel falls back to mounting root= itself, cannot (virtio-blk
	# and ext4 are modules only /init loads) and panics.
	refused "rdinit=/bin/busybox sh" "$img" "rdinit=/bin/busybox sh" \
		'Kernel panic - not syncing: VFS: Unable to mount root fs'
	# What the kernel acts on before /init (sysctl.*: a core_pattern pipe
	# runs a program as root at the first crash) and what would be init's
	# environment: /init refuses the command line.
	refused "sysctl.kernel.core_pattern=|/bin/sh and SEALROOM_ETC=/run" "$img" \
		"sysctl.kernel.core_pattern=|/bin/sh SEALROOM_ETC=/run" \
		'initramfs: product image: the kernel command line has "sysctl.kernel.core_pattern=\|/bin/sh", which the product does not boot with'
	# Another disk where the root is: the development image's as /dev/vda
	# under the product's kernel and initramfs.
	if [ -f "$dev/rootfs.ext4" ]; then
		mkdir -p "$work/other-root"
		ln -sf "$img/vmlinuz" "$img/initrd.img" "$work/other-root/"
		ln -sf "$dev/rootfs.ext4" "$work/other-root/rootfs.ext4"
		refused "the development image's disk as /dev/vda" "$work/other-root" "" \
			"initramfs: /dev/vda is not this image's root file system"
	fi
fi
echo "# the whole test $(since "$start") s"
echo "1..$k"
[ "$failed" = 0 ]
