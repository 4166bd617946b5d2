"""Every agent bastion speaks to, by the name `bastion hook AGENT` takes."""

from __future__ import annotations

from bastion.hooks.claude import ClaudeHook
from bastion.hooks.codex import CodexHook
from bastion.hooks.copilot import CopilotHook
from bastion.hooks.cursor import CursorHook
from bastion.hooks.gemini import GeminiHook
from bastion.hooks.interface import AgentHook

_ALL = (ClaudeHook(), GeminiHook(), CodexHook(), CursorHook(), CopilotHook())
HOOKS: dict[str, AgentHook] = {hook.name: hook for hook in _ALL}
