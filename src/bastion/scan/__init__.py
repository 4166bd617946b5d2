"""Static vetting of plugin and MCP server code and of the agents' MCP configs."""

from bastion.scan.interface import ScanError, Scanner
from bastion.scan.model import ScanFinding, ScanReport, ScanRule, Severity
from bastion.scan.runner import ScanInputError, default_scanners, scan_path
from bastion.scan.walk import WalkOptions

__all__ = [
    "ScanError",
    "ScanFinding",
    "ScanInputError",
    "ScanReport",
    "ScanRule",
    "Scanner",
    "Severity",
    "WalkOptions",
    "default_scanners",
    "scan_path",
]
