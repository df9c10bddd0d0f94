#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CI's fresh-machine job: runs the README's commands in a new Debian 12 minbase
# chroot that holds nothing but minbase, `make` and `ca-certificates`, so every
# other package has to come from the project's own deps step (`make deps`).
#
#   .ci/fresh.sh 'make run' 'make check'      (as root; each a shell command line,
#                                              run in order in the checkout's copy)
#
# What is made once and kept: the bare minbase as a tarball, under a hash of
# its own package list, mirrors and variant (FRESH_CACHE, default
# /var/cache/sealroom-ci). Nothing that `make deps` installs is kept: every run
# unpacks that tarball into a new root, copies the checkout (without build
# folders) and ../shared in, mounts /proc, /sys, /dev and /dev/pts, copies the
# host's /etc/hosts and /etc/resolv.conf (a bare minbase has no `localhost`)
# and removes the root afterwards. Each command's output goes to the terminal
# and to build-fresh-<n>.log in the checkout; the first command that fails
# ends the job with its status and a last line that names it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$top/../shared" && pwd)
[ "$(id -u)" = 0 ] || { echo "fresh: needs root (mmdebstrap, chroot, mounts)" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: .ci/fresh.sh 'command' ..." >&2; exit 2; }

if ! command -v mmdebstrap >/dev/null; then
	echo "fresh: installing mmdebstrap on the host"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
		--no-install-recommends mmdebstrap >/dev/null
fi

suite=bookworm
mirrors=("deb http://deb.debian.org/debian $suite main"
	"deb http://deb.debian.org/debian $suite-updates main"
	"deb http://deb.debian.org/debian-security $suite-security main")
include=make,ca-certificates
cache=${FRESH_CACHE:-/var/cache/sealroom-ci}
key=$(printf '%s\n' minbase "$suite" "$include" "${mirrors[@]}" | sha256sum | cut -c1-16)
base=$cache/minbase-$key.tar
mkdir -p "$cache"
if [ ! -f "$base" ]; then
	echo "fresh: making the bare minbase ($include) -> $base"
	rm -rf "$cache"/minbase-*.tar "$cache/part.tar"
	mmdebstrap --variant=minbase --mode=root --include="$include" \
		--aptopt='Acquire::Languages "none"' \
		"$suite" "$cache/part.tar" "${mirrors[@]}" >"$cache/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$cache/mmdebstrap.log" >&2; echo "fresh: mmdebstrap failed" >&2; exit 1; }
	mv "$cache/part.tar" "$base"
fi

root=$(mktemp -d /var/tmp/sealroom-fresh.XXXXXX)
cleanup() {
	# What a person needs to see after a failure: the tests' logs and make run's output.
	rm -rf "$top/build-fresh"
	for d in build/test-logs build/run; do
		[ -d "$root/src/main/$d" ] && mkdir -p "$top/build-fresh" &&
			cp -a "$root/src/main/$d" "$top/build-fresh/" || true
	done
	for m in dev/pts dev sys proc; do
		mountpoint -q "$root/$m" && umount -l "$root/$m"
	done
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -xf "$base" -C "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp /etc/hosts /etc/resolv.conf "$root/etc/"
mkdir -p "$root/src/main" "$root/src/shared"
tar -C "$top" --exclude='./build' --exclude='./build-*' -cf - . | tar -C "$root/src/main" -xf -
tar -C "$shared" -cf - . | tar -C "$root/src/shared" -xf -
echo "fresh: $root: minbase $(chroot "$root" dpkg-query -W -f='.' | wc -c) packages," \
	"checkout $(du -sh "$root/src/main" | cut -f1)"

n=0
for cmd in "$@"; do
	n=$((n + 1))
	log=$top/build-fresh-$n.log
	echo "== fresh machine: $cmd"
	start=$(date +%s)
	set +e
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh -c "cd /src/main && $cmd" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	echo "== fresh machine: '$cmd' exit $rc in $(( $(date +%s) - start )) s"
	if [ "$rc" -ne 0 ]; then
		echo "fresh: '$cmd' failed with status $rc on the fresh machine (log: $log)" >&2
		exit "$rc"
	fi
done
