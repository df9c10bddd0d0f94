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
