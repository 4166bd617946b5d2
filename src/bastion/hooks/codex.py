"""Codex CLI: Claude-compatible PreToolUse / PostToolUse hooks (hooks.json).

Codex has no "ask" (it reports it as a hook error and runs the tool), and a plain "allow"
without `updatedInput` is an error too: allow is no output, ask is a deny that says how to
get a human's approval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bastion.hooks.claude import hook_specific, parse_claude_style, post_tool_notice
from bastion.hooks.interface import ASK_UNSUPPORTED, AgentHook, HookEvent, HookReply, HookRequest
from bastion.hooks.render import reason_text
from bastion.model import Decision, ToolKind, Verdict

TOOL_KINDS = {
    "Bash": ToolKind.SHELL,
    "shell": ToolKind.SHELL,
    "shell_command": ToolKind.SHELL,
    "exec_command": ToolKind.SHELL,
    "local_shell": ToolKind.SHELL,
    "apply_patch": ToolKind.EDIT,
    "Edit": ToolKind.EDIT,
    "Write": ToolKind.WRITE,
}


class CodexHook(AgentHook):
    name = "codex"

    def render_notice(self, request: HookRequest, notice: str) -> HookReply:
        return post_tool_notice(notice)  # Claude-compatible PostToolUse

    def parse(self, payload: Mapping[str, Any]) -> HookRequest:
        return parse_claude_style(payload, self.name, TOOL_KINDS)

    def render(self, verdict: Verdict, request: HookRequest | None) -> HookReply:
        if request is not None and request.event is HookEvent.POST_TOOL:
            return HookReply(b"")
        reason = reason_text(verdict)
        if request is None:
            return HookReply(hook_specific("deny", reason), 2, (reason + "\n").encode())
        if verdict.decision is Decision.DENY:
            return HookReply(hook_specific("deny", reason))
        if verdict.decision is Decision.ASK:
            ask = ASK_UNSUPPORTED.format(agent="Codex") + " " + reason
            return HookReply(hook_specific("deny", ask))
        return HookReply(b"")
