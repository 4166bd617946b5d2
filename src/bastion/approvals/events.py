"""Security events and the sinks they go to.

`EventSink` is the one seam: the audit log, the config's commands and webhooks, and Python
callables all receive a `SecurityEvent`. A sink that fails is reported on stderr and skipped:
an event never changes or delays a verdict beyond its subscribers' own time limits."""

from __future__ import annotations

import contextlib
import enum
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from bastion.model import Decision, ToolCall, Verdict


class EventKind(enum.StrEnum):
    SECURITY_BLOCKED = "security_blocked"
    PATH_VIOLATION = "path_violation"
    TOOL_RESTRICTED = "tool_restricted"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_GRANTED = "approval_granted"
    APPROVAL_DENIED = "approval_denied"
    INJECTION_DETECTED = "injection_detected"
    BYPASS_CHANGED = "bypass_changed"
    """Break-glass switched on or off (not in the issue's list; too important to leave out)."""
    STORE_TAMPERED = "store_tampered"
    """Stored approvals without a valid MAC were found and ignored: something else wrote them."""


@dataclass(frozen=True)
class SecurityEvent:
    kind: EventKind
    session: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    time: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        if not self.time:
            object.__setattr__(self, "time", time.time())

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "session": self.session,
            "time": self.time,
            "fields": dict(self.fields),
        }


@runtime_checkable
class EventSink(Protocol):
    def emit(self, event: SecurityEvent) -> None: ...


class NullSink:
    """The default: events go nowhere."""

    def emit(self, event: SecurityEvent) -> None:
        del event


class CallableSink:
    """Adapts a function, e.g. `CallableSink(lambda e: audit.append(e.session, e.kind,
    e.fields))`."""

    def __init__(self, fn: Callable[[SecurityEvent], object]) -> None:
        self._fn = fn

    def emit(self, event: SecurityEvent) -> None:
        self._fn(event)


class EventBus:
    """Fans an event out to every subscriber; one failing never stops the others."""

    def __init__(self, *sinks: EventSink, report: Callable[[str], None] | None = None) -> None:
        self._sinks: list[EventSink] = list(sinks)
        self._report = report or _stderr

    def subscribe(self, sink: EventSink | Callable[[SecurityEvent], object]) -> None:
        self._sinks.append(sink if isinstance(sink, EventSink) else CallableSink(sink))

    def emit(self, event: SecurityEvent) -> None:
        for sink in tuple(self._sinks):
            try:
                sink.emit(event)
            except Exception as exc:  # a subscriber's failure never breaks a verdict
                self._report(f"bastion: event subscriber {sink!r} failed: {exc}")


def _stderr(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr)


# Which layer's findings make which event; a deny from anywhere is `security_blocked` too.
_LAYER_EVENTS = {
    "paths": EventKind.PATH_VIOLATION,
    "tools": EventKind.TOOL_RESTRICTED,
    "content": EventKind.INJECTION_DETECTED,
}


def verdict_events(call: ToolCall, verdict: Verdict) -> list[SecurityEvent]:
    """The events one verdict makes (none for an allow without findings)."""
    subject = call.command if call.command is not None else " ".join(call.paths or call.urls)
    base = {"agent": call.agent, "tool": call.tool_name, "subject": subject[:1000]}
    events: list[SecurityEvent] = []
    if verdict.decision is Decision.DENY:
        rules = sorted({f.rule_id for f in verdict.findings if f.decision is Decision.DENY})
        events.append(
            SecurityEvent(EventKind.SECURITY_BLOCKED, call.session_id, {**base, "rules": rules})
        )
    by_kind: dict[EventKind, set[str]] = {}
    for finding in verdict.findings:
        kind = _LAYER_EVENTS.get(finding.layer)
        if kind is not None and finding.decision is not Decision.ALLOW:
            by_kind.setdefault(kind, set()).add(finding.rule_id)
    for kind, rule_ids in by_kind.items():
        fields = {**base, "rules": sorted(rule_ids), "decision": str(verdict.decision)}
        events.append(SecurityEvent(kind, call.session_id, fields))
    return events
