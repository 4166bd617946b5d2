"""Audit trail speed and safety under load (medians of repeats).

Run: /tmp/venv/bin/python benchmarks/bench_audit.py [--repeats N] [--seconds S]

1. appends/s from one process (a verdict per append, a different command each time, secrets
   redacted, written, indexed): target >= 5,000;
2. 8 writer processes appending to one session for S seconds (default 10): every record
   present, none torn, sequence 1..N unbroken, and the log verifies;
3. `verify` over a 100,000-record session: target < 5 s."""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bastion.audit import AuditLog, verify_session
from bastion.audit.location import session_file_name
from bastion.audit.records import parse_line
from bastion.model import Decision, Finding, Tier, ToolCall, Verdict

VERDICT = Verdict.combine([Finding("commands", "git-push-force", Decision.DENY, Tier.RED, "no")])


def call(i: int) -> ToolCall:
    return ToolCall.shell(
        f"git commit -m 'change {i}' && git push -f origin main{i}",
        cwd="/home/u/project",
        agent="claude",
    )


def single_process(directory: Path, count: int) -> float:
    log = AuditLog(directory)
    calls = [call(i) for i in range(count)]
    log.verdict(calls[0], VERDICT, session="one", agent="claude")  # open files, warm caches
    start = time.perf_counter()
    for item in calls:
        log.verdict(item, VERDICT, session="one", agent="claude")
    elapsed = time.perf_counter() - start
    log.close()
    return count / elapsed


def _writer(directory: str, seconds: float, queue: Any) -> None:
    log = AuditLog(Path(directory))
    written = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        log.verdict(call(written), VERDICT, session="shared", agent="claude")
        written += 1
    log.close()
    queue.put(written)


def concurrent(directory: Path, writers: int, seconds: float) -> tuple[int, int, str, float]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    procs = [
        context.Process(target=_writer, args=(str(directory), seconds, queue))
        for _ in range(writers)
    ]
    for proc in procs:
        proc.start()
    claimed = sum(queue.get(timeout=seconds + 120) for _ in procs)
    for proc in procs:
        proc.join()
    raw = (directory / session_file_name("shared")).read_bytes().split(b"\n")
    assert raw[-1] == b"", "torn last line"
    seqs = [parse_line(line).seq for line in raw[:-1]]
    assert seqs == list(range(1, claimed + 1)), "lost, duplicated or reordered records"
    log = AuditLog(directory)
    start = time.perf_counter()
    report = verify_session(directory, "shared", log.store())
    verify_s = time.perf_counter() - start
    log.close()
    return claimed, len(seqs), report.status, verify_s


def build(directory: Path, count: int) -> None:
    log = AuditLog(directory)
    for i in range(count):
        log.verdict(call(i), VERDICT, session="big", agent="claude")
    log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rates = [single_process(root / f"single{i}", 5000) for i in range(args.repeats)]
        print(
            f"single process: median {statistics.median(rates):,.0f} appends/s "
            f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}; target >= 5,000)"
        )

        claimed, found, status, _ = concurrent(root / "multi", 8, args.seconds)
        print(
            f"8 writers x {args.seconds:g} s, one session: {claimed:,} appended, {found:,} in "
            f"the log, seq 1..{found} unbroken, no torn line, verify: {status} "
            f"({claimed / args.seconds:,.0f} appends/s together)"
        )

        start = time.perf_counter()
        build(root / "big", args.records)
        print(f"built {args.records:,} records in {time.perf_counter() - start:.1f} s")
        log = AuditLog(root / "big")
        store = log.store()
        times = []
        for _ in range(3):
            begin = time.perf_counter()
            report = verify_session(root / "big", "big", store)
            times.append(time.perf_counter() - begin)
            assert report.status == "ok" and report.records == args.records
        log.close()
        size = (root / "big" / session_file_name("big")).stat().st_size
        print(
            f"verify {args.records:,} records ({size / 1e6:.0f} MB): median "
            f"{statistics.median(times):.2f} s of 3 (target < 5 s)"
        )


if __name__ == "__main__":
    main()
