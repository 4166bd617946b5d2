"""Layered TOML: built-in < system < user < project < local, merged key by key.

Any error aborts the whole load: a Config is built only after every layer validated and
merged, so nothing half-loads.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from bastion.config import locate
from bastion.config.errors import ConfigError
from bastion.config.locate import find_project_root
from bastion.config.merge import MergeState, apply_layer
from bastion.config.model import BUILTIN_PATH, Config, ConfigSource, Limits, RuleFileRef
from bastion.config.schema import Setting, validate

__all__ = ["builtin_config", "find_project_root", "load_config"]

BUILTIN = ConfigSource("built-in", BUILTIN_PATH, True)


def _parse(text: str, path: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line X, column Y)".
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def _read(path: Path, label: str) -> dict[str, object] | None:
    """The file's TOML, or None if it does not exist (a missing layer is simply skipped)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the {label} config: {exc}") from exc
    return _parse(text, str(path))


@functools.cache
def _builtin_settings() -> Mapping[str, Setting]:
    text = resources.files("bastion.config").joinpath("defaults.toml").read_text("utf-8")
    # Validated like any other layer: a broken default must fail loudly, not half-apply.
    return MappingProxyType(validate(_parse(text, BUILTIN_PATH), BUILTIN_PATH, trusted=True))


def _layer_files(
    root: Path | None, system_path: str | None, user_path: str | None, system_and_user: bool
) -> Iterator[tuple[str, Path, bool]]:
    if system_and_user:
        yield "system", Path(system_path) if system_path else locate.system_path(), True
        yield "user", Path(user_path) if user_path else locate.user_path(), True
    if root is not None:
        project, local = locate.project_files(root)
        yield "project", project, False
        yield "local", local, False


def load_config(
    cwd: str | os.PathLike[str] | None = None,
    *,
    system_path: str | None = None,
    user_path: str | None = None,
    include_system_and_user: bool = True,
    include_project: bool = True,
) -> Config:
    """Merge every layer that exists for `cwd` (default: the process's cwd); raise on any error.

    `system_path` / `user_path` replace the env / default locations; the project root is the
    nearest ancestor of `cwd` with a `.bastion` directory.
    """
    state = MergeState()
    apply_layer(state, _builtin_settings(), BUILTIN, Path(__file__).parent)
    sources = [BUILTIN]
    root = find_project_root(os.getcwd() if cwd is None else cwd) if include_project else None
    for label, path, trusted in _layer_files(root, system_path, user_path, include_system_and_user):
        data = _read(path, label)
        if data is None:
            continue
        source = ConfigSource(label, str(path), trusted)
        apply_layer(state, validate(data, source.path, trusted=trusted), source, path.parent)
        sources.append(source)
    return _build(state, tuple(sources), None if root is None else str(root))


def _frozen(value: object) -> object:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    return value


def _build(state: MergeState, sources: tuple[ConfigSource, ...], root: str | None) -> Config:
    values = {key: _frozen(value) for key, value in state.values.items()}

    def ints(key: str) -> int:
        value = values[f"limits.{key}"]
        assert isinstance(value, int)
        return value

    return Config(
        allowed_executables=frozenset(state.list_value("executables.allowed")),
        disabled=frozenset(state.list_value("rules.disabled")),
        rule_files=tuple(
            RuleFileRef(path, state.rule_sources.get(path, BUILTIN))
            for path in state.list_value("rules.files")
        ),
        tiers=MappingProxyType(dict(state.tiers_value())),
        limits=Limits(
            max_input_bytes=ints("max_input_bytes"),
            max_depth=ints("max_depth"),
            max_nodes=ints("max_nodes"),
            parse_timeout_ms=ints("parse_timeout_ms"),
        ),
        project_may_relax=values["policy.project_may_relax"] is True,
        project_root=root,
        sources=sources,
        provenance=MappingProxyType(dict(state.provenance)),
        warnings=tuple(state.warnings),
        _values=MappingProxyType(values),
    )


@functools.cache
def builtin_config() -> Config:
    """Only the built-in layer: what `Guard.default()` uses."""
    return load_config(include_system_and_user=False, include_project=False)
