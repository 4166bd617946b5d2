"""The pairing store: one JSON file, read and changed under an exclusive `flock` on a lock file
beside it, replaced atomically (temp file in the same directory, fsync, `os.replace`), mode
0600 from creation whatever the umask. Several gateway processes and the `bastion pairing` CLI
may use it at once: each change is one read-modify-write under the lock.

Location: `$BASTION_GATEWAY_DIR`, else `$XDG_STATE_HOME/bastion/gateway`
(`~/.local/state/bastion/gateway`); the directory is created 0700 and refused when another user
owns it or others may write to it. Beside the store, `pairing.key` (0600, made on first use)
keys the code digests (codes.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bastion._files import write_atomically
from bastion.approvals.secret import SecretError, load_or_create_key
from bastion.gateway.errors import IdentityError, PairingStoreError
from bastion.gateway.identity import Identity, check_platform

STORE_NAME = "pairing.json"
LOCK_NAME = "pairing.lock"
KEY_NAME = "pairing.key"
FORMAT_VERSION = 1
MAX_STORE_BYTES = 4 << 20
"""A larger file was not written by bastion: refuse it rather than parse it."""


def default_dir() -> Path:
    explicit = os.environ.get("BASTION_GATEWAY_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "state"
    return base / "bastion" / "gateway"


@dataclass(frozen=True)
class Paired:
    identity: Identity
    approved_at: float


@dataclass(frozen=True)
class Pending:
    identity: Identity
    salt: str
    digest: str
    created_at: float


@dataclass(frozen=True)
class Used:
    """A code approved recently: telling "approved just before" from "wrong" spares the
    operator who raced another one a failed attempt (and the platform a lockout)."""

    identity: Identity
    salt: str
    digest: str
    used_at: float


@dataclass
class PairingState:
    """The store's content; mutable only inside `PairingStore.transaction()`."""

    paired: list[Paired] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    used: list[Used] = field(default_factory=list)
    last_request: dict[Identity, float] = field(default_factory=dict)
    failures: dict[str, list[float]] = field(default_factory=dict)
    """Platform -> times of failed approvals within the lockout window."""
    locked_until: dict[str, float] = field(default_factory=dict)

    def is_paired(self, identity: Identity) -> bool:
        return any(p.identity == identity for p in self.paired)


class PairingStore:
    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_dir()
        self.path = self.directory / STORE_NAME
        self.lock_path = self.directory / LOCK_NAME
        self.key_path = self.directory / KEY_NAME
        self._key: bytes | None = None

    def secret(self) -> bytes:
        """The key of the code digests, made on first use (call inside `transaction()`, whose
        lock and directory checks it relies on)."""
        if self._key is None:
            try:
                self._key = load_or_create_key(self.key_path)
            except SecretError as exc:
                raise PairingStoreError(str(exc)) from exc
        return self._key

    def read(self) -> PairingState:
        """A consistent snapshot (shared lock); a missing store is an empty one."""
        if not self.path.exists():
            return PairingState()
        with self._locked(fcntl.LOCK_SH):
            return self._load()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PairingState]:
        """Yield the state under an exclusive lock; write it back if the block completes."""
        with self._locked(fcntl.LOCK_EX):
            state = self._load()
            yield state
            self._write(state)

    # --- locking and files --------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        self._ensure_dir()
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            os.fchmod(fd, 0o600)  # the umask may have taken bits off at creation
        except OSError as exc:
            raise PairingStoreError(f"{self.lock_path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _ensure_dir(self) -> None:
        try:
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.directory.mkdir(mode=0o700)
                os.chmod(self.directory, 0o700)  # exactly 0700, whatever the umask
            except FileExistsError:
                pass
            info = os.stat(self.directory)
        except OSError as exc:
            raise PairingStoreError(f"{self.directory}: {exc.strerror or exc}") from exc
        if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            # Someone else could swap the store for one that pairs them.
            raise PairingStoreError(
                f"{self.directory}: owned by another user or writable by others; "
                "use a private directory (chmod 700)"
            )

    def _load(self) -> PairingState:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return PairingState()
        except OSError as exc:
            raise PairingStoreError(f"{self.path}: {exc.strerror or exc}") from exc
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_STORE_BYTES + 1)
        if len(data) > MAX_STORE_BYTES:
            raise PairingStoreError(f"{self.path}: larger than {MAX_STORE_BYTES} bytes")
        try:
            return _decode(json.loads(data))
        except (ValueError, TypeError, KeyError, IdentityError) as exc:
            raise PairingStoreError(f"{self.path}: unreadable pairing store: {exc}") from exc

    def _write(self, state: PairingState) -> None:
        payload = json.dumps(_encode(state), indent=1, sort_keys=True).encode()
        try:
            write_atomically(self.path, payload)
        except OSError as exc:
            raise PairingStoreError(f"{self.path}: {exc.strerror or exc}") from exc


def _encode(state: PairingState) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "paired": [
            {"platform": p.identity.platform, "user": p.identity.user, "approved_at": p.approved_at}
            for p in state.paired
        ],
        "pending": [
            {
                "platform": p.identity.platform,
                "user": p.identity.user,
                "salt": p.salt,
                "digest": p.digest,
                "created_at": p.created_at,
            }
            for p in state.pending
        ],
        "used": [
            {
                "platform": u.identity.platform,
                "user": u.identity.user,
                "salt": u.salt,
                "digest": u.digest,
                "used_at": u.used_at,
            }
            for u in state.used
        ],
        "last_request": [
            {"platform": i.platform, "user": i.user, "at": at}
            for i, at in state.last_request.items()
        ],
        "failures": {p: list(times) for p, times in state.failures.items()},
        "locked_until": dict(state.locked_until),
    }


def _time(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a time, got {type(value).__name__}")
    return float(value)


def _text(value: object) -> str:
    if not isinstance(value, str) or len(value) > 128:
        raise ValueError("expected a short string")
    return value


def _decode(data: Any) -> PairingState:
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"not a version {FORMAT_VERSION} pairing store")
    state = PairingState()
    for row in data["paired"]:
        who = Identity.of(row["platform"], row["user"])
        state.paired.append(Paired(who, _time(row["approved_at"])))
    for row in data["pending"]:
        who = Identity.of(row["platform"], row["user"])
        state.pending.append(
            Pending(who, _text(row["salt"]), _text(row["digest"]), _time(row["created_at"]))
        )
    for row in data.get("used", []):  # absent in stores written before it existed
        who = Identity.of(row["platform"], row["user"])
        state.used.append(
            Used(who, _text(row["salt"]), _text(row["digest"]), _time(row["used_at"]))
        )
    for row in data["last_request"]:
        state.last_request[Identity.of(row["platform"], row["user"])] = _time(row["at"])
    for platform, times in data["failures"].items():
        state.failures[check_platform(platform)] = [_time(t) for t in times]
    for platform, until in data["locked_until"].items():
        state.locked_until[check_platform(platform)] = _time(until)
    return state
