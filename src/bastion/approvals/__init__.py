"""Human approvals: tiers, scopes (once / session / always / deny), pinned asks, the pending
queue for agents that cannot ask, the terminal prompt, break-glass bypass, security events."""

from bastion.approvals.bypass import Bypass, BypassError, BypassState
from bastion.approvals.events import (
    CallableSink,
    EventBus,
    EventKind,
    EventSink,
    NullSink,
    SecurityEvent,
    verdict_events,
)
from bastion.approvals.keys import approval_key
from bastion.approvals.model import (
    ApprovalError,
    ApprovalKey,
    Grant,
    PendingApproval,
    PinnedError,
    QueueFull,
    RequestState,
    Scope,
)
from bastion.approvals.origin import agent_context
from bastion.approvals.pinned import PinnedPolicy
from bastion.approvals.prompt import prompt_terminal
from bastion.approvals.store import ApprovalStore
from bastion.approvals.tiers import retier, tier_overrides

__all__ = [
    "ApprovalError",
    "ApprovalKey",
    "ApprovalStore",
    "Bypass",
    "BypassError",
    "BypassState",
    "CallableSink",
    "EventBus",
    "EventKind",
    "EventSink",
    "Grant",
    "NullSink",
    "PendingApproval",
    "PinnedError",
    "PinnedPolicy",
    "QueueFull",
    "RequestState",
    "Scope",
    "SecurityEvent",
    "agent_context",
    "approval_key",
    "prompt_terminal",
    "retier",
    "tier_overrides",
    "verdict_events",
]
