"""Load the guard for a working directory, turning load errors into a deny (fail closed)."""

from __future__ import annotations

import sys

from bastion.config import ConfigError
from bastion.guard import Guard
from bastion.model import Decision, Finding, Tier, Verdict
from bastion.rules.loader import RuleLoadError

POLICY_ERROR = "guard.policy-error"


class PolicyUnavailable(Exception):
    """The config or a rule file is broken: nothing can be judged with it."""

    def verdict(self) -> Verdict:
        return Verdict.combine(
            [
                Finding(
                    layer="config",
                    rule_id=POLICY_ERROR,
                    decision=Decision.DENY,
                    tier=Tier.RED,
                    message=f"bastion could not load its policy, so it denies: {self}",
                )
            ]
        )


def load_guard(cwd: str, *, show_warnings: bool = True) -> Guard:
    try:
        guard = Guard.from_config(cwd)
    except (ConfigError, RuleLoadError) as exc:
        raise PolicyUnavailable(str(exc)) from exc
    if show_warnings:
        for warning in guard.warnings:
            print(f"bastion: warning: {warning}", file=sys.stderr)
    return guard
