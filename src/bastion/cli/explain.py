"""`bastion explain`: what was parsed, unfolded and matched, and the verdict."""

from __future__ import annotations

import sys
from typing import Any

from bastion.cli.output import dump_json, render_verdict
from bastion.cli.policy import PolicyUnavailable, load_guard
from bastion.model import ToolCall
from bastion.shell.syntax import SimpleCommand


def _command_data(command: SimpleCommand) -> dict[str, Any]:
    return {
        "argv": command.argv(),
        "base": command.base_name,
        "dynamic": [w.raw for w in command.words if w.dynamic],
        "assignments": {k: str(v) for k, v in command.assignments},
        "redirects": [
            {"op": r.op, "fd": r.fd, "target": str(r.target) if r.target else None}
            for r in command.redirects
        ],
        "pipes": [[p.pipeline, p.stage] for p in command.pipes],
        "depth": command.depth,
        "via": list(command.via),
    }


def run_explain(command: str, cwd: str, *, as_json: bool) -> int:
    try:
        guard = load_guard(cwd)
    except PolicyUnavailable as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return 2
    analysis = guard.command_layer.analyse(command, cwd)
    verdict = guard.evaluate(ToolCall.shell(command, cwd=cwd))
    command_rows = [_command_data(c) for c in analysis.commands]
    data: dict[str, Any] = {
        "command": command,
        "cwd": cwd,
        "parses": [
            {"depth": s.max_depth, "nodes": s.node_count, "syntax_errors": list(s.syntax_errors)}
            for s in analysis.scripts
        ],
        "commands": command_rows,
        "code_texts": analysis.texts,
        "matches": [
            {"rule": h.rule.id, "pack": h.rule.pack, "subject": h.subject, "target": h.target}
            for h in analysis.hits
        ],
        "budget": str(analysis.budget_error) if analysis.budget_error else None,
        "verdict": verdict.to_dict(),
    }
    if as_json:
        dump_json(data)
        return 0
    out: list[str] = [f"command: {command}", f"cwd:     {cwd}", ""]
    out.append(f"parsed:  {len(analysis.scripts)} level(s)")
    for i, script in enumerate(analysis.scripts):
        errors = "; ".join(script.syntax_errors) or "none"
        out.append(
            f"  [{i}] {script.node_count} nodes, depth {script.max_depth}, syntax errors: {errors}"
        )
        out.append(f"      code text: {script.code_text!r}")
    out.append("")
    out.append("commands (after unfolding):")
    if not analysis.commands:
        out.append("  none")
    for item in command_rows:
        via = f"  via {' > '.join(item['via'])}" if item["via"] else ""
        extras = []
        if item["redirects"]:
            extras.append(
                "redirects "
                + ", ".join(f"{r['fd']}{r['op']} {r['target']}" for r in item["redirects"])
            )
        if item["pipes"]:
            extras.append("pipeline " + ", ".join(f"#{p}.{s}" for p, s in item["pipes"]))
        if item["dynamic"]:
            extras.append("dynamic " + ", ".join(item["dynamic"]))
        out.append(f"  {' '.join(item['argv'])}{via}")
        for extra in extras:
            out.append(f"      {extra}")
    out.append("")
    out.append("matched:")
    if not analysis.hits:
        out.append("  no rule")
    for hit in analysis.hits:
        target = f" target {hit.target!r}" if hit.target else ""
        out.append(
            f"  {hit.rule.id} ({hit.rule.action.value}, pack {hit.rule.pack}) "
            f"on {hit.subject}{target}"
        )
    if analysis.budget_error:
        out.append(f"budget:  {analysis.budget_error}")
    out.append("")
    out.append(render_verdict(verdict, command, sys.stdout))
    print("\n".join(out))
    return 0
