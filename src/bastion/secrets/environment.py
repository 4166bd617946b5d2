"""The environment a subprocess gets: a safe allowlist plus what the user adds, nothing else.

Decision: a name added by a pattern (`env_allow = ["NODE_*"]`) is still dropped when it looks
secret (`NODE_AUTH_TOKEN`); only a name added exactly (`env_allow = ["NPM_TOKEN"]`) passes a
secret through, because that is a deliberate choice about one variable, not a broad one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import re2

from bastion.secrets.globs import is_glob, path_glob_regex
from bastion.secrets.names import SecretNames

SAFE_NAMES: frozenset[str] = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TERM", "COLORTERM", "TZ", "TMPDIR",
     "TEMP", "TMP", "SHELL", "PWD", "EDITOR", "VISUAL", "PAGER", "HOSTNAME", "COLUMNS", "LINES",
     "NO_COLOR", "FORCE_COLOR", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
     "XDG_DATA_HOME", "XDG_STATE_HOME", "SHLVL", "CI"}
)  # fmt: skip
SAFE_PATTERNS: tuple[str, ...] = ("LC_*",)


@dataclass(frozen=True)
class FilteredEnvironment:
    kept: Mapping[str, str]
    dropped: tuple[str, ...]
    """Names removed, sorted (values are never kept here)."""


@dataclass(frozen=True)
class EnvironmentFilter:
    allow: tuple[str, ...] = ()
    """Extra names (exact) or patterns (`*`, `?`, `[...]`) the user lets through."""
    names: SecretNames = field(default_factory=SecretNames)
    _exact: frozenset[str] = field(init=False, repr=False, compare=False)
    _pattern: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exact = SAFE_NAMES | {a for a in self.allow if not is_glob(a)}
        globs = [*SAFE_PATTERNS, *(a for a in self.allow if is_glob(a))]
        regex = "|".join(path_glob_regex(g) for g in globs)
        object.__setattr__(self, "_exact", frozenset(exact))
        object.__setattr__(self, "_pattern", re2.compile(regex))

    @classmethod
    def of(cls, allow: Iterable[str], names: SecretNames | None = None) -> EnvironmentFilter:
        return cls(tuple(allow), names if names is not None else SecretNames())

    def keeps(self, name: str) -> bool:
        if name in self._exact:
            return True
        if self._pattern.fullmatch(name) is None:
            return False
        return not self.names.matches(name)

    def apply(self, environ: Mapping[str, str]) -> FilteredEnvironment:
        kept = {k: v for k, v in environ.items() if self.keeps(k)}
        dropped = tuple(sorted(k for k in environ if k not in kept))
        return FilteredEnvironment(kept, dropped)

    def build(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The environment to hand to a subprocess."""
        return dict(self.apply(environ).kept)
