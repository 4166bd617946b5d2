"""What the gateway reports to the audit trail: one frozen event per decision or pairing change.

The sink is any callable taking a `GatewayEvent`: `audit.audit_sink()` writes them to the audit
log (`GatewayAccess.from_config` and `bastion pairing` use it); a bare `Pairing` or
`Authorizer` drops them unless given one. Events carry platform and user ids and outcomes,
never a pairing code. A sink that raises propagates to the caller: an answer whose audit
record failed is not given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

AUTHORIZE = "gateway.authorize"
"""outcome "allow" / "deny"; reason: the check-order step that decided."""
PAIRING_REQUEST = "gateway.pairing.request"
"""outcome "issued", "rate_limited", "cap_reached" or "already_paired"."""
PAIRING_APPROVE = "gateway.pairing.approve"
"""outcome "approved", "invalid", "already_used" (approved just before, e.g. by a racing
operator: not a failed attempt) or "locked"."""
PAIRING_LOCKOUT = "gateway.pairing.lockout"
"""outcome "locked": too many failed approvals on a platform; detail.until (epoch seconds)."""
PAIRING_REVOKE = "gateway.pairing.revoke"
"""outcome "revoked" or "not_found"."""
PAIRING_CLEAR = "gateway.pairing.clear_pending"
"""outcome "cleared"; detail.count."""


@dataclass(frozen=True)
class GatewayEvent:
    kind: str
    outcome: str
    platform: str = ""
    user: str = ""
    reason: str = ""
    at: float = 0.0
    """Epoch seconds from the component's clock."""
    detail: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


EventSink = Callable[[GatewayEvent], None]


def no_sink(event: GatewayEvent) -> None:
    """The default sink: the audit trail is optional for library users."""
    del event
