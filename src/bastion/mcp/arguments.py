"""What an MCP call's arguments can tell at call time, kept modest on purpose.

* Shell commands: a string under a key such as `command`, `cmd` or `script` (ssh, docker and
  terminal MCP servers run it) is handed to the command layer, so `rm -rf ~` is judged the same
  whichever tool carries it. Commands hidden in other keys or built by the server are not seen.
* Secrets: well-known credential shapes (private keys, cloud and forge tokens) in any string
  argument; sending one to an MCP server is asked about. Generic high-entropy strings are not
  flagged (too many false positives); a dedicated secrets layer is the place for more.

The walk is bounded: depth, number of strings and total characters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bastion.rules.regexes import LazyRegex

MAX_DEPTH = 16
MAX_STRINGS = 2000

COMMAND_KEYS = frozenset(
    {"command", "cmd", "commandline", "command_line", "shell", "shell_command", "script", "bash"}
)

_SECRETS: tuple[tuple[str, str], ...] = (
    ("private key", r"-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----"),
    ("AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b"),
    ("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    ("OpenAI/Anthropic key", r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{32,}\b"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("Stripe secret key", r"\b[rs]k_live_[0-9A-Za-z]{24,}\b"),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
)
_SECRET_REGEXES = tuple((label, LazyRegex(p)) for label, p in _SECRETS)


class ArgumentsTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class StringArg:
    path: str
    """Where in the arguments: `a.b[2]`."""
    key: str
    """The innermost mapping key above the string ("" in a top-level list)."""
    value: str
    is_key: bool = False
    """A mapping key itself (secrets can hide there too), not a value."""


def strings(arguments: Mapping[str, Any], max_chars: int) -> tuple[StringArg, ...]:
    """Every string in the arguments (keys included), or ArgumentsTooLarge past the caps."""
    out: list[StringArg] = []
    total = 0
    for item in _walk(arguments, "", "", 0):
        total += len(item.value)
        if total > max_chars or len(out) >= MAX_STRINGS:
            raise ArgumentsTooLarge(
                f"more than {max_chars} characters or {MAX_STRINGS} strings of arguments"
            )
        out.append(item)
    return tuple(out)


def _walk(value: Any, path: str, key: str, depth: int) -> Iterator[StringArg]:
    if depth > MAX_DEPTH:
        raise ArgumentsTooLarge(f"arguments nested deeper than {MAX_DEPTH}")
    if isinstance(value, str):
        yield StringArg(path, key, value)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            name = str(k)
            yield StringArg(path, key, name, is_key=True)
            yield from _walk(v, f"{path}.{name}" if path else name, name, depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]", key, depth + 1)


def commands(items: tuple[StringArg, ...]) -> tuple[StringArg, ...]:
    return tuple(
        i for i in items if not i.is_key and i.key.lower() in COMMAND_KEYS and i.value.strip()
    )


def secrets_in(text: str) -> str | None:
    """The kind of the first known credential shape in `text`, or None."""
    for label, regex in _SECRET_REGEXES:
        if regex.search(text):
            return label
    return None


def secrets(items: tuple[StringArg, ...]) -> tuple[tuple[StringArg, str], ...]:
    """(argument, kind of secret) for each string holding a known credential shape."""
    found = []
    for item in items:
        label = secrets_in(item.value)
        if label is not None:
            found.append((item, label))
    return tuple(found)
