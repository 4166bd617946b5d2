"""The path layer: file tools and shell commands judged against the workspace fence and the
sensitive and protected paths (bastion.pathjail does the work; this wires it to ToolCalls)."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Sequence

from bastion.config import Config
from bastion.layers.interface import CommandAnalyzer, Layer
from bastion.model import Finding, ToolCall, ToolKind
from bastion.pathjail.policy import Access, PathPolicy
from bastion.pathjail.shell import LAYER, JailContext, path_findings
from bastion.shell.syntax import SimpleCommand

# Where agents put a file tool's path; judged as written, so `link/../x` is resolved on disk and
# not folded by text first (the ToolCall's own `paths` are folded; both are judged).
_PATH_KEYS = ("file_path", "path", "notebook_path", "filePath", "absolute_path", "target_file")
_ACCESS = {ToolKind.READ: Access.READ, ToolKind.WRITE: Access.WRITE, ToolKind.EDIT: Access.WRITE}

CommandReader = Callable[[str, str], Sequence[SimpleCommand]]
"""(command text, cwd) -> the unfolded simple commands, e.g. CommandLayer.analyse(...).commands."""


# What the path layer adds to a shell command's verdict: secrets read or written and files
# that change what runs later, seen after symlinks and globs. Where a shell command writes
# outside the project or into system paths is already judged by the calibrated rule packs
# (file-writes, filesystem); repeating that here would double the asks on everyday work.
SHELL_RULES = frozenset({"path-sensitive", "path-protected", "path-invalid"})


class PathLayer(Layer, CommandAnalyzer):
    name = LAYER

    def __init__(
        self,
        policy: PathPolicy,
        project_root: str | None = None,
        commands: CommandReader | None = None,
    ) -> None:
        self.policy = policy
        self.project_root = project_root
        self.commands = commands

    @classmethod
    def from_config(
        cls, config: Config, home: str | None = None, commands: CommandReader | None = None
    ) -> PathLayer:
        home = home if home is not None else os.path.expanduser("~")

        strings = config.strings
        # Not the daemon's runtime directory: the shim trusts it only when it is 0700 and ours,
        # and `rm -rf /tmp/*` sweeping it away costs a daemon restart, nothing more.
        protected = strings("paths.protected")
        policy = PathPolicy(
            home,
            sensitive=strings("paths.sensitive"),
            not_sensitive=strings("paths.not_sensitive"),
            protected=protected,
            writable=strings("paths.extra_writable"),
        )
        return cls(policy, config.project_root, commands)

    def context(self, cwd: str) -> JailContext:
        cwd = cwd or os.getcwd()
        return JailContext(self.policy, cwd, self.project_root or cwd)

    def shell_findings(
        self, commands: Sequence[SimpleCommand], cwd: str, source: str = ""
    ) -> list[Finding]:
        """For the command layer: findings for commands it has already parsed and unfolded."""
        found = path_findings(commands, self.context(cwd))
        return [f for f in found if f.rule_id in SHELL_RULES]

    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        ctx = self.context(call.cwd)
        if call.kind is ToolKind.SHELL:
            if self.commands is None or call.command is None:
                return ()  # the command layer calls shell_findings itself
            return path_findings(self.commands(call.command, ctx.cwd), ctx)
        if call.kind is ToolKind.FETCH:
            return self._file_urls(call, ctx)
        access = _ACCESS.get(call.kind)
        if access is None:
            return ()
        texts = [*call.paths]
        for key in _PATH_KEYS:
            value = call.raw_input.get(key)
            if isinstance(value, str) and value:
                texts.append(value)
        return self._judge(call, ctx, list(dict.fromkeys(texts)), access)

    def _file_urls(self, call: ToolCall, ctx: JailContext) -> list[Finding]:
        url = call.raw_input.get("url")
        if not isinstance(url, str) or not url.lower().startswith("file:"):
            return []
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        return self._judge(call, ctx, [path or "/"], Access.READ)

    def _judge(
        self, call: ToolCall, ctx: JailContext, texts: Sequence[str], access: Access
    ) -> list[Finding]:
        findings: dict[tuple[str, str], Finding] = {}
        root = ctx.project_root or ctx.cwd
        for text in texts:
            for issue in self.policy.judge_text(text, ctx.cwd, access, root):
                subject = f"{call.tool_name or call.kind} {text}"
                finding = Finding(
                    layer=LAYER,
                    rule_id=issue.rule_id,
                    decision=issue.decision,
                    tier=issue.tier,
                    message=issue.message,
                    subject=subject,
                )
                findings.setdefault((issue.rule_id, issue.path), finding)
        return list(findings.values())
