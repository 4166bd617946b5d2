"""Redaction speed on 1 MB adversarial inputs (median of repeats).

Run: /tmp/venv/bin/python benchmarks/bench_redact.py [--repeats N]

Two families: inputs built to make a backtracking engine or a naive multi-pattern search blow
up (long runs of key prefixes, `eyJ` repeated, `-----BEGIN` with no END, `=` runs), which must
stay far under 100 ms; and inputs dense with real-shaped secrets, where the cost is per secret
found (each one is classified and replaced in Python) and so grows with the number found, still
linearly."""

from __future__ import annotations

import argparse
import statistics
import time

from bastion.secrets.redact import Redactor

SIZE = 1 << 20


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
DENSE = {
    "AKIA key every 21 B": fill("AKIAABCDEFGHIJKLMNOP "),
    "ghp token every 43 B": fill("x-ghp_" + "a" * 36 + "-"),
    "Authorization every 15 B": fill("Authorization: "),
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
    for title, cases in (("adversarial (target < 100 ms)", ADVERSARIAL), ("dense", DENSE)):
        print(f"\n{title}, 1 MiB each, median of {args.repeats}:")
        for name, text in cases.items():
            ms, found = median_ms(redactor, text, args.repeats)
            print(f"  {name:28s} {ms:8.1f} ms  secrets={found}")


if __name__ == "__main__":
    main()
