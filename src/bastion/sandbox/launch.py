"""The launcher: applies the isolation layers in order, then execs the command.

Run as `python -I -S -c ... PLAN` (PLAN: a marshalled dict, in hex) by the local backend.
Standard library only, and as little of it as possible (no json, re, typing, contextlib):
the interpreter starts without site-packages and its start-up is the run's overhead.
(Hence try/except/pass where contextlib.suppress would read better.)

Three processes when a pid namespace is available:

    outer launcher ──fork──▶ init (pid 1 of the new namespace) ──fork──▶ command (exec)

Order: cgroup join → namespaces (user, mount, pid, net, ipc) → mounts (private /tmp, hidden
paths, /proc) → loopback + proxy forwarder → [command] rlimits → capabilities dropped →
no_new_privs → Landlock → seccomp → exec. no_new_privs comes before Landlock because
landlock_restrict_self demands it (or CAP_SYS_ADMIN); seccomp comes last so the filter does
not have to allow the calls the earlier steps make.

When init exits, the kernel kills everything left in the pid namespace (double-forked daemons
included). Without a pid namespace the launcher is a child subreaper instead and kills every
descendant that was reparented to it. Each step reports to the status pipe as a record
{"feature", "ok", "detail"}; a failed step the caller required ends the run with exit 125
before the command starts.
"""

from __future__ import annotations

import errno
import fcntl
import marshal
import os
import resource
import signal
import struct
import sys
import time

from bastion.sandbox import landlock, mounts, seccomp, syscalls

# ruff: noqa: SIM105  (contextlib costs start-up: see the module docstring)

TYPE_CHECKING = False  # see landlock.py
if TYPE_CHECKING:
    import socket
    from typing import Any

EXIT_REFUSED = 125
EXIT_NOT_RUN = 127
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_SECBIT_NOROOT = 1 << 0
_SECBIT_NOROOT_LOCKED = 1 << 1
_SECBIT_NO_SETUID_FIXUP = 1 << 2
_SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 3
_SECBIT_KEEP_CAPS_LOCKED = 1 << 5
_SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6
_SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7
_LOCKED_SECUREBITS = (
    _SECBIT_NOROOT | _SECBIT_NOROOT_LOCKED | _SECBIT_NO_SETUID_FIXUP
    | _SECBIT_NO_SETUID_FIXUP_LOCKED | _SECBIT_KEEP_CAPS_LOCKED
    | _SECBIT_NO_CAP_AMBIENT_RAISE | _SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED
)  # fmt: skip


class Status:
    def __init__(self, fd: int, required: set[str]):
        self.fd = fd
        self.required = required
        self.applied: set[str] = set()
        if fd >= 0:
            os.set_inheritable(fd, False)  # closed at exec: the command never holds it

    def write(self, record: dict[str, Any]) -> None:
        if self.fd >= 0:
            # marshal, not json: json imports re, ~8 ms of start-up. Length-prefixed records.
            data = marshal.dumps(record)
            os.write(self.fd, len(data).to_bytes(4, "little") + data)

    def feature(self, name: str, ok: bool, detail: str = "") -> None:
        self.write({"feature": name, "ok": ok, "detail": detail})
        if ok:
            self.applied.add(name)
        elif name in self.required:
            self.refuse(name, detail)

    def refuse(self, name: str, detail: str) -> None:
        self.write({"refused": name, "detail": detail})
        os._exit(EXIT_REFUSED)

    def check_required(self) -> None:
        """Right before exec: every required layer must have been applied."""
        for name in sorted(self.required - self.applied):
            self.refuse(name, "not applied in this run")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    plan: dict[str, Any] = marshal.loads(bytes.fromhex(args[0]))
    status = Status(int(plan.get("status_fd", -1)), set(plan.get("require", ())))
    # If bastion dies, so does the run (init and the namespace follow through their own
    # parent-death signal).
    syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    _join_cgroups(plan, status)
    spaces = _unshare(plan, status)
    if "pidns" in spaces:
        pid = os.fork()
        if pid:
            return _outer(pid)
        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)
    return _init(plan, spaces, status)


def _join_cgroups(plan: dict[str, Any], status: Status) -> None:
    groups = plan.get("cgroups") or []
    if not groups:
        return
    joined, failed = [], []
    for procs in groups:
        try:
            with open(procs, "w") as handle:
                handle.write("0")
            joined.append(os.path.dirname(procs))
        except OSError as exc:
            # A v2 group also needs write access to the common ancestor: an unprivileged
            # launcher may join the v1 limit groups but not that one.
            failed.append(f"{os.path.dirname(procs)}: {exc.strerror}")
    if joined:
        status.feature("cgroup", True, ", ".join(joined))
    else:
        status.feature("cgroup", False, "could not join: " + "; ".join(failed))


def _unshare(plan: dict[str, Any], status: Status) -> set[str]:
    if not plan.get("namespaces", True):
        return set()
    base = syscalls.CLONE_NEWNS | syscalls.CLONE_NEWPID | syscalls.CLONE_NEWIPC
    if plan.get("net_ns"):
        base |= syscalls.CLONE_NEWNET
    uid, gid = os.getuid(), os.getgid()
    attempts = [base | syscalls.CLONE_NEWUSER]
    if uid == 0 and not plan.get("force_userns"):
        attempts.append(base)  # root can do without a user namespace
    error: OSError | None = None
    for flags in attempts:
        try:
            syscalls.unshare(flags)
        except OSError as exc:
            error = exc
            continue
        spaces = {"mountns", "pidns", "ipcns"}
        if flags & syscalls.CLONE_NEWNET:
            spaces.add("netns")
        if flags & syscalls.CLONE_NEWUSER:
            _map_ids(uid, gid)
            spaces.add("userns")
        for name in ("userns", "mountns", "pidns", "netns"):
            if name in spaces or (name == "netns" and plan.get("net_ns")):
                status.feature(name, name in spaces, "" if name in spaces else "not created")
        return spaces
    detail = f"namespaces unavailable ({error}); running without them"
    for name in ("userns", "mountns", "pidns") + (("netns",) if plan.get("net_ns") else ()):
        status.feature(name, False, detail)
    return set()


def _map_ids(uid: int, gid: int) -> None:
    # The same ids inside: files keep their owners, and the command is who it was.
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    with open("/proc/self/uid_map", "w") as handle:
        handle.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as handle:
        handle.write(f"{gid} {gid} 1")


def _outer(init_pid: int) -> int:
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda s, _f: _forward(init_pid, s))
    code = _wait_for(init_pid)
    return code


def _forward(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _wait_for(pid: int) -> int:
    while True:
        try:
            _, raw = os.waitpid(pid, 0)
        except ChildProcessError:
            return EXIT_NOT_RUN
        except InterruptedError:
            continue
        return _exit_code(raw)


def _exit_code(raw: int) -> int:
    if os.WIFSIGNALED(raw):
        return 128 + os.WTERMSIG(raw)
    return os.waitstatus_to_exitcode(raw)


def _init(plan: dict[str, Any], spaces: set[str], status: Status) -> int:
    if plan.get("proxy_unix"):
        # The proxy's socket is under the host's /tmp, which the private /tmp covers: keep a
        # handle on its directory and connect through /proc/self/fd.
        directory = os.open(os.path.dirname(plan["proxy_unix"]), os.O_PATH | os.O_CLOEXEC)
        plan["proxy_unix"] = f"/proc/self/fd/{directory}/{os.path.basename(plan['proxy_unix'])}"
    if "mountns" in spaces:
        _mounts(plan, status, "pidns" in spaces)
    else:
        os.environ["TMPDIR"] = plan["host_tmp"]
    listener = _network(plan, spaces, status)
    command = os.fork()
    if command == 0:
        _command(plan, status)  # never returns
    if listener is not None:
        _start_forwarder(listener, plan["proxy_unix"])
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda s, _f: _forward(command, s))
    raw = _reap_until(command)
    if "pidns" not in spaces:
        _kill_descendants()
    record: dict[str, Any] = {"exit": None, "signal": None}
    if os.WIFSIGNALED(raw):
        record["signal"] = os.WTERMSIG(raw)
    else:
        record["exit"] = os.waitstatus_to_exitcode(raw)
    status.write(record)
    return _exit_code(raw)


def _mounts(plan: dict[str, Any], status: Status, pidns: bool) -> None:
    try:
        mounts.make_private()
        keep = [*plan["read_only"], *plan["read_write"], plan["cwd"]]
        mounts.private_tmp(keep, plan["read_write"], int(plan.get("tmp_size_mb", 1024)))
        os.environ["TMPDIR"] = mounts.TMP
        status.feature("private-tmp", True, "tmpfs on /tmp")
    except OSError as exc:
        os.environ["TMPDIR"] = plan["host_tmp"]
        status.feature("private-tmp", False, str(exc))
    try:
        hidden = mounts.hide(plan["hidden"])
        status.feature("hidden", True, f"{len(hidden)} path(s) covered")
    except OSError as exc:
        status.feature("hidden", False, str(exc))
    if pidns:
        try:
            mounts.fresh_proc()
        except OSError as exc:
            status.feature("proc", False, str(exc))


def _network(plan: dict[str, Any], spaces: set[str], status: Status) -> socket.socket | None:
    mode = plan.get("network", "off")
    if mode != "proxy":
        return None
    import socket

    if "netns" in spaces:
        _loopback_up()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = int(listener.getsockname()[1])
        status.feature("proxy", True, f"forwarder on 127.0.0.1:{port} inside the namespace")
    else:
        listener, port = None, int(plan["proxy_port"])
        status.feature("proxy", True, f"host proxy on 127.0.0.1:{port} (no network namespace)")
    url = f"http://127.0.0.1:{port}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ[name] = url
    for name in ("NO_PROXY", "no_proxy"):
        os.environ.pop(name, None)
    plan["connect_ports"] = [port]
    return listener


def _loopback_up() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def _start_forwarder(listener: socket.socket, unix_path: str) -> None:
    import socket
    import threading

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
                try:
                    sock.shutdown(how)
                except OSError:
                    pass

    def serve(conn: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(unix_path)
        except OSError:
            conn.close()
            upstream.close()
            return
        back = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
        back.start()
        pump(conn, upstream)
        back.join()
        conn.close()
        upstream.close()

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


def _command(plan: dict[str, Any], status: Status) -> None:
    try:
        os.chdir(plan["cwd"])
    except OSError as exc:
        os.write(2, f"bastion: cannot enter {plan['cwd']}: {exc.strerror}\n".encode())
        os._exit(EXIT_NOT_RUN)
    try:
        _rlimits(plan, status)
        _drop_capabilities(status)
        syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
        status.feature("no_new_privs", True)
        _landlock(plan, status)
        _seccomp(plan, status)
        status.check_required()
        argv = plan["argv"]
        os.execvpe(argv[0], argv, os.environ)
    except OSError as exc:
        message = f"bastion: cannot run {plan['argv'][0]!r}: {exc.strerror or exc}\n"
        os.write(2, message.encode())
        os._exit(EXIT_NOT_RUN if exc.errno in (errno.ENOENT, errno.EACCES) else EXIT_REFUSED)
    except BaseException as exc:  # never fall back to running the command unconfined
        os.write(2, f"bastion: sandbox setup failed: {exc!r}\n".encode())
        os._exit(EXIT_REFUSED)


_RLIMITS = {
    "cpu_seconds": (resource.RLIMIT_CPU, 1),
    "memory_mb": (resource.RLIMIT_DATA, 1 << 20),
    "processes": (resource.RLIMIT_NPROC, 1),
    "file_size_mb": (resource.RLIMIT_FSIZE, 1 << 20),
    "open_files": (resource.RLIMIT_NOFILE, 1),
}


def _rlimits(plan: dict[str, Any], status: Status) -> None:
    applied = []
    try:
        for key, (which, unit) in _RLIMITS.items():
            value = plan["limits"].get(key)
            if value:
                hard = resource.getrlimit(which)[1]
                wanted = value * unit
                limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
                # CPU: SIGXCPU at the limit (reported as such), SIGKILL a second later.
                hard_limit = limit + 1 if which == resource.RLIMIT_CPU else limit
                if hard != resource.RLIM_INFINITY:
                    hard_limit = min(hard_limit, hard)
                resource.setrlimit(which, (limit, hard_limit))
                applied.append(f"{key}={value}")
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        status.feature("rlimits", True, " ".join(applied))
    except (OSError, ValueError) as exc:
        status.feature("rlimits", False, str(exc))


def _drop_capabilities(status: Status) -> None:
    """Root (real, or in the user namespace) execs with no capabilities at all."""
    if os.geteuid() != 0:
        status.feature("nocaps", True, "not root: exec leaves no capabilities")
        return
    try:
        syscalls.prctl(syscalls.PR_CAP_AMBIENT, syscalls.PR_CAP_AMBIENT_CLEAR_ALL)
        for cap in range(64):
            try:
                syscalls.prctl(syscalls.PR_CAPBSET_DROP, cap)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: no such capability on this kernel
                    raise
        syscalls.prctl(syscalls.PR_SET_SECUREBITS, _LOCKED_SECUREBITS)
        status.feature("nocaps", True, "bounding set emptied, root gains nothing at exec")
    except OSError as exc:
        status.feature("nocaps", False, str(exc))


def _landlock(plan: dict[str, Any], status: Status) -> None:
    # The private temp directory: the tmpfs on /tmp, or the host directory made for this run.
    read_write = [*plan["read_write"], os.environ.get("TMPDIR", plan["host_tmp"])]
    mode = plan.get("network", "off")
    try:
        applied = landlock.restrict(
            plan["read_only"], read_write, plan["devices"],
            restrict_net=mode != "on", connect_ports=plan.get("connect_ports", ()),
        )  # fmt: skip
    except OSError as exc:
        status.feature("landlock", False, str(exc))
        return
    status.feature("landlock", True, f"ABI {applied.abi}")
    if mode != "on":
        status.feature("landlock-net", applied.net, "" if applied.net else "needs ABI 4")
    status.feature("landlock-scope", applied.scoped, "" if applied.scoped else "needs ABI 6")


def _seccomp(plan: dict[str, Any], status: Status) -> None:
    mode = plan.get("network", "off")
    try:
        count = seccomp.install(deny_inet=mode == "off")
        status.feature("seccomp", True, f"{count} BPF instructions")
    except OSError as exc:
        status.feature("seccomp", False, str(exc))


def _reap_until(command: int) -> int:
    while True:
        try:
            pid, raw = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
        if pid == command:
            return raw


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def _kill_descendants() -> None:
    """As a child subreaper every orphan comes back to us: kill until none is left."""
    me = os.getpid()
    for _ in range(200):
        pids = _children(me)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        time.sleep(0.005)


if __name__ == "__main__":
    sys.exit(main())
