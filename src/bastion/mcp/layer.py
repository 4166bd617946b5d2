"""The MCP layer: at call time, is this server and tool pinned and unchanged, and do the
arguments carry a shell command or a secret?

Hook payloads carry the tool's name and arguments, not its description, so the pins are made
elsewhere: `bastion scan --pin` over an MCP config (server identities), or a library call to
`PinStore.check` / `PinStore.pin` with a `tools/list` result (descriptions and schemas). The
layer reads the store, reloading it when the file changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bastion.config import Config
from bastion.layers.interface import Layer
from bastion.mcp import arguments
from bastion.mcp import findings as F
from bastion.mcp.names import McpName, parse_tool_name
from bastion.mcp.store import PinStore
from bastion.model import Decision, Finding, Tier, ToolCall, ToolKind

DEFAULT_MAX_ARGUMENT_CHARS = 262144


class McpLayer(Layer):
    name = F.LAYER

    def __init__(
        self,
        store: PinStore,
        *,
        allow_unpinned: bool = False,
        max_argument_chars: int = DEFAULT_MAX_ARGUMENT_CHARS,
        commands: Layer | None = None,
    ) -> None:
        self.store = store
        self.allow_unpinned = allow_unpinned
        self.max_argument_chars = max_argument_chars
        self.commands = commands
        """Judges shell commands found in arguments (the Guard's CommandLayer); None skips."""

    @classmethod
    def from_config(
        cls, config: Config, store: PinStore | None = None, *, commands: Layer | None = None
    ) -> McpLayer:
        allow = config.value("mcp.allow_unpinned")
        limit = config.value("mcp.max_argument_bytes")
        assert isinstance(allow, bool) and isinstance(limit, int)
        return cls(
            store if store is not None else PinStore(),
            allow_unpinned=allow,
            max_argument_chars=limit,
            commands=commands,
        )

    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        if call.kind is not ToolKind.MCP:
            return ()
        self.store.reload_if_changed()
        found = self._pin_findings(self._resolve(call.tool_name))
        if self.allow_unpinned:
            found = [f for f in found if f.rule_id != F.SERVER_UNPINNED]
        found.extend(self._argument_findings(call))
        return tuple(found)

    def _resolve(self, tool_name: str) -> McpName:
        # Gemini splits at the first `_`, but a pinned server may have `_` in its name: prefer
        # the split that names a server the store knows.
        if tool_name.startswith("mcp_") and not tool_name.startswith("mcp__"):
            rest = tool_name[4:]
            for i, char in enumerate(rest):
                if char == "_" and 0 < i < len(rest) - 1 and self.store.server(rest[:i]):
                    return McpName(rest[:i], rest[i + 1 :])
        return parse_tool_name(tool_name)

    def _pin_findings(self, name: McpName) -> list[Finding]:
        if name.server is not None:
            return self.store.judge_call(name.server, name.tool)
        servers = self.store.servers_with_tool(name.tool)
        if not servers:  # Cursor's bare tool name that no pinned listing has
            return [F.server_unpinned(f"(unknown server of tool '{name.tool}')")]
        # Several servers list a tool of that name: the call may go to any, judge them all.
        return [f for server in servers for f in self.store.judge_call(server, name.tool)]

    def _argument_findings(self, call: ToolCall) -> list[Finding]:
        try:
            items = arguments.strings(call.raw_input, self.max_argument_chars)
        except arguments.ArgumentsTooLarge as exc:
            return [
                Finding(
                    F.LAYER,
                    F.ARGUMENTS_TOO_LARGE,
                    Decision.DENY,
                    Tier.RED,
                    f"The arguments of {call.tool_name} are too large to inspect ({exc}); "
                    "send smaller arguments or split the work into several calls.",
                    subject=call.tool_name,
                )
            ]
        found = [
            Finding(
                F.LAYER,
                F.ARGUMENT_SECRET,
                Decision.ASK,
                Tier.YELLOW,
                f"Argument '{item.path or '(key)'}' of {call.tool_name} holds what looks like a "
                f"{label}: do not send credentials to an MCP server; reference them by name "
                "or ask the user.",
                subject=f"{call.tool_name} {item.path}",
            )
            for item, label in arguments.secrets(items)
        ]
        if self.commands is not None:
            for item in arguments.commands(items):
                shell = ToolCall.shell(
                    item.value, cwd=call.cwd, agent=call.agent, session_id=call.session_id
                )
                found.extend(
                    replace(f, subject=f"{call.tool_name} {item.path}: {f.subject}".rstrip(": "))
                    for f in self.commands.evaluate(shell)
                )
        return found
