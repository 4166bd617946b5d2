"""One hook call from raw stdin bytes to the agent's answer; never raises, never allows on error.

Both the daemon and the shim's in-process fallback answer through `answer()`, so a payload
gets the same verdict whichever path served it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from bastion.cli.policy import PolicyUnavailable
from bastion.guard import Guard, guard_failure
from bastion.hooks.approval_flow import settle
from bastion.hooks.interface import AgentHook, HookEvent, HookReply, HookRequest, PayloadError
from bastion.hooks.recording import record, record_injection
from bastion.hooks.registry import HOOKS
from bastion.hooks.shim import MAX_PAYLOAD_BYTES, failure_answer
from bastion.model import Decision, Finding, Tier, ToolKind, Verdict
from bastion.sandbox.agent import agent_mode, is_wrapped, wrap_command

PAYLOAD_ERROR = "hook.bad-payload"


class GuardSource(Protocol):
    def guard_for(self, cwd: str) -> Guard: ...


def failure_reply(agent: str, reason: str) -> HookReply:
    stdout, code, stderr = failure_answer(agent, reason)
    return HookReply(stdout, code, stderr)


def _refusal(message: str) -> Verdict:
    return Verdict.combine(
        [
            Finding(
                layer="hook",
                rule_id=PAYLOAD_ERROR,
                decision=Decision.DENY,
                tier=Tier.RED,
                message=f"{message}; bastion denies what it cannot read",
            )
        ]
    )


def decode_payload(raw: bytes) -> Mapping[str, Any]:
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"the hook payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"the hook payload is not valid UTF-8 ({exc.reason})") from exc
    if not text.strip():
        raise PayloadError("the hook payload is empty")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"the hook payload is not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise PayloadError(f"the hook payload must be a JSON object, not {type(payload).__name__}")
    return payload


def answer(agent: str, raw: bytes, guards: GuardSource, fallback_cwd: str = "") -> HookReply:
    hook = HOOKS.get(agent)
    if hook is None:
        return failure_reply(agent, f"bastion: unknown agent {agent!r}")
    try:
        return _answer(hook, raw, guards, fallback_cwd)
    except Exception as exc:  # fail closed, in the agent's own format
        try:
            return hook.render(Verdict.combine([guard_failure("hook", exc)]), None)
        except Exception:
            return failure_reply(agent, f"bastion failed ({type(exc).__name__}); denied")


def _post_tool(hook: AgentHook, request: HookRequest, guards: GuardSource, cwd: str) -> HookReply:
    """The tool already ran: scan what it returned for prompt injection and tell the model."""
    output = request.tool_output
    try:
        guard = guards.guard_for(cwd)
    except PolicyUnavailable:
        return hook.render(Verdict.combine([]), request)
    content = guard.content_layer
    if not output or content is None:
        return hook.render(Verdict.combine([]), request)
    report = content.scan_output(request.call.tool_name, output)
    notice = content.notice(output, report)
    if not notice:
        return hook.render(Verdict.combine([]), request)
    record_injection(guard.config, request.call, notice)
    return hook.render_notice(request, notice)


def _answer(hook: AgentHook, raw: bytes, guards: GuardSource, fallback_cwd: str) -> HookReply:
    request: HookRequest | None = None
    try:
        payload = decode_payload(raw)
        if fallback_cwd and "cwd" not in payload and "workspace_roots" not in payload:
            payload = {**payload, "cwd": fallback_cwd}
        request = hook.parse(payload)
    except PayloadError as exc:
        return hook.render(_refusal(str(exc)), None)
    call = request.call
    if request.event is HookEvent.POST_TOOL:
        return _post_tool(hook, request, guards, call.cwd or fallback_cwd or "/")
    if not call.cwd and fallback_cwd:
        call = replace(call, cwd=fallback_cwd)
    try:
        guard = guards.guard_for(call.cwd or fallback_cwd or "/")
    except PolicyUnavailable as exc:
        return hook.render(exc.verdict(), request)
    verdict = settle(hook, request, guard, guard.evaluate(call))
    record(guard.config, call, verdict)
    if verdict.decision is Decision.ALLOW:
        rewritten = sandboxed(hook, request, guard)
        if rewritten is not None:
            return rewritten
    return hook.render(verdict, request)


def sandboxed(hook: AgentHook, request: HookRequest, guard: Guard) -> HookReply | None:
    """Agent mode (`[sandbox] agent_mode`): an allowed shell command is rewritten to run
    inside `bastion run`, where the agent's hook protocol can rewrite tool input."""
    call = request.call
    if (
        call.kind is not ToolKind.SHELL
        or call.command is None
        or call.tool_name == "PowerShell"
        or guard.config is None
        or not agent_mode(guard.config)
    ):
        return None
    executable = _bastion_executable()
    if is_wrapped(call.command, executable):
        return None
    command = wrap_command(call.command, "default", call.cwd or "/", executable)
    return hook.render_rewrite(request, command)


def _bastion_executable() -> str:
    """This installation's `bastion` script, by absolute path: the agent's PATH may differ."""
    script = os.path.join(os.path.dirname(sys.executable), "bastion")
    return script if os.access(script, os.X_OK) else "bastion"
