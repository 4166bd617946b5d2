"""Tool gating: exact names, wildcards, MCP spellings of every agent, per agent, per project."""

from __future__ import annotations

from pathlib import Path

import pytest

from bastion.config import builtin_config, load_config
from bastion.layers.tools import ToolGateLayer, split_mcp
from bastion.model import Decision, ToolCall, ToolKind


def call(name: str, kind: ToolKind = ToolKind.OTHER, agent: str = "claude") -> ToolCall:
    return ToolCall(kind=kind, tool_name=name, agent=agent)


def denied(layer: ToolGateLayer, tool: ToolCall) -> bool:
    findings = layer.evaluate(tool)
    return any(f.decision is Decision.DENY for f in findings)


def test_nothing_disallowed_by_default() -> None:
    layer = ToolGateLayer.from_config(builtin_config())
    assert layer.evaluate(call("WebFetch", ToolKind.FETCH)) == ()
    assert layer.evaluate(call("mcp__github__create_issue", ToolKind.MCP)) == ()


def test_exact_name() -> None:
    layer = ToolGateLayer(disallowed=["WebFetch"])
    assert denied(layer, call("WebFetch", ToolKind.FETCH))
    assert denied(layer, call("webfetch", ToolKind.FETCH))  # names are case-insensitive
    assert not denied(layer, call("WebSearch", ToolKind.FETCH))
    assert not denied(layer, call("WebFetcher"))


def test_nudge_names_the_alternative() -> None:
    layer = ToolGateLayer(
        disallowed=["WebFetch"], alternatives=["WebFetch=use the project's docs MCP server"]
    )
    (finding,) = layer.evaluate(call("WebFetch", ToolKind.FETCH))
    assert finding.rule_id == "tool-disallowed"
    assert "WebFetch is disabled here" in finding.message
    assert "use the project's docs MCP server" in finding.message
    default = ToolGateLayer(disallowed=["WebFetch"]).evaluate(call("WebFetch"))
    assert "tools that are enabled" in default[0].message


def test_bad_alternative_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="TOOL=what to use instead"):
        ToolGateLayer(alternatives=["WebFetch"])
    with pytest.raises(ValueError, match="unknown tool kind"):
        ToolGateLayer(disallowed=["@network"])


def test_mcp_server_wildcard_in_every_agents_spelling() -> None:
    layer = ToolGateLayer(disallowed=["mcp__github__*"])
    assert denied(layer, call("mcp__github__create_issue", ToolKind.MCP))
    assert denied(layer, call("mcp_github_create_issue", ToolKind.MCP, "gemini"))
    assert denied(layer, call("MCP:github:create_issue", ToolKind.MCP, "cursor"))
    assert denied(layer, call("github/create_issue", ToolKind.MCP, "copilot"))
    assert not denied(layer, call("mcp__gitlab__create_issue", ToolKind.MCP))
    assert not denied(layer, call("mcp__docs__search", ToolKind.MCP))


def test_pattern_spellings_are_equivalent() -> None:
    for entry in ("mcp__memory", "mcp_memory_*", "MCP:memory:*", "mcp__memory__*"):
        layer = ToolGateLayer(disallowed=[entry])
        assert denied(layer, call("mcp__memory__store", ToolKind.MCP)), entry
        assert not denied(layer, call("mcp__memoryx__store", ToolKind.MCP)), entry


def test_gemini_server_with_underscore_is_still_caught() -> None:
    # Gemini splits at the first `_`, so `my_db` reads as server `my`; every reading counts.
    assert ("my", "db_query") in (split_mcp("mcp_my_db_query") or ())
    layer = ToolGateLayer(disallowed=["mcp__my_db__*"])
    assert denied(layer, call("mcp_my_db_query", ToolKind.MCP, "gemini"))


def test_unknown_server_is_denied_by_a_tool_pattern_but_not_excused() -> None:
    # Cursor's beforeMCPExecution gives the tool name without its server.
    bare = call("run_query", ToolKind.MCP, "cursor")
    assert denied(ToolGateLayer(disallowed=["mcp__db__run_query"]), bare)
    layer = ToolGateLayer(disallowed=["@mcp"], allowed=["mcp__docs__*"])
    assert denied(layer, bare)
    assert not denied(ToolGateLayer(disallowed=["@mcp"], allowed=["mcp__*__run_query"]), bare)


def test_kinds_cover_every_agent() -> None:
    layer = ToolGateLayer(disallowed=["@fetch"])
    assert denied(layer, call("WebFetch", ToolKind.FETCH))
    assert denied(layer, call("web_fetch", ToolKind.FETCH, "gemini"))
    assert not denied(layer, call("Read", ToolKind.READ))


def test_allowed_excuses_from_disallowed() -> None:
    layer = ToolGateLayer(disallowed=["@mcp"], allowed=["mcp__docs"])
    assert not denied(layer, call("mcp__docs__search", ToolKind.MCP))
    assert not denied(layer, call("mcp_docs_search", ToolKind.MCP, "gemini"))
    assert denied(layer, call("mcp__github__push", ToolKind.MCP))
    only = ToolGateLayer(disallowed=["*"], allowed=["Read", "Edit", "Bash"])
    assert not denied(only, call("Bash", ToolKind.SHELL))
    assert denied(only, call("WebFetch", ToolKind.FETCH))


def test_per_agent_entries() -> None:
    layer = ToolGateLayer(disallowed=["gemini:@shell", "claude:WebSearch"])
    assert denied(layer, call("run_shell_command", ToolKind.SHELL, "gemini"))
    assert not denied(layer, call("Bash", ToolKind.SHELL, "claude"))
    assert denied(layer, call("WebSearch", ToolKind.FETCH, "claude"))
    assert not denied(layer, call("WebSearch", ToolKind.FETCH, "codex"))
    excused = ToolGateLayer(disallowed=["@shell"], allowed=["claude:Bash"])
    assert not denied(excused, call("Bash", ToolKind.SHELL, "claude"))
    assert denied(excused, call("Bash", ToolKind.SHELL, "codex"))


def test_cursor_mcp_prefix_is_not_an_agent() -> None:
    layer = ToolGateLayer(disallowed=["MCP:github:*"])
    assert denied(layer, call("mcp__github__x", ToolKind.MCP, "claude"))


def test_overlong_tool_name_is_denied() -> None:
    assert denied(ToolGateLayer(disallowed=["Nope"]), call("x" * 600))


def _configs(tmp_path: Path, user: str, project: str) -> ToolGateLayer:
    (tmp_path / "user.toml").write_text(user)
    proj = tmp_path / "proj"
    (proj / ".bastion").mkdir(parents=True)
    (proj / ".bastion" / "config.toml").write_text(project)
    config = load_config(
        proj, system_path=str(tmp_path / "none.toml"), user_path=str(tmp_path / "user.toml")
    )
    return ToolGateLayer.from_config(config)


def test_project_may_add_to_disallowed(tmp_path: Path) -> None:
    layer = _configs(tmp_path, "", '[tools]\ndisallowed = ["WebFetch"]\n')
    assert denied(layer, call("WebFetch", ToolKind.FETCH))


def test_project_may_not_add_to_allowed(tmp_path: Path) -> None:
    user = '[tools]\ndisallowed = ["@mcp"]\n'
    project = '[tools]\nallowed = ["mcp__evil__*"]\ndisallowed = { exclude = ["@mcp"] }\n'
    layer = _configs(tmp_path, user, project)
    assert denied(layer, call("mcp__evil__run", ToolKind.MCP))


def test_user_may_add_to_allowed(tmp_path: Path) -> None:
    layer = _configs(tmp_path, '[tools]\ndisallowed = ["@mcp"]\nallowed = ["mcp__docs"]\n', "")
    assert not denied(layer, call("mcp__docs__search", ToolKind.MCP))
    assert denied(layer, call("mcp__other__search", ToolKind.MCP))
