"""Which MCP server and tool a hook's tool name means, in each agent's spelling.

Claude Code and Codex: `mcp__<server>__<tool>` (plugins: `mcp__plugin_<plugin>_<server>__<tool>`,
kept whole as the server name). Gemini CLI: `mcp_<server>_<tool>`, split on the first `_` after
the prefix as Gemini does. Cursor: `MCP:<server>:<tool>` from preToolUse; beforeMCPExecution
gives the bare tool name, so the server is unknown (None). Copilot: `<server>/<tool>`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class McpName:
    server: str | None
    """None when the payload names only the tool (Cursor's beforeMCPExecution)."""
    tool: str


def parse_tool_name(name: str) -> McpName:
    if name.startswith("mcp__"):
        server, sep, tool = name[5:].partition("__")
        if sep and server and tool:
            return McpName(server, tool)
    elif name.startswith("MCP:"):
        server, sep, tool = name[4:].partition(":")
        if sep and server and tool:
            return McpName(server, tool)
    elif name.startswith("mcp_"):
        server, sep, tool = name[4:].partition("_")
        if sep and server and tool:
            return McpName(server, tool)
    elif "/" in name:
        server, _, tool = name.partition("/")
        if server and tool:
            return McpName(server, tool)
    return McpName(None, name)
