"""Path globs compiled to RE2: linear time on any path, however the pattern is written.

Syntax: `*` any run within one component, `?` one character, `[abc]` / `[!abc]` a class, `**`
any number of whole components. `~` is the home directory. A pattern that is not absolute matches
at any depth anywhere (`.env` and `**/.env` are the same pattern), so `**/.env` also covers a
`.env` outside the session's cwd. A pattern names a file or a directory: it matches the path
itself (`exact`) and everything below it (`below`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bastion.pathjail.resolve import expand_user
from bastion.rules.regexes import RegexSet

GLOB_CHARS = frozenset("*?[")


def segment_regex(segment: str) -> str:
    """One component's glob as a regex that never crosses a `/`."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        i += 1
        if char == "*":
            while i < len(segment) and segment[i] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", i + 1 if i < len(segment) and segment[i] in "!^" else i)
            if end < 0:
                out.append(re.escape(char))
                continue
            body = segment[i:end]
            i = end + 1
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            chars = "".join(c if c == "-" or c.isalnum() else "\\" + c for c in body if c != "/")
            if negate:
                out.append(f"[^/{chars}]")
            else:  # `[]` matches nothing
                out.append(f"[{chars}]" if chars else "[^\\x00-\\x{10FFFF}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def pattern_body(pattern: str, home: str) -> str | None:
    """The regex (unanchored) for a whole path pattern, or None for an empty one."""
    text = pattern.strip()
    if not text:
        return None
    text = expand_user(text, home) if text.startswith("~") else text
    if not text.startswith("/"):
        text = "**/" + text
    parts = [p for p in text.split("/") if p and p != "."]
    pieces = ["(?:/[^/]+)*" if part == "**" else "/" + segment_regex(part) for part in parts]
    return "".join(pieces) or "/"


@dataclass(frozen=True)
class PatternHit:
    pattern: str
    below: bool
    """True when the path is inside what the pattern names, not the named path itself."""


class GlobSet:
    """Many path patterns, matched in one RE2 pass each for `exact` and `below`."""

    def __init__(
        self, patterns: Sequence[str], homes: Sequence[str], *, ignore_case: bool = True
    ) -> None:
        flags = "(?i)" if ignore_case else ""
        self.patterns: list[str] = []
        exact: list[str] = []
        below: list[str] = []
        for pattern in dict.fromkeys(patterns):
            for home in dict.fromkeys(homes):
                body = pattern_body(pattern, home)
                if body is None:
                    continue
                self.patterns.append(pattern)
                exact.append(f"{flags}^{body}$")
                below.append(f"{flags}^{'' if body == '/' else body}/.+$")
        self._exact = RegexSet(exact)
        self._below = RegexSet(below)

    def exact(self, path: str) -> list[str]:
        return [self.patterns[i] for i in sorted(self._exact.match(path))]

    def below(self, path: str) -> list[str]:
        return [self.patterns[i] for i in sorted(self._below.match(path))]

    def first(self, path: str) -> PatternHit | None:
        for pattern in self.below(path):
            return PatternHit(pattern, True)
        for pattern in self.exact(path):
            return PatternHit(pattern, False)
        return None


class SegmentGlob:
    """One component's shell glob as bash expands it: a leading `.` must be written out."""

    def __init__(self, segment: str) -> None:
        self._set = RegexSet([f"^{segment_regex(segment)}$"])
        self._hidden_ok = segment.startswith(".")

    def matches(self, name: str) -> bool:
        if name.startswith(".") and not self._hidden_ok:
            return False
        return bool(self._set.match(name))


def has_glob(text: str) -> bool:
    return any(c in GLOB_CHARS for c in text)
