"""The fields of each typed record: a verdict, a security event, an approval event."""

from __future__ import annotations

from typing import Any

from bastion.model import ToolCall, Verdict
from bastion.secrets.verdicts import redact_verdict


def verdict_fields(call: ToolCall, verdict: Verdict, *, agent: str) -> dict[str, Any]:
    """What was asked and what was answered. The raw tool input is left out: the derived
    command, paths and URLs are what the layers judged (and every string is redacted on the
    way to the log)."""
    shown = redact_verdict(verdict)
    return {
        "agent": agent or call.agent,
        "tool": call.tool_name,
        "tool_kind": str(call.kind),
        "cwd": call.cwd,
        "command": call.command,
        "paths": list(call.paths),
        "urls": list(call.urls),
        "decision": str(shown.decision),
        "tier": str(shown.tier),
        "rules": list(dict.fromkeys(f.rule_id for f in shown.findings)),
        "reason": shown.reason,
        "findings": [
            {
                "layer": f.layer,
                "rule": f.rule_id,
                "decision": str(f.decision),
                "tier": str(f.tier),
                "subject": f.subject,
            }
            for f in shown.findings
        ],
    }


def event_fields(
    *, agent: str, tool: str, rule_id: str, reason: str, **details: Any
) -> dict[str, Any]:
    return {"agent": agent, "tool": tool, "rule_id": rule_id, "reason": reason, **details}


def approval_fields(
    *,
    approval_id: str,
    agent: str,
    tool: str,
    rule_id: str,
    scope: str,
    actor: str,
    reason: str,
    **details: Any,
) -> dict[str, Any]:
    return {
        "approval_id": approval_id,
        "agent": agent,
        "tool": tool,
        "rule_id": rule_id,
        "scope": scope,
        "actor": actor,
        "reason": reason,
        **details,
    }
