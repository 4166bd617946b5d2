"""The filesystem view inside a new mount namespace: a private /tmp, hidden paths, a fresh /proc.

Covering /tmp with a tmpfs would also cover what the profile needs beneath it (a workspace or a
virtualenv in /tmp), so those are opened first (O_PATH) and bound back over the tmpfs through
/proc/self/fd. Standard library only (the launcher does this before exec).
"""

from __future__ import annotations

import os

from bastion.sandbox import syscalls

TYPE_CHECKING = False  # see landlock.py
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

TMP = "/tmp"


def _beneath(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _mkpoint(path: str, directory: bool) -> None:
    if directory:
        os.makedirs(path, exist_ok=True)
    elif not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a"):
            pass


def private_tmp(keep: Iterable[str], writable: Iterable[str], size_mb: int) -> list[str]:
    """Put a tmpfs on /tmp and bind back each path of `keep` beneath it, read-only unless it
    is in `writable`; returns the paths bound back.

    Read-only is a mount flag here, not only a Landlock rule: Landlock grants by ancestry,
    and the writable /tmp is an ancestor of everything bound beneath it."""
    rw = set(writable)
    kept: list[tuple[str, int, bool]] = []
    for path in dict.fromkeys(keep):
        if _beneath(path, TMP) and path != TMP and os.path.exists(path):
            kept.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC), os.path.isdir(path)))
    try:
        syscalls.mount(
            "tmpfs", TMP, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NODEV,
            f"size={size_mb}m,mode=1777",
        )  # fmt: skip
        # Shortest first, so a parent is bound before a path inside it.
        for path, fd, directory in sorted(kept, key=lambda k: len(k[0])):
            _mkpoint(path, directory)
            syscalls.mount(f"/proc/self/fd/{fd}", path, "", syscalls.MS_BIND | syscalls.MS_REC)
            if path not in rw:
                flags = syscalls.MS_BIND | syscalls.MS_REMOUNT | syscalls.MS_RDONLY
                syscalls.mount("none", path, "", flags)
    finally:
        for _, fd, _ in kept:
            os.close(fd)
    return [k[0] for k in kept]


def hide(paths: Sequence[str]) -> list[str]:
    """Cover directories with an empty read-only tmpfs and files with /dev/null."""
    hidden: list[str] = []
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            flags = syscalls.MS_RDONLY | syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC
            syscalls.mount("tmpfs", path, "tmpfs", flags, "size=4k,mode=000")
        elif os.path.isfile(path) and not os.path.islink(path):
            syscalls.mount("/dev/null", path, "", syscalls.MS_BIND)
        else:
            continue
        hidden.append(path)
    return hidden


def make_private() -> None:
    """Nothing mounted here propagates back to the host."""
    syscalls.mount("none", "/", "", syscalls.MS_REC | syscalls.MS_PRIVATE)


def fresh_proc() -> None:
    """A /proc that shows only the new pid namespace."""
    flags = syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC
    syscalls.mount("proc", "/proc", "proc", flags)
