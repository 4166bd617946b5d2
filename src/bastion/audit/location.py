"""Where the audit trail lives, and how a session id becomes a file name."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import re2

_SAFE_NAME = re2.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
LOG_SUFFIX = ".jsonl"
INDEX_NAME = "index.sqlite3"


def audit_dir() -> Path:
    """$BASTION_AUDIT_DIR, else $XDG_STATE_HOME/bastion/audit, else ~/.local/state/..."""
    explicit = os.environ.get("BASTION_AUDIT_DIR")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME")
    base = Path(state) if state and os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "bastion" / "audit"


def session_file_name(session: str) -> str:
    """The session id itself when it is a plain name, else `x-` and a hash of it: ids come
    from agent payloads and must not pick a path (`../x`), and distinct ids never share a
    file (a plain name never starts with `x-`)."""
    if _SAFE_NAME.fullmatch(session) and not session.startswith("x-"):
        return session + LOG_SUFFIX
    digest = hashlib.sha256(session.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"x-{digest}{LOG_SUFFIX}"


def ensure_private_dir(directory: Path) -> None:
    """Create the directory 0700 (parents too), or tighten it if it already exists."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        os.chmod(directory, 0o700)
