"""bastion: a defense-in-depth guard for AI coding agents.

    from bastion import Guard, ToolCall
    verdict = Guard.default().evaluate(ToolCall.shell("rm -rf ~"))

Names are imported lazily so that light entry points (the hook shim) pay nothing for the
parser and the rule engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bastion.guard import Guard
    from bastion.model import Decision, Finding, Tier, ToolCall, ToolKind, Verdict

__all__ = ["Decision", "Finding", "Guard", "Tier", "ToolCall", "ToolKind", "Verdict"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "Guard":
        from bastion.guard import Guard

        return Guard
    if name in __all__:
        from bastion import model

        return getattr(model, name)
    raise AttributeError(f"module 'bastion' has no attribute {name!r}")
