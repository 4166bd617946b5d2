"""`verify`: walk a session's log, recompute every hash, follow the chain, and compare it
with what the index holds (each record's hash and the anchored head).

What each kind of tampering looks like here:
- a record changed in place: its hash no longer matches its content (that line);
- changed and re-hashed: its hash differs from the indexed copy (that line), and the next
  record's `prev` no longer matches;
- deleted: a gap in the sequence at the line after it;
- inserted or reordered: a sequence number that goes backwards or repeats, or a `prev` that
  does not match (that line);
- the tail cut off: the log ends before the head anchored in the index;
- a crash mid-write: a last line without its newline, reported as torn, not as tampering:
  the log verifies up to the last complete record."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bastion.audit import kinds
from bastion.audit.interface import AuditStore, Head
from bastion.audit.location import LOG_SUFFIX, session_file_name
from bastion.audit.records import GENESIS, BadLine, line_intact, parse_line

MAX_PROBLEMS = 50
"""Per session; a rewritten log would otherwise report every record after the change."""


class Level(enum.IntEnum):
    NOTE = 0
    """Worth knowing, not a fault (a recovered crash)."""
    INCOMPLETE = 1
    """A crash artifact: a torn last line, records the index never saw."""
    TAMPERED = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Problem:
    level: Level
    message: str
    line: int | None = None
    seq: int | None = None


@dataclass(frozen=True)
class SessionReport:
    session: str
    path: str
    records: int
    """Complete, parseable records."""
    last_seq: int
    last_hash: str
    anchor: Head | None
    problems: tuple[Problem, ...]
    more_problems: int = 0

    @property
    def level(self) -> Level | None:
        """The worst problem's level; None when the log verifies cleanly."""
        return max((p.level for p in self.problems), default=None)

    @property
    def status(self) -> str:
        level = self.level
        return "ok" if level is None or level is Level.NOTE else str(level)


def verify_session(directory: Path, session: str, store: AuditStore | None) -> SessionReport:
    path = directory / session_file_name(session)
    anchor = store.head(session) if store is not None else None
    hashes = store.hashes(session) if store is not None else {}
    return _verify(path, session, anchor, hashes, indexed=store is not None)


def verify_all(directory: Path, store: AuditStore | None) -> list[SessionReport]:
    """Every session the index knows and every log file in the directory."""
    reports = []
    anchored = {head.session: head for head in (store.heads() if store is not None else ())}
    files = {session_file_name(s): s for s in anchored}
    if directory.is_dir():
        for path in sorted(directory.glob("*" + LOG_SUFFIX)):
            if path.name not in files:
                files[path.name] = _first_session(path) or path.name[: -len(LOG_SUFFIX)]
    for name, session in sorted(files.items(), key=lambda item: item[1]):
        hashes = store.hashes(session) if store is not None else {}
        reports.append(
            _verify(
                directory / name, session, anchored.get(session), hashes, indexed=store is not None
            )
        )
    return reports


def _first_session(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            for raw in handle:
                try:
                    return parse_line(raw.rstrip(b"\n")).session
                except BadLine:
                    continue
    except OSError:
        return None
    return None


class _Walk:
    def __init__(self, session: str, hashes: Mapping[int, str]) -> None:
        self.session = session
        self.hashes = hashes
        self.problems: list[Problem] = []
        self.more = 0
        self.records = 0
        self.expected = 1
        self.prev = GENESIS
        self.last_seq = 0
        self.last_hash = GENESIS
        self.seen: dict[int, str] = {}
        self.unindexed: list[int] = []

    def add(self, level: Level, message: str, line: int | None, seq: int | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(level, message, line, seq))
        else:
            self.more += 1

    def line(self, number: int, raw: bytes) -> None:
        try:
            record = parse_line(raw)
        except BadLine as exc:
            self.add(Level.TAMPERED, f"not a record: {exc}", number)
            return
        seq = record.seq
        self.records += 1
        if record.session != self.session:
            self.add(
                Level.TAMPERED, f"belongs to session {record.session!r}, not this one", number, seq
            )
        if not line_intact(raw, record):
            self.add(Level.TAMPERED, "modified: its hash does not match its content", number, seq)
        indexed = self.hashes.get(seq)
        if indexed is None:
            self.unindexed.append(seq)
        elif indexed != record.hash:
            self.add(
                Level.TAMPERED,
                "differs from the copy in the index (modified and re-hashed, or replaced)",
                number,
                seq,
            )
        if seq > self.expected:
            missing = _span(self.expected, seq - 1)
            self.add(
                Level.TAMPERED,
                f"record {missing} missing before this line (deleted or moved)",
                number,
                seq,
            )
        elif seq < self.expected:
            self.add(
                Level.TAMPERED,
                f"out of order: seq {seq} after seq {self.expected - 1} (inserted or reordered)",
                number,
                seq,
            )
        elif record.prev != self.prev:
            self.add(
                Level.TAMPERED,
                f"does not chain to seq {seq - 1}: its prev hash differs "
                "(a record before it was replaced, or this one inserted)",
                number,
                seq,
            )
        if record.kind == kinds.LOG_RECOVERED:
            cut = record.fields.get("cut_bytes")
            self.add(
                Level.NOTE,
                f"a writer crashed mid-record earlier; its {cut} torn bytes "
                "were cut off and recorded here",
                number,
                seq,
            )
        self.seen.setdefault(seq, record.hash)
        self.expected = max(self.expected, seq + 1)
        self.prev = record.hash
        self.last_seq, self.last_hash = seq, record.hash


def _span(first: int, last: int) -> str:
    return f"seq {first}" if first == last else f"seqs {first}..{last}"


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes without the newline, complete?)"""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            complete = raw.endswith(b"\n")
            yield number, raw[:-1] if complete else raw, complete


def _verify(
    path: Path, session: str, anchor: Head | None, hashes: Mapping[int, str], *, indexed: bool
) -> SessionReport:
    walk = _Walk(session, hashes)
    try:
        for number, raw, complete in _lines(path):
            if not complete:
                walk.add(
                    Level.INCOMPLETE,
                    f"torn last line ({len(raw)} bytes, no newline): "
                    "a write did not finish, e.g. a crash; the log verifies up to seq "
                    f"{walk.last_seq}",
                    number,
                )
                break
            walk.line(number, raw)
    except FileNotFoundError:
        if anchor is not None:
            walk.add(
                Level.TAMPERED,
                f"the log file is missing, but the index anchors seq {anchor.seq}",
                None,
            )
    except OSError as exc:
        walk.add(Level.TAMPERED, f"cannot read the log: {exc.strerror or exc}", None)
    _check_anchor(walk, anchor, indexed=indexed)
    return SessionReport(
        session,
        str(path),
        walk.records,
        walk.last_seq,
        walk.last_hash,
        anchor,
        tuple(walk.problems),
        walk.more,
    )


def _check_anchor(walk: _Walk, anchor: Head | None, *, indexed: bool) -> None:
    if anchor is None:
        if walk.records:
            why = "the index is missing" if not indexed else "the index has no head for it"
            walk.add(
                Level.TAMPERED, f"no anchor: {why}, so a cut-off tail cannot be ruled out", None
            )
        return
    if walk.last_seq < anchor.seq:
        walk.add(
            Level.TAMPERED,
            f"truncated: the log ends at seq {walk.last_seq} but the "
            f"index anchors seq {anchor.seq}; "
            f"{_span(walk.last_seq + 1, anchor.seq)} cut off",
            None,
            walk.last_seq + 1,
        )
        return
    at_anchor = walk.seen.get(anchor.seq)
    if at_anchor != anchor.hash:
        walk.add(
            Level.TAMPERED,
            f"seq {anchor.seq} differs from the head anchored in the index",
            None,
            anchor.seq,
        )
    unanchored = [s for s in walk.unindexed if s > anchor.seq]
    if unanchored:
        walk.add(
            Level.INCOMPLETE,
            f"{_span(unanchored[0], unanchored[-1])} after the anchored "
            f"head (seq {anchor.seq}) not in the index: written by something other than "
            "bastion, or a crash before the index was updated",
            None,
            unanchored[0],
        )
    lagging = [s for s in walk.unindexed if s <= anchor.seq]
    if lagging:
        walk.add(
            Level.INCOMPLETE,
            f"{len(lagging)} record(s) (first seq {lagging[0]}) chain "
            "correctly but are not in the index (an index write failed)",
            None,
            lagging[0],
        )
