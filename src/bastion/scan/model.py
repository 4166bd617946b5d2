"""What a scan reports: one finding per suspicious spot, with its rule, severity and place."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True)
class ScanRule:
    id: str
    severity: Severity
    summary: str
    """One line for SARIF's rule list and the text report."""


@dataclass(frozen=True)
class ScanFinding:
    rule_id: str
    severity: Severity
    file: str
    """Relative to the scanned root, with `/` separators."""
    line: int
    column: int
    excerpt: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "severity": str(self.severity),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "excerpt": self.excerpt,
            "message": self.message,
        }


@dataclass(frozen=True)
class ScanReport:
    root: str
    """Absolute path that was scanned."""
    findings: tuple[ScanFinding, ...]
    rules: tuple[ScanRule, ...]
    """Every rule that produced a finding, for SARIF."""
    files_scanned: int
    errors: tuple[str, ...] = ()
    """Files that could not be read or parsed: the scan is incomplete when there are any."""
    skipped: tuple[str, ...] = field(default=())

    def at_or_above(self, severity: Severity) -> tuple[ScanFinding, ...]:
        return tuple(f for f in self.findings if f.severity >= severity)
