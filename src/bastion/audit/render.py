"""Records as readable text, JSON-able dicts and CSV rows, and user time filters as ISO."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import re2

from bastion.audit.records import Record

CSV_COLUMNS = (
    "ts",
    "session",
    "seq",
    "kind",
    "agent",
    "tool",
    "decision",
    "tier",
    "rules",
    "summary",
    "reason",
    "hash",
)
_RELATIVE = re2.compile(r"(\d{1,9})([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(text: str, now: datetime | None = None) -> str:
    """`30m`, `2h`, `7d` (ago) or an ISO date/time (UTC unless it says otherwise), as the
    ISO form records carry; ValueError otherwise."""
    text = text.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative:
        delta = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        when = (now or datetime.now(UTC)) - delta
    else:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def summary(record: Record) -> str:
    """The one thing a record is about: the command, the paths or URLs, or the reason."""
    fields = record.fields
    for key in ("command", "paths", "urls", "reason", "approval_id"):
        value = fields.get(key)
        if isinstance(value, list) and value:
            return " ".join(str(v) for v in value)
        if isinstance(value, str) and value:
            return value
    return ""


def rules_of(record: Record) -> list[str]:
    found = record.fields.get("rules")
    ids = [str(r) for r in found] if isinstance(found, list) else []
    single = record.fields.get("rule_id")
    if isinstance(single, str) and single and single not in ids:
        ids.append(single)
    return ids


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def text_line(record: Record) -> str:
    fields = record.fields
    what = str(fields.get("decision") or "").upper() or record.kind
    who = "/".join(str(fields.get(k)) for k in ("agent", "tool") if fields.get(k))
    rules = ",".join(rules_of(record))
    parts = [record.ts[:19].replace("T", " "), f"{record.session}#{record.seq}", f"{what:<6}"]
    if record.kind != "verdict" and fields.get("decision"):
        parts.append(record.kind)
    if who:
        parts.append(who)
    parts.append(_one_line(summary(record), 80))
    if rules:
        parts.append(f"[{rules}]")
    return "  ".join(parts)


def as_dict(record: Record) -> dict[str, Any]:
    return record.body()


def write_csv(records: Iterable[Record], out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        fields = record.fields
        writer.writerow(
            [
                record.ts,
                record.session,
                record.seq,
                record.kind,
                fields.get("agent", ""),
                fields.get("tool", ""),
                fields.get("decision", ""),
                fields.get("tier", ""),
                " ".join(rules_of(record)),
                summary(record),
                fields.get("reason", ""),
                record.hash,
            ]
        )
        count += 1
    return count
