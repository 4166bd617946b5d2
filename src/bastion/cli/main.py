"""The `bastion` command: check, explain, rules, config, eval, hook, daemon, install, doctor."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from bastion import __version__

EXIT_USAGE = 64  # 1 and 2 mean ask and deny for `check`: usage errors must not look like them


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


# Subcommands defined in their own modules (`add_parsers`), by the command word.
_EXTERNAL = {
    "hook": "daemon_cmd",
    "daemon": "daemon_cmd",
    "install": "integrations_cmd",
    "uninstall": "integrations_cmd",
    "doctor": "integrations_cmd",
    "scan": "scan_cmd",
    "pairing": "pairing_cmd",
    "approvals": "approvals_cmd",
    "bypass": "approvals_cmd",
    "audit": "audit_cmd",
    "run": "run_cmd",
}
_COMMANDS = frozenset({"check", "explain", "rules", "eval", "config", *_EXTERNAL})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `command`, only that subcommand's module is loaded."""
    parser = _Parser(
        prog="bastion",
        description="A defense-in-depth guard for AI coding agents.",
    )
    parser.add_argument("--version", action="version", version=f"bastion {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser(
        "check",
        help="judge a shell command: exit 0 allow, 1 ask, 2 deny",
        description="Judge a shell command. Exit 0 allow, 1 ask, 2 deny. "
        "Use '-' to read the command from stdin (multi-line scripts welcome).",
    )
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--cwd", help="the session's working directory (default: here)")
    check.add_argument("words", nargs=argparse.REMAINDER, metavar="COMMAND")

    explain = sub.add_parser("explain", help="show what was parsed, unfolded and matched")
    explain.add_argument("--json", action="store_true")
    explain.add_argument("--cwd")
    explain.add_argument("words", nargs=argparse.REMAINDER, metavar="COMMAND")

    rules = sub.add_parser("rules", help="list, test and lint rules")
    rules_sub = rules.add_subparsers(dest="rules_command", metavar="ACTION", parser_class=_Parser)
    listing = rules_sub.add_parser("list", help="every rule with its action, tier and pack")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--cwd")
    testing = rules_sub.add_parser("test", help="check every rule against its examples")
    testing.add_argument("files", nargs="*", help="rule files (default: the active policy)")
    testing.add_argument("--json", action="store_true")
    testing.add_argument("--cwd")
    lint = rules_sub.add_parser("lint", help="parse rule files and report problems")
    lint.add_argument("files", nargs="*", help="rule files (default: the active policy)")
    lint.add_argument("--json", action="store_true")
    lint.add_argument("--cwd")

    ev = sub.add_parser(
        "eval",
        help="score the guard on labelled corpora (JSONL)",
        description="Catch rate on dangerous rows, deny and ask rates on benign rows, per file "
        "and overall, and the rows that went the wrong way.",
    )
    ev.add_argument("files", nargs="+", metavar="FILE", help="JSONL corpora or directories of them")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--show", type=int, default=20, metavar="N", help="wrong rows shown per file")
    ev.add_argument("--cwd", default="/home/user/project", help="virtual session cwd")
    ev.add_argument("--home", default="/home/user", help="virtual home directory")
    ev.add_argument("--no-progress", action="store_true")

    config = sub.add_parser("config", help="show the merged configuration")
    config_sub = config.add_subparsers(
        dest="config_command", metavar="ACTION", parser_class=_Parser
    )
    show = config_sub.add_parser("show", help="merged config and where each value came from")
    show.add_argument("--json", action="store_true")
    show.add_argument("--cwd")

    # Each of these modules pulls in its layer: load only the one the command line names
    # (all of them for --help), so `bastion check` and `bastion run` start fast.
    modules = (
        dict.fromkeys(_EXTERNAL.values())
        if command is None or command not in _COMMANDS
        else dict.fromkeys([_EXTERNAL[command]] if command in _EXTERNAL else [])
    )
    for name in modules:
        importlib.import_module(f"bastion.cli.{name}").add_parsers(sub, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if len(words) == 2 and words[0] == "hook":  # the agent's hot path: no argparse, no parser
        from bastion.cli.daemon_cmd import run_hook

        return run_hook(words[1])
    if argv is None and hasattr(signal, "SIGPIPE"):  # the real command line, not a test
        # `bastion ... | head`: end quietly like other Unix tools, not with a traceback.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    first = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(first)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command in ("check", "explain"):
        words = list(args.words)
        if words[:1] == ["--"]:
            words = words[1:]
        if not words:
            parser.error(f"{args.command} needs a COMMAND (or '-' to read it from stdin)")
        command = sys.stdin.read() if words == ["-"] else " ".join(words)
        cwd = os.path.abspath(args.cwd) if args.cwd else os.getcwd()
        if args.command == "check":
            from bastion.cli.check import run_check

            return run_check(command, cwd, as_json=args.json)
        from bastion.cli.explain import run_explain

        return run_explain(command, cwd, as_json=args.json)
    if args.command == "rules":
        from bastion.cli import rules_cmd

        if args.rules_command is None:
            parser.parse_args(["rules", "--help"])
        return rules_cmd.run(args)
    if args.command == "eval":
        from bastion.cli import eval_cmd

        return eval_cmd.run(args)
    if args.command == "config":
        from bastion.cli.config_cmd import run_show

        if args.config_command is None:
            parser.parse_args(["config", "--help"])
        cwd = os.path.abspath(args.cwd) if args.cwd else os.getcwd()
        return run_show(cwd, as_json=args.json)
    if args.command == "run":
        from bastion.cli import run_cmd

        return run_cmd.run(args)
    if args.command == "audit":
        from bastion.cli import audit_cmd

        return audit_cmd.run(args)
    if args.command in ("approvals", "bypass"):
        from bastion.cli import approvals_cmd

        return approvals_cmd.run(args)
    if args.command == "pairing":
        from bastion.cli import pairing_cmd

        return pairing_cmd.run(args)
    if args.command == "scan":
        from bastion.cli import scan_cmd

        return scan_cmd.run(args)
    if args.command in ("install", "uninstall", "doctor"):
        from bastion.cli import integrations_cmd

        return integrations_cmd.run(args)
    if args.command in ("hook", "daemon"):
        from bastion.cli import daemon_cmd

        if args.command == "hook":
            return daemon_cmd.run_hook(args.agent)
        if args.daemon_command is None:
            parser.parse_args(["daemon", "--help"])
        return daemon_cmd.run_daemon(args)
    parser.error(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
