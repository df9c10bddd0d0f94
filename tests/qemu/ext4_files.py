#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every path in an ext4 image, read offline (no mount, no root) with
debugfs from e2fsprogs: one line each, "TYPE PATH" (d directory, f regular
file, l symbolic link, o anything else), sorted. The product image's test
(tests/qemu/test_qemu_product.sh) compares the two variants' lists.

    ext4_files.py IMAGE

A directory level at a time: one debugfs process reads every `ls -p DIR`
of the level from its standard input. Exit 1, with debugfs's words, when it
cannot read the image.
"""
import subprocess
import sys

KIND = {0o040000: "d", 0o100000: "f", 0o120000: "l"}


def quote(path):
    if '"' in path or "\n" in path:
        raise ValueError(f"a path debugfs cannot be asked about: {path!r}")
    return f'"{path}"'


def level(image, dirs):
    """{dir: [(kind, name), ...]} for each of dirs."""
    cmds = "".join(f"ls -p {quote(d)}\n" for d in dirs)
    r = subprocess.run(["debugfs", "-f", "-", image], input=cmds.encode(),
                       capture_output=True, timeout=600)
    if r.returncode != 0:
        raise OSError(f"debugfs {image}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
    out, cur = {}, None
    for line in r.stdout.decode(errors="surrogateescape").splitlines():
        if line.startswith("debugfs: ls -p "):
            cur = line[len("debugfs: ls -p "):].strip('"')
            out[cur] = []
        elif line.startswith("/") and cur is not None:
            # /INODE/MODE/UID/GID/NAME/SIZE/ (NAME has no '/')
            f = line.split("/")
            if len(f) < 8:
                continue
            name = "/".join(f[5:-2])
            if name in (".", ".."):
                continue
            out[cur].append((KIND.get(int(f[2], 8) & 0o170000, "o"), name))
    missing = [d for d in dirs if d not in out]
    if missing:
        raise OSError(f"debugfs {image}: no listing of {missing[:3]}: "
                      f"{r.stderr.decode(errors='replace')[-300:]}")
    return out


def main():
    image = sys.argv[1]
    paths, dirs = [], ["/"]
    while dirs:
        nxt = []
        for d, entries in level(image, dirs).items():
            for kind, name in entries:
                p = d.rstrip("/") + "/" + name
                paths.append(f"{kind} {p}")
                if kind == "d" and p != "/lost+found":
                    nxt.append(p)
        dirs = nxt
    sys.stdout.write("".join(x + "\n" for x in sorted(paths)))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        print(f"ext4_files: {e}", file=sys.stderr)
        sys.exit(1)
