"""`bastion approvals list|approve|deny|revoke` and `bastion bypass on|off|status|set-token`.

Approving and switching the bypass are for a human at a terminal: they refuse when the process
looks like an agent's tool call (bastion.approvals.origin). Exit 0 done, 1 refused or failed,
64 usage error."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bastion.approvals import origin
from bastion.approvals.bypass import Bypass
from bastion.approvals.events import EventBus, EventSink
from bastion.approvals.model import ApprovalError, PendingApproval, Scope
from bastion.approvals.pinned import PinnedPolicy
from bastion.approvals.store import ApprovalStore, default_dirs
from bastion.approvals.subscribers import subscribers_from_config
from bastion.config import BastionError, Config, load_config

EXIT_OK = 0
EXIT_REFUSED = 1


def add_parsers(
    sub: argparse._SubParsersAction[Any], parser_class: type[argparse.ArgumentParser]
) -> None:
    approvals = sub.add_parser("approvals", help="list, approve or deny requests from agents")
    actions = approvals.add_subparsers(
        dest="approvals_command", metavar="ACTION", parser_class=parser_class
    )
    listing = actions.add_parser("list", help="requests waiting for a human")
    listing.add_argument("--all", action="store_true", help="answered ones too (last 24 h)")
    listing.add_argument("--json", action="store_true")
    approve = actions.add_parser("approve", help="approve a request (once, unless told)")
    approve.add_argument("id", type=int, metavar="ID")
    scope = approve.add_mutually_exclusive_group()
    scope.add_argument("--session", action="store_true", help="for the rest of that session")
    scope.add_argument("--always", action="store_true", help="from now on, in that project")
    deny = actions.add_parser("deny", help="refuse a request")
    deny.add_argument("id", type=int, metavar="ID")
    deny.add_argument("--reason", default="", help="told to the agent on its next try")
    revoke = actions.add_parser("revoke", help="drop an 'always' approval by its key")
    revoke.add_argument("key", metavar="KEY", help="the key shown by `approvals list --all`")

    bypass = sub.add_parser("bypass", help="break-glass: lift asks and denies for a while")
    switch = bypass.add_subparsers(
        dest="bypass_command", metavar="ACTION", parser_class=parser_class
    )
    on = switch.add_parser("on", help="start a bypass (needs the admin token)")
    on.add_argument("--token", help="the admin token (default: asked on the terminal)")
    on.add_argument("--minutes", type=int, default=15)
    on.add_argument("--reason", default="")
    switch.add_parser("off", help="end the bypass")
    status = switch.add_parser("status", help="is a bypass on, and until when")
    status.add_argument("--json", action="store_true")
    switch.add_parser("set-token", help="create a new admin token (printed once)")


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "approvals":
            return _approvals(args)
        return _bypass(args)
    except (ApprovalError, BastionError, OSError) as exc:
        print(f"bastion: {exc}", file=sys.stderr)
        return EXIT_REFUSED


# Module attribute so tests can stand in for the terminal and process checks.
agent_context = origin.agent_context


def _refuse_agent(what: str) -> bool:
    why = agent_context()
    if why is None:
        return False
    print(
        f"bastion: refusing to {what}: {why}. Only a human may do this, from their own "
        "terminal, outside the agent.",
        file=sys.stderr,
    )
    return True


def _config() -> Config:
    return load_config(os.getcwd())


def _sink(config: Config) -> EventSink:
    return EventBus(*subscribers_from_config(config))


def _who() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}"


def _approvals(args: argparse.Namespace) -> int:
    action = args.approvals_command
    if action is None:
        print("usage: bastion approvals {list,approve,deny,revoke} ...", file=sys.stderr)
        return 64
    if action in ("approve", "revoke") and _refuse_agent(f"{action} a request"):
        return EXIT_REFUSED
    config = _config()
    store = ApprovalStore.from_config(config, home=str(Path.home()), sink=_sink(config))
    if action == "list":
        requests = store.pending(include_answered=args.all)
        if args.json:
            print(json.dumps([_request_dict(r) for r in requests], indent=2))
        else:
            _print_requests(requests)
            if args.all:
                for grant in store.always_grants():
                    print(f"always  {grant.key[:16]}  {', '.join(grant.rules)}  {grant.target}"
                          f"  (project {grant.project})")  # fmt: skip
        return EXIT_OK
    if action == "approve":
        scope = Scope.ALWAYS if args.always else Scope.SESSION if args.session else Scope.ONCE
        grant = store.approve(args.id, scope, by=_who())
        print(f"approved request {args.id} ({grant.scope}): {grant.target}")
        return EXIT_OK
    if action == "deny":
        store.deny(args.id, args.reason, by=_who())
        print(f"denied request {args.id}")
        return EXIT_OK
    removed = store.revoke(args.key)
    print(f"revoked {removed} approval(s)")
    return EXIT_OK if removed else EXIT_REFUSED


def _bypass(args: argparse.Namespace) -> int:
    action = args.bypass_command
    if action is None:
        print("usage: bastion bypass {on,off,status,set-token} ...", file=sys.stderr)
        return 64
    if action != "status" and _refuse_agent(f"change the bypass ({action})"):
        return EXIT_REFUSED
    config = _config()
    config_dir, state_dir = default_dirs(str(Path.home()))
    max_minutes = config.value("approvals.bypass_max_minutes")
    assert isinstance(max_minutes, int)
    bypass = Bypass(
        config_dir,
        state_dir,
        pinned=PinnedPolicy.from_config(config),
        max_minutes=max_minutes,
        sink=_sink(config),
    )
    if action == "set-token":
        token = bypass.set_token()
        print("New admin token (shown once; keep it somewhere safe, outside any project):")
        print(token)
        return EXIT_OK
    if action == "on":
        token = args.token if args.token is not None else _ask_token()
        bypass.on(token, args.minutes, by=_who(), reason=args.reason)
        return EXIT_OK
    if action == "off":
        if not bypass.off(by=_who()):
            print("no bypass was on")
        return EXIT_OK
    state = bypass.status()
    if args.json:
        body = None if state is None else {"until": state.until, "by": state.by,
                                           "reason": state.reason}  # fmt: skip
        print(json.dumps({"active": state is not None, "bypass": body}))
    elif state is None:
        print("no bypass is on")
    else:
        print(f"BYPASS ON until {time.ctime(state.until)} (by {state.by or '?'}) {state.reason}")
    return EXIT_OK


def _ask_token() -> str:
    try:
        with open("/dev/tty", "r+") as tty:
            return getpass.getpass("admin token: ", stream=tty)
    except OSError as exc:
        raise ApprovalError("no terminal to ask the token on: pass --token") from exc


def _request_dict(request: PendingApproval) -> dict[str, Any]:
    return {
        "id": request.id,
        "state": str(request.state),
        "agent": request.agent,
        "session": request.session,
        "rules": list(request.rules),
        "target": request.target,
        "project": request.project,
        "reason": request.reason,
        "pinned": request.pinned,
        "created": request.created,
        "deadline": request.deadline,
        "scope": str(request.scope) if request.scope else None,
        "note": request.note,
        "key": request.key,
    }


def _print_requests(requests: list[PendingApproval]) -> None:
    if not requests:
        print("no requests")
        return
    now = time.time()
    for r in requests:
        left = max(0, int(r.deadline - now))
        pin = "  [pinned: once only]" if r.pinned else ""
        print(f"#{r.id}  {r.state}  {r.agent}  {', '.join(r.rules)}{pin}")
        print(f"     {r.target}")
        print(f"     project {r.project}" + (f", {left} s left" if r.open else f"  {r.note}"))
