"""The audit index in one SQLite file (WAL): `audit_events`, `approvals`, `audit_heads`."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bastion.audit import kinds
from bastion.audit.interface import ApprovalRow, AuditStore, Head, Query, Stats
from bastion.audit.records import AuditError, Record, parse_line

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_events (
    session TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, kind TEXT NOT NULL,
    agent TEXT, tool TEXT, decision TEXT, tier TEXT,
    rules TEXT NOT NULL DEFAULT '',  -- ",id1,id2," so one rule is an instr() away
    hash TEXT NOT NULL, line TEXT NOT NULL,
    PRIMARY KEY (session, seq)
);
CREATE INDEX IF NOT EXISTS audit_events_ts ON audit_events (ts);
CREATE INDEX IF NOT EXISTS audit_events_decision ON audit_events (decision, ts);
CREATE TABLE IF NOT EXISTS approvals (
    session TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, event TEXT NOT NULL,
    approval_id TEXT, agent TEXT, tool TEXT, rule_id TEXT, scope TEXT, actor TEXT, reason TEXT,
    PRIMARY KEY (session, seq)
);
CREATE INDEX IF NOT EXISTS approvals_event ON approvals (event, ts);
CREATE TABLE IF NOT EXISTS audit_heads (
    session TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, updated TEXT NOT NULL
);
-- The head moves with the insert, in the same statement: one commit per append.
CREATE TRIGGER IF NOT EXISTS audit_events_head AFTER INSERT ON audit_events BEGIN
    INSERT INTO audit_heads VALUES (NEW.session, NEW.seq, NEW.hash, NEW.ts)
    ON CONFLICT(session) DO UPDATE SET seq=excluded.seq, hash=excluded.hash,
        updated=excluded.updated
    WHERE excluded.seq > audit_heads.seq;
END;
"""
_BUSY_TIMEOUT_S = 30.0


def _text(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    return value if isinstance(value, str) else None


def _rules(record: Record) -> str:
    found = record.fields.get("rules")
    ids = [r for r in found if isinstance(r, str)] if isinstance(found, list | tuple) else []
    single = _text(record.fields, "rule_id")
    if single:
        ids.append(single)
    return "," + ",".join(dict.fromkeys(ids)) + "," if ids else ""


class SQLiteStore(AuditStore):
    def __init__(self, path: Path, *, durable: bool = False) -> None:
        """`durable`: every commit reaches the disk (FULL); otherwise commits survive a
        process crash but not a power loss (OFF), like the log file without `audit.fsync`."""
        self.path = path
        self._durable = durable
        try:
            # Created here first so it is 0600 from the start; SQLite gives its -wal and -shm
            # files the database file's mode.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
            self._db = sqlite3.connect(
                path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._setup()
        except (OSError, sqlite3.Error) as exc:
            raise AuditError(f"audit index {path}: {exc}") from exc

    def _setup(self) -> None:
        db = self._db
        for attempt in range(50):
            try:
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:  # another process is switching it right now
                if attempt == 49:
                    raise
                time.sleep(0.02)
        # The log file is the record of truth; `verify` reports an index that lags it.
        db.execute("PRAGMA synchronous=FULL" if self._durable else "PRAGMA synchronous=OFF")
        db.executescript(_SCHEMA)

    # --- writing -----------------------------------------------------------------------------

    def add(self, record: Record) -> None:
        fields = record.fields
        event = (
            record.session,
            record.seq,
            record.ts,
            record.kind,
            _text(fields, "agent"),
            _text(fields, "tool"),
            _text(fields, "decision"),
            _text(fields, "tier"),
            _rules(record),
            record.hash,
            record.line[:-1].decode("utf-8"),
        )
        insert = "INSERT OR REPLACE INTO audit_events VALUES (?,?,?,?,?,?,?,?,?,?,?)"
        db = self._db
        try:
            if not record.kind.startswith(kinds.APPROVAL_PREFIX):
                db.execute(insert, event)  # autocommit: the trigger moves the head with it
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(insert, event)
                db.execute(
                    "INSERT OR REPLACE INTO approvals VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        record.session,
                        record.seq,
                        record.ts,
                        record.kind[len(kinds.APPROVAL_PREFIX) :],
                        *(
                            _text(fields, k)
                            for k in (
                                "approval_id",
                                "agent",
                                "tool",
                                "rule_id",
                                "scope",
                                "actor",
                                "reason",
                            )
                        ),
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise AuditError(f"audit index {self.path}: {exc}") from exc

    # --- reading -----------------------------------------------------------------------------

    def head(self, session: str) -> Head | None:
        row = self._query("SELECT seq, hash FROM audit_heads WHERE session=?", (session,))
        return Head(session, row[0][0], row[0][1]) if row else None

    def heads(self) -> Sequence[Head]:
        rows = self._query("SELECT session, seq, hash FROM audit_heads ORDER BY session", ())
        return [Head(s, q, h) for s, q, h in rows]

    def hashes(self, session: str) -> Mapping[int, str]:
        rows = self._query("SELECT seq, hash FROM audit_events WHERE session=?", (session,))
        return dict(rows)

    def records(self, query: Query) -> Iterator[Record]:
        where, params = _where(query, "e")
        order = "DESC" if query.newest_first else "ASC"
        sql = (
            f"SELECT e.line FROM audit_events e {where} "
            f"ORDER BY e.ts {order}, e.session {order}, e.seq {order}"
        )
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(query.limit)
        try:
            for (line,) in self._db.execute(sql, params):
                yield parse_line(line.encode("utf-8"))
        except sqlite3.Error as exc:
            raise AuditError(f"audit index {self.path}: {exc}") from exc

    def approvals(self, query: Query, event: str | None = None) -> Sequence[ApprovalRow]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("session", query.session),
            ("event", event),
            ("agent", query.agent),
            ("rule_id", query.rule),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if query.since is not None:
            clauses.append("ts >= ?")
            params.append(query.since)
        if query.until is not None:
            clauses.append("ts < ?")
            params.append(query.until)
        where = "WHERE " + " AND ".join(clauses) if clauses else ""
        # Newest first so a limit keeps the latest; shown oldest first.
        sql = f"SELECT * FROM approvals {where} ORDER BY ts DESC, session DESC, seq DESC"
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(query.limit)
        rows = self._query(sql, tuple(params))
        return [_approval_row(row) for row in rows[::-1]]

    def stats(self, query: Query) -> Stats:
        where, params = _where(query, "e")
        base = f"FROM audit_events e {where}"
        total, sessions, first, last = self._query(
            f"SELECT count(*), count(DISTINCT e.session), min(e.ts), max(e.ts) {base}",
            tuple(params),
        )[0]

        def counts(column: str) -> dict[str, int]:
            present = f"{where} AND" if where else "WHERE"
            return dict(
                self._query(
                    f"SELECT {column}, count(*) FROM audit_events e {present} {column} IS NOT "
                    f"NULL GROUP BY {column} ORDER BY count(*) DESC, 1",
                    tuple(params),
                )
            )

        rule_counts: dict[str, int] = {}
        rows = self._query(f"SELECT e.rules {base}", tuple(params))
        for (rules,) in rows:
            for rule in rules.strip(",").split(","):
                if rule:
                    rule_counts[rule] = rule_counts.get(rule, 0) + 1
        top = sorted(rule_counts.items(), key=lambda item: (-item[1], item[0]))[:20]
        return Stats(
            total,
            sessions,
            first,
            last,
            counts("e.kind"),
            counts("e.decision"),
            counts("e.agent"),
            top,
        )

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise AuditError(f"audit index {self.path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()


def _where(query: Query, alias: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("session", query.session),
        ("decision", query.decision),
        ("agent", query.agent),
    ):
        if value is not None:
            clauses.append(f"{alias}.{column} = ?")
            params.append(value)
    if query.kinds:
        clauses.append(f"{alias}.kind IN ({','.join('?' * len(query.kinds))})")
        params.extend(query.kinds)
    if query.rule is not None:
        clauses.append(f"instr({alias}.rules, ?) > 0")
        params.append(f",{query.rule},")
    if query.since is not None:
        clauses.append(f"{alias}.ts >= ?")
        params.append(query.since)
    if query.until is not None:
        clauses.append(f"{alias}.ts < ?")
        params.append(query.until)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _approval_row(row: Sequence[Any]) -> ApprovalRow:
    session, seq, ts, event, *rest = row
    texts = [str(v) if v is not None else "" for v in rest]
    return ApprovalRow(str(session), int(seq), str(ts), str(event), *texts)
