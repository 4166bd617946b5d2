"""`bastion scan PATH`: vet plugin / MCP server code and MCP configs before trusting them.

Exit 0: no finding at or above --fail-on; 1: findings; 2: the input (or part of it) could not
be read, so the scan is incomplete; 64: usage error (from the parser)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bastion.mcp.store import PinStore, PinStoreError
from bastion.scan.model import Severity
from bastion.scan.report import render
from bastion.scan.runner import ScanInputError, default_scanners, scan_path
from bastion.scan.walk import WalkOptions

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2
_SEVERITIES = [str(s) for s in Severity]


def add_parsers(
    sub: argparse._SubParsersAction[Any], parser_class: type[argparse.ArgumentParser]
) -> None:
    """Add `scan` to `sub` (made with `parser_class`, which exits 64 on usage errors)."""
    del parser_class
    scan = sub.add_parser(
        "scan",
        help="vet plugin / MCP server source and MCP configs",
        description="Scan a repository, a source file or an MCP config (.mcp.json, "
        "~/.claude.json, .cursor/mcp.json, .gemini/settings.json, ~/.codex/config.toml, "
        ".vscode/mcp.json) for risky code and risky server launch lines. Exit 0 when nothing "
        "at or above --fail-on was found, 1 when something was, 2 when input could not be read.",
    )
    scan.add_argument("path", metavar="PATH", help="a directory, a source file or an MCP config")
    scan.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    scan.add_argument("--output", metavar="FILE", help="write the report here (default: stdout)")
    scan.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    scan.add_argument(
        "--fail-on",
        choices=_SEVERITIES,
        default="high",
        help="lowest severity that makes the exit code 1 (default: high)",
    )
    scan.add_argument(
        "--pin",
        action="store_true",
        help="pin the launch line of each MCP server not pinned yet (trust on first use); "
        "servers already pinned are only compared",
    )
    scan.add_argument(
        "--pins",
        metavar="FILE",
        help="the MCP pin store (default: $BASTION_MCP_PINS or ~/.local/share/bastion/"
        "mcp-pins.json); configs are compared with it when it exists",
    )
    scan.add_argument(
        "--include-vendored",
        action="store_true",
        help="also walk node_modules, .git, virtualenvs and caches",
    )


def run(args: argparse.Namespace) -> int:
    try:
        pins = _pins(args)
    except PinStoreError as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    options = WalkOptions(skip_dirs=frozenset()) if args.include_vendored else WalkOptions()
    progress = _Progress() if sys.stderr.isatty() and not args.no_progress else None
    try:
        report = scan_path(
            args.path,
            scanners=default_scanners(pins, record=args.pin),
            options=options,
            progress=progress,
        )
    except ScanInputError as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    finally:
        if progress is not None:
            progress.close()
    text = render(report, args.format)
    try:
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        if pins is not None and args.pin:
            pins.save()
    except (OSError, PinStoreError) as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if report.errors:
        for error in report.errors:
            print(f"bastion: error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    if report.at_or_above(Severity.parse(args.fail_on)):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _pins(args: argparse.Namespace) -> PinStore | None:
    """The store to compare with (or pin into); None when there is none and --pin is off."""
    store = PinStore(args.pins) if args.pins else PinStore()
    if not args.pin and not store.path.exists():
        return None
    store.reload()
    return store


class _Progress:
    """A one-line bar on stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r  scanning [{bar}] {done}/{total}", end="", file=sys.stderr, flush=True)
        self._shown = True

    def close(self) -> None:
        if self._shown:
            print(file=sys.stderr)
