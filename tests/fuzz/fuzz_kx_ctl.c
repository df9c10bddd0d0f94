// SPDX-License-Identifier: MIT
/* keyxchgd's control protocol parser on arbitrary request lines. */
#include <stdlib.h>
#include <string.h>

#include "../../keyxchg/ctl/kx_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kx_ctl_cmd cmd;
	const char *err = NULL;
	int r = kx_ctl_parse((const char *)data, size, &cmd, &err);

	/* Either a command with bounded strings, or an error with its reason. */
	if (r == 0) {
		if (err || strlen(cmd.id) > KX_CTL_ID_MAX || strlen(cmd.meeting) > KX_CTL_TEXT_MAX ||
		    strlen(cmd.name) > KX_CTL_TEXT_MAX ||
		    strlen(cmd.url) > KX_CTL_TEXT_MAX || cmd.type < KX_CTL_JOIN ||
		    cmd.type > KX_CTL_LAST)
			abort();
	} else if (!err) {
		abort();
	}
	return 0;
}
