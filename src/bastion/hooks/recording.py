"""What a hook call leaves behind: the verdict in the audit log, and security events (for the
audit log and for the subscribers the user configured). Nothing here can change an answer:
every failure is reported on stderr and counted, never raised."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

from bastion.audit.location import audit_dir
from bastion.audit.log import AuditLog
from bastion.config import Config
from bastion.model import Decision, ToolCall, Verdict

if TYPE_CHECKING:
    from bastion.approvals.events import EventBus, SecurityEvent

_logs: dict[tuple[str, bool, bool], AuditLog] = {}


def audit_log(config: Config | None) -> AuditLog:
    """One log per process, directory and setting (its SQLite index stays open between
    calls); the directory follows the environment ($BASTION_AUDIT_DIR, XDG, HOME)."""
    enabled = bool(config.value("audit.enabled")) if config is not None else True
    fsync = bool(config.value("audit.fsync")) if config is not None else False
    directory = audit_dir()
    key = (str(directory), enabled, fsync)
    log = _logs.get(key)
    if log is None:
        if len(_logs) >= 8:  # a daemon serving many homes is not a case to grow for
            _logs.clear()
        log = _logs[key] = AuditLog(directory, enabled=enabled, fsync=fsync)
    return log


def session_of(call: ToolCall) -> str:
    return call.session_id or f"{call.agent}-no-session"


def event_bus(config: Config | None, call: ToolCall) -> EventBus:
    # Loaded when there is an event to send (asks and denies), not for every allowed call.
    from bastion.approvals.events import CallableSink, EventBus
    from bastion.approvals.subscribers import subscribers_from_config

    log = audit_log(config)
    session = session_of(call)

    def to_audit(event: SecurityEvent) -> None:
        log.safe(lambda: log.append(event.session or session, str(event.kind), dict(event.fields)))

    subscribers = subscribers_from_config(config) if config is not None else []
    return EventBus(CallableSink(to_audit), *subscribers)


def record(config: Config | None, call: ToolCall, verdict: Verdict) -> None:
    try:
        log = audit_log(config)
        log.record_verdict(call, verdict, session=session_of(call), agent=call.agent)
        if verdict.decision is not Decision.ALLOW:
            from bastion.approvals.events import verdict_events

            bus = event_bus(config, call)
            for event in verdict_events(call, verdict):
                bus.emit(event)
    except Exception as exc:  # e.g. a malformed [events] entry: report it, keep the answer
        _report(exc)


def _report(exc: Exception) -> None:
    with contextlib.suppress(Exception):
        print(f"bastion: audit/events: {type(exc).__name__}: {exc}", file=sys.stderr)


def record_injection(config: Config | None, call: ToolCall, notice: str) -> None:
    try:
        log = audit_log(config)
    except Exception as exc:
        _report(exc)
        return
    log.safe(
        lambda: log.event(
            session_of(call), "injection_detected", agent=call.agent, tool=call.tool_name,
            reason=notice,
        )
    )  # fmt: skip
