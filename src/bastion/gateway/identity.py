"""Who is talking: a platform name and a user id on it, validated before anything else.

Ids arrive from chat platforms and from config and environment variables; they end up in
session keys, the pairing store and the audit trail, so the charset is strict and the length
bounded. `:` is the separator of the `platform:user` spelling and of session keys, so no id
holds one.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from bastion.gateway.errors import IdentityError

MAX_PLATFORM_CHARS = 32
MAX_ID_CHARS = 128
PLATFORM_CHARS = frozenset(string.ascii_lowercase + string.digits + "_-")
# Telegram/Discord numeric ids, Slack `U0123ABC`, WhatsApp `+15551234567`, web chat UUIDs or
# e-mail-like names: letters, digits and a few punctuation marks, nothing else.
ID_CHARS = frozenset(string.ascii_letters + string.digits + "._@+=-")


def _shown(text: str) -> str:
    # Bounded and escaped: an error message must not carry control characters to a terminal.
    clipped = text if len(text) <= 40 else text[:37] + "..."
    return ascii(clipped)


def check_platform(text: object) -> str:
    """The platform name, lower-cased; IdentityError unless 1-32 of [a-z0-9_-] from a letter."""
    if not isinstance(text, str):
        raise IdentityError(f"platform must be a string (got {type(text).__name__})")
    if not 0 < len(text) <= MAX_PLATFORM_CHARS:
        raise IdentityError(f"platform must be 1 to {MAX_PLATFORM_CHARS} characters")
    name = text.lower() if text.isascii() else text
    if not name[0].isalpha() or not PLATFORM_CHARS.issuperset(name):
        raise IdentityError(
            f"platform {_shown(text)}: use a letter then letters, digits, '_' or '-'"
        )
    return name


def check_id(text: object, what: str = "user id") -> str:
    """A user or peer id as given; IdentityError unless 1-128 of [A-Za-z0-9._@+=-]."""
    if not isinstance(text, str):
        raise IdentityError(f"{what} must be a string (got {type(text).__name__})")
    if not 0 < len(text) <= MAX_ID_CHARS:
        raise IdentityError(f"{what} must be 1 to {MAX_ID_CHARS} characters")
    if not ID_CHARS.issuperset(text):
        raise IdentityError(
            f"{what} {_shown(text)}: only letters, digits and . _ @ + = - are allowed"
        )
    return text


@dataclass(frozen=True, order=True)
class Identity:
    """One user on one platform; build with `Identity.of` or `parse_identity` to validate."""

    platform: str
    user: str

    @classmethod
    def of(cls, platform: object, user: object) -> Identity:
        return cls(check_platform(platform), check_id(user))

    def __str__(self) -> str:
        return f"{self.platform}:{self.user}"


def parse_identity(text: object) -> Identity:
    """`telegram:12345` -> Identity("telegram", "12345")."""
    if not isinstance(text, str) or ":" not in text:
        raise IdentityError(f"{_shown(str(text))}: expected PLATFORM:USER, e.g. telegram:12345")
    platform, _, user = text.partition(":")
    return Identity.of(platform, user)
