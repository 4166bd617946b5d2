"""The text the phrase patterns see: invisible characters removed, fullwidth letters folded.

`ig\u200bnore previous instructions` and `ｉｇｎｏｒｅ previous instructions` read the same to a
model as the plain phrase, so the patterns run on a normalized copy. Offsets found in the copy
map back to the original text, so a quarantine cuts the real characters.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from bastion.rules.regexes import compile_regex

FORMAT_CHARS = (
    r"\x{00AD}\x{034F}\x{061C}\x{115F}\x{1160}\x{180E}\x{200B}-\x{200F}\x{202A}-\x{202E}"
    r"\x{2060}-\x{2064}\x{2066}-\x{2069}\x{3164}\x{FE00}-\x{FE0F}\x{FEFF}\x{FFA0}"
    r"\x{E0000}-\x{E007F}\x{E0100}-\x{E01EF}"
)
"""Characters that render as nothing (or only steer rendering): zero-width, bidi controls,
variation selectors, tag characters, fillers."""

_FORMAT_RUN = compile_regex("[" + FORMAT_CHARS + "]+")

# Fullwidth ASCII (U+FF01..U+FF5E) and the ideographic space, one character each: offsets stay.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@dataclass(frozen=True)
class Normalized:
    text: str
    """The normalized copy the patterns run on."""
    _at: tuple[int, ...]
    """Normalized positions where a removed run was; sorted."""
    _shift: tuple[int, ...]
    """Characters removed before and at each of those positions (cumulative)."""

    def original(self, pos: int) -> int:
        """The original offset of the character at normalized `pos`."""
        i = bisect_right(self._at, pos)
        return pos + (self._shift[i - 1] if i else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized [start, end) back; any removed characters inside stay inside."""
        if end <= start:
            at = self.original(start)
            return at, at
        return self.original(start), self.original(end - 1) + 1


def normalize(text: str) -> Normalized:
    if not text.isascii():
        text = text.translate(_FOLD)
    runs = [(m.start(), m.end()) for m in _FORMAT_RUN.finditer(text)]
    if not runs:
        return Normalized(text, (), ())
    parts: list[str] = []
    at: list[int] = []
    shift: list[int] = []
    removed = 0
    last = 0
    for start, end in runs:
        parts.append(text[last:start])
        removed += end - start
        at.append(start - (removed - (end - start)))
        shift.append(removed)
        last = end
    parts.append(text[last:])
    return Normalized("".join(parts), tuple(at), tuple(shift))
