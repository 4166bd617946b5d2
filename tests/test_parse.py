"""The parser: words resolved as bash would, commands at every level, budgets enforced."""

from __future__ import annotations

import time

import pytest

from bastion.shell.budget import Budget, BudgetExceeded, Limits
from bastion.shell.parse import parse_script


def parse(source: str, **limits: int):
    return parse_script(source, Budget(Limits(**limits)), env={"HOME": "/home/user"})


@pytest.mark.parametrize(
    "source",
    [
        "r''m -rf /",
        '"r"m -rf /',
        "\\rm -rf /",
        "$'\\x72m' -rf /",
        "'rm' -rf /",
        'r""m -rf /',
        "$'\\162\\155' -rf /",
        "$'r\\u006d' -rf /",
    ],
)
def test_quotes_and_escapes_resolve_to_the_same_name(source: str) -> None:
    script = parse(source)
    assert [c.argv() for c in script.commands] == [["rm", "-rf", "/"]]


def test_dynamic_words_are_marked() -> None:
    (command,) = parse('$CMD -rf "$TARGET"').commands
    assert command.words[0].dynamic and command.words[2].dynamic
    assert command.base_name is None


def test_home_resolves_in_words() -> None:
    (command,) = parse('rm -rf "$HOME/x" ${HOME}').commands
    assert command.argv() == ["rm", "-rf", "/home/user/x", "/home/user"]


def test_pipelines_lists_and_substitutions() -> None:
    script = parse("a | b && c $(d | e) > out; f <(g)")
    by_name = {c.base_name: c for c in script.commands}
    assert set(by_name) == {"a", "b", "c", "d", "e", "f", "g"}
    assert by_name["a"].pipes[0].pipeline == by_name["b"].pipes[0].pipeline
    assert (by_name["a"].pipes[0].stage, by_name["b"].pipes[0].stage) == (0, 1)
    assert by_name["d"].depth == 1 and by_name["g"].depth == 1
    assert [str(r.target) for r in by_name["c"].redirects] == ["out"]
    assert by_name["d"].pipes[0].pipeline != by_name["a"].pipes[0].pipeline


def test_redirect_binds_to_the_last_command_of_a_list() -> None:
    script = parse("a && b > /dev/sda")
    by_name = {c.base_name: c for c in script.commands}
    assert by_name["a"].redirects == ()
    assert str(by_name["b"].redirects[0].target) == "/dev/sda"


def test_group_redirect_applies_to_every_command() -> None:
    script = parse("{ a; b; } > f")
    assert all(str(c.redirects[0].target) == "f" for c in script.commands)


def test_heredoc_pipeline_is_one_pipeline() -> None:
    script = parse("cat <<'EOF' | bash\nrm -rf /\nEOF")
    by_name = {c.base_name: c for c in script.commands}
    assert by_name["cat"].redirects[0].heredoc_body == "rm -rf /\n"
    assert by_name["cat"].pipes[0].pipeline == by_name["bash"].pipes[0].pipeline
    assert by_name["bash"].pipes[0].stage == 1


def test_prefix_assignments() -> None:
    (command,) = parse("FOO=1 LC_ALL=C rm -rf /").commands
    assert command.argv() == ["rm", "-rf", "/"]
    assert [name for name, _ in command.assignments] == ["FOO", "LC_ALL"]


def test_code_text_blanks_data_but_keeps_substitutions() -> None:
    script = parse('git commit -m "rm -rf / $(id)" && cat <<EOF\nrm -rf /\nEOF')
    assert "rm -rf /" not in script.code_text
    assert "$(id)" in script.code_text
    assert script.code_text.startswith("git commit -m")


def test_syntax_errors_are_reported_with_position() -> None:
    script = parse("echo 'unterminated")
    assert script.syntax_errors
    assert "line 1" in script.syntax_errors[0]


def test_input_size_budget() -> None:
    with pytest.raises(BudgetExceeded) as info:
        parse("echo " + "a" * 100, max_input_bytes=50)
    assert info.value.budget == "input-size"


def test_depth_budget_on_nested_substitutions() -> None:
    source = "echo " + "$(" * 100 + "x" + ")" * 100
    with pytest.raises(BudgetExceeded) as info:
        parse(source, max_depth=64)
    assert info.value.budget == "nesting-depth"


def test_node_budget() -> None:
    with pytest.raises(BudgetExceeded) as info:
        parse("a; " * 500, max_nodes=100)
    assert info.value.budget == "node-count"


def test_unclosed_substitutions_do_not_blow_up() -> None:
    source = "rm -rf / --no-preserve-root ; " + "$(" * 40
    start = time.perf_counter()
    script = parse(source)
    assert time.perf_counter() - start < 1.0  # generous: the benchmark holds the real bound
    assert ["rm", "-rf", "/", "--no-preserve-root"] in [c.argv() for c in script.commands]
