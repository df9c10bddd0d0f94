#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""libkx (through kx-vectors) against an independent implementation of
keyxchg/PROTOCOL.md written here with PyNaCl (Ed25519, X25519,
XChaCha20-Poly1305) and cryptography (HKDF-SHA256).

TAP output. Needs $BUILD (the build folder).
"""
import base64
import hashlib
import hmac
import json
import os
import random
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_encrypt, crypto_scalarmult,
                           crypto_scalarmult_base)
from nacl.signing import SigningKey, VerifyKey

BUILD = os.environ.get("BUILD", "build")
CLI = os.path.join(BUILD, "tests", "kx-vectors")
RANDOM_CASES = int(os.environ.get("KX_RANDOM_CASES", "12"))

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import tap  # noqa: E402


def cli(*args, stdin=None):
    p = subprocess.run([CLI, *[str(a) for a in args]], input=stdin, capture_output=True,
                       text=True)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


# ------------------------------------------------ the independent implementation

def hkdf(ikm, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def be(v, n):
    return v.to_bytes(n, "big")


def field(b):
    return be(len(b), 4) + b


def canon(label, *fields):
    return b"".join(field(f) for f in (label.encode("ascii"),) + fields)


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


NONE = 0xFFFF
ROLES = {"host": 1, "member": 2}


def canon_msg(d):
    t = d["type"]
    m = unb64(d["meeting"])
    if t == "announce":
        return canon("sealroom-v1 announce", m, be(d["from"], 2), d["device"].encode(),
                     d["name"].encode("utf-8"), unb64(d["ik"]), unb64(d["ek"]),
                     be(d["time"], 8))
    if t == "roster":
        p = d["policy"]
        succ = NONE if d["successor"] is None else d["successor"]
        f = [m, be(d["epoch"], 8), unb64(d["prev"]), be(d["host"], 2), be(succ, 2),
             be(int(p["e2ee"]), 1), be(int(p["recording"]), 1), be(int(p["pstn"]), 1),
             be(int(p["lobby_locked"]), 1), be(len(d["members"]), 4)]
        for mb in d["members"]:
            f += [be(mb["id"], 2), mb["device"].encode(), unb64(mb["ik"]), unb64(mb["ek"]),
                  be(ROLES[mb["role"]], 1)]
        return canon("sealroom-v1 roster", *f)
    if t == "epoch_key":
        return canon("sealroom-v1 epoch-key", m, be(d["epoch"], 8), unb64(d["roster"]),
                     be(d["from"], 2), be(d["to"], 2), unb64(d["nonce"]), unb64(d["sealed"]))
    if t == "ack":
        return canon("sealroom-v2 ack", m, be(d["epoch"], 8), unb64(d["roster"]),
                     be(d["from"], 2), be(d["time"], 8), unb64(d["ek"]), unb64(d["confirm"]))
    if t in ("leave", "end", "rekey_request"):
        # An end and a rekey request have a leave's fields under their own
        # labels (PROTOCOL.md 3.5, 3.7, 3.8).
        label = "rekey-request" if t == "rekey_request" else t
        return canon(f"sealroom-v1 {label}", m, be(d["epoch"], 8), be(d["from"], 2),
                     be(d["time"], 8))
    if t == "deny":
        return canon("sealroom-v1 deny", m, be(d["from"], 2), be(d["to"], 2),
                     unb64(d["knock"]), be(d["time"], 8))
    raise ValueError(t)


def knock_hash(announce):
    """H(announce): SHA-256 of its canonical encoding, what a deny names."""
    return hashlib.sha256(canon_msg(announce)).digest()


def sign(d, seed):
    d = dict(d)
    d.pop("sig", None)
    d["sig"] = b64(SigningKey(seed).sign(canon_msg(d)).signature)
    return d


def verify(d, ik):
    """Does d's signature hold over its canonical encoding with ik?"""
    try:
        VerifyKey(ik).verify(canon_msg(d), unb64(d["sig"]))
        return True
    except Exception:  # noqa: BLE001
        return False


def pair_key(meeting, ik_h, ik_m, ek_h, ek_m, sk_self, ek_peer):
    return hkdf(crypto_scalarmult(sk_self, ek_peer), meeting,
                b"sealroom-v1 pair" + ik_h + ik_m + ek_h + ek_m)


def seal_ad(meeting, epoch, rhash, host, member):
    return meeting + be(epoch, 8) + rhash + be(host, 2) + be(member, 2)


def media_key(e, meeting, sender, stream, epoch):
    return hkdf(e, meeting, b"sealroom-v1 sframe" + be(sender, 2) + be(stream, 1) + be(epoch, 8))


def fingerprint(key):
    return hashlib.sha256(b"sealroom-v1 fingerprint" + key).digest()[:8]


# Proquints (keying.md "The codeword"): 16 bits as consonant-vowel-consonant-vowel-consonant.
CONSONANTS, VOWELS = "bdfghjklmnprstvz", "aiou"


def proquint(v):
    return (CONSONANTS[v >> 12 & 15] + VOWELS[v >> 10 & 3] + CONSONANTS[v >> 6 & 15] +
            VOWELS[v >> 4 & 3] + CONSONANTS[v & 15])


def proquints(b):
    return "-".join(proquint(b[i] << 8 | b[i + 1]) for i in range(0, len(b), 2))


def unproquint(w):
    w = w.lower()
    return (CONSONANTS.index(w[0]) << 12 | VOWELS.index(w[1]) << 10 |
            CONSONANTS.index(w[2]) << 6 | VOWELS.index(w[3]) << 4 | CONSONANTS.index(w[4]))


def argon2id(password, salt_text):
    """Argon2id v1.3, opslimit 2, memlimit 16 MiB, 16 bytes out; the salt is the first
    16 bytes of SHA-256(salt_text) (the codeword's parameters)."""
    from nacl import pwhash
    return pwhash.argon2id.kdf(16, password, hashlib.sha256(salt_text).digest()[:16],
                               opslimit=2, memlimit=16 * 1024 * 1024)


def codeword(ik):
    """PROTOCOL.md 8: the device's codeword."""
    return proquints(argon2id(b"sealroom codeword v1" + ik, b"sealroom codeword salt v1")[:8])


def meeting_tag(ik, s):
    """PROTOCOL.md 2.1: the 6-byte tag binding a meeting code to the host's IK."""
    return argon2id(b"sealroom-v2 meeting" + ik + s, b"sealroom meeting salt v2")[:6]


def meeting_code_bytes(text):
    """The 10 bytes of a meeting code typed as five proquints."""
    words = text.split("-")
    if len(words) != 5 or any(len(w) != 5 for w in words):
        raise ValueError(text)
    return b"".join(unproquint(w).to_bytes(2, "big") for w in words)


def group_code(e, meeting, epoch, rhash):
    """PROTOCOL.md 7.1: the epoch authenticator written as four proquints."""
    auth = hkdf(e, meeting, b"sealroom-v2 epoch authenticator" + be(epoch, 8))
    mac = hmac.new(auth, b"sealroom-v2 group code" + meeting + be(epoch, 8) + rhash,
                   hashlib.sha256).digest()
    return proquints(mac[:8])


def confirm(e, meeting, epoch, rhash):
    """PROTOCOL.md 7.2: an ack's key confirmation, MLS's confirmation tag."""
    key = hkdf(e, meeting, b"sealroom-v2 confirm" + be(epoch, 8))
    return hmac.new(key, b"sealroom-v2 confirmation" + meeting + be(epoch, 8) + rhash,
                    hashlib.sha256).digest()


def meeting_bound(meeting_id, code, ik):
    return meeting_id[:10] == code and meeting_tag(ik, code[:4]) == code[4:]


def x25519_sk(seed):
    # A clamped scalar, as libsodium and PyNaCl clamp anyway.
    return hashlib.sha256(b"x25519 test " + seed).digest()


# --------------------------------------------------------------- fixed inputs

MEETING = bytes.fromhex("00112233445566778899aabbccddeeff")
SEEDS = [bytes([i + 1]) * 32 for i in range(4)]
EK_SK = [x25519_sk(bytes([i])) for i in range(4)]
IKS = [bytes(SigningKey(s).verify_key) for s in SEEDS]
EKS = [crypto_scalarmult_base(k) for k in EK_SK]
# A version 2 meeting id of the host IKS[0] (PROTOCOL.md 2.1): s = 00112233, its tag, then
# six bytes the host drew.
MEETING_V2 = bytes.fromhex("00112233") + meeting_tag(IKS[0], bytes.fromhex("00112233")) + \
    bytes.fromhex("445566778899")


def roster(epoch, prev, host=0, succ=1, members=(0, 1, 2), signer=None):
    d = {"v": 1, "type": "roster", "meeting": b64(MEETING), "epoch": epoch, "prev": b64(prev),
         "host": 100 + host, "successor": None if succ is None else 100 + succ,
         "policy": {"e2ee": True, "recording": False, "pstn": False, "lobby_locked": True},
         "members": [{"id": 100 + i, "device": f"room-{i}.example", "ik": b64(IKS[i]),
                      "ek": b64(EKS[i]), "role": "host" if i == host else "member"}
                     for i in sorted(members)]}
    return sign(d, SEEDS[host if signer is None else signer])


# ---------------------------------------------------------------------- tests

def test_keys():
    bad = [i for i, s in enumerate(SEEDS) if cli("ik", s.hex())[1] != IKS[i].hex()]
    check("Ed25519 public keys from seeds", not bad, bad)
    bad = [i for i, s in enumerate(EK_SK) if cli("ek", s.hex())[1] != EKS[i].hex()]
    check("X25519 public keys from scalars", not bad, bad)


def test_pair_key(rng):
    cases = [(MEETING, 0, 1)] + [(rng.randbytes(16), rng.randrange(4), rng.randrange(4))
                                 for _ in range(RANDOM_CASES)]
    bad = []
    for meeting, h, m in cases:
        if h == m:
            continue
        want = pair_key(meeting, IKS[h], IKS[m], EKS[h], EKS[m], EK_SK[h], EKS[m])
        want2 = pair_key(meeting, IKS[h], IKS[m], EKS[h], EKS[m], EK_SK[m], EKS[h])
        args = [meeting.hex(), IKS[h].hex(), IKS[m].hex(), EKS[h].hex(), EKS[m].hex()]
        got_h = cli("pair-key", EK_SK[h].hex(), *args)
        got_m = cli("pair-key", EK_SK[m].hex(), *args)
        if not (want == want2 and got_h[1] == want.hex() and got_m[1] == want.hex()):
            bad.append((h, m, want.hex(), got_h, got_m))
    check(f"pair key, host and member side ({len(cases)} cases)", not bad, bad)
    # The info binds the roles: swapping host and member gives another key.
    want = pair_key(MEETING, IKS[1], IKS[0], EKS[1], EKS[0], EK_SK[0], EKS[1])
    got = cli("pair-key", EK_SK[0].hex(), MEETING.hex(), IKS[1].hex(), IKS[0].hex(),
              EKS[1].hex(), EKS[0].hex())
    check("pair key with roles swapped", got[1] == want.hex() and
          want != pair_key(MEETING, IKS[0], IKS[1], EKS[0], EKS[1], EK_SK[0], EKS[1]), got)
    # A low-order peer point (all zeros) must be refused.
    rc, out, err = cli("pair-key", EK_SK[0].hex(), MEETING.hex(), IKS[0].hex(), IKS[1].hex(),
                       EKS[0].hex(), bytes(32).hex())
    check("pair key refuses a low-order peer key", rc == 1, (rc, out, err))


def test_join_media(rng):
    bad = []
    for _ in range(RANDOM_CASES):
        e, h = rng.randbytes(32), rng.randbytes(32)
        want = hkdf(e, h, b"sealroom-v1 join")
        got = cli("join", e.hex(), h.hex())
        if got[1] != want.hex():
            bad.append((e.hex(), h.hex(), want.hex(), got))
    check(f"join ratchet E_(e+1) ({RANDOM_CASES} cases)", not bad, bad)
    bad = []
    cases = [(0, 0, 0), (1, 1, 1), (0xFFFE, 2, 255), (513, 1, 256), (7, 0, 2**53 - 1)]
    cases += [(rng.randrange(0xFFFF), rng.randrange(3), rng.randrange(2**40))
              for _ in range(RANDOM_CASES)]
    for sender, stream, epoch in cases:
        e = rng.randbytes(32)
        want = media_key(e, MEETING, sender, stream, epoch)
        kid = (stream << 24) | (sender << 8) | (epoch & 0xFF)
        got = cli("media", e.hex(), MEETING.hex(), sender, stream, epoch)
        if got[1] != f"{want.hex()} {kid} {fingerprint(want).hex()}":
            bad.append((sender, stream, epoch, want.hex(), kid, got))
    check(f"media base key, KID and fingerprint ({len(cases)} cases)", not bad, bad)


def test_seal(rng):
    bad = []
    for i in range(RANDOM_CASES):
        key, e, nonce, rh = rng.randbytes(32), rng.randbytes(32), rng.randbytes(24), rng.randbytes(32)
        epoch, host, member = rng.randrange(2**53), rng.randrange(0xFFFF), rng.randrange(0xFFFF)
        ad = seal_ad(MEETING, epoch, rh, host, member)
        want = crypto_aead_xchacha20poly1305_ietf_encrypt(e, ad, nonce, key)
        args = [key.hex(), MEETING.hex(), epoch, rh.hex(), host, member, nonce.hex()]
        got = cli("seal", *args, e.hex())
        opened = cli("open", *args, want.hex())
        if got[1] != want.hex() or opened[1] != e.hex():
            bad.append((args, want.hex(), got, opened))
    check(f"seal and open E_e, XChaCha20-Poly1305 with the AD ({RANDOM_CASES} cases)", not bad,
          bad)
    key, e, nonce, rh = bytes(range(32)), bytes(range(32, 64)), bytes(range(24)), bytes(32)
    args = [key.hex(), MEETING.hex(), 5, rh.hex(), 100, 101, nonce.hex()]
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(e, seal_ad(MEETING, 5, rh, 100, 101),
                                                        nonce, key)
    tampered = {
        "pair key": [bytes([1]) + key[1:]] + args[1:],
        "meeting": [args[0], bytes(16).hex()] + args[2:],
        "epoch": args[:2] + [6] + args[3:],
        "H(roster)": args[:3] + [bytes([1]) * 32] + args[4:],
        "host id": args[:4] + [99] + args[5:],
        "member id": args[:5] + [102] + args[6:],
        "nonce": args[:6] + [bytes(24).hex()],
    }
    for what, a in tampered.items():
        a = [x.hex() if isinstance(x, bytes) else x for x in a]
        rc, out, err = cli("open", *a, sealed.hex())
        check(f"open refuses a changed {what}", rc == 1 and out == "", (rc, out, err))
    rc, out, err = cli("open", *args, (sealed[:-1] + bytes([sealed[-1] ^ 1])).hex())
    check("open refuses a changed tag", rc == 1 and out == "", (rc, out, err))


def announce(i=0, **kw):
    d = {"v": 1, "type": "announce", "meeting": b64(MEETING), "from": 100 + i,
         "device": f"room-{i}.example", "name": "Salle Zürich ☕", "ik": b64(IKS[i]),
         "ek": b64(EKS[i]), "time": 1700000000123, "sig": b64(bytes(64))}
    d.update(kw)
    return d


def other_messages(rhash, epoch):
    e = bytes(range(32))
    nonce = bytes(range(100, 124))
    pk = pair_key(MEETING, IKS[0], IKS[1], EKS[0], EKS[1], EK_SK[0], EKS[1])
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(e, seal_ad(MEETING, epoch, rhash, 100, 101),
                                                        nonce, pk)
    return [
        (0, {"v": 1, "type": "epoch_key", "meeting": b64(MEETING), "epoch": epoch,
             "roster": b64(rhash), "from": 100, "to": 101, "nonce": b64(nonce),
             "sealed": b64(sealed), "sig": b64(bytes(64))}),
        (1, {"v": 1, "type": "ack", "meeting": b64(MEETING), "epoch": epoch, "roster": b64(rhash),
             "from": 101, "time": 1700000000555, "ek": b64(EKS[2]),
             "confirm": b64(confirm(e, MEETING, epoch, rhash)), "sig": b64(bytes(64))}),
        (2, {"v": 1, "type": "leave", "meeting": b64(MEETING), "epoch": epoch, "from": 102,
             "time": 1700000000999, "sig": b64(bytes(64))}),
        (0, {"v": 1, "type": "deny", "meeting": b64(MEETING), "from": 100, "to": 103,
             "knock": b64(knock_hash(sign(announce(3), SEEDS[3]))), "time": 1700000001234,
             "sig": b64(bytes(64))}),
        (0, {"v": 1, "type": "end", "meeting": b64(MEETING), "epoch": epoch, "from": 100,
             "time": 1700000002345, "sig": b64(bytes(64))}),
        (1, {"v": 1, "type": "rekey_request", "meeting": b64(MEETING), "epoch": epoch,
             "from": 101, "time": 1700000003456, "sig": b64(bytes(64))}),
    ]


def test_sign():
    """C signs; the canonical encoding and the signature must be ours exactly."""
    r0 = roster(0, bytes(32))
    rhash = hashlib.sha256(canon_msg(r0)).digest()
    msgs = [(0, announce()), (0, dict(r0, sig=b64(bytes(64))))] + other_messages(rhash, 0)
    for signer, d in msgs:
        rc, out, err = cli("sign", SEEDS[signer].hex(), stdin=json.dumps(d))
        if rc != 0:
            check(f"sign {d['type']}", False, (rc, out, err))
            continue
        js, canon_hex = out.splitlines()
        got = json.loads(js)
        want_canon = canon_msg(d)
        want_sig = SigningKey(SEEDS[signer]).sign(want_canon).signature
        ok = canon_hex == want_canon.hex() and unb64(got["sig"]) == want_sig
        try:
            VerifyKey(IKS[signer]).verify(want_canon, unb64(got["sig"]))
        except Exception:  # noqa: BLE001
            ok = False
        same = {k: v for k, v in got.items() if k != "sig"} == \
            {k: v for k, v in d.items() if k != "sig"}
        check(f"sign {d['type']}: canonical encoding and Ed25519 signature", ok,
              (canon_hex, want_canon.hex()))
        check(f"sign {d['type']}: JSON fields and key order as PROTOCOL.md", same and
              list(got) == list(d) and '"sig"' in js and " " not in js.replace("Salle Zürich ☕", ""),
              js)


def mutate(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1 if v < 0xFFFE else v - 1
    if isinstance(v, str):
        try:
            b = unb64(v)
            if b64(b) == v and len(b) in (16, 24, 32, 48, 64):
                return b64(bytes([b[0] ^ 1]) + b[1:])
        except Exception:  # noqa: BLE001
            pass
        return v[:-1] + ("x" if v[-1] != "x" else "y")
    return v


def test_verify():
    """Python signs; C must accept, agree on the canonical encoding, and refuse tampering."""
    r0 = roster(0, bytes(32))
    h0 = hashlib.sha256(canon_msg(r0)).digest()
    r1 = roster(1, h0, members=(0, 1, 2, 3))
    h1 = hashlib.sha256(canon_msg(r1)).digest()
    a = sign(announce(3), SEEDS[3])
    for d, extra in [(a, ""), (r0, " " + h0.hex()), (r1, " " + h1.hex())]:
        rc, out, err = cli("verify", stdin=json.dumps(d))
        check(f"verify {d['type']} signed by PyNaCl", rc == 0 and
              out == f"{d['type']} {canon_msg(d).hex()}{extra}", (rc, out, err))
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(r1, f)
        f.flush()
        others = [(s, sign(d, SEEDS[s])) for s, d in other_messages(h1, 1)]
        for s, d in others:
            rc, out, err = cli("verify", f.name, stdin=json.dumps(d))
            check(f"verify {d['type']} against the held roster", rc == 0 and
                  out == f"{d['type']} {canon_msg(d).hex()}", (rc, out, err))
        # Every field changed after signing, one at a time: refused.
        for d in [a, r1] + [d for _, d in others]:
            bad = []
            fields = [k for k in d if k not in ("v", "type", "sig")]
            for k in fields:
                t = dict(d)
                t[k] = mutate(d[k]) if k != "policy" else dict(d[k], lobby_locked=False)
                if k == "members":
                    t[k] = [dict(m) for m in d[k]]
                    t[k][-1]["ek"] = mutate(t[k][-1]["ek"])
                if k == "successor" and d[k] is not None:
                    t[k] = None
                args = ["verify"] + ([f.name] if d["type"] not in ("announce", "roster") else [])
                rc, out, err = cli(*args, stdin=json.dumps(t))
                if rc != 1:
                    bad.append((k, rc, out, err))
            t = dict(d, sig=mutate(d["sig"]))
            rc, out, err = cli("verify", f.name, stdin=json.dumps(t))
            if rc != 1:
                bad.append(("sig", rc, out, err))
            check(f"{d['type']}: each of {len(fields) + 1} fields tampered is refused", not bad, bad)
        # The knock a deny names: libkx hashes the announce as we do.
        rc, out, err = cli("knock-hash", stdin=json.dumps(a))
        check("H(announce), the knock a deny names", rc == 0 and out == knock_hash(a).hex(),
              (rc, out, err, knock_hash(a).hex()))
        # A deny from a member instead of the host, correctly signed by it: refused.
        deny = [d for _, d in others if d["type"] == "deny"][0]
        d = sign(dict(deny, **{"from": 101}), SEEDS[1])
        rc, out, err = cli("verify", f.name, stdin=json.dumps(d))
        check("a deny signed by a member, not the host, is refused", rc == 1, (rc, out, err))
        # An end: only the held roster's host ends the meeting, and not for an
        # epoch before the held one (PROTOCOL.md 6.4).
        end = [d for _, d in others if d["type"] == "end"][0]
        d = sign(dict(end, **{"from": 101}), SEEDS[1])
        rc, out, err = cli("verify", f.name, stdin=json.dumps(d))
        check("an end signed by a member, not the host, is refused", rc == 1, (rc, out, err))
        d = sign(dict(end, epoch=0), SEEDS[0])
        rc, out, err = cli("verify", f.name, stdin=json.dumps(d))
        check("an end of an epoch before the held one is refused", rc == 1, (rc, out, err))
        d = sign(dict(end, epoch=7), SEEDS[0])
        rc, out, err = cli("verify", f.name, stdin=json.dumps(d))
        check("an end of a later epoch (rosters missed) is taken", rc == 0, (rc, out, err))
        # A rekey request: from a member of the held roster, for the held
        # epoch only (PROTOCOL.md 6.8).
        req = [d for _, d in others if d["type"] == "rekey_request"][0]
        for what, d in [("of an epoch before the held one", sign(dict(req, epoch=0), SEEDS[1])),
                        ("of a later epoch", sign(dict(req, epoch=2), SEEDS[1])),
                        ("from someone not in the roster", sign(dict(req, **{"from": 104}),
                                                                 SEEDS[0])),
                        ("signed by another member than its from",
                         sign(dict(req, **{"from": 102}), SEEDS[1]))]:
            rc, out, err = cli("verify", f.name, stdin=json.dumps(d))
            check(f"a rekey request {what} is refused", rc == 1, (rc, out, err))
        # A signature over the JSON text instead of the canonical encoding: refused.
        d = dict(a)
        d.pop("sig")
        d["sig"] = b64(SigningKey(SEEDS[3]).sign(json.dumps(d).encode()).signature)
        rc, out, err = cli("verify", stdin=json.dumps(d))
        check("a signature over JSON text is refused", rc == 1, (rc, out, err))
        # Whitespace and key order of the JSON do not matter; the fields do.
        d = dict(reversed(list(a.items())))
        rc, out, err = cli("verify", stdin=json.dumps(d, indent=2))
        check("key order and whitespace do not change the signed content", rc == 0, (rc, out, err))


def test_codes(rng):
    """PROTOCOL.md 2.1 and 8: the codeword and the meeting code, Argon2id each."""
    rc, out, err = cli("codeword", bytes(32).hex())
    check("codeword of IK = 32 zero bytes", out == codeword(bytes(32)) ==
          "mavoj-pubip-gubad-gamiv", (rc, out, err, codeword(bytes(32))))
    check("codeword of a real IK, as libe2ee derives it", cli("codeword", IKS[0].hex())[1] ==
          codeword(IKS[0]), (cli("codeword", IKS[0].hex()), codeword(IKS[0])))
    bad = []
    for ik, s in [(IKS[0], bytes(4)), (IKS[1], bytes.fromhex("a1b2c3d4"))] + \
            [(rng.randbytes(32), rng.randbytes(4)) for _ in range(2)]:
        if cli("meeting-tag", ik.hex(), s.hex())[1] != meeting_tag(ik, s).hex():
            bad.append((ik.hex(), s.hex(), meeting_tag(ik, s).hex()))
    check("meeting tag Argon2id(\"sealroom-v2 meeting\" || IK || s), 4 cases", not bad, bad)
    mid = MEETING_V2
    code = proquints(mid[:10])
    ok = cli("meeting-code", mid.hex())[1] == code and meeting_bound(mid, mid[:10], IKS[0])
    check(f"meeting code of the vector meeting id: {code}", ok,
          (cli("meeting-code", mid.hex()), code))
    rc, out, err = cli("meeting-bound", mid.hex(), code, IKS[0].hex())
    rc2, _, _ = cli("meeting-bound", mid.hex(), code, IKS[1].hex())
    other = bytes([mid[0] ^ 1]) + mid[1:]
    rc3, _, _ = cli("meeting-bound", other.hex(), code, IKS[0].hex())
    rc4, _, _ = cli("meeting-bound", mid.hex(), code.upper(), IKS[0].hex())
    check("the code names the host's IK and meeting: another IK or another id refused, "
          "upper case taken", rc == 0 and rc2 == 1 and rc3 == 1 and rc4 == 0 and
          not meeting_bound(mid, mid[:10], IKS[1]), (rc, out, err, rc2, rc3, rc4))


def test_names():
    """PROTOCOL.md 2: display names without C0, DEL, C1, format characters (Cf: bidi
    controls, zero-width characters; Python's Unicode database lists them) or the line
    and paragraph separators. Every such code point in a validly signed knock: refused."""
    import unicodedata
    bad_cps = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and
               (unicodedata.category(chr(cp)) == "Cf" or cp < 0x20 or 0x7F <= cp <= 0x9F or
                cp in (0x2028, 0x2029))]
    taken = []
    for cp in bad_cps:
        d = sign(announce(3, name="Room " + chr(cp) + "1"), SEEDS[3])
        if cli("verify", stdin=json.dumps(d))[0] != 1:
            taken.append(hex(cp))
    check(f"names with any of {len(bad_cps)} control, format or separator code points "
          "(U+202E, U+2066..2069, U+200B among them) are refused", not taken, taken)
    good = ["Salle Zürich ☕", "会議室 3", "Room 😀", "غرفة ١", "Ωmega\u00a0B"]
    refused = [n for n in good if cli("verify", stdin=json.dumps(sign(announce(3, name=n),
                                                                      SEEDS[3])))[0] != 0]
    check("names in other scripts, emoji and a no-break space are taken", not refused, refused)


def test_group_code(rng):
    """PROTOCOL.md 7.1: the same code for the same epoch secret, roster hash and epoch;
    another for any one of them changed."""
    e, h = bytes(range(32)), bytes.fromhex(
        "c6836f7ad1c4da8a997c009a4b4b120c237b1993693239e194d6307d9d0b8c3a")
    cases = [(e, MEETING, 1, h)] + [(rng.randbytes(32), rng.randbytes(16), rng.randrange(2**53),
                                      rng.randbytes(32)) for _ in range(RANDOM_CASES)]
    bad = [c for c in cases if cli("group-code", c[0].hex(), c[1].hex(), c[2], c[3].hex())[1]
           != group_code(*c)]
    check(f"group code of the vector epoch: {group_code(*cases[0])} ({len(cases)} cases agree)",
          not bad, bad)
    variants = {group_code(e, MEETING, 1, h), group_code(bytes([1]) + e[1:], MEETING, 1, h),
                group_code(e, MEETING, 2, h), group_code(e, MEETING, 1, bytes(32)),
                group_code(e, bytes(16), 1, h)}
    check("another secret, epoch, roster hash or meeting gives another code", len(variants) == 5,
          variants)
    bad = [c for c in cases if cli("confirm", c[0].hex(), c[1].hex(), c[2], c[3].hex())[1]
           != confirm(*c).hex()]
    check(f"ack confirmation MAC (PROTOCOL.md 7.2): {len(cases)} cases agree", not bad, bad)
    variants = {confirm(e, MEETING, 1, h), confirm(bytes([1]) + e[1:], MEETING, 1, h),
                confirm(e, MEETING, 2, h), confirm(e, MEETING, 1, bytes(32)),
                confirm(e, bytes(16), 1, h)}
    check("another secret, epoch, roster hash or meeting gives another confirmation",
          len(variants) == 5, len(variants))


def test_documented():
    """PROTOCOL.md section 10's version 2 vectors are what both implementations give."""
    doc = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "keyxchg",
                            "PROTOCOL.md"), encoding="utf-8").read()
    flat = " ".join(doc.split())
    end = {"v": 1, "type": "end", "meeting": b64(MEETING), "epoch": 1, "from": 100,
           "time": 1700000009000, "sig": b64(bytes(64))}
    rc, out, err = cli("sign", SEEDS[0].hex(), stdin=json.dumps(end))
    js, canon_hex = (out.splitlines() + ["", ""])[:2]
    want = sign(end, SEEDS[0])
    req = {"v": 1, "type": "rekey_request", "meeting": b64(MEETING), "epoch": 1, "from": 101,
           "time": 1700000010000, "sig": b64(bytes(64))}
    rc, out, err = cli("sign", SEEDS[1].hex(), stdin=json.dumps(req))
    rjs, rcanon_hex = (out.splitlines() + ["", ""])[:2]
    rwant = sign(req, SEEDS[1])
    e, h = bytes(range(32)), bytes.fromhex(
        "c6836f7ad1c4da8a997c009a4b4b120c237b1993693239e194d6307d9d0b8c3a")
    values = {
        "end signature": (json.loads(js or "{}").get("sig"), want["sig"]),
        "end canonical": (canon_hex, canon_msg(want).hex()),
        "rekey request signature": (json.loads(rjs or "{}").get("sig"), rwant["sig"]),
        "rekey request canonical": (rcanon_hex, canon_msg(rwant).hex()),
        "meeting code": (cli("meeting-code", MEETING_V2.hex())[1], proquints(MEETING_V2[:10])),
        "group code": (cli("group-code", e.hex(), MEETING.hex(), 1, h.hex())[1],
                       group_code(e, MEETING, 1, h)),
        "host codeword": (cli("codeword", IKS[0].hex())[1], codeword(IKS[0])),
        "ack confirmation": (cli("confirm", e.hex(), MEETING.hex(), 0, h.hex())[1],
                             confirm(e, MEETING, 0, h).hex()),
    }
    ack = {"v": 1, "type": "ack", "meeting": b64(MEETING), "epoch": 0, "roster": b64(h),
           "from": 101, "time": 1700000000555, "ek": b64(EKS[1]),
           "confirm": b64(confirm(e, MEETING, 0, h)), "sig": b64(bytes(64))}
    rc, out, err = cli("sign", SEEDS[1].hex(), stdin=json.dumps(ack))
    js, canon_hex = (out.splitlines() + ["", ""])[:2]
    want = sign(ack, SEEDS[1])
    values["ack signature"] = (json.loads(js or "{}").get("sig"), want["sig"])
    values["ack canonical"] = (canon_hex, canon_msg(want).hex())
    bad = {k: v for k, v in values.items() if v[0] != v[1]}
    check("version 2 vectors: libkx and the Python implementation agree", not bad, bad)
    # The document shows hex in groups: compare without spaces.
    missing = [k for k, (_, v) in values.items()
               if v not in flat and v not in flat.replace(" ", "")]
    check("and PROTOCOL.md section 10 lists each of them", not missing and
          MEETING_V2.hex() in flat, missing)


def main():
    if not os.access(CLI, os.X_OK):
        print(f"not ok 1 - {CLI} missing (build it: make test-programs)")
        print("1..1")
        return 1
    rng = random.Random(20241127)
    test_keys()
    test_pair_key(rng)
    test_join_media(rng)
    test_seal(rng)
    test_sign()
    test_verify()
    test_codes(rng)
    test_group_code(rng)
    test_names()
    test_documented()
    return finish()


if __name__ == "__main__":
    tap.main(main)
