"""Ask the human at the controlling terminal (library use; agents have their own prompts).

The question goes to /dev/tty, never stdin/stdout: those belong to the program (and, in an
agent, to the model). No terminal means nobody is there to answer: the answer is deny, as it is
for an empty, unknown or late answer."""

from __future__ import annotations

import os
import select
from collections.abc import Sequence

from bastion.approvals.model import Scope
from bastion.model import Verdict

TTY = "/dev/tty"
MAX_ANSWER = 64
_CHOICES = {"o": Scope.ONCE, "s": Scope.SESSION, "a": Scope.ALWAYS, "d": Scope.DENY}


def prompt_terminal(
    verdict: Verdict,
    *,
    pinned: Sequence[str] = (),
    timeout_s: float = 120.0,
    tty_path: str = TTY,
) -> Scope:
    """The human's answer: ONCE / SESSION / ALWAYS, or DENY (also for no terminal, no answer
    in `timeout_s`, or anything not understood). A pinned ask offers once or deny only."""
    try:
        fd = os.open(tty_path, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return Scope.DENY  # unattended
    try:
        if not os.isatty(fd):
            return Scope.DENY
        options = "[o]nce / [d]eny" if pinned else "[o]nce / [s]ession / [a]lways / [d]eny"
        lines = [f"bastion asks: {verdict.reason}"]
        if pinned:
            lines.append(f"  pinned: {'; '.join(pinned)} (only once)")
        lines.append(f"Allow? {options} (default deny, {timeout_s:g} s): ")
        os.write(fd, "\n".join(lines).encode("utf-8", "replace"))
        answer = _read_line(fd, timeout_s)
        os.write(fd, b"\n" if answer is None else b"")
    except OSError:
        return Scope.DENY
    finally:
        os.close(fd)
    scope = _CHOICES.get((answer or "").strip().lower()[:1], Scope.DENY)
    if pinned and scope in (Scope.SESSION, Scope.ALWAYS):
        return Scope.DENY  # an answer that is not on offer is not understood
    return scope


def _read_line(fd: int, timeout_s: float) -> str | None:
    ready, _, _ = select.select([fd], [], [], max(0.0, timeout_s))
    if not ready:
        return None
    data = os.read(fd, MAX_ANSWER)
    return data.decode("utf-8", "replace").splitlines()[0] if data.strip() else ""
