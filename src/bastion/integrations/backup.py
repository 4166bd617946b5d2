"""The one backup of a settings file as it was before bastion first touched it.

`<file>.bastion-backup` is byte-exact and made once: a second install must not overwrite the
user's original with a file that already holds bastion's hooks. Uninstall puts it back when
nothing else changed."""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from bastion.integrations.interface import IntegrationError
from bastion.integrations.settings_file import atomic_write

SUFFIX = ".bastion-backup"


@dataclass(frozen=True)
class Backup:
    path: Path
    raw: bytes
    mode: int


def backup_path(real_path: Path) -> Path:
    return real_path.with_name(real_path.name + SUFFIX)


def read_backup(real_path: Path) -> Backup | None:
    """The existing backup, if any. A backup that is a symlink or someone else's file is not
    trusted: restoring it would copy foreign bytes into the agent's settings."""
    path = backup_path(real_path)
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
        raise IntegrationError(
            f"{path}: not a regular file of yours; refusing to use it as the backup"
        )
    return Backup(path, path.read_bytes(), stat.S_IMODE(st.st_mode))


def create_backup(real_path: Path, raw: bytes, mode: int) -> tuple[Path, bool]:
    """Write the backup unless one exists; returns its path and whether it was created now.

    The bytes go to a temporary file that is then hard-linked into place: the link fails if a
    backup appeared meanwhile, so an existing backup is never overwritten."""
    path = backup_path(real_path)
    if os.path.lexists(path):
        return path, False
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path, False
        return path, True
    finally:
        with suppress(FileNotFoundError):
            os.unlink(tmp)


def restore_backup(real_path: Path, backup: Backup) -> None:
    """Put the original back byte for byte, with its mode, then drop the backup."""
    atomic_write(real_path, backup.raw, backup.mode)
    backup.path.unlink()
