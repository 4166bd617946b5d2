"""The guard for each project, built once and rebuilt when a file it came from changes.

A rebuild that fails (a broken rule or config edit) keeps the last good guard and records the
error for `bastion daemon status`; only a project that never loaded answers with a deny."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bastion.cli.policy import PolicyUnavailable
from bastion.config import locate
from bastion.guard import Guard

Fingerprint = tuple[tuple[str, int, int, int] | tuple[str], ...]


def fingerprint(paths: tuple[str, ...]) -> Fingerprint:
    """What changes when any of `paths` is edited, created, replaced or removed."""
    marks: list[tuple[str, int, int, int] | tuple[str]] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            marks.append((path,))
            continue
        marks.append((path, st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(marks)


def policy_files(cwd: str, guard: Guard | None) -> tuple[str, ...]:
    """Every file the policy for `cwd` is (or would be) read from, existing or not."""
    paths = [str(locate.system_path()), str(locate.user_path())]
    root = locate.find_project_root(cwd)
    if root is not None:
        paths.extend(str(p) for p in locate.project_files(root))
    if guard is not None and guard.config is not None:
        paths.extend(ref.path for ref in guard.config.rule_files)
    return tuple(dict.fromkeys(paths))


@dataclass
class _Entry:
    guard: Guard | None
    files: tuple[str, ...]
    built: Fingerprint
    checked: float
    error: str | None = None
    error_since: float | None = None
    failed: Fingerprint | None = None  # the state of the files that last failed to load


@dataclass
class PolicyCache:
    """Guards by project root. Files are re-checked at most every `check_interval` seconds."""

    check_interval: float = 0.5
    clock: Callable[[], float] = time.monotonic
    build: Callable[[str], Guard] = Guard.from_config
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _roots: dict[str, tuple[str, float]] = field(default_factory=dict)
    reloads: int = 0

    def guard_for(self, cwd: str) -> Guard:
        key = self._root_key(cwd)
        entry = self._entries.get(key)
        now = self.clock()
        if entry is None:
            entry = self._load(cwd, None)
            self._entries[key] = entry
        elif now - entry.checked >= self.check_interval:
            entry.checked = now
            files = policy_files(cwd, entry.guard)
            current = fingerprint(files)
            if current != entry.built and current != entry.failed:
                self._entries[key] = entry = self._load(cwd, entry, files, current)
        if entry.guard is None:
            raise PolicyUnavailable(entry.error or "the policy never loaded")
        return entry.guard

    def _root_key(self, cwd: str) -> str:
        cached = self._roots.get(cwd)
        now = self.clock()
        if cached is not None and now - cached[1] < self.check_interval:
            return cached[0]
        root = locate.find_project_root(cwd) if cwd else None
        key = str(root) if root is not None else ""
        self._roots[cwd] = (key, now)
        if len(self._roots) > 4096:  # a long-lived daemon sees many directories
            self._roots.clear()
        return key

    def _load(
        self,
        cwd: str,
        previous: _Entry | None,
        files: tuple[str, ...] | None = None,
        before: Fingerprint | None = None,
    ) -> _Entry:
        files = files if files is not None else policy_files(cwd, None)
        before = before if before is not None else fingerprint(files)
        now = self.clock()
        try:
            guard = self.build(cwd)
        except Exception as exc:  # a broken edit: keep what worked, say what broke
            message = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
            kept = previous.guard if previous is not None else None
            since = previous.error_since if previous and previous.error == message else now
            built = previous.built if previous is not None else ()
            return _Entry(kept, files, built, now, message, since, before)
        self.reloads += previous is not None
        files = policy_files(cwd, guard)
        return _Entry(guard, files, fingerprint(files), now)

    def status(self) -> list[dict[str, object]]:
        return [
            {
                "project": key or None,
                "loaded": entry.guard is not None,
                "error": entry.error,
                "error_age_s": None
                if entry.error_since is None
                else round(self.clock() - entry.error_since, 1),
                "files": [p for p in entry.files if os.path.exists(p)],
            }
            for key, entry in self._entries.items()
        ]
