"""`bastion install|uninstall AGENT [--user|--project]` and `bastion doctor`.

Exit 0 on success (including "already installed" and "nothing to remove"); 1 when a settings
file was refused (it is left untouched) or doctor found a problem with an installed hook."""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from bastion.cli.output import dump_json
from bastion.hooks.command import hook_command_line
from bastion.integrations import AGENT_NAMES, IntegrationError, Outcome, Scope, get
from bastion.integrations.doctor import AgentReport, DoctorReport, HookReport, run_doctor
from bastion.integrations.install import install, uninstall

EXIT_OK = 0
EXIT_PROBLEM = 1

_SCOPE_HELP = (
    "--user edits the home-directory file, --project the one under the current directory. "
    "Default: --user, except copilot (--project: .github/hooks/bastion.json; its user location "
    "~/.copilot/hooks/bastion.json is UNCONFIRMED by GitHub's documentation)."
)
_FILES = """files:
  claude   ~/.claude/settings.json      .claude/settings.json       (PreToolUse, PostToolUse)
  gemini   ~/.gemini/settings.json      .gemini/settings.json       (BeforeTool, AfterTool)
  codex    ~/.codex/hooks.json          .codex/hooks.json           (PreToolUse, PostToolUse)
  cursor   ~/.cursor/hooks.json         .cursor/hooks.json          (beforeShellExecution,
                                        beforeMCPExecution, beforeReadFile, preToolUse)
  copilot  ~/.copilot/hooks/bastion.json (UNCONFIRMED)  .github/hooks/bastion.json  (preToolUse)
"""


def add_parsers(
    sub: argparse._SubParsersAction[Any], parser_class: type[argparse.ArgumentParser]
) -> None:
    """Add install, uninstall and doctor to `sub` (made with `parser_class`, which exits 64 on
    usage errors; the class comes from `sub` itself, the argument documents the contract)."""
    del parser_class
    for name, summary in (
        ("install", "add bastion's hook to an agent's settings (backup once, edit in place)"),
        ("uninstall", "remove bastion's hook; restore the backup when nothing else changed"),
    ):
        parser = sub.add_parser(
            name,
            help=summary,
            description=textwrap.fill(f"{summary[0].upper()}{summary[1:]}. {_SCOPE_HELP}", 90),
            epilog=_FILES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument(
            "agent", choices=AGENT_NAMES, metavar="AGENT", help=" | ".join(AGENT_NAMES)
        )
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--user",
            dest="scope",
            action="store_const",
            const=Scope.USER,
            help="the file in your home directory (default, except copilot)",
        )
        where.add_argument(
            "--project",
            dest="scope",
            action="store_const",
            const=Scope.PROJECT,
            help="the file under the current directory (default for copilot)",
        )
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    doctor = sub.add_parser(
        "doctor",
        help="check each agent: found, hook installed, reachable, answering",
        description="For each agent: whether it is on this machine, whether bastion's hook is "
        "in its user and project settings, whether the hook's interpreter and shim exist, and "
        "whether it denies a dangerous probe and lets a benign one through. Also the daemon's "
        "status. Exit 1 when an installed hook is broken.",
    )
    doctor.add_argument(
        "--agent",
        dest="agents",
        action="append",
        choices=AGENT_NAMES,
        metavar="AGENT",
        help="check only this agent (repeatable; default: all)",
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    if args.command == "doctor":
        return _doctor(args)
    agent = get(args.agent)
    scope: Scope = args.scope or agent.default_scope
    home, project = Path.home(), Path(os.getcwd())
    action = install if args.command == "install" else uninstall
    try:
        outcome = action(agent, scope, home=home, project=project)
    except (IntegrationError, OSError) as exc:
        path = agent.settings_path(scope, home, project)
        print(f"bastion: error: {agent.name} ({scope}): {exc}", file=sys.stderr)
        if args.json:
            dump_json(
                {
                    "agent": agent.name,
                    "scope": str(scope),
                    "path": str(path),
                    "action": "refused",
                    "error": str(exc),
                }
            )
        return EXIT_PROBLEM
    if args.json:
        dump_json(_outcome_json(outcome))
    else:
        print(_outcome_text(outcome))
    return EXIT_OK


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    data: dict[str, Any] = _jsonable(dataclasses.asdict(outcome))
    data["changed"] = outcome.changed
    if outcome.action in ("installed", "updated", "already-installed"):
        data["command"] = hook_command_line(outcome.agent)
    return data


_HEADLINES = {
    "installed": "installed bastion's hook in",
    "updated": "updated bastion's hook in",
    "already-installed": "already installed in",
    "restored": "removed bastion's hook from",
    "removed-file": "removed bastion's hook from",
    "cleaned": "removed bastion's hook from",
    "not-installed": "bastion's hook is not in",
}


def _outcome_text(outcome: Outcome) -> str:
    head = f"{outcome.agent}: {_HEADLINES[outcome.action]} {outcome.path} ({outcome.scope})"
    if outcome.written_to:
        head += f" -> {outcome.written_to}"
    if not outcome.changed:
        head += "; nothing written"
    lines = [head]
    for change in outcome.changes:
        matcher = "every tool" if change.matcher in (None, "*") else f"matcher {change.matcher}"
        if change.action == "removed":
            matcher = ""
        lines.append(f"  {change.event:<21} {change.action:<9} {matcher}".rstrip())
    if outcome.action in ("installed", "updated"):
        lines.append(f"  hook     {hook_command_line(outcome.agent)}")
    if outcome.action == "restored":
        lines.append(f"  backup   {outcome.backup}: {outcome.backup_note}")
    elif outcome.action == "removed-file":
        lines.append("  file     deleted: bastion had created it and nothing else was added")
    elif outcome.backup:
        lines.append(f"  backup   {outcome.backup} ({outcome.backup_note})")
    lines.extend(f"  note     {note}" for note in outcome.notes)
    return "\n".join(lines)


def _doctor(args: argparse.Namespace) -> int:
    from bastion.sandbox.probe import doctor_report

    report = run_doctor(Path.home(), Path(os.getcwd()), tuple(args.agents or ()) or None)
    isolation = doctor_report()  # what `bastion run` can use on this kernel
    if args.json:
        data = _jsonable(dataclasses.asdict(report))
        for agent_data, agent in zip(data["agents"], report.agents, strict=True):
            agent_data["installed"] = agent.installed
        data["sandbox"] = [
            {"feature": feature, "available": available, "detail": detail}
            for feature, available, detail in isolation
        ]
        dump_json(data)
    else:
        print(_doctor_text(report))
        print("sandbox  " + ", ".join(f"{f}: {'yes' if ok else 'NO'}" for f, ok, _ in isolation))
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _hook_lines(hook: HookReport) -> list[str]:
    lines = [f"  hook     {hook.command}  ({', '.join(hook.scopes)})"]
    if hook.reachable:
        lines.append("           reachable: interpreter and shim found")
    else:
        lines.extend(f"           NOT reachable: {p}" for p in hook.problems)
    if not hook.probed:
        if hook.reachable and hook.not_probed_reason:
            lines.append(f"           not probed: {hook.not_probed_reason}")
        return lines
    verdict = "answers correctly" if hook.answers else "DOES NOT answer correctly"
    lines.append(f"           {verdict}:")
    for probe in hook.probes:
        mark = "ok " if probe.ok else "BAD"
        want = "deny" if probe.probe == "dangerous" else "not deny"
        detail = f" - {probe.detail}" if probe.detail else ""
        lines.append(
            f"           {mark} {probe.probe:<9} {probe.command!r}: {probe.decision} "
            f"(want {want}, {probe.elapsed_ms} ms){detail}"[:200]
        )
    return lines


def _agent_lines(agent: AgentReport) -> list[str]:
    where = []
    if agent.on_path:
        where.append("on PATH: " + ", ".join(agent.on_path))
    if agent.config_dir_exists:
        where.append(agent.config_dir)
    found = "found (" + "; ".join(where) + ")" if agent.found else "not found on this machine"
    lines = [f"{agent.agent:<8} {found}"]
    for f in agent.files:
        state = {
            "installed": "installed (" + ", ".join(f.events) + ")",
            "outdated": "installed but outdated (" + ", ".join(f.events) + ")",
            "absent": "not installed" + ("" if f.exists else " (no file)"),
            "error": f"UNREADABLE: {f.error}",
        }[f.status]
        lines.append(f"  {f.scope:<8} {f.path}: {state}")
    for hook in agent.hooks:
        lines.extend(_hook_lines(hook))
    lines.extend(f"  warning  {w}" for w in agent.warnings)
    return lines


def _doctor_text(report: DoctorReport) -> str:
    lines: list[str] = []
    for agent in report.agents:
        lines.extend(_agent_lines(agent))
    daemon = report.daemon
    if daemon.available and isinstance(daemon.status, dict) and "running" in daemon.status:
        state = "running" if daemon.status["running"] else "not running"
        extra = f", pid {daemon.status['pid']}" if daemon.status.get("pid") else ""
        lines.append(f"daemon   {state}{extra}")
    elif daemon.available:
        shown = json.dumps(daemon.status) if daemon.status is not None else daemon.detail
        lines.append(f"daemon   {shown}")
    else:
        lines.append(f"daemon   not available ({daemon.detail})")
    if not any(a.installed for a in report.agents):
        lines.append("bastion's hook is not installed for any agent: bastion install AGENT")
    lines.append("ok" if report.ok else "problems found (see NOT / BAD / UNREADABLE above)")
    return "\n".join(lines)
