"""`bastion run [--profile NAME] [--cwd DIR] [--require FEATURE,...] -- COMMAND...`

Runs COMMAND in the OS sandbox with its output passed straight through; exits with the
command's status (128 + N when signal N ended it). Layers the kernel lacks are reported on
stderr and skipped, unless --require names them: then nothing runs and the exit is 125.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from bastion.sandbox.interface import FEATURES

EXIT_REFUSED = 125
EXIT_USAGE = 64


def add_parsers(
    sub: argparse._SubParsersAction[Any], parser_class: type[argparse.ArgumentParser]
) -> None:
    """Add `run` to `sub` (made with `parser_class`, which exits 64 on usage errors)."""
    del parser_class
    run_parser = sub.add_parser(
        "run",
        help="run a command in the OS sandbox",
        description="Run COMMAND confined by a sandbox profile (config [sandbox]): read-only "
        "system, writable workspace and private /tmp, credentials hidden, network off or "
        "through bastion's proxy, resource limits. Exit: the command's status; 125 when the "
        "sandbox refused to run it.",
    )
    run_parser.add_argument(
        "--profile", default="default", help="default, proxy, network or readonly"
    )
    run_parser.add_argument("--cwd", help="the workspace (default: the current directory)")
    run_parser.add_argument(
        "--require",
        action="append",
        default=[],
        metavar="FEATURE,...",
        help=f"refuse to run unless these layers hold ({', '.join(FEATURES)})",
    )
    run_parser.add_argument(
        "--quiet", action="store_true", help="do not report unavailable layers on stderr"
    )
    run_parser.add_argument("words", nargs=argparse.REMAINDER, metavar="-- COMMAND")


def run(args: argparse.Namespace) -> int:
    from bastion.config import ConfigError, load_config
    from bastion.sandbox.interface import SandboxRefused
    from bastion.sandbox.runner import Sandbox

    words = list(args.words)
    if words[:1] == ["--"]:
        words = words[1:]
    if not words:
        print("bastion run: error: no COMMAND given (bastion run -- COMMAND...)", file=sys.stderr)
        return EXIT_USAGE
    cwd = os.path.abspath(args.cwd) if args.cwd else os.getcwd()
    require = [f.strip() for item in args.require for f in item.split(",") if f.strip()]
    try:
        sandbox = Sandbox.from_config(load_config(cwd), args.profile, cwd)
        result = sandbox.run(words, cwd, capture=False, require=require)
    except SandboxRefused as exc:
        print(f"bastion run: {exc}; the command was not run", file=sys.stderr)
        return EXIT_REFUSED
    except (ConfigError, ValueError) as exc:
        print(f"bastion run: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.quiet:
        for degradation in result.degraded:
            print(f"bastion run: warning: {degradation}", file=sys.stderr)
    if result.killed_by:
        print(f"bastion run: command stopped ({result.killed_by})", file=sys.stderr)
    return result.exit_code


def main() -> int:
    """`python -m bastion.cli.run_cmd -- COMMAND...` (the same as `bastion run`)."""
    parser = argparse.ArgumentParser(prog="bastion")
    sub = parser.add_subparsers(dest="command")
    add_parsers(sub, argparse.ArgumentParser)
    return run(parser.parse_args(["run", *sys.argv[1:]]))


if __name__ == "__main__":
    sys.exit(main())
