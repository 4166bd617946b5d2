"""What kind of destination an address or a name is: public, or one of the places an SSRF aims.

`classify` looks at an address (after `hosts.normalise_host`), including the IPv4 address an
IPv6 one carries through a translator or tunnel (mapped, compatible, NAT64, 6to4, Teredo): the
worse class wins. `classify_name` knows names that mean a non-public place whatever DNS says
(`localhost`, `*.localhost`, cloud metadata names, `*.internal`, wildcard-DNS services such as
`127.0.0.1.nip.io`), so they are judged without a lookup.

The explicit lists come first because Python's `is_global` and `is_private` vary between
patch releases and miss some ranges (fec0::/10 counts as global on 3.11).
"""

from __future__ import annotations

import enum
import ipaddress

from bastion.network.hosts import HostError, IPAddress, embedded_ipv4, parse_ipv4


class AddressClass(enum.IntEnum):
    """Ordered from harmless to worst, so the worse of two is max()."""

    PUBLIC = 0
    RESERVED = 1
    """Documentation, benchmarking, future-use and other ranges no public host lives in."""
    MULTICAST = 2
    BROADCAST = 3
    SHARED = 4
    """100.64.0.0/10, carrier-grade NAT: the provider's network, not the internet."""
    PRIVATE = 5
    """RFC 1918, unique-local fc00::/7, site-local fec0::/10, private-by-convention names."""
    LINK_LOCAL = 6
    UNSPECIFIED = 7
    """0.0.0.0/8 and ::, which a connect() on Linux sends to this machine."""
    LOOPBACK = 8
    METADATA = 9
    """A cloud instance metadata service: credentials for the machine's cloud identity."""

    def __str__(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    AddressClass.PUBLIC: "a public address",
    AddressClass.RESERVED: "a reserved or documentation address",
    AddressClass.MULTICAST: "a multicast address",
    AddressClass.BROADCAST: "the broadcast address",
    AddressClass.SHARED: "a carrier-grade NAT address (100.64.0.0/10)",
    AddressClass.PRIVATE: "a private network address",
    AddressClass.LINK_LOCAL: "a link-local address",
    AddressClass.UNSPECIFIED: "the unspecified address (this machine)",
    AddressClass.LOOPBACK: "a loopback address (this machine)",
    AddressClass.METADATA: "a cloud metadata endpoint",
}

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Hetzner, ...
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS pod identity
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (legacy)
        "168.63.129.16",  # Azure WireServer (a public address, host-only service)
    )
)
METADATA_NAMES = frozenset(
    {
        "metadata", "metadata.google.internal", "metadata.goog", "instance-data",
        "instance-data.ec2.internal", "metadata.tencentyun.com", "metadata.packet.net",
        "metadata.platformequinix.com",
    }
)  # fmt: skip

_V4_RANGES: tuple[tuple[ipaddress.IPv4Network, AddressClass], ...] = tuple(
    (ipaddress.IPv4Network(net), cls)
    for net, cls in (
        ("0.0.0.0/8", AddressClass.UNSPECIFIED),
        ("127.0.0.0/8", AddressClass.LOOPBACK),
        ("169.254.0.0/16", AddressClass.LINK_LOCAL),
        ("10.0.0.0/8", AddressClass.PRIVATE),
        ("172.16.0.0/12", AddressClass.PRIVATE),
        ("192.168.0.0/16", AddressClass.PRIVATE),
        ("100.64.0.0/10", AddressClass.SHARED),
        ("255.255.255.255/32", AddressClass.BROADCAST),
        ("224.0.0.0/4", AddressClass.MULTICAST),
        ("240.0.0.0/4", AddressClass.RESERVED),
        ("192.0.0.0/24", AddressClass.RESERVED),
        ("192.0.2.0/24", AddressClass.RESERVED),
        ("198.51.100.0/24", AddressClass.RESERVED),
        ("203.0.113.0/24", AddressClass.RESERVED),
        ("198.18.0.0/15", AddressClass.RESERVED),
        ("192.88.99.0/24", AddressClass.RESERVED),
    )
)
_V6_RANGES: tuple[tuple[ipaddress.IPv6Network, AddressClass], ...] = tuple(
    (ipaddress.IPv6Network(net), cls)
    for net, cls in (
        ("::/128", AddressClass.UNSPECIFIED),
        ("::1/128", AddressClass.LOOPBACK),
        ("fe80::/10", AddressClass.LINK_LOCAL),
        ("fc00::/7", AddressClass.PRIVATE),
        ("fec0::/10", AddressClass.PRIVATE),
        ("ff00::/8", AddressClass.MULTICAST),
        ("2001:db8::/32", AddressClass.RESERVED),
        ("3fff::/20", AddressClass.RESERVED),  # documentation (RFC 9637)
        ("100::/64", AddressClass.RESERVED),  # discard
        ("64:ff9b:1::/48", AddressClass.PRIVATE),  # local-use NAT64 (RFC 8215)
    )
)
# Prefixes whose meaning is the IPv4 address inside: judged by that address alone.
_TRANSLATED = tuple(
    ipaddress.IPv6Network(n)
    for n in ("::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "2002::/16", "2001::/32")
)
_COMPATIBLE = ipaddress.IPv6Network("::/96")


def classify(address: IPAddress) -> AddressClass:
    if address in METADATA_ADDRESSES:
        return AddressClass.METADATA
    if isinstance(address, ipaddress.IPv4Address):
        return _classify_v4(address)
    found = _classify_v6(address)
    inner = embedded_ipv4(address)
    if inner:
        worst = max(_classify_v4(v4) if v4 not in METADATA_ADDRESSES else AddressClass.METADATA
                    for v4 in inner)  # fmt: skip
        if any(address in net for net in _TRANSLATED):
            return worst
        if address in _COMPATIBLE:  # deprecated ::a.b.c.d: never a public destination
            return max(worst, AddressClass.RESERVED)
        return max(found, worst)
    return found


def _classify_v4(address: ipaddress.IPv4Address) -> AddressClass:
    for net, cls in _V4_RANGES:
        if address in net:
            return cls
    return AddressClass.PUBLIC if address.is_global else AddressClass.RESERVED


def _classify_v6(address: ipaddress.IPv6Address) -> AddressClass:
    for net, cls in _V6_RANGES:
        if address in net:
            return cls
    return AddressClass.PUBLIC if address.is_global else AddressClass.RESERVED


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_PRIVATE_SUFFIXES = (".local", ".internal", ".home.arpa", ".lan", ".localdomain", ".intranet")
# Public wildcard-DNS services: NAME.nip.io resolves to the address spelled in NAME.
_WILDCARD_DNS = ("nip.io", "sslip.io", "xip.io", "traefik.me", "local.gd")
_LOOPBACK_SERVICES = ("localtest.me", "lvh.me", "vcap.me")


def classify_name(name: str) -> AddressClass | None:
    """The class a (normalised) name has whatever DNS answers, or None for an ordinary name."""
    if name in METADATA_NAMES:
        return AddressClass.METADATA
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return AddressClass.LOOPBACK  # RFC 6761: always this machine
    for service in _LOOPBACK_SERVICES:
        if name == service or name.endswith("." + service):
            return AddressClass.LOOPBACK
    for service in _WILDCARD_DNS:
        if name.endswith("." + service):
            embedded = _wildcard_address(name[: -len(service) - 1])
            if embedded is not None:
                return classify(embedded)
    if name.endswith(_PRIVATE_SUFFIXES):
        return AddressClass.PRIVATE
    return None


def _wildcard_address(prefix: str) -> IPAddress | None:
    """`10.0.0.1`, `app.10.0.0.1`, `app-10-0-0-1`, `0a000001` (nip.io / sslip.io spellings)."""
    labels = prefix.split(".")
    candidates = [".".join(labels[-4:]), labels[-1].replace("-", ".")]
    candidates.append(".".join(labels[-1].split("-")[-4:]))
    if len(labels[-1]) == 8:
        candidates.append("0x" + labels[-1])
    if "--" in labels[-1]:  # sslip.io writes IPv6 with dashes
        candidates.append(labels[-1].replace("--", "::").replace("-", ":"))
    for candidate in candidates:
        try:
            if ":" in candidate:
                return ipaddress.IPv6Address(candidate)
            found = parse_ipv4(candidate)
        except (HostError, ValueError):
            continue
        if found is not None and (candidate.count(".") == 3 or candidate.startswith("0x")):
            return found
    return None
