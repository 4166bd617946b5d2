"""Rule values as the DSL describes them; matching lives in `predicates` and `engine`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from bastion.model import Decision, Tier


class Action(enum.Enum):
    BLOCK = "block"
    SUSPICIOUS = "suspicious"
    ALLOW = "allow"

    @property
    def decision(self) -> Decision:
        return {
            Action.BLOCK: Decision.DENY,
            Action.SUSPICIOUS: Decision.ASK,
            Action.ALLOW: Decision.ALLOW,
        }[self]

    @property
    def default_tier(self) -> Tier:
        return {Action.BLOCK: Tier.RED, Action.SUSPICIOUS: Tier.YELLOW, Action.ALLOW: Tier.GREEN}[
            self
        ]


@dataclass(frozen=True)
class Position:
    path: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Call:
    """One AST predicate as written: `with_flags("-r", "-rf")`."""

    name: str
    args: tuple[str, ...]
    position: Position

    def __str__(self) -> str:
        return f"{self.name}({', '.join(repr(a) for a in self.args)})"


@dataclass(frozen=True)
class AstMatch:
    """All calls must hold for one unfolded simple command."""

    calls: tuple[Call, ...]
    position: Position

    def __str__(self) -> str:
        return " ".join(str(c) for c in self.calls)


@dataclass(frozen=True)
class RegexMatch:
    """A regex over the code text of every parse level (data blanked)."""

    pattern: str
    position: Position

    def __str__(self) -> str:
        return f"/{self.pattern}/"


@dataclass(frozen=True)
class NotInListMatch:
    """`match_base_command_not_in LIST`: the command's base name is not in a config list."""

    list_name: str
    position: Position

    def __str__(self) -> str:
        return f"base command not in {self.list_name}"


Matcher = AstMatch | RegexMatch | NotInListMatch


@dataclass(frozen=True)
class Rule:
    id: str
    action: Action
    matchers: tuple[Matcher, ...]
    nudge: str
    position: Position
    pack: str
    tier: Tier | None = None
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    description: str = ""

    @property
    def decision(self) -> Decision:
        return self.action.decision

    @property
    def effective_tier(self) -> Tier:
        return self.tier if self.tier is not None else self.action.default_tier


@dataclass(frozen=True)
class FlagSpec:
    """How one command spells its options, so `-Rf`, `-r -f`, `--recursive --force` agree."""

    command: str
    aliases: tuple[tuple[str, str], ...] = ()  # (spelling, canonical)
    takes_value: frozenset[str] = frozenset()
    long_single_dash: bool = False
    position: Position | None = None

    def canonical(self, flag: str) -> str:
        for spelling, canonical in self.aliases:
            if spelling == flag:
                return canonical
        return flag


@dataclass(frozen=True)
class RuleFile:
    path: str
    pack: str
    rules: tuple[Rule, ...] = ()
    flags: tuple[FlagSpec, ...] = field(default=())
