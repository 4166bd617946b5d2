"""The text the phrase patterns see: invisible characters removed, fullwidth letters folded.

`ig\u200bnore previous instructions` and `ｉｇｎｏｒｅ previous instructions` read the same to a
model as the plain phrase, so the patterns run on a normalized copy. Offsets found in the copy
map back to the original text, so a quarantine cuts the real characters.

The copy is made with `str.translate` (C, one pass), block by block so that each block's count
of kept characters is known; the exact mapping inside a block is built only for blocks a
finding points into. A megabyte of zero-width runs costs one translate, not a Python step per run.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from bastion.rules.regexes import LazyRegex

_FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x2069), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xE0000, 0xE007F), (0xE0100, 0xE01EF),
)  # fmt: skip
FORMAT_CHARS = "".join(
    rf"\x{{{lo:04X}}}" + ("" if lo == hi else rf"-\x{{{hi:04X}}}") for lo, hi in _FORMAT_RANGES
)
"""Characters that render as nothing (or only steer rendering): zero-width, bidi controls,
variation selectors, tag characters, fillers."""

_FORMAT = frozenset(chr(cp) for lo, hi in _FORMAT_RANGES for cp in range(lo, hi + 1))
# Fullwidth ASCII (U+FF01..U+FF5E) and the ideographic space, one character each: offsets stay.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_TABLE: dict[int, int | None] = {ord(c): None for c in _FORMAT} | _FOLD
_TOUCHED = LazyRegex("[" + FORMAT_CHARS + r"\x{FF01}-\x{FF5E}\x{3000}]")
BLOCK = 512
"""Characters per block of the offset map."""


@dataclass(frozen=True)
class Normalized:
    text: str
    """The normalized copy the patterns run on."""
    _source: str = ""
    """The original text, when characters were removed from it (else empty)."""
    _kept: tuple[int, ...] = ()
    """Characters kept before each block of BLOCK original characters (cumulative)."""
    _blocks: dict[int, list[int]] = field(default_factory=dict, compare=False, repr=False)
    """Per block, built on demand: the in-block offsets of the characters kept."""

    def original(self, pos: int) -> int:
        """The original offset of the character at normalized `pos`."""
        if not self._kept:
            return pos
        if pos >= len(self.text):
            return pos + len(self._source) - len(self.text)
        block = bisect_right(self._kept, pos) - 1
        offsets = self._blocks.get(block)
        if offsets is None:
            start = block * BLOCK
            chunk = self._source[start : start + BLOCK]
            offsets = self._blocks[block] = [i for i, c in enumerate(chunk) if c not in _FORMAT]
        return block * BLOCK + offsets[pos - self._kept[block]]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized [start, end) back; any removed characters inside stay inside."""
        if end <= start:
            at = self.original(start)
            return at, at
        return self.original(start), self.original(end - 1) + 1


def normalize(text: str) -> Normalized:
    if text.isascii() or _TOUCHED.search(text) is None:
        return Normalized(text)
    parts = [text[i : i + BLOCK].translate(_TABLE) for i in range(0, len(text), BLOCK)]
    normalized = "".join(parts)
    if len(normalized) == len(text):
        return Normalized(normalized)  # folded only: offsets stay
    kept = [0]
    for part in parts:
        kept.append(kept[-1] + len(part))
    # A block whose characters were all removed has the same count as the next: bisect_right
    # then lands on the last block starting at that count, the one holding the character.
    return Normalized(normalized, text, tuple(kept[:-1]))
