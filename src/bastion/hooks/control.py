"""`bastion daemon start|stop|status`: talk to the daemon over its socket."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from dataclasses import dataclass
from typing import Any

from bastion.hooks.daemon import PID_NAME
from bastion.hooks.shim import (
    PROTOCOL,
    SOCKET_NAME,
    decode_reply,
    secure_runtime_dir,
    start_daemon,
)

START_TIMEOUT_S = 10.0


class DaemonError(Exception):
    """The daemon could not be reached, started or stopped; the message says why."""


@dataclass(frozen=True)
class DaemonStatus:
    running: bool
    detail: dict[str, Any]


def _runtime_dir() -> str:
    directory, why = secure_runtime_dir()
    if directory is None:
        raise DaemonError(f"the runtime directory is unusable: {why}")
    return directory


def _request(directory: str, verb: bytes, timeout: float = 5.0) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(os.path.join(directory, SOCKET_NAME))
        sock.sendall(PROTOCOL + b" " + verb + b"\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                raise DaemonError("the daemon closed the connection without answering")
            data += chunk
            reply = decode_reply(data)
            if reply is not None:
                return reply[0]


def status() -> DaemonStatus:
    directory = _runtime_dir()
    try:
        detail: dict[str, Any] = json.loads(_request(directory, b"STATUS"))
    except (OSError, ValueError):
        return DaemonStatus(False, {"socket": os.path.join(directory, SOCKET_NAME)})
    return DaemonStatus(True, detail)


def start() -> DaemonStatus:
    current = status()
    if current.running:
        return current
    directory = _runtime_dir()
    start_daemon(directory)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        time.sleep(0.05)
        current = status()
        if current.running:
            return current
    log = os.path.join(directory, "daemon.log")
    raise DaemonError(f"the daemon did not come up within {START_TIMEOUT_S:.0f} s (see {log})")


def stop() -> bool:
    """True if a daemon was running and has stopped."""
    directory = _runtime_dir()
    try:
        _request(directory, b"STOP")
    except (OSError, DaemonError):
        return _kill_stale(directory)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not os.path.exists(os.path.join(directory, SOCKET_NAME)):
            return True
        time.sleep(0.05)
    raise DaemonError("the daemon acknowledged stop but its socket is still there")


def _kill_stale(directory: str) -> bool:
    """A daemon that holds its pid file but does not answer: terminate it."""
    try:
        with open(os.path.join(directory, PID_NAME)) as handle:
            pid = int(handle.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as handle:  # not some process that reused the pid
            if b"bastion.hooks.daemon" not in handle.read():
                return False
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return False
    return True
