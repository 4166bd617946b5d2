"""`bastion eval FILE.jsonl...`: catch and false-positive rates over labelled corpora."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bastion.cli.output import dump_json
from bastion.config import ConfigError, load_config
from bastion.evaluation import CorpusError, FileScore, evaluate_files
from bastion.guard import Guard
from bastion.rules.loader import RuleLoadError

# Corpora have no session of their own: judge every row from the same virtual project.
VIRTUAL_HOME = "/home/user"
VIRTUAL_CWD = "/home/user/project"


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:6.2f}%"


def _progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    bar = "#" * filled + "-" * (width - filled)
    print(f"\r  [{bar}] {done}/{total}", end="" if done < total else "\n", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.files]
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            expanded.extend(sorted(path.glob("**/*.jsonl")))
        else:
            expanded.append(path)
    if not expanded:
        print("bastion: error: no corpus files given", file=sys.stderr)
        return 1
    try:
        config = load_config(os.getcwd())
        guard = Guard.from_loaded_config(config, home=args.home)
    except (ConfigError, RuleLoadError) as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return 1
    show_progress = sys.stderr.isatty() and not args.no_progress
    try:
        scores, overall = evaluate_files(
            guard, expanded, args.cwd, progress=_progress if show_progress else None
        )
    except CorpusError as exc:
        print(f"bastion: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        dump_json(
            {
                "cwd": args.cwd,
                "home": args.home,
                "files": [s.to_dict() for s in scores],
                "overall": overall.to_dict(wrong_limit=0),
            }
        )
        return 0
    header = (
        f"{'file':<44} {'dangerous':>9} {'caught':>8} {'unscored':>9} "
        f"{'benign':>7} {'denied':>8} {'asked':>8}"
    )
    print(header)
    for score in [*scores, overall]:
        _row(score)
    if args.show:
        for score in scores:
            if not score.wrong:
                continue
            print(f"\n{score.path}: {len(score.wrong)} row(s) went the wrong way")
            for outcome in score.wrong[: args.show]:
                cmd = outcome.row.cmd.replace("\n", "\\n")
                cmd = cmd if len(cmd) <= 110 else cmd[:107] + "..."
                rule = f" [{outcome.rule}]" if outcome.rule else ""
                print(
                    f"  {outcome.row.line:>6} {outcome.row.label[:3]} -> "
                    f"{outcome.decision}{rule}: {cmd}"
                )
            if len(score.wrong) > args.show:
                print(f"  ... {len(score.wrong) - args.show} more (--show N, or --json for all)")
    return 0


def _row(score: FileScore) -> None:
    rates = score.rates()
    name = score.path if len(score.path) <= 44 else "..." + score.path[-41:]
    print(
        f"{name:<44} {score.dangerous:>9} {_pct(rates['catch_rate']):>8} "
        f"{_pct(rates['unscored_catch_rate']):>9} {score.benign:>7} "
        f"{_pct(rates['benign_deny_rate']):>8} {_pct(rates['benign_ask_rate']):>8}"
    )
