"""The gateway's default event sink: every authorization decision and pairing change becomes a
record in bastion's audit log (session "gateway").

Kinds: `gateway_authorize` for access checks, `gateway_pairing` for everything pairing does
(`action` says what: request, approve, lockout, revoke, clear_pending). Events never hold a
pairing code, so neither do the records. A record that cannot be written raises AuditError to
the caller (events.py): an answer whose audit record failed is not given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bastion.gateway import events as ev
from bastion.gateway.events import EventSink, GatewayEvent

if TYPE_CHECKING:
    from bastion.audit.log import AuditLog
    from bastion.config.model import Config

SESSION = "gateway"
AUTHORIZE_KIND = "gateway_authorize"
PAIRING_KIND = "gateway_pairing"
_PAIRING_ACTIONS = {
    ev.PAIRING_REQUEST: "request",
    ev.PAIRING_APPROVE: "approve",
    ev.PAIRING_LOCKOUT: "lockout",
    ev.PAIRING_REVOKE: "revoke",
    ev.PAIRING_CLEAR: "clear_pending",
}


def record_of(event: GatewayEvent) -> tuple[str, dict[str, Any]]:
    """The audit kind and fields of one event."""
    fields: dict[str, Any] = {
        "outcome": event.outcome,
        "platform": event.platform,
        "user": event.user,
        "at": event.at,
    }
    if event.reason:
        fields["reason"] = event.reason
    if event.detail:
        fields["detail"] = dict(event.detail)
    if event.kind == ev.AUTHORIZE:
        return AUTHORIZE_KIND, fields
    # An unknown kind keeps its name in the record rather than being dropped.
    return PAIRING_KIND, {"action": _PAIRING_ACTIONS.get(event.kind, event.kind), **fields}


def audit_sink(log: AuditLog | None = None, config: Config | None = None) -> EventSink:
    """A sink appending to `log` (else one built from `config`, else the default audit log:
    `$BASTION_AUDIT_DIR`, else the state directory)."""
    from bastion.audit.log import AuditLog  # loaded only by gateways that audit

    audit = log if log is not None else (
        AuditLog.from_config(config) if config is not None else AuditLog()
    )  # fmt: skip

    def sink(event: GatewayEvent) -> None:
        kind, fields = record_of(event)
        audit.append(SESSION, kind, fields)

    return sink
