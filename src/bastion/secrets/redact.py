"""Find secrets in any text and replace them with `[REDACTED:kind]`, in linear time.

One RE2 alternation (every vendor token and secret context, compiled once) finds the candidates
in a single pass; PEM private keys, whose body has no length bound, come from a separate marker
scan. Values found by context (`PASSWORD=...`, `Authorization: ...`, `user:pw@host`) are checked
again: a vendor token inside gives its kind, a placeholder (`<your-password>`) is left alone.
No Python `re` ever runs on the input."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import re2

from bastion.secrets import catalogue
from bastion.secrets.catalogue import SecretPattern
from bastion.secrets.names import SecretNames
from bastion.secrets.placeholders import is_placeholder

MAX_CHARS = 4 << 20
"""Longer texts keep their first MAX_CHARS characters (redacted) and lose the rest."""

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 64 << 20  # keep the alternation on the DFA for large inputs
_SECRET_GROUPS = ("secret", "secret2", "secret3")
_URLISH = ("url", "uri", "dsn", "connection")
_CONTEXTUAL = frozenset(
    {catalogue.ASSIGNMENT_KIND, "authorization", "bearer-token", "url-password", "aws-secret-key"}
)


@dataclass(frozen=True)
class Secret:
    """One secret found: its kind and where it was (character offsets, end exclusive)."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    text: str
    """The input with every secret replaced by `[REDACTED:kind]`."""
    secrets: tuple[Secret, ...]
    """What was replaced, in order, offsets into the original text."""
    truncated: bool = False

    @property
    def found(self) -> bool:
        return bool(self.secrets)


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


class _Alternation:
    """Several patterns as one RE2 regex without capture groups (so a match costs only the
    DFA scan), then, per match, an anchored RE2 set over the matched bytes to tell which
    alternative won (the lowest index that matches them), and that pattern alone for where its
    secret group is."""

    def __init__(self, patterns: tuple[SecretPattern, ...]) -> None:
        self.patterns = patterns
        self._each = [re2.compile(p.regex, _OPTIONS) for p in patterns]
        self.regex: Any = re2.compile(
            "|".join(f"(?:{_without_groups(p.regex)})" for p in patterns), _OPTIONS
        )
        which = re2.Set(re2._Anchor.ANCHOR_BOTH, _OPTIONS)
        for pattern in patterns:
            which.Add(pattern.regex)
        which.Compile()
        self._which = which
        self._grouped = [bool(each.groups) for each in self._each]

    def finditer(self, data: bytes) -> Iterator[tuple[SecretPattern, int, int, bytes]]:
        """(pattern, secret start, secret end, key name) for each match, leftmost first; UTF-8
        bytes, because re2 maps every str match back to character offsets, at a cost."""
        for match in self.regex.finditer(data):
            start, end = match.span()
            piece = data[start:end]
            hits = self._which.Match(piece)
            if not hits:  # pragma: no cover - the alternation matched, so one of them does
                continue
            index = min(hits)
            if not self._grouped[index]:
                yield self.patterns[index], start, end, b""
                continue
            inner = self._each[index].fullmatch(piece)
            if inner is None:  # pragma: no cover - the set said it matches
                yield self.patterns[index], start, end, b""
                continue
            groups = inner.groupdict()
            name = groups.get("name") or b""
            for group in _SECRET_GROUPS:
                if groups.get(group) is not None:
                    s, e = inner.span(inner.re.groupindex[group])
                    yield self.patterns[index], start + s, start + e, name
                    break
            else:
                yield self.patterns[index], start, end, name


def _without_groups(regex: str) -> str:
    for group in ("name", *_SECRET_GROUPS):
        regex = regex.replace(f"(?P<{group}>", "(?:")
    return regex


class Redactor:
    """Compiled once per policy (the names come from `[secrets] secret_names`)."""

    def __init__(self, names: SecretNames | None = None, max_chars: int = MAX_CHARS) -> None:
        self.names = names if names is not None else SecretNames()
        self.max_chars = max_chars
        contextual = [catalogue.AWS_SECRET, catalogue.AUTHORIZATION, catalogue.BEARER]
        if self.names.globs:
            contextual.append(
                SecretPattern(
                    catalogue.ASSIGNMENT_KIND, catalogue.assignment_regex(self.names.pattern())
                )
            )
        contextual.append(catalogue.URL_PASSWORD)
        # Contexts first: at one position `TOKEN=ghp_...` is an assignment whose value is then
        # recognised as a GitHub token, rather than leaving `TOKEN=` to look innocent.
        self._all = _Alternation((*contextual, *catalogue.VENDOR_PATTERNS))
        self._vendor = _Alternation(catalogue.VENDOR_PATTERNS)
        self._url = _Alternation((catalogue.URL_PASSWORD,))
        self._pem = re2.compile(catalogue.PEM_BLOCK, _OPTIONS)

    def redact(self, text: str) -> Redaction:
        truncated = len(text) > self.max_chars
        if truncated:
            text = text[: self.max_chars]
        data = text.encode("utf-8", "surrogatepass")
        found = self._find(data)
        pieces: list[bytes] = []
        last = 0
        for kind, start, end in found:
            pieces.append(data[last:start])
            pieces.append(marker(kind).encode())
            last = end
        pieces.append(data[last:])
        if truncated:
            pieces.append(b"[TRUNCATED]")
        redacted = b"".join(pieces).decode("utf-8", "surrogatepass")
        return Redaction(redacted, _char_offsets(data, found), truncated)

    def find(self, text: str) -> list[Secret]:
        """Every secret in `text`, sorted and non-overlapping, in character offsets."""
        data = text.encode("utf-8", "surrogatepass")
        return list(_char_offsets(data, self._find(data)))

    def _find(self, data: bytes) -> list[tuple[str, int, int]]:
        """(kind, start, end) in byte offsets; a PEM block wins over the tokens inside it."""
        blocks = self._pem_blocks(data)
        starts = [b[1] for b in blocks]
        found = list(blocks)
        for secret in self._matches(data):
            at = bisect.bisect_right(starts, secret[1]) - 1
            if at >= 0 and blocks[at][2] > secret[1]:
                continue  # inside a private key block
            found.append(secret)
        found.sort(key=lambda s: (s[1], -s[2]))
        merged: list[tuple[str, int, int]] = []
        for kind, start, end in found:
            if merged and start < merged[-1][2]:
                if end > merged[-1][2]:
                    merged[-1] = (merged[-1][0], merged[-1][1], end)
                continue
            merged.append((kind, start, end))
        return merged

    def _matches(self, data: bytes) -> Iterator[tuple[str, int, int]]:
        for pattern, start, end, name in self._all.finditer(data):
            if start >= end:
                continue
            if pattern.kind in _CONTEXTUAL:
                kind = pattern.kind
                if kind == "authorization" and data[max(0, start - 8) : start].lower().rstrip(
                    b" \t"
                ).endswith(b"bearer"):
                    kind = "bearer-token"  # `Authorization: Bearer x`: say which scheme
                yield from self._contextual(
                    kind, data[start:end], start, name.decode("utf-8", "replace")
                )
            else:
                yield pattern.kind, start, end

    def _contextual(
        self, kind: str, value: bytes, offset: int, name: str
    ) -> Iterator[tuple[str, int, int]]:
        """A value secret by where it stands: its vendor kind if it has one, nothing if it is a
        placeholder, its URL password if it is a connection URL."""
        inner = [(p.kind, offset + s, offset + e) for p, s, e, _ in self._vendor.finditer(value)]
        if len(inner) == 1 and inner[0][1] == offset and inner[0][2] == offset + len(value):
            yield inner[0]
            return
        text = value.decode("utf-8", "replace")
        if kind == catalogue.ASSIGNMENT_KIND:
            kind = catalogue.assignment_kind(name)
            if b"://" in value and any(u in name.lower() for u in _URLISH):
                yield from inner
                for _, s, e, _ in self._url.finditer(value):
                    if not is_placeholder(value[s:e].decode("utf-8", "replace")):
                        yield "url-password", offset + s, offset + e
                return
        if is_placeholder(text):
            yield from inner  # `<ghp_...>` is still a token, whatever wraps it
            return
        yield kind, offset, offset + len(value)

    def _pem_blocks(self, data: bytes) -> list[tuple[str, int, int]]:
        """BEGIN ... PRIVATE KEY blocks, complete or cut short (see catalogue.PEM_BLOCK)."""
        if b"-----BEGIN" not in data:
            return []
        return [(catalogue.PEM_KIND, *m.span()) for m in self._pem.finditer(data)]


def _char_offsets(data: bytes, found: list[tuple[str, int, int]]) -> tuple[Secret, ...]:
    """Byte offsets to character offsets in one pass over the sorted spans."""
    if not found:
        return ()
    secrets: list[Secret] = []
    last_byte = last_char = 0

    def to_char(offset: int) -> int:
        nonlocal last_byte, last_char
        last_char += len(data[last_byte:offset].decode("utf-8", "surrogatepass"))
        last_byte = offset
        return last_char

    for kind, start, end in found:
        secrets.append(Secret(kind, to_char(start), to_char(end)))
    return tuple(secrets)


_DEFAULT: Redactor | None = None


def default_redactor() -> Redactor:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Redactor()
    return _DEFAULT


def redact(text: str) -> Redaction:
    """Redact with the built-in secret names (a policy's own: `Redactor(names).redact`)."""
    return default_redactor().redact(text)
