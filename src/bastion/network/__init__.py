"""Egress and SSRF checks: hosts as clients read them, what an address is, the [network] policy,
the layer for tool calls, and (in `bastion.network.transport`, which needs httpx) a pinned
httpx transport."""

from __future__ import annotations

# Names load on first use: see bastion._lazy.
from bastion._lazy import lazy_names

# Same name as its module: importing the module would set the package attribute to the
# module, hiding the lazy lookup, so this one is bound now.
from bastion.network.judge import judge as judge

_WHERE = {
    "contacted_hosts": "bastion.network.clients",
    "HostError": "bastion.network.hosts",
    "HostRef": "bastion.network.hosts",
    "parse_host": "bastion.network.hosts",
    "url_hosts": "bastion.network.hosts",
    "ResolveError": "bastion.network.interface",
    "Resolver": "bastion.network.interface",
    "Judgement": "bastion.network.judge",
    "Mode": "bastion.network.judge",
    "Refusal": "bastion.network.judge",
    "NetworkLayer": "bastion.network.layer",
    "NetworkPolicy": "bastion.network.policy",
    "StaticResolver": "bastion.network.resolvers",
    "SystemResolver": "bastion.network.resolvers",
    "AddressClass": "bastion.network.ssrf",
    "classify": "bastion.network.ssrf",
    "classify_name": "bastion.network.ssrf",
}
__all__ = sorted([*_WHERE, "judge"])

__getattr__ = lazy_names(__name__, _WHERE)
