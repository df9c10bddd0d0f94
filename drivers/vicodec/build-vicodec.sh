#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds vicodec (the kernel's virtual memory-to-memory FWHT codec: an
# encoder, a decoder and a stateless decoder node) and v4l2-mem2mem, which it
# needs, out of tree for the image's kernel: Debian's amd64 kernels leave
# CONFIG_VIDEO_VICODEC unset and build no m2m driver at all, so
# v4l2-mem2mem.ko is missing too. The image test uses vicodec to check the
# V4L2 layer's m2m classification against a real m2m device.
#
#   build-vicodec.sh ABI OUTDIR
#
# Runs after drivers/vkms/build-vkms.sh, which installs the exact
# linux-source and linux-headers-ABI packages of the image's kernel. Leaves
# OUTDIR/<abi>/{vicodec,v4l2-mem2mem}.ko; cached by the headers' package version.
set -eu
. "$(dirname "$0")/../kbuild.sh"

abi=$1
out=$2
series=$(echo "$abi" | cut -d. -f1,2)
hdr=/usr/src/linux-headers-$abi
kver=$(dpkg-query -W -f='${Version}' "linux-headers-$abi" 2>/dev/null) ||
	{ echo "vicodec: linux-headers-$abi is not installed (build-vkms.sh installs it)" >&2; exit 1; }

dst=$out/$abi
if [ -f "$dst/vicodec.ko" ] && [ -f "$dst/v4l2-mem2mem.ko" ] && [ "$(cat "$dst/stamp" 2>/dev/null)" = "$kver" ]; then
	echo "  VICODEC $dst/vicodec.ko (cached, $kver)"
	exit 0
fi

src=$out/src-$kver
rm -rf "$src" "$dst"
mkdir -p "$src" "$dst"
echo "  TAR     linux-source-$series vicodec, v4l2-mem2mem"
tar -xf "/usr/src/linux-source-$series.tar.xz" -C "$src" --strip-components=5 \
	"linux-source-$series/drivers/media/test-drivers/vicodec"
tar -xf "/usr/src/linux-source-$series.tar.xz" -C "$src" --strip-components=4 \
	"linux-source-$series/drivers/media/v4l2-core/v4l2-mem2mem.c"
[ -f "$src/vicodec-core.c" ] && [ -f "$src/v4l2-mem2mem.c" ] ||
	{ echo "vicodec: sources missing in linux-source-$series" >&2; exit 1; }
# Kconfig: VIDEO_VICODEC selects V4L2_MEM2MEM_DEV, VIDEOBUF2_VMALLOC,
# MEDIA_CONTROLLER and its request API; Debian enables all but the first.
# Both modules in one Kbuild folder, so modpost resolves vicodec's m2m symbols.
cat >"$src/Kbuild" <<'KBUILD'
obj-m += v4l2-mem2mem.o vicodec.o
vicodec-objs := vicodec-core.o codec-fwht.o codec-v4l2-fwht.o
KBUILD
echo "  KBUILD  vicodec, v4l2-mem2mem for $abi"
kbuild_modules "$hdr" "$src" "$out/build-$abi.log" CONFIG_V4L2_MEM2MEM_DEV=m \
	CONFIG_VIDEO_VICODEC=m || exit 1
cp "$src/vicodec.ko" "$src/v4l2-mem2mem.ko" "$dst/"
echo "$kver" >"$dst/stamp"
rm -rf "$src"
echo "  VICODEC $dst/vicodec.ko"
