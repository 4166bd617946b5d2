"""The merged configuration and where its parts came from: plain frozen values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

BUILTIN_PATH = "<built-in>"


@dataclass(frozen=True)
class ConfigSource:
    """One layer file that was read."""

    label: str
    """"built-in", "system", "user", "project" or "local"."""
    path: str
    """The file's path, or "<built-in>"."""
    trusted: bool
    """False for the project and local files, which come with the repository."""

    def __str__(self) -> str:
        return self.label if self.path == BUILTIN_PATH else f"{self.label} ({self.path})"


@dataclass(frozen=True)
class RuleFileRef:
    path: str
    """Absolute."""
    source: ConfigSource
    """The layer that added it: the rules layer distrusts allow rules from project files."""


@dataclass(frozen=True)
class Limits:
    max_input_bytes: int
    max_depth: int
    max_nodes: int
    parse_timeout_ms: int


@dataclass(frozen=True)
class Config:
    allowed_executables: frozenset[str]
    disabled: frozenset[str]
    rule_files: tuple[RuleFileRef, ...]
    tiers: Mapping[str, str]
    """Rule id -> tier name."""
    limits: Limits
    project_may_relax: bool
    project_root: str | None
    sources: tuple[ConfigSource, ...]
    """Files actually read, lowest precedence first."""
    provenance: Mapping[str, str]
    """Dotted key -> the layer that last changed it, e.g. "user (/home/u/.config/...)"."""
    warnings: tuple[str, ...]
    _values: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    """Dotted key -> merged value, lists as tuples in merge order (the sets above lose it)."""

    def strings(self, key: str) -> tuple[str, ...]:
        """A list key's merged value; TypeError if `key` does not hold a list of strings."""
        value = self._values[key]
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"{key}: expected a list of strings, got {value!r}")
        return value

    def value(self, key: str) -> object:
        """The merged value of a dotted key (lists as tuples); KeyError if unknown."""
        return self._values[key]

    def as_dict(self) -> dict[str, dict[str, object]]:
        """The merged config as plain TOML-able data: {section: {key: value}}."""
        out: dict[str, dict[str, object]] = {}
        for dotted, value in self._values.items():
            section, key = dotted.split(".", 1)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out.setdefault(section, {})[key] = value
        return out
