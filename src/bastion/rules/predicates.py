"""AST predicates: what `command("rm") with_flags("-r")` means for one simple command."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property

from bastion.paths import PATH_CLASSES, PathContext
from bastion.rules.model import FlagSpec
from bastion.rules.regexes import LazyRegex, RegexSet, compile_error
from bastion.shell.syntax import SimpleCommand, Word

_DEFAULT_SPEC = FlagSpec(command="")
_NAME_CACHE = 16384


@dataclass(frozen=True)
class ParsedArgs:
    flags: frozenset[str]
    operands: tuple[Word, ...]


def split_flags(args: tuple[Word, ...], spec: FlagSpec) -> ParsedArgs:
    """Canonical flags and operands, however the options were spelled or ordered."""
    flags: set[str] = set()
    operands: list[Word] = []
    end_of_options = False
    i = 0
    while i < len(args):
        word = args[i]
        text = word.text
        i += 1
        if text is None or end_of_options or text == "-" or not text.startswith("-"):
            operands.append(word)
            continue
        if text == "--":
            end_of_options = True
            continue
        if text.startswith("--") or spec.long_single_dash:
            name, eq, _ = text.partition("=")
            flags.add(spec.canonical(name))
            if not eq and name in spec.takes_value:
                i += 1
            continue
        for j, letter in enumerate(text[1:], start=1):
            flag = "-" + letter
            flags.add(spec.canonical(flag))
            if flag in spec.takes_value:
                if j == len(text) - 1:
                    i += 1  # the value is the next word
                break  # the rest of the bundle is the value
    return ParsedArgs(frozenset(flags), tuple(operands))


def flag_group(token: str, spec: FlagSpec) -> frozenset[str]:
    """A group as written in a rule: `-rf` is {-r, -f}; `--recursive` is its canonical flag."""
    return split_flags((Word.literal(token),), spec).flags


class MatchContext:
    """Everything predicates need about one script: commands, pipelines, option specs, paths."""

    def __init__(
        self,
        commands: tuple[SimpleCommand, ...],
        flag_specs: Mapping[str, FlagSpec],
        paths: PathContext,
        lists: Mapping[str, frozenset[str]],
        unresolved: frozenset[int] = frozenset(),
        stdin: Mapping[int, str] | None = None,
        search_sets: Mapping[str, RegexSet] | None = None,
        name_hits: dict[str, frozenset[int]] | None = None,
    ) -> None:
        self.name_hits = name_hits if name_hits is not None else {}
        self.commands = commands
        self.unresolved = unresolved
        self.stdin = stdin or {}
        self.search_sets = search_sets or {}
        self._search_hits: dict[tuple[str, int], frozenset[int]] = {}
        self.flag_specs = flag_specs
        self.paths = paths
        self.lists = lists
        self._parsed: dict[int, ParsedArgs] = {}
        self._groups: dict[tuple[str, str], frozenset[str]] = {}

    def search_hits(self, kind: str, index: int) -> frozenset[int] | None:
        """Ids of the patterns of `kind` found in this command's text (None: no set built)."""
        regex_set = self.search_sets.get(kind)
        if regex_set is None:
            return None
        key = (kind, index)
        hits = self._search_hits.get(key)
        if hits is None:
            text = SEARCH_TEXTS[kind](self, index)
            if text is None:
                hits = frozenset()
            elif kind == "name":
                hits = self.name_hits.get(text)  # base names repeat from call to call
                if hits is None:
                    hits = frozenset(regex_set.match(text))
                    if len(self.name_hits) < _NAME_CACHE:
                        self.name_hits[text] = hits
            else:
                hits = frozenset(regex_set.match(text))
            self._search_hits[key] = hits
        return hits

    def paths_for(self, index: int) -> PathContext:
        """The path context of one command: after `cd /`, `*` means `/*`."""
        cwd = self.commands[index].cwd
        if cwd is None:
            return self.paths
        return replace(self.paths, cwd=self.paths.resolve(cwd))

    def spec(self, command: SimpleCommand) -> FlagSpec:
        return self.flag_specs.get(command.base_name or "", _DEFAULT_SPEC)

    def parsed(self, index: int) -> ParsedArgs:
        found = self._parsed.get(index)
        if found is None:
            command = self.commands[index]
            found = split_flags(command.args, self.spec(command))
            self._parsed[index] = found
        return found

    def group(self, command: SimpleCommand, token: str) -> frozenset[str]:
        key = (command.base_name or "", token)
        found = self._groups.get(key)
        if found is None:
            found = flag_group(token, self.spec(command))
            self._groups[key] = found
        return found

    @cached_property
    def _stages(self) -> dict[int, list[tuple[int, str | None]]]:
        stages: dict[int, list[tuple[int, str | None]]] = {}
        for command in self.commands:
            for slot in command.pipes:
                stages.setdefault(slot.pipeline, []).append((slot.stage, command.base_name))
        return stages

    def neighbours(self, index: int, downstream: bool) -> set[str]:
        """Base names of the commands after (or before) this one in any pipeline it is in."""
        found: set[str] = set()
        for slot in self.commands[index].pipes:
            for stage, name in self._stages.get(slot.pipeline, ()):
                later = stage > slot.stage
                if name is not None and (later if downstream else stage < slot.stage):
                    found.add(name)
        return found


# A predicate returns None when it does not hold, else a binding for {target} ("" for none).
Evaluator = Callable[[MatchContext, int], str | None]


@dataclass(frozen=True)
class PredicateSpec:
    min_args: int
    build: Callable[[tuple[str, ...]], Evaluator]
    arg_kind: str = "text"  # "text", "regex" or "path-class"
    doc: str = ""

    def check(self, args: tuple[str, ...]) -> str | None:
        if len(args) < self.min_args:
            return f"needs at least {self.min_args} argument(s)"
        for arg in args:
            if self.arg_kind == "regex":
                problem = compile_error(arg)
                if problem:
                    return f"bad regex {arg!r}: {problem}"
            if self.arg_kind == "path-class" and arg not in PATH_CLASSES:
                return f"unknown path class {arg!r} (known: {', '.join(sorted(PATH_CLASSES))})"
        return None


def _command(names: tuple[str, ...]) -> Evaluator:
    wanted = frozenset(names)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        return "" if ctx.commands[index].base_name in wanted else None

    return evaluate


def _not_command(names: tuple[str, ...]) -> Evaluator:
    unwanted = frozenset(names)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        return None if ctx.commands[index].base_name in unwanted else ""

    return evaluate


def _command_matches(patterns: tuple[str, ...]) -> Evaluator:
    # Searched as one RE2 set over base names with every other command_matches (see
    # SearchEvaluator); anchored so that the whole name must match.
    return SearchEvaluator("name", tuple(f"^(?:{p})$" for p in patterns))


def _subcommand(names: tuple[str, ...]) -> Evaluator:
    wanted = frozenset(names)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        operands = ctx.parsed(index).operands
        return "" if operands and operands[0].text in wanted else None

    return evaluate


def _with_flags(groups: tuple[str, ...], negate: bool = False) -> Evaluator:
    def evaluate(ctx: MatchContext, index: int) -> str | None:
        command = ctx.commands[index]
        flags = ctx.parsed(index).flags
        hit = any(ctx.group(command, g) <= flags for g in groups)
        return "" if hit != negate else None

    return evaluate


def _regexes(patterns: tuple[str, ...]) -> list[LazyRegex]:
    # Checked when the rule was parsed (PredicateSpec.check); compiled on first use.
    return [LazyRegex(p) for p in patterns]


def _with_arg(patterns: tuple[str, ...]) -> Evaluator:
    regexes = _regexes(patterns)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        for word in ctx.parsed(index).operands:
            text = str(word)
            if any(r.fullmatch(text) for r in regexes):
                return text
        return None

    return evaluate


def _with_target(classes: tuple[str, ...]) -> Evaluator:
    wanted = frozenset(classes)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        paths = ctx.paths_for(index)
        for word in ctx.parsed(index).operands:
            if paths.classify(word.text, word.raw) & wanted:
                return str(word)
        return None

    return evaluate


def _pipeline(names: tuple[str, ...], downstream: bool) -> Evaluator:
    wanted = frozenset(names)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        return "" if ctx.neighbours(index, downstream) & wanted else None

    return evaluate


def _redirect_matching(patterns: tuple[str, ...], reads: bool) -> Evaluator:
    """A write redirect (or, with `reads`, an input redirect) whose target matches in full."""
    regexes = _regexes(patterns)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        for redirect in ctx.commands[index].redirects:
            wanted = redirect.op in ("<", "<>") if reads else redirect.writes
            if wanted and redirect.target is not None:
                text = str(redirect.target)
                if any(r.fullmatch(text) for r in regexes):
                    return text
                # `cd /etc && echo x > passwd` writes /etc/passwd: the path as resolved
                # from the command's directory counts as much as the word as written.
                literal = redirect.target.text
                if literal and not literal.startswith("/"):
                    resolved = ctx.paths_for(index).resolve(literal)
                    if any(r.fullmatch(resolved) for r in regexes):
                        return resolved
        return None

    return evaluate


def _redirect_target(classes: tuple[str, ...]) -> Evaluator:
    wanted = frozenset(classes)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        paths = ctx.paths_for(index)
        for redirect in ctx.commands[index].redirects:
            if redirect.writes and redirect.target is not None and not redirect.op.endswith("&"):
                target = redirect.target
                if paths.classify(target.text, target.raw) & wanted:
                    return str(target)
        return None

    return evaluate


class SearchEvaluator:
    """A regex search over one text of a command (its args, operands or stdin).

    The rule set gathers every pattern of a kind into one RE2 set and numbers them
    (`ids`); per command the set runs once, and a pattern's own regex runs only to bind the
    matched text once the set says it hits.
    """

    def __init__(self, kind: str, patterns: tuple[str, ...]) -> None:
        self.kind = kind
        self.patterns = patterns
        self.regexes = _regexes(patterns)
        self.ids: frozenset[int] = frozenset()

    def __call__(self, ctx: MatchContext, index: int) -> str | None:
        hits = ctx.search_hits(self.kind, index)
        if hits is not None and hits.isdisjoint(self.ids):
            return None
        if self.kind == "name" and hits is not None:
            return ""  # the set already matched the whole name
        text = SEARCH_TEXTS[self.kind](ctx, index)
        if text is None:
            return None
        for regex in self.regexes:
            found = regex.search(text)
            if found:
                return str(found.group(0))
        return None


def _joined_args(ctx: MatchContext, index: int) -> str:
    return " ".join(str(w) for w in ctx.commands[index].args)


def _joined_operands(ctx: MatchContext, index: int) -> str:
    return " ".join(str(w) for w in ctx.parsed(index).operands)


def _stdin_text(ctx: MatchContext, index: int) -> str | None:
    return ctx.stdin.get(index)


def _base_name(ctx: MatchContext, index: int) -> str | None:
    return ctx.commands[index].base_name


SEARCH_TEXTS: dict[str, Callable[[MatchContext, int], str | None]] = {
    "name": _base_name,
    "args": _joined_args,
    "operands": _joined_operands,
    "stdin": _stdin_text,
}


def _dynamic_name(args: tuple[str, ...]) -> Evaluator:
    def evaluate(ctx: MatchContext, index: int) -> str | None:
        command = ctx.commands[index]
        return command.words[0].raw if command.words and command.words[0].dynamic else None

    return evaluate


def _unresolved_code(args: tuple[str, ...]) -> Evaluator:
    def evaluate(ctx: MatchContext, index: int) -> str | None:
        return "" if index in ctx.unresolved else None

    return evaluate


def _via(names: tuple[str, ...]) -> Evaluator:
    wanted = frozenset(names)

    def evaluate(ctx: MatchContext, index: int) -> str | None:
        return "" if wanted & set(ctx.commands[index].via) else None

    return evaluate


PREDICATES: dict[str, PredicateSpec] = {
    "dynamic_name": PredicateSpec(
        0, _dynamic_name, doc="the command name is only known at run time ($CMD, $(...))"
    ),
    "unresolved_code": PredicateSpec(
        0, _unresolved_code, doc="the command runs code that cannot be read statically"
    ),
    "via": PredicateSpec(
        1, _via, doc="the command was reached through one of these (sudo, bash, python, stdin...)"
    ),
    "command": PredicateSpec(1, _command, doc="the base command name is one of these"),
    "not_command": PredicateSpec(
        1, _not_command, doc="the base command name is none of these (for general rules)"
    ),
    "command_matches": PredicateSpec(
        1, _command_matches, "regex", "the base command name matches one regex in full"
    ),
    "subcommand": PredicateSpec(1, _subcommand, doc="the first operand is one of these"),
    "with_flags": PredicateSpec(
        1, _with_flags, doc="one of these flag groups is present (-rf = -r and -f)"
    ),
    "without_flags": PredicateSpec(
        1, lambda a: _with_flags(a, negate=True), doc="none of these flag groups is present"
    ),
    "with_arg": PredicateSpec(1, _with_arg, "regex", "an operand matches one regex in full"),
    "with_target": PredicateSpec(
        1, _with_target, "path-class", "an operand is a path of one of these classes"
    ),
    "pipeline_to": PredicateSpec(
        1, lambda a: _pipeline(a, True), doc="a later stage of the pipeline runs one of these"
    ),
    "pipeline_from": PredicateSpec(
        1, lambda a: _pipeline(a, False), doc="an earlier stage of the pipeline runs one of these"
    ),
    "redirect_target": PredicateSpec(
        1, _redirect_target, "path-class", "output is redirected to a path of one of these classes"
    ),
    "redirect_from": PredicateSpec(
        1,
        lambda a: _redirect_matching(a, reads=True),
        "regex",
        "input is redirected from a file matching one regex in full",
    ),
    "args_match": PredicateSpec(
        1,
        lambda a: SearchEvaluator("args", a),
        "regex",
        "a regex is found in the arguments joined by spaces (flags included)",
    ),
    "operands_match": PredicateSpec(
        1,
        lambda a: SearchEvaluator("operands", a),
        "regex",
        "a regex is found in the operands joined by spaces (flags and their values left out)",
    ),
    "stdin_match": PredicateSpec(
        1,
        lambda a: SearchEvaluator("stdin", a),
        "regex",
        "a regex is found in what the command reads on stdin, when that is known statically",
    ),
    "redirect_to": PredicateSpec(
        1,
        lambda a: _redirect_matching(a, reads=False),
        "regex",
        "output is redirected to a target matching one regex in full",
    ),
}
