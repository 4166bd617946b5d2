"""Agent mode: a hook rewrites an agent's shell command so it runs inside `bastion run`."""

from __future__ import annotations

import shlex

from bastion.config import Config


def wrap_command(command: str, profile: str, cwd: str, executable: str = "bastion") -> str:
    """`command` as `bastion run --profile P --cwd D -- bash -c '<command>'`, every part
    shell-quoted, so the agent's shell hands bash the exact original text."""
    return shlex.join(
        [executable, "run", "--profile", profile, "--cwd", cwd, "--", "bash", "-c", command]
    )


def is_wrapped(command: str, executable: str = "bastion") -> bool:
    """Already rewritten (a hook may see its own output again)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    return words[:2] == [executable, "run"] and "--" in words


def agent_mode(config: Config) -> bool:
    value = config.value("sandbox.agent_mode")
    return value is True
