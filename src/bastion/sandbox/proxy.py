"""bastion's egress proxy: HTTP CONNECT tunnels and plain-HTTP forwarding for allowed names.

A sandboxed command with proxied network sees only this proxy. Each request names a host;
the host must be on the profile's `allowed_domains` and pass the SSRF judge in FETCH mode
(metadata endpoints and private addresses refused unless `[network] allowed_addresses` grants
them). The proxy resolves the name once, checks every address, and connects to a checked
address itself, so DNS rebinding between check and connect is impossible. A refusal is an
HTTP 403 whose status line and body say why.

It listens on a Unix socket (reached through the launcher's forwarder inside a network
namespace) and, for runs without one, on an ephemeral 127.0.0.1 port.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass

from bastion.network.hosts import HostError, HostRef, normalise_host, split_host_port
from bastion.network.interface import Resolver
from bastion.network.judge import Mode, judge
from bastion.network.policy import NetworkPolicy
from bastion.network.resolvers import SystemResolver
from bastion.sandbox.events import ConnectionEvent, EventSink, discard

MAX_HEAD_BYTES = 65536
HEAD_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Request:
    method: str
    ref: HostRef
    head: bytes
    """What to send upstream first ("" for a tunnel)."""
    rest: bytes
    """Bytes the client sent after the head."""


class EgressProxy:
    def __init__(
        self,
        policy: NetworkPolicy,
        resolver: Resolver | None = None,
        events: EventSink = discard,
    ):
        self.policy = policy
        self.resolver = resolver or SystemResolver(
            timeout_s=max(policy.resolve_timeout_ms, 2000) / 1000
        )
        self.events = events
        self._dir = tempfile.mkdtemp(prefix="bastion-proxy-")
        self.unix_path = os.path.join(self._dir, "proxy.sock")
        self._unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._unix.bind(self.unix_path)
        self._unix.listen(64)
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.bind(("127.0.0.1", 0))
        self._tcp.listen(64)
        self.port = int(self._tcp.getsockname()[1])
        self._closed = False

    def start(self) -> EgressProxy:
        for listener in (self._unix, self._tcp):
            threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def close(self) -> None:
        self._closed = True
        for listener in (self._unix, self._tcp):
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        try:
            os.unlink(self.unix_path)
            os.rmdir(self._dir)
        except OSError:
            pass

    def _accept(self, listener: socket.socket) -> None:
        while not self._closed:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            conn.settimeout(HEAD_TIMEOUT_S)
            request = _read_request(conn)
            upstream = self._open(request)
            conn.settimeout(None)
            if request.method == "CONNECT":
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                upstream.sendall(request.head)
            if request.rest:
                upstream.sendall(request.rest)
            _splice(conn, upstream)
        except Refused as exc:
            _refuse(conn, exc)
        except OSError:
            pass
        finally:
            if upstream is not None:
                upstream.close()
            conn.close()

    def _open(self, request: Request) -> socket.socket:
        ref = request.ref
        port = ref.port or 0
        try:
            address = self._check(ref)
        except Refused as exc:
            self.events(ConnectionEvent(ref.host, port, request.method, False, exc.message))
            raise
        try:
            upstream = socket.create_connection((address, port), timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            message = f"bastion proxy: cannot connect to {ref.host}:{port} ({exc.strerror or exc})"
            self.events(ConnectionEvent(ref.host, port, request.method, False, message, address))
            raise Refused(502, message) from exc
        upstream.settimeout(None)
        self.events(ConnectionEvent(ref.host, port, request.method, True, "", address))
        return upstream

    def _check(self, ref: HostRef) -> str:
        literal = ref.address
        granted = literal is not None and self.policy.grants(literal, ref.port)
        if not self.policy.allowed_domains and not granted:
            raise Refused(403, f"bastion sandbox: {ref.host} refused: no domains are allowed "
                          "(add it to [sandbox] allowed_domains)")  # fmt: skip
        verdict = judge(ref, self.policy, Mode.FETCH, self.resolver)
        if not verdict.allowed:
            reason = verdict.refusals[0].message
            raise Refused(403, f"bastion sandbox: {ref.host} refused: {reason}")
        if not verdict.addresses:
            raise Refused(403, f"bastion sandbox: {ref.host} refused: it could not be resolved")
        return str(verdict.addresses[0])


def _read_request(conn: socket.socket) -> Request:
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD_BYTES:
            raise Refused(431, "bastion proxy: request head too large")
        chunk = conn.recv(8192)
        if not chunk:
            raise OSError("client closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise Refused(400, "bastion proxy: malformed request line")
    method, target, version = parts
    try:
        if method == "CONNECT":
            host_text, port = split_host_port(target)
            host, _ = normalise_host(host_text)
            if port is None:
                raise Refused(400, "bastion proxy: CONNECT needs host:port")
            return Request(method, HostRef(host, port, "https", target, "sandbox"), b"", rest)
        url = urllib.parse.urlsplit(target)
        if url.scheme != "http" or not url.hostname:
            raise Refused(400, "bastion proxy: only absolute http:// URLs and CONNECT are proxied")
        host, _ = normalise_host(url.hostname)
        port = url.port or 80
    except (HostError, ValueError) as exc:
        raise Refused(400, f"bastion proxy: bad target {target[:200]!r}: {exc}") from exc
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    kept = [h for h in lines[1:] if not h.lower().startswith(("proxy-", "connection:"))]
    first = f"{method} {path} {version}"
    upstream_head = "\r\n".join([first, *kept, "Connection: close", "", ""]).encode("latin-1")
    return Request(method, HostRef(host, port, "http", target, "sandbox"), upstream_head, rest)


def _refuse(conn: socket.socket, exc: Refused) -> None:
    reason = exc.message.replace("\r", " ").replace("\n", " ")
    body = (exc.message + "\n").encode()
    head = (
        f"HTTP/1.1 {exc.status} {reason[:300]}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        conn.sendall(head.encode("utf-8", "replace") + body)


def _splice(a: socket.socket, b: socket.socket) -> None:
    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    back = threading.Thread(target=pump, args=(b, a), daemon=True)
    back.start()
    pump(a, b)
    back.join()
