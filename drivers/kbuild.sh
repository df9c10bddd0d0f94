# SPDX-License-Identifier: MIT
# Sourced by drivers/*/build-*.sh: out-of-tree kernel modules built against
# Debian's linux-headers of the image's kernel.
#
#   kbuild_modules HEADERS_DIR SRC_DIR LOG [CONFIG_X=m ...]
#
# Runs Kbuild's `modules` for the Kbuild file in SRC_DIR, output in LOG; on
# failure prints LOG's tail and returns 1. The caller's make variables are
# not passed on: Kbuild reads O= and V= as its own.

kbuild_modules() {
	_hdr=$1 _src=$2 _log=$3
	shift 3
	(
		unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES O V CFLAGS LDFLAGS
		make -s -C "$_hdr" M="$(cd "$_src" && pwd)" "$@" -j"$(nproc)" modules >"$_log" 2>&1
	) || { tail -n 30 "$_log" >&2; return 1; }
}
