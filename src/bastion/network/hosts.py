"""Read a URL or host string the way network clients do, and normalise the host.

Clients disagree on the edges, and SSRF tricks live on those edges, so a URL is read in every
way a common client reads it and each reading's host is judged (`url_hosts`):

- WHATWG (browsers, many fetch tools): the authority ends at `/ ? #`, and for the special
  schemes at `\\` too; userinfo ends at the LAST `@`.
- RFC 3986 (curl, Python's urllib, Go): a `\\` is an ordinary character, so
  `http://good.com\\@169.254.169.254/` has the host 169.254.169.254 there.

Hosts are normalised as resolvers see them: percent-decoding, NFKC (fullwidth digits and dots),
IDNA to ASCII (the stdlib IDNA 2003 codec), lower case, one trailing dot dropped, IPv6 brackets
and zone ids removed, and IPv4 in every spelling inet_aton and the WHATWG parser accept
(`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) turned into the address it stands for.
"""

from __future__ import annotations

import ipaddress
import unicodedata
import urllib.parse
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_CHARS = 8192
"""Longer input is not read (the caller refuses it: no client needs such a URL to fetch)."""

DEFAULT_PORTS = {
    "http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "ftps": 990, "ssh": 22,
    "sftp": 22, "scp": 22, "git": 9418, "rsync": 873, "telnet": 23, "gopher": 70, "dict": 2628,
    "ldap": 389, "ldaps": 636, "tftp": 69, "smb": 445,
}  # fmt: skip
SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
"""The WHATWG special schemes, where `\\` ends the authority like `/`."""

# The upper 96 bits of IPv6 prefixes that carry an IPv4 address in the low 32 bits.
_V4_CARRIERS = frozenset({0xFFFF0000, 0x0064FF9B << 64})  # SIIT ::ffff:0:0/96, NAT64 64:ff9b::/96
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_FORBIDDEN_HOST_CHARS = frozenset(" \t\n\r#/:<>?@[\\]^|%\"'`{}")


class HostError(ValueError):
    """The text is not a host any client would connect to."""


@dataclass(frozen=True)
class HostRef:
    """A host something contacts: `host` is a lower-case ASCII name or a canonical address."""

    host: str
    port: int | None = None
    scheme: str = ""
    source: str = ""
    """The URL or word it was read from, as written."""
    tool: str = ""
    """The command or tool that contacts it (`curl`, `git`, `WebFetch`)."""
    spelled: str = ""
    """The host as written, when that differs from `host` only by a numeric spelling trick."""

    @property
    def address(self) -> IPAddress | None:
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None

    @property
    def obfuscated(self) -> bool:
        """An address written in a form no one types by hand (`0x7f.1`, `2130706433`)."""
        return bool(self.spelled)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port is not None else host


def parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """IPv4 in every spelling inet_aton and WHATWG accept; None when `text` is not numeric.

    Raises HostError for text that ends in a number but is no valid address (`1.2.3.999`):
    WHATWG refuses such a host, and a resolver must never be asked to guess."""
    parts = text.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not parts or not all(parts):
        return None
    values: list[int] = []
    for part in parts:
        value = _ipv4_number(part)
        if value is None:
            if _ipv4_number(parts[-1]) is not None:
                raise HostError(f"{text!r} ends in a number but is not an IPv4 address")
            return None
        values.append(value)
    if len(values) > 4 or any(v > 255 for v in values[:-1]):
        raise HostError(f"{text!r} is not a valid IPv4 address")
    if values[-1] >= 256 ** (5 - len(values)):
        raise HostError(f"{text!r} is not a valid IPv4 address")
    number = values[-1]
    for index, value in enumerate(values[:-1]):
        number += value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def _ipv4_number(part: str) -> int | None:
    base, digits = 10, part
    if part[:2] in ("0x", "0X"):
        base, digits = 16, part[2:]
        if not digits:
            return 0  # WHATWG reads a bare "0x" as zero
    elif len(part) > 1 and part[0] == "0":
        base, digits = 8, part[1:]
    allowed = "0123456789abcdefABCDEF"[: 16 if base == 16 else base]
    if not digits or not all(c in allowed for c in digits) or len(digits) > 32:
        return None
    return int(digits, base)


def normalise_host(text: str) -> tuple[str, str]:
    """(canonical host, the numeric spelling if it was not canonical, else "").

    Raises HostError when no client would accept the host."""
    if not text:
        raise HostError("empty host")
    if ":" in text:  # [v6] in a URL, or bare (ssh ::1, nc fe80::1%eth0 80)
        inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        canonical = _ipv6(inner)
        # An IPv6 spelling of an IPv4 address is a trick, not something typed for work.
        return canonical, (text if embedded_ipv4(ipaddress.IPv6Address(canonical)) else "")
    try:
        host = urllib.parse.unquote(text, errors="strict") if "%" in text else text
    except UnicodeDecodeError as exc:
        raise HostError(f"{text!r}: percent-encoding that is not UTF-8") from exc
    host = unicodedata.normalize("NFKC", host).translate(_DOTS)
    if any(c in _FORBIDDEN_HOST_CHARS or ord(c) < 0x20 or ord(c) == 0x7F for c in host):
        raise HostError(f"{text!r} holds characters no host name can")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise HostError(f"{text!r} is not a valid international domain name") from exc
    host = host.lower()
    address = parse_ipv4(host)
    if address is not None:
        canonical = str(address)
        return canonical, (text if text != canonical else "")
    host = host[:-1] if host.endswith(".") else host
    if not host or host.startswith(".") or ".." in host or len(host) > 253:
        raise HostError(f"{text!r} is not a valid host name")
    return host, ""


def _ipv6(text: str) -> str:
    # A zone id (fe80::1%25eth0 in a URL, %eth0 elsewhere) picks an interface, not a host.
    address = text.split("%", 1)[0]
    try:
        return str(ipaddress.IPv6Address(address))
    except ValueError as exc:
        raise HostError(f"[{text}] is not a valid IPv6 address") from exc


def split_host_port(text: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port`, bare `v6` -> (host text, port)."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise HostError(f"{text!r}: unclosed '['")
        rest = text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise HostError(f"{text!r}: text after ']'")
        return text[: end + 1], _port(rest[1:], text) if rest else None
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, _port(port, text)
    return text, None


def _port(text: str, whole: str) -> int | None:
    if text == "":
        return None
    if not text.isdigit() or not text.isascii() or int(text) > 65535:
        raise HostError(f"{whole!r}: {text!r} is not a port")
    return int(text)


def parse_host(text: str, *, tool: str = "", scheme: str = "", port: int | None = None) -> HostRef:
    """A host as a command takes it (`example.com`, `host:22`, `[::1]:8080`, `::1`)."""
    host_text, written_port = split_host_port(text)
    host, spelled = normalise_host(host_text)
    return HostRef(host, written_port if written_port is not None else port, scheme, text, tool,
                   spelled)  # fmt: skip


def url_hosts(url: str, *, tool: str = "", default_scheme: str = "") -> tuple[HostRef, ...]:
    """The host of `url` under every reading a common client applies (usually one).

    `default_scheme` is for clients that take `example.com/path` without one (curl, wget).
    Raises HostError when no reading yields a host."""
    if len(url) > MAX_URL_CHARS:
        raise HostError(f"URL longer than {MAX_URL_CHARS} characters")
    text = url.strip("\x00\t\n\r\x0b\x0c ").replace("\t", "").replace("\n", "").replace("\r", "")
    scheme, rest = _split_scheme(text)
    if not scheme:
        if not default_scheme:
            raise HostError(f"{url!r} is not a URL with a scheme")
        scheme = default_scheme
    readings: list[HostRef] = []
    errors: list[str] = []
    ends = ["/?#\\", "/?#"] if "\\" in rest else ["/?#"]
    for terminators in ends:
        authority = rest
        for index, char in enumerate(rest):
            if char in terminators:
                authority = rest[:index]
                break
        hostport = authority.rpartition("@")[2]
        try:
            host_text, port = split_host_port(hostport)
            host, spelled = normalise_host(host_text)
        except HostError as exc:
            errors.append(str(exc))
            continue
        ref = HostRef(host, port if port is not None else DEFAULT_PORTS.get(scheme), scheme, url,
                      tool, spelled)  # fmt: skip
        if ref not in readings:
            readings.append(ref)
    if not readings:
        raise HostError(errors[0] if errors else f"{url!r} has no host")
    return tuple(readings)


def _split_scheme(text: str) -> tuple[str, str]:
    """("scheme", what follows the slashes), or ("", text) when there is no scheme.

    WHATWG lets the special schemes skip or mangle the slashes (`http:\\\\h`, `http:/h`,
    `http:h`); others need `//` (`localhost:3000/x` is a host and port, not a scheme)."""
    head, sep, rest = text.partition(":")
    if not sep or not head.isascii() or not head[:1].isalpha():
        return "", text
    if not all(c.isalnum() or c in "+-." for c in head):
        return "", text
    scheme = head.lower()
    if scheme in SPECIAL_SCHEMES:
        return scheme, rest.lstrip("/\\")
    if rest.startswith("//"):
        return scheme, rest[2:]
    return "", text


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries and may reach through a translator or tunnel:
    IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, SIIT `::ffff:0:a.b.c.d`, NAT64
    `64:ff9b::/96`, 6to4 `2002::/16`, and both Teredo `2001::/32` endpoints."""
    found: list[ipaddress.IPv4Address] = []
    number = int(address)
    low = ipaddress.IPv4Address(number & 0xFFFFFFFF)
    upper = number >> 32
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    elif upper in _V4_CARRIERS or (upper == 0 and number > 1):  # last: IPv4-compatible ::a.b.c.d
        found.append(low)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return tuple(found)
