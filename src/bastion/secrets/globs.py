"""Shell-style globs as RE2 regex text, so configured names and paths match in linear time."""

from __future__ import annotations

import re2

_SPECIAL = frozenset("*?[")


def is_glob(text: str) -> bool:
    return any(c in _SPECIAL for c in text)


def name_glob_regex(glob: str) -> str:
    """A variable or key name glob, loosely: `*` is any name characters and `_` also matches
    `-`, `.` or nothing, so `*_API_KEY` covers `GITHUB_API_KEY`, `api-key` and `apiKey`.
    Case is the caller's business ((?i) around the result)."""
    parts: list[str] = []
    for char in glob:
        if char == "*":
            parts.append("[A-Za-z0-9_.-]*")
        elif char == "?":
            parts.append("[A-Za-z0-9_.-]")
        elif char == "_":
            parts.append("[_.-]?")
        else:
            parts.append(re2.escape(char))
    return "".join(parts)


def path_glob_regex(glob: str) -> str:
    """A path glob: `**/` is any directories (or none), `*` and `?` stay inside one component."""
    parts: list[str] = []
    index = 0
    while index < len(glob):
        if glob.startswith("**/", index):
            parts.append("(?:[^/]*/)*")
            index += 3
            continue
        if glob.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        char = glob[index]
        if char == "*":
            parts.append("[^/]*")
        elif char == "?":
            parts.append("[^/]")
        else:
            parts.append(re2.escape(char))
        index += 1
    return "".join(parts)
