"""A seccomp-BPF filter built by hand (no libseccomp binding needed): x86-64 only.

Denied with EPERM: tracing other processes, mounting, loading kernels, modules or BPF programs,
the kernel keyring, namespaces, io_uring (its own socket path), the new mount API and
open_by_handle_at. Sockets: raw and packet sockets always; AF_INET/AF_INET6 too when the
network is off. clone3 answers ENOSYS so libc falls back to clone, whose flags can be checked.
Standard library only (applied by the launcher just before exec).
"""

from __future__ import annotations

import ctypes
import errno
import struct

from bastion.sandbox import syscalls

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_KILL_PROCESS = 0x80000000

# BPF opcodes (linux/bpf_common.h)
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_AND_K = 0x54
_RET_K = 0x06

_OFF_NR = 0
_OFF_ARCH = 4
_OFF_ARG0 = 16
_OFF_ARG1 = 24

X86_64_DENIED: dict[str, int] = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "mount": 165,
    "umount2": 166, "pivot_root": 155, "swapon": 167, "swapoff": 168, "reboot": 169,
    "init_module": 175, "delete_module": 176, "finit_module": 313, "kexec_load": 246,
    "kexec_file_load": 320, "bpf": 321, "add_key": 248, "request_key": 249, "keyctl": 250,
    "unshare": 272, "setns": 308, "perf_event_open": 298, "open_by_handle_at": 304,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
}  # fmt: skip
_SOCKET = 41
_CLONE = 56
_CLONE3 = 435
_CLONE_NEW_FLAGS = 0x7E020080  # every CLONE_NEW* namespace flag (incl. NEWCGROUP, NEWTIME)
_SOCK_TYPE_MASK = 0xF
# Linux values (the socket module would cost the launcher's start-up an enum import).
AF_INET = 2
AF_INET6 = 10
AF_PACKET = 17
SOCK_RAW = 3


def supported() -> bool:
    return syscalls.machine() in ("x86_64", "AMD64")


def _stmt(code: int, k: int) -> tuple[int, int, int, int]:
    return (code, 0, 0, k)


def _jump(code: int, k: int, jt: int, jf: int) -> tuple[int, int, int, int]:
    return (code, jt, jf, k)


def build_filter(*, deny_inet: bool) -> list[tuple[int, int, int, int]]:
    """The program, as (code, jt, jf, k) instructions."""
    eperm = SECCOMP_RET_ERRNO | errno.EPERM
    eacces = SECCOMP_RET_ERRNO | errno.EACCES
    prog = [
        _stmt(_LD_W_ABS, _OFF_ARCH),
        _jump(_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        _stmt(_RET_K, SECCOMP_RET_KILL_PROCESS),  # another ABI's numbers would mean other calls
        _stmt(_LD_W_ABS, _OFF_NR),
        _jump(_JGE_K, X32_SYSCALL_BIT, 0, 1),
        _stmt(_RET_K, eperm),
    ]
    for number in X86_64_DENIED.values():
        prog += [_jump(_JEQ_K, number, 0, 1), _stmt(_RET_K, eperm)]
    prog += [_jump(_JEQ_K, _CLONE3, 0, 1), _stmt(_RET_K, SECCOMP_RET_ERRNO | errno.ENOSYS)]
    # clone(flags, ...): no new namespaces (the low 32 bits hold every CLONE_NEW* flag).
    prog += [
        _jump(_JEQ_K, _CLONE, 0, 3),
        _stmt(_LD_W_ABS, _OFF_ARG0),
        _jump(_JSET_K, _CLONE_NEW_FLAGS, 0, 1),
        _stmt(_RET_K, eperm),
    ]
    prog += [_stmt(_LD_W_ABS, _OFF_NR)]  # reload: the clone branch may have clobbered A
    families = [AF_PACKET]
    if deny_inet:
        families += [AF_INET, AF_INET6]
    socket_body = [_stmt(_LD_W_ABS, _OFF_ARG0)]
    for family in families:
        socket_body += [_jump(_JEQ_K, family, 0, 1), _stmt(_RET_K, eacces)]
    socket_body += [
        _stmt(_LD_W_ABS, _OFF_ARG1),
        _stmt(_AND_K, _SOCK_TYPE_MASK),
        _jump(_JEQ_K, SOCK_RAW, 0, 1),
        _stmt(_RET_K, eacces),
        _stmt(_RET_K, SECCOMP_RET_ALLOW),
    ]
    prog += [_jump(_JEQ_K, _SOCKET, 0, len(socket_body)), *socket_body]
    prog += [_stmt(_RET_K, SECCOMP_RET_ALLOW)]
    return prog


class _Fprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def install(*, deny_inet: bool) -> int:
    """Load the filter into this process (inherited by children and kept across exec); needs
    no_new_privs set first. Returns the number of instructions."""
    if not supported():
        raise OSError(errno.ENOSYS, f"seccomp filter not built for {syscalls.machine()}")
    prog = build_filter(deny_inet=deny_inet)
    raw = b"".join(struct.pack("=HBBI", *ins) for ins in prog)
    buffer = ctypes.create_string_buffer(raw, len(raw))
    fprog = _Fprog(len(prog), ctypes.cast(buffer, ctypes.c_void_p))
    syscalls.prctl(syscalls.PR_SET_SECCOMP, syscalls.SECCOMP_MODE_FILTER, ctypes.addressof(fprog))
    return len(prog)
