"""Reading an agent's hook answer back into a decision, the way that agent would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "hooks"
AGENTS = ("claude", "gemini", "codex", "cursor", "copilot")
CAN_ASK = {"claude", "gemini", "cursor"}


def load_cases(agent: str) -> list[dict[str, Any]]:
    with (FIXTURES / f"{agent}.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def agent_decision(agent: str, stdout: bytes, exit_code: int) -> tuple[str, str]:
    """(allow|ask|deny, reason) as the agent would read the hook's output."""
    text = stdout.decode("utf-8")
    data: dict[str, Any] = json.loads(text) if text.strip() else {}
    if agent in ("claude", "codex"):
        if exit_code == 2:
            return "deny", str(data.get("hookSpecificOutput", {}).get("permissionDecisionReason"))
        assert exit_code == 0, exit_code
        if not data:
            return "allow", ""
        out = data["hookSpecificOutput"]
        assert out["hookEventName"] == "PreToolUse"
        if agent == "codex":
            assert out["permissionDecision"] == "deny", "Codex accepts only deny (or allow+input)"
            assert out["permissionDecisionReason"], "Codex ignores a deny without a reason"
        return out["permissionDecision"], out.get("permissionDecisionReason", "")
    if agent == "gemini":
        # Gemini reads the JSON whatever the exit code.
        return data.get("decision", "allow"), data.get("reason", "")
    if agent == "cursor":
        if exit_code == 2:
            return "deny", data.get("agentMessage", "")
        verb = data.get("permission") or data.get("decision")
        return verb, data.get("agentMessage") or data.get("reason", "")
    assert exit_code == 0, "Copilot: only the exit-0 JSON path is documented"
    if not data:
        return "allow", ""
    assert data["permissionDecision"] == "deny"
    return "deny", data["permissionDecisionReason"]


def expected(agent: str, case: dict[str, Any]) -> str:
    """What the agent should see: where it has no ask, a deny."""
    want = str(case["expect"])
    if want == "ask" and agent not in CAN_ASK:
        return "deny"
    return want
