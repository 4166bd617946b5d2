"""Pairing codes: 8 characters from a 32-character alphabet without 0/O/1/I, drawn with
`secrets`; stored only as salted HMAC-SHA256 digests keyed by the store's secret key (a 0600
file beside the store), so the store file never holds a usable code, and a leaked store file
alone cannot be searched offline (40 bits would fall to a plain hash in minutes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_ALLOWED = frozenset(ALPHABET)
MAX_CODE_INPUT = 64


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def new_salt() -> str:
    return secrets.token_hex(16)


def normalize_code(text: str) -> str | None:
    """What a person typed (any case, spaces or dashes) as a code, or None if it cannot be one."""
    if len(text) > MAX_CODE_INPUT:
        return None
    code = text.strip().upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LENGTH or not _ALLOWED.issuperset(code):
        return None
    return code


def digest(key: bytes, salt: str, platform: str, code: str) -> str:
    # The platform is bound in: a code issued on one platform does not approve on another.
    message = f"{salt}\0{platform}\0{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def matches(key: bytes, salt: str, platform: str, code: str, expected: str) -> bool:
    return hmac.compare_digest(digest(key, salt, platform, code), expected)
