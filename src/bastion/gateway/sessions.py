"""Whose conversation is whose: a session key for the concrete conversation, a continuity key
for memory.

A session key is `PLATFORM:KIND:PEER` (`telegram:dm:12345`, `discord:group:9876`): the channel
kind and the peer (the user in a DM, the chat or channel otherwise). The continuity key says
which memory the conversation reads and writes:

- scope "per-channel-peer" (the default): the session key itself, so every DM on every channel
  has its own memory;
- scope "linked" (opt-in): a DM from an identity listed in `linked_identities`
  (`"alice=telegram:1,discord:2"`) continues `linked:alice`, shared by every alias. Group and
  channel conversations are never merged.

Keys from outside are parsed at the boundary and rejected with a clear error when malformed.
History and command APIs take an explicit session id (`require_session_id`); a new request
without one gets a fresh unique key (`session_for_request`), never a shared default.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bastion.config.model import Config
from bastion.gateway.errors import GatewayConfigError, IdentityError, SessionKeyError
from bastion.gateway.identity import Identity, check_id, check_platform, parse_identity

PER_CHANNEL_PEER = "per-channel-peer"
LINKED = "linked"
SCOPES = (PER_CHANNEL_PEER, LINKED)
KINDS = ("dm", "group", "channel", "thread", "ephemeral")
"""`ephemeral`: a key minted for a request that came without one."""
MAX_KEY_CHARS = 200
LINK_PREFIX = "linked"


@dataclass(frozen=True)
class SessionKey:
    platform: str
    kind: str
    peer: str

    @classmethod
    def of(cls, platform: object, kind: object, peer: object) -> SessionKey:
        try:
            name = check_platform(platform)
            who = check_id(peer, "peer id")
        except IdentityError as exc:
            raise SessionKeyError(f"session key: {exc}") from None
        if kind not in KINDS:
            raise SessionKeyError(
                f"session key: channel kind {str(kind)[:20]!a} is not one of " + ", ".join(KINDS)
            )
        assert isinstance(kind, str)
        return cls(name, kind, who)

    def __str__(self) -> str:
        return f"{self.platform}:{self.kind}:{self.peer}"


def parse_session_key(text: object) -> SessionKey:
    """`telegram:dm:12345` -> SessionKey; SessionKeyError for anything else."""
    if not isinstance(text, str):
        raise SessionKeyError(f"session key must be a string (got {type(text).__name__})")
    if len(text) > MAX_KEY_CHARS:
        raise SessionKeyError(f"session key longer than {MAX_KEY_CHARS} characters")
    parts = text.split(":")
    if len(parts) != 3:
        raise SessionKeyError(
            f"session key {text[:60]!a}: expected PLATFORM:KIND:PEER, e.g. telegram:dm:12345"
        )
    return SessionKey.of(*parts)


def new_session_key(platform: str = "web") -> SessionKey:
    """A key no other request has: 128 random bits."""
    return SessionKey.of(platform, "ephemeral", secrets.token_hex(16))


def session_for_request(session_id: object, platform: str = "web") -> SessionKey:
    """A new conversation: its own key when it names none, never a shared default."""
    if session_id is None or session_id == "":
        return new_session_key(platform)
    return parse_session_key(session_id)


def require_session_id(session_id: object) -> SessionKey:
    """For history and command APIs: the caller must say which session it means."""
    if session_id is None or session_id == "":
        raise SessionKeyError(
            "a session id is required for history and commands (PLATFORM:KIND:PEER); "
            "there is no default session"
        )
    return parse_session_key(session_id)


@dataclass(frozen=True)
class Route:
    session: SessionKey
    continuity: str
    """The memory this conversation continues."""


def _no_links() -> Mapping[Identity, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class SessionRouter:
    scope: str = PER_CHANNEL_PEER
    links: Mapping[Identity, str] = field(default_factory=_no_links)
    """Identity -> the person's link name; used only in the linked scope."""

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise GatewayConfigError(
                f"gateway.session_scope: unknown scope {self.scope[:40]!a} "
                f"(use {' or '.join(SCOPES)})"
            )

    @classmethod
    def build(cls, scope: Iterable[str], linked_identities: Iterable[str]) -> SessionRouter:
        scopes = tuple(scope)
        if len(scopes) > 1:
            raise GatewayConfigError("gateway.session_scope: give exactly one scope")
        return cls(scopes[0] if scopes else PER_CHANNEL_PEER, parse_links(linked_identities))

    @classmethod
    def from_config(cls, config: Config) -> SessionRouter:
        try:
            scope = config.value("gateway.session_scope")
            links = config.value("gateway.linked_identities")
        except KeyError:
            return cls()
        assert isinstance(scope, tuple) and isinstance(links, tuple)
        return cls.build(scope, links)

    def route(self, platform: object, kind: object, peer: object) -> Route:
        key = SessionKey.of(platform, kind, peer)
        if self.scope == LINKED and key.kind == "dm":
            name = self.links.get(Identity(key.platform, key.peer))
            if name is not None:
                return Route(key, f"{LINK_PREFIX}:{name}")
        return Route(key, str(key))

    def warnings(self) -> tuple[str, ...]:
        if self.scope != LINKED:
            return ()
        people: dict[str, list[str]] = {}
        for who, name in sorted(self.links.items()):
            people.setdefault(name, []).append(str(who))
        if not people:
            return ("gateway: session_scope is 'linked' but linked_identities is empty",)
        listed = "; ".join(f"{name} = {', '.join(ids)}" for name, ids in sorted(people.items()))
        return (
            "gateway: session_scope 'linked' merges memory across every linked alias: a "
            f"direct message from any of them reads and writes the same history ({listed})",
        )


def parse_links(entries: Iterable[str]) -> Mapping[Identity, str]:
    """`["alice=telegram:1,discord:2"]` -> {telegram:1: alice, discord:2: alice}."""
    links: dict[Identity, str] = {}
    for entry in entries:
        name, sep, rest = entry.partition("=")
        where = f"gateway.linked_identities: {entry[:60]!a}"
        try:
            if not sep:
                raise IdentityError("expected NAME=PLATFORM:USER,PLATFORM:USER")
            name = check_id(name.strip(), "link name")
            ids = [parse_identity(part.strip()) for part in rest.split(",") if part.strip()]
        except IdentityError as exc:
            raise GatewayConfigError(f"{where}: {exc}") from None
        if len(ids) < 2:
            raise GatewayConfigError(f"{where}: a link needs at least two identities")
        if name in links.values():
            raise GatewayConfigError(f"{where}: {name} is linked twice (use one entry)")
        for who in ids:
            if who in links:
                # One identity merged into two people's memories would leak between them.
                raise GatewayConfigError(f"{where}: {who} is already linked to {links[who]}")
            links[who] = name
    return MappingProxyType(links)
