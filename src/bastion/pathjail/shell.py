"""Path findings for parsed shell commands: what each command reads, writes and deletes, judged.

`path_findings` is pure over its inputs apart from looking at the filesystem (symlinks, glob
expansion), so the command layer can call it on the commands it has already unfolded."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from bastion.model import Decision, Finding, Span, Tier
from bastion.pathjail.glob import SegmentGlob, has_glob
from bastion.pathjail.operands import PathUse, path_uses
from bastion.pathjail.policy import Access, PathIssue, PathPolicy
from bastion.pathjail.resolve import absolute
from bastion.shell.syntax import Redirect, SimpleCommand, Word

LAYER = "paths"
TOO_MANY = "path-too-many"
MAX_PATHS = 512
"""Path operands judged per call; more is asked about rather than half-checked."""
MAX_EXPANSIONS = 2048
"""Names one glob operand may expand to."""
MAX_SCAN = 16384
"""Directory entries read per glob component."""


@dataclass(frozen=True)
class JailContext:
    policy: PathPolicy
    cwd: str
    project_root: str | None = None
    """The fence's root; None falls back to `cwd`."""


class _TooBroad(Exception):
    pass


def redirect_uses(command: SimpleCommand) -> list[PathUse]:
    uses: list[PathUse] = []
    for redirect in command.redirects:
        target = redirect.target
        if target is None or not target.text or redirect.op.startswith("<<"):
            continue
        if _is_fd_dup(redirect):
            continue
        if redirect.writes:
            uses.append(PathUse(target.text, Access.WRITE, target))
        if redirect.op.startswith("<"):
            uses.append(PathUse(target.text, Access.READ, target))
    return uses


def _is_fd_dup(redirect: Redirect) -> bool:
    """`2>&1`, `>&-`, `<&3`: a file descriptor, not a file (`>& out` is a file)."""
    text = (redirect.target.text if redirect.target else "") or ""
    return redirect.op.endswith("&") and bool(text) and (text == "-" or text.isdigit())


def expand_glob(text: str, cwd: str, home: str) -> list[str]:
    """The names bash could expand `text` to (bounded), plus `text` itself, which is what bash
    passes when nothing matches and what the policy judges when the directory does not exist."""
    if not has_glob(text):
        return [text]
    parts = absolute(text, cwd, home).split("/")
    current = ["/"]
    for part in parts:
        if not part:
            continue
        if not has_glob(part):
            current = [posixpath.join(c, part) for c in current]
            continue
        matcher = SegmentGlob(part)
        found: list[str] = []
        for directory in current:
            try:
                with os.scandir(directory) as entries:
                    for count, entry in enumerate(entries):
                        if count >= MAX_SCAN:
                            raise _TooBroad(text)
                        if matcher.matches(entry.name):
                            found.append(posixpath.join(directory, entry.name))
            except OSError:
                continue
            if len(found) > MAX_EXPANSIONS:
                raise _TooBroad(text)
        current = found
        if not current:
            break
    return [text, *sorted(current)]


def path_findings(commands: Sequence[SimpleCommand], ctx: JailContext) -> list[Finding]:
    """Findings for every path the commands read, write or delete (redirects included)."""
    jobs = [(c, use) for c in commands for use in (*path_uses(c), *redirect_uses(c))]
    if len(jobs) > MAX_PATHS:
        return [_too_many(f"{len(jobs)} path operands (limit {MAX_PATHS})", None)]
    root = ctx.project_root or ctx.cwd
    # One finding per rule and command: `cp x .git/hooks/` need not say it twice.
    findings: dict[tuple[str, int], Finding] = {}
    judged = 0
    for command, use in jobs:
        # After `cd ~/.ssh`, `> authorized_keys` is ~/.ssh/authorized_keys: the command's own
        # directory, itself relative to the session's and spelled with `~` or `..`.
        cwd = absolute(command.cwd, ctx.cwd, ctx.policy.home) if command.cwd else ctx.cwd
        if use.base is not None:
            cwd = absolute(use.base, cwd, ctx.policy.home)
        try:
            texts = expand_glob(use.text, cwd, ctx.policy.home)
        except _TooBroad:
            finding = _too_many(f"the glob {use.text!r} matches too many names", command)
            findings.setdefault((TOO_MANY, id(command)), finding)
            continue
        judged += len(texts)
        if judged > MAX_EXPANSIONS:
            return [*findings.values(), _too_many("globs expand to too many names", command)]
        for text in texts:
            for issue in ctx.policy.judge_text(text, cwd, use.access, root):
                finding = _finding(issue, command, use.word)
                findings.setdefault((issue.rule_id, id(command)), finding)
    return list(findings.values())


def _finding(issue: PathIssue, command: SimpleCommand, word: Word) -> Finding:
    return Finding(
        layer=LAYER,
        rule_id=issue.rule_id,
        decision=issue.decision,
        tier=issue.tier,
        message=issue.message,
        span=Span(command.start, command.end),
        subject=command.display() or str(word),
    )


def _too_many(what: str, command: SimpleCommand | None) -> Finding:
    return Finding(
        layer=LAYER,
        rule_id=TOO_MANY,
        decision=Decision.ASK,
        tier=Tier.YELLOW,
        message=(
            f"Too many paths to check ({what}): bastion cannot vouch for each of them. Name "
            "the files, or work on fewer at a time."
        ),
        span=Span(command.start, command.end) if command else None,
        subject=command.display() if command else "",
    )
