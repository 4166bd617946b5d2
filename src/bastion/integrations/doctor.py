"""`bastion doctor`: is each agent on this machine, is bastion's hook in its settings, can the
hook's interpreter and shim be run, and does it answer a dangerous probe with a deny?

Doctor runs hook commands, so it only runs ones bastion would have written: the exact shape
`<python> -I -S <.../hooks/shim.py> <agent>`, and from a project file (which a cloned
repository can bring along) only the command this bastion writes itself. Anything else is
reported, never executed."""

from __future__ import annotations

import copy
import json
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bastion.hooks.command import hook_command_line, parse_hook_command
from bastion.integrations import probes
from bastion.integrations.agents import INTEGRATIONS
from bastion.integrations.interface import AgentIntegration, IntegrationError, Scope
from bastion.integrations.settings_file import read_settings
from bastion.integrations.switches import disabling_switches

PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class FileReport:
    scope: str
    path: str
    exists: bool
    status: str  # installed | outdated | absent | error
    events: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class ProbeReport:
    probe: str  # benign | dangerous
    command: str
    decision: str
    ok: bool
    exit_code: int | None
    elapsed_ms: int
    detail: str = ""


@dataclass(frozen=True)
class HookReport:
    command: str
    scopes: tuple[str, ...]
    reachable: bool
    problems: tuple[str, ...] = ()
    probed: bool = False
    not_probed_reason: str = ""
    answers: bool | None = None  # None: not probed
    probes: tuple[ProbeReport, ...] = ()


@dataclass(frozen=True)
class AgentReport:
    agent: str
    found: bool
    on_path: tuple[str, ...]
    config_dir: str
    config_dir_exists: bool
    files: tuple[FileReport, ...]
    hooks: tuple[HookReport, ...]
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def installed(self) -> bool:
        return any(f.status in ("installed", "outdated") for f in self.files)


@dataclass(frozen=True)
class DaemonReport:
    available: bool
    status: Any = None
    detail: str = ""


@dataclass(frozen=True)
class DoctorReport:
    agents: tuple[AgentReport, ...]
    daemon: DaemonReport
    ok: bool = field(default=True)


def _file_report(agent: AgentIntegration, scope: Scope, home: Path, project: Path) -> FileReport:
    path = agent.settings_path(scope, home, project)
    try:
        settings = read_settings(path, project if scope is Scope.PROJECT else None)
    except (IntegrationError, OSError) as exc:
        return FileReport(str(scope), str(path), path.exists(), "error", error=str(exc))
    found = agent.found(settings.data)
    if not found:
        return FileReport(str(scope), str(path), settings.exists, "absent")
    # Complete and current = installing now would change nothing.
    trial = copy.deepcopy(settings.data)
    try:
        agent.apply(trial, hook_command_line(agent.name))
    except IntegrationError as exc:
        return FileReport(str(scope), str(path), True, "error", error=str(exc))
    return FileReport(
        str(scope),
        str(path),
        True,
        "installed" if trial == settings.data else "outdated",
        tuple(dict.fromkeys(h.event for h in found)),
        tuple(dict.fromkeys(h.command for h in found)),
    )


def _bastion_shape(words: list[str], agent: str) -> str:
    """Why `words` is not an argv bastion writes for `agent` ("" when it is)."""
    parsed = parse_hook_command(words)
    if isinstance(parsed, str):
        return parsed
    if parsed.agent != agent:
        return f"the command names agent {parsed.agent!r}, not {agent!r}"
    return ""


def _reachability(words: list[str]) -> tuple[str, ...]:
    parsed = parse_hook_command(words)
    return (parsed,) if isinstance(parsed, str) else parsed.problems()


def run_probe(agent: str, argv: list[str], kind: str, cwd: str) -> ProbeReport:
    command = probes.DANGEROUS if kind == "dangerous" else probes.BENIGN
    stdin = json.dumps(probes.payload(agent, command, cwd))
    start = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired:
        elapsed = int((time.monotonic() - start) * 1000)
        detail = f"no answer within {PROBE_TIMEOUT:.0f} s (the agent would let the call through)"
        return ProbeReport(kind, command, "error", False, None, elapsed, detail)
    except OSError as exc:
        return ProbeReport(kind, command, "error", False, None, 0, f"could not run: {exc}")
    elapsed = int((time.monotonic() - start) * 1000)
    answer = probes.read_answer(agent, done.returncode, done.stdout, done.stderr)
    if kind == "dangerous":
        ok = answer.decision == "deny"
    else:
        ok = answer.decision in ("allow", "none", "ask")
    return ProbeReport(kind, command, answer.decision, ok, done.returncode, elapsed, answer.detail)


def _hook_report(agent: str, command: str, scopes: tuple[str, ...], cwd: str) -> HookReport:
    try:
        words = shlex.split(command)
    except ValueError as exc:
        return HookReport(command, scopes, False, (f"cannot parse the command: {exc}",))
    why_not = _bastion_shape(words, agent)
    if why_not:
        return HookReport(command, scopes, False, (why_not,), not_probed_reason=why_not)
    problems = _reachability(words)
    if problems:
        return HookReport(command, scopes, False, problems, not_probed_reason="not reachable")
    if scopes == (str(Scope.PROJECT),) and command != hook_command_line(agent):
        reason = (
            "only in the project file and not this bastion's own command: not run, since a "
            "project file may come from someone else (reinstall with --project to refresh it)"
        )
        return HookReport(command, scopes, True, not_probed_reason=reason)
    results = tuple(run_probe(agent, words, kind, cwd) for kind in ("dangerous", "benign"))
    return HookReport(
        command, scopes, True, probed=True, answers=all(r.ok for r in results), probes=results
    )


def check_agent(agent: AgentIntegration, home: Path, project: Path) -> AgentReport:
    on_path = tuple(p for name in agent.cli_names if (p := shutil.which(name)))
    config_dir = agent.config_dir(home)
    files: list[FileReport] = []
    by_command: dict[str, list[str]] = {}
    errors: list[str] = []
    for scope in (Scope.USER, Scope.PROJECT):
        report = _file_report(agent, scope, home, project)
        files.append(report)
        if report.status == "error":
            errors.append(report.error)
        for command in report.commands:
            by_command.setdefault(command, []).append(report.scope)
    hooks = tuple(
        _hook_report(agent.name, command, tuple(scopes), str(project))
        for command, scopes in by_command.items()
    )
    warnings = list(disabling_switches(agent.name, config_dir, project))
    for report in files:
        if report.status == "outdated":
            warnings.append(
                f"{report.path}: bastion's entries differ from what `bastion install "
                f"{agent.name} --{report.scope}` writes now (run it to refresh them)"
            )
    for hook in hooks:
        if not hook.reachable:
            errors.append(f"hook {hook.command!r}: " + "; ".join(hook.problems))
        elif hook.answers is False:
            errors.append(f"hook {hook.command!r} does not answer the probes correctly")
    found = bool(on_path) or config_dir.is_dir()
    if found and not any(f.status in ("installed", "outdated") for f in files):
        warnings.append(f"{agent.name} is on this machine but bastion's hook is not installed")
    return AgentReport(
        agent.name,
        found,
        on_path,
        str(config_dir),
        config_dir.is_dir(),
        tuple(files),
        hooks,
        tuple(warnings),
        tuple(errors),
    )


def daemon_status() -> DaemonReport:
    """`bastion daemon status --json` when this bastion has a daemon; its absence is fine."""
    argv = [sys.executable, "-m", "bastion.cli.main", "daemon", "status", "--json"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return DaemonReport(False, detail=f"could not ask: {exc}")
    if done.returncode == 64:  # usage error: this bastion has no `daemon` command yet
        return DaemonReport(False, detail="this bastion has no daemon command")
    try:
        status = json.loads(done.stdout)
    except ValueError:
        first = (done.stderr.strip() or done.stdout.strip()).splitlines()[:1]
        return DaemonReport(True, detail=f"exit {done.returncode}: {''.join(first)}")
    return DaemonReport(True, status, f"exit {done.returncode}")


def run_doctor(
    home: Path, project: Path, agents: tuple[str, ...] | None = None, *, daemon: bool = True
) -> DoctorReport:
    chosen = [INTEGRATIONS[name] for name in (agents or tuple(INTEGRATIONS))]
    reports = tuple(check_agent(agent, home, project) for agent in chosen)
    status = daemon_status() if daemon else DaemonReport(False, detail="not checked")
    return DoctorReport(reports, status, ok=not any(r.errors for r in reports))
