"""The contract every layer keeps: look at one ToolCall, say what it saw."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from bastion.model import Finding, ToolCall, ToolKind
from bastion.shell.syntax import SimpleCommand


class Layer(ABC):
    """A layer returns findings (possibly none) and may raise: the guard turns any exception
    into a deny, so a layer never has to guess what failing safe means."""

    name: str = "layer"

    @abstractmethod
    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        """Findings for `call`; an empty sequence means this layer has no objection."""


class CommandAnalyzer(ABC):
    """A layer that also judges shell commands, from the command layer's own parse.

    The command layer parses and unfolds once; each analyzer (paths, network, secrets) reads
    the same unfolded commands instead of parsing the text again."""

    name: str = "analyzer"

    @abstractmethod
    def shell_findings(
        self, commands: Sequence[SimpleCommand], cwd: str, source: str = ""
    ) -> Sequence[Finding]:
        """Findings about these commands, run in `cwd` (the session's working directory);
        `source` is the command text as the agent wrote it."""


class LazyLayer(Layer):
    """A layer built on the first call of a kind it judges: a hook process answering a shell
    command never loads the MCP or content scanners. Failures to build raise like any layer
    error, which the guard turns into a deny."""

    def __init__(
        self, name: str, kinds: frozenset[ToolKind], build: Callable[[], Layer]
    ) -> None:
        self.name = name
        self.kinds = kinds
        self._build = build
        self._layer: Layer | None = None

    @property
    def layer(self) -> Layer:
        if self._layer is None:
            self._layer = self._build()
        return self._layer

    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        if call.kind not in self.kinds:
            return ()
        return self.layer.evaluate(call)
