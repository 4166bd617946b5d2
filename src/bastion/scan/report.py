"""A scan report as text (grouped by file), JSON, or SARIF 2.1.0 (for code-scanning UIs)."""

from __future__ import annotations

import json
from collections import Counter
from itertools import groupby
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bastion import __version__
from bastion.scan.model import ScanReport, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning ranks security results by this property (0.0-10.0).
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def summary(report: ScanReport) -> str:
    counts = Counter(f.severity for f in report.findings)
    parts = [f"{counts[s]} {s}" for s in sorted(counts, reverse=True)]
    text = f"{len(report.findings)} finding(s)"
    if parts:
        text += f" ({', '.join(parts)})"
    text += f" in {report.files_scanned} file(s) scanned"
    if report.errors:
        text += f"; {len(report.errors)} file(s) could not be read: the scan is incomplete"
    return text


def to_text(report: ScanReport) -> str:
    lines: list[str] = []
    for file, group in groupby(report.findings, key=lambda f: f.file):
        lines.append(file)
        for f in group:
            lines.append(f"  {f.line}:{f.column}  {str(f.severity).upper():<8} {f.rule_id}")
            lines.append(f"      {f.message}")
            if f.excerpt:
                lines.append(f"      > {f.excerpt}")
        lines.append("")
    for error in report.errors:
        lines.append(f"error: {error}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def to_json(report: ScanReport) -> dict[str, Any]:
    return {
        "root": report.root,
        "files_scanned": report.files_scanned,
        "findings": [f.to_dict() for f in report.findings],
        "errors": list(report.errors),
        "skipped": list(report.skipped),
    }


def to_sarif(report: ScanReport) -> dict[str, Any]:
    index = {rule.id: i for i, rule in enumerate(report.rules)}
    rules = [
        {
            "id": rule.id,
            "name": rule.id,
            "shortDescription": {"text": rule.summary},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            "properties": {
                "security-severity": _SECURITY_SEVERITY[rule.severity],
                "tags": ["security"],
            },
        }
        for rule in report.rules
    ]
    results = []
    for f in report.findings:
        region: dict[str, Any] = {"startLine": max(1, f.line), "startColumn": max(1, f.column)}
        if f.excerpt:
            region["snippet"] = {"text": f.excerpt}
        results.append(
            {
                "ruleId": f.rule_id,
                "ruleIndex": index[f.rule_id],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": quote(f.file), "uriBaseId": "SRCROOT"},
                            "region": region,
                        }
                    }
                ],
                "properties": {"severity": str(f.severity)},
            }
        )
    notifications = [{"level": "error", "message": {"text": e}} for e in report.errors]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "bastion", "version": __version__, "rules": rules}},
                "originalUriBaseIds": {"SRCROOT": {"uri": Path(report.root).as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": not report.errors,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }


def render(report: ScanReport, fmt: str) -> str:
    if fmt == "text":
        return to_text(report)
    data = to_sarif(report) if fmt == "sarif" else to_json(report)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
