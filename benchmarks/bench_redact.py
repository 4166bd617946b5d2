"""Redaction speed on 1 MB adversarial inputs (median of repeats).

Run: /tmp/venv/bin/python benchmarks/bench_redact.py [--repeats N]

Two families: inputs built to make a backtracking engine or a naive multi-pattern search blow
up (long runs of key prefixes, `eyJ` repeated, `-----BEGIN` with no END, `=` runs, one
megabyte-long value); and inputs dense with real-shaped secrets, where the cost is per secret
found (at least one RE2 call each, about 1.5 us through the Python binding) and so grows with
the number found, still linearly. Every input is judged against TARGET_MS; the exit status is
1 if any misses it."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from bastion.secrets.redact import Redactor

SIZE = 1 << 20
TARGET_MS = 100.0


def fill(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


ADVERSARIAL = {
    "AKIA run": fill("AKIA"),
    "ghp_ run": fill("ghp_"),
    "sk- run": fill("sk-"),
    "eyJ run": fill("eyJ"),
    "eyJ. run": fill("eyJa."),
    "BEGIN without END": fill("-----BEGIN RSA PRIVATE KEY-----\n"),
    "= run": fill("="),
    "a= run": fill("a="),
    "digits": fill("1234567890"),
    "bearer run": fill("Bearer "),
    "x:// no @": fill("x://user:"),
    "one huge value": "password=" + "a" * (SIZE - 9),
}


def distinct(count: int, make: Callable[[int], str]) -> str:
    """Secrets that are all different (no two matches alike), up to SIZE characters."""
    return "".join(make(i) for i in range(count))[:SIZE]


def base36(number: int, width: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for _ in range(width):
        number, digit = divmod(number, 36)
        out += digits[digit]
    return out


DENSE = {
    "AKIA key every 21 B": fill("AKIAABCDEFGHIJKLMNOP "),
    "ghp token every 43 B": fill("x-ghp_" + "a" * 36 + "-"),
    "Authorization every 15 B": fill("Authorization: "),
    "distinct AKIA keys, 21 B": distinct(SIZE // 21 + 1, lambda i: f"AKIA{base36(i, 16)} "),
    "distinct Authorization, 24 B": distinct(
        SIZE // 24 + 1, lambda i: f"Authorization: {base36(i, 8)}\n"
    ),
    "distinct X_TOKEN=, 16 B": distinct(SIZE // 16 + 1, lambda i: f"X_TOKEN={base36(i, 7)}\n"),
    "mixed kinds, 40 B": distinct(
        SIZE // 40 + 1,
        lambda i: f"AKIA{base36(i, 16)} Authorization: {base36(i, 6)}ab\n",
    ),
}


def median_ms(redactor: Redactor, text: str, repeats: int) -> tuple[float, int]:
    times = []
    found = 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = redactor.redact(text)
        times.append((time.perf_counter() - start) * 1000)
        found = len(result.secrets)
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    redactor = Redactor()
    start = time.perf_counter()
    Redactor()
    print(f"compile: {(time.perf_counter() - start) * 1000:.1f} ms")
    failed = []
    for title, cases in (("adversarial", ADVERSARIAL), ("dense", DENSE)):
        print(f"\n{title}, 1 MiB each, median of {args.repeats}, target < {TARGET_MS:.0f} ms:")
        for name, text in cases.items():
            ms, found = median_ms(redactor, text, args.repeats)
            verdict = "PASS" if ms < TARGET_MS else "FAIL"
            if ms >= TARGET_MS:
                failed.append(name)
            print(f"  {name:30s} {ms:8.1f} ms  {verdict}  secrets={found}")
    print(f"\n{'FAIL: ' + ', '.join(failed) if failed else 'PASS: every input'}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
