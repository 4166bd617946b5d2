"""Landlock through raw syscalls: filesystem rights, TCP ports (ABI 4+) and scoping (ABI 6+).

Standard library only (the launcher applies it just before exec). Every right the running
kernel knows is "handled", so anything not granted by a rule is denied.
"""

from __future__ import annotations

import ctypes
import os

from bastion.sandbox import syscalls

TYPE_CHECKING = False  # typing costs the launcher's start-up; mypy still reads the block
if TYPE_CHECKING:
    from collections.abc import Iterable

CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
RULE_NET_PORT = 2

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

READ_ONLY = EXECUTE | READ_FILE | READ_DIR
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV


class _Attr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


class _NetPort(ctypes.Structure):
    _fields_ = (("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64))


def abi_version() -> int:
    """0 when Landlock is missing (not built in, disabled at boot, or an old kernel)."""
    try:
        return syscalls.syscall(
            syscalls.SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
            ctypes.c_uint32(CREATE_RULESET_VERSION),
        )  # fmt: skip
    except OSError:
        return 0


def fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


class Applied:
    """What restrict() put in place (a plain class: dataclasses cost the launcher ~10 ms)."""

    __slots__ = ("abi", "net", "scoped", "skipped")

    def __init__(self, abi: int, net: bool, scoped: bool, skipped: tuple[str, ...]):
        self.abi = abi
        self.net = net
        """TCP bind/connect are restricted (ABI 4+)."""
        self.scoped = scoped
        """Signals and abstract Unix sockets cannot reach outside the sandbox (ABI 6+)."""
        self.skipped = skipped
        """Paths named by the profile that do not exist (nothing to grant)."""


def restrict(
    read_only: Iterable[str],
    read_write: Iterable[str],
    devices: Iterable[str],
    *,
    restrict_net: bool,
    connect_ports: Iterable[int] = (),
) -> Applied:
    """Restrict this process (and what it execs) to the given paths; needs no_new_privs or
    CAP_SYS_ADMIN, so the caller sets no_new_privs first. Raises OSError when unavailable."""
    abi = abi_version()
    if abi < 1:
        raise OSError(38, "Landlock is not available in this kernel")
    handled = fs_rights(abi)
    net = restrict_net and abi >= 4
    attr = _Attr(handled, (NET_BIND_TCP | NET_CONNECT_TCP) if net else 0, 0)
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    rfd = syscalls.syscall(
        syscalls.SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
        ctypes.c_uint32(0),
    )  # fmt: skip
    skipped: list[str] = []
    try:
        for path in read_only:
            _add_path(rfd, path, READ_ONLY, skipped)
        for path in read_write:
            _add_path(rfd, path, handled, skipped)
        for path in devices:
            _add_path(rfd, path, READ_FILE | WRITE_FILE | (TRUNCATE | IOCTL_DEV) & handled, skipped)
        if net:
            for port in connect_ports:
                rule = _NetPort(NET_CONNECT_TCP, port)
                syscalls.syscall(
                    syscalls.SYS_LANDLOCK_ADD_RULE, ctypes.c_int(rfd),
                    ctypes.c_int(RULE_NET_PORT), ctypes.byref(rule), ctypes.c_uint32(0),
                )  # fmt: skip
        syscalls.syscall(syscalls.SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(rfd), ctypes.c_uint32(0))
    finally:
        os.close(rfd)
    return Applied(abi, net, abi >= 6, tuple(skipped))


def _add_path(rfd: int, path: str, rights: int, skipped: list[str]) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        skipped.append(path)
        return
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS  # a file may carry file rights only (else EINVAL)
        rule = _PathBeneath(rights, fd)
        syscalls.syscall(
            syscalls.SYS_LANDLOCK_ADD_RULE, ctypes.c_int(rfd), ctypes.c_int(RULE_PATH_BENEATH),
            ctypes.byref(rule), ctypes.c_uint32(0),
        )  # fmt: skip
    finally:
        os.close(fd)
