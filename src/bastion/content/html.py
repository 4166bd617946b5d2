"""Parts of a page a human reader does not see: HTML comments and elements styled invisible.

Markdown renderers and browsers drop comments; `display:none`, zero font sizes, white-on-white
and off-screen positions hide elements. An agent reads them all. The regions are found with
`str.find` and bounded RE2 searches, so the cost is linear in the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.rules.regexes import LazyRegex

MAX_REGIONS = 2000
MAX_HIDDEN_ELEMENT = 5000
"""Characters after a hiding tag taken as its content when no closing tag comes sooner."""

_HIDING_TAG = LazyRegex(
    r"(?i)<([a-z][a-z0-9]{0,15})\b[^>]{0,500}?(?:style\s*=\s*[\"'][^\"']{0,400}?(?:display\s*:"
    r"\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:[;\"']|"
    r"!)|opacity\s*:\s*0(?:\.0+)?\s*[;\"']|(?:^|[;\s\"'])color\s*:\s*(?:white|#fff(?:fff)?|"
    r"transparent)\b|(?:left|top|text-indent)\s*:\s*-\d{3,}px)|\shidden(?:\s|>|=))[^>]{0,500}>"
)


@dataclass(frozen=True)
class Region:
    start: int
    end: int
    """Exclusive; the whole comment or element, markers included."""
    kind: str
    """"comment" or "hidden-element"."""


def _comments(text: str) -> list[Region]:
    regions: list[Region] = []
    pos = text.find("<!--")
    while pos >= 0 and len(regions) < MAX_REGIONS:
        close = text.find("-->", pos + 4)
        end = len(text) if close < 0 else close + 3
        regions.append(Region(pos, end, "comment"))
        pos = text.find("<!--", end)
    return regions


def _hidden_elements(text: str) -> list[Region]:
    regions: list[Region] = []
    for m in _HIDING_TAG.finditer(text):
        if len(regions) >= MAX_REGIONS:
            break
        close = text.find(f"</{m.group(1)}", m.end(), m.end() + MAX_HIDDEN_ELEMENT)
        end = min(len(text), m.end() + MAX_HIDDEN_ELEMENT) if close < 0 else close
        regions.append(Region(m.start(), end, "hidden-element"))
    return regions


def hidden_regions(text: str) -> tuple[Region, ...]:
    """Sorted by start."""
    if "<" not in text:
        return ()
    return tuple(sorted(_comments(text) + _hidden_elements(text), key=lambda r: r.start))
