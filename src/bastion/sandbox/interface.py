"""What every sandbox backend promises: run argv under a profile, report what held."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bastion.sandbox.profile import Profile

FEATURES: tuple[str, ...] = (
    "userns", "mountns", "pidns", "netns", "private-tmp", "hidden", "cgroup", "rlimits",
    "nocaps", "no_new_privs", "landlock", "landlock-net", "landlock-scope", "seccomp", "proxy",
)  # fmt: skip
"""Isolation layers by name, for `--require` and `RunResult.features_used`."""


class SandboxRefused(Exception):
    """A required layer is unavailable here: the command was not run."""

    def __init__(self, feature: str, detail: str):
        super().__init__(
            f"sandbox refused to run: required feature {feature!r} is unavailable ({detail})"
        )
        self.feature = feature
        self.detail = detail


@dataclass(frozen=True)
class Degradation:
    feature: str
    detail: str

    def __str__(self) -> str:
        return f"{self.feature} unavailable: {self.detail}" if self.detail else self.feature


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    """The command's exit status; 128 + N when a signal N ended it (as a shell reports)."""
    stdout: bytes | None
    """None when the output went straight to the caller's terminal (passthrough)."""
    stderr: bytes | None
    killed_by: str | None = None
    """"wall_timeout", "memory", "cpu", "signal:SIGNAME", or None."""
    signal: int | None = None
    features_used: tuple[str, ...] = ()
    degraded: tuple[Degradation, ...] = ()
    duration_s: float = 0.0


@dataclass(frozen=True)
class RunOptions:
    cwd: str
    capture: bool = True
    stdin: bytes | None = None
    """Bytes fed to the command; None: /dev/null when capturing, else the caller's stdin."""
    require: frozenset[str] = frozenset()
    env: Mapping[str, str] | None = None
    """The environment to filter (default os.environ); the profile decides what passes."""


def check_required(require: Sequence[str] | frozenset[str]) -> frozenset[str]:
    unknown = sorted(set(require) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown sandbox feature(s) {unknown} (known: {', '.join(FEATURES)})")
    return frozenset(require)


class Backend(ABC):
    name: str = ""

    @abstractmethod
    def run(self, profile: Profile, argv: Sequence[str], options: RunOptions) -> RunResult:
        """Run `argv` confined by `profile`; raises SandboxRefused when a required layer is
        missing (before anything runs)."""
