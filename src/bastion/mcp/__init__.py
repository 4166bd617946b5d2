"""MCP servers: pins of their identity and tools, the call-time layer, and config reading."""

from __future__ import annotations

# Names load on first use (PEP 562): importing one module of this package must not pull in
# the rest (a hook or `bastion run` pays for what it uses, nothing more).
import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
