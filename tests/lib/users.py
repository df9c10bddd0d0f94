# SPDX-License-Identifier: MIT
"""The host tests' stand-ins for the image's users (docs/processes.md).

keyxchgd refuses to run as root, and keyxchgd's control socket takes only its
own uid, the media daemon's (--media-uid) and the allowed ones (--allow-uid).
A test run as root (make check, CI) therefore runs keyxchgd and kxctl as KX,
roomd (or any media-key subscriber) as MEDIA and the screen as SCREEN: numeric
ids, no account needed, dropped with setpriv (util-linux, in a minbase
chroot). The media and screen users get the group CTL, which keyxchgd's
socket directory (kx_dir: KX's, group CTL, 2750, as in the image) lets in.
Run as another user, every one of them is that user (no setpriv), as a
developer's run of keyxchgd as themself always was.
"""
import contextlib
import os
import shutil

ROOT = os.geteuid() == 0
if ROOT:
    KX, MEDIA, SCREEN, CTL = 4901, 4902, 4903, 4910
else:
    KX = MEDIA = SCREEN = os.getuid()
    CTL = os.getgid()


def argv(uid, args, groups=()):
    """args run as uid (its gid the same number), with only these groups."""
    if not ROOT:
        return list(args)
    g = ["--groups=" + ",".join(str(x) for x in groups)] if groups else ["--clear-groups"]
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", *g, "--", *args]


def kx(args):
    return argv(KX, args)


def media(args):
    return argv(MEDIA, args, (CTL,))


def screen(args):
    return argv(SCREEN, args, (CTL,))


def own(path, uid, mode):
    """path (which exists) uid's, with mode; the group uid's number too."""
    if ROOT:
        os.chown(path, uid, uid)
    os.chmod(path, mode)
    return path


def kx_dir(path):
    """keyxchgd's socket and state directory: KX's, group CTL, 2750."""
    os.makedirs(path, exist_ok=True)
    if ROOT:
        os.chown(path, KX, CTL)
    os.chmod(path, 0o2750 if ROOT else 0o700)
    return path


def frames_dir(path):
    """The screen's directory (its frame socket, its captures): SCREEN's, group
    MEDIA, 2750, as the image's /run/sealroom/frames: roomd reaches the socket."""
    os.makedirs(path, exist_ok=True)
    if ROOT:
        os.chown(path, SCREEN, MEDIA)
    os.chmod(path, 0o2750 if ROOT else 0o700)
    return path


def user_dir(path, uid):
    """A directory only uid writes (and others may enter: logs, captures)."""
    os.makedirs(path, exist_ok=True)
    return own(path, uid, 0o755)


def keyxchgd_peers():
    """keyxchgd's options for the media and screen users (none when they are it)."""
    return ["--media-uid", str(MEDIA), "--allow-uid", str(SCREEN)] if ROOT else []


def roomd_trust():
    """roomd's options: keyxchgd's and the screen's uids."""
    return ["--control-uid", str(KX), "--screen-uid", str(SCREEN)] if ROOT else []


@contextlib.contextmanager
def acting_as(uid, groups=()):
    """This process's effective ids for a moment (a socket connected now is
    uid's to keyxchgd: SO_PEERCRED records them at connect)."""
    if not ROOT:
        yield
        return
    os.setgroups(list(groups))
    os.setegid(uid)
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
        os.setgroups([])


_registries = {}


def gst_env(env, uid, tmp):
    """env for a GStreamer program run as uid: a registry of its own in a
    directory of its own under tmp (the build's is root's, 0600), a copy of the
    build's when there is one, so that it does not rescan the plugins; one per
    uid for the whole run, so that what the first program scanned (a build
    without a registry yet, an ASan build) the next ones reuse."""
    env = dict(env)
    reg = env.get("GST_REGISTRY")
    if ROOT:
        if uid not in _registries:
            d = user_dir(os.path.join(tmp, f"gst-{uid}"), uid)
            copy = os.path.join(d, "registry.bin")
            if reg and os.path.exists(reg):
                shutil.copyfile(reg, copy)
                own(copy, uid, 0o600)
            _registries[uid] = copy
        env["GST_REGISTRY"] = _registries[uid]
    return env
