"""One JSON document in a file: 0600, written atomically, updated under an exclusive lock.

Readers never lock: a rename replaces the whole file, so a reader sees the old document or the
new one. Writers take `flock` on a sibling `.lock` file (never on the document, which the
rename replaces) for the whole read-modify-write, so two processes approving at once do not
lose each other's change. The lock is waited for a bounded time; then the update fails (and the
caller denies)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bastion._files import write_atomically
from bastion.approvals.model import ApprovalError

MAX_BYTES = 4 << 20
LOCK_WAIT_S = 5.0


class StoreError(ApprovalError):
    """The file cannot be read or written: the caller fails closed."""


class JsonFile:
    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes

    def read(self) -> dict[str, Any]:
        """The document; `{}` when the file does not exist yet."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"{self.path}: {exc.strerror or exc}") from exc
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise StoreError(f"{self.path}: not a regular file")
            if info.st_uid != os.getuid():
                raise StoreError(f"{self.path}: owned by uid {info.st_uid}, not by this user")
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise StoreError(f"{self.path}: larger than {self.max_bytes} bytes")
        if not data.strip():
            return {}
        try:
            value = json.loads(data)
        except ValueError as exc:
            raise StoreError(f"{self.path}: not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise StoreError(f"{self.path}: expected a JSON object")
        return value

    @contextlib.contextmanager
    def update(self) -> Iterator[dict[str, Any]]:
        """Yield the document to change in place; it is written when the block ends cleanly."""
        self._ensure_directory()
        with self._locked():
            document = self.read()
            yield document
            self._write(document)

    def _ensure_directory(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path.parent}: {exc.strerror or exc}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StoreError(f"{lock_path}: {exc.strerror or exc}") from exc
        try:
            deadline = time.monotonic() + LOCK_WAIT_S
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise StoreError(f"{lock_path}: {exc.strerror or exc}") from exc
                    if time.monotonic() >= deadline:
                        raise StoreError(
                            f"{lock_path}: still locked after {LOCK_WAIT_S:g} s"
                        ) from exc
                    time.sleep(0.01)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _write(self, document: dict[str, Any]) -> None:
        data = (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
        if len(data) > self.max_bytes:
            raise StoreError(f"{self.path}: would grow beyond {self.max_bytes} bytes")
        try:
            write_atomically(self.path, data)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc
