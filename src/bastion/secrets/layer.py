"""The secrets layer: deny shell commands that send a secret off the machine."""

from __future__ import annotations

import os
from collections.abc import Sequence

from bastion.config.model import Config
from bastion.layers.commands import CommandLayer
from bastion.layers.interface import CommandAnalyzer, Layer
from bastion.model import Finding, ToolCall, ToolKind
from bastion.paths import PathContext
from bastion.rules.engine import RuleSet
from bastion.secrets.flow import LAYER, exfiltration_findings
from bastion.secrets.policy import SecretsPolicy
from bastion.secrets.verdicts import redact_finding
from bastion.shell.syntax import SimpleCommand


class SecretsLayer(Layer, CommandAnalyzer):
    """Parses with a command layer of its own (no rules) unless given one to share; inside the
    command layer, call `exfiltration_findings(analysis.commands, paths, source=...)` instead
    and skip the second parse."""

    name = LAYER

    def __init__(
        self,
        policy: SecretsPolicy | None = None,
        commands: CommandLayer | None = None,
        home: str | None = None,
        project_root: str | None = None,
        *,
        shell: bool = True,
    ) -> None:
        self.shell = shell  # False: the command layer runs shell_findings on its own parse
        self.policy = policy or SecretsPolicy()
        self.home = home if home is not None else os.path.expanduser("~")
        self.project_root = project_root
        self.commands = commands or CommandLayer(
            RuleSet(()), home=self.home, project_root=project_root
        )

    @classmethod
    def from_config(
        cls,
        config: Config,
        commands: CommandLayer | None = None,
        home: str | None = None,
        *,
        shell: bool = True,
    ) -> SecretsLayer:
        policy = SecretsPolicy.from_config(config)
        return cls(policy, commands, home, config.project_root, shell=shell)

    def shell_findings(
        self, commands: Sequence[SimpleCommand], cwd: str, source: str = ""
    ) -> list[Finding]:
        """For the command layer: the flows in commands it has already parsed."""
        paths = PathContext(cwd=cwd, home=self.home, project_root=self.project_root or cwd)
        found = exfiltration_findings(commands, paths, source=source, policy=self.policy)
        return [redact_finding(f) for f in found]

    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        if not self.shell or call.kind is not ToolKind.SHELL or call.command is None:
            return ()
        cwd = call.cwd or os.getcwd()
        analysis = self.commands.analyse(call.command, cwd)
        if analysis.budget_error is not None:
            return ()  # the command layer already denies a spent budget
        paths = PathContext(cwd=cwd, home=self.home, project_root=self.project_root or cwd)
        found = exfiltration_findings(
            analysis.commands, paths, source=call.command, policy=self.policy
        )
        return [redact_finding(f) for f in found]
