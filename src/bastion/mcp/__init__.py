"""MCP servers: pins of their identity and tools, the call-time layer, and config reading."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

_WHERE = {
    "McpConfigError": "bastion.mcp.configs",
    "McpServerConfig": "bastion.mcp.configs",
    "read_mcp_config": "bastion.mcp.configs",
    "McpLayer": "bastion.mcp.layer",
    "PinError": "bastion.mcp.pins",
    "ServerIdentity": "bastion.mcp.pins",
    "ToolSpec": "bastion.mcp.pins",
    "canonical_json": "bastion.mcp.pins",
    "digest": "bastion.mcp.pins",
    "PinStore": "bastion.mcp.store",
    "PinStoreError": "bastion.mcp.store",
    "default_path": "bastion.mcp.store",
}
__all__ = sorted(_WHERE)

__getattr__ = lazy_names(__name__, _WHERE)
