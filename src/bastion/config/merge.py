"""Merging one layer's settings over the layers below it.

A project file comes with the repository an agent works in, so it is untrusted: unless a
trusted layer set `policy.project_may_relax`, each change of it that relaxes the policy is
dropped with a warning naming the file and key, and the rest of the file still applies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bastion.config.model import ConfigSource
from bastion.config.schema import SCHEMA, TIERS, KeySpec, ListChange, Setting

RULE_FILES = "rules.files"


@dataclass
class MergeState:
    """The values merged so far; thrown away whole if a later layer fails."""

    values: dict[str, object] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    rule_sources: dict[str, ConfigSource] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def list_value(self, dotted: str) -> list[str]:
        value = self.values.get(dotted, [])
        assert isinstance(value, list)
        return value

    def tiers_value(self) -> dict[str, str]:
        value = self.values.get("rules.tiers", {})
        assert isinstance(value, dict)
        return value


def relax_warning(path: str, key: str, what: str) -> str:
    return (
        f"{path}: {key}: ignored {what}: a project config may only tighten the policy "
        "(set policy.project_may_relax = true in your user config to allow it)"
    )


def resolve_rule_path(base_dir: Path, path: str) -> str:
    """Relative to the directory of the config file that named it; always absolute."""
    return str((base_dir / os.path.expanduser(path)).resolve())


def apply_layer(
    state: MergeState, settings: Mapping[str, Setting], source: ConfigSource, base_dir: Path
) -> None:
    # Only trusted layers can set project_may_relax, so by the time a project layer is
    # applied its value is final.
    guarded = not source.trusted and not state.values.get("policy.project_may_relax", False)
    for dotted, setting in settings.items():
        section, key = dotted.split(".", 1)
        spec = SCHEMA[section][key]
        if isinstance(setting, ListChange):
            if dotted == RULE_FILES:
                setting = setting.map(lambda p: resolve_rule_path(base_dir, p))
            changed = _merge_list(state, dotted, spec, setting, source, guarded)
        elif spec.kind == "tiers":
            assert isinstance(setting, Mapping)
            changed = _merge_tiers(state, dotted, setting, source, guarded)
        else:
            changed = _merge_scalar(state, dotted, spec, setting, source, guarded)
        # The first layer (built-in) owns every key, even one it sets to an empty value.
        if changed or dotted not in state.provenance:
            state.provenance[dotted] = str(source)


def _merge_list(
    state: MergeState,
    dotted: str,
    spec: KeySpec,
    change: ListChange,
    source: ConfigSource,
    guarded: bool,
) -> bool:
    current = state.list_value(dotted)
    wanted = change.apply(current)
    added = [v for v in wanted if v not in current]
    removed = [v for v in current if v not in wanted]
    if guarded and spec.relaxes_by == "adding" and added:
        state.warnings.append(relax_warning(source.path, dotted, ", ".join(map(repr, added))))
        wanted = [v for v in wanted if v not in added]
        added = []
    if guarded and spec.relaxes_by == "removing" and removed:
        what = "removing " + ", ".join(map(repr, removed))
        state.warnings.append(relax_warning(source.path, dotted, what))
        wanted = [*current, *added]  # keep what the lower layers had, in their order
    if dotted == RULE_FILES:
        for path in added:
            state.rule_sources[path] = source
    state.values[dotted] = wanted
    return wanted != current


def _merge_tiers(
    state: MergeState,
    dotted: str,
    tiers: Mapping[str, str],
    source: ConfigSource,
    guarded: bool,
) -> bool:
    merged = dict(state.tiers_value())
    changed = False
    for rule_id, tier in tiers.items():
        before = merged.get(rule_id)
        # With no configured tier we cannot tell the rule's own one: only red is surely not
        # lower (a red ask is approvable once at a time; yellow would allow "always").
        lower = TIERS.index(tier) < TIERS.index(before) if before else tier != "red"
        if guarded and lower:
            key = f"{dotted}.{rule_id}"
            state.warnings.append(relax_warning(source.path, key, f"tier {tier!r}"))
            continue
        changed = changed or before != tier
        merged[rule_id] = tier
    state.values[dotted] = merged
    return changed


def _merge_scalar(
    state: MergeState,
    dotted: str,
    spec: KeySpec,
    value: Setting,
    source: ConfigSource,
    guarded: bool,
) -> bool:
    old = state.values.get(dotted)
    raising = isinstance(old, int) and isinstance(value, int) and value > old
    if guarded and spec.relaxes_by == "raising" and raising:
        what = f"raising it from {old} to {value}"
        state.warnings.append(relax_warning(source.path, dotted, what))
        return False
    lowering = isinstance(old, int) and isinstance(value, int) and value < old
    if guarded and spec.relaxes_by == "lowering" and lowering:
        what = f"lowering it from {old} to {value}"
        state.warnings.append(relax_warning(source.path, dotted, what))
        return False
    state.values[dotted] = value
    return old != value
