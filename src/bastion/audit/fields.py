"""Make caller-supplied fields safe to write: secrets redacted, sizes capped, JSON-only types.

Redaction runs on every string (keys included) before it is capped, so a cap never cuts a
secret in half and leaves a recognisable prefix behind."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from typing import Any

from bastion.secrets.redact import redact

MAX_STRING_CHARS = 16384
MAX_ITEMS = 256
MAX_DEPTH = 6
_TRUNCATED = "...[truncated {} chars]"
# Values repeat from record to record (decisions, tiers, layers, rule ids, tools, the cwd):
# remembering their redaction keeps appends cheap. Bounded, and only for short strings.
_MEMO: dict[str, str] = {}
_MEMO_MAX = 4096
_MEMO_CHARS = 512


def clean_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-able copy of `fields` with secrets redacted and every size capped."""
    out = _clean(fields, 0)
    assert isinstance(out, dict)
    return out


def clean_text(text: str) -> str:
    if not text:
        return text
    known = _MEMO.get(text)
    if known is not None:
        return known
    cleaned = _clean_text(text)
    if len(text) <= _MEMO_CHARS:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        _MEMO[text] = cleaned
    return cleaned


_PLAIN_KEYS: set[str] = set()


def _key(key: object) -> str:
    """Field names bastion's callers write (`rule_id`, `tool_kind`: short, lower case ASCII
    letters, digits and `_`) have no secret's shape; any other key is redacted like a value."""
    if isinstance(key, str) and key in _PLAIN_KEYS:
        return key
    text = str(key)
    plain = type(key) is str and (
        len(text) <= 40
        and text.isascii()
        and text.replace("_", "a").isalnum()
        and text.lower() == text
        and not text[:1].isdigit()
    )
    if plain and len(_PLAIN_KEYS) < 1024:
        _PLAIN_KEYS.add(text)
    return text if plain else clean_text(text)


def _clean_text(text: str) -> str:
    # Lone surrogates (undecodable bytes from a payload) cannot be encoded as UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = redact(text).text
    if len(text) > MAX_STRING_CHARS:
        extra = len(text) - MAX_STRING_CHARS
        text = text[:MAX_STRING_CHARS] + _TRUNCATED.format(extra)
    return text


def _clean(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind is str:
        return clean_text(value)
    if value is None or kind is bool or kind is int:
        return value
    if isinstance(value, enum.Enum):  # Decision and Tier are ints: record their names
        return clean_text(str(value))
    if isinstance(value, str):
        return clean_text(str(value))
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth >= MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, Mapping):
        items = list(value.items())
        out = {_key(k): _clean(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            out["_truncated_items"] = len(items) - MAX_ITEMS
        return out
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes | bytearray):
        seq = list(value)
        cleaned = [_clean(v, depth + 1) for v in seq[:MAX_ITEMS]]
        if len(seq) > MAX_ITEMS:
            cleaned.append(_TRUNCATED.format(len(seq) - MAX_ITEMS).strip("."))
        return cleaned
    # Paths, bytes, anything else: its text, redacted like any other string.
    return clean_text(str(value))
