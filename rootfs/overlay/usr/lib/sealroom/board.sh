# SPDX-License-Identifier: MIT
# The board file's values as data, for sealroom-init and the services (sourced
# by them; the board file itself is never sourced, eval'd or expanded by a
# shell here, whatever characters its values hold: board/README.md).
#
#   board_value KEY [FILE]   KEY's value in FILE (default /etc/sealroom/board),
#                            its double quotes removed; KEY must be a board key
#                            (lowercase letters, digits, '_'), else nothing.
board_value() {
	case $1 in '' | *[!a-z0-9_]*) return 1 ;; esac
	sed -n "s/^$1=//p" "${2:-/etc/sealroom/board}" | tail -n 1 | sed 's/^"\(.*\)"$/\1/'
}

#   board_camera_nodes       the /dev/videoN nodes of the board's camera: those
#                            whose kernel driver is camera_driver (sysfs), not
#                            the codec's or any other V4L2 device's.
board_camera_nodes() {
	drv=$(board_value camera_driver)
	[ -n "$drv" ] || return 0
	for n in /sys/class/video4linux/video*; do
		[ -e "$n/device/driver" ] || continue
		d=$(readlink "$n/device/driver")
		[ "${d##*/}" = "$drv" ] && echo "/dev/${n##*/}"
	done
	return 0
}
