"""Resolvers: the system's (getaddrinfo, with a timeout and a cache) and a static one for tests.

getaddrinfo has no timeout of its own, and a hook that waits on DNS holds up the agent, so the
lookup runs in a daemon thread the caller stops waiting for after `timeout_s` (the thread
finishes or dies with the process; it never blocks exit). Answers are cached for `ttl_s`, so an
agent fetching several pages of one site pays for one lookup.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from bastion.network.hosts import IPAddress
from bastion.network.interface import ResolveError, Resolver

_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


class SystemResolver(Resolver):
    def __init__(self, timeout_s: float = 0.3, ttl_s: float = 60.0, max_entries: int = 512):
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, tuple[IPAddress, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, name: str) -> tuple[IPAddress, ...]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(name)
            if cached is not None and cached[0] > now:
                self._cache.move_to_end(name)
                return cached[1]
        answer = self._lookup(name)
        with self._lock:
            self._cache[name] = (now + self.ttl_s, answer)
            self._cache.move_to_end(name)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return answer

    def _lookup(self, name: str) -> tuple[IPAddress, ...]:
        result: list[tuple[IPAddress, ...] | BaseException] = []
        done = threading.Event()

        def run() -> None:
            try:
                infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
                result.append(_addresses(str(info[4][0]) for info in infos))
            except socket.gaierror as exc:
                result.append(() if exc.errno in _NO_SUCH_NAME else exc)
            except BaseException as exc:  # surfaced to the caller below, never swallowed
                result.append(exc)
            finally:
                done.set()

        threading.Thread(target=run, name=f"bastion-dns-{name[:40]}", daemon=True).start()
        if not done.wait(self.timeout_s):
            raise ResolveError(f"no DNS answer for {name} within {self.timeout_s * 1000:.0f} ms")
        outcome = result[0]
        if isinstance(outcome, BaseException):
            raise ResolveError(f"resolving {name} failed: {outcome}") from outcome
        return outcome


class StaticResolver(Resolver):
    """Answers from a table (tests, pinned hosts files); a name not in it has no addresses.
    A name mapped to None fails as a resolver error would."""

    def __init__(self, answers: Mapping[str, Iterable[str] | None]):
        self.answers = {
            name: None if addrs is None else _addresses(addrs) for name, addrs in answers.items()
        }
        self.lookups: list[str] = []
        """Every name asked for, in order (tests check that a name is resolved only once)."""

    def resolve(self, name: str) -> tuple[IPAddress, ...]:
        self.lookups.append(name)
        answer = self.answers.get(name, ())
        if answer is None:
            raise ResolveError(f"resolving {name} failed")
        return answer


def _addresses(texts: Iterable[str]) -> tuple[IPAddress, ...]:
    # getaddrinfo reports link-local IPv6 with its zone (fe80::1%eth0): the zone is no part
    # of the address that is judged.
    found = (ipaddress.ip_address(t.split("%", 1)[0]) for t in texts)
    return tuple(dict.fromkeys(found))
