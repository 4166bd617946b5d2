"""Tool gating: tools the policy switches off, per agent and per project.

Config (`[tools]`, lists of strings): `disallowed` denies matching tools, `allowed` excuses a
tool from `disallowed` (so `disallowed = ["@mcp"]`, `allowed = ["mcp__docs"]` leaves only the
docs server), `alternatives` holds `PATTERN=what to use instead` for the nudge. An entry is

    [AGENT:]PATTERN

AGENT (lower case, e.g. `claude`, `gemini`, `codex`, `cursor`, `copilot`) limits it to one
agent; PATTERN is a tool name with `*` / `?` wildcards (case-insensitive), an MCP name in any
agent's spelling (`mcp__server__tool`, `mcp_server_tool`, `MCP:server:tool`; `mcp__server` alone
is the whole server), or `@KIND` for a kind of tool in every agent (`@shell`, `@write`, `@edit`,
`@read`, `@fetch`, `@mcp`). A project file may add to `disallowed` but not to `allowed` (the
config's tighten-only merge), so a cloned repository can switch tools off, never on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2

from bastion.config import Config
from bastion.layers.interface import Layer
from bastion.model import Decision, Finding, Tier, ToolCall, ToolKind

LAYER = "tools"
RULE = "tool-disallowed"
MAX_NAME = 512
_AGENT = re2.compile(r"([a-z][a-z0-9_-]*):(.+)")


@dataclass(frozen=True)
class ToolId:
    """A tool as the policy sees it: a plain name, or an MCP server and tool."""

    name: str
    kind: ToolKind
    servers: tuple[tuple[str | None, str], ...] = ()
    """MCP (server, tool) readings: Gemini's `mcp_a_b_c` has several; None = server unknown."""

    @property
    def mcp(self) -> bool:
        return bool(self.servers)


def _glob(pattern: str) -> Any:
    parts = ["(?i)"]
    for char in pattern:
        parts.append("[^\\x00]*" if char == "*" else "." if char == "?" else re2.escape(char))
    return re2.compile("".join(parts))


def split_mcp(name: str) -> tuple[tuple[str | None, str], ...] | None:
    """Every (server, tool) reading of an MCP tool name in any agent's spelling, else None."""
    lower = name.lower()
    if lower.startswith("mcp__"):
        server, sep, tool = name[5:].partition("__")
        return ((server, tool if sep else "*"),)
    if lower.startswith("mcp:"):
        server, sep, tool = name[4:].partition(":")
        return ((server, tool if sep else "*"),)
    if lower.startswith("mcp_") and len(name) > 4:
        rest = name[4:]
        # Gemini splits at the first `_`; a server with `_` in its name reads differently.
        readings = [(rest[:i], rest[i + 1 :]) for i, c in enumerate(rest) if c == "_"]
        return tuple(readings) or ((rest, "*"),)
    return None


def tool_id(call: ToolCall) -> ToolId:
    name = call.tool_name or str(call.kind)
    readings = split_mcp(name)
    if readings is not None:
        return ToolId(name, call.kind, tuple((s, t) for s, t in readings))
    if call.kind is ToolKind.MCP:
        if "/" in name:  # Copilot: server/tool
            server, _, tool = name.partition("/")
            return ToolId(name, call.kind, ((server, tool),))
        return ToolId(name, call.kind, ((None, name),))  # Cursor beforeMCPExecution: no server
    return ToolId(name, call.kind)


class ToolPattern:
    def __init__(self, entry: str) -> None:
        self.entry = entry.strip()
        text = self.entry
        match = _AGENT.fullmatch(text)
        self.agent: str | None = None
        if match and match.group(1) != "mcp":
            self.agent, text = match.group(1), match.group(2)
        self.kind: ToolKind | None = None
        self.mcp: tuple[Any, Any] | None = None
        self.plain: Any = None
        self.any_server = False
        if text.startswith("@"):
            kinds = {k.value for k in ToolKind}
            if text[1:].lower() not in kinds:
                known = ", ".join("@" + k for k in sorted(kinds))
                raise ValueError(f"tools: unknown tool kind {text!r} in {entry!r} (known: {known})")
            self.kind = ToolKind(text[1:].lower())
            return
        readings = split_mcp(text)
        if readings is not None:
            server, tool = readings[0]  # a pattern is written with its server in full
            self.mcp = (_glob(server or "*"), _glob(tool or "*"))
            self.any_server = (server or "*").strip("*") == ""
        self.plain = _glob(text)

    def applies_to(self, agent: str) -> bool:
        return self.agent is None or self.agent == agent.lower()

    def matches(self, tool: ToolId, *, unknown_server_matches: bool) -> bool:
        """Does the pattern name this tool? With several MCP readings any one counts; a server
        that is not known counts only when `unknown_server_matches` (deny yes, excuse no)."""
        if self.kind is not None:
            return tool.kind is self.kind or (self.kind is ToolKind.MCP and tool.mcp)
        if self.mcp is not None:
            server_glob, tool_glob = self.mcp
            for server, name in tool.servers:
                if server is None:  # an unknown server: only `*` surely names it
                    server_ok = unknown_server_matches or self.any_server
                else:
                    server_ok = _full(server_glob, server)
                if server_ok and _full(tool_glob, name):
                    return True
            return False
        canonical = [f"mcp__{s}__{t}" for s, t in tool.servers if s is not None]
        return any(_full(self.plain, n) for n in (tool.name, *canonical))


def _full(regex: Any, text: str) -> bool:
    return regex.fullmatch(text) is not None


class ToolGateLayer(Layer):
    name = LAYER

    def __init__(
        self,
        disallowed: Sequence[str] = (),
        allowed: Sequence[str] = (),
        alternatives: Sequence[str] = (),
    ) -> None:
        self.disallowed = [ToolPattern(e) for e in disallowed if e.strip()]
        self.allowed = [ToolPattern(e) for e in allowed if e.strip()]
        self.alternatives: list[tuple[ToolPattern, str]] = []
        for entry in alternatives:
            pattern, sep, advice = entry.partition("=")
            if not sep or not pattern.strip() or not advice.strip():
                raise ValueError(f"tools.alternatives: {entry!r} is not 'TOOL=what to use instead'")
            self.alternatives.append((ToolPattern(pattern), advice.strip()))

    @classmethod
    def from_config(cls, config: Config) -> ToolGateLayer:
        strings = config.strings
        return cls(
            strings("tools.disallowed"), strings("tools.allowed"), strings("tools.alternatives")
        )

    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        if not self.disallowed:
            return ()
        name = call.tool_name or str(call.kind)
        if len(name) > MAX_NAME:
            return [self._deny(name[:60], f"A tool name of {len(name)} characters is refused.")]
        tool = tool_id(call)
        hit = next(
            (
                p
                for p in self.disallowed
                if p.applies_to(call.agent) and p.matches(tool, unknown_server_matches=True)
            ),
            None,
        )
        if hit is None:
            return ()
        if any(
            p.applies_to(call.agent) and p.matches(tool, unknown_server_matches=False)
            for p in self.allowed
        ):
            return ()
        advice = next(
            (
                text
                for p, text in self.alternatives
                if p.applies_to(call.agent) and p.matches(tool, unknown_server_matches=True)
            ),
            None,
        )
        if advice is None:
            advice = "do the task with the tools that are enabled, or ask the user to enable it"
        why = f"{name} is disabled here (tools.disallowed {hit.entry!r}); {advice}."
        return [self._deny(name, why)]

    @staticmethod
    def _deny(name: str, message: str) -> Finding:
        return Finding(
            layer=LAYER,
            rule_id=RULE,
            decision=Decision.DENY,
            tier=Tier.RED,
            message=message,
            subject=name,
        )
