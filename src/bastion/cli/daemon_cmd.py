"""`bastion daemon start|stop|status` and `bastion hook AGENT`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bastion.hooks.command import AGENTS


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `hook` and `daemon` to the top-level subparsers `sub`."""
    hook = sub.add_parser(
        "hook",
        help="answer one agent hook call (what the agent runs; reads its payload on stdin)",
        description="Read one hook payload on stdin and print the agent's answer. Installed "
        "hooks run the faster form `python -I -S .../bastion/hooks/shim.py AGENT`.",
    )
    hook.add_argument("agent", choices=AGENTS)
    daemon = sub.add_parser("daemon", help="start, stop or inspect the hook daemon")
    actions = daemon.add_subparsers(
        dest="daemon_command", metavar="ACTION", parser_class=parser_class
    )
    for name, text in (
        ("start", "start the daemon unless one is running"),
        ("stop", "stop the running daemon"),
        ("status", "whether a daemon runs, what it serves, and policy load errors"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--json", action="store_true", help="machine-readable output")


def run_hook(agent: str) -> int:
    from bastion.hooks.shim import main

    return main(["bastion-hook", agent])


def run_daemon(args: argparse.Namespace) -> int:
    from bastion.hooks import control

    action = args.daemon_command
    try:
        if action == "start":
            state = control.start()
            return _show(state.detail, args.json, f"daemon running (pid {state.detail.get('pid')})")
        if action == "stop":
            stopped = control.stop()
            text = "daemon stopped" if stopped else "no daemon was running"
            return _show({"stopped": stopped}, args.json, text)
        state = control.status()
    except control.DaemonError as exc:
        print(f"bastion daemon: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"running": state.running, **state.detail}, indent=2))
        return 0 if state.running else 3
    if not state.running:
        print(f"no daemon running (socket {state.detail.get('socket')})")
        return 3
    _print_status(state.detail)
    return 0


def _show(detail: dict[str, object], as_json: bool, text: str) -> int:
    print(json.dumps(detail, indent=2) if as_json else text)
    return 0


def _print_status(detail: dict[str, object]) -> None:
    print(f"daemon running: pid {detail['pid']}, bastion {detail['version']}")
    print(f"  socket   {detail['socket']}")
    print(
        f"  uptime   {detail['uptime_s']} s, {detail['served']} hook calls served, "
        f"{detail['reloads']} policy reloads, exits after {detail['idle_exit_s']} s idle"
    )
    policies = detail.get("policies")
    for policy in policies if isinstance(policies, list) else []:
        where = policy.get("project") or "(no project config)"
        if policy.get("error"):
            state = "last good policy kept" if policy.get("loaded") else "NO POLICY: denying"
            print(f"  policy   {where}: ERROR ({state}) for {policy.get('error_age_s')} s:")
            print(f"           {policy['error']}")
        else:
            print(f"  policy   {where}: loaded")
