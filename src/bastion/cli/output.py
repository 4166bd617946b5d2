"""Terminal rendering: colour only on a terminal, plain text otherwise, JSON on request."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from bastion.model import Decision, Verdict

_COLOURS = {Decision.ALLOW: "32", Decision.ASK: "33", Decision.DENY: "31"}


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str, code: str, stream: TextIO) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if use_colour(stream) else text


def dump_json(data: Any, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    json.dump(data, out, indent=2, sort_keys=False, ensure_ascii=False)
    out.write("\n")


def render_verdict(verdict: Verdict, command: str, stream: TextIO) -> str:
    """`DENY  rm -rf /` then, per deciding finding, the rule and the nudge."""
    label = paint(str(verdict.decision).upper().ljust(5), _COLOURS[verdict.decision], stream)
    first_line = command.splitlines()[0] if command else ""
    if len(first_line) > 100 or "\n" in command:
        first_line = first_line[:97] + "..."
    lines = [f"{label} {first_line}"]
    deciding = [f for f in verdict.findings if f.decision == verdict.decision]
    if not deciding:
        lines.append("  no rule matched")
    for finding in deciding:
        lines.append(f"  rule   {finding.rule_id} ({finding.layer}, {finding.tier})")
        if finding.subject:
            lines.append(f"  saw    {finding.subject}")
        lines.append(f"  nudge  {finding.message}")
    others = [f for f in verdict.findings if f.decision != verdict.decision]
    if others:
        lines.append("  also   " + ", ".join(f"{f.rule_id} ({f.decision})" for f in others))
    return "\n".join(lines)
