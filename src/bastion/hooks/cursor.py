"""Cursor (IDE and cursor-agent): hooks.json events beforeShellExecution, beforeMCPExecution,
beforeReadFile and the generic preToolUse.

Shell and MCP answers have allow/deny/ask; a file read has only allow/deny, and preToolUse
answers with `decision` rather than `permission`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bastion.hooks.interface import (
    ASK_UNSUPPORTED,
    AgentHook,
    HookEvent,
    HookReply,
    HookRequest,
    PayloadError,
    object_field,
    text_field,
)
from bastion.hooks.render import json_bytes, reason_text
from bastion.hooks.tools import build_call
from bastion.model import Decision, ToolKind, Verdict

TOOL_KINDS = {
    "Shell": ToolKind.SHELL,
    "Write": ToolKind.WRITE,
    "Edit": ToolKind.EDIT,
    "StrReplace": ToolKind.EDIT,
    "Delete": ToolKind.EDIT,
    "Read": ToolKind.READ,
}
_PERMISSION = {Decision.DENY: "deny", Decision.ASK: "ask", Decision.ALLOW: "allow"}
_USER_MESSAGE = "bastion blocked this tool call"
_CAN_ASK = frozenset({"beforeShellExecution", "beforeMCPExecution"})


def _cwd(payload: Mapping[str, Any]) -> str:
    cwd = text_field(payload, "cwd", required=False)
    roots = payload.get("workspace_roots")
    if not cwd and isinstance(roots, list) and roots and isinstance(roots[0], str):
        cwd = roots[0]
    return cwd


class CursorHook(AgentHook):
    name = "cursor"

    def parse(self, payload: Mapping[str, Any]) -> HookRequest:
        event = text_field(payload, "hook_event_name")
        cwd = _cwd(payload)
        session = text_field(payload, "conversation_id", required=False)
        if event == "beforeShellExecution":
            command = text_field(payload, "command")
            call = build_call(
                ToolKind.SHELL, event, {"command": command},
                agent=self.name, cwd=cwd, session_id=session,
            )  # fmt: skip
        elif event == "beforeMCPExecution":
            name = text_field(payload, "tool_name")
            call = build_call(
                ToolKind.MCP, name, object_field(payload, "tool_input"),
                agent=self.name, cwd=cwd, session_id=session,
            )  # fmt: skip
        elif event == "beforeReadFile":
            path = text_field(payload, "file_path")
            call = build_call(
                ToolKind.READ, event, {"file_path": path},
                agent=self.name, cwd=cwd, session_id=session,
            )  # fmt: skip
        elif event == "preToolUse":
            name = text_field(payload, "tool_name")
            kind = ToolKind.MCP if name.startswith("MCP:") else TOOL_KINDS.get(name, ToolKind.OTHER)
            call = build_call(
                kind, name, object_field(payload, "tool_input"),
                agent=self.name, cwd=cwd, session_id=session,
            )  # fmt: skip
        else:
            raise PayloadError(
                f"unsupported hook event {event!r} (beforeShellExecution, beforeMCPExecution, "
                "beforeReadFile, preToolUse)"
            )
        return HookRequest(HookEvent.PRE_TOOL, call, event_name=event)

    def can_ask(self, request: HookRequest) -> bool:
        return request.event_name in _CAN_ASK

    def render(self, verdict: Verdict, request: HookRequest | None) -> HookReply:
        reason = reason_text(verdict)
        if request is None:  # unknown event: answer in every shape Cursor reads
            body = {
                "permission": "deny",
                "decision": "deny",
                "reason": reason,
                "agentMessage": reason,
                "userMessage": _USER_MESSAGE,
            }
            return HookReply(json_bytes(body), 2, (reason + "\n").encode())
        decision = verdict.decision
        if decision is Decision.ASK and request.event_name not in _CAN_ASK:
            decision = Decision.DENY
            reason = ASK_UNSUPPORTED.format(agent=f"Cursor {request.event_name}") + " " + reason
        if request.event_name == "preToolUse":
            answer: dict[str, Any] = {"decision": _PERMISSION[decision]}
            if decision is Decision.DENY:
                answer["reason"] = reason
            return HookReply(json_bytes(answer))
        answer = {"permission": _PERMISSION[decision]}
        if decision is not Decision.ALLOW:
            answer["agentMessage"] = reason
            answer["userMessage"] = reason if decision is Decision.ASK else _USER_MESSAGE
        return HookReply(json_bytes(answer))
