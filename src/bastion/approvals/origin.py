"""Is this process running inside an agent's tool call? `bastion approvals approve` and
`bastion bypass` refuse to work when it looks so.

Signals, each cheap and each defeatable on its own (this is a tripwire behind the real wall,
which is the guard denying those commands in every tool call before they run):
- environment markers the agents set for the commands they run: `CLAUDECODE` / `CLAUDE_CODE`
  (Claude Code), `GEMINI_CLI` (Gemini CLI), `CODEX_SANDBOX`, `CODEX_SANDBOX_NETWORK_DISABLED`,
  `CODEX_THREAD_ID` (Codex), `CURSOR_AGENT`, `CURSOR_EXTENSION_HOST_ROLE=agent-exec` (Cursor; not
  `CURSOR_TRACE_ID`, which a human's terminal inside Cursor has too). `env -i` removes them.
- an agent program among the process's ancestors (Linux /proc: `claude`, `gemini`, `codex`,
  `cursor-agent`, `copilot`, also as the script a `node` runs). A double fork (`setsid -f`)
  re-parents the process to init and hides it.
- no terminal: stdin and stdout must both be terminals and /dev/tty must open. Copilot CLI sets
  no marker, so for it this is the signal. `script -qc CMD /dev/null` fakes a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

MARKERS = (
    "CLAUDECODE", "CLAUDE_CODE", "GEMINI_CLI", "CODEX_SANDBOX", "CODEX_SANDBOX_NETWORK_DISABLED",
    "CODEX_THREAD_ID", "CURSOR_AGENT",
)  # fmt: skip
VALUE_MARKERS = {"CURSOR_EXTENSION_HOST_ROLE": "agent-exec"}
AGENT_PROGRAMS = frozenset({"claude", "gemini", "codex", "cursor-agent", "copilot"})
MAX_ANCESTORS = 64


def env_marker(environ: Mapping[str, str]) -> str | None:
    for name in MARKERS:
        if environ.get(name, "") not in ("", "0", "false"):
            return name
    for name, value in VALUE_MARKERS.items():
        if environ.get(name) == value:
            return f"{name}={value}"
    return None


def agent_ancestor(pid: int | None = None, proc: str = "/proc") -> str | None:
    """The first ancestor that is an agent program, as 'name (pid N)'; None when none is (or
    /proc is not there to tell)."""
    current = os.getppid() if pid is None else pid
    for _ in range(MAX_ANCESTORS):
        if current <= 1:
            return None
        try:
            with open(f"{proc}/{current}/cmdline", "rb") as handle:
                argv = handle.read(4096).split(b"\0")
            with open(f"{proc}/{current}/stat", "rb") as handle:
                stat = handle.read(4096)
        except OSError:
            return None
        names = [os.path.basename(a.decode("utf-8", "replace")) for a in argv[:2] if a]
        if names and (names[0] in AGENT_PROGRAMS or (
            names[0].startswith("node") and len(names) > 1 and names[1] in AGENT_PROGRAMS
        )):  # fmt: skip
            return f"{names[-1] if names[0].startswith('node') else names[0]} (pid {current})"
        # stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        try:
            current = int(fields[1])
        except (IndexError, ValueError):
            return None
    return None


def _has_terminal() -> bool:
    try:
        if not (os.isatty(0) and os.isatty(1)):
            return False
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def agent_context(
    environ: Mapping[str, str] | None = None,
    *,
    ancestor: Callable[[], str | None] = agent_ancestor,
    has_terminal: Callable[[], bool] = _has_terminal,
) -> str | None:
    """Why this looks like an agent's tool call (None: a human at a terminal, as far as these
    signals tell)."""
    marker = env_marker(os.environ if environ is None else environ)
    if marker:
        return f"the environment has {marker}, which a coding agent sets for its commands"
    found = ancestor()
    if found:
        return f"it runs under the coding agent {found}"
    if not has_terminal():
        return "it has no terminal (a human runs this command in one)"
    return None
