"""The pin store: what each MCP server and tool looked like when a human approved it, and what
it looked like when last seen. One JSON file, written atomically with mode 0600.

An approval binds to a digest. When a listing shows a different description or schema, the
tool's `seen` digest moves and the old approval no longer covers it: calls are denied until
someone approves the new digest (`approve`), which must be the one that was seen."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bastion._files import write_atomically
from bastion.mcp import findings as F
from bastion.mcp.instructions import MAX_DESCRIPTION_CHARS, find_instructions
from bastion.mcp.pins import PinError, ServerIdentity, ToolFingerprint, ToolSpec
from bastion.model import Finding, Span

FORMAT_VERSION = 1
MAX_STORE_BYTES = 16 << 20
"""A pin file larger than this was not written by bastion; refuse it rather than parse it."""


class PinStoreError(PinError):
    """The store file cannot be read or written. The layer lets it propagate: a deny."""


def default_path() -> Path:
    """`$BASTION_MCP_PINS`, else `$XDG_DATA_HOME/bastion/mcp-pins.json` (~/.local/share)."""
    explicit = os.environ.get("BASTION_MCP_PINS")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "bastion" / "mcp-pins.json"


@dataclass(frozen=True)
class ToolPin:
    seen: ToolFingerprint
    approved: ToolFingerprint | None = None
    flags: tuple[str, ...] = ()
    """Kinds of instruction-like text found in the description that was seen."""

    @property
    def current(self) -> bool:
        return self.approved is not None and self.approved.digest == self.seen.digest


@dataclass(frozen=True)
class ServerPin:
    seen: str
    seen_transport: str
    approved: str | None = None
    approved_transport: str = ""
    tools_listed: bool = False
    """False when only the launch configuration was seen (a config scan): no tool to judge."""
    tools: Mapping[str, ToolPin] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def pinned(self) -> bool:
        return self.approved is not None

    @property
    def current(self) -> bool:
        return self.approved is not None and self.approved == self.seen


class PinStore:
    """Load with `PinStore.open(path)`; methods change memory only, `save()` writes."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._servers: dict[str, ServerPin] = {}
        self._stamp: tuple[int, int, int] | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> PinStore:
        store = cls(path)
        store.reload()
        return store

    # --- reading -----------------------------------------------------------------------------

    def servers(self) -> Iterator[tuple[str, ServerPin]]:
        yield from sorted(self._servers.items())

    def server(self, name: str) -> ServerPin | None:
        return self._servers.get(name)

    def servers_with_tool(self, tool: str) -> tuple[str, ...]:
        return tuple(name for name, pin in self.servers() if tool in pin.tools)

    def reload(self) -> None:
        """Read the file again; a missing file is an empty store, a broken one an error."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._servers, self._stamp = {}, None
            return
        except OSError as exc:
            raise PinStoreError(f"{self.path}: {exc.strerror or exc}") from exc
        if stat.st_size > MAX_STORE_BYTES:
            raise PinStoreError(f"{self.path}: larger than {MAX_STORE_BYTES} bytes")
        try:
            data = json.loads(self.path.read_bytes())
            self._servers = _decode(data)
        except (OSError, ValueError) as exc:
            raise PinStoreError(f"{self.path}: unreadable pin store: {exc}") from exc
        self._stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def reload_if_changed(self) -> None:
        """Cheap enough per call: one stat. A long-lived guard sees pins another process wrote."""
        try:
            stat = self.path.stat()
            stamp: tuple[int, int, int] | None = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            stamp = None
        except OSError as exc:
            raise PinStoreError(f"{self.path}: {exc.strerror or exc}") from exc
        if stamp != self._stamp:
            self.reload()

    # --- writing -----------------------------------------------------------------------------

    def save(self) -> None:
        """Write a temporary file in the same directory (0600) and rename it over the store."""
        data = _encode(self._servers)
        directory = self.path.parent
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomically(self.path, data)
            stat = self.path.stat()
        except OSError as exc:
            raise PinStoreError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc
        self._stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    # --- judging and approving ---------------------------------------------------------------

    def check(
        self, server: ServerIdentity, tools: Sequence[ToolSpec] | None = None
    ) -> list[Finding]:
        """Compare a server (and its tool listing, when known) with the approved pins, record
        what was seen, and return what changed. Nothing is approved here."""
        found: list[Finding] = []
        old = self._servers.get(server.name)
        seen, transport = server.digest, server.describe()
        if old is None or old.approved is None:
            found.append(F.server_unpinned(server.name))
        elif old.approved != seen:
            found.append(F.server_changed(server.name, old.approved_transport, transport))
        pin = (
            replace(old, seen=seen, seen_transport=transport)
            if old is not None
            else ServerPin(seen=seen, seen_transport=transport)
        )
        if tools is not None:
            tool_pins = dict(pin.tools)
            for spec in tools:
                tool_pin = _observe(tool_pins.get(spec.name), spec)
                tool_pins[spec.name] = tool_pin
                found.extend(_tool_findings(server.name, spec, tool_pin, pin.pinned))
            pin = replace(pin, tools_listed=True, tools=MappingProxyType(tool_pins))
        self._servers[server.name] = pin
        return found

    def pin(self, server: ServerIdentity, tools: Sequence[ToolSpec] | None = None) -> list[Finding]:
        """Trust on first use: approve a server never approved before, with every listed tool
        whose description carries no instructions (those stay unapproved and are returned).
        A server that already has an approval is only checked: changes need `approve`."""
        existing = self._servers.get(server.name)
        if existing is not None and existing.approved is not None:
            return self.check(server, tools)
        self.check(server, tools)
        pin = self._servers[server.name]
        tool_pins = {
            name: tp if tp.flags else replace(tp, approved=tp.seen)
            for name, tp in pin.tools.items()
        }
        self._servers[server.name] = replace(
            pin,
            approved=pin.seen,
            approved_transport=pin.seen_transport,
            tools=MappingProxyType(tool_pins),
        )
        return [
            F.tool_instructions(server.name, name, tp.flags)
            for name, tp in sorted(tool_pins.items())
            if tp.approved is None
        ]

    def approve(self, server: str, tool: str, digest: str) -> None:
        """Approve a tool at `digest`, which must be what was last seen: approving a digest
        from before a change does not approve the changed tool."""
        pin = self._servers.get(server)
        tool_pin = pin.tools.get(tool) if pin is not None else None
        if pin is None or tool_pin is None:
            raise PinError(f"no MCP tool '{server}/{tool}' has been seen")
        if tool_pin.seen.digest != digest:
            raise PinError(
                f"'{server}/{tool}' is now {tool_pin.seen.digest}, not {digest}: review the "
                "current description and approve its digest"
            )
        tools = {**pin.tools, tool: replace(tool_pin, approved=tool_pin.seen)}
        self._servers[server] = replace(pin, tools=MappingProxyType(tools))

    def approve_server(self, server: str, digest: str) -> None:
        """Approve the server's launch identity at `digest` (must be the one last seen)."""
        pin = self._servers.get(server)
        if pin is None:
            raise PinError(f"no MCP server '{server}' has been seen")
        if pin.seen != digest:
            raise PinError(f"server '{server}' is now {pin.seen}, not {digest}")
        self._servers[server] = replace(
            pin, approved=pin.seen, approved_transport=pin.seen_transport
        )

    def judge_call(self, server: str, tool: str) -> list[Finding]:
        """What the store says about calling `server`'s `tool` now (no listing at hand)."""
        pin = self._servers.get(server)
        if pin is None:
            return [F.server_unpinned(server)]
        found: list[Finding] = []
        if pin.approved is None:
            found.append(F.server_unpinned(server))
        elif not pin.current:
            found.append(F.server_changed(server, pin.approved_transport, pin.seen_transport))
        if not pin.tools_listed:
            return found
        tool_pin = pin.tools.get(tool)
        if tool_pin is None:
            if pin.pinned:
                found.append(F.tool_unknown(server, tool))
            return found
        if tool_pin.current:
            return found
        if tool_pin.flags:
            found.append(F.tool_instructions(server, tool, tool_pin.flags))
        if tool_pin.approved is not None:
            changed = tool_pin.seen.changes_from(tool_pin.approved)
            found.append(F.tool_changed(server, tool, changed))
        elif pin.pinned:
            found.append(F.tool_new(server, tool))
        return found


def _observe(old: ToolPin | None, spec: ToolSpec) -> ToolPin:
    kinds = [hit.kind for hit in find_instructions(spec.description)]
    if len(spec.description) > MAX_DESCRIPTION_CHARS:
        kinds.append("oversized")
    return ToolPin(
        seen=spec.fingerprint,
        approved=old.approved if old is not None else None,
        flags=tuple(dict.fromkeys(kinds)),
    )


def _tool_findings(server: str, spec: ToolSpec, pin: ToolPin, server_pinned: bool) -> list[Finding]:
    if pin.current:
        return []
    found = []
    if pin.flags:
        hits = find_instructions(spec.description)
        span = None
        if hits:
            prefix = spec.description[: hits[0].start]
            start = len(prefix.encode("utf-8"))
            span = Span(start, start + len(spec.description[hits[0].start : hits[0].end].encode()))
        found.append(F.tool_instructions(server, spec.name, pin.flags, span))
    if pin.approved is not None:
        found.append(F.tool_changed(server, spec.name, pin.seen.changes_from(pin.approved)))
    elif server_pinned:
        found.append(F.tool_new(server, spec.name))
    return found


# --- file format --------------------------------------------------------------------------


def _encode(servers: Mapping[str, ServerPin]) -> bytes:
    body: dict[str, Any] = {}
    for name, pin in sorted(servers.items()):
        body[name] = {
            "seen": pin.seen,
            "seen_transport": pin.seen_transport,
            "approved": pin.approved,
            "approved_transport": pin.approved_transport,
            "tools_listed": pin.tools_listed,
            "tools": {
                tool: {
                    "seen": tp.seen.to_dict(),
                    "approved": tp.approved.to_dict() if tp.approved else None,
                    "flags": list(tp.flags),
                }
                for tool, tp in sorted(pin.tools.items())
            },
        }
    data = {"version": FORMAT_VERSION, "servers": body}
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _decode(data: Any) -> dict[str, ServerPin]:
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"expected a version {FORMAT_VERSION} pin store")
    servers = data.get("servers")
    if not isinstance(servers, dict):
        raise ValueError("'servers' must be an object")
    out: dict[str, ServerPin] = {}
    for name, raw in servers.items():
        if not isinstance(raw, dict) or not isinstance(raw.get("tools", {}), dict):
            raise ValueError(f"server {name!r}: malformed")
        tools: dict[str, ToolPin] = {}
        for tool, entry in raw.get("tools", {}).items():
            if not isinstance(entry, dict) or not isinstance(entry.get("flags", []), list):
                raise ValueError(f"tool {name}/{tool}: malformed")
            approved = entry.get("approved")
            tools[tool] = ToolPin(
                seen=ToolFingerprint.from_dict(entry.get("seen") or {}),
                approved=ToolFingerprint.from_dict(approved) if approved is not None else None,
                flags=tuple(str(f) for f in entry.get("flags", [])),
            )
        seen, approved_id = raw.get("seen"), raw.get("approved")
        if not isinstance(seen, str) or not (approved_id is None or isinstance(approved_id, str)):
            raise ValueError(f"server {name!r}: malformed digests")
        out[name] = ServerPin(
            seen=seen,
            seen_transport=str(raw.get("seen_transport", "")),
            approved=approved_id,
            approved_transport=str(raw.get("approved_transport", "")),
            tools_listed=bool(raw.get("tools_listed", False)),
            tools=MappingProxyType(tools),
        )
    return out
