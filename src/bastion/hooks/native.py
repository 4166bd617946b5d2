"""Build the native hook client (client.c) with the system C compiler, once per source version.

The binary lands in the user's data directory under a name carrying the source hash, so an
upgrade builds a new one beside the old and settings files name exactly what was built."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bastion.hooks.command import CLIENT_PREFIX

SOURCE = Path(__file__).with_name("client.c")
_FLAGS = ("-O2", "-Wall", "-Wextra", "-o")


class NativeBuildError(Exception):
    """No compiler, or the build failed: the Python shim is used instead."""


def client_dir() -> Path:
    data = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data) if os.path.isabs(data) else Path.home() / ".local" / "share"
    return base / "bastion" / "bin"


def compiler() -> str | None:
    explicit = os.environ.get("CC")
    if explicit:
        return shutil.which(explicit)
    return next((p for name in ("cc", "gcc", "clang") if (p := shutil.which(name))), None)


def build_client(directory: Path | None = None) -> Path:
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    directory = directory or client_dir()
    target = directory / f"{CLIENT_PREFIX}{digest}"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    cc = compiler()
    if cc is None:
        raise NativeBuildError("no C compiler (cc, gcc or clang) on PATH")
    directory.mkdir(parents=True, exist_ok=True, mode=0o755)
    handle, temporary = tempfile.mkstemp(prefix=".build-", dir=directory)
    os.close(handle)
    try:
        result = subprocess.run(
            [cc, *_FLAGS, temporary, str(SOURCE)], capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise NativeBuildError(f"{cc} failed: {result.stderr.strip()[:2000]}")
        os.chmod(temporary, 0o755)
        os.replace(temporary, target)
    except (OSError, subprocess.SubprocessError) as exc:
        raise NativeBuildError(f"building the hook client failed: {exc}") from exc
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target
