"""What every agent integration does: read its hook payload, write its answer.

An agent module turns the JSON its CLI sends into a `HookRequest` (a `ToolCall`, or nothing to
judge for events such as post-tool hooks), and renders a `Verdict` as the exact bytes and exit
code that CLI understands. Agents without an "ask" answer turn it into a deny that tells the
human how to approve."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bastion.model import ToolCall, Verdict


class PayloadError(ValueError):
    """The payload is not what this agent sends: the answer is a deny that says why."""


class HookEvent(enum.StrEnum):
    PRE_TOOL = "pre-tool"
    POST_TOOL = "post-tool"


@dataclass(frozen=True)
class HookRequest:
    event: HookEvent
    call: ToolCall
    event_name: str = ""  # the agent's own name for the event, where its answer depends on it
    # Post-tool hooks: the tool's output, for the content layer (issue: not built yet).
    tool_output: str | None = None


@dataclass(frozen=True)
class HookReply:
    stdout: bytes
    exit_code: int = 0
    stderr: bytes = b""


ASK_UNSUPPORTED = (
    "bastion wants a human to approve this, and {agent} hooks cannot ask. Do not work around "
    "it: tell the user what you wanted to run and why; they can approve it with `bastion "
    "approvals list` / `approve ID` in their own terminal, run it themselves, or allow it in "
    "the bastion policy (`bastion explain` shows the rule)."
)


class AgentHook(ABC):
    """One agent CLI's hook protocol."""

    name: str
    # The exit code that makes this agent block when the JSON answer itself cannot be trusted
    # to be read (bastion's own failures print the deny JSON and exit with this too).
    failure_exit: int = 2

    @abstractmethod
    def parse(self, payload: Mapping[str, Any]) -> HookRequest:
        """The request in `payload`; raises PayloadError when required fields are missing."""

    @abstractmethod
    def render(self, verdict: Verdict, request: HookRequest | None) -> HookReply:
        """The agent's answer for `verdict`. `request` is None when the payload was unusable."""

    def render_rewrite(self, request: HookRequest, command: str) -> HookReply | None:
        """Run the shell command as `command` instead (agent-mode sandboxing), or None when
        this agent's hooks cannot rewrite a tool's input."""
        return None

    def can_ask(self, request: HookRequest) -> bool:
        """Whether this agent shows its own approval prompt for an "ask" on this event."""
        return True

    def render_notice(self, request: HookRequest, notice: str) -> HookReply:
        """After a tool ran: tell the model what bastion found in its output (suspected prompt
        injection). Agents whose post-tool hook cannot reach the model answer nothing."""
        return HookReply(b"")


def text_field(payload: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = payload.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"field {key!r} must be a string, got {type(value).__name__}")
    return value


def object_field(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    if not isinstance(value, Mapping):
        raise PayloadError(f"field {key!r} must be an object, got {type(value).__name__}")
    return value
