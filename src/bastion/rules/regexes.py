"""RE2 for every rule regex: linear time whatever the input, one Set for the whole pack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # absl would print parse errors to stderr
# Large sets outgrow RE2's default 8 MiB DFA budget and fall back to the slow NFA; 64 MiB keeps
# the whole pack on the DFA (still linear time, bounded memory).
_OPTIONS.max_mem = 64 << 20


def compile_error(pattern: str) -> str | None:
    """Why RE2 refuses `pattern` (backreferences, lookaround, ...), or None when it compiles."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        message = exc.args[0] if exc.args else str(exc)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        return str(message)
    return None


def compile_regex(pattern: str) -> Any:
    return re2.compile(pattern, _OPTIONS)


class RegexSet:
    """All patterns searched in one pass; `match` returns the indices of those that hit."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.size = len(patterns)
        self._set: Any = None
        if patterns:
            compiled = re2.Set.SearchSet(_OPTIONS)
            for pattern in patterns:
                compiled.Add(pattern)
            compiled.Compile()
            self._set = compiled

    def match(self, text: str) -> list[int]:
        if self._set is None:
            return []
        result: list[int] = self._set.Match(text) or []
        return result
