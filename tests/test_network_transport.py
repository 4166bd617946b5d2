"""The pinned httpx transport against real servers on loopback addresses started by the test."""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bastion.network import NetworkPolicy, StaticResolver
from bastion.network.hosts import IPAddress
from bastion.network.interface import Resolver
from bastion.network.transport import EgressRefused, pinned_client


class Server:
    def __init__(self, host: str, port: int = 0, redirect: str = "") -> None:
        self.hits: list[tuple[str, str | None]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits.append((self.path, self.headers.get("Host")))
                if redirect:
                    self.send_response(302)
                    self.send_header("Location", redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = f"hello from {host}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def server(host: str = "127.0.0.1", port: int = 0, redirect: str = "") -> Iterator[Server]:
    started = Server(host, port, redirect)
    try:
        yield started
    finally:
        started.close()


def allowing(*grants: str) -> NetworkPolicy:
    return NetworkPolicy.build(allowed_addresses=grants)


def test_loopback_is_refused_by_the_default_policy() -> None:
    with server() as target, pinned_client(NetworkPolicy(), StaticResolver({})) as client:
        for url in (f"http://127.0.0.1:{target.port}/", f"http://0x7f.1:{target.port}/",
                    f"http://localhost:{target.port}/"):  # fmt: skip
            with pytest.raises(EgressRefused) as refused:
                client.get(url)
            assert refused.value.refusals, url
        assert target.hits == []


def test_an_allowed_port_is_reached_and_a_redirect_to_a_forbidden_one_is_not() -> None:
    with server() as internal, server(redirect=f"http://127.0.0.1:{internal.port}/secret") as hop:
        client = pinned_client(allowing(f"127.0.0.1:{hop.port}"), StaticResolver({}))
        with client, pytest.raises(EgressRefused):
            client.get(f"http://127.0.0.1:{hop.port}/start")
        assert hop.hits == [("/start", f"127.0.0.1:{hop.port}")]
        assert internal.hits == []
        # The same client reaches the internal server once its port is granted.
        policy = allowing(f"127.0.0.1:{hop.port}", f"127.0.0.1:{internal.port}")
        with pinned_client(policy, StaticResolver({})) as client:
            response = client.get(f"http://127.0.0.1:{hop.port}/start")
        assert response.status_code == 200
        assert internal.hits == [("/secret", f"127.0.0.1:{internal.port}")]


def test_a_redirect_to_metadata_is_refused_before_connecting() -> None:
    with server(redirect="http://169.254.169.254/latest/meta-data/") as hop:
        client = pinned_client(allowing(f"127.0.0.1:{hop.port}"), StaticResolver({}))
        with client, pytest.raises(EgressRefused) as refused:
            client.get(f"http://127.0.0.1:{hop.port}/")
    assert [r.rule_id for r in refused.value.refusals] == ["network.metadata"]


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    resolver = StaticResolver({"internal.test": ["10.0.0.7"], "mixed.test": ["8.8.8.8", "::1"]})
    with pinned_client(NetworkPolicy(), resolver) as client:
        for name in ("internal.test", "mixed.test"):
            with pytest.raises(EgressRefused) as refused:
                client.get(f"http://{name}/")
            assert [r.rule_id for r in refused.value.refusals] == ["network.private-address"]
    client = pinned_client(NetworkPolicy(), StaticResolver({}))
    with client, pytest.raises(EgressRefused, match="unresolved"):
        client.get("http://nowhere.test/")


class Rebinding(Resolver):
    """First answer a granted address, every later one the internal address."""

    def __init__(self, first: str, later: str) -> None:
        self.answers = [ipaddress.ip_address(first), ipaddress.ip_address(later)]
        self.lookups = 0

    def resolve(self, name: str) -> tuple[IPAddress, ...]:
        self.lookups += 1
        return (self.answers[min(self.lookups, 2) - 1],)


def _twin_servers() -> tuple[Server, Server]:
    """Servers on 127.0.0.2 and 127.0.0.1 sharing one port (retrying if it is taken)."""
    for _ in range(50):
        pinned = Server("127.0.0.2")
        try:
            return pinned, Server("127.0.0.1", pinned.port)
        except OSError:
            pinned.close()
    raise AssertionError("no port free on both 127.0.0.1 and 127.0.0.2")


def test_the_connection_goes_to_the_pinned_address() -> None:
    pinned, internal_server = _twin_servers()
    with contextlib.closing(pinned):
        try:
            resolver = Rebinding("127.0.0.2", "127.0.0.1")
            policy = allowing(f"127.0.0.2:{pinned.port}")
            url = f"http://svc.test:{pinned.port}/page"
            with pinned_client(policy, resolver) as client:
                with client.stream("GET", url) as response:
                    peer = response.extensions["network_stream"].get_extra_info("server_addr")
                    body = response.read()
                assert resolver.lookups == 1
                # http.server speaks HTTP/1.0, so the next request is a new connection: the
                # name is looked up again, answers the internal address, and is refused.
                with pytest.raises(EgressRefused):
                    client.get(url)
            assert peer == ("127.0.0.2", pinned.port)
            assert body == b"hello from 127.0.0.2"
            # The name, not the address, is what the server was asked for (Host / SNI).
            assert pinned.hits == [("/page", f"svc.test:{pinned.port}")]
            assert resolver.lookups == 2
            assert internal_server.hits == []
        finally:
            internal_server.close()


def test_proxy_variables_cannot_route_around_the_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with server() as target:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{target.port}")
        monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{target.port}")
        resolver = StaticResolver({"site.test": ["127.0.0.1"]})
        with pinned_client(NetworkPolicy(), resolver) as client, pytest.raises(EgressRefused):
            client.get("http://site.test/")
        assert target.hits == []
