"""Chat-gateway access control: who may talk to an agent over Telegram, Discord, Slack,
WhatsApp or web chat (allowlists and DM pairing), and whose conversation is whose (session and
continuity keys). A library with no chat client; `bastion pairing` is its CLI."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

_WHERE = {
    "GatewayAccess": "bastion.gateway.access",
    "audit_sink": "bastion.gateway.audit",
    "AccessDecision": "bastion.gateway.authorize",
    "Authorizer": "bastion.gateway.authorize",
    "GatewayConfigError": "bastion.gateway.errors",
    "GatewayError": "bastion.gateway.errors",
    "IdentityError": "bastion.gateway.errors",
    "PairingStoreError": "bastion.gateway.errors",
    "SessionKeyError": "bastion.gateway.errors",
    "EventSink": "bastion.gateway.events",
    "GatewayEvent": "bastion.gateway.events",
    "no_sink": "bastion.gateway.events",
    "Identity": "bastion.gateway.identity",
    "parse_identity": "bastion.gateway.identity",
    "Approval": "bastion.gateway.pairing",
    "ApproveOutcome": "bastion.gateway.pairing",
    "CodeRequest": "bastion.gateway.pairing",
    "Pairing": "bastion.gateway.pairing",
    "RequestOutcome": "bastion.gateway.pairing",
    "AccessPolicy": "bastion.gateway.policy",
    "Route": "bastion.gateway.sessions",
    "SessionKey": "bastion.gateway.sessions",
    "SessionRouter": "bastion.gateway.sessions",
    "new_session_key": "bastion.gateway.sessions",
    "parse_session_key": "bastion.gateway.sessions",
    "require_session_id": "bastion.gateway.sessions",
    "session_for_request": "bastion.gateway.sessions",
    "PairingStore": "bastion.gateway.store",
}
__all__ = sorted(_WHERE)

__getattr__ = lazy_names(__name__, _WHERE)
