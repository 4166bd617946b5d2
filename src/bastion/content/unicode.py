"""Characters a human does not see but a model reads: zero-width runs, bidi overrides, tag
characters and variation selectors that carry bytes.

Tag characters (U+E0020..U+E007E) mirror ASCII one to one and render as nothing; variation
selectors can carry a byte each (U+FE00..FE0F for 0..15, U+E0100..E01EF for 16..255). Both are
decoded and the result rescanned by the caller. Legitimate uses stay quiet: a ZWJ inside an emoji
sequence, a ZWNJ in Persian, a BOM at offset 0, the tag letters of a subdivision flag
(🏴 + tags + U+E007F), a single VS16 after an emoji.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bastion.content.model import Category, Severity
from bastion.rules.regexes import LazyRegex

_INVISIBLE_RUN = LazyRegex(
    r"[\x{00AD}\x{034F}\x{115F}\x{1160}\x{180E}\x{200B}-\x{200D}\x{2060}-\x{2064}\x{3164}"
    r"\x{FEFF}\x{FFA0}]+"
)
_BIDI = LazyRegex(r"[\x{202A}-\x{202E}\x{2066}-\x{2069}]")
_TAG_RUN = LazyRegex(r"[\x{E0000}-\x{E007F}]+(?:[ \t]+[\x{E0000}-\x{E007F}]+)*")
_SELECTOR_RUN = LazyRegex(r"[\x{FE00}-\x{FE0F}\x{E0100}-\x{E01EF}]{4,}")
_JOINERS = frozenset("\u200c\u200d")
_OVERRIDES = frozenset("\u202d\u202e")
_BIDI_CLOSE = "\u202c"
MIN_INVISIBLE_RUN = 4
"""Shorter runs of zero-width characters are typography (joiners, soft hyphens), not a payload."""
MAX_REVERSED = 1000

Rescan = Callable[[str], Severity | None]
"""Scan decoded text; the highest severity found there, or None."""


@dataclass(frozen=True)
class Hit:
    category: Category
    severity: Severity
    start: int
    end: int
    excerpt: str
    rule_id: str


def _tags_are_flag(text: str, start: int, end: int) -> bool:
    return (
        start > 0
        and text[start - 1] == "\U0001f3f4"
        and text[end - 1] == "\U000e007f"
        and end - start <= 8
    )


# Decoding is one `str.translate` (C) per run, not a Python step per character: a megabyte of
# tag characters is one run.
_TAGS = {cp: cp - 0xE0000 for cp in range(0xE0020, 0xE007F)} | {0xE007F: None}
_SELECTORS = {0xFE00 + i: i for i in range(16)} | {0xE0100 + i: 16 + i for i in range(240)}


def _decode_tags(run: str) -> str:
    return run.translate(_TAGS)


def _decode_selectors(run: str) -> str:
    # Each selector stands for one byte (U+0000..U+00FF after the table), so latin-1 is exact.
    return run.translate(_SELECTORS).encode("latin-1").decode("utf-8", "replace")


def _payload(
    category: Category, rule_id: str, start: int, end: int, decoded: str, rescan: Rescan
) -> Hit:
    inner = rescan(decoded)
    # Text smuggled where no human can read it has no innocent reading; what it says decides
    # how bad it is.
    severity = Severity.MEDIUM if inner is None else max(Severity.MEDIUM, inner.raised(1))
    return Hit(category, severity, start, end, decoded[:200], rule_id)


def find(text: str, rescan: Rescan) -> Iterator[Hit]:
    for m in _TAG_RUN.finditer(text):
        if _tags_are_flag(text, m.start(), m.end()):
            continue
        decoded = _decode_tags(m.group())
        if decoded.strip():
            yield _payload(
                Category.SMUGGLED_TEXT,
                "unicode.tag-characters",
                m.start(),
                m.end(),
                decoded,
                rescan,
            )
        else:
            yield Hit(Category.HIDDEN_UNICODE, Severity.LOW, m.start(), m.end(), "", "unicode.tags")
    for m in _SELECTOR_RUN.finditer(text):
        yield _payload(
            Category.SMUGGLED_TEXT,
            "unicode.variation-selectors",
            m.start(),
            m.end(),
            _decode_selectors(m.group()),
            rescan,
        )
    for m in _INVISIBLE_RUN.finditer(text):
        run = m.group()
        if len(run) >= MIN_INVISIBLE_RUN:
            yield Hit(
                Category.HIDDEN_UNICODE,
                Severity.MEDIUM,
                m.start(),
                m.end(),
                f"{len(run)} invisible characters",
                "unicode.invisible-run",
            )
        elif not (set(run) <= _JOINERS or (m.start() == 0 and run == "\ufeff")):
            yield Hit(
                Category.HIDDEN_UNICODE,
                Severity.LOW,
                m.start(),
                m.end(),
                f"{len(run)} invisible character(s)",
                "unicode.invisible",
            )
    for m in _BIDI.finditer(text):
        char = m.group()
        if char not in _OVERRIDES:
            yield Hit(
                Category.HIDDEN_UNICODE,
                Severity.LOW,
                m.start(),
                m.end(),
                f"U+{ord(char):04X}",
                "unicode.bidi-control",
            )
            continue
        # An override shows the following text reversed: the reader sees what the model
        # reads backwards. Rescan what the reader sees.
        close = text.find(_BIDI_CLOSE, m.end(), m.end() + MAX_REVERSED)
        line_end = text.find("\n", m.end(), m.end() + MAX_REVERSED)
        ends = [e for e in (close, line_end) if e >= 0]
        end = min(ends) if ends else min(len(text), m.end() + MAX_REVERSED)
        shown = text[m.end() : end][::-1]
        inner = rescan(shown)
        severity = Severity.MEDIUM if inner is None else max(Severity.MEDIUM, inner.raised(1))
        yield Hit(
            Category.HIDDEN_UNICODE, severity, m.start(), end, shown[:200], "unicode.bidi-override"
        )
