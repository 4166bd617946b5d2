"""`bastion audit verify|log|show|stats|export|approvals`: read and check the audit trail.

`verify` exits 0 when every log checks out, 1 when the worst finding is a crash artifact (a
torn last line, records the index never saw), 2 when a log was tampered with or cannot be
checked (no anchor, a missing file). Other actions exit 0, or 2 when the trail is unreadable."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from bastion.audit.interface import Query
from bastion.audit.location import INDEX_NAME, audit_dir
from bastion.audit.records import AuditError, Record
from bastion.audit.render import as_dict, parse_time, text_line, write_csv
from bastion.audit.verify import Level, SessionReport, verify_all, verify_session

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_TAMPERED = 2
_DECISIONS = ("allow", "ask", "deny")


def add_parsers(
    sub: argparse._SubParsersAction[Any], parser_class: type[argparse.ArgumentParser]
) -> None:
    """Add `audit` and its actions to `sub` (made with `parser_class`, exiting 64 on misuse)."""
    audit = sub.add_parser(
        "audit",
        help="verify, search and export the audit trail",
        description="The hash-chained audit trail ($BASTION_AUDIT_DIR, else "
        "$XDG_STATE_HOME/bastion/audit, else ~/.local/state/bastion/audit).",
    )
    actions = audit.add_subparsers(
        dest="audit_command", metavar="ACTION", parser_class=parser_class
    )

    def action(name: str, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=text, description=text)
        parser.add_argument("--dir", type=Path, help="the audit directory (default: see above)")
        return parser

    verify = action("verify", "check hash chains and anchors; exit 0 ok, 1 incomplete, 2 tampered")
    verify.add_argument("session", nargs="?", metavar="SESSION")
    verify.add_argument("--all", action="store_true", help="every session (the default)")
    verify.add_argument("--json", action="store_true")

    log = action("log", "records, oldest first (the newest --limit)")
    _filters(log)
    log.add_argument("--limit", type=int, default=50, help="at most N records (0: all)")
    log.add_argument("--format", choices=("text", "json", "csv"), default="text")

    show = action("show", "a session's records in full, or one record")
    show.add_argument("session", metavar="SESSION")
    show.add_argument("seq", nargs="?", type=int, metavar="SEQ")
    show.add_argument("--json", action="store_true")

    stats = action("stats", "counts by kind, decision, agent and rule")
    _filters(stats)
    stats.add_argument("--json", action="store_true")

    export = action("export", "every matching record as JSON Lines, a JSON array or CSV")
    _filters(export)
    export.add_argument("--format", choices=("jsonl", "json", "csv"), default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="default: stdout")

    approvals = action("approvals", "approval events (requested, granted, denied)")
    which = approvals.add_mutually_exclusive_group()
    for event in ("denied", "granted", "requested"):
        which.add_argument(f"--{event}", action="store_const", const=event, dest="event")
    approvals.add_argument("--session")
    approvals.add_argument("--since", help="30m, 2h, 7d or an ISO time")
    approvals.add_argument("--until")
    approvals.add_argument("--limit", type=int, default=50, help="at most N (0: all)")
    approvals.add_argument("--json", action="store_true")


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--session")
    parser.add_argument("--decision", choices=_DECISIONS)
    parser.add_argument("--rule", help="records naming this rule id")
    parser.add_argument("--kind", action="append", help="record kind (repeatable)")
    parser.add_argument("--agent")
    parser.add_argument("--since", help="30m, 2h, 7d or an ISO time (UTC unless it says)")
    parser.add_argument("--until", help="as --since")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "audit_command", None) is None:
        print(
            "bastion audit: an ACTION is needed (verify, log, show, stats, export, approvals)",
            file=sys.stderr,
        )
        return 64
    directory: Path = args.dir if args.dir is not None else audit_dir()
    try:
        if args.audit_command == "verify":
            return _verify(args, directory)
        store = _open_store(directory)
        if store is None:
            print(f"bastion: no audit trail in {directory}", file=sys.stderr)
            return EXIT_OK if args.audit_command != "show" else EXIT_TAMPERED
        try:
            return _ACTIONS[args.audit_command](args, store)
        finally:
            store.close()
    except (AuditError, ValueError) as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return EXIT_TAMPERED
    except OSError as exc:
        print(f"bastion: error: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_TAMPERED


def _open_store(directory: Path) -> Any:
    if not (directory / INDEX_NAME).is_file():
        return None
    from bastion.audit.sqlite_store import SQLiteStore

    return SQLiteStore(directory / INDEX_NAME)


def _query(args: argparse.Namespace, *, limit: int | None = None) -> Query:
    return Query(
        session=args.session,
        kinds=tuple(args.kind or ()),
        decision=args.decision,
        rule=args.rule,
        agent=args.agent,
        since=parse_time(args.since) if args.since else None,
        until=parse_time(args.until) if args.until else None,
        limit=limit,
        newest_first=limit is not None,
    )


# --- verify --------------------------------------------------------------------------------


def _verify(args: argparse.Namespace, directory: Path) -> int:
    store = _open_store(directory)
    try:
        if args.session is not None and not args.all:
            reports = [verify_session(directory, args.session, store)]
        else:
            reports = verify_all(directory, store)
    finally:
        if store is not None:
            store.close()
    if store is None and not args.json:
        print(
            f"bastion: no audit index in {directory}: chains are checked, tails cannot be",
            file=sys.stderr,
        )
    worst = max((r.level for r in reports if r.level is not None), default=None)
    if args.json:
        json.dump([_report_dict(r) for r in reports], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        if not reports:
            print(f"no audit logs in {directory}")
        for report in reports:
            _print_report(report, sys.stdout)
    if worst is None or worst is Level.NOTE:
        return EXIT_OK
    return EXIT_INCOMPLETE if worst is Level.INCOMPLETE else EXIT_TAMPERED


def _report_dict(report: SessionReport) -> dict[str, Any]:
    return {
        "session": report.session,
        "path": report.path,
        "status": report.status,
        "records": report.records,
        "last_seq": report.last_seq,
        "last_hash": report.last_hash,
        "anchor": None
        if report.anchor is None
        else {"seq": report.anchor.seq, "hash": report.anchor.hash},
        "problems": [
            {"level": str(p.level), "line": p.line, "seq": p.seq, "message": p.message}
            for p in report.problems
        ],
        "more_problems": report.more_problems,
    }


def _print_report(report: SessionReport, out: TextIO) -> None:
    status = report.status.upper()
    print(
        f"{status:<10} {report.session}: {report.records} records, last seq "
        f"{report.last_seq} ({report.path})",
        file=out,
    )
    for problem in report.problems:
        where = []
        if problem.line is not None:
            where.append(f"line {problem.line}")
        if problem.seq is not None:
            where.append(f"seq {problem.seq}")
        place = ", ".join(where) or "log"
        print(f"  {problem.level!s:<10} {place}: {problem.message}", file=out)
    if report.more_problems:
        print(f"  ... and {report.more_problems} more", file=out)


# --- queries -------------------------------------------------------------------------------


def _log(args: argparse.Namespace, store: Any) -> int:
    limit = args.limit if args.limit > 0 else None
    records = list(store.records(_query(args, limit=limit)))
    if limit is not None:
        records.reverse()  # fetched newest first so the limit keeps the latest
    _emit(records, args.format, sys.stdout)
    return EXIT_OK


def _emit(records: Any, form: str, out: TextIO) -> None:
    if form == "csv":
        write_csv(records, out)
    elif form == "json":
        json.dump([as_dict(r) for r in records], out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif form == "jsonl":
        for record in records:
            out.write(record.line.decode("utf-8"))
    else:
        for record in records:
            out.write(text_line(record) + "\n")


def _show(args: argparse.Namespace, store: Any) -> int:
    records: Iterator[Record] = store.records(Query(session=args.session))
    chosen = [r for r in records if args.seq is None or r.seq == args.seq]
    if not chosen:
        print(
            f"bastion: no such record: {args.session}"
            + (f" #{args.seq}" if args.seq is not None else ""),
            file=sys.stderr,
        )
        return EXIT_TAMPERED
    if args.json:
        json.dump([as_dict(r) for r in chosen], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    for record in chosen:
        print(f"{record.session} #{record.seq}  {record.kind}  {record.ts}  pid {record.pid}")
        for key, value in sorted(record.fields.items()):
            if value not in (None, "", [], {}):
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                print(f"  {key:<12} {shown}")
        print(f"  {'hash':<12} {record.hash}\n  {'prev':<12} {record.prev}")
    return EXIT_OK


def _stats(args: argparse.Namespace, store: Any) -> int:
    stats = store.stats(_query(args))
    if args.json:
        json.dump(
            {
                "total": stats.total,
                "sessions": stats.sessions,
                "first": stats.first_ts,
                "last": stats.last_ts,
                "by_kind": dict(stats.by_kind),
                "by_decision": dict(stats.by_decision),
                "by_agent": dict(stats.by_agent),
                "top_rules": [list(item) for item in stats.top_rules],
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return EXIT_OK
    print(
        f"{stats.total} records in {stats.sessions} sessions"
        + (f", {stats.first_ts} .. {stats.last_ts}" if stats.total else "")
    )
    for title, counts in (
        ("kind", stats.by_kind),
        ("decision", stats.by_decision),
        ("agent", stats.by_agent),
        ("rule", dict(stats.top_rules)),
    ):
        if counts:
            print(f"by {title}:")
            for name, count in counts.items():
                print(f"  {count:>8}  {name}")
    return EXIT_OK


def _export(args: argparse.Namespace, store: Any) -> int:
    records = store.records(_query(args))
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            _emit(records, args.format, out)
    else:
        _emit(records, args.format, sys.stdout)
    return EXIT_OK


def _approvals(args: argparse.Namespace, store: Any) -> int:
    query = Query(
        session=args.session,
        since=parse_time(args.since) if args.since else None,
        until=parse_time(args.until) if args.until else None,
        limit=args.limit if args.limit > 0 else None,
    )
    rows = store.approvals(query, args.event)
    if args.json:
        json.dump([row.__dict__ for row in rows], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    if not rows:
        print("no approval events")
    for row in rows:
        parts = [row.ts[:19].replace("T", " "), f"{row.session}#{row.seq}", f"{row.event:<9}"]
        parts += [
            p
            for p in (
                row.approval_id,
                row.agent,
                row.tool,
                row.rule_id,
                row.scope,
                row.actor and f"by {row.actor}",
                row.reason,
            )
            if p
        ]
        print("  ".join(parts))
    return EXIT_OK


_ACTIONS = {
    "log": _log,
    "show": _show,
    "stats": _stats,
    "export": _export,
    "approvals": _approvals,
}
