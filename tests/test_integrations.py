"""`bastion install / uninstall / doctor`: agents' settings edited in place, safely, reversibly.

Every test runs with HOME and the project under tmp_path; the real home is never touched."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from bastion.cli import integrations_cmd
from bastion.cli.main import _Parser
from bastion.hooks.command import hook_command_line
from bastion.integrations import Action, IntegrationError, Scope, get, install, uninstall
from bastion.integrations import doctor as doctor_mod
from bastion.integrations.agents import AGENT_NAMES, CLAUDE_MATCHER
from bastion.integrations.backup import backup_path
from bastion.integrations.probes import read_answer


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    home, project, bin_dir = tmp_path / "home", tmp_path / "project", tmp_path / "bin"
    for d in (home, project, bin_dir):
        d.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(bin_dir))  # no agent CLI is "on this machine" unless put here
    for var in ("CODEX_HOME", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(project)
    return home, project


def _install(agent: str, home: Path, project: Path, scope: Scope | None = None, **kw: Any):
    integration = get(agent)
    return install(
        integration, scope or integration.default_scope, home=home, project=project, **kw
    )


def _uninstall(agent: str, home: Path, project: Path, scope: Scope | None = None):
    integration = get(agent)
    return uninstall(integration, scope or integration.default_scope, home=home, project=project)


def _cli(*argv: str) -> int:
    parser = _Parser(prog="bastion")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    integrations_cmd.add_parsers(sub, _Parser)
    args: argparse.Namespace = parser.parse_args(list(argv))
    return integrations_cmd.run(args)


CLAUDE_EXISTING = """{
    "model": "opus",
    "permissions": {"allow": ["Bash(ls)"]},
    "hooks": {
        "PreToolUse": [
            {"matcher": "Write", "hooks": [{"type": "command", "command": "prettier --check"}]}
        ],
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
    },
    "zzz_unknown": {"nested": [1, 2.5, null, true]}
}
"""


# -- install ---------------------------------------------------------------------------------


def test_install_into_missing_file_writes_the_documented_shape(env: tuple[Path, Path]) -> None:
    home, project = env
    outcome = _install("claude", home, project)
    path = home / ".claude" / "settings.json"
    assert outcome.action is Action.INSTALLED and outcome.path == path
    assert outcome.backup is None and not backup_path(path).exists()
    data = json.loads(path.read_text())
    command = hook_command_line("claude")
    assert data == {
        "hooks": {
            "PreToolUse": [
                {
                    "matcher": CLAUDE_MATCHER,
                    "hooks": [{"type": "command", "command": command, "timeout": 30}],
                }
            ],
            "PostToolUse": [{"hooks": [{"type": "command", "command": command, "timeout": 30}]}],
        }
    }


def test_install_keeps_every_other_setting_and_key_order(env: tuple[Path, Path]) -> None:
    home, project = env
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(CLAUDE_EXISTING)
    _install("claude", home, project)
    data = json.loads(path.read_text())
    original = json.loads(CLAUDE_EXISTING)
    assert list(data) == list(original)
    assert list(data["hooks"]) == ["PreToolUse", "Stop", "PostToolUse"]
    assert data["hooks"]["PreToolUse"][0] == original["hooks"]["PreToolUse"][0]
    assert data["hooks"]["Stop"] == original["hooks"]["Stop"]
    assert data["zzz_unknown"] == original["zzz_unknown"] and data["model"] == "opus"
    assert data["hooks"]["PreToolUse"][1]["matcher"] == CLAUDE_MATCHER
    assert '\n    "model"' in path.read_text()  # the file's 4-space indent is kept
    # The backup is the original, byte for byte.
    assert backup_path(path).read_bytes() == CLAUDE_EXISTING.encode()


def test_install_twice_changes_nothing(env: tuple[Path, Path]) -> None:
    home, project = env
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(CLAUDE_EXISTING)
    _install("claude", home, project)
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    backup_before = backup_path(path).read_bytes()
    second = _install("claude", home, project)
    assert second.action is Action.ALREADY_INSTALLED and not second.changed
    assert {c.action for c in second.changes} == {"unchanged"}
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert backup_path(path).read_bytes() == backup_before == CLAUDE_EXISTING.encode()


def test_outdated_command_is_replaced_in_place(env: tuple[Path, Path]) -> None:
    home, project = env
    old = "/old/venv/bin/python3 -I -S /old/site-packages/bastion/hooks/shim.py claude"
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    doc = {
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "mine.sh"}]},
                {"matcher": CLAUDE_MATCHER, "hooks": [{"type": "command", "command": old}]},
                {"matcher": "Read", "hooks": [{"type": "command", "command": "other.sh"}]},
            ],
            # A duplicate entry would run the guard twice: install collapses it.
            "PostToolUse": [
                {"hooks": [{"type": "command", "command": old}]},
                {"hooks": [{"type": "command", "command": old, "async": True}]},
            ],
        }
    }
    path.write_text(json.dumps(doc, indent=2))
    outcome = _install("claude", home, project)
    assert outcome.action is Action.UPDATED
    assert {c.event: c.action for c in outcome.changes} == {
        "PreToolUse": "updated",
        "PostToolUse": "updated",
    }
    pre = json.loads(path.read_text())["hooks"]["PreToolUse"]
    assert [g["matcher"] for g in pre] == ["Bash", CLAUDE_MATCHER, "Read"]  # same position
    assert pre[1]["hooks"] == [
        {"type": "command", "command": hook_command_line("claude"), "timeout": 30}
    ]
    assert (
        pre[0]["hooks"][0]["command"] == "mine.sh" and pre[2]["hooks"][0]["command"] == "other.sh"
    )
    post = json.loads(path.read_text())["hooks"]["PostToolUse"]
    assert post == [
        {"hooks": [{"type": "command", "command": hook_command_line("claude"), "timeout": 30}]}
    ]


def test_bastion_handler_inside_a_users_group_with_another_matcher(env: tuple[Path, Path]) -> None:
    home, project = env
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    shared = {
        "matcher": "Bash",
        "hooks": [
            {"type": "command", "command": "mine.sh"},
            {"type": "command", "command": hook_command_line("claude"), "timeout": 30},
        ],
    }
    path.write_text(json.dumps({"hooks": {"PreToolUse": [shared]}}))
    _install("claude", home, project)
    pre = json.loads(path.read_text())["hooks"]["PreToolUse"]
    # The user's group keeps its own handler and matcher; bastion gets its own full group.
    assert pre[0] == {"matcher": "Bash", "hooks": [{"type": "command", "command": "mine.sh"}]}
    assert pre[1]["matcher"] == CLAUDE_MATCHER and len(pre) == 2


@pytest.mark.parametrize(
    ("agent", "relative", "event", "handler_extra"),
    [
        ("gemini", ".gemini/settings.json", "BeforeTool", {"name": "bastion", "timeout": 30000}),
        ("codex", ".codex/hooks.json", "PreToolUse", {"timeout": 30}),
    ],
)
def test_grouped_agents_shapes(
    env: tuple[Path, Path], agent: str, relative: str, event: str, handler_extra: dict[str, Any]
) -> None:
    home, project = env
    _install(agent, home, project)
    data = json.loads((home / relative).read_text())
    handler = data["hooks"][event][0]["hooks"][0]
    assert handler == {"type": "command", "command": hook_command_line(agent), **handler_extra}
    assert len(data["hooks"]) == 2


def test_codex_home_is_honoured(env: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    home, project = env
    monkeypatch.setenv("CODEX_HOME", str(home / "elsewhere"))
    outcome = _install("codex", home, project)
    assert outcome.path == home / "elsewhere" / "hooks.json" and outcome.path.exists()


def test_cursor_adds_version_first_and_matcher_inside_handler(env: tuple[Path, Path]) -> None:
    home, project = env
    path = project / ".cursor" / "hooks.json"
    path.parent.mkdir()
    path.write_text('{"hooks": {"afterFileEdit": [{"command": "./fmt.sh"}]}}')
    _install("cursor", home, project, Scope.PROJECT)
    data = json.loads(path.read_text())
    assert list(data) == ["version", "hooks"] and data["version"] == 1
    assert data["hooks"]["afterFileEdit"] == [{"command": "./fmt.sh"}]
    assert data["hooks"]["preToolUse"] == [
        {"command": hook_command_line("cursor"), "matcher": "Write|Edit|StrReplace|Delete"}
    ]
    assert set(data["hooks"]) == {
        "afterFileEdit",
        "beforeShellExecution",
        "beforeMCPExecution",
        "beforeReadFile",
        "preToolUse",
    }


def test_copilot_defaults_to_the_project_file(env: tuple[Path, Path]) -> None:
    home, project = env
    assert _cli("install", "copilot") == 0
    data = json.loads((project / ".github" / "hooks" / "bastion.json").read_text())
    assert data == {
        "version": 1,
        "hooks": {
            "preToolUse": [
                {"type": "command", "bash": hook_command_line("copilot"), "timeoutSec": 30}
            ]
        },
    }
    assert not (home / ".copilot").exists()


# -- uninstall -------------------------------------------------------------------------------


def test_uninstall_restores_the_original_byte_for_byte(env: tuple[Path, Path]) -> None:
    home, project = env
    path = home / ".gemini" / "settings.json"
    path.parent.mkdir()
    original = b'{"theme":"dark",\t"hooks":{},  "x": 1.50}'  # odd layout on purpose, no newline
    path.write_bytes(original)
    _install("gemini", home, project)
    assert path.read_bytes() != original
    outcome = _uninstall("gemini", home, project)
    assert outcome.action is Action.RESTORED
    assert path.read_bytes() == original
    assert not backup_path(path).exists()


def test_uninstall_keeps_what_the_user_added_after_install(env: tuple[Path, Path]) -> None:
    home, project = env
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(CLAUDE_EXISTING)
    _install("claude", home, project)
    data = json.loads(path.read_text())
    data["theme"] = "light"
    data["hooks"]["PreToolUse"].append(
        {"matcher": "Edit", "hooks": [{"type": "command", "command": "lint.sh"}]}
    )
    path.write_text(json.dumps(data, indent=4))
    outcome = _uninstall("claude", home, project)
    assert outcome.action is Action.CLEANED and outcome.backup == backup_path(path)
    assert backup_path(path).read_bytes() == CLAUDE_EXISTING.encode()  # kept, untouched
    cleaned = json.loads(path.read_text())
    expected = json.loads(CLAUDE_EXISTING)
    expected["theme"] = "light"
    expected["hooks"]["PreToolUse"].append(
        {"matcher": "Edit", "hooks": [{"type": "command", "command": "lint.sh"}]}
    )
    assert cleaned == expected
    assert "shim.py" not in path.read_text()


@pytest.mark.parametrize("agent", AGENT_NAMES)
def test_install_then_uninstall_leaves_no_trace(env: tuple[Path, Path], agent: str) -> None:
    home, project = env
    outcome = _install(agent, home, project)
    assert outcome.path.exists()
    removed = _uninstall(agent, home, project)
    assert removed.action is Action.REMOVED_FILE and not outcome.path.exists()
    assert _uninstall(agent, home, project).action is Action.NOT_INSTALLED


def test_uninstall_when_not_installed_writes_nothing(env: tuple[Path, Path]) -> None:
    home, project = env
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(CLAUDE_EXISTING)
    mtime = path.stat().st_mtime_ns
    assert _uninstall("claude", home, project).action is Action.NOT_INSTALLED
    assert path.read_text() == CLAUDE_EXISTING and path.stat().st_mtime_ns == mtime


# -- refusals and file safety ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"hooks": {', "not valid JSON"),
        ('// my settings\n{"a": 1}', "comments are not supported"),
        ("[1, 2]", "expected a JSON object"),
        ('{"a": 1, "a": 2}', "duplicate key"),
        ('{"hooks": []}', "'hooks' is a list"),
        ('{"hooks": {"PreToolUse": {"matcher": "x"}}}', "'hooks.PreToolUse' is a dict"),
    ],
)
def test_bad_settings_are_refused_untouched(
    env: tuple[Path, Path], content: str, message: str
) -> None:
    home, project = env
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(IntegrationError, match=message):
        _install("claude", home, project)
    assert path.read_text() == content
    assert not backup_path(path).exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]  # no temp files


def test_refusal_exits_nonzero_with_a_reason(
    env: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    home, _ = env
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text("{nope")
    assert _cli("install", "claude", "--json") == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["action"] == "refused" and "not valid JSON" in err
    assert _cli("uninstall", "claude") == 1
    assert path.read_text() == "{nope"


def test_file_mode_is_kept(env: tuple[Path, Path]) -> None:
    home, project = env
    path = home / ".codex" / "hooks.json"
    path.parent.mkdir()
    path.write_text("{}\n")
    path.chmod(0o600)
    _install("codex", home, project)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup_path(path).stat().st_mode) == 0o600
    path.write_text(path.read_text().replace("{", '{"extra": 1, ', 1))
    path.chmod(0o640)
    _uninstall("codex", home, project)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_symlinked_settings_are_edited_at_their_target(env: tuple[Path, Path]) -> None:
    home, project = env
    dotfiles = home / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "claude-settings.json"
    target.write_text('{"model": "opus"}\n')
    (home / ".claude").mkdir()
    link = home / ".claude" / "settings.json"
    link.symlink_to(target)
    outcome = _install("claude", home, project)
    assert link.is_symlink() and outcome.written_to == target
    assert json.loads(target.read_text())["model"] == "opus"
    assert backup_path(target).read_text() == '{"model": "opus"}\n'
    assert _uninstall("claude", home, project).action is Action.RESTORED
    assert link.is_symlink() and target.read_text() == '{"model": "opus"}\n'


def test_project_symlink_out_of_the_project_is_refused(env: tuple[Path, Path]) -> None:
    home, project = env
    user_file = home / ".claude" / "settings.json"
    user_file.parent.mkdir()
    user_file.write_text("{}")
    (project / ".claude").mkdir()
    (project / ".claude" / "settings.json").symlink_to(user_file)
    with pytest.raises(IntegrationError, match="outside the project"):
        _install("claude", home, project, Scope.PROJECT)
    assert user_file.read_text() == "{}"


def test_world_writable_directory_is_refused(env: tuple[Path, Path]) -> None:
    home, project = env
    directory = project / ".claude"
    directory.mkdir()
    directory.chmod(0o777)
    with pytest.raises(IntegrationError, match="writable by every account"):
        _install("claude", home, project, Scope.PROJECT)


# -- output ----------------------------------------------------------------------------------


def test_json_output(env: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, project = env
    assert _cli("install", "gemini", "--project", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["action"] == "installed" and data["changed"] is True
    assert data["scope"] == "project"
    assert data["path"] == str(project / ".gemini" / "settings.json")
    assert data["command"] == hook_command_line("gemini")
    assert [c["event"] for c in data["changes"]] == ["BeforeTool", "AfterTool"]
    assert _cli("install", "gemini", "--project", "--json") == 0
    assert json.loads(capsys.readouterr().out)["action"] == "already-installed"
    assert _cli("uninstall", "gemini", "--project", "--json") == 0
    assert json.loads(capsys.readouterr().out)["action"] == "removed-file"


def test_text_output_names_file_and_changes(
    env: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    home, _ = env
    assert _cli("install", "codex") == 0
    out = capsys.readouterr().out
    assert str(home / ".codex" / "hooks.json") in out
    assert "PreToolUse" in out and "added" in out and "/hooks" in out  # the trust note
    assert _cli("install", "codex") == 0
    assert "already installed" in capsys.readouterr().out


def test_usage_errors_exit_64(env: tuple[Path, Path]) -> None:
    with pytest.raises(SystemExit) as exc:
        _cli("install", "vim")
    assert exc.value.code == 64
    with pytest.raises(SystemExit) as exc:
        _cli("install", "claude", "--user", "--project")
    assert exc.value.code == 64


# -- doctor ----------------------------------------------------------------------------------

FAKE_SHIM = """
import json, sys
agent = sys.argv[1]
text = sys.stdin.read()
json.loads(text)
if "rm -rf" not in text or "ALWAYS_ALLOW" in __file__:
    sys.exit(0)
deny = {
    "claude": {"hookSpecificOutput": {"hookEventName": "PreToolUse",
               "permissionDecision": "deny", "permissionDecisionReason": "fake"}},
    "codex": {"hookSpecificOutput": {"hookEventName": "PreToolUse",
              "permissionDecision": "deny", "permissionDecisionReason": "fake"}},
    "gemini": {"decision": "deny", "reason": "fake"},
    "cursor": {"permission": "deny", "agentMessage": "fake"},
    "copilot": {"permissionDecision": "deny", "permissionDecisionReason": "fake"},
}[agent]
print(json.dumps(deny))
"""


def _fake_command(tmp_path: Path, agent: str, *, denies: bool = True) -> str:
    # Shaped like bastion's own command (doctor runs nothing else): <python> -I -S hooks/shim.py
    directory = tmp_path / ("fake" if denies else "fake_ALWAYS_ALLOW") / "hooks"
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "shim.py"
    shim.write_text(FAKE_SHIM)
    return shlex.join([sys.executable, "-I", "-S", str(shim), agent])


@pytest.mark.parametrize("agent", AGENT_NAMES)
def test_doctor_probes_an_installed_hook_in_the_agents_format(
    env: tuple[Path, Path], tmp_path: Path, agent: str
) -> None:
    home, project = env
    command = _fake_command(tmp_path, agent)
    _install(agent, home, project, Scope.USER, command=command)
    report = doctor_mod.check_agent(get(agent), home, project)
    user = report.files[0]
    assert user.scope == "user" and user.status == "outdated"  # not this bastion's command
    assert user.commands == (command,)
    (hook,) = report.hooks
    assert hook.reachable and hook.probed and hook.answers is True
    assert {p.probe: p.decision for p in hook.probes}["dangerous"] == "deny"
    assert {p.probe: p.ok for p in hook.probes} == {"dangerous": True, "benign": True}
    assert not report.errors


def test_doctor_flags_a_hook_that_does_not_deny(env: tuple[Path, Path], tmp_path: Path) -> None:
    home, project = env
    _install("claude", home, project, command=_fake_command(tmp_path, "claude", denies=False))
    report = doctor_mod.run_doctor(home, project, ("claude",), daemon=False)
    (hook,) = report.agents[0].hooks
    assert hook.answers is False and not report.ok
    assert {p.probe: p.ok for p in hook.probes} == {"dangerous": False, "benign": True}


def test_doctor_reports_found_and_unreachable(env: tuple[Path, Path], tmp_path: Path) -> None:
    home, project = env
    fake_cli = tmp_path / "bin" / "gemini"
    fake_cli.write_text("#!/bin/sh\n")
    fake_cli.chmod(0o755)
    (home / ".codex").mkdir()
    missing = shlex.join(["/nonexistent/python", "-I", "-S", "/nonexistent/hooks/shim.py", "codex"])
    _install("codex", home, project, command=missing)
    report = doctor_mod.run_doctor(home, project, daemon=False)
    by_agent = {a.agent: a for a in report.agents}
    assert by_agent["gemini"].found and by_agent["gemini"].on_path == (str(fake_cli),)
    assert not by_agent["gemini"].config_dir_exists
    assert any("not installed" in w for w in by_agent["gemini"].warnings)
    assert not by_agent["claude"].found and not by_agent["claude"].installed
    codex = by_agent["codex"]
    assert codex.found and codex.config_dir_exists and codex.installed
    (hook,) = codex.hooks
    assert not hook.reachable and not hook.probed
    assert any("does not exist" in p for p in hook.problems)
    assert not report.ok


def test_doctor_does_not_run_foreign_commands_from_a_project_file(
    env: tuple[Path, Path], tmp_path: Path
) -> None:
    home, project = env
    marker = tmp_path / "ran"
    evil = tmp_path / "evil" / "hooks"
    evil.mkdir(parents=True)
    (evil / "shim.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    command = shlex.join([sys.executable, "-I", "-S", str(evil / "shim.py"), "claude"])
    _install("claude", home, project, Scope.PROJECT, command=command)
    report = doctor_mod.check_agent(get("claude"), home, project)
    (hook,) = report.hooks
    assert hook.scopes == ("project",) and not hook.probed and "not run" in hook.not_probed_reason
    assert not marker.exists()


def test_doctor_reports_settings_that_disable_hooks(env: tuple[Path, Path]) -> None:
    home, project = env
    _install("gemini", home, project)
    path = home / ".gemini" / "settings.json"
    data = json.loads(path.read_text())
    data["hooksConfig"] = {"enabled": False}
    path.write_text(json.dumps(data))
    report = doctor_mod.check_agent(get("gemini"), home, project)
    assert report.files[0].status == "installed"
    assert any("hooksConfig.enabled is false" in w for w in report.warnings)


def test_doctor_reports_an_unreadable_settings_file(env: tuple[Path, Path]) -> None:
    home, project = env
    (project / ".cursor").mkdir()
    (project / ".cursor" / "hooks.json").write_text("{oops")
    report = doctor_mod.check_agent(get("cursor"), home, project)
    assert report.files[1].status == "error" and "not valid JSON" in report.files[1].error
    assert report.errors


def test_doctor_json_output(
    env: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, project = env
    monkeypatch.setattr(
        doctor_mod, "daemon_status", lambda: doctor_mod.DaemonReport(False, detail="absent")
    )
    _install("cursor", home, project, command=_fake_command(tmp_path, "cursor"))
    assert _cli("doctor", "--json", "--agent", "cursor") == 0
    data = json.loads(capsys.readouterr().out)
    (cursor,) = data["agents"]
    assert cursor["agent"] == "cursor" and cursor["installed"] is True
    assert cursor["hooks"][0]["answers"] is True
    assert data["daemon"] == {"available": False, "status": None, "detail": "absent"}
    assert data["ok"] is True
    assert _cli("doctor", "--agent", "cursor") == 0
    out = capsys.readouterr().out
    assert "answers correctly" in out and "daemon   not available" in out


# -- reading answers the way each agent does -------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "code", "stdout", "stderr", "decision"),
    [
        ("claude", 0, "", "", "none"),
        ("claude", 2, "", "blocked", "deny"),
        ("claude", 1, "", "crash", "error"),  # Claude fails open on exit 1
        ("claude", 0, '{"hookSpecificOutput": {"permissionDecision": "ask"}}', "", "ask"),
        ("codex", 2, "", "", "error"),  # exit 2 needs a stderr reason in Codex
        (
            "codex",
            0,
            '{"hookSpecificOutput": {"permissionDecision": "deny"}}',
            "",
            "error",
        ),  # and a deny needs a reason
        ("gemini", 0, '{"decision": "block", "reason": "x"}', "", "deny"),
        ("gemini", 3, "", "no", "deny"),
        ("gemini", 1, "", "warn", "none"),
        ("cursor", 0, '{"permission": "allow"}', "", "allow"),
        ("copilot", 0, '{"permissionDecision": "deny"}', "", "deny"),
        ("copilot", 0, "not json", "", "error"),
    ],
)
def test_read_answer(agent: str, code: int, stdout: str, stderr: str, decision: str) -> None:
    assert read_answer(agent, code, stdout, stderr).decision == decision


def test_no_temp_files_left_behind(env: tuple[Path, Path]) -> None:
    home, project = env
    for agent in AGENT_NAMES:
        _install(agent, home, project)
    leftovers = [p for p in home.rglob("*") if "bastion-tmp" in p.name or p.name.endswith(".tmp")]
    assert leftovers == []
    assert os.listdir(home / ".claude") == ["settings.json"]
