"""The hook-side entry point: one process-wide log, and a verdict recorder that never raises."""

from __future__ import annotations

import sys

from bastion.audit.log import AuditLog
from bastion.model import ToolCall, Verdict

_default: AuditLog | None = None


def default_log() -> AuditLog:
    """This process's log ($BASTION_AUDIT_DIR or the XDG state directory), made on first use."""
    global _default
    if _default is None:
        _default = AuditLog()
    return _default


def set_default_log(log: AuditLog | None) -> None:
    """Install a configured log (`AuditLog.from_config`); None goes back to the default."""
    global _default
    _default = log


def record_verdict(call: ToolCall, verdict: Verdict, *, session: str, agent: str) -> None:
    """Append the verdict to the default log. Never raises: a failure is printed on stderr
    and counted (`failure_count`), and the hook answers as it would have anyway."""
    try:
        log = default_log()
    except Exception as exc:  # e.g. no home directory to put the log in
        global _setup_failures
        _setup_failures += 1
        print(f"bastion: audit: record not written: {exc}", file=sys.stderr)
        return
    log.record_verdict(call, verdict, session=session, agent=agent)


_setup_failures = 0


def failure_count() -> int:
    """Records this process failed to write through `record_verdict`."""
    return _setup_failures + (_default.failures if _default is not None else 0)
