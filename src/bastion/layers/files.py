"""File tool calls (Write, Edit, apply_patch, Read) judged by the same rules as shell redirects.

A Write tool call to a path does what `> path` does in a shell, so the rules about where a
redirect may write (system files, shell start-up files, git hooks, outside the project) decide
it too: one policy, whichever tool the agent picks. A read is judged as `< path`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

from bastion.layers.interface import Layer
from bastion.model import Finding, ToolCall, ToolKind
from bastion.paths import PathContext
from bastion.rules.engine import RuleSet, hit_to_finding
from bastion.shell.syntax import Redirect, SimpleCommand, Word

LAYER = "files"
_WRITE_KINDS = frozenset({ToolKind.WRITE, ToolKind.EDIT})


class FileAccessLayer(Layer):
    name = LAYER

    def __init__(self, rules: RuleSet, home: str | None = None, project_root: str | None = None):
        self.rules = rules
        self.home = home if home is not None else os.path.expanduser("~")
        self.project_root = project_root

    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        if call.kind not in _WRITE_KINDS and call.kind is not ToolKind.READ:
            return ()
        op = "<" if call.kind is ToolKind.READ else ">"
        name = Word.literal(call.tool_name or str(call.kind))
        commands = tuple(
            SimpleCommand(words=(name,), redirects=(Redirect(op, Word.literal(path)),))
            for path in call.paths
        )
        if not commands:
            return ()
        cwd = call.cwd or os.getcwd()
        context = PathContext(cwd=cwd, home=self.home, project_root=self.project_root or cwd)
        findings: dict[tuple[str, str], Finding] = {}
        for hit in self.rules.match(commands, (), context):
            finding = hit_to_finding(hit, LAYER)
            if hit.command is not None and hit.command.redirects:
                target = hit.command.redirects[0].target
                finding = replace(finding, subject=f"{call.tool_name} {target}", span=None)
            findings.setdefault((finding.rule_id, finding.subject), finding)
        return tuple(findings.values())

