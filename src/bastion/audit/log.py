"""The append side: per-session JSONL files, hash-chained, safe under many writers.

Each append takes `flock(LOCK_EX)` on the session's file, reads the chain head from the end
of the file (or from its cache when the file has not grown since), writes the whole record
with one O_APPEND write, indexes it (which also moves the head anchored in the index) and
unlocks. The lock makes "read the head, write the next record" atomic across processes, so
records never interleave and no two share a sequence number. A writer that died mid-record
leaves a torn last line: the next writer cuts it off and says so in a `log_recovered` record
(its length and SHA-256), chained like any other, so the crash stays visible and the chain
stays whole."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import re2

from bastion.audit import kinds
from bastion.audit.events import approval_fields, event_fields, verdict_fields
from bastion.audit.fields import clean_fields
from bastion.audit.interface import AuditStore
from bastion.audit.location import (
    INDEX_NAME,
    audit_dir,
    ensure_private_dir,
    session_file_name,
)
from bastion.audit.records import GENESIS, AuditError, BadLine, Record, parse_line
from bastion.config.model import Config
from bastion.model import ToolCall, Verdict

MAX_RECORD_BYTES = 256 << 10
"""A record over this keeps a summary of its fields instead (caps in `fields` make it rare)."""
MAX_SESSION_CHARS = 1024
_TAIL_CHUNK = 8192
_TAIL_MAX = 8 << 20
_OPEN_FILES = 32
_KIND = re2.compile(kinds.KIND_PATTERN)
_VALID_KINDS: set[str] = set()


def _valid_kind(kind: str) -> bool:
    # A few kinds recur in every record: match each once (re2's Python wrapper is slow).
    valid = isinstance(kind, str) and _KIND.fullmatch(kind) is not None
    if valid and len(_VALID_KINDS) < 1024:
        _VALID_KINDS.add(kind)
    return valid


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _Tail:
    seq: int
    hash: str
    complete_end: int
    """Offset just past the last newline."""
    fragment: bytes
    """Bytes after the last newline: a torn record."""


@dataclass
class _SessionFile:
    path: Path
    fd: int
    ino: int
    size: int = -1
    """Size after our last write; -1 when the head must be read from the file."""
    seq: int = 0
    hash: str = GENESIS


class AuditLog:
    """The audit trail of one user. Cheap to construct: nothing is opened before the first
    append. Thread-safe; after a fork the child reopens what it uses."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        enabled: bool = True,
        fsync: bool = False,
        store_factory: Callable[[Path], AuditStore] | None = None,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.directory = directory if directory is not None else audit_dir()
        self.enabled = enabled
        self.fsync = fsync
        self.failures = 0
        """Appends that failed in the never-raising helpers."""
        self._store_factory = store_factory
        self._clock = clock
        self._lock = threading.Lock()
        self._files: OrderedDict[str, _SessionFile] = OrderedDict()
        self._store: AuditStore | None = None
        self._pid = os.getpid()
        self._dir_ready = False

    @classmethod
    def from_config(cls, config: Config, directory: Path | None = None) -> AuditLog:
        return cls(
            directory,
            enabled=bool(config.value("audit.enabled")),
            fsync=bool(config.value("audit.fsync")),
        )

    # --- the API -----------------------------------------------------------------------------

    def append(self, session: str, kind: str, fields: Mapping[str, Any]) -> Record | None:
        """Append one record (secrets in `fields` redacted first); None when auditing is off.
        Raises AuditError when it could not be written or indexed."""
        if not self.enabled:
            return None
        if not isinstance(session, str) or len(session) > MAX_SESSION_CHARS:
            raise AuditError("a session id must be a string of at most 1024 characters")
        if kind not in _VALID_KINDS and not _valid_kind(kind):
            raise AuditError(f"bad record kind {kind[:80]!r} (want {kinds.KIND_PATTERN})")
        cleaned = clean_fields(fields)
        with self._lock:
            self._after_fork()
            return self._append(session, kind, cleaned)

    def verdict(
        self, call: ToolCall, verdict: Verdict, *, session: str, agent: str
    ) -> Record | None:
        return self.append(session, kinds.VERDICT, verdict_fields(call, verdict, agent=agent))

    def event(
        self,
        session: str,
        kind: str,
        *,
        agent: str = "",
        tool: str = "",
        rule_id: str = "",
        reason: str = "",
        **details: Any,
    ) -> Record | None:
        """A security event (`kinds.SECURITY_EVENTS`, or any other kind name)."""
        fields = event_fields(agent=agent, tool=tool, rule_id=rule_id, reason=reason, **details)
        return self.append(session, kind, fields)

    def approval(
        self,
        session: str,
        event: str,
        *,
        approval_id: str,
        agent: str = "",
        tool: str = "",
        rule_id: str = "",
        scope: str = "",
        actor: str = "",
        reason: str = "",
        **details: Any,
    ) -> Record | None:
        """`approval_<event>` (requested, granted, denied, expired, ...), also indexed in the
        approvals table."""
        fields = approval_fields(
            approval_id=approval_id,
            agent=agent,
            tool=tool,
            rule_id=rule_id,
            scope=scope,
            actor=actor,
            reason=reason,
            **details,
        )
        return self.append(session, kinds.APPROVAL_PREFIX + event, fields)

    def record_verdict(self, call: ToolCall, verdict: Verdict, *, session: str, agent: str) -> None:
        """`verdict` for hooks: never raises; a failure goes to stderr and `failures`."""
        self.safe(lambda: self.verdict(call, verdict, session=session, agent=agent))

    def safe(self, append: Callable[[], Record | None]) -> Record | None:
        """Run an append and swallow its failure (reported on stderr and counted)."""
        try:
            return append()
        except Exception as exc:  # the caller's decision must stand whatever happens here
            self.failures += 1
            with contextlib.suppress(Exception):  # nor a closed stderr
                print(f"bastion: audit: record not written: {exc}", file=sys.stderr)
            return None

    def store(self) -> AuditStore:
        """The index (opened on first use)."""
        with self._lock:
            self._after_fork()
            return self._index()

    def close(self) -> None:
        with self._lock:
            for entry in self._files.values():
                os.close(entry.fd)
            self._files.clear()
            if self._store is not None:
                self._store.close()
                self._store = None

    # --- internals ---------------------------------------------------------------------------

    def _after_fork(self) -> None:
        if self._pid != os.getpid():
            # The parent's descriptors and SQLite connection belong to the parent.
            self._files = OrderedDict()
            self._store = None
            self._pid = os.getpid()

    def _index(self) -> AuditStore:
        if self._store is None:
            self._prepare_dir()
            path = self.directory / INDEX_NAME
            if self._store_factory is not None:
                self._store = self._store_factory(path)
            else:
                from bastion.audit.sqlite_store import SQLiteStore

                self._store = SQLiteStore(path, durable=self.fsync)
        return self._store

    def _prepare_dir(self) -> None:
        if not self._dir_ready:
            try:
                ensure_private_dir(self.directory)
            except OSError as exc:
                raise AuditError(f"audit directory {self.directory}: {exc}") from exc
            self._dir_ready = True

    def _append(self, session: str, kind: str, fields: dict[str, Any]) -> Record:
        store = self._index()
        entry = self._open(session)
        try:
            fcntl.flock(entry.fd, fcntl.LOCK_EX)
        except OSError as exc:
            raise AuditError(f"{entry.path}: cannot lock: {exc}") from exc
        try:
            entry = self._current(session, entry)
            self._load_head(entry, session, store)
            record = self._seal(entry, session, kind, fields)
            self._write(entry, record)
            store.add(record)
            return record
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(entry.fd, fcntl.LOCK_UN)

    def _seal(self, entry: _SessionFile, session: str, kind: str, fields: dict[str, Any]) -> Record:
        record = Record.seal(
            seq=entry.seq + 1,
            ts=self._clock(),
            session=session,
            kind=kind,
            pid=self._pid,
            fields=fields,
            prev=entry.hash,
        )
        size = len(record.line)
        if size > MAX_RECORD_BYTES:
            summary = {"oversized_record_bytes": size, "keys": sorted(fields)[:64]}
            record = Record.seal(
                seq=entry.seq + 1,
                ts=record.ts,
                session=session,
                kind=kind,
                pid=self._pid,
                fields=summary,
                prev=entry.hash,
            )
        return record

    def _open(self, session: str) -> _SessionFile:
        entry = self._files.get(session)
        if entry is not None:
            self._files.move_to_end(session)
            return entry
        self._prepare_dir()
        path = self.directory / session_file_name(session)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ENOENT:  # the directory went away: make it again, once
                self._dir_ready = False
                self._prepare_dir()
                fd = os.open(path, flags, 0o600)
            else:
                raise AuditError(f"{path}: cannot open: {exc.strerror or exc}") from exc
        entry = _SessionFile(path, fd, os.fstat(fd).st_ino)
        self._files[session] = entry
        while len(self._files) > _OPEN_FILES:
            _, old = self._files.popitem(last=False)
            os.close(old.fd)
        return entry

    def _current(self, session: str, entry: _SessionFile) -> _SessionFile:
        """The entry, reopened (and locked) if its file was replaced or removed meanwhile."""
        try:
            same = os.stat(entry.path).st_ino == entry.ino
        except FileNotFoundError:
            same = False
        if same:
            return entry
        self._files.pop(session, None)
        fcntl.flock(entry.fd, fcntl.LOCK_UN)
        os.close(entry.fd)
        fresh = self._open(session)
        fcntl.flock(fresh.fd, fcntl.LOCK_EX)
        return fresh

    def _load_head(self, entry: _SessionFile, session: str, store: AuditStore) -> None:
        size = os.fstat(entry.fd).st_size
        if size == entry.size:
            return  # nobody wrote since our last record: the cached head is the head
        tail = _read_tail(entry.fd, size, entry.path)
        entry.seq, entry.hash, entry.size = tail.seq, tail.hash, tail.complete_end
        if tail.fragment:
            os.ftruncate(entry.fd, tail.complete_end)
            note = {
                "reason": "cut a torn last line: a writer stopped in the middle of a record",
                "cut_at_offset": tail.complete_end,
                "cut_bytes": len(tail.fragment),
                "cut_sha256": hashlib.sha256(tail.fragment).hexdigest(),
            }
            recovered = Record.seal(
                seq=entry.seq + 1,
                ts=self._clock(),
                session=session,
                kind=kinds.LOG_RECOVERED,
                pid=self._pid,
                fields=note,
                prev=entry.hash,
            )
            self._write(entry, recovered)
            store.add(recovered)

    def _write(self, entry: _SessionFile, record: Record) -> None:
        data = record.line
        view = memoryview(data)
        try:
            while view:
                written = os.write(entry.fd, view)
                view = view[written:]
            if self.fsync:
                os.fdatasync(entry.fd)
        except OSError as exc:
            entry.size = -1  # maybe half written: read the file again next time
            raise AuditError(f"{entry.path}: cannot write: {exc.strerror or exc}") from exc
        entry.seq, entry.hash = record.seq, record.hash
        entry.size += len(data)


def _read_tail(fd: int, size: int, path: Path) -> _Tail:
    """The last record of the file and any torn bytes after the last newline."""
    chunk = _TAIL_CHUNK
    while True:
        start = max(0, size - chunk)
        data = os.pread(fd, size - start, start)
        newline = data.rfind(b"\n")
        if newline < 0 and start > 0 and chunk < _TAIL_MAX:
            chunk *= 8
            continue
        complete_end = start + newline + 1
        fragment = data[newline + 1 :]
        lines = data[: newline + 1].split(b"\n")[:-1]
        if start > 0:
            lines = lines[1:]  # the first may start before the window
        for line in reversed(lines):
            try:
                record = parse_line(line)
            except BadLine:
                continue  # damaged: `verify` reports it; chain on from the last good record
            return _Tail(record.seq, record.hash, complete_end, fragment)
        if start == 0:
            return _Tail(0, GENESIS, complete_end, fragment)
        if chunk >= _TAIL_MAX:
            raise AuditError(
                f"{path}: no record in its last {chunk} bytes; run `bastion audit verify`"
            )
        chunk *= 8
