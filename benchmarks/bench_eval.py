"""Warm in-process evaluation speed over the corpora, and the worst case on hostile inputs.

    python benchmarks/bench_eval.py [--corpora ../shared/corpora] [--repeats 3] [--json]

Per command: the median of `--repeats` timed evaluations (after one warm-up). Reported: the
median, p90, p99 and max of those per-command medians over every corpus row, and for each
pathological input the max over its repeats. Targets: median <= 100 us; every input up to
64 KiB <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bastion import Guard, ToolCall

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
CWD = "/home/user/project"


def pathological_inputs() -> dict[str, str]:
    kib64 = 64 * 1024
    return {
        "40 unclosed $(": "rm -rf / --no-preserve-root ; " + "$(" * 40,
        "2000 unclosed $(": "echo " + "$(" * 2000,
        "60 nested $( )": "echo " + "$(" * 60 + "x" + ")" * 60,
        "deep { } nesting": "{ " * 60 + "ls" + " ; }" * 60,
        "64 KiB quoted string": "echo '" + "a" * (kib64 - 8) + "'",
        "64 KiB double-quoted with expansions": 'echo "' + "$x " * ((kib64 - 8) // 3) + '"',
        "64 KiB of short commands": "ls; " * (kib64 // 4),
        "64 KiB pipeline": "cat f" + " | cat" * ((kib64 - 5) // 6),
        "64 KiB heredoc": "cat <<EOF > f\n" + "line $(id)\n" * ((kib64 - 20) // 11) + "EOF",
        "64 KiB of backslashes": "echo " + "\\" * (kib64 - 6),
        "64 KiB of unclosed quotes": "echo " + "'\"" * ((kib64 - 6) // 2),
        "64 KiB bash -c nesting": "bash -c " + "'" + 'sh -c "ls; ' * 3000 + "'",
    }


def load_corpora(root: Path) -> list[str]:
    commands: list[str] = []
    for path in sorted(root.glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            commands.extend(json.loads(line)["cmd"] for line in handle if line.strip())
    return commands


def time_one(guard: Guard, command: str, repeats: int) -> list[float]:
    call = ToolCall.shell(command, cwd=CWD)
    guard.evaluate(call)  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        guard.evaluate(call)
        samples.append((time.perf_counter_ns() - start) / 1000.0)
    return samples


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.corpora.is_dir():
        parser.error(f"no corpora at {args.corpora}")
    guard = Guard.default()
    commands = load_corpora(args.corpora)
    medians: list[float] = []
    for i, command in enumerate(commands):
        medians.append(statistics.median(time_one(guard, command, args.repeats)))
        if sys.stderr.isatty() and i % 500 == 0:
            print(f"\r  corpora {i}/{len(commands)}", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print("\r", end="", file=sys.stderr)
    worst: dict[str, dict[str, object]] = {}
    for name, command in pathological_inputs().items():
        samples = time_one(guard, command, max(5, args.repeats))
        verdict = guard.evaluate(ToolCall.shell(command, cwd=CWD))
        worst[name] = {
            "bytes": len(command.encode()),
            "max_ms": round(max(samples) / 1000.0, 2),
            "median_ms": round(statistics.median(samples) / 1000.0, 2),
            "decision": str(verdict.decision),
            "rule": verdict.findings[0].rule_id if verdict.findings else "",
        }
    result = {
        "commands": len(commands),
        "repeats": args.repeats,
        "median_us": round(statistics.median(medians), 1),
        "p90_us": round(percentile(medians, 0.90), 1),
        "p99_us": round(percentile(medians, 0.99), 1),
        "max_us": round(max(medians), 1),
        "pathological": worst,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"corpora: {result['commands']} commands, median of {args.repeats} runs each")
    print(
        f"  median {result['median_us']} us   p90 {result['p90_us']} us   "
        f"p99 {result['p99_us']} us   max {result['max_us']} us"
    )
    print("pathological inputs (max over repeats):")
    for name, row in worst.items():
        print(
            f"  {name:<40} {row['bytes']:>6} B  max {row['max_ms']:>6} ms  "
            f"median {row['median_ms']:>6} ms  -> {row['decision']} {row['rule']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
