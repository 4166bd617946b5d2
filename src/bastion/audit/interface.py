"""The index behind the log: an abstract store (SQLite today, PostgreSQL for teams later).

The JSONL log is the record of truth; a store indexes it for queries and keeps each session's
chain head (last seq and hash) away from the log, so cutting records off the end of a log is
caught by `verify`. `add` must index the record and move the head in one transaction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from bastion.audit.records import Record


@dataclass(frozen=True)
class Head:
    session: str
    seq: int
    hash: str


@dataclass(frozen=True)
class Query:
    """Filters for records; every one set must hold (times are ISO strings, UTC, `Z`)."""

    session: str | None = None
    kinds: tuple[str, ...] = ()
    decision: str | None = None
    rule: str | None = None
    agent: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int | None = None
    newest_first: bool = False


@dataclass(frozen=True)
class ApprovalRow:
    session: str
    seq: int
    ts: str
    event: str
    """`requested`, `granted`, `denied`, ...: the kind without its `approval_` prefix."""
    approval_id: str
    agent: str
    tool: str
    rule_id: str
    scope: str
    actor: str
    reason: str


@dataclass(frozen=True)
class Stats:
    total: int
    sessions: int
    first_ts: str | None
    last_ts: str | None
    by_kind: Mapping[str, int] = field(default_factory=dict)
    by_decision: Mapping[str, int] = field(default_factory=dict)
    by_agent: Mapping[str, int] = field(default_factory=dict)
    top_rules: Sequence[tuple[str, int]] = ()


class AuditStore(ABC):
    @abstractmethod
    def add(self, record: Record) -> None:
        """Index one record and make it its session's head (atomically)."""

    @abstractmethod
    def head(self, session: str) -> Head | None: ...

    @abstractmethod
    def heads(self) -> Sequence[Head]: ...

    @abstractmethod
    def hashes(self, session: str) -> Mapping[int, str]:
        """seq -> hash of every indexed record of the session."""

    @abstractmethod
    def records(self, query: Query) -> Iterator[Record]: ...

    @abstractmethod
    def approvals(self, query: Query, event: str | None = None) -> Sequence[ApprovalRow]: ...

    @abstractmethod
    def stats(self, query: Query) -> Stats: ...

    @abstractmethod
    def close(self) -> None: ...
