"""The content layer: prompt-injection scanning of what an agent reads, and the response."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

_WHERE = {
    "Category": "bastion.content.model",
    "ContentFinding": "bastion.content.model",
    "ContentReport": "bastion.content.model",
    "Severity": "bastion.content.model",
    "Scanner": "bastion.content.scanner",
}
__all__ = sorted(_WHERE)

__getattr__ = lazy_names(__name__, _WHERE)
