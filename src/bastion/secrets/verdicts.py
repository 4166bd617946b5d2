"""Redaction for everything bastion shows or records: findings, verdicts, audit text."""

from __future__ import annotations

from dataclasses import replace

from bastion.model import Finding, Verdict
from bastion.secrets.redact import Redactor, default_redactor


def redact_text(text: str, redactor: Redactor | None = None) -> str:
    return (redactor or default_redactor()).redact(text).text if text else text


def redact_finding(finding: Finding, redactor: Redactor | None = None) -> Finding:
    """The finding with secrets in its subject and message replaced. The span refers to the
    original input and is dropped when the subject changed, since it no longer lines up."""
    subject = redact_text(finding.subject, redactor)
    message = redact_text(finding.message, redactor)
    if subject == finding.subject and message == finding.message:
        return finding
    return replace(finding, subject=subject, message=message, span=None)


def redact_verdict(verdict: Verdict, redactor: Redactor | None = None) -> Verdict:
    findings = tuple(redact_finding(f, redactor) for f in verdict.findings)
    return replace(verdict, findings=findings, reason=redact_text(verdict.reason, redactor))
