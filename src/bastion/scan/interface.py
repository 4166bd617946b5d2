"""The contract of a file scanner: which files it reads, and what it finds in one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from bastion.scan.model import ScanFinding, ScanRule


class ScanError(Exception):
    """A file the scanner is responsible for could not be read or parsed."""


class Scanner(ABC):
    name: str = "scanner"

    @abstractmethod
    def wants(self, path: Path) -> bool:
        """True for files this scanner reads (by name; contents are not opened here)."""

    @abstractmethod
    def scan(self, path: Path, text: str, shown: str) -> Sequence[ScanFinding]:
        """Findings in `text` (the file's contents); `shown` is the path to report.
        Raises ScanError for a file it should understand but cannot."""

    @abstractmethod
    def rules(self) -> Sequence[ScanRule]:
        """Every rule this scanner may report."""
