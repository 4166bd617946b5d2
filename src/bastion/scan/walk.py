"""Which files a scan reads: a bounded walk that skips vendored trees, symlinks and binaries."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "venv", ".venv", "__pycache__", ".tox", ".nox",
        ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", "dist-packages",
        "bower_components", "jspm_packages",
    }
)  # fmt: skip
MAX_FILE_BYTES = 2 << 20
MAX_FILES = 200_000
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class WalkOptions:
    skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS
    max_file_bytes: int = MAX_FILE_BYTES
    max_files: int = MAX_FILES


class TooManyFiles(Exception):
    pass


def walk(root: Path, wanted: Callable[[Path], bool], options: WalkOptions) -> Iterator[Path]:
    """Files under `root` that `wanted` accepts, in a stable order; symlinks are not followed
    (a link can point anywhere, including into the home directory)."""
    count = 0
    errors: list[OSError] = []
    for directory, dirs, files in os.walk(root, onerror=errors.append):
        dirs[:] = sorted(d for d in dirs if d not in options.skip_dirs)
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_symlink() or not wanted(path):
                continue
            count += 1
            if count > options.max_files:
                raise TooManyFiles(f"more than {options.max_files} files to scan under {root}")
            yield path
    if errors:
        # An unreadable directory means the scan did not see everything: say so.
        raise errors[0]


def looks_binary(head: bytes) -> bool:
    return b"\0" in head[:SNIFF_BYTES]
