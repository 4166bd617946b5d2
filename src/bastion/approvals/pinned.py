"""Pinned asks: rules and paths a human approves once at a time, never for longer.

`[approvals] pinned` holds rule ids (`*` globs: `self-*`) and path globs (anything that starts
with `/`, `~` or `.` or holds a `/`). A path glob covers what it names and everything below it;
a relative one matches at any depth; matching ignores case (as the path layer does). A call is
pinned when a deciding rule is, or when any path it names is. Finding a path in a shell command
is deliberately generous (every word that looks like a path, `--opt=PATH` included): a false
match only means "approve once", never an allow."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import re2

from bastion.approvals.keys import deciding_rules
from bastion.config import Config
from bastion.model import Tier, ToolCall, ToolKind, Verdict
from bastion.secrets.globs import path_glob_regex

MAX_WORDS = 4096
"""Words of a command looked at for paths (commands are capped upstream; this bounds it here)."""

_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False
_OPTIONS.max_mem = 8 << 20


def is_path_glob(entry: str) -> bool:
    return entry.startswith(("/", "~", ".")) or "/" in entry


def _rule_regex(globs: Sequence[str]) -> Any:
    if not globs:
        return None
    return re2.compile("|".join(f"(?:{path_glob_regex(g)})" for g in globs))


def _path_regex(globs: Sequence[str], home: str) -> Any:
    parts = []
    for glob in globs:
        if glob == "~" or glob.startswith("~/"):
            glob = home.rstrip("/") + glob[1:]
        # `dir/**` names dir itself too (removing dir removes what is below it).
        while glob.endswith("/**"):
            glob = glob[:-3]
        glob = glob.rstrip("/") or "/"
        body = path_glob_regex(glob)
        if not glob.startswith("/"):
            body = "(?:.*/)?" + body
        below = "" if glob == "/" else "(?:/.*)?"
        parts.append(f"(?:{body}{below})")
    return re2.compile("|".join(parts), _OPTIONS) if parts else None


@dataclass(frozen=True)
class PinnedPolicy:
    rules: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    home: str = "/"
    _rules: Any = field(init=False, repr=False, compare=False)
    _paths: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rules", _rule_regex(self.rules))
        object.__setattr__(self, "_paths", _path_regex(self.paths, self.home))

    @classmethod
    def of(cls, entries: Iterable[str], home: str | None = None) -> PinnedPolicy:
        entries = tuple(entries)
        return cls(
            tuple(e for e in entries if not is_path_glob(e)),
            tuple(e for e in entries if is_path_glob(e)),
            home or posixpath.expanduser("~"),
        )

    @classmethod
    def from_config(cls, config: Config, home: str | None = None) -> PinnedPolicy:
        value = config.value("approvals.pinned")
        assert isinstance(value, tuple)
        return cls.of((str(v) for v in value), home)

    def rule_pinned(self, rule_id: str) -> bool:
        return self._rules is not None and self._rules.fullmatch(rule_id) is not None

    def path_pinned(self, path: str) -> bool:
        path = posixpath.normpath(path)
        return self._paths is not None and self._paths.fullmatch(path) is not None

    def reasons(
        self,
        call: ToolCall,
        verdict: Verdict,
        extra_paths: Iterable[str] = (),
        *,
        tier: bool = True,
    ) -> tuple[str, ...]:
        """Why this ask may only be approved once (empty: it may be approved for longer).
        `tier`: a red ask counts as pinned too (approvals do; the bypass does not)."""
        found = [f"rule {r} is pinned" for r in deciding_rules(verdict) if self.rule_pinned(r)]
        if tier and verdict.tier is Tier.RED:
            found.append("the ask is red tier")
        for path in dict.fromkeys((*call_paths(call, self.home), *extra_paths)):
            if self.path_pinned(path):
                found.append(f"{path} is a pinned path")
                break
        return tuple(found)


def call_paths(call: ToolCall, home: str) -> list[str]:
    """Absolute paths the call names: its own, and path-like words of a shell command."""
    paths = list(call.paths)
    if call.kind is ToolKind.SHELL and call.command:
        cwd = call.cwd or "/"
        for word in _words(call.command):
            for part in {word, word.partition("=")[2]}:
                if part and (part.startswith(("/", "~", ".", "$HOME", "${HOME}")) or "/" in part):
                    paths.append(_resolve(part, cwd, home))
    return paths


def _words(command: str) -> list[str]:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    try:
        for word in lexer:
            words.append(word)
            if len(words) >= MAX_WORDS:
                break
    except ValueError:  # an open quote: plain blanks are good enough to find paths
        words = command.split()[:MAX_WORDS]
    return words


def _resolve(word: str, cwd: str, home: str) -> str:
    for prefix in ("${HOME}", "$HOME", "~"):
        if word == prefix or word.startswith(prefix + "/"):
            word = home + word[len(prefix) :]
            break
    return posixpath.normpath(posixpath.join(cwd, word))
