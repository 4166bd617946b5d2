"""`bastion check`: one verdict, exit 0 allow, 1 ask, 2 deny."""

from __future__ import annotations

import sys

from bastion.cli.output import dump_json, render_verdict
from bastion.cli.policy import PolicyUnavailable, load_guard
from bastion.guard import guard_failure
from bastion.model import ToolCall, Verdict


def run_check(command: str, cwd: str, *, as_json: bool) -> int:
    try:
        guard = load_guard(cwd)
        verdict = guard.evaluate(ToolCall.shell(command, cwd=cwd))
    except PolicyUnavailable as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        verdict = exc.verdict()
    except Exception as exc:  # never exit 0 because bastion itself broke
        verdict = Verdict.combine([guard_failure("check", exc)])
    if as_json:
        dump_json({"command": command, "cwd": cwd, **verdict.to_dict()})
    else:
        print(render_verdict(verdict, command, sys.stdout))
    return int(verdict.decision)
