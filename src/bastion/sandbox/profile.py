"""A sandbox profile: what a command may read, write and reach, and how much it may use.

The `[sandbox]` config section is the default profile; named profiles are that section with
one change each (the config schema has no nested tables, so names are built in):

- `default`  as configured (network off unless the section grants more);
- `proxy`    network only to `allowed_domains`, through bastion's proxy;
- `network`  the network as the host has it;
- `readonly` the workspace may be read but not written.

Path entries: `$WORKSPACE` (the project root, or --cwd), `$PYTHON` (the running interpreter's
prefixes, so the virtualenv and the standard library are readable), `~` (the home directory).
Hidden paths are `[sandbox] hidden` plus every existing path of `[paths] sensitive`.
"""

from __future__ import annotations

import dataclasses
import enum
import glob
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bastion.config import Config, ConfigError
from bastion.network.policy import NetworkPolicy
from bastion.secrets.environment import EnvironmentFilter
from bastion.secrets.policy import SecretsPolicy

DEVICES: tuple[str, ...] = (
    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
    "/dev/ptmx", "/dev/pts",
)  # fmt: skip
"""Device files every profile may read and write."""

MAX_HIDDEN = 512
"""Cap on expanded hidden paths (each is one mount at start-up)."""


class NetworkMode(enum.StrEnum):
    OFF = "off"
    PROXY = "proxy"
    ON = "on"


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 600
    wall_seconds: int = 1800
    memory_mb: int = 4096
    processes: int = 512
    file_size_mb: int = 1024
    open_files: int = 1024


@dataclass(frozen=True)
class Profile:
    name: str = "default"
    workspace: str = ""
    read_only: tuple[str, ...] = ()
    read_write: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    network: NetworkMode = NetworkMode.OFF
    limits: Limits = field(default_factory=Limits)
    environment: EnvironmentFilter = field(default_factory=EnvironmentFilter)
    egress: NetworkPolicy = field(default_factory=NetworkPolicy)
    """Who the proxy lets through (allowed_domains must be non-empty for anything to pass)."""
    devices: tuple[str, ...] = DEVICES

    @classmethod
    def from_config(
        cls, config: Config, name: str = "default", workspace: str | None = None
    ) -> Profile:
        root = os.path.realpath(workspace or config.project_root or os.getcwd())
        section = _Section(config)
        network = network_mode(section.strings("network"))
        try:
            egress = NetworkPolicy.build(
                section.strings("allowed_domains"),
                config.strings("network.denied_domains"),
                config.strings("network.allowed_addresses"),
            )
        except ValueError as exc:
            raise ConfigError(f"[sandbox] allowed_domains: {exc}") from exc
        secrets = SecretsPolicy.from_config(config)
        environment = EnvironmentFilter.of(
            (*secrets.env_allow, *section.strings("env_pass")), secrets.names
        )
        sensitive = config.strings("paths.sensitive")
        profile = cls(
            name="default",
            workspace=root,
            read_only=expand_paths(section.strings("read_only"), root),
            read_write=expand_paths(section.strings("read_write"), root),
            hidden=expand_hidden((*section.strings("hidden"), *sensitive), root),
            network=network,
            limits=Limits(**{f.name: section.integer(f.name) for f in dataclasses.fields(Limits)}),
            environment=environment,
            egress=egress,
        )
        return profile.named(name)

    def named(self, name: str) -> Profile:
        """This profile changed as the named profile says; ValueError for an unknown name."""
        change = NAMED_PROFILES.get(name)
        if change is None:
            raise ValueError(
                f"unknown sandbox profile {name!r} (known: {', '.join(NAMED_PROFILES)})"
            )
        return dataclasses.replace(change(self), name=name)

    def replace(self, **changes: object) -> Profile:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _readonly(profile: Profile) -> Profile:
    moved = tuple(p for p in profile.read_write if p == profile.workspace)
    return dataclasses.replace(
        profile,
        read_write=tuple(p for p in profile.read_write if p not in moved),
        read_only=(*profile.read_only, *moved),
    )


NAMED_PROFILES: Mapping[str, Callable[[Profile], Profile]] = {
    "default": lambda p: p,
    "proxy": lambda p: dataclasses.replace(p, network=NetworkMode.PROXY),
    "network": lambda p: dataclasses.replace(p, network=NetworkMode.ON),
    "readonly": _readonly,
}


def network_mode(grants: Iterable[str]) -> NetworkMode:
    """`[]`/`["off"]` off, `["proxy"]` proxied, `["on"]` open; the widest grant wins."""
    values = set(grants)
    unknown = values - {m.value for m in NetworkMode}
    if unknown:
        raise ConfigError(
            f'[sandbox] network: unknown value(s) {sorted(unknown)} (use [], ["proxy"] or ["on"])'
        )
    if NetworkMode.ON in values:
        return NetworkMode.ON
    return NetworkMode.PROXY if NetworkMode.PROXY in values else NetworkMode.OFF


def python_prefixes() -> tuple[str, ...]:
    exe_dir = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
    return tuple(dict.fromkeys(os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, exe_dir)))


def expand_paths(entries: Iterable[str], workspace: str) -> tuple[str, ...]:
    """Tokens and `~` expanded; absolute and normalised; symlinks resolved (Landlock and bind
    mounts act on the real inode). Paths that do not exist are kept (the launcher skips them)."""
    out: list[str] = []
    for entry in entries:
        if entry == "$PYTHON":
            out.extend(python_prefixes())
            continue
        text = entry.replace("$WORKSPACE", workspace)
        text = os.path.expanduser(text)
        if not os.path.isabs(text):
            raise ConfigError(f"[sandbox]: {entry!r} is not an absolute path (or $WORKSPACE/~)")
        out.append(os.path.realpath(text))
    return tuple(dict.fromkeys(out))


def expand_hidden(patterns: Iterable[str], workspace: str) -> tuple[str, ...]:
    """Existing paths matching the patterns: absolute and `~` ones anywhere, relative ones
    (`.env`, `**/.env.*`, `*.pem`) at the top of the workspace only (a bounded walk)."""
    found: list[str] = []
    for pattern in patterns:
        if pattern.startswith("/proc/"):
            continue  # the new /proc shows only the sandbox's own processes
        text = os.path.expanduser(pattern)
        if not os.path.isabs(text):
            text = os.path.join(workspace, text.removeprefix("**/"))
        if "**" in text:
            continue
        for hit in sorted(glob.glob(text, include_hidden=True))[:MAX_HIDDEN]:
            found.append(os.path.realpath(hit))
        if len(found) >= MAX_HIDDEN:
            break
    return tuple(dict.fromkeys(found))[:MAX_HIDDEN]



@dataclass(frozen=True)
class _Section:
    config: Config

    def strings(self, key: str) -> tuple[str, ...]:
        return self.config.strings(f"sandbox.{key}")

    def integer(self, key: str) -> int:
        value = self.config.value(f"sandbox.{key}")
        assert isinstance(value, int)
        return value
