"""DM pairing: an unknown user asks for a code, the operator approves it with `bastion pairing
approve PLATFORM CODE`, and the user is allowed from then on.

Limits: a code lives CODE_TTL_S (1 hour); one request per user per REQUEST_INTERVAL_S (10
minutes); at most MAX_PENDING_PER_PLATFORM (3) live codes per platform; MAX_FAILED_APPROVALS
(5) wrong codes on a platform within LOCKOUT_S lock approvals there for LOCKOUT_S (1 hour).
Each operation is one transaction on the store, so concurrent processes see each code approved
at most once. The code is returned to the caller once (to send to the user) and otherwise
exists only as a keyed digest (codes.py): it is never logged, stored or put in an event.
Approving a code that was approved moments ago (two operators racing) answers ALREADY_USED and
does not count as a failed attempt.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

from bastion.gateway import codes
from bastion.gateway import events as ev
from bastion.gateway.events import EventSink, GatewayEvent, no_sink
from bastion.gateway.identity import Identity, check_platform
from bastion.gateway.store import Paired, PairingState, PairingStore, Pending, Used

CODE_TTL_S = 3600.0
REQUEST_INTERVAL_S = 600.0
MAX_PENDING_PER_PLATFORM = 3
MAX_FAILED_APPROVALS = 5
LOCKOUT_S = 3600.0
MAX_TRACKED_REQUESTS = 10_000
"""Rate-limit entries kept; the oldest go first, so a flood of new ids cannot grow the store."""

Clock = Callable[[], float]


class RequestOutcome(enum.Enum):
    ISSUED = "issued"
    RATE_LIMITED = "rate_limited"
    CAP_REACHED = "cap_reached"
    ALREADY_PAIRED = "already_paired"


class ApproveOutcome(enum.Enum):
    APPROVED = "approved"
    INVALID = "invalid"
    """Wrong, expired or malformed: deliberately not told apart."""
    ALREADY_USED = "already_used"
    """The code was approved within the last CODE_TTL_S; `identity` says for whom."""
    LOCKED = "locked"


@dataclass(frozen=True)
class CodeRequest:
    outcome: RequestOutcome
    code: str | None = field(default=None, repr=False)
    """Only for ISSUED: send it to the user, and nowhere else (repr hides it)."""
    expires_at: float | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class Approval:
    outcome: ApproveOutcome
    identity: Identity | None = None
    locked_until: float | None = None


@dataclass(frozen=True)
class PendingInfo:
    identity: Identity
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class PairingListing:
    paired: tuple[Paired, ...]
    pending: tuple[PendingInfo, ...]
    locked_until: dict[str, float]


class Pairing:
    def __init__(
        self,
        store: PairingStore | None = None,
        *,
        sink: EventSink = no_sink,
        clock: Clock = time.time,
    ) -> None:
        self.store = store if store is not None else PairingStore()
        self.sink = sink
        self.clock = clock

    def request_code(self, platform: str, user: str) -> CodeRequest:
        """What to answer an unknown user who wrote in a direct message."""
        who = Identity.of(platform, user)
        with self.store.transaction() as state:
            now = self.clock()
            _prune(state, now)
            result = self._request(state, who, now)
        self._emit(ev.PAIRING_REQUEST, result.outcome.value, who.platform, who.user, now)
        return result

    def _request(self, state: PairingState, who: Identity, now: float) -> CodeRequest:
        if state.is_paired(who):
            return CodeRequest(RequestOutcome.ALREADY_PAIRED)
        last = state.last_request.get(who)
        if last is not None and now - last < REQUEST_INTERVAL_S:
            return CodeRequest(
                RequestOutcome.RATE_LIMITED, retry_after_s=REQUEST_INTERVAL_S - (now - last)
            )
        others = [p for p in state.pending if p.identity.platform == who.platform]
        others = [p for p in others if p.identity != who]
        if len(others) >= MAX_PENDING_PER_PLATFORM:
            # No rate limit for an answer without a code: they may ask as soon as a slot frees.
            return CodeRequest(RequestOutcome.CAP_REACHED, retry_after_s=REQUEST_INTERVAL_S)
        state.last_request[who] = now
        _cap_tracked(state)
        code, salt = codes.new_code(), codes.new_salt()
        digest = codes.digest(self.store.secret(), salt, who.platform, code)
        # A user's new code replaces their old one: one live code per person.
        state.pending = [p for p in state.pending if p.identity != who]
        state.pending.append(Pending(who, salt, digest, now))
        return CodeRequest(RequestOutcome.ISSUED, code=code, expires_at=now + CODE_TTL_S)

    def approve(self, platform: str, code: str) -> Approval:
        """Pair the user whose live code on `platform` this is; IdentityError on a bad platform."""
        name = check_platform(platform)
        locked_now = False
        with self.store.transaction() as state:
            now = self.clock()
            _prune(state, now)
            result = self._approve(state, name, codes.normalize_code(code), now)
            locked_now = result.outcome is ApproveOutcome.INVALID and name in state.locked_until
            if locked_now:
                result = Approval(ApproveOutcome.INVALID, locked_until=state.locked_until[name])
        user = result.identity.user if result.identity is not None else ""
        self._emit(ev.PAIRING_APPROVE, result.outcome.value, name, user, now)
        if locked_now and result.locked_until is not None:
            until = str(int(result.locked_until))
            self._emit(ev.PAIRING_LOCKOUT, "locked", name, "", now, until=until)
        return result

    def _approve(
        self, state: PairingState, platform: str, code: str | None, now: float
    ) -> Approval:
        until = state.locked_until.get(platform)
        if until is not None:
            return Approval(ApproveOutcome.LOCKED, locked_until=until)
        key = self.store.secret()
        match = None
        if code is not None:
            for pending in state.pending:
                if pending.identity.platform == platform and codes.matches(
                    key, pending.salt, platform, code, pending.digest
                ):
                    match = pending
                    break
        if match is None and code is not None:
            for used in state.used:
                if used.identity.platform == platform and codes.matches(
                    key, used.salt, platform, code, used.digest
                ):
                    return Approval(ApproveOutcome.ALREADY_USED, identity=used.identity)
        if match is None:
            failures = state.failures.setdefault(platform, [])
            failures.append(now)
            if len(failures) >= MAX_FAILED_APPROVALS:
                state.locked_until[platform] = now + LOCKOUT_S
                del state.failures[platform]
            return Approval(ApproveOutcome.INVALID)
        state.pending.remove(match)
        state.used.append(Used(match.identity, match.salt, match.digest, now))
        if not state.is_paired(match.identity):
            state.paired.append(Paired(match.identity, now))
        state.last_request.pop(match.identity, None)
        return Approval(ApproveOutcome.APPROVED, identity=match.identity)

    def revoke(self, platform: str, user: str) -> bool:
        """Unpair a user (and drop any code they hold); False if they were not paired."""
        who = Identity.of(platform, user)
        with self.store.transaction() as state:
            now = self.clock()
            found = state.is_paired(who)
            state.paired = [p for p in state.paired if p.identity != who]
            state.pending = [p for p in state.pending if p.identity != who]
            state.used = [u for u in state.used if u.identity != who]
        outcome = "revoked" if found else "not_found"
        self._emit(ev.PAIRING_REVOKE, outcome, who.platform, who.user, now)
        return found

    def clear_pending(self, platform: str | None = None) -> int:
        """Drop every pending code (of one platform); how many were dropped."""
        name = check_platform(platform) if platform is not None else None
        with self.store.transaction() as state:
            now = self.clock()
            keep = [p for p in state.pending if name is not None and p.identity.platform != name]
            count = len(state.pending) - len(keep)
            state.pending = keep
        self._emit(ev.PAIRING_CLEAR, "cleared", name or "", "", now, count=str(count))
        return count

    def listing(self) -> PairingListing:
        state = self.store.read()
        now = self.clock()
        _prune(state, now)  # a snapshot: pruning here changes nothing on disk
        return PairingListing(
            paired=tuple(sorted(state.paired, key=lambda p: p.identity)),
            pending=tuple(
                PendingInfo(p.identity, p.created_at, p.created_at + CODE_TTL_S)
                for p in sorted(state.pending, key=lambda p: p.created_at)
            ),
            locked_until=dict(state.locked_until),
        )

    def is_paired(self, identity: Identity) -> bool:
        return self.store.read().is_paired(identity)

    def _emit(
        self, kind: str, outcome: str, platform: str, user: str, now: float, **detail: str
    ) -> None:
        self.sink(
            GatewayEvent(
                kind=kind,
                outcome=outcome,
                platform=platform,
                user=user,
                at=now,
                detail=MappingProxyType(detail),
            )
        )


def _prune(state: PairingState, now: float) -> None:
    """Drop expired codes, stale rate-limit entries, old failures and finished lockouts."""
    state.pending = [p for p in state.pending if now - p.created_at < CODE_TTL_S]
    state.used = [u for u in state.used if now - u.used_at < CODE_TTL_S]
    state.last_request = {
        who: at for who, at in state.last_request.items() if now - at < REQUEST_INTERVAL_S
    }
    for platform in list(state.failures):
        recent = [t for t in state.failures[platform] if now - t < LOCKOUT_S]
        if recent:
            state.failures[platform] = recent
        else:
            del state.failures[platform]
    for platform, until in list(state.locked_until.items()):
        if now >= until:
            del state.locked_until[platform]


def _cap_tracked(state: PairingState) -> None:
    if len(state.last_request) > MAX_TRACKED_REQUESTS:
        oldest = sorted(state.last_request.items(), key=lambda item: item[1])
        for who, _ in oldest[: len(oldest) - MAX_TRACKED_REQUESTS]:
            del state.last_request[who]
