#!/bin/bash
# SPDX-License-Identifier: MIT
# make image, make image-product: the QEMU room image, from Debian packages
# and this tree.
#
#   rootfs/mkimage.sh OUT BOARD       (run by `make image`, as root)
#   IMAGE_VARIANT=product rootfs/mkimage.sh OUT BOARD     (`make image-product`)
#
# IMAGE_VARIANT (rootfs/README.md "The product image"): development (the
# default: the image the tests boot, with its tests, a console shell and the
# kernel command line's sealroom.* switches) or product (the firmware's
# services and nothing to test with: no tests directory, no test tools, no
# hostroom-setup, no bash; sealroom-init and the initramfs read the variant
# from /usr/lib/sealroom/variant and /variant, written here, and give no
# shell and ignore the switches).
#
# Steps, each cached where it can be:
#   1. base root filesystem: mmdebstrap minbase of rootfs/packages.list and the
#      board's image_packages, kept in OUT/cache/base-<hash> (hash of the
#      package list, the mirrors and the options below); rebuilt only when one
#      of those changes;
#   2. vkms, vicodec and v4l2-mem2mem for the base's kernel
#      (drivers/vkms/build-vkms.sh, drivers/vicodec/build-vicodec.sh, cached by version);
#   3. staging copy of the base: the firmware (`make install DESTDIR=...
#      PREFIX=/usr`), rootfs/overlay/, the board file, the out-of-tree modules, depmod,
#      unneeded kernel modules pruned, a GStreamer registry made inside it;
#   4. OUT/vmlinuz, OUT/initrd.img (the modules that mount the root, and
#      busybox for a development image, initramfs-product.c's static /init
#      for a product), OUT/rootfs.ext4 (mke2fs -d, no loop mount).
# Environment: MAKE, O (the firmware's build folder), IMAGE_TEST_FILES (files
# copied to /usr/lib/sealroom/tests; development only), IMAGE_CACHE (steps 1
# and 2's cache, default OUT/cache; both variants share the development
# image's, under a lock), IMAGE_ROOT_DEVICE (a product's root device, fixed
# in its initramfs; default /dev/vda).
set -euo pipefail

out=$1
board=$2
variant=${IMAGE_VARIANT:-development}
case $variant in
development | product) ;;
*) echo "image: IMAGE_VARIANT=$variant: development or product" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
mkdir -p "$out" "${IMAGE_CACHE:-$out/cache}"
out=$(cd "$out" && pwd)
cache=$(cd "${IMAGE_CACHE:-$out/cache}" && pwd)
t0=$(date +%s.%N)
step() { printf '  %-7s %s (%s s)\n' "$1" "$2" "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')"; }

[ "$(id -u)" = 0 ] || { echo "image: needs root (mmdebstrap, chroot, file ownership)" >&2; exit 1; }

suite=bookworm
mirrors=("deb http://deb.debian.org/debian $suite main"
	"deb http://deb.debian.org/debian $suite-updates main"
	"deb http://deb.debian.org/debian-security $suite-security main")
# dpkg leaves these out of every package: no docs (copyright files stay),
# man pages, info, locales.
dpkgopts=(--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-include=/usr/share/doc/*/copyright'
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/info/*'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-include=/usr/share/locale/locale.alias'
	--dpkgopt='path-exclude=/usr/share/lintian/*'
	--dpkgopt='path-exclude=/usr/share/iso-codes/*'
	--dpkgopt='path-exclude=/usr/share/xml/iso-codes/*')
# apt resolves init-system-helpers' "usrmerge | usr-is-merged" to usrmerge, and
# usrmerge brings Perl (50 MB); purged after the install (dpkg refuses if
# anything still needs them).
purge="usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl libperl5.36 perl-modules-5.36"
board_file=$top/board/$board.board
[ -f "$board_file" ] || { echo "image: no board file $board_file" >&2; exit 1; }
board_var() { sh -c '. "$1"; eval "echo \"\${$2:-}\""' sh "$board_file" "$1"; }
[ "$(board_var board_arch)" = amd64 ] ||
	{ echo "image: board $board is $(board_var board_arch); only amd64 images are built so far" >&2; exit 1; }
pkgs=$( (sed -e 's/#.*//' "$here/packages.list"; board_var image_packages) |
	tr -s ' \t\n' '\n' | grep -v '^$' | sort -u | paste -sd, -)
key=$(printf '%s\n' "$pkgs" "${mirrors[@]}" "${dpkgopts[@]}" "$purge" | sha256sum | cut -c1-16)
base=$cache/base-$key

# ------------------------------------------------------------ 1. base rootfs
# One build at a time in the cache (make check builds both variants).
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$base.done" ]; then
	step MMDEB "minbase + $(echo "$pkgs" | tr ',' '\n' | wc -l) packages -> $base (a minute or two)"
	rm -rf "$base" "$cache"/base-*
	# mmdebstrap's apt hooks run "cat >&N" through dash, which takes fds 0-9
	# only, N the lowest fd free in mmdebstrap: with the lock above and what
	# this script inherited (make's jobserver, a CI's pipes) open, N was 11
	# and apt failed ("Bad fd number"). mmdebstrap gets fds 0-2 alone.
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && [ "$fd" != 255 ] && eval "exec $fd>&-"
		done
		exec mmdebstrap --variant=minbase --mode=root --include="$pkgs" "${dpkgopts[@]}" \
			--aptopt='Acquire::Languages "none"' \
			--customize-hook="chroot \"\$1\" dpkg --purge $purge" \
			--customize-hook='rm -rf "$1"/boot/initrd.img* "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
			"$suite" "$base" "${mirrors[@]}"
	) >"$out/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$out/mmdebstrap.log" >&2; exit 1; }
	# mmdebstrap leaves the chroot's /proc mounted when its umount finds it
	# busy (a loaded host): copying the base would then copy the host's /proc.
	if mountpoint -q "$base/proc" && ! umount "$base/proc"; then
		echo "mkimage: $base/proc is still mounted and busy; not using that base" >&2
		exit 1
	fi
	touch "$base.done"
fi
step BASE "$base ($(du -sh "$base" | cut -f1))"

kabi=$(ls "$base/lib/modules" | sort -V | tail -n 1)

# ------------------------------------------------------------ 2. vkms
"$top/drivers/vkms/build-vkms.sh" "$base" "$cache/vkms"
# vicodec and v4l2-mem2mem (a real m2m codec for the V4L2 layer's test),
# from the linux-source build-vkms.sh installed.
"$top/drivers/vicodec/build-vicodec.sh" "$kabi" "$cache/vicodec"
flock -u 9

# ------------------------------------------------------------ 3. staging
stage=$out/staging
rm -rf "$stage"
cp -a --reflink=auto --one-file-system "$base" "$stage"
step COPY "$stage"

# The firmware: whatever the parts' install rules put under PREFIX=/usr (the
# plugins, e2ee-media, e2ee-sframe, keyxchgd, ...), less headers and archives.
fw=$out/firmware
rm -rf "$fw"
"${MAKE:-make}" -C "$top" --no-print-directory O="$O" install DESTDIR="$fw" PREFIX=/usr >/dev/null
rm -rf "$fw/usr/include" "$fw"/usr/lib/*.a
if [ "$variant" = development ]; then
	cp -a "$fw/." "$stage/"
else
	# The product: what the services run, named one by one (a new program
	# stays out until it is named here): no e2ee-media, e2ee-sframe, kxws,
	# kxctl or sealroom-probe (tools for the tests and for people at a shell).
	for f in usr/sbin/keyxchgd usr/sbin/sealroom-log usr/bin/roomd usr/bin/sealroom-screen \
		usr/lib/gstreamer-1.0/libgste2ee.so usr/lib/gstreamer-1.0/libgstcodeword.so; do
		[ -f "$fw/$f" ] || { echo "image: the product's $f is not in the firmware's install" >&2; exit 1; }
		install -D -m 0755 "$fw/$f" "$stage/$f"
	done
fi
step INSTALL "firmware ($variant): $(find "$fw" -type f | wc -l) files (make install DESTDIR=... PREFIX=/usr)"

cp -a "$here/overlay/." "$stage/"
# The services' users (docs/processes.md), with fixed ids so that a
# configuration can name them: keyxchgd's, the media daemon's, the screen's;
# sealroom-ctl, the group that may reach keyxchgd's control socket (its
# uid rules then apply: SO_PEERCRED); sealroom-camera, the camera's node and
# nothing else (roomd's: not video, which opens the screen); sealroom-speaker,
# the board's playback nodes and nothing else (roomd's: not Debian's audio,
# which would open the capture nodes too); render and input for device nodes
# (minbase's base-passwd has video but neither of these).
chroot "$stage" /bin/sh -e -c '
	groupadd --system -g 105 render
	groupadd --system -g 106 input
	groupadd --system -g 910 sealroom-ctl
	groupadd --system -g 911 sealroom-camera
	groupadd --system -g 912 sealroom-speaker
	for u in 901:sealroom-kx: 902:sealroom-media:sealroom-ctl,sealroom-camera,sealroom-speaker 903:sealroom-screen:sealroom-ctl,video,render,input; do
		id=${u%%:*} rest=${u#*:} name=${rest%%:*} groups=${rest#*:}
		groupadd --system -g "$id" "$name"
		useradd --system -u "$id" -g "$id" ${groups:+-G "$groups"} -d /nonexistent \
			-s /usr/sbin/nologin "$name"
	done
	install -d -m 0700 -o sealroom-kx -g sealroom-kx /var/lib/sealroom/keyxchg'
install -d "$stage/etc/sealroom"
install -m 0644 "$board_file" "$stage/etc/sealroom/board"
# The board's variants, board/<board>-<variant>.board (the same machine with
# another device, e.g. QEMU's virtio-gpu as the screen), for the kernel
# command line's sealroom.board=<board>-<variant>.
variants=$(ls "$top/board/$board"-*.board 2>/dev/null || true)
if [ -n "$variants" ]; then
	install -d "$stage/etc/sealroom/boards"
	# shellcheck disable=SC2086
	install -m 0644 $variants "$stage/etc/sealroom/boards/"
fi
if [ "$variant" = development ]; then
	install -d "$stage/usr/lib/sealroom/tests"
	for f in ${IMAGE_TEST_FILES:-}; do install -m 0755 "$f" "$stage/usr/lib/sealroom/tests/"; done
else
	# The host room's configuration (sealroom.hostroom=1) is a development
	# image's: the product's init never runs it, and it is not there.
	rm -f "$stage/usr/lib/sealroom/hostroom-setup"
fi
# The variant, read by sealroom-init (and the initramfs's copy by its /init);
# anything but "development" is a product.
printf '%s\n' "$variant" >"$stage/usr/lib/sealroom/variant"
chmod 0444 "$stage/usr/lib/sealroom/variant"

# Kernel modules: vkms in extra/; of Debian's modules only those the board
# names, rootfs/modules-keep.list, the initramfs's, and their dependencies.
mods=$stage/lib/modules/$kabi
install -D -m 0644 "$cache/vkms/$kabi/vkms.ko" "$mods/extra/vkms.ko"
install -m 0644 "$cache/vicodec/$kabi/vicodec.ko" "$cache/vicodec/$kabi/v4l2-mem2mem.ko" \
	"$mods/extra/"
depmod -b "$stage" "$kabi"
initrd_modules="virtio_pci virtio_blk ext4"
board_modules=$(board_var kernel_modules)
for v in $variants; do
	board_modules="$board_modules $(sh -c '. "$1"; echo "$kernel_modules"' sh "$v")"
done
keep=$(for m in $board_modules $initrd_modules $(sed -e 's/#.*//' "$here/modules-keep.list"); do
	modprobe -d "$stage" -S "$kabi" --show-depends "$m" 2>/dev/null ||
		echo "image: module $m is not in kernel $kabi" >&2
done | awk '$1 == "insmod" { print $2 }' | sort -u)
all=$(find "$mods/kernel" -name '*.ko' | wc -l)
find "$mods/kernel" -name '*.ko' | sort | comm -23 - <(echo "$keep") | xargs rm -f
find "$mods/kernel" -type d -empty -delete
depmod -b "$stage" "$kabi"
step MODULES "vkms, vicodec, v4l2-mem2mem in /lib/modules/$kabi/extra; $(echo "$keep" | wc -l) of $all Debian modules kept ($(du -sh "$mods" | cut -f1))"

# The GStreamer registry, made inside the image by the image's own GStreamer
# (under TCG the first scan would cost the device 5-13 s at every boot).
# shellcheck disable=SC1091
. "$stage/etc/sealroom/environment"
rm -f "$stage$GST_REGISTRY"
mkdir -p "$(dirname "$stage$GST_REGISTRY")"
chroot "$stage" /usr/bin/env -i PATH=/usr/sbin:/usr/bin GST_PLUGIN_PATH="$GST_PLUGIN_PATH" \
	GST_REGISTRY="$GST_REGISTRY" GST_REGISTRY_FORK=no gst-inspect-1.0 >"$out/registry.log" 2>&1 ||
	{ tail "$out/registry.log" >&2; exit 1; }
chroot "$stage" /usr/bin/env -i GST_PLUGIN_PATH="$GST_PLUGIN_PATH" GST_REGISTRY="$GST_REGISTRY" \
	gst-inspect-1.0 e2eeenc >/dev/null ||
	{ echo "image: e2eeenc not found by the image's GStreamer" >&2; exit 1; }
step GSTREG "$GST_REGISTRY ($(grep -c . "$out/registry.log") lines of gst-inspect)"

# Every shared library the firmware links resolves inside the image (else:
# add its Debian package to rootfs/packages.list).
missing=$(cd "$fw" && find . -type f | while read -r f; do
	[ -e "$stage${f#.}" ] || continue # the product leaves some out
	chroot "$stage" /usr/bin/ldd "${f#.}" 2>/dev/null | sed -n "s|^[[:space:]]*\([^ ]*\) => not found|${f#.}: \1|p"
done)
[ -z "$missing" ] || { printf 'image: libraries missing in the image (rootfs/packages.list):\n%s\n' "$missing" >&2; exit 1; }

if [ "$variant" = product ]; then
	# No bash: nothing in the product runs it (the services and the init
	# are /bin/sh, dash; ldd, above, was its last user). Purged through dpkg
	# so that its database stays true to the files.
	chroot "$stage" dpkg --purge --force-remove-essential --force-depends bash >"$out/bash-purge.log" 2>&1 ||
		{ tail "$out/bash-purge.log" >&2; exit 1; }
	rm -f "$stage/var/log/dpkg.log" # the purge's, not the device's
	# What the product must not carry, checked on the files themselves.
	left=$(cd "$stage" && find . \( -path ./usr/lib/sealroom/tests -o -name 'in-image*.sh' -o -name touch-probe \
		-o -name drm-scene -o -name drm-planes -o -name display-check -o -name hostroom-setup \
		-o -name bash -o -name e2ee-media -o -name kxws \) -print)
	[ -z "$left" ] || { printf 'image: the product image still has:\n%s\n' "$left" >&2; exit 1; }
	step PRODUCT "no tests, test tools, hostroom-setup or bash"
fi

# ------------------------------------------------------------ 4. outputs
cp "$stage/boot/vmlinuz-$kabi" "$out/vmlinuz"
rm -rf "$stage/boot"/*

# initramfs: the modules that reach the root filesystem, and /init: for a
# development image busybox and initramfs-init (a shell when the root does
# not mount); for a product our static initramfs-product.c alone, with the
# root device fixed here (IMAGE_ROOT_DEVICE, default /dev/vda): no shell for
# rdinit= to run, no root= or init= taken from the command line.
ird=$out/initramfs
rm -rf "$ird"
root_uuid=
mkdir -p "$ird"/{dev,proc,sys,newroot}
if [ "$variant" = development ]; then
	mkdir -p "$ird/bin"
	cp "$stage/bin/busybox" "$ird/bin/busybox"
	install -m 0755 "$here/initramfs-init" "$ird/init"
else
	case $O in /*) build=$O ;; *) build=$top/$O ;; esac
	[ -x "$build/bin/sealroom-initramfs" ] ||
		{ echo "image: $build/bin/sealroom-initramfs is not built" >&2; exit 1; }
	install -m 0755 "$build/bin/sealroom-initramfs" "$ird/init"
	root_device=${IMAGE_ROOT_DEVICE:-/dev/vda}
	case $root_device in /dev/?*) ;; *)
		echo "image: IMAGE_ROOT_DEVICE=$root_device is not a /dev path" >&2; exit 2 ;;
	esac
	printf '%s\n' "$root_device" >"$ird/root-device"
	# The root's ext4 UUID (mke2fs -U below): /init mounts no other disk.
	root_uuid=$(cat /proc/sys/kernel/random/uuid)
	printf '%s\n' "${root_uuid//-/}" >"$ird/root-uuid"
fi
printf '%s\n' "$variant" >"$ird/variant"
modprobe -d "$stage" -S "$kabi" --show-depends -a $initrd_modules |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r m; do
	m=${m#"$stage"}
	install -D -m 0644 "$stage$m" "$ird$m"
	echo "$m" >>"$ird/modules"
done
(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.img"
step INITRD "$out/initrd.img ($(du -h "$out/initrd.img" | cut -f1), $(wc -l <"$ird/modules") modules)"

# ext4: the content plus a third free (logs, state), at least 64 MiB free.
kib=$(du -sk "$stage" | cut -f1)
size=$((kib + kib / 3 + 65536))
rm -f "$out/rootfs.ext4"
mke2fs -q -t ext4 -L sealroom -m 0 ${root_uuid:+-U "$root_uuid"} -d "$stage" \
	"$out/rootfs.ext4" "${size}k"
rm -rf "$stage"
step EXT4 "$out/rootfs.ext4"
echo "image: $out/rootfs.ext4 $((size / 1024)) MiB (content $((kib / 1024)) MiB), kernel $kabi, board $board, $variant image"
