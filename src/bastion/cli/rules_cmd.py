"""`bastion rules list|test|lint`."""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

from bastion.cli.output import dump_json
from bastion.cli.policy import PolicyUnavailable, load_guard
from bastion.rules.dsl import RuleSyntaxError
from bastion.rules.engine import RuleSet
from bastion.rules.loader import RuleLoadError, load_rule_file
from bastion.rules.model import RegexMatch, RuleFile
from bastion.rules.testing import check_examples

_LOOKS_LIKE_CALL = re.compile(r"[a-z_]+\(")


def run(args: argparse.Namespace) -> int:
    action = args.rules_command
    if action == "list":
        return _list(args)
    if action == "test":
        return _test(args)
    return _lint(args)


def _ruleset(args: argparse.Namespace) -> RuleSet:
    """The given files on their own, or the whole active policy."""
    files: list[str] = list(getattr(args, "files", []) or [])
    if files:
        loaded = [load_rule_file(f) for f in files]
        return RuleSet(
            loaded, lists={"allowed_executables": frozenset(), "executables.allowed": frozenset()}
        )
    cwd = os.path.abspath(args.cwd) if args.cwd else os.getcwd()
    return load_guard(cwd).rules


def _list(args: argparse.Namespace) -> int:
    try:
        ruleset = _ruleset(args)
    except (PolicyUnavailable, RuleLoadError) as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return 1
    active = {r.id for r in ruleset.rules}
    rows: list[dict[str, Any]] = [
        {
            "id": r.id,
            "action": r.action.value,
            "tier": str(ruleset.tier_of(r)),
            "pack": r.pack,
            "enabled": r.id in active,
            "description": r.description,
            "position": str(r.position),
        }
        for r in ruleset.all_rules
    ]
    if args.json:
        dump_json(rows)
        return 0
    width = max((len(r["id"]) for r in rows), default=10)
    for row in rows:
        state = "" if row["enabled"] else "  (disabled)"
        print(
            f"{row['id']:<{width}}  {row['action']:<10} {row['tier']:<6} {row['pack']:<12} "
            f"{row['description']}{state}"
        )
    print(f"{len(rows)} rules, {len(active)} enabled")
    return 0


def _test(args: argparse.Namespace) -> int:
    try:
        ruleset = _ruleset(args)
    except (PolicyUnavailable, RuleLoadError) as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return 1
    report = check_examples(ruleset)
    if args.json:
        dump_json(
            {
                "checked": report.checked,
                "failures": [str(f) for f in report.failures],
                "rules_without_examples": list(report.rules_without_examples),
            }
        )
    else:
        for failure in report.failures:
            print(f"FAIL {failure}")
        for rule_id in report.rules_without_examples:
            print(f"warning: rule {rule_id!r} has no example")
        verdict = "ok" if not report.failures else f"{len(report.failures)} failed"
        print(f"{report.checked} examples checked over {len(ruleset.all_rules)} rules: {verdict}")
    return 1 if report.failures else 0


def _lint(args: argparse.Namespace) -> int:
    errors: list[str] = []
    warnings: list[str] = []
    files: list[RuleFile] = []
    if args.files:
        for path in args.files:
            try:
                files.append(load_rule_file(path))
            except RuleLoadError as exc:
                errors.append(str(exc))
        if not errors:
            try:
                RuleSet(
                    files,
                    lists={"allowed_executables": frozenset(), "executables.allowed": frozenset()},
                )
            except RuleSyntaxError as exc:
                errors.append(str(exc))
    else:
        try:
            files = list(_ruleset(args).files)
        except (PolicyUnavailable, RuleLoadError) as exc:
            errors.append(str(exc))
    for rule_file in files:
        for rule in rule_file.rules:
            if not rule.examples:
                warnings.append(f"{rule.position}: rule {rule.id!r} has no example that must match")
            if not rule.counter_examples and rule.action.value != "allow":
                warnings.append(f"{rule.position}: rule {rule.id!r} has no not_example")
            for matcher in rule.matchers:
                if isinstance(matcher, RegexMatch) and _LOOKS_LIKE_CALL.match(matcher.pattern):
                    warnings.append(
                        f"{matcher.position}: this match is read as a regex; if you meant a "
                        "predicate, check its name (bastion rules lint lists them in the README)"
                    )
    if args.json:
        dump_json({"errors": errors, "warnings": warnings})
    else:
        for line in errors:
            print(f"error: {line}")
        for line in warnings:
            print(f"warning: {line}")
        print(f"{len(files)} file(s): {len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0
