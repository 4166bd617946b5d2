"""ApprovalStore: stored answers to asks, and the queue of requests headless agents leave.

Where things live (fixed paths under the home directory, not XDG variables: the path layer's
`[paths] protected` and the self-protection rules name exactly these, and an agent must not be
able to move the store out from under them by setting a variable):
- `~/.config/bastion/approvals.json`: ALWAYS grants (policy the user chose: the config area);
- `~/.local/state/bastion/approvals.json`: ONCE / SESSION / DENY grants and pending requests.

Both are 0600, written atomically under a lock (storage.JsonFile). An answer binds to an
`ApprovalKey` (keys.py). Pinned asks (pinned.py, and red-tier asks) take ONCE answers only.

Every stored grant and request carries an HMAC-SHA256 keyed by a per-user secret,
`~/.config/bastion/approvals.key` (0600, made on first use; secret.py). An entry without a valid
MAC is ignored, dropped at the next write and reported (stderr and a `store_tampered` event):
a well-formed grant written by anything else (a script the agent runs) approves nothing. The
limits: a process running as the same user that can read the key file can still sign entries,
and a signed entry saved earlier can be put back while it would still be kept (replay); the OS
sandbox (`bastion run`, agent mode), which keeps the agent out of bastion's config and state,
closes both."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bastion.approvals.events import EventKind, EventSink, NullSink, SecurityEvent
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
from bastion.approvals.pinned import PinnedPolicy
from bastion.approvals.secret import SecretError, load_or_create_key, signed, verify
from bastion.approvals.storage import JsonFile, StoreError
from bastion.config import Config
from bastion.model import Decision, ToolCall, Verdict

FORMAT_VERSION = 1
DEFAULT_MAX_PENDING = 20
DEFAULT_TIMEOUT_S = 600
KEEP_ANSWERED_S = 24 * 3600
"""Answered requests and used-up grants are dropped after this (the audit log keeps history)."""
KEEP_SESSION_S = 7 * 24 * 3600
MAX_REASON_CHARS = 2000
KEY_NAME = "approvals.key"
GRANT_PURPOSE = "bastion approval grant v1"
REQUEST_PURPOSE = "bastion approval request v1"


def default_dirs(home: str | None = None) -> tuple[Path, Path]:
    base = Path(home) if home else Path.home()
    return base / ".config" / "bastion", base / ".local" / "state" / "bastion"


class ApprovalStore:
    def __init__(
        self,
        config_dir: str | os.PathLike[str],
        state_dir: str | os.PathLike[str],
        *,
        pinned: PinnedPolicy | None = None,
        project_root: str | None = None,
        max_pending: int = DEFAULT_MAX_PENDING,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        sink: EventSink | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.always_file = JsonFile(Path(config_dir) / "approvals.json")
        self.state_file = JsonFile(Path(state_dir) / "approvals.json")
        self.key_file = Path(config_dir) / KEY_NAME
        self._secret: bytes | None = None
        self._forged: list[tuple[Path, str, int]] = []
        """Unsigned entries found, reported once the file lock is released (sinks may be slow)."""
        self.pinned = pinned or PinnedPolicy()
        self.project_root = project_root
        self.max_pending = max_pending
        self.timeout_s = timeout_s
        self.sink: EventSink = sink or NullSink()
        self.clock = clock
        self.sleep = sleep

    @classmethod
    def from_config(
        cls, config: Config, *, home: str | None = None, sink: EventSink | None = None, **kw: Any
    ) -> ApprovalStore:
        config_dir, state_dir = default_dirs(home)
        max_pending = config.value("approvals.max_pending")
        timeout = config.value("approvals.approval_timeout_secs")
        assert isinstance(max_pending, int) and isinstance(timeout, int)
        return cls(
            config_dir,
            state_dir,
            pinned=PinnedPolicy.from_config(config, home),
            project_root=config.project_root,
            max_pending=max_pending,
            timeout_s=timeout,
            sink=sink,
            **kw,
        )

    # --- the hook's side ----------------------------------------------------------------------

    def key(self, call: ToolCall, verdict: Verdict) -> ApprovalKey:
        return approval_key(call, verdict, self.project_root)

    def pinned_reasons(
        self, call: ToolCall, verdict: Verdict, extra_paths: Iterable[str] = ()
    ) -> tuple[str, ...]:
        return self.pinned.reasons(call, verdict, extra_paths)

    def lookup(
        self, call: ToolCall, verdict: Verdict, extra_paths: Iterable[str] = ()
    ) -> Decision | None:
        """ALLOW when a stored answer covers this ask (a ONCE answer is used up), DENY when the
        human said no for this session, None when nobody has answered. Only asks are looked
        up: a deny is never turned into anything else here."""
        if verdict.decision is not Decision.ASK:
            return None
        key = self.key(call, verdict).digest
        pinned = bool(self.pinned_reasons(call, verdict, extra_paths))
        session = call.session_id
        grants = self._grants(self.state_file.read())
        self._flush_forged()
        if any(g.key == key and g.scope is Scope.DENY and g.session == session for g in grants):
            return Decision.DENY
        if any(
            g.key == key and g.scope is Scope.ONCE and _same(g.session, session) for g in grants
        ) and self._use_once(key, session):
            return Decision.ALLOW
        if pinned:
            return None
        if session and any(
            g.key == key and g.scope is Scope.SESSION and g.session == session for g in grants
        ):
            return Decision.ALLOW
        if any(g.key == key for g in self.always_grants()):
            return Decision.ALLOW
        return None

    def grant(
        self,
        call: ToolCall,
        verdict: Verdict,
        scope: Scope,
        *,
        by: str = "",
        extra_paths: Iterable[str] = (),
    ) -> Grant:
        """Record a human's answer given in a prompt bastion controls (prompt_terminal)."""
        key = self.key(call, verdict)
        reasons = self.pinned_reasons(call, verdict, extra_paths)
        _check_scope(scope, reasons)
        now = self.clock()
        grant = Grant(
            key.digest, scope, now, call.session_id, key.rules, key.target, key.project, by
        )
        self._store_grant(grant)
        kind = EventKind.APPROVAL_DENIED if scope is Scope.DENY else EventKind.APPROVAL_GRANTED
        self._emit(kind, call.session_id, {"scope": str(scope), **_key_fields(key), "by": by})
        return grant

    def request(
        self, call: ToolCall, verdict: Verdict, extra_paths: Iterable[str] = ()
    ) -> PendingApproval:
        """A request for a human, for agents that cannot ask. The same call from the same
        session gets the same open request back (retries do not flood the queue). Raises
        QueueFull when `max_pending` requests are open."""
        if verdict.decision is not Decision.ASK:
            raise ApprovalError(f"only an ask can be approved, not a {verdict.decision}")
        key = self.key(call, verdict)
        pinned = bool(self.pinned_reasons(call, verdict, extra_paths))
        now = self.clock()
        expired: list[PendingApproval] = []
        with self.state_file.update() as state:
            requests = self._requests(state, now, expired)
            for existing in requests.values():
                if (
                    existing.open
                    and existing.key == key.digest
                    and existing.session == call.session_id
                ):
                    state["requests"] = self._encode_requests(requests)
                    self._report_expired(expired)
                    return existing
            if sum(r.open for r in requests.values()) >= self.max_pending:
                state["requests"] = self._encode_requests(requests)
                raise QueueFull(
                    f"{self.max_pending} requests already wait for a human "
                    "(`bastion approvals list`); answer or deny some first"
                )
            number = int(state.get("next_id", 1))
            state["next_id"] = number + 1
            pending = PendingApproval(
                id=number,
                key=key.digest,
                rules=key.rules,
                target=key.target,
                project=key.project,
                agent=call.agent,
                session=call.session_id,
                reason=verdict.reason[:MAX_REASON_CHARS],
                created=now,
                deadline=now + self.timeout_s,
                pinned=pinned,
            )
            requests[number] = pending
            state["requests"] = self._encode_requests(requests)
        self._report_expired(expired)
        self._emit(
            EventKind.APPROVAL_REQUESTED,
            call.session_id,
            {"id": pending.id, "agent": call.agent, "pinned": pinned, **_key_fields(key)},
        )
        return pending

    def status(self, request_id: int) -> PendingApproval:
        requests = self._decode_requests(self.state_file.read())
        self._flush_forged()
        found = requests.get(request_id)
        if found is None:
            raise ApprovalError(f"no request {request_id}")
        return found

    def wait_for(self, request_id: int, timeout: float, poll: float = 0.25) -> Decision:
        """Wait (bounded) for a human's answer: ALLOW when approved (a ONCE answer is used up
        by this call), DENY when denied, expired, or still unanswered after `timeout` seconds.
        An unanswered request stays open: the human may still approve it for a retry."""
        give_up = self.clock() + max(0.0, timeout)
        while True:
            now = self.clock()
            try:
                request = self.status(request_id)
            except ApprovalError:
                return Decision.DENY
            if request.state is RequestState.APPROVED:
                if request.scope is Scope.ONCE and not self._use_once(request.key, request.session):
                    return Decision.DENY  # someone else used it already
                return Decision.ALLOW
            if request.state is not RequestState.PENDING:
                return Decision.DENY
            if now >= request.deadline:
                self.expire_overdue()
                return Decision.DENY
            if now >= give_up:
                return Decision.DENY
            self.sleep(min(poll, max(0.0, give_up - now)))

    # --- the human's side (bastion approvals ...) -----------------------------------------------

    def pending(self, *, include_answered: bool = False) -> list[PendingApproval]:
        expired = self.expire_overdue()
        requests = self._decode_requests(self.state_file.read())
        self._flush_forged()
        shown = [r for r in requests.values() if include_answered or r.open]
        del expired
        return sorted(shown, key=lambda r: r.id)

    def expire_overdue(self) -> list[PendingApproval]:
        now = self.clock()
        expired: list[PendingApproval] = []
        with self.state_file.update() as state:
            state["requests"] = self._encode_requests(self._requests(state, now, expired))
        self._report_expired(expired)
        return expired

    def approve(self, request_id: int, scope: Scope = Scope.ONCE, *, by: str = "") -> Grant:
        if scope is Scope.DENY:
            raise ApprovalError("use deny() to refuse a request")
        now = self.clock()
        expired: list[PendingApproval] = []
        with self.state_file.update() as state:
            requests = self._requests(state, now, expired)
            request = self._open_request(requests, request_id)
            if request.pinned:
                _check_scope(scope, ("the request is pinned",))
            grant = Grant(
                request.key, scope, now, request.session, request.rules, request.target,
                request.project, by, request.id,
            )  # fmt: skip
            requests[request_id] = replace(
                request, state=RequestState.APPROVED, answered=now, scope=scope
            )
            state["requests"] = self._encode_requests(requests)
            if scope is not Scope.ALWAYS:
                state["grants"] = [*_list(state, "grants"), self._sign_grant(grant)]
        if scope is Scope.ALWAYS:
            self._store_grant(grant)
        self._report_expired(expired)
        self._emit(
            EventKind.APPROVAL_GRANTED,
            request.session,
            {"id": request_id, "scope": str(scope), "rules": list(request.rules),
             "target": request.target, "project": request.project, "by": by},
        )  # fmt: skip
        return grant

    def deny(self, request_id: int, reason: str = "", *, by: str = "") -> PendingApproval:
        now = self.clock()
        expired: list[PendingApproval] = []
        with self.state_file.update() as state:
            requests = self._requests(state, now, expired)
            request = self._open_request(requests, request_id)
            denied = replace(
                request,
                state=RequestState.DENIED,
                answered=now,
                scope=Scope.DENY,
                note=reason[:MAX_REASON_CHARS],
            )
            requests[request_id] = denied
            state["requests"] = self._encode_requests(requests)
            grant = Grant(request.key, Scope.DENY, now, request.session, request.rules,
                          request.target, request.project, by, request.id)  # fmt: skip
            state["grants"] = [*_list(state, "grants"), self._sign_grant(grant)]
        self._report_expired(expired)
        self._emit(
            EventKind.APPROVAL_DENIED,
            request.session,
            {"id": request_id, "reason": denied.note, "rules": list(request.rules),
             "target": request.target, "by": by},
        )  # fmt: skip
        return denied

    def always_grants(self) -> list[Grant]:
        """ALWAYS grants with a valid MAC, filed under their own key."""
        grants, forged = [], 0
        for name, raw in _dict(self.always_file.read(), "grants").items():
            grant = self._verified_grant(raw)
            if grant is None or grant.key != name or grant.scope is not Scope.ALWAYS:
                forged += 1
            else:
                grants.append(grant)
        self._report_forged(self.always_file.path, "grant", forged)
        self._flush_forged()
        return grants

    def revoke(self, key_prefix: str) -> int:
        """Drop ALWAYS grants whose key starts with `key_prefix` (at least 8 characters)."""
        if len(key_prefix) < 8:
            raise ApprovalError("give at least 8 characters of the key")
        with self.always_file.update() as document:
            grants = _dict(document, "grants")
            kept = {k: v for k, v in grants.items() if not k.startswith(key_prefix)}
            document["grants"] = kept
            document["version"] = FORMAT_VERSION
        return len(grants) - len(kept)

    # --- internals ------------------------------------------------------------------------------

    def _requests(
        self, state: dict[str, Any], now: float, expired: list[PendingApproval]
    ) -> dict[int, PendingApproval]:
        """Requests with overdue ones expired (collected in `expired`) and old ones dropped."""
        state["version"] = FORMAT_VERSION
        requests: dict[int, PendingApproval] = {}
        for number, request in self._decode_requests(state).items():
            if request.open and now >= request.deadline:
                request = replace(
                    request, state=RequestState.EXPIRED, answered=now, note="timed out"
                )
                expired.append(request)
            if not request.open and (request.answered or 0) + KEEP_ANSWERED_S < now:
                continue
            requests[number] = request
        state["grants"] = [
            self._sign_grant(g)
            for g in self._grants(state)
            if g.created + (KEEP_SESSION_S if g.scope is not Scope.ONCE else self.timeout_s
                            + KEEP_ANSWERED_S) >= now
        ]  # fmt: skip
        return requests

    def _open_request(self, requests: dict[int, PendingApproval], number: int) -> PendingApproval:
        request = requests.get(number)
        if request is None:
            raise ApprovalError(f"no request {number}")
        if not request.open:
            raise ApprovalError(f"request {number} is {request.state} already")
        return request

    def _use_once(self, key: str, session: str) -> bool:
        """Remove one ONCE grant for `key` under the lock; False if another process won."""
        with self.state_file.update() as state:
            grants = _list(state, "grants")
            for index, raw in enumerate(grants):
                grant = self._verified_grant(raw)
                if (
                    grant is not None
                    and grant.key == key
                    and grant.scope is Scope.ONCE
                    and _same(grant.session, session)
                ):
                    state["grants"] = grants[:index] + grants[index + 1 :]
                    return True
        return False

    def _store_grant(self, grant: Grant) -> None:
        if grant.scope is Scope.ALWAYS:
            with self.always_file.update() as document:
                document["version"] = FORMAT_VERSION
                document["grants"] = {
                    **_dict(document, "grants"),
                    grant.key: self._sign_grant(grant),
                }
            return
        with self.state_file.update() as state:
            self._requests(state, self.clock(), [])
            state["grants"] = [*_list(state, "grants"), self._sign_grant(grant)]
        self._flush_forged()

    # --- signing (see the module docstring) ------------------------------------------------------

    def _key(self) -> bytes:
        if self._secret is None:
            try:
                self._secret = load_or_create_key(self.key_file)
            except SecretError as exc:
                raise StoreError(str(exc)) from exc
        return self._secret

    def _sign_grant(self, grant: Grant) -> dict[str, Any]:
        return signed(self._key(), _encode_grant(grant), purpose=GRANT_PURPOSE)

    def _verified_grant(self, raw: Any) -> Grant | None:
        if not verify(self._key(), raw, purpose=GRANT_PURPOSE):
            return None
        return _grant(raw)

    def _grants(self, state: dict[str, Any]) -> list[Grant]:
        """The state's ONCE / SESSION / DENY grants that carry a valid MAC."""
        grants: list[Grant] = []
        forged = 0
        for raw in _list(state, "grants"):
            grant = self._verified_grant(raw)
            if grant is None or grant.scope is Scope.ALWAYS:
                forged += 1
            else:
                grants.append(grant)
        self._report_forged(self.state_file.path, "grant", forged)
        return grants

    def _encode_requests(self, requests: dict[int, PendingApproval]) -> dict[str, Any]:
        key = self._key()
        return {
            number: signed(key, data, purpose=REQUEST_PURPOSE)
            for number, data in _encode_requests(requests).items()
        }

    def _decode_requests(self, state: dict[str, Any]) -> dict[int, PendingApproval]:
        """Requests with a valid MAC, filed under their own id (a signed approved request
        copied under another id would answer someone else's call)."""
        key = self._key()
        kept: dict[str, Any] = {}
        forged = 0
        for number, raw in _dict(state, "requests").items():
            if verify(key, raw, purpose=REQUEST_PURPOSE) and str(raw.get("id")) == number:
                kept[number] = raw
            else:
                forged += 1
        self._report_forged(self.state_file.path, "request", forged)
        return _decode_requests({"requests": kept})

    def _report_forged(self, path: Path, what: str, count: int) -> None:
        if count:
            self._forged.append((path, what, count))

    def _flush_forged(self) -> None:
        found, self._forged = self._forged, []
        for path, what, count in found:
            _stderr(
                f"bastion: IGNORED {count} {what}{'s' if count > 1 else ''} in {path} without "
                "a valid signature: bastion did not write them (recorded)"
            )
            fields = {"file": str(path), "what": what, "ignored": count}
            self._emit(EventKind.STORE_TAMPERED, "", fields)

    def _report_expired(self, expired: list[PendingApproval]) -> None:
        """Called after each locked change: reports what it found too."""
        self._flush_forged()
        for request in expired:
            self._emit(
                EventKind.APPROVAL_DENIED,
                request.session,
                {"id": request.id, "reason": "timed out", "rules": list(request.rules),
                 "target": request.target},
            )  # fmt: skip

    def _emit(self, kind: EventKind, session: str, fields: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            self.sink.emit(SecurityEvent(kind, session, fields, self.clock()))


def _stderr(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)


def _check_scope(scope: Scope, pinned_reasons: tuple[str, ...]) -> None:
    if pinned_reasons and scope in (Scope.SESSION, Scope.ALWAYS):
        raise PinnedError(
            f"this can only be approved once ({'; '.join(pinned_reasons)}), not for the "
            f"{'session' if scope is Scope.SESSION else 'future'}"
        )


def _same(grant_session: str, session: str) -> bool:
    """A ONCE grant made without a session (library use) serves any session."""
    return not grant_session or grant_session == session


def _key_fields(key: ApprovalKey) -> dict[str, Any]:
    return {"rules": list(key.rules), "target": key.target, "project": key.project}


def _list(document: dict[str, Any], name: str) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list):
        raise StoreError(f"'{name}' must be a list")
    return value


def _dict(document: dict[str, Any], name: str) -> dict[str, Any]:
    value = document.get(name, {})
    if not isinstance(value, dict):
        raise StoreError(f"'{name}' must be an object")
    return value


def _encode_grant(grant: Grant) -> dict[str, Any]:
    data = asdict(grant)
    data["scope"] = str(grant.scope)
    data["rules"] = list(grant.rules)
    return data


def _grant(raw: Any) -> Grant:
    try:
        return Grant(
            key=str(raw["key"]),
            scope=Scope(raw["scope"]),
            created=float(raw["created"]),
            session=str(raw.get("session", "")),
            rules=tuple(str(r) for r in raw.get("rules", ())),
            target=str(raw.get("target", "")),
            project=str(raw.get("project", "")),
            by=str(raw.get("by", "")),
            request_id=raw.get("request_id"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"malformed grant: {exc}") from exc


def _encode_requests(requests: dict[int, PendingApproval]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, request in sorted(requests.items()):
        data = asdict(request)
        data["rules"] = list(request.rules)
        data["state"] = str(request.state)
        data["scope"] = str(request.scope) if request.scope else None
        out[str(number)] = data
    return out


def _decode_requests(state: dict[str, Any]) -> dict[int, PendingApproval]:
    out: dict[int, PendingApproval] = {}
    for number, raw in _dict(state, "requests").items():
        try:
            out[int(number)] = PendingApproval(
                id=int(raw["id"]),
                key=str(raw["key"]),
                rules=tuple(str(r) for r in raw["rules"]),
                target=str(raw["target"]),
                project=str(raw["project"]),
                agent=str(raw["agent"]),
                session=str(raw["session"]),
                reason=str(raw["reason"]),
                created=float(raw["created"]),
                deadline=float(raw["deadline"]),
                pinned=bool(raw["pinned"]),
                state=RequestState(raw["state"]),
                answered=None if raw.get("answered") is None else float(raw["answered"]),
                scope=None if raw.get("scope") is None else Scope(raw["scope"]),
                note=str(raw.get("note", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"malformed request {number!r}: {exc}") from exc
    return out
