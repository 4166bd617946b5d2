"""The Guard runs every layer over a tool call, merges the findings, and fails closed."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bastion.approvals.tiers import retier, tier_overrides
from bastion.config import Config, builtin_config, load_config
from bastion.layers.commands import CommandLayer
from bastion.layers.files import FileAccessLayer
from bastion.layers.interface import Layer, LazyLayer
from bastion.layers.paths import PathLayer
from bastion.layers.tools import ToolGateLayer
from bastion.model import Decision, Finding, Tier, ToolCall, ToolKind, Verdict
from bastion.network.layer import NetworkLayer
from bastion.rules.engine import RuleSet
from bastion.rules.loader import build_ruleset
from bastion.secrets.layer import SecretsLayer
from bastion.shell.budget import Limits

if TYPE_CHECKING:
    from bastion.content.layer import ContentLayer

GUARD_ERROR = "guard.error"


def guard_failure(where: str, exc: BaseException) -> Finding:
    """The finding for bastion's own failure: a deny that says so, never an allow."""
    return Finding(
        layer=where,
        rule_id=GUARD_ERROR,
        decision=Decision.DENY,
        tier=Tier.RED,
        message=(
            f"bastion failed while checking this call ({where}: {type(exc).__name__}: {exc}); "
            "it denies rather than guess. Retry, or report the error to your administrator."
        ),
    )


class Guard:
    """`Guard.default()` for the built-in policy; `Guard.from_config(cwd)` for the layered one."""

    def __init__(
        self,
        layers: Sequence[Layer],
        config: Config | None = None,
        warnings: Sequence[str] = (),
    ) -> None:
        self.layers = tuple(layers)
        self.config = config
        # `[rules] tiers` applies to every layer's findings, not only the rule packs'.
        self.tier_overrides = tier_overrides(config.tiers) if config is not None else {}
        self.warnings = tuple(warnings)

    @classmethod
    def default(cls) -> Guard:
        return cls.from_loaded_config(builtin_config())

    @classmethod
    def from_config(cls, cwd: str | os.PathLike[str] | None = None, **kwargs: Any) -> Guard:
        """Load the layered config for `cwd` (see bastion.config.load_config for kwargs)."""
        return cls.from_loaded_config(load_config(cwd, **kwargs))

    @classmethod
    def from_loaded_config(cls, config: Config, *, home: str | None = None) -> Guard:
        ruleset, warnings = build_ruleset(config)
        paths = PathLayer.from_config(config, home=home)
        # Shell commands reach the network layer through the command layer's parse.
        network = NetworkLayer.from_config(config, shell=False)
        secrets = SecretsLayer.from_config(config, home=home, shell=False)
        commands = CommandLayer(
            ruleset,
            limits=_limits(config),
            home=home,
            project_root=config.project_root,
            analyzers=(paths, network, secrets),
        )
        layers: list[Layer] = [
            ToolGateLayer.from_config(config),
            commands,
            FileAccessLayer(ruleset, home=home, project_root=config.project_root),
            paths,
            network,
            LazyLayer("mcp", _MCP_KINDS, lambda: _mcp_layer(config, commands)),
            LazyLayer("content", _CONTENT_KINDS, lambda: _content_layer(config)),
        ]
        return cls(layers, config, (*config.warnings, *warnings))

    @property
    def command_layer(self) -> CommandLayer:
        for layer in self.layers:
            if isinstance(layer, CommandLayer):
                return layer
        raise LookupError("this guard has no command layer")

    @property
    def content_layer(self) -> ContentLayer | None:
        from bastion.content.layer import ContentLayer

        for layer in self.layers:
            found = layer.layer if isinstance(layer, LazyLayer) else layer
            if isinstance(found, ContentLayer):
                return found
        return None

    @property
    def rules(self) -> RuleSet:
        return self.command_layer.rules

    def evaluate(self, call: ToolCall) -> Verdict:
        findings: list[Finding] = []
        for layer in self.layers:
            try:
                findings.extend(layer.evaluate(call))
            except Exception as exc:  # fail closed: whatever broke, the answer is deny
                findings.append(guard_failure(f"{layer.name} layer", exc))
        try:
            return retier(Verdict.combine(findings), self.tier_overrides)
        except Exception as exc:
            return Verdict.combine([guard_failure("verdict", exc)])

    def check(self, command: str, cwd: str = "") -> Verdict:
        """Shorthand for a shell command."""
        return self.evaluate(ToolCall.shell(command, cwd=cwd))


# Judged only for these kinds of call, so built only when one comes.
_MCP_KINDS = frozenset({ToolKind.MCP})
_CONTENT_KINDS = frozenset({ToolKind.WRITE, ToolKind.EDIT})


def _mcp_layer(config: Config, commands: CommandLayer) -> Layer:
    from bastion.mcp.layer import McpLayer

    return McpLayer.from_config(config, commands=commands)


def _content_layer(config: Config) -> Layer:
    from bastion.content.layer import ContentLayer

    return ContentLayer.from_config(config)


def _limits(config: Config) -> Limits:
    limits = config.limits
    return Limits(
        max_input_bytes=limits.max_input_bytes,
        max_depth=limits.max_depth,
        max_nodes=limits.max_nodes,
        parse_timeout_ms=limits.parse_timeout_ms,
    )
