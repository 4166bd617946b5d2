"""Where rules come from: the packs shipped in the package, plus files the config names."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from bastion.config import Config
from bastion.model import Tier
from bastion.rules import pack_cache
from bastion.rules.dsl import RuleSyntaxError, parse_rules
from bastion.rules.engine import RuleSet
from bastion.rules.model import Action, Position, RuleFile

_PACKS = "bastion.rules.packs"


class RuleLoadError(Exception):
    """A rule file could not be read or parsed: one line with file, line and column."""


def load_rule_text(text: str, path: str, pack: str) -> RuleFile:
    try:
        return parse_rules(text, path, pack)
    except RuleSyntaxError as exc:
        raise RuleLoadError(str(exc)) from exc


def load_rule_file(path: str | Path) -> RuleFile:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleLoadError(f"{file}: cannot read rule file: {exc}") from exc
    return load_rule_text(text, str(file), file.stem)


@functools.cache
def builtin_rule_files() -> tuple[RuleFile, ...]:
    packs = [
        (entry.name, entry.read_text("utf-8"))
        for entry in sorted(resources.files(_PACKS).iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".rules")
    ]
    key = pack_cache.cache_key(packs)
    cached = pack_cache.load(key)
    if cached is not None:
        return cached
    found = tuple(
        load_rule_text(text, f"<built-in>/{name}", name.removesuffix(".rules"))
        for name, text in packs
    )
    pack_cache.store(key, found)
    return found


def config_lists(config: Config) -> dict[str, frozenset[str]]:
    """Config lists a rule may name, by their DSL name and by their dotted key."""
    allowed = frozenset(config.allowed_executables)
    return {"allowed_executables": allowed, "executables.allowed": allowed}


def build_ruleset(config: Config, extra: tuple[RuleFile, ...] = ()) -> tuple[RuleSet, list[str]]:
    """The rule set the config asks for, and warnings about what was dropped from it."""
    warnings: list[str] = []
    files = list(builtin_rule_files())
    for ref in config.rule_files:
        rule_file = load_rule_file(ref.path)
        if not ref.source.trusted and not config.project_may_relax:
            kept = tuple(r for r in rule_file.rules if r.action is not Action.ALLOW)
            for rule in rule_file.rules:
                if rule.action is Action.ALLOW:
                    warnings.append(
                        f"{rule.position}: allow rule {rule.id!r} ignored: a project rule file may "
                        "only tighten the policy (set policy.project_may_relax = true in your user "
                        "config to allow it)"
                    )
            rule_file = RuleFile(rule_file.path, rule_file.pack, kept, rule_file.flags)
        files.append(rule_file)
    files.extend(extra)
    tiers = {rule_id: Tier[name.upper()] for rule_id, name in config.tiers.items()}
    try:
        ruleset = RuleSet(
            files, disabled=frozenset(config.disabled), tiers=tiers, lists=config_lists(config)
        )
    except RuleSyntaxError as exc:
        raise RuleLoadError(str(exc)) from exc
    known = {r.id for r in ruleset.all_rules} | {f.pack for f in files}
    for name in sorted(set(config.disabled) - known):
        warnings.append(f"rules.disabled names {name!r}, which is no rule id or pack")
    return ruleset, warnings


__all__ = [
    "Position",
    "RuleLoadError",
    "build_ruleset",
    "builtin_rule_files",
    "load_rule_file",
    "load_rule_text",
]
