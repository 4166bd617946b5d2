"""Settings that switch an agent's hooks off even when bastion's entry is in place.

A guard that is installed but disabled is worse than none: the user believes they are covered.
Only switches documented in shared/reference/agent-hooks.md are checked."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bastion.integrations.interface import IntegrationError
from bastion.integrations.settings_file import parse_json_object


def _json(path: Path) -> dict[str, Any] | None:
    try:
        return parse_json_object(path.read_bytes(), path)
    except (OSError, IntegrationError):
        return None  # absent or unreadable: the file report says so where it matters


def _toml(path: Path) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def disabling_switches(agent: str, config_dir: Path, project: Path) -> tuple[str, ...]:
    found: list[str] = []
    if agent == "claude":
        for path in (
            config_dir / "settings.json",
            project / ".claude" / "settings.json",
            project / ".claude" / "settings.local.json",
        ):
            doc = _json(path)
            if doc is not None and doc.get("disableAllHooks") is True:
                found.append(f"{path}: disableAllHooks is true (no hook runs)")
    elif agent == "gemini":
        for path in (config_dir / "settings.json", project / ".gemini" / "settings.json"):
            doc = _json(path)
            cfg = doc.get("hooksConfig") if doc else None
            if not isinstance(cfg, dict):
                continue
            if cfg.get("enabled") is False:
                found.append(f"{path}: hooksConfig.enabled is false (no hook runs)")
            disabled = cfg.get("disabled")
            if isinstance(disabled, list) and "bastion" in disabled:
                found.append(f"{path}: hooksConfig.disabled lists 'bastion'")
    elif agent == "codex":
        for path in (config_dir / "config.toml", project / ".codex" / "config.toml"):
            doc = _toml(path)
            features = doc.get("features") if doc else None
            if isinstance(features, dict):
                for key in ("hooks", "codex_hooks"):
                    if features.get(key) is False:
                        found.append(f"{path}: [features] {key} = false (no hook runs)")
    return tuple(found)
