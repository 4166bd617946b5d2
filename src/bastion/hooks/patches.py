"""The paths an apply_patch envelope touches (Codex's file-edit format).

    *** Begin Patch
    *** Add File: path | *** Update File: path | *** Delete File: path
    *** Move to: new/path
    *** End Patch
"""

from __future__ import annotations

_HEADERS = ("*** Add File:", "*** Update File:", "*** Delete File:", "*** Move to:")


def patch_paths(patch: str) -> tuple[str, ...]:
    paths: dict[str, None] = {}
    for line in patch.splitlines():
        stripped = line.strip()
        for header in _HEADERS:
            if stripped.startswith(header):
                path = stripped[len(header) :].strip()
                if path:
                    paths[path] = None
    return tuple(paths)
