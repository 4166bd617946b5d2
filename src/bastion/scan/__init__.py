"""Static vetting of plugin and MCP server code and of the agents' MCP configs."""

from __future__ import annotations

# Names load on first use (PEP 562): importing one module of this package must not pull in
# the rest (a hook or `bastion run` pays for what it uses, nothing more).
import importlib
from typing import Any

_WHERE = {
    "ScanError": "bastion.scan.interface",
    "Scanner": "bastion.scan.interface",
    "ScanFinding": "bastion.scan.model",
    "ScanReport": "bastion.scan.model",
    "ScanRule": "bastion.scan.model",
    "Severity": "bastion.scan.model",
    "ScanInputError": "bastion.scan.runner",
    "default_scanners": "bastion.scan.runner",
    "scan_path": "bastion.scan.runner",
    "WalkOptions": "bastion.scan.walk",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
