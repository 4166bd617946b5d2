"""Judge one destination under the policy: the decisions of the network layer, in one place.

Two modes, because the risk differs:

FETCH (a web-fetch tool, the httpx transport) is the SSRF surface: a URL the model read in a
page or an issue is fetched by the agent's own machine. Only public addresses are reachable:
- a cloud metadata endpoint (by address or name) is denied, red, always;
- any other non-public address (loopback, private, link-local, CGNAT, unspecified, multicast,
  broadcast, reserved) is denied, red, unless `[network] allowed_addresses` grants it;
- names are resolved (when `resolve` is on) and EVERY address is checked; one bad address
  denies the URL. A name that resolves to nothing, or not in time, is ASKED (yellow): the
  answer is unknown, not known bad, and a typo or a slow resolver should not hard-fail, but
  nothing unchecked runs without a human. The transport, which must connect somewhere, refuses.

SHELL (curl, git, ssh, ... found in a command) is normal development work: `curl
http://localhost:8000/health` and `ssh build-box.lan` are allowed. What is refused there:
- a cloud metadata endpoint, denied red (it hands out the machine's credentials);
- a non-public address in a disguised numeric spelling (`0x7f.1`, `2130706433`,
  `[::ffff:10.0.0.1]`), asked: nobody types those for work, they are written to slip past
  string checks;
- names are not resolved: the command resolves again by itself, so a check here proves
  nothing against DNS rebinding (the sandbox's egress proxy is the place for that).

Both modes: `denied_domains` denies (red) first; a non-empty `allowed_domains` denies a fetch
(red) and asks a shell command (yellow) for any other host, loopback excepted for the shell.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bastion.model import Decision, Tier
from bastion.network.hosts import HostRef, IPAddress
from bastion.network.interface import ResolveError, Resolver
from bastion.network.policy import NetworkPolicy
from bastion.network.ssrf import AddressClass, classify, classify_name


class Mode(enum.StrEnum):
    FETCH = "fetch"
    SHELL = "shell"


@dataclass(frozen=True)
class Refusal:
    rule_id: str
    decision: Decision
    tier: Tier
    message: str
    """What the agent is told: what was wrong, and what to do instead."""
    ref: HostRef
    address_class: AddressClass | None = None


@dataclass(frozen=True)
class Judgement:
    ref: HostRef
    refusals: tuple[Refusal, ...]
    addresses: tuple[IPAddress, ...] = ()
    """What the host was checked as (the literal, or every resolved address)."""

    @property
    def allowed(self) -> bool:
        return not self.refusals


def _deny(rule: str, message: str, ref: HostRef, cls: AddressClass | None = None) -> Refusal:
    return Refusal(f"network.{rule}", Decision.DENY, Tier.RED, message, ref, cls)


def _ask(rule: str, message: str, ref: HostRef, cls: AddressClass | None = None) -> Refusal:
    return Refusal(f"network.{rule}", Decision.ASK, Tier.YELLOW, message, ref, cls)


def _metadata(ref: HostRef, shown: str) -> Refusal:
    return _deny(
        "metadata",
        f"{shown} is a cloud instance metadata endpoint: it hands out this machine's cloud "
        "credentials. Do not contact it; if you need instance details, ask the user for them.",
        ref,
        AddressClass.METADATA,
    )


def judge(
    ref: HostRef, policy: NetworkPolicy, mode: Mode, resolver: Resolver | None = None
) -> Judgement:
    """Every refusal for contacting `ref`; `resolver` is used in FETCH mode when the policy
    says to resolve (without one, a name in FETCH mode is judged by name only)."""
    pattern = policy.denied_by(ref.host)
    if pattern is not None:
        return Judgement(ref, (_deny(
            "denied-domain",
            f"{ref.host} is on the [network] denied_domains list ({pattern.text}). Use another "
            "source, or ask the user.",
            ref,
        ),))  # fmt: skip
    address = ref.address
    if address is not None:
        return Judgement(ref, _judge_address(ref, address, policy, mode), (address,))
    name_class = classify_name(ref.host)
    if name_class is AddressClass.METADATA:
        return Judgement(ref, (_metadata(ref, ref.host),))
    refusals: list[Refusal] = []
    if not policy.allows_domain(ref.host) and not (
        mode is Mode.SHELL and name_class is AddressClass.LOOPBACK
    ):
        refusals.append(_not_allowed(ref, mode))
    if mode is Mode.SHELL or refusals:  # a refused name need not be looked up
        return Judgement(ref, tuple(refusals))
    # A private-by-name host is refused unless a grant could cover it, and then only what
    # the lookup returns decides.
    if name_class is not None and (
        not policy.allowed_addresses or not policy.resolve or resolver is None
    ):
        refusals.append(_private(ref, ref.host, name_class))
        return Judgement(ref, tuple(refusals))
    if not policy.resolve or resolver is None:
        return Judgement(ref, tuple(refusals))
    try:
        addresses = resolver.resolve(ref.host)
    except ResolveError as exc:
        refusals.append(_unresolved(ref, str(exc)))
        return Judgement(ref, tuple(refusals))
    if not addresses:
        refusals.append(_unresolved(ref, "no addresses"))
    for resolved in addresses:
        refusals.extend(_judge_address(ref, resolved, policy, mode, via_name=True))
    return Judgement(ref, tuple(refusals), addresses)


def _judge_address(
    ref: HostRef, address: IPAddress, policy: NetworkPolicy, mode: Mode, via_name: bool = False
) -> tuple[Refusal, ...]:
    cls = classify(address)
    shown = f"{ref.host} (resolves to {address})" if via_name else (ref.spelled or ref.host)
    if cls is AddressClass.METADATA:
        return (_metadata(ref, shown),)
    if mode is Mode.FETCH:
        if cls is not AddressClass.PUBLIC and not policy.grants(address, ref.port):
            return (_private(ref, shown, cls),)
        if (
            not via_name
            and not policy.allows_domain(ref.host)
            and not policy.grants(address, ref.port)
        ):
            return (_not_allowed(ref, mode),)
        return ()
    refusals: list[Refusal] = []
    if cls is not AddressClass.PUBLIC and ref.obfuscated:
        refusals.append(_ask(
            "obfuscated-address",
            f"{ref.spelled} is {address}, {cls}, written in a disguised form. Write the address "
            f"plainly (for example {_plain(ref)}) if you mean to reach it.",
            ref,
            cls,
        ))  # fmt: skip
    if cls is not AddressClass.LOOPBACK and not policy.allows_domain(ref.host):
        refusals.append(_not_allowed(ref, mode))
    return tuple(refusals)


def _plain(ref: HostRef) -> str:
    host = f"[{ref.host}]" if ":" in ref.host else ref.host
    port = f":{ref.port}" if ref.port is not None else ""
    return f"{ref.scheme}://{host}{port}/" if ref.scheme else f"{host}{port}"


def _private(ref: HostRef, shown: str, cls: AddressClass) -> Refusal:
    return _deny(
        "private-address",
        f"{shown} is {cls}: fetch tools may only reach public hosts (a URL read in a page "
        "must not reach this machine or its network). To check a local development server, "
        "use curl from the shell; to fetch from it with this tool, ask the user to add it to "
        "[network] allowed_addresses.",
        ref,
        cls,
    )


def _not_allowed(ref: HostRef, mode: Mode) -> Refusal:
    build = _deny if mode is Mode.FETCH else _ask
    return build(
        "not-allowed-domain",
        f"{ref.host} is not on the [network] allowed_domains list. Use one of the allowed "
        "hosts, or ask the user to add this one.",
        ref,
    )


def _unresolved(ref: HostRef, why: str) -> Refusal:
    return _ask(
        "unresolved",
        f"{ref.host} could not be resolved ({why}), so bastion cannot check where it points. "
        "Check the spelling of the host; if it is right, retry or ask the user.",
        ref,
    )
