"""The command line an agent runs for its hook: an absolute interpreter, isolated, and the shim.

`-I -S` keeps the interpreter from reading site-packages and the environment: the shim needs
only the standard library, and skipping `site` is most of a cold Python's start-up cost."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

AGENTS = ("claude", "gemini", "codex", "cursor", "copilot")
SHIM = Path(__file__).with_name("shim.py")


def hook_argv(agent: str, python: str | None = None) -> list[str]:
    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r} (expected one of: {', '.join(AGENTS)})")
    return [python or sys.executable, "-I", "-S", str(SHIM), agent]


def hook_command_line(agent: str, python: str | None = None) -> str:
    """The argv as one shell-quoted string, for settings files that hold a command string."""
    return shlex.join(hook_argv(agent, python))


def is_bastion_hook(command: str) -> bool:
    """Whether a settings file's hook command is one bastion wrote (any interpreter, any path)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    return any(Path(w).name == SHIM.name and Path(w).parent.name == "hooks" for w in words) or (
        len(words) >= 2 and Path(words[0]).name == "bastion" and words[1] == "hook"
    )
