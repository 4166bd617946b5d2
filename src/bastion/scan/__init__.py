"""Static vetting of plugin and MCP server code and of the agents' MCP configs."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

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

__getattr__ = lazy_names(__name__, _WHERE)
