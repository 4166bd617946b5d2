"""The key an approval binds to: the rules that asked, the normalised call, the project.

Approving `find . -exec rm {} +` must not approve `find . -delete` (other rules, other text),
and approving a command in one project must not approve it in another. The command is
normalised only where the shell surely runs the same thing: runs of unquoted blanks
(`rm  -r   a` is `rm -r a`). A relative path means something else in another directory, so
the cwd (relative to the project) is part of the key for shell commands."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Sequence

from bastion.approvals.model import ApprovalKey
from bastion.model import Decision, Finding, ToolCall, ToolKind, Verdict

KEY_VERSION = 1
MAX_TARGET_CHARS = 16 << 10
"""Beyond this the target is hashed whole but shown cut: keys stay small, identity exact."""


def deciding_rules(verdict: Verdict) -> tuple[str, ...]:
    """The rule ids that made the verdict what it is (the asks of an ask)."""
    return tuple(sorted({f.rule_id for f in _deciding(verdict.findings, verdict.decision)}))


def _deciding(findings: Sequence[Finding], decision: Decision) -> list[Finding]:
    return [f for f in findings if f.decision == decision]


def normalise_command(command: str) -> str:
    """Runs of unquoted blanks folded to one space, outer blanks dropped; nothing else. Quotes
    stay as written: folding them would make `rm a;b` and `rm 'a;b'` one key."""
    out: list[str] = []
    quote = ""
    escaped = blank = False
    for char in command.strip():
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in " \t":
            blank = True
            continue
        if blank:
            out.append(" ")
            blank = False
        out.append(char)
    return "".join(out)


def call_target(call: ToolCall) -> str:
    """What the call does, as text: the command, the paths, the URLs or the MCP arguments."""
    if call.kind is ToolKind.SHELL and call.command is not None:
        return normalise_command(call.command)
    if call.kind is ToolKind.MCP or (not call.paths and not call.urls):
        arguments = json.dumps(dict(call.raw_input), sort_keys=True, default=str)
        return f"{call.tool_name} {arguments}"
    parts = [posixpath.normpath(p) for p in call.paths] + list(call.urls)
    return f"{call.kind} " + " ".join(sorted(parts))


def project_of(call: ToolCall, project_root: str | None) -> str:
    root = project_root or call.cwd or "/"
    return posixpath.normpath(root)


def approval_key(call: ToolCall, verdict: Verdict, project_root: str | None) -> ApprovalKey:
    rules = deciding_rules(verdict)
    target = call_target(call)
    project = project_of(call, project_root)
    where = ""
    if call.kind is ToolKind.SHELL and call.cwd:
        where = (
            posixpath.relpath(posixpath.normpath(call.cwd), project)
            if os.path.isabs(call.cwd)
            else call.cwd
        )
    material = json.dumps(
        [KEY_VERSION, list(rules), str(call.kind), target, project, where],
        ensure_ascii=False,
    )
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
    shown = target if len(target) <= MAX_TARGET_CHARS else target[:MAX_TARGET_CHARS] + "…"
    return ApprovalKey(digest, rules, shown, project)
