"""Chat-gateway access control: who may talk to an agent over Telegram, Discord, Slack,
WhatsApp or web chat (allowlists and DM pairing), and whose conversation is whose (session and
continuity keys). A library with no chat client; `bastion pairing` is its CLI."""

from bastion.gateway.access import GatewayAccess
from bastion.gateway.authorize import AccessDecision, Authorizer
from bastion.gateway.errors import (
    GatewayConfigError,
    GatewayError,
    IdentityError,
    PairingStoreError,
    SessionKeyError,
)
from bastion.gateway.events import EventSink, GatewayEvent, no_sink
from bastion.gateway.identity import Identity, parse_identity
from bastion.gateway.pairing import Approval, ApproveOutcome, CodeRequest, Pairing, RequestOutcome
from bastion.gateway.policy import AccessPolicy
from bastion.gateway.sessions import (
    Route,
    SessionKey,
    SessionRouter,
    new_session_key,
    parse_session_key,
    require_session_id,
    session_for_request,
)
from bastion.gateway.store import PairingStore

__all__ = [
    "AccessDecision",
    "AccessPolicy",
    "Approval",
    "ApproveOutcome",
    "Authorizer",
    "CodeRequest",
    "EventSink",
    "GatewayAccess",
    "GatewayConfigError",
    "GatewayError",
    "GatewayEvent",
    "Identity",
    "IdentityError",
    "Pairing",
    "PairingStore",
    "PairingStoreError",
    "RequestOutcome",
    "Route",
    "SessionKey",
    "SessionKeyError",
    "SessionRouter",
    "new_session_key",
    "no_sink",
    "parse_identity",
    "parse_session_key",
    "require_session_id",
    "session_for_request",
]
