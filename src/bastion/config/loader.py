"""Layered TOML: built-in < system < user < project < local, merged key by key.

A project file comes with the repository an agent works in, so it is untrusted: it may only
tighten the policy unless the user's own config says otherwise. Relaxing changes from it are
dropped with a warning; the rest of the file applies. Any error aborts the whole load.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bastion.config.errors import ConfigError
from bastion.config.schema import SCHEMA, TIERS, KeySpec

BUILTIN_PATH = "<built-in>"
PROJECT_DIR = ".bastion"


@dataclass(frozen=True)
class ConfigSource:
    label: str
    path: str
    trusted: bool

    def __str__(self) -> str:
        return self.label if self.path == BUILTIN_PATH else f"{self.label} ({self.path})"


@dataclass(frozen=True)
class RuleFileRef:
    path: str
    source: ConfigSource


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
    limits: Limits
    project_may_relax: bool
    project_root: str | None
    sources: tuple[ConfigSource, ...]
    provenance: Mapping[str, str]
    warnings: tuple[str, ...]
    _values: Mapping[str, object] = field(default_factory=dict, repr=False)

    def value(self, key: str) -> object:
        if key not in self._values:
            raise KeyError(key)
        value = self._values[key]
        return tuple(value) if isinstance(value, list) else value

    def as_dict(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for dotted, value in self._values.items():
            section, key = dotted.split(".", 1)
            if isinstance(value, list):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out.setdefault(section, {})[key] = value
        return out


@dataclass
class _State:
    values: dict[str, Any]
    provenance: dict[str, str]
    rule_sources: dict[str, ConfigSource]
    warnings: list[str]


def _read(path: Path, label: str) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {label} config: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def _builtin_data() -> dict[str, Any]:
    text = resources.files("bastion.config").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def _check_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return list(dict.fromkeys(value))


def _list_change(value: object, where: str) -> tuple[list[str] | None, list[str], list[str]]:
    """(replacement or None, append, exclude) from a plain list or an {append, exclude} table."""
    if isinstance(value, dict):
        unknown = set(value) - {"append", "exclude"}
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {sorted(unknown)[0]!r} (use append or exclude)"
            )
        return (
            None,
            _check_list(value.get("append", []), f"{where}.append"),
            _check_list(value.get("exclude", []), f"{where}.exclude"),
        )
    return _check_list(value, where), [], []


def _validate(data: Mapping[str, Any], path: str) -> None:
    for section, body in data.items():
        keys = SCHEMA.get(section)
        if keys is None:
            known = ", ".join(sorted(SCHEMA))
            raise ConfigError(f"{path}: unknown section [{section}] (known sections: {known})")
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: '{section}' must be a table ([{section}])")
        for key, value in body.items():
            spec = keys.get(key)
            if spec is None:
                known = ", ".join(sorted(keys))
                raise ConfigError(
                    f"{path}: unknown key '{section}.{key}' (known keys in [{section}]: {known})"
                )
            where = f"{path}: {section}.{key}"
            if spec.kind == "bool" and not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false")
            if spec.kind == "int" and (
                isinstance(value, bool) or not isinstance(value, int) or value <= 0
            ):
                raise ConfigError(f"{where} must be a positive whole number")
            if spec.kind == "list":
                _list_change(value, where)
            if spec.kind == "tiers":
                if not isinstance(value, dict):
                    raise ConfigError(f"{where} must be a table of rule id = tier")
                for rule_id, tier in value.items():
                    if tier not in TIERS:
                        raise ConfigError(
                            f"{where}.{rule_id}: unknown tier {tier!r} (use green, yellow or red)"
                        )


def _relax_warning(path: str, key: str, what: str) -> str:
    return (
        f"{path}: {key}: ignored {what}: a project config may only tighten the policy "
        "(set policy.project_may_relax = true in your user config to allow it)"
    )


def _apply(state: _State, data: Mapping[str, Any], source: ConfigSource, may_relax: bool) -> None:
    base_dir = Path(source.path).parent if source.path != BUILTIN_PATH else None
    guarded = not source.trusted and not may_relax
    for section, body in data.items():
        for key, value in body.items():
            dotted = f"{section}.{key}"
            spec = SCHEMA[section][key]
            if spec.trusted_only and not source.trusted:
                raise ConfigError(
                    f"{source.path}: {dotted} is only allowed in the user or system config"
                )
            changed = _merge_key(state, dotted, spec, value, source, base_dir, guarded)
            if changed:
                state.provenance[dotted] = str(source)


def _merge_key(
    state: _State,
    dotted: str,
    spec: KeySpec,
    value: Any,
    source: ConfigSource,
    base_dir: Path | None,
    guarded: bool,
) -> bool:
    old = state.values.get(dotted)
    if spec.kind == "list":
        replacement, append, exclude = _list_change(value, f"{source.path}: {dotted}")
        if dotted == "rules.files" and base_dir is not None:
            resolve = functools.partial(_resolve_rule_path, base_dir)
            replacement = None if replacement is None else [resolve(p) for p in replacement]
            append = [resolve(p) for p in append]
        current: list[str] = list(old or [])
        wanted = replacement if replacement is not None else current + append
        wanted = [v for v in dict.fromkeys(wanted) if v not in exclude]
        added = [v for v in wanted if v not in current]
        removed = [v for v in current if v not in wanted]
        if guarded and spec.relaxes_by == "adding" and added:
            state.warnings.append(_relax_warning(source.path, dotted, ", ".join(map(repr, added))))
            wanted = [v for v in wanted if v not in added]
            added = []
        if guarded and spec.relaxes_by == "removing" and removed:
            state.warnings.append(
                _relax_warning(source.path, dotted, "removing " + ", ".join(map(repr, removed)))
            )
            wanted = wanted + removed
            removed = []
        if dotted == "rules.files":
            for path in added:
                state.rule_sources[path] = source
        state.values[dotted] = wanted
        return bool(added or removed)
    if spec.kind == "tiers":
        merged = dict(old or {})
        changed = False
        for rule_id, tier in value.items():
            before = merged.get(rule_id)
            lower = TIERS.index(tier) < TIERS.index(before) if before else tier == "green"
            if guarded and lower:
                state.warnings.append(
                    _relax_warning(source.path, f"{dotted}.{rule_id}", f"tier {tier!r}")
                )
                continue
            merged[rule_id] = tier
            changed = changed or before != tier
        state.values[dotted] = merged
        return changed
    if spec.kind == "int" and guarded and isinstance(old, int) and value > old:
        state.warnings.append(_relax_warning(source.path, dotted, f"raising it to {value}"))
        return False
    state.values[dotted] = value
    return bool(old != value)


def _resolve_rule_path(base_dir: Path, path: str) -> str:
    expanded = Path(os.path.expanduser(path))
    return str(expanded if expanded.is_absolute() else (base_dir / expanded).resolve())


def find_project_root(cwd: str | os.PathLike[str]) -> Path | None:
    """The nearest ancestor of `cwd` (itself included) holding a `.bastion` directory."""
    here = Path(cwd).resolve()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_DIR).is_dir():
            return candidate
    return None


def _user_path() -> Path:
    explicit = os.environ.get("BASTION_USER_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "bastion" / "config.toml"


def _system_path() -> Path:
    return Path(os.environ.get("BASTION_SYSTEM_CONFIG") or "/etc/bastion/config.toml")


def load_config(
    cwd: str | os.PathLike[str] | None = None,
    *,
    system_path: str | None = None,
    user_path: str | None = None,
    include_system_and_user: bool = True,
    include_project: bool = True,
) -> Config:
    state = _State({}, {}, {}, [])
    builtin = ConfigSource("built-in", BUILTIN_PATH, True)
    sources = [builtin]
    _apply(state, _builtin_data(), builtin, True)
    layers: list[tuple[str, Path, bool]] = []
    if include_system_and_user:
        layers.append(("system", Path(system_path) if system_path else _system_path(), True))
        layers.append(("user", Path(user_path) if user_path else _user_path(), True))
    root = find_project_root(cwd if cwd is not None else os.getcwd()) if include_project else None
    if root is not None:
        layers.append(("project", root / PROJECT_DIR / "config.toml", False))
        layers.append(("local", root / PROJECT_DIR / "config.local.toml", False))
    for label, path, trusted in layers:
        data = _read(path, label)
        if data is None:
            continue
        _validate(data, str(path))
        source = ConfigSource(label, str(path), trusted)
        _apply(state, data, source, bool(state.values.get("policy.project_may_relax")))
        sources.append(source)
    return _build(state, tuple(sources), str(root) if root else None)


def _build(state: _State, sources: tuple[ConfigSource, ...], root: str | None) -> Config:
    values = state.values
    builtin = sources[0]
    return Config(
        allowed_executables=frozenset(values["executables.allowed"]),
        disabled=frozenset(values["rules.disabled"]),
        rule_files=tuple(
            RuleFileRef(p, state.rule_sources.get(p, builtin)) for p in values["rules.files"]
        ),
        tiers=MappingProxyType(dict(values["rules.tiers"])),
        limits=Limits(
            max_input_bytes=values["limits.max_input_bytes"],
            max_depth=values["limits.max_depth"],
            max_nodes=values["limits.max_nodes"],
            parse_timeout_ms=values["limits.parse_timeout_ms"],
        ),
        project_may_relax=bool(values["policy.project_may_relax"]),
        project_root=root,
        sources=sources,
        provenance=MappingProxyType(dict(state.provenance)),
        warnings=tuple(state.warnings),
        _values=MappingProxyType(dict(values)),
    )


@functools.cache
def builtin_config() -> Config:
    """Only the built-in layer: what `Guard.default()` uses."""
    return load_config(include_system_and_user=False, include_project=False)
