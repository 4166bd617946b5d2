"""Whole hook processes, spawned the way an agent spawns them.

    python benchmarks/bench_hooks.py [--form native|shim] [--calls 200] [--cold 20]
                                     [--seconds 10] [--json]

- floor: `/bin/true` spawned the same way (same payload on stdin), so ratios are visible;
- warm: the hook command `bastion install` writes (--form native: the C client, the default
  where a compiler exists; --form shim: `python -I -S shim.py`) with a daemon running;
- cold: the first call with no daemon (a fresh runtime directory each time: the shim starts
  the daemon and judges in-process meanwhile);
- throughput: 8 concurrent hook processes for --seconds, verdicts per second, beside the same
  measurement for `/bin/true`.
Targets: warm <= 15 ms, cold <= 300 ms, 8 concurrent >= 300 verdicts/s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bastion.hooks.command import hook_argv
from bastion.hooks.native import build_client

PAYLOAD = json.dumps(
    {
        "session_id": "bench",
        "cwd": "/home/user/project",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "git status && npm test -- --watch=false"},
        "tool_use_id": "toolu_bench",
    }
).encode()


def _env(runtime: str) -> dict[str, str]:
    env = dict(os.environ)
    env["BASTION_RUNTIME_DIR"] = runtime
    return env


def spawn_ms(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, input=PAYLOAD, capture_output=True, env=env, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if argv[0] != "/bin/true" and result.returncode != 0:
        raise SystemExit(f"hook failed: {result.returncode} {result.stderr!r}")
    return elapsed


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1], 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


def stop_daemon(runtime: str) -> None:
    pid_file = Path(runtime, "daemon.pid")
    try:
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + 10
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def throughput(argv: list[str], env: dict[str, str], seconds: float, workers: int = 8) -> float:
    count = [0] * workers
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        while time.monotonic() < stop:
            subprocess.run(argv, input=PAYLOAD, capture_output=True, env=env, check=False)
            count[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(count) / (time.monotonic() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--cold", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--agent", default="claude")
    parser.add_argument("--form", choices=("native", "shim"), default="native")
    parser.add_argument("--cold-only", action="store_true", help="only the cold first call")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    client = str(build_client()) if args.form == "native" else None
    argv = hook_argv(args.agent, client=client)
    runtime = tempfile.mkdtemp(prefix="bst-bench-", dir="/tmp")
    os.chmod(runtime, 0o700)
    env = _env(runtime)
    results: dict[str, Any] = {"hook": " ".join(argv)}
    try:
        results["floor"] = summary([spawn_ms(["/bin/true"], env) for _ in range(args.calls)])
        if not args.cold_only:
            for _ in range(5):
                spawn_ms(argv, env)  # starts the daemon and warms it
            time.sleep(0.5)
            results["warm"] = summary([spawn_ms(argv, env) for _ in range(args.calls)])
            results["throughput_per_s"] = round(throughput(argv, env, args.seconds), 1)
            results["floor_throughput_per_s"] = round(
                throughput(["/bin/true"], env, args.seconds), 1
            )
            stop_daemon(runtime)
        cold: list[float] = []
        for _ in range(args.cold):
            fresh = tempfile.mkdtemp(prefix="bst-cold-", dir="/tmp")
            os.chmod(fresh, 0o700)
            cold.append(spawn_ms(argv, _env(fresh)))
            time.sleep(0.3)  # let the daemon it started come up, then stop it
            stop_daemon(fresh)
            shutil.rmtree(fresh, ignore_errors=True)
        results["cold"] = summary(cold)
    finally:
        stop_daemon(runtime)
        shutil.rmtree(runtime, ignore_errors=True)
    if args.cold_only:
        print(json.dumps({k: results[k] for k in ("hook", "floor", "cold")}, indent=2))
        return 0
    results["ratios"] = {
        "warm_over_floor": round(results["warm"]["median_ms"] / results["floor"]["median_ms"], 1),
        "throughput_over_floor": round(
            results["throughput_per_s"] / results["floor_throughput_per_s"], 3
        ),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"hook command: {results['hook']}")
    for key in ("floor", "warm", "cold"):
        row = results[key]
        print(f"{key:6} median {row['median_ms']:8.2f} ms  p90 {row['p90_ms']:8.2f} ms  "
              f"max {row['max_ms']:8.2f} ms  (n={row['n']})")  # fmt: skip
    print(f"8 concurrent: {results['throughput_per_s']} verdicts/s "
          f"(/bin/true: {results['floor_throughput_per_s']}/s)")  # fmt: skip
    print(f"ratios: {results['ratios']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
