"""The command layer: parse the shell text, unfold what bash would run, match the rules."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bastion.layers.interface import CommandAnalyzer, Layer
from bastion.model import Decision, Finding, Tier, ToolCall, ToolKind
from bastion.paths import PathContext
from bastion.rules.engine import RuleHit, RuleSet, hit_to_finding, render_nudge
from bastion.shell.budget import Budget, BudgetExceeded, Limits
from bastion.shell.interpreters import INTERPRETERS, shell_lines
from bastion.shell.parse import parse_script
from bastion.shell.reentry import (
    NestedCode,
    Unresolved,
    nested_code,
    static_stdins,
    substitution_output,
)
from bastion.shell.syntax import Script, SimpleCommand, Word
from bastion.shell.unfold import RUNTIME_INPUT, SHELLS, unfold_command
from bastion.shell.variants import spelling_variants

LAYER = "commands"
DYNAMIC_NAME = "dynamic-command-name"
_MAX_DYNAMIC_NAMES = 4
# What a run-time command name is tried as: the primitives a hidden destructive command uses.
DYNAMIC_GUESSES = frozenset(
    {"rm", "rmdir", "shred", "dd", "mkfs", "mkfs.ext4", "chmod", "chown", "mv", "git", "curl",
     "wget", "nc", "ncat", "socat", "bash", "sh", "find", "truncate", "kubectl", "docker",
     "terraform", "aws", "gcloud", "psql", "mysql", "redis-cli"}
)  # fmt: skip


@dataclass
class Analysis:
    """Everything the layer worked out about one command (what `bastion explain` prints)."""

    source: str
    scripts: list[Script] = field(default_factory=list)
    commands: list[SimpleCommand] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    hits: list[RuleHit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    budget_error: BudgetExceeded | None = None
    unresolved: list[Unresolved] = field(default_factory=list)


class CommandLayer(Layer):
    name = LAYER

    def __init__(
        self,
        rules: RuleSet,
        limits: Limits | None = None,
        home: str | None = None,
        project_root: str | None = None,
        analyzers: Sequence[CommandAnalyzer] = (),
    ) -> None:
        self.rules = rules
        self.analyzers = tuple(analyzers)
        self.limits = limits or Limits()
        self.home = home if home is not None else os.path.expanduser("~")
        self.project_root = project_root
        self._known_names = rules.command_names | SHELLS | frozenset(INTERPRETERS)

    def evaluate(self, call: ToolCall) -> Sequence[Finding]:
        if call.kind is not ToolKind.SHELL or call.command is None:
            return ()
        return self.analyse(call.command, call.cwd).findings

    def analyse(self, command: str, cwd: str = "") -> Analysis:
        analysis = Analysis(command)
        cwd = cwd or os.getcwd()
        paths = PathContext(cwd=cwd, home=self.home, project_root=self.project_root or cwd)
        budget = Budget(self.limits)
        try:
            self._collect(analysis, budget, cwd)
        except BudgetExceeded as exc:
            return self._spent(analysis, exc)
        commands = tuple(analysis.commands)
        positions = {id(c): i for i, c in enumerate(commands)}
        unresolved = frozenset(
            positions[id(u.command)] for u in analysis.unresolved if id(u.command) in positions
        )
        try:
            stdin = static_stdins(commands)
            analysis.hits = self.rules.match(
                commands, analysis.texts, paths, unresolved, stdin, tick=budget.check_time
            )
            dynamic = self._dynamic_names(commands, paths, budget)
        except BudgetExceeded as exc:
            return self._spent(analysis, exc)
        seen: set[tuple[str, str]] = set()
        for hit in analysis.hits:
            finding = hit_to_finding(hit, LAYER)
            if (finding.rule_id, finding.subject) not in seen:  # one per rule and command
                seen.add((finding.rule_id, finding.subject))
                analysis.findings.append(finding)
        analysis.findings.extend(dynamic)
        analysis.findings.extend(self._analyzer_findings(commands, cwd, command))
        return analysis

    def _analyzer_findings(
        self, commands: tuple[SimpleCommand, ...], cwd: str, source: str
    ) -> list[Finding]:
        found: list[Finding] = []
        for analyzer in self.analyzers:
            try:
                found.extend(analyzer.shell_findings(commands, cwd, source))
            except Exception as exc:  # fail closed, naming the analyzer that broke
                from bastion.guard import guard_failure

                found.append(guard_failure(f"{analyzer.name} analyzer", exc))
        return found

    def _dynamic_names(
        self, commands: tuple[SimpleCommand, ...], paths: PathContext, budget: Budget
    ) -> list[Finding]:
        """`$X -rf /`: judge the command as each name the rules know; ask if one is blocked."""
        if DYNAMIC_NAME in self.rules.disabled:
            return []
        dynamic = [c for c in commands if c.words and c.words[0].dynamic][:_MAX_DYNAMIC_NAMES]
        names = sorted(self.rules.command_names & DYNAMIC_GUESSES)
        if not dynamic or not names:
            return []
        # All guesses for all dynamic commands go through the rules in one pass each.
        guesses = tuple(
            replace(c, words=(Word.literal(n), *c.words[1:])) for c in dynamic for n in names
        )
        guessed_from = {id(g): i // len(names) for i, g in enumerate(guesses)}
        bare = tuple(replace(g, words=g.words[:1]) for g in guesses)
        # Only blocks whose evidence is in these arguments count: not a rule that blocks the
        # bare name (`dropdb`), nor one that a lone flag satisfies (`sgdisk -o`).
        name_only = {
            (h.command.base_name if h.command else "", h.rule.id)
            for h in self.rules.match(bare, (), paths, tick=budget.check_time)
        }
        findings: list[Finding] = []
        reported: set[int] = set()
        for hit in self.rules.match(guesses, (), paths, tick=budget.check_time):
            index = guessed_from.get(id(hit.command), -1)
            if (
                index < 0
                or index in reported
                or hit.rule.decision is not Decision.DENY
                or not hit.target  # an operand or redirect is the evidence, not a lone flag
                or (hit.command.base_name if hit.command else "", hit.rule.id) in name_only
            ):
                continue
            reported.add(index)
            command = dynamic[index]
            findings.append(
                Finding(
                    layer=LAYER,
                    rule_id=DYNAMIC_NAME,
                    decision=Decision.ASK,
                    tier=Tier.YELLOW,
                    message=(
                        f"The command name {command.words[0].raw} is only known at run time; if "
                        f"it is {hit.command.base_name if hit.command else '?'}, this is blocked "
                        f"({hit.rule.id}: {render_nudge(hit)}). Spell the command out."
                    ),
                    subject=command.display(),
                )
            )
        return findings

    @staticmethod
    def _spent(analysis: Analysis, exc: BudgetExceeded) -> Analysis:
        analysis.budget_error = exc
        analysis.findings.append(
            Finding(
                layer=LAYER,
                rule_id=f"budget.{exc.budget}",
                decision=Decision.DENY,
                tier=Tier.RED,
                message=(
                    f"{exc}: bastion will not guess what this command does. "
                    "Split it into smaller commands, or write the script to a file and "
                    "review it."
                ),
            )
        )
        return analysis

    def _collect(self, analysis: Analysis, budget: Budget, cwd: str) -> None:
        """Parse, unfold wrappers, and re-enter nested code, all inside one budget."""
        pending: list[NestedCode] = [NestedCode("shell", analysis.source, 0, ())]
        # Known for what they are, whatever their exact value: $HOME, the cwd, a temp dir.
        env = {"HOME": self.home, "PWD": cwd, "TMPDIR": "/tmp"}
        last_pipeline = 0
        while pending:
            code = pending.pop()
            if code.language != "shell":
                budget.check_depth(code.depth)
                lines = shell_lines(code.language, code.text)
                pending.extend(
                    NestedCode("shell", line, code.depth, (*code.via, code.language))
                    for line in lines
                )
                continue
            for text in [code.text, *spelling_variants(code.text)]:
                script = parse_script(
                    text, budget, depth=code.depth, env=env, first_pipeline_id=last_pipeline
                )
                last_pipeline = script.last_pipeline_id
                analysis.scripts.append(script)
                analysis.texts.append(script.code_text)
                unfolded: list[SimpleCommand] = []
                for command in _with_substituted_names(script.commands):
                    for inner in unfold_command(command, self._known_names):
                        unfolded.append(_with_via(inner, code.via) if code.via else inner)
                unfolded = _fill_runtime_input(unfolded)
                analysis.commands.extend(unfolded)
                nested, unresolved = nested_code(unfolded)
                pending.extend(nested)
                analysis.unresolved.extend(unresolved)


def _with_substituted_names(commands: tuple[SimpleCommand, ...]) -> list[SimpleCommand]:
    """`$(echo rm) -rf ~` runs `rm -rf ~`: a name whose substitution prints a known text."""
    found: list[SimpleCommand] = []
    for command in commands:
        found.append(command)
        if command.words and command.words[0].dynamic:
            output = substitution_output(command.words[0], commands, command.depth)
            if output and output.split():
                name_words = tuple(Word.literal(w) for w in output.split())
                found.append(
                    replace(command, words=(*name_words, *command.words[1:]),
                            via=(*command.via, "$(...)"))
                )  # fmt: skip
    return found


_MAX_INPUTS = 8


def _fill_runtime_input(commands: list[SimpleCommand]) -> list[SimpleCommand]:
    """`echo / | xargs rm -rf` runs `rm -rf /`: where xargs or parallel read a pipe whose text
    is known, the run-time input becomes that text."""
    if not any(RUNTIME_INPUT in w.raw for c in commands for w in c.words):
        return commands
    stdins = static_stdins(commands)
    filled: list[SimpleCommand] = []
    for index, command in enumerate(commands):
        text = stdins.get(index)
        if text is None or not any(RUNTIME_INPUT in w.raw for w in command.words):
            filled.append(command)
            continue
        lines = [line for line in text.strip("\n\0").replace("\0", "\n").split("\n") if line]
        # Items are blank-separated by default, whole lines with -0/-d/-I: read both ways.
        for line in lines[:_MAX_INPUTS] or [""]:
            for split in (True, False):
                words: list[Word] = []
                for word in command.words:
                    if word.raw == RUNTIME_INPUT:
                        parts = line.split() if split else [line]
                        words.extend(Word.literal(t) for t in parts)
                    elif word.text is None and RUNTIME_INPUT in word.raw:
                        words.append(Word.literal(word.raw.replace(RUNTIME_INPUT, line)))
                    else:
                        words.append(word)
                filled.append(replace(command, words=tuple(words)))
    return filled


def _with_via(command: SimpleCommand, via: tuple[str, ...]) -> SimpleCommand:
    return replace(command, via=(*via, *command.via))
