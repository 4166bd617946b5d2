"""Claude Code: PreToolUse / PostToolUse command hooks (settings.json `hooks`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bastion.hooks.interface import (
    AgentHook,
    HookEvent,
    HookReply,
    HookRequest,
    PayloadError,
    object_field,
    text_field,
)
from bastion.hooks.render import json_bytes, reason_text
from bastion.hooks.tools import build_call, output_text
from bastion.model import Decision, ToolKind, Verdict

TOOL_KINDS = {
    "Bash": ToolKind.SHELL,
    "PowerShell": ToolKind.SHELL,
    "Write": ToolKind.WRITE,
    "Edit": ToolKind.EDIT,
    "MultiEdit": ToolKind.EDIT,
    "NotebookEdit": ToolKind.EDIT,
    "Read": ToolKind.READ,
    "WebFetch": ToolKind.FETCH,
    "WebSearch": ToolKind.FETCH,
}
EVENTS = {"PreToolUse": HookEvent.PRE_TOOL, "PostToolUse": HookEvent.POST_TOOL}


def tool_kind(name: str, mcp_prefix: str = "mcp__") -> ToolKind:
    if name.startswith(mcp_prefix):
        return ToolKind.MCP
    return TOOL_KINDS.get(name, ToolKind.OTHER)


def parse_claude_style(
    payload: Mapping[str, Any], agent: str, kinds: Mapping[str, ToolKind]
) -> HookRequest:
    """Claude Code's payload shape, which Codex copies."""
    event_name = text_field(payload, "hook_event_name")
    event = EVENTS.get(event_name)
    if event is None:
        raise PayloadError(f"unsupported hook event {event_name!r} (PreToolUse, PostToolUse)")
    name = text_field(payload, "tool_name")
    tool_input = object_field(payload, "tool_input")
    kind = ToolKind.MCP if name.startswith("mcp__") else kinds.get(name, ToolKind.OTHER)
    call = build_call(
        kind,
        name,
        tool_input,
        agent=agent,
        cwd=text_field(payload, "cwd", required=False),
        session_id=text_field(payload, "session_id", required=False),
    )
    output = payload.get("tool_response") if event is HookEvent.POST_TOOL else None
    return HookRequest(
        event, call, event_name=event_name, tool_output=output_text(output)
    )


def hook_specific(decision: str, reason: str) -> bytes:
    return json_bytes(
        {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": decision,
                "permissionDecisionReason": reason,
            }
        }
    )


def post_tool_notice(notice: str) -> HookReply:
    """PostToolUse output reaches the model only with `decision: block` (the tool already ran;
    the reason is shown to the model next to its output)."""
    return HookReply(json_bytes({"decision": "block", "reason": notice}))


class ClaudeHook(AgentHook):
    name = "claude"

    def render_notice(self, request: HookRequest, notice: str) -> HookReply:
        return post_tool_notice(notice)

    def parse(self, payload: Mapping[str, Any]) -> HookRequest:
        return parse_claude_style(payload, self.name, TOOL_KINDS)

    def render(self, verdict: Verdict, request: HookRequest | None) -> HookReply:
        if request is not None and request.event is HookEvent.POST_TOOL:
            return HookReply(b"")
        reason = reason_text(verdict)
        if request is None:  # bastion could not read the payload: block by exit code too
            return HookReply(hook_specific("deny", reason), 2, (reason + "\n").encode())
        if verdict.decision is Decision.DENY:
            return HookReply(hook_specific("deny", reason))
        if verdict.decision is Decision.ASK:
            return self.render_ask(reason)
        # No opinion: the agent's own permission rules still apply. An explicit "allow"
        # would skip the user's prompts for everything bastion has no rule about.
        return HookReply(b"")

    def render_rewrite(self, request: HookRequest, command: str) -> HookReply | None:
        # updatedInput replaces the whole input and needs allow (or ask) beside it; allowing
        # is the point: the command runs inside bastion's sandbox.
        body = {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "allow",
                "permissionDecisionReason": "bastion: runs inside `bastion run` (agent mode)",
                "updatedInput": {**request.call.raw_input, "command": command},
            }
        }
        return HookReply(json_bytes(body))

    def render_ask(self, reason: str) -> HookReply:
        return HookReply(hook_specific("ask", reason))
