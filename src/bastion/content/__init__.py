"""The content layer: prompt-injection scanning of what an agent reads, and the response."""

from __future__ import annotations

# Names load on first use (PEP 562): importing one module of this package must not pull in
# the rest (a hook or `bastion run` pays for what it uses, nothing more).
import importlib
from typing import Any

_WHERE = {
    "Category": "bastion.content.model",
    "ContentFinding": "bastion.content.model",
    "ContentReport": "bastion.content.model",
    "Severity": "bastion.content.model",
    "Scanner": "bastion.content.scanner",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
