"""The audit trail: hash-chained per-session JSONL logs, indexed in SQLite, verifiable.

For hooks: `record_verdict(call, verdict, session=..., agent=...)` (never raises).
For other layers (approvals, events): `default_log()` or an `AuditLog` of your own, then
`append(session, kind, fields)`, `event(...)`, `approval(...)`."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

_WHERE = {
    "default_log": "bastion.audit.hook",
    "failure_count": "bastion.audit.hook",
    "record_verdict": "bastion.audit.hook",
    "set_default_log": "bastion.audit.hook",
    "ApprovalRow": "bastion.audit.interface",
    "AuditStore": "bastion.audit.interface",
    "Head": "bastion.audit.interface",
    "Query": "bastion.audit.interface",
    "Stats": "bastion.audit.interface",
    "AuditLog": "bastion.audit.log",
    "AuditError": "bastion.audit.records",
    "Record": "bastion.audit.records",
    "Level": "bastion.audit.verify",
    "Problem": "bastion.audit.verify",
    "SessionReport": "bastion.audit.verify",
    "verify_all": "bastion.audit.verify",
    "verify_session": "bastion.audit.verify",
}
__all__ = sorted(_WHERE)

__getattr__ = lazy_names(__name__, _WHERE)
