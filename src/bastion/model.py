"""Core values: the call an agent wants to make, what a layer saw, and the answer."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


class Decision(enum.IntEnum):
    """Ordered so that combining is max(): deny > ask > allow."""

    ALLOW = 0
    ASK = 1
    DENY = 2

    def __str__(self) -> str:
        return self.name.lower()


class Tier(enum.IntEnum):
    """Risk tier: green runs, yellow runs and is recorded, red needs a human."""

    GREEN = 0
    YELLOW = 1
    RED = 2

    def __str__(self) -> str:
        return self.name.lower()


class ToolKind(enum.StrEnum):
    SHELL = "shell"
    WRITE = "write"
    EDIT = "edit"
    READ = "read"
    FETCH = "fetch"
    MCP = "mcp"
    OTHER = "other"


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class ToolCall:
    """One tool call an agent wants to make, in a form every layer understands."""

    kind: ToolKind
    tool_name: str = ""
    raw_input: Mapping[str, Any] = field(default_factory=dict)
    agent: str = "cli"
    session_id: str = ""
    cwd: str = ""
    command: str | None = None
    paths: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw_input", _frozen_mapping(self.raw_input))
        object.__setattr__(self, "kind", ToolKind(self.kind))

    @classmethod
    def shell(
        cls, command: str, *, cwd: str = "", agent: str = "cli", session_id: str = ""
    ) -> ToolCall:
        return cls(
            kind=ToolKind.SHELL,
            tool_name="Bash",
            raw_input={"command": command},
            agent=agent,
            session_id=session_id,
            cwd=cwd,
            command=command,
        )


@dataclass(frozen=True)
class Span:
    """Byte offsets into the text a finding is about (end exclusive)."""

    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    """What one layer saw: the rule, how bad it is, and what the model should do instead."""

    layer: str
    rule_id: str
    decision: Decision
    tier: Tier
    message: str
    span: Span | None = None
    subject: str = ""


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    tier: Tier
    findings: tuple[Finding, ...]
    reason: str

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    @classmethod
    def combine(cls, findings: Iterable[Finding]) -> Verdict:
        """deny > ask > allow; the reason comes from the findings that decided."""
        ordered = tuple(sorted(findings, key=lambda f: (-f.decision, -f.tier)))
        if not ordered:
            return cls(Decision.ALLOW, Tier.GREEN, (), "no rule matched")
        decision = ordered[0].decision
        tier = max(f.tier for f in ordered)
        deciding = [f for f in ordered if f.decision == decision]
        if decision is Decision.ALLOW:
            reason = "allowed: " + ", ".join(dict.fromkeys(f.rule_id for f in deciding))
        else:
            reason = " | ".join(dict.fromkeys(f"{f.rule_id}: {f.message}" for f in deciding))
        return cls(decision, tier, ordered, reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": str(self.decision),
            "tier": str(self.tier),
            "reason": self.reason,
            "findings": [
                {
                    "layer": f.layer,
                    "rule": f.rule_id,
                    "decision": str(f.decision),
                    "tier": str(f.tier),
                    "message": f.message,
                    "subject": f.subject,
                    "span": [f.span.start, f.span.end] if f.span else None,
                }
                for f in self.findings
            ],
        }
