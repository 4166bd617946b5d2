"""The fast paths of rule loading read exactly what the character-by-character reader did."""

from __future__ import annotations

import pytest

from bastion.rules import regexes
from bastion.rules.dsl import RuleSyntaxError, parse_rules


def _reference_string(text: str, index: int) -> tuple[str, int] | None:
    """The old reader: a backslash escapes \" \\ n t, keeps itself before anything else."""
    out: list[str] = []
    i = index + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in '"\\':
                out.append(nxt)
            elif nxt in "nt":
                out.append("\n" if nxt == "n" else "\t")
            else:
                out.append("\\" + nxt)
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return None


def _rule(clause: str) -> str:
    return f'block "x"\n  match command("rm")\n  nudge "n"\n  {clause}\n'


STRINGS = [
    r'"plain"',
    r'""',
    r'"a \"quoted\" word"',
    r'"back\\slash"',
    r'"tab\tnewline\n"',
    r'"regex \s+\d{2}\b"',
    r'"ends with escaped backslash\\"',
    r'"\\\""',
    r'"unicode é ✓"',
]


@pytest.mark.parametrize("literal", STRINGS)
def test_strings_read_as_before(literal: str) -> None:
    expected = _reference_string(literal, 0)
    assert expected is not None
    rules = parse_rules(_rule(f"description {literal}"), "t", "t")
    assert rules.rules[0].description == expected[0]


@pytest.mark.parametrize("literal", [r'"open', r'"escaped end\"', '"trailing \\'])
def test_unterminated_strings_fail_at_their_quote(literal: str) -> None:
    assert _reference_string(literal, 0) is None
    with pytest.raises(RuleSyntaxError) as info:
        parse_rules(_rule(f"description {literal}"), "t", "t")
    assert info.value.message == "unterminated string"
    assert info.value.position.column == 15


def test_strings_without_spaces_between_them() -> None:
    rules = parse_rules(_rule('example "a""b"\t"c" # note'), "t", "t")
    assert rules.rules[0].examples == ("a", "b", "c")


def test_a_checked_regex_is_compiled_once() -> None:
    pattern = r"speed-test-(?:once)\d+"
    assert regexes.compile_error(pattern) is None
    assert regexes.compile_regex(pattern) is regexes.compile_regex(pattern)
    lazy = regexes.LazyRegex(pattern)
    assert lazy.fullmatch("speed-test-once42")
    assert lazy.search("x speed-test-once1 y")
    assert not lazy.fullmatch("speed-test-once")


def test_a_bad_regex_still_reports_why() -> None:
    assert regexes.compile_error(r"(a)\1")
    assert regexes.compile_error(r"(a)\1")  # errors are not cached as successes
