"""A compiled rule set: regex rules in one RE2 set, AST rules indexed by command name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bastion.model import Finding, Span, Tier
from bastion.paths import PathContext
from bastion.rules.dsl import RuleSyntaxError
from bastion.rules.model import (
    Action,
    AstMatch,
    FlagSpec,
    NotInListMatch,
    RegexMatch,
    Rule,
    RuleFile,
)
from bastion.rules.predicates import PREDICATES, Evaluator, MatchContext, SearchEvaluator
from bastion.rules.regexes import RegexSet
from bastion.shell.syntax import SimpleCommand


@dataclass(frozen=True)
class RuleHit:
    rule: Rule
    subject: str
    """`cmd:N` for the N-th unfolded command, `text:N` for the N-th code text."""
    command: SimpleCommand | None = None
    target: str = ""
    tier: Tier = Tier.GREEN


@dataclass(frozen=True)
class _CompiledAst:
    """One `match` line of an AST rule: every evaluator must hold."""

    rule: Rule
    evaluators: tuple[Evaluator, ...]


class RuleSet:
    def __init__(
        self,
        files: Sequence[RuleFile],
        *,
        disabled: frozenset[str] = frozenset(),
        tiers: Mapping[str, Tier] | None = None,
        lists: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.files = tuple(files)
        self.lists = dict(lists or {})
        self.tiers = dict(tiers or {})
        seen: dict[str, Rule] = {}
        for rule_file in self.files:
            for rule in rule_file.rules:
                if rule.id in seen:
                    raise RuleSyntaxError(
                        rule.position,
                        f"duplicate rule id {rule.id!r} (first at {seen[rule.id].position})",
                    )
                seen[rule.id] = rule
        self.all_rules = tuple(seen.values())
        self.disabled = disabled
        self.rules = tuple(
            r for r in self.all_rules if r.id not in disabled and r.pack not in disabled
        )
        self.flag_specs = _merge_flags(f for rf in self.files for f in rf.flags)
        patterns: list[str] = []
        self._regex_owner: list[Rule] = []
        # AST alternatives are indexed by the names of a leading command(...): for a command
        # only the alternatives about its name (and the few that start otherwise) are tried.
        self._by_command: dict[str, list[_CompiledAst]] = {}
        self._any_command: list[_CompiledAst] = []
        self._any_redirected: list[_CompiledAst] = []  # start with a redirect predicate
        self._not_in: list[tuple[Rule, frozenset[str]]] = []
        for rule in self.rules:
            for matcher in rule.matchers:
                if isinstance(matcher, RegexMatch):
                    patterns.append(matcher.pattern)
                    self._regex_owner.append(rule)
                elif isinstance(matcher, NotInListMatch):
                    self._not_in.append((rule, self._list(matcher)))
                elif isinstance(matcher, AstMatch):
                    first = matcher.calls[0]
                    if first.name == "command":
                        rest = tuple(PREDICATES[c.name].build(c.args) for c in matcher.calls[1:])
                        for name in dict.fromkeys(first.args):
                            self._by_command.setdefault(name, []).append(_CompiledAst(rule, rest))
                    else:
                        every = tuple(PREDICATES[c.name].build(c.args) for c in matcher.calls)
                        bucket = (
                            self._any_redirected
                            if first.name in _REDIRECT_PREDICATES
                            else self._any_command
                        )
                        bucket.append(_CompiledAst(rule, every))
        self._regex_set = RegexSet(patterns)
        self._name_hits: dict[str, frozenset[int]] = {}  # base name -> command_matches hits
        self._search_sets = _index_searches(
            c.evaluators
            for cs in (*self._by_command.values(), self._any_command, self._any_redirected)
            for c in cs
        )
        # Alternatives led by command_matches(...) are tried only for the names the set hit.
        self._by_name_pattern: dict[int, list[_CompiledAst]] = {}
        unnamed: list[_CompiledAst] = []
        for compiled in self._any_command:
            lead = compiled.evaluators[0]
            if isinstance(lead, SearchEvaluator) and lead.kind == "name":
                for pattern_id in lead.ids:
                    self._by_name_pattern.setdefault(pattern_id, []).append(compiled)
            else:
                unnamed.append(compiled)
        self._any_command = unnamed
        # Names the rules care about: what a globbed command name (`/???/r?`) may stand for.
        self.command_names = frozenset(
            name
            for rule in self.rules
            for matcher in rule.matchers
            if isinstance(matcher, AstMatch)
            for call in matcher.calls
            if call.name == "command"
            for name in call.args
        )

    def _list(self, matcher: NotInListMatch) -> frozenset[str]:
        values = self.lists.get(matcher.list_name)
        if values is None:
            known = ", ".join(sorted(self.lists)) or "none"
            raise RuleSyntaxError(
                matcher.position, f"unknown list {matcher.list_name!r} (known: {known})"
            )
        return values

    def tier_of(self, rule: Rule) -> Tier:
        return self.tiers.get(rule.id, rule.effective_tier)

    def match(
        self,
        commands: tuple[SimpleCommand, ...],
        texts: Sequence[str],
        paths: PathContext,
        unresolved: frozenset[int] = frozenset(),
        stdin: Mapping[int, str] | None = None,
        tick: Callable[[], None] | None = None,
    ) -> list[RuleHit]:
        """Every rule hit, with allow rules already applied to the hits they cover."""
        hits: list[RuleHit] = []
        for i, text in enumerate(texts):
            for index in dict.fromkeys(self._regex_set.match(text)):
                rule = self._regex_owner[index]
                hits.append(RuleHit(rule, f"text:{i}", tier=self.tier_of(rule)))
        ctx = MatchContext(
            commands,
            self.flag_specs,
            paths,
            self.lists,
            unresolved,
            stdin,
            self._search_sets,
            self._name_hits,
        )
        for i, command in enumerate(commands):
            if tick is not None and i % 64 == 63:
                tick()  # the time budget covers matching too
            base = command.base_name
            matched: set[str] = set()
            candidates = (*self._by_command.get(base or "", ()), *self._any_command)
            if self._by_name_pattern:
                for pattern_id in ctx.search_hits("name", i) or ():
                    candidates = (*candidates, *self._by_name_pattern.get(pattern_id, ()))
            if command.redirects:
                candidates = (*candidates, *self._any_redirected)
            for compiled in candidates:
                rule = compiled.rule
                if rule.id in matched:
                    continue
                target = _holds(compiled.evaluators, ctx, i)
                if target is not None:
                    matched.add(rule.id)
                    hits.append(RuleHit(rule, f"cmd:{i}", command, target, self.tier_of(rule)))
            if base is not None:
                for rule, allowed in self._not_in:
                    if base not in allowed:
                        hits.append(RuleHit(rule, f"cmd:{i}", command, "", self.tier_of(rule)))
        return _apply_allows(hits)


_REDIRECT_PREDICATES = frozenset({"redirect_to", "redirect_target", "redirect_from"})


def _index_searches(groups: Iterable[tuple[Evaluator, ...]]) -> dict[str, RegexSet]:
    """Number every search pattern of each kind and compile each kind into one RE2 set."""
    patterns: dict[str, list[str]] = {}
    seen: set[int] = set()
    for evaluators in groups:
        for evaluator in evaluators:
            if not isinstance(evaluator, SearchEvaluator) or id(evaluator) in seen:
                continue
            seen.add(id(evaluator))
            kind_patterns = patterns.setdefault(evaluator.kind, [])
            start = len(kind_patterns)
            kind_patterns.extend(evaluator.patterns)
            evaluator.ids = frozenset(range(start, len(kind_patterns)))
    return {kind: RegexSet(found) for kind, found in patterns.items()}


def _holds(evaluators: tuple[Evaluator, ...], ctx: MatchContext, index: int) -> str | None:
    target = ""
    for evaluate in evaluators:
        bound = evaluate(ctx, index)
        if bound is None:
            return None
        target = target or bound
    return target


def _apply_allows(hits: list[RuleHit]) -> list[RuleHit]:
    """An allow rule is a narrow exception: it covers the other hits on its own subject only."""
    allowed = {h.subject for h in hits if h.rule.action is Action.ALLOW}
    if not allowed:
        return hits
    return [h for h in hits if h.rule.action is Action.ALLOW or h.subject not in allowed]


def _merge_flags(specs: Iterable[FlagSpec]) -> dict[str, FlagSpec]:
    merged: dict[str, FlagSpec] = {}
    for spec in specs:
        old = merged.get(spec.command)
        if old is None:
            merged[spec.command] = spec
        else:
            merged[spec.command] = FlagSpec(
                command=spec.command,
                aliases=old.aliases + spec.aliases,
                takes_value=old.takes_value | spec.takes_value,
                long_single_dash=old.long_single_dash or spec.long_single_dash,
                position=old.position,
            )
    return merged


def render_nudge(hit: RuleHit) -> str:
    fields = {
        "base_command": (hit.command.base_name or "") if hit.command else "",
        "command": hit.command.display() if hit.command else "",
        "rule": hit.rule.id,
        "target": hit.target,
    }
    text = hit.rule.nudge
    for key, value in fields.items():
        text = text.replace("{" + key + "}", value)
    return text


def hit_to_finding(hit: RuleHit, layer: str = "commands") -> Finding:
    span = Span(hit.command.start, hit.command.end) if hit.command else None
    subject = hit.command.display() if hit.command else ""
    return Finding(
        layer=layer,
        rule_id=hit.rule.id,
        decision=hit.rule.decision,
        tier=hit.tier,
        message=render_nudge(hit),
        span=span,
        subject=subject,
    )
