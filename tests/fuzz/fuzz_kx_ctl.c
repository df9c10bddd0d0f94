// SPDX-License-Identifier: MIT
/* keyxchgd's control protocol parser on arbitrary request lines. */
#include <stdbool.h>
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
		/* A PIN is 6 to 12 digits where a command takes one, absent elsewhere. */
		{
			size_t n = strlen(cmd.pin);
			bool takes = cmd.type == KX_CTL_SET_ROOM_NAME ||
				     cmd.type == KX_CTL_SET_SERVICE ||
				     cmd.type == KX_CTL_RESET_IDENTITY || cmd.type == KX_CTL_CHECK_PIN ||
				     cmd.type == KX_CTL_SET_ADMIN_PIN;

			if (takes ? n < KX_CTL_PIN_MIN || n > KX_CTL_PIN_MAX : n != 0)
				abort();
			for (size_t i = 0; i < n; i++)
				if (cmd.pin[i] < '0' || cmd.pin[i] > '9')
					abort();
			n = strlen(cmd.new_pin);
			if (cmd.type == KX_CTL_SET_ADMIN_PIN ? n < KX_CTL_PIN_MIN || n > KX_CTL_PIN_MAX
							     : n != 0)
				abort();
			for (size_t i = 0; i < n; i++)
				if (cmd.new_pin[i] < '0' || cmd.new_pin[i] > '9')
					abort();
		}
	} else if (!err) {
		abort();
	}
	return 0;
}
