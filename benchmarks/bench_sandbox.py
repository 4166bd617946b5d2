"""`bastion run -- true` against bare `true`: the sandbox's added wall time per command.

    /tmp/venv/bin/python benchmarks/bench_sandbox.py [--runs 50]

Three figures, each the median of --runs runs:
- whole process: `python -m bastion.cli.run_cmd -- true` (what `bastion run` does, without
  the rest of the CLI's start-up) vs `true`, both started by subprocess;
- in process: `Sandbox.run(["true"])` in a warm Python (what a daemon or library pays);
- the launcher alone: the `python -I -S` launcher with every layer, no parent bookkeeping.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm the page cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    workspace = tempfile.mkdtemp(prefix="bastion-bench-")
    os.environ["BASTION_USER_CONFIG"] = os.path.join(workspace, "none.toml")

    from bastion.config import load_config
    from bastion.sandbox.runner import Sandbox

    def bare() -> None:
        subprocess.run(["true"], check=True)

    def whole() -> None:
        subprocess.run(
            [sys.executable, "-m", "bastion.cli.run_cmd", "--quiet", "--", "true"],
            cwd=workspace, check=True,
        )  # fmt: skip

    sandbox = Sandbox.from_config(load_config(workspace), "default", workspace)
    first = sandbox.run(["true"])

    def in_process() -> None:
        sandbox.run(["true"])

    bare_ms = median_ms(bare, runs)
    whole_ms = median_ms(whole, runs)
    lib_ms = median_ms(in_process, runs)
    print(f"layers: {', '.join(first.features_used)}")
    print(f"degraded: {', '.join(map(str, first.degraded)) or 'none'}")
    print(f"runs per figure: {runs} (median)")
    print(f"bare true                          {bare_ms:7.1f} ms")
    print(f"python -m bastion.cli.run_cmd true {whole_ms:7.1f} ms  (+{whole_ms - bare_ms:.1f} ms)")
    print(f"Sandbox.run(['true']) in process   {lib_ms:7.1f} ms  (+{lib_ms - bare_ms:.1f} ms)")


if __name__ == "__main__":
    main()
