"""Which variable and key names hold secrets (`GITHUB_TOKEN`, `db_password`, `apiKey`, ...)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import re2

from bastion.secrets.globs import name_glob_regex

# Matched case-insensitively, `_` standing for `_`, `-`, `.` or nothing (see name_glob_regex).
# A bare `*_KEY` is left out on purpose: sort_key, primary_key and cache_key are not secrets, and
# redacting them would make bastion's output lie about ordinary config.
DEFAULT_SECRET_NAMES: tuple[str, ...] = (
    "*_TOKEN", "*_SECRET", "*_SECRET_*", "*_PASSWORD", "*_PASSWD", "*_PASSPHRASE",
    "*_API_KEY", "*_ACCESS_KEY", "*_ACCESS_KEY_ID", "*_SECRET_KEY", "*PRIVATE_KEY*",
    "*_SIGNING_KEY", "*_ENCRYPTION_KEY", "*_MASTER_KEY", "*_DEPLOY_KEY", "*_SSH_KEY",
    "*_AUTH_KEY", "*_CREDENTIALS", "*_CREDENTIAL", "*_AUTH", "*_PAT", "*_DSN",
    "*DATABASE_URL", "*_CONNECTION_STRING", "*_COOKIE", "*_SESSION_KEY",
)  # fmt: skip

_MAX_NAME = 256


@dataclass(frozen=True)
class SecretNames:
    """Name globs (`*_TOKEN`) compiled once into one RE2 regex."""

    globs: tuple[str, ...] = DEFAULT_SECRET_NAMES
    _regex: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", re2.compile(self.pattern()) if self.globs else None)

    @classmethod
    def of(cls, globs: Iterable[str]) -> SecretNames:
        return cls(tuple(dict.fromkeys(g.strip() for g in globs if g.strip())))

    def pattern(self) -> str:
        """The alternation of all globs, case-insensitive, for embedding in a larger regex."""
        if not self.globs:
            return "(?!)"  # never used: RE2 has no lookahead; callers check `globs` first
        return "(?i:" + "|".join(name_glob_regex(g) for g in self.globs) + ")"

    def matches(self, name: str) -> bool:
        if self._regex is None or not name or len(name) > _MAX_NAME:
            return False
        return self._regex.fullmatch(name) is not None
