"""Codex CLI: Claude-compatible PreToolUse / PostToolUse hooks (hooks.json).

Codex has no "ask" (it reports it as a hook error and runs the tool), and a plain "allow"
without `updatedInput` is an error too: allow is no output, ask is a deny that says how to
get a human's approval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bastion.hooks.claude import ClaudeHook, hook_specific, parse_claude_style
from bastion.hooks.interface import ASK_UNSUPPORTED, HookReply, HookRequest
from bastion.model import ToolKind

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


class CodexHook(ClaudeHook):
    """Claude's payloads and answers, without "ask"."""

    name = "codex"

    def parse(self, payload: Mapping[str, Any]) -> HookRequest:
        return parse_claude_style(payload, self.name, TOOL_KINDS)

    def can_ask(self, request: HookRequest) -> bool:
        return False

    def render_ask(self, reason: str) -> HookReply:
        ask = ASK_UNSUPPORTED.format(agent="Codex") + " " + reason
        return HookReply(hook_specific("deny", ask))
