"""Human approvals: tiers, scopes (once / session / always / deny), pinned asks, the pending
queue for agents that cannot ask, the terminal prompt, break-glass bypass, security events."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

_WHERE = {
    "Bypass": "bastion.approvals.bypass",
    "BypassError": "bastion.approvals.bypass",
    "BypassState": "bastion.approvals.bypass",
    "CallableSink": "bastion.approvals.events",
    "EventBus": "bastion.approvals.events",
    "EventKind": "bastion.approvals.events",
    "EventSink": "bastion.approvals.events",
    "NullSink": "bastion.approvals.events",
    "SecurityEvent": "bastion.approvals.events",
    "verdict_events": "bastion.approvals.events",
    "approval_key": "bastion.approvals.keys",
    "ApprovalError": "bastion.approvals.model",
    "ApprovalKey": "bastion.approvals.model",
    "Grant": "bastion.approvals.model",
    "PendingApproval": "bastion.approvals.model",
    "PinnedError": "bastion.approvals.model",
    "QueueFull": "bastion.approvals.model",
    "RequestState": "bastion.approvals.model",
    "Scope": "bastion.approvals.model",
    "agent_context": "bastion.approvals.origin",
    "PinnedPolicy": "bastion.approvals.pinned",
    "prompt_terminal": "bastion.approvals.prompt",
    "ApprovalStore": "bastion.approvals.store",
    "retier": "bastion.approvals.tiers",
    "tier_overrides": "bastion.approvals.tiers",
}
__all__ = sorted(_WHERE)

__getattr__ = lazy_names(__name__, _WHERE)
