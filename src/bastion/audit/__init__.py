"""The audit trail: hash-chained per-session JSONL logs, indexed in SQLite, verifiable.

For hooks: `record_verdict(call, verdict, session=..., agent=...)` (never raises).
For other layers (approvals, events): `default_log()` or an `AuditLog` of your own, then
`append(session, kind, fields)`, `event(...)`, `approval(...)`."""

from bastion.audit.hook import default_log, failure_count, record_verdict, set_default_log
from bastion.audit.interface import ApprovalRow, AuditStore, Head, Query, Stats
from bastion.audit.log import AuditLog
from bastion.audit.records import AuditError, Record
from bastion.audit.verify import Level, Problem, SessionReport, verify_all, verify_session

__all__ = [
    "ApprovalRow",
    "AuditError",
    "AuditLog",
    "AuditStore",
    "Head",
    "Level",
    "Problem",
    "Query",
    "Record",
    "SessionReport",
    "Stats",
    "default_log",
    "failure_count",
    "record_verdict",
    "set_default_log",
    "verify_all",
    "verify_session",
]
