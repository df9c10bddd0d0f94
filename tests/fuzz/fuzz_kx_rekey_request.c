// SPDX-License-Identifier: MIT
/*
 * The rekey request parser (JSON -> struct kx_msg, keyxchg/PROTOCOL.md) on arbitrary
 * bytes: no crash, nothing left behind on refusal, and whatever it accepts
 * round-trips through JSON to the same canonical encoding and signature.
 */
#include "fuzz_kx_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_message(data, size, KX_MSG_REKEY_REQUEST);
	return 0;
}
