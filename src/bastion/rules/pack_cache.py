"""A parsed copy of the built-in rule packs, so a cold hook process skips the DSL parse
(~80 ms of a ~300 ms budget) and loads them in ~10 ms.

The copy lives in bastion's cache directory (`$XDG_CACHE_HOME/bastion`, else
`~/.cache/bastion`), trusted as the daemon's socket directory is: ours and mode 0700, checked
on every use (a copy like .pyc files, kept across reboots). It is named by a hash of every
pack's text, bastion's version and Python's, so an upgrade or an edit never meets a stale copy.
A file that is not ours, is open to others, or does not load cleanly is ignored and the packs
are parsed. `BASTION_NO_PACK_CACHE=1` turns it off. Like every file of the user's, a process
running as the same user can replace it; the path layer protects the directory from agents'
tool calls, and the sandbox (`bastion run`) from what they run."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Sequence

from bastion import __version__
from bastion.rules.model import RuleFile

_MAX_BYTES = 16 << 20


def cache_key(packs: Sequence[tuple[str, str]]) -> str:
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0".encode())
    for name, text in packs:
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()[:32]


def cache_dir() -> str:
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "bastion")


def _directory(create: bool) -> str | None:
    """The cache directory if it is ours and closed to others (made 0700 when asked)."""
    if os.environ.get("BASTION_NO_PACK_CACHE"):
        return None
    directory = cache_dir()
    try:
        if create:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.lstat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return directory


def load(key: str) -> tuple[RuleFile, ...] | None:
    directory = _directory(create=False)
    if directory is None:
        return None
    try:
        fd = os.open(os.path.join(directory, f"packs-{key}.pickle"), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.getuid()
            or st.st_mode & 0o077
            or st.st_size > _MAX_BYTES
        ):
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            files = pickle.loads(handle.read())
    except Exception:  # anything odd: parse the packs instead
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    if not isinstance(files, tuple) or not all(isinstance(f, RuleFile) for f in files):
        return None
    return files


def store(key: str, files: tuple[RuleFile, ...]) -> None:
    directory = _directory(create=True)
    if directory is None:
        return
    import tempfile  # only the process that parsed the packs writes them

    with contextlib.suppress(Exception):  # a cache that cannot be written is just slower
        handle, temporary = tempfile.mkstemp(prefix=".packs-", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(pickle.dumps(files, protocol=pickle.HIGHEST_PROTOCOL))
            os.chmod(temporary, 0o600)
            os.replace(temporary, os.path.join(directory, f"packs-{key}.pickle"))
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
