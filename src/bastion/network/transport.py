"""An httpx transport that only reaches what the network policy allows, pinned against rebinding.

Checking a URL and then handing it to an HTTP library is not enough: the library resolves the
name again, and a DNS answer that changes in between (rebinding) reaches the internal host the
check refused (measured: reference/platform.md section 5). So the check lives where the
connection is made, in an httpcore network backend:

1. httpcore asks the backend for a TCP connection to (host, port) for every new connection:
   the first request, each redirect hop, each reconnect.
2. The backend judges the host in FETCH mode with resolution forced on: the Resolver runs once,
   and EVERY address must pass (one private answer refuses the host).
3. It connects to a checked address (not to the name: no second lookup), and compares the
   socket's peer address with it before any byte is sent.
4. TLS still uses the host name for SNI and certificate checks: httpcore passes
   `server_hostname` separately, and the Host header comes from the URL.

Redirects are httpx's own (`follow_redirects=True`, capped by `max_redirects`): each hop is a
new request through this transport, so each is checked as above. `pinned_client` builds a
client with `trust_env=False`, so *_PROXY variables cannot route around the transport.
"""

from __future__ import annotations

import ipaddress
import ssl
import typing
from dataclasses import replace

import httpcore
import httpx

from bastion.network.hosts import HostError, parse_host
from bastion.network.interface import Resolver
from bastion.network.judge import Mode, Refusal, judge
from bastion.network.policy import NetworkPolicy
from bastion.network.resolvers import SystemResolver

MAX_REDIRECTS = 5
_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=5)
_SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class EgressRefused(httpx.ConnectError):
    """The policy refused a destination; `refusals` say which rule and why."""

    def __init__(self, message: str, refusals: tuple[Refusal, ...] = ()) -> None:
        super().__init__(message)
        self.refusals = refusals


class _Refused(httpcore.ConnectError):
    def __init__(self, message: str, refusals: tuple[Refusal, ...] = ()) -> None:
        super().__init__(message)
        self.refusals = refusals


class PinnedBackend(httpcore.NetworkBackend):
    """Resolves, checks, connects to the checked address, and verifies the peer."""

    def __init__(
        self,
        policy: NetworkPolicy,
        resolver: Resolver,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        # The transport must know the addresses it connects to, whatever `resolve` says.
        self.policy = replace(policy, resolve=True)
        self.resolver = resolver
        self.inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[_SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            ref = parse_host(host, tool="httpx", scheme="", port=port)
        except HostError as exc:
            raise _Refused(f"refused {host!r}: {exc}") from exc
        ref = replace(ref, port=port)
        judgement = judge(ref, self.policy, Mode.FETCH, self.resolver)
        if judgement.refusals:
            reasons = "; ".join(f"{r.rule_id}: {r.message}" for r in judgement.refusals)
            raise _Refused(f"refused {ref}: {reasons}", judgement.refusals)
        if not judgement.addresses:
            raise _Refused(f"refused {ref}: no checked address to connect to")
        error: Exception | None = None
        for address in judgement.addresses:
            try:
                stream = self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            _check_peer(stream, address)
            return stream
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[_SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        raise _Refused(f"refused unix socket {path}: the egress transport only connects TCP")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _check_peer(stream: httpcore.NetworkStream, expected: ipaddress._BaseAddress) -> None:
    sock = stream.get_extra_info("socket")
    peer = sock.getpeername()[0] if sock is not None else None
    if peer is None or ipaddress.ip_address(str(peer).split("%", 1)[0]) != expected:
        stream.close()
        raise _Refused(f"connected to {peer}, not the checked address {expected}")


class PinnedTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport` whose every connection goes through `PinnedBackend`."""

    def __init__(
        self,
        policy: NetworkPolicy | None = None,
        resolver: Resolver | None = None,
        *,
        verify: ssl.SSLContext | str | bool = True,
        limits: httpx.Limits = _LIMITS,
        http2: bool = False,
        retries: int = 0,
    ) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits, http2=http2)
        policy = policy or NetworkPolicy()
        resolver = resolver or SystemResolver(policy.resolve_timeout_ms / 1000)
        self.backend = PinnedBackend(policy, resolver)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            retries=retries,
            network_backend=self.backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise EgressRefused(f"refused {request.url.scheme}:// (only http and https)")
        try:
            return super().handle_request(request)
        except httpx.ConnectError as exc:
            cause = exc.__cause__
            if isinstance(cause, _Refused):
                raise EgressRefused(str(cause), cause.refusals) from cause
            raise


def pinned_client(
    policy: NetworkPolicy | None = None,
    resolver: Resolver | None = None,
    *,
    max_redirects: int = MAX_REDIRECTS,
    **kwargs: typing.Any,
) -> httpx.Client:
    """An httpx.Client that follows redirects through `PinnedTransport` and ignores proxy
    variables from the environment."""
    return httpx.Client(
        transport=PinnedTransport(policy, resolver),
        trust_env=False,
        follow_redirects=True,
        max_redirects=max_redirects,
        **kwargs,
    )
