"""Reading the MCP server lists agents keep in their config files.

| agent       | file                                      | where the servers are            |
|-------------|-------------------------------------------|----------------------------------|
| Claude Code | `.mcp.json`, `~/.claude.json`             | `mcpServers`, `projects.*.mcpServers` |
| Cursor      | `.cursor/mcp.json`, `~/.cursor/mcp.json`  | `mcpServers`                     |
| Gemini CLI  | `.gemini/settings.json`                   | `mcpServers` (`url` / `httpUrl`) |
| Codex       | `~/.codex/config.toml`                    | `[mcp_servers.NAME]`             |
| VS Code     | `.vscode/mcp.json`                        | `servers` (JSON with comments)   |
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bastion.mcp.pins import ServerIdentity

MAX_CONFIG_BYTES = 32 << 20
"""~/.claude.json keeps project history and grows; past this it is refused, not half-read."""


class McpConfigError(ValueError):
    """The file cannot be read or is not a config of a known shape."""


@dataclass(frozen=True)
class McpServerConfig:
    name: str
    agent: str
    """"claude", "cursor", "gemini", "codex" or "vscode"."""
    source: str
    line: int = 1
    scope: str = ""
    """For ~/.claude.json: the project path a server belongs to ("" for user scope)."""
    command: str = ""
    args: tuple[str, ...] = ()
    url: str = ""
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def identity(self) -> ServerIdentity:
        return ServerIdentity(self.name, self.command, self.args, self.url, tuple(self.env))

    @property
    def label(self) -> str:
        return f"{self.name} ({self.scope})" if self.scope else self.name


def config_agent(path: Path) -> str | None:
    """Which agent's MCP config a path is, by name; None when the name says nothing."""
    name, parent = path.name, path.parent.name
    if name == ".mcp.json" or name == ".claude.json":
        return "claude"
    if name == "mcp.json" and parent == ".cursor":
        return "cursor"
    if name == "mcp.json" and parent == ".vscode":
        return "vscode"
    if name == "settings.json" and parent == ".gemini":
        return "gemini"
    if name == "config.toml" and parent == ".codex":
        return "codex"
    return None


def read_mcp_config(path: str | os.PathLike[str]) -> tuple[McpServerConfig, ...]:
    """The servers in one config file, whatever agent wrote it (told by its name, else by its
    shape). Raises McpConfigError for an unreadable file or one holding no MCP section shape."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise McpConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise McpConfigError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from exc
    agent = config_agent(path)
    if path.suffix == ".toml":
        return _codex(path, text)
    data = _json(path, text)
    if not isinstance(data, dict):
        raise McpConfigError(f"{path}: not a JSON object")
    if agent is None:
        if "servers" in data and "mcpServers" not in data:
            agent = "vscode"
        elif "mcpServers" in data or "projects" in data:
            agent = "claude"
        else:
            raise McpConfigError(f"{path}: no 'mcpServers' or 'servers' section")
    key = "servers" if agent == "vscode" else "mcpServers"
    servers = list(_json_servers(path, text, data.get(key), agent, ""))
    projects = data.get("projects") if agent == "claude" else None
    if isinstance(projects, dict):
        for project, body in projects.items():
            if isinstance(body, dict):
                servers.extend(
                    _json_servers(path, text, body.get("mcpServers"), agent, str(project))
                )
    return tuple(servers)


def _json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as strict_error:
        try:  # VS Code (and some users) write JSON with comments and trailing commas
            return json.loads(strip_jsonc(text))
        except ValueError:
            raise McpConfigError(f"{path}: invalid JSON: {strict_error}") from strict_error


def _json_servers(
    path: Path, text: str, section: Any, agent: str, scope: str
) -> list[McpServerConfig]:
    if section is None:
        return []
    if not isinstance(section, dict):
        raise McpConfigError(f"{path}: the MCP server section must be an object")
    out = []
    for name, body in section.items():
        if not isinstance(body, dict):
            raise McpConfigError(f"{path}: server {name!r} must be an object")
        url = body.get("url") or body.get("httpUrl") or body.get("serverUrl") or ""
        out.append(
            McpServerConfig(
                name=str(name),
                agent=agent,
                source=str(path),
                line=_line_of(text, json.dumps(str(name))),
                scope=scope,
                command=_text(body.get("command")),
                args=_texts(body.get("args")),
                url=_text(url),
                env=_strings(body.get("env")),
                headers=_strings(body.get("headers")),
            )
        )
    return out


def _codex(path: Path, text: str) -> tuple[McpServerConfig, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise McpConfigError(f"{path}: invalid TOML: {exc}") from exc
    section = data.get("mcp_servers", {})
    if not isinstance(section, dict):
        raise McpConfigError(f"{path}: [mcp_servers] must be a table")
    out = []
    for name, body in section.items():
        if not isinstance(body, dict):
            raise McpConfigError(f"{path}: [mcp_servers.{name}] must be a table")
        headers = dict(_strings(body.get("http_headers")))
        out.append(
            McpServerConfig(
                name=str(name),
                agent="codex",
                source=str(path),
                line=_line_of(text, f"mcp_servers.{name}"),
                command=_text(body.get("command")),
                args=_texts(body.get("args")),
                url=_text(body.get("url")),
                env=_strings(body.get("env")),
                headers=MappingProxyType(headers),
            )
        )
    return tuple(out)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int, float)))
    return ()


def _strings(value: Any) -> Mapping[str, str]:
    if not isinstance(value, dict):
        return MappingProxyType({})
    return MappingProxyType({str(k): str(v) for k, v in value.items() if v is not None})


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return 1 if index < 0 else text.count("\n", 0, index) + 1


def strip_jsonc(text: str) -> str:
    """Drop // and /* */ comments and trailing commas outside strings (one linear pass);
    newlines are kept so line numbers still match the file."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            comment = text[i : n if end < 0 else end + 2]
            out.append("\n" * comment.count("\n"))
            i = n if end < 0 else end + 2
            continue
        elif c in "]}":
            j = len(out) - 1
            while j >= 0 and out[j].isspace():
                j -= 1
            if j >= 0 and out[j] == ",":
                out[j] = " "
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)
