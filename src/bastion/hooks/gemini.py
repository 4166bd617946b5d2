"""Gemini CLI: BeforeTool / AfterTool command hooks (settings.json `hooks`).

Gemini reads `{"decision": ...}` whatever the exit code; "ask" forces its confirmation dialog
(source-confirmed), and "allow" never bypasses Gemini's own policy engine."""

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
from bastion.hooks.tools import absolute, build_call, output_text
from bastion.model import Decision, ToolKind, Verdict

TOOL_KINDS = {
    "run_shell_command": ToolKind.SHELL,
    "write_file": ToolKind.WRITE,
    "replace": ToolKind.EDIT,
    "read_file": ToolKind.READ,
    "read_many_files": ToolKind.READ,
    "web_fetch": ToolKind.FETCH,
}
EVENTS = {"BeforeTool": HookEvent.PRE_TOOL, "AfterTool": HookEvent.POST_TOOL}
_VERBS = {Decision.DENY: "deny", Decision.ASK: "ask", Decision.ALLOW: "allow"}


class GeminiHook(AgentHook):
    name = "gemini"

    def render_notice(self, request: HookRequest, notice: str) -> HookReply:
        # Added to the tool result the model reads; the output itself is kept.
        body = {"hookSpecificOutput": {"hookEventName": "AfterTool", "additionalContext": notice}}
        return HookReply(json_bytes(body))

    def parse(self, payload: Mapping[str, Any]) -> HookRequest:
        event_name = text_field(payload, "hook_event_name")
        event = EVENTS.get(event_name)
        if event is None:
            raise PayloadError(f"unsupported hook event {event_name!r} (BeforeTool, AfterTool)")
        name = text_field(payload, "tool_name")
        tool_input = object_field(payload, "tool_input")
        cwd = text_field(payload, "cwd", required=False)
        if name.startswith("mcp_") or isinstance(payload.get("mcp_context"), Mapping):
            kind = ToolKind.MCP
        else:
            kind = TOOL_KINDS.get(name, ToolKind.OTHER)
        if kind is ToolKind.SHELL:
            directory = tool_input.get("dir_path")
            if isinstance(directory, str) and directory:
                cwd = absolute(directory, cwd)
        call = build_call(
            kind,
            name,
            tool_input,
            agent=self.name,
            cwd=cwd,
            session_id=text_field(payload, "session_id", required=False),
        )
        output = payload.get("tool_response") if event is HookEvent.POST_TOOL else None
        return HookRequest(
            event, call, event_name=event_name, tool_output=output_text(output)
        )

    def render_rewrite(self, request: HookRequest, command: str) -> HookReply | None:
        tool_input = {**request.call.raw_input, "command": command}
        body = {
            "decision": "allow",
            "hookSpecificOutput": {"hookEventName": "BeforeTool", "tool_input": tool_input},
        }
        return HookReply(json_bytes(body))

    def render(self, verdict: Verdict, request: HookRequest | None) -> HookReply:
        if request is not None and request.event is HookEvent.POST_TOOL:
            return HookReply(json_bytes({}))
        reason = reason_text(verdict)
        if request is None:
            body = json_bytes({"decision": "deny", "reason": reason})
            return HookReply(body, 2, (reason + "\n").encode())
        answer: dict[str, Any] = {"decision": _VERBS[verdict.decision]}
        if verdict.decision is not Decision.ALLOW:
            answer["reason"] = reason
        if verdict.decision is Decision.ASK:
            answer["systemMessage"] = reason  # what the confirmation dialog shows
        return HookReply(json_bytes(answer))
