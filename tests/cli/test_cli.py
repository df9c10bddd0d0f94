#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""e2ee-sframe against the RFC 9605 vectors and an independent implementation.

TAP output. Needs $BUILD (the build folder) and $SFRAME_VECTORS.
"""
import json
import os
import random
import subprocess
import tempfile
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sframe_ref  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
CLI = os.path.join(BUILD, "bin", "e2ee-sframe")
VECTORS = os.environ.get("SFRAME_VECTORS", "../shared/vectors/sframe/rfc9605.json")
RANDOM_CASES = int(os.environ.get("CLI_RANDOM_CASES", "300"))

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, finish  # noqa: E402
import tap  # noqa: E402


def cli(*args, stdin=None):
    """The tool; a "--base-key K" in args is given as --base-key-file - with K on stdin."""
    args = [str(a) for a in args]
    if "--base-key" in args:
        i = args.index("--base-key")
        stdin = args[i + 1] + "\n"
        args[i:i + 2] = ["--base-key-file", "-"]
    p = subprocess.run([CLI, *args], capture_output=True, text=True, input=stdin)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def load_vectors():
    # Integers are parsed as Python ints (arbitrary precision): 2^64-1 survives.
    with open(VECTORS) as f:
        return json.load(f)


def test_vectors(v):
    for i, t in enumerate(v["sframe"]):
        rc, out, err = cli("protect", "--suite", t["cipher_suite"], "--kid", t["kid"], "--ctr",
                           t["ctr"], "--base-key", t["base_key"], "--metadata", t["metadata"],
                           t["pt"])
        check(f"vector sframe[{i}] protect", rc == 0 and out == t["ct"], (rc, out, err))
        rc, out, err = cli("unprotect", "--suite", t["cipher_suite"], "--base-key", t["base_key"],
                           "--metadata", t["metadata"], t["ct"])
        check(f"vector sframe[{i}] unprotect", rc == 0 and out == t["pt"], (rc, out, err))
    bad = 0
    for t in v["header"]:
        rc, out, err = cli("parse", t["encoded"])
        if rc != 0 or out.split()[:2] != [f"kid={t['kid']}", f"ctr={t['ctr']}"]:
            bad += 1
    check(f"vector header: parse all {len(v['header'])}", bad == 0, f"{bad} mismatches")


def rand_u64(rng):
    choice = rng.randrange(4)
    if choice == 0:
        return rng.randrange(8)
    if choice == 1:
        return rng.choice([8, 255, 256, 2**32 - 1, 2**63, 2**64 - 2, 2**64 - 1])
    return rng.getrandbits(rng.choice([8, 16, 24, 40, 56, 64]))


def test_random(seed):
    rng = random.Random(seed)
    agree_protect = agree_unprotect = agree_ref = tamper = 0
    first_bad = None
    for i in range(RANDOM_CASES):
        suite = rng.randint(1, 5)
        kid, ctr = rand_u64(rng), rand_u64(rng)
        base_key = rng.randbytes(rng.choice([1, 16, 32, 48, 64]))
        md = rng.randbytes(rng.choice([0, 1, 2, 12, 40]))
        pt = rng.randbytes(rng.choice([0, 1, 15, 16, 17, 100, 1500]))
        want = sframe_ref.protect(suite, kid, ctr, base_key, md, pt)
        rc, out, err = cli("protect", "--suite", suite, "--kid", kid, "--ctr", ctr, "--base-key",
                           base_key.hex(), "--metadata", md.hex(), pt.hex())
        if rc == 0 and out == want.hex():
            agree_protect += 1
        elif first_bad is None:
            first_bad = ("protect", suite, kid, ctr, rc, err)
        rc, out, err = cli("unprotect", "--suite", suite, "--base-key", base_key.hex(),
                           "--metadata", md.hex(), want.hex())
        if rc == 0 and out == pt.hex():
            agree_unprotect += 1
        elif first_bad is None:
            first_bad = ("unprotect", suite, kid, ctr, rc, err)
        if sframe_ref.unprotect(suite, base_key, md, want) == pt:
            agree_ref += 1
        # A flipped bit: the CLI says "authentication failed" (exit 1), or, for
        # a header bit that makes the header unparsable, "malformed" (exit 2).
        bit = rng.randrange(len(want) * 8)
        bad = bytearray(want)
        bad[bit // 8] ^= 1 << (bit % 8)
        rc, out, err = cli("unprotect", "--suite", suite, "--base-key", base_key.hex(),
                           "--metadata", md.hex(), bytes(bad).hex())
        if rc in (1, 2) and out == "" and (rc == 1 or bit < 8 * 17):
            tamper += 1
        elif first_bad is None:
            first_bad = ("tamper", suite, kid, ctr, bit, rc, out, err)
    n = RANDOM_CASES
    check(f"random (seed {seed}): CLI protect == reference, {agree_protect}/{n}",
          agree_protect == n, first_bad)
    check(f"random: CLI unprotects the reference's frames, {agree_unprotect}/{n}",
          agree_unprotect == n, first_bad)
    check(f"random: reference round trip, {agree_ref}/{n}", agree_ref == n)
    check(f"random: every flipped bit rejected, {tamper}/{n}", tamper == n, first_bad)


def test_errors():
    key = "00" * 16
    cases = [
        ("no command", [], 2),
        ("unknown command", ["frobnicate", "00"], 2),
        ("odd hex", ["parse", "0"], 2),
        ("non-hex", ["parse", "zz"], 2),
        ("empty header", ["parse", ""], 2),
        ("truncated header", ["parse", "0f01"], 2),
        ("non-minimal header", ["parse", "8005"], 2),
        ("kid overflow", ["protect", "--kid", "18446744073709551616", "--ctr", "0",
                          "--base-key", key, "00"], 2),
        ("negative ctr", ["protect", "--kid", "1", "--ctr", "-1", "--base-key", key, "00"], 2),
        ("suite 6", ["protect", "--suite", "6", "--kid", "1", "--ctr", "1", "--base-key", key,
                     "00"], 2),
        ("missing key", ["protect", "--kid", "1", "--ctr", "1", "00"], 2),
        ("empty key", ["protect", "--kid", "1", "--ctr", "1", "--base-key", "", "00"], 2),
        ("too short for tag", ["unprotect", "--base-key", key, "1100"], 2),
        ("codeword short key", ["codeword", "00" * 31], 2),
        ("metadata too long", ["protect", "--kid", "1", "--ctr", "1", "--base-key", key,
                               "--metadata", "00" * 1025, "00"], 2),
    ]
    for name, args, want in cases:
        rc, out, err = cli(*args)
        check(f"error: {name} exits {want} with one line on stderr",
              rc == want and out == "" and len(err.splitlines()) >= 1, (rc, out, err))
    # Max KID and CTR round trip.
    m = 2**64 - 1
    rc, ct, err = cli("protect", "--kid", m, "--ctr", m, "--base-key", key, "abcd")
    rc2, out, _ = cli("parse", ct)
    check("kid and ctr 2^64-1 survive", rc == 0 and rc2 == 0 and out.startswith(f"kid={m} ctr={m}"),
          (rc, ct, err, out))
    rc, pt, _ = cli("unprotect", "--base-key", key, ct)
    check("unprotect at 2^64-1", rc == 0 and pt == "abcd", (rc, pt))
    rc, pt, err = cli("unprotect", "--base-key", "01" * 16, ct)
    check("wrong key exits 1", rc == 1 and pt == "" and "authentication" in err, (rc, pt, err))


def test_key_and_frame_off_argv():
    """Issue 11 (7), issue 9 (5): no key on the command line, large frames on stdin."""
    key = "0f" * 16
    # The key on argv is not taken at all (it would be in /proc/*/cmdline).
    p = subprocess.run([CLI, "protect", "--kid", "1", "--ctr", "0", "--base-key", key, "00"],
                       capture_output=True, text=True)
    check("--base-key HEX on the command line is refused", p.returncode == 2, p.stderr)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "key")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (key + "\n").encode())
        os.close(fd)
        # A 70 KB frame: its hex (140 KB) exceeds the 128 KiB argument limit.
        frame = os.urandom(70 * 1024).hex()
        rc, ct, err = cli("protect", "--kid", 7, "--ctr", 9, "--base-key-file", path, "-",
                          stdin=frame)
        rc2, pt, err2 = cli("unprotect", "--base-key-file", path, "-", stdin=ct + "\n")
        check("a 70 KB frame through stdin, key from a 0600 file",
              rc == 0 and rc2 == 0 and pt == frame, (rc, err, rc2, err2))
        rc, out, _ = cli("parse", "-", stdin=ct)
        check("parse reads stdin too", rc == 0 and out.startswith("kid=7 ctr=9"), out)
        rc, _, err = cli("unprotect", "--base-key-file", "-", "-", stdin=key + ct)
        check("key and frame not both from stdin", rc == 2, err)
        os.chmod(path, 0o644)
        rc, _, err = cli("protect", "--kid", 1, "--ctr", 0, "--base-key-file", path, "00")
        check("a key file readable by others is refused", rc == 2, err)


def test_codeword():
    rc, out, err = cli("codeword", "00" * 32)
    check("codeword of 32 zero bytes", rc == 0 and out == "mavoj-pubip-gubad-gamiv", (rc, out, err))


def main():
    if not os.access(CLI, os.X_OK):
        print(f"Bail out! {CLI} not built")
        return 1
    v = load_vectors()
    test_vectors(v)
    test_errors()
    test_codeword()
    test_key_and_frame_off_argv()
    test_random(int(os.environ.get("CLI_SEED", "9605")))
    test_random(random.SystemRandom().randrange(2**32))
    return finish()


if __name__ == "__main__":
    tap.main(main)
