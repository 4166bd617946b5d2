"""The contract every layer keeps: look at one ToolCall, say what it saw."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from bastion.model import Finding, ToolCall


class Layer(ABC):
    """A layer returns findings (possibly none) and may raise: the guard turns any exception
    into a deny, so a layer never has to guess what failing safe means."""

    name: str = "layer"

    @abstractmethod
    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        """Findings for `call`; an empty sequence means this layer has no objection."""
