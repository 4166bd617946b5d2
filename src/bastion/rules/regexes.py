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


# Every pattern compiled so far. Checking a rule's regex compiles it; the predicate that runs it
# later takes the same object instead of compiling it again (re2's own cache holds only 128,
# fewer than the packs' patterns). Patterns come from rule files and module constants only.
_COMPILED: dict[str, Any] = {}


def compile_error(pattern: str) -> str | None:
    """Why RE2 refuses `pattern` (backreferences, lookaround, ...), or None when it compiles."""
    if pattern in _COMPILED:
        return None
    # Parsing into a throwaway Set checks the syntax at a sixth of the cost of compiling (the
    # compiled program is built on first use, or never); only a refused pattern is compiled
    # alone, for RE2's own explanation.
    probe = re2.Set.SearchSet(_OPTIONS)
    try:
        probe.Add(pattern)
        return None
    except re2.error:
        pass
    try:
        compile_regex(pattern)
    except re2.error as exc:
        message = exc.args[0] if exc.args else str(exc)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        return str(message)
    return None


def compile_regex(pattern: str) -> Any:
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re2.compile(pattern, _OPTIONS)
    return compiled


class LazyRegex:
    """A regex compiled on first use: most rule regexes only ever run inside a RegexSet, so a
    process that builds the policy to answer one call need not compile each of them alone."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: Any = None

    def _regex(self) -> Any:
        if self._compiled is None:
            self._compiled = compile_regex(self.pattern)
        return self._compiled

    def search(self, text: str) -> Any:
        return self._regex().search(text)

    def fullmatch(self, text: str) -> Any:
        return self._regex().fullmatch(text)

    def __getattr__(self, name: str) -> Any:
        # Everything else a compiled regex offers (finditer, sub, match, groups...).
        return getattr(self._regex(), name)


class RegexSet:
    """All patterns searched in one pass; `match` returns the indices of those that hit.

    `lazy=True` defers compiling to the first match: for a module's constant patterns, so
    importing the module costs nothing until the scanner that needs them runs."""

    def __init__(self, patterns: Sequence[str], *, lazy: bool = False) -> None:
        self.size = len(patterns)
        self._patterns: tuple[str, ...] = tuple(patterns)
        self._set: Any = None
        if patterns and not lazy:
            self._compile()

    def _compile(self) -> None:
        compiled = re2.Set.SearchSet(_OPTIONS)
        for pattern in self._patterns:
            compiled.Add(pattern)
        compiled.Compile()
        self._set = compiled

    def match(self, text: str) -> list[int]:
        if self._set is None:
            if not self._patterns:
                return []
            self._compile()
        result: list[int] = self._set.Match(text) or []
        return result
