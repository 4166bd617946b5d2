"""The keys a config file may hold, their types, and which direction of change relaxes.

`validate` turns one file's raw TOML into typed settings or raises, so merging never meets
a value of the wrong shape and an error is found before anything from that file applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from bastion.config.errors import ConfigError

TIERS = ("green", "yellow", "red")
"""Lowest to highest: moving a rule towards green relaxes."""


@dataclass(frozen=True)
class KeySpec:
    kind: str
    """"bool", "int" (> 0), "list" (of strings) or "tiers" (table of rule id -> tier)."""
    relaxes_by: str = ""
    """Lists: "adding" or "removing" relaxes; ints and bools: "raising" or "lowering"."""
    trusted_only: bool = False
    """Honoured only in the built-in, system and user layers."""


SCHEMA: Mapping[str, Mapping[str, KeySpec]] = {
    "policy": {"project_may_relax": KeySpec("bool", trusted_only=True)},
    "executables": {"allowed": KeySpec("list", relaxes_by="adding")},
    "rules": {
        "disabled": KeySpec("list", relaxes_by="adding"),
        # Adding a file is fine (its allow rules are vetted by the rules layer); dropping one
        # a lower layer named would silently remove protections.
        "files": KeySpec("list", relaxes_by="removing"),
        "tiers": KeySpec("tiers"),
    },
    "limits": {
        "max_input_bytes": KeySpec("int", relaxes_by="raising"),
        "max_depth": KeySpec("int", relaxes_by="raising"),
        "max_nodes": KeySpec("int", relaxes_by="raising"),
        "parse_timeout_ms": KeySpec("int", relaxes_by="raising"),
    },
    # How long the hook daemon lives without a request; a machine-wide choice, not a project's.
    "daemon": {"idle_exit_s": KeySpec("int", trusted_only=True)},
    "secrets": {
        # Variable / key name globs treated as secret (redaction, exfiltration, environment).
        "secret_names": KeySpec("list", relaxes_by="removing"),
        # Path globs of files that hold secrets (`~` is the home directory).
        "secret_files": KeySpec("list", relaxes_by="removing"),
        # Extra environment variables (names or globs) passed to subprocesses.
        "env_allow": KeySpec("list", relaxes_by="adding"),
    },
    "content": {
        # Severities 1 low, 2 medium, 3 high; a higher threshold acts on fewer findings.
        "quarantine_at": KeySpec("int", relaxes_by="raising"),
        "warn_at": KeySpec("int", relaxes_by="raising"),
        # Hosts an image may load from with a long or templated query string.
        "image_hosts": KeySpec("list", relaxes_by="adding"),
        # File names whose writes are scanned (agent context files).
        "context_files": KeySpec("list", relaxes_by="removing"),
    },
    "paths": {
        # Directories writable besides the project: each entry widens the fence.
        "extra_writable": KeySpec("list", relaxes_by="adding"),
        "sensitive": KeySpec("list", relaxes_by="removing"),
        # Files excused from a sensitive pattern (`.env.example`): each entry relaxes.
        "not_sensitive": KeySpec("list", relaxes_by="adding"),
        "protected": KeySpec("list", relaxes_by="removing"),
    },
    "tools": {
        "disallowed": KeySpec("list", relaxes_by="removing"),
        # Exceptions to disallowed: each entry lets a tool through.
        "allowed": KeySpec("list", relaxes_by="adding"),
        # "tool=what to use instead": only the nudge's wording.
        "alternatives": KeySpec("list"),
    },
    "mcp": {
        # A bool compares as an int: false -> true is "raising", and true relaxes here.
        "allow_unpinned": KeySpec("bool", relaxes_by="raising"),
        "max_argument_bytes": KeySpec("int", relaxes_by="raising"),
    },
    # Auditing is the machine owner's: a repository must not turn it off or weaken it (the
    # directory comes from $BASTION_AUDIT_DIR or the XDG state directory, never a config file).
    "audit": {
        "enabled": KeySpec("bool", trusted_only=True),
        "fsync": KeySpec("bool", trusted_only=True),
    },
    "network": {
        "allowed_domains": KeySpec("list", relaxes_by="adding"),
        "denied_domains": KeySpec("list", relaxes_by="removing"),
        # Private networks a fetch tool may reach: each entry opens an SSRF target.
        "allowed_addresses": KeySpec("list", relaxes_by="adding"),
        # DNS checks cost latency on each fetch: the machine's owner decides, not a repository.
        "resolve": KeySpec("bool", trusted_only=True),
        "resolve_timeout_ms": KeySpec("int", trusted_only=True),
    },
    # Who may talk to a chat-exposed agent and whose memory is whose: a cloned repository must
    # never open access to its own agent or merge memories, so every key is trusted-only.
    "gateway": {
        "allow_all": KeySpec("bool", trusted_only=True),
        "allow_all_platforms": KeySpec("list", relaxes_by="adding", trusted_only=True),
        "allowed_users": KeySpec("list", relaxes_by="adding", trusted_only=True),
        "linked_identities": KeySpec("list", relaxes_by="adding", trusted_only=True),
        "session_scope": KeySpec("list", trusted_only=True),
    },
    "approvals": {
        # Rule ids (globs) and path globs whose asks are approved once at most, never for a
        # session or always: only removing an entry relaxes.
        "pinned": KeySpec("list", relaxes_by="removing"),
        # How many headless requests may wait, how long one waits before it is a deny, and the
        # longest break-glass bypass: the machine owner's choice, not a repository's.
        "max_pending": KeySpec("int", trusted_only=True),
        "approval_timeout_secs": KeySpec("int", trusted_only=True),
        "bypass_max_minutes": KeySpec("int", trusted_only=True),
    },
    # `bastion run`: what a sandboxed command may see and use. Network is a list of grants:
    # [] (off), ["proxy"] (only allowed_domains, through bastion's proxy), ["on"].
    "sandbox": {
        "read_only": KeySpec("list", relaxes_by="adding"),
        "read_write": KeySpec("list", relaxes_by="adding"),
        "hidden": KeySpec("list", relaxes_by="removing"),
        "network": KeySpec("list", relaxes_by="adding"),
        "allowed_domains": KeySpec("list", relaxes_by="adding"),
        "env_pass": KeySpec("list", relaxes_by="adding"),
        "cpu_seconds": KeySpec("int", relaxes_by="raising"),
        "wall_seconds": KeySpec("int", relaxes_by="raising"),
        "memory_mb": KeySpec("int", relaxes_by="raising"),
        "processes": KeySpec("int", relaxes_by="raising"),
        "file_size_mb": KeySpec("int", relaxes_by="raising"),
        "open_files": KeySpec("int", relaxes_by="raising"),
        # Rewrite agents' shell commands to run sandboxed: a project may turn it on, not off.
        "agent_mode": KeySpec("bool", relaxes_by="lowering"),
    },
    # Security-event subscribers run programs and post data: never from a cloned repository.
    "events": {
        "commands": KeySpec("list", trusted_only=True),
        "webhooks": KeySpec("list", trusted_only=True),
        "timeout_ms": KeySpec("int", trusted_only=True),
    },
}

LIST_OPS = ("append", "exclude")


@dataclass(frozen=True)
class ListChange:
    """A list key as written: a replacing list, or append/exclude against the lower layers."""

    replace: tuple[str, ...] | None
    append: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def map(self, fn: Callable[[str], str]) -> ListChange:
        replace = None if self.replace is None else tuple(map(fn, self.replace))
        return ListChange(replace, tuple(map(fn, self.append)), tuple(map(fn, self.exclude)))

    def apply(self, current: Sequence[str]) -> list[str]:
        wanted = self.replace if self.replace is not None else (*current, *self.append)
        excluded = set(self.exclude)
        return [v for v in dict.fromkeys(wanted) if v not in excluded]


Setting = bool | int | ListChange | Mapping[str, str]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings (got {_shown(value)})")
    return tuple(dict.fromkeys(value))


def _list_change(value: object, where: str) -> ListChange:
    if not isinstance(value, dict):
        return ListChange(_strings(value, where))
    for op in value:
        if op not in LIST_OPS:
            raise ConfigError(f"{where}: unknown key {op!r} (use a list, or append / exclude)")
    return ListChange(
        None,
        _strings(value.get("append", []), f"{where}.append"),
        _strings(value.get("exclude", []), f"{where}.exclude"),
    )


def _tiers(value: object, where: str) -> Mapping[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of rule id = tier (got {_shown(value)})")
    for rule_id, tier in value.items():
        if tier not in TIERS:
            raise ConfigError(
                f"{where}.{rule_id}: unknown tier {_shown(tier)} (use green, yellow or red)"
            )
    return MappingProxyType(dict(value))


def _setting(spec: KeySpec, value: object, where: str) -> Setting:
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false (got {_shown(value)})")
        return value
    if spec.kind == "int":
        # bool is an int in Python; `max_depth = true` is still a type error.
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{where} must be a positive whole number (got {_shown(value)})")
        return value
    if spec.kind == "list":
        return _list_change(value, where)
    return _tiers(value, where)


def validate(data: Mapping[str, object], path: str, *, trusted: bool) -> dict[str, Setting]:
    """One file's settings by dotted key, in file order; raises ConfigError on any bad key."""
    settings: dict[str, Setting] = {}
    for section, body in data.items():
        keys = SCHEMA.get(section)
        if keys is None:
            known = ", ".join(SCHEMA)
            raise ConfigError(f"{path}: unknown section [{section}] (known sections: {known})")
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: '{section}' must be a table ([{section}])")
        for key, value in body.items():
            dotted = f"{section}.{key}"
            spec = keys.get(key)
            if spec is None:
                known = ", ".join(keys)
                raise ConfigError(
                    f"{path}: unknown key '{dotted}' (known keys in [{section}]: {known})"
                )
            if spec.trusted_only and not trusted:
                # A cloned repository must not be able to grant itself more power.
                raise ConfigError(f"{path}: {dotted} is only allowed in the user or system config")
            settings[dotted] = _setting(spec, value, f"{path}: {dotted}")
    return settings
