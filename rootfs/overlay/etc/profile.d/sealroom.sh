# SPDX-License-Identifier: MIT
. /etc/sealroom/environment
