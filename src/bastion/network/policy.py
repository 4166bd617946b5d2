"""The `[network]` policy: which hosts may be contacted, and which private addresses a fetch may
reach.

Domain lists (`allowed_domains`, `denied_domains`):
- `example.com` matches that name only; `*.example.com` matches every name below it, at any
  depth, but NOT `example.com` itself (as in TLS certificates: write both to mean both). An
  address literal (`10.1.2.3`, `::1`) matches that address however the URL spells it.
- Entries are normalised like hosts (case, IDNA, trailing dot), so `Bücher.example.` and
  `xn--bcher-kva.example` are one entry.
- The deny list is checked first; an empty allow list means "any public host".
- An allow-list entry does not make a private address reachable for a fetch tool (that would
  let a DNS answer for an allowed name turn it into an SSRF); `allowed_addresses` does.

`allowed_addresses`: networks a fetch may reach although they are not public, each optionally
limited to one port: `127.0.0.1:8080`, `10.0.0.0/8`, `[::1]:3000`, `[fd00::/8]:443`. Cloud
metadata endpoints are never reachable, whatever this list says.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from bastion.config import Config
from bastion.config.errors import ConfigError
from bastion.network.hosts import HostError, IPAddress, normalise_host

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_RESOLVE_TIMEOUT_MS = 300


@dataclass(frozen=True)
class DomainPattern:
    text: str
    """As written in the config."""
    name: str
    """Normalised; for a wildcard, the part after `*.`."""
    wildcard: bool = False

    @classmethod
    def parse(cls, text: str) -> DomainPattern:
        wildcard = text.startswith("*.")
        body = text[2:] if wildcard else text
        try:
            name, _ = normalise_host(body)
        except HostError as exc:
            raise ValueError(f"{text!r} is not a domain pattern: {exc}") from exc
        if "*" in body or (wildcard and ":" in name):
            raise ValueError(f"{text!r}: '*' may only start a pattern, as in *.example.com")
        return cls(text, name, wildcard)

    def matches(self, host: str) -> bool:
        if self.wildcard:
            return host.endswith("." + self.name)
        return host == self.name


@dataclass(frozen=True)
class AddressGrant:
    network: IPNetwork
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> AddressGrant:
        try:
            if text.startswith("[") and "]" in text:
                inside, _, rest = text[1:].partition("]")
                port = _grant_port(rest[1:], text) if rest.startswith(":") else None
                if rest and not rest.startswith(":"):
                    raise ValueError("text after ']'")
                network: IPNetwork = ipaddress.IPv6Network(inside, strict=False)
            elif text.count(":") == 1:
                host, port_text = text.split(":")
                network, port = (
                    ipaddress.IPv4Network(host, strict=False),
                    _grant_port(port_text, text),
                )
            else:
                network, port = ipaddress.ip_network(text, strict=False), None
        except ValueError as exc:
            raise ValueError(
                f"{text!r} is not an address grant (write 127.0.0.1:8080, 10.0.0.0/8, "
                f"[::1]:3000): {exc}"
            ) from exc
        return cls(network, port)

    def matches(self, address: IPAddress, port: int | None) -> bool:
        return address in self.network and (self.port is None or self.port == port)


def _grant_port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 65535:
        raise ValueError(f"bad port in {whole!r}")
    return int(text)


@dataclass(frozen=True)
class NetworkPolicy:
    allowed_domains: tuple[DomainPattern, ...] = ()
    denied_domains: tuple[DomainPattern, ...] = ()
    allowed_addresses: tuple[AddressGrant, ...] = ()
    resolve: bool = True
    """Resolve names in fetch calls and check every address (shell commands are judged by
    name: the command resolves again itself, so a check there proves nothing)."""
    resolve_timeout_ms: int = DEFAULT_RESOLVE_TIMEOUT_MS

    @classmethod
    def build(
        cls,
        allowed_domains: Iterable[str] = (),
        denied_domains: Iterable[str] = (),
        allowed_addresses: Iterable[str] = (),
        *,
        resolve: bool = True,
        resolve_timeout_ms: int = DEFAULT_RESOLVE_TIMEOUT_MS,
    ) -> NetworkPolicy:
        """From config-style strings; raises ValueError naming the bad entry."""
        return cls(
            tuple(DomainPattern.parse(t) for t in allowed_domains),
            tuple(DomainPattern.parse(t) for t in denied_domains),
            tuple(AddressGrant.parse(t) for t in allowed_addresses),
            resolve,
            resolve_timeout_ms,
        )

    @classmethod
    def from_config(cls, config: Config) -> NetworkPolicy:
        def strings(key: str) -> tuple[str, ...]:
            return config.strings(f"network.{key}")

        resolve = config.value("network.resolve")
        timeout = config.value("network.resolve_timeout_ms")
        assert isinstance(resolve, bool) and isinstance(timeout, int)
        try:
            return cls.build(
                strings("allowed_domains"),
                strings("denied_domains"),
                strings("allowed_addresses"),
                resolve=resolve,
                resolve_timeout_ms=timeout,
            )
        except ValueError as exc:
            raise ConfigError(f"[network]: {exc}") from exc

    def denied_by(self, host: str) -> DomainPattern | None:
        return next((p for p in self.denied_domains if p.matches(host)), None)

    def allows_domain(self, host: str) -> bool:
        return not self.allowed_domains or any(p.matches(host) for p in self.allowed_domains)

    def grants(self, address: IPAddress, port: int | None) -> bool:
        return any(g.matches(address, port) for g in self.allowed_addresses)
