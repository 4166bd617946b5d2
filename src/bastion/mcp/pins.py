"""What a pin is made of: a server's identity and each tool's description and input schema,
hashed with SHA-256 over one canonical JSON encoding so the same content always pins the same."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


class PinError(ValueError):
    """A value that cannot be pinned, or an approval that does not match what was seen."""


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: two encodings of the same data hash the same.
    NaN and infinities are refused; JSON cannot carry them, so a pin could not be reproduced."""
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise PinError(f"not JSON data: {exc}") from exc
    return text.encode("utf-8")


def digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()


@dataclass(frozen=True)
class ServerIdentity:
    """A server as its configuration launches it: a local command or a remote URL. Environment
    values are left out (they hold secrets and rotate); the names of the variables are kept."""

    name: str
    command: str = ""
    args: tuple[str, ...] = ()
    url: str = ""
    env_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise PinError("an MCP server needs a name")
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "env_keys", tuple(sorted(set(self.env_keys))))

    @property
    def transport(self) -> dict[str, Any]:
        if self.url:
            return {"url": self.url}
        return {"command": self.command, "args": list(self.args), "env_keys": list(self.env_keys)}

    @property
    def digest(self) -> str:
        return digest({"name": self.name, "transport": self.transport})

    def describe(self) -> str:
        if self.url:
            return self.url
        return " ".join((self.command, *self.args)).strip()


@dataclass(frozen=True)
class ToolSpec:
    """One tool as the server lists it (`tools/list`): name, description, input schema."""

    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name:
            raise PinError("an MCP tool needs a name")
        # Hash once now: a schema that is not JSON fails here, not later inside the guard.
        canonical_json(dict(self.input_schema))
        object.__setattr__(self, "input_schema", MappingProxyType(dict(self.input_schema)))

    @classmethod
    def from_listing(cls, entry: Mapping[str, Any]) -> ToolSpec:
        """From one entry of a `tools/list` result (`inputSchema`, camel case, as MCP sends it)."""
        schema = entry.get("inputSchema", entry.get("input_schema", {}))
        description = entry.get("description") or ""
        if not isinstance(schema, Mapping) or not isinstance(description, str):
            raise PinError(f"malformed tool entry {str(entry.get('name'))[:80]!r}")
        return cls(str(entry.get("name") or ""), description, schema)

    @property
    def fingerprint(self) -> ToolFingerprint:
        schema = dict(self.input_schema)
        return ToolFingerprint(
            digest=digest(
                {"name": self.name, "description": self.description, "inputSchema": schema}
            ),
            description=digest(self.description),
            schema=digest(schema),
        )


@dataclass(frozen=True)
class ToolFingerprint:
    """The whole tool's digest (what an approval binds to) and its parts (to say what changed)."""

    digest: str
    description: str
    schema: str

    def changes_from(self, other: ToolFingerprint) -> tuple[str, ...]:
        parts = []
        if self.description != other.description:
            parts.append("description")
        if self.schema != other.schema:
            parts.append("input schema")
        return tuple(parts) or ("definition",)

    def to_dict(self) -> dict[str, str]:
        return {"digest": self.digest, "description": self.description, "schema": self.schema}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolFingerprint:
        values = [data.get(k) for k in ("digest", "description", "schema")]
        if not all(isinstance(v, str) and v.startswith("sha256:") for v in values):
            raise PinError("malformed tool fingerprint")
        return cls(*values)  # type: ignore[arg-type]


def tool_specs(entries: Sequence[Mapping[str, Any]]) -> tuple[ToolSpec, ...]:
    return tuple(ToolSpec.from_listing(e) for e in entries)
