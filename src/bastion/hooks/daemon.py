"""The hook daemon: compile the policy once, answer many hooks over a Unix socket.

    python -I -m bastion.hooks.daemon serve

One daemon per user: a lock file in the runtime directory (0700) decides which of several
starting daemons serves; the others exit. It reloads a project's policy when one of its files
changes (keeping the last good one if the edit is broken), and exits after `daemon.idle_exit_s`
seconds without a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import IO, Any

from bastion import __version__
from bastion.config import load_config
from bastion.hooks.policies import PolicyCache
from bastion.hooks.runner import answer
from bastion.hooks.shim import (
    MAX_PAYLOAD_BYTES,
    PROTOCOL,
    SOCKET_NAME,
    encode_reply,
    failure_answer,
    secure_runtime_dir,
)

LOCK_NAME = "daemon.lock"
PID_NAME = "daemon.pid"
READ_TIMEOUT_S = 10.0
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


@dataclass
class DaemonState:
    directory: str
    idle_exit_s: float
    policies: PolicyCache = field(default_factory=PolicyCache)
    started: float = field(default_factory=time.time)
    last_request: float = field(default_factory=time.monotonic)
    served: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "version": __version__,
            "python": sys.executable,
            "socket": os.path.join(self.directory, SOCKET_NAME),
            "uptime_s": round(time.time() - self.started, 1),
            "served": self.served,
            "reloads": self.policies.reloads,
            "idle_exit_s": self.idle_exit_s,
            "policies": self.policies.status(),
        }


def _peer_uid(writer: asyncio.StreamWriter) -> int | None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return None
    try:
        _, uid, _ = _PEERCRED.unpack(
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
        )
    except (OSError, AttributeError):
        return None
    return int(uid)


async def _handle(
    state: DaemonState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        # The directory is 0700 already; the peer check is for a socket reached some other way.
        if _peer_uid(writer) not in (None, os.getuid()):
            return
        header = await asyncio.wait_for(reader.readuntil(b"\n"), READ_TIMEOUT_S)
        parts = header.rstrip(b"\n").split(b" ")
        if parts[0] != PROTOCOL or len(parts) < 2:
            return
        state.last_request = time.monotonic()
        verb = parts[1]
        if verb == b"HOOK" and len(parts) == 5:
            agent = parts[2].decode("ascii", "replace")
            length = int(parts[3])
            cwd = bytes.fromhex(parts[4].decode("ascii")).decode("utf-8", "surrogateescape")
            if length > MAX_PAYLOAD_BYTES:
                reply = failure_answer(agent, "bastion: the hook payload is too large; denied")
            else:
                raw = await asyncio.wait_for(reader.readexactly(length), READ_TIMEOUT_S)
                result = answer(agent, raw, state.policies, cwd)
                reply = (result.stdout, result.exit_code, result.stderr)
            state.served += 1
            writer.write(encode_reply(*reply))
        elif verb == b"STATUS":
            writer.write(encode_reply(json.dumps(state.status()).encode(), 0, b""))
        elif verb == b"STOP":
            writer.write(encode_reply(b"stopping\n", 0, b""))
            state.stop.set()
        await writer.drain()
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass  # the client gave up or sent garbage: it falls back to judging in-process
    except (ValueError, UnicodeError, ConnectionError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _idle_watch(state: DaemonState) -> None:
    step = max(0.05, min(state.idle_exit_s / 4, 2.0))
    socket_path = os.path.join(state.directory, SOCKET_NAME)
    while not state.stop.is_set():
        await asyncio.sleep(step)
        if time.monotonic() - state.last_request >= state.idle_exit_s:
            state.stop.set()
        elif not os.path.exists(socket_path):
            state.stop.set()  # its socket was removed: no hook can reach it any more


async def _serve(state: DaemonState, path: str) -> None:
    server = await asyncio.start_unix_server(
        lambda r, w: _handle(state, r, w), path=path, limit=1 << 16
    )
    os.chmod(path, 0o600)
    # Build the policy for directories without project config now: hooks that connect
    # meanwhile wait in the backlog for a fraction of what judging in-process would cost.
    with contextlib.suppress(Exception):
        state.policies.guard_for(os.path.expanduser("~"))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, state.stop.set)  # clean up the socket on the way out
    watcher = asyncio.create_task(_idle_watch(state))
    async with server:
        await state.stop.wait()
    watcher.cancel()


def _idle_exit_s() -> float:
    override = os.environ.get("BASTION_DAEMON_IDLE_S")
    if override:
        return float(override)
    try:
        value = load_config(include_project=False).value("daemon.idle_exit_s")
    except Exception:  # a broken user config: hooks will report it; the daemon still serves
        value = 900
    return float(value) if isinstance(value, int) else 900.0


def serve() -> int:
    # Whoever starts a daemon made the directory; if it is gone by now, nobody wants one.
    directory, why = secure_runtime_dir(create=False)
    if directory is None:
        print(f"bastion daemon: {why}", file=sys.stderr)
        return 1
    lock: IO[str] = open(os.path.join(directory, LOCK_NAME), "a+")  # noqa: SIM115 - held for life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another daemon is serving (or starting): nothing to do
    path = os.path.join(directory, SOCKET_NAME)
    pid_path = os.path.join(directory, PID_NAME)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # stale: we hold the lock, so no live daemon owns it
    state = DaemonState(directory, _idle_exit_s())
    with open(pid_path, "w") as handle:
        handle.write(f"{os.getpid()}\n")
    print(f"bastion daemon {os.getpid()} serving on {path}", file=sys.stderr, flush=True)
    try:
        asyncio.run(_serve(state, path))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pid_path)
        lock.close()
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["serve"]:
        return serve()
    print("usage: python -m bastion.hooks.daemon serve", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
