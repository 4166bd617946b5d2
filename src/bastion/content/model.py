"""Values of the content layer: how bad a finding is, what kind it is, and a scan's report.

Spans are **character** offsets (Python `str` indices) into the text that was scanned, end
exclusive: the response code cuts the same `str`, so characters are the natural unit. The guard's
`Finding.span` is in bytes; `layer.py` converts where it builds those.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    """Ordered; the values are the numbers the `[content]` config thresholds use."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    def __str__(self) -> str:
        return self.name.lower()

    def raised(self, by: int) -> Severity:
        return Severity(max(Severity.LOW, min(Severity.HIGH, self + by)))


class Category(enum.StrEnum):
    INSTRUCTION_OVERRIDE = "instruction-override"
    ROLE_MARKER = "role-marker"
    HIDDEN_HTML = "hidden-html"
    HIDDEN_UNICODE = "hidden-unicode"
    SMUGGLED_TEXT = "smuggled-text"
    ENCODED = "encoded-instruction"
    EXFIL_LINK = "exfiltration-link"
    TOOL_COERCION = "tool-coercion"
    UNSCANNED = "unscanned"


STRUCTURAL = frozenset(
    {
        Category.HIDDEN_HTML,
        Category.HIDDEN_UNICODE,
        Category.SMUGGLED_TEXT,
        Category.ENCODED,
        Category.UNSCANNED,
    }
)
"""Categories about how text is hidden, not what it says: talking about injection near real
invisible characters or an encoded instruction does not make them harmless."""


@dataclass(frozen=True)
class ContentFinding:
    category: Category
    severity: Severity
    start: int
    """Character offset into the scanned text (inclusive)."""
    end: int
    """Character offset (exclusive)."""
    excerpt: str
    """The matched text (decoded text for encoded or smuggled content), shortened."""
    rule_id: str
    why: str = ""
    """How the severity was reached: the context signals that raised or lowered it."""


@dataclass(frozen=True)
class ContentReport:
    source: str
    """What was scanned: a tool name or a file path."""
    length: int
    """Characters in the text."""
    findings: tuple[ContentFinding, ...]
    """Sorted by position."""
    scanned_chars: int
    """How much of the text was scanned (less than `length` when over the size cap)."""

    @property
    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def at_least(self, severity: int) -> tuple[ContentFinding, ...]:
        return tuple(f for f in self.findings if f.severity >= severity)
