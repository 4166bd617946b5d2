"""The audit trail: records, redaction, the index, verify against each kind of tampering,
crash recovery, concurrent writers, the never-raising hook entry point, and the CLI."""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bastion.audit import AuditLog, Level, Query, kinds, verify_all, verify_session
from bastion.audit import hook as audit_hook
from bastion.audit.location import INDEX_NAME, audit_dir, session_file_name
from bastion.audit.records import GENESIS, canonical, parse_line, record_hash
from bastion.audit.render import parse_time
from bastion.cli import audit_cmd
from bastion.config.errors import ConfigError
from bastion.config.schema import validate
from bastion.model import Decision, Finding, Tier, ToolCall, Verdict

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def deny(rule: str = "rm-recursive-critical", message: str = "use trash") -> Verdict:
    return Verdict.combine([Finding("commands", rule, Decision.DENY, Tier.RED, message)])


def allow() -> Verdict:
    return Verdict.combine([])


def shell(command: str, session: str = "s1") -> ToolCall:
    return ToolCall.shell(command, cwd="/home/u/proj", agent="claude", session_id=session)


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[AuditLog]:
    log = AuditLog(tmp_path / "audit")
    yield log
    log.close()


def fill(log: AuditLog, count: int, session: str = "s1") -> None:
    for i in range(count):
        verdict = deny() if i % 2 else allow()
        log.verdict(shell(f"echo {i}", session), verdict, session=session, agent="claude")


def lines(log: AuditLog, session: str = "s1") -> list[bytes]:
    return (log.directory / session_file_name(session)).read_bytes().splitlines(keepends=True)


def write_lines(log: AuditLog, data: list[bytes], session: str = "s1") -> None:
    (log.directory / session_file_name(session)).write_bytes(b"".join(data))


def check(log: AuditLog, session: str = "s1") -> Any:
    return verify_session(log.directory, session, log.store())


def problems_at(report: Any, level: Level) -> list[tuple[int | None, int | None]]:
    return [(p.line, p.seq) for p in report.problems if p.level is level]


# --- records -----------------------------------------------------------------------------


def test_records_chain_with_sequence_numbers_and_canonical_hashes(audit: AuditLog) -> None:
    fill(audit, 3)
    records = [parse_line(raw.rstrip(b"\n")) for raw in lines(audit)]
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev == GENESIS
    assert [r.prev for r in records[1:]] == [r.hash for r in records[:-1]]
    for raw, record in zip(lines(audit), records, strict=True):
        body = json.loads(raw)
        assert raw == canonical(body) + b"\n"  # the line is itself canonical
        unhashed = {k: v for k, v in body.items() if k != "hash"}
        expected = hashlib.sha256(
            json.dumps(unhashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
                "utf-8"
            )
        ).hexdigest()
        assert record.hash == expected == record_hash(body)
    fields = records[1].fields
    assert (fields["decision"], fields["tier"], fields["rules"]) == (
        "deny",
        "red",
        ["rm-recursive-critical"],
    )
    assert (fields["agent"], fields["tool"], fields["tool_kind"]) == ("claude", "Bash", "shell")
    assert fields["command"] == "echo 1" and fields["cwd"] == "/home/u/proj"


def test_unicode_and_odd_values_encode_canonically(audit: AuditLog) -> None:
    record = audit.append("s é", "path_violation", {"b": [1, 2.5, None], "a": "ü\u2028\\"})
    assert record is not None
    raw = lines(audit, "s é")[0]
    assert raw == canonical(record.body()) + b"\n"
    assert parse_line(raw[:-1]).intact()


def test_secrets_are_redacted_before_anything_is_written(audit: AuditLog) -> None:
    command = f"curl -H 'Authorization: token {TOKEN}' https://api.github.com"
    audit.verdict(shell(command), deny(message=f"saw {TOKEN}"), session="s1", agent="claude")
    audit.event("s1", kinds.SECURITY_BLOCKED, reason=f"export GITHUB_TOKEN={TOKEN}")
    audit.close()
    for path in audit.directory.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path
    first = parse_line(lines(audit)[0].rstrip(b"\n"))
    assert "[REDACTED:" in first.fields["command"] and "[REDACTED:" in first.fields["reason"]


def test_files_are_private_and_the_index_is_a_real_sqlite_file(audit: AuditLog) -> None:
    fill(audit, 2)
    assert stat.S_IMODE(audit.directory.stat().st_mode) == 0o700
    for path in audit.directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    db = sqlite3.connect(audit.directory / INDEX_NAME)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"audit_events", "approvals", "audit_heads"} <= tables
    assert db.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 2
    assert db.execute("SELECT seq FROM audit_heads WHERE session='s1'").fetchone()[0] == 2


def test_session_ids_never_pick_a_path(audit: AuditLog) -> None:
    for session in ("../../etc/passwd", "", "x-abc", "a/b", "."):
        name = session_file_name(session)
        assert "/" not in name and name.startswith("x-") and name.endswith(".jsonl")
        audit.append(session, "path_violation", {"n": 1})
    assert session_file_name("plain-id_1.2") == "plain-id_1.2.jsonl"
    assert all(p.parent == audit.directory for p in audit.directory.iterdir())
    assert all(r.status == "ok" for r in verify_all(audit.directory, audit.store()))


def test_bad_kinds_and_sessions_are_refused(audit: AuditLog) -> None:
    from bastion.audit import AuditError

    for kind in ("Verdict", "a b", "", "x" * 65, "../x"):
        with pytest.raises(AuditError):
            audit.append("s1", kind, {})
    with pytest.raises(AuditError):
        audit.append("s" * 2000, "verdict", {})


def test_audit_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_AUDIT_DIR", "/x/audit")
    assert audit_dir() == Path("/x/audit")
    monkeypatch.delenv("BASTION_AUDIT_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", "/state")
    assert audit_dir() == Path("/state/bastion/audit")
    monkeypatch.delenv("XDG_STATE_HOME")
    assert audit_dir() == Path.home() / ".local/state/bastion/audit"


# --- verify: tampering -------------------------------------------------------------------


def test_an_untouched_log_verifies(audit: AuditLog) -> None:
    fill(audit, 20)
    fill(audit, 5, session="s2")
    reports = verify_all(audit.directory, audit.store())
    assert [(r.session, r.records, r.status, r.problems) for r in reports] == [
        ("s1", 20, "ok", ()),
        ("s2", 5, "ok", ()),
    ]


def test_a_modified_record_is_pointed_at(audit: AuditLog) -> None:
    fill(audit, 10)
    data = lines(audit)
    data[4] = data[4].replace(b'"echo 4"', b'"echo 5"')
    write_lines(audit, data)
    report = check(audit)
    assert report.status == "tampered"
    assert (5, 5) in problems_at(report, Level.TAMPERED)
    assert all(seq == 5 for _, seq in problems_at(report, Level.TAMPERED))


def test_a_modified_and_rehashed_record_is_pointed_at(audit: AuditLog) -> None:
    fill(audit, 10)
    data = lines(audit)
    body = json.loads(data[6])
    body["fields"]["decision"] = "ask"
    body["hash"] = record_hash(body)
    data[6] = canonical(body) + b"\n"
    write_lines(audit, data)
    report = check(audit)
    found = problems_at(report, Level.TAMPERED)
    assert (7, 7) in found  # differs from the indexed copy
    assert (8, 8) in found  # the next record no longer chains to it


def test_a_deleted_record_is_pointed_at(audit: AuditLog) -> None:
    fill(audit, 10)
    data = lines(audit)
    del data[3]  # seq 4
    write_lines(audit, data)
    report = check(audit)
    assert report.status == "tampered"
    assert problems_at(report, Level.TAMPERED) == [(4, 5)]
    assert "seq 4 missing" in report.problems[0].message


def test_an_inserted_record_is_pointed_at(audit: AuditLog) -> None:
    fill(audit, 10)
    data = lines(audit)
    # A forged record that chains correctly onto seq 5 and claims to be seq 6.
    prev = json.loads(data[4])
    forged = dict(prev, seq=6, prev=prev["hash"], fields={"decision": "allow"})
    forged["hash"] = record_hash(forged)
    data.insert(5, canonical(forged) + b"\n")
    write_lines(audit, data)
    report = check(audit)
    found = problems_at(report, Level.TAMPERED)
    assert found[0] == (6, 6)  # the forged line: not the record the index holds
    assert (7, 6) in found  # the real seq 6, now out of order


def test_reordered_records_are_pointed_at(audit: AuditLog) -> None:
    fill(audit, 10)
    data = lines(audit)
    data[2], data[3] = data[3], data[2]
    write_lines(audit, data)
    report = check(audit)
    found = problems_at(report, Level.TAMPERED)
    assert found[0] == (3, 4)
    assert (4, 3) in found


def test_a_truncated_tail_is_caught_by_the_anchor(audit: AuditLog) -> None:
    fill(audit, 10)
    write_lines(audit, lines(audit)[:7])
    report = check(audit)
    assert report.status == "tampered"
    assert [p.seq for p in report.problems] == [8]
    assert "truncated" in report.problems[0].message and "seqs 8..10" in report.problems[0].message


def test_a_deleted_log_or_index_is_reported(audit: AuditLog) -> None:
    fill(audit, 3)
    (audit.directory / session_file_name("s1")).unlink()
    assert check(audit).status == "tampered"
    fill(audit, 2, session="s2")
    audit.close()
    (audit.directory / INDEX_NAME).unlink()
    reports = verify_all(audit.directory, None)
    assert [(r.session, r.status) for r in reports] == [("s2", "tampered")]
    assert "no anchor" in reports[0].problems[0].message


# --- crashes -----------------------------------------------------------------------------


def test_a_torn_last_line_is_a_crash_not_tampering(audit: AuditLog) -> None:
    fill(audit, 6)
    data = lines(audit)
    path = audit.directory / session_file_name("s1")
    # What a writer killed mid-record leaves: the log has a partial line, the index never
    # saw the record.
    path.write_bytes(b"".join(data[:6]) + data[5][:40].replace(b'"seq":6', b'"seq":7'))
    report = check(audit)
    assert report.status == "incomplete"
    assert problems_at(report, Level.TAMPERED) == []
    assert problems_at(report, Level.INCOMPLETE) == [(7, None)]
    assert "verifies up to seq 6" in report.problems[0].message
    # The next writer cuts the fragment off and says so in the chain.
    fresh = AuditLog(audit.directory)
    fresh.append("s1", "path_violation", {"n": 1})
    records = [parse_line(raw.rstrip(b"\n")) for raw in lines(fresh)]
    assert [r.kind for r in records[-2:]] == [kinds.LOG_RECOVERED, "path_violation"]
    assert records[-2].fields["cut_bytes"] == 40
    after = check(fresh)
    assert after.status == "ok"
    assert [p.level for p in after.problems] == [Level.NOTE]
    fresh.close()


def test_a_record_the_index_missed_is_incomplete_not_tampered(audit: AuditLog) -> None:
    fill(audit, 3)
    db = sqlite3.connect(audit.directory / INDEX_NAME)
    with db:
        db.execute("DELETE FROM audit_events WHERE seq = 3")
        db.execute(
            "UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)"
        )
    report = check(audit)
    assert report.status == "incomplete"
    assert problems_at(report, Level.INCOMPLETE) == [(None, 3)]


# --- concurrency -------------------------------------------------------------------------


def _writer(directory: str, seconds: float, queue: Any) -> None:
    log = AuditLog(Path(directory))
    written = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        log.verdict(
            shell(f"echo {os.getpid()} {written}"), deny(), session="shared", agent="claude"
        )
        written += 1
    log.close()
    queue.put(written)


def test_eight_writers_lose_and_tear_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_writer, args=(str(directory), 2.0, queue)) for _ in range(8)]
    for worker in workers:
        worker.start()
    written = sum(queue.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    log = AuditLog(directory)
    data = lines(log, "shared")
    assert all(raw.endswith(b"\n") for raw in data)
    records = [parse_line(raw[:-1]) for raw in data]
    assert [r.seq for r in records] == list(range(1, written + 1))
    assert len({r.pid for r in records}) == 8
    report = check(log, "shared")
    assert (report.status, report.records, report.problems) == ("ok", written, ())
    assert log.store().head("shared").seq == written  # type: ignore[union-attr]
    log.close()


# --- the hook entry point and config -----------------------------------------------------


def test_record_verdict_never_raises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    audit_hook.set_default_log(AuditLog(blocker / "audit"))
    try:
        before = audit_hook.failure_count()
        audit_hook.record_verdict(shell("ls"), deny(), session="s1", agent="claude")
        assert audit_hook.failure_count() == before + 1
        assert "bastion: audit: record not written" in capsys.readouterr().err
    finally:
        audit_hook.set_default_log(None)


def test_record_verdict_writes_through_the_default_log(tmp_path: Path) -> None:
    audit_hook.set_default_log(AuditLog(tmp_path / "audit"))
    try:
        audit_hook.record_verdict(shell("ls"), allow(), session="hook", agent="gemini")
        records = list(audit_hook.default_log().store().records(Query(session="hook")))
        assert [(r.kind, r.fields["agent"], r.fields["decision"]) for r in records] == [
            ("verdict", "gemini", "allow")
        ]
    finally:
        audit_hook.set_default_log(None)


def test_a_disabled_log_writes_nothing(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit", enabled=False)
    assert log.append("s1", "verdict", {}) is None
    assert not (tmp_path / "audit").exists()


def test_a_project_cannot_turn_auditing_off() -> None:
    for text in ({"audit": {"enabled": False}}, {"audit": {"fsync": False}}):
        with pytest.raises(ConfigError, match="only allowed in the user or system config"):
            validate(text, ".bastion/config.toml", trusted=False)
    assert validate({"audit": {"enabled": False}}, "user", trusted=True) == {"audit.enabled": False}


def test_from_config_reads_the_audit_section(tmp_path: Path) -> None:
    from bastion.config import builtin_config

    log = AuditLog.from_config(builtin_config(), tmp_path)
    assert (log.enabled, log.fsync) == (True, False)


# --- queries and the CLI -----------------------------------------------------------------


@pytest.fixture
def trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditLog]:
    monkeypatch.setenv("BASTION_AUDIT_DIR", str(tmp_path / "audit"))
    log = AuditLog()
    log.verdict(shell("rm -rf ~"), deny(), session="a", agent="claude")
    log.verdict(shell("ls"), allow(), session="a", agent="claude")
    log.verdict(
        shell("git push -f"), deny("git-force-push", "pull first"), session="b", agent="codex"
    )
    log.approval("b", "requested", approval_id="ap1", rule_id="git-force-push", tool="Bash")
    log.approval(
        "b", "denied", approval_id="ap1", rule_id="git-force-push", actor="me", reason="not today"
    )
    log.event("a", kinds.INJECTION_DETECTED, tool="WebFetch", rule_id="hidden-instructions")
    yield log
    log.close()


def main(argv: list[str]) -> int:
    """`bastion ARGV` with only `audit` wired in (main.py adds it the same way)."""
    parser = argparse.ArgumentParser(prog="bastion")
    sub = parser.add_subparsers(dest="command", parser_class=argparse.ArgumentParser)
    audit_cmd.add_parsers(sub, argparse.ArgumentParser)
    return audit_cmd.run(parser.parse_args(argv))


def test_queries_filter_by_session_decision_rule_and_time(trail: AuditLog) -> None:
    store = trail.store()
    assert [r.fields["command"] for r in store.records(Query(decision="deny"))] == [
        "rm -rf ~",
        "git push -f",
    ]
    assert [r.seq for r in store.records(Query(rule="git-force-push"))] == [1, 2, 3]
    assert [r.kind for r in store.records(Query(session="a"))] == [
        "verdict",
        "verdict",
        "injection_detected",
    ]
    assert list(store.records(Query(since=parse_time("1h")))) != []
    assert list(store.records(Query(until=parse_time("1h")))) == []
    assert [(a.event, a.actor) for a in store.approvals(Query(), "denied")] == [("denied", "me")]


def test_cli_verify_exit_codes(trail: AuditLog, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify"]) == 0
    assert "OK" in capsys.readouterr().out
    data = lines(trail, "a")
    write_lines(trail, data[:-1], "a")
    assert main(["audit", "verify", "a"]) == 2
    out = capsys.readouterr().out
    assert "TAMPERED" in out and "truncated" in out
    assert main(["audit", "verify", "b", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "ok"


def test_cli_log_show_stats_export_approvals(
    trail: AuditLog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "log", "--decision", "deny"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "rm -rf ~" in out[0] and "[git-force-push]" in out[1]
    assert main(["audit", "log", "--rule", "git-force-push", "--format", "json"]) == 0
    assert [r["seq"] for r in json.loads(capsys.readouterr().out)] == [1, 2, 3]
    assert main(["audit", "log", "--session", "a", "--format", "csv", "--limit", "1"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("ts,session,seq,kind") and len(rows) == 2
    assert "injection_detected" in rows[1]
    assert main(["audit", "show", "b", "1"]) == 0
    assert "git push -f" in capsys.readouterr().out
    assert main(["audit", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["total"], stats["sessions"], stats["by_decision"]) == (
        6,
        2,
        {"deny": 2, "allow": 1},
    )
    target = tmp_path / "out.jsonl"
    assert main(["audit", "export", "--session", "b", "-o", str(target)]) == 0
    exported = [parse_line(raw) for raw in target.read_bytes().splitlines()]
    assert [r.seq for r in exported] == [1, 2, 3] and all(r.intact() for r in exported)
    assert main(["audit", "approvals", "--denied"]) == 0
    shown = capsys.readouterr().out
    assert "denied" in shown and "not today" in shown and "requested" not in shown


def test_parse_time() -> None:
    from datetime import UTC, datetime

    now = datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
    assert parse_time("2h", now) == "2025-01-02T10:00:00.000000Z"
    assert parse_time("2025-01-01", now) == "2025-01-01T00:00:00.000000Z"
    assert parse_time("2025-01-01T01:00:00+01:00", now) == "2025-01-01T00:00:00.000000Z"
    with pytest.raises(ValueError):
        parse_time("yesterday", now)
