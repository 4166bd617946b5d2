"""`Sandbox(profile).run(argv, cwd=...)`: the library entry point."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from bastion.config import Config
from bastion.sandbox.interface import Backend, RunOptions, RunResult, check_required
from bastion.sandbox.local import LocalBackend
from bastion.sandbox.profile import Profile


class Sandbox:
    def __init__(self, profile: Profile, backend: Backend | None = None):
        self.profile = profile
        self.backend = backend or LocalBackend()

    @classmethod
    def from_config(
        cls,
        config: Config,
        profile: str = "default",
        workspace: str | None = None,
        backend: Backend | None = None,
    ) -> Sandbox:
        return cls(Profile.from_config(config, profile, workspace), backend)

    def run(
        self,
        argv: Sequence[str],
        cwd: str | None = None,
        *,
        capture: bool = True,
        stdin: bytes | None = None,
        require: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> RunResult:
        """Run `argv` confined by the profile. Raises SandboxRefused (nothing ran) when a
        feature in `require` is unavailable, ValueError for an unknown feature name."""
        options = RunOptions(
            cwd=os.path.abspath(cwd or self.profile.workspace or os.getcwd()),
            capture=capture,
            stdin=stdin,
            require=check_required(tuple(require)),
            env=env,
        )
        return self.backend.run(self.profile, list(argv), options)
