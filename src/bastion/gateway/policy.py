"""Who may talk to the agent, from `[gateway]` config plus the usual environment variables.

Config (trusted files only; a repository cannot open access to its own agent):
    allow_all = false                              every user on every platform
    allow_all_platforms = ["web"]                  every user on these platforms
    allowed_users = ["telegram:12345", "*:alice"]  `*:` is the global allowlist (any platform)

Environment, added on top (never taking anything away), for the platforms in KNOWN_PLATFORMS,
those the config names, and any the caller passes:
    <PLATFORM>_ALLOWED_USERS=12345,67890    e.g. TELEGRAM_ALLOWED_USERS
    <PLATFORM>_ALLOW_ALL_USERS=true
    GATEWAY_ALLOWED_USERS=alice,bob         global allowlist
    GATEWAY_ALLOW_ALL_USERS=true
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bastion.config.model import Config
from bastion.gateway.errors import GatewayConfigError, IdentityError
from bastion.gateway.identity import check_id, check_platform

GLOBAL_PREFIX = "GATEWAY"
ALLOWED_SUFFIX = "_ALLOWED_USERS"
ALLOW_ALL_SUFFIX = "_ALLOW_ALL_USERS"
MAX_ENV_CHARS = 64 << 10
KNOWN_PLATFORMS = (
    "telegram", "discord", "slack", "whatsapp", "web", "signal", "matrix", "mattermost",
    "teams", "email", "sms",
)  # fmt: skip
"""Platforms whose <PLATFORM>_ALLOWED_USERS / _ALLOW_ALL_USERS variables are read."""
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _empty() -> Mapping[str, frozenset[str]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class AccessPolicy:
    allow_all_platforms: frozenset[str] = frozenset()
    platform_users: Mapping[str, frozenset[str]] = field(default_factory=_empty)
    """Platform -> user ids allowed there."""
    global_users: frozenset[str] = frozenset()
    """User ids allowed on any platform."""
    allow_all: bool = False

    @property
    def opens_access(self) -> bool:
        """Whether anyone at all is let in without a pairing."""
        return bool(
            self.allow_all
            or self.allow_all_platforms
            or self.global_users
            or any(self.platform_users.values())
        )

    @classmethod
    def from_config(
        cls,
        config: Config,
        environ: Mapping[str, str] | None = None,
        extra_platforms: Iterable[str] = (),
    ) -> AccessPolicy:
        values = _config_values(config)
        env = os.environ if environ is None else environ
        return cls.build(values, env, extra_platforms)

    @classmethod
    def build(
        cls,
        values: Mapping[str, object],
        environ: Mapping[str, str],
        extra_platforms: Iterable[str] = (),
    ) -> AccessPolicy:
        """From `{"allow_all": bool, "allow_all_platforms": [...], "allowed_users": [...]}`."""
        allow_all = values.get("allow_all", False)
        if not isinstance(allow_all, bool):
            raise GatewayConfigError("gateway.allow_all must be true or false")
        open_platforms = {
            _platform(p, "gateway.allow_all_platforms")
            for p in _strings(values.get("allow_all_platforms", ()))
        }
        users: dict[str, set[str]] = {}
        everywhere: set[str] = set()
        for entry in _strings(values.get("allowed_users", ())):
            platform, sep, user = entry.partition(":")
            if not sep:
                raise GatewayConfigError(
                    f"gateway.allowed_users: {entry[:40]!a}: expected PLATFORM:USER "
                    "(e.g. telegram:12345) or *:USER for every platform"
                )
            user = _user(user, "gateway.allowed_users")
            if platform == "*":
                everywhere.add(user)
            else:
                users.setdefault(_platform(platform, "gateway.allowed_users"), set()).add(user)
        # Only the names bastion knows or the config mentions: an unrelated variable that
        # happens to end in _ALLOWED_USERS must neither open access nor break start-up.
        named = {_platform(p, "platforms") for p in extra_platforms}
        prefixes = {p.upper() for p in (*KNOWN_PLATFORMS, *named, *open_platforms, *users)}
        for prefix in sorted(prefixes | {GLOBAL_PREFIX}):
            raw = environ.get(prefix + ALLOWED_SUFFIX)
            if raw is not None:
                name = prefix + ALLOWED_SUFFIX
                ids = {_user(u, name) for u in _env_list(name, raw)}
                if prefix == GLOBAL_PREFIX:
                    everywhere |= ids
                else:
                    users.setdefault(_platform(prefix.lower(), name), set()).update(ids)
            raw = environ.get(prefix + ALLOW_ALL_SUFFIX)
            if raw is not None and _env_bool(prefix + ALLOW_ALL_SUFFIX, raw):
                if prefix == GLOBAL_PREFIX:
                    allow_all = True
                else:
                    open_platforms.add(_platform(prefix.lower(), prefix + ALLOW_ALL_SUFFIX))
        return cls(
            allow_all_platforms=frozenset(open_platforms),
            platform_users=MappingProxyType({p: frozenset(u) for p, u in users.items()}),
            global_users=frozenset(everywhere),
            allow_all=allow_all,
        )

    def warnings(self, has_pairings: bool) -> tuple[str, ...]:
        """What to say at start-up: closed to everyone, or open wider than a list of people."""
        if not self.opens_access and not has_pairings:
            return (
                "gateway: no user is allowed, so every chat message is denied. To open "
                "access, approve a user's pairing code (`bastion pairing approve PLATFORM "
                "CODE`), list users in the user config ([gateway] allowed_users = "
                '["telegram:12345"]) or in TELEGRAM_ALLOWED_USERS / GATEWAY_ALLOWED_USERS, '
                "or set GATEWAY_ALLOW_ALL_USERS=true to let everyone in.",
            )
        out: list[str] = []
        if self.allow_all:
            out.append("gateway: allow_all is on: anyone on any platform can talk to the agent")
        for platform in sorted(self.allow_all_platforms):
            out.append(f"gateway: anyone on {platform} can talk to the agent (allow-all)")
        return tuple(out)


def _config_values(config: Config) -> dict[str, object]:
    out: dict[str, object] = {}
    for key in ("allow_all", "allow_all_platforms", "allowed_users"):
        try:
            out[key] = config.value(f"gateway.{key}")
        except KeyError:
            continue  # a config without the section: nothing opened
    return out


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise GatewayConfigError(
            f"gateway: expected a list of strings (got {type(value).__name__})"
        )
    for item in value:
        if not isinstance(item, str):
            raise GatewayConfigError("gateway: expected a list of strings")
        yield item


def _platform(text: str, where: str) -> str:
    if text == "*":
        raise GatewayConfigError(f"{where}: '*' is not a platform (use allow_all)")
    if text.lower() == GLOBAL_PREFIX.lower():
        # GATEWAY_ALLOWED_USERS is the global list; a platform of that name would be ambiguous.
        raise GatewayConfigError(f"{where}: 'gateway' is reserved, not a platform name")
    try:
        return check_platform(text)
    except IdentityError as exc:
        raise GatewayConfigError(f"{where}: {exc}") from None


def _user(text: str, where: str) -> str:
    try:
        return check_id(text.strip())
    except IdentityError as exc:
        raise GatewayConfigError(f"{where}: {exc}") from None


def _env_list(name: str, raw: str) -> list[str]:
    if len(raw) > MAX_ENV_CHARS:
        raise GatewayConfigError(f"{name}: longer than {MAX_ENV_CHARS} characters")
    return [part for part in raw.split(",") if part.strip()]


def _env_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    # Unclear intent about opening access: refuse rather than guess either way.
    raise GatewayConfigError(f"{name}: expected true or false (got {raw[:20]!a})")
