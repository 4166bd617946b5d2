"""Break-glass: lift bastion's asks and denies for a few minutes, with an admin token.

The token is made once (`bastion bypass set-token`, shown once) and stored only as a salted
scrypt hash (0600, in the config area); it is compared in constant time. A bypass is
time-limited (`approvals.bypass_max_minutes`), announced on stderr and as a security event when
it starts, ends and each time it lifts a verdict. What it never lifts: pinned rules and paths
(`approvals.pinned`, which by default hold the self-protection rules, the protected and
sensitive paths and bastion's own errors), so the agent still cannot touch the guard, its
store or its config, and a crash still denies.

The state file (`~/.local/state/bastion/bypass.json`) carries an HMAC-SHA256 keyed by the
stored token hash, checked in constant time: a state without a valid MAC, one longer than
`bypass_max_minutes` or one that starts in the future is no bypass, and is reported (stderr and
a `bypass_changed` event, action "forged-state" or "refused-state"). The limit: a process
running as the same user that can read the token file can still compute the MAC; the OS
sandbox (`bastion run`, agent mode), which keeps the agent out of bastion's config, closes
that. Setting a new token voids any running bypass (its MAC no longer fits)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bastion.approvals.events import EventKind, EventSink, NullSink, SecurityEvent
from bastion.approvals.keys import deciding_rules
from bastion.approvals.model import ApprovalError
from bastion.approvals.pinned import PinnedPolicy
from bastion.approvals.secret import signed, verify
from bastion.approvals.storage import JsonFile
from bastion.model import Decision, ToolCall, Verdict

SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
DEFAULT_MINUTES = 15
DEFAULT_MAX_MINUTES = 60
STATE_PURPOSE = "bastion bypass state v1"
CLOCK_SLACK_S = 1.0
"""Float rounding in `until - since`; not a way to stretch a bypass."""


class BypassError(ApprovalError):
    """No token, a wrong token, or a duration beyond the limit."""


@dataclass(frozen=True)
class BypassState:
    since: float
    until: float
    by: str = ""
    reason: str = ""


def _hash(token: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(token.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


class Bypass:
    def __init__(
        self,
        config_dir: str | os.PathLike[str],
        state_dir: str | os.PathLike[str],
        *,
        pinned: PinnedPolicy | None = None,
        max_minutes: int = DEFAULT_MAX_MINUTES,
        sink: EventSink | None = None,
        clock: Callable[[], float] = time.time,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.token_file = JsonFile(Path(config_dir) / "bypass-token.json")
        self.state_file = JsonFile(Path(state_dir) / "bypass.json")
        self.pinned = pinned or PinnedPolicy()
        self.max_minutes = max_minutes
        self.sink: EventSink = sink or NullSink()
        self.clock = clock
        self.warn = warn or _stderr

    # --- the token ----------------------------------------------------------------------------

    def set_token(self) -> str:
        """A new admin token (replacing any old one); only its hash is kept: show it once."""
        token = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        digest = _hash(token, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        with self.token_file.update() as document:
            document.clear()
            document.update(
                {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                 "salt": salt.hex(), "hash": digest.hex(), "created": self.clock()}
            )  # fmt: skip
        with self.state_file.update() as state:
            state.clear()  # a running bypass was signed with the old hash: it ends here
        self._emit("token-set", {})
        return token

    def has_token(self) -> bool:
        return bool(self.token_file.read().get("hash"))

    def verify(self, token: str) -> bool:
        stored = self.token_file.read()
        try:
            salt = bytes.fromhex(str(stored["salt"]))
            expected = bytes.fromhex(str(stored["hash"]))
            n, r, p = int(stored["n"]), int(stored["r"]), int(stored["p"])
        except (KeyError, ValueError, TypeError):
            return False
        if stored.get("kdf") != "scrypt" or n > 1 << 20 or r > 32 or p > 16:
            return False  # parameters bastion never writes: not a file to trust
        return hmac.compare_digest(_hash(token, salt, n, r, p), expected)

    # --- switching ----------------------------------------------------------------------------

    def on(
        self, token: str, minutes: int = DEFAULT_MINUTES, *, by: str = "", reason: str = ""
    ) -> BypassState:
        if not self.has_token():
            raise BypassError("no admin token is set: run `bastion bypass set-token` first")
        if not 0 < minutes <= self.max_minutes:
            raise BypassError(f"--minutes must be between 1 and {self.max_minutes}")
        if not self.verify(token):
            self._emit("refused", {"why": "wrong token"})
            self.warn("bastion: BYPASS REFUSED: wrong admin token (recorded)")
            raise BypassError("wrong admin token")
        now = self.clock()
        state = BypassState(now, now + minutes * 60, by, reason[:500])
        key = self._state_key()
        if key is None:
            raise BypassError("the admin token file is unreadable: run `bastion bypass set-token`")
        body = {"since": state.since, "until": state.until, "by": by, "reason": state.reason}
        with self.state_file.update() as document:
            document.clear()
            document.update(signed(key, body, purpose=STATE_PURPOSE))
        self.warn(
            f"bastion: BYPASS ON for {minutes} min (until {time.ctime(state.until)}): asks and "
            "denies are lifted except pinned rules and paths. `bastion bypass off` ends it."
        )
        self._emit("on", {"minutes": minutes, "until": state.until, "by": by, "reason": reason})
        return state

    def off(self, *, by: str = "") -> bool:
        """End a bypass; False when none was on."""
        was_on = self.status() is not None
        with self.state_file.update() as document:
            document.clear()
        if was_on:
            self.warn("bastion: BYPASS OFF")
            self._emit("off", {"by": by})
        return was_on

    def status(self) -> BypassState | None:
        """The running bypass; None when there is none, it ended, or the state file is not one
        `on()` wrote (no valid MAC) or breaks the limits (reported as it is refused)."""
        document = self.state_file.read()
        if not document:
            return None
        key = self._state_key()
        if key is None or not verify(key, document, purpose=STATE_PURPOSE):
            self._refuse("forged-state", "the bypass state has no valid MAC")
            return None
        try:
            state = BypassState(
                float(document["since"]),
                float(document["until"]),
                str(document.get("by", "")),
                str(document.get("reason", "")),
            )
        except (KeyError, TypeError, ValueError):
            self._refuse("forged-state", "the bypass state is malformed")
            return None
        now = self.clock()
        if state.until - state.since > self.max_minutes * 60 + CLOCK_SLACK_S:
            self._refuse("refused-state", f"longer than the {self.max_minutes} min limit")
            return None
        if state.since > now + CLOCK_SLACK_S:
            self._refuse("refused-state", "it starts in the future")
            return None
        return state if now < state.until else None

    def _state_key(self) -> bytes | None:
        """The MAC key of the state file: the stored token hash (None when there is none)."""
        try:
            key = bytes.fromhex(str(self.token_file.read()["hash"]))
        except (KeyError, ValueError, TypeError):
            return None
        return key if len(key) >= 16 else None

    def _refuse(self, action: str, why: str) -> None:
        self.warn(f"bastion: BYPASS STATE REFUSED ({why}): {self.state_file.path} was not "
                  "written by `bastion bypass on`; no bypass applies (recorded)")  # fmt: skip
        self._emit(action, {"why": why, "file": str(self.state_file.path)})

    # --- applying -----------------------------------------------------------------------------

    def apply(self, call: ToolCall, verdict: Verdict, extra_paths: Iterable[str] = ()) -> Verdict:
        """The verdict under the bypass: unchanged when none is on, for an allow, or when a
        deciding rule or a path of the call is pinned; otherwise an allow that says why."""
        if verdict.decision is Decision.ALLOW:
            return verdict
        state = self.status()
        if state is None:
            return verdict
        if self.pinned.reasons(call, verdict, extra_paths, tier=False):
            return verdict
        rules = deciding_rules(verdict)
        self.warn(f"bastion: BYPASS lifted a {verdict.decision} ({', '.join(rules)})")
        self._emit("lifted", {"rules": list(rules), "decision": str(verdict.decision),
                              "session": call.session_id})  # fmt: skip
        reason = (
            f"bypass until {time.ctime(state.until)} lifted {verdict.decision}: {verdict.reason}"
        )
        return replace(verdict, decision=Decision.ALLOW, reason=reason)

    def _emit(self, action: str, fields: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            self.sink.emit(
                SecurityEvent(
                    EventKind.BYPASS_CHANGED, "", {"action": action, **fields}, self.clock()
                )
            )


def _stderr(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)
