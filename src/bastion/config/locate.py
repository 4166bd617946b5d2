"""Where each layer's file lives."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = ".bastion"
SYSTEM_DEFAULT = "/etc/bastion/config.toml"


def system_path() -> Path:
    return Path(os.environ.get("BASTION_SYSTEM_CONFIG") or SYSTEM_DEFAULT).expanduser()


def user_path() -> Path:
    explicit = os.environ.get("BASTION_USER_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    # XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored.
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".config"
    return base / "bastion" / "config.toml"


def find_project_root(cwd: str | os.PathLike[str]) -> Path | None:
    """The nearest ancestor of `cwd` (itself included) holding a `.bastion` directory."""
    here = Path(cwd).resolve()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_DIR).is_dir():
            return candidate
    return None


def project_files(root: Path) -> tuple[Path, Path]:
    """The project file, then the (uncommitted) local one."""
    return root / PROJECT_DIR / "config.toml", root / PROJECT_DIR / "config.local.toml"
