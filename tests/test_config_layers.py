"""Layered configuration: precedence, merging, provenance, projects that may only tighten."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.config import ConfigError, load_config
from bastion.guard import Guard
from bastion.model import Decision


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def layers(tmp_path: Path):
    project = tmp_path / "proj"
    (project / ".bastion").mkdir(parents=True)
    system = tmp_path / "etc" / "config.toml"
    user = tmp_path / "home" / "config.toml"

    def load(cwd: Path | None = None):
        return load_config(cwd or project, system_path=str(system), user_path=str(user))

    return project, system, user, load


def test_builtin_defaults(layers) -> None:
    _, _, _, load = layers
    config = load()
    assert "strict" in config.disabled
    assert config.limits.max_input_bytes == 65536
    assert "git" in config.allowed_executables
    assert config.provenance["rules.disabled"] == "built-in"


def test_each_layer_overrides_the_one_below(layers) -> None:
    project, system, user, load = layers
    write(system, "[limits]\nmax_depth = 40\nparse_timeout_ms = 40\nmax_nodes = 4000\n")
    write(user, "[limits]\nmax_depth = 30\nparse_timeout_ms = 30\n")
    write(project / ".bastion" / "config.toml", "[limits]\nmax_depth = 20\n")
    write(project / ".bastion" / "config.local.toml", "[limits]\nmax_depth = 10\n")
    config = load()
    assert config.limits.max_depth == 10
    assert config.limits.parse_timeout_ms == 30
    assert config.limits.max_nodes == 4000
    assert config.provenance["limits.max_depth"].startswith("local (")
    assert config.provenance["limits.parse_timeout_ms"].startswith("user (")
    assert [s.label for s in config.sources] == ["built-in", "system", "user", "project", "local"]


def test_append_exclude_and_replace(layers) -> None:
    _, system, user, load = layers
    write(system, '[executables]\nallowed = ["a", "b", "c"]\n')
    write(user, '[executables]\nallowed = { append = ["d", "a"], exclude = ["b"] }\n')
    assert load().value("executables.allowed") == ("a", "c", "d")
    write(user, '[executables.allowed]\nappend = ["z"]\n')
    assert load().value("executables.allowed") == ("a", "b", "c", "z")


def test_tiers_merge_key_by_key(layers) -> None:
    _, system, user, load = layers
    write(system, '[rules]\ntiers = { "a" = "red" }\n')
    write(user, '[rules]\ntiers = { "b" = "yellow" }\n')
    assert dict(load().tiers) == {"a": "red", "b": "yellow"}


def test_nearest_project_is_found_from_a_subdirectory(layers) -> None:
    project, _, _, load = layers
    write(project / ".bastion" / "config.toml", '[rules]\ndisabled = { exclude = ["strict"] }\n')
    sub = project / "src" / "deep"
    sub.mkdir(parents=True)
    config = load(sub)
    assert config.project_root == str(project.resolve())
    assert "strict" not in config.disabled


def test_rule_files_resolve_against_the_config_file(layers, tmp_path: Path) -> None:
    project, _, user, load = layers
    write(user, '[rules]\nfiles = ["mine.rules"]\n')
    write(project / ".bastion" / "config.toml", '[rules]\nfiles = { append = ["team.rules"] }\n')
    refs = load().rule_files
    assert [Path(r.path) for r in refs] == [
        (user.parent / "mine.rules").resolve(),
        (project / ".bastion" / "team.rules").resolve(),
    ]
    assert [r.source.trusted for r in refs] == [True, False]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[executables]\nallowed = { append = ["nc"] }\n', "executables.allowed"),
        ('[rules]\ndisabled = { append = ["git-force-push"] }\n', "rules.disabled"),
        ("[limits]\nmax_input_bytes = 999999\n", "limits.max_input_bytes"),
        ('[rules]\ntiers = { "git-force-push" = "green" }\n', "rules.tiers.git-force-push"),
    ],
)
def test_project_may_not_relax(layers, text: str, key: str) -> None:
    project, _, user, load = layers
    path = write(project / ".bastion" / "config.toml", text)
    config = load()
    assert any(w.startswith(f"{path}: {key}: ignored") for w in config.warnings), config.warnings
    before = load_config(project, system_path="/nonexistent", user_path="/nonexistent",
                         include_project=False)  # fmt: skip
    assert config.value(key.split(".git-")[0]) == before.value(key.split(".git-")[0])
    # The same change applies once the user's own config allows a project to relax.
    write(user, "[policy]\nproject_may_relax = true\n")
    relaxed = load()
    assert not relaxed.warnings
    assert relaxed.value(key.split(".git-")[0]) != before.value(key.split(".git-")[0])


def test_project_may_tighten(layers) -> None:
    project, _, _, load = layers
    write(
        project / ".bastion" / "config.toml",
        '[limits]\nmax_input_bytes = 1000\n[rules]\ndisabled = { exclude = ["strict"] }\n'
        'tiers = { "git-discard-work" = "red" }\n',
    )
    config = load()
    assert not config.warnings
    assert config.limits.max_input_bytes == 1000
    assert "strict" not in config.disabled
    assert config.tiers["git-discard-work"] == "red"


def test_project_may_not_set_project_may_relax(layers) -> None:
    project, _, _, load = layers
    path = write(project / ".bastion" / "config.toml", "[policy]\nproject_may_relax = true\n")
    with pytest.raises(ConfigError) as info:
        load()
    assert str(path) in str(info.value) and "policy.project_may_relax" in str(info.value)


def test_project_allow_rules_are_dropped_unless_relaxing_is_allowed(layers) -> None:
    project, _, user, load = layers
    write(project / ".bastion" / "team.rules",
          'allow "rm-all"\n  match command("rm")\n\n'
          'block "no-telnet"\n  match command("telnet")\n  nudge "use ssh"\n')  # fmt: skip
    write(project / ".bastion" / "config.toml", '[rules]\nfiles = ["team.rules"]\n')
    guard = Guard.from_loaded_config(load())
    assert guard.check("rm -rf /", cwd=str(project)).decision is Decision.DENY
    assert guard.check("telnet example.com", cwd=str(project)).decision is Decision.DENY
    assert any("allow rule 'rm-all' ignored" in w for w in guard.warnings)
    write(user, "[policy]\nproject_may_relax = true\n")
    relaxed = Guard.from_loaded_config(load())
    assert relaxed.check("rm -rf /", cwd=str(project)).decision is Decision.ALLOW


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[limits\nmax_depth = 3\n", "invalid TOML"),
        ("[limits]\nmax_depht = 3\n", "unknown key 'limits.max_depht'"),
        ("[nope]\nx = 1\n", "unknown section [nope]"),
        ('[limits]\nmax_depth = "deep"\n', "limits.max_depth must be a positive whole number"),
        ("[limits]\nmax_depth = 0\n", "limits.max_depth must be a positive whole number"),
        ("[executables]\nallowed = [1, 2]\n", "executables.allowed must be a list of strings"),
        ('[executables]\nallowed = { add = ["x"] }\n', "unknown key 'add'"),
        ('[rules]\ntiers = { x = "purple" }\n', "unknown tier 'purple'"),
        ("[policy]\nproject_may_relax = 1\n", "must be true or false"),
    ],
)
def test_bad_config_is_one_clear_line_naming_file_and_key(layers, text: str, words: str) -> None:
    _, _, user, load = layers
    write(user, text)
    with pytest.raises(ConfigError) as info:
        load()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(user))
    assert words in message


def test_bad_toml_names_the_line(layers) -> None:
    _, _, user, load = layers
    write(user, "[limits]\nmax_depth = 3\nmax_nodes = = 4\n")
    with pytest.raises(ConfigError) as info:
        load()
    assert "line 3" in str(info.value)


def test_disabling_a_rule_or_pack(layers) -> None:
    project, _, user, load = layers
    write(user, '[rules]\ndisabled = { append = ["rm-no-preserve-root", "disk"] }\n')
    guard = Guard.from_loaded_config(load())
    assert guard.check("rm -r --no-preserve-root build", str(project)).decision is Decision.ALLOW
    assert guard.check("dd if=/dev/zero of=/dev/sda").decision is Decision.ALLOW
    assert guard.check("rm -rf /").decision is Decision.DENY
    assert not guard.warnings


def test_replacing_disabled_switches_strict_on(layers) -> None:
    _, _, user, load = layers
    write(user, '[rules]\ndisabled = ["git-force-push"]\n')
    guard = Guard.from_loaded_config(load())
    assert guard.check("frobnicate").decision is Decision.ASK


def test_unknown_disabled_name_warns(layers) -> None:
    _, _, user, load = layers
    write(user, '[rules]\ndisabled = ["no-such-rule"]\n')
    guard = Guard.from_loaded_config(load())
    assert any("no-such-rule" in w for w in guard.warnings)


def test_tier_override_moves_a_rule(layers) -> None:
    _, _, user, load = layers
    write(user, '[rules]\ntiers = { "git-discard-paths" = "red" }\n')
    guard = Guard.from_loaded_config(load())
    verdict = guard.check("git checkout -- src/app.py")
    assert str(verdict.tier) == "red"
