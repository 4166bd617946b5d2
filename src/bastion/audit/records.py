"""One audit record: its canonical encoding, its hash, and how a line of the log parses.

A record's hash is SHA-256 over the canonical encoding (sorted keys, compact separators,
UTF-8, no NaN) of every field except `hash`; `prev` is the previous record's hash, so each
record commits to the whole log before it. The line written is the canonical encoding of the
full record, so re-encoding a parsed line gives the same bytes."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

FORMAT_VERSION = 1
GENESIS = "0" * 64
"""`prev` of a session's first record."""

MAX_LINE_BYTES = 1 << 20
"""A longer line is not a record (the writer's caps keep real ones far below this)."""

_KEYS = frozenset({"v", "seq", "ts", "session", "kind", "pid", "fields", "prev", "hash"})


class AuditError(Exception):
    """The audit log could not be written or read."""


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def record_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical encoding of `body` without its `hash` key."""
    unhashed = {k: v for k, v in body.items() if k != "hash"}
    return hashlib.sha256(canonical(unhashed)).hexdigest()


@dataclass(frozen=True)
class Record:
    seq: int
    ts: str
    """UTC, ISO 8601 with microseconds and a `Z`."""
    session: str
    kind: str
    pid: int
    fields: Mapping[str, Any]
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "seq": self.seq,
            "ts": self.ts,
            "session": self.session,
            "kind": self.kind,
            "pid": self.pid,
            "fields": dict(self.fields),
            "prev": self.prev,
            "hash": self.hash,
        }

    @functools.cached_property
    def line(self) -> bytes:
        """The canonical encoding and a newline: what the log holds."""
        head, tail = self._parts()
        return head + b',"hash":' + _dumps(self.hash).encode() + tail + b"\n"

    def computed_hash(self) -> str:
        head, tail = self._parts()
        return hashlib.sha256(head + tail).hexdigest()

    def intact(self) -> bool:
        return self.computed_hash() == self.hash

    def _parts(self) -> tuple[bytes, bytes]:
        """`canonical(body)` split where `"hash"` sorts in (after `"fields"`, before `"kind"`),
        built directly: one encoding of the fields serves the hash and the line."""
        head = '{"fields":' + _dumps(dict(self.fields))
        tail = (
            f',"kind":{_dumps(self.kind)},"pid":{self.pid},"prev":{_dumps(self.prev)},'
            f'"seq":{self.seq},"session":{_dumps(self.session)},"ts":{_dumps(self.ts)},'
            f'"v":{FORMAT_VERSION}}}'
        )
        return head.encode("utf-8"), tail.encode("utf-8")

    @classmethod
    def seal(
        cls,
        *,
        seq: int,
        ts: str,
        session: str,
        kind: str,
        pid: int,
        fields: Mapping[str, Any],
        prev: str,
    ) -> Record:
        """A new record with its hash computed (and its line, from the same encoding)."""
        head, tail = cls(seq, ts, session, kind, pid, fields, prev, "")._parts()
        digest = hashlib.sha256(head + tail).hexdigest()
        record = cls(seq, ts, session, kind, pid, _frozen(fields), prev, digest)
        # The cached line, without encoding the fields a second time.
        record.__dict__["line"] = head + b',"hash":"' + digest.encode() + b'"' + tail + b"\n"
        return record


def _dumps(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def line_intact(raw: bytes, record: Record) -> bool:
    """Whether `raw` (the line `record` was parsed from) matches its hash. Fast path: a line
    as bastion writes it is canonical, so hashing it without its `"hash"` member gives the
    record's hash without re-encoding; any other spelling falls back to re-encoding."""
    marker = b',"hash":"' + record.hash.encode("ascii", "replace") + b'"'
    at = raw.find(marker)
    if at > 0 and hashlib.sha256(raw[:at] + raw[at + len(marker) :]).hexdigest() == record.hash:
        return True
    return record.intact()


class BadLine(ValueError):
    """A line that is not a well-formed record (it says what is wrong)."""


def parse_line(line: bytes) -> Record:
    """A record from one log line (without its newline); BadLine when it is not one."""
    if len(line) > MAX_LINE_BYTES:
        raise BadLine(f"line of {len(line)} bytes is longer than any record")
    try:
        data = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadLine(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or set(data) != _KEYS:
        raise BadLine("not an audit record (wrong keys)")
    if data["v"] != FORMAT_VERSION:
        raise BadLine(f"unknown record version {data['v']!r}")
    ints = (data["seq"], data["pid"])
    if any(isinstance(v, bool) or not isinstance(v, int) for v in ints):
        raise BadLine("seq and pid must be whole numbers")
    texts = (data["ts"], data["session"], data["kind"], data["prev"], data["hash"])
    if not all(isinstance(v, str) for v in texts) or not isinstance(data["fields"], dict):
        raise BadLine("a field has the wrong type")
    return Record(
        data["seq"],
        data["ts"],
        data["session"],
        data["kind"],
        data["pid"],
        _frozen(data["fields"]),
        data["prev"],
        data["hash"],
    )


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))
