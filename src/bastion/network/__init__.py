"""Egress and SSRF checks: hosts as clients read them, what an address is, the [network] policy,
the layer for tool calls, and (in `bastion.network.transport`, which needs httpx) a pinned
httpx transport."""

from bastion.network.clients import contacted_hosts
from bastion.network.hosts import HostError, HostRef, parse_host, url_hosts
from bastion.network.interface import ResolveError, Resolver
from bastion.network.judge import Judgement, Mode, Refusal, judge
from bastion.network.layer import NetworkLayer
from bastion.network.policy import NetworkPolicy
from bastion.network.resolvers import StaticResolver, SystemResolver
from bastion.network.ssrf import AddressClass, classify, classify_name

__all__ = [
    "AddressClass",
    "HostError",
    "HostRef",
    "Judgement",
    "Mode",
    "NetworkLayer",
    "NetworkPolicy",
    "Refusal",
    "ResolveError",
    "Resolver",
    "StaticResolver",
    "SystemResolver",
    "classify",
    "classify_name",
    "contacted_hosts",
    "judge",
    "parse_host",
    "url_hosts",
]
