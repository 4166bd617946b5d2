"""GitHub Copilot CLI: preToolUse command hooks (.github/hooks/*.json).

`toolArgs` arrives as a JSON string. Only a deny is processed ("ask" is documented but not
acted on), so ask becomes a deny that says how to get a human's approval. The exit-code
semantics are not documented, so even bastion's own failures answer with exit 0 and the JSON
deny, the one path the documentation promises."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bastion.hooks.interface import (
    ASK_UNSUPPORTED,
    AgentHook,
    HookEvent,
    HookReply,
    HookRequest,
    PayloadError,
    text_field,
)
from bastion.hooks.render import json_bytes, reason_text
from bastion.hooks.tools import build_call
from bastion.model import Decision, ToolKind, Verdict

TOOL_KINDS = {
    "bash": ToolKind.SHELL,
    "powershell": ToolKind.SHELL,
    "shell": ToolKind.SHELL,
    "create": ToolKind.WRITE,
    "edit": ToolKind.EDIT,
    "str_replace_editor": ToolKind.EDIT,
    "view": ToolKind.READ,
    "web_fetch": ToolKind.FETCH,
}


def _deny(reason: str) -> bytes:
    return json_bytes({"permissionDecision": "deny", "permissionDecisionReason": reason})


class CopilotHook(AgentHook):
    name = "copilot"
    failure_exit = 0

    def parse(self, payload: Mapping[str, Any]) -> HookRequest:
        name = text_field(payload, "toolName")
        raw_args = payload.get("toolArgs")
        if isinstance(raw_args, str):
            try:
                args = json.loads(raw_args) if raw_args.strip() else {}
            except ValueError as exc:
                raise PayloadError(f"toolArgs is not valid JSON: {exc}") from exc
        else:
            args = raw_args
        if not isinstance(args, Mapping):
            raise PayloadError("toolArgs must be a JSON object (or a string holding one)")
        kind = TOOL_KINDS.get(name, ToolKind.OTHER)
        if "/" in name or "__" in name:
            kind = ToolKind.MCP
        call = build_call(
            kind,
            name,
            args,
            agent=self.name,
            cwd=text_field(payload, "cwd", required=False),
            session_id=text_field(payload, "sessionId", required=False),
        )
        return HookRequest(HookEvent.PRE_TOOL, call, event_name="preToolUse")

    def can_ask(self, request: HookRequest) -> bool:
        return False

    def render(self, verdict: Verdict, request: HookRequest | None) -> HookReply:
        reason = reason_text(verdict)
        if request is None:
            return HookReply(_deny(reason), self.failure_exit, (reason + "\n").encode())
        if verdict.decision is Decision.DENY:
            return HookReply(_deny(reason))
        if verdict.decision is Decision.ASK:
            return HookReply(_deny(ASK_UNSUPPORTED.format(agent="Copilot CLI") + " " + reason))
        return HookReply(b"")
