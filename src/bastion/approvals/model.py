"""Values of the approval flow: scopes, the key an approval binds to, grants and requests."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bastion.config.errors import BastionError


class Scope(enum.StrEnum):
    """What a human's answer covers. DENY is an answer too: remembered for the session."""

    ONCE = "once"
    SESSION = "session"
    ALWAYS = "always"
    DENY = "deny"


class RequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"


class ApprovalError(BastionError):
    """An approval that cannot be made (unknown id, already answered, pinned beyond once...)."""


class PinnedError(ApprovalError):
    """A pinned or red ask may be approved once, never for a session or always."""


class QueueFull(ApprovalError):
    """Too many requests wait for a human already: the new one is denied."""


@dataclass(frozen=True)
class ApprovalKey:
    """What an approval binds to. `digest` is the identity; the rest is for humans."""

    digest: str
    rules: tuple[str, ...]
    target: str
    """The normalised command, paths, URLs or MCP call."""
    project: str

    def short(self) -> str:
        return self.digest[:12]


@dataclass(frozen=True)
class Grant:
    """A stored answer: ALWAYS grants live in the user's config area, the rest in state."""

    key: str
    scope: Scope
    created: float
    session: str = ""
    """For SESSION and DENY; ONCE grants name the session that asked too (used by that one)."""
    rules: tuple[str, ...] = ()
    target: str = ""
    project: str = ""
    by: str = ""
    request_id: int | None = None


@dataclass(frozen=True)
class PendingApproval:
    """A request a headless agent's call left for a human (`bastion approvals approve ID`)."""

    id: int
    key: str
    rules: tuple[str, ...]
    target: str
    project: str
    agent: str
    session: str
    reason: str
    created: float
    deadline: float
    pinned: bool
    state: RequestState = RequestState.PENDING
    answered: float | None = None
    scope: Scope | None = None
    note: str = ""
    """The human's reason for a deny, or why it expired."""

    @property
    def open(self) -> bool:
        return self.state is RequestState.PENDING

    def approve_command(self) -> str:
        return f"bastion approvals approve {self.id}"
