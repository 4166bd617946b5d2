"""Find secrets in any text and replace them with `[REDACTED:kind]`, in linear time.

One RE2 alternation (every vendor token and secret context, compiled once) finds the candidates
in a single pass; PEM private keys, whose body has no length bound, come from a separate marker
scan. Values found by context (`PASSWORD=...`, `Authorization: ...`, `user:pw@host`) are checked
again: a vendor token inside gives its kind, a placeholder (`<your-password>`) is left alone.
No Python `re` ever runs on the input."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import re2

from bastion.secrets import catalogue, search
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
    spans: tuple[tuple[str, int, int], ...]
    """(kind, start, end) of what was replaced, in order, character offsets into the original."""
    truncated: bool = False

    @cached_property
    def secrets(self) -> tuple[Secret, ...]:
        """`spans` as values, built on first use: most callers want only the text, and a
        megabyte dense with tokens holds tens of thousands of them."""
        return tuple([Secret(kind, start, end) for kind, start, end in self.spans])

    @property
    def found(self) -> bool:
        return bool(self.spans)


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


class _Alternation:
    """Several patterns as one RE2 regex without capture groups (so a match costs only the
    DFA scan), an anchored RE2 set to tell which alternative won a match (the lowest index that
    matches its bytes), and each pattern alone for where its secret group is.

    An unanchored set over the same patterns says which of them occur anywhere in a text: when
    only one does, the scan runs that pattern alone and needs no per-match classification; when
    none does, there is no scan at all."""

    def __init__(self, patterns: tuple[SecretPattern, ...]) -> None:
        self.patterns = patterns
        self._each = [re2.compile(p.locate or p.regex, _OPTIONS) for p in patterns]
        plain = [_without_groups(p.regex) for p in patterns]
        self.regex: Any = re2.compile("|".join(f"(?:{p})" for p in plain), _OPTIONS)
        self._plain_text = plain
        self._plain: dict[int, Any] = {}
        which = re2.Set(re2._Anchor.ANCHOR_BOTH, _OPTIONS)
        for pattern in patterns:
            which.Add(pattern.regex)
        which.Compile()
        self._which = which
        self._groups = [_group_indices(each) for each in self._each]

    def plain(self, index: int) -> Any:
        """Pattern `index` alone, without groups (compiled on first use)."""
        regex = self._plain.get(index)
        if regex is None:
            regex = self._plain[index] = re2.compile(self._plain_text[index], _OPTIONS)
        return regex

    def secret_free(self, index: int) -> bool:
        """Pattern `index` has no groups: its whole match is the secret."""
        return self._groups[index] is None

    def which(self, piece: bytes) -> int:
        hits = self._which.Match(piece)
        return min(hits) if hits else -1

    def finditer(self, data: bytes) -> Iterator[tuple[SecretPattern, int, int, bytes]]:
        """(pattern, secret start, secret end, key name) for each match, leftmost first; UTF-8
        bytes, because re2 maps every str match back to character offsets, at a cost."""
        for start, end in search.spans(self.regex, data):
            index = self.which(data[start:end])
            if index < 0:  # pragma: no cover - the alternation matched, so one of them does
                continue
            s, e, name = self.secret(index, data[start:end])
            yield self.patterns[index], start + s, start + e, name

    def secret(self, index: int, piece: bytes) -> tuple[int, int, bytes]:
        """Where pattern `index` puts its secret in `piece` (a whole match of it), and the key
        name; the whole piece when the pattern marks no secret group."""
        groups = self._groups[index]
        if groups is None:
            return 0, len(piece), b""
        if len(piece) <= _LONG_MATCH:
            found = search.fullmatch(self._each[index], piece)
            if found is None:  # pragma: no cover - the pattern matched these bytes
                return 0, len(piece), b""
            return _secret_span(found, groups, piece, 0)
        # Capture groups over a long match would run RE2's NFA over all of it (100 ms a
        # megabyte). The secret runs to (near) the end of every pattern here, so its groups are
        # read off the first and last _LONG_HALF bytes joined: they must still span the cut,
        # and then the whole middle is inside the secret. If they do not, the whole match is
        # the secret, which hides at least as much.
        cut = _LONG_HALF
        shortened = piece[:cut] + piece[-cut:]
        found = search.fullmatch(self._each[index], shortened)
        if found is not None:
            start, end, name = _secret_span(found, groups, shortened, 0)
            if start < cut < end:
                return start, end + len(piece) - len(shortened), name
        return 0, len(piece), b""


_LONG_MATCH = 1024
"""Longer matches have their groups found on a shortened copy (see _Alternation.secret)."""
_LONG_HALF = _LONG_MATCH // 2

_Groups = tuple[int, tuple[int, ...]]
"""The `name` group's index (-1 if none) and the secret groups' indices."""


def _group_indices(regex: Any) -> _Groups | None:
    index = regex.groupindex
    secrets = tuple(index[g] for g in _SECRET_GROUPS if g in index)
    if not secrets and "name" not in index:
        return None
    return index.get("name", -1), secrets


def _secret_span(
    found: search.Spans, groups: _Groups, piece: bytes, offset: int
) -> tuple[int, int, bytes]:
    name_group, secret_groups = groups
    name = b""
    if name_group >= 0 and found[name_group][0] >= 0:
        s, e = found[name_group]
        name = piece[s:e]
    for group in secret_groups:
        s, e = found[group]
        if s >= 0:
            return offset + s, offset + e, name
    return offset, offset + len(piece), name


def _merged(found: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Sorted (kind, start, end) spans with overlaps joined (the first kind names the union)."""
    merged: list[tuple[str, int, int]] = []
    for kind, start, end in found:
        if merged and start < merged[-1][2]:
            if end > merged[-1][2]:
                merged[-1] = (merged[-1][0], merged[-1][1], end)
            continue
        merged.append((kind, start, end))
    return merged


def _without_groups(regex: str) -> str:
    for group in ("name", *_SECRET_GROUPS):
        regex = regex.replace(f"(?P<{group}>", "(?:")
    return regex


def _loosened(regex: str) -> str:
    """`regex` without its context assertions (word boundaries, start of text): it matches
    wherever `regex` matches in any slice of a text, so if it matches nowhere in the text,
    `regex` matches in no slice of it."""
    return regex.replace(r"\b", "").replace("(?:^|", "(?:|")


_NAME_GLOB = re2.compile(r"[A-Za-z0-9_.*?-]+")
_CACHED_PIECE = 256
_CACHE_ENTRIES = 4096
# Bounded work on hostile text: past this many matches, or this many matches that need a
# second look, the rest of the text is redacted whole. Real text holds a handful of secrets;
# tens of thousands in one input is an attack on the redactor's time, and over-redacting is
# the safe way to fail.
MAX_MATCHES = 20_000
MAX_RESOLVED = 4_096
OVERFLOW_KIND = "too-many-secrets"


class Redactor:
    """Compiled once per policy (the names come from `[secrets] secret_names`)."""

    def __init__(self, names: SecretNames | None = None, max_chars: int = MAX_CHARS) -> None:
        self.names = names if names is not None else SecretNames()
        self.max_chars = max_chars
        contextual = [catalogue.AWS_SECRET, catalogue.AUTHORIZATION, catalogue.BEARER]
        if self.names.globs:
            # In a match, the name is the whole run of name characters before the separator,
            # whichever glob it met: parsing with any name at all gives the same groups.
            generic = all(_NAME_GLOB.fullmatch(g) for g in self.names.globs)
            contextual.append(
                SecretPattern(
                    catalogue.ASSIGNMENT_KIND,
                    catalogue.assignment_regex(self.names.pattern()),
                    catalogue.assignment_regex(catalogue.NAME_CHARS + "+") if generic else "",
                )
            )
        contextual.append(catalogue.URL_PASSWORD)
        # Contexts first: at one position `TOKEN=ghp_...` is an assignment whose value is then
        # recognised as a GitHub token, rather than leaving `TOKEN=` to look innocent.
        self._all_patterns = (*contextual, *catalogue.VENDOR_PATTERNS)
        # One pass says which patterns occur at all, and whether a vendor token could occur in
        # any value (the loosened vendor patterns, numbered after the others).
        gate = re2.Set.SearchSet(_OPTIONS)
        for pattern in self._all_patterns:
            gate.Add(pattern.regex)
        for pattern in catalogue.VENDOR_PATTERNS:
            gate.Add(_loosened(pattern.regex))
        gate.Compile()
        self._gate = gate
        self._markers: dict[str, bytes] = {}

    def redact(self, text: str) -> Redaction:
        truncated = len(text) > self.max_chars
        if truncated:
            text = text[: self.max_chars]
        data = text.encode("utf-8", "surrogatepass")
        found = self._find(data)
        pieces: list[bytes] = []
        last = 0
        markers = self._markers
        for kind, start, end in found:
            pieces.append(data[last:start])
            mark = markers.get(kind)
            if mark is None:
                mark = markers[kind] = marker(kind).encode()
            pieces.append(mark)
            last = end
        pieces.append(data[last:])
        if truncated:
            pieces.append(b"[TRUNCATED]")
        redacted = b"".join(pieces).decode("utf-8", "surrogatepass")
        return Redaction(redacted, _char_offsets(data, found, len(text)), truncated)

    # The scanners behind the gate are compiled when the gate first finds something: most
    # texts (commands, paths, reasons) hold no secret, and a cold hook process pays only for
    # the gate.
    @functools.cached_property
    def _all(self) -> _Alternation:
        return _Alternation(self._all_patterns)

    @functools.cached_property
    def _vendor(self) -> _Alternation:
        return _Alternation(catalogue.VENDOR_PATTERNS)

    @functools.cached_property
    def _url(self) -> _Alternation:
        return _Alternation((catalogue.URL_PASSWORD,))

    @functools.cached_property
    def _pem(self) -> Any:
        return re2.compile(catalogue.PEM_BLOCK, _OPTIONS)

    def find(self, text: str) -> list[Secret]:
        """Every secret in `text`, sorted and non-overlapping, in character offsets."""
        data = text.encode("utf-8", "surrogatepass")
        return [Secret(*span) for span in _char_offsets(data, self._find(data), len(text))]

    def _find(self, data: bytes) -> list[tuple[str, int, int]]:
        """(kind, start, end) in byte offsets, sorted and disjoint; a PEM block wins over the
        tokens inside it."""
        found = self._matches(data)
        blocks = self._pem_blocks(data)
        if not blocks:
            return found  # matches come in order and apart (see _matches)
        starts = [b[1] for b in blocks]
        keyed = [(start, -end, kind) for kind, start, end in blocks]
        for kind, start, end in found:
            at = bisect.bisect_right(starts, start) - 1
            if at >= 0 and blocks[at][2] > start:
                continue  # inside a private key block
            keyed.append((start, -end, kind))
        keyed.sort()
        return _merged([(kind, start, -negative_end) for start, negative_end, kind in keyed])

    def _matches(self, data: bytes) -> list[tuple[str, int, int]]:
        """The secrets outside PEM blocks, sorted and disjoint: the matches do not overlap, and
        the secrets of one match are sorted and merged by `_resolve`."""
        present = self._gate.Match(data)
        if not present:
            return []
        count = len(self._all_patterns)
        vendor_possible = any(i >= count for i in present)
        occurring = sorted(i for i in present if i < count)
        if not occurring:
            return []
        alternation = self._all
        patterns = alternation.patterns
        single = occurring[0] if len(occurring) == 1 else -1
        found: list[tuple[str, int, int]] = []
        append = found.append
        if single >= 0 and alternation.secret_free(single):
            # One vendor pattern occurs: every match is a secret of its kind, nothing to decide.
            kind = patterns[single].kind
            for start, end in search.spans(alternation.plain(single), data):
                if len(found) >= MAX_MATCHES:
                    append((OVERFLOW_KIND, start, len(data)))
                    break
                append((kind, start, end))
            return found
        regex = alternation.plain(single) if single >= 0 else alternation.regex
        # Dense input repeats itself (the same token, the same header): what a match yields
        # depends only on its bytes and its pattern.
        cache: dict[tuple[int, bytes], tuple[tuple[str, int, int], ...]] = {}
        matches = resolved = 0
        for start, end in search.spans(regex, data):
            matches += 1
            if matches > MAX_MATCHES or resolved >= MAX_RESOLVED:
                append((OVERFLOW_KIND, start, len(data)))
                break
            piece = data[start:end]
            index = single if single >= 0 else alternation.which(piece)
            if index < 0:  # pragma: no cover - the alternation matched, so one of them does
                continue
            if alternation.secret_free(index):
                append((patterns[index].kind, start, end))
                continue
            key = (index, piece)
            hit = cache.get(key)
            if hit is None:
                resolved += 1
                hit = self._resolve(index, piece, vendor_possible)
                if len(piece) <= _CACHED_PIECE:
                    if len(cache) >= _CACHE_ENTRIES:
                        cache.clear()
                    cache[key] = hit
            for kind, s, e in hit:
                append((kind, start + s, start + e))
        return found

    def _resolve(
        self, index: int, piece: bytes, vendor_possible: bool
    ) -> tuple[tuple[str, int, int], ...]:
        """The secrets in one match of pattern `index`, offsets relative to the match."""
        s, e, name = self._all.secret(index, piece)
        if s >= e:
            return ()
        kind = self._all.patterns[index].kind
        if kind not in _CONTEXTUAL:
            return ((kind, s, e),)
        # The match opens with `authorization`, so the scheme before the value is inside it.
        if kind == "authorization" and piece[max(0, s - 8) : s].lower().rstrip(b" \t").endswith(
            b"bearer"
        ):
            kind = "bearer-token"  # `Authorization: Bearer x`: say which scheme
        found = list(
            self._contextual(kind, piece[s:e], s, name.decode("utf-8", "replace"), vendor_possible)
        )
        if len(found) > 1:
            found = _merged(sorted(found, key=lambda f: (f[1], -f[2])))
        return tuple(found)

    def _contextual(
        self, kind: str, value: bytes, offset: int, name: str, vendor_possible: bool = True
    ) -> Iterator[tuple[str, int, int]]:
        """A value secret by where it stands: its vendor kind if it has one, nothing if it is a
        placeholder, its URL password if it is a connection URL."""
        inner = (
            [(p.kind, offset + s, offset + e) for p, s, e, _ in self._vendor.finditer(value)]
            if vendor_possible
            else []
        )
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
        return [(catalogue.PEM_KIND, start, end) for start, end in search.spans(self._pem, data)]


def _char_offsets(
    data: bytes, found: list[tuple[str, int, int]], chars: int
) -> tuple[tuple[str, int, int], ...]:
    """Byte offsets to character offsets in one pass over the sorted spans."""
    if len(data) == chars:  # one byte a character (ASCII): the offsets are the same
        return tuple(found)
    spans: list[tuple[str, int, int]] = []
    last_byte = last_char = 0

    def to_char(offset: int) -> int:
        nonlocal last_byte, last_char
        last_char += len(data[last_byte:offset].decode("utf-8", "surrogatepass"))
        last_byte = offset
        return last_char

    for kind, start, end in found:
        spans.append((kind, to_char(start), to_char(end)))
    return tuple(spans)


_DEFAULT: Redactor | None = None


def default_redactor() -> Redactor:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Redactor()
    return _DEFAULT


def redact(text: str) -> Redaction:
    """Redact with the built-in secret names (a policy's own: `Redactor(names).redact`)."""
    return default_redactor().redact(text)
