#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Unpacks Debian's arm64 -dev packages (headers and static libraries) into a
# sysroot for the cross build of libe2ee and bench-crypto, without touching
# the machine's dpkg: apt runs with its own state and cache under the sysroot
# and arm64 as its only architecture, so no `dpkg --add-architecture` and no
# foreign package installed (libgcrypt20-dev and libgpg-error-dev are not
# Multi-Arch: same, so their arm64 builds could not sit beside the amd64 ones).
#
#   crypto/arm64/sysroot.sh SYSROOT PACKAGE...
set -euo pipefail
root=$(realpath -m "$1")
shift
state=$root.apt
stamp=$root/.packages
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$*" ]; then
	exit 0
fi
rm -rf "$root" "$state"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs" "$root"
: >"$state/status"
opts=(-o "Dir::State=$state" -o "Dir::State::Lists=$state/lists"
	-o "Dir::State::status=$state/status" -o "Dir::Cache=$state/cache"
	-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o APT::Sandbox::User=root)
apt-get "${opts[@]}" -qq update
(cd "$state/debs" && apt-get "${opts[@]}" -qq download "$@")
for deb in "$state"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root"
done
rm -rf "$state"
echo "$*" >"$stamp"
