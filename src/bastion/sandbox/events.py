"""What the egress proxy reports: one event per connection it allows or refuses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ConnectionEvent:
    host: str
    port: int
    method: str
    """CONNECT for a tunnel (HTTPS and anything else), else the HTTP method."""
    allowed: bool
    reason: str
    """Why it was refused (the proxy's message), or "" when allowed."""
    address: str = ""
    """The address actually connected to (pinned: the one that was checked)."""


EventSink = Callable[[ConnectionEvent], None]


def discard(event: ConnectionEvent) -> None:
    """The default sink: no audit log wired."""
    del event
