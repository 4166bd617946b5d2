"""A docker / podman backend: the same profile as hardened container arguments.

Containers isolate more (own root filesystem) but need an image and a daemon; the local
backend stays the default. Hidden paths need no flag: only the workspace is mounted.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence

from bastion.sandbox.interface import Backend, RunOptions, RunResult, SandboxRefused
from bastion.sandbox.profile import NetworkMode, Profile

WORKDIR = "/workspace"


class ContainerBackend(Backend):
    def __init__(self, engine: str = "docker", image: str = "python:3.11-slim"):
        if engine not in ("docker", "podman"):
            raise ValueError(f"unknown container engine {engine!r} (docker or podman)")
        self.name = engine
        self.engine = engine
        self.image = image

    def argv(self, profile: Profile, argv: Sequence[str], options: RunOptions) -> list[str]:
        limits = profile.limits
        workspace_mode = "rw" if profile.workspace in profile.read_write else "ro"
        args = [
            self.engine, "run", "--rm", "--init",
            "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges",
            "--pids-limit", str(limits.processes),
            "--read-only",
            "--tmpfs", f"/tmp:rw,noexec,nosuid,nodev,size={min(limits.memory_mb, 1024)}m",
            "--cpus", "1",
            "--memory", f"{limits.memory_mb}m",
            "--memory-swap", f"{limits.memory_mb}m",
            "--ulimit", f"cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
            "--ulimit", f"nofile={limits.open_files}:{limits.open_files}",
            "--ulimit", f"fsize={limits.file_size_mb << 20}:{limits.file_size_mb << 20}",
            "--mount", f"type=bind,source={profile.workspace},target={WORKDIR},{workspace_mode}",
            "--workdir", WORKDIR,
            "--user", "65534:65534" if workspace_mode == "ro" else "0:0",
        ]  # fmt: skip
        if profile.network is NetworkMode.OFF or profile.network is NetworkMode.PROXY:
            # A proxied network would need the proxy inside the container's network: not
            # offered by this backend, so it is refused at run time (see run()).
            args += ["--network", "none"]
        if options.stdin is not None or not options.capture:
            args.append("-i")
        env = profile.environment.build(options.env if options.env is not None else os.environ)
        for name in sorted(env):
            if name not in ("PATH", "HOME", "PWD", "SHELL", "TMPDIR", "HOSTNAME"):
                args += ["--env", name]  # value taken from this process's environment
        return [*args, self.image, *argv]

    def run(self, profile: Profile, argv: Sequence[str], options: RunOptions) -> RunResult:
        if profile.network is NetworkMode.PROXY:
            raise SandboxRefused("proxy", f"the {self.engine} backend has no egress proxy")
        started = time.monotonic()
        completed = subprocess.run(
            self.argv(profile, argv, options),
            input=options.stdin,
            capture_output=options.capture,
            timeout=profile.limits.wall_seconds,
            env=dict(options.env) if options.env is not None else None,
            check=False,
        )
        return RunResult(
            exit_code=completed.returncode,
            stdout=completed.stdout if options.capture else None,
            stderr=completed.stderr if options.capture else None,
            features_used=(self.engine,),
            duration_s=time.monotonic() - started,
        )
