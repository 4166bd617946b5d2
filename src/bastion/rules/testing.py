"""Check every rule against its own examples: what must match does, what must not does not."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.layers.commands import CommandLayer
from bastion.rules.engine import RuleSet

# The fixed world examples are judged in, so results do not depend on who runs the test.
EXAMPLE_HOME = "/home/user"
EXAMPLE_CWD = "/home/user/project"


@dataclass(frozen=True)
class ExampleFailure:
    rule_id: str
    position: str
    example: str
    expected_match: bool
    matched_rules: tuple[str, ...]

    def __str__(self) -> str:
        want = "should match" if self.expected_match else "should not match"
        got = ", ".join(self.matched_rules) or "nothing"
        return f"{self.position}: {self.rule_id}: {want} {self.example!r} (matched: {got})"


@dataclass(frozen=True)
class ExampleReport:
    checked: int
    failures: tuple[ExampleFailure, ...]
    rules_without_examples: tuple[str, ...]


def check_examples(ruleset: RuleSet) -> ExampleReport:
    """Every rule, enabled or not, is checked against its examples."""
    everything = RuleSet(ruleset.files, lists=ruleset.lists)
    layer = CommandLayer(everything, home=EXAMPLE_HOME, project_root=EXAMPLE_CWD)
    failures: list[ExampleFailure] = []
    checked = 0
    missing: list[str] = []
    for rule in everything.rules:
        if not rule.examples:
            missing.append(rule.id)
        cases = [(e, True) for e in rule.examples] + [(e, False) for e in rule.counter_examples]
        for example, expected in cases:
            checked += 1
            analysis = layer.analyse(example, EXAMPLE_CWD)
            matched = tuple(dict.fromkeys(h.rule.id for h in analysis.hits))
            if (rule.id in matched) != expected:
                failures.append(
                    ExampleFailure(rule.id, str(rule.position), example, expected, matched)
                )
    return ExampleReport(checked, tuple(failures), tuple(missing))
