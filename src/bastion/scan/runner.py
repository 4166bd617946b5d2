"""Run the scanners over a path (a repository, one source file, or one MCP config)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from bastion.mcp.store import PinStore
from bastion.scan.interface import ScanError, Scanner
from bastion.scan.launch import McpConfigScanner
from bastion.scan.manifests import PackageJsonScanner
from bastion.scan.model import ScanFinding, ScanReport, ScanRule, Severity
from bastion.scan.source import SourceScanner
from bastion.scan.walk import TooManyFiles, WalkOptions, looks_binary, walk

Progress = Callable[[int, int], None]

TOO_LARGE = ScanRule("scan-file-too-large", Severity.MEDIUM, "file too large to scan")


class ScanInputError(Exception):
    """The path given cannot be scanned at all (missing, unreadable, not a known kind)."""


def default_scanners(pins: PinStore | None = None, record: bool = False) -> tuple[Scanner, ...]:
    return (SourceScanner(), PackageJsonScanner(), McpConfigScanner(pins, record=record))


def scan_path(
    path: str | os.PathLike[str],
    *,
    scanners: Sequence[Scanner] | None = None,
    options: WalkOptions | None = None,
    progress: Progress | None = None,
) -> ScanReport:
    scanners = tuple(scanners) if scanners is not None else default_scanners()
    options = options if options is not None else WalkOptions()
    root = Path(path).absolute()
    if not root.exists():
        raise ScanInputError(f"{path}: no such file or directory")
    if root.is_file():
        return _scan_one(root, scanners, options)
    try:
        files = list(walk(root, lambda p: any(s.wants(p) for s in scanners), options))
    except (OSError, TooManyFiles) as exc:
        raise ScanInputError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from exc
    findings: list[ScanFinding] = []
    errors: list[str] = []
    skipped: list[str] = []
    for done, file in enumerate(files, 1):
        shown = file.relative_to(root).as_posix()
        try:
            found, was_skipped = _scan_file(file, shown, scanners, options)
        except (OSError, ScanError) as exc:
            errors.append(_error_text(exc, shown))
        else:
            findings.extend(found)
            if was_skipped:
                skipped.append(shown)
        if progress is not None:
            progress(done, len(files))
    return _report(root, findings, scanners, len(files), errors, skipped)


def _scan_one(file: Path, scanners: Sequence[Scanner], options: WalkOptions) -> ScanReport:
    chosen = [s for s in scanners if s.wants(file)]
    if not chosen and file.suffix.lower() in (".json", ".toml"):
        # An MCP config under another name: the reader tells it by its shape.
        chosen = [s for s in scanners if isinstance(s, McpConfigScanner)]
    if not chosen:
        raise ScanInputError(
            f"{file}: not a file bastion scans (Python, JavaScript/TypeScript, package.json "
            "or an MCP config)"
        )
    try:
        found, skipped = _scan_file(file, file.name, chosen, options)
    except (OSError, ScanError) as exc:
        raise ScanInputError(_error_text(exc, str(file))) from exc
    return _report(file.parent, found, scanners, 1, [], [file.name] if skipped else [])


def _scan_file(
    file: Path, shown: str, scanners: Sequence[Scanner], options: WalkOptions
) -> tuple[list[ScanFinding], bool]:
    """Findings in one file, and whether it was skipped as binary or too large."""
    size = file.stat().st_size
    if size > options.max_file_bytes:
        # Padding a file past the cap must not hide it: the skip itself is a finding.
        message = f"{size} bytes, over the {options.max_file_bytes}-byte cap: not scanned"
        return [ScanFinding(TOO_LARGE.id, TOO_LARGE.severity, shown, 1, 1, "", message)], True
    data = file.read_bytes()
    if looks_binary(data):
        return [], True
    text = data.decode("utf-8", errors="replace")
    found: list[ScanFinding] = []
    for scanner in scanners:
        if scanner.wants(file) or len(scanners) == 1:
            found.extend(scanner.scan(file, text, shown))
    return found, False


def _error_text(exc: BaseException, shown: str) -> str:
    if isinstance(exc, OSError):
        return f"{shown}: {exc.strerror or exc}"
    return str(exc)


def _report(
    root: Path,
    findings: list[ScanFinding],
    scanners: Sequence[Scanner],
    files: int,
    errors: list[str],
    skipped: list[str],
) -> ScanReport:
    known = {r.id: r for s in scanners for r in s.rules()}
    known[TOO_LARGE.id] = TOO_LARGE
    used = dict.fromkeys(f.rule_id for f in findings)
    rules = tuple(known.get(r) or ScanRule(r, Severity.MEDIUM, r) for r in used)
    ordered = sorted(findings, key=lambda f: (f.file, f.line, f.column, f.rule_id))
    return ScanReport(str(root), tuple(ordered), rules, files, tuple(errors), tuple(skipped))
