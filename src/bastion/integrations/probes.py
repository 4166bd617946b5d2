"""Probe payloads in each agent's stdin format, and reading the hook's answer the way that agent
would (shared/reference/agent-hooks.md: 1.3/1.5, 2.3/2.4, 3.2/3.3, 4.1, 4.2).

The reading is deliberately the agent's, not bastion's: a hook that prints a perfect deny but
exits 1 is a hook Claude Code ignores, and doctor must say so."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

BENIGN = "git status"
DANGEROUS = "rm -rf ~"


@dataclass(frozen=True)
class Answer:
    decision: str  # deny | allow | ask | none (no opinion: the call goes on) | error
    detail: str = ""


def payload(agent: str, command: str, cwd: str) -> dict[str, Any]:
    """A pre-tool payload for a shell command, as `agent` sends it."""
    if agent == "claude":
        return {
            "session_id": "bastion-doctor",
            "transcript_path": "",
            "cwd": cwd,
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": command, "description": "bastion doctor probe"},
            "tool_use_id": "bastion-doctor",
        }
    if agent == "codex":
        return {
            "session_id": "bastion-doctor",
            "turn_id": "bastion-doctor",
            "transcript_path": None,
            "cwd": cwd,
            "hook_event_name": "PreToolUse",
            "model": "bastion-doctor",
            "permission_mode": "default",
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_use_id": "bastion-doctor",
        }
    if agent == "gemini":
        return {
            "session_id": "bastion-doctor",
            "transcript_path": "",
            "cwd": cwd,
            "hook_event_name": "BeforeTool",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "tool_name": "run_shell_command",
            "tool_input": {
                "command": command,
                "description": "bastion doctor probe",
                "dir_path": ".",
                "is_background": False,
            },
        }
    if agent == "cursor":
        return {
            "conversation_id": "bastion-doctor",
            "generation_id": "bastion-doctor",
            "model": "bastion-doctor",
            "hook_event_name": "beforeShellExecution",
            "cursor_version": "bastion-doctor",
            "workspace_roots": [cwd],
            "user_email": None,
            "transcript_path": None,
            "command": command,
            "cwd": cwd,
        }
    if agent == "copilot":
        return {
            "timestamp": int(time.time() * 1000),
            "cwd": cwd,
            "toolName": "bash",
            # Copilot sends the arguments as a JSON *string*.
            "toolArgs": json.dumps({"command": command, "description": "bastion doctor probe"}),
        }
    raise ValueError(f"unknown agent {agent!r}")


def _json(stdout: str) -> dict[str, Any] | str | None:
    """The JSON object printed, None for no output, or an error text."""
    text = stdout.strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return f"output is not JSON: {text[:80]!r}"
    if not isinstance(value, dict):
        return f"output is JSON but not an object: {text[:80]!r}"
    return value


def _claude_like(obj: dict[str, Any]) -> str | None:
    specific = obj.get("hookSpecificOutput")
    if isinstance(specific, dict):
        decision = specific.get("permissionDecision")
        if decision in ("allow", "deny", "ask", "defer"):
            return str(decision)
    legacy = obj.get("decision")  # deprecated top-level form, still honoured by both
    return {"block": "deny", "approve": "allow"}.get(legacy) if isinstance(legacy, str) else None


def read_answer(agent: str, exit_code: int, stdout: str, stderr: str) -> Answer:
    """The decision `agent` would take from this hook run."""
    first_err = stderr.strip().splitlines()[0][:200] if stderr.strip() else ""
    parsed = _json(stdout)
    if agent == "gemini":
        # Gemini uses JSON whatever the exit code; without JSON, exit >= 2 is a deny.
        if isinstance(parsed, dict):
            decision = parsed.get("decision")
            mapped = {"deny": "deny", "block": "deny", "allow": "allow", "ask": "ask"}
            return Answer(mapped.get(str(decision), "none"), str(parsed.get("reason", "")))
        if exit_code >= 2 and (stdout.strip() or first_err):
            return Answer("deny", f"exit {exit_code}: {first_err or stdout.strip()[:200]}")
        return Answer("none", f"exit {exit_code}")
    if exit_code == 2 and agent in ("claude", "codex", "cursor"):
        if agent == "codex" and not first_err:
            return Answer("error", "exit 2 with empty stderr: Codex treats it as a failed hook")
        return Answer("deny", f"exit 2: {first_err}")
    if isinstance(parsed, str):
        return Answer("error", parsed)
    if exit_code != 0:
        # Claude Code still honours schema-valid JSON on other exit codes; the others fail open.
        if agent == "claude" and parsed is not None and _claude_like(parsed):
            return Answer(str(_claude_like(parsed)), f"exit {exit_code}")
        return Answer("error", f"exit {exit_code} (the agent lets the call through): {first_err}")
    if parsed is None:
        return Answer("none", "no output")
    if agent in ("claude", "codex"):
        decision = _claude_like(parsed)
        specific = parsed.get("hookSpecificOutput")
        reason = specific.get("permissionDecisionReason", "") if isinstance(specific, dict) else ""
        reason = reason or parsed.get("reason", "")
        if agent == "codex" and decision == "deny" and not str(reason).strip():
            return Answer("error", "deny without a reason: Codex treats it as a failed hook")
        return Answer(decision or "none", str(reason))
    key, reason_key = {
        "cursor": ("permission", "agentMessage"),
        "copilot": ("permissionDecision", "permissionDecisionReason"),
    }[agent]
    value = parsed.get(key)
    decision = value if value in ("allow", "deny", "ask") else "none"
    return Answer(str(decision), str(parsed.get(reason_key, "")))
