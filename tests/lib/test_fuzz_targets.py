#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make fuzz`'s list against the tree, so that a fuzz target without seeds
fails `make check` in a second rather than CI's fuzz step after an hour:
every target the makefiles name (FUZZ_TARGETS, from tests.mk's check rule)
has its source and a seed directory with at least one seed, and every
tests/fuzz/fuzz_*.c is a target."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, finish  # noqa: E402

FUZZ = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz")


def main():
    targets = os.environ.get("FUZZ_TARGETS", "").split()
    check("the makefiles name fuzz targets", len(targets) > 0,
          "FUZZ_TARGETS is empty: run through make check")
    for t in targets:
        src = os.path.join(FUZZ, t + ".c")
        check(f"{t}: its source", os.path.isfile(src), f"no {src}")
        seeds = os.path.join(FUZZ, "seeds", t)
        n = len(os.listdir(seeds)) if os.path.isdir(seeds) else 0
        check(f"{t}: {n} seeds", n > 0, f"no seed in {seeds}: libFuzzer stops at a missing one")
    sources = sorted(f[:-2] for f in os.listdir(FUZZ)
                     if f.startswith("fuzz_") and f.endswith(".c"))
    missing = [s for s in sources if s not in targets]
    check(f"each of the {len(sources)} fuzz sources is a target", not missing,
          f"not in FUZZ_TARGETS: {' '.join(missing)}")
    return finish()


tap.main(main)
