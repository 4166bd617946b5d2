"""MCP servers: pins of their identity and tools, the call-time layer, and config reading."""

from bastion.mcp.configs import McpConfigError, McpServerConfig, read_mcp_config
from bastion.mcp.layer import McpLayer
from bastion.mcp.pins import PinError, ServerIdentity, ToolSpec, canonical_json, digest
from bastion.mcp.store import PinStore, PinStoreError, default_path

__all__ = [
    "McpConfigError",
    "McpLayer",
    "McpServerConfig",
    "PinError",
    "PinStore",
    "PinStoreError",
    "ServerIdentity",
    "ToolSpec",
    "canonical_json",
    "default_path",
    "digest",
    "read_mcp_config",
]
