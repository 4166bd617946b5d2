"""The local backend: the launcher (namespaces, mounts, rlimits, Landlock, seccomp) on this
kernel, a per-run cgroup when one can be made, and the egress proxy for proxied network.

The launcher runs as `python -I -S` with only bastion's source directory on its path: no
site-packages, no user site, no PYTHON* variables, so it starts in a few milliseconds and
nothing in the environment can change what it does.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import bastion
from bastion.network.interface import Resolver
from bastion.sandbox.cgroup import RunCgroup
from bastion.sandbox.events import EventSink, discard
from bastion.sandbox.interface import (
    Backend,
    Degradation,
    RunOptions,
    RunResult,
    SandboxRefused,
)
from bastion.sandbox.profile import NetworkMode, Profile

if TYPE_CHECKING:  # the proxy (and the network layer behind it) loads only when used
    from bastion.sandbox.proxy import EgressProxy

EXIT_REFUSED = 125
_SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(bastion.__file__)))
# The packages' __init__ modules are replaced by bare namespaces: the launcher needs only
# its own standard-library-only modules, and importing `typing` alone would cost ~10 ms.
_BOOT = (
    "import sys,types\n"
    f"src={_SOURCE_DIR!r}\n"
    "for name in ('bastion','bastion.sandbox'):\n"
    " m=types.ModuleType(name);m.__path__=[src+'/'+name.replace('.','/')];sys.modules[name]=m\n"
    "from bastion.sandbox.launch import main\n"
    "sys.exit(main())"
)


class LocalBackend(Backend):
    name = "local"

    def __init__(
        self,
        resolver: Resolver | None = None,
        events: EventSink = discard,
        python: str | None = None,
        user: int | None = None,
    ):
        self.resolver = resolver
        """How the proxy resolves names (tests pin names to local servers)."""
        self.events = events
        self.python = python or sys.executable
        self.user = user
        """Run as this uid (and its primary group), e.g. when bastion itself runs as root.
        The launcher then takes the unprivileged path: a user namespace, no cgroup creation
        of its own (the run's cgroup is delegated to it)."""

    def run(self, profile: Profile, argv: Sequence[str], options: RunOptions) -> RunResult:
        if not argv:
            raise ValueError("no command to run")
        started = time.monotonic()
        group = RunCgroup.create(profile.limits.processes, profile.limits.memory_mb)
        proxy: EgressProxy | None = None
        host_tmp = tempfile.mkdtemp(prefix="bastion-run-")
        try:
            if "cgroup" in options.require and not group.limits:
                raise SandboxRefused(
                    "cgroup", "cannot create a cgroup here (not root, no delegation)"
                )
            if profile.network is NetworkMode.PROXY:
                from bastion.sandbox.proxy import EgressProxy

                proxy = EgressProxy(profile.egress, self.resolver, self.events).start()
            if self.user is not None:
                _delegate(group, host_tmp, self.user)
            plan = _plan(profile, argv, options, group, proxy, host_tmp)
            return self._launch(plan, profile, options, group, started)
        finally:
            group.kill_all()
            group.remove()
            if proxy is not None:
                proxy.close()
            shutil.rmtree(host_tmp, ignore_errors=True)

    def _launch(
        self,
        plan: dict[str, Any],
        profile: Profile,
        options: RunOptions,
        group: RunCgroup,
        started: float,
    ) -> RunResult:
        read_fd, write_fd = os.pipe()
        plan["status_fd"] = write_fd
        env = profile.environment.build(os.environ if options.env is None else options.env)
        capture = options.capture
        if options.stdin is not None:
            stdin: int | None = subprocess.PIPE
        else:
            stdin = subprocess.DEVNULL if capture else None
        try:
            proc = subprocess.Popen(
                [self.python, "-I", "-S", "-c", _BOOT, marshal.dumps(plan).hex()],
                cwd=options.cwd,
                env=env,
                stdin=stdin,
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.PIPE if capture else None,
                pass_fds=(write_fd,),
                start_new_session=True,
                **_as_user(self.user),
            )
        finally:
            os.close(write_fd)
        lines: list[dict[str, Any]] = []
        reader = threading.Thread(target=_read_all, args=(read_fd, lines), daemon=True)
        reader.start()
        timed_out = False
        stdout = stderr = None
        deadline = profile.limits.wall_seconds
        try:
            stdout, stderr = _wait(proc, options.stdin, deadline)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            group.kill_all()
            stdout, stderr = proc.communicate()
        except BaseException:
            _kill_group(proc.pid)
            group.kill_all()
            proc.wait()
            raise
        # Degraded runs (no pid namespace) may leave same-group stragglers: end them too.
        _kill_group(proc.pid)
        reader.join(timeout=5)
        return _result(proc.returncode, stdout, stderr, lines, group, profile, timed_out, started)


def _as_user(uid: int | None) -> dict[str, Any]:
    if uid is None:
        return {}
    import pwd

    gid = pwd.getpwuid(uid).pw_gid
    return {"user": uid, "group": gid, "extra_groups": []}


def _delegate(group: RunCgroup, host_tmp: str, uid: int) -> None:
    """Let `uid` join the run's cgroup and use the run's temp directory."""
    for procs in group.procs_files:
        os.chown(procs, uid, -1)
    os.chown(host_tmp, uid, -1)


def _plan(
    profile: Profile,
    argv: Sequence[str],
    options: RunOptions,
    group: RunCgroup,
    proxy: EgressProxy | None,
    host_tmp: str,
) -> dict[str, Any]:
    limits = profile.limits
    return {
        "argv": list(argv),
        "cwd": os.path.realpath(options.cwd),
        "namespaces": True,
        "net_ns": profile.network is not NetworkMode.ON,
        "read_only": list(profile.read_only),
        "read_write": list(profile.read_write),
        "devices": list(profile.devices),
        "hidden": list(profile.hidden),
        "host_tmp": host_tmp,
        "tmp_size_mb": min(limits.memory_mb, 1024),
        "limits": {
            "cpu_seconds": limits.cpu_seconds,
            # A cgroup memory limit, when there is one, is the precise limit; the rlimit on
            # the data segment still stops a single runaway allocation early.
            "memory_mb": limits.memory_mb,
            "processes": limits.processes,
            "file_size_mb": limits.file_size_mb,
            "open_files": limits.open_files,
        },
        "network": str(profile.network),
        "proxy_unix": proxy.unix_path if proxy else None,
        "proxy_port": proxy.port if proxy else None,
        "cgroups": group.procs_files,
        "require": sorted(options.require),
    }


def _wait(
    proc: subprocess.Popen[bytes], stdin: bytes | None, timeout: float
) -> tuple[bytes | None, bytes | None]:
    while True:
        try:
            return proc.communicate(stdin, timeout=timeout)
        except KeyboardInterrupt:
            # Ctrl-C: pass it on and keep waiting; the launcher forwards it to the command.
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGINT)
            stdin = None


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _read_all(fd: int, into: list[dict[str, Any]]) -> None:
    """Length-prefixed marshal records from the launcher (our own process writes them: the
    command never holds the pipe, it is closed at exec)."""
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read(1 << 20)
    while len(data) >= 4:
        size = int.from_bytes(data[:4], "little")
        chunk, data = data[4 : 4 + size], data[4 + size :]
        try:
            record = marshal.loads(chunk)
        except (EOFError, ValueError, TypeError):
            break
        if isinstance(record, dict):
            into.append(record)


def _result(
    returncode: int,
    stdout: bytes | None,
    stderr: bytes | None,
    lines: list[dict[str, Any]],
    group: RunCgroup,
    profile: Profile,
    timed_out: bool,
    started: float,
) -> RunResult:
    used: list[str] = []
    degraded: list[Degradation] = []
    exit_code: int | None = None
    signum: int | None = None
    for record in lines:
        if "refused" in record:
            raise SandboxRefused(record["refused"], record.get("detail", ""))
        if "feature" in record:
            if record["ok"]:
                used.append(record["feature"])
            else:
                degraded.append(Degradation(record["feature"], record.get("detail", "")))
        elif "exit" in record:
            exit_code, signum = record["exit"], record["signal"]
    if exit_code is None:  # the launcher itself ended (killed, or failed before the command)
        if returncode < 0:
            signum = -returncode
        elif returncode > 128 and timed_out:
            signum = returncode - 128
        exit_code = returncode if returncode >= 0 else 128 + signum if signum else returncode
    if signum is not None:
        exit_code = 128 + signum
    killed_by = _killed_by(signum, timed_out, group)
    return RunResult(
        exit_code=exit_code,
        stdout=stdout,
        stderr=stderr,
        killed_by=killed_by,
        signal=signum,
        features_used=tuple(dict.fromkeys(used)),
        degraded=tuple(degraded),
        duration_s=time.monotonic() - started,
    )


def _killed_by(signum: int | None, timed_out: bool, group: RunCgroup) -> str | None:
    if timed_out:
        return "wall_timeout"
    if signum is None:
        return None
    if signum == signal.SIGKILL and group.oom_kills() > 0:
        return "memory"
    if signum == signal.SIGXCPU:
        return "cpu"
    return f"signal:{signal.Signals(signum).name}"
