"""RE2 searches at the cost of one binding call per match.

google-re2's `finditer` runs every match through a Python generator and builds a `_Match`
object, doubling the cost per match; on a megabyte dense with secrets that is most of the time.
These helpers call the compiled program's `Match` directly on UTF-8 bytes and hand back plain
(start, end) tuples, group 0 first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import re2

UNANCHORED: Any = re2._Anchor.UNANCHORED
ANCHOR_BOTH: Any = re2._Anchor.ANCHOR_BOTH

Spans = list[tuple[int, int]]
"""Group spans, group 0 first; (-1, -1) for a group that did not take part."""


def spans(regex: Any, data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each leftmost-first match, left to right, as `finditer` would give."""
    match = regex._regexp.Match
    pos, end = 0, len(data)
    while pos <= end:
        start, stop = match(UNANCHORED, data, pos, end)[0]
        if start < 0:
            return
        yield start, stop
        pos = stop if stop > start else stop + 1


def fullmatch(regex: Any, data: bytes) -> Spans | None:
    """Every group's span when `regex` matches all of `data`, else None."""
    found: Spans = regex._regexp.Match(ANCHOR_BOTH, data, 0, len(data))
    return None if found[0][0] < 0 else found
