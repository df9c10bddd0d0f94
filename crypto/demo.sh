#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The crypto core end to end from the command line: this machine's identity
# key and codeword, then one frame protected and unprotected, then tampered.
set -euo pipefail
O=${O:-build}
cli="$O/bin/e2ee-sframe"
state="$O/state"
mkdir -p "$state"
umask 077
if [ ! -s "$state/identity.key" ]; then
	/usr/bin/python3 - "$state/identity.key" <<'PY'
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
k = Ed25519PrivateKey.generate()
open(sys.argv[1], "wb").write(k.private_bytes(serialization.Encoding.Raw,
    serialization.PrivateFormat.Raw, serialization.NoEncryption()))
PY
fi
pub=$(/usr/bin/python3 - "$state/identity.key" <<'PY'
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
k = Ed25519PrivateKey.from_private_bytes(open(sys.argv[1], "rb").read())
print(k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex())
PY
)
echo "identity key (public): $pub"
echo "codeword:              $("$cli" codeword "$pub")"
key=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
frame=$(printf 'an encoded frame' | od -An -tx1 | tr -d ' \n')
kid=$((1 << 24 | 1 << 8 | 0)) # camera video, sender 1, epoch 0
# The key goes in on stdin, never on the command line (/proc/*/cmdline).
ct=$(printf '%s' "$key" | "$cli" protect --suite 4 --kid $kid --ctr 1 --base-key-file - --metadata 65 "$frame")
echo "protected:             $ct"
echo "header:                $("$cli" parse "$ct")"
pt=$(printf '%s' "$key" | "$cli" unprotect --suite 4 --base-key-file - --metadata 65 "$ct")
echo "unprotected:           $(printf "$(echo "$pt" | sed 's/../\\x&/g')")"
bad="${ct:0:10}$(printf '%x' $(((0x${ct:10:1} ^ 1))))${ct:11}"
if printf '%s' "$key" | "$cli" unprotect --suite 4 --base-key-file - --metadata 65 "$bad" >/dev/null 2>&1; then
	echo "tampered frame accepted" >&2
	exit 1
fi
echo "tampered frame:        rejected (exit 1)"
