"""The access check, in this order: the platform's allow-all flag, approved pairings, the
platform's allowlist, the global allowlist, global allow-all; otherwise deny.

A pairing store that cannot be read only hides grants (it never holds a deny), so the check
carries on without pairings and says so in the decision's event; nothing fails open.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from types import MappingProxyType

from bastion.gateway import events as ev
from bastion.gateway.errors import IdentityError, PairingStoreError
from bastion.gateway.events import EventSink, GatewayEvent, no_sink
from bastion.gateway.identity import Identity
from bastion.gateway.pairing import Clock
from bastion.gateway.policy import AccessPolicy
from bastion.gateway.store import PairingStore

PLATFORM_ALLOW_ALL = "platform-allow-all"
PAIRED = "paired"
PLATFORM_ALLOWLIST = "platform-allowlist"
GLOBAL_ALLOWLIST = "global-allowlist"
ALLOW_ALL = "allow-all"
NOT_ALLOWED = "not-allowed"
INVALID_IDENTITY = "invalid-identity"


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str
    """The step that decided: one of the constants above."""
    identity: Identity | None = None
    """None when the ids themselves were malformed."""
    message: str = ""
    """For a deny: what the user or operator can do about it."""


class PairedIndex:
    """Approved identities, re-read only when the store file changes (one stat per check)."""

    def __init__(self, store: PairingStore) -> None:
        self.store = store
        self._stamp: tuple[int, int, int] | None = None
        self._paired: frozenset[Identity] = frozenset()

    def current(self) -> frozenset[Identity]:
        try:
            info = os.stat(self.store.path)
        except FileNotFoundError:
            self._stamp, self._paired = None, frozenset()
            return self._paired
        except OSError as exc:
            raise PairingStoreError(f"{self.store.path}: {exc.strerror or exc}") from exc
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp != self._stamp:
            # Stamp taken before the read: a write in between is picked up on the next check.
            self._paired = frozenset(p.identity for p in self.store.read().paired)
            self._stamp = stamp
        return self._paired


class Authorizer:
    def __init__(
        self,
        policy: AccessPolicy,
        store: PairingStore | None = None,
        *,
        sink: EventSink = no_sink,
        clock: Clock = time.time,
    ) -> None:
        self.policy = policy
        self.paired = PairedIndex(store if store is not None else PairingStore())
        self.sink = sink
        self.clock = clock

    def check(self, platform: object, user: object) -> AccessDecision:
        """Whether this user may talk to the agent; every decision goes to the sink."""
        detail: dict[str, str] = {}
        try:
            who = Identity.of(platform, user)
        except IdentityError as exc:
            decision = AccessDecision(False, INVALID_IDENTITY, message=str(exc))
        else:
            decision = self._decide(who, detail)
        self.sink(
            GatewayEvent(
                kind=ev.AUTHORIZE,
                outcome="allow" if decision.allowed else "deny",
                platform=decision.identity.platform if decision.identity else "",
                user=decision.identity.user if decision.identity else "",
                reason=decision.reason,
                at=self.clock(),
                detail=MappingProxyType(detail),
            )
        )
        return decision

    def _decide(self, who: Identity, detail: dict[str, str]) -> AccessDecision:
        policy = self.policy
        if who.platform in policy.allow_all_platforms:
            return AccessDecision(True, PLATFORM_ALLOW_ALL, who)
        try:
            if who in self.paired.current():
                return AccessDecision(True, PAIRED, who)
        except PairingStoreError as exc:
            detail["store_error"] = str(exc)
        if who.user in policy.platform_users.get(who.platform, frozenset()):
            return AccessDecision(True, PLATFORM_ALLOWLIST, who)
        if who.user in policy.global_users:
            return AccessDecision(True, GLOBAL_ALLOWLIST, who)
        if policy.allow_all:
            return AccessDecision(True, ALLOW_ALL, who)
        return AccessDecision(
            False,
            NOT_ALLOWED,
            who,
            message=f"{who} is not allowed to talk to this agent: send it a direct message "
            "for a pairing code, and ask its operator to approve the code",
        )
