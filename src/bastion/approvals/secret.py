"""Per-user secret keys (32 random bytes, hex, in a 0600 file) and the MACs made with them.

A key file is created once, atomically (written to a temporary file, then hard-linked into
place, which fails if another process got there first), so concurrent first uses agree on one
key. A key file that is not a regular file, not owned by this user, readable by others or not
exactly a key is refused (SecretError): the caller fails closed rather than trust, or replace,
a key someone else may know.

What a MAC buys: a file that anything can write (a script an agent runs) is no longer enough to
forge an approval or a bypass. What it does not: a process running as the same user that can
read the key file can forge a MAC too; the OS sandbox (`bastion run`, agent mode), which hides
bastion's config and state from the agent, closes that."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KEY_BYTES = 32
_HEX_CHARS = frozenset("0123456789abcdef")
MAC_FIELD = "mac"


class SecretError(OSError):
    """The key file cannot be made, read or trusted."""


def load_or_create_key(path: str | os.PathLike[str]) -> bytes:
    """The key in `path`, made (0600, in a 0700 directory) when there is none yet."""
    target = Path(path)
    key = _read_key(target)
    if key is not None:
        return key
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise SecretError(f"{target.parent}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(secrets.token_hex(KEY_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(tmp, target)
    except OSError as exc:
        raise SecretError(f"{target}: cannot create: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    key = _read_key(target)
    if key is None:
        raise SecretError(f"{target}: vanished right after it was made")
    return key


def _read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretError(f"{path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SecretError(f"{path}: not a regular file")
        if info.st_uid != os.getuid():
            raise SecretError(f"{path}: owned by uid {info.st_uid}, not by this user")
        if info.st_mode & 0o077:
            raise SecretError(f"{path}: readable or writable by others (chmod 600, or remove it)")
        data = handle.read(4 * KEY_BYTES)
    text = data.decode("ascii", "replace").strip()
    if len(text) != 2 * KEY_BYTES or not _HEX_CHARS.issuperset(text):
        raise SecretError(f"{path}: not a bastion key (remove it to make a new one)")
    return bytes.fromhex(text)


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes a MAC covers: sorted keys, no spaces, the MAC field itself left out."""
    body = {k: v for k, v in document.items() if k != MAC_FIELD}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def mac(key: bytes, document: Mapping[str, Any], *, purpose: str) -> str:
    """HMAC-SHA256 of the document; `purpose` keeps a MAC made for one file from fitting
    another that uses the same key."""
    message = purpose.encode() + b"\0" + canonical(document)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed(key: bytes, document: Mapping[str, Any], *, purpose: str) -> dict[str, Any]:
    return {**document, MAC_FIELD: mac(key, document, purpose=purpose)}


def verify(key: bytes, document: Any, *, purpose: str) -> bool:
    """Whether `document` (a JSON object) carries a valid MAC; constant-time compare."""
    if not isinstance(document, Mapping):
        return False
    given = document.get(MAC_FIELD)
    if not isinstance(given, str):
        return False
    try:
        expected = mac(key, document, purpose=purpose)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
