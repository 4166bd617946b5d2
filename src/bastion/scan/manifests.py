"""package.json install hooks: scripts npm runs on `npm install`, before anyone reads the code."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from bastion.rules.regexes import compile_regex
from bastion.scan.interface import ScanError, Scanner
from bastion.scan.model import ScanFinding, ScanRule, Severity
from bastion.scan.source import excerpt

INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "preuninstall", "postuninstall")
_FETCHES = compile_regex(r"(?i)\b(?:curl|wget|iwr|invoke-webrequest|https?://)|\bnode\s+-e\b")

HOOK = ScanRule("npm-install-hook", Severity.HIGH, "package.json runs a script on install")
HOOK_FETCH = ScanRule(
    "npm-install-hook-fetch", Severity.CRITICAL, "install script downloads or runs inline code"
)


class PackageJsonScanner(Scanner):
    name = "package.json"

    def wants(self, path: Path) -> bool:
        return path.name == "package.json"

    def rules(self) -> Sequence[ScanRule]:
        return (HOOK, HOOK_FETCH)

    def scan(self, path: Path, text: str, shown: str) -> Sequence[ScanFinding]:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ScanError(f"{shown}: invalid JSON: {exc}") from exc
        scripts = data.get("scripts") if isinstance(data, dict) else None
        if not isinstance(scripts, dict):
            return ()
        found = []
        for name in INSTALL_SCRIPTS:
            script = scripts.get(name)
            if not isinstance(script, str):
                continue
            rule = HOOK_FETCH if _FETCHES.search(script) else HOOK
            line, column = _locate(text, f'"{name}"')
            found.append(
                ScanFinding(
                    rule.id,
                    rule.severity,
                    shown,
                    line,
                    column,
                    excerpt(f'"{name}": {json.dumps(script)}', 0),
                    f"npm runs the '{name}' script on install: `{script[:120]}`. "
                    "Read it before installing, or install with --ignore-scripts.",
                )
            )
        return found


def _locate(text: str, needle: str) -> tuple[int, int]:
    index = text.find(needle)
    if index < 0:
        return 1, 1
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1
