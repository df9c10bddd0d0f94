#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds vkms (virtual KMS: overlay planes, cursor, writeback connector) out of
# tree for the kernel installed in a root filesystem, from Debian's own
# linux-source package of that exact version: Debian's kernels leave
# CONFIG_DRM_VKMS unset.
#
#   build-vkms.sh ROOTFS OUTDIR
#
# Reads the kernel package version from ROOTFS's dpkg database, installs the
# matching linux-source-X.Y and linux-headers-ABI on the host (apt-get), and
# leaves OUTDIR/<abi>/vkms.ko. Cached: a second run for the same kernel
# package version does nothing.
set -eu
. "$(dirname "$0")/../kbuild.sh"

rootfs=$1
out=$2

# The image's kernel: the package linux-image-amd64 pulled in.
kpkg=$(dpkg-query --admindir="$rootfs/var/lib/dpkg" -W -f='${Package} ${Version} ${Status}\n' \
	'linux-image-[0-9]*' | awk '/install ok installed/ { print $1, $2 }' | sort -V | tail -n 1)
[ -n "$kpkg" ] || { echo "vkms: no linux-image-* installed in $rootfs" >&2; exit 1; }
set -- $kpkg
abi=${1#linux-image-}     # 6.1.0-56-amd64
kver=$2                   # 6.1.192-2 (Debian package version)
series=$(echo "$abi" | cut -d. -f1,2)   # 6.1

dst=$out/$abi
# The stamp names our patch too (below): a module built without it is rebuilt.
stamp="$kver vblank-nowait-2"
if [ -f "$dst/vkms.ko" ] && [ "$(cat "$dst/stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "  VKMS    $dst/vkms.ko (cached, $kver)"
	exit 0
fi

have() {
	[ "$(dpkg-query -W -f='${Version} ${Status}' "$1" 2>/dev/null)" = "$2 install ok installed" ]
}
need=""
have "linux-source-$series" "$kver" || need="$need linux-source-$series=$kver"
have "linux-headers-$abi" "$kver" || need="$need linux-headers-$abi=$kver"
if [ -n "$need" ]; then
	echo "  APT    $need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends $need >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null; } ||
		{ echo "vkms: cannot install$need (superseded on the mirror? remove \$(O)/image/cache to rebuild the base with the current kernel)" >&2; exit 1; }
fi

src=$out/src-$kver
rm -rf "$src" "$dst"
mkdir -p "$src" "$dst"
echo "  TAR     linux-source-$series drivers/gpu/drm/vkms"
tar -xf "/usr/src/linux-source-$series.tar.xz" -C "$src" --strip-components=5 \
	"linux-source-$series/drivers/gpu/drm/vkms"
[ -f "$src/vkms_drv.c" ] || { echo "vkms: no vkms sources in linux-source-$series" >&2; exit 1; }

# A deadlock of 6.1's vkms, seen in the image test under load (the NMI's
# stack, tests/qemu/qmp.py nmi): drm_vblank_disable_and_save() holds
# vblank_time_lock with interrupts off and calls vkms_disable_vblank(), whose
# hrtimer_cancel() waits for a vkms_vblank_simulate() running on the other
# CPU, which spins in drm_handle_vblank() on that same lock. So: the timer is
# made once with the CRTC; disabling only tries to cancel it, never waits; a
# callback that finds vblank disabled (drm_crtc_handle_vblank() false) stops
# the timer itself; enabling only (re)starts it. Turning the CRTC off waits
# for the timer once vblank is off, holding no spinlock (modeset locks only):
# no callback then still uses the state that commit frees.
echo "  PATCH   vkms_crtc.c: vblank disable without waiting for the timer"
perl -0pi -e '
	s/\tret = drm_crtc_handle_vblank\(crtc\);\n\tif \(!ret\)\n\t\tDRM_ERROR\("vkms failure on handling vblank"\);\n/\tret = drm_crtc_handle_vblank(crtc);\n\tif (!ret) {\n\t\t\/* sealroom: vblank disabled meanwhile: the timer ends here. *\/\n\t\tspin_unlock(&output->lock);\n\t\tdma_fence_end_signalling(fence_cookie);\n\t\treturn HRTIMER_NORESTART;\n\t}\n/ or die "vkms patch: the callback\n";
	s/\thrtimer_init\(&out->vblank_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL\);\n\tout->vblank_hrtimer.function = &vkms_vblank_simulate;\n// or die "vkms patch: enable\n";
	s/\thrtimer_cancel\(&out->vblank_hrtimer\);/\thrtimer_try_to_cancel(&out->vblank_hrtimer);/ or die "vkms patch: disable\n";
	s/(\tspin_lock_init\(&vkms_out->composer_lock\);\n)/$1\thrtimer_init(&vkms_out->vblank_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);\n\tvkms_out->vblank_hrtimer.function = &vkms_vblank_simulate;\n/ or die "vkms patch: init\n";
	s/(vkms_crtc_atomic_disable\(struct drm_crtc \*crtc,\n\t\t\t\t     struct drm_atomic_state \*state\)\n\{\n\tdrm_crtc_vblank_off\(crtc\);\n)/$1\thrtimer_cancel(&drm_crtc_to_vkms_output(crtc)->vblank_hrtimer);\n/ or die "vkms patch: atomic_disable\n";
' "$src/vkms_crtc.c" || { echo "vkms: the patch does not apply to linux-source-$series $kver" >&2; exit 1; }

# Kconfig: DRM_VKMS selects DRM_KMS_HELPER, DRM_GEM_SHMEM_HELPER and CRC32,
# all enabled in Debian's config; the writeback connector is part of drm core.
echo "  KBUILD  vkms for $abi"
kbuild_modules "/usr/src/linux-headers-$abi" "$src" "$out/build-$abi.log" CONFIG_DRM_VKMS=m ||
	exit 1
cp "$src/vkms.ko" "$dst/vkms.ko"
echo "$stamp" >"$dst/stamp"
rm -rf "$src"
echo "  VKMS    $dst/vkms.ko"
