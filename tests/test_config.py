"""bastion.config: layer precedence, merging, provenance, tighten-only projects, errors."""

from __future__ import annotations

import dataclasses
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from bastion.config import (
    BastionError,
    Config,
    ConfigError,
    builtin_config,
    find_project_root,
    load_config,
)

RELAX_HINT = "(set policy.project_may_relax = true in your user config to allow it)"


@dataclasses.dataclass
class Layers:
    """One file per layer under tmp_path; `load` reads exactly these, never the real machine."""

    root: Path
    project: Path
    system: Path
    user: Path

    @property
    def project_file(self) -> Path:
        return self.project / ".bastion" / "config.toml"

    @property
    def local_file(self) -> Path:
        return self.project / ".bastion" / "config.local.toml"

    def path(self, label: str) -> Path:
        paths = {
            "system": self.system,
            "user": self.user,
            "project": self.project_file,
            "local": self.local_file,
        }
        return paths[label]

    def write(self, label: str, text: str) -> Path:
        path = self.path(label)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def load(self, cwd: Path | None = None) -> Config:
        return load_config(
            self.project if cwd is None else cwd,
            system_path=str(self.system),
            user_path=str(self.user),
        )


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BASTION_SYSTEM_CONFIG", "BASTION_USER_CONFIG", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "fake-home"))


@pytest.fixture
def layers(tmp_path: Path) -> Layers:
    project = tmp_path / "proj"
    (project / ".bastion").mkdir(parents=True)
    return Layers(tmp_path, project, tmp_path / "etc" / "config.toml", tmp_path / "u" / "c.toml")


def shipped_defaults() -> dict[str, dict[str, object]]:
    text = resources.files("bastion.config").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


# --- the built-in layer ---------------------------------------------------------------------


def test_builtin_config_is_the_shipped_defaults() -> None:
    config = builtin_config()
    defaults = shipped_defaults()
    assert config.disabled == frozenset({"strict"})
    assert {"ls", "cat", "git", "python3", "grep"} <= config.allowed_executables
    assert len(config.allowed_executables) >= 100
    assert dataclasses.asdict(config.limits) == defaults["limits"]
    assert config.rule_files == () and dict(config.tiers) == {}
    assert config.project_may_relax is False
    assert config.project_root is None
    assert [(s.label, s.path, s.trusted) for s in config.sources] == [
        ("built-in", "<built-in>", True)
    ]
    every_key = {f"{section}.{key}" for section, body in defaults.items() for key in body}
    assert dict(config.provenance) == dict.fromkeys(every_key, "built-in")
    assert config.warnings == ()


def test_builtin_config_is_cached_and_ignores_every_file(layers: Layers) -> None:
    layers.write("user", "[limits]\nmax_depth = 3\n")
    assert builtin_config() is builtin_config()
    assert builtin_config().limits.max_depth == shipped_defaults()["limits"]["max_depth"]


def test_value_and_as_dict(layers: Layers) -> None:
    layers.write("user", '[executables]\nallowed = ["zz", "aa"]\n[rules]\ntiers = { x = "red" }\n')
    config = layers.load()
    assert config.value("executables.allowed") == ("zz", "aa")
    assert config.value("limits.max_nodes") == config.limits.max_nodes
    assert config.value("policy.project_may_relax") is False
    with pytest.raises(KeyError):
        config.value("limits.max_deepness")
    data = config.as_dict()
    assert set(data) == {
        "policy", "executables", "rules", "limits", "daemon", "mcp", "network", "paths", "tools",
        "content", "secrets", "approvals", "events", "gateway", "sandbox", "audit",
    }  # fmt: skip
    assert data["executables"]["allowed"] == ["zz", "aa"]
    assert data["rules"]["tiers"] == {"x": "red"}
    assert type(data["rules"]["tiers"]) is dict
    assert data["limits"]["max_depth"] == config.limits.max_depth


def test_config_cannot_be_changed_after_loading(layers: Layers) -> None:
    layers.write("user", '[rules]\ntiers = { x = "red" }\n')
    config = layers.load()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.project_root = "/elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.tiers["x"] = "green"  # type: ignore[index]
    with pytest.raises(TypeError):
        config.value("rules.tiers")["x"] = "green"  # type: ignore[index]
    assert config.as_dict()["rules"]["tiers"] == {"x": "red"}


# --- finding and stacking the layers --------------------------------------------------------


def test_missing_files_are_skipped(layers: Layers) -> None:
    config = layers.load()
    assert [s.label for s in config.sources] == ["built-in"]
    assert config.project_root == str(layers.project.resolve())
    assert config.limits == builtin_config().limits


def test_each_layer_overrides_the_one_below(layers: Layers) -> None:
    layers.write("system", "[limits]\nmax_nodes = 500\nmax_depth = 50\nparse_timeout_ms = 45\n")
    layers.write("user", "[limits]\nmax_nodes = 400\nmax_depth = 40\n")
    layers.write("project", "[limits]\nmax_nodes = 300\n")
    layers.write("local", "[limits]\nmax_nodes = 200\n")
    config = layers.load()
    assert config.limits.max_nodes == 200
    assert config.limits.max_depth == 40
    assert config.limits.parse_timeout_ms == 45
    assert config.limits.max_input_bytes == builtin_config().limits.max_input_bytes
    assert [(s.label, s.trusted) for s in config.sources] == [
        ("built-in", True),
        ("system", True),
        ("user", True),
        ("project", False),
        ("local", False),
    ]
    assert [s.path for s in config.sources[1:]] == [
        str(layers.system),
        str(layers.user),
        str(layers.project_file),
        str(layers.local_file),
    ]


def test_provenance_names_the_layer_that_last_changed_a_key(layers: Layers) -> None:
    layers.write("system", "[limits]\nmax_nodes = 500\nmax_depth = 50\n")
    layers.write("user", "[limits]\nmax_depth = 40\n")
    # Restating the current value is not a change: max_depth still comes from the user.
    layers.write("project", "[limits]\nmax_nodes = 300\nmax_depth = 40\n")
    config = layers.load()
    assert config.provenance["limits.max_nodes"] == f"project ({layers.project_file})"
    assert config.provenance["limits.max_depth"] == f"user ({layers.user})"
    assert config.provenance["limits.max_input_bytes"] == "built-in"
    assert config.provenance["rules.disabled"] == "built-in"


def test_env_variables_locate_system_and_user(
    layers: Layers, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = layers.write("system", "[limits]\nmax_depth = 11\n")
    user = layers.write("user", "[limits]\nmax_nodes = 22\n")
    monkeypatch.setenv("BASTION_SYSTEM_CONFIG", str(system))
    monkeypatch.setenv("BASTION_USER_CONFIG", str(user))
    config = load_config(layers.project)
    assert (config.limits.max_depth, config.limits.max_nodes) == (11, 22)
    assert [(s.label, s.path) for s in config.sources[1:]] == [
        ("system", str(system)),
        ("user", str(user)),
    ]
    # Explicit arguments win over the environment.
    other = layers.root / "other.toml"
    other.write_text("[limits]\nmax_nodes = 33\n")
    assert load_config(layers.project, user_path=str(other)).limits.max_nodes == 33


def test_user_config_under_xdg_config_home_or_home(
    layers: Layers, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home_file = tmp_path / "fake-home" / ".config" / "bastion" / "config.toml"
    home_file.parent.mkdir(parents=True)
    home_file.write_text("[limits]\nmax_depth = 7\n")
    config = load_config(layers.project, system_path=str(layers.system))
    assert config.limits.max_depth == 7
    assert config.sources[-1].path == str(home_file)

    xdg_file = tmp_path / "xdg" / "bastion" / "config.toml"
    xdg_file.parent.mkdir(parents=True)
    xdg_file.write_text("[limits]\nmax_depth = 8\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert load_config(layers.project, system_path=str(layers.system)).limits.max_depth == 8


def test_include_system_and_user_false_skips_them(layers: Layers) -> None:
    layers.write("system", "[limits]\nmax_depth = 11\n")
    layers.write("user", "[limits]\nmax_depth = 12\n")
    layers.write("project", "[limits]\nmax_nodes = 99\n")
    config = load_config(
        layers.project,
        system_path=str(layers.system),
        user_path=str(layers.user),
        include_system_and_user=False,
    )
    assert [s.label for s in config.sources] == ["built-in", "project"]
    assert config.limits.max_depth == builtin_config().limits.max_depth
    assert config.limits.max_nodes == 99


def test_nearest_bastion_ancestor_is_the_project(layers: Layers) -> None:
    inner = layers.project / "vendor" / "inner"
    (inner / ".bastion").mkdir(parents=True)
    (inner / ".bastion" / "config.toml").write_text("[limits]\nmax_depth = 5\n")
    layers.write("project", "[limits]\nmax_depth = 9\n")
    deep = inner / "src" / "pkg"
    deep.mkdir(parents=True)
    config = layers.load(deep)
    assert config.project_root == str(inner.resolve())
    assert config.limits.max_depth == 5
    sub = layers.project / "src"
    sub.mkdir()
    assert layers.load(sub).project_root == str(layers.project.resolve())
    assert layers.load(sub).limits.max_depth == 9


def test_cwd_defaults_to_the_process_cwd(layers: Layers, monkeypatch: pytest.MonkeyPatch) -> None:
    layers.write("project", "[limits]\nmax_depth = 6\n")
    sub = layers.project / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    config = load_config(system_path=str(layers.system), user_path=str(layers.user))
    assert config.project_root == str(layers.project.resolve())
    assert config.limits.max_depth == 6


def test_no_bastion_directory_means_no_project_layer(tmp_path: Path) -> None:
    outside = tmp_path / "plain" / "dir"
    outside.mkdir(parents=True)
    (tmp_path / "plain" / ".bastion").write_text("a file, not a directory")
    assert find_project_root(outside) is None
    config = load_config(outside, include_system_and_user=False)
    assert config.project_root is None
    assert [s.label for s in config.sources] == ["built-in"]


# --- merging ---------------------------------------------------------------------------------


def test_plain_list_replaces(layers: Layers) -> None:
    layers.write("system", '[executables]\nallowed = ["a", "b", "c"]\n')
    layers.write("user", '[executables]\nallowed = ["c", "x", "c", "a"]\n')
    config = layers.load()
    assert config.value("executables.allowed") == ("c", "x", "a")
    assert config.allowed_executables == frozenset({"a", "c", "x"})


def test_append_and_exclude_keep_order_and_drop_duplicates(layers: Layers) -> None:
    layers.write("system", '[executables]\nallowed = ["a", "b", "c"]\n')
    layers.write(
        "user", '[executables]\nallowed = { append = ["d", "a", "e", "d"], exclude = ["b"] }\n'
    )
    assert layers.load().value("executables.allowed") == ("a", "c", "d", "e")


def test_append_as_a_sub_table(layers: Layers) -> None:
    layers.write("system", '[executables]\nallowed = ["a", "b"]\n')
    layers.write("user", '[executables.allowed]\nappend = ["z"]\nexclude = ["a"]\n')
    assert layers.load().value("executables.allowed") == ("b", "z")


def test_builtin_list_is_extended_not_lost(layers: Layers) -> None:
    layers.write("user", '[executables]\nallowed = { append = ["mytool"], exclude = ["ls"] }\n')
    config = layers.load()
    assert config.allowed_executables == (
        builtin_config().allowed_executables - {"ls"} | {"mytool"}
    )


def test_tiers_merge_key_by_key(layers: Layers) -> None:
    layers.write("system", '[rules]\ntiers = { a = "red", b = "yellow" }\n')
    layers.write("user", '[rules.tiers]\nb = "red"\nc = "green"\n')
    config = layers.load()
    assert dict(config.tiers) == {"a": "red", "b": "red", "c": "green"}
    assert config.provenance["rules.tiers"] == f"user ({layers.user})"


def test_rule_files_resolve_against_the_naming_file(layers: Layers) -> None:
    layers.write("system", '[rules]\nfiles = ["/abs/site.rules", "../shared/x.rules"]\n')
    layers.write("user", '[rules]\nfiles = { append = ["mine.rules"] }\n')
    layers.write("project", '[rules]\nfiles = { append = ["team.rules"] }\n')
    refs = layers.load().rule_files
    assert [r.path for r in refs] == [
        "/abs/site.rules",
        str((layers.root / "shared" / "x.rules").resolve()),
        str((layers.user.parent / "mine.rules").resolve()),
        str((layers.project / ".bastion" / "team.rules").resolve()),
    ]
    assert all(Path(r.path).is_absolute() for r in refs)
    assert [(r.source.label, r.source.trusted) for r in refs] == [
        ("system", True),
        ("system", True),
        ("user", True),
        ("project", False),
    ]


def test_rule_files_exclude_resolves_too(layers: Layers) -> None:
    layers.write("user", '[rules]\nfiles = ["a.rules", "b.rules"]\n')
    layers.write("local", "")
    other = layers.root / "u" / "again.toml"
    other.write_text('[rules]\nfiles = { exclude = ["a.rules"] }\n')
    config = load_config(layers.project, system_path=str(layers.user), user_path=str(other))
    assert [Path(r.path).name for r in config.rule_files] == ["b.rules"]


# --- projects may only tighten ---------------------------------------------------------------

RELAXING = [
    pytest.param(
        "",
        '[executables]\nallowed = { append = ["nc"] }\n',
        "executables.allowed",
        "'nc'",
        id="append-to-allowed",
    ),
    pytest.param(
        '[executables]\nallowed = ["ls", "cat"]\n',
        '[executables]\nallowed = ["ls", "cat", "nc"]\n',
        "executables.allowed",
        "'nc'",
        id="replace-allowed-with-new-name",
    ),
    pytest.param(
        "",
        '[rules]\ndisabled = { append = ["git-force-push"] }\n',
        "rules.disabled",
        "'git-force-push'",
        id="disable-a-rule",
    ),
    pytest.param(
        "",
        "[limits]\nmax_input_bytes = 99999999\n",
        "limits.max_input_bytes",
        "99999999",
        id="raise-a-limit",
    ),
    pytest.param(
        "",
        '[rules]\ntiers = { "git-force-push" = "green" }\n',
        "rules.tiers.git-force-push",
        "'green'",
        id="unconfigured-tier-to-green",
    ),
    pytest.param(
        '[rules]\ntiers = { "git-force-push" = "red" }\n',
        '[rules]\ntiers = { "git-force-push" = "yellow" }\n',
        "rules.tiers.git-force-push",
        "'yellow'",
        id="lower-a-configured-tier",
    ),
    pytest.param(
        '[rules]\nfiles = ["/team/site.rules"]\n',
        '[rules]\nfiles = { exclude = ["/team/site.rules"] }\n',
        "rules.files",
        "'/team/site.rules'",
        id="remove-a-rule-file",
    ),
]


def _key_of(warning_key: str) -> str:
    return "rules.tiers" if warning_key.startswith("rules.tiers.") else warning_key


@pytest.mark.parametrize("layer", ["project", "local"])
@pytest.mark.parametrize(("user_text", "project_text", "key", "named"), RELAXING)
def test_project_may_not_relax(
    layers: Layers, layer: str, user_text: str, project_text: str, key: str, named: str
) -> None:
    layers.write("user", user_text)
    before = layers.load().value(_key_of(key))
    path = layers.write(layer, project_text)
    config = layers.load()
    assert config.value(_key_of(key)) == before
    assert len(config.warnings) == 1, config.warnings
    warning = config.warnings[0]
    assert warning.startswith(f"{path}: {key}: ignored ")
    assert named in warning and warning.endswith(RELAX_HINT)
    assert "\n" not in warning
    assert config.provenance.get(_key_of(key), "").startswith(("built-in", "user"))


@pytest.mark.parametrize(("user_text", "project_text", "key", "named"), RELAXING)
def test_the_same_relaxing_applies_when_the_user_allows_it(
    layers: Layers, user_text: str, project_text: str, key: str, named: str
) -> None:
    layers.write("user", user_text)
    before = layers.load().value(_key_of(key))
    layers.write("user", user_text + "[policy]\nproject_may_relax = true\n")
    path = layers.write("project", project_text)
    config = layers.load()
    assert config.project_may_relax is True
    assert config.warnings == ()
    assert config.value(_key_of(key)) != before
    assert config.provenance[_key_of(key)] == f"project ({path})"


def test_replacing_list_from_a_project_keeps_its_removals(layers: Layers) -> None:
    layers.write("user", '[executables]\nallowed = ["ls", "cat", "rm"]\n')
    layers.write("project", '[executables]\nallowed = ["ls", "nc"]\n')
    config = layers.load()
    assert config.value("executables.allowed") == ("ls",)
    assert len(config.warnings) == 1 and "'nc'" in config.warnings[0]


def test_a_relaxing_key_does_not_stop_the_rest_of_the_file(layers: Layers) -> None:
    layers.write(
        "project",
        "[limits]\nmax_depth = 8\nmax_nodes = 99999999\n"
        '[rules]\ndisabled = { append = ["git-force-push"], exclude = ["strict"] }\n',
    )
    config = layers.load()
    assert config.limits.max_depth == 8
    assert config.limits.max_nodes == builtin_config().limits.max_nodes
    assert config.disabled == frozenset()
    assert [w.split(": ")[1] for w in config.warnings] == ["limits.max_nodes", "rules.disabled"]


def test_project_may_tighten(layers: Layers) -> None:
    layers.write("user", '[rules]\ntiers = { "git-discard-work" = "yellow" }\n')
    path = layers.write(
        "project",
        "[limits]\nmax_input_bytes = 1000\n"
        '[executables]\nallowed = { exclude = ["curl"] }\n'
        '[rules]\ndisabled = { exclude = ["strict"] }\nfiles = ["team.rules"]\n'
        'tiers = { "git-discard-work" = "red", "new-rule" = "red", "other" = "red" }\n',
    )
    config = layers.load()
    assert config.warnings == ()
    assert config.limits.max_input_bytes == 1000
    assert "curl" not in config.allowed_executables and "ls" in config.allowed_executables
    assert "strict" not in config.disabled
    assert dict(config.tiers) == {"git-discard-work": "red", "new-rule": "red", "other": "red"}
    assert [Path(r.path).name for r in config.rule_files] == ["team.rules"]
    assert not config.rule_files[0].source.trusted
    for key in ("limits.max_input_bytes", "executables.allowed", "rules.disabled", "rules.tiers"):
        assert config.provenance[key] == f"project ({path})"


def test_project_cannot_move_a_rule_below_red_without_knowing_its_tier(layers: Layers) -> None:
    # A red ask is approvable once at a time; yellow could be approved "always": a project
    # file that names a tier bastion cannot compare is held to red.
    layers.write("project", '[rules]\ntiers = { "rm-recursive-critical" = "yellow" }\n')
    config = layers.load()
    assert "rm-recursive-critical" not in config.tiers
    assert any("rm-recursive-critical" in w for w in config.warnings)


def test_local_file_is_held_to_the_project_result(layers: Layers) -> None:
    layers.write("project", "[limits]\nmax_depth = 10\n")
    local = layers.write("local", "[limits]\nmax_depth = 20\nmax_nodes = 100\n")
    config = layers.load()
    assert config.limits.max_depth == 10
    assert config.limits.max_nodes == 100
    assert len(config.warnings) == 1 and config.warnings[0].startswith(f"{local}: limits.max_depth")


@pytest.mark.parametrize("layer", ["project", "local"])
@pytest.mark.parametrize("value", ["true", "false"])
def test_project_may_not_set_project_may_relax(layers: Layers, layer: str, value: str) -> None:
    path = layers.write(layer, f"[policy]\nproject_may_relax = {value}\n")
    with pytest.raises(ConfigError) as info:
        layers.load()
    message = str(info.value)
    assert message.startswith(f"{path}: policy.project_may_relax")
    assert "only allowed in the user or system config" in message


def test_system_may_allow_relaxing_and_user_may_take_it_back(layers: Layers) -> None:
    layers.write("project", '[rules]\ndisabled = { append = ["git-force-push"] }\n')
    layers.write("system", "[policy]\nproject_may_relax = true\n")
    assert "git-force-push" in layers.load().disabled
    layers.write("user", "[policy]\nproject_may_relax = false\n")
    config = layers.load()
    assert "git-force-push" not in config.disabled
    assert len(config.warnings) == 1


# --- errors ----------------------------------------------------------------------------------


def test_config_error_is_a_bastion_error() -> None:
    assert issubclass(ConfigError, BastionError)
    assert issubclass(BastionError, Exception)


@pytest.mark.parametrize("layer", ["user", "project"])
def test_bad_toml_is_one_line_with_file_and_line(layers: Layers, layer: str) -> None:
    path = layers.write(layer, "[limits]\nmax_depth = 3\nmax_nodes = = 4\n")
    with pytest.raises(ConfigError) as info:
        layers.load()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: invalid TOML: ")
    assert "line 3" in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[nope]\nx = 1\n", "unknown section [nope] (known sections: policy, executables"),
        (
            '[rules]\ndisabeld = ["x"]\n',
            "unknown key 'rules.disabeld' (known keys in [rules]: disabled, files, tiers)",
        ),
        ("[limits]\nmax_depht = 3\n", "unknown key 'limits.max_depht'"),
        ("rules = 3\n", "'rules' must be a table"),
        ('[executables]\nallowed = "ls"\n', "executables.allowed must be a list of strings"),
        ("[executables]\nallowed = [1, 2]\n", "executables.allowed must be a list of strings"),
        ('[rules]\ndisabled = { append = "x" }\n', "rules.disabled.append must be a list"),
        ("[rules]\nfiles = { exclude = [1] }\n", "rules.files.exclude must be a list"),
        ('[executables]\nallowed = { add = ["x"] }\n', "executables.allowed: unknown key 'add'"),
        ('[limits]\nmax_depth = "deep"\n', "limits.max_depth must be a positive whole number"),
        ("[limits]\nmax_nodes = 0\n", "limits.max_nodes must be a positive whole number"),
        ("[limits]\nmax_input_bytes = -5\n", "limits.max_input_bytes must be a positive"),
        ("[limits]\nparse_timeout_ms = 2.5\n", "limits.parse_timeout_ms must be a positive"),
        ("[limits]\nmax_depth = true\n", "limits.max_depth must be a positive whole number"),
        ("[policy]\nproject_may_relax = 1\n", "policy.project_may_relax must be true or false"),
        ('[rules]\ntiers = { x = "purple" }\n', "rules.tiers.x: unknown tier 'purple'"),
        ("[rules]\ntiers = { x = 3 }\n", "rules.tiers.x: unknown tier 3"),
        ('[rules]\ntiers = ["x"]\n', "rules.tiers must be a table"),
    ],
)
def test_bad_key_names_the_file_and_key(layers: Layers, text: str, words: str) -> None:
    path = layers.write("user", text)
    with pytest.raises(ConfigError) as info:
        layers.load()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert words in message


def test_unreadable_file_is_an_error(layers: Layers) -> None:
    layers.user.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(ConfigError) as info:
        layers.load()
    assert str(info.value).startswith(f"{layers.user}: cannot read the user config")


def test_utf8_bom_is_accepted(layers: Layers) -> None:
    layers.user.parent.mkdir(parents=True)
    layers.user.write_bytes(b"\xef\xbb\xbf[limits]\nmax_depth = 4\n")
    assert layers.load().limits.max_depth == 4


def test_nothing_half_loads(layers: Layers) -> None:
    layers.write("system", "[limits]\nmax_depth = 10\n")
    layers.write("user", '[executables]\nallowed = ["only-this"]\n')
    # Valid keys before the bad one, in the same file and in earlier layers.
    layers.write("local", "[limits]\nmax_nodes = 10\nmax_depth = 0\n")
    with pytest.raises(ConfigError):
        layers.load()
    layers.local_file.unlink()
    config = layers.load()
    assert config.limits.max_nodes == builtin_config().limits.max_nodes
    assert config.limits.max_depth == 10
    assert builtin_config().allowed_executables != frozenset({"only-this"})
    assert builtin_config().limits.max_depth == shipped_defaults()["limits"]["max_depth"]
