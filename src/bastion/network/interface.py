"""How the network layer learns where a name points: one small contract, several resolvers."""

from __future__ import annotations

from abc import ABC, abstractmethod

from bastion.network.hosts import IPAddress


class ResolveError(Exception):
    """The name could not be resolved (no answer in time, resolver failure)."""


class Resolver(ABC):
    @abstractmethod
    def resolve(self, name: str) -> tuple[IPAddress, ...]:
        """Every address `name` (a normalised host name, never an address literal) resolves
        to, without duplicates; empty when it has none. Raises ResolveError when the answer is
        unknown (timeout, resolver failure): callers must not treat that as "no addresses"."""
