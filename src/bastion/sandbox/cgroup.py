"""Per-run cgroups: a process limit and a memory limit that hold for root too, and a way to
kill every process of the run at once. Used when this process may create cgroups (root, or a
delegated subtree); otherwise the run falls back to rlimits and the pid namespace.

Both layouts are handled: cgroup v2 (`pids.max`, `memory.max`, `cgroup.kill`) and v1 / hybrid
(`pids`, `memory` hierarchies; the v2 `unified` mount, when present, only for `cgroup.kill`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from dataclasses import dataclass, field

ROOT = "/sys/fs/cgroup"
_counter = itertools.count()


def _own_paths() -> dict[str, str]:
    """controller (or "" for v2) -> this process's cgroup path."""
    paths: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as handle:
            for line in handle:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for name in controllers.split(","):
                    paths[name] = path
    except OSError:
        pass
    return paths


def _write(path: str, value: str) -> bool:
    try:
        with open(path, "w") as handle:
            handle.write(value)
        return True
    except OSError:
        return False


@dataclass
class RunCgroup:
    dirs: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    """What is enforced: "pids", "memory"."""
    memory_dir: str | None = None

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(d, "cgroup.procs") for d in self.dirs]

    @classmethod
    def create(cls, processes: int, memory_mb: int) -> RunCgroup:
        """Groups for one run; empty when cgroups cannot be used here (never raises)."""
        group = cls()
        name = f"bastion-{os.getpid()}-{next(_counter)}"
        own = _own_paths()
        if os.path.exists(os.path.join(ROOT, "cgroup.controllers")):  # pure v2
            base = os.path.join(ROOT, own.get("", "/").lstrip("/"))
            made = group._make(base, name)
            if made:
                if _write(os.path.join(made, "pids.max"), str(processes)):
                    group.limits.append("pids")
                if _write(os.path.join(made, "memory.max"), str(memory_mb << 20)):
                    group.limits.append("memory")
                    group.memory_dir = made
                    _write(os.path.join(made, "memory.swap.max"), "0")
            return group
        for controller, limit_file in (("pids", "pids.max"), ("memory", "memory.limit_in_bytes")):
            base = os.path.join(ROOT, controller, own.get(controller, "/").lstrip("/"))
            made = group._make(base, name)
            if made and _write(os.path.join(made, limit_file), str(
                processes if controller == "pids" else memory_mb << 20
            )):  # fmt: skip
                group.limits.append(controller)
                if controller == "memory":
                    group.memory_dir = made
                    _write(os.path.join(made, "memory.memsw.limit_in_bytes"), str(memory_mb << 20))
        unified = os.path.join(ROOT, "unified")
        if os.path.exists(os.path.join(unified, "cgroup.procs")):
            group._make(os.path.join(unified, own.get("", "/").lstrip("/")), name)
        return group

    def _make(self, base: str, name: str) -> str | None:
        path = os.path.join(base, name)
        try:
            os.mkdir(path)
        except OSError:
            return None
        self.dirs.append(path)
        return path

    def oom_kills(self) -> int:
        if self.memory_dir is None:
            return 0
        for name in ("memory.events", "memory.oom_control"):
            try:
                with open(os.path.join(self.memory_dir, name)) as handle:
                    for line in handle:
                        key, _, value = line.partition(" ")
                        if key == "oom_kill":
                            return int(value)
            except OSError:
                continue
        return 0

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files:
            try:
                with open(procs) as handle:
                    found.update(int(line) for line in handle if line.strip())
            except OSError:
                continue
        return found

    def kill_all(self) -> None:
        for directory in self.dirs:
            _write(os.path.join(directory, "cgroup.kill"), "1")
        for _ in range(100):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        for directory in reversed(self.dirs):
            for _ in range(50):
                try:
                    os.rmdir(directory)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        self.dirs.clear()
