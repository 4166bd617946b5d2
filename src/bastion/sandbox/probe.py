"""What this machine offers the sandbox, for `bastion doctor`."""

from __future__ import annotations

import os
import shutil

from bastion.sandbox import landlock, seccomp, syscalls
from bastion.sandbox.cgroup import RunCgroup

_NS_FLAGS = {
    "user namespaces": syscalls.CLONE_NEWUSER,
    "mount+pid+net namespaces": (
        syscalls.CLONE_NEWUSER | syscalls.CLONE_NEWNS | syscalls.CLONE_NEWPID
        | syscalls.CLONE_NEWNET
    ),
}  # fmt: skip


def _try_unshare(flags: int) -> tuple[bool, str]:
    # In a throwaway child: unshare changes the caller for good.
    pid = os.fork()
    if pid == 0:
        try:
            syscalls.unshare(flags)
            os._exit(0)
        except OSError as exc:
            os._exit(min(exc.errno or 1, 255))
    _, raw = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(raw)
    return code == 0, "" if code == 0 else os.strerror(code)


def doctor_report() -> list[tuple[str, bool, str]]:
    """(feature, available, detail) for each isolation layer of the local backend."""
    report: list[tuple[str, bool, str]] = []
    abi = landlock.abi_version()
    report.append(("landlock", abi > 0, f"ABI {abi}" if abi else "not in this kernel"))
    report.append(("landlock network rules", abi >= 4, "ABI 4+ restricts TCP connect/bind"))
    report.append(("landlock scoping", abi >= 6, "ABI 6+ scopes signals, abstract sockets"))
    report.append((
        "seccomp",
        seccomp.supported() and _has_seccomp(),
        f"own BPF filter for {syscalls.machine()}" if seccomp.supported()
        else f"no filter for {syscalls.machine()}",
    ))  # fmt: skip
    for name, flags in _NS_FLAGS.items():
        ok, why = _try_unshare(flags)
        report.append((name, ok, "usable" if ok else why))
    group = RunCgroup.create(64, 64)
    try:
        detail = ", ".join(group.limits) if group.limits else "cannot create (rlimits instead)"
        report.append(("cgroup limits", bool(group.limits), detail))
    finally:
        group.remove()
    bwrap = shutil.which("bwrap")
    report.append(("bubblewrap", bwrap is not None, bwrap or "not installed (not needed)"))
    return report


def _has_seccomp() -> bool:
    try:
        with open("/proc/self/status") as handle:
            return any(line.startswith("Seccomp:") for line in handle)
    except OSError:
        return False
