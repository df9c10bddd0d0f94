#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Instructions per byte of one SFrame seal+open pair on arm64, against the
# raw libraries, from the cross-built bench-crypto under
# qemu-aarch64-static -cpu max (ARMv8 Crypto Extensions present).
#
# QEMU logs each translation block once as it translates it (-d in_asm: its
# instructions and the symbol of the static binary they lie in) and each
# time it runs it (-d exec with nochain, so that no block jumps straight into
# the next unlogged); the sum over executions of each block's length is the
# instruction count. (The same runs with -singlestep, one block per
# instruction, gave identical figures at 10x the time.) One pair = the run
# with 2 pairs minus the run with 1: set-up, first-use work and exit cancel.
#
#   crypto/arm64/count.sh BENCH_CRYPTO_ARM64
#
# One line per suite and size:
#   arm64: suite=4 size=100000 sframe_ipb=... gcrypt_ipb=... openssl_ipb=...
#     mbedtls_ipb=... ce_aes=... ce_ghash=... table=0 crypto_ext=yes
# ce_aes, ce_ghash: instructions of the pair inside libgcrypt's ARMv8 CE
# functions (rijndael-armv8-aarch64-ce.S, cipher-gcm-armv8-aarch64-ce.S);
# table: inside its table-based AES and GHASH. Exits 1 when SFrame's pair
# runs table-based AES or GHASH, or no CE AES at all (a constant-time
# property, not a speed target: instructions per byte are only printed).
set -euo pipefail
bin=$1
qemu=${QEMU_AARCH64:-qemu-aarch64-static}
command -v "$qemu" >/dev/null || { echo "count.sh: $qemu missing (make deps)" >&2; exit 1; }

# run PATH SUITE SIZE PAIRS -> "instructions ce_aes ce_ghash table"
run() {
	"$qemu" -cpu max -d in_asm,exec,nochain -D /dev/stdout "$bin" count "$@" | awk '
		function addr(x) { sub(/^0x/, "", x); sub(/:$/, "", x); sub(/^0+/, "", x); return x }
		/^IN: / { insym = $2; inpc = ""; len = 0; inblock = 1; next }
		inblock && /^0x[0-9a-f]+:/ { if (inpc == "") inpc = addr($1); len++; next }
		inblock && /^$/ { if (inpc != "") { size[inpc] = len; sym[inpc] = insym }; inblock = 0; next }
		/^Trace/ {
			split($4, f, "/"); pc = addr(f[2]); k = size[pc]; s = sym[pc]; n += k
			if (s ~ /_gcry_aes_.*armv8_ce/) aes += k
			else if (s == "_gcry_ghash_armv8_ce_pmull") gh += k
			else if (s ~ /^(_gcry_aes_arm_(en|de)crypt_block|ghash_internal)$/) tab += k
		}
		END { printf "%d %d %d %d\n", n, aes, gh, tab }'
}

fail=0
for suite in 4 5 1; do
	for size in 100000 100; do
		line="arm64: suite=$suite size=$size"
		for path in sframe gcrypt openssl mbedtls; do
			# mbedTLS (about 200 instructions per byte) only where the issue compares it.
			if [ "$path" = mbedtls ] && [ "$suite" != 4 ]; then
				continue
			fi
			read -r n1 a1 g1 t1 < <(run "$path" "$suite" "$size" 1)
			read -r n2 a2 g2 t2 < <(run "$path" "$suite" "$size" 2)
			line+=" ${path}_ipb=$(awk -v d=$((n2 - n1)) -v s="$size" 'BEGIN { printf "%.2f", d / s }')"
			if [ "$path" = sframe ]; then
				ce_aes=$((a2 - a1)) ce_ghash=$((g2 - g1)) table=$((t2 - t1))
			fi
		done
		ok=yes
		if [ "$ce_aes" -le 0 ] || [ "$table" -ne 0 ] || { [ "$suite" != 1 ] && [ "$ce_ghash" -le 0 ]; }; then
			ok=no
			fail=1
		fi
		echo "$line ce_aes=$ce_aes ce_ghash=$ce_ghash table=$table crypto_ext=$ok"
	done
done
exit "$fail"
