from __future__ import annotations

from pathlib import Path

import pytest

from bastion.guard import Guard
from bastion.layers.commands import CommandLayer
from bastion.rules.engine import RuleSet
from bastion.rules.loader import builtin_rule_files, load_rule_file, load_rule_text

FIXTURES = Path(__file__).parent / "fixtures"
HOME = "/home/user"
PROJECT = "/home/user/project"


def guard_from_rules(
    *texts: str, allowed: frozenset[str] = frozenset(), builtin: bool = False
) -> Guard:
    files = list(builtin_rule_files()) if builtin else []
    files += [load_rule_text(t, f"<test-{i}>", f"test{i}") for i, t in enumerate(texts)]
    lists = {"allowed_executables": allowed, "executables.allowed": allowed}
    return Guard([CommandLayer(RuleSet(files, lists=lists), home=HOME, project_root=PROJECT)])


@pytest.fixture(scope="session")
def default_guard() -> Guard:
    """The built-in packs (strict off), judged from a fixed home and project."""
    files = builtin_rule_files()
    lists = {"allowed_executables": frozenset(), "executables.allowed": frozenset()}
    ruleset = RuleSet(files, disabled=frozenset({"strict"}), lists=lists)
    return Guard([CommandLayer(ruleset, home=HOME, project_root=PROJECT)])


@pytest.fixture(scope="session")
def design_rules_path() -> Path:
    return FIXTURES / "design.rules"


def load_design() -> Guard:
    rule_file = load_rule_file(FIXTURES / "design.rules")
    allowed = frozenset({"ls", "git", "cat", "rm", "echo", "curl", "nc"})
    lists = {"allowed_executables": allowed, "executables.allowed": allowed}
    return Guard([CommandLayer(RuleSet([rule_file], lists=lists), home=HOME, project_root=PROJECT)])
