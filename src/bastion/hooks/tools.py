"""Turn an agent's tool name and arguments into a ToolCall every layer understands.

Each agent module says which of its tool names is a shell, a write, an edit, a read, a fetch
or an MCP call; the argument shapes are close enough across agents that one extractor serves
them all (a command string or argv, file path keys, URLs in a `url` or a free-text prompt)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

import re2

from bastion.hooks.interface import PayloadError
from bastion.hooks.patches import patch_paths
from bastion.model import ToolCall, ToolKind

_PATH_KEYS = ("file_path", "path", "notebook_path", "filePath", "absolute_path", "target_file")
_PATH_LIST_KEYS = ("paths", "include", "files")
_URL = re2.compile(r"https?://[^\s<>\"'`()\[\]{}]+")
MAX_URLS = 20


def shell_text(tool_input: Mapping[str, Any], key: str = "command") -> str:
    """A command as a string; Codex's older shell tool sends argv (`["bash", "-lc", "..."]`)."""
    value = tool_input.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(w, str) for w in value):
        return shlex.join(value)
    raise PayloadError(f"the shell tool's {key!r} must be a string or a list of strings")


def absolute(path: str, cwd: str) -> str:
    path = os.path.expanduser(path) if path.startswith("~") else path
    return os.path.normpath(os.path.join(cwd, path)) if cwd else os.path.normpath(path)


def file_paths(tool_input: Mapping[str, Any], cwd: str) -> tuple[str, ...]:
    found: list[str] = []
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            found.append(value)
    for key in _PATH_LIST_KEYS:
        value = tool_input.get(key)
        if isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str) and v)
    return tuple(dict.fromkeys(absolute(p, cwd) for p in found))


def urls_in(*texts: object) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for text in texts:
        if isinstance(text, str):
            for match in _URL.finditer(text):
                found[match.group(0).rstrip(".,;:!?")] = None
    return tuple(found)[:MAX_URLS]


def output_text(value: object, limit: int = 1 << 20) -> str | None:
    """A tool's output as text: strings as they are, nested results as their string leaves
    one per line (JSON escapes would hide a line-start `SYSTEM:` from the scanner)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    parts: list[str] = []
    stack: list[object] = [value]
    size = 0
    while stack and size < limit:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            size += len(item)
        elif isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))
    return "\n".join(parts)


def build_call(
    kind: ToolKind,
    tool_name: str,
    tool_input: Mapping[str, Any],
    *,
    agent: str,
    cwd: str,
    session_id: str = "",
    command: str | None = None,
) -> ToolCall:
    """The ToolCall for one tool use. `command` overrides where the shell text is read from."""
    paths: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    if kind is ToolKind.SHELL:
        command = command if command is not None else shell_text(tool_input)
    elif kind in (ToolKind.WRITE, ToolKind.EDIT, ToolKind.READ):
        patch = tool_input.get("command") if tool_name == "apply_patch" else None
        if isinstance(patch, list):  # ["apply_patch", "<patch>"]
            patch = "\n".join(w for w in patch if isinstance(w, str))
        if isinstance(patch, str) or tool_name == "apply_patch":
            if not isinstance(patch, str):
                raise PayloadError("apply_patch needs the patch text in 'command'")
            paths = tuple(absolute(p, cwd) for p in patch_paths(patch))
            if not paths:
                raise PayloadError("apply_patch names no file (no '*** Add/Update/Delete File:')")
        else:
            paths = file_paths(tool_input, cwd)
            if not paths and kind is not ToolKind.READ:
                raise PayloadError(f"{tool_name} names no file path")
    elif kind is ToolKind.FETCH:
        urls = urls_in(tool_input.get("url"), tool_input.get("prompt"))
    return ToolCall(
        kind=kind,
        tool_name=tool_name,
        raw_input=tool_input,
        agent=agent,
        session_id=session_id,
        cwd=cwd,
        command=command,
        paths=paths,
        urls=urls,
    )
