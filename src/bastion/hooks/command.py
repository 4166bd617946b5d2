"""The command line an agent runs for its hook, in one of two forms bastion writes:

    <python> -I -S <.../bastion/hooks/shim.py> AGENT        the stdlib-only shim
    <.../bastion-hook-HASH> AGENT <python> <shim.py>         the native client (see client.c)

`-I -S` keeps the interpreter from reading site-packages and the environment: the shim needs
only the standard library, and skipping `site` is most of a cold Python's start-up cost. The
native client answers in ~1 ms and hands anything unusual to the same shim."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

AGENTS = ("claude", "gemini", "codex", "cursor", "copilot")
SHIM = Path(__file__).with_name("shim.py")
CLIENT_PREFIX = "bastion-hook-"
FORCE_PYTHON = "BASTION_HOOK_CLIENT"  # =python: write the shim form even where cc exists


def _check_agent(agent: str) -> None:
    if agent not in AGENTS:
        raise ValueError(f"unknown agent {agent!r} (expected one of: {', '.join(AGENTS)})")


def hook_argv(agent: str, python: str | None = None, client: str | None = None) -> list[str]:
    _check_agent(agent)
    python = python or sys.executable
    if client:
        return [client, agent, python, str(SHIM)]
    return [python, "-I", "-S", str(SHIM), agent]


def preferred_hook_argv(agent: str) -> list[str]:
    """The native client when it builds here (cached per source hash), else the shim."""
    _check_agent(agent)
    if os.environ.get(FORCE_PYTHON) != "python":
        from bastion.hooks.native import NativeBuildError, build_client

        try:
            return hook_argv(agent, client=str(build_client()))
        except NativeBuildError:
            pass
    return hook_argv(agent)


def hook_command_line(agent: str) -> str:
    """What `bastion install` writes: the preferred argv as one shell-quoted string."""
    return shlex.join(preferred_hook_argv(agent))


@dataclass(frozen=True)
class HookCommand:
    """A hook command bastion wrote, taken apart."""

    agent: str
    python: str
    shim: str
    client: str | None = None

    def problems(self) -> tuple[str, ...]:
        """Why this command could not run here (empty when it can)."""
        found: list[str] = []
        for label, path, mode in (
            ("native client", self.client, os.X_OK),
            ("interpreter", self.python, os.X_OK),
            ("shim", self.shim, os.R_OK),
        ):
            if path is None:
                continue
            if not os.path.isfile(path):
                found.append(f"{label} {path} does not exist")
            elif not os.access(path, mode):
                need = "executable" if mode == os.X_OK else "readable"
                found.append(f"{label} {path} is not {need}")
        return tuple(found)


def parse_hook_command(words: list[str]) -> HookCommand | str:
    """The command if `words` is one of bastion's two forms, else why it is not."""
    if len(words) == 5 and words[1:3] == ["-I", "-S"]:
        python, shim, agent, client = words[0], words[3], words[4], None
    elif len(words) == 4 and Path(words[0]).name.startswith(CLIENT_PREFIX):
        client, agent, python, shim = words
    else:
        return (
            "not a form bastion writes (<python> -I -S <shim> <agent>, or "
            "<bastion-hook-…> <agent> <python> <shim>)"
        )
    paths = [p for p in (python, shim, client) if p is not None]
    if not all(os.path.isabs(p) for p in paths):
        return "interpreter, shim and client must be absolute paths"
    if Path(shim).name != SHIM.name or Path(shim).parent.name != "hooks":
        return "the script is not bastion's hooks/shim.py"
    if agent not in AGENTS:
        return f"unknown agent {agent!r}"
    return HookCommand(agent, python, shim, client)


def is_bastion_hook(command: str) -> bool:
    """Whether a settings file's hook command is one bastion wrote (any interpreter, any path)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if any(Path(w).name == SHIM.name and Path(w).parent.name == "hooks" for w in words):
        return True
    if words and Path(words[0]).name.startswith(CLIENT_PREFIX):
        return True
    return len(words) >= 2 and Path(words[0]).name == "bastion" and words[1] == "hook"
