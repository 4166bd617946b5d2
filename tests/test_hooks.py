"""Agent hook protocols in process: payload -> ToolCall -> verdict -> the agent's exact answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bastion import Guard, ToolCall, ToolKind
from bastion.config import load_config
from bastion.hooks.interface import PayloadError
from bastion.hooks.patches import patch_paths
from bastion.hooks.policies import PolicyCache
from bastion.hooks.registry import HOOKS
from bastion.hooks.runner import answer
from bastion.hooks.shim import AGENTS as SHIM_AGENTS
from bastion.hooks.shim import MAX_PAYLOAD_BYTES, failure_answer, json_string
from bastion.hooks.tools import urls_in
from hookutil import AGENTS, CAN_ASK, agent_decision, expected, load_cases


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> PolicyCache:
    """The built-in policy, with name lookups off: a fetch's verdict must not depend on the
    test machine's DNS (the network layer's own tests use a fake resolver)."""
    user = tmp_path_factory.mktemp("config") / "config.toml"
    user.write_text("[network]\nresolve = false\n")
    config = load_config(
        "/", system_path=str(user.with_name("none.toml")), user_path=str(user),
        include_project=False,
    )  # fmt: skip
    guard = Guard.from_loaded_config(config)
    return PolicyCache(build=lambda cwd: guard)


CASES = [(agent, case) for agent in AGENTS for case in load_cases(agent)]


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Approvals and bypass state live under HOME: keep each test's to itself."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_every_agent_has_a_module_and_the_shim_knows_it() -> None:
    assert tuple(HOOKS) == AGENTS == SHIM_AGENTS


@pytest.mark.parametrize(("agent", "case"), CASES, ids=[f"{a}-{c['name']}" for a, c in CASES])
def test_recorded_payload(agent: str, case: dict[str, Any], policies: PolicyCache) -> None:
    reply = answer(agent, json.dumps(case["payload"]).encode(), policies)
    decision, reason = agent_decision(agent, reply.stdout, reply.exit_code)
    assert decision == expected(agent, case)
    if decision != "allow":
        assert reason.strip(), "every deny and ask carries a reason"
    if case["expect"] == "ask" and agent not in CAN_ASK:
        # no prompt of its own: a pending request the human approves in their terminal
        assert "bastion approvals approve" in reason and "retry" in reason


MALFORMED = {
    "not json": b"rm -rf /",
    "invalid utf-8": b'{"tool_name": "\xff\xfe"}',
    "empty": b"",
    "json array": b"[1, 2]",
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "too large": b'{"x": "' + b"a" * (MAX_PAYLOAD_BYTES + 10) + b'"}',
}


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_payload_is_denied_in_the_agents_format(
    agent: str, name: str, policies: PolicyCache
) -> None:
    reply = answer(agent, MALFORMED[name], policies)
    decision, reason = agent_decision(agent, reply.stdout, reply.exit_code)
    assert decision == "deny"
    assert "bastion" in reason
    assert reply.exit_code == HOOKS[agent].failure_exit


@pytest.mark.parametrize("agent", [*AGENTS, "nonesuch"])
def test_shim_failure_answer_is_a_deny_each_agent_reads(agent: str) -> None:
    reason = 'broke: "quoted" \\ back\nslash \x01 ünïcode'
    stdout, code, stderr = failure_answer(agent, reason)
    data = json.loads(stdout)
    assert reason.encode() in stderr
    if agent in AGENTS:
        assert code == HOOKS[agent].failure_exit
        assert agent_decision(agent, stdout, code) == ("deny", reason)
    else:
        assert code == 2 and data["permission"] == "deny" and data["decision"] == "deny"


def test_json_string_matches_json_module() -> None:
    for text in ['plain', 'q"uote', "back\\slash", "\n\t\r\x00\x1f", "ünï €", "\u2028"]:
        assert json.loads(json_string(text)) == text


def test_policy_failure_is_a_deny(tmp_path: Path) -> None:
    def broken(cwd: str) -> Guard:
        raise ValueError("rules exploded")

    payload = load_cases("claude")[1]["payload"]  # a benign command
    reply = answer("claude", json.dumps(payload).encode(), PolicyCache(build=broken))
    decision, reason = agent_decision("claude", reply.stdout, reply.exit_code)
    assert decision == "deny" and "rules exploded" in reason


def test_guard_crash_is_a_deny(monkeypatch: pytest.MonkeyPatch, policies: PolicyCache) -> None:
    def explode(self: Guard, call: ToolCall) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Guard, "evaluate", explode)
    for agent in AGENTS:
        benign = next(c for c in load_cases(agent) if c["expect"] == "allow")
        reply = answer(agent, json.dumps(benign["payload"]).encode(), policies)
        assert agent_decision(agent, reply.stdout, reply.exit_code)[0] == "deny"


def test_apply_patch_paths() -> None:
    patch = (
        "*** Begin Patch\n*** Add File: a.py\n+x\n*** Update File: b/c.py\n*** Move to: d.py\n"
        "@@\n-y\n+z\n*** Delete File: e.txt\n*** End Patch\n"
    )
    assert patch_paths(patch) == ("a.py", "b/c.py", "d.py", "e.txt")


def test_apply_patch_is_judged_on_every_path(policies: PolicyCache) -> None:
    patch = "*** Begin Patch\n*** Update File: ok.py\n*** Move to: /etc/shadow\n*** End Patch\n"
    payload = {
        "hook_event_name": "PreToolUse",
        "tool_name": "apply_patch",
        "tool_input": {"command": patch},
        "cwd": "/home/user/project",
    }
    reply = answer("codex", json.dumps(payload).encode(), policies)
    decision, reason = agent_decision("codex", reply.stdout, reply.exit_code)
    assert decision == "deny" and "/etc/shadow" in reason


def test_fallback_cwd_fills_a_payload_without_one(policies: PolicyCache) -> None:
    escape = "notes/../../../../etc/passwd"
    payload = {"hook_event_name": "PreToolUse", "tool_name": "Write",
               "tool_input": {"file_path": escape, "content": "x"}}  # fmt: skip
    reply = answer("claude", json.dumps(payload).encode(), policies, "/home/user/project")
    assert agent_decision("claude", reply.stdout, reply.exit_code)[0] == "deny"


def test_gemini_shell_runs_in_dir_path() -> None:
    payload = {"hook_event_name": "BeforeTool", "tool_name": "run_shell_command", "cwd": "/p",
               "tool_input": {"command": "ls", "dir_path": "sub/dir"}}  # fmt: skip
    request = HOOKS["gemini"].parse(payload)
    assert request.call.kind is ToolKind.SHELL and request.call.cwd == "/p/sub/dir"


def test_copilot_accepts_tool_args_as_object_or_string() -> None:
    for args in ({"command": "ls"}, json.dumps({"command": "ls"})):
        request = HOOKS["copilot"].parse({"toolName": "bash", "toolArgs": args, "cwd": "/p"})
        assert request.call.command == "ls"
    with pytest.raises(PayloadError):
        HOOKS["copilot"].parse({"toolName": "bash", "toolArgs": "[1]", "cwd": "/p"})


def test_web_fetch_prompt_urls() -> None:
    assert urls_in("see https://a.example/x, and http://b.example/y.") == (
        "https://a.example/x",
        "http://b.example/y",
    )


def test_file_layer_judges_writes_like_redirects() -> None:
    guard = Guard.default()
    cwd = "/home/user/project"

    def write(path: str) -> str:
        call = ToolCall(kind=ToolKind.WRITE, tool_name="Write", paths=(path,), cwd=cwd)
        return str(guard.evaluate(call).decision)

    assert write("/etc/sudoers") == "deny"
    assert write(cwd + "/.git/hooks/post-checkout") == "deny"  # changes what runs later
    assert write("/home/elsewhere/notes.txt") == "ask"  # outside the project
    assert write(cwd + "/src/main.py") == "allow"
    assert write("/tmp/scratch.txt") == "allow"


def _project(root: Path, rules: str) -> Path:
    (root / ".bastion").mkdir(parents=True, exist_ok=True)
    (root / ".bastion" / "config.toml").write_text('[rules]\nfiles = ["team.rules"]\n')
    (root / ".bastion" / "team.rules").write_text(rules)
    return root


TEAM_RULE = 'block "team-no-frobnicate"\n  match command("frobnicate")\n  nudge "Use {w} instead"\n'


def test_policy_cache_keeps_last_good_policy_on_a_broken_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASTION_USER_CONFIG", str(tmp_path / "no-user.toml"))
    monkeypatch.setenv("BASTION_SYSTEM_CONFIG", str(tmp_path / "no-system.toml"))
    project = _project(tmp_path / "proj", TEAM_RULE.replace("{w}", "wibble"))
    now = [0.0]
    cache = PolicyCache(check_interval=1.0, clock=lambda: now[0])
    cwd = str(project)
    assert cache.guard_for(cwd).check("frobnicate", cwd).decision.name == "DENY"
    first = cache.guard_for(cwd)

    (project / ".bastion" / "team.rules").write_text('block "broken\n  match command(\n')
    now[0] += 0.5
    assert cache.guard_for(cwd) is first  # not re-checked before the interval
    now[0] += 1.0
    assert cache.guard_for(cwd) is first  # broken: the last good policy stays
    [status] = cache.status()
    assert status["loaded"] and "team.rules" in str(status["error"])

    (project / ".bastion" / "team.rules").write_text(
        TEAM_RULE.replace("frobnicate", "zorch").replace("{w}", "wibble")
    )
    now[0] += 1.0
    fixed = cache.guard_for(cwd)
    assert fixed is not first and cache.reloads == 1
    assert fixed.check("zorch", cwd).decision.name == "DENY"
    assert fixed.check("frobnicate", cwd).decision.name == "ALLOW"
    assert cache.status()[0]["error"] is None


def test_policy_cache_without_a_good_policy_denies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASTION_USER_CONFIG", str(tmp_path / "no-user.toml"))
    monkeypatch.setenv("BASTION_SYSTEM_CONFIG", str(tmp_path / "no-system.toml"))
    project = _project(tmp_path / "proj", "block \"x\n")
    payload = {"hook_event_name": "BeforeTool", "tool_name": "run_shell_command",
               "tool_input": {"command": "ls"}, "cwd": str(project)}  # fmt: skip
    reply = answer("gemini", json.dumps(payload).encode(), PolicyCache())
    decision, reason = agent_decision("gemini", reply.stdout, reply.exit_code)
    assert decision == "deny" and "could not load its policy" in reason


def test_no_ask_agent_gets_a_pending_request_a_human_approves(
    policies: PolicyCache,
) -> None:
    from bastion.approvals.model import Scope
    from bastion.approvals.store import ApprovalStore

    ask = next(c for c in load_cases("codex") if c["expect"] == "ask")
    raw = json.dumps(ask["payload"]).encode()
    reply = answer("codex", raw, policies)
    decision, reason = agent_decision("codex", reply.stdout, reply.exit_code)
    assert decision == "deny" and "bastion approvals approve" in reason
    guard = policies.guard_for("/")
    assert guard.config is not None
    store = ApprovalStore.from_config(guard.config)
    [pending] = store.pending()
    assert f"#{pending.id}" in reason
    store.approve(pending.id, Scope.ONCE)  # the human, in their own terminal
    retried = answer("codex", raw, policies)
    assert agent_decision("codex", retried.stdout, retried.exit_code)[0] == "allow"
    again = answer("codex", raw, policies)  # a once answer is used up
    assert agent_decision("codex", again.stdout, again.exit_code)[0] == "deny"


def test_an_always_answer_turns_a_claude_ask_into_no_objection(policies: PolicyCache) -> None:
    from bastion.approvals.model import Scope
    from bastion.approvals.store import ApprovalStore

    ask = next(c for c in load_cases("claude") if c["expect"] == "ask" and "Bash" in json.dumps(c))
    raw = json.dumps(ask["payload"]).encode()
    assert agent_decision("claude", *_out(answer("claude", raw, policies)))[0] == "ask"
    guard = policies.guard_for("/")
    assert guard.config is not None
    request = HOOKS["claude"].parse(ask["payload"])
    verdict = guard.evaluate(request.call)
    ApprovalStore.from_config(guard.config).grant(request.call, verdict, Scope.ALWAYS)
    assert agent_decision("claude", *_out(answer("claude", raw, policies)))[0] == "allow"


def _out(reply: Any) -> tuple[bytes, int]:
    return reply.stdout, reply.exit_code


def test_every_pre_tool_verdict_is_in_the_audit_log(policies: PolicyCache) -> None:
    from bastion.audit.interface import Query
    from bastion.audit.verify import verify_all
    from bastion.hooks.recording import audit_log

    for case in load_cases("gemini")[:3]:
        answer("gemini", json.dumps(case["payload"]).encode(), policies)
    log = audit_log(policies.guard_for("/").config)
    rows = list(log.store().records(Query()))
    verdicts = [r for r in rows if r.kind == "verdict"]
    assert len(verdicts) >= 3
    assert any(r.kind == "security_blocked" for r in rows)  # the denied rm -rf ~
    assert all(report.status == "ok" for report in verify_all(log.directory, log.store()))


def test_agent_mode_rewrites_a_shell_command_to_run_sandboxed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    monkeypatch.setenv("BASTION_USER_CONFIG", str(tmp_path / "no-user.toml"))
    monkeypatch.setenv("BASTION_SYSTEM_CONFIG", str(tmp_path / "no-system.toml"))
    project = tmp_path / "proj"
    (project / ".bastion").mkdir(parents=True)
    (project / ".bastion" / "config.toml").write_text("[sandbox]\nagent_mode = true\n")
    payload = {"hook_event_name": "PreToolUse", "tool_name": "Bash", "cwd": str(project),
               "tool_input": {"command": "echo sandboxed > out.txt && cat out.txt"}}  # fmt: skip
    reply = answer("claude", json.dumps(payload).encode(), PolicyCache())
    out = json.loads(reply.stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "allow"
    command = out["updatedInput"]["command"]
    assert " run --profile default " in command and "bash -c" in command
    ran = subprocess.run(
        ["bash", "-c", command], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "sandboxed"
    # a denied command is still denied, not wrapped
    payload["tool_input"] = {"command": "rm -rf ~"}
    denied = answer("claude", json.dumps(payload).encode(), PolicyCache())
    assert agent_decision("claude", denied.stdout, denied.exit_code)[0] == "deny"
