"""Instructions hidden in an encoding: base64, hex, percent-encoding and rot13.

Candidate blobs are found with RE2; each is decoded (bounded by a shared budget) and kept only
when it decodes to readable text, so hashes, keys and inline images (which decode to bytes)
cost a decode and nothing more. The caller rescans the decoded text one level deeper.
rot13 has no shape to find: the whole text is rotated once and searched for the override
phrases only, which gibberish does not produce by accident.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from bastion.rules.regexes import LazyRegex

MAX_BLOB = 64 * 1024
"""Characters of one blob decoded; the rest is ignored (the prefix already shows the intent)."""

_BASE64 = LazyRegex(r"[A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_-]{24,}={0,2}")
_HEX = LazyRegex(r"(?:[0-9a-fA-F]{2}){16,}|(?:\\x[0-9a-fA-F]{2}){12,}")
_PERCENT = LazyRegex(r"(?:%[0-9a-fA-F]{2}[^%\s]{0,3}){12,}")


@dataclass
class Budget:
    """Decoding allowance for one scan, shared by every level of rescanning."""

    chars: int = 256 * 1024
    blobs: int = 128

    def take(self, size: int) -> bool:
        if self.blobs <= 0 or self.chars < size:
            return False
        self.blobs -= 1
        self.chars -= size
        return True


@dataclass(frozen=True)
class Decoded:
    start: int
    end: int
    text: str
    encoding: str


def _readable(data: bytes) -> str | None:
    """The text, if `data` is UTF-8 that reads like prose (printable, has spaces)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _BASE64.fullmatch(text.strip()) is not None:
        return text  # an encoding inside an encoding: the next level decodes it
    if len(text) < 12 or text.count(" ") < 2:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\n\t\r")
    return text if printable >= 0.95 * len(text) else None


def _b64(blob: str) -> bytes | None:
    blob = blob.rstrip("=")
    blob = blob[: len(blob) - len(blob) % 4] if len(blob) % 4 == 1 else blob
    padded = blob + "=" * (-len(blob) % 4)
    try:
        if "-" in blob or "_" in blob:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _hex(blob: str) -> bytes | None:
    try:
        return bytes.fromhex(blob.replace("\\x", ""))
    except ValueError:
        return None


def find(text: str, budget: Budget) -> Iterator[Decoded]:
    for regex, name in ((_BASE64, "base64"), (_HEX, "hex"), (_PERCENT, "percent")):
        for m in regex.finditer(text):
            blob = m.group()[:MAX_BLOB]
            if not budget.take(len(blob)):
                return
            if name == "base64":
                data = _b64(blob)
            elif name == "hex":
                data = _hex(blob)
            else:
                data = unquote(blob).encode("utf-8", "replace")
            decoded = _readable(data) if data else None
            if decoded is not None:
                yield Decoded(m.start(), m.end(), decoded, name)


_ROT13 = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    b"NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)


def rot13(text: str) -> str:
    """ASCII letters rotated, everything else kept; as bytes, because `bytes.translate` is a
    table lookup where `str.translate` is a dict lookup per character. UTF-8 multi-byte
    sequences hold no ASCII bytes, so only ASCII letters change."""
    data = text.encode("utf-8", "surrogatepass")
    return data.translate(_ROT13).decode("utf-8", "surrogatepass")
