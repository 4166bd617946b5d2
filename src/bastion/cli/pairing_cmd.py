"""`bastion pairing list|approve PLATFORM CODE|revoke PLATFORM USER|clear-pending`.

Exit codes: 0 done; 1 not done (a wrong, expired or used code, approvals locked, no such
pairing); 2 the pairing store or the audit log cannot be used; 64 a malformed platform or user
id. Every change is recorded in the audit log (`gateway_pairing` records, session "gateway").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

EXIT_USAGE = 64


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `pairing` to the top-level subparsers `sub`."""
    pairing = sub.add_parser(
        "pairing",
        help="approve or revoke chat users of a gateway-exposed agent",
        description="Chat users who are not allowed get a pairing code in a direct message; "
        "approve it here. The store is $BASTION_GATEWAY_DIR, else "
        "$XDG_STATE_HOME/bastion/gateway.",
    )
    actions = pairing.add_subparsers(
        dest="pairing_command", metavar="ACTION", parser_class=parser_class
    )
    listing = actions.add_parser("list", help="paired users, pending requests and lockouts")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    approve = actions.add_parser("approve", help="pair the user who was given CODE")
    approve.add_argument("platform", metavar="PLATFORM")
    approve.add_argument("code", metavar="CODE")
    revoke = actions.add_parser("revoke", help="unpair a user")
    revoke.add_argument("platform", metavar="PLATFORM")
    revoke.add_argument("user", metavar="USER")
    clear = actions.add_parser("clear-pending", help="drop every pending pairing code")
    clear.add_argument("--platform", metavar="PLATFORM", help="only this platform's codes")


def run(args: argparse.Namespace) -> int:
    from bastion.audit.records import AuditError
    from bastion.gateway import IdentityError, Pairing, PairingStoreError

    try:
        pairing = Pairing(sink=_audit_sink())
        action = args.pairing_command
        if action == "approve":
            return _approve(pairing, args.platform, args.code)
        if action == "revoke":
            if pairing.revoke(args.platform, args.user):
                print(f"revoked {args.platform.lower()}:{args.user}")
                return 0
            print(f"{args.platform.lower()}:{args.user} was not paired", file=sys.stderr)
            return 1
        if action == "clear-pending":
            count = pairing.clear_pending(args.platform)
            print(f"cleared {count} pending code{'' if count == 1 else 's'}")
            return 0
        return _list(pairing, getattr(args, "json", False))
    except IdentityError as exc:
        print(f"bastion pairing: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PairingStoreError as exc:
        print(f"bastion pairing: {exc}", file=sys.stderr)
        return 2
    except AuditError as exc:
        # The change may have been made: say so rather than let it pass unrecorded in silence.
        print(
            f"bastion pairing: the audit record was not written ({exc}); check "
            "`bastion pairing list` for what changed",
            file=sys.stderr,
        )
        return 2


def _audit_sink() -> Any:
    from bastion.config import BastionError, load_config
    from bastion.gateway.audit import audit_sink

    try:
        config = load_config(os.getcwd())
    except (BastionError, OSError):
        return audit_sink()  # the default settings audit: a broken config must not silence it
    return audit_sink(config=config)


def _approve(pairing: Any, platform: str, code: str) -> int:
    from bastion.gateway import ApproveOutcome

    result = pairing.approve(platform, code)
    if result.outcome is ApproveOutcome.APPROVED:
        print(f"approved {result.identity}")
        return 0
    if result.outcome is ApproveOutcome.ALREADY_USED:
        print(f"that code was already approved (for {result.identity})", file=sys.stderr)
        return 1
    # Never echo the code: terminals and shell logs keep what is printed.
    if result.outcome is ApproveOutcome.LOCKED:
        print(
            f"approvals on {platform.lower()} are locked after too many wrong codes; try again "
            f"after {_when(result.locked_until)}",
            file=sys.stderr,
        )
    else:
        print(
            f"no pending request on {platform.lower()} has that code (wrong, expired or "
            "already used)",
            file=sys.stderr,
        )
        if result.locked_until is not None:
            print(
                f"too many wrong codes: approvals locked until {_when(result.locked_until)}",
                file=sys.stderr,
            )
    return 1


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at or 0))


def _list(pairing: Any, as_json: bool) -> int:
    listing = pairing.listing()
    if as_json:
        data = {
            "paired": [
                {"platform": p.identity.platform, "user": p.identity.user,
                 "approved_at": p.approved_at}
                for p in listing.paired
            ],
            "pending": [
                {"platform": p.identity.platform, "user": p.identity.user,
                 "created_at": p.created_at, "expires_at": p.expires_at}
                for p in listing.pending
            ],
            "locked_until": listing.locked_until,
        }  # fmt: skip
        print(json.dumps(data, indent=2))
        return 0
    print("paired:" if listing.paired else "paired: none")
    for p in listing.paired:
        print(f"  {p.identity}  since {_when(p.approved_at)}")
    print("pending:" if listing.pending else "pending: none")
    for p in listing.pending:
        print(f"  {p.identity}  asked {_when(p.created_at)}, expires {_when(p.expires_at)}")
    for platform, until in sorted(listing.locked_until.items()):
        print(f"locked: approvals on {platform} until {_when(until)}")
    return 0
