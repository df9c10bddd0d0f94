# SPDX-License-Identifier: MIT
"""An independent RFC 9605 implementation, on python3-cryptography (OpenSSL).

Written from the RFC text, sharing nothing with libe2ee, so that the CLI can
be checked against it on random inputs.
"""
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

# RFC 9605 8.1: id -> (hash, Nh, Nka, Nk, Nn, Nt)
SUITES = {
    1: ("sha256", 32, 16, 48, 12, 10),
    2: ("sha256", 32, 16, 48, 12, 8),
    3: ("sha256", 32, 16, 48, 12, 4),
    4: ("sha256", 32, None, 16, 12, 16),
    5: ("sha512", 64, None, 32, 12, 16),
}


def _min_bytes(v):
    n = max(1, (v.bit_length() + 7) // 8)
    return v.to_bytes(n, "big")


def encode_header(kid, ctr):
    """RFC 9605 4.3."""
    cfg, tail = 0, b""
    if kid < 8:
        cfg |= kid << 4
    else:
        k = _min_bytes(kid)
        cfg |= 0x80 | ((len(k) - 1) << 4)
        tail += k
    if ctr < 8:
        cfg |= ctr
    else:
        c = _min_bytes(ctr)
        cfg |= 0x08 | (len(c) - 1)
        tail += c
    return bytes([cfg]) + tail


def parse_header(data):
    cfg = data[0]
    pos = 1
    if cfg & 0x80:
        n = ((cfg >> 4) & 7) + 1
        kid = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    else:
        kid = (cfg >> 4) & 7
    if cfg & 0x08:
        n = (cfg & 7) + 1
        ctr = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    else:
        ctr = cfg & 7
    return kid, ctr, pos


def _hkdf_extract(hname, salt, ikm):
    return hmac.new(salt or b"\0" * hashlib.new(hname).digest_size, ikm, hname).digest()


def _hkdf_expand(hname, prk, info, length):
    algo = hashes.SHA256() if hname == "sha256" else hashes.SHA512()
    return HKDFExpand(algorithm=algo, length=length, info=info).derive(prk)


def derive(suite, kid, base_key):
    """RFC 9605 4.4.2."""
    hname, nh, nka, nk, nn, nt = SUITES[suite]
    secret = _hkdf_extract(hname, b"", base_key)
    tail = kid.to_bytes(8, "big") + suite.to_bytes(2, "big")
    key = _hkdf_expand(hname, secret, b"SFrame 1.0 Secret key " + tail, nk)
    salt = _hkdf_expand(hname, secret, b"SFrame 1.0 Secret salt " + tail, nn)
    return key, salt


def _ctr_hmac_tag(suite, auth_key, nonce, aad, ct):
    hname, nh, nka, nk, nn, nt = SUITES[suite]
    data = (len(aad).to_bytes(8, "big") + len(ct).to_bytes(8, "big") +
            nt.to_bytes(8, "big") + nonce + aad + ct)
    return hmac.new(auth_key, data, hname).digest()[:nt]


def _aes_ctr(key, nonce, data):
    enc = Cipher(algorithms.AES(key), modes.CTR(nonce + b"\0\0\0\0")).encryptor()
    return enc.update(data) + enc.finalize()


def protect(suite, kid, ctr, base_key, metadata, pt):
    hname, nh, nka, nk, nn, nt = SUITES[suite]
    key, salt = derive(suite, kid, base_key)
    header = encode_header(kid, ctr)
    nonce = bytes(a ^ b for a, b in zip(salt, ctr.to_bytes(nn, "big")))
    aad = header + metadata
    if nka is None:
        return header + AESGCM(key).encrypt(nonce, pt, aad)
    ct = _aes_ctr(key[:nka], nonce, pt)
    return header + ct + _ctr_hmac_tag(suite, key[nka:], nonce, aad, ct)


def unprotect(suite, base_key, metadata, sframe):
    """Returns the plaintext, or None when it does not authenticate."""
    hname, nh, nka, nk, nn, nt = SUITES[suite]
    kid, ctr, hlen = parse_header(sframe)
    key, salt = derive(suite, kid, base_key)
    nonce = bytes(a ^ b for a, b in zip(salt, ctr.to_bytes(nn, "big")))
    aad = sframe[:hlen] + metadata
    body = sframe[hlen:]
    if nka is None:
        try:
            return AESGCM(key).decrypt(nonce, body, aad)
        except Exception:
            return None
    ct, tag = body[:-nt], body[-nt:]
    if not hmac.compare_digest(tag, _ctr_hmac_tag(suite, key[nka:], nonce, aad, ct)):
        return None
    return _aes_ctr(key[:nka], nonce, ct)
